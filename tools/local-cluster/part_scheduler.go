package main

import "time"

var scheduler = &process{
	spec:  k8sSpec("kube-scheduler", spec{modes: both, wave: 3, expected: 20 * time.Second}),
	netns: true, args: schedulerArgs, check: healthzReady(schedulerPort),
}

func schedulerArgs(c *config) []string {
	return controlPlaneClientArgs(c, "kube-scheduler", schedulerPort)
}
