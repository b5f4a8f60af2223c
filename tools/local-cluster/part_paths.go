package main

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sort"
)

// paths: the fixed paths components write whatever their config says, snapshotted before `up` so
// that `down` removes only what appeared under them; and, on the real node, the runtime dir its
// sockets go in, which must not exist.
var paths = &pathsPart{spec{name: "paths", modes: both}}

type pathsPart struct{ spec }

// fixedPaths are written by components whatever their config says: the CNI result cache
// (/var/lib/cni), the kubelet's device-plugin and pod-resources sockets, container log links,
// and the controller-manager's hostPath provisioner (PV data,
// in both modes).
var fixedPaths = []string{"/var/lib/cni", "/var/lib/kubelet", "/var/log/containers", hostpathPVDir}

const hostpathPVDir = "/tmp/hostpath_pv"

// start snapshots the fixed paths the mode writes (and our runtime dir, which must not exist), then
// makes the runtime dir.
func (*pathsPart) start(_ context.Context, cl *cluster) error {
	c, st := cl.config, cl.st
	ps := []string{hostpathPVDir}
	if c.mode == modeReal {
		ps = append(fixedPaths, c.runDir)
	}
	st.Paths = map[string]*pathSnapshot{}
	for _, p := range ps {
		st.Paths[p] = snapshot(p)
	}
	run := st.Paths[c.runDir]
	if run != nil && run.Existed {
		return fmt.Errorf("%s exists: another node is running or was not taken down", c.runDir)
	}
	if err := st.save(c); err != nil {
		return err
	}
	if run == nil {
		return nil
	}
	return os.MkdirAll(c.runDir, 0o755)
}

func (*pathsPart) health(context.Context, *cluster) error { return nil }

// stop removes what appeared under each path since `up`.
func (*pathsPart) stop(_ context.Context, cl *cluster) error {
	var errs []error
	for p, snap := range cl.st.Paths {
		errs = append(errs, restorePath(p, snap))
	}
	return errors.Join(errs...)
}

// leftovers: the paths that are new, mounts and all.
func (*pathsPart) leftovers(cl *cluster) leftovers {
	var l leftovers
	for p, snap := range cl.st.Paths {
		if !snap.Existed {
			l.mounts = append(l.mounts, p)
		}
	}
	return l
}

// snapshot lists what is under a path now (relative names, sorted).
func snapshot(root string) *pathSnapshot {
	if !fileExists(root) {
		return &pathSnapshot{}
	}
	s := &pathSnapshot{Existed: true}
	_ = filepath.WalkDir(root, func(p string, d os.DirEntry, err error) error {
		if err != nil || p == root {
			return nil
		}
		rel, _ := filepath.Rel(root, p)
		s.Entries = append(s.Entries, rel)
		return nil
	})
	sort.Strings(s.Entries)
	return s
}

// restorePath removes what appeared under root since its snapshot (all of root if it is new).
func restorePath(root string, s *pathSnapshot) error {
	if !s.Existed {
		return os.RemoveAll(root)
	}
	before := map[string]bool{}
	for _, e := range s.Entries {
		before[e] = true
	}
	now := snapshot(root)
	// Deepest first: a new directory goes after the new files in it.
	for i := len(now.Entries) - 1; i >= 0; i-- {
		e := now.Entries[i]
		if !before[e] && !anyParentNew(e, before) {
			if err := os.RemoveAll(filepath.Join(root, e)); err != nil {
				return err
			}
		}
	}
	return nil
}

// anyParentNew: a parent that is new itself will be removed as a whole.
func anyParentNew(rel string, before map[string]bool) bool {
	for dir := filepath.Dir(rel); dir != "."; dir = filepath.Dir(dir) {
		if !before[dir] {
			return true
		}
	}
	return false
}
