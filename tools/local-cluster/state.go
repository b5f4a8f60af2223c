package main

import (
	"encoding/json"
	"fmt"
	"os"
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
