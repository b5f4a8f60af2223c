package shared

import (
	"os"
	"os/exec"
	"path/filepath"
	"testing"
)

// run.sh must rebuild a tool when any source its build reads changes: a file of a subpackage, go.sum,
// as well as the main package and go.mod. A stale binary would run yesterday's code.
func TestRunShRebuildsOnEverySourceChange(t *testing.T) {
	if _, err := exec.LookPath("go"); err != nil {
		t.Fatal("go is needed to build the tool run.sh runs")
	}
	tools := t.TempDir()
	script, err := os.ReadFile("run.sh")
	if err != nil {
		t.Fatal(err)
	}
	write := func(rel, content string) {
		t.Helper()
		p := filepath.Join(tools, rel)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(content), 0o755); err != nil {
			t.Fatal(err)
		}
	}
	write("shared/run.sh", string(script))
	write("shared/go.mod", "module shared\n\ngo 1.22\n")
	write("demo/go.mod", "module demo\n\ngo 1.22\n")
	write("demo/main.go", "package main\n\nimport (\n\t\"fmt\"\n\n\t\"demo/word\"\n)\n\nfunc main() { fmt.Print(word.Word) }\n")
	write("demo/word/word.go", "package word\n\nconst Word = \"first\"\n")
	cache := filepath.Join(t.TempDir(), "cache")
	run := func() string {
		t.Helper()
		out, err := exec.Command(filepath.Join(tools, "shared", "run.sh"), "demo", cache).Output()
		if err != nil {
			t.Fatalf("run.sh: %v", err)
		}
		return string(out)
	}

	if got := run(); got != "first" {
		t.Fatalf("first run printed %q", got)
	}
	write("demo/word/word.go", "package word\n\nconst Word = \"second\"\n")
	if got := run(); got != "second" {
		t.Errorf("after a change in a subpackage the tool printed %q: run.sh ran a stale build", got)
	}
	builds := func() int {
		entries, _ := filepath.Glob(filepath.Join(cache, "demo-tool-*"))
		return len(entries)
	}
	before := builds()
	write("demo/go.sum", "example.com/m v1.0.0 h1:AAAA\n")
	run()
	if builds() != before+1 {
		t.Errorf("a change of go.sum made %d new builds, want 1", builds()-before)
	}
	// The tool replaces in this library: a change there rebuilds it too.
	write("shared/cache.go", "package shared\n")
	run()
	if builds() != before+2 {
		t.Errorf("a change in tools/shared made %d new builds, want 1", builds()-before-1)
	}
	// Tests are not part of the build: adding one reuses the binary.
	write("demo/word/word_test.go", "package word\n")
	if got := run(); got != "second" || builds() != before+2 {
		t.Errorf("a new test file made a new build (%d builds) or changed the output (%q)", builds()-before-2, got)
	}
}
