package main

import (
	"archive/tar"
	"context"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"syscall"
	"testing"
	"time"

	"github.com/google/go-containerregistry/pkg/name"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/tarball"
)

func TestImageKeyChangesWithEachInput(t *testing.T) {
	env := buildEnv{toolHash: "tool"}
	img := image{name: "x", ref: "localhost/three-tier-app/x:1", config: v1.Config{Cmd: []string{"/x"}, User: "1:1"}}
	key := func(env buildEnv, img image, rootfsKey string) string {
		k, err := imageKey(env, img, rootfsKey)
		if err != nil {
			t.Fatal(err)
		}
		return k
	}
	base := key(env, img, "rootfs")
	if key(env, img, "rootfs") != base {
		t.Fatal("the same inputs gave two keys")
	}
	otherRef, otherConfig := img, img
	otherRef.ref = "localhost/three-tier-app/x:2"
	otherConfig.config = v1.Config{Cmd: []string{"/x"}, User: "2:2"}
	for what, k := range map[string]string{
		"tool sources": key(buildEnv{toolHash: "tool2"}, img, "rootfs"),
		"reference":    key(env, otherRef, "rootfs"),
		"config":       key(env, otherConfig, "rootfs"),
		"layer inputs": key(env, img, "rootfs2"),
	} {
		if k == base {
			t.Errorf("a change of the %s kept the key", what)
		}
	}
}

func TestGoBinaryKeyFollowsItsSources(t *testing.T) {
	repo := writeTree(t, map[string]string{"app/go.mod": "module app", "app/main.go": "package main"}, 0o644)
	g := goBinary{module: "app", pkg: ".", path: "/bin/app"}
	env := buildEnv{repo: repo, goVersion: "go1.26.8"}
	key := func(g goBinary, env buildEnv) string {
		k, err := g.key(env)
		if err != nil {
			t.Fatal(err)
		}
		return k
	}
	base := key(g, env)
	if err := os.WriteFile(filepath.Join(repo, "app", "main_test.go"), []byte("package main"), 0o644); err != nil {
		t.Fatal(err)
	}
	if key(g, env) != base {
		t.Error("a test file changed the key")
	}
	withFile := g
	withFile.files = map[string]string{"/etc/passwd": "root"}
	if key(g, buildEnv{repo: repo, goVersion: "go1.27.0"}) == base || key(withFile, env) == base {
		t.Error("another Go version or extra file kept the key")
	}
	if err := os.WriteFile(filepath.Join(repo, "app", "main.go"), []byte("package main // v2"), 0o644); err != nil {
		t.Fatal(err)
	}
	if key(g, env) == base {
		t.Error("a source change kept the key")
	}
}

func TestDebianKeyFollowsTheRecipe(t *testing.T) {
	d := debian{suite: "bookworm", mirrors: bookwormMirrors, packages: []string{"nginx"}, versionOf: "nginx"}
	base, _ := d.key(buildEnv{})
	for what, other := range map[string]debian{
		"packages":  {suite: "bookworm", mirrors: bookwormMirrors, packages: []string{"nginx-light"}},
		"suite":     {suite: "trixie", mirrors: bookwormMirrors, packages: []string{"nginx"}},
		"mirrors":   {suite: "bookworm", mirrors: bookwormMirrors[:1], packages: []string{"nginx"}},
		"customize": {suite: "bookworm", mirrors: bookwormMirrors, packages: []string{"nginx"}, customize: []string{"true"}},
	} {
		if k, _ := other.key(buildEnv{}); k == base {
			t.Errorf("a change of %s kept the rootfs key", what)
		}
	}
}

func TestTarballNameCarriesTheTag(t *testing.T) {
	got, err := tarballName(image{name: "redis", ref: "localhost/three-tier-app/redis:7.0.15"}, "0123456789abcdef0123")
	if err != nil || got != "redis-7.0.15-0123456789abcdef.tar" {
		t.Errorf("tarballName = %q, %v", got, err)
	}
	if _, err := tarballName(image{name: "x", ref: "localhost/x"}, "0123456789abcdef"); err == nil {
		t.Error("a reference without a tag was accepted")
	}
}

const dpkgStatus = `Package: redis-tools
Status: install ok installed
Version: 5:7.0.15-1~deb12u10

Package: nginx-doc
Status: deinstall ok config-files
Version: 1.18.0-6

Package: nginx
Status: install ok installed
Architecture: amd64
Version: 1.22.1-9+deb12u11
`

