package main

import (
	"bufio"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"
)

// The dynamic provider plugin the toolchain writes starts @pulumi/pulumi's provider from the program's
// node_modules: run in the repository (as the engine runs plugins), it serves and prints its port.
func TestDynamicProviderScriptServes(t *testing.T) {
	script := filepath.Join(t.TempDir(), dynamicProviderName)
	if err := os.WriteFile(script, []byte(dynamicProviderScript), 0o755); err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(script, "127.0.0.1:1")
	cmd.Dir = filepath.Join("..", "..")
	cmd.Stderr = os.Stderr
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	defer func() { _ = cmd.Process.Kill(); _ = cmd.Wait() }()
	line := make(chan string, 1)
	go func() {
		s := bufio.NewScanner(stdout)
		s.Scan()
		line <- strings.TrimSpace(s.Text())
	}()
	select {
	case got := <-line:
		if port, err := strconv.Atoi(got); err != nil || port <= 0 {
			t.Fatalf("the plugin printed %q, want the port it serves on", got)
		}
	case <-time.After(30 * time.Second):
		t.Fatal("the plugin printed no port within 30 s")
	}
}
