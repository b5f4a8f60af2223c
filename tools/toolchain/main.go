// Command toolchain puts the Pulumi CLI, its Node.js language host and the Kubernetes resource provider,
// at the versions of its table (parts.go), at the disposal of this project's commands. Nothing is
// downloaded from get.pulumi.com or GitHub (unreachable here): what is missing is built from Go modules
// through the Go module proxy and cached by version outside the repo. scripts/toolchain.sh runs it.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"os"
	"os/signal"
	"path/filepath"
	"syscall"
	"time"

	"three-tier-app/shared"
)

const usage = `usage: scripts/toolchain.sh ensure|ensure-cli|env|versions

  scripts/toolchain.sh ensure       make the CLI, language host and kubernetes plugin available
                                    (builds only what is missing; a warm run takes well under a second)
  scripts/toolchain.sh ensure-cli   the same without the kubernetes plugin
  eval "$(scripts/toolchain.sh env)"   PATH, PULUMI_HOME, local file backend, ... for this shell
  scripts/toolchain.sh versions     what is in use

Cache: ${XDG_CACHE_HOME:-$HOME/.cache}/three-tier-app/
  toolchain/pulumi-v<ver>/bin/{pulumi,pulumi-language-nodejs}
  toolchain/pulumi-resource-kubernetes-v<ver>/pulumi-resource-kubernetes
  pulumi-home/          PULUMI_HOME (plugin cache: plugins/resource-kubernetes-v<ver>/)
Cold builds on 2 busy cores take minutes each (see the progress lines on stderr).`

var log = shared.NewLogger("toolchain")

// errUsage exits 2 after the usage text, as a wrong command line should.
var errUsage = errors.New(usage)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	err := run(ctx, os.Args[1:])
	switch {
	case err == nil:
	case errors.Is(err, errUsage):
		fmt.Fprintln(os.Stderr, usage)
		os.Exit(2)
	case ctx.Err() != nil:
		fmt.Fprintln(os.Stderr, "toolchain: interrupted")
		os.Exit(130)
	default:
		fmt.Fprintln(os.Stderr, "toolchain: error:", err)
		os.Exit(1)
	}
}

func run(ctx context.Context, args []string) error {
	fs := flag.NewFlagSet("toolchain", flag.ContinueOnError)
	fs.SetOutput(os.Stderr)
	repo := fs.String("repo", ".", "repository root (holds .pulumi-version and tools/toolchain)")
	if err := fs.Parse(args); err != nil || fs.NArg() != 1 {
		return errUsage
	}
	t, err := newToolchain(*repo)
	if err != nil {
		return err
	}
	switch fs.Arg(0) {
	case "ensure":
		return t.ensure(ctx, true)
	case "ensure-cli":
		return t.ensure(ctx, false)
	case "env":
		return t.env(ctx, os.Stdout)
	case "versions":
		return t.versions(ctx, os.Stdout)
	default:
		return errUsage
	}
}

// toolchain is where the table's parts live for one repository.
type toolchain struct {
	repo       string
	src        string // tools/toolchain: the build modules
	parts      []part
	cache      string // <cache root>/toolchain: the built parts
	pulumiHome string // <cache root>/pulumi-home: PULUMI_HOME, whose plugin cache holds the provider
	stateDir   string // the local file backend
	builds     *shared.Builds
}

func newToolchain(repo string) (*toolchain, error) {
	abs, err := filepath.Abs(repo)
	if err != nil {
		return nil, err
	}
	pulumiVersion, err := shared.PulumiVersion(abs)
	if err != nil {
		return nil, err
	}
	root, err := shared.CacheRoot()
	if err != nil {
		return nil, err
	}
	return &toolchain{
		repo:       abs,
		src:        filepath.Join(abs, "tools", "toolchain"),
		parts:      table(pulumiVersion),
		cache:      filepath.Join(root, "toolchain"),
		pulumiHome: filepath.Join(root, "pulumi-home"),
		stateDir:   filepath.Join(abs, ".pulumi-state"),
		builds:     shared.NewBuilds(log),
	}, nil
}

func (t *toolchain) part(name string) *part { return partNamed(t.parts, name) }

// entry is the cache directory of a part; binPath its binary.
func (t *toolchain) entry(p *part) string { return shared.Entry(t.cache, p.entry, "v"+p.version) }
func (t *toolchain) binPath(p *part) string {
	return filepath.Join(t.entry(p), filepath.FromSlash(p.path))
}

// ensure makes the CLI and language host available, and the kubernetes plugin with withProvider.
func (t *toolchain) ensure(ctx context.Context, withProvider bool) error {
	t0 := time.Now()
	if err := checkPins(t.repo, t.parts); err != nil {
		return err
	}
	release, err := shared.Lock(ctx, filepath.Join(t.cache, ".lock"), log, "another toolchain.sh ensure")
	if err != nil {
		return err
	}
	defer release()
	cli, todo := t.findCLI(ctx)
	t.builds.Plan(t.plan(todo, withProvider))
	cli, err = t.buildCLIParts(ctx, cli, todo)
	if err != nil {
		return err
	}
	if withProvider {
		if err := t.ensureProvider(ctx, cli); err != nil {
			return err
		}
	}
	log.Printf("ready (pulumi from %s: %s) in %s; use: eval \"$(scripts/toolchain.sh env)\"", cli.source, cli.dir, shared.Since(t0))
	return nil
}

// plan is what ensure is about to build: the CLI's parts findCLI found missing and, withProvider, the
// provider when it is nowhere to be found.
func (t *toolchain) plan(cliParts []*part, withProvider bool) []shared.Step {
	var steps []shared.Step
	for _, p := range cliParts {
		steps = append(steps, p.step())
	}
	if withProvider && t.providerMissing() {
		steps = append(steps, t.part(providerName).step())
	}
	return steps
}
