package main

import (
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"time"
)

func up(ctx context.Context, c *config) error {
	if st, err := readState(c); err == nil {
		c.mode = st.Mode
		if allHealthy(ctx, c) == nil {
			logf("already up (%s): kubeconfig %s", st.modeLine(), c.kubeconfig())
			fmt.Println("local-cluster: already up; KUBECONFIG=" + c.kubeconfig())
			return nil
		}
		logf("partially up: taking it down first")
		if err := down(ctx, c); err != nil {
			return err
		}
	}
	m, reason, err := chooseMode(ctx)
	if err != nil {
		return err
	}
	c.mode = m
	if m == modeKwok {
		if err := checkPorts(c); err != nil {
			return err
		}
	}
	var need []part
	for _, p := range parts {
		if p.neededIn(m) {
			need = append(need, p)
		}
	}
	if err := buildAll(ctx, c, need); err != nil {
		return err
	}
	t0 := time.Now()
	if err := makeStateDir(c); err != nil {
		return err
	}
	st := &state{Mode: m, Reason: reason}
	if err := st.save(c); err != nil {
		return err
	}
	if err := bringUp(ctx, c, st); err != nil {
		logf("up failed: taking down what started (logs kept in %s)", c.path("logs"))
		keep := filepath.Join(filepath.Dir(c.stateDir), "cluster-failed-logs")
		_ = os.RemoveAll(keep)
		_ = os.Rename(c.path("logs"), keep)
		if derr := down(context.WithoutCancel(ctx), c); derr != nil {
			logf("down after failed up: %v", derr)
		}
		return fmt.Errorf("%w (logs in %s)", err, keep)
	}
	logf("up in %s (after builds), mode %s: %s, kubeconfig %s (context %s)", since(t0), st.modeLine(), c.apiserverURL(), c.kubeconfig(), kubeContext)
	fmt.Println("local-cluster: up; KUBECONFIG=" + c.kubeconfig())
	return nil
}

func bringUp(ctx context.Context, c *config, st *state) error {
	if err := makePKI(c); err != nil {
		return err
	}
	if err := writeConfigs(c); err != nil {
		return err
	}
	if err := recordPaths(c, st); err != nil {
		return err
	}
	if c.mode == modeReal {
		if err := prepareHost(ctx, c, st); err != nil {
			return err
		}
	}
	for _, p := range processes(c.mode) {
		if err := start(c, p); err != nil {
			return err
		}
		if err := waitReady(ctx, c, p); err != nil {
			return err
		}
		if err := afterReady(ctx, c, p); err != nil {
			return err
		}
	}
	return waitUsable(ctx, c)
}

// afterReady hooks a step to the part it depends on: objects once the API serves, the pause image
// once containerd does.
func afterReady(ctx context.Context, c *config, p *part) error {
	switch p.name {
	case "kube-apiserver":
		manifest := storageClassManifest
		if c.mode == modeReal {
			manifest += "---\n" + renderDNSManifest()
		} else {
			manifest += renderFakeNodes(k8sVersion(c), mustVersion(c, partByName("kwok")))
		}
		// readyz can answer before the system namespaces exist: retry a little.
		var err error
		for range 20 {
			if _, err = kubectl(ctx, c, manifest, "apply", "-f", "-"); err == nil {
				return nil
			}
			time.Sleep(500 * time.Millisecond)
		}
		return err
	case "containerd":
		return importPauseImage(ctx, c)
	}
	return nil
}

