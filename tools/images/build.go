package main

import (
	"archive/tar"
	"bufio"
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"

	"github.com/google/go-containerregistry/pkg/name"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/empty"
	"github.com/google/go-containerregistry/pkg/v1/mutate"
	"github.com/google/go-containerregistry/pkg/v1/tarball"

	"three-tier-app/toolkit"
)

// buildEnv is what every build shares.
type buildEnv struct {
	repo  string // the repository's root
	out   string // where image tarballs go
	cache string // ~/.cache/three-tier-app/images: Debian rootfs tarballs and their logs
	// toolHash covers this program's own sources, so a change to how images are made rebuilds them.
	toolHash  string
	goVersion string
}

// rootfs makes an image's single layer.
type rootfs interface {
	// key covers every input of the layer: equal keys give the same files.
	key(env buildEnv) (string, error)
	// layer makes the layer in work; version is the Debian version of the package the tag names (empty
	// for our own binaries).
	layer(ctx context.Context, env buildEnv, img image, work string) (l v1.Layer, version string, err error)
}

// imageKey covers the reference, the config and the layer's inputs: the tarball's cache key.
func imageKey(env buildEnv, img image, rootfsKey string) (string, error) {
	config, err := json.Marshal(img.config)
	if err != nil {
		return "", err
	}
	return hashStrings(env.toolHash, img.ref, string(config), rootfsKey), nil
}

// hashStrings is a hex SHA-256 of the strings, each prefixed by its length.
func hashStrings(parts ...string) string {
	h := sha256.New()
	for _, p := range parts {
		fmt.Fprintf(h, "%d:%s", len(p), p)
	}
	return hex.EncodeToString(h.Sum(nil))
}

// tarballName is the file of an image: name, tag and the first 16 hex digits of its key.
func tarballName(img image, key string) (string, error) {
	tag, err := name.NewTag(img.ref, name.StrictValidation)
	if err != nil {
		return "", err
	}
	return fmt.Sprintf("%s-%s-%s.tar", img.name, tag.TagStr(), key[:16]), nil
}

// build writes the image's tarball unless one with the same key exists; it returns its path and whether it
// was reused. Tarballs of the same image with other keys are removed.
func build(ctx context.Context, env buildEnv, img image) (string, bool, error) {
	rootfsKey, err := img.rootfs.key(env)
	if err != nil {
		return "", false, err
	}
	key, err := imageKey(env, img, rootfsKey)
	if err != nil {
		return "", false, err
	}
	file, err := tarballName(img, key)
	if err != nil {
		return "", false, err
	}
	out := filepath.Join(env.out, file)
	if _, err := os.Stat(out); err == nil {
		return out, true, nil
	}
	work, err := os.MkdirTemp("", "images-"+img.name+"-")
	if err != nil {
		return "", false, err
	}
	defer os.RemoveAll(work)

	layer, version, err := img.rootfs.layer(ctx, env, img, work)
	if err != nil {
		return "", false, err
	}
	tag, err := name.NewTag(img.ref, name.StrictValidation)
	if err != nil {
		return "", false, err
	}
	config := *img.config.DeepCopy()
	if version != "" {
		if upstream := upstreamVersion(version); upstream != tag.TagStr() {
			return "", false, fmt.Errorf("%s: the rootfs has Debian version %s (upstream %s), but the reference's tag is %s: update the table and the stack's config", img.name, version, upstream, tag.TagStr())
		}
		config.Labels = map[string]string{"org.opencontainers.image.version": version}
	}
	v1img, err := assemble(layer, config)
	if err != nil {
		return "", false, err
	}
	if err := toolkit.InstallFile(out, func(tmp string) error { return tarball.WriteToFile(tmp, tag, v1img) }); err != nil {
		return "", false, err
	}
	return out, false, removeOthers(env.out, img.name+"-*.tar", out)
}

