package main

import (
	"fmt"
	"os"
	"sort"
	"strings"
	"syscall"
	"time"
)

// sweep kills and unmounts what the parts leave once every process has stopped: their leftover
// processes (shims, containers), then every mount under the state dir and their leftover roots.
func sweep(cl *cluster) error {
	for _, pid := range leftoverPids(cl) {
		logf("killing leftover pid %d (a shim or container of this node)", pid)
		_ = syscall.Kill(pid, syscall.SIGKILL)
	}
	waitGone(5*time.Second, pidMap(leftoverPids(cl)))
	roots := []string{cl.stateDir}
	for _, p := range cl.parts {
		roots = append(roots, p.leftovers(cl).mounts...)
	}
	return unmountAll(roots...)
}

// leftoverPids: the parts' leftover processes, each once, sorted.
func leftoverPids(cl *cluster) []int {
	seen := map[int]bool{}
	for _, p := range cl.parts {
		for _, pid := range p.leftovers(cl).pids {
			seen[pid] = true
		}
	}
	var pids []int
	for pid := range seen {
		pids = append(pids, pid)
	}
	sort.Ints(pids)
	return pids
}

func pidMap(pids []int) map[string]int {
	m := map[string]int{}
	for _, pid := range pids {
		m[fmt.Sprint(pid)] = pid
	}
	return m
}

// mountsUnder lists the mount points at or under any of the roots, last mounted first.
func mountsUnder(roots ...string) ([]string, error) {
	b, err := os.ReadFile("/proc/self/mountinfo")
	if err != nil {
		return nil, err
	}
	var ms []string
	for _, line := range strings.Split(string(b), "\n") {
		f := strings.Fields(line)
		if len(f) < 5 {
			continue
		}
		mp := unescapeMount(f[4])
		for _, r := range roots {
			if mp == r || strings.HasPrefix(mp, r+"/") {
				ms = append(ms, mp)
				break
			}
		}
	}
	for i, j := 0, len(ms)-1; i < j; i, j = i+1, j-1 {
		ms[i], ms[j] = ms[j], ms[i]
	}
	return ms, nil
}

func unescapeMount(s string) string {
	r := strings.NewReplacer(`\040`, " ", `\011`, "\t", `\012`, "\n", `\134`, `\`)
	return r.Replace(s)
}

// unmountAll unmounts every mount under the roots, detaching a busy one.
func unmountAll(roots ...string) error {
	for range 3 { // a bind mount can be stacked on itself (the kubelet's root dir)
		ms, err := mountsUnder(roots...)
		if err != nil || len(ms) == 0 {
			return err
		}
		for _, m := range ms {
			if err := syscall.Unmount(m, 0); err != nil {
				_ = syscall.Unmount(m, syscall.MNT_DETACH)
			}
		}
	}
	ms, err := mountsUnder(roots...)
	if err == nil && len(ms) > 0 {
		err = fmt.Errorf("still mounted: %s", strings.Join(ms, ", "))
	}
	return err
}
