package main

import (
	"context"
	"fmt"
	"os/exec"
	"strings"
	"time"
)

// netpol: the NetworkPolicy enforcer (tools/netpol), one nftables table in the node netns.
var netpol = &process{
	spec: spec{
		name: "netpol", module: "netpol",
		bins:    []binary{{"netpol", "."}},
		ldflags: func(*config, string) string { return "-s -w" },
		modes:   []mode{modeReal}, wave: 7,
		expected: 10 * time.Second,
	},
	netns: true, args: netpolArgs, check: netpolReady,
}

func netpolArgs(c *config) []string {
	return []string{"--kubeconfig", c.kubeconfig(), "--node-name", nodeName, "--table", netpolTable}
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
