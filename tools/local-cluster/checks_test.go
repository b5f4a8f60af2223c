package main

import (
	"context"
	"errors"
	"testing"
)

// A failed node check: kwok with the reason by default, an error when real is forced, and no
// checks at all when kwok is forced.
func TestChooseMode(t *testing.T) {
	saved := nodeChecks
	defer func() { nodeChecks = saved }()
	ran := 0
	nodeChecks = []nodeCheck{{"overlayfs", func(context.Context) error { ran++; return errors.New("no overlay") }}}
	for _, tc := range []struct {
		env, wantMode, wantReason, wantErr string
		wantRan                            int
	}{
		{"", "kwok", `node check "overlayfs" failed: no overlay`, "", 1},
		{"real", "", "", `LOCAL_CLUSTER_NODE=real but node check "overlayfs" failed: no overlay`, 1},
		{"kwok", "kwok", "LOCAL_CLUSTER_NODE=kwok", "", 0},
		{"fake", "", "", `LOCAL_CLUSTER_NODE="fake": want real or kwok`, 0},
	} {
		ran = 0
		t.Setenv("LOCAL_CLUSTER_NODE", tc.env)
		m, reason, err := chooseMode(context.Background())
		gotErr := ""
		if err != nil {
			gotErr = err.Error()
		}
		if string(m) != tc.wantMode || reason != tc.wantReason || gotErr != tc.wantErr || ran != tc.wantRan {
			t.Errorf("LOCAL_CLUSTER_NODE=%q: got (%q, %q, %q) after %d checks, want (%q, %q, %q) after %d",
				tc.env, m, reason, gotErr, ran, tc.wantMode, tc.wantReason, tc.wantErr, tc.wantRan)
		}
	}
	nodeChecks = []nodeCheck{{"ok", func(context.Context) error { return nil }}}
	t.Setenv("LOCAL_CLUSTER_NODE", "")
	if m, reason, err := chooseMode(context.Background()); m != modeReal || reason != "" || err != nil {
		t.Errorf("all checks pass: got (%q, %q, %v), want real", m, reason, err)
	}
}
