package main

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"time"
)

// pvDirs is this program itself (`local-cluster pv-dirs DIR`): the hostPath provisioner makes PV
// directories 0750 root, which no fsGroup reaches. Ready while it runs.
var pvDirs = &process{
	spec: spec{
		name: "pv-dirs", module: "local-cluster",
		bins:    []binary{{"local-cluster", "."}},
		ldflags: func(*config, string) string { return "-s -w" },
		modes:   []mode{modeReal}, wave: 7,
		expected: 10 * time.Second,
	},
	args: pvDirsArgs,
}

func pvDirsArgs(c *config) []string {
	return []string{"--repo", c.repo, "pv-dirs", hostpathPVDir}
}

// keepPVDirsWritable opens each new PV directory of the in-tree hostPath provisioner to every
// user: it makes them 0750 root, and hostPath volumes ignore a pod's fsGroup, so Redis (uid 10999,
// restricted Pod Security) could not write its data. Runs until cancelled.
func keepPVDirsWritable(ctx context.Context, dir string) error {
	for {
		entries, _ := os.ReadDir(dir)
		for _, e := range entries {
			info, err := e.Info()
			if err == nil && e.IsDir() && info.Mode().Perm() != 0o777 {
				p := filepath.Join(dir, e.Name())
				if err := os.Chmod(p, 0o777); err != nil {
					return err
				}
				fmt.Println("made writable:", p)
			}
		}
		select {
		case <-ctx.Done():
			return nil
		case <-time.After(300 * time.Millisecond):
		}
	}
}
