package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"time"

	"three-tier-app/shared"
)

// cli is the directory holding pulumi and pulumi-language-nodejs, and where it comes from: cache, ambient
// (an installed pulumi) or missing.
type cli struct{ dir, source string }

// findCLI finds the CLI: our cached build, or an ambient pulumi of at least the table's version with a
// language host. It also says which parts of it ensure has to build: none, the language host alone
// (stale: its sources changed), or both (no cached build and no ambient pulumi).
func (t *toolchain) findCLI(ctx context.Context) (cli, []*part) {
	pulumi, host := t.part(cliName), t.part(languageHostName)
	cached := cli{filepath.Dir(t.binPath(pulumi)), "cache"}
	switch {
	case shared.Executable(t.binPath(pulumi)) && t.languageHostCurrent():
		return cached, nil
	case shared.Executable(t.binPath(pulumi)):
		return cached, []*part{host}
	}
	if dir, ok := t.ambientCLI(ctx); ok {
		return cli{dir, "ambient"}, nil
	}
	return cli{cached.dir, "missing"}, []*part{pulumi, host}
}

// buildCLIParts builds what findCLI found missing; after a build the CLI is the cached one.
func (t *toolchain) buildCLIParts(ctx context.Context, c cli, todo []*part) (cli, error) {
	cached := cli{filepath.Dir(t.binPath(t.part(cliName))), "cache"}
	switch len(todo) {
	case 0:
		return c, nil
	case 1:
		return cached, t.buildLanguageHost(ctx)
	default:
		return cached, t.buildCLI(ctx)
	}
}

// The language host is our own source (language-nodejs/): its build is keyed by a hash of that source,
// recorded beside it, so an edit rebuilds it (seconds) without rebuilding the CLI.
const languageHostStamp = ".pulumi-language-nodejs.source"

func (t *toolchain) languageHostHash() (string, error) {
	h, err := shared.HashSources(filepath.Join(t.src, t.part(languageHostName).module))
	if err != nil {
		return "", err
	}
	return h[:16], nil
}

func (t *toolchain) languageHostCurrent() bool {
	bin := t.binPath(t.part(languageHostName))
	stamp, err := os.ReadFile(filepath.Join(filepath.Dir(bin), languageHostStamp))
	want, herr := t.languageHostHash()
	script, serr := os.ReadFile(filepath.Join(filepath.Dir(bin), dynamicProviderName))
	return shared.Executable(bin) && err == nil && herr == nil && strings.TrimSpace(string(stamp)) == want &&
		serr == nil && string(script) == dynamicProviderScript
}

// The plugin that runs a program's dynamic resources (components/images.ts): the CLI looks for it beside
// itself, as it does for language hosts. Upstream releases ship the same small script; the module proxy's
// sources do not, so the toolchain writes it.
const (
	dynamicProviderName   = "pulumi-resource-pulumi-nodejs"
	dynamicProviderScript = `#!/bin/sh
# Runs @pulumi/pulumi's dynamic provider from the program's node_modules (the engine starts plugins in the
# program's directory). Written by tools/toolchain.
exec node "$(node -p "require.resolve('@pulumi/pulumi/cmd/dynamic-provider')")" "$@"
`
)

var versionPrefix = regexp.MustCompile(`^v?[0-9]+\.[0-9]+\.[0-9]+`)

// ambientCLI is the directory of a pulumi on PATH (not our cache) that reports at least the table's
// version and has a Node.js language host beside it or on PATH.
func (t *toolchain) ambientCLI(ctx context.Context) (string, bool) {
	pulumi := t.part(cliName)
	p, ok := lookPathIn("pulumi", pathWithout(os.Getenv("PATH"), filepath.Dir(t.binPath(pulumi))))
	if !ok {
		return "", false
	}
	out, err := cliVersion(ctx, p)
	if err != nil {
		return "", false
	}
	first, _, _ := strings.Cut(out, "\n")
	v := versionPrefix.FindString(first)
	if v == "" || !shared.AtLeast(v, pulumi.version) {
		return "", false
	}
	dir := filepath.Dir(p)
	if _, onPath := lookPathIn(languageHostName, os.Getenv("PATH")); !shared.Executable(filepath.Join(dir, languageHostName)) && !onPath {
		return "", false
	}
	return dir, true
}

