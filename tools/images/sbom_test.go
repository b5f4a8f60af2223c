package main

import (
	"debug/buildinfo"
	"encoding/json"
	"regexp"
	"runtime/debug"
	"slices"
	"testing"

	v1 "github.com/google/go-containerregistry/pkg/v1"
)

func TestDebianComponentsEscapeTheVersion(t *testing.T) {
	installed, err := installedPackages([]byte(dpkgStatus))
	if err != nil {
		t.Fatal(err)
	}
	var purls []string
	for _, c := range debianComponents(installed, "bookworm") {
		purls = append(purls, c.purl)
	}
	want := []string{
		"pkg:deb/debian/redis-tools@5%3A7.0.15-1~deb12u10?arch=amd64&distro=bookworm",
		"pkg:deb/debian/nginx@1.22.1-9%2Bdeb12u11?arch=amd64&distro=bookworm",
	}
	if !slices.Equal(purls, want) {
		t.Errorf("purls %q, want %q", purls, want)
	}
}

func TestGoComponentsFollowReplacements(t *testing.T) {
	info := &buildinfo.BuildInfo{
		GoVersion: "go1.26.8",
		Main:      debug.Module{Path: "github.com/three-tier-app/backend", Version: "(devel)"},
		Deps: []*debug.Module{
			{Path: "github.com/redis/go-redis/v9", Version: "v9.22.0"},
			{Path: "example.com/old", Version: "v1.0.0", Replace: &debug.Module{Path: "example.com/new", Version: "v1.1.0"}},
		},
	}
	var got []string
	for _, c := range goComponents(info) {
		got = append(got, c.name+" "+c.version+" "+c.purl)
	}
	want := []string{
		"github.com/three-tier-app/backend  pkg:golang/github.com/three-tier-app/backend",
		"stdlib 1.26.8 pkg:golang/stdlib@1.26.8",
		"github.com/redis/go-redis/v9 v9.22.0 pkg:golang/github.com/redis/go-redis/v9@v9.22.0",
		"example.com/new v1.1.0 pkg:golang/example.com/new@v1.1.0",
	}
	if !slices.Equal(got, want) {
		t.Errorf("components\n%q\nwant\n%q", got, want)
	}
}

// The document has what SPDX 2.3 requires of it: valid element ids, the image described, each component
// contained by it.
func TestSPDXDocument(t *testing.T) {
	digest := v1.Hash{Algorithm: "sha256", Hex: "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"}
	components := []component{{name: "libc6", version: "2.36-9", purl: "pkg:deb/debian/libc6@2.36-9"}, {name: "nginx", version: "1.22.1-9"}}
	raw, err := spdxDocument(image{name: "nginx", tag: "1.22.1"}, digest, components)
	if err != nil {
		t.Fatal(err)
	}
	var doc spdxDoc
	if err := json.Unmarshal(raw, &doc); err != nil {
		t.Fatal(err)
	}
	if doc.SPDXVersion != "SPDX-2.3" || doc.DataLicense != "CC0-1.0" || doc.CreationInfo.Created != "2023-06-10T00:00:00Z" ||
		doc.DocumentNamespace != "https://three-tier-app.invalid/spdx/nginx/"+digest.String() || len(doc.Packages) != 3 {
		t.Fatalf("document %+v", doc)
	}
	id := regexp.MustCompile(`^SPDXRef-[A-Za-z0-9.-]+$`)
	seen := map[string]bool{}
	for _, p := range doc.Packages {
		if !id.MatchString(p.SPDXID) || seen[p.SPDXID] || p.DownloadLocation != "NOASSERTION" || p.LicenseDeclared != "NOASSERTION" {
			t.Errorf("package %+v", p)
		}
		seen[p.SPDXID] = true
	}
	want := []spdxRelationship{
		{"SPDXRef-DOCUMENT", "DESCRIBES", "SPDXRef-Image"},
		{"SPDXRef-Image", "CONTAINS", "SPDXRef-Package-1"},
		{"SPDXRef-Image", "CONTAINS", "SPDXRef-Package-2"},
	}
	if !slices.Equal(doc.Relationships, want) {
		t.Errorf("relationships %+v, want %+v", doc.Relationships, want)
	}
}
