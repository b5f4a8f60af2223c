package main

import (
	"context"
	"io"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"
)

// slowStore delays Incr so a request is in flight during shutdown.
type slowStore struct {
	*fakeStore
	delay time.Duration
}

func (s slowStore) Incr(ctx context.Context, id int64) (int64, error) {
	select {
	case <-time.After(s.delay):
	case <-ctx.Done():
		return 0, ctx.Err()
	}
	return s.fakeStore.Incr(ctx, id)
}

func startRun(t *testing.T, cfg Config, store Store) (addr string, cancel func(), done <-chan error) {
	t.Helper()
	ctx, cancelCtx := context.WithCancel(context.Background())
	addrCh := make(chan string, 1)
	errCh := make(chan error, 1)
	go func() {
		errCh <- run(ctx, runParams{Config: cfg, Store: store, Logger: quietLogger(), Ready: func(a net.Addr) { addrCh <- a.String() }})
	}()
	select {
	case addr = <-addrCh:
	case err := <-errCh:
		t.Fatalf("run exited early: %v", err)
	case <-time.After(5 * time.Second):
		t.Fatal("server did not start")
	}
	t.Cleanup(cancelCtx)
	return addr, cancelCtx, errCh
}

func testConfig(t *testing.T, delay, drain, timeout time.Duration) Config {
	t.Helper()
	cfg, err := loadConfig(env(map[string]string{"LISTEN_ADDR": "127.0.0.1:0"}))
	if err != nil {
		t.Fatal(err)
	}
	cfg.ShutdownDelay, cfg.ShutdownDrain, cfg.ShutdownTimeout = delay, drain, timeout
	return cfg
}

type result struct {
	code  int
	body  string
	close bool
	err   error
}

func post(c *http.Client, url string) result {
	resp, err := c.Post(url, "", nil)
	if err != nil {
		return result{err: err}
	}
	b, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	return result{code: resp.StatusCode, body: string(b), close: resp.Close}
}

// The shutdown sequence, step by step: not ready but serving as usual during
// the delay; then the listener is closed and responses close their
// connection; in-flight requests complete; the process exits.
func TestGracefulShutdownSequence(t *testing.T) {
	store := slowStore{newFakeStore(), 800 * time.Millisecond}
	addr, cancel, done := startRun(t, testConfig(t, 400*time.Millisecond, time.Second, 3*time.Second), store)
	base := "http://" + addr
	client := &http.Client{Timeout: 5 * time.Second}

	inflight := make(chan result, 1)
	go func() { inflight <- post(client, base+"/users/1") }()
	time.Sleep(100 * time.Millisecond) // the POST is now inside the handler
	start := time.Now()
	cancel() // as SIGTERM does

	// Delay: readiness fails, but connections are kept alive and new ones accepted.
	time.Sleep(50 * time.Millisecond)
	fresh := &http.Client{Timeout: 2 * time.Second, Transport: &http.Transport{}}
	resp, err := fresh.Get(base + "/readyz")
	if err != nil {
		t.Fatalf("readyz during delay: %v", err)
	}
	resp.Body.Close()
	if resp.StatusCode != 503 || resp.Close {
		t.Fatalf("readyz during delay = %d (close=%v), want 503 on a kept-alive connection", resp.StatusCode, resp.Close)
	}
	fresh.CloseIdleConnections()

	// After the delay the listener is closed: connecting is refused.
	time.Sleep(450 * time.Millisecond)
	if c, err := net.DialTimeout("tcp", addr, time.Second); err == nil {
		c.Close()
		t.Fatal("listener still open after the delay")
	}

	// The in-flight request completes, and its connection is closed after it.
	r := <-inflight
	if r.err != nil || r.code != 200 || r.body != "1" || !r.close {
		t.Fatalf("in-flight request: %+v, want 200 \"1\" with Connection: close", r)
	}
	select {
	case err := <-done:
		if err != nil {
			t.Fatalf("run returned %v", err)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("server did not exit")
	}
	// No connection was left, so the drain ended early.
	if el := time.Since(start); el < 400*time.Millisecond || el > 1500*time.Millisecond {
		t.Fatalf("exited after %s; want after the delay and before the drain's bound", el)
	}
}

// An idle keep-alive connection is not closed under the client during the
// drain: it is left to the client (nginx's keepalive_timeout) until the drain
// bound, and only then closed.
func TestDrainWaitsForIdleConnections(t *testing.T) {
	addr, cancel, done := startRun(t, testConfig(t, 0, 700*time.Millisecond, time.Second), newFakeStore())
	conn, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	if _, err := io.WriteString(conn, "GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n"); err != nil {
		t.Fatal(err)
	}
	buf := make([]byte, 4096)
	n, _ := conn.Read(buf)
	if !strings.HasPrefix(string(buf[:n]), "HTTP/1.1 200") {
		t.Fatalf("got %q", buf[:n])
	}
	start := time.Now()
	cancel()
	// Still open 400 ms into the drain: a request on it is answered, with close.
	time.Sleep(400 * time.Millisecond)
	if _, err := io.WriteString(conn, "GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n"); err != nil {
		t.Fatal(err)
	}
	conn.SetReadDeadline(time.Now().Add(2 * time.Second))
	all, _ := io.ReadAll(conn) // until the server closes
	if !strings.HasPrefix(string(all), "HTTP/1.1 200") || !strings.Contains(string(all), "Connection: close") {
		t.Fatalf("request during drain got %q", all)
	}
	select {
	case err := <-done:
		if err != nil {
			t.Fatalf("run returned %v", err)
		}
	case <-time.After(3 * time.Second):
		t.Fatal("server did not exit")
	}
	if el := time.Since(start); el > 1500*time.Millisecond {
		t.Fatalf("exit took %s", el)
	}
}

func TestShutdownTimeoutBoundsExit(t *testing.T) {
	store := slowStore{newFakeStore(), 10 * time.Second}
	addr, cancel, done := startRun(t, testConfig(t, 0, 200*time.Millisecond, 300*time.Millisecond), store)
	go func() {
		c := &http.Client{Timeout: 15 * time.Second}
		if resp, err := c.Post("http://"+addr+"/users/1", "", nil); err == nil {
			resp.Body.Close()
		}
	}()
	time.Sleep(100 * time.Millisecond)
	start := time.Now()
	cancel()
	select {
	case err := <-done:
		if err == nil || !strings.Contains(err.Error(), "did not finish") {
			t.Fatalf("run returned %v, want a shutdown timeout error", err)
		}
	case <-time.After(3 * time.Second):
		t.Fatal("server did not exit within its shutdown timeout")
	}
	if el := time.Since(start); el > 2*time.Second {
		t.Fatalf("exit took %s", el)
	}
}
