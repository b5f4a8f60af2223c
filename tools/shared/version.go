package shared

import (
	"bufio"
	"cmp"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"hash"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
)

// RequiredVersion finds `<module> vX` in a go.mod, in a require block or a one-line require.
func RequiredVersion(r io.Reader, module string) (string, error) {
	s := bufio.NewScanner(r)
	for s.Scan() {
		f := strings.Fields(s.Text())
		if len(f) >= 3 && f[0] == "require" && f[1] == module {
			return f[2], nil
		}
		if len(f) >= 2 && f[0] == module && strings.HasPrefix(f[1], "v") {
			return f[1], nil
		}
	}
	if err := s.Err(); err != nil {
		return "", err
	}
	return "", fmt.Errorf("go.mod requires no %s", module)
}

// RequiredVersionIn is RequiredVersion of the file gomod.
func RequiredVersionIn(gomod, module string) (string, error) {
	f, err := os.Open(gomod)
	if err != nil {
		return "", err
	}
	defer f.Close()
	return RequiredVersion(f, module)
}

// HashSources is a hex SHA-256 of the inputs of `go build` in the module at dir: the path and content of
// go.mod, go.sum and every non-test .go file under dir (directories named testdata or starting with a dot
// are not read), and the same of every module its go.mod replaces with a local directory.
func HashSources(dir string) (string, error) {
	h := sha256.New()
	if err := hashModule(h, dir, map[string]bool{}); err != nil {
		return "", err
	}
	return hex.EncodeToString(h.Sum(nil)), nil
}

func hashModule(h hash.Hash, dir string, seen map[string]bool) error {
	dir, err := filepath.EvalSymlinks(dir)
	if err != nil {
		return err
	}
	if seen[dir] {
		return nil
	}
	seen[dir] = true
	if err := hashTree(h, dir); err != nil {
		return err
	}
	gomod, err := os.ReadFile(filepath.Join(dir, "go.mod"))
	if err != nil {
		return err
	}
	for _, r := range localReplacements(string(gomod)) {
		fmt.Fprintf(h, "replace %d:%s", len(r), r)
		if err := hashModule(h, filepath.Join(dir, r), seen); err != nil {
			return err
		}
	}
	return nil
}

func hashTree(h hash.Hash, dir string) error {
	return filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() {
			if p != dir && (d.Name() == "testdata" || strings.HasPrefix(d.Name(), ".")) {
				return filepath.SkipDir
			}
			return nil
		}
		if !d.Type().IsRegular() || !goSource(d.Name()) {
			return nil
		}
		content, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		rel, err := filepath.Rel(dir, p)
		if err != nil {
			return err
		}
		// Lengths delimit each field, so no two different trees hash the same bytes.
		fmt.Fprintf(h, "%d:%s%d:", len(rel), filepath.ToSlash(rel), len(content))
		h.Write(content)
		return nil
	})
}

// goSource says whether a file is an input of `go build`: go.mod, go.sum and Go files other than tests.
func goSource(name string) bool {
	return name == "go.mod" || name == "go.sum" || (strings.HasSuffix(name, ".go") && !strings.HasSuffix(name, "_test.go"))
}

// localReplacements lists the directories a go.mod's replace directives name (./ or ../ paths).
func localReplacements(gomod string) []string {
	var dirs []string
	for _, line := range strings.Split(gomod, "\n") {
		line, _, _ = strings.Cut(line, "//")
		_, target, ok := strings.Cut(line, "=>")
		if f := strings.Fields(target); ok && len(f) == 1 && (strings.HasPrefix(f[0], "./") || strings.HasPrefix(f[0], "../")) {
			dirs = append(dirs, f[0])
		}
	}
	return dirs
}

// PulumiVersion is the Pulumi CLI version the repository at repo pins in .pulumi-version, its one place
// (the workflows read it too).
func PulumiVersion(repo string) (string, error) {
	b, err := os.ReadFile(filepath.Join(repo, ".pulumi-version"))
	if err != nil {
		return "", err
	}
	v := strings.Join(strings.Fields(string(b)), "")
	if v == "" {
		return "", fmt.Errorf("%s is empty", filepath.Join(repo, ".pulumi-version"))
	}
	return v, nil
}

// AtLeast says whether version v >= min by semantic versioning (a leading v is ignored, so are build
// metadata; a pre-release sorts before its release).
func AtLeast(v, min string) bool { return compareVersions(v, min) >= 0 }

func compareVersions(a, b string) int {
	a, _, _ = strings.Cut(strings.TrimPrefix(a, "v"), "+")
	b, _, _ = strings.Cut(strings.TrimPrefix(b, "v"), "+")
	aCore, aPre, _ := strings.Cut(a, "-")
	bCore, bPre, _ := strings.Cut(b, "-")
	if c := compareDotted(aCore, bCore); c != 0 {
		return c
	}
	switch {
	case aPre == bPre:
		return 0
	case aPre == "":
		return 1
	case bPre == "":
		return -1
	}
	return compareDotted(aPre, bPre)
}

// compareDotted compares dot-separated identifiers: numbers numerically, and before words; words by
// their bytes; a list that is a prefix of the other sorts first.
func compareDotted(a, b string) int {
	as, bs := strings.Split(a, "."), strings.Split(b, ".")
	for i := 0; i < len(as) && i < len(bs); i++ {
		an, bn := numeric(as[i]), numeric(bs[i])
		switch {
		case an && bn:
			x, y := strings.TrimLeft(as[i], "0"), strings.TrimLeft(bs[i], "0")
			if len(x) != len(y) {
				return cmp.Compare(len(x), len(y))
			}
			if c := strings.Compare(x, y); c != 0 {
				return c
			}
		case an:
			return -1
		case bn:
			return 1
		default:
			if c := strings.Compare(as[i], bs[i]); c != 0 {
				return c
			}
		}
	}
	return cmp.Compare(len(as), len(bs))
}

func numeric(s string) bool {
	return s != "" && strings.Trim(s, "0123456789") == ""
}
