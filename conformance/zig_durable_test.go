package conformance_test

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/coder/websocket"
	"github.com/tetratelabs/wazero"

	"github.com/bindery-run/bindery/bindings/durable"
	"github.com/bindery-run/bindery/bindings/durable/alarms"
	"github.com/bindery-run/bindery/bindings/durable/objects"
	"github.com/bindery-run/bindery/bindings/durable/storage"
	"github.com/bindery-run/bindery/bindings/state"
	"github.com/bindery-run/bindery/host"
	"github.com/bindery-run/bindery/host/clock"
	"github.com/bindery-run/bindery/host/durablehost"
	"github.com/bindery-run/bindery/internal/testutil"
)

// TestZigDurable runs guest-sdk/zig/testdata/durable.zig, which uses what
// the conformance Worker does not of the Zig SDK's Durable Objects: events
// nested on one instance (an object calling another that calls it back),
// argument conversion and its errors, plain and thrown errors, abort,
// eviction (memory gone, storage kept, init's blockConcurrencyWhile),
// transactions by hand and nested, SQL values and cursors over many rows,
// the alarm, getMany/deleteMany/list ranges/deleteAll, an init that
// throws, a request of the Worker's own (fetchBytes), and web sockets:
// many upgrades, tags, attachments, the auto-response and its timestamp,
// a close from the object and one from the client (webSocketClose), and
// one accepted in memory.
func TestZigDurable(t *testing.T) {
	wasm := buildOrSkip(t, "zig", func() (string, error) { return buildZigFile(t, "guest-sdk/zig/testdata/durable.zig", t.TempDir()) })
	clk := clock.NewManual(time.Now())
	logs := &testutil.SyncBuffer{}
	t.Cleanup(func() { t.Log(logs.String()) })
	w, _ := newWorker(t, "zig-durable", wasm, logTo(t, logs), func(c *host.WorkerConfig) {
		dir := t.TempDir()
		st, err := state.Open(dir, state.Options{Logger: slog.New(slog.DiscardHandler)})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { st.Close() })
		var h *durablehost.Host
		sched, err := alarms.New(st.DB(), alarms.Options{Clock: clk, Deliver: func(ctx context.Context, class, id string, info alarms.Info) error {
			return h.DeliverAlarm(ctx, class, id, info)
		}})
		if err != nil {
			t.Fatal(err)
		}
		h, err = durablehost.New(durablehost.Config{
			Namespaces: map[string]string{"OBJECTS": "Counter", "BROKEN": "Broken"},
			Classes:    map[string]durablehost.Class{"Counter": {SQLite: true}, "Broken": {SQLite: true}},
			Keys:       st.DurableKeys(),
			OpenStorage: func(class string, id durable.ID) (storage.Storage, error) {
				return storage.NewSQLite(filepath.Join(dir, "durable", class, id.String()+".sqlite"), storage.SQLiteOptions{}), nil
			},
			Alarms: sched,
			Clock:  clk,
			// One instance for the class: its objects' events nest on it.
			Manager: objects.Config{SpreadInstances: 1, IdleTimeout: time.Minute},
		})
		if err != nil {
			t.Fatal(err)
		}
		c.Bindings = append(c.Bindings, h.Bindings()...)
	})
	get := func(path string) string {
		t.Helper()
		rec := httptest.NewRecorder()
		w.ServeHTTP(rec, httptest.NewRequest("GET", path, nil))
		if rec.Code != 200 {
			t.Fatalf("GET %s: status %d: %s", path, rec.Code, rec.Body)
		}
		return rec.Body.String()
	}
	tests := []struct{ path, want string }{
		{"/bump/a/5", `{"mem":5,"stored":5,"loaded":0}`},
		{"/bump/a/2", `{"mem":7,"stored":7,"loaded":0}`},
		// a → b → a: a's bump runs nested in a's relay, which then sees it.
		{"/relay/a/b", `{"relayed":{"mem":17,"stored":17,"loaded":0},"self":"a","mem":17}`},
		{"/peek/a", `{"mem":17,"loaded":0}`},
		{"/aborts/a", `error.ObjectFailed: `},
		// Reset: memory gone, init loaded the stored count.
		{"/peek/a", `{"mem":0,"loaded":17}`},
		{"/convert/a", `{"x":-3,"y":null,"e":"green","d":7,"sum":6,"big":9223372036854775809n,"opt":null}`},
		{"/fails/a", `thrown Error: error.Oops`},
		{"/badargs/a", `thrown TypeError: bump: argument 1: a value of kind string cannot be read as i64`},
		{"/toomany/a", `thrown TypeError: bump takes 1 arguments, got 2`},
		{"/nosuch/a", `thrown TypeError: The RPC receiver does not implement the method "nosuch".`},
		{"/init/a", `thrown TypeError: The RPC receiver does not implement the method "init".`},
		{"/txn/a", `{"afterRollback":"before","nested":"outer"}`},
		{"/sql/a", `{"count":300,"min":-4611686018427387904n,"columns":["x","x","t","b","n"],"rows":300,` +
			`"first":[-4611686018427387904n,0.5,"t","00ff",true],"oneError":"Expected exactly one result from SQL query, but got no results.","sized":true}`},
		{"/alarms/a", `{"same":true,"after":null}`},
		{"/keys/a", `{"first":null,"missing":true,"a":1,"deleted":1,"range":1,"rangeKey":"b"}`},
		{"/broken/x", `error.Thrown: RangeError: broken on purpose`},
		{"/fetchbytes/a", `201 yes PUT /echo/path the body`},
	}
	for _, tt := range tests {
		got := get(tt.path)
		if got != tt.want && !(strings.HasSuffix(tt.want, ": ") && strings.HasPrefix(got, tt.want)) {
			t.Errorf("GET %s:\n got %s\nwant %s", tt.path, got, tt.want)
		}
	}

	// Eviction: once idle past the timeout, the object leaves memory and
	// its next event makes it afresh from storage.
	if got := get("/bump/e/1"); got != `{"mem":1,"stored":1,"loaded":0}` {
		t.Errorf("bump e: %s", got)
	}
	for deadline := time.Now().Add(5 * time.Second); ; time.Sleep(10 * time.Millisecond) {
		// The idle timer starts when the event has ended, which may be
		// after its response arrived: advance until it fires.
		clk.Advance(2 * time.Minute)
		time.Sleep(10 * time.Millisecond)
		got := get("/peek/e")
		if got == `{"mem":0,"loaded":1}` {
			break
		}
		if time.Now().After(deadline) {
			t.Errorf("after the idle timeout, peek e: %s", got)
			break
		}
	}

	srv := httptest.NewServer(w)
	defer srv.Close()
	// Many upgrades, each to a new object: the 101 must reach the client
	// once, on a connection the host took over (the host let the caller
	// forward the 101 before it had, and net/http answered as well).
	for i := range 20 {
		rawSocket(t, srv.URL, fmt.Sprint("r", i))
	}
	zigSocket(t, srv.URL, "w")
	zigSocketClose(t, srv.URL, get)

	// A socket accepted in memory (no hibernation) echoes as well.
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	c, _, err := websocket.Dial(ctx, "ws"+strings.TrimPrefix(srv.URL, "http")+"/wsmem/m", nil)
	if err != nil {
		t.Fatalf("dial in memory: %v", err)
	}
	defer c.CloseNow()
	if err := c.Write(ctx, websocket.MessageText, []byte("load")); err != nil {
		t.Fatal(err)
	}
	if _, got, err := c.Read(ctx); err != nil || string(got) != "none" {
		t.Errorf("in memory: got %q %v, want \"none\"", got, err)
	}
}

