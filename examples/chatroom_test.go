package examples_test

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/coder/websocket"

	"github.com/bindery-run/bindery/internal/testutil"
)

// TestChatRoom runs examples/chat-room through the CLI with a real web
// socket client: every text message reaches every socket of its room,
// the sender's included, and no other room; the count follows joins and
// leaves.
func TestChatRoom(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and runs the CLI")
	}
	bin := testutil.BuildCLI(t)
	wasm := testutil.BuildGoGuest(t, "examples/chat-room")
	toml, err := os.ReadFile(filepath.Join(testutil.RepoRoot(t), "examples", "chat-room", "wrangler.toml"))
	if err != nil {
		t.Fatal(err)
	}
	_, decl, ok := strings.Cut(string(toml), "[[durable_objects.bindings]]")
	if !ok {
		t.Fatalf("examples/chat-room/wrangler.toml has no durable_objects binding:\n%s", toml)
	}
	dir := t.TempDir()
	cfg := "name = \"chat-room\"\nmain = " + quote(wasm) + "\n\n[[durable_objects.bindings]]" + decl
	if err := os.WriteFile(filepath.Join(dir, "wrangler.toml"), []byte(cfg), 0o644); err != nil {
		t.Fatal(err)
	}
	base, _ := startDev(t, bin, dir)
	ws := "ws" + strings.TrimPrefix(base, "http")
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()

	dial := func(room string) *websocket.Conn {
		t.Helper()
		c, _, err := websocket.Dial(ctx, ws+"/room/"+room, nil)
		if err != nil {
			t.Fatalf("dial %s: %v", room, err)
		}
		t.Cleanup(func() { c.CloseNow() })
		return c
	}
	count := func(room string) int {
		resp, err := http.Get(base + "/room/" + room + "/count")
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		var v struct{ Sockets int }
		if resp.StatusCode != 200 || json.Unmarshal(b, &v) != nil {
			t.Fatalf("count %s: %d %s", room, resp.StatusCode, b)
		}
		return v.Sockets
	}
	lobby := []*websocket.Conn{dial("lobby"), dial("lobby"), dial("lobby")}
	other := dial("other")
	if n := count("lobby"); n != 3 {
		t.Fatalf("lobby has %d sockets, want 3", n)
	}
	if n := count("other"); n != 1 {
		t.Fatalf("other has %d sockets, want 1", n)
	}
	for i, msg := range []string{"hello", "héllo again"} {
		if err := lobby[i].Write(ctx, websocket.MessageText, []byte(msg)); err != nil {
			t.Fatal(err)
		}
		for j, c := range lobby {
			typ, got, err := c.Read(ctx)
			if err != nil || typ != websocket.MessageText || string(got) != msg {
				t.Fatalf("lobby client %d got %v %q %v, want %q", j, typ, got, err, msg)
			}
		}
	}
	// The other room heard nothing: its next message is its own.
	other.Write(ctx, websocket.MessageText, []byte("mine"))
	if _, got, err := other.Read(ctx); err != nil || string(got) != "mine" {
		t.Fatalf("other room got %q %v, want its own message", got, err)
	}
	lobby[2].Close(websocket.StatusNormalClosure, "bye")
	for deadline := time.Now().Add(5 * time.Second); count("lobby") != 2; {
		if time.Now().After(deadline) {
			t.Fatalf("lobby has %d sockets after a leave, want 2", count("lobby"))
		}
		time.Sleep(10 * time.Millisecond)
	}
}
