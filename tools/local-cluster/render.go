package main

import (
	"encoding/base64"
	"fmt"
	"os"
	"path/filepath"
	"strings"
)

// The files the components read, rendered from the config. Pure functions of it (tests compare them).

type kubeconfigUser struct {
	token     string // bearer token, or
	cert, key string // client certificate files
}

func renderKubeconfig(server string, caPEM []byte, u kubeconfigUser) string {
	user := "    token: " + u.token
	if u.token == "" {
		user = "    client-certificate: " + u.cert + "\n    client-key: " + u.key
	}
	return fmt.Sprintf(`apiVersion: v1
kind: Config
clusters:
- name: %[1]s
  cluster:
    server: %[2]s
    certificate-authority-data: %[3]s
users:
- name: %[1]s-user
  user:
%[4]s
contexts:
- name: %[1]s
  context:
    cluster: %[1]s
    user: %[1]s-user
    namespace: default
current-context: %[1]s
`, kubeContext, server, base64.StdEncoding.EncodeToString(caPEM), user)
}

func renderContainerdConfig(c *config) string {
	bins := func(p *part) string { return fmt.Sprintf("%q", c.partDir(p)) }
	return fmt.Sprintf(`# Rendered by tools/local-cluster: every path is the cluster's own, nothing under /var/lib/containerd.
# The sockets' address is the --address flag (sets the grpc and ttrpc server plugins).
version = 4
root = %[1]q
state = %[2]q
# NRI, the opt plugin (/opt/containerd) and the TCP streaming endpoints are not needed.
disabled_plugins = ["io.containerd.nri.v1.nri", "io.containerd.internal.v1.opt"]

[plugins."io.containerd.shim.v1.manager"]
  socket_dir = %[3]q

[plugins."io.containerd.cri.v1.images"]
  snapshotter = "overlayfs"
  [plugins."io.containerd.cri.v1.images".pinned_images]
    sandbox = %[4]q
  # One hosts.toml per registry host under here: the cluster's registry (plain HTTP). Setting it also
  # keeps the machine's /etc/containerd/certs.d and /etc/docker/certs.d out.
  [plugins."io.containerd.cri.v1.images".registry]
    config_path = %[9]q

[plugins."io.containerd.cri.v1.runtime"]
  # This machine's capability bounding set lacks CAP_SYS_RESOURCE: runc cannot lower
  # oom_score_adj below its parent's, which the sandbox's -998 would ask for.
  restrict_oom_score_adj = true
  netns_mounts_under_state_dir = true
  [plugins."io.containerd.cri.v1.runtime".containerd]
    default_runtime_name = "runc"
    [plugins."io.containerd.cri.v1.runtime".containerd.runtimes.runc]
      runtime_type = "io.containerd.runc.v2"
      [plugins."io.containerd.cri.v1.runtime".containerd.runtimes.runc.options]
        BinaryName = %[5]q
        Root = %[6]q
        SystemdCgroup = false
  [plugins."io.containerd.cri.v1.runtime".cni]
    bin_dirs = [%[7]s]
    conf_dir = %[8]q
`, c.path("containerd", "root"), c.path("containerd", "state"),
		filepath.Join(c.runDir, "s"), pauseImage, runcPath, filepath.Join(c.runDir, "runc"),
		bins(partByName("cni-plugins")), c.path("cni", "net.d"), c.registryHostsDir())
}

// renderRegistryHosts is containerd's hosts.toml for the cluster's registry, as kind's local-registry
// recipe has it: plain HTTP (the address exists only in the node netns and over our veth), trusted
// to pull and to resolve tags (pods name the app's images by digest; people may use tags).
func renderRegistryHosts(c *config) string {
	return fmt.Sprintf(`server = %[1]q

[host.%[1]q]
  capabilities = ["pull", "resolve"]
`, "http://"+c.registryAddr())
}

// renderRegistryConfig is distribution's config: no TLS and no auth (it listens only on the node IP
// inside the netns, or on loopback in kwok mode), blobs in the state dir (`down` removes them with
// it), and delete on so that tests can remove what they push. Its log: warnings and errors, and one
// access-log line per request.
func renderRegistryConfig(c *config) string {
	return fmt.Sprintf(`version: 0.1
log:
  level: warn
storage:
  filesystem:
    rootdirectory: %s
  delete:
    enabled: true
http:
  addr: %s
`, c.path("registry", "data"), c.registryAddr())
}

// runcPath is Debian's runc (the node check installs it when missing).
const runcPath = "/usr/sbin/runc"

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

const storageClassManifest = `apiVersion: storage.k8s.io/v1
kind: StorageClass
metadata:
  name: standard
  annotations:
    storageclass.kubernetes.io/is-default-class: "true"
provisioner: kubernetes.io/host-path
reclaimPolicy: Delete
volumeBindingMode: Immediate
`

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

var fakeNodes = []string{"kwok-node-0", "kwok-node-1"}

func renderFakeNodes(k8sVersion, kwokVersion string) string {
	var b strings.Builder
	for _, n := range fakeNodes {
		fmt.Fprintf(&b, `---
apiVersion: v1
kind: Node
metadata:
  name: %[1]s
  annotations:
    kwok.x-k8s.io/node: fake
    node.alpha.kubernetes.io/ttl: "0"
  labels:
    type: kwok
    kubernetes.io/hostname: %[1]s
    kubernetes.io/os: linux
    kubernetes.io/arch: amd64
spec: {}
status:
  allocatable: {cpu: "32", memory: 128Gi, pods: "250", ephemeral-storage: 500Gi}
  capacity: {cpu: "32", memory: 128Gi, pods: "250", ephemeral-storage: 500Gi}
  nodeInfo:
    architecture: amd64
    operatingSystem: linux
    kubeletVersion: %[2]s
    kubeProxyVersion: %[2]s
    containerRuntimeVersion: kwok-%[3]s
    kernelVersion: kwok-%[3]s
    osImage: kwok
`, n, k8sVersion, kwokVersion)
	}
	return b.String()
}

// nodeEnv is what tools/local-cluster/node-exec sources to run a command as if on the node.
func renderNodeEnv(c *config) string {
	return fmt.Sprintf("NODE_NETNS=%s\nNODE_PATH=%s\nCONTAINERD_ADDRESS=%s\nCONTAINER_RUNTIME_ENDPOINT=unix://%s\nCONTAINERD_NAMESPACE=k8s.io\nCRI_CONFIG_FILE=%s\n",
		c.netnsPath(), nodePath(c), c.containerdSock(), c.containerdSock(), c.path("crictl.yaml"))
}

// crictl looks for /etc/crictl.yaml first and warns on every call without one: give it ours.
func renderCrictlConfig(c *config) string {
	return fmt.Sprintf("runtime-endpoint: unix://%[1]s\nimage-endpoint: unix://%[1]s\ntimeout: 30\n", c.containerdSock())
}

// nodePath puts the node's binaries first: containerd finds its shim there, kube-proxy `nft`.
func nodePath(c *config) string {
	dirs := []string{c.partDir(partByName("containerd")), c.partDir(partByName("crictl")),
		c.partDir(partByName("kubectl")), "/usr/local/sbin", "/usr/local/bin", "/usr/sbin", "/usr/bin", "/sbin", "/bin"}
	return strings.Join(dirs, ":")
}

func writeFile(path, body string, perm os.FileMode) error {
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return err
	}
	return os.WriteFile(path, []byte(body), perm)
}
