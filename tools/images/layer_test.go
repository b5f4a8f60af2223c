package main

import (
	"archive/tar"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"syscall"
	"testing"
	"time"
)

// writeTree creates files (path → content; a content starting with "->" makes a symlink) under a new dir.
func writeTree(t *testing.T, files map[string]string, mode os.FileMode) string {
	t.Helper()
	dir := t.TempDir()
	for p, content := range files {
		target := filepath.Join(dir, p)
		if err := os.MkdirAll(filepath.Dir(target), 0o700); err != nil {
			t.Fatal(err)
		}
		if link, ok := cutPrefix(content, "->"); ok {
			if err := os.Symlink(link, target); err != nil {
				t.Fatal(err)
			}
			continue
		}
		if err := os.WriteFile(target, []byte(content), mode); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

func cutPrefix(s, prefix string) (string, bool) {
	if len(s) >= len(prefix) && s[:len(prefix)] == prefix {
		return s[len(prefix):], true
	}
	return "", false
}

func TestLayerFromDirEntries(t *testing.T) {
	dir := writeTree(t, map[string]string{"bin/app": "binary", "etc/passwd": "root", "bin/sh": "->app"}, 0o600)
	if err := os.Chmod(filepath.Join(dir, "bin", "app"), 0o700); err != nil {
		t.Fatal(err)
	}
	layer, err := layerFromDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	rc, err := layer.Uncompressed()
	if err != nil {
		t.Fatal(err)
	}
	defer rc.Close()
	var got []string
	tr := tar.NewReader(rc)
	for {
		hdr, err := tr.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		content, _ := io.ReadAll(tr)
		got = append(got, fmt.Sprintf("%s %c %o %d:%d %d %q %q", hdr.Name, hdr.Typeflag, hdr.Mode, hdr.Uid, hdr.Gid,
			hdr.ModTime.Unix(), hdr.Linkname, content))
	}
	want := []string{
		`bin/ 5 755 0:0 0 "" ""`,
		`bin/app 0 755 0:0 0 "" "binary"`,
		`bin/sh 2 777 0:0 0 "app" ""`,
		`etc/ 5 755 0:0 0 "" ""`,
		`etc/passwd 0 644 0:0 0 "" "root"`,
	}
	if !slices.Equal(got, want) {
		t.Errorf("layer entries:\n%q\nwant\n%q", got, want)
	}
}

// Same files, other modes and times: same digest, so a rebuild with unchanged inputs is the same image.
func TestLayerFromDirIsReproducible(t *testing.T) {
	files := map[string]string{"bin/app": "binary", "etc/group": "root:x:0:"}
	first := writeTree(t, files, 0o600)
	second := writeTree(t, files, 0o664)
	old := time.Unix(1e9, 0)
	if err := os.Chtimes(filepath.Join(second, "etc", "group"), old, old); err != nil {
		t.Fatal(err)
	}
	digest := func(dir string) string {
		layer, err := layerFromDir(dir)
		if err != nil {
			t.Fatal(err)
		}
		d, err := layer.Digest()
		if err != nil {
			t.Fatal(err)
		}
		return d.String()
	}
	if a, b := digest(first), digest(second); a != b {
		t.Errorf("digests differ: %s and %s", a, b)
	}
	changed := writeTree(t, map[string]string{"bin/app": "binary2", "etc/group": "root:x:0:"}, 0o600)
	if digest(changed) == digest(first) {
		t.Error("a changed file kept the digest")
	}
}

func TestLayerFromDirRefusesSpecialFiles(t *testing.T) {
	dir := t.TempDir()
	if err := syscall.Mkfifo(filepath.Join(dir, "fifo"), 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := layerFromDir(dir); err == nil {
		t.Error("a FIFO went into the layer")
	}
}
