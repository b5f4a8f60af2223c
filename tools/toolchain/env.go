package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"

	"three-tier-app/shared"
)

// env prints the exports that put the toolchain at a shell's disposal: PATH (the CLI first), PULUMI_HOME,
// the backend (the local file backend unless the caller named one), plugin acquisition and the
// passphrase. Warnings for what is not built yet go to stderr.
func (t *toolchain) env(ctx context.Context, w io.Writer) error {
	c, _ := t.findCLI(ctx)
	if c.source == "missing" {
		log.Printf("warning: pulumi v%s is not built yet; run scripts/toolchain.sh ensure", t.part(cliName).version)
	}
	if !t.pluginInstalled(t.pulumiHome) {
		log.Printf("warning: kubernetes plugin %s is not installed yet; run scripts/toolchain.sh ensure", t.part(providerName).version)
	}
	if err := os.MkdirAll(t.stateDir, 0o755); err != nil {
		return err
	}
	_, err := io.WriteString(w, renderEnv(c.dir, t.pulumiHome, t.stateDir, os.LookupEnv))
	return err
}

// renderEnv is env's output for the CLI in cliDir and the environment lookupEnv reads. Two defaults give way
// to a value the caller set: the local file backend, to a backend URL of their own (gke's gs:// bucket),
// and plugin acquisition, off because the toolchain builds the plugins it serves and nothing can be
// downloaded here, to PULUMI_DISABLE_AUTOMATIC_PLUGIN_ACQUISITION=false (the gcp provider of a gke stack,
// which the toolchain does not build: scripts/pulumi.sh sets it for such a stack). A passphrase file the
// user set (PULUMI_CONFIG_PASSPHRASE_FILE without PULUMI_CONFIG_PASSPHRASE) is left to be used;
// otherwise the passphrase is the user's, or empty.
func renderEnv(cliDir, pulumiHome, stateDir string, lookupEnv func(string) (string, bool)) string {
	var b strings.Builder
	export := func(name, value string) { fmt.Fprintf(&b, "export %s=%s\n", name, shellQuote(value)) }
	path, _ := lookupEnv("PATH")
	export("PATH", cliDir+string(os.PathListSeparator)+pathWithout(path, cliDir))
	export("PULUMI_HOME", pulumiHome)
	export("PULUMI_SKIP_UPDATE_CHECK", "true")
	export("PULUMI_DISABLE_AUTOMATIC_PLUGIN_ACQUISITION", callersOr(lookupEnv, "PULUMI_DISABLE_AUTOMATIC_PLUGIN_ACQUISITION", "true"))
	export("PULUMI_BACKEND_URL", backendURL(stateDir, lookupEnv))
	passphrase, set := lookupEnv("PULUMI_CONFIG_PASSPHRASE")
	if file, _ := lookupEnv("PULUMI_CONFIG_PASSPHRASE_FILE"); set || file == "" {
		export("PULUMI_CONFIG_PASSPHRASE", passphrase)
	}
	return b.String()
}

// callersOr is the caller's value of name when they set one, else value.
func callersOr(lookupEnv func(string) (string, bool), name, value string) string {
	if own, _ := lookupEnv(name); own != "" {
		return own
	}
	return value
}

// backendURL is the backend the project's commands use: the caller's PULUMI_BACKEND_URL, else the local
// file backend in stateDir.
func backendURL(stateDir string, lookupEnv func(string) (string, bool)) string {
	return callersOr(lookupEnv, "PULUMI_BACKEND_URL", "file://"+stateDir)
}

// shellQuote quotes s for a POSIX shell as bash's printf %q does: backslashes before the characters the
// shell would interpret, a pair of single quotes for the empty string, and $'...' when s holds control characters.
func shellQuote(s string) string {
	if s == "" {
		return "''"
	}
	if strings.ContainsFunc(s, func(r rune) bool { return r < 0x20 || r == 0x7f }) {
		return ansiCQuote(s)
	}
	var b strings.Builder
	for i, r := range s {
		switch {
		case strings.ContainsRune(" \t!\"$&'()*,;<>?[\\]^`{|}", r),
			r == '#' && i == 0,
			r == '~' && (i == 0 || s[i-1] == '=' || s[i-1] == ':'):
			b.WriteByte('\\')
		}
		b.WriteRune(r)
	}
	return b.String()
}

