package main

import (
	"archive/tar"
	"context"
	"crypto/sha256"
	"debug/buildinfo"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"maps"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/google/go-containerregistry/pkg/name"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/empty"
	"github.com/google/go-containerregistry/pkg/v1/mutate"
	"github.com/google/go-containerregistry/pkg/v1/tarball"

	"three-tier-app/shared"
)

// epoch is the one time every build records: the config's and history's created, the Debian rootfs's
// mtimes (SOURCE_DATE_EPOCH) and the SBOM's creation. It is bookworm's release, 2023-06-10; a build's own
// clock would make every build a new digest.
const epoch = 1686355200

var epochTime = time.Unix(epoch, 0).UTC()

// OCI annotation keys, used as the images' config labels.
const (
	labelSource   = "org.opencontainers.image.source"
	labelVersion  = "org.opencontainers.image.version"
	labelRevision = "org.opencontainers.image.revision"
)

// buildEnv is what every build shares.
type buildEnv struct {
	repo  string // the repository's root
	out   string // where image tarballs go
	cache string // ~/.cache/three-tier-app/images: Debian rootfs tarballs and their logs
	// toolHash covers this program's own sources, so a change to how images are made rebuilds them.
	toolHash  string
	goVersion string
	// labels go into every image's config: the source and, when given, the revision.
	labels map[string]string
}

// rootfs makes an image's single layer.
type rootfs interface {
	// key covers every input of the layer: equal keys give the same files.
	key(env buildEnv) (string, error)
	// layer makes the layer in work and says what it holds.
	layer(ctx context.Context, env buildEnv, img image, work string) (v1.Layer, contents, error)
}

// config is the row's config with the build's labels; the version label comes with the layer.
func (env buildEnv) config(img image) v1.Config {
	config := *img.config.DeepCopy()
	config.Labels = maps.Clone(env.labels)
	return config
}

// key is the image's content key: every input of its build, and nothing of where it is pushed, so the
// same sources have the same key (and give the same digest) in every registry.
func key(env buildEnv, img image) (string, error) {
	rootfsKey, err := img.rootfs.key(env)
	if err != nil {
		return "", err
	}
	return imageKey(env, img, rootfsKey)
}

// imageKey covers the name, the tag, the config with its labels and the layer's inputs.
func imageKey(env buildEnv, img image, rootfsKey string) (string, error) {
	config, err := json.Marshal(env.config(img))
	if err != nil {
		return "", err
	}
	return hashStrings(env.toolHash, img.name, img.tag, string(config), rootfsKey), nil
}

// hashStrings is a hex SHA-256 of the strings, each prefixed by its length.
func hashStrings(parts ...string) string {
	h := sha256.New()
	for _, p := range parts {
		fmt.Fprintf(h, "%d:%s", len(p), p)
	}
	return hex.EncodeToString(h.Sum(nil))
}

// output is an image's build as kept in env.out: the docker-archive tarball and its SBOM beside it.
type output struct {
	key, tarball, sbom string
}

// outputOf names the files <name>-<tag>-<the key's first 16 hex digits>.tar and .spdx.json.
func outputOf(env buildEnv, img image, key string) output {
	base := filepath.Join(env.out, fmt.Sprintf("%s-%s-%s", img.name, img.tag, key[:16]))
	return output{key: key, tarball: base + ".tar", sbom: base + ".spdx.json"}
}

// build writes the image's tarball and SBOM unless they exist for the same key; it says whether they were
// reused. The files of the same image with other keys are removed.
func build(ctx context.Context, env buildEnv, img image) (output, bool, error) {
	k, err := key(env, img)
	if err != nil {
		return output{}, false, err
	}
	out := outputOf(env, img, k)
	if exists(out.tarball) && exists(out.sbom) {
		return out, true, nil
	}
	work, err := os.MkdirTemp("", "images-"+img.name+"-")
	if err != nil {
		return output{}, false, err
	}
	defer os.RemoveAll(work)

	layer, held, err := img.rootfs.layer(ctx, env, img, work)
	if err != nil {
		return output{}, false, err
	}
	if err := write(env, img, out, layer, held); err != nil {
		return output{}, false, err
	}
	return out, false, removeOthers(env.out, img.name+"-*", out.tarball, out.sbom)
}