func (t *toolchain) buildCLI(ctx context.Context) error {
	pulumi := t.part(cliName)
	t0 := time.Now()
	err := t.builds.Build(pulumi.step(), func() error {
		return shared.Install(t.entry(pulumi), func(tmp string) error {
			bin := filepath.Join(tmp, filepath.FromSlash(pulumi.path))
			log.Printf("building pulumi v%s from the Go module proxy…", pulumi.version)
			if err := goBuild(ctx, filepath.Join(t.src, pulumi.module), pulumi, bin, nil); err != nil {
				return fmt.Errorf("building pulumi v%s failed (see above): %w", pulumi.version, err)
			}
			log.Printf("built pulumi v%s in %s", pulumi.version, shared.Since(t0))
			got, err := cliVersion(ctx, bin)
			if err != nil || strings.TrimSpace(got) != "v"+pulumi.version {
				return fmt.Errorf("built pulumi reports '%s', expected v%s", strings.TrimSpace(got), pulumi.version)
			}
			return nil
		})
	})
	if err != nil {
		return err
	}
	if err := t.buildLanguageHost(ctx); err != nil {
		return err
	}
	log.Printf("pulumi v%s ready in %s (total %s)", pulumi.version, filepath.Dir(t.binPath(pulumi)), shared.Since(t0))
	return nil
}

// buildLanguageHost builds our Node.js language host beside the cached pulumi, then records its source hash.
func (t *toolchain) buildLanguageHost(ctx context.Context) error {
	lh := t.part(languageHostName)
	bin := t.binPath(lh)
	stamp := filepath.Join(filepath.Dir(bin), languageHostStamp)
	hash, err := t.languageHostHash()
	if err != nil {
		return err
	}
	t0 := time.Now()
	log.Printf("building %s v%s (tools/toolchain/%s)…", lh.name, lh.version, lh.module)
	if err := os.Remove(stamp); err != nil && !os.IsNotExist(err) {
		return err
	}
	err = t.builds.Build(lh.step(), func() error {
		return shared.InstallFile(bin, func(tmp string) error { return goBuild(ctx, filepath.Join(t.src, lh.module), lh, tmp, nil) })
	})
	if err != nil {
		return fmt.Errorf("building %s failed (see above): %w", lh.name, err)
	}
	script := filepath.Join(filepath.Dir(bin), dynamicProviderName)
	if err := shared.InstallFile(script, func(tmp string) error {
		return os.WriteFile(tmp, []byte(dynamicProviderScript), 0o755)
	}); err != nil {
		return err
	}
	if err := os.WriteFile(stamp, []byte(hash+"\n"), 0o644); err != nil {
		return err
	}
	log.Printf("built %s in %s", lh.name, shared.Since(t0))
	return nil
}

// pluginDir is where a PULUMI_HOME keeps the provider plugin; pluginInstalled says whether it is complete.
func (t *toolchain) pluginDir(home string) string {
	return filepath.Join(home, "plugins", "resource-kubernetes-v"+t.part(providerName).version)
}

func (t *toolchain) pluginInstalled(home string) bool {
	d := t.pluginDir(home)
	_, err := os.Stat(d + ".partial")
	return shared.Executable(filepath.Join(d, providerName)) && os.IsNotExist(err)
}

// ensureProvider installs the kubernetes plugin into our PULUMI_HOME: from the user's own PULUMI_HOME, a
// binary on PATH of exactly the table's version, or our build (made when missing).
func (t *toolchain) ensureProvider(ctx context.Context, c cli) error {
	if t.pluginInstalled(t.pulumiHome) {
		return nil
	}
	if home, ok := t.otherPluginHome(); ok {
		return t.installPlugin(ctx, c, filepath.Join(t.pluginDir(home), providerName))
	}
	provider := t.part(providerName)
	if bin, ok := lookPathIn(providerName, os.Getenv("PATH")); ok && t.providerBinaryVersion(ctx, c, bin) == provider.version {
		return t.installPlugin(ctx, c, bin)
	}
	if !shared.Executable(t.binPath(provider)) {
		if err := t.buildProvider(ctx); err != nil {
			return err
		}
	}
	return t.installPlugin(ctx, c, t.binPath(provider))
}

// otherPluginHome is the user's own PULUMI_HOME when the plugin is installed there.
func (t *toolchain) otherPluginHome() (string, bool) {
	for _, home := range []string{os.Getenv("PULUMI_HOME"), filepath.Join(os.Getenv("HOME"), ".pulumi")} {
		if home != "" && home != t.pulumiHome && t.pluginInstalled(home) {
			return home, true
		}
	}
	return "", false
}

// providerMissing says whether ensureProvider will build the provider, as far as can be told before
// the CLI is there: a binary on PATH counts as usable, since only the CLI can read its version.
func (t *toolchain) providerMissing() bool {
	if t.pluginInstalled(t.pulumiHome) || shared.Executable(t.binPath(t.part(providerName))) {
		return false
	}
	if _, ok := t.otherPluginHome(); ok {
		return false
	}
	_, onPath := lookPathIn(providerName, os.Getenv("PATH"))
	return !onPath
}

