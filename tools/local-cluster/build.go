package main

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"time"

	"three-tier-app/shared"
)

func (c *config) moduleDir(p *spec) string { return filepath.Join(c.repo, "tools", p.module) }

// version names a build: the version its go.mod requires of modPath, or for our own code a hash
// of its sources.
func version(c *config, p *spec) (string, error) {
	dir := c.moduleDir(p)
	if p.modPath == "" {
		h, err := shared.HashSources(dir)
		if err != nil {
			return "", fmt.Errorf("%s: %w (is the module at %s merged?)", p.name, err, dir)
		}
		return "src-" + h[:16], nil
	}
	v, err := shared.RequiredVersionIn(filepath.Join(dir, "go.mod"), p.modPath)
	if err != nil {
		return "", fmt.Errorf("%s: %w", p.name, err)
	}
	return v, nil
}

func mustVersion(c *config, p *spec) string {
	v, err := version(c, p)
	if err != nil {
		return "unknown"
	}
	return v
}

func built(c *config, p *spec) bool {
	for _, b := range p.bins {
		if !shared.Executable(c.binPath(p, b.name)) {
			return false
		}
	}
	for _, f := range p.extraFiles {
		if !fileExists(filepath.Join(c.partDir(p), f)) {
			return false
		}
	}
	return true
}

// buildAll builds every part that is missing (or all with LOCAL_CLUSTER_REBUILD=1), one at a time:
// two Kubernetes links at once would exhaust this machine's two cores and memory for nothing. It says
// first what it will build and for how long.
func buildAll(ctx context.Context, c *config, ps []*spec) error {
	t0 := time.Now()
	todo, err := toBuild(c, ps)
	if err != nil {
		return err
	}
	builds := shared.NewBuilds(logger)
	builds.Plan(steps(todo))
	for _, b := range todo {
		if err := buildPart(ctx, c, builds, b); err != nil {
			return err
		}
	}
	logf("binaries ready (%s): %s", since(t0), c.binCache)
	return nil
}

// pending is a part to build, at the version its build is cached under.
type pending struct {
	p       *spec
	version string
}

// toBuild is the parts of ps buildAll builds, in order.
func toBuild(c *config, ps []*spec) ([]pending, error) {
	var todo []pending
	for i := range ps {
		v, err := version(c, ps[i])
		if err != nil {
			return nil, err
		}
		if !built(c, ps[i]) || c.rebuild {
			todo = append(todo, pending{ps[i], v})
		}
	}
	return todo, nil
}

func steps(todo []pending) []shared.Step {
	var ss []shared.Step
	for _, b := range todo {
		ss = append(ss, b.step())
	}
	return ss
}

func (b pending) step() shared.Step {
	return shared.Step{Name: b.p.name, Version: b.version, Default: b.p.expected}
}

func buildPart(ctx context.Context, c *config, builds *shared.Builds, b pending) error {
	p, v := b.p, b.version
	if _, err := exec.LookPath("go"); err != nil {
		return fmt.Errorf("%s %s is not in %s and there is no go command to build it", p.name, v, c.binCache)
	}
	t0 := time.Now()
	logf("building %s %s ...", p.name, v)
	dest := c.partDir(p)
	err := builds.Build(b.step(), func() error {
		return shared.Install(dest, func(tmp string) error { return buildInto(ctx, c, p, v, tmp) })
	})
	if err != nil {
		return err
	}
	logf("built %s %s in %s -> %s", p.name, v, since(t0), dest)
	return nil
}

// buildInto builds the part's binaries (and its extra files) into tmp and checks their version stamps.
func buildInto(ctx context.Context, c *config, p *spec, v, tmp string) error {
	for _, b := range p.bins {
		cmd := exec.CommandContext(ctx, "nice", "-n", "10", "go", "build", "-trimpath",
			"-ldflags", p.ldflags(c, v), "-o", filepath.Join(tmp, b.name), b.pkg)
		cmd.Dir = c.moduleDir(p)
		cmd.Env = append(os.Environ(), "GOTOOLCHAIN=local", "CGO_ENABLED=0", "GOFLAGS=-mod=readonly -buildvcs=false")
		if out, err := cmd.CombinedOutput(); err != nil {
			return fmt.Errorf("go build %s (in %s) failed: %w\n%s", b.pkg, cmd.Dir, err, tail(string(out), 30))
		}
	}
	if p.extra != nil {
		if err := p.extra(ctx, c, p, tmp); err != nil {
			return err
		}
	}
	return checkStamp(p, tmp, v)
}

// checkStamp refuses a binary that does not report the version it is cached under.
func checkStamp(p *spec, dir, v string) error {
	if p.stamp == nil {
		return nil // our own code, the CNI plugins and CoreDNS carry no version flag
	}
	bin := filepath.Join(dir, p.bins[0].name)
	out, _ := exec.Command(bin, p.stamp...).CombinedOutput()
	if !strings.Contains(string(out), strings.TrimPrefix(v, "v")) {
		return fmt.Errorf("%s built but reports %q, expected %s", p.name, strings.TrimSpace(string(out)), v)
	}
	return nil
}

func tail(s string, n int) string {
	lines := strings.Split(strings.TrimRight(s, "\n"), "\n")
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return strings.Join(lines, "\n")
}

func fileExists(p string) bool {
	_, err := os.Stat(p)
	return err == nil
}

var (
	logger = shared.NewLogger("local-cluster")
	logf   = logger.Printf
	since  = shared.Since
)
