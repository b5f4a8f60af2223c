// Command pulumi-language-nodejs is a minimal Node.js language host for the Pulumi engine.
//
// Why it exists: the upstream host lives in its own Go module
// (github.com/pulumi/pulumi/sdk/nodejs/cmd/pulumi-language-nodejs/v3), which has no tags, and the Go
// module proxy reachable from this project's machines serves none of its pseudo-versions. This host
// implements the part of the LanguageRuntime gRPC service that `pulumi preview/up/destroy/refresh`
// use for an npm-installed TypeScript or JavaScript program:
//
//   - GetRequiredPackages / GetRequiredPlugins: resource plugins named by installed npm packages whose
//     package.json has `"pulumi": {"resource": true}` (e.g. @pulumi/kubernetes -> kubernetes 4.25.0);
//   - Run: starts `node [nodeargs] <@pulumi/pulumi/cmd/run> --monitor ... <program>` with the config in
//     PULUMI_CONFIG / PULUMI_CONFIG_SECRET_KEYS, the way the @pulumi/pulumi SDK's run script expects;
//   - RunPlugin: policy packs written in Node.js (runplugin.go);
//   - GetPluginInfo, Handshake, About, GetProgramDependencies.
//
// Runtime options read from Pulumi.yaml (`runtime: {name: nodejs, options: {...}}`): typescript
// (default true), nodeargs, tsconfig. Everything else (pulumi new/install/convert, component providers
// written in Node.js) is left unimplemented; the engine treats "unimplemented" as "not supported by
// this host". Dynamic resources need no host support: the engine runs them through the
// pulumi-resource-pulumi-nodejs plugin the toolchain writes beside the CLI.
//
// Built by tools/toolchain with -X github.com/pulumi/pulumi/sdk/v3/go/common/version.Version.
package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"sync"

	"github.com/pulumi/pulumi/sdk/v3/go/common/util/rpcutil"
	"github.com/pulumi/pulumi/sdk/v3/go/common/version"
	pulumirpc "github.com/pulumi/pulumi/sdk/v3/proto/go"
	"google.golang.org/grpc"
	"google.golang.org/protobuf/types/known/emptypb"
)

// Exit code with which @pulumi/pulumi's run script says it has already reported the error to the user.
const exitCodeErrorAlreadyReported = 32

func main() {
	if len(os.Args) == 2 && os.Args[1] == "--version" {
		fmt.Println(version.Version)
		return
	}
	flags := flag.NewFlagSet("pulumi-language-nodejs", flag.ContinueOnError)
	tracing := flags.String("tracing", "", "Zipkin-compatible tracing endpoint")
	typescript := flags.Bool("typescript", true, "run TypeScript sources through ts-node")
	flags.String("root", "", "project root (unused)")
	nodeargs := flags.String("nodeargs", "", "extra arguments for node")
	tsconfig := flags.String("tsconfig", "", "tsconfig.json path")
	if err := flags.Parse(os.Args[1:]); err != nil {
		os.Exit(2)
	}

	nodeBin, err := exec.LookPath("node")
	if err != nil {
		fmt.Fprintf(os.Stderr, "pulumi-language-nodejs: could not find node on the $PATH: %v\n", err)
		os.Exit(1)
	}

	h := &host{
		nodeBin:       nodeBin,
		engineAddress: flags.Arg(0),
		tracing:       *tracing,
		defaults: runtimeOptions{
			typescript: *typescript,
			nodeargs:   *nodeargs,
			tsconfig:   *tsconfig,
		},
	}
	handle, err := rpcutil.ServeWithOptions(rpcutil.ServeOptions{
		Init: func(srv *grpc.Server) error {
			pulumirpc.RegisterLanguageRuntimeServer(srv, h)
			return nil
		},
		Options: rpcutil.OpenTracingServerInterceptorOptions(nil),
	})
	if err != nil {
		fmt.Fprintf(os.Stderr, "pulumi-language-nodejs: could not start the gRPC server: %v\n", err)
		os.Exit(1)
	}
	// The engine reads the port from the first line of our stdout.
	fmt.Printf("%d\n", handle.Port)
	if err := <-handle.Done; err != nil {
		fmt.Fprintf(os.Stderr, "pulumi-language-nodejs: gRPC server stopped: %v\n", err)
		os.Exit(1)
	}
}

