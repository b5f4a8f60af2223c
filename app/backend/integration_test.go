package main

// Integration tests against a real redis-server, started by each test on a
// free 127.0.0.1 port with its own data directory. Go's convention: they are
// skipped under -short (go test -short ./... needs no Redis); a full run
// without redis-server on PATH fails, naming it and how to install it.

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"os/exec"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
)

type redisProc struct {
	t    *testing.T
	port int
	dir  string
	args []string
	cmd  *exec.Cmd
}

// startRedis runs redis-server without persistence unless args say otherwise.
func startRedis(t *testing.T, args ...string) *redisProc {
	t.Helper()
	if testing.Short() {
		t.Skip("integration test: starts a real redis-server; skipped with -short")
	}
	if _, err := exec.LookPath("redis-server"); err != nil {
		t.Fatalf("redis-server is not on PATH: the integration tests start their own. Install it with "+
			"scripts/app-deps.sh (Debian: apt-get install redis-server), or run the unit tests alone with "+
			"go test -short ./... (%v)", err)
	}
	r := &redisProc{t: t, port: freePort(t), dir: t.TempDir(), args: args}
	r.start()
	t.Cleanup(r.stop)
	return r
}

func (r *redisProc) addr() string { return "127.0.0.1:" + strconv.Itoa(r.port) }

func (r *redisProc) start() {
	r.t.Helper()
	args := append([]string{"--port", strconv.Itoa(r.port), "--bind", "127.0.0.1", "--dir", r.dir,
		"--save", "", "--appendonly", "no", "--daemonize", "no", "--loglevel", "warning"}, r.args...)
	r.cmd = exec.Command("redis-server", args...)
	if err := r.cmd.Start(); err != nil {
		r.t.Fatalf("start redis-server: %v", err)
	}
	deadline := time.Now().Add(5 * time.Second)
	for time.Now().Before(deadline) {
		if c, err := net.DialTimeout("tcp", r.addr(), 200*time.Millisecond); err == nil {
			c.Close()
			return
		}
		time.Sleep(20 * time.Millisecond)
	}
	r.t.Fatalf("redis-server did not listen on %s within 5s", r.addr())
}

func (r *redisProc) stop() {
	if r.cmd == nil || r.cmd.Process == nil {
		return
	}
	_ = r.cmd.Process.Kill()
	_ = r.cmd.Wait()
	r.cmd = nil
}

func TestRedisTutorialSessionAndKeyNames(t *testing.T) {
	r := startRedis(t)
	srv := apiOver(t, map[string]string{"REDIS_URL": r.addr()})
	steps := append(tutorialSession, struct{ method, path, want string }{"GET", "/readyz", "ok\n"})
	for _, s := range steps {
		code, body, h := call(t, s.method, srv.URL+s.path)
		if code != 200 || body != s.want {
			t.Fatalf("%s %s = %d %q, want 200 %q", s.method, s.path, code, body, s.want)
		}
		if h.Get("Content-Type") != "text/plain; charset=UTF-8" {
			t.Fatalf("Content-Type %q", h.Get("Content-Type"))
		}
	}
	direct := redis.NewClient(&redis.Options{Addr: r.addr()})
	defer direct.Close()
	v, err := direct.Get(context.Background(), "user:249").Result()
	if err != nil || v != "3" {
		t.Fatalf("key user:249 = %q, %v; want \"3\"", v, err)
	}
	if n, _ := direct.Exists(context.Background(), "user:32").Result(); n != 0 {
		t.Fatal("GET must not create keys")
	}
}

func TestRedisConcurrentIncrementsAreAtomic(t *testing.T) {
	r := startRedis(t)
	srv := apiOver(t, map[string]string{"REDIS_URL": r.addr()})
	const workers, each = 20, 25
	var wg sync.WaitGroup
	errs := make(chan error, workers)
	c := &http.Client{Timeout: 5 * time.Second}
	for w := 0; w < workers; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; i < each; i++ {
				resp, err := c.Post(srv.URL+"/users/7", "", nil)
				if err != nil {
					errs <- err
					return
				}
				io.Copy(io.Discard, resp.Body)
				resp.Body.Close()
				if resp.StatusCode != 200 {
					errs <- fmt.Errorf("status %d", resp.StatusCode)
					return
				}
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}
	if _, body, _ := call(t, "GET", srv.URL+"/users/7"); body != strconv.Itoa(workers*each) {
		t.Fatalf("counter = %s, want %d", body, workers*each)
	}
}

