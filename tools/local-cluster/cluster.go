package main

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"net"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"time"
)

func up(ctx context.Context, c *config) error {
	if st, err := readState(c); err == nil {
		c.mode = st.Mode
		if allHealthy(ctx, &cluster{config: c, st: st, parts: partsIn(st.Mode)}) == nil {
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
		if p.row().neededIn(m) {
			need = append(need, p)
		}
	}
	if err := buildAll(ctx, c, specs(need)); err != nil {
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
	if err := bringUp(ctx, &cluster{config: c, st: st, parts: partsIn(m)}); err != nil {
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

// bringUp makes the cluster's PKI and config files, then starts its parts in order.
func bringUp(ctx context.Context, cl *cluster) error {
	if err := makePKI(cl.config); err != nil {
		return err
	}
	if err := writeConfigs(cl.config); err != nil {
		return err
	}
	for _, p := range cl.parts {
		if err := p.start(ctx, cl); err != nil {
			return err
		}
	}
	return waitUsable(ctx, cl.config)
}

// writeConfigs writes the admin kubeconfig and the config files of the mode's parts.
func writeConfigs(c *config) error {
	ca, err := os.ReadFile(c.pki("ca.crt"))
	if err != nil {
		return err
	}
	files := map[string]string{
		c.kubeconfig(): renderKubeconfig(c.apiserverURL(), ca, kubeconfigUser{token: adminToken(c)}),
	}
	for _, p := range parts {
		if s := p.row(); s.files != nil && s.neededIn(c.mode) {
			maps.Copy(files, s.files(c))
		}
	}
	for path, body := range files {
		if err := writeFile(path, body, 0o600); err != nil {
			return err
		}
	}
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
	cl := &cluster{config: c, st: st, parts: partsIn(st.Mode)}
	t0 := time.Now()
	var errs []error
	for _, wave := range stopWaves(cl.parts) {
		errs = append(errs, stopTogether(ctx, cl, wave))
	}
	errs = append(errs, sweep(cl))
	for _, p := range hostPartsReversed(cl.parts) {
		errs = append(errs, p.stop(ctx, cl))
	}
	errs = append(errs, removeStateDir(c))
	if err := errors.Join(errs...); err != nil {
		return err
	}
	logf("down in %s", since(t0))
	return nil
}

// stopTogether stops the parts of a wave at once.
func stopTogether(ctx context.Context, cl *cluster, wave []part) error {
	errs := make([]error, len(wave))
	var wg sync.WaitGroup
	for i, p := range wave {
		wg.Add(1)
		go func() {
			defer wg.Done()
			errs[i] = p.stop(ctx, cl)
		}()
	}
	wg.Wait()
	return errors.Join(errs...)
}

// allHealthy: every part of the mode is healthy (every process runs and passes its readiness check).
func allHealthy(ctx context.Context, cl *cluster) error {
	for _, p := range cl.parts {
		if err := p.health(ctx, cl); err != nil {
			return err
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
	for _, p := range processes(partsIn(st.Mode)) {
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
