package conformance_test

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/coder/websocket"

	"github.com/bindery-run/bindery/internal/testutil"
)

// TestDurableRaces repeats, with the Go conformance Worker through a real
// server, two steps of the Durable Objects section that a host race made
// fail now and then:
//
//   - fetch: each of 40 requests to one object sees the count of the one
//     before plus one (the end of the Worker's request cancelled the
//     object's fetch event as it returned, which reset the object);
//   - web sockets: each of 20 sockets completes its handshake and echoes
//     (net/http wrote the Worker's own response on the client's
//     connection, racing the object's 101: "unexpected rsv bits",
//     "superfluous WriteHeader").
func TestDurableRaces(t *testing.T) {
	wasm := testutil.BuildGoGuest(t, "conformance/go")
	w, _ := newWorker(t, "go-races", wasm, durableGrant(t))
	srv := httptest.NewServer(w)
	defer srv.Close()
	for i := 1; i <= 40; i++ {
		resp, err := http.Post(srv.URL+"/do/races/fetch", "text/plain", strings.NewReader("x"))
		if err != nil {
			t.Fatal(err)
		}
		var got struct{ Fetches int }
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if err := json.Unmarshal(b, &got); err != nil || got.Fetches != i {
			t.Fatalf("fetch %d: %d %s: want fetches %d (the object kept in memory)", i, resp.StatusCode, b, i)
		}
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	ws := "ws" + strings.TrimPrefix(srv.URL, "http") + "/do/races/ws"
	for i := range 20 {
		c, _, err := websocket.Dial(ctx, ws, nil)
		if err != nil {
			t.Fatalf("socket %d: dial: %v", i, err)
		}
		msg := fmt.Sprintf("hello %d", i)
		if err := c.Write(ctx, websocket.MessageText, []byte(msg)); err != nil {
			t.Fatalf("socket %d: write: %v", i, err)
		}
		if _, got, err := c.Read(ctx); err != nil || string(got) != msg {
			t.Fatalf("socket %d: read %q, %v; want %q", i, got, err, msg)
		}
		c.Close(websocket.StatusNormalClosure, "")
	}
}