func ansiCQuote(s string) string {
	var b strings.Builder
	b.WriteString("$'")
	for i := 0; i < len(s); i++ {
		switch c := s[i]; c {
		case '\a':
			b.WriteString(`\a`)
		case '\b':
			b.WriteString(`\b`)
		case 0x1b:
			b.WriteString(`\E`)
		case '\f':
			b.WriteString(`\f`)
		case '\n':
			b.WriteString(`\n`)
		case '\r':
			b.WriteString(`\r`)
		case '\t':
			b.WriteString(`\t`)
		case '\v':
			b.WriteString(`\v`)
		case '\\', '\'':
			b.WriteByte('\\')
			b.WriteByte(c)
		default:
			if c < 0x20 || c == 0x7f {
				fmt.Fprintf(&b, `\%03o`, c)
			} else {
				b.WriteByte(c)
			}
		}
	}
	b.WriteByte('\'')
	return b.String()
}

// report is what `versions` prints.
type report struct {
	pulumiVersion, kubernetesVersion string
	npmPulumi, npmKubernetes         string
	cli                              cli
	cliVersion                       string // `pulumi version`
	languageHost                     string // its path, empty when there is none
	languageHostVersion              string // its --version, from our cache only
	plugin                           string // the installed provider binary, empty when not installed
	pulumiHome, backend              string
	node, goVersion                  string
}

func (t *toolchain) versions(ctx context.Context, w io.Writer) error {
	deps, err := npmDependencies(t.repo)
	if err != nil {
		return err
	}
	npm := func(name string) string {
		if v, ok := deps[name]; ok {
			return v
		}
		return "undefined" // what node printed for a missing dependency
	}
	c, _ := t.findCLI(ctx)
	r := report{
		pulumiVersion: t.part(cliName).version, kubernetesVersion: t.part(providerName).version,
		npmPulumi: npm("@pulumi/pulumi"), npmKubernetes: npm("@pulumi/kubernetes"),
		cli: c, pulumiHome: t.pulumiHome, backend: backendURL(t.stateDir, os.LookupEnv),
	}
	if c.source != "missing" {
		r.cliVersion, _ = cliVersion(ctx, filepath.Join(c.dir, "pulumi"))
		r.languageHost = filepath.Join(c.dir, languageHostName)
		if !shared.Executable(r.languageHost) {
			r.languageHost, _ = lookPathIn(languageHostName, os.Getenv("PATH"))
		}
		if r.languageHost != "" && c.source == "cache" {
			r.languageHostVersion, _ = output(ctx, nil, r.languageHost, "--version")
		}
	}
	if t.pluginInstalled(t.pulumiHome) {
		r.plugin = filepath.Join(t.pluginDir(t.pulumiHome), providerName)
	}
	r.node, _ = output(ctx, nil, "node", "--version")
	r.goVersion = "none"
	if v, err := output(ctx, nil, "go", "env", "GOVERSION"); err == nil {
		r.goVersion = v
	} else if v, err := output(ctx, nil, "/usr/local/go/bin/go", "env", "GOVERSION"); err == nil {
		r.goVersion = v
	}
	_, err = io.WriteString(w, r.render())
	return err
}

func (r report) render() string {
	var b strings.Builder
	line := func(label, format string, a ...any) {
		fmt.Fprintf(&b, "%-13s"+format+"\n", append([]any{label}, a...)...)
	}
	line("pins:", "pulumi %s, kubernetes %s (%s@%s)", r.pulumiVersion, r.kubernetesVersion, kubernetesModule, kubernetesModuleVersion)
	line("npm:", "@pulumi/pulumi %s, @pulumi/kubernetes %s", r.npmPulumi, r.npmKubernetes)
	if r.cli.source == "missing" {
		line("pulumi:", "not built (run scripts/toolchain.sh ensure)")
	} else {
		line("pulumi:", "%s (%s: %s)", r.cliVersion, r.cli.source, filepath.Join(r.cli.dir, "pulumi"))
		languageHost := r.languageHost
		if languageHost == "" {
			languageHost = "none"
		}
		line("language:", "%s %s", languageHost, r.languageHostVersion)
	}
	if r.plugin != "" {
		line("kubernetes:", "%s (%s)", r.kubernetesVersion, r.plugin)
	} else {
		line("kubernetes:", "not installed in %s (run scripts/toolchain.sh ensure)", r.pulumiHome)
	}
	line("PULUMI_HOME:", "%s", r.pulumiHome)
	line("backend:", "%s", r.backend)
	line("node:", "%s  go: %s", r.node, r.goVersion)
	return b.String()
}
