package main

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"time"
)

// containerd: the node's container runtime, with Debian's runc, pulling from the registry part.
var containerd = &process{
	spec: spec{
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
		modes: []mode{modeReal}, wave: 5, files: containerdFiles,
		expected: 80 * time.Second,
	},
	netns: true, args: containerdArgs, draining: removePods, left: containerdLeftovers,
}

// Its readiness check and the pause image's import run its own ctr: set here, not in its row (which
// they would refer to).
func init() {
	containerd.check = containerdReady
	containerd.serving = importPauseImage
}

func containerdArgs(c *config) []string {
	return []string{"--config=" + c.path("containerd", "config.toml"), "--address=" + c.containerdSock()}
}

func ctrPath(c *config) string { return c.binPath(&containerd.spec, "ctr") }

func containerdReady(ctx context.Context, c *config) error {
	out, err := exec.CommandContext(ctx, ctrPath(c), "--address", c.containerdSock(), "version").CombinedOutput()
	if err != nil {
		return fmt.Errorf("ctr version: %v: %s", err, tail(string(out), 2))
	}
	return nil
}

// importPauseImage loads the sandbox image containerd pins (tools/images builds its tarball) into the
// node's containerd, as `kind load` does: every pod needs it, and it must not depend on anything
// having been pushed. The app's images are not imported: the Pulumi program pushes them to the
// registry part and containerd pulls them from there by digest.
func importPauseImage(ctx context.Context, cl *cluster) error {
	c := cl.config
	cmd := exec.CommandContext(ctx, c.binPath(&images.spec, "images"), "build", "pause")
	cmd.Stderr = os.Stderr
	out, err := cmd.Output()
	if err != nil {
		return fmt.Errorf("images build pause: %w", err)
	}
	f := strings.Fields(string(out))
	if len(f) != 2 || f[0] != pauseImage {
		return fmt.Errorf("images build pause printed %q, want %q and its tarball", out, pauseImage)
	}
	t0 := time.Now()
	if err := quiet(ctx, ctrPath(c), "--address", c.containerdSock(), "-n", "k8s.io", "images", "import",
		"--snapshotter", "overlayfs", f[1]); err != nil {
		return err
	}
	logf("imported %s in %s", pauseImage, since(t0))
	return nil
}

// removePods stops and removes every pod sandbox while containerd still runs, so that each one's
// CNI DEL releases its address and its mounts go.
func removePods(ctx context.Context, c *config) {
	ctx, cancel := context.WithTimeout(ctx, 60*time.Second)
	defer cancel()
	if err := quiet(ctx, c.binPath(&crictl.spec, "crictl"), "--config", c.path("crictl.yaml"), "rmp", "--all", "--force"); err != nil {
		logf("removing pods: %v", err)
	}
}

// containerdLeftovers: the container shims (their -address is our containerd socket), which outlive
// it, and the runtime dir their sockets and runc's state are mounted or kept under.
func containerdLeftovers(cl *cluster) leftovers {
	var pids []int
	entries, _ := os.ReadDir("/proc")
	for _, e := range entries {
		pid, err := strconv.Atoi(e.Name())
		if err != nil {
			continue
		}
		cmd, err := os.ReadFile(filepath.Join("/proc", e.Name(), "cmdline"))
		if err == nil && strings.Contains(string(cmd), "\x00"+cl.containerdSock()) {
			pids = append(pids, pid)
		}
	}
	sort.Ints(pids)
	return leftovers{pids: pids, mounts: []string{cl.runDir}}
}

func containerdFiles(c *config) map[string]string {
	return map[string]string{
		c.path("containerd", "config.toml"):                                 renderContainerdConfig(c),
		filepath.Join(c.registryHostsDir(), c.registryAddr(), "hosts.toml"): renderRegistryHosts(c),
	}
}

// runcPath is Debian's runc (the node check installs it when missing).
const runcPath = "/usr/sbin/runc"

func renderContainerdConfig(c *config) string {
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
		fmt.Sprintf("%q", c.partDir(&cniPlugins.spec)), c.path("cni", "net.d"), c.registryHostsDir())
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