// providerBinaryVersion is the version a pulumi-resource-kubernetes binary reports in its schema.
func (t *toolchain) providerBinaryVersion(ctx context.Context, c cli, bin string) string {
	cmd := exec.CommandContext(ctx, filepath.Join(c.dir, "pulumi"), "package", "get-schema", bin)
	cmd.Env = append(os.Environ(), "PULUMI_HOME="+t.pulumiHome, skipUpdateCheck)
	out, err := cmd.Output()
	if err != nil {
		return ""
	}
	var schema struct{ Version string }
	if json.Unmarshal(out, &schema) != nil {
		return ""
	}
	return schema.Version
}

func (t *toolchain) installPlugin(ctx context.Context, c cli, bin string) error {
	provider := t.part(providerName)
	t0 := time.Now()
	log.Printf("installing kubernetes %s into the plugin cache (%s) from %s", provider.version, t.pulumiHome, bin)
	cmd := exec.CommandContext(ctx, filepath.Join(c.dir, "pulumi"), "plugin", "install", "resource", "kubernetes", provider.version, "--file", bin)
	cmd.Env = append(os.Environ(), "PULUMI_HOME="+t.pulumiHome, skipUpdateCheck, "PULUMI_DISABLE_AUTOMATIC_PLUGIN_ACQUISITION=true")
	cmd.Stdout, cmd.Stderr = os.Stderr, os.Stderr
	if err := cmd.Run(); err != nil {
		return fmt.Errorf("pulumi plugin install: %w", err)
	}
	if !t.pluginInstalled(t.pulumiHome) {
		return fmt.Errorf("pulumi plugin install did not produce %s", t.pluginDir(t.pulumiHome))
	}
	log.Printf("installed in %s", shared.Since(t0))
	return nil
}

// buildProvider builds pulumi-resource-kubernetes into its cache entry. The build directory (a copy of
// the kubernetes module, whose go.mod and go.sum the build completes) is made inside the entry's
// temporary directory and removed before the entry is installed; the completed go.sum is kept beside
// the binary.
func (t *toolchain) buildProvider(ctx context.Context) error {
	provider := t.part(providerName)
	t0 := time.Now()
	err := t.builds.Build(provider.step(), func() error { return t.installProviderBuild(ctx, provider) })
	if err != nil {
		return err
	}
	log.Printf("built %s v%s in %s", provider.name, provider.version, shared.Since(t0))
	return nil
}

// installProviderBuild makes the provider's cache entry, as buildProvider describes.
func (t *toolchain) installProviderBuild(ctx context.Context, provider *part) error {
	return shared.Install(t.entry(provider), func(out string) error {
		src := filepath.Join(out, "src")
		if err := os.CopyFS(src, os.DirFS(filepath.Join(t.src, provider.module))); err != nil {
			return err
		}
		// The checksum database answers 404 for this pseudo-version and for some Pulumi modules it pulls in
		// (e.g. cloud-ready-checks v1.3.0): skip the database for github.com/pulumi/* only.
		// kubernetes/go.sum pins their hashes instead; every other module is still checked.
		env := []string{"GONOSUMDB=github.com/pulumi"}
		log.Printf("building %s v%s (%s@%s)…", provider.name, provider.version, kubernetesModule, kubernetesModuleVersion)
		moduleDir, err := downloadModule(ctx, src, env, kubernetesModule+"@"+kubernetesModuleVersion)
		if err != nil {
			return fmt.Errorf("the Go module proxy does not serve %s@%s (kubernetes %s); %s cannot be built: %w", kubernetesModule, kubernetesModuleVersion, provider.version, provider.name, err)
		}
		if err := alignPulumiVersions(ctx, src, env); err != nil {
			return fmt.Errorf("resolving the provider's dependencies failed (see above): %w", err)
		}
		gen := goCommand(ctx, src, env, "nice", "-n", "10", "go", "run", "-mod=mod", "./gen", "-module-dir", moduleDir, "-version", provider.version, "-out", "./provider")
		if err := gen.Run(); err != nil {
			return fmt.Errorf("generating the kubernetes provider's embedded files failed: %w", err)
		}
		if err := goBuild(ctx, src, provider, filepath.Join(out, provider.path), env, "-mod=mod"); err != nil {
			return fmt.Errorf("building %s failed (see above): %w", provider.name, err)
		}
		if err := os.Rename(filepath.Join(src, "go.sum"), filepath.Join(out, "go.sum")); err != nil {
			return err
		}
		return os.RemoveAll(src)
	})
}

// downloadModule fetches module@version into the module cache and returns its directory there.
func downloadModule(ctx context.Context, dir string, env []string, moduleAtVersion string) (string, error) {
	cmd := goCommand(ctx, dir, env, "go", "mod", "download", "-json", moduleAtVersion)
	var stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = nil, &stderr
	out, err := cmd.Output()
	if err != nil {
		os.Stderr.Write(out)
		os.Stderr.Write(stderr.Bytes())
		return "", err
	}
	var mod struct{ Dir string }
	if err := json.Unmarshal(out, &mod); err != nil || mod.Dir == "" {
		return "", fmt.Errorf("could not locate %s in the Go module cache", moduleAtVersion)
	}
	return mod.Dir, nil
}

