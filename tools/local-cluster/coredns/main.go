// Command coredns is the local cluster's DNS server: CoreDNS with only the plugins the node needs.
// Upstream's main links every plugin, and with them several cloud SDKs; the cluster has no upstream
// resolver, so `kubernetes` answers cluster.local and everything else fails fast.
package main

import (
	"github.com/coredns/coredns/core/dnsserver"
	"github.com/coredns/coredns/coremain"

	// The plugins listed in directives, registered by their init functions.
	_ "github.com/coredns/coredns/plugin/bind"
	_ "github.com/coredns/coredns/plugin/cache"
	_ "github.com/coredns/coredns/plugin/errors"
	_ "github.com/coredns/coredns/plugin/health"
	_ "github.com/coredns/coredns/plugin/kubernetes"
	_ "github.com/coredns/coredns/plugin/loop"
	_ "github.com/coredns/coredns/plugin/ready"
	_ "github.com/coredns/coredns/plugin/reload"
)

// directives is upstream's plugin.cfg order, cut down to the plugins imported above: the order in
// which a query passes through them, whatever order the Corefile lists them in.
var directives = []string{
	"reload",
	"bind",
	"ready",
	"health",
	"errors",
	"cache",
	"kubernetes",
	"loop",
}

func main() {
	dnsserver.Directives = directives
	coremain.Run()
}
