package main

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"math"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"
)

// fakeStore is an in-memory Store; err, when set, is returned by every call.
type fakeStore struct {
	mu   sync.Mutex
	m    map[int64]int64
	err  error
	keys []int64 // ids seen, in order
}

func newFakeStore() *fakeStore { return &fakeStore{m: map[int64]int64{}} }

func (f *fakeStore) Get(_ context.Context, id int64) (int64, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.keys = append(f.keys, id)
	if f.err != nil {
		return 0, f.err
	}
	return f.m[id], nil
}

func (f *fakeStore) Incr(_ context.Context, id int64) (int64, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.keys = append(f.keys, id)
	if f.err != nil {
		return 0, f.err
	}
	f.m[id]++
	return f.m[id], nil
}

func (f *fakeStore) Ping(context.Context) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.err
}

func (f *fakeStore) setErr(err error) {
	f.mu.Lock()
	f.err = err
	f.mu.Unlock()
}

func quietLogger() *slog.Logger { return slog.New(slog.NewTextHandler(io.Discard, nil)) }

func do(t *testing.T, h http.Handler, method, target string) *httptest.ResponseRecorder {
	t.Helper()
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequest(method, target, nil))
	return rec
}

// The tutorial's HTTP session, request by request, with the exact bodies it shows.
var tutorialSession = []struct{ method, path, want string }{
	{"GET", "/users/249", "0"},
	{"POST", "/users/249", "1"},
	{"POST", "/users/249", "2"},
	{"POST", "/users/249", "3"},
	{"GET", "/users/249", "3"},
	{"GET", "/users/32", "0"},
	{"GET", "/healthz", "✓"},
}

func TestTutorialSession(t *testing.T) {
	h := newServer(newFakeStore(), quietLogger(), time.Second).routes()
	for _, s := range tutorialSession {
		rec := do(t, h, s.method, s.path)
		if rec.Code != 200 || rec.Body.String() != s.want {
			t.Fatalf("%s %s = %d %q, want 200 %q", s.method, s.path, rec.Code, rec.Body.String(), s.want)
		}
		if ct := rec.Header().Get("Content-Type"); ct != "text/plain; charset=UTF-8" {
			t.Fatalf("%s %s Content-Type = %q", s.method, s.path, ct)
		}
	}
	// Exactly the tutorial's bytes: Content-Length: 3 for the check mark.
	if rec := do(t, h, "GET", "/healthz"); rec.Header().Get("Content-Length") != "3" {
		t.Fatalf("healthz Content-Length = %q, want 3", rec.Header().Get("Content-Length"))
	}
}

func TestLeadingZerosAreTheSameUser(t *testing.T) {
	store := newFakeStore()
	h := newServer(store, quietLogger(), time.Second).routes()
	do(t, h, "POST", "/users/7")
	if rec := do(t, h, "GET", "/users/007"); rec.Body.String() != "1" {
		t.Fatalf("GET /users/007 = %q, want 1", rec.Body.String())
	}
}

func TestBadRequests(t *testing.T) {
	cases := []struct {
		name, method, path string
		code               int
		allow              string
	}{
		{"non-numeric", "GET", "/users/abc", 400, ""},
		{"negative", "GET", "/users/-1", 400, ""},
		{"plus sign", "POST", "/users/+1", 400, ""},
		{"hex", "GET", "/users/0x10", 400, ""},
		{"float", "GET", "/users/1.5", 400, ""},
		{"overflow int64", "POST", "/users/9223372036854775808", 400, ""},
		{"overflow uint64", "GET", "/users/18446744073709551616", 400, ""},
		{"huge id", "GET", "/users/" + strings.Repeat("9", 5000), 400, ""},
		{"escaped space", "GET", "/users/1%201", 400, ""},
		{"empty id", "GET", "/users/", 404, ""},
		{"nested", "GET", "/users/1/2", 404, ""},
		{"unknown path", "GET", "/nope", 404, ""},
		{"root", "GET", "/", 404, ""},
		{"PUT", "PUT", "/users/1", 405, "GET, HEAD, POST"},
		{"DELETE", "DELETE", "/users/1", 405, "GET, HEAD, POST"},
		{"PATCH", "PATCH", "/users/1", 405, "GET, HEAD, POST"},
		{"POST healthz", "POST", "/healthz", 405, "GET, HEAD"},
	}
	store := newFakeStore()
	h := newServer(store, quietLogger(), time.Second).routes()
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			rec := do(t, h, c.method, c.path)
			if rec.Code != c.code {
				t.Fatalf("%s %s = %d, want %d (body %q)", c.method, c.path, rec.Code, c.code, rec.Body.String())
			}
			if c.allow != "" && rec.Header().Get("Allow") != c.allow {
				t.Fatalf("Allow = %q, want %q", rec.Header().Get("Allow"), c.allow)
			}
			if rec.Body.Len() > 100 {
				t.Fatalf("error body too long: %d bytes", rec.Body.Len())
			}
		})
	}
	if len(store.keys) != 0 {
		t.Fatalf("store was called for bad requests: %v", store.keys)
	}
}

func TestMaxInt64Accepted(t *testing.T) {
	store := newFakeStore()
	h := newServer(store, quietLogger(), time.Second).routes()
	if rec := do(t, h, "POST", "/users/9223372036854775807"); rec.Code != 200 || rec.Body.String() != "1" {
		t.Fatalf("got %d %q", rec.Code, rec.Body.String())
	}
	if store.keys[0] != math.MaxInt64 {
		t.Fatalf("id = %d", store.keys[0])
	}
}

