package main

import (
	"context"
	"fmt"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"three-tier-app/toolkit"
)

// part is one row of the cluster: what is built (and how), and, for a process, in which modes it
// runs, where (the node netns or the host), with which arguments, how it proves it is ready, and
// when it stops. `up` walks the table in order, `down` by descending stop wave, `status` in order.
type part struct {
	name    string
	module  string   // build module, relative to tools/
	modPath string   // module whose required version names the build; "" = a hash of our sources
	bins    []binary // built into <cache>/<name>-<version>/
	ldflags func(c *config, version string) string
	// stamp makes bins[0] print its version, which must name the one it is cached under; nil: it
	// prints none (our own code, the CNI plugins, CoreDNS).
	stamp []string
	// extra writes what the build adds beside the binaries (extraFiles) into its directory.
	extra      func(ctx context.Context, c *config, p *part, dir string) error
	extraFiles []string
	modes      []mode // modes that run it as a process
	uses       []mode // modes that need it built without running it (clients, plugins, images)
	netns      bool   // started inside the node netns (nsenter --net, which keeps the mount namespace)
	exe        string // which of bins runs; default the first
	args       func(c *config) []string
	env        []string // added to the environment it starts with
	ready      func(ctx context.Context, c *config) error
	stop       int // stop wave: higher stops first
	// expected is how long a cold build takes on two cores (README's measured cold run), until this
	// machine records its own. The first Kubernetes binary (kube-apiserver) compiles most of
	// Kubernetes; the others reuse that work.
	expected time.Duration
}

type binary struct{ name, pkg string }

func (p *part) runsIn(m mode) bool { return slices.Contains(p.modes, m) }

func (p *part) neededIn(m mode) bool { return p.runsIn(m) || slices.Contains(p.uses, m) }

func (p *part) exeName() string {
	if p.exe != "" {
		return p.exe
	}
	return p.bins[0].name
}

func k8sBins(names ...string) []binary {
	var bs []binary
	for _, n := range names {
		bs = append(bs, binary{n, "k8s.io/kubernetes/cmd/" + n})
	}
	return bs
}

// k8sLdflags stamps the Kubernetes version: unstamped builds report v0.0.0-master, and the Pulumi
// Kubernetes provider then falls back to pre-1.24 await logic that hangs.
func k8sLdflags(_ *config, v string) string {
	minor := strings.Split(v, ".")[1]
	ld := "-s -w"
	for _, p := range []string{"k8s.io/component-base/version", "k8s.io/client-go/pkg/version"} {
		ld += fmt.Sprintf(" -X %[1]s.gitVersion=%[2]s -X %[1]s.gitMajor=1 -X %[1]s.gitMinor=%[3]s"+
			" -X %[1]s.gitTreeState=clean -X %[1]s.buildDate=1970-01-01T00:00:00Z -X %[1]s.gitCommit=unknown", p, v, minor)
	}
	return ld
}

var both = []mode{modeReal, modeKwok}

var versionFlag = []string{"--version"}

// parts is the table. Filled by init: its rows' functions look rows up again.
var parts []part

func init() { parts = table() }

