// Command pause is the local node's sandbox container (the image containerd pins): it holds the pod's
// namespaces, reaps orphans when it is the pod's PID 1 (shareProcessNamespace), and exits 0 on SIGTERM or
// SIGINT. A handler must be installed for either: PID 1 of a PID namespace ignores unhandled signals.
package main

import (
	"os"
	"os/signal"
	"syscall"
)

func main() {
	signals := make(chan os.Signal, 16)
	signal.Notify(signals, syscall.SIGTERM, syscall.SIGINT, syscall.SIGCHLD)
	for s := range signals {
		if s != syscall.SIGCHLD {
			os.Exit(0)
		}
		reap()
	}
}

// reap collects every child that has exited; one SIGCHLD may stand for several.
func reap() {
	for {
		var status syscall.WaitStatus
		pid, err := syscall.Wait4(-1, &status, syscall.WNOHANG, nil)
		if pid <= 0 || err != nil {
			return
		}
	}
}
