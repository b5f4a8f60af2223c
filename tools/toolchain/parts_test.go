package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestTable(t *testing.T) {
	parts := table("3.259.0")
	seen := map[string]bool{}
	for _, p := range parts {
		if seen[p.name] {
			t.Errorf("%s twice", p.name)
		}
		seen[p.name] = true
		if p.version == "" || p.module == "" || p.pkg == "" || p.versionVar == "" || p.entry == "" || p.path == "" || len(p.requires) == 0 {
			t.Errorf("%s: incomplete row %+v", p.name, p)
		}
	}
	for _, name := range []string{cliName, languageHostName, providerName} {
		if !seen[name] {
			t.Errorf("no %s in the table", name)
		}
	}
	tc := &toolchain{cache: "/c/toolchain", parts: parts}
	// The layout warm caches already have.
	for name, want := range map[string]string{
		cliName:          "/c/toolchain/pulumi-v3.259.0/bin/pulumi",
		languageHostName: "/c/toolchain/pulumi-v3.259.0/bin/pulumi-language-nodejs",
		providerName:     "/c/toolchain/pulumi-resource-kubernetes-v4.25.0/pulumi-resource-kubernetes",
	} {
		if got := tc.binPath(tc.part(name)); got != want {
			t.Errorf("%s is cached at %s, want %s", name, got, want)
		}
	}
}

// The repository's own pins agree with package.json and the build modules.
func TestRepositoryPins(t *testing.T) {
	repo, err := filepath.Abs("../..")
	if err != nil {
		t.Fatal(err)
	}
	tc, err := newToolchain(repo)
	if err != nil {
		t.Fatal(err)
	}
	if err := checkPins(repo, tc.parts); err != nil {
		t.Error(err)
	}
}

// fakeRepo writes a package.json and the build modules' go.mods that agree with table("3.259.0"), with
// the given files replaced.
func fakeRepo(t *testing.T, replace map[string]string) string {
	t.Helper()
	files := map[string]string{
		"package.json":                           `{"dependencies": {"@pulumi/pulumi": "3.248.0", "@pulumi/kubernetes": "4.25.0"}}`,
		"tools/toolchain/pulumi/go.mod":          "module p\n\nrequire (\n\tgithub.com/pulumi/pulumi/pkg/v3 v3.259.0\n\tgithub.com/pulumi/pulumi/sdk/v3 v3.259.0\n)\n",
		"tools/toolchain/language-nodejs/go.mod": "module l\n\nrequire github.com/pulumi/pulumi/sdk/v3 v3.259.0\n",
		"tools/toolchain/kubernetes/go.mod":      "module k\n\nrequire github.com/pulumi/pulumi-kubernetes/provider/v4 " + kubernetesModuleVersion + "\n",
	}
	for p, c := range replace {
		files[p] = c
	}
	dir := t.TempDir()
	for p, c := range files {
		if err := os.MkdirAll(filepath.Dir(filepath.Join(dir, p)), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dir, p), []byte(c), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

func TestCheckPins(t *testing.T) {
	parts := table("3.259.0")
	if err := checkPins(fakeRepo(t, nil), parts); err != nil {
		t.Fatalf("agreeing pins: %v", err)
	}
	for _, tc := range []struct {
		name, file, content, wantErr string
	}{
		{"npm pulumi range", "package.json", `{"dependencies": {"@pulumi/pulumi": "^3.248.0", "@pulumi/kubernetes": "4.25.0"}}`,
			"package.json must pin @pulumi/pulumi to an exact version (found '^3.248.0')"},
		{"npm kubernetes missing", "package.json", `{"dependencies": {"@pulumi/pulumi": "3.248.0"}}`,
			"package.json must pin @pulumi/kubernetes to an exact version (found '')"},
		{"npm pulumi newer than the CLI", "package.json", `{"dependencies": {"@pulumi/pulumi": "3.260.0", "@pulumi/kubernetes": "4.25.0"}}`,
			"pulumi 3.259.0 in .pulumi-version is older than @pulumi/pulumi 3.260.0 in package.json"},
		{"npm kubernetes differs", "package.json", `{"dependencies": {"@pulumi/pulumi": "3.259.0", "@pulumi/kubernetes": "4.26.0"}}`,
			"@pulumi/kubernetes is 4.26.0 in package.json but kubernetesVersion=4.25.0"},
		{"CLI module behind", "tools/toolchain/pulumi/go.mod", "module p\n\nrequire (\n\tgithub.com/pulumi/pulumi/pkg/v3 v3.258.0\n\tgithub.com/pulumi/pulumi/sdk/v3 v3.259.0\n)\n",
			"tools/toolchain/pulumi/go.mod does not require github.com/pulumi/pulumi/pkg/v3 v3.259.0"},
		{"language host SDK behind", "tools/toolchain/language-nodejs/go.mod", "module l\n\nrequire github.com/pulumi/pulumi/sdk/v3 v3.258.0\n",
			"tools/toolchain/language-nodejs/go.mod does not require github.com/pulumi/pulumi/sdk/v3 v3.259.0"},
		{"provider pseudo-version differs", "tools/toolchain/kubernetes/go.mod", "module k\n\nrequire github.com/pulumi/pulumi-kubernetes/provider/v4 v4.0.0-20260101000000-000000000000\n",
			"tools/toolchain/kubernetes/go.mod does not require github.com/pulumi/pulumi-kubernetes/provider/v4 " + kubernetesModuleVersion},
	} {
		err := checkPins(fakeRepo(t, map[string]string{tc.file: tc.content}), parts)
		if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
			t.Errorf("%s: error %v, want %q", tc.name, err, tc.wantErr)
		}
	}
}

func TestPathHelpers(t *testing.T) {
	if got := pathWithout("/c/bin:/usr/bin:/c/bin:/bin", "/c/bin"); got != "/usr/bin:/bin" {
		t.Errorf("pathWithout = %q", got)
	}
	dir := t.TempDir()
	for name, mode := range map[string]os.FileMode{"pulumi": 0o755, "pulumi-language-nodejs": 0o644} {
		if err := os.WriteFile(filepath.Join(dir, name), nil, mode); err != nil {
			t.Fatal(err)
		}
	}
	if p, ok := lookPathIn("pulumi", "/nonexistent:"+dir); !ok || p != filepath.Join(dir, "pulumi") {
		t.Errorf("lookPathIn(pulumi) = %q, %v", p, ok)
	}
	if _, ok := lookPathIn("pulumi-language-nodejs", dir); ok {
		t.Error("a file that is not executable was found")
	}
}