// zigSocket checks tags, attachments, the auto-response and a close from
// the object.
func zigSocket(t *testing.T, url, name string) {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	c, _, err := websocket.Dial(ctx, "ws"+strings.TrimPrefix(url, "http")+"/ws/w"+name, nil)
	if err != nil {
		t.Fatalf("dial: %v", err)
	}
	defer c.CloseNow()
	for _, x := range [][2]string{
		{"load", "none"}, {"save hi", "saved"}, {"load", "hi"},
		{"info", "t1,t2 marco->polo timeout=5000 same=true"}, {"stamp", "no stamp"}, {"marco", "polo"},
		{"stamp", "stamped"}, {"héllo", "héllo"},
	} {
		if err := c.Write(ctx, websocket.MessageText, []byte(x[0])); err != nil {
			t.Fatalf("write %q: %v", x[0], err)
		}
		_, got, err := c.Read(ctx)
		if err != nil || string(got) != x[1] {
			t.Errorf("sent %q: got %q %v, want %q", x[0], got, err, x[1])
		}
	}
	c.Write(ctx, websocket.MessageBinary, []byte{1})
	if _, _, err := c.Read(ctx); websocket.CloseStatus(err) != 4000 {
		t.Errorf("after a binary message: %v, want close 4000", err)
	}
}

