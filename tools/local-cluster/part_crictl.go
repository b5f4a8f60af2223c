package main

import (
	"fmt"
	"time"
)

// crictl: `down` removes the pods with it; node-exec runs it.
var crictl = &tool{spec{
	name: "crictl", module: "local-cluster/crictl", modPath: "sigs.k8s.io/cri-tools",
	bins:    []binary{{"crictl", "sigs.k8s.io/cri-tools/cmd/crictl"}},
	stamp:   versionFlag,
	ldflags: func(c *config, v string) string { return "-s -w -X sigs.k8s.io/cri-tools/pkg/version.Version=" + v },
	uses:    []mode{modeReal},
	files: func(c *config) map[string]string {
		return map[string]string{c.path("crictl.yaml"): renderCrictlConfig(c)}
	},
	expected: 30 * time.Second,
}}

// crictl looks for /etc/crictl.yaml first and warns on every call without one: give it ours.
func renderCrictlConfig(c *config) string {
	return fmt.Sprintf("runtime-endpoint: unix://%[1]s\nimage-endpoint: unix://%[1]s\ntimeout: 30\n", c.containerdSock())
}
