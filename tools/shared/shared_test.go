package shared

import (
	"bytes"
	"context"
	"errors"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"
)

func TestLoggerPrefixesNameAndElapsedTime(t *testing.T) {
	var buf bytes.Buffer
	l := NewLoggerTo("toolchain", &buf)
	l.started = time.Now().Add(-5100 * time.Millisecond)
	l.Printf("built %s", "pulumi")
	if !regexp.MustCompile(`^\[toolchain   5\.[01]s\] built pulumi\n$`).MatchString(buf.String()) {
		t.Errorf("logged %q", buf.String())
	}
}

func TestFormatDuration(t *testing.T) {
	for d, want := range map[time.Duration]string{
		340 * time.Millisecond:  "300ms",
		5140 * time.Millisecond: "5.1s",
		125 * time.Second:       "2m5s",
	} {
		if got := FormatDuration(d); got != want {
			t.Errorf("FormatDuration(%s) = %q, want %q", d, got, want)
		}
	}
}

func TestCacheRoot(t *testing.T) {
	t.Setenv("HOME", "/home/u")
	t.Setenv("XDG_CACHE_HOME", "")
	if got, err := CacheRoot(); err != nil || got != "/home/u/.cache/three-tier-app" {
		t.Errorf("without XDG_CACHE_HOME: %q, %v", got, err)
	}
	t.Setenv("XDG_CACHE_HOME", "/x")
	if got, err := CacheRoot(); err != nil || got != "/x/three-tier-app" {
		t.Errorf("with XDG_CACHE_HOME: %q, %v", got, err)
	}
	t.Setenv("XDG_CACHE_HOME", "")
	t.Setenv("HOME", "")
	if _, err := CacheRoot(); err == nil {
		t.Error("no error without HOME and XDG_CACHE_HOME")
	}
	if got := Entry("/c/toolchain", "pulumi", "v3.1.0"); got != "/c/toolchain/pulumi-v3.1.0" {
		t.Errorf("Entry = %q", got)
	}
}

// leftovers are the entries of dir other than keep: temporary directories Install did not remove.
func leftovers(t *testing.T, dir string, keep ...string) []string {
	t.Helper()
	es, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, e := range es {
		if !strings.Contains(strings.Join(keep, "\n"), e.Name()) {
			out = append(out, e.Name())
		}
	}
	return out
}

func TestExecutable(t *testing.T) {
	dir := t.TempDir()
	for name, mode := range map[string]os.FileMode{"bin": 0o755, "group-only": 0o610, "data": 0o644} {
		if err := os.WriteFile(filepath.Join(dir, name), nil, mode); err != nil {
			t.Fatal(err)
		}
	}
	for name, want := range map[string]bool{"bin": true, "group-only": true, "data": false, "missing": false, ".": false} {
		if got := Executable(filepath.Join(dir, name)); got != want {
			t.Errorf("Executable(%s) = %v, want %v", name, got, want)
		}
	}
}

func TestInstallReplacesTheEntryWhole(t *testing.T) {
	dir := t.TempDir()
	dest := filepath.Join(dir, "pulumi-v1")
	for _, content := range []string{"one", "two"} {
		err := Install(dest, func(tmp string) error {
			if filepath.Dir(tmp) != dir {
				t.Errorf("temporary directory %s is not beside %s", tmp, dest)
			}
			if _, err := os.Stat(dest + "/old"); content == "two" && err != nil {
				t.Error("the old entry went before the new one was complete")
			}
			return os.WriteFile(filepath.Join(tmp, map[string]string{"one": "old", "two": "new"}[content]), []byte(content), 0o644)
		})
		if err != nil {
			t.Fatal(err)
		}
	}
	if _, err := os.Stat(dest + "/old"); err == nil {
		t.Error("the old entry's file survived")
	}
	if b, err := os.ReadFile(dest + "/new"); err != nil || string(b) != "two" {
		t.Errorf("new entry: %q, %v", b, err)
	}
	if l := leftovers(t, dir, "pulumi-v1"); l != nil {
		t.Errorf("left behind: %v", l)
	}
}

