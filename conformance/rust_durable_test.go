package conformance_test

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/coder/websocket"
)

// TestRustDurableNesting checks that the Rust SDK keeps each object
// event's state apart, as its describe's reentrant=true promises: through
// the route GET /do/<n>/nest of conformance/rust, object n sets an
// in-memory marker and calls object n-peer, which, while n's event waits,
// calls n back (an RPC call and a fetch, both run nested on n's instance)
// and answers what they saw. The marker is there (the same instance), the
// nested fetch answers its own request, and the objects serve on.
func TestRustDurableNesting(t *testing.T) {
	wasm := buildOrSkip(t, "rust", func() (string, error) { return buildRust(t, t.TempDir()) })
	w, _ := newWorker(t, "rust-durable-nesting", wasm, durableGrant(t))
	for round := 1; round <= 10; round++ {
		rec := httptest.NewRecorder()
		w.ServeHTTP(rec, httptest.NewRequest("GET", "/do/a/nest", nil))
		if rec.Code != 200 {
			t.Fatalf("round %d: nest: status %d: %s", round, rec.Code, rec.Body)
		}
		var got struct {
			Peek  float64 `json:"peek"`
			Fetch string  `json:"fetch"`
		}
		if err := json.Unmarshal(rec.Body.Bytes(), &got); err != nil {
			t.Fatalf("round %d: nest: %v: %s", round, err, rec.Body)
		}
		if got.Peek != 42 {
			t.Errorf("round %d: the nested call saw the marker %v, want 42", round, got.Peek)
		}
		checkJSON(t, "nested fetch", []byte(got.Fetch), fmt.Sprintf(`{"name":"a","method":"GET","body":"","fetches":%d}`, round),
			map[string]string{"id": `^[0-9a-f]{64}$`})
	}
	// After the nested events, plain ones on both objects.
	for _, path := range []string{"/do/a/incr", "/do/a-peer/incr"} {
		rec := httptest.NewRecorder()
		w.ServeHTTP(rec, httptest.NewRequest("POST", path, nil))
		if rec.Code != 200 || rec.Body.String() != "1" {
			t.Errorf("%s: %d %s, want 1", path, rec.Code, rec.Body)
		}
	}
}

// TestRustDurableSocketInMemory checks State::accept_web_socket_in_memory
// (a web socket without hibernation) through GET /do/<n>/ws with the
// header X-In-Memory: the socket echoes, and, having no tags, is not one
// of the object's "conf" sockets.
func TestRustDurableSocketInMemory(t *testing.T) {
	wasm := buildOrSkip(t, "rust", func() (string, error) { return buildRust(t, t.TempDir()) })
	w, _ := newWorker(t, "rust-durable-in-memory", wasm, durableGrant(t))
	srv := httptest.NewServer(w)
	defer srv.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	c, _, err := websocket.Dial(ctx, "ws"+strings.TrimPrefix(srv.URL, "http")+"/do/mem/ws",
		&websocket.DialOptions{HTTPHeader: http.Header{"X-In-Memory": {"1"}}})
	if err != nil {
		t.Fatalf("dial: %v", err)
	}
	defer c.CloseNow()
	for _, m := range []string{"héllo", "ping"} {
		if err := c.Write(ctx, websocket.MessageText, []byte(m)); err != nil {
			t.Fatal(err)
		}
		_, got, err := c.Read(ctx)
		want := m
		if m == "ping" {
			want = "pong 0"
		}
		if err != nil || string(got) != want {
			t.Errorf("sent %q, got %q %v, want %q", m, got, err, want)
		}
	}
}
