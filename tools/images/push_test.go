package main

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"log"
	"maps"
	"net"
	"net/http"
	"net/http/httptest"
	"os/exec"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/google/go-containerregistry/pkg/name"
	"github.com/google/go-containerregistry/pkg/registry"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/remote"
)

// isolatedCache points the image cache at a new directory, keeping the Go build cache, which
// XDG_CACHE_HOME would otherwise move too (a cold one costs minutes and changes nothing in the output).
func isolatedCache(t *testing.T) {
	t.Helper()
	gocache, err := exec.Command("go", "env", "GOCACHE").Output()
	if err != nil {
		t.Fatal(err)
	}
	t.Setenv("GOCACHE", strings.TrimSpace(string(gocache)))
	t.Setenv("XDG_CACHE_HOME", t.TempDir())
}

// startRegistry serves an in-memory registry on loopback; it returns its host:port.
func startRegistry(t *testing.T, opts ...registry.Option) string {
	t.Helper()
	srv := httptest.NewServer(registry.New(append(opts, registry.Logger(log.New(io.Discard, "", 0)))...))
	t.Cleanup(srv.Close)
	return strings.TrimPrefix(srv.URL, "http://")
}

// runImages runs the command as main does and returns its stdout.
func runImages(t *testing.T, args ...string) (string, error) {
	t.Helper()
	var stdout, stderr bytes.Buffer
	err := run(context.Background(), args, &stdout, &stderr)
	if strings.Contains(stderr.String(), "{") {
		t.Errorf("JSON on stderr: %s", stderr.String())
	}
	return stdout.String(), err
}

// pushOne pushes one image and decodes its line, checking that the line has exactly the fields promised.
func pushOne(t *testing.T, prefix, imageName string) pushed {
	t.Helper()
	out, err := runImages(t, "push", "--registry", prefix, "--insecure", imageName)
	if err != nil {
		t.Fatal(err)
	}
	if strings.Count(out, "\n") != 1 {
		t.Fatalf("push printed %q, want one line", out)
	}
	var fields map[string]any
	if err := json.Unmarshal([]byte(out), &fields); err != nil {
		t.Fatal(err)
	}
	if got := strings.Join(slices.Sorted(maps.Keys(fields)), ","); got != "digest,key,name,ref,repository,sbom,tag" {
		t.Errorf("fields %s", got)
	}
	var p pushed
	if err := json.Unmarshal([]byte(out), &p); err != nil {
		t.Fatal(err)
	}
	return p
}

var digestPattern = regexp.MustCompile(`^sha256:[0-9a-f]{64}$`)

// backend pushed to two registries (one without the referrers API, one with): the line names what the
// registry serves, the digest is the local tarball's and the same in both, the key is `images key`'s.
func TestPushBackend(t *testing.T) {
	isolatedCache(t)
	t.Setenv("IMAGES_SOURCE", "https://example.invalid/three-tier-app")
	t.Setenv("IMAGES_REVISION", "0123abc")
	plain, referrers := startRegistry(t)+"/three-tier-app", startRegistry(t, registry.WithReferrersSupport(true))+"/three-tier-app"

	got := pushOne(t, plain, "backend")
	if got.Name != "backend" || got.Tag != "v0.4.0" || got.Repository != plain+"/backend" ||
		!digestPattern.MatchString(got.Digest) || got.Ref != plain+"/backend@"+got.Digest {
		t.Errorf("push printed %+v", got)
	}

	built, err := runImages(t, "build", "backend")
	if err != nil {
		t.Fatal(err)
	}
	ref, path, _ := strings.Cut(strings.TrimSpace(built), " ")
	local := tarballImage(t, path, ref)
	if d, err := local.Digest(); err != nil || d.String() != got.Digest {
		t.Errorf("the tarball's digest is %s (%v), the pushed one %s", d, err, got.Digest)
	}

	remoteConfig := pulledConfig(t, got.Ref)
	localConfig, err := local.ConfigFile()
	if err != nil {
		t.Fatal(err)
	}
	if remoteConfig.Config.User != "65532:65532" || !maps.Equal(remoteConfig.Config.Labels, localConfig.Config.Labels) {
		t.Errorf("pulled user %q labels %v; local labels %v", remoteConfig.Config.User, remoteConfig.Config.Labels, localConfig.Config.Labels)
	}
	want := map[string]string{labelSource: "https://example.invalid/three-tier-app", labelRevision: "0123abc", labelVersion: "v0.4.0"}
	if !maps.Equal(remoteConfig.Config.Labels, want) {
		t.Errorf("labels %v, want %v", remoteConfig.Config.Labels, want)
	}
	checkSBOM(t, got, "github.com/redis/go-redis/v9", "stdlib")

	if again := pushOne(t, plain, "backend"); again != got {
		t.Errorf("the second push printed %+v, the first %+v", again, got)
	}
	other := pushOne(t, referrers, "backend")
	if other.Digest != got.Digest || other.Key != got.Key {
		t.Errorf("other registry: digest %s key %s; first %s %s", other.Digest, other.Key, got.Digest, got.Key)
	}
	checkSBOM(t, other, "github.com/redis/go-redis/v9")

	for range 2 {
		keys, err := runImages(t, "key", "backend")
		if err != nil || keys != "backend "+got.Tag+" "+got.Key+"\n" {
			t.Errorf("images key printed %q, %v; want the pushed key %s", keys, err, got.Key)
		}
	}
}

