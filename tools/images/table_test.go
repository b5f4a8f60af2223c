package main

import (
	"bytes"
	"context"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/google/go-containerregistry/pkg/name"
)

func TestReferencesAreTaggedUnderLocalhost(t *testing.T) {
	seen := map[string]bool{}
	for _, img := range images {
		tag, err := name.NewTag(img.ref(), name.StrictValidation)
		if err != nil {
			t.Errorf("%s: %v", img.name, err)
			continue
		}
		// The node never pulls: an image that is not preloaded must fail, not reach a real registry.
		if got := tag.Context().Name(); got != "localhost/three-tier-app/"+img.name {
			t.Errorf("%s: repository %s, want localhost/three-tier-app/%s", img.name, got, img.name)
		}
		if seen[img.name] {
			t.Errorf("%s is in the table twice", img.name)
		}
		seen[img.name] = true
	}
}

// Non-root, and above every host uid and gid (10000+): a process that escaped its container owns nothing there.
func TestEveryImageRunsAsAHighUidWithACommand(t *testing.T) {
	for _, img := range images {
		uid, gid, ok := strings.Cut(img.config.User, ":")
		for _, id := range []string{uid, gid} {
			if n, err := strconv.Atoi(id); !ok || err != nil || n < 10000 {
				t.Errorf("%s: user %q, want numeric uid:gid of 10000 or more", img.name, img.config.User)
			}
		}
		if len(img.config.Entrypoint)+len(img.config.Cmd) == 0 {
			t.Errorf("%s: neither Entrypoint nor Cmd", img.name)
		}
	}
}

func TestSelectImages(t *testing.T) {
	for _, tc := range []struct {
		args []string
		want []string
		err  string
	}{
		{args: nil, want: imageNames()},
		{args: []string{"redis", "backend"}, want: []string{"redis", "backend"}},
		{args: []string{"pause", "pause"}, want: []string{"pause"}},
		{args: []string{"backend", "postgres"}, err: `unknown image "postgres" (known: backend, nginx, redis, pause)`},
	} {
		got, err := selectImages(tc.args)
		if tc.err != "" {
			if err == nil || err.Error() != tc.err {
				t.Errorf("selectImages(%q) error %v, want %q", tc.args, err, tc.err)
			}
			continue
		}
		if err != nil {
			t.Fatalf("selectImages(%q): %v", tc.args, err)
		}
		var names []string
		for _, img := range got {
			names = append(names, img.name)
		}
		if !slices.Equal(names, tc.want) {
			t.Errorf("selectImages(%q) = %q, want %q", tc.args, names, tc.want)
		}
	}
}

func TestListPrintsEachReference(t *testing.T) {
	var out bytes.Buffer
	if err := run(context.Background(), []string{"list"}, &out, &out); err != nil {
		t.Fatal(err)
	}
	want := "localhost/three-tier-app/backend:v0.4.0\nlocalhost/three-tier-app/nginx:1.22.1\n" +
		"localhost/three-tier-app/redis:7.0.15\nlocalhost/three-tier-app/pause:3.10\n"
	if out.String() != want {
		t.Errorf("list printed %q, want %q", out.String(), want)
	}
}

func TestUsageErrors(t *testing.T) {
	for _, args := range [][]string{nil, {"tag"}, {"list", "extra"}, {"push", "backend"}, {"push", "--registry", "localhost:5000/x"}} {
		if err := run(context.Background(), args, &bytes.Buffer{}, &bytes.Buffer{}); err == nil || err.Error() != usage {
			t.Errorf("run(%q) error %v, want the usage", args, err)
		}
	}
}
