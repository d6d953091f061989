package durablehost_test

import (
	"context"
	"io"
	"log/slog"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/coder/websocket"

	"github.com/bindery-run/bindery/abi"
	"github.com/bindery-run/bindery/bindings/durable"
	"github.com/bindery-run/bindery/bindings/durable/alarms"
	"github.com/bindery-run/bindery/bindings/durable/objects"
	"github.com/bindery-run/bindery/bindings/durable/storage"
	"github.com/bindery-run/bindery/bindings/state"
	"github.com/bindery-run/bindery/host"
	"github.com/bindery-run/bindery/host/durablehost"
	"github.com/bindery-run/bindery/internal/testutil"
)

// fixture is the test Worker (testdata/objects) with its classes Mem
// (SQLite-backed, binding MEM) and BadCtor (KV-backed, binding BAD), on a
// manual clock.
type fixture struct {
	w     *host.Worker
	h     *durablehost.Host
	clock *testutil.Clock
	logs  *testutil.SyncBuffer
}

// newFixture makes the fixture; objects idle for idle are evicted.
func newFixture(t testing.TB, idle time.Duration) *fixture {
	t.Helper()
	ctx := context.Background()
	dir := t.TempDir()
	st, err := state.Open(dir, state.Options{Logger: slog.New(slog.DiscardHandler)})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	f := &fixture{clock: testutil.NewClock(time.Date(2026, 12, 8, 0, 0, 0, 0, time.UTC)), logs: &testutil.SyncBuffer{}}
	log := slog.New(slog.NewTextHandler(io.MultiWriter(f.logs, testWriter{t}), &slog.HandlerOptions{Level: slog.LevelWarn}))
	sched, err := alarms.New(st.DB(), alarms.Options{Clock: f.clock, Logger: log, Deliver: func(ctx context.Context, class, id string, info alarms.Info) error {
		return f.h.DeliverAlarm(ctx, class, id, info)
	}})
	if err != nil {
		t.Fatal(err)
	}
	f.h, err = durablehost.New(durablehost.Config{
		Namespaces: map[string]string{"MEM": "Mem", "KVMEM": "KVMem", "BAD": "BadCtor", "ECHO": "Echo", "ROOM": "Room"},
		Classes:    map[string]durablehost.Class{"Mem": {SQLite: true}, "KVMem": {}, "BadCtor": {}, "Echo": {}, "Room": {}},
		Keys:       st.DurableKeys(),
		OpenStorage: func(class string, id durable.ID) (storage.Storage, error) {
			if class == "Mem" {
				return storage.NewSQLite(filepath.Join(dir, "durable", class, id.String()+".sqlite"), storage.SQLiteOptions{}), nil
			}
			return storage.NewBadger(st.DB(), class, id.String()), nil
		},
		Alarms:  sched,
		Clock:   f.clock,
		Logger:  log,
		Manager: objects.Config{IdleTimeout: idle},
	})
	if err != nil {
		t.Fatal(err)
	}
	rt := newRuntime(t)
	wasm, err := os.ReadFile(testutil.BuildGoGuest(t, "host/durablehost/testdata/objects"))
	if err != nil {
		t.Fatal(err)
	}
	f.w, err = rt.NewWorker(ctx, host.WorkerConfig{Name: "objects", Wasm: wasm, Bindings: f.h.Bindings(), Clock: f.clock, Logger: log})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { f.w.Close(ctx) })
	return f
}

func newRuntime(t testing.TB) *host.Runtime {
	t.Helper()
	ctx := context.Background()
	cache, _ := os.UserCacheDir()
	rt, err := host.NewRuntime(ctx, host.RuntimeConfig{
		CacheDir:   filepath.Join(cache, "bindery-test", "wazero"),
		Interfaces: []abi.Interface{durablehost.ClientWIT(), durablehost.StateWIT()},
		Logger:     slog.New(slog.DiscardHandler),
	})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { rt.Close(ctx) })
	return rt
}

type testWriter struct{ t testing.TB }