func pulledConfig(t *testing.T, ref string) *v1.ConfigFile {
	t.Helper()
	r, err := name.ParseReference(ref, name.Insecure)
	if err != nil {
		t.Fatal(err)
	}
	img, err := remote.Image(r)
	if err != nil {
		t.Fatal(err)
	}
	cf, err := img.ConfigFile()
	if err != nil {
		t.Fatal(err)
	}
	return cf
}

// checkSBOM finds the image's SBOM among its referrers and checks that it lists the packages.
func checkSBOM(t *testing.T, p pushed, packages ...string) {
	t.Helper()
	subject, err := name.NewDigest(p.Ref, name.Insecure)
	if err != nil {
		t.Fatal(err)
	}
	index, err := remote.Referrers(subject)
	if err != nil {
		t.Fatal(err)
	}
	manifest, err := index.IndexManifest()
	if err != nil {
		t.Fatal(err)
	}
	// Not the listed artifactType: go-containerregistry's registry lists the config's media type instead.
	if len(manifest.Manifests) != 1 || p.SBOM != p.Repository+"@"+manifest.Manifests[0].Digest.String() {
		t.Fatalf("referrers of %s: %+v; the line says %s", p.Ref, manifest.Manifests, p.SBOM)
	}
	sbomRef, err := name.NewDigest(p.SBOM, name.Insecure)
	if err != nil {
		t.Fatal(err)
	}
	artifact, err := remote.Image(sbomRef)
	if err != nil {
		t.Fatal(err)
	}
	if m, err := artifact.Manifest(); err != nil || m.ArtifactType != spdxType || m.Subject == nil || m.Subject.Digest.String() != p.Digest {
		t.Errorf("SBOM manifest %+v, %v; want artifactType %s and the image as subject", m, err, spdxType)
	}
	layers, err := artifact.Layers()
	if err != nil || len(layers) != 1 {
		t.Fatalf("SBOM layers: %d, %v", len(layers), err)
	}
	rc, err := layers[0].Compressed()
	if err != nil {
		t.Fatal(err)
	}
	defer rc.Close()
	var doc spdxDoc
	if err := json.NewDecoder(rc).Decode(&doc); err != nil {
		t.Fatal(err)
	}
	if doc.SPDXVersion != "SPDX-2.3" || doc.Packages[0].Name != p.Name || !strings.HasSuffix(doc.DocumentNamespace, p.Digest) {
		t.Errorf("SBOM %s: %s, first package %s, namespace %s", p.SBOM, doc.SPDXVersion, doc.Packages[0].Name, doc.DocumentNamespace)
	}
	for _, want := range packages {
		if !containsPackage(doc, want) {
			t.Errorf("the SBOM lists no %s", want)
		}
	}
}

func containsPackage(doc spdxDoc, pkg string) bool {
	for _, p := range doc.Packages {
		if p.Name == pkg {
			return true
		}
	}
	return false
}

// A registry that refuses, and one that is not there: the error names the image and the repository.
func TestPushErrorsNameTheImageAndTheRepository(t *testing.T) {
	isolatedCache(t)
	refusing := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		http.Error(w, "no", http.StatusUnauthorized)
	}))
	defer refusing.Close()
	closed, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	gone := closed.Addr().String()
	closed.Close()

	for what, host := range map[string]string{"refusing": strings.TrimPrefix(refusing.URL, "http://"), "unreachable": gone} {
		prefix := host + "/three-tier-app"
		out, err := runImages(t, "push", "--registry", prefix, "--insecure", "pause")
		want := "push pause to " + prefix + "/pause: "
		if err == nil || !strings.HasPrefix(err.Error(), want) || out != "" {
			t.Errorf("%s registry: error %v, stdout %q; want an error starting %q", what, err, out, want)
		}
	}
}

func TestKeyIsStableAndFollowsTheLabels(t *testing.T) {
	t.Setenv("IMAGES_REVISION", "")
	first, err := runImages(t, "key")
	if err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimSpace(first), "\n")
	if len(lines) != len(images) || !regexp.MustCompile(`^backend v[0-9.]+ [0-9a-f]{64}$`).MatchString(lines[0]) {
		t.Fatalf("images key printed %q", first)
	}
	if again, err := runImages(t, "key"); err != nil || again != first {
		t.Errorf("a second images key printed %q, %v; the first %q", again, err, first)
	}
	t.Setenv("IMAGES_REVISION", "0123abc")
	revised, err := runImages(t, "key", "backend")
	if err != nil || revised == lines[0]+"\n" {
		t.Errorf("a revision label kept the key: %q, %v", revised, err)
	}
}
