package conformance_test

import (
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"reflect"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/coder/websocket"

	"github.com/bindery-run/bindery/bindings/durable"
	"github.com/bindery-run/bindery/bindings/durable/alarms"
	"github.com/bindery-run/bindery/bindings/durable/objects"
	"github.com/bindery-run/bindery/bindings/durable/storage"
	"github.com/bindery-run/bindery/bindings/state"
	"github.com/bindery-run/bindery/host"
	"github.com/bindery-run/bindery/host/durablehost"
)

// # The Durable Objects section of the conformance Worker
//
// Binding: namespace "OBJECTS" of the Worker's own SQLite-backed class
// "Conformance". The Worker reaches objects by name (getByName) and
// renders what its SDK returns as JSON; the suite compares by value.
//
//	GET  /do/ids             {"named": idFromName("a"), "same": idFromName("a") equals it,
//	                         "other": idFromName("b") differs, "unique": newUniqueId(),
//	                         "parsed": idFromString(named) equals named,
//	                         "invalid": message of idFromString("not-an-id"), which says
//	                         "64 hex digits"}
//	POST /do/<n>/fetch       stub.fetch(the request): the object answers {"name": ctx.id.name,
//	                         "id": ctx.id, "method", "body": the request body as text,
//	                         "fetches": fetch events it saw in memory (1, 2, ...)}
//	GET  /do/<n>/rpc         {"sum": add(2, 3.5), "echo": echo(V)} where V is the object
//	                         {s:"héllo", n:1.5, i:-7, t:true, z:null, l:[1,2,3], b:bytes 00 01 ff,
//	                         big: 2n**60n}, rendered with bytes as hex, a bigint as decimal text
//	GET  /do/<n>/storage     the object's storage(): put k1=1, k2="two", k3=[1,2] in one call;
//	                         {"deleted": delete("k1"), "deletedAgain": delete("k1"),
//	                         "keys": list({prefix:"k"}) keys, "last": list({reverse, limit:1}) keys,
//	                         "k2": get("k2"), "missing": get("nope") is undefined}
//	GET  /do/<n>/txn         txn(): put t=1; a transaction puts t=2 and throws (rolled back);
//	                         one puts t=3 and commits: {"afterRollback":1,"afterCommit":3}
//	GET  /do/<n>/sql         sql(): CREATE TABLE IF NOT EXISTS r (id INTEGER PRIMARY KEY, v TEXT);
//	                         INSERT INTO r (v) VALUES (?) with "x"; SELECT id, v FROM r ORDER BY id:
//	                         {"columns", "rows", "written": rowsWritten of the insert,
//	                         "error": message of SELECT * FROM nope}
//	POST /do/<n>/incr        incr(): the stored count plus one, stored: the result
//	GET  /do/<n>/throw       boom(n) throws TypeError("boom: " + n): {"name", "message"} of
//	                         what the caller caught
//	GET  /do/<n>/missing     call("noSuchMethod"): {"error": the message}
//	POST /do/<n>/alarm       setAlarm(): sets the alarm to 100 ms from now; answers whether
//	                         getAlarm() is set
//	GET  /do/<n>/alarmed     alarmed(): what the alarm handler stored ({"retryCount": 0}), or null
//	GET  /do/<n>/ws          a web socket upgrade passed to the object, which accepts it with
//	                         tag "conf"; on "ping" it sends "pong <getWebSockets("conf") count>",
//	                         and echoes any other message, text or binary
//
// Every language's Worker implements it.

// durableStep is one request of the section and the JSON it must answer.
type durableStep struct {
	name, method, path, body string
	want                     string            // compared by value, after match's fields are taken out
	match                    map[string]string // fields checked by a regular expression
}

