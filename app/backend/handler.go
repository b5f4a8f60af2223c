package main

import (
	"context"
	"errors"
	"log/slog"
	"math"
	"net/http"
	"strconv"
	"strings"
	"sync/atomic"
	"time"
)

// contentType is what the tutorial's echo server sent (c.String): note the
// upper-case "UTF-8", which Go's own sniffing would spell in lower case.
const contentType = "text/plain; charset=UTF-8"

// maxIDLen bounds the id path segment before any parsing: 19 digits hold every
// int64; a few leading zeros are tolerated, anything longer is rejected.
const maxIDLen = 24

var (
	errIDEmpty    = errors.New("missing user id")
	errIDTooLong  = errors.New("user id too long")
	errIDSyntax   = errors.New("user id must be a non-negative integer")
	errIDOverflow = errors.New("user id out of range")
)

// parseID accepts ASCII decimal digits only (no sign, no spaces, no hex, no
// underscores) in the range 0..math.MaxInt64. Leading zeros are allowed: "007"
// is user 7. Syntax is judged before range, so "99999999999999999999x" is a
// syntax error although strconv stops at the overflow first.
func parseID(s string) (int64, error) {
	if s == "" {
		return 0, errIDEmpty
	}
	if len(s) > maxIDLen {
		return 0, errIDTooLong
	}
	n, err := strconv.ParseUint(s, 10, 64)
	switch {
	case errors.Is(err, strconv.ErrRange) && strings.Trim(s, "0123456789") == "":
		return 0, errIDOverflow
	case err != nil:
		return 0, errIDSyntax
	case n > math.MaxInt64:
		return 0, errIDOverflow
	}
	return int64(n), nil
}

// server holds the handlers' dependencies.
type server struct {
	store   Store
	log     *slog.Logger
	timeout time.Duration
	// notReady is set on SIGTERM: /readyz fails from then on.
	notReady atomic.Bool
	// draining is set once the listener is closed: responses ask the client
	// to close the connection, so keep-alive connections end cleanly.
	draining atomic.Bool
	// redisDown remembers the last observed Redis state so that an outage
	// is logged once when it starts and once when it ends, not per request.
	redisDown atomic.Bool
}

func newServer(store Store, log *slog.Logger, timeout time.Duration) *server {
	return &server{store: store, log: log, timeout: timeout}
}

// routes uses Go 1.22 method+wildcard patterns. The mux answers 405 with an
// Allow header for other methods on a known path and 404 for unknown paths;
// a GET pattern also serves HEAD.
func (s *server) routes() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /users/{id}", s.getUser)
	mux.HandleFunc("POST /users/{id}", s.incrUser)
	mux.HandleFunc("GET /healthz", s.healthz)
	mux.HandleFunc("GET /readyz", s.readyz)
	return s.drainAware(mux)
}

func (s *server) drainAware(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		next.ServeHTTP(&drainWriter{ResponseWriter: w, s: s}, r)
	})
}

// drainWriter adds "Connection: close" to a response whose header is written
// while the server drains (including requests that started before): net/http
// then closes the connection after this response, and the peer knows not to
// reuse it, so there is no race with a request it might be sending.
type drainWriter struct {
	http.ResponseWriter
	s     *server
	wrote bool
}

func (w *drainWriter) WriteHeader(code int) {
	if !w.wrote {
		w.wrote = true
		if w.s.draining.Load() {
			w.Header().Set("Connection", "close")
		}
	}
	w.ResponseWriter.WriteHeader(code)
}

func (w *drainWriter) Write(b []byte) (int, error) {
	if !w.wrote {
		w.WriteHeader(http.StatusOK)
	}
	return w.ResponseWriter.Write(b)
}

// Unwrap lets http.ResponseController reach the underlying writer.
func (w *drainWriter) Unwrap() http.ResponseWriter { return w.ResponseWriter }

func writeText(w http.ResponseWriter, code int, body string) {
	h := w.Header()
	h.Set("Content-Type", contentType)
	h.Set("Content-Length", strconv.Itoa(len(body)))
	h.Set("X-Content-Type-Options", "nosniff")
	w.WriteHeader(code)
	_, _ = w.Write([]byte(body))
}

func (s *server) healthz(w http.ResponseWriter, _ *http.Request) {
	writeText(w, http.StatusOK, "✓")
}

func (s *server) readyz(w http.ResponseWriter, r *http.Request) {
	if s.notReady.Load() || s.draining.Load() {
		writeText(w, http.StatusServiceUnavailable, "shutting down\n")
		return
	}
	ctx, cancel := context.WithTimeout(r.Context(), 500*time.Millisecond)
	defer cancel()
	if err := s.store.Ping(ctx); err != nil {
		s.noteRedis(err)
		writeText(w, http.StatusServiceUnavailable, "redis unavailable\n")
		return
	}
	s.noteRedis(nil)
	writeText(w, http.StatusOK, "ok\n")
}

func (s *server) getUser(w http.ResponseWriter, r *http.Request) {
	s.counter(w, r, s.store.Get)
}

func (s *server) incrUser(w http.ResponseWriter, r *http.Request) {
	s.counter(w, r, s.store.Incr)
}

func (s *server) counter(w http.ResponseWriter, r *http.Request, op func(context.Context, int64) (int64, error)) {
	id, err := parseID(r.PathValue("id"))
	if err != nil {
		writeText(w, http.StatusBadRequest, err.Error()+"\n")
		return
	}
	ctx, cancel := context.WithTimeout(r.Context(), s.timeout)
	defer cancel()
	n, err := op(ctx, id)
	if err != nil {
		s.storeError(w, r, err)
		return
	}
	s.noteRedis(nil)
	writeText(w, http.StatusOK, strconv.FormatInt(n, 10))
}

// storeError answers a failed store call. Only a failure that wrote nothing
// invites a retry (503 + Retry-After); a write whose outcome is unknown is a
// 504 without Retry-After, because a client that retried it could count twice.
func (s *server) storeError(w http.ResponseWriter, r *http.Request, err error) {
	switch {
	case errors.Is(err, errCorrupt):
		// Not Redis being down: the key holds something we cannot count.
		s.log.Error("corrupt counter", "path", r.URL.Path, "err", err)
		writeText(w, http.StatusInternalServerError, "internal error\n")
	case r.Context().Err() != nil:
		// The client went away; nobody reads this response.
		writeText(w, http.StatusServiceUnavailable, "request cancelled\n")
	case errors.Is(err, errOutcomeUnknown):
		s.noteRedis(err)
		writeText(w, http.StatusGatewayTimeout, "redis did not answer; the increment may have been applied\n")
	default:
		s.noteRedis(err)
		w.Header().Set("Retry-After", "1")
		writeText(w, http.StatusServiceUnavailable, "redis unavailable\n")
	}
}

// noteRedis logs Redis state transitions only.
func (s *server) noteRedis(err error) {
	if err != nil {
		if !s.redisDown.Swap(true) {
			s.log.Error("redis unavailable", "err", err)
		}
		return
	}
	if s.redisDown.Swap(false) {
		s.log.Info("redis available again")
	}
}
