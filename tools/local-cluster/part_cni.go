package main

import (
	"fmt"
	"time"
)

// cniPlugins: the CNI plugins containerd runs for each pod sandbox, and their one network.
var cniPlugins = &tool{spec{
	name: "cni-plugins", module: "local-cluster/cni", modPath: "github.com/containernetworking/plugins",
	bins: []binary{
		{"bridge", "github.com/containernetworking/plugins/plugins/main/bridge"},
		{"loopback", "github.com/containernetworking/plugins/plugins/main/loopback"},
		{"host-local", "github.com/containernetworking/plugins/plugins/ipam/host-local"},
		{"portmap", "github.com/containernetworking/plugins/plugins/meta/portmap"},
	},
	ldflags: func(*config, string) string { return "-s -w" }, uses: []mode{modeReal},
	files: func(c *config) map[string]string {
		return map[string]string{c.path("cni", "net.d", "10-"+cniNetwork+".conflist"): renderCNIConfig(c)}
	},
	expected: 20 * time.Second,
}}

func renderCNIConfig(c *config) string {
	return fmt.Sprintf(`{
  "cniVersion": "1.0.0",
  "name": %q,
  "plugins": [
    {
      "type": "bridge",
      "bridge": "tt-cni0",
      "isGateway": true,
      "ipMasq": false,
      "hairpinMode": true,
      "ipam": {
        "type": "host-local",
        "ranges": [[{"subnet": %q}]],
        "routes": [{"dst": "0.0.0.0/0"}],
        "dataDir": %q
      }
    },
    {"type": "portmap", "backend": "nftables", "capabilities": {"portMappings": true}}
  ]
}
`, cniNetwork, nodePodCIDR, c.path("cni", "ipam"))
}
