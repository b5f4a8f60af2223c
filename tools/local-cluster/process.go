package main

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// process is a part that runs: started detached, recorded by pid file, ready when its check passes,
// stopped by signal.
type process struct {
	spec
	netns bool   // started inside the node netns (nsenter --net, which keeps the mount namespace)
	exe   string // which of bins runs; default the first
	args  func(c *config) []string
	env   []string // added to the environment it starts with
	// check answers nil once it serves; nil: it is ready while it runs.
	check func(ctx context.Context, c *config) error
	// serving runs once it is ready (what needs it up: objects in the API, an imported image).
	serving func(ctx context.Context, cl *cluster) error
	// draining runs before it is stopped, while it still runs.
	draining func(ctx context.Context, c *config)
	// left is what it may leave running or mounted.
	left func(cl *cluster) leftovers
}

func (p *process) exeName() string {
	if p.exe != "" {
		return p.exe
	}
	return p.bins[0].name
}

func (p *process) start(ctx context.Context, cl *cluster) error {
	if err := launch(cl.config, p); err != nil {
		return err
	}
	if err := waitReady(ctx, cl.config, p); err != nil {
		return err
	}
	if p.serving != nil {
		return p.serving(ctx, cl)
	}
	return nil
}

func (p *process) ready(ctx context.Context, c *config) error {
	if p.check != nil {
		return p.check(ctx, c)
	}
	if pidOf(c, p) == 0 {
		return fmt.Errorf("%s is not running", p.name)
	}
	return nil
}

// health: it runs and passes its readiness check.
func (p *process) health(ctx context.Context, cl *cluster) error {
	if pidOf(cl.config, p) == 0 {
		return fmt.Errorf("%s is not running", p.name)
	}
	if err := p.ready(ctx, cl.config); err != nil {
		return fmt.Errorf("%s: %w", p.name, err)
	}
	return nil
}

// stop sends SIGTERM, waits, then SIGKILLs (the parts of a wave stop at once).
func (p *process) stop(ctx context.Context, cl *cluster) error {
	c := cl.config
	pid := pidOf(c, p)
	if pid == 0 {
		_ = os.Remove(c.pidFile(p.name))
		return nil
	}
	if p.draining != nil {
		p.draining(ctx, c)
	}
	_ = syscall.Kill(pid, syscall.SIGTERM)
	pids := map[string]int{p.name: pid}
	waitGone(c.stopTimeout, pids)
	if alive(pid) {
		logf("%s (pid %d) did not stop within %s; sending SIGKILL", p.name, pid, c.stopTimeout)
		_ = syscall.Kill(pid, syscall.SIGKILL)
	}
	waitGone(5*time.Second, pids)
	logf("stopped %s (pid %d)", p.name, pid)
	_ = os.Remove(c.pidFile(p.name))
	return nil
}

func (p *process) leftovers(cl *cluster) leftovers {
	if p.left != nil {
		return p.left(cl)
	}
	return leftovers{}
}

func (c *config) pidFile(name string) string { return c.path("pids", name+".pid") }

// pidOf returns the recorded pid of a process if it still runs and is ours: it runs the binary
// recorded with the pid (guards against pid reuse; recorded, because a part built from our own
// sources may have a new path by the time `down` runs). 0 otherwise.
func pidOf(c *config, p *process) int {
	b, err := os.ReadFile(c.pidFile(p.name))
	if err != nil {
		return 0
	}
	pidText, bin, _ := strings.Cut(strings.TrimSpace(string(b)), "\n")
	pid, err := strconv.Atoi(pidText)
	if err != nil || pid <= 0 {
		return 0
	}
	cmdline, err := os.ReadFile(fmt.Sprintf("/proc/%d/cmdline", pid))
	if err != nil {
		return 0
	}
	if argv0, _, _ := strings.Cut(string(cmdline), "\x00"); argv0 != bin {
		return 0
	}
	return pid
}

// launch runs a process in its own session, detached (it outlives this program), logging to its
// file. A node part is started through `nsenter --net`, which execs it in place: the pid stays its
// own, and it keeps the host's mount namespace (`ip netns exec` remounts /sys, and the kubelet then
// finds no cgroup mounts).
func launch(c *config, p *process) error {
	bin := c.binPath(&p.spec, p.exeName())
	argv := append([]string{bin}, p.args(c)...)
	if p.netns && c.mode == modeReal {
		argv = append([]string{"nsenter", "--net=" + c.netnsPath(), "--"}, argv...)
	}
	logf("starting %s", p.name)
	out, err := os.OpenFile(c.logFile(p.name), os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
	if err != nil {
		return err
	}
	defer out.Close()
	cmd := exec.Command(argv[0], argv[1:]...)
	cmd.Stdout, cmd.Stderr = out, out
	cmd.Env = append(append(os.Environ(), "PATH="+nodePath(c)), p.env...)
	cmd.SysProcAttr = &syscall.SysProcAttr{Setsid: true}
	if err := cmd.Start(); err != nil {
		return fmt.Errorf("starting %s: %w", p.name, err)
	}
	pid := cmd.Process.Pid
	if err := cmd.Process.Release(); err != nil {
		return err
	}
	return os.WriteFile(c.pidFile(p.name), []byte(fmt.Sprintf("%d\n%s\n", pid, bin)), 0o644)
}

// waitReady polls the readiness check until it passes, the process dies, or time is up.
func waitReady(ctx context.Context, c *config, p *process) error {
	deadline := time.Now().Add(c.startTimeout)
	time.Sleep(200 * time.Millisecond) // nsenter has exec'd the part by then: pidOf knows it
	for {
		err := p.ready(ctx, c)
		if err == nil {
			logf("%s is ready (pid %d)", p.name, pidOf(c, p))
			return nil
		}
		logTail := func() string {
			b, _ := os.ReadFile(c.logFile(p.name))
			return tail(string(b), 25)
		}
		if pidOf(c, p) == 0 {
			return fmt.Errorf("%s exited during start-up (log %s):\n%s", p.name, c.logFile(p.name), logTail())
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("%s not ready after %s: %v (log %s):\n%s", p.name, c.startTimeout, err, c.logFile(p.name), logTail())
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(500 * time.Millisecond):
		}
	}
}

func alive(pid int) bool {
	// A zombie still answers kill -0; it has exited all the same.
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return false
	}
	s := string(b)
	i := strings.LastIndexByte(s, ')')
	return i < 0 || i+2 >= len(s) || s[i+2] != 'Z'
}

func waitGone(d time.Duration, pids map[string]int) {
	deadline := time.Now().Add(d)
	for time.Now().Before(deadline) {
		n := 0
		for _, pid := range pids {
			if alive(pid) {
				n++
			}
		}
		if n == 0 {
			return
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// nodePath puts the node's binaries first: containerd finds its shim there, kube-proxy `nft`.
func nodePath(c *config) string {
	dirs := []string{c.partDir(&containerd.spec), c.partDir(&crictl.spec),
		c.partDir(&kubectlTool.spec), "/usr/local/sbin", "/usr/local/bin", "/usr/sbin", "/usr/bin", "/sbin", "/bin"}
	return strings.Join(dirs, ":")
}
