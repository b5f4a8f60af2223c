package main

import (
	"os"
	"path/filepath"
	"reflect"
	"testing"
)

// toBuild plans the parts whose binaries are not all in the cache, or every part on a rebuild.
func TestToBuild(t *testing.T) {
	repo, err := filepath.Abs(filepath.Join("..", ".."))
	if err != nil {
		t.Fatal(err)
	}
	ps := []*spec{&etcd.spec, &containerd.spec, &netpol.spec}
	for _, tc := range []struct {
		name    string
		built   map[string][]string // part: the binaries of it in the cache
		rebuild bool
		want    []string
	}{
		{"empty cache", nil, false, []string{"etcd", "containerd", "netpol"}},
		{"some built", map[string][]string{"etcd": {"etcd"}, "netpol": {"netpol"}}, false, []string{"containerd"}},
		{"a binary missing", map[string][]string{"containerd": {"containerd", "ctr"}}, false, []string{"etcd", "containerd", "netpol"}},
		{"all built", map[string][]string{"etcd": {"etcd"}, "containerd": {"containerd", "containerd-shim-runc-v2", "ctr"}, "netpol": {"netpol"}}, false, nil},
		{"all built, rebuild", map[string][]string{"etcd": {"etcd"}, "containerd": {"containerd", "containerd-shim-runc-v2", "ctr"}, "netpol": {"netpol"}}, true, []string{"etcd", "containerd", "netpol"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c := &config{repo: repo, binCache: t.TempDir(), rebuild: tc.rebuild}
			for name, bins := range tc.built {
				for _, b := range bins {
					bin := c.binPath(byName(t, name).row(), b)
					if err := os.MkdirAll(filepath.Dir(bin), 0o755); err != nil {
						t.Fatal(err)
					}
					if err := os.WriteFile(bin, nil, 0o755); err != nil {
						t.Fatal(err)
					}
				}
			}
			todo, err := toBuild(c, ps)
			if err != nil {
				t.Fatal(err)
			}
			var got []string
			for _, b := range steps(todo) {
				got = append(got, b.Name)
				if b.Version != mustVersion(c, byName(t, b.Name).row()) || b.Default != byName(t, b.Name).row().expected {
					t.Errorf("%s: step %+v does not carry its cache version and expected time", b.Name, b)
				}
			}
			if !reflect.DeepEqual(got, tc.want) {
				t.Errorf("to build %q, want %q", got, tc.want)
			}
		})
	}
}
