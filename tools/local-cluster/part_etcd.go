package main

import (
	"context"
	"fmt"
	"time"
)

var etcd = &process{
	spec: spec{
		name: "etcd", module: "local-cluster/etcd", modPath: "go.etcd.io/etcd/server/v3",
		bins: []binary{{"etcd", "."}}, stamp: versionFlag,
		ldflags: func(c *config, v string) string { return "-s -w -X go.etcd.io/etcd/api/v3/version.GitSHA=" + v },
		modes:   both, wave: 1,
		expected: time.Minute,
	},
	netns: true, args: etcdArgs, check: etcdReady,
}

func etcdArgs(c *config) []string {
	client := "http://" + hostPort(c, etcdPort)
	peer := "http://" + hostPort(c, etcdPeerPort)
	return []string{
		"--name=local", "--data-dir=" + c.path("etcd"),
		"--listen-client-urls=" + client, "--advertise-client-urls=" + client,
		"--listen-peer-urls=" + peer, "--initial-advertise-peer-urls=" + peer,
		"--initial-cluster=local=" + peer, "--initial-cluster-state=new",
		"--auto-compaction-mode=periodic", "--auto-compaction-retention=5m",
		"--quota-backend-bytes=2147483648", "--unsafe-no-fsync=true", "--log-level=warn",
	}
}

func etcdReady(ctx context.Context, c *config) error {
	return expectBody(ctx, fmt.Sprintf("http://%s/health", hostPort(c, etcdPort)), "", "", `"health":"true"`)
}
