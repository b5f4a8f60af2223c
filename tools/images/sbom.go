package main

import (
	"bufio"
	"bytes"
	"debug/buildinfo"
	"encoding/json"
	"fmt"
	"net/url"
	"slices"
	"strings"

	v1 "github.com/google/go-containerregistry/pkg/v1"
)

// contents is what a layer holds, for the image's version label and its SBOM.
type contents struct {
	// version is the Debian version of the package the tag names; empty for our own binaries.
	version    string
	components []component
}

// component is one package in an image, as its SBOM lists it.
type component struct {
	name, version string
	purl          string // the package URL, which vulnerability scanners match
}

// goComponents are what `go version -m` prints of a binary: its main module, every module linked into
// it (as replaced, when it is) and the standard library of the Go release that built it.
func goComponents(info *buildinfo.BuildInfo) []component {
	main := component{name: info.Main.Path, purl: "pkg:golang/" + info.Main.Path}
	// Built from a checkout, the main module has no version but "(devel)".
	if v := info.Main.Version; v != "" && v != "(devel)" {
		main.version, main.purl = v, main.purl+"@"+v
	}
	stdlib := strings.TrimPrefix(info.GoVersion, "go")
	out := []component{main, {name: "stdlib", version: stdlib, purl: "pkg:golang/stdlib@" + stdlib}}
	for _, dep := range info.Deps {
		if dep.Replace != nil {
			dep = dep.Replace
		}
		out = append(out, component{name: dep.Path, version: dep.Version, purl: "pkg:golang/" + dep.Path + "@" + dep.Version})
	}
	return out
}

// dpkgPackage is one installed package of a dpkg status file.
type dpkgPackage struct {
	name, version, arch string
}

// installedPackages lists the packages a dpkg status file has installed, in its order.
func installedPackages(status []byte) ([]dpkgPackage, error) {
	var (
		out       []dpkgPackage
		current   dpkgPackage
		installed bool
	)
	end := func() {
		if installed && current.name != "" && current.version != "" {
			out = append(out, current)
		}
		current, installed = dpkgPackage{}, false
	}
	scanner := bufio.NewScanner(bytes.NewReader(status))
	scanner.Buffer(nil, 1<<20)
	for scanner.Scan() {
		line := scanner.Text()
		if line == "" {
			end()
			continue
		}
		// Continuation lines start with a space, so they never match a field.
		field, value, _ := strings.Cut(line, ": ")
		switch field {
		case "Package":
			current.name = value
		case "Status":
			installed = strings.HasSuffix(value, " installed")
		case "Version":
			current.version = value
		case "Architecture":
			current.arch = value
		}
	}
	end()
	return out, scanner.Err()
}

// packageVersion is the Version of an installed package.
func packageVersion(installed []dpkgPackage, pkg string) (string, error) {
	i := slices.IndexFunc(installed, func(p dpkgPackage) bool { return p.name == pkg })
	if i < 0 {
		return "", fmt.Errorf("package %s is not installed", pkg)
	}
	return installed[i].version, nil
}

// debianComponents are the installed packages as SBOM components of a rootfs of the suite.
func debianComponents(installed []dpkgPackage, suite string) []component {
	out := make([]component, len(installed))
	for i, p := range installed {
		// A version's "+" and epoch ":" are escaped in a package URL.
		purl := fmt.Sprintf("pkg:deb/debian/%s@%s?arch=%s&distro=%s", p.name, url.QueryEscape(p.version), p.arch, suite)
		out[i] = component{name: p.name, version: p.version, purl: purl}
	}
	return out
}

