package main

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// Global sysctls the kubelet sets at start (kernel.panic=10, panic_on_oops=1, overcommit_memory=1).
var globalSysctls = []string{"kernel/panic", "kernel/panic_on_oops", "vm/overcommit_memory"}

// fixedPaths are written by components whatever their config says: the CNI result cache
// (/var/lib/cni), the kubelet's device-plugin and pod-resources sockets, container log links,
// and the controller-manager's hostPath provisioner (PV data,
// in both modes).
var fixedPaths = []string{"/var/lib/cni", "/var/lib/kubelet", "/var/log/containers", hostpathPVDir}

const hostpathPVDir = "/tmp/hostpath_pv"

// recordPaths snapshots the fixed paths the mode writes (and our runtime dir, which must not exist).
func recordPaths(c *config, st *state) error {
	paths := []string{hostpathPVDir}
	if c.mode == modeReal {
		paths = append(fixedPaths, c.runDir)
	}
	st.Paths = map[string]*pathSnapshot{}
	for _, p := range paths {
		st.Paths[p] = snapshot(p)
	}
	if s := st.Paths[c.runDir]; s != nil && s.Existed {
		return fmt.Errorf("%s exists: another node is running or was not taken down", c.runDir)
	}
	return st.save(c)
}

// hostRoutes send the pod and Service CIDRs into the node, and nowhere else.
var hostRoutes = []string{podCIDR, serviceCIDR}

// prepareHost records, then makes, the host side of the node: sysctls as they are,
// the netns joined by one veth pair with the host routes, and the kubelet's cgroup root.
func prepareHost(ctx context.Context, c *config, st *state) error {
	st.Sysctls = map[string]string{}
	for _, k := range globalSysctls {
		b, err := os.ReadFile("/proc/sys/" + k)
		if err != nil {
			return err
		}
		st.Sysctls[k] = strings.TrimSpace(string(b))
	}
	st.Netns = true
	if err := st.save(c); err != nil {
		return err
	}
	if err := os.MkdirAll(c.runDir, 0o755); err != nil {
		return err
	}
	if err := makeNetns(ctx); err != nil {
		return err
	}
	return makeCgroups(c, st)
}

func makeNetns(ctx context.Context) error {
	inNode := func(args ...string) []string { return append([]string{"ip", "-n", netnsName}, args...) }
	steps := [][]string{
		{"ip", "netns", "add", netnsName},
		{"ip", "link", "add", hostLink, "type", "veth", "peer", "name", nodeLink, "netns", netnsName},
		{"ip", "addr", "add", fmt.Sprintf("%s/%d", hostIP, linkPrefix), "dev", hostLink},
		{"ip", "link", "set", hostLink, "up"},
		inNode("addr", "add", fmt.Sprintf("%s/%d", nodeIP, linkPrefix), "dev", nodeLink),
		inNode("link", "set", nodeLink, "up"),
		inNode("link", "set", "lo", "up"),
		// Pod → Service → pod on the same bridge: the reply must pass conntrack to be un-DNATed.
		{"ip", "netns", "exec", netnsName, "sysctl", "-qw", "net.bridge.bridge-nf-call-iptables=1"},
	}
	for _, r := range hostRoutes {
		steps = append(steps, []string{"ip", "route", "add", r, "via", nodeIP, "dev", hostLink})
	}
	for _, s := range steps {
		if err := quiet(ctx, s[0], s[1:]...); err != nil {
			return err
		}
	}
	return nil
}

// cgroupHierarchies are the mounted cgroup hierarchies (v1 controllers, named ones, and cgroup2):
// runc creates a container's cgroup in every one of them.
func cgroupHierarchies() ([]string, error) {
	f, err := os.Open("/proc/mounts")
	if err != nil {
		return nil, err
	}
	defer f.Close()
	var hs []string
	s := bufio.NewScanner(f)
	for s.Scan() {
		fields := strings.Fields(s.Text())
		if len(fields) >= 3 && (fields[2] == "cgroup" || fields[2] == "cgroup2") {
			hs = append(hs, fields[1])
		}
	}
	return hs, s.Err()
}

func makeCgroups(c *config, st *state) error {
	hs, err := cgroupHierarchies()
	if err != nil {
		return err
	}
	for _, h := range hs {
		dir := filepath.Join(h, cgroupRoot)
		if fileExists(dir) {
			return fmt.Errorf("cgroup %s exists: another node is running or was not taken down", dir)
		}
		st.Cgroups = append(st.Cgroups, dir)
		if err := st.save(c); err != nil {
			return err
		}
		if err := os.Mkdir(dir, 0o755); err != nil {
			return err
		}
		// A cpuset cgroup admits no task until it has cpus and mems: inherit the parent's.
		for _, f := range []string{"cpuset.cpus", "cpuset.mems"} {
			if b, err := os.ReadFile(filepath.Join(h, f)); err == nil && filepath.Base(h) == "cpuset" {
				if err := os.WriteFile(filepath.Join(dir, f), b, 0o644); err != nil {
					return err
				}
			}
		}
	}
	return nil
}