var durableSteps = []durableStep{
	{"ids", "GET", "/do/ids", "", `{"same":true,"other":true,"parsed":true}`, map[string]string{
		"named": `^[0-9a-f]{64}$`, "unique": `^[0-9a-f]{64}$`, "invalid": `64 hex digits`}},
	{"fetch", "POST", "/do/one/fetch", "hi", `{"name":"one","method":"POST","body":"hi","fetches":1}`, map[string]string{"id": `^[0-9a-f]{64}$`}},
	{"fetch again", "POST", "/do/one/fetch", "again", `{"name":"one","method":"POST","body":"again","fetches":2}`, map[string]string{"id": `^[0-9a-f]{64}$`}},
	{"rpc", "GET", "/do/one/rpc", "", `{"sum":5.5,"echo":{"s":"héllo","n":1.5,"i":-7,"t":true,"z":null,"l":[1,2,3],"b":"0001ff","big":"1152921504606846976"}}`, nil},
	{"storage", "GET", "/do/one/storage", "", `{"deleted":true,"deletedAgain":false,"keys":["k2","k3"],"last":["k3"],"k2":"two","missing":true}`, nil},
	{"txn", "GET", "/do/one/txn", "", `{"afterRollback":1,"afterCommit":3}`, nil},
	{"sql", "GET", "/do/one/sql", "", `{"columns":["id","v"],"rows":[[1,"x"]],"written":1}`, map[string]string{"error": `no such table: nope`}},
	{"sql again", "GET", "/do/one/sql", "", `{"columns":["id","v"],"rows":[[1,"x"],[2,"x"]],"written":1}`, map[string]string{"error": `no such table`}},
	{"throw", "GET", "/do/one/throw", "", `{"name":"TypeError","message":"boom: one"}`, nil},
	{"missing", "GET", "/do/one/missing", "", `{}`, map[string]string{"error": `noSuchMethod`}},
	{"other object", "POST", "/do/two/fetch", "", `{"name":"two","method":"POST","body":"","fetches":1}`, map[string]string{"id": `^[0-9a-f]{64}$`}},
	{"alarm", "POST", "/do/one/alarm", "", `true`, nil},
}

// durableGrant is a newWorker mutation that grants the Worker the
// namespace OBJECTS of its class Conformance, with storage, alarms and
// ids kept in a data directory of their own.
func durableGrant(t *testing.T) func(*host.WorkerConfig) {
	return durableGrantWith(t, "OBJECTS", "Conformance", objects.Config{}, nil)
}

// durableGrantOf grants the namespace binding of the Worker's own
// SQLite-backed class.
func durableGrantOf(t testing.TB, binding, class string) func(*host.WorkerConfig) {
	return durableGrantWith(t, binding, class, objects.Config{}, nil)
}

// durableGrantWith is durableGrantOf with the object manager tuned by
// mc; the Host is stored in *hp when hp is not nil.
func durableGrantWith(t testing.TB, binding, class string, mc objects.Config, hp **durablehost.Host) func(*host.WorkerConfig) {
	return func(c *host.WorkerConfig) {
		dir := t.TempDir()
		st, err := state.Open(dir, state.Options{Logger: slog.New(slog.DiscardHandler)})
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
			Namespaces: map[string]string{binding: class},
			Classes:    map[string]durablehost.Class{class: {SQLite: true}},
			Keys:       st.DurableKeys(),
			OpenStorage: func(class string, id durable.ID) (storage.Storage, error) {
				return storage.NewSQLite(filepath.Join(dir, "durable", class, id.String()+".sqlite"), storage.SQLiteOptions{}), nil
			},
			Alarms:  sched,
			Manager: mc,
		})
		if err != nil {
			t.Fatal(err)
		}
		if hp != nil {
			*hp = h
		}
		c.Bindings = append(c.Bindings, h.Bindings()...)
	}
}

// runDurable runs the section on w, then the concurrent increments, the
// alarm and the web socket through a real server.
func runDurable(t *testing.T, w *host.Worker) {
	for _, s := range durableSteps {
		rec := httptest.NewRecorder()
		w.ServeHTTP(rec, httptest.NewRequest(s.method, s.path, strings.NewReader(s.body)))
		if rec.Code != 200 {
			t.Errorf("durable %s: %s %s: status %d: %s", s.name, s.method, s.path, rec.Code, rec.Body)
			continue
		}
		checkJSON(t, "durable "+s.name, rec.Body.Bytes(), s.want, s.match)
	}
	srv := httptest.NewServer(w)
	defer srv.Close()
	durableIncr(t, srv.URL)
	durableAlarm(t, srv.URL)
	durableSockets(t, srv.URL)
}