type runtimeOptions struct {
	typescript bool
	nodeargs   string
	tsconfig   string
}

type host struct {
	pulumirpc.UnimplementedLanguageRuntimeServer

	nodeBin  string
	tracing  string
	defaults runtimeOptions

	mu            sync.Mutex
	engineAddress string
}

func (h *host) options(info *pulumirpc.ProgramInfo) runtimeOptions {
	opts := h.defaults
	if info == nil || info.GetOptions() == nil {
		return opts
	}
	m := info.GetOptions().AsMap()
	if v, ok := m["typescript"].(bool); ok {
		opts.typescript = v
	}
	if v, ok := m["nodeargs"].(string); ok {
		opts.nodeargs = v
	}
	if v, ok := m["tsconfig"].(string); ok {
		opts.tsconfig = v
	}
	return opts
}

func programDir(info *pulumirpc.ProgramInfo, fallback string) string {
	if d := info.GetProgramDirectory(); d != "" {
		return d
	}
	if fallback != "" {
		return fallback
	}
	wd, _ := os.Getwd()
	return wd
}

func (h *host) Handshake(_ context.Context, req *pulumirpc.LanguageHandshakeRequest,
) (*pulumirpc.LanguageHandshakeResponse, error) {
	h.mu.Lock()
	defer h.mu.Unlock()
	if req.GetEngineAddress() != "" {
		h.engineAddress = req.GetEngineAddress()
	}
	return &pulumirpc.LanguageHandshakeResponse{}, nil
}

func (h *host) GetPluginInfo(context.Context, *emptypb.Empty) (*pulumirpc.PluginInfo, error) {
	return &pulumirpc.PluginInfo{Version: version.Version}, nil
}

// ---- required plugins ----

type packageJSON struct {
	Name            string            `json:"name"`
	Version         string            `json:"version"`
	Dependencies    map[string]string `json:"dependencies"`
	DevDependencies map[string]string `json:"devDependencies"`
	Pulumi          struct {
		Resource bool   `json:"resource"`
		Name     string `json:"name"`
		Version  string `json:"version"`
		Server   string `json:"server"`
	} `json:"pulumi"`
}

func readPackageJSON(path string) (*packageJSON, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	var p packageJSON
	if err := json.Unmarshal(b, &p); err != nil {
		return nil, fmt.Errorf("parsing %s: %w", path, err)
	}
	return &p, nil
}

// installedPackageDirs lists the package directories in dir/node_modules (scoped ones included), and,
// one level down, those in each package's own node_modules, and repeats this for each ancestor
// directory of dir (Node's module resolution looks there too).
func installedPackageDirs(dir string) []string {
	var out []string
	seen := map[string]bool{}
	var scan func(nm string, depth int)
	scan = func(nm string, depth int) {
		entries, err := os.ReadDir(nm)
		if err != nil {
			return
		}
		for _, e := range entries {
			name := e.Name()
			if strings.HasPrefix(name, ".") {
				continue
			}
			p := filepath.Join(nm, name)
			if st, err := os.Stat(p); err != nil || !st.IsDir() {
				continue
			}
			if strings.HasPrefix(name, "@") {
				scoped, _ := os.ReadDir(p)
				for _, s := range scoped {
					sp := filepath.Join(p, s.Name())
					if st, err := os.Stat(sp); err == nil && st.IsDir() && !seen[sp] {
						seen[sp] = true
						out = append(out, sp)
						if depth == 0 {
							scan(filepath.Join(sp, "node_modules"), depth+1)
						}
					}
				}
				continue
			}
			if !seen[p] {
				seen[p] = true
				out = append(out, p)
				if depth == 0 {
					scan(filepath.Join(p, "node_modules"), depth+1)
				}
			}
		}
	}
	for d := dir; ; {
		scan(filepath.Join(d, "node_modules"), 0)
		parent := filepath.Dir(d)
		if parent == d {
			break
		}
		d = parent
	}
	return out
}