func TestPackageVersion(t *testing.T) {
	for _, tc := range []struct{ pkg, want, err string }{
		{"nginx", "1.22.1-9+deb12u11", ""},
		{"redis-tools", "5:7.0.15-1~deb12u10", ""},
		{"nginx-doc", "", "package nginx-doc is not installed"},
		{"redis-server", "", "package redis-server is not installed"},
	} {
		got, err := packageVersion([]byte(dpkgStatus), tc.pkg)
		if got != tc.want || (err == nil) != (tc.err == "") || (err != nil && err.Error() != tc.err) {
			t.Errorf("packageVersion(%s) = %q, %v; want %q, %q", tc.pkg, got, err, tc.want, tc.err)
		}
	}
}

func TestUpstreamVersion(t *testing.T) {
	for in, want := range map[string]string{
		"5:7.0.15-1~deb12u10": "7.0.15",
		"1.22.1-9+deb12u11":   "1.22.1",
		"2.36.1-8+deb12u1":    "2.36.1",
		"1:2.38.1-5+b1":       "2.38.1",
		"3.10":                "3.10",
		"1.0-beta-2":          "1.0-beta",
	} {
		if got := upstreamVersion(in); got != want {
			t.Errorf("upstreamVersion(%q) = %q, want %q", in, got, want)
		}
	}
}

// The sandbox must stop on SIGTERM (kubelet's StopPodSandbox) with status 0.
func TestPauseExitsOnSIGTERM(t *testing.T) {
	bin := filepath.Join(t.TempDir(), "pause")
	build := exec.Command("go", "build", "-o", bin, "./pause")
	build.Env = append(os.Environ(), "CGO_ENABLED=0", "GOTOOLCHAIN=local")
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("go build ./pause: %v\n%s", err, out)
	}
	cmd := exec.Command(bin)
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	select {
	case err := <-done:
		t.Fatalf("pause exited by itself: %v", err)
	case <-time.After(300 * time.Millisecond):
	}
	if err := cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	select {
	case err := <-done:
		var exit *exec.ExitError
		if errors.As(err, &exit) || err != nil {
			t.Errorf("pause after SIGTERM: %v, want exit status 0", err)
		}
	case <-time.After(5 * time.Second):
		_ = cmd.Process.Kill()
		t.Fatal("pause still runs 5 s after SIGTERM")
	}
}

// The pause row end to end: a docker-archive tarball tagged with its reference, then reused.
func TestBuildWritesAndReusesATarball(t *testing.T) {
	cache := t.TempDir()
	env, err := newBuildEnv(cache, cache)
	if err != nil {
		t.Fatal(err)
	}
	pause, err := selectImages([]string{"pause"})
	if err != nil {
		t.Fatal(err)
	}
	stale := filepath.Join(cache, "pause-3.10-0000000000000000.tar")
	if err := os.WriteFile(stale, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	path, reused, err := build(context.Background(), env, pause[0])
	if err != nil || reused {
		t.Fatalf("build = %q, %v, %v; want a new tarball", path, reused, err)
	}
	if _, err := os.Stat(stale); !os.IsNotExist(err) {
		t.Errorf("the stale tarball is still there: %v", err)
	}
	tag, err := name.NewTag(pause[0].ref)
	if err != nil {
		t.Fatal(err)
	}
	img, err := tarball.ImageFromPath(path, &tag)
	if err != nil {
		t.Fatal(err)
	}
	cf, err := img.ConfigFile()
	if err != nil {
		t.Fatal(err)
	}
	if cf.OS != "linux" || cf.Architecture != "amd64" || cf.Config.User != "65535:65535" || !slices.Equal(cf.Config.Entrypoint, []string{"/pause"}) {
		t.Errorf("config: %s/%s user %q entrypoint %q", cf.OS, cf.Architecture, cf.Config.User, cf.Config.Entrypoint)
	}
	layers, err := img.Layers()
	if err != nil || len(layers) != 1 {
		t.Fatalf("layers: %d, %v", len(layers), err)
	}
	rc, err := layers[0].Uncompressed()
	if err != nil {
		t.Fatal(err)
	}
	defer rc.Close()
	hdr, err := tar.NewReader(rc).Next()
	if err != nil || hdr.Name != "pause" || hdr.Mode != 0o755 {
		t.Errorf("first layer entry: %+v, %v; want pause, mode 755", hdr, err)
	}
	again, reused, err := build(context.Background(), env, pause[0])
	if err != nil || !reused || again != path {
		t.Errorf("second build = %q, %v, %v; want %q reused", again, reused, err, path)
	}
}
