package main

import (
	"context"
	"os"
	"path/filepath"
	"reflect"
	"testing"
)

// An empty cache plans every part; what is cached, or installed elsewhere, is left out.
func TestPlan(t *testing.T) {
	for _, tc := range []struct {
		name         string
		cached       []string // parts whose binary is in the cache
		pluginInHome bool     // the plugin is installed in the user's own PULUMI_HOME
		withProvider bool
		want         []string
	}{
		{"empty cache", nil, false, true, []string{"pulumi v3.259.0", "pulumi-language-nodejs v3.259.0", "pulumi-resource-kubernetes v4.25.0"}},
		{"empty cache, CLI only", nil, false, false, []string{"pulumi v3.259.0", "pulumi-language-nodejs v3.259.0"}},
		{"CLI cached, language host stale", []string{cliName, languageHostName}, false, true, []string{"pulumi-language-nodejs v3.259.0", "pulumi-resource-kubernetes v4.25.0"}},
		{"provider cached", []string{providerName}, false, true, []string{"pulumi v3.259.0", "pulumi-language-nodejs v3.259.0"}},
		{"provider in the user's PULUMI_HOME", []string{cliName}, true, true, []string{"pulumi-language-nodejs v3.259.0"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			home := t.TempDir()
			t.Setenv("PATH", "")
			t.Setenv("HOME", home)
			t.Setenv("PULUMI_HOME", "")
			tch := &toolchain{src: ".", parts: table("3.259.0"), cache: t.TempDir(), pulumiHome: t.TempDir()}
			for _, name := range tc.cached {
				executable(t, tch.binPath(tch.part(name)))
			}
			if tc.pluginInHome {
				executable(t, filepath.Join(tch.pluginDir(filepath.Join(home, ".pulumi")), providerName))
			}
			_, todo := tch.findCLI(context.Background())
			var got []string
			for _, s := range tch.plan(todo, tc.withProvider) {
				got = append(got, s.Name+" "+s.Version)
				if s.Default <= 0 {
					t.Errorf("%s has no default time", s.Name)
				}
			}
			if !reflect.DeepEqual(got, tc.want) {
				t.Errorf("planned %q, want %q", got, tc.want)
			}
		})
	}
}

func executable(t *testing.T, path string) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, []byte("#!/bin/sh\n"), 0o755); err != nil {
		t.Fatal(err)
	}
}
