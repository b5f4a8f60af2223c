// Command local-cluster runs the project's own Kubernetes cluster: a control plane, an image registry
// and either a real node (containerd, kubelet, kube-proxy, CoreDNS, a NetworkPolicy enforcer) inside
// the network namespace three-tier-node, or kwok fake nodes on loopback when this machine cannot run
// the node. The app's images are pushed to the registry and the node pulls them from it; only the
// pause image is imported into containerd.
//
//	local-cluster up          start (or report already up); real node unless a node check fails
//	local-cluster down        stop and remove everything `up` recorded
//	local-cluster status      each component with pid and health; exit 0 only if all are healthy
//	local-cluster mode        `real`, or `kwok (<failed check>)`, of the running cluster
//	local-cluster kubeconfig  the kubeconfig path
//	local-cluster kubectl     the kubectl path
//	local-cluster registry    the registry's address (host:port, plain HTTP) in the running mode
//	local-cluster build       build (or reuse) every binary
//	local-cluster pv-dirs DIR (a part of the real node) keep the PV directories under DIR writable
//
// Environment: LOCAL_CLUSTER_NODE=real|kwok forces a mode (real fails when a check fails),
// LOCAL_CLUSTER_DIR (state), LOCAL_CLUSTER_BIN_CACHE (binaries), LOCAL_CLUSTER_START_TIMEOUT and
// LOCAL_CLUSTER_STOP_TIMEOUT (seconds), LOCAL_CLUSTER_REBUILD=1.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"os"
	"os/signal"
	"strconv"
	"syscall"
	"time"

	"three-tier-app/shared"
)

const usage = "usage: local-cluster [--repo DIR] up|down|status|mode|kubeconfig|kubectl|registry|build"

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := run(ctx, os.Args[1:]); err != nil {
		fmt.Fprintln(os.Stderr, "local-cluster: error:", err)
		os.Exit(1)
	}
}

func run(ctx context.Context, args []string) error {
	fs := flag.NewFlagSet("local-cluster", flag.ContinueOnError)
	repo := fs.String("repo", ".", "repository root (holds tools/)")
	if err := fs.Parse(args); err != nil || fs.NArg() < 1 {
		return errors.New(usage)
	}
	if fs.Arg(0) == "pv-dirs" && fs.NArg() == 2 {
		return keepPVDirsWritable(ctx, fs.Arg(1))
	}
	if fs.NArg() != 1 {
		return errors.New(usage)
	}
	c, err := newConfig(*repo)
	if err != nil {
		return err
	}
	switch fs.Arg(0) {
	case "up":
		return withLock(ctx, c, func() error { return up(ctx, c) })
	case "down":
		return withLock(ctx, c, func() error { return down(ctx, c) })
	case "status":
		return status(ctx, c)
	case "mode":
		st, err := readState(c)
		if err != nil {
			return fmt.Errorf("not up (%w)", err)
		}
		fmt.Println(st.modeLine())
		return nil
	case "kubeconfig":
		fmt.Println(c.kubeconfig())
		return nil
	case "kubectl":
		fmt.Println(c.binPath(&kubectlTool.spec, "kubectl"))
		return nil
	case "registry":
		// The address depends on the mode, which only a running cluster has.
		if _, err := readState(c); err != nil {
			return fmt.Errorf("not up (%w)", err)
		}
		fmt.Println(c.registryAddr())
		return nil
	case "build":
		return buildAll(ctx, c, specs(parts))
	default:
		return errors.New(usage)
	}
}

// withLock serialises up and down: two of them at once would race on the same state.
func withLock(ctx context.Context, c *config, fn func() error) error {
	ctx, cancel := context.WithTimeout(ctx, 15*time.Minute)
	defer cancel()
	release, err := shared.Lock(ctx, c.stateDir+".lock", logger, "another local-cluster up or down")
	if err != nil {
		return err
	}
	defer release()
	return fn()
}

func envSeconds(name string, def int) (time.Duration, error) {
	v := os.Getenv(name)
	if v == "" {
		return time.Duration(def) * time.Second, nil
	}
	n, err := strconv.Atoi(v)
	if err != nil || n <= 0 {
		return 0, fmt.Errorf("%s=%q: want a positive number of seconds", name, v)
	}
	return time.Duration(n) * time.Second, nil
}