func TestRedisPassword(t *testing.T) {
	r := startRedis(t, "--requirepass", "s3cret")
	cases := []struct {
		name string
		env  map[string]string
		want int
	}{
		{"password in URL", map[string]string{"REDIS_URL": "redis://:s3cret@" + r.addr() + "/0"}, 200},
		{"REDIS_PASSWORD with host:port", map[string]string{"REDIS_URL": r.addr(), "REDIS_PASSWORD": "s3cret"}, 200},
		{"REDIS_PASSWORD wins over URL", map[string]string{"REDIS_URL": "redis://:wrong@" + r.addr(), "REDIS_PASSWORD": "s3cret"}, 200},
		{"no password", map[string]string{"REDIS_URL": r.addr()}, 503},
		{"wrong password", map[string]string{"REDIS_URL": r.addr(), "REDIS_PASSWORD": "nope"}, 503},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			srv := apiOver(t, c.env)
			if code, body, _ := call(t, "POST", srv.URL+"/users/1"); code != c.want {
				t.Fatalf("POST = %d %q, want %d", code, body, c.want)
			}
			if code, _, _ := call(t, "GET", srv.URL+"/readyz"); code != c.want {
				t.Fatalf("readyz = %d, want %d", code, c.want)
			}
		})
	}
}

func TestRedisDatabaseFromURL(t *testing.T) {
	r := startRedis(t)
	srv := apiOver(t, map[string]string{"REDIS_URL": "redis://" + r.addr() + "/3"})
	call(t, "POST", srv.URL+"/users/5")
	direct := redis.NewClient(&redis.Options{Addr: r.addr(), DB: 3})
	defer direct.Close()
	if v, err := direct.Get(context.Background(), "user:5").Result(); err != nil || v != "1" {
		t.Fatalf("db 3 user:5 = %q, %v", v, err)
	}
}

func TestRedisOutageAndRecovery(t *testing.T) {
	r := startRedis(t)
	srv := apiOver(t, map[string]string{"REDIS_URL": r.addr()})
	if code, body, _ := call(t, "POST", srv.URL+"/users/1"); code != 200 || body != "1" {
		t.Fatalf("before outage: %d %q", code, body)
	}
	r.stop()
	for _, p := range []struct{ method, path string }{{"GET", "/users/1"}, {"POST", "/users/1"}, {"GET", "/readyz"}} {
		start := time.Now()
		code, _, _ := call(t, p.method, srv.URL+p.path)
		if code != 503 {
			t.Fatalf("%s %s with redis down = %d, want 503", p.method, p.path, code)
		}
		if el := time.Since(start); el > 3*time.Second {
			t.Fatalf("%s %s took %s with redis down", p.method, p.path, el)
		}
	}
	if code, body, _ := call(t, "GET", srv.URL+"/healthz"); code != 200 || body != "✓" {
		t.Fatalf("healthz with redis down = %d %q", code, body)
	}
	r.start() // same port, no persistence: the counter restarts from 0
	deadline := time.Now().Add(5 * time.Second)
	for {
		code, _, _ := call(t, "GET", srv.URL+"/readyz")
		if code == 200 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("readyz did not recover within 5s of redis restarting")
		}
		time.Sleep(50 * time.Millisecond)
	}
	if code, body, _ := call(t, "POST", srv.URL+"/users/1"); code != 200 || body != "1" {
		t.Fatalf("after recovery: %d %q", code, body)
	}
}