func exists(path string) bool {
	_, err := os.Stat(path)
	return err == nil
}

// write assembles the image and writes its SBOM, then its tarball: a tarball is only there with its SBOM.
func write(env buildEnv, img image, out output, layer v1.Layer, held contents) error {
	tag, err := name.NewTag(img.ref(), name.StrictValidation)
	if err != nil {
		return err
	}
	version := img.tag
	if held.version != "" {
		if upstream := upstreamVersion(held.version); upstream != img.tag {
			return fmt.Errorf("%s: the rootfs has Debian version %s (upstream %s), but the tag is %s: update the table", img.name, held.version, upstream, img.tag)
		}
		version = held.version
	}
	config := env.config(img)
	if config.Labels == nil {
		config.Labels = map[string]string{}
	}
	config.Labels[labelVersion] = version
	v1img, err := assemble(layer, config)
	if err != nil {
		return err
	}
	digest, err := v1img.Digest()
	if err != nil {
		return err
	}
	doc, err := spdxDocument(img, digest, held.components)
	if err != nil {
		return err
	}
	if err := shared.InstallFile(out.sbom, func(tmp string) error { return os.WriteFile(tmp, doc, 0o644) }); err != nil {
		return err
	}
	return shared.InstallFile(out.tarball, func(tmp string) error { return tarball.WriteToFile(tmp, tag, v1img) })
}

// assemble makes a linux/amd64 image of one layer and the config, created at epoch.
func assemble(layer v1.Layer, config v1.Config) (v1.Image, error) {
	img, err := mutate.Append(empty.Image, mutate.Addendum{Layer: layer, History: v1.History{Created: v1.Time{Time: epochTime}}})
	if err != nil {
		return nil, err
	}
	cf, err := img.ConfigFile()
	if err != nil {
		return nil, err
	}
	cf = cf.DeepCopy()
	cf.OS, cf.Architecture, cf.Config, cf.Created = "linux", "amd64", config, v1.Time{Time: epochTime}
	return mutate.ConfigFile(img, cf)
}