// alignPulumiVersions: the provider's go.mod replaces pulumi-kubernetes/sdk/v4 with a local path; our
// go.mod requires the published sdk/v4 instead, which may pull github.com/pulumi/pulumi/sdk/v3 past the
// provider's pkg/v3. pkg/v3 and sdk/v3 are released together and must match: raise both to the higher.
func alignPulumiVersions(ctx context.Context, dir string, env []string) error {
	version := func(module string) (string, error) {
		cmd := goCommand(ctx, dir, env, "go", "list", "-mod=mod", "-m", "-f", "{{.Version}}", module)
		cmd.Stdout = nil
		out, err := cmd.Output()
		return strings.TrimSpace(string(out)), err
	}
	pkg, err := version(pulumiPkg)
	if err != nil {
		return err
	}
	sdk, err := version(pulumiSDK)
	if err != nil || pkg == sdk {
		return err
	}
	higher := pkg
	if shared.AtLeast(sdk, pkg) {
		higher = sdk
	}
	log.Printf("aligning github.com/pulumi/pulumi pkg/v3 (%s) and sdk/v3 (%s) at %s", pkg, sdk, higher)
	return goCommand(ctx, dir, env, "go", "mod", "edit", "-require="+pulumiPkg+"@"+higher, "-require="+pulumiSDK+"@"+higher).Run()
}

// goBuild builds p's main package in the module at dir into out, stamped with p's version.
func goBuild(ctx context.Context, dir string, p *part, out string, env []string, flags ...string) error {
	args := append([]string{"-n", "10", "go", "build", "-trimpath", "-tags", "osusergo,grpcnotrace"}, flags...)
	args = append(args, "-ldflags", "-X "+p.versionVar+"=v"+p.version, "-o", out, p.pkg)
	return goCommand(ctx, dir, env, "nice", args...).Run()
}

// goCommand runs in dir with Go's environment for these builds (plus env), its output on stderr.
func goCommand(ctx context.Context, dir string, env []string, name string, args ...string) *exec.Cmd {
	cmd := exec.CommandContext(ctx, name, args...)
	cmd.Dir = dir
	cmd.Env = append(append(os.Environ(), "PATH="+goPath(), "GOTOOLCHAIN=local", "CGO_ENABLED=0", "GOFLAGS="+goFlags()), env...)
	cmd.Stdout, cmd.Stderr = os.Stderr, os.Stderr
	return cmd
}

// goFlags is the caller's GOFLAGS, or -buildvcs=false (the build modules are no repositories of their own).
func goFlags() string {
	if f := os.Getenv("GOFLAGS"); f != "" {
		return f
	}
	return "-buildvcs=false"
}

// goPath is PATH, with /usr/local/go/bin added when it holds the only go command.
func goPath() string {
	path := os.Getenv("PATH")
	if _, ok := lookPathIn("go", path); !ok && shared.Executable("/usr/local/go/bin/go") {
		return "/usr/local/go/bin" + string(os.PathListSeparator) + path
	}
	return path
}

// lookPathIn finds an executable file name in the directories of path (a PATH value).
func lookPathIn(name, path string) (string, bool) {
	for _, dir := range filepath.SplitList(path) {
		if dir == "" {
			dir = "."
		}
		if p := filepath.Join(dir, name); shared.Executable(p) {
			return p, true
		}
	}
	return "", false
}

// pathWithout is a PATH value without the entries equal to dir.
func pathWithout(path, dir string) string {
	var keep []string
	for _, e := range filepath.SplitList(path) {
		if e != dir {
			keep = append(keep, e)
		}
	}
	return strings.Join(keep, string(os.PathListSeparator))
}

// skipUpdateCheck keeps every pulumi this program runs from asking get.pulumi.com (unreachable) for news.
const skipUpdateCheck = "PULUMI_SKIP_UPDATE_CHECK=true"

// cliVersion is what `pulumi version` of the CLI at bin prints.
func cliVersion(ctx context.Context, bin string) (string, error) {
	return output(ctx, []string{skipUpdateCheck}, bin, "version")
}

// output is a command's stdout without trailing newlines, as a shell's $(...) gives it.
func output(ctx context.Context, env []string, name string, args ...string) (string, error) {
	cmd := exec.CommandContext(ctx, name, args...)
	cmd.Env = append(os.Environ(), env...)
	cmd.Stderr = os.Stderr
	out, err := cmd.Output()
	return strings.TrimRight(string(out), "\n"), err
}
