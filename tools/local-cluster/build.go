package main

import (
	"bufio"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
	"time"
)

func (c *config) moduleDir(p *part) string { return filepath.Join(c.repo, "tools", p.module) }

// version names a build: the version its go.mod requires of modPath, or for our own code a hash
// of its sources.
func version(c *config, p *part) (string, error) {
	dir := c.moduleDir(p)
	if p.modPath == "" {
		h, err := hashSources(dir)
		if err != nil {
			return "", fmt.Errorf("%s: %w (is the module at %s merged?)", p.name, err, dir)
		}
		return "src-" + h, nil
	}
	f, err := os.Open(filepath.Join(dir, "go.mod"))
	if err != nil {
		return "", fmt.Errorf("%s: %w", p.name, err)
	}
	defer f.Close()
	return requiredVersion(f, p.modPath)
}

func mustVersion(c *config, p *part) string {
	v, err := version(c, p)
	if err != nil {
		return "unknown"
	}
	return v
}

// requiredVersion finds `<module> vX` in a go.mod, in a require block or a one-line require.
func requiredVersion(r io.Reader, module string) (string, error) {
	s := bufio.NewScanner(r)
	for s.Scan() {
		f := strings.Fields(s.Text())
		if len(f) >= 3 && f[0] == "require" && f[1] == module {
			return f[2], nil
		}
		if len(f) >= 2 && f[0] == module && strings.HasPrefix(f[1], "v") {
			return f[1], nil
		}
	}
	if err := s.Err(); err != nil {
		return "", err
	}
	return "", fmt.Errorf("go.mod requires no %s", module)
}

// hashSources hashes go.mod, go.sum and every non-test .go file under dir.
func hashSources(dir string) (string, error) {
	dir, err := filepath.EvalSymlinks(dir)
	if err != nil {
		return "", err
	}
	var files []string
	err = filepath.WalkDir(dir, func(p string, d os.DirEntry, err error) error {
		if err != nil {
			return err
		}
		n := d.Name()
		if !d.IsDir() && (n == "go.mod" || n == "go.sum" || strings.HasSuffix(n, ".go") && !strings.HasSuffix(n, "_test.go")) {
			files = append(files, p)
		}
		return nil
	})
	if err != nil {
		return "", err
	}
	sort.Strings(files)
	h := sha256.New()
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			return "", err
		}
		rel, _ := filepath.Rel(dir, f)
		fmt.Fprintf(h, "%s %d\n", rel, len(b))
		h.Write(b)
	}
	return hex.EncodeToString(h.Sum(nil))[:16], nil
}

func built(c *config, p *part) bool {
	for _, b := range p.bins {
		if fi, err := os.Stat(c.binPath(p, b.name)); err != nil || fi.Mode()&0o111 == 0 {
			return false
		}
	}
	return p.name != "kwok" || fileExists(filepath.Join(c.partDir(p), kwokStagesFile))
}

// buildAll builds every part that is missing (or all with LOCAL_CLUSTER_REBUILD=1), one at a time:
// two Kubernetes links at once would exhaust this machine's two cores and memory for nothing.
func buildAll(ctx context.Context, c *config, ps []part) error {
	t0 := time.Now()
	for i := range ps {
		if err := buildPart(ctx, c, &ps[i]); err != nil {
			return err
		}
	}
	logf("binaries ready (%s): %s", since(t0), c.binCache)
	return nil
}