func TestRedisCorruptValue(t *testing.T) {
	r := startRedis(t)
	srv := apiOver(t, map[string]string{"REDIS_URL": r.addr()})
	direct := redis.NewClient(&redis.Options{Addr: r.addr()})
	defer direct.Close()
	ctx := context.Background()
	direct.Set(ctx, "user:1", "not-a-number", 0)
	direct.LPush(ctx, "user:2", "x")
	direct.Set(ctx, "user:3", strconv.FormatInt(1<<63-1, 10), 0)
	for _, p := range []string{"GET /users/1", "POST /users/1", "GET /users/2", "POST /users/2", "POST /users/3"} {
		m, path, _ := strings.Cut(p, " ")
		if code, _, _ := call(t, m, srv.URL+path); code != 500 {
			t.Fatalf("%s = %d, want 500", p, code)
		}
	}
}

// TestRedisMonitorSeesOnlyCanonicalKeys sends ids that would matter if keys were
// built from raw text; parseID rejects them before Redis is touched.
func TestRedisMonitorSeesOnlyCanonicalKeys(t *testing.T) {
	r := startRedis(t)
	srv := apiOver(t, map[string]string{"REDIS_URL": r.addr()})
	conn, err := net.Dial("tcp", r.addr())
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	fmt.Fprint(conn, "MONITOR\r\n")
	br := bufio.NewReader(conn)
	if line, _ := br.ReadString('\n'); !strings.HasPrefix(line, "+OK") {
		t.Fatalf("MONITOR: %q", line)
	}
	call(t, "POST", srv.URL+"/users/%0D%0AFLUSHALL")
	call(t, "POST", srv.URL+"/users/0042")
	conn.SetReadDeadline(time.Now().Add(3 * time.Second))
	for {
		line, err := br.ReadString('\n')
		if err != nil {
			t.Fatalf("no INCR seen: %v", err)
		}
		if strings.Contains(line, "FLUSHALL") {
			t.Fatalf("raw id reached redis: %q", line)
		}
		if strings.Contains(strings.ToUpper(line), `"INCR"`) {
			if !strings.Contains(line, `"user:42"`) {
				t.Fatalf("unexpected key: %q", line)
			}
			return
		}
	}
}

// A write Redis receives while blocked (DEBUG SLEEP) and applies after the
// API gave up waiting: the API cannot tell, so it answers 504 without
// Retry-After, and the counter shows the increment did happen; a client that
// retried would have counted twice.
func TestRedisLateWriteIsNotRetryable(t *testing.T) {
	r := startRedis(t, "--enable-debug-command", "local")
	srv := apiOver(t, map[string]string{"REDIS_URL": r.addr(), "REDIS_TIMEOUT": "300ms"})
	direct := redis.NewClient(&redis.Options{Addr: r.addr(), ReadTimeout: 5 * time.Second})
	defer direct.Close()
	ctx := context.Background()
	// A pooled connection, so that the INCR is written at once rather than
	// waiting for a connection handshake the sleeping Redis would not answer.
	if code, _, _ := call(t, "GET", srv.URL+"/users/9"); code != 200 {
		t.Fatalf("GET before the sleep = %d", code)
	}
	slept := make(chan error, 1)
	go func() { slept <- direct.Do(ctx, "DEBUG", "SLEEP", "1.5").Err() }()
	// Redis is asleep once a PING goes unanswered.
	probe := redis.NewClient(&redis.Options{Addr: r.addr(), ReadTimeout: 50 * time.Millisecond, MaxRetries: -1})
	defer probe.Close()
	for probe.Ping(ctx).Err() == nil {
		time.Sleep(10 * time.Millisecond)
	}
	if code, body, h := call(t, "POST", srv.URL+"/users/9"); code != 504 || h.Get("Retry-After") != "" {
		t.Fatalf("POST while Redis sleeps = %d %q, Retry-After %q; want 504 without Retry-After", code, body, h.Get("Retry-After"))
	}
	if err := <-slept; err != nil {
		t.Fatal(err)
	}
	// Redis runs the INCR after waking, possibly after the reply to DEBUG.
	deadline := time.Now().Add(3 * time.Second)
	for {
		v, err := direct.Get(ctx, "user:9").Result()
		if err == nil && v == "1" {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("user:9 = %q, %v after Redis woke; want the unanswered increment applied", v, err)
		}
		time.Sleep(20 * time.Millisecond)
	}
}
