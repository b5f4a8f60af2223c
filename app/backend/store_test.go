package main

// The real Redis store and handlers against loopback peers that need no
// redis-server: a closed port, and a fake server that answers the connection
// handshake and then fails the INCR in a chosen way. They prove which
// failures invite a retry (503 + Retry-After: nothing was written) and which
// must not (504: the write may have been applied).

import (
	"bufio"
	"errors"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
)

func freePort(t *testing.T) int {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port
}

// apiOver serves the real handlers backed by the real Redis store.
func apiOver(t *testing.T, env map[string]string) *httptest.Server {
	t.Helper()
	cfg, err := loadConfig(func(k string) string { return env[k] })
	if err != nil {
		t.Fatal(err)
	}
	store := newRedisStore(cfg.Redis)
	srv := httptest.NewServer(newServer(store, quietLogger(), cfg.RedisTimeout).routes())
	t.Cleanup(func() { srv.Close(); store.Close() })
	return srv
}

func call(t *testing.T, method, url string) (int, string, http.Header) {
	t.Helper()
	req, _ := http.NewRequest(method, url, nil)
	c := &http.Client{Timeout: 5 * time.Second}
	resp, err := c.Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", method, url, err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b), resp.Header
}

// fakeRedis serves just enough RESP for go-redis on a loopback port: HELLO is
// refused (the client falls back to RESP2, and sends nothing else before the
// command with our options), every other command is sent as "NAME arg" on
// the returned channel and handed to onCmd, which may reply, close the
// connection or do nothing.
func fakeRedis(t *testing.T, onCmd func(net.Conn)) (addr string, cmds <-chan string) {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	seen := make(chan string, 16)
	var mu sync.Mutex
	var conns []net.Conn
	t.Cleanup(func() {
		l.Close()
		mu.Lock()
		defer mu.Unlock()
		for _, c := range conns {
			c.Close()
		}
	})
	go func() {
		for {
			c, err := l.Accept()
			if err != nil {
				return
			}
			mu.Lock()
			conns = append(conns, c)
			mu.Unlock()
			go serveFakeRedis(c, onCmd, seen)
		}
	}()
	return l.Addr().String(), seen
}

func serveFakeRedis(c net.Conn, onCmd func(net.Conn), seen chan<- string) {
	br := bufio.NewReader(c)
	for {
		args, err := readCommand(br)
		if err != nil {
			return
		}
		if strings.EqualFold(args[0], "HELLO") {
			io.WriteString(c, "-ERR unknown command 'HELLO'\r\n")
			continue
		}
		seen <- strings.ToUpper(args[0]) + " " + strings.Join(args[1:], " ")
		onCmd(c)
	}
}

// readCommand reads one RESP array of bulk strings, the form clients send.
func readCommand(br *bufio.Reader) ([]string, error) {
	line, err := br.ReadString('\n')
	if err != nil {
		return nil, err
	}
	n, err := strconv.Atoi(strings.TrimSpace(strings.TrimPrefix(line, "*")))
	if err != nil || n < 1 {
		return nil, errors.New("not a RESP array: " + line)
	}
	args := make([]string, n)
	for i := range args {
		if _, err := br.ReadString('\n'); err != nil { // $<length>
			return nil, err
		}
		arg, err := br.ReadString('\n')
		if err != nil {
			return nil, err
		}
		args[i] = strings.TrimSuffix(arg, "\r\n")
	}
	return args, nil
}

func TestWriteFailures(t *testing.T) {
	cases := []struct {
		name       string
		onCmd      func(net.Conn)
		code       int
		retryAfter string
	}{
		// Sent, then the connection broke: Redis may have applied it.
		{"connection closed after INCR", func(c net.Conn) { c.Close() }, 504, ""},
		// Sent, no reply within REDIS_TIMEOUT: it may still be applied.
		{"no reply to INCR", func(net.Conn) {}, 504, ""},
		// Redis refused to run it: nothing written.
		{"error reply", func(c net.Conn) { io.WriteString(c, "-LOADING Redis is loading the dataset in memory\r\n") }, 503, "1"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			addr, cmds := fakeRedis(t, c.onCmd)
			srv := apiOver(t, map[string]string{"REDIS_URL": addr, "REDIS_TIMEOUT": "300ms"})
			code, body, h := call(t, "POST", srv.URL+"/users/5")
			if code != c.code || h.Get("Retry-After") != c.retryAfter {
				t.Fatalf("POST = %d %q, Retry-After %q; want %d, Retry-After %q", code, body, h.Get("Retry-After"), c.code, c.retryAfter)
			}
			select {
			case cmd := <-cmds:
				if cmd != "INCR user:5" {
					t.Fatalf("fake server got %q, want INCR user:5", cmd)
				}
			default:
				t.Fatal("the INCR never reached the fake server")
			}
		})
	}
}

// Nothing can be sent when Redis refuses the connection: a retry is safe.
func TestNoConnectionInvitesRetry(t *testing.T) {
	srv := apiOver(t, map[string]string{"REDIS_URL": "127.0.0.1:" + strconv.Itoa(freePort(t))})
	for _, m := range []string{"GET", "POST"} {
		if code, body, h := call(t, m, srv.URL+"/users/5"); code != 503 || h.Get("Retry-After") != "1" {
			t.Fatalf("%s with Redis refusing connections = %d %q, Retry-After %q; want 503, 1", m, code, body, h.Get("Retry-After"))
		}
	}
}

// A read is never ambiguous: whatever failed, nothing was written.
func TestReadFailureInvitesRetry(t *testing.T) {
	addr, _ := fakeRedis(t, func(net.Conn) {})
	srv := apiOver(t, map[string]string{"REDIS_URL": addr, "REDIS_TIMEOUT": "300ms"})
	if code, body, h := call(t, "GET", srv.URL+"/users/5"); code != 503 || h.Get("Retry-After") != "1" {
		t.Fatalf("GET with Redis not answering = %d %q, Retry-After %q; want 503, 1", code, body, h.Get("Retry-After"))
	}
}