func buildPart(ctx context.Context, c *config, p *part) error {
	v, err := version(c, p)
	if err != nil {
		return err
	}
	if built(c, p) && !c.rebuild {
		return nil
	}
	if _, err := exec.LookPath("go"); err != nil {
		return fmt.Errorf("%s %s is not in %s and there is no go command to build it", p.name, v, c.binCache)
	}
	if err := os.MkdirAll(c.binCache, 0o755); err != nil {
		return err
	}
	tmp, err := os.MkdirTemp(c.binCache, ".build-"+p.name+"-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(tmp)
	t0 := time.Now()
	logf("building %s %s ...", p.name, v)
	for _, b := range p.bins {
		cmd := exec.CommandContext(ctx, "nice", "-n", "10", "go", "build", "-trimpath",
			"-ldflags", p.ldflags(c, v), "-o", filepath.Join(tmp, b.name), b.pkg)
		cmd.Dir = c.moduleDir(p)
		cmd.Env = append(os.Environ(), "GOTOOLCHAIN=local", "CGO_ENABLED=0", "GOFLAGS=-mod=readonly -buildvcs=false")
		if out, err := cmd.CombinedOutput(); err != nil {
			return fmt.Errorf("go build %s (in %s) failed: %w\n%s", b.pkg, cmd.Dir, err, tail(string(out), 30))
		}
	}
	if p.name == "kwok" {
		if err := writeKwokStages(ctx, c, p, filepath.Join(tmp, kwokStagesFile)); err != nil {
			return err
		}
	}
	if err := checkStamp(c, p, tmp, v); err != nil {
		return err
	}
	dest := c.partDir(p)
	if err := os.RemoveAll(dest); err != nil {
		return err
	}
	if err := os.Rename(tmp, dest); err != nil { // atomic: the same file system
		return err
	}
	logf("built %s %s in %s -> %s", p.name, v, since(t0), dest)
	return nil
}

// checkStamp refuses a binary that does not report the version it is cached under.
func checkStamp(c *config, p *part, dir, v string) error {
	if p.modPath == "" || p.name == "cni-plugins" || p.name == "coredns" {
		return nil // our own code and CNI plugins carry no version flag
	}
	bin := filepath.Join(dir, p.bins[0].name)
	args := []string{"--version"}
	switch p.name {
	case "kubectl":
		args = []string{"version", "--client"}
	}
	out, _ := exec.Command(bin, args...).CombinedOutput()
	if !strings.Contains(string(out), strings.TrimPrefix(v, "v")) {
		return fmt.Errorf("%s built but reports %q, expected %s", p.name, strings.TrimSpace(string(out)), v)
	}
	return nil
}

// The kwok stage config: v0.8.0 ships no default stages, so assemble kustomize/stage/fast (node
// initialise, heartbeat with lease, pod ready/complete/delete) from the module.
const kwokStagesFile = "stages-fast.yaml"

func writeKwokStages(ctx context.Context, c *config, p *part, dest string) error {
	cmd := exec.CommandContext(ctx, "go", "list", "-m", "-f", "{{.Dir}}", p.modPath)
	cmd.Dir = c.moduleDir(p)
	cmd.Env = append(os.Environ(), "GOTOOLCHAIN=local", "GOFLAGS=-mod=readonly")
	out, err := cmd.Output()
	if err != nil {
		return fmt.Errorf("locating %s: %w", p.modPath, err)
	}
	fast := filepath.Join(strings.TrimSpace(string(out)), "kustomize", "stage", "fast")
	var b strings.Builder
	b.WriteString("# Generated by tools/local-cluster from " + p.modPath + " kustomize/stage/fast\n")
	subs, err := kustomizeResources(filepath.Join(fast, "kustomization.yaml"))
	if err != nil {
		return err
	}
	for _, sub := range subs {
		files, err := kustomizeResources(filepath.Join(fast, sub, "kustomization.yaml"))
		if err != nil {
			return err
		}
		for _, f := range files {
			body, err := os.ReadFile(filepath.Join(fast, sub, f))
			if err != nil {
				return err
			}
			b.WriteString("---\n")
			b.Write(body)
		}
	}
	return os.WriteFile(dest, []byte(b.String()), 0o644)
}

// kustomizeResources lists the `resources:` entries of a kustomization file.
func kustomizeResources(file string) ([]string, error) {
	body, err := os.ReadFile(file)
	if err != nil {
		return nil, err
	}
	return parseResources(string(body)), nil
}

func parseResources(body string) []string {
	var res []string
	in := false
	for _, line := range strings.Split(body, "\n") {
		switch {
		case strings.HasPrefix(line, "resources:"):
			in = true
		case in && strings.HasPrefix(line, "- "):
			res = append(res, strings.TrimSpace(strings.TrimPrefix(line, "- ")))
		case line != "" && !strings.HasPrefix(line, " ") && !strings.HasPrefix(line, "-"):
			in = false
		}
	}
	return res
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

func since(t time.Time) string { return time.Since(t).Round(100 * time.Millisecond).String() }

var started = time.Now()

func logf(format string, a ...any) {
	fmt.Fprintf(os.Stderr, "[local-cluster %5.1fs] %s\n", time.Since(started).Seconds(), fmt.Sprintf(format, a...))
}
