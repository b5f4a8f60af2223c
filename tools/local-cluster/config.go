package main

import (
	"fmt"
	"os"
	"path/filepath"
	"time"

	"three-tier-app/shared"
)

// The cluster's fixed network design (README, "Local cluster"): the node lives in its own network
// namespace joined to the host by one veth pair; pod and Service CIDRs exist only in there.
const (
	netnsName      = "three-tier-node"
	nodeName       = "three-tier-node"
	hostLink       = "tt-host"
	nodeLink       = "tt-node"
	hostIP         = "172.31.255.1"
	nodeIP         = "172.31.255.2"
	linkPrefix     = 30
	podCIDR        = "10.244.0.0/16"
	nodePodCIDR    = "10.244.0.0/24"
	serviceCIDR    = "10.96.0.0/12"
	apiServiceIP   = "10.96.0.1"
	dnsServiceIP   = "10.96.0.10"
	clusterDomain  = "cluster.local"
	kubeContext    = "three-tier-local"
	cniNetwork     = "three-tier-node"
	cgroupRoot     = "three-tier-node"
	pauseImage     = "localhost/three-tier-app/pause:3.10"
	netpolTable    = "three_tier_netpol"
	loopback       = "127.0.0.1"
	stateMarker    = ".three-tier-local-cluster"
	runtimeDirName = "three-tier-node" // under /run: sockets whose paths must stay short
)

// Ports, the same in both modes; in real mode they are bound to the node IP inside the netns.
const (
	apiserverPort  = 16443
	etcdPort       = 12379
	etcdPeerPort   = 12380
	kcmPort        = 16257
	schedulerPort  = 16259
	kwokPort       = 16247
	kubeletPort    = 10250
	kubeletHealthz = 10248
	proxyHealthz   = 10256
	proxyMetrics   = 10249
	dnsHealthPort  = 18080
	dnsReadyPort   = 18181
	registryPort   = 5000
)

type mode string

const (
	modeReal mode = "real"
	modeKwok mode = "kwok"
)

type config struct {
	repo         string
	stateDir     string
	binCache     string
	runDir       string
	mode         mode // set by up (checks) or read back from the state
	startTimeout time.Duration
	stopTimeout  time.Duration
	rebuild      bool
}

func newConfig(repo string) (*config, error) {
	abs, err := filepath.Abs(repo)
	if err != nil {
		return nil, err
	}
	if _, err := os.Stat(filepath.Join(abs, "tools", "local-cluster", "go.mod")); err != nil {
		return nil, fmt.Errorf("--repo %s: no tools/local-cluster/go.mod there", abs)
	}
	cacheRoot, err := shared.CacheRoot()
	if err != nil {
		return nil, err
	}
	c := &config{
		repo:     abs,
		stateDir: envOr("LOCAL_CLUSTER_DIR", filepath.Join(cacheRoot, "cluster")),
		binCache: envOr("LOCAL_CLUSTER_BIN_CACHE", filepath.Join(cacheRoot, "local-cluster-bin")),
		runDir:   filepath.Join("/run", runtimeDirName),
		rebuild:  os.Getenv("LOCAL_CLUSTER_REBUILD") == "1",
	}
	c.stateDir = filepath.Clean(c.stateDir)
	if c.startTimeout, err = envSeconds("LOCAL_CLUSTER_START_TIMEOUT", 180); err != nil {
		return nil, err
	}
	if c.stopTimeout, err = envSeconds("LOCAL_CLUSTER_STOP_TIMEOUT", 15); err != nil {
		return nil, err
	}
	if st, err := readState(c); err == nil {
		c.mode = st.Mode
	}
	return c, nil
}

func envOr(name, def string) string {
	if v := os.Getenv(name); v != "" {
		return v
	}
	return def
}

// host is the address every component binds and every client dials.
func (c *config) host() string {
	if c.mode == modeReal {
		return nodeIP
	}
	return loopback
}

func (c *config) path(elem ...string) string {
	return filepath.Join(append([]string{c.stateDir}, elem...)...)
}

func (c *config) pki(name string) string  { return c.path("pki", name) }
func (c *config) kubeconfig() string      { return c.path("kubeconfig") }
func (c *config) logFile(n string) string { return c.path("logs", n+".log") }
func (c *config) containerdSock() string  { return filepath.Join(c.runDir, "containerd.sock") }
func (c *config) netnsPath() string       { return filepath.Join("/run/netns", netnsName) }
func (c *config) apiserverURL() string {
	return fmt.Sprintf("https://%s:%d", c.host(), apiserverPort)
}

// registryHostsDir is containerd's registry config_path: <host:port>/hosts.toml under it.
func (c *config) registryHostsDir() string { return c.path("containerd", "certs.d") }

// registryAddr is where images are pushed and pulled: the node IP in real mode, loopback in kwok mode.
func (c *config) registryAddr() string { return hostPort(c, registryPort) }

func hostPort(c *config, port int) string { return fmt.Sprintf("%s:%d", c.host(), port) }