// assemble makes a linux/amd64 image of one layer and the config.
func assemble(layer v1.Layer, config v1.Config) (v1.Image, error) {
	img, err := mutate.AppendLayers(empty.Image, layer)
	if err != nil {
		return nil, err
	}
	cf, err := img.ConfigFile()
	if err != nil {
		return nil, err
	}
	cf = cf.DeepCopy()
	cf.OS, cf.Architecture, cf.Config = "linux", "amd64", config
	return mutate.ConfigFile(img, cf)
}

// removeOthers deletes the files matching pattern in dir other than keep: stale builds of the same image.
func removeOthers(dir, pattern, keep string) error {
	matches, err := filepath.Glob(filepath.Join(dir, pattern))
	if err != nil {
		return err
	}
	for _, m := range matches {
		if m != keep {
			if err := os.Remove(m); err != nil {
				return err
			}
		}
	}
	return nil
}

// goBinary is an image of one static Go binary (plus a few small files).
type goBinary struct {
	module string // the module's directory, relative to the repository
	pkg    string // the main package, relative to the module
	path   string // the binary's path in the image
	files  map[string]string
}

func (g goBinary) key(env buildEnv) (string, error) {
	sources, err := toolkit.HashSources(filepath.Join(env.repo, g.module))
	if err != nil {
		return "", err
	}
	files, err := json.Marshal(g.files)
	if err != nil {
		return "", err
	}
	return hashStrings(env.goVersion, g.module, g.pkg, g.path, string(files), sources), nil
}

func (g goBinary) layer(ctx context.Context, env buildEnv, _ image, work string) (v1.Layer, string, error) {
	stage := filepath.Join(work, "rootfs")
	cmd := exec.CommandContext(ctx, "nice", "-n", "10", "go", "build", "-trimpath", "-buildvcs=false",
		"-ldflags=-s -w", "-o", filepath.Join(stage, g.path), g.pkg)
	cmd.Dir = filepath.Join(env.repo, g.module)
	cmd.Env = append(os.Environ(), "CGO_ENABLED=0", "GOOS=linux", "GOARCH=amd64", "GOTOOLCHAIN=local")
	if output, err := cmd.CombinedOutput(); err != nil {
		return nil, "", fmt.Errorf("go build %s in %s: %v\n%s", g.pkg, g.module, err, output)
	}
	for p, content := range g.files {
		target := filepath.Join(stage, p)
		if err := os.MkdirAll(filepath.Dir(target), 0o755); err != nil {
			return nil, "", err
		}
		if err := os.WriteFile(target, []byte(content), 0o644); err != nil {
			return nil, "", err
		}
	}
	l, err := layerFromDir(stage)
	return l, "", err
}

// debian is an image of a Debian rootfs made by mmdebstrap from Debian's packages, as one layer.
type debian struct {
	suite    string
	mirrors  []string
	packages []string
	// versionOf is the package whose upstream version the reference's tag must be.
	versionOf string
	// customize runs in sh after the packages are installed, with the rootfs as $1.
	customize []string
}

// Run after the image's own customize commands: what a container never reads.
var debianCleanup = []string{
	`find "$1/var/log" -type f -delete`,
	`rm -f "$1"/var/cache/debconf/*-old "$1"/var/lib/dpkg/*-old "$1"/etc/*-`,
}

// mmdebstrapArgs is the whole command but the output file: the rootfs's cache key.
func (d debian) mmdebstrapArgs() []string {
	args := []string{
		"mmdebstrap", "--variant=essential", "--format=tar",
		// usr-is-merged instead of usrmerge, which would pull in perl.
		"--hook-dir=/usr/share/mmdebstrap/hooks/merged-usr",
		"--include=" + strings.Join(d.packages, ","),
		// The runtime mounts /dev; device nodes in a layer are only noise.
		"--skip=output/dev",
		"--dpkgopt=path-exclude=/usr/share/doc/*",
		"--dpkgopt=path-include=/usr/share/doc/*/copyright",
		"--dpkgopt=path-exclude=/usr/share/man/*",
		"--dpkgopt=path-exclude=/usr/share/info/*",
		"--dpkgopt=path-exclude=/usr/share/locale/*",
	}
	for _, c := range append(append([]string{}, d.customize...), debianCleanup...) {
		args = append(args, "--customize-hook="+c)
	}
	return append(args, d.suite)
}