func TestStoreDown(t *testing.T) {
	store := newFakeStore()
	h := newServer(store, quietLogger(), time.Second).routes()
	store.setErr(errors.New("dial tcp: connection refused"))
	for _, m := range []string{"GET", "POST"} {
		rec := do(t, h, m, "/users/1")
		if rec.Code != 503 || rec.Header().Get("Retry-After") == "" {
			t.Fatalf("%s with store down = %d (Retry-After %q), want 503", m, rec.Code, rec.Header().Get("Retry-After"))
		}
	}
	if rec := do(t, h, "GET", "/readyz"); rec.Code != 503 {
		t.Fatalf("readyz with store down = %d, want 503", rec.Code)
	}
	if rec := do(t, h, "GET", "/healthz"); rec.Code != 200 || rec.Body.String() != "✓" {
		t.Fatalf("healthz with store down = %d %q", rec.Code, rec.Body.String())
	}
	store.setErr(nil)
	if rec := do(t, h, "GET", "/readyz"); rec.Code != 200 {
		t.Fatalf("readyz after recovery = %d", rec.Code)
	}
	if rec := do(t, h, "POST", "/users/1"); rec.Code != 200 || rec.Body.String() != "1" {
		t.Fatalf("POST after recovery = %d %q", rec.Code, rec.Body.String())
	}
}

func TestCorruptValueIs500(t *testing.T) {
	store := newFakeStore()
	store.setErr(errCorrupt)
	h := newServer(store, quietLogger(), time.Second).routes()
	if rec := do(t, h, "GET", "/users/1"); rec.Code != 500 {
		t.Fatalf("corrupt value = %d, want 500", rec.Code)
	}
}

func TestNotReadyOnlyFailsReadiness(t *testing.T) {
	s := newServer(newFakeStore(), quietLogger(), time.Second)
	h := s.routes()
	s.notReady.Store(true)
	if rec := do(t, h, "GET", "/readyz"); rec.Code != 503 {
		t.Fatalf("readyz when not ready = %d, want 503", rec.Code)
	}
	rec := do(t, h, "POST", "/users/1")
	if rec.Code != 200 || rec.Header().Get("Connection") != "" {
		t.Fatalf("POST when not ready: %d, Connection %q; want 200 and keep-alive", rec.Code, rec.Header().Get("Connection"))
	}
}

func TestDrainingClosesConnectionsAndFailsReadiness(t *testing.T) {
	s := newServer(newFakeStore(), quietLogger(), time.Second)
	h := s.routes()
	if rec := do(t, h, "GET", "/users/1"); rec.Header().Get("Connection") != "" {
		t.Fatalf("Connection header before drain: %q", rec.Header().Get("Connection"))
	}
	s.draining.Store(true)
	rec := do(t, h, "GET", "/users/1")
	if rec.Code != 200 || rec.Header().Get("Connection") != "close" {
		t.Fatalf("during drain: %d, Connection %q", rec.Code, rec.Header().Get("Connection"))
	}
	if rec := do(t, h, "GET", "/readyz"); rec.Code != 503 {
		t.Fatalf("readyz during drain = %d, want 503", rec.Code)
	}
	if rec := do(t, h, "GET", "/healthz"); rec.Code != 200 || rec.Header().Get("Connection") != "close" {
		t.Fatalf("healthz during drain = %d (Connection %q), want 200 and close", rec.Code, rec.Header().Get("Connection"))
	}
	for _, path := range []string{"/nope", "/users/x"} {
		if rec := do(t, h, "GET", path); rec.Header().Get("Connection") != "close" {
			t.Fatalf("%s during drain: Connection %q, want close", path, rec.Header().Get("Connection"))
		}
	}
	if rec := do(t, h, "PUT", "/users/1"); rec.Code != 405 || rec.Header().Get("Connection") != "close" {
		t.Fatalf("405 during drain: %d Connection %q", rec.Code, rec.Header().Get("Connection"))
	}
}

func TestParseID(t *testing.T) {
	cases := []struct {
		in   string
		want int64
		err  error
	}{
		{"0", 0, nil},
		{"249", 249, nil},
		{"007", 7, nil},
		{"9223372036854775807", math.MaxInt64, nil},
		{"0000009223372036854775807", 0, errIDTooLong},
		{"9223372036854775808", 0, errIDOverflow},
		{"99999999999999999999", 0, errIDOverflow},
		{"18446744073709551615", 0, errIDOverflow}, // fits uint64, not int64
		{"99999999999999999999x", 0, errIDSyntax},
		{"1_000", 0, errIDSyntax},
		{"", 0, errIDEmpty},
		{"-1", 0, errIDSyntax},
		{"+1", 0, errIDSyntax},
		{" 1", 0, errIDSyntax},
		{"1e3", 0, errIDSyntax},
		{"١٢", 0, errIDSyntax}, // Arabic-Indic digits
		{strings.Repeat("1", 25), 0, errIDTooLong},
	}
	for _, c := range cases {
		got, err := parseID(c.in)
		if !errors.Is(err, c.err) || got != c.want {
			t.Errorf("parseID(%q) = %d, %v; want %d, %v", c.in, got, err, c.want, c.err)
		}
	}
}