// spdxDocument is the image's SBOM in SPDX 2.3 JSON: the image as the package the document describes,
// containing each component. Nothing in it depends on when or where it was made, so the same image has
// the same SBOM bytes; licenses are not analysed (NOASSERTION).
func spdxDocument(img image, digest v1.Hash, components []component) ([]byte, error) {
	root := spdxPackage{
		SPDXID: "SPDXRef-Image", Name: img.name, VersionInfo: img.tag, PrimaryPackagePurpose: "CONTAINER",
		ExternalRefs: purlRef(fmt.Sprintf("pkg:oci/%s@%s?tag=%s", img.name, url.QueryEscape(digest.String()), img.tag)),
	}
	doc := spdxDoc{
		SPDXVersion: "SPDX-2.3", DataLicense: "CC0-1.0", SPDXID: "SPDXRef-DOCUMENT",
		Name: img.name + ":" + img.tag,
		// Unique per document, as SPDX asks: the image's digest.
		DocumentNamespace: fmt.Sprintf("https://three-tier-app.invalid/spdx/%s/%s", img.name, digest),
		CreationInfo:      spdxCreationInfo{Created: epochTime.Format("2006-01-02T15:04:05Z"), Creators: []string{"Tool: three-tier-app-images"}},
		Packages:          []spdxPackage{root.noAssertion()},
		Relationships:     []spdxRelationship{{"SPDXRef-DOCUMENT", "DESCRIBES", root.SPDXID}},
	}
	for i, c := range components {
		p := spdxPackage{SPDXID: fmt.Sprintf("SPDXRef-Package-%d", i+1), Name: c.name, VersionInfo: c.version, ExternalRefs: purlRef(c.purl)}
		doc.Packages = append(doc.Packages, p.noAssertion())
		doc.Relationships = append(doc.Relationships, spdxRelationship{root.SPDXID, "CONTAINS", p.SPDXID})
	}
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	// A purl's "&" as it is, not \u0026.
	enc.SetEscapeHTML(false)
	enc.SetIndent("", "  ")
	err := enc.Encode(doc)
	return buf.Bytes(), err
}

type spdxDoc struct {
	SPDXVersion       string             `json:"spdxVersion"`
	DataLicense       string             `json:"dataLicense"`
	SPDXID            string             `json:"SPDXID"`
	Name              string             `json:"name"`
	DocumentNamespace string             `json:"documentNamespace"`
	CreationInfo      spdxCreationInfo   `json:"creationInfo"`
	Packages          []spdxPackage      `json:"packages"`
	Relationships     []spdxRelationship `json:"relationships"`
}

type spdxCreationInfo struct {
	Created  string   `json:"created"`
	Creators []string `json:"creators"`
}

type spdxPackage struct {
	SPDXID                string            `json:"SPDXID"`
	Name                  string            `json:"name"`
	VersionInfo           string            `json:"versionInfo,omitempty"`
	DownloadLocation      string            `json:"downloadLocation"`
	FilesAnalyzed         bool              `json:"filesAnalyzed"`
	LicenseConcluded      string            `json:"licenseConcluded"`
	LicenseDeclared       string            `json:"licenseDeclared"`
	CopyrightText         string            `json:"copyrightText"`
	PrimaryPackagePurpose string            `json:"primaryPackagePurpose,omitempty"`
	ExternalRefs          []spdxExternalRef `json:"externalRefs,omitempty"`
}

// noAssertion fills the fields SPDX requires that this tool does not know.
func (p spdxPackage) noAssertion() spdxPackage {
	p.DownloadLocation, p.LicenseConcluded, p.LicenseDeclared, p.CopyrightText = "NOASSERTION", "NOASSERTION", "NOASSERTION", "NOASSERTION"
	return p
}

type spdxExternalRef struct {
	ReferenceCategory string `json:"referenceCategory"`
	ReferenceType     string `json:"referenceType"`
	ReferenceLocator  string `json:"referenceLocator"`
}

func purlRef(purl string) []spdxExternalRef {
	return []spdxExternalRef{{"PACKAGE-MANAGER", "purl", purl}}
}

type spdxRelationship struct {
	SPDXElementID      string `json:"spdxElementId"`
	RelationshipType   string `json:"relationshipType"`
	RelatedSPDXElement string `json:"relatedSpdxElement"`
}
