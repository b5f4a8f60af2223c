package main

import (
	"context"
	"fmt"
	"os/exec"
	"strings"
	"time"
)

// kubectlTool is the cluster's kubectl: `up` applies objects and waits for the nodes with it, and
// `local-cluster kubectl` prints its path.
var kubectlTool = &tool{k8sSpec("kubectl", spec{
	stamp: []string{"version", "--client"}, uses: both, expected: 30 * time.Second,
})}

// kubectl runs the cluster's kubectl against the admin kubeconfig.
func kubectl(ctx context.Context, c *config, stdin string, args ...string) (string, error) {
	cmd := exec.CommandContext(ctx, c.binPath(&kubectlTool.spec, "kubectl"), append([]string{"--kubeconfig", c.kubeconfig()}, args...)...)
	if stdin != "" {
		cmd.Stdin = strings.NewReader(stdin)
	}
	out, err := cmd.CombinedOutput()
	if err != nil {
		return string(out), fmt.Errorf("kubectl %s: %v: %s", strings.Join(args, " "), err, tail(string(out), 10))
	}
	return string(out), nil
}
