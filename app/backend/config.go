package main

import (
	"errors"
	"fmt"
	"net"
	"strconv"
	"strings"
	"time"

	"github.com/redis/go-redis/v9"
)

// Config is everything the server reads from its environment.
type Config struct {
	// ListenAddr is the address the HTTP server binds (":1323" by default).
	ListenAddr string
	// Redis holds the client options derived from REDIS_URL/REDIS_PASSWORD.
	Redis *redis.Options
	// RedisTimeout bounds every Redis operation of a request.
	RedisTimeout time.Duration
	// ShutdownDelay is how long the server keeps serving as usual after
	// SIGTERM, with /readyz failing, before it closes its listener: time for
	// the pod to leave its Service's endpoints.
	ShutdownDelay time.Duration
	// ShutdownDrain bounds the time, after the listener closes, during which
	// every response carries "Connection: close" so that proxies drop their
	// keep-alive connections cleanly. It must exceed the proxy's upstream
	// keepalive_timeout (4 s in components/nginx-config.ts). It ends early
	// when no connection is left.
	ShutdownDrain time.Duration
	// ShutdownTimeout bounds the wait for in-flight requests after that.
	ShutdownTimeout time.Duration
}

const (
	defaultPort            = "1323"
	defaultRedisURL        = "localhost:6379"
	defaultRedisTimeout    = 2 * time.Second
	defaultShutdownDelay   = 2 * time.Second
	defaultShutdownDrain   = 5 * time.Second
	defaultShutdownTimeout = 10 * time.Second
	// maxGrace keeps delay+drain+timeout below Kubernetes' default
	// terminationGracePeriodSeconds (30 s), after which the kubelet SIGKILLs.
	// A preStop hook's time counts against the same 30 s.
	maxGrace = 28 * time.Second
)

// loadConfig reads the configuration through getenv (os.Getenv in main).
//
//	PORT              port to listen on (default 1323)
//	LISTEN_ADDR       full listen address, overrides PORT (e.g. 127.0.0.1:8081)
//	REDIS_URL         "host:port" (as in the tutorial) or redis://[user:password@]host:port/db
//	REDIS_PASSWORD    password; when set it wins over one in REDIS_URL
//	REDIS_TIMEOUT     per-request Redis budget (default 2s)
//	SHUTDOWN_DELAY    after SIGTERM, serve as usual but fail /readyz for this long (default 2s)
//	SHUTDOWN_DRAIN    then, listener closed, close keep-alive connections after their
//	                  next response, for at most this long (default 5s)
//	SHUTDOWN_TIMEOUT  then wait for in-flight requests at most this long (default 10s)
//
// Durations accept Go syntax ("1.5s", "300ms") or a bare number of seconds.
func loadConfig(getenv func(string) string) (Config, error) {
	var cfg Config

	addr := getenv("LISTEN_ADDR")
	if addr == "" {
		port := getenv("PORT")
		if port == "" {
			port = defaultPort
		}
		n, err := strconv.Atoi(port)
		if err != nil || n < 1 || n > 65535 {
			return cfg, fmt.Errorf("PORT must be an integer in 1..65535, got %q", port)
		}
		addr = ":" + port
	} else if _, _, err := net.SplitHostPort(addr); err != nil {
		return cfg, fmt.Errorf("LISTEN_ADDR must be host:port, got %q", addr)
	}
	cfg.ListenAddr = addr

	rawURL := getenv("REDIS_URL")
	if rawURL == "" {
		rawURL = defaultRedisURL
	}
	opts, err := parseRedisURL(rawURL)
	if err != nil {
		return cfg, err
	}
	if pw := getenv("REDIS_PASSWORD"); pw != "" {
		opts.Password = pw
	}
	cfg.Redis = opts

	if cfg.RedisTimeout, err = durationEnv(getenv, "REDIS_TIMEOUT", defaultRedisTimeout); err != nil {
		return cfg, err
	}
	if cfg.ShutdownDelay, err = durationEnv(getenv, "SHUTDOWN_DELAY", defaultShutdownDelay); err != nil {
		return cfg, err
	}
	if cfg.ShutdownDrain, err = durationEnv(getenv, "SHUTDOWN_DRAIN", defaultShutdownDrain); err != nil {
		return cfg, err
	}
	if cfg.ShutdownTimeout, err = durationEnv(getenv, "SHUTDOWN_TIMEOUT", defaultShutdownTimeout); err != nil {
		return cfg, err
	}
	if cfg.RedisTimeout <= 0 {
		return cfg, errors.New("REDIS_TIMEOUT must be positive")
	}
	if total := cfg.ShutdownDelay + cfg.ShutdownDrain + cfg.ShutdownTimeout; total > maxGrace {
		return cfg, fmt.Errorf("SHUTDOWN_DELAY + SHUTDOWN_DRAIN + SHUTDOWN_TIMEOUT must not exceed %s (Kubernetes kills the pod at 30s), got %s",
			maxGrace, total)
	}
	applyRedisDefaults(cfg.Redis, cfg.RedisTimeout)
	return cfg, nil
}

func durationEnv(getenv func(string) string, name string, def time.Duration) (time.Duration, error) {
	v := strings.TrimSpace(getenv(name))
	if v == "" {
		return def, nil
	}
	if secs, err := strconv.ParseFloat(v, 64); err == nil {
		if secs < 0 {
			return 0, fmt.Errorf("%s must not be negative, got %q", name, v)
		}
		return time.Duration(secs * float64(time.Second)), nil
	}
	d, err := time.ParseDuration(v)
	if err != nil || d < 0 {
		return 0, fmt.Errorf("%s must be a duration like 5s or a number of seconds, got %q", name, v)
	}
	return d, nil
}

// parseRedisURL accepts the tutorial's bare "host:port" (or just "host") as
// well as redis://, rediss:// and unix:// URLs.
func parseRedisURL(raw string) (*redis.Options, error) {
	raw = strings.TrimSpace(raw)
	if strings.Contains(raw, "://") {
		opts, err := redis.ParseURL(raw)
		if err != nil {
			return nil, fmt.Errorf("invalid REDIS_URL: %w", err)
		}
		return opts, nil
	}
	host, port, err := net.SplitHostPort(raw)
	if err != nil {
		// No port given: "redis" means redis:6379.
		if strings.Contains(err.Error(), "missing port") && raw != "" && !strings.ContainsAny(raw, "/@ ") {
			host, port = raw, "6379"
		} else {
			return nil, fmt.Errorf("invalid REDIS_URL %q: want host:port or redis://[:password@]host:port/db", raw)
		}
	}
	if host == "" {
		host = "localhost"
	}
	if n, err := strconv.Atoi(port); err != nil || n < 1 || n > 65535 {
		return nil, fmt.Errorf("invalid REDIS_URL %q: bad port", raw)
	}
	return &redis.Options{Addr: net.JoinHostPort(host, port)}, nil
}
