package main

import (
	"context"
	"fmt"
	"strings"
)

// What the Kubernetes parts share: their build, their version, and the control plane's client flags.

func k8sBins(names ...string) []binary {
	var bs []binary
	for _, n := range names {
		bs = append(bs, binary{n, "k8s.io/kubernetes/cmd/" + n})
	}
	return bs
}

// k8sLdflags stamps the Kubernetes version: unstamped builds report v0.0.0-master, and the Pulumi
// Kubernetes provider then falls back to pre-1.24 await logic that hangs.
func k8sLdflags(_ *config, v string) string {
	minor := strings.Split(v, ".")[1]
	ld := "-s -w"
	for _, p := range []string{"k8s.io/component-base/version", "k8s.io/client-go/pkg/version"} {
		ld += fmt.Sprintf(" -X %[1]s.gitVersion=%[2]s -X %[1]s.gitMajor=1 -X %[1]s.gitMinor=%[3]s"+
			" -X %[1]s.gitTreeState=clean -X %[1]s.buildDate=1970-01-01T00:00:00Z -X %[1]s.gitCommit=unknown", p, v, minor)
	}
	return ld
}

var versionFlag = []string{"--version"}

// k8sSpec is s with the build of the Kubernetes command name.
func k8sSpec(name string, s spec) spec {
	s.name, s.module, s.modPath = name, "local-cluster/kubernetes", "k8s.io/kubernetes"
	s.bins, s.ldflags = k8sBins(name), k8sLdflags
	if s.stamp == nil {
		s.stamp = versionFlag
	}
	return s
}

func k8sVersion(c *config) string { return mustVersion(c, &apiserver.spec) }

func controlPlaneClientArgs(c *config, name string, port int) []string {
	return []string{
		"--kubeconfig=" + c.kubeconfig(),
		"--authentication-kubeconfig=" + c.kubeconfig(), "--authorization-kubeconfig=" + c.kubeconfig(),
		"--bind-address=" + c.host(), fmt.Sprintf("--secure-port=%d", port),
		"--cert-dir=" + c.path("cert-dir", name),
		"--leader-elect=false", "--profiling=false",
	}
}

func healthzReady(port int) func(context.Context, *config) error {
	return func(ctx context.Context, c *config) error {
		return expectBody(ctx, fmt.Sprintf("https://%s/healthz", hostPort(c, port)), "", "", "ok")
	}
}
