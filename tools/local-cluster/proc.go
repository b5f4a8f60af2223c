package main

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"syscall"
	"time"
)

func (c *config) pidFile(name string) string { return c.path("pids", name+".pid") }

// pidOf returns the recorded pid of a part if that process still runs and is ours: it runs the
// binary recorded with the pid (guards against pid reuse; recorded, because a part built from our
// own sources may have a new path by the time `down` runs). 0 otherwise.
func pidOf(c *config, p *part) int {
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

// start runs a part in its own session, detached (it outlives this program), logging to its file.
// A node part is started through `nsenter --net`, which execs it in place: the pid stays its own,
// and it keeps the host's mount namespace (`ip netns exec` remounts /sys, and the kubelet then
// finds no cgroup mounts).
func start(c *config, p *part) error {
	bin := c.binPath(p, p.exeName())
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

// waitReady polls the part's readiness check until it passes, the process dies, or time is up.
func waitReady(ctx context.Context, c *config, p *part) error {
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

// stopParts sends SIGTERM to every running part of a wave at once, waits, then SIGKILLs the rest.
func stopParts(c *config, ps []*part) {
	pids := map[string]int{}
	for _, p := range ps {
		if pid := pidOf(c, p); pid > 0 {
			_ = syscall.Kill(pid, syscall.SIGTERM)
			pids[p.name] = pid
		} else {
			_ = os.Remove(c.pidFile(p.name))
		}
	}
	waitGone(c.stopTimeout, pids)
	for name, pid := range pids {
		if alive(pid) {
			logf("%s (pid %d) did not stop within %s; sending SIGKILL", name, pid, c.stopTimeout)
			_ = syscall.Kill(pid, syscall.SIGKILL)
		}
	}
	waitGone(5*time.Second, pids)
	for name, pid := range pids {
		logf("stopped %s (pid %d)", name, pid)
		_ = os.Remove(c.pidFile(name))
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

// httpGet returns the body of a GET, an error unless 200. TLS is verified against ca when given,
// not verified otherwise (the self-signed serving certs of the controller-manager and scheduler).
func httpGet(ctx context.Context, url, ca, token string) (string, error) {
	tr := &http.Transport{TLSClientConfig: &tls.Config{InsecureSkipVerify: ca == ""}, Proxy: nil}
	if ca != "" {
		pem, err := os.ReadFile(ca)
		if err != nil {
			return "", err
		}
		pool := x509.NewCertPool()
		pool.AppendCertsFromPEM(pem)
		tr.TLSClientConfig = &tls.Config{RootCAs: pool}
	}
	defer tr.CloseIdleConnections()
	ctx, cancel := context.WithTimeout(ctx, 3*time.Second)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return "", err
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	resp, err := (&http.Client{Transport: tr}).Do(req)
	if err != nil {
		return "", err
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(io.LimitReader(resp.Body, 1<<16))
	if resp.StatusCode != http.StatusOK {
		return string(body), fmt.Errorf("%s: HTTP %d", url, resp.StatusCode)
	}
	return string(body), nil
}

func expectBody(ctx context.Context, url, ca, token, want string) error {
	body, err := httpGet(ctx, url, ca, token)
	if err != nil {
		return err
	}
	if !strings.Contains(body, want) {
		return fmt.Errorf("%s answered %q", url, tail(body, 3))
	}
	return nil
}
