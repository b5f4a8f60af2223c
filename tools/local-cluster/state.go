package main

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
)

// state is what `up` changed outside its processes, written before each change, so that `down`
// undoes exactly that (also after a failed or interrupted `up`).
type state struct {
	Mode   mode   `json:"mode"`
	Reason string `json:"reason,omitempty"` // why kwok
	// Global sysctls the kubelet sets, as they were before `up`.
	Sysctls map[string]string `json:"sysctls,omitempty"`
	// Netns: `up` created the node netns (and with it the veth pair and host routes).
	Netns bool `json:"netns,omitempty"`
	// Cgroups `up` created, one per hierarchy.
	Cgroups []string `json:"cgroups,omitempty"`
	// Fixed paths components write whatever their config says: what was there before `up`.
	Paths map[string]*pathSnapshot `json:"paths,omitempty"`
}

type pathSnapshot struct {
	Existed bool     `json:"existed"`
	Entries []string `json:"entries,omitempty"` // relative paths under it, before `up`
}

func (s *state) modeLine() string {
	if s.Mode == modeKwok {
		return fmt.Sprintf("kwok (%s)", s.Reason)
	}
	return string(s.Mode)
}

func (c *config) statePath() string { return c.path("state.json") }

func readState(c *config) (*state, error) {
	b, err := os.ReadFile(c.statePath())
	if err != nil {
		return nil, err
	}
	var s state
	if err := json.Unmarshal(b, &s); err != nil {
		return nil, fmt.Errorf("%s: %w", c.statePath(), err)
	}
	return &s, nil
}

// save writes the state and the one-line mode file the test summary prints.
func (s *state) save(c *config) error {
	b, err := json.MarshalIndent(s, "", "  ")
	if err != nil {
		return err
	}
	if err := os.WriteFile(c.statePath()+".tmp", b, 0o644); err != nil {
		return err
	}
	if err := os.Rename(c.statePath()+".tmp", c.statePath()); err != nil {
		return err
	}
	return os.WriteFile(c.path("mode"), []byte(s.modeLine()+"\n"), 0o644)
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

// makeStateDir starts an empty state dir carrying the marker; only such a dir is ever removed.
func makeStateDir(c *config) error {
	if err := removeStateDir(c); err != nil {
		return err
	}
	for _, d := range []string{"pki", "logs", "pids", "etcd", "cert-dir", "flexvolume"} {
		if err := os.MkdirAll(c.path(d), 0o700); err != nil {
			return err
		}
	}
	return os.WriteFile(c.path(stateMarker), nil, 0o644)
}

func removeStateDir(c *config) error {
	if !fileExists(c.stateDir) {
		return nil
	}
	if !fileExists(c.path(stateMarker)) {
		if entries, _ := os.ReadDir(c.stateDir); len(entries) == 0 {
			return os.Remove(c.stateDir)
		}
		return fmt.Errorf("%s exists but was not made by local-cluster (no %s); not removing it", c.stateDir, stateMarker)
	}
	if strings.Count(c.stateDir, "/") < 2 {
		return fmt.Errorf("refusing to remove %s", c.stateDir)
	}
	return os.RemoveAll(c.stateDir)
}
