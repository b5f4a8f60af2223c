// Command etcd is the etcd server, built from go.etcd.io/etcd/server/v3 for the local control
// plane of tools/local-cluster (the upstream etcd binary lives in the etcd repository's
// root module, which cannot be installed from the module proxy on its own).
package main

import (
	"os"

	"go.etcd.io/etcd/server/v3/etcdmain"
)

func main() {
	etcdmain.Main(os.Args)
}