func table() []part {
	return []part{
		{
			name: "etcd", module: "local-cluster/etcd", modPath: "go.etcd.io/etcd/server/v3",
			bins: []binary{{"etcd", "."}}, stamp: versionFlag,
			ldflags: func(c *config, v string) string { return "-s -w -X go.etcd.io/etcd/api/v3/version.GitSHA=" + v },
			modes:   both, netns: true, args: etcdArgs, ready: etcdReady, stop: 1,
			expected: time.Minute,
		},
		{
			name: "kube-apiserver", module: "local-cluster/kubernetes", modPath: "k8s.io/kubernetes",
			stamp: versionFlag, bins: k8sBins("kube-apiserver"), ldflags: k8sLdflags,
			modes: both, netns: true, args: apiserverArgs, ready: apiserverReady, stop: 2,
			expected: 4 * time.Minute,
		},
		{
			name: "kube-controller-manager", module: "local-cluster/kubernetes", modPath: "k8s.io/kubernetes",
			stamp: versionFlag, bins: k8sBins("kube-controller-manager"), ldflags: k8sLdflags,
			modes: both, netns: true, args: controllerManagerArgs, ready: healthzReady(kcmPort), stop: 3,
			expected: 70 * time.Second,
		},
		{
			name: "kube-scheduler", module: "local-cluster/kubernetes", modPath: "k8s.io/kubernetes",
			stamp: versionFlag, bins: k8sBins("kube-scheduler"), ldflags: k8sLdflags,
			modes: both, netns: true, args: schedulerArgs, ready: healthzReady(schedulerPort), stop: 3,
			expected: 20 * time.Second,
		},
		{
			name: "kubectl", module: "local-cluster/kubernetes", modPath: "k8s.io/kubernetes",
			stamp: []string{"version", "--client"}, bins: k8sBins("kubectl"), ldflags: k8sLdflags, uses: both,
			expected: 30 * time.Second,
		},
		{
			name: "kwok", module: "local-cluster/kwok", modPath: "sigs.k8s.io/kwok",
			bins: []binary{{"kwok", "sigs.k8s.io/kwok/cmd/kwok"}}, stamp: versionFlag,
			extra: writeKwokStages, extraFiles: []string{kwokStagesFile},
			ldflags: func(c *config, v string) string {
				return "-s -w -X sigs.k8s.io/kwok/pkg/consts.Version=" + strings.TrimPrefix(v, "v") +
					" -X sigs.k8s.io/kwok/pkg/consts.KubeVersion=" + strings.TrimPrefix(k8sVersion(c), "v")
			},
			modes: []mode{modeKwok}, args: kwokArgs, ready: kwokReady, stop: 4,
			expected: 2 * time.Minute,
		},
		{
			name: "cni-plugins", module: "local-cluster/cni", modPath: "github.com/containernetworking/plugins",
			bins: []binary{
				{"bridge", "github.com/containernetworking/plugins/plugins/main/bridge"},
				{"loopback", "github.com/containernetworking/plugins/plugins/main/loopback"},
				{"host-local", "github.com/containernetworking/plugins/plugins/ipam/host-local"},
				{"portmap", "github.com/containernetworking/plugins/plugins/meta/portmap"},
			},
			ldflags: func(*config, string) string { return "-s -w" }, uses: []mode{modeReal},
			expected: 20 * time.Second,
		},
		{
			name: "crictl", module: "local-cluster/crictl", modPath: "sigs.k8s.io/cri-tools",
			bins:     []binary{{"crictl", "sigs.k8s.io/cri-tools/cmd/crictl"}},
			stamp:    versionFlag,
			ldflags:  func(c *config, v string) string { return "-s -w -X sigs.k8s.io/cri-tools/pkg/version.Version=" + v },
			uses:     []mode{modeReal},
			expected: 30 * time.Second,
		},
		{
			// The pause image's tarball, which containerd imports once it is ready: the sandbox image it
			// pins is there before anything is pulled. The app's images come from the registry.
			name: "images", module: "images",
			bins:    []binary{{"images", "."}},
			ldflags: func(*config, string) string { return "-s -w" }, uses: []mode{modeReal},
			expected: 10 * time.Second,
		},
		{
			// The cluster's image registry (plain HTTP on the node IP, or loopback in kwok mode): the Pulumi
			// program pushes the app's images to it and the node's containerd pulls them by digest
			// (hosts.toml). Up before containerd and the kubelet, which pull from it; stops after them.
			name: "registry", module: "local-cluster/registry", modPath: "github.com/distribution/distribution/v3",
			bins:  []binary{{"registry", "github.com/distribution/distribution/v3/cmd/registry"}},
			stamp: versionFlag,
			ldflags: func(c *config, v string) string {
				return "-s -w -X github.com/distribution/distribution/v3/version.version=" + v
			},
			// It would export a trace of every request to an OTLP collector on localhost:4318 otherwise.
			env:   []string{"OTEL_TRACES_EXPORTER=none"},
			modes: both, netns: true, args: registryArgs, ready: registryReady, stop: 4,
			expected: time.Minute,
		},
		{
			name: "containerd", module: "local-cluster/containerd", modPath: "github.com/containerd/containerd/v2",
			bins: []binary{
				{"containerd", "github.com/containerd/containerd/v2/cmd/containerd"},
				{"containerd-shim-runc-v2", "github.com/containerd/containerd/v2/cmd/containerd-shim-runc-v2"},
				{"ctr", "github.com/containerd/containerd/v2/cmd/ctr"},
			},
			stamp: versionFlag,
			ldflags: func(c *config, v string) string {
				return "-s -w -X github.com/containerd/containerd/v2/version.Version=" + v
			},
			modes: []mode{modeReal}, netns: true, args: containerdArgs, ready: containerdReady, stop: 5,
			expected: 80 * time.Second,
		},
		{
			name: "kubelet", module: "local-cluster/kubernetes", modPath: "k8s.io/kubernetes",
			stamp: versionFlag, bins: k8sBins("kubelet"), ldflags: k8sLdflags,
			modes: []mode{modeReal}, netns: true, args: kubeletArgs, ready: kubeletReady, stop: 6,
			expected: 30 * time.Second,
		},
		{
			name: "kube-proxy", module: "local-cluster/kubernetes", modPath: "k8s.io/kubernetes",
			stamp: versionFlag, bins: k8sBins("kube-proxy"), ldflags: k8sLdflags,
			modes: []mode{modeReal}, netns: true, args: kubeProxyArgs, ready: kubeProxyReady, stop: 7,
			expected: 20 * time.Second,
		},
		{
			name: "coredns", module: "local-cluster/coredns", modPath: "github.com/coredns/coredns",
			bins:    []binary{{"coredns", "."}},
			ldflags: func(*config, string) string { return "-s -w" },
			modes:   []mode{modeReal}, netns: true, args: corednsArgs, ready: corednsReady, stop: 7,
			expected: 90 * time.Second,
		},
		{
			// The hostPath provisioner makes PV directories 0750 root, which no fsGroup reaches.
			name: "pv-dirs", module: "local-cluster",
			bins:    []binary{{"local-cluster", "."}},
			ldflags: func(*config, string) string { return "-s -w" },
			modes:   []mode{modeReal}, args: pvDirsArgs, ready: runningReady("pv-dirs"), stop: 7,
			expected: 10 * time.Second,
		},
		{
			name: "netpol", module: "netpol",
			bins:    []binary{{"netpol", "."}},
			ldflags: func(*config, string) string { return "-s -w" },
			modes:   []mode{modeReal}, netns: true, args: netpolArgs, ready: netpolReady, stop: 7,
			expected: 10 * time.Second,
		},
	}
}

func partByName(name string) *part {
	for i := range parts {
		if parts[i].name == name {
			return &parts[i]
		}
	}
	panic("no part " + name)
}

func k8sVersion(c *config) string { return mustVersion(c, partByName("kube-apiserver")) }

// processes are the parts that run in mode m, in start order.
func processes(m mode) []*part {
	var ps []*part
	for i := range parts {
		if parts[i].runsIn(m) {
			ps = append(ps, &parts[i])
		}
	}
	return ps
}

// stopWaves groups the processes of mode m by stop wave, highest first: clients before servers.
func stopWaves(m mode) [][]*part {
	byWave := map[int][]*part{}
	maxWave := 0
	for _, p := range processes(m) {
		byWave[p.stop] = append(byWave[p.stop], p)
		maxWave = max(maxWave, p.stop)
	}
	var waves [][]*part
	for w := maxWave; w > 0; w-- {
		if len(byWave[w]) > 0 {
			waves = append(waves, byWave[w])
		}
	}
	return waves
}

func (c *config) partDir(p *part) string {
	return toolkit.Entry(c.binCache, p.name, mustVersion(c, p))
}

func (c *config) binPath(p *part, bin string) string { return filepath.Join(c.partDir(p), bin) }