// checkJSON compares got with want by value, after checking and taking
// out the fields of match.
func checkJSON(t *testing.T, name string, got []byte, want string, match map[string]string) {
	t.Helper()
	var g, wv any
	if err := json.Unmarshal(got, &g); err != nil {
		t.Errorf("%s: body %q is not JSON: %v", name, got, err)
		return
	}
	if m, ok := g.(map[string]any); ok {
		for k, re := range match {
			s, _ := m[k].(string)
			if !regexp.MustCompile(re).MatchString(s) {
				t.Errorf("%s: %s = %q, want a match of %s", name, k, m[k], re)
			}
			delete(m, k)
		}
	}
	json.Unmarshal([]byte(want), &wv)
	if !reflect.DeepEqual(g, wv) {
		t.Errorf("%s: got %s, want %s", name, got, want)
	}
}

// durableIncr sends 64 increments to one object at once: each sees a
// different count, and the last is 64.
func durableIncr(t *testing.T, url string) {
	const n = 64
	var wg sync.WaitGroup
	seen := make([]bool, n+1)
	var mu sync.Mutex
	for range n {
		wg.Go(func() {
			resp, err := http.Post(url+"/do/counter/incr", "", nil)
			if err != nil {
				t.Error(err)
				return
			}
			defer resp.Body.Close()
			var v int
			b, _ := io.ReadAll(resp.Body)
			if err := json.Unmarshal(b, &v); err != nil || v < 1 || v > n {
				t.Errorf("incr: %d %s", resp.StatusCode, b)
				return
			}
			mu.Lock()
			if seen[v] {
				t.Errorf("incr: %d returned twice", v)
			}
			seen[v] = true
			mu.Unlock()
		})
	}
	wg.Wait()
}

// durableAlarm waits for the alarm set by the alarm step to run.
func durableAlarm(t *testing.T, url string) {
	deadline := time.Now().Add(10 * time.Second)
	for {
		resp, err := http.Get(url + "/do/one/alarmed")
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode == 200 && string(b) != "null\n" && string(b) != "null" {
			checkJSON(t, "durable alarmed", b, `{"retryCount":0}`, nil)
			return
		}
		if time.Now().After(deadline) {
			t.Errorf("durable alarm: not run after 10s: %d %s", resp.StatusCode, b)
			return
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// durableSockets opens two web sockets to one object: ping counts both,
// text and binary messages come back.
func durableSockets(t *testing.T, url string) {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	ws := "ws" + strings.TrimPrefix(url, "http") + "/do/room/ws"
	var conns []*websocket.Conn
	for range 2 {
		c, _, err := websocket.Dial(ctx, ws, nil)
		if err != nil {
			t.Errorf("durable ws: dial: %v", err)
			return
		}
		defer c.CloseNow()
		conns = append(conns, c)
	}
	exchange := func(c *websocket.Conn, typ websocket.MessageType, send, want string) {
		t.Helper()
		if err := c.Write(ctx, typ, []byte(send)); err != nil {
			t.Errorf("durable ws: write %q: %v", send, err)
			return
		}
		gt, got, err := c.Read(ctx)
		if err != nil || gt != typ || string(got) != want {
			t.Errorf("durable ws: sent %q, got %v %q %v, want %q", send, gt, got, err, want)
		}
	}
	exchange(conns[0], websocket.MessageText, "ping", "pong 2")
	exchange(conns[1], websocket.MessageText, "héllo", "héllo")
	exchange(conns[1], websocket.MessageBinary, "\x00\x01\xff", "\x00\x01\xff")
	// Once the object has seen the close, it has one socket left.
	conns[0].Close(websocket.StatusNormalClosure, "bye")
	for deadline := time.Now().Add(5 * time.Second); ; {
		if err := conns[1].Write(ctx, websocket.MessageText, []byte("ping")); err != nil {
			t.Errorf("durable ws: %v", err)
			return
		}
		_, got, err := conns[1].Read(ctx)
		if err != nil {
			t.Errorf("durable ws: %v", err)
			return
		}
		if string(got) == "pong 1" {
			return
		}
		if time.Now().After(deadline) {
			t.Errorf("durable ws: after a close, ping gets %q, want \"pong 1\"", got)
			return
		}
		time.Sleep(10 * time.Millisecond)
	}
}
