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
	env := buildEnv{toolHash: "tool", labels: map[string]string{labelSource: "here"}}
	img := image{name: "x", tag: "1", config: v1.Config{Cmd: []string{"/x"}, User: "1:1"}}
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
	otherName, otherTag, otherConfig := img, img, img
	otherName.name, otherTag.tag = "y", "2"
	otherConfig.config = v1.Config{Cmd: []string{"/x"}, User: "2:2"}
	otherLabels := env
	otherLabels.labels = map[string]string{labelSource: "here", labelRevision: "abc"}
	for what, k := range map[string]string{
		"tool sources": key(buildEnv{toolHash: "tool2", labels: env.labels}, img, "rootfs"),
		"name":         key(env, otherName, "rootfs"),
		"tag":          key(env, otherTag, "rootfs"),
		"config":       key(env, otherConfig, "rootfs"),
		"labels":       key(otherLabels, img, "rootfs"),
		"layer inputs": key(env, img, "rootfs2"),
	} {
		if k == base {
			t.Errorf("a change of the %s kept the key", what)
		}
	}
}

// The backend row's key follows app/backend: a copy of its sources stands for the repository.
func TestBackendKeyFollowsTheApp(t *testing.T) {
	files := map[string]string{}
	for _, pattern := range []string{"go.mod", "go.sum", "*.go"} {
		matches, err := filepath.Glob(filepath.Join("..", "..", "app", "backend", pattern))
		if err != nil {
			t.Fatal(err)
		}
		for _, m := range matches {
			content, err := os.ReadFile(m)
			if err != nil {
				t.Fatal(err)
			}
			files[filepath.Join("app", "backend", filepath.Base(m))] = string(content)
		}
	}
	repo := writeTree(t, files, 0o644)
	env := buildEnv{repo: repo, toolHash: "tool", goVersion: "go1.26.8"}
	backend, err := selectImages([]string{"backend"})
	if err != nil {
		t.Fatal(err)
	}
	before, err := key(env, backend[0])
	if err != nil {
		t.Fatal(err)
	}
	handler := filepath.Join(repo, "app", "backend", "handler.go")
	if err := os.WriteFile(handler, []byte(files[filepath.Join("app", "backend", "handler.go")]+"\n// changed\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if after, err := key(env, backend[0]); err != nil || after == before {
		t.Errorf("a change of app/backend/handler.go kept the key %s (%v)", before, err)
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

func TestOutputNamesCarryTheTagAndTheKey(t *testing.T) {
	got := outputOf(buildEnv{out: "/out"}, image{name: "redis", tag: "7.0.15"}, "0123456789abcdef0123")
	want := output{key: "0123456789abcdef0123", tarball: "/out/redis-7.0.15-0123456789abcdef.tar", sbom: "/out/redis-7.0.15-0123456789abcdef.spdx.json"}
	if got != want {
		t.Errorf("outputOf = %+v, want %+v", got, want)
	}
}

const dpkgStatus = `Package: redis-tools
Status: install ok installed
Architecture: amd64
Version: 5:7.0.15-1~deb12u10
Description: persistent key-value database with network interface (client)
 Package: not-a-package

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
		installed, err := installedPackages([]byte(dpkgStatus))
		if err != nil {
			t.Fatal(err)
		}
		got, err := packageVersion(installed, tc.pkg)
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

// The pause row end to end: a docker-archive tarball tagged with its reference and an SBOM, then reused.
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
	stale := []string{filepath.Join(cache, "pause-3.10-0000000000000000.tar"), filepath.Join(cache, "pause-3.10-0000000000000000.spdx.json")}
	for _, f := range stale {
		if err := os.WriteFile(f, nil, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	out, reused, err := build(context.Background(), env, pause[0])
	if err != nil || reused {
		t.Fatalf("build = %+v, %v, %v; want a new tarball", out, reused, err)
	}
	for _, f := range stale {
		if _, err := os.Stat(f); !os.IsNotExist(err) {
			t.Errorf("the stale %s is still there: %v", f, err)
		}
	}
	img := tarballImage(t, out.tarball, pause[0].ref())
	cf, err := img.ConfigFile()
	if err != nil {
		t.Fatal(err)
	}
	if cf.OS != "linux" || cf.Architecture != "amd64" || cf.Config.User != "65535:65535" || !slices.Equal(cf.Config.Entrypoint, []string{"/pause"}) {
		t.Errorf("config: %s/%s user %q entrypoint %q", cf.OS, cf.Architecture, cf.Config.User, cf.Config.Entrypoint)
	}
	if !cf.Created.Equal(epochTime) || len(cf.History) != 1 || !cf.History[0].Created.Equal(epochTime) {
		t.Errorf("created %s, history %+v; want %s", cf.Created, cf.History, epochTime)
	}
	if cf.Config.Labels[labelVersion] != "3.10" || cf.Config.Labels[labelSource] == "" {
		t.Errorf("labels %v, want version 3.10 and a source", cf.Config.Labels)
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
	if _, err := os.Stat(out.sbom); err != nil {
		t.Errorf("no SBOM: %v", err)
	}
	again, reused, err := build(context.Background(), env, pause[0])
	if err != nil || !reused || again != out {
		t.Errorf("second build = %+v, %v, %v; want %+v reused", again, reused, err, out)
	}
}

// The same sources give the same image and SBOM bytes from two empty caches (the Go build cache is
// shared; a Go build's output does not depend on it).
func TestBackendBuildIsReproducible(t *testing.T) {
	backend, err := selectImages([]string{"backend"})
	if err != nil {
		t.Fatal(err)
	}
	var digests, sboms []string
	for range 2 {
		cache := t.TempDir()
		env, err := newBuildEnv(cache, cache)
		if err != nil {
			t.Fatal(err)
		}
		out, _, err := build(context.Background(), env, backend[0])
		if err != nil {
			t.Fatal(err)
		}
		d, err := tarballImage(t, out.tarball, backend[0].ref()).Digest()
		if err != nil {
			t.Fatal(err)
		}
		sbom, err := os.ReadFile(out.sbom)
		if err != nil {
			t.Fatal(err)
		}
		digests, sboms = append(digests, d.String()), append(sboms, string(sbom))
	}
	if digests[0] != digests[1] {
		t.Errorf("two builds of backend: %s and %s", digests[0], digests[1])
	}
	if sboms[0] != sboms[1] {
		t.Error("two builds of backend wrote different SBOMs")
	}
}

// tarballImage reads the image tagged ref from a docker-archive tarball.
func tarballImage(t *testing.T, path, ref string) v1.Image {
	t.Helper()
	tag, err := name.NewTag(ref)
	if err != nil {
		t.Fatal(err)
	}
	img, err := tarball.ImageFromPath(path, &tag)
	if err != nil {
		t.Fatal(err)
	}
	return img
}
