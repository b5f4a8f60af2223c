package main

import (
	"context"
	"fmt"
	"time"
)

// coredns: the cluster DNS on the node IP, behind the kube-dns Service it puts in the API.
var coredns = &process{
	spec: spec{
		name: "coredns", module: "local-cluster/coredns", modPath: "github.com/coredns/coredns",
		bins:    []binary{{"coredns", "."}},
		ldflags: func(*config, string) string { return "-s -w" },
		modes:   []mode{modeReal}, wave: 7,
		files: func(c *config) map[string]string {
			return map[string]string{c.path("coredns", "Corefile"): renderCorefile(c)}
		},
		objects:  func(*config) string { return "---\n" + renderDNSManifest() },
		expected: 90 * time.Second,
	},
	netns: true, args: corednsArgs, check: corednsReady,
}

func corednsArgs(c *config) []string {
	return []string{"-conf", c.path("coredns", "Corefile")}
}

// corednsReady: the ready plugin answers 200 once the kubernetes plugin has synced with the API.
func corednsReady(ctx context.Context, c *config) error {
	_, err := httpGet(ctx, fmt.Sprintf("http://%s:%d/ready", nodeIP, dnsReadyPort), "", "")
	return err
}

// renderCorefile: CoreDNS on the node IP answers cluster.local from the API; there is no upstream
// resolver (nothing may leave the netns), so other names fail at once.
func renderCorefile(c *config) string {
	return fmt.Sprintf(`.:53 {
    bind %[1]s
    errors
    health %[1]s:%[2]d
    ready %[1]s:%[3]d
    kubernetes %[4]s in-addr.arpa ip6.arpa {
        kubeconfig %[5]s %[6]s
        pods insecure
        fallthrough in-addr.arpa ip6.arpa
    }
    cache 30
    loop
    reload
}
`, nodeIP, dnsHealthPort, dnsReadyPort, clusterDomain, c.kubeconfig(), kubeContext)
}

// kube-dns: the cluster DNS Service, its one endpoint being CoreDNS on the node IP.
func renderDNSManifest() string {
	return fmt.Sprintf(`apiVersion: v1
kind: Service
metadata:
  name: kube-dns
  namespace: kube-system
  labels: {k8s-app: kube-dns}
spec:
  clusterIP: %[1]s
  ports:
  - {name: dns, port: 53, protocol: UDP, targetPort: 53}
  - {name: dns-tcp, port: 53, protocol: TCP, targetPort: 53}
---
apiVersion: discovery.k8s.io/v1
kind: EndpointSlice
metadata:
  name: kube-dns-node
  namespace: kube-system
  labels:
    kubernetes.io/service-name: kube-dns
    endpointslice.kubernetes.io/managed-by: local-cluster.three-tier-app
addressType: IPv4
endpoints:
- addresses: [%[2]s]
  conditions: {ready: true}
  nodeName: %[3]s
ports:
- {name: dns, port: 53, protocol: UDP}
- {name: dns-tcp, port: 53, protocol: TCP}
`, dnsServiceIP, nodeIP, nodeName)
}