// zigSocketClose closes a socket from the client: the object's
// webSocketClose gets the code, the reason and a clean close.
func zigSocketClose(t *testing.T, url string, get func(string) string) {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	c, _, err := websocket.Dial(ctx, "ws"+strings.TrimPrefix(url, "http")+"/ws/closing", nil)
	if err != nil {
		t.Fatalf("dial: %v", err)
	}
	c.Close(4001, "bye")
	for deadline := time.Now().Add(5 * time.Second); ; time.Sleep(20 * time.Millisecond) {
		got := get("/closed/closing")
		if got == `{"code":4001,"reason":"bye","clean":true}` {
			return
		}
		if got != "null" || time.Now().After(deadline) {
			t.Errorf("after a close: %s", got)
			return
		}
	}
}

// TestZigWithoutObjects: a Zig Worker that defines no classes implements
// world worker as before: no export of the object interface (and no
// import of client or state unless it calls them).
func TestZigWithoutObjects(t *testing.T) {
	wasm := buildOrSkip(t, "zig", func() (string, error) { return buildZigFile(t, "examples/hello-zig/src/main.zig", t.TempDir()) })
	b, err := os.ReadFile(wasm)
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	rt := wazero.NewRuntime(ctx)
	defer rt.Close(ctx)
	m, err := rt.CompileModule(ctx, b)
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range m.ImportedFunctions() {
		if mod, _, _ := f.Import(); strings.HasPrefix(mod, "bindery:durable/") {
			t.Errorf("imports %s", mod)
		}
	}
	for name := range m.ExportedFunctions() {
		if strings.Contains(name, "bindery:durable/") {
			t.Errorf("exports %s", name)
		}
	}
	if _, ok := m.ExportedFunctions()["bindery:http/handler@0.1.0#handle"]; !ok {
		t.Error("no handle export")
	}
}

// rawSocket upgrades to the object called name over a plain TCP
// connection and checks the one 101 and the first message, byte by byte.
func rawSocket(t *testing.T, url, name string) {
	addr := strings.TrimPrefix(url, "http://")
	c, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	fmt.Fprintf(c, "GET /ws/%s HTTP/1.1\r\nHost: %s\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"+
		"Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n", name, addr)
	br := bufio.NewReader(c)
	resp, err := http.ReadResponse(br, nil)
	if err != nil {
		t.Fatalf("upgrade %s: %v", name, err)
	}
	// A masked text frame "load"; the object answers "none".
	c.Write([]byte{0x81, 0x84, 1, 2, 3, 4, 'l' ^ 1, 'o' ^ 2, 'a' ^ 3, 'd' ^ 4})
	c.SetReadDeadline(time.Now().Add(5 * time.Second))
	got := make([]byte, 6)
	_, err = io.ReadFull(br, got)
	if resp.StatusCode != 101 || resp.Header.Get("Sec-Websocket-Accept") == "" || string(got) != "\x81\x04none" {
		t.Errorf("upgrade %s: %d %v, then %q %v", name, resp.StatusCode, resp.Header, got, err)
	}
}
