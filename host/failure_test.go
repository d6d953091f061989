package host_test

import (
	"context"
	"errors"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/bindery-run/bindery/host"
)

// listen runs w behind a real loopback HTTP server.
func listen(t *testing.T, w http.Handler) *httptest.Server {
	t.Helper()
	srv := httptest.NewServer(w)
	t.Cleanup(srv.Close)
	return srv
}

// TestSleepEndsAtDeadline: a guest sleeping in poll_oneoff (Go's
// time.Sleep) is stopped at the request's deadline and its instance
// discarded; sleepers holding every instance do not keep other requests
// waiting past their own deadlines, and the Worker serves again after.
func TestSleepEndsAtDeadline(t *testing.T) {
	rt, logs := newRuntime(t)
	w := newWorker(t, rt, "sleep", func(c *host.WorkerConfig) {
		c.RequestTimeout = 300 * time.Millisecond
		c.MaxInstances = 2
	})
	srv := listen(t, w)
	var wg sync.WaitGroup
	codes := make([]int, 4)
	start := time.Now()
	for i := range codes {
		wg.Add(1)
		go func() {
			defer wg.Done()
			resp, err := http.Get(srv.URL + "/")
			if err != nil {
				t.Error(err)
				return
			}
			resp.Body.Close()
			codes[i] = resp.StatusCode
		}()
	}
	wg.Wait()
	if d := time.Since(start); d > 10*time.Second {
		t.Fatalf("4 sleeping requests took %v with a 300ms deadline", d)
	}
	for i, c := range codes {
		if c != http.StatusInternalServerError && c != http.StatusServiceUnavailable {
			t.Errorf("request %d: status %d, want 500 (stopped) or 503 (no instance before the deadline)", i, c)
		}
	}
	if d := w.Stats().Discarded; d < 2 {
		t.Errorf("discarded %d instances, want every sleeper's (at least 2)", d)
	}
	if !strings.Contains(logs.String(), "deadline exceeded: stopped before it finished") {
		t.Errorf("logs lack the deadline:\n%s", logs)
	}
}

// TestClientGoneEndsSleep: a client that goes away ends its request's
// sleep too, well before the deadline.
func TestClientGoneEndsSleep(t *testing.T) {
	rt, _ := newRuntime(t)
	w := newWorker(t, rt, "sleep", func(c *host.WorkerConfig) { c.RequestTimeout = time.Minute })
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() {
		defer close(done)
		rec := httptest.NewRecorder()
		w.ServeHTTP(rec, httptest.NewRequest("GET", "/", nil).WithContext(ctx))
	}()
	time.Sleep(100 * time.Millisecond)
	cancel()
	select {
	case <-done:
	case <-time.After(20 * time.Second):
		t.Fatal("the request went on sleeping after its client left")
	}
	if d := w.Stats().Discarded; d != 1 {
		t.Errorf("discarded %d instances, want 1", d)
	}
}

// TestSlowBodyEndsAtDeadline: a guest waiting in a host call for a body
// the client never sends is ended at the deadline.
func TestSlowBodyEndsAtDeadline(t *testing.T) {
	rt, _ := newRuntime(t)
	w := newWorker(t, rt, "echo", func(c *host.WorkerConfig) { c.RequestTimeout = 300 * time.Millisecond })
	srv := listen(t, w)
	conn, err := net.Dial("tcp", srv.Listener.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	// A head that promises 100 bytes, then nothing.
	if _, err := io.WriteString(conn, "POST /echo HTTP/1.1\r\nHost: x\r\nContent-Length: 100\r\n\r\nabc"); err != nil {
		t.Fatal(err)
	}
	conn.SetReadDeadline(time.Now().Add(20 * time.Second))
	start := time.Now()
	io.Copy(io.Discard, conn) // until the server ends the exchange
	if d := time.Since(start); d > 10*time.Second {
		t.Fatalf("the request ended after %v, with a 300ms deadline", d)
	}
	for deadline := time.Now().Add(5 * time.Second); w.Stats().Discarded != 1; time.Sleep(10 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("discarded %d instances, want 1", w.Stats().Discarded)
		}
	}
}

// TestFail: a guest that fails (response-outparam.fail, as an SDK does for
// a panic) gets one log record with its reason; a response that had
// started is aborted, so the client sees a truncated body, never a
// complete one; before any response it is a 500 without the reason. The
// instance stays in service.
func TestFail(t *testing.T) {
	rt, logs := newRuntime(t)
	w := newWorker(t, rt, "fail", nil)
	srv := listen(t, w)

	resp, err := http.Get(srv.URL + "/")
	if err != nil {
		t.Fatal(err)
	}
	body, err := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 200 || !errors.Is(err, io.ErrUnexpectedEOF) {
		t.Errorf("streamed then failed: status %d, body %q, read error %v; want 200 and an unexpected EOF", resp.StatusCode, body, err)
	}

	resp, err = http.Post(srv.URL+"/", "text/plain", nil)
	if err != nil {
		t.Fatal(err)
	}
	body, _ = io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 500 || strings.Contains(string(body), "boom") {
		t.Errorf("failed before a response: status %d, body %q; want 500 without the guest's reason", resp.StatusCode, body)
	}

	if n := strings.Count(logs.String(), "boom: the guest failed"); n != 2 {
		t.Errorf("the reason is logged %d times for 2 failures, want 2:\n%s", n, logs)
	}
	if d, n := w.Stats().Discarded, w.Stats().Instantiated; d != 0 || n != 1 {
		t.Errorf("discarded %d, instantiated %d; want 0 and 1 (the instance stays)", d, n)
	}
}

// TestCrashLogsOnce: a guest that writes a few hundred lines to stderr and
// then traps (a Go runtime crash) yields one log record holding a bounded
// part of them, and the client's 500 holds no stack.
func TestCrashLogsOnce(t *testing.T) {
	rt, logs := newRuntime(t)
	w := newWorker(t, rt, "crashlog", nil)
	rec := do(w, "GET", "/", nil)
	if rec.Code != 500 {
		t.Fatalf("status %d", rec.Code)
	}
	if b := rec.Body.String(); strings.Contains(b, "wasm stack trace") || strings.Contains(b, "goroutine frame") {
		t.Errorf("the 500's body shows the guest's insides: %q", b)
	}
	lines := strings.Split(strings.TrimSpace(logs.String()), "\n")
	var records []string
	for _, l := range lines {
		if strings.Contains(l, "worker=crashlog") {
			records = append(records, l)
		}
	}
	if len(records) != 1 {
		t.Fatalf("%d log records for one crash, want 1:\n%s", len(records), strings.Join(records, "\n"))
	}
	r := records[0]
	for _, want := range []string{"level=ERROR", "request failed; instance discarded", "unreachable", "goroutine frame line", "268 lines left out"} {
		if !strings.Contains(r, want) {
			t.Errorf("the record lacks %q: %s", want, r)
		}
	}
}
