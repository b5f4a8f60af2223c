package main

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"strings"
)

// The readiness checks of the table: each answers nil once its part serves.

func etcdReady(ctx context.Context, c *config) error {
	return expectBody(ctx, fmt.Sprintf("http://%s/health", hostPort(c, etcdPort)), "", "", `"health":"true"`)
}

func adminToken(c *config) string {
	b, _ := os.ReadFile(c.pki("admin.token"))
	return strings.TrimSpace(string(b))
}

func apiserverReady(ctx context.Context, c *config) error {
	return expectBody(ctx, c.apiserverURL()+"/readyz", c.pki("ca.crt"), adminToken(c), "ok")
}

func healthzReady(port int) func(context.Context, *config) error {
	return func(ctx context.Context, c *config) error {
		return expectBody(ctx, fmt.Sprintf("https://%s/healthz", hostPort(c, port)), "", "", "ok")
	}
}

func kwokReady(ctx context.Context, c *config) error {
	return expectBody(ctx, fmt.Sprintf("http://%s/healthz", hostPort(c, kwokPort)), "", "", "ok")
}

func containerdReady(ctx context.Context, c *config) error {
	ctr := c.binPath(partByName("containerd"), "ctr")
	out, err := exec.CommandContext(ctx, ctr, "--address", c.containerdSock(), "version").CombinedOutput()
	if err != nil {
		return fmt.Errorf("ctr version: %v: %s", err, tail(string(out), 2))
	}
	return nil
}

// registryReady: the distribution API's base endpoint answers 200 (no auth).
func registryReady(ctx context.Context, c *config) error {
	_, err := httpGet(ctx, "http://"+c.registryAddr()+"/v2/", "", "")
	return err
}

func kubeletReady(ctx context.Context, c *config) error {
	return expectBody(ctx, fmt.Sprintf("http://%s:%d/healthz", nodeIP, kubeletHealthz), "", "", "ok")
}

func kubeProxyReady(ctx context.Context, c *config) error {
	_, err := httpGet(ctx, fmt.Sprintf("http://%s:%d/livez", nodeIP, proxyHealthz), "", "")
	return err
}

// corednsReady: the ready plugin answers 200 once the kubernetes plugin has synced with the API.
func corednsReady(ctx context.Context, c *config) error {
	_, err := httpGet(ctx, fmt.Sprintf("http://%s:%d/ready", nodeIP, dnsReadyPort), "", "")
	return err
}

// netpolReady: the enforcer has rendered its nftables table inside the netns.
func netpolReady(ctx context.Context, c *config) error {
	out, err := exec.CommandContext(ctx, "nsenter", "--net="+c.netnsPath(), "--", "nft", "list", "tables").CombinedOutput()
	if err != nil {
		return fmt.Errorf("nft list tables: %v: %s", err, out)
	}
	if !strings.Contains(string(out), " "+netpolTable+"\n") && !strings.HasSuffix(string(out), " "+netpolTable) {
		return fmt.Errorf("no nftables table %s in the node netns yet", netpolTable)
	}
	return nil
}

// runningReady: a part with nothing to ask is ready while it runs.
func runningReady(name string) func(context.Context, *config) error {
	return func(_ context.Context, c *config) error {
		if pidOf(c, partByName(name)) == 0 {
			return fmt.Errorf("%s is not running", name)
		}
		return nil
	}
}

// kubectl runs the cluster's kubectl against the admin kubeconfig.
func kubectl(ctx context.Context, c *config, stdin string, args ...string) (string, error) {
	cmd := exec.CommandContext(ctx, c.binPath(partByName("kubectl"), "kubectl"), append([]string{"--kubeconfig", c.kubeconfig()}, args...)...)
	if stdin != "" {
		cmd.Stdin = strings.NewReader(stdin)
	}
	out, err := cmd.CombinedOutput()
	if err != nil {
		return string(out), fmt.Errorf("kubectl %s: %v: %s", strings.Join(args, " "), err, tail(string(out), 10))
	}
	return string(out), nil
}
