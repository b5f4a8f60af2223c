package main

import (
	"context"
	"errors"
	"fmt"
	"net"
	"strconv"
	"strings"
	"time"

	"github.com/redis/go-redis/v9"
	"github.com/redis/go-redis/v9/maintnotifications"
)

// Store is the persistence the handlers need; the Redis implementation is
// below, the unit tests use an in-memory fake.
type Store interface {
	// Get returns the counter of a user, 0 when it was never incremented.
	Get(ctx context.Context, id int64) (int64, error)
	// Incr atomically increments the counter and returns the new value.
	Incr(ctx context.Context, id int64) (int64, error)
	// Ping reports whether the store is reachable.
	Ping(ctx context.Context) error
}

// The store's errors, which the handlers turn into status codes.
var (
	// errCorrupt marks data that is in Redis but is not a counter: the
	// server's fault rather than Redis being unavailable.
	errCorrupt = errors.New("stored value is not an integer counter")
	// errNotApplied: the command never reached Redis (no connection could be
	// had) or Redis refused it with an error reply; nothing was written, so
	// a retry is safe.
	errNotApplied = errors.New("redis unavailable, nothing written")
	// errOutcomeUnknown: a write may have reached Redis, but no reply came
	// back (timeout, connection broken): it may have been applied, and a
	// retry could apply it twice.
	errOutcomeUnknown = errors.New("redis did not answer, the write may have been applied")
)

func userKey(id int64) string { return "user:" + strconv.FormatInt(id, 10) }

type redisStore struct{ c *redis.Client }

func newRedisStore(opts *redis.Options) *redisStore { return &redisStore{c: redis.NewClient(opts)} }

// silentLogger drops go-redis' internal log lines (one per failed dial while
// Redis is down); the server logs Redis outages once, when they start and end.
type silentLogger struct{}

func (silentLogger) Printf(context.Context, string, ...interface{}) {}

func init() { redis.SetLogger(silentLogger{}) }

// applyRedisDefaults sets client options suited to a small request/response
// service: fail fast when Redis is gone (the handler answers 503 and the
// readiness probe takes the pod out) rather than queueing requests.
func applyRedisDefaults(o *redis.Options, budget time.Duration) {
	if o.DialTimeout == 0 {
		o.DialTimeout = time.Second
	}
	if o.ReadTimeout == 0 {
		o.ReadTimeout = time.Second
	}
	if o.WriteTimeout == 0 {
		o.WriteTimeout = time.Second
	}
	if o.PoolTimeout == 0 {
		o.PoolTimeout = budget
	}
	if o.DialerRetries == 0 {
		// One dial attempt per request: with Redis down, answer 503 now
		// instead of after five 100 ms back-offs.
		o.DialerRetries = 1
	}
	o.ContextTimeoutEnabled = true
	// INCR is not idempotent: a blind retry after a lost reply could count
	// one request twice. Do not retry; stale pooled connections are detected
	// by the pool's health check before use, so a Redis restart costs at
	// most the requests that were in flight at that moment.
	o.MaxRetries = -1
	// Plain self-hosted Redis: skip the CLIENT SETINFO and
	// CLIENT MAINT_NOTIFICATIONS handshakes on every new connection.
	o.DisableIdentity = true
	o.MaintNotificationsConfig = &maintnotifications.Config{Mode: maintnotifications.ModeDisabled}
}

func (s *redisStore) Get(ctx context.Context, id int64) (int64, error) {
	v, err := s.c.Get(ctx, userKey(id)).Result()
	if errors.Is(err, redis.Nil) {
		return 0, nil
	}
	if err != nil {
		return 0, classify(err, false)
	}
	n, err := strconv.ParseInt(v, 10, 64)
	if err != nil {
		return 0, errCorrupt
	}
	return n, nil
}

func (s *redisStore) Incr(ctx context.Context, id int64) (int64, error) {
	n, err := s.c.Incr(ctx, userKey(id)).Result()
	if err != nil {
		return 0, classify(err, true)
	}
	return n, nil
}

func (s *redisStore) Ping(ctx context.Context) error { return s.c.Ping(ctx).Err() }

func (s *redisStore) Close() error { return s.c.Close() }

// classify maps a failed command to errCorrupt (WRONGTYPE, "value is not an
// integer or out of range", "increment would overflow"), errNotApplied or,
// for a write, errOutcomeUnknown; the result wraps err for the log.
//
// Only errors that prove the command was never executed count as not
// applied: any error reply (Redis answers with an error instead of running
// the command), no connection (dial failed, pool timed out, client closed),
// or the context ending while waiting for a connection (go-redis then
// returns the bare context error; once a command is written, a deadline
// surfaces as a net.Error from the read instead). Anything else after
// the command may have been written (read timeout, EOF, reset) is unknown.
func classify(err error, write bool) error {
	var rerr redis.Error
	if errors.As(err, &rerr) {
		msg := rerr.Error()
		if strings.HasPrefix(msg, "WRONGTYPE") || strings.Contains(msg, "not an integer") ||
			strings.Contains(msg, "would overflow") {
			return fmt.Errorf("%w: %w", errCorrupt, err)
		}
		return fmt.Errorf("%w: %w", errNotApplied, err)
	}
	if !write || notSent(err) {
		return fmt.Errorf("%w: %w", errNotApplied, err)
	}
	return fmt.Errorf("%w: %w", errOutcomeUnknown, err)
}

// notSent reports errors raised before go-redis wrote the command.
func notSent(err error) bool {
	var op *net.OpError
	if errors.As(err, &op) {
		return op.Op == "dial"
	}
	return errors.Is(err, redis.ErrPoolTimeout) || errors.Is(err, redis.ErrPoolExhausted) ||
		errors.Is(err, redis.ErrClosed) || errors.Is(err, context.DeadlineExceeded) ||
		errors.Is(err, context.Canceled)
}
