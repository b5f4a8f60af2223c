package main

import (
	"context"
	"fmt"
	"time"
)

// registry: the cluster's image registry (plain HTTP on the node IP, or loopback in kwok mode): the
// Pulumi program pushes the app's images to it and the node's containerd pulls them by digest
// (hosts.toml). Up before containerd and the kubelet, which pull from it; stops after them.
var registry = &process{
	spec: spec{
		name: "registry", module: "local-cluster/registry", modPath: "github.com/distribution/distribution/v3",
		bins:  []binary{{"registry", "github.com/distribution/distribution/v3/cmd/registry"}},
		stamp: versionFlag,
		ldflags: func(c *config, v string) string {
			return "-s -w -X github.com/distribution/distribution/v3/version.version=" + v
		},
		modes: both, wave: 4,
		files: func(c *config) map[string]string {
			return map[string]string{c.path("registry", "config.yml"): renderRegistryConfig(c)}
		},
		expected: time.Minute,
	},
	// It would export a trace of every request to an OTLP collector on localhost:4318 otherwise.
	env:   []string{"OTEL_TRACES_EXPORTER=none"},
	netns: true, args: registryArgs, check: registryReady,
}

func registryArgs(c *config) []string {
	return []string{"serve", c.path("registry", "config.yml")}
}

// registryReady: the distribution API's base endpoint answers 200 (no auth).
func registryReady(ctx context.Context, c *config) error {
	_, err := httpGet(ctx, "http://"+c.registryAddr()+"/v2/", "", "")
	return err
}

// renderRegistryConfig is distribution's config: no TLS and no auth (it listens only on the node IP
// inside the netns, or on loopback in kwok mode), blobs in the state dir (`down` removes them with
// it), and delete on so that tests can remove what they push. Its log: warnings and errors, and one
// access-log line per request.
func renderRegistryConfig(c *config) string {
	return fmt.Sprintf(`version: 0.1
log:
  level: warn
storage:
  filesystem:
    rootdirectory: %s
  delete:
    enabled: true
http:
  addr: %s
`, c.path("registry", "data"), c.registryAddr())
}
