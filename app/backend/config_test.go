package main

import (
	"strings"
	"testing"
	"time"
)

func env(m map[string]string) func(string) string {
	return func(k string) string { return m[k] }
}

func TestLoadConfigDefaults(t *testing.T) {
	cfg, err := loadConfig(env(nil))
	if err != nil {
		t.Fatal(err)
	}
	if cfg.ListenAddr != ":1323" || cfg.Redis.Addr != "localhost:6379" || cfg.Redis.Password != "" || cfg.Redis.DB != 0 {
		t.Fatalf("defaults: %+v %+v", cfg, cfg.Redis)
	}
	if g := cfg.ShutdownDelay + cfg.ShutdownDrain + cfg.ShutdownTimeout; g > 25*time.Second {
		t.Fatalf("default grace %s leaves no room for a 5 s preStop within Kubernetes' 30 s", g)
	}
	// The drain must outlast nginx's upstream keepalive_timeout (4 s).
	if cfg.ShutdownDrain <= 4*time.Second {
		t.Fatalf("default drain %s not longer than nginx's upstream keepalive_timeout", cfg.ShutdownDrain)
	}
	if cfg.Redis.MaxRetries != -1 {
		t.Fatalf("MaxRetries = %d, want -1 (INCR must not be retried blindly)", cfg.Redis.MaxRetries)
	}
}

func TestLoadConfigRedis(t *testing.T) {
	cases := []struct {
		name           string
		env            map[string]string
		addr, password string
		db             int
	}{
		{"tutorial host:port", map[string]string{"REDIS_URL": "redis:6379"}, "redis:6379", "", 0},
		{"bare host", map[string]string{"REDIS_URL": "redis"}, "redis:6379", "", 0},
		{"url", map[string]string{"REDIS_URL": "redis://redis:6380/2"}, "redis:6380", "", 2},
		{"url with password", map[string]string{"REDIS_URL": "redis://:s3cret@redis:6379/0"}, "redis:6379", "s3cret", 0},
		{"REDIS_PASSWORD wins", map[string]string{"REDIS_URL": "redis://:old@redis:6379", "REDIS_PASSWORD": "new"}, "redis:6379", "new", 0},
		{"REDIS_PASSWORD with host:port", map[string]string{"REDIS_URL": "redis:6379", "REDIS_PASSWORD": "pw"}, "redis:6379", "pw", 0},
		{"ipv6", map[string]string{"REDIS_URL": "[::1]:6379"}, "[::1]:6379", "", 0},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			cfg, err := loadConfig(env(c.env))
			if err != nil {
				t.Fatal(err)
			}
			if cfg.Redis.Addr != c.addr || cfg.Redis.Password != c.password || cfg.Redis.DB != c.db {
				t.Fatalf("got addr=%q password=%q db=%d", cfg.Redis.Addr, cfg.Redis.Password, cfg.Redis.DB)
			}
		})
	}
}

func TestLoadConfigListenAndDurations(t *testing.T) {
	cfg, err := loadConfig(env(map[string]string{"PORT": "8081", "SHUTDOWN_DELAY": "0.5", "SHUTDOWN_DRAIN": "1s", "SHUTDOWN_TIMEOUT": "3s", "REDIS_TIMEOUT": "250ms"}))
	if err != nil {
		t.Fatal(err)
	}
	if cfg.ListenAddr != ":8081" || cfg.ShutdownDelay != 500*time.Millisecond || cfg.ShutdownDrain != time.Second ||
		cfg.ShutdownTimeout != 3*time.Second || cfg.RedisTimeout != 250*time.Millisecond {
		t.Fatalf("got %+v", cfg)
	}
	cfg, err = loadConfig(env(map[string]string{"PORT": "8081", "LISTEN_ADDR": "127.0.0.1:9000"}))
	if err != nil || cfg.ListenAddr != "127.0.0.1:9000" {
		t.Fatalf("LISTEN_ADDR: %q %v", cfg.ListenAddr, err)
	}
}

func TestLoadConfigErrors(t *testing.T) {
	cases := []struct {
		name string
		env  map[string]string
		want string
	}{
		{"port text", map[string]string{"PORT": "http"}, "PORT must be an integer in 1..65535"},
		{"port zero", map[string]string{"PORT": "0"}, "PORT must be an integer in 1..65535"},
		{"port big", map[string]string{"PORT": "65536"}, "PORT must be an integer in 1..65535"},
		{"listen addr", map[string]string{"LISTEN_ADDR": "nohost"}, "LISTEN_ADDR must be host:port"},
		{"bad scheme", map[string]string{"REDIS_URL": "http://redis:6379"}, "invalid REDIS_URL"},
		{"bad port", map[string]string{"REDIS_URL": "redis:notaport"}, "bad port"},
		{"bad duration", map[string]string{"SHUTDOWN_DELAY": "soon"}, "SHUTDOWN_DELAY must be a duration"},
		{"negative", map[string]string{"SHUTDOWN_TIMEOUT": "-1"}, "must not be negative"},
		{"too long", map[string]string{"SHUTDOWN_DELAY": "10s", "SHUTDOWN_DRAIN": "10s", "SHUTDOWN_TIMEOUT": "10s"}, "SHUTDOWN_DELAY + SHUTDOWN_DRAIN + SHUTDOWN_TIMEOUT must not exceed 28s"},
		{"bad drain", map[string]string{"SHUTDOWN_DRAIN": "1m0"}, "SHUTDOWN_DRAIN must be a duration"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			_, err := loadConfig(env(c.env))
			if err == nil || !strings.Contains(err.Error(), c.want) {
				t.Fatalf("err = %v, want it to contain %q", err, c.want)
			}
		})
	}
}
