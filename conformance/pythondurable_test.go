package conformance_test

import (
	"context"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/coder/websocket"

	"github.com/bindery-run/bindery/bindings/durable/objects"
	"github.com/bindery-run/bindery/host/durablehost"
)

// TestPythonDurableNesting holds the Python SDK to what its describe
// declares (reentrant: true): with every object of the class on one
// instance, object a's RPC method relay calls object b, whose method calls
// a back while a waits, so b's event runs nested inside a's host call and
// a's second event inside b's. Each event must keep its state apart: a
// reads back its own storage and in-memory state after the calls, and the
// instance serves plain requests afterwards.
func TestPythonDurableNesting(t *testing.T) {
	if testing.Short() {
		t.Skip("-short: building a Python Worker takes ~20 s")
	}
	wasm := buildOrSkip(t, "python", func() (string, error) {
		return pythonBuilder("conformance/python/worker.py")(t, t.TempDir())
	})
	var dh *durablehost.Host
	w, _ := newWorker(t, "python-nesting", wasm, durableGrantWith(t, "OBJECTS", "Conformance", objects.Config{SpreadInstances: 1}, &dh))
	steps := []struct {
		name, method, path, want string
	}{
		{"a fetch", "POST", "/do/a/fetch", `{"name":"a","method":"POST","body":"","fetches":1}`},
		{"a relays to b, b calls a back", "GET", "/do/a/relay/b", `{"got":"back from b","mine":"mine","fetches":1}`},
		{"again", "GET", "/do/a/relay/b", `{"got":"back from b","mine":"mine","fetches":1}`},
		{"b relays to a", "GET", "/do/b/relay/a", `{"got":"back from a","mine":"mine","fetches":0}`},
		{"a fetch after", "POST", "/do/a/fetch", `{"name":"a","method":"POST","body":"","fetches":2}`},
	}
	for _, s := range steps {
		rec := httptest.NewRecorder()
		w.ServeHTTP(rec, httptest.NewRequest(s.method, s.path, nil))
		if rec.Code != 200 {
			t.Errorf("%s: %s %s: status %d: %s", s.name, s.method, s.path, rec.Code, rec.Body)
			continue
		}
		var match map[string]string
		if s.method == "POST" {
			match = map[string]string{"id": `^[0-9a-f]{64}$`}
		}
		checkJSON(t, s.name, rec.Body.Bytes(), s.want, match)
	}
	if st := dh.Manager().Stats(); st.Instances != 1 || st.Objects != 2 {
		t.Errorf("manager: %d instances, %d objects; want both objects on 1 instance (else nothing nested)", st.Instances, st.Objects)
	}
}

// TestPythonDurableAPI holds the Python SDK's Durable Objects API beyond
// the conformance section to what docs/sdk-python.md says: storage of
// several keys, list ranges, an explicit rollback, values the JSON of the
// section cannot carry, what the encoding refuses, SQL cursors,
// transactionSync, the authorizer, alarms, blockConcurrencyWhile, the
// class of a thrown ValueError, an id of another class, a web socket's
// attachment and tags, and a web socket accepted without hibernation
// whose messages go to an event listener.
func TestPythonDurableAPI(t *testing.T) {
	if testing.Short() {
		t.Skip("-short: building a Python Worker takes ~20 s")
	}
	wasm := buildOrSkip(t, "python", func() (string, error) {
		return pythonBuilder("conformance/python/worker.py")(t, t.TempDir())
	})
	w, _ := newWorker(t, "python-api", wasm, durableGrant(t))
	rec := httptest.NewRecorder()
	w.ServeHTTP(rec, httptest.NewRequest("GET", "/do/api/api", nil))
	if rec.Code != 200 {
		t.Fatalf("api: status %d: %s", rec.Code, rec.Body)
	}
	checkJSON(t, "api", rec.Body.Bytes(), `{"many":{"a":1,"c":3},"range":["b","c"],"after":["c","d"],"deletedMany":2,
		"rollbackReturn":"rolled","afterRollback":null,"roundTrip":[true,["x"],"00","1180591620717411303424"],
		"cloneError":"DataCloneError","one":["x","4611686018427387904","01"],"iter":["x"],"toArray":[{"key":"x"}],
		"oneOfMany":"sql","afterSyncRollback":1,"size":true,"refused":"refused","alarmSet":true,"alarmDeleted":true,
		"block":"done","loaded":true,"thrown":["RangeError","out of range",true],"otherClass":"invalid-id"}`, nil)

	srv := httptest.NewServer(w)
	defer srv.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	c, _, err := websocket.Dial(ctx, "ws"+strings.TrimPrefix(srv.URL, "http")+"/do/api/ws", nil)
	if err != nil {
		t.Fatal(err)
	}
	defer c.CloseNow()
	exchange := func(c *websocket.Conn, send, want string) {
		t.Helper()
		if err := c.Write(ctx, websocket.MessageText, []byte(send)); err != nil {
			t.Fatal(err)
		}
		if _, got, err := c.Read(ctx); err != nil || string(got) != want {
			t.Errorf("ws: sent %q, got %q %v, want %q", send, got, err, want)
		}
	}
	exchange(c, "attach hi", "attached")
	exchange(c, "attachment", "{'v': 'hi'} conf")
	// Without hibernation: accept() and a listener.
	m, _, err := websocket.Dial(ctx, "ws"+strings.TrimPrefix(srv.URL, "http")+"/do/api/wsmem", nil)
	if err != nil {
		t.Fatal(err)
	}
	defer m.CloseNow()
	exchange(m, "x", "mem: x")
	exchange(m, "y", "mem: y")
}

// TestPythonDurableEvict: an object idle past the manager's IdleTimeout is
// evicted (the SDK drops its instance) and made afresh by its next event,
// its storage kept.
func TestPythonDurableEvict(t *testing.T) {
	if testing.Short() {
		t.Skip("-short: building a Python Worker takes ~20 s")
	}
	wasm := buildOrSkip(t, "python", func() (string, error) {
		return pythonBuilder("conformance/python/worker.py")(t, t.TempDir())
	})
	var dh *durablehost.Host
	w, _ := newWorker(t, "python-evict", wasm, durableGrantWith(t, "OBJECTS", "Conformance", objects.Config{IdleTimeout: 100 * time.Millisecond}, &dh))
	do := func(method, path, want string) {
		t.Helper()
		rec := httptest.NewRecorder()
		w.ServeHTTP(rec, httptest.NewRequest(method, path, nil))
		var match map[string]string
		if strings.HasSuffix(path, "/fetch") {
			match = map[string]string{"id": `^[0-9a-f]{64}$`}
		}
		checkJSON(t, method+" "+path, rec.Body.Bytes(), want, match)
	}
	do("POST", "/do/e/fetch", `{"name":"e","method":"POST","body":"","fetches":1}`)
	do("POST", "/do/e/incr", `1`)
	do("POST", "/do/e/fetch", `{"name":"e","method":"POST","body":"","fetches":2}`)
	for deadline := time.Now().Add(10 * time.Second); dh.Manager().Stats().Objects != 0; {
		if time.Now().After(deadline) {
			t.Fatalf("the object was not evicted: %+v", dh.Manager().Stats())
		}
		time.Sleep(20 * time.Millisecond)
	}
	do("POST", "/do/e/fetch", `{"name":"e","method":"POST","body":"","fetches":1}`)
	do("POST", "/do/e/incr", `2`)
}