func (d debian) key(buildEnv) (string, error) {
	return hashStrings(append(d.mmdebstrapArgs(), d.mirrors...)...), nil
}

// rootfsTar builds the rootfs tarball unless the cache has one with this key, and returns its path.
func (d debian) rootfsTar(ctx context.Context, env buildEnv, imageName string) (string, error) {
	key, _ := d.key(env)
	dir := filepath.Join(env.cache, "rootfs")
	out := filepath.Join(dir, fmt.Sprintf("%s-%s.tar", imageName, key[:16]))
	if _, err := os.Stat(out); err == nil {
		return out, nil
	}
	if _, err := exec.LookPath("mmdebstrap"); err != nil {
		return "", errors.New("mmdebstrap not found: apt-get install mmdebstrap")
	}
	logPath := filepath.Join(dir, imageName+".log")
	err := toolkit.InstallFile(out, func(tmp string) error {
		log, err := os.Create(logPath)
		if err != nil {
			return err
		}
		defer log.Close()
		args := append(append(d.mmdebstrapArgs(), tmp), d.mirrors...)
		cmd := exec.CommandContext(ctx, "nice", append([]string{"-n", "10"}, args...)...)
		cmd.Stdout, cmd.Stderr = log, log
		if err := cmd.Run(); err != nil {
			return fmt.Errorf("mmdebstrap for %s: %v (log: %s)", imageName, err, logPath)
		}
		return nil
	})
	if err != nil {
		return "", err
	}
	return out, removeOthers(dir, imageName+"-*.tar", out)
}

func (d debian) layer(ctx context.Context, env buildEnv, img image, _ string) (v1.Layer, string, error) {
	rootfs, err := d.rootfsTar(ctx, env, img.name)
	if err != nil {
		return nil, "", err
	}
	status, err := readTarFile(rootfs, "./var/lib/dpkg/status")
	if err != nil {
		return nil, "", err
	}
	version, err := packageVersion(status, d.versionOf)
	if err != nil {
		return nil, "", fmt.Errorf("%s: %w", rootfs, err)
	}
	l, err := tarball.LayerFromFile(rootfs, tarball.WithCompressedCaching)
	return l, version, err
}

// readTarFile returns the content of the named entry of a tarball.
func readTarFile(path, entry string) ([]byte, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	tr := tar.NewReader(f)
	for {
		hdr, err := tr.Next()
		if err == io.EOF {
			return nil, fmt.Errorf("%s has no %s", path, entry)
		}
		if err != nil {
			return nil, err
		}
		if hdr.Name == entry {
			return io.ReadAll(tr)
		}
	}
}

// packageVersion finds the Version of an installed package in a dpkg status file.
func packageVersion(status []byte, pkg string) (string, error) {
	var current, version string
	installed := false
	scanner := bufio.NewScanner(bytes.NewReader(status))
	scanner.Buffer(nil, 1<<20)
	for scanner.Scan() {
		line := scanner.Text()
		switch {
		case line == "":
			current, version, installed = "", "", false
		case strings.HasPrefix(line, "Package: "):
			current = strings.TrimPrefix(line, "Package: ")
		case strings.HasPrefix(line, "Status: "):
			installed = strings.HasSuffix(line, " installed")
		case strings.HasPrefix(line, "Version: "):
			version = strings.TrimPrefix(line, "Version: ")
		}
		if current == pkg && installed && version != "" {
			return version, nil
		}
	}
	if err := scanner.Err(); err != nil {
		return "", err
	}
	return "", fmt.Errorf("package %s is not installed", pkg)
}

// upstreamVersion strips a Debian version's epoch ("5:") and revision ("-1~deb12u10").
func upstreamVersion(debianVersion string) string {
	v := debianVersion
	if i := strings.Index(v, ":"); i >= 0 {
		v = v[i+1:]
	}
	if i := strings.LastIndex(v, "-"); i >= 0 {
		v = v[:i]
	}
	return v
}
