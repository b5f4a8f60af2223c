package main

import (
	"context"
	"fmt"
	"os"
	"time"
)

var kubelet = &process{
	spec: k8sSpec("kubelet", spec{
		modes: []mode{modeReal}, wave: 6, files: kubeletFiles,
		expected: 30 * time.Second,
	}),
	netns: true, args: kubeletArgs, check: kubeletReady,
}

func kubeletArgs(c *config) []string {
	return []string{
		"--config=" + c.path("kubelet", "config.yaml"),
		"--kubeconfig=" + c.path("kubelet", "kubeconfig"),
		"--root-dir=" + c.path("kubelet", "root"),
		"--cert-dir=" + c.path("kubelet", "pki"),
		"--node-ip=" + nodeIP, "--hostname-override=" + nodeName,
		"--v=1",
	}
}

func kubeletReady(ctx context.Context, c *config) error {
	return expectBody(ctx, fmt.Sprintf("http://%s:%d/healthz", nodeIP, kubeletHealthz), "", "", "ok")
}

func kubeletFiles(c *config) map[string]string {
	return map[string]string{
		c.path("kubelet", "kubeconfig"):  nodeKubeconfig(c, "kubelet"),
		c.path("kubelet", "config.yaml"): renderKubeletConfig(c),
		c.path("kubelet", "resolv.conf"): "# No upstream resolver: nothing may leave the node netns.\n",
	}
}

// nodeKubeconfig is the kubeconfig of a node component, by its client certificate <name>.crt.
func nodeKubeconfig(c *config, name string) string {
	ca, _ := os.ReadFile(c.pki("ca.crt"))
	return renderKubeconfig(c.apiserverURL(), ca, kubeconfigUser{cert: c.pki(name + ".crt"), key: c.pki(name + ".key")})
}

func renderKubeletConfig(c *config) string {
	return fmt.Sprintf(`apiVersion: kubelet.config.k8s.io/v1beta1
kind: KubeletConfiguration
address: %[1]s
port: %[2]d
readOnlyPort: 0
healthzBindAddress: %[1]s
healthzPort: %[3]d
authentication:
  anonymous: {enabled: false}
  webhook: {enabled: true}
  x509: {clientCAFile: %[4]s}
authorization: {mode: Webhook}
containerRuntimeEndpoint: unix://%[5]s
# This kernel has cgroup v1 only: 1.34 still runs on it when told to (1.35 refuses by default).
cgroupDriver: cgroupfs
failCgroupV1: false
cgroupRoot: /%[6]s
failSwapOn: false
# Without CAP_SYS_RESOURCE the kubelet cannot lower its own oom_score_adj (see containerd's config).
oomScoreAdj: 0
makeIPTablesUtilChains: false
protectKernelDefaults: false
clusterDNS: [%[7]s]
clusterDomain: %[8]s
resolvConf: %[9]s
podLogsDir: %[10]s
volumePluginDir: %[11]s
serializeImagePulls: false
# No image GC and no eviction for a small disk. The disk is shared with the rest of the machine, so
# a usage threshold would fire on bytes that are not the node's; and collecting would only drop
# containerd's copy of blobs the registry keeps on the same disk (pulled images can be pulled again,
# but then a pod restart waits on the registry; the imported pause image is pinned either way).
imageGCHighThresholdPercent: 100
imageGCLowThresholdPercent: 99
evictionHard: {memory.available: 100Mi, nodefs.available: 1%%, imagefs.available: 1%%, nodefs.inodesFree: 1%%}
`, nodeIP, kubeletPort, kubeletHealthz, c.pki("ca.crt"), c.containerdSock(), cgroupRoot, dnsServiceIP,
		clusterDomain, c.path("kubelet", "resolv.conf"), c.path("kubelet", "pod-logs"), c.path("kubelet", "volume-plugins"))
}
