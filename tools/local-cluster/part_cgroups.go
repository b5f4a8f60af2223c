package main

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"syscall"
)

// cgroups: the kubelet's cgroup root, one per mounted hierarchy (runc creates a container's cgroup
// in every one of them), each recorded before it is made.
var cgroups = &cgroupsPart{spec{name: "cgroups", modes: []mode{modeReal}}}

type cgroupsPart struct{ spec }

func (*cgroupsPart) start(_ context.Context, cl *cluster) error {
	c, st := cl.config, cl.st
	hs, err := cgroupHierarchies()
	if err != nil {
		return err
	}
	for _, h := range hs {
		dir := filepath.Join(h, cgroupRoot)
		if fileExists(dir) {
			return fmt.Errorf("cgroup %s exists: another node is running or was not taken down", dir)
		}
		st.Cgroups = append(st.Cgroups, dir)
		if err := st.save(c); err != nil {
			return err
		}
		if err := os.Mkdir(dir, 0o755); err != nil {
			return err
		}
		// A cpuset cgroup admits no task until it has cpus and mems: inherit the parent's.
		for _, f := range []string{"cpuset.cpus", "cpuset.mems"} {
			if b, err := os.ReadFile(filepath.Join(h, f)); err == nil && filepath.Base(h) == "cpuset" {
				if err := os.WriteFile(filepath.Join(dir, f), b, 0o644); err != nil {
					return err
				}
			}
		}
	}
	return nil
}

func (*cgroupsPart) health(_ context.Context, cl *cluster) error {
	for _, cg := range cl.st.Cgroups {
		if !fileExists(cg) {
			return fmt.Errorf("cgroup %s is gone", cg)
		}
	}
	return nil
}

func (*cgroupsPart) stop(_ context.Context, cl *cluster) error {
	var errs []error
	for _, cg := range cl.st.Cgroups {
		errs = append(errs, removeCgroup(cg))
	}
	return errors.Join(errs...)
}

// leftovers: whatever still runs in them (containers whose shim is gone).
func (*cgroupsPart) leftovers(cl *cluster) leftovers {
	var l leftovers
	for _, cg := range cl.st.Cgroups {
		l.pids = append(l.pids, cgroupProcs(cg)...)
	}
	return l
}

// cgroupHierarchies are the mounted cgroup hierarchies (v1 controllers, named ones, and cgroup2).
func cgroupHierarchies() ([]string, error) {
	f, err := os.Open("/proc/mounts")
	if err != nil {
		return nil, err
	}
	defer f.Close()
	var hs []string
	s := bufio.NewScanner(f)
	for s.Scan() {
		fields := strings.Fields(s.Text())
		if len(fields) >= 3 && (fields[2] == "cgroup" || fields[2] == "cgroup2") {
			hs = append(hs, fields[1])
		}
	}
	return hs, s.Err()
}

// cgroupProcs lists the pids left in a cgroup tree.
func cgroupProcs(root string) []int {
	var pids []int
	_ = filepath.WalkDir(root, func(p string, d os.DirEntry, err error) error {
		if err != nil || d.IsDir() || d.Name() != "cgroup.procs" {
			return nil
		}
		b, _ := os.ReadFile(p)
		for _, l := range strings.Fields(string(b)) {
			if pid, err := strconv.Atoi(l); err == nil {
				pids = append(pids, pid)
			}
		}
		return nil
	})
	return pids
}

// removeCgroup removes a cgroup tree, deepest first (cgroups go by rmdir, not by their files).
func removeCgroup(root string) error {
	var dirs []string
	_ = filepath.WalkDir(root, func(p string, d os.DirEntry, err error) error {
		if err == nil && d.IsDir() {
			dirs = append(dirs, p)
		}
		return nil
	})
	sort.Slice(dirs, func(i, j int) bool { return len(dirs[i]) > len(dirs[j]) })
	var errs []error
	for _, d := range dirs {
		if err := syscall.Rmdir(d); err != nil && !errors.Is(err, syscall.ENOENT) {
			errs = append(errs, fmt.Errorf("rmdir %s: %w", d, err))
		}
	}
	return errors.Join(errs...)
}
