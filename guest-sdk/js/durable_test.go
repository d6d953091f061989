package jssdk_test

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"maps"
	"net/http/httptest"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/coder/websocket"

	"github.com/bindery-run/bindery/abi"
	cacheapi "github.com/bindery-run/bindery/bindings/cache"
	"github.com/bindery-run/bindery/bindings/d1"
	"github.com/bindery-run/bindery/bindings/durable"
	"github.com/bindery-run/bindery/bindings/durable/alarms"
	"github.com/bindery-run/bindery/bindings/durable/storage"
	"github.com/bindery-run/bindery/bindings/kv"
	"github.com/bindery-run/bindery/bindings/r2"
	"github.com/bindery-run/bindery/bindings/state"
	"github.com/bindery-run/bindery/bindings/vars"
	"github.com/bindery-run/bindery/host"
	"github.com/bindery-run/bindery/host/durablehost"
	"github.com/bindery-run/bindery/host/queuehost"
	"github.com/bindery-run/bindery/internal/jsbuild/jstest"
	"github.com/bindery-run/bindery/internal/testutil"
)

// durableWorker builds testdata/durable.js as bindery dev does and serves
// it with the namespace OBJECTS of its SQLite-backed class Tester, over a
// fresh data directory.
func durableWorker(t *testing.T) (*host.Worker, *testutil.SyncBuffer) {
	t.Helper()
	ctx := context.Background()
	js := jstest.Build(t, "testdata/durable.js")
	dir := t.TempDir()
	logs := &testutil.SyncBuffer{}
	log := slog.New(slog.NewTextHandler(logs, nil))
	st, err := state.Open(dir, state.Options{Logger: log})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	var h *durablehost.Host
	sched, err := alarms.New(st.DB(), alarms.Options{Deliver: func(ctx context.Context, class, id string, info alarms.Info) error {
		return h.DeliverAlarm(ctx, class, id, info)
	}})
	if err != nil {
		t.Fatal(err)
	}
	h, err = durablehost.New(durablehost.Config{
		Namespaces: map[string]string{"OBJECTS": "Tester"},
		Classes:    map[string]durablehost.Class{"Tester": {SQLite: true}},
		Keys:       st.DurableKeys(),
		OpenStorage: func(class string, id durable.ID) (storage.Storage, error) {
			return storage.NewSQLite(filepath.Join(dir, "durable", class, id.String()+".sqlite"), storage.SQLiteOptions{}), nil
		},
		Alarms: sched,
		Logger: log,
	})
	if err != nil {
		t.Fatal(err)
	}
	cache, err := os.UserCacheDir()
	if err != nil {
		cache = os.TempDir()
	}
	rt, err := host.NewRuntime(ctx, host.RuntimeConfig{
		CacheDir:   filepath.Join(cache, "bindery-test", "wazero"),
		Interfaces: []abi.Interface{kv.WIT(), vars.WIT(), r2.WIT(), cacheapi.WIT(), d1.WIT(), durablehost.ClientWIT(), durablehost.StateWIT(), queuehost.ProducerWIT()},
		Logger:     log,
	})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { rt.Close(ctx) })
	w, err := rt.NewWorker(ctx, host.WorkerConfig{Name: "durable-js", Wasm: js.Wasm, Init: js.Init, MapText: js.MapText, Bindings: h.Bindings()})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { w.Close(ctx) })
	return w, logs
}

// TestDurableObjects runs the cases of testdata/durable.js: ids and
// stubs, RPC (memory kept between calls, errors rethrown with their
// class, a thrown string, arguments the encoding refuses, methods that
// are not RPC), blockConcurrencyWhile and abort resetting the object,
// stub.fetch, and in the object the storage API (structured values, the
// array forms and their Maps, list's options, transactions with rollback
// and nesting, transactionSync), SQL (values, cursors, one, raw,
// databaseSize) and the alarm.
func TestDurableObjects(t *testing.T) {
	w, logs := durableWorker(t)
	var got map[string]string
	get(t, w, logs, "/cases", &got)
	t.Logf("%d cases", len(got))
	if len(got) < 30 {
		t.Errorf("only %d cases ran: %v", len(got), slices.Sorted(maps.Keys(got)))
	}
	for _, name := range slices.Sorted(maps.Keys(got)) {
		if got[name] != "" {
			t.Errorf("%s: %s", name, got[name])
		}
	}
}

