package main

import (
	"context"
	"fmt"
	"time"
)

var kubeProxy = &process{
	spec: k8sSpec("kube-proxy", spec{
		modes: []mode{modeReal}, wave: 7, files: kubeProxyFiles,
		expected: 20 * time.Second,
	}),
	netns: true, args: kubeProxyArgs, check: kubeProxyReady,
}

func kubeProxyArgs(c *config) []string {
	return []string{"--config=" + c.path("kube-proxy", "config.yaml"), "--v=1"}
}

func kubeProxyReady(ctx context.Context, c *config) error {
	_, err := httpGet(ctx, fmt.Sprintf("http://%s:%d/livez", nodeIP, proxyHealthz), "", "")
	return err
}

func kubeProxyFiles(c *config) map[string]string {
	return map[string]string{
		c.path("kube-proxy", "kubeconfig"):  nodeKubeconfig(c, "kube-proxy"),
		c.path("kube-proxy", "config.yaml"): renderKubeProxyConfig(c),
	}
}

func renderKubeProxyConfig(c *config) string {
	return fmt.Sprintf(`apiVersion: kubeproxy.config.k8s.io/v1alpha1
kind: KubeProxyConfiguration
mode: nftables
clientConnection: {kubeconfig: %[1]s}
hostnameOverride: %[2]s
clusterCIDR: %[3]s
bindAddress: %[4]s
healthzBindAddress: %[4]s:%[5]d
metricsBindAddress: %[4]s:%[6]d
nodePortAddresses: [%[4]s/32]
# nf_conntrack_max is global to the machine: leave it alone (the timeouts it sets are per netns).
conntrack: {maxPerCore: 0}
`, c.path("kube-proxy", "kubeconfig"), nodeName, podCIDR, nodeIP, proxyHealthz, proxyMetrics)
}