func (w testWriter) Write(p []byte) (int, error) {
	w.t.Log(strings.TrimRight(string(p), "\n"))
	return len(p), nil
}

// rpc calls method on the object name of class through the Worker.
func (f *fixture) rpc(t testing.TB, class, name, method string) (int, string) {
	t.Helper()
	rec := httptest.NewRecorder()
	f.w.ServeHTTP(rec, httptest.NewRequest("POST", "/rpc/"+class+"/"+name+"/"+method, nil))
	return rec.Code, strings.TrimSpace(rec.Body.String())
}

// TestExecutionModel holds the objects to Cloudflare's execution model:
// memory kept across events and lost at eviction (storage kept), a trap
// or abort resets the object but not the host, a constructor that traps
// fails its caller, a value over the limit is a typed error, a deadlock is
// refused, objects call each other on one instance.
func TestExecutionModel(t *testing.T) {
	f := newFixture(t, time.Minute)
	for _, s := range []struct {
		name, class, object, method string
		code                        int
		want                        string // the body, or with a leading ~ a part of it
	}{
		{"first", "Mem", "a", "hit", 200, `{"mem":1,"stored":1}`},
		{"memory kept", "Mem", "a", "hit", 200, `{"mem":2,"stored":2}`},
		{"another object", "Mem", "b", "hit", 200, `{"mem":1,"stored":1}`},
		{"calls another object", "Mem", "a", "call?arg=b&arg=hit", 200, `{"mem":2,"stored":2}`},
		{"calls itself", "Mem", "a", "call?arg=a&arg=hit", 200, `{"mem":3,"stored":3}`},
		{"trap", "Mem", "a", "trap", 500, `~instance trapped`},
		{"memory gone after the trap", "Mem", "a", "hit", 200, `{"mem":1,"stored":4}`},
		{"abort", "Mem", "a", "abort", 500, `~asked to`},
		{"memory gone after abort", "Mem", "a", "hit", 200, `{"mem":1,"stored":5}`},
		{"over the limit", "Mem", "a", "big", 500, `~key and value size limit exceeded`},
		{"deadlock refused", "Mem", "d", "blocked", 500, `~cannot take another event`},
		{"constructor trap", "BadCtor", "x", "hit", 500, `~trapped`},
		{"the host serves on", "Mem", "a", "hit", 200, `{"mem":2,"stored":6}`},
	} {
		method, query, _ := strings.Cut(s.method, "?")
		rec := httptest.NewRecorder()
		path := "/rpc/" + s.class + "/" + s.object + "/" + method
		if query != "" {
			path += "?" + query
		}
		f.w.ServeHTTP(rec, httptest.NewRequest("POST", path, nil))
		got := strings.TrimSpace(rec.Body.String())
		ok := rec.Code == s.code
		if part, isPart := strings.CutPrefix(s.want, "~"); isPart {
			ok = ok && strings.Contains(got, part)
		} else {
			ok = ok && got == s.want
		}
		if !ok {
			t.Errorf("%s: %s: %d %s, want %d %s", s.name, path, rec.Code, got, s.code, s.want)
		}
	}

	// Idle objects leave memory after the idle timeout; their storage
	// stays.
	f.clock.Advance(2 * time.Minute)
	waitFor(t, "objects evicted", func() bool { return f.h.Manager().Stats().Objects == 0 })
	if code, got := f.rpc(t, "Mem", "a", "hit"); code != 200 || got != `{"mem":1,"stored":7}` {
		t.Errorf("after eviction: %d %s", code, got)
	}
}

