package main

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"time"
)

// netns: the node's network namespace, joined to the host by one veth pair, with the host routes
// that send the pod and Service CIDRs into it and nowhere else. Recorded (st.Netns) before it is made.
var netns = &netnsPart{spec{name: "netns", modes: []mode{modeReal}, files: netnsFiles}}

type netnsPart struct{ spec }

var hostRoutes = []string{podCIDR, serviceCIDR}

func (*netnsPart) start(ctx context.Context, cl *cluster) error {
	cl.st.Netns = true
	if err := cl.st.save(cl.config); err != nil {
		return err
	}
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

func (*netnsPart) health(_ context.Context, cl *cluster) error {
	if !fileExists(cl.netnsPath()) {
		return fmt.Errorf("netns %s is gone", netnsName)
	}
	return nil
}

// stop deletes the host routes, the netns and the veth pair (also when `down` is interrupted).
func (*netnsPart) stop(_ context.Context, cl *cluster) error {
	if !cl.st.Netns {
		return nil
	}
	ctx := context.Background()
	var errs []error
	for _, r := range hostRoutes {
		_ = quiet(ctx, "ip", "route", "del", r, "via", nodeIP, "dev", hostLink)
	}
	if fileExists(cl.netnsPath()) {
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
	return errors.Join(errs...)
}

// leftovers: the netns's bind mount.
func (*netnsPart) leftovers(cl *cluster) leftovers {
	return leftovers{mounts: []string{cl.netnsPath()}}
}

// netnsFiles: what tools/local-cluster/node-exec sources to run a command as if on the node.
func netnsFiles(c *config) map[string]string {
	return map[string]string{c.path("node.env"): renderNodeEnv(c)}
}

func renderNodeEnv(c *config) string {
	return fmt.Sprintf("NODE_NETNS=%s\nNODE_PATH=%s\nCONTAINERD_ADDRESS=%s\nCONTAINER_RUNTIME_ENDPOINT=unix://%s\nCONTAINERD_NAMESPACE=k8s.io\nCRI_CONFIG_FILE=%s\n",
		c.netnsPath(), nodePath(c), c.containerdSock(), c.containerdSock(), c.path("crictl.yaml"))
}
