package main

import (
	"fmt"
	"os"
	"testing"
)

// pidOf trusts a pid file only while that pid runs the binary recorded with it.
func TestPidOfChecksTheRecordedBinary(t *testing.T) {
	c := &config{stateDir: t.TempDir()}
	p := &process{spec: spec{name: "self"}}
	if err := os.MkdirAll(c.path("pids"), 0o755); err != nil {
		t.Fatal(err)
	}
	exe, err := os.Readlink("/proc/self/exe")
	if err != nil {
		t.Fatal(err)
	}
	argv0 := os.Args[0]
	for _, tc := range []struct {
		file string
		want int
	}{
		{fmt.Sprintf("%d\n%s\n", os.Getpid(), argv0), os.Getpid()},
		{fmt.Sprintf("%d\n%s.old\n", os.Getpid(), exe), 0},
		{fmt.Sprintf("%d\n", os.Getpid()), 0},
		{"not-a-pid\n" + argv0, 0},
	} {
		if err := os.WriteFile(c.pidFile(p.name), []byte(tc.file), 0o644); err != nil {
			t.Fatal(err)
		}
		if got := pidOf(c, p); got != tc.want {
			t.Errorf("pid file %q: pidOf = %d, want %d", tc.file, got, tc.want)
		}
	}
}
