package examples_test

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/coder/websocket"

	"github.com/bindery-run/bindery/abi"
	cacheapi "github.com/bindery-run/bindery/bindings/cache"
	"github.com/bindery-run/bindery/bindings/d1"
	"github.com/bindery-run/bindery/bindings/durable"
	"github.com/bindery-run/bindery/bindings/durable/storage"
	"github.com/bindery-run/bindery/bindings/kv"
	"github.com/bindery-run/bindery/bindings/r2"
	"github.com/bindery-run/bindery/bindings/state"
	"github.com/bindery-run/bindery/bindings/vars"
	"github.com/bindery-run/bindery/host"
	"github.com/bindery-run/bindery/host/durablehost"
	"github.com/bindery-run/bindery/host/queuehost"
	"github.com/bindery-run/bindery/internal/jsbuild"
)

// counterJS serves the durable-counter-js example over the data
// directory dir, with the Durable Object binding COUNTER of its
// SQLite-backed class Counter, as bindery dev does; stop closes it.
func counterJS(t *testing.T, js *jsbuild.Worker, dir string) (w *host.Worker, stop func()) {
	t.Helper()
	ctx := context.Background()
	log := slog.New(slog.NewTextHandler(logWriter{t}, &slog.HandlerOptions{Level: slog.LevelWarn}))
	st, err := state.Open(dir, state.Options{Logger: log})
	if err != nil {
		t.Fatal(err)
	}
	h, err := durablehost.New(durablehost.Config{
		Namespaces: map[string]string{"COUNTER": "Counter"},
		Classes:    map[string]durablehost.Class{"Counter": {SQLite: true}},
		Keys:       st.DurableKeys(),
		OpenStorage: func(class string, id durable.ID) (storage.Storage, error) {
			return storage.NewSQLite(filepath.Join(dir, "durable", class, id.String()+".sqlite"), storage.SQLiteOptions{}), nil
		},
		Logger: log,
	})
	if err != nil {
		t.Fatal(err)
	}
	cacheDir, _ := os.UserCacheDir()
	rt, err := host.NewRuntime(ctx, host.RuntimeConfig{
		CacheDir:   filepath.Join(cacheDir, "bindery-test", "wazero"),
		Interfaces: []abi.Interface{kv.WIT(), vars.WIT(), r2.WIT(), cacheapi.WIT(), d1.WIT(), durablehost.ClientWIT(), durablehost.StateWIT(), queuehost.ProducerWIT()},
		Logger:     log,
	})
	if err != nil {
		t.Fatal(err)
	}
	w, err = rt.NewWorker(ctx, host.WorkerConfig{Name: "durable-counter-js", Wasm: js.Wasm, Init: js.Init, MapText: js.MapText, Bindings: h.Bindings()})
	if err != nil {
		t.Fatal(err)
	}
	return w, func() {
		w.Close(ctx)
		rt.Close(ctx)
		st.Close()
	}
}

// counterValue sends method path to srv and returns the value it answers.
func counterValue(t *testing.T, url, method string) int {
	t.Helper()
	req, _ := http.NewRequest(method, url, nil)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var v struct{ Value int }
	if err := json.NewDecoder(resp.Body).Decode(&v); err != nil || resp.StatusCode != 200 {
		t.Fatalf("%s %s: %d %v", method, url, resp.StatusCode, err)
	}
	return v.Value
}

// TestDurableCounterJS runs examples/durable-counter-js: concurrent
// increments of one counter each see a value of their own and add up,
// counters are apart, a WebSocket the object accepted increments, and the
// values survive a restart of the Worker over the same data directory.
func TestDurableCounterJS(t *testing.T) {
	js := buildJS(t, "durable-counter-js")
	dir := t.TempDir()
	w, stop := counterJS(t, js, dir)
	srv := httptest.NewServer(w)
	const n = 50
	var wg sync.WaitGroup
	var mu sync.Mutex
	seen := map[int]bool{}
	for range n {
		wg.Go(func() {
			v := counterValue(t, srv.URL+"/counter/a/increment", "POST")
			mu.Lock()
			defer mu.Unlock()
			if seen[v] || v < 1 || v > n {
				t.Errorf("increment answered %d (twice, or out of 1..%d)", v, n)
			}
			seen[v] = true
		})
	}
	wg.Wait()
	if v := counterValue(t, srv.URL+"/counter/a", "GET"); v != n {
		t.Errorf("GET /counter/a = %d, want %d", v, n)
	}
	if v := counterValue(t, srv.URL+"/counter/b/increment", "POST"); v != 1 {
		t.Errorf("counter b = %d, want 1", v)
	}

	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	c, _, err := websocket.Dial(ctx, "ws"+strings.TrimPrefix(srv.URL, "http")+"/counter/b/ws", nil)
	if err != nil {
		t.Fatalf("dial: %v", err)
	}
	for want := 2; want <= 3; want++ {
		if err := c.Write(ctx, websocket.MessageText, []byte("+1")); err != nil {
			t.Fatal(err)
		}
		_, got, err := c.Read(ctx)
		if err != nil || string(got) != fmt.Sprintf(`{"value":%d}`, want) {
			t.Errorf("web socket: got %q %v, want value %d", got, err, want)
		}
	}
	c.Close(websocket.StatusNormalClosure, "")
	srv.Close()
	stop()

	w, stop = counterJS(t, js, dir)
	defer stop()
	srv = httptest.NewServer(w)
	defer srv.Close()
	if v := counterValue(t, srv.URL+"/counter/a", "GET"); v != n {
		t.Errorf("after a restart, GET /counter/a = %d, want %d", v, n)
	}
	if v := counterValue(t, srv.URL+"/counter/b/increment", "POST"); v != 4 {
		t.Errorf("after a restart, counter b = %d, want 4", v)
	}
}

// logWriter writes the host's log to the test's.
type logWriter struct{ t *testing.T }

func (l logWriter) Write(p []byte) (int, error) {
	l.t.Log(strings.TrimRight(string(p), "\n"))
	return len(p), nil
}