func requiredPackages(dir string) ([]*pulumirpc.PackageDependency, error) {
	var deps []*pulumirpc.PackageDependency
	seen := map[string]bool{}
	for _, pkgDir := range installedPackageDirs(dir) {
		p, err := readPackageJSON(filepath.Join(pkgDir, "package.json"))
		if err != nil || !p.Pulumi.Resource {
			continue
		}
		name := p.Pulumi.Name
		if name == "" {
			name = strings.TrimPrefix(strings.TrimPrefix(p.Name, "@pulumi/"), "@")
		}
		v := p.Pulumi.Version
		if v == "" {
			v = p.Version
		}
		if name == "" || v == "" {
			return nil, fmt.Errorf("%s/package.json: a Pulumi resource package needs a name and a version", pkgDir)
		}
		if !strings.HasPrefix(v, "v") {
			v = "v" + v
		}
		key := name + "@" + v
		if seen[key] {
			continue
		}
		seen[key] = true
		deps = append(deps, &pulumirpc.PackageDependency{
			Name: name, Kind: "resource", Version: v, Server: p.Pulumi.Server,
		})
	}
	sort.Slice(deps, func(i, j int) bool { return deps[i].Name+deps[i].Version < deps[j].Name+deps[j].Version })
	return deps, nil
}

func (h *host) GetRequiredPackages(_ context.Context, req *pulumirpc.GetRequiredPackagesRequest,
) (*pulumirpc.GetRequiredPackagesResponse, error) {
	deps, err := requiredPackages(programDir(req.GetInfo(), ""))
	if err != nil {
		return nil, err
	}
	return &pulumirpc.GetRequiredPackagesResponse{Packages: deps}, nil
}

//nolint:staticcheck // deprecated RPC kept for older engines
func (h *host) GetRequiredPlugins(_ context.Context, req *pulumirpc.GetRequiredPluginsRequest,
) (*pulumirpc.GetRequiredPluginsResponse, error) {
	deps, err := requiredPackages(programDir(req.GetInfo(), req.GetPwd()))
	if err != nil {
		return nil, err
	}
	plugins := make([]*pulumirpc.PluginDependency, 0, len(deps))
	for _, d := range deps {
		plugins = append(plugins, &pulumirpc.PluginDependency{
			Name: d.Name, Kind: d.Kind, Version: d.Version, Server: d.Server,
		})
	}
	return &pulumirpc.GetRequiredPluginsResponse{Plugins: plugins}, nil
}

// ---- run ----

// resolveRunScript finds @pulumi/pulumi/cmd/run the way Node would from the program directory.
func (h *host) resolveRunScript(dir string) (string, error) {
	if p := os.Getenv("PULUMI_LANGUAGE_NODEJS_RUN_PATH"); p != "" {
		return p, nil
	}
	cmd := exec.Command(h.nodeBin, "-e", "console.log(require.resolve('@pulumi/pulumi/cmd/run'))")
	cmd.Dir = dir
	out, err := cmd.Output()
	if err != nil {
		return "", errors.New("it looks like the Pulumi SDK has not been installed: " +
			"@pulumi/pulumi/cmd/run cannot be resolved from " + dir + " (have you run npm install?)")
	}
	return strings.TrimSpace(string(out)), nil
}