// removeOthers deletes the files matching pattern in dir but keep: stale builds of the same image.
func removeOthers(dir, pattern string, keep ...string) error {
	matches, err := filepath.Glob(filepath.Join(dir, pattern))
	if err != nil {
		return err
	}
	for _, m := range matches {
		if !slices.Contains(keep, m) {
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
	sources, err := shared.HashSources(filepath.Join(env.repo, g.module))
	if err != nil {
		return "", err
	}
	files, err := json.Marshal(g.files)
	if err != nil {
		return "", err
	}
	return hashStrings(env.goVersion, g.module, g.pkg, g.path, string(files), sources), nil
}

func (g goBinary) layer(ctx context.Context, env buildEnv, _ image, work string) (v1.Layer, contents, error) {
	stage := filepath.Join(work, "rootfs")
	binary := filepath.Join(stage, g.path)
	// -trimpath: no build paths in the binary, so another checkout gives the same bytes.
	cmd := exec.CommandContext(ctx, "nice", "-n", "10", "go", "build", "-trimpath", "-buildvcs=false",
		"-ldflags=-s -w", "-o", binary, g.pkg)
	cmd.Dir = filepath.Join(env.repo, g.module)
	// GOFLAGS and GOAMD64 from the caller's environment would change the binary behind the key's back.
	cmd.Env = append(os.Environ(), "CGO_ENABLED=0", "GOOS=linux", "GOARCH=amd64", "GOAMD64=v1", "GOFLAGS=", "GOTOOLCHAIN=local")
	if output, err := cmd.CombinedOutput(); err != nil {
		return nil, contents{}, fmt.Errorf("go build %s in %s: %v\n%s", g.pkg, g.module, err, output)
	}
	info, err := buildinfo.ReadFile(binary)
	if err != nil {
		return nil, contents{}, err
	}
	for p, content := range g.files {
		target := filepath.Join(stage, p)
		if err := os.MkdirAll(filepath.Dir(target), 0o755); err != nil {
			return nil, contents{}, err
		}
		if err := os.WriteFile(target, []byte(content), 0o644); err != nil {
			return nil, contents{}, err
		}
	}
	l, err := layerFromDir(stage)
	return l, contents{components: goComponents(info)}, err
}

// debian is an image of a Debian rootfs made by mmdebstrap from Debian's packages, as one layer.
type debian struct {
	suite    string
	mirrors  []string
	packages []string
	// versionOf is the package whose upstream version the tag must be.
	versionOf string
	// customize runs in sh after the packages are installed, with the rootfs as $1.
	customize []string
}

// Run after the image's own customize commands: what a container never reads, and what would differ
// between two machines. mmdebstrap itself removes the logs of dpkg and apt and ldconfig's aux-cache and
// empties /etc/machine-id, but copies the build host's /etc/resolv.conf and /etc/hostname (which the
// runtime mounts over anyway). apt's package lists and caches go here, with mmdebstrap's apt cleanup
// skipped: it runs apt-get, which leaves locks and a partial/ directory of uid 42 behind.
var debianCleanup = []string{
	`find "$1/var/log" -type f -delete`,
	`rm -f "$1"/var/cache/debconf/*-old "$1"/var/lib/dpkg/*-old "$1"/etc/*-`,
	`rm -rf "$1"/var/lib/apt/lists/* "$1"/var/cache/apt/*`,
	`rm -f "$1/etc/resolv.conf" "$1/etc/hostname"`,
}

// mmdebstrapArgs is the whole command but the output file: with the mirrors and sourceDateEpoch, the
// rootfs's cache key.
func (d debian) mmdebstrapArgs() []string {
	args := []string{
		"mmdebstrap", "--variant=essential", "--format=tar",
		// usr-is-merged instead of usrmerge, which would pull in perl.
		"--hook-dir=/usr/share/mmdebstrap/hooks/merged-usr",
		"--include=" + strings.Join(d.packages, ","),
		// The runtime mounts /dev; device nodes in a layer are only noise.
		"--skip=output/dev",
		"--skip=cleanup/apt",
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

// sourceDateEpoch makes mmdebstrap's output a function of its arguments and the mirrors' content: every
// mtime is clamped to epoch (two runs on this machine gave the same bytes).
var sourceDateEpoch = fmt.Sprintf("SOURCE_DATE_EPOCH=%d", epoch)

func (d debian) key(buildEnv) (string, error) {
	return hashStrings(append(append(d.mmdebstrapArgs(), d.mirrors...), sourceDateEpoch)...), nil
}

// rootfsTar builds the rootfs tarball unless the cache has one with this key, and returns its path.
func (d debian) rootfsTar(ctx context.Context, env buildEnv, imageName string) (string, error) {
	key, _ := d.key(env)
	dir := filepath.Join(env.cache, "rootfs")
	out := filepath.Join(dir, fmt.Sprintf("%s-%s.tar", imageName, key[:16]))
	if exists(out) {
		return out, nil
	}
	if _, err := exec.LookPath("mmdebstrap"); err != nil {
		return "", errors.New("mmdebstrap not found: apt-get install mmdebstrap")
	}
	logPath := filepath.Join(dir, imageName+".log")
	err := shared.InstallFile(out, func(tmp string) error {
		log, err := os.Create(logPath)
		if err != nil {
			return err
		}
		defer log.Close()
		args := append(append(d.mmdebstrapArgs(), tmp), d.mirrors...)
		cmd := exec.CommandContext(ctx, "nice", append([]string{"-n", "10"}, args...)...)
		cmd.Env = append(os.Environ(), sourceDateEpoch)
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

func (d debian) layer(ctx context.Context, env buildEnv, img image, _ string) (v1.Layer, contents, error) {
	rootfs, err := d.rootfsTar(ctx, env, img.name)
	if err != nil {
		return nil, contents{}, err
	}
	status, err := readTarFile(rootfs, "./var/lib/dpkg/status")
	if err != nil {
		return nil, contents{}, err
	}
	installed, err := installedPackages(status)
	if err != nil {
		return nil, contents{}, fmt.Errorf("%s: %w", rootfs, err)
	}
	version, err := packageVersion(installed, d.versionOf)
	if err != nil {
		return nil, contents{}, fmt.Errorf("%s: %w", rootfs, err)
	}
	l, err := tarball.LayerFromFile(rootfs, tarball.WithCompressedCaching)
	return l, contents{version: version, components: debianComponents(installed, d.suite)}, err
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
