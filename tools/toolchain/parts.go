package main

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"time"

	"three-tier-app/shared"
)

// The Kubernetes provider: must equal npm @pulumi/kubernetes in package.json. The provider module has no
// provider/v4.x.y tags, so it is required at the pseudo-version of the v<version> tag's commit
// (kubernetes/go.mod must name the same). The module proxy serves one provider/v4 pseudo-version:
// 2026-01-15 f47bc2d6f199, the v4.25.0 release (its schema has 4.24/4.25's resource set, 4.26 added
// Kubernetes 1.35 types; crd2pulumi moved to this commit as "pulumi-kubernetes v4.25.0"). Newer releases
// (4.26+) cannot be built here, so npm @pulumi/kubernetes is pinned to 4.25.0.
//
// The Pulumi CLI's version is .pulumi-version's (github.com/pulumi/pulumi/pkg/v3: the newest the module
// proxy serves; it must be >= the npm @pulumi/pulumi in package.json).
const (
	kubernetesVersion       = "4.25.0"
	kubernetesModule        = "github.com/pulumi/pulumi-kubernetes/provider/v4"
	kubernetesModuleVersion = "v4.0.0-20260115033456-f47bc2d6f199"

	pulumiSDK = "github.com/pulumi/pulumi/sdk/v3"
	pulumiPkg = "github.com/pulumi/pulumi/pkg/v3"
)

// part is one row of the table: a binary built from one of the build modules beside this program.
type part struct {
	name    string // the binary
	version string // the version it is built and cached as (without v)
	module  string // its build module: a directory beside this program
	pkg     string // the main package, as `go build` in that module names it
	// versionVar is the variable -ldflags -X stamps with v<version>.
	versionVar string
	// requires is what the module's go.mod must require: the table's versions, checked before any build.
	requires []requirement
	// entry names the cache entry (toolchain/<entry>-v<version>/) and path the binary in it.
	entry, path string
	// expected is how long a cold build takes on two busy cores (README's measured cold run), until this
	// machine records its own.
	expected time.Duration
}

// step is the part as the first run's plan and progress name it.
func (p *part) step() shared.Step {
	return shared.Step{Name: p.name, Version: "v" + p.version, Default: p.expected}
}

type requirement struct{ module, version string }

const (
	cliName          = "pulumi"
	languageHostName = "pulumi-language-nodejs"
	providerName     = "pulumi-resource-kubernetes"
)

// table is the toolchain for the Pulumi CLI version pulumiVersion. The language host lives beside the CLI
// (in its cache entry), as the CLI looks for it there first.
func table(pulumiVersion string) []part {
	sdkVersion := requirement{pulumiSDK, "v" + pulumiVersion}
	return []part{
		{
			name: cliName, version: pulumiVersion, module: "pulumi", pkg: pulumiPkg + "/cmd/pulumi",
			versionVar: pulumiSDK + "/go/common/version.Version",
			requires:   []requirement{sdkVersion, {pulumiPkg, "v" + pulumiVersion}},
			entry:      "pulumi", path: "bin/pulumi",
			expected: 261 * time.Second,
		},
		{
			name: languageHostName, version: pulumiVersion, module: "language-nodejs", pkg: ".",
			versionVar: pulumiSDK + "/go/common/version.Version",
			requires:   []requirement{sdkVersion},
			entry:      "pulumi", path: "bin/pulumi-language-nodejs",
			expected: 20 * time.Second,
		},
		{
			name: providerName, version: kubernetesVersion, module: "kubernetes", pkg: "./provider",
			versionVar: kubernetesModule + "/pkg/version.Version",
			requires:   []requirement{{kubernetesModule, kubernetesModuleVersion}},
			entry:      "pulumi-resource-kubernetes", path: "pulumi-resource-kubernetes",
			expected: 9 * time.Minute,
		},
	}
}

var exactVersion = regexp.MustCompile(`^[0-9]+\.[0-9]+\.[0-9]+$`)

// checkPins holds the table against package.json's npm packages and the build modules' go.mods.
func checkPins(repo string, parts []part) error {
	deps, err := npmDependencies(repo)
	if err != nil {
		return err
	}
	npmPulumi, npmKubernetes := deps["@pulumi/pulumi"], deps["@pulumi/kubernetes"]
	for _, npm := range []struct{ name, version string }{{"@pulumi/pulumi", npmPulumi}, {"@pulumi/kubernetes", npmKubernetes}} {
		if !exactVersion.MatchString(npm.version) {
			return fmt.Errorf("package.json must pin %s to an exact version (found '%s')", npm.name, npm.version)
		}
	}
	cli, provider := partNamed(parts, cliName), partNamed(parts, providerName)
	if !shared.AtLeast(cli.version, npmPulumi) {
		return fmt.Errorf("pulumi %s in .pulumi-version is older than @pulumi/pulumi %s in package.json", cli.version, npmPulumi)
	}
	if npmKubernetes != provider.version {
		return fmt.Errorf("@pulumi/kubernetes is %s in package.json but kubernetesVersion=%s in tools/toolchain/parts.go; change both (and kubernetesModuleVersion, tools/toolchain/kubernetes/go.mod) together", npmKubernetes, provider.version)
	}
	for _, p := range parts {
		for _, r := range p.requires {
			gomod := filepath.Join("tools", "toolchain", p.module, "go.mod")
			if v, err := shared.RequiredVersionIn(filepath.Join(repo, gomod), r.module); err != nil || v != r.version {
				return fmt.Errorf("%s does not require %s %s", gomod, r.module, r.version)
			}
		}
	}
	return nil
}

// npmDependencies is package.json's dependencies (name: version).
func npmDependencies(repo string) (map[string]string, error) {
	b, err := os.ReadFile(filepath.Join(repo, "package.json"))
	if err != nil {
		return nil, err
	}
	var pkg struct {
		Dependencies map[string]string `json:"dependencies"`
	}
	if err := json.Unmarshal(b, &pkg); err != nil {
		return nil, fmt.Errorf("package.json: %w", err)
	}
	return pkg.Dependencies, nil
}

func partNamed(parts []part, name string) *part {
	for i := range parts {
		if parts[i].name == name {
			return &parts[i]
		}
	}
	panic("no part " + name + " in the table")
}