func (h *host) Run(_ context.Context, req *pulumirpc.RunRequest) (*pulumirpc.RunResponse, error) {
	info := req.GetInfo()
	dir := programDir(info, req.GetPwd())
	opts := h.options(info)

	runPath, err := h.resolveRunScript(dir)
	if err != nil {
		return &pulumirpc.RunResponse{Error: err.Error()}, nil
	}

	h.mu.Lock()
	engine := h.engineAddress
	h.mu.Unlock()

	args := strings.Fields(opts.nodeargs)
	args = append(args, runPath)
	add := func(name, v string) {
		if v != "" {
			args = append(args, "--"+name, v)
		}
	}
	add("monitor", req.GetMonitorAddress())
	add("engine", engine)
	add("organization", req.GetOrganization())
	add("project", req.GetProject())
	add("root-directory", info.GetRootDirectory())
	add("stack", req.GetStack())
	add("pwd", dir)
	if req.GetDryRun() {
		args = append(args, "--dry-run")
	}
	if req.GetParallel() > 0 {
		add("parallel", strconv.Itoa(int(req.GetParallel())))
	}
	add("tracing", h.tracing)
	program := info.GetEntryPoint()
	if program == "" {
		program = req.GetProgram()
	}
	if program == "" {
		program = "."
	}
	args = append(args, program)
	args = append(args, req.GetArgs()...)

	config := req.GetConfig()
	if config == nil {
		config = map[string]string{}
	}
	configJSON, err := json.Marshal(config)
	if err != nil {
		return nil, err
	}
	secretKeys := req.GetConfigSecretKeys()
	if secretKeys == nil {
		secretKeys = []string{}
	}
	secretKeysJSON, err := json.Marshal(secretKeys)
	if err != nil {
		return nil, err
	}

	env := append(os.Environ(),
		"PULUMI_CONFIG="+string(configJSON),
		"PULUMI_CONFIG_SECRET_KEYS="+string(secretKeysJSON),
		"PULUMI_NODEJS_TYPESCRIPT="+strconv.FormatBool(opts.typescript),
	)
	if opts.tsconfig != "" {
		env = append(env, "PULUMI_NODEJS_TSCONFIG_PATH="+opts.tsconfig)
	}

	cmd := exec.Command(h.nodeBin, args...)
	cmd.Dir = dir
	cmd.Env = env
	cmd.Stdout = os.Stdout
	cmd.Stderr = os.Stderr
	if err := cmd.Run(); err != nil {
		var exitErr *exec.ExitError
		if errors.As(err, &exitErr) {
			if exitErr.ExitCode() == exitCodeErrorAlreadyReported {
				return &pulumirpc.RunResponse{Bail: true}, nil
			}
			return &pulumirpc.RunResponse{
				Error: fmt.Sprintf("Program exited with non-zero exit code: %d", exitErr.ExitCode()),
			}, nil
		}
		return &pulumirpc.RunResponse{
			Error: fmt.Sprintf("Problem executing program (could not run language executor): %v", err),
		}, nil
	}
	return &pulumirpc.RunResponse{}, nil
}

// ---- about / dependencies ----

func (h *host) About(_ context.Context, _ *pulumirpc.AboutRequest) (*pulumirpc.AboutResponse, error) {
	out, err := exec.Command(h.nodeBin, "--version").Output()
	if err != nil {
		return nil, fmt.Errorf("running node --version: %w", err)
	}
	return &pulumirpc.AboutResponse{
		Executable: h.nodeBin,
		Version:    strings.TrimPrefix(strings.TrimSpace(string(out)), "v"),
		Metadata:   map[string]string{"languageHost": "three-tier-app minimal nodejs host " + version.Version},
	}, nil
}

func (h *host) GetProgramDependencies(_ context.Context, req *pulumirpc.GetProgramDependenciesRequest,
) (*pulumirpc.GetProgramDependenciesResponse, error) {
	dir := programDir(req.GetInfo(), req.GetPwd())
	root, err := readPackageJSON(filepath.Join(dir, "package.json"))
	if err != nil {
		return nil, err
	}
	installed := map[string]string{} // name -> version of the copy nearest to the program
	for _, pkgDir := range installedPackageDirs(dir) {
		if p, err := readPackageJSON(filepath.Join(pkgDir, "package.json")); err == nil && p.Name != "" {
			if _, ok := installed[p.Name]; !ok {
				installed[p.Name] = p.Version
			}
		}
	}
	names := map[string]bool{}
	for n := range root.Dependencies {
		names[n] = true
	}
	for n := range root.DevDependencies {
		names[n] = true
	}
	if req.GetTransitiveDependencies() {
		for n := range installed {
			names[n] = true
		}
	}
	var deps []*pulumirpc.DependencyInfo
	for n := range names {
		v, ok := installed[n]
		if !ok {
			v = root.Dependencies[n]
			if v == "" {
				v = root.DevDependencies[n]
			}
		}
		deps = append(deps, &pulumirpc.DependencyInfo{Name: n, Version: v})
	}
	sort.Slice(deps, func(i, j int) bool { return deps[i].Name < deps[j].Name })
	return &pulumirpc.GetProgramDependenciesResponse{Dependencies: deps}, nil
}

// RuntimeOptionsPrompts: no interactive options to offer (used by `pulumi new`).
func (h *host) RuntimeOptionsPrompts(context.Context, *pulumirpc.RuntimeOptionsRequest,
) (*pulumirpc.RuntimeOptionsResponse, error) {
	return &pulumirpc.RuntimeOptionsResponse{}, nil
}