// mountsUnder lists the mount points at or under any of the roots, last mounted first.
func mountsUnder(roots ...string) ([]string, error) {
	b, err := os.ReadFile("/proc/self/mountinfo")
	if err != nil {
		return nil, err
	}
	var ms []string
	for _, line := range strings.Split(string(b), "\n") {
		f := strings.Fields(line)
		if len(f) < 5 {
			continue
		}
		mp := unescapeMount(f[4])
		for _, r := range roots {
			if mp == r || strings.HasPrefix(mp, r+"/") {
				ms = append(ms, mp)
				break
			}
		}
	}
	for i, j := 0, len(ms)-1; i < j; i, j = i+1, j-1 {
		ms[i], ms[j] = ms[j], ms[i]
	}
	return ms, nil
}

func unescapeMount(s string) string {
	r := strings.NewReplacer(`\040`, " ", `\011`, "\t", `\012`, "\n", `\134`, `\`)
	return r.Replace(s)
}

// unmountAll unmounts every mount under the roots, detaching a busy one.
func unmountAll(roots ...string) error {
	for range 3 { // a bind mount can be stacked on itself (the kubelet's root dir)
		ms, err := mountsUnder(roots...)
		if err != nil || len(ms) == 0 {
			return err
		}
		for _, m := range ms {
			if err := syscall.Unmount(m, 0); err != nil {
				_ = syscall.Unmount(m, syscall.MNT_DETACH)
			}
		}
	}
	ms, err := mountsUnder(roots...)
	if err == nil && len(ms) > 0 {
		err = fmt.Errorf("still mounted: %s", strings.Join(ms, ", "))
	}
	return err
}

// cgroupProcs lists the pids left in a cgroup tree.
func cgroupProcs(root string) []int {
	var pids []int
	_ = filepath.WalkDir(root, func(p string, d os.DirEntry, err error) error {
		if err != nil || d.IsDir() || d.Name() != "cgroup.procs" {
			return nil
		}
		b, _ := os.ReadFile(p)
		for _, l := range strings.Fields(string(b)) {
			if pid, err := strconv.Atoi(l); err == nil {
				pids = append(pids, pid)
			}
		}
		return nil
	})
	return pids
}

// removeCgroup removes a cgroup tree, deepest first (cgroups go by rmdir, not by their files).
func removeCgroup(root string) error {
	var dirs []string
	_ = filepath.WalkDir(root, func(p string, d os.DirEntry, err error) error {
		if err == nil && d.IsDir() {
			dirs = append(dirs, p)
		}
		return nil
	})
	sort.Slice(dirs, func(i, j int) bool { return len(dirs[i]) > len(dirs[j]) })
	var errs []error
	for _, d := range dirs {
		if err := syscall.Rmdir(d); err != nil && !errors.Is(err, syscall.ENOENT) {
			errs = append(errs, fmt.Errorf("rmdir %s: %w", d, err))
		}
	}
	return errors.Join(errs...)
}

// leftovers finds processes started, directly or not, by this cluster that outlived their parent:
// container shims (their -address is our containerd socket) and anything in our cgroups.
func leftovers(c *config, st *state) []int {
	seen := map[int]bool{}
	for _, cg := range st.Cgroups {
		for _, pid := range cgroupProcs(cg) {
			seen[pid] = true
		}
	}
	entries, _ := os.ReadDir("/proc")
	for _, e := range entries {
		pid, err := strconv.Atoi(e.Name())
		if err != nil {
			continue
		}
		cmd, err := os.ReadFile(filepath.Join("/proc", e.Name(), "cmdline"))
		if err == nil && strings.Contains(string(cmd), "\x00"+c.containerdSock()) {
			seen[pid] = true
		}
	}
	var pids []int
	for pid := range seen {
		pids = append(pids, pid)
	}
	sort.Ints(pids)
	return pids
}

// keepPVDirsWritable opens each new PV directory of the in-tree hostPath provisioner to every
// user: it makes them 0750 root, and hostPath volumes ignore a pod's fsGroup, so Redis (uid 10999,
// restricted Pod Security) could not write its data. Runs until cancelled.
func keepPVDirsWritable(ctx context.Context, dir string) error {
	for {
		entries, _ := os.ReadDir(dir)
		for _, e := range entries {
			info, err := e.Info()
			if err == nil && e.IsDir() && info.Mode().Perm() != 0o777 {
				p := filepath.Join(dir, e.Name())
				if err := os.Chmod(p, 0o777); err != nil {
					return err
				}
				fmt.Println("made writable:", p)
			}
		}
		select {
		case <-ctx.Done():
			return nil
		case <-time.After(300 * time.Millisecond):
		}
	}
}