func writeConfigs(c *config) error {
	ca, err := os.ReadFile(c.pki("ca.crt"))
	if err != nil {
		return err
	}
	files := map[string]string{
		c.kubeconfig():                   renderKubeconfig(c.apiserverURL(), ca, kubeconfigUser{token: adminToken(c)}),
		c.path("registry", "config.yml"): renderRegistryConfig(c),
	}
	if c.mode == modeReal {
		files[c.path("kubelet", "kubeconfig")] = renderKubeconfig(c.apiserverURL(), ca,
			kubeconfigUser{cert: c.pki("kubelet.crt"), key: c.pki("kubelet.key")})
		files[c.path("kube-proxy", "kubeconfig")] = renderKubeconfig(c.apiserverURL(), ca,
			kubeconfigUser{cert: c.pki("kube-proxy.crt"), key: c.pki("kube-proxy.key")})
		files[c.path("containerd", "config.toml")] = renderContainerdConfig(c)
		files[filepath.Join(c.registryHostsDir(), c.registryAddr(), "hosts.toml")] = renderRegistryHosts(c)
		files[c.path("cni", "net.d", "10-"+cniNetwork+".conflist")] = renderCNIConfig(c)
		files[c.path("kubelet", "config.yaml")] = renderKubeletConfig(c)
		files[c.path("kubelet", "resolv.conf")] = "# No upstream resolver: nothing may leave the node netns.\n"
		files[c.path("kube-proxy", "config.yaml")] = renderKubeProxyConfig(c)
		files[c.path("coredns", "Corefile")] = renderCorefile(c)
		files[c.path("node.env")] = renderNodeEnv(c)
		files[c.path("crictl.yaml")] = renderCrictlConfig(c)
	}
	for path, body := range files {
		if err := writeFile(path, body, 0o600); err != nil {
			return err
		}
	}
	return nil
}

// importPauseImage loads the sandbox image containerd pins (tools/images builds its tarball) into the
// node's containerd, as `kind load` does: every pod needs it, and it must not depend on anything
// having been pushed. The app's images are not imported: the Pulumi program pushes them to the
// registry part and containerd pulls them from there by digest.
func importPauseImage(ctx context.Context, c *config) error {
	cmd := exec.CommandContext(ctx, c.binPath(partByName("images"), "images"), "build", "pause")
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
	ctr := c.binPath(partByName("containerd"), "ctr")
	if err := quiet(ctx, ctr, "--address", c.containerdSock(), "-n", "k8s.io", "images", "import",
		"--snapshotter", "overlayfs", f[1]); err != nil {
		return err
	}
	logf("imported %s in %s", pauseImage, since(t0))
	return nil
}

// waitUsable: the node (or the fake nodes) Ready, and the default ServiceAccount and root CA made.
func waitUsable(ctx context.Context, c *config) error {
	want := "True "
	selector := "kubernetes.io/hostname=" + nodeName
	if c.mode == modeKwok {
		want, selector = strings.Repeat("True ", len(fakeNodes)), "type=kwok"
	}
	deadline := time.Now().Add(c.startTimeout)
	for {
		out, err := kubectl(ctx, c, "", "get", "nodes", "-l", selector, "-o",
			`jsonpath={range .items[*]}{.status.conditions[?(@.type=="Ready")].status}{" "}{end}`)
		if err == nil && out == want {
			if _, err = kubectl(ctx, c, "", "-n", "default", "get", "serviceaccount/default", "configmap/kube-root-ca.crt"); err == nil {
				logf("nodes Ready (%s)", selector)
				return nil
			}
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("cluster not usable after %s (nodes %s Ready: %q; %v)", c.startTimeout, selector, out, err)
		}
		time.Sleep(500 * time.Millisecond)
	}
}

// checkPorts: in kwok mode the control plane binds loopback, which others may use.
func checkPorts(c *config) error {
	for _, port := range []int{apiserverPort, etcdPort, etcdPeerPort, kcmPort, schedulerPort, kwokPort, registryPort} {
		l, err := net.Listen("tcp", hostPort(c, port))
		if err != nil {
			return fmt.Errorf("port %s is in use: %w", hostPort(c, port), err)
		}
		l.Close()
	}
	return nil
}

func down(ctx context.Context, c *config) error {
	st, err := readState(c)
	if err != nil {
		if !fileExists(c.stateDir) {
			logf("not up; nothing to do")
			return nil
		}
		return fmt.Errorf("%s has no readable state (%w); not guessing what to undo", c.stateDir, err)
	}
	c.mode = st.Mode
	t0 := time.Now()
	for _, wave := range stopWaves(st.Mode) {
		for _, p := range wave {
			if p.name == "containerd" && pidOf(c, p) > 0 {
				removePods(ctx, c)
			}
		}
		stopParts(c, wave)
	}
	var errs []error
	if st.Mode == modeReal {
		errs = append(errs, undoHost(c, st))
	}
	for p, snap := range st.Paths {
		errs = append(errs, restorePath(p, snap))
	}
	errs = append(errs, removeStateDir(c))
	if err := errors.Join(errs...); err != nil {
		return err
	}
	logf("down in %s", since(t0))
	return nil
}

