// Command app is the API tier of the three-tier tutorial application:
//
//	GET  /users/{id}  the user's counter, 0 when unknown
//	POST /users/{id}  atomically increments the counter, returns the new value
//	GET  /healthz     liveness: "✓", never touches Redis
//	GET  /readyz      readiness: 200 when Redis answers PING, 503 otherwise
//
// Bodies are the bare value with Content-Type "text/plain; charset=UTF-8" and
// no trailing newline, byte for byte what the tutorial's image returned.
package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"os"
	"os/signal"
	"sync"
	"sync/atomic"
	"syscall"
	"time"
)

func main() {
	logger := slog.New(slog.NewTextHandler(os.Stderr, nil))
	cfg, err := loadConfig(os.Getenv)
	if err != nil {
		logger.Error("invalid configuration", "err", err)
		os.Exit(2)
	}
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGTERM, os.Interrupt)
	defer stop()

	store := newRedisStore(cfg.Redis)
	defer store.Close()
	if err := run(ctx, runParams{Config: cfg, Store: store, Logger: logger, OnSignal: stop}); err != nil {
		logger.Error("server failed", "err", err)
		os.Exit(1)
	}
}

// runParams is what run needs besides its context.
type runParams struct {
	Config Config
	Store  Store
	Logger *slog.Logger
	// OnSignal (may be nil) is called when ctx is done, so that a second
	// SIGINT or SIGTERM kills the process the default way.
	OnSignal func()
	// Ready (may be nil) receives the bound address once the server accepts
	// connections.
	Ready func(net.Addr)
}

// run serves until ctx is cancelled (a signal), then shuts down in steps
// designed so that a reverse proxy in front (nginx, with a keep-alive pool of
// upstream connections) never sees a request fail:
//
//  1. delay (cfg.ShutdownDelay): /readyz answers 503, everything else is
//     served as usual, so that Kubernetes takes the pod out of its Service's
//     endpoints before anything changes for clients;
//  2. the listener closes: a new connection is refused, which a proxy
//     safely retries elsewhere, even for a POST (nothing was sent);
//  3. drain (cfg.ShutdownDrain): each response now carries
//     "Connection: close", so every keep-alive connection ends right after a
//     complete response; connections left idle are closed by the proxy's own
//     keepalive_timeout (4 s in our nginx config, shorter than the drain).
//     The drain ends early once no connection is open;
//  4. in-flight requests get cfg.ShutdownTimeout to finish, then any
//     remaining connection is closed.
//
// Closing an idle keep-alive connection from the server side (what
// http.Server.Shutdown does at once) races with the proxy sending a request
// on it, and a proxy never retries a POST it has sent: hence steps 2-3.
func run(ctx context.Context, p runParams) error {
	cfg, logger := p.Config, p.Logger
	s := newServer(p.Store, logger, cfg.RedisTimeout)
	var open atomic.Int64 // connections currently open
	srv := &http.Server{
		Handler:           s.routes(),
		ReadHeaderTimeout: 5 * time.Second,
		ReadTimeout:       10 * time.Second,
		// Must exceed the Redis budget so a slow answer is still written.
		WriteTimeout: cfg.RedisTimeout + 5*time.Second,
		// Longer than the proxy's upstream keepalive_timeout: the client side
		// should be the one to close idle keep-alive connections.
		IdleTimeout:    90 * time.Second,
		MaxHeaderBytes: 64 << 10,
		ErrorLog:       slog.NewLogLogger(logger.Handler(), slog.LevelWarn),
		ConnState: func(_ net.Conn, st http.ConnState) {
			switch st {
			case http.StateNew:
				open.Add(1)
			case http.StateHijacked, http.StateClosed:
				open.Add(-1)
			}
		},
	}

	l, err := net.Listen("tcp", cfg.ListenAddr)
	if err != nil {
		return fmt.Errorf("listen %s: %w", cfg.ListenAddr, err)
	}
	ln := &onceCloseListener{Listener: l}
	var listenerClosed atomic.Bool
	serveErr := make(chan error, 1)
	go func() { serveErr <- srv.Serve(ln) }()
	logger.Info("http server started", "addr", ln.Addr().String(), "redis", cfg.Redis.Addr, "db", cfg.Redis.DB)
	if p.Ready != nil {
		p.Ready(ln.Addr())
	}

	// Report Redis' state once at start-up without blocking it: the server
	// is live either way and /readyz tells Kubernetes when it can serve.
	go func() {
		pctx, cancel := context.WithTimeout(ctx, 2*time.Second)
		defer cancel()
		s.noteRedis(p.Store.Ping(pctx))
	}()

	select {
	case err := <-serveErr:
		return fmt.Errorf("serve: %w", err)
	case <-ctx.Done():
	}
	if p.OnSignal != nil {
		p.OnSignal()
	}
	logger.Info("shutdown started", "delay", cfg.ShutdownDelay, "drain", cfg.ShutdownDrain, "timeout", cfg.ShutdownTimeout)

	// 1. Not ready, still serving as usual.
	s.notReady.Store(true)
	if cfg.ShutdownDelay > 0 {
		select {
		case <-time.After(cfg.ShutdownDelay):
		case err := <-serveErr:
			return fmt.Errorf("serve: %w", err)
		}
	}

	// 2. Refuse new connections; 3. end the open ones after their next response.
	listenerClosed.Store(true)
	_ = ln.Close()
	s.draining.Store(true)
	drainEnd := time.Now().Add(cfg.ShutdownDrain)
	for open.Load() > 0 && time.Now().Before(drainEnd) {
		time.Sleep(20 * time.Millisecond)
	}

	// 4. Wait for in-flight requests, close what is left.
	sctx, cancel := context.WithTimeout(context.Background(), cfg.ShutdownTimeout)
	defer cancel()
	if err := srv.Shutdown(sctx); err != nil {
		_ = srv.Close()
		return fmt.Errorf("shutdown: in-flight requests did not finish within %s: %w", cfg.ShutdownTimeout, err)
	}
	if err := <-serveErr; err != nil && !errors.Is(err, http.ErrServerClosed) && !listenerClosed.Load() {
		return fmt.Errorf("serve: %w", err)
	}
	logger.Info("http server stopped")
	return nil
}

// onceCloseListener lets run close the listener before http.Server.Shutdown,
// which closes it again: the second Close is a no-op instead of an error.
type onceCloseListener struct {
	net.Listener
	once sync.Once
	err  error
}

func (l *onceCloseListener) Close() error {
	l.once.Do(func() { l.err = l.Listener.Close() })
	return l.err
}