func TestInstallFailureLeavesNothing(t *testing.T) {
	dir := t.TempDir()
	dest := filepath.Join(dir, "entry")
	boom := errors.New("build failed")
	if err := Install(dest, func(tmp string) error {
		_ = os.WriteFile(filepath.Join(tmp, "half"), nil, 0o644)
		return boom
	}); !errors.Is(err, boom) {
		t.Errorf("Install error = %v", err)
	}
	if err := InstallFile(filepath.Join(dir, "file"), func(string) error { return boom }); !errors.Is(err, boom) {
		t.Errorf("InstallFile error = %v", err)
	}
	if l := leftovers(t, dir); l != nil {
		t.Errorf("left behind: %v", l)
	}
}

func TestInstallFile(t *testing.T) {
	dir := t.TempDir()
	dest := filepath.Join(dir, "app.tar")
	if err := os.WriteFile(dest, []byte("old"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := InstallFile(dest, func(tmp string) error {
		if filepath.Base(tmp) != "app.tar" {
			t.Errorf("temporary file %s is not named like its destination", tmp)
		}
		return os.WriteFile(tmp, []byte("new"), 0o644)
	}); err != nil {
		t.Fatal(err)
	}
	if b, _ := os.ReadFile(dest); string(b) != "new" {
		t.Errorf("dest holds %q", b)
	}
	if l := leftovers(t, dir, "app.tar"); l != nil {
		t.Errorf("left behind: %v", l)
	}
}

func TestLockWaitsAndSaysSo(t *testing.T) {
	path := filepath.Join(t.TempDir(), ".lock")
	var buf bytes.Buffer
	log := NewLoggerTo("toolchain", &buf)
	release, err := Lock(context.Background(), path, log, "another toolchain ensure")
	if err != nil {
		t.Fatal(err)
	}
	if buf.Len() != 0 {
		t.Errorf("a free lock logged %q", buf.String())
	}
	// A second open file description conflicts even within this process.
	ctx, cancel := context.WithTimeout(context.Background(), 3*lockPoll)
	defer cancel()
	if _, err := Lock(ctx, path, log, "another toolchain ensure"); !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("a held lock gave %v", err)
	}
	if !strings.Contains(buf.String(), "waiting for another toolchain ensure to finish") {
		t.Errorf("waiting was not logged: %q", buf.String())
	}
	go func() { time.Sleep(lockPoll); release() }()
	second, err := Lock(context.Background(), path, log, "another toolchain ensure")
	if err != nil {
		t.Fatalf("after release: %v", err)
	}
	second()
}

func TestRequiredVersion(t *testing.T) {
	gomod := "module x\n\nrequire go.etcd.io/etcd/server/v3 v3.6.16\n\nrequire (\n\tk8s.io/kubernetes v1.34.4 // indirect\n)\n"
	for mod, want := range map[string]string{"go.etcd.io/etcd/server/v3": "v3.6.16", "k8s.io/kubernetes": "v1.34.4"} {
		if got, err := RequiredVersion(strings.NewReader(gomod), mod); err != nil || got != want {
			t.Errorf("RequiredVersion(%s) = %q, %v; want %q", mod, got, err, want)
		}
	}
	if _, err := RequiredVersion(strings.NewReader(gomod), "k8s.io/api"); err == nil || err.Error() != "go.mod requires no k8s.io/api" {
		t.Errorf("RequiredVersion(k8s.io/api) error = %v", err)
	}
}

// writeTree writes files (path relative to a new directory: content) and returns the directory.
func writeTree(t *testing.T, files map[string]string) string {
	t.Helper()
	dir := t.TempDir()
	for p, content := range files {
		full := filepath.Join(dir, p)
		if err := os.MkdirAll(filepath.Dir(full), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(full, []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

func TestHashSourcesCoversOnlyBuildInputs(t *testing.T) {
	base := map[string]string{"go.mod": "module x", "go.sum": "", "main.go": "package main", "pkg/util.go": "package pkg"}
	hash := func(files map[string]string) string {
		h, err := HashSources(writeTree(t, files))
		if err != nil {
			t.Fatal(err)
		}
		return h
	}
	with := func(path, content string) map[string]string {
		files := map[string]string{path: content}
		for p, c := range base {
			if p != path {
				files[p] = c
			}
		}
		return files
	}
	want := hash(base)
	for _, tc := range []struct {
		path, content string
		changes       bool
	}{
		{"main.go", "package main // edited", true},
		{"pkg/util.go", "package pkg // edited", true},
		{"go.sum", "x v1.0.0 h1:abc", true},
		{"new.go", "package main", true},
		{"main_test.go", "package main", false},
		{"README.md", "docs", false},
		{"bin/app", "a built binary", false},
		{"testdata/x.go", "package x", false},
		{".git/x.go", "package x", false},
	} {
		if got := hash(with(tc.path, tc.content)) != want; got != tc.changes {
			t.Errorf("writing %s changed the hash: %v, want %v", tc.path, got, tc.changes)
		}
	}
	// A file moved to another directory is another tree.
	if hash(map[string]string{"go.mod": "", "a/x.go": "package a"}) == hash(map[string]string{"go.mod": "", "ax.go": "package a"}) {
		t.Error("a/x.go and ax.go hash the same")
	}
}

func TestHashSourcesFollowsLocalReplacements(t *testing.T) {
	root := writeTree(t, map[string]string{
		"tool/go.mod":  "module tool\n\nrequire lib v0.0.0\n\nreplace lib => ../lib // the shared library\n",
		"tool/main.go": "package main",
		"lib/go.mod":   "module lib",
		"lib/lib.go":   "package lib",
	})
	before, err := HashSources(filepath.Join(root, "tool"))
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(root, "lib/lib.go"), []byte("package lib // edited"), 0o644); err != nil {
		t.Fatal(err)
	}
	if after, err := HashSources(filepath.Join(root, "tool")); err != nil || after == before {
		t.Errorf("editing the replaced module kept the hash (%v)", err)
	}
	if got := localReplacements("replace (\n\ta => ./a\n\tb v1.0.0 => c v1.1.0\n)\nreplace d => ../d\n"); strings.Join(got, ",") != "./a,../d" {
		t.Errorf("localReplacements = %v", got)
	}
}

func TestPulumiVersion(t *testing.T) {
	repo := writeTree(t, map[string]string{".pulumi-version": " 3.259.0\n"})
	if v, err := PulumiVersion(repo); err != nil || v != "3.259.0" {
		t.Errorf("PulumiVersion = %q, %v", v, err)
	}
	if _, err := PulumiVersion(writeTree(t, map[string]string{".pulumi-version": "\n"})); err == nil {
		t.Error("an empty .pulumi-version gave no error")
	}
}

func TestAtLeast(t *testing.T) {
	for _, tc := range []struct {
		v, min string
		want   bool
	}{
		{"3.259.0", "3.248.0", true},
		{"v3.259.0", "3.259.0", true},
		{"3.248.0", "3.259.0", false},
		{"3.9.0", "3.10.0", false},
		{"10.0.0", "9.99.99", true},
		{"3.259.0-alpha.1", "3.259.0", false},
		{"3.259.0", "3.259.0-alpha.1", true},
		{"3.259.0-alpha.10", "3.259.0-alpha.9", true},
		{"3.259.0-alpha.1", "3.259.0-beta", false},
		{"v3.259.1-0.20260101000000-abcdef123456", "v3.259.0", true},
		{"3.259.0+build.5", "3.259.0", true},
	} {
		if got := AtLeast(tc.v, tc.min); got != tc.want {
			t.Errorf("AtLeast(%s, %s) = %v, want %v", tc.v, tc.min, got, tc.want)
		}
	}
}