// TestCallerGone: a caller that goes away while its call runs (a client
// that disconnects) does not stop the object's event, nor reset the
// object.
func TestCallerGone(t *testing.T) {
	f := newFixture(t, time.Hour)
	if code, got := f.rpc(t, "Mem", "gone", "hit"); code != 200 || got != `{"mem":1,"stored":1}` {
		t.Fatalf("hit: %d %s", code, got)
	}
	// Cancel the call once the object's event runs: the Worker has
	// counted the request's call and the object's event's.
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	calls := f.w.Stats().Calls
	done := make(chan *httptest.ResponseRecorder)
	go func() {
		rec := httptest.NewRecorder()
		f.w.ServeHTTP(rec, httptest.NewRequest("POST", "/rpc/Mem/gone/nap", nil).WithContext(ctx))
		done <- rec
	}()
	waitFor(t, "the nap to start", func() bool { return f.w.Stats().Calls >= calls+2 })
	cancel()
	if rec := <-done; rec.Code == 200 {
		t.Fatalf("nap answered %s before its caller went away", rec.Body)
	}
	// The nap went on: its hit is counted, and the memory is kept.
	waitFor(t, "the nap to finish", func() bool {
		_, got := f.rpc(t, "Mem", "gone", "attempts") // any call: it queues behind the nap
		return got == "0"
	})
	if code, got := f.rpc(t, "Mem", "gone", "hit"); code != 200 || got != `{"mem":3,"stored":3}` {
		t.Errorf("hit after the caller of nap went away: %d %s, want mem 3 (nothing reset)", code, got)
	}
}

// TestAlarmAndTransactions: setAlarm inside a transaction takes effect
// on commit, not on rollback; deleteAll deletes the alarm.
func TestAlarmAndTransactions(t *testing.T) {
	f := newFixture(t, time.Hour)
	code, got := f.rpc(t, "Mem", "tx", "txAlarm")
	if want := `{"afterCommit":true,"afterDeleteAll":false,"afterRollback":false,"inside":true}`; code != 200 || got != want {
		t.Fatalf("txAlarm: %d %s, want %s", code, got, want)
	}
}

// TestBlockTimeout: a blockConcurrencyWhile section that outlives 30 s on
// the host's clock ends its event and resets the object; the host goes
// on.
func TestBlockTimeout(t *testing.T) {
	f := newFixture(t, time.Hour)
	f.rpc(t, "Mem", "blk", "hit")
	done := make(chan string, 1)
	go func() { _, got := f.rpc(t, "Mem", "blk", "longBlock"); done <- got }()
	waitFor(t, "the block to begin", func() bool { next, ok := f.clock.Next(); return ok && next.Sub(f.clock.Now()) == 30*time.Second })
	f.clock.Advance(31 * time.Second)
	select {
	case got := <-done:
		if !strings.Contains(got, "blockConcurrencyWhile did not finish") {
			t.Errorf("longBlock: %s", got)
		}
	case <-time.After(4 * time.Second):
		t.Fatal("the block was not ended at its bound")
	}
	if code, got := f.rpc(t, "Mem", "blk", "hit"); code != 200 || got != `{"mem":1,"stored":2}` {
		t.Errorf("after the reset: %d %s", code, got)
	}
}

// TestHibernation: an object with an open web socket is evicted when
// idle, the host keeps the socket open, and the next message wakes the
// object afresh.
func TestHibernation(t *testing.T) {
	f := newFixture(t, time.Minute)
	srv := httptest.NewServer(f.w)
	defer srv.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	c, _, err := websocket.Dial(ctx, "ws"+strings.TrimPrefix(srv.URL, "http")+"/ws/room", nil)
	if err != nil {
		t.Fatal(err)
	}
	defer c.CloseNow()
	say := func(msg, want string) {
		t.Helper()
		if err := c.Write(ctx, websocket.MessageText, []byte(msg)); err != nil {
			t.Fatal(err)
		}
		if _, got, err := c.Read(ctx); err != nil || string(got) != want {
			t.Fatalf("sent %q: got %q %v, want %q", msg, got, err, want)
		}
	}
	say("a", "a 1")
	say("b", "b 2")
	f.clock.Advance(2 * time.Minute)
	waitFor(t, "the object evicted", func() bool { return f.h.Manager().Stats().Objects == 0 })
	say("c", "c 1") // woken afresh, on the same socket
	say("d", "d 2")
}