// removePods stops and removes every pod sandbox while containerd still runs, so that each one's
// CNI DEL releases its address and its mounts go.
func removePods(ctx context.Context, c *config) {
	crictl := c.binPath(partByName("crictl"), "crictl")
	ctx, cancel := context.WithTimeout(ctx, 60*time.Second)
	defer cancel()
	if err := quiet(ctx, crictl, "--config", c.path("crictl.yaml"), "rmp", "--all", "--force"); err != nil {
		logf("removing pods: %v", err)
	}
}

// undoHost reverses prepareHost and whatever the node's components left: processes, mounts, the
// netns, cgroups, sysctls and new entries under the fixed paths.
func undoHost(c *config, st *state) error {
	var errs []error
	for _, pid := range leftovers(c, st) {
		logf("killing leftover pid %d (a shim or container of this node)", pid)
		_ = syscall.Kill(pid, syscall.SIGKILL)
	}
	waitGone(5*time.Second, pidMap(leftovers(c, st)))
	roots := []string{c.stateDir, c.runDir, c.netnsPath()}
	for p, snap := range st.Paths {
		if !snap.Existed {
			roots = append(roots, p)
		}
	}
	errs = append(errs, unmountAll(roots...))
	if st.Netns {
		ctx := context.Background()
		for _, r := range hostRoutes {
			_ = quiet(ctx, "ip", "route", "del", r, "via", nodeIP, "dev", hostLink)
		}
		if fileExists(c.netnsPath()) {
			errs = append(errs, quiet(ctx, "ip", "netns", "delete", netnsName))
		}
		// Deleting the netns takes the veth pair with it, asynchronously: wait for that before deleting the
		// host end by hand, and count a failed delete only if the link is still there after it.
		hostLinkPath := filepath.Join("/sys/class/net", hostLink)
		for deadline := time.Now().Add(5 * time.Second); fileExists(hostLinkPath) && time.Now().Before(deadline); {
			time.Sleep(100 * time.Millisecond)
		}
		if fileExists(hostLinkPath) {
			if err := quiet(ctx, "ip", "link", "delete", hostLink); err != nil && fileExists(hostLinkPath) {
				errs = append(errs, err)
			}
		}
	}
	for _, cg := range st.Cgroups {
		errs = append(errs, removeCgroup(cg))
	}
	for k, v := range st.Sysctls {
		errs = append(errs, os.WriteFile("/proc/sys/"+k, []byte(v), 0o644))
	}
	return errors.Join(errs...)
}

func pidMap(pids []int) map[string]int {
	m := map[string]int{}
	for _, pid := range pids {
		m[fmt.Sprint(pid)] = pid
	}
	return m
}

// allHealthy: every process of the mode runs and passes its readiness check.
func allHealthy(ctx context.Context, c *config) error {
	for _, p := range processes(c.mode) {
		if pidOf(c, p) == 0 {
			return fmt.Errorf("%s is not running", p.name)
		}
		if err := p.ready(ctx, c); err != nil {
			return fmt.Errorf("%s: %w", p.name, err)
		}
	}
	return nil
}

func status(ctx context.Context, c *config) error {
	st, err := readState(c)
	if err != nil {
		fmt.Printf("%-24s down (no state in %s)\n", "cluster", c.stateDir)
		return errors.New("not up")
	}
	fmt.Printf("%-24s %s\n", "mode", st.modeLine())
	failed := 0
	for _, p := range processes(st.Mode) {
		pid := pidOf(c, p)
		where := "host"
		if p.netns && st.Mode == modeReal {
			where = "netns " + netnsName
		}
		switch {
		case pid == 0:
			fmt.Printf("%-24s down\n", p.name)
			failed++
		case p.ready(ctx, c) != nil:
			fmt.Printf("%-24s up    pid %-8d unhealthy (%s)\n", p.name, pid, where)
			failed++
		default:
			fmt.Printf("%-24s up    pid %-8d healthy (%s)\n", p.name, pid, where)
		}
	}
	fmt.Printf("%-24s %s (context %s)\n", "kubeconfig", c.kubeconfig(), kubeContext)
	if failed > 0 {
		return fmt.Errorf("%d component(s) down or unhealthy", failed)
	}
	return nil
}