// TestDurableStubOutlivesRequest uses one stub in two requests: its host
// handle is given back when the first ends, and opened again.
func TestDurableStubOutlivesRequest(t *testing.T) {
	w, logs := durableWorker(t)
	var first, second struct{ N int }
	get(t, w, logs, "/keep", &first)
	get(t, w, logs, "/reuse", &second)
	if first.N != 1 || second.N != 2 {
		t.Errorf("memory %d then %d, want 1 then 2", first.N, second.N)
	}
}

// TestDurableWebSockets passes web sockets to an object through a real
// server: tags, attachments, getWebSockets, the auto-response (answered
// without an event, its timestamp then set), text and binary messages,
// and a close from the object.
func TestDurableWebSockets(t *testing.T) {
	w, logs := durableWorker(t)
	srv := httptest.NewServer(w)
	defer srv.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	url := "ws" + strings.TrimPrefix(srv.URL, "http") + "/ws/room"
	var conns []*websocket.Conn
	for range 2 {
		c, _, err := websocket.Dial(ctx, url, nil)
		if err != nil {
			t.Fatalf("dial: %v\n%s", err, logs)
		}
		defer c.CloseNow()
		conns = append(conns, c)
	}
	exchange := func(c *websocket.Conn, typ websocket.MessageType, send string) string {
		t.Helper()
		if err := c.Write(ctx, typ, []byte(send)); err != nil {
			t.Fatalf("write %q: %v", send, err)
		}
		gt, got, err := c.Read(ctx)
		if err != nil || gt != typ {
			t.Fatalf("sent %q, got %v %q %v\n%s", send, gt, got, err, logs)
		}
		return string(got)
	}
	if got := exchange(conns[0], websocket.MessageText, "ping"); got != "pong" {
		t.Errorf("auto-response: %q", got)
	}
	var info struct {
		Tags       []string
		Attachment struct{ N int }
		T1         int
		Same       bool
		Auto       []string
		AutoAt     bool
	}
	if err := json.Unmarshal([]byte(exchange(conns[0], websocket.MessageText, "info")), &info); err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(info.Tags, []string{"t1", "t2"}) || info.Attachment.N != 1 || info.T1 != 2 || !info.Same ||
		!slices.Equal(info.Auto, []string{"ping", "pong"}) || !info.AutoAt {
		t.Errorf("info: %+v", info)
	}
	json.Unmarshal([]byte(exchange(conns[1], websocket.MessageText, "info")), &info)
	if info.Attachment.N != 2 || info.AutoAt {
		t.Errorf("second socket: %+v", info)
	}
	if got := exchange(conns[1], websocket.MessageText, "héllo"); got != "HÉLLO" {
		t.Errorf("text: %q", got)
	}
	if got := exchange(conns[1], websocket.MessageBinary, "\x01\x02\xff"); got != "\xff\x02\x01" {
		t.Errorf("binary: %q", got)
	}
	if err := conns[1].Write(ctx, websocket.MessageText, []byte("bye")); err != nil {
		t.Fatal(err)
	}
	_, _, err := conns[1].Read(ctx)
	if websocket.CloseStatus(err) != 4000 {
		t.Errorf("after bye: %v, want a close with 4000", err)
	}
}

// TestDurableWebSocketInMemory accepts a web socket without hibernation
// (ws.accept()): its messages reach the listener, whose closure keeps a
// count, and its close reaches the close listener.
func TestDurableWebSocketInMemory(t *testing.T) {
	w, logs := durableWorker(t)
	srv := httptest.NewServer(w)
	defer srv.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	c, _, err := websocket.Dial(ctx, "ws"+strings.TrimPrefix(srv.URL, "http")+"/ws/mem?mem", nil)
	if err != nil {
		t.Fatalf("dial: %v\n%s", err, logs)
	}
	defer c.CloseNow()
	for i, m := range []string{"a", "b"} {
		if err := c.Write(ctx, websocket.MessageText, []byte(m)); err != nil {
			t.Fatal(err)
		}
		_, got, err := c.Read(ctx)
		if want := fmt.Sprintf("mem %d %s", i+1, m); err != nil || string(got) != want {
			t.Fatalf("got %q %v, want %q\n%s", got, err, want, logs)
		}
	}
	c.Close(4001, "done")
	for deadline := time.Now().Add(5 * time.Second); ; time.Sleep(20 * time.Millisecond) {
		var code *int
		get(t, w, logs, "/memclosed/mem", &code)
		if code != nil && *code == 4001 {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("the close listener did not run: %v\n%s", code, logs)
		}
	}
}