// TestInMemorySocket: an object with a web socket accepted without
// hibernation stays in memory while it is open, and may sleep once it
// closes.
func TestInMemorySocket(t *testing.T) {
	f := newFixture(t, time.Minute)
	srv := httptest.NewServer(f.w)
	defer srv.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	c, _, err := websocket.Dial(ctx, "ws"+strings.TrimPrefix(srv.URL, "http")+"/ws/mem?mem=1", nil)
	if err != nil {
		t.Fatal(err)
	}
	say := func(msg, want string) {
		t.Helper()
		if err := c.Write(ctx, websocket.MessageText, []byte(msg)); err != nil {
			t.Fatal(err)
		}
		if _, got, err := c.Read(ctx); err != nil || string(got) != want {
			t.Fatalf("sent %q: got %q %v, want %q", msg, got, err, want)
		}
	}
	say("a", "a 1")
	f.clock.Advance(10 * time.Minute)
	time.Sleep(50 * time.Millisecond)
	if n := f.h.Manager().Stats().Objects; n != 1 {
		t.Fatalf("%d objects live with an in-memory socket open, want 1", n)
	}
	say("b", "b 2") // its memory was kept
	c.Close(websocket.StatusNormalClosure, "bye")
	waitFor(t, "the close delivered", func() bool { next, ok := f.clock.Next(); return ok && next.After(f.clock.Now()) })
	f.clock.Advance(2 * time.Minute)
	waitFor(t, "the object evicted after its socket closed", func() bool { return f.h.Manager().Stats().Objects == 0 })
}

// TestAlarmGivenUp runs an alarm whose handler always fails: the first
// attempt and six retries, 2, 4, ... 64 s apart on the host's clock, then
// it is given up and logged.
func TestAlarmGivenUp(t *testing.T) {
	f := newFixture(t, time.Hour)
	if code, got := f.rpc(t, "Mem", "al", "failAlarm"); code != 200 {
		t.Fatalf("failAlarm: %d %s", code, got)
	}
	attempts := func() string { _, got := f.rpc(t, "Mem", "al", "attempts"); return got }
	waitFor(t, "the first attempt", func() bool { return attempts() == "1" })
	for retry := 1; retry <= 6; retry++ {
		// The retry is armed once the failed attempt has returned.
		due := f.clock.Now().Add(time.Duration(1<<retry) * time.Second)
		waitFor(t, "retry armed", func() bool { next, ok := f.clock.Next(); return ok && next.Equal(due) })
		f.clock.Advance(time.Duration(1<<retry) * time.Second)
		want := string(rune('1' + retry))
		waitFor(t, "retry "+want, func() bool { return attempts() == want })
	}
	waitFor(t, "the alarm given up", func() bool { return strings.Contains(f.logs.String(), "the alarm fails on purpose") })
	f.clock.Advance(10 * time.Minute)
	time.Sleep(50 * time.Millisecond)
	if got := attempts(); got != "7" {
		t.Errorf("after giving up: %s attempts, want 7", got)
	}
}

// TestMissingClass: a config whose migrations create a class the Worker
// does not define fails at start-up, naming it.
func TestMissingClass(t *testing.T) {
	h, err := durablehost.New(durablehost.Config{
		Namespaces:  map[string]string{"X": "Nope"},
		Classes:     map[string]durablehost.Class{"Nope": {}},
		Keys:        durable.NewMemoryKeys(),
		OpenStorage: func(string, durable.ID) (storage.Storage, error) { return nil, nil },
	})
	if err != nil {
		t.Fatal(err)
	}
	wasm, err := os.ReadFile(testutil.BuildGoGuest(t, "host/durablehost/testdata/objects"))
	if err != nil {
		t.Fatal(err)
	}
	_, err = newRuntime(t).NewWorker(context.Background(), host.WorkerConfig{Name: "objects", Wasm: wasm, Bindings: h.Bindings()})
	if err == nil || !strings.Contains(err.Error(), `"Nope"`) || !strings.Contains(err.Error(), "does not define") {
		t.Fatalf("NewWorker: %v, want an error naming the class Nope", err)
	}
}

func waitFor(t testing.TB, what string, ok func() bool) {
	t.Helper()
	for deadline := time.Now().Add(10 * time.Second); !ok(); {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(5 * time.Millisecond)
	}
}
