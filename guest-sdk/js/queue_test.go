package jssdk_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http/httptest"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/bindery-run/bindery/abi"
	cacheapi "github.com/bindery-run/bindery/bindings/cache"
	"github.com/bindery-run/bindery/bindings/d1"
	"github.com/bindery-run/bindery/bindings/kv"
	"github.com/bindery-run/bindery/bindings/queue"
	"github.com/bindery-run/bindery/bindings/r2"
	"github.com/bindery-run/bindery/bindings/vars"
	"github.com/bindery-run/bindery/host"
	"github.com/bindery-run/bindery/host/cronhost"
	"github.com/bindery-run/bindery/host/durablehost"
	"github.com/bindery-run/bindery/host/queuehost"
	"github.com/bindery-run/bindery/internal/badgerdb"
	"github.com/bindery-run/bindery/internal/jsbuild/jstest"
	"github.com/bindery-run/bindery/internal/testutil"
)

// TestQueueNode runs test/queue.test.mjs under node (node --test):
// src/queue.js's producer (what send and sendBatch hand the host for each
// content type, workerd's errors), its consumer (bodies decoded per
// content type, the ack/retry rules and warnings of workerd's queue.c++,
// the outcome of a handler that throws, waits or is missing) and the
// scheduled handler. It skips when node is missing (fails when js is
// required: testutil.NeedToolchain).
func TestQueueNode(t *testing.T) {
	node, err := testutil.ProbeNode()
	testutil.NeedToolchain(t, err)
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, node, "--test", "--test-reporter=tap", filepath.Join("test", "queue.test.mjs"))
	cmd.Dir = filepath.Join(testutil.RepoRoot(t), "guest-sdk", "js")
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("node --test test/queue.test.mjs: %v\n%s", err, out)
	}
	m := regexp.MustCompile(`(?m)^# pass (\d+)$`).FindSubmatch(out)
	if m == nil {
		t.Fatalf("node --test printed no pass count:\n%s", out)
	}
	if n, _ := strconv.Atoi(string(m[1])); n < 50 {
		t.Errorf("only %d node tests passed:\n%s", n, out)
	}
}

// TestQueueEngine runs testdata/queue.js in the engine, built as bindery
// dev builds it, with the host's broker (host/queuehost over
// bindings/queue): what each content type's body is on delivery in the
// Worker's realm (a Uint8Array, a Date, a Map, a BigInt), the message
// fields, first-call-wins (an ack then a retry acks, with workerd's
// warning in the log), a retry delivered again, the SDK's errors and the
// host's, an unbound name; and the scheduled handler's controller, its
// waitUntil and its error.
func TestQueueEngine(t *testing.T) {
	ctx := context.Background()
	js := jstest.Build(t, "testdata/queue.js")
	logs := &testutil.SyncBuffer{}
	log := slog.New(slog.NewTextHandler(logs, nil))
	db, err := badgerdb.Open(t.TempDir(), nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	broker, err := queue.Open(db, queue.Options{Logger: log})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { broker.Close() })
	retries := 3
	qh, err := queuehost.New(queuehost.Config{
		Broker:    broker,
		Producers: map[string]queuehost.Producer{"JOBS": {Queue: "jobs"}},
		Consumers: []queuehost.Consumer{{Queue: "jobs", Config: queue.ConsumerConfig{MaxBatchSize: 10, MaxBatchTimeout: 50 * time.Millisecond, MaxRetries: &retries}}},
		Logger:    log,
	})
	if err != nil {
		t.Fatal(err)
	}
	ch, err := cronhost.New(cronhost.Config{Crons: []string{"*/5 * * * *"}, Logger: log})
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
	ns := kv.NewNamespace(kv.NewMemory(nil), kv.DefaultLimits(), nil)
	w, err := rt.NewWorker(ctx, host.WorkerConfig{
		Name: "queue-js", Wasm: js.Wasm, Init: js.Init, MapText: js.MapText,
		Bindings: append(append([]host.Binding{kv.NewBinding(map[string]*kv.Namespace{"STORE": ns})}, qh.Bindings()...), ch.Bindings()...),
	})
	if err != nil {
		t.Fatalf("%v\n%s", err, logs)
	}
	t.Cleanup(func() { w.Close(ctx) })
	get := func(path string) string {
		t.Helper()
		rec := httptest.NewRecorder()
		w.ServeHTTP(rec, httptest.NewRequest("GET", path, nil))
		b, _ := io.ReadAll(rec.Body)
		if rec.Code != 200 {
			t.Fatalf("GET %s: %d %s\nlog:\n%s", path, rec.Code, b, logs)
		}
		return string(b)
	}

	var errs map[string]string
	if err := json.Unmarshal([]byte(get("/errors")), &errs); err != nil {
		t.Fatal(err)
	}
	for name, want := range map[string]string{
		"type":    "TypeError: Unsupported queue message content type: yaml",
		"large":   "BindingError too-large: too-large: ",
		"delay":   "BindingError invalid-argument: invalid-argument: ",
		"empty":   "TypeError: sendBatch() requires at least one message",
		"clone":   "DataCloneError",
		"missing": "undefined",
	} {
		if !strings.HasPrefix(errs[name], want) {
			t.Errorf("/errors %s: %q, want it to start with %q", name, errs[name], want)
		}
	}
	if !strings.Contains(errs["large"], "128 KB") || !strings.Contains(errs["delay"], "86401") {
		t.Errorf("/errors: the host's messages are not passed on: %q", errs)
	}

	get("/send")
	type got struct {
		Queue           string          `json:"queue"`
		ID              string          `json:"id"`
		TimestampIsDate bool            `json:"timestampIsDate"`
		Age             float64         `json:"age"`
		Attempts        int             `json:"attempts"`
		Body            json.RawMessage `json:"body"`
	}
	want := map[string]struct {
		attempts int
		body     string
	}{
		"t1":     {1, `{"class":"string","value":"t1"}`},
		"b100ff": {1, `{"class":"Uint8Array","hex":"b100ff"}`},
		"j1":     {1, `{"class":"Object","fields":{"key":{"class":"string","value":"j1"},"list":{"class":"Array","items":[{"class":"number","value":1},{"class":"string","value":"two"}]}}}`},
		"v1": {1, `{"class":"Object","fields":{"key":{"class":"string","value":"v1"},"big":{"class":"BigInt","value":"1180591620717411303424"},` +
			`"when":{"class":"Date","ms":1234},"map":{"class":"Map","entries":[[{"class":"string","value":"k"},{"class":"Uint8Array","hex":"07"}]]}}}`},
		"r1": {2, `{"class":"Object","fields":{"key":{"class":"string","value":"r1"},"mode":{"class":"string","value":"retry"}}}`},
		"a1": {1, `{"class":"Object","fields":{"key":{"class":"string","value":"a1"},"mode":{"class":"string","value":"ack-then-retry"}}}`},
	}
	deadline := time.Now().Add(20 * time.Second)
	for key, wt := range want {
		var g got
		for {
			s := get("/get/got:" + key)
			if err := json.Unmarshal([]byte(s), &g); err != nil {
				t.Fatalf("got:%s: %v: %s", key, err, s)
			}
			if g.Attempts >= wt.attempts || time.Now().After(deadline) {
				break
			}
			time.Sleep(20 * time.Millisecond)
		}
		if g.Queue != "jobs" || !regexp.MustCompile(`^[0-9a-f]{32}$`).MatchString(g.ID) || !g.TimestampIsDate || g.Age < 0 || g.Age > 20000 || g.Attempts != wt.attempts {
			t.Errorf("got:%s = %+v, want queue jobs, a 32-hex-digit id, a Date of the last 20 s, attempts %d", key, g, wt.attempts)
		}
		var gb, wb any
		json.Unmarshal(g.Body, &gb)
		json.Unmarshal([]byte(wt.body), &wb)
		if !reflect.DeepEqual(gb, wb) {
			t.Errorf("got:%s body = %s, want %s", key, g.Body, wt.body)
		}
	}
	time.Sleep(200 * time.Millisecond) // a wrong retry of a1 would come back by now
	if s := get("/get/got:a1"); !strings.Contains(s, `"attempts":1`) {
		t.Errorf("a1 (ack, then retry) was delivered again: %s", s)
	}
	if !regexp.MustCompile(`Received a call to retry\(\) on message [0-9a-f]{32} after ack\(\) was already called\. Calling retry\(\) on a message after calling ack\(\) has no effect\.`).MatchString(logs.String()) {
		t.Errorf("no warning of workerd's for the retry after an ack in the log:\n%s", logs)
	}

	for _, c := range []struct{ cron, err string }{
		{"*/5 * * * *", ""},
		{"fail", "Uncaught RangeError: scheduled failed on purpose"},
	} {
		err := ch.Trigger(ctx, c.cron, time.UnixMilli(1_700_000_100_000))
		var he *cronhost.HandlerError
		switch {
		case c.err == "" && err != nil:
			t.Fatalf("scheduled %q: %v\n%s", c.cron, err, logs)
		case c.err != "" && (!errors.As(err, &he) || !strings.HasPrefix(he.Msg, c.err)):
			t.Errorf("scheduled %q: error %v, want the handler's %q", c.cron, err, c.err)
		}
		s := get("/get/" + url.PathEscape("cron:"+c.cron))
		var got, wantv any
		json.Unmarshal([]byte(s), &got)
		json.Unmarshal([]byte(fmt.Sprintf(`{"cron":%q,"scheduledTime":1700000100000,"type":"scheduled","isNumber":true}`, c.cron)), &wantv)
		if !reflect.DeepEqual(got, wantv) {
			t.Errorf("scheduled %q recorded %s (after its waitUntil), want %v", c.cron, s, wantv)
		}
	}
}

// TestHandlersWithoutFetch serves Workers with only a scheduled or a queue
// handler, as Cloudflare allows: module syntax, and a service worker with
// listeners. Each starts; a request fails (500) with workerd's words in
// the log; the scheduled handler runs.
func TestHandlersWithoutFetch(t *testing.T) {
	ctx := context.Background()
	tests := []struct{ name, src, fetchErr string }{
		{"module", "export default { async scheduled(c, env) { await env.STORE.put('ran', c.cron); } };\n", "Handler does not export a fetch() function."},
		{"service worker", "addEventListener('scheduled', (e) => e.waitUntil(STORE.put('ran', e.cron)));\n", "No event listener registered for fetch events."},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			src := filepath.Join(t.TempDir(), "worker.js")
			if err := os.WriteFile(src, []byte(tc.src), 0o644); err != nil {
				t.Fatal(err)
			}
			js := jstest.Build(t, src)
			logs := &testutil.SyncBuffer{}
			ch, err := cronhost.New(cronhost.Config{Crons: []string{"0 0 * * *"}})
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
				Logger:     slog.New(slog.NewTextHandler(logs, nil)),
			})
			if err != nil {
				t.Fatal(err)
			}
			defer rt.Close(ctx)
			ns := kv.NewNamespace(kv.NewMemory(nil), kv.DefaultLimits(), nil)
			w, err := rt.NewWorker(ctx, host.WorkerConfig{
				Name: "no-fetch", Wasm: js.Wasm, Init: js.Init, MapText: js.MapText,
				Bindings: append([]host.Binding{kv.NewBinding(map[string]*kv.Namespace{"STORE": ns})}, ch.Bindings()...),
			})
			if err != nil {
				t.Fatalf("the Worker did not start: %v", err)
			}
			defer w.Close(ctx)
			rec := httptest.NewRecorder()
			w.ServeHTTP(rec, httptest.NewRequest("GET", "/", nil))
			if rec.Code != 500 || !strings.Contains(logs.String(), tc.fetchErr) {
				t.Errorf("GET /: %d, want 500 with %q in the log:\n%s", rec.Code, tc.fetchErr, logs)
			}
			if err := ch.Trigger(ctx, "0 0 * * *", time.Time{}); err != nil {
				t.Fatalf("scheduled: %v\n%s", err, logs)
			}
			if v, _, _ := ns.Get(ctx, "ran"); string(v) != "0 0 * * *" {
				t.Errorf("the scheduled handler stored %q, want the cron", v)
			}
		})
	}
}

// TestWorkerEntrypoint serves a Worker whose default export is a
// WorkerEntrypoint class (from cloudflare:workers): fetch and scheduled
// run on a new instance per event, with this.env and this.ctx.
func TestWorkerEntrypoint(t *testing.T) {
	ctx := context.Background()
	src := filepath.Join(t.TempDir(), "worker.js")
	code := `import { WorkerEntrypoint } from 'cloudflare:workers';
import { WorkerEntrypoint as Same } from '@bindery/worker';
let made = 0;
export default class extends WorkerEntrypoint {
  constructor(ctx, env) { super(ctx, env); made++; }
  async fetch(request) {
    this.ctx.waitUntil(this.env.STORE.put('fetched', request.url));
    return Response.json({ made, args: arguments.length, same: this instanceof Same, store: typeof this.env.STORE.get, greeting: this.env.GREETING });
  }
  async scheduled(controller) { await this.env.STORE.put('ran', controller.cron + ' ' + made); }
}
`
	if err := os.WriteFile(src, []byte(code), 0o644); err != nil {
		t.Fatal(err)
	}
	js := jstest.Build(t, src)
	logs := &testutil.SyncBuffer{}
	ch, err := cronhost.New(cronhost.Config{Crons: []string{"0 0 * * *"}})
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
		Logger:     slog.New(slog.NewTextHandler(logs, nil)),
	})
	if err != nil {
		t.Fatal(err)
	}
	defer rt.Close(ctx)
	v, err := vars.New(map[string]vars.Var{"GREETING": {Kind: vars.Text, Value: "hi"}})
	if err != nil {
		t.Fatal(err)
	}
	ns := kv.NewNamespace(kv.NewMemory(nil), kv.DefaultLimits(), nil)
	w, err := rt.NewWorker(ctx, host.WorkerConfig{
		Name: "entrypoint", Wasm: js.Wasm, Init: js.Init, MapText: js.MapText,
		Bindings: append([]host.Binding{kv.NewBinding(map[string]*kv.Namespace{"STORE": ns}), v}, ch.Bindings()...),
	})
	if err != nil {
		t.Fatalf("%v\n%s", err, logs)
	}
	defer w.Close(ctx)
	for i := 1; i <= 2; i++ {
		rec := httptest.NewRecorder()
		w.ServeHTTP(rec, httptest.NewRequest("GET", "/x", nil))
		want := fmt.Sprintf(`{"made":%d,"args":1,"same":true,"store":"function","greeting":"hi"}`, i)
		if rec.Code != 200 || rec.Body.String() != want {
			t.Fatalf("GET /x: %d %s, want %s\n%s", rec.Code, rec.Body, want, logs)
		}
	}
	if got, _, _ := ns.Get(ctx, "fetched"); string(got) != "http://example.com/x" {
		t.Errorf("this.ctx.waitUntil stored %q", got)
	}
	if err := ch.Trigger(ctx, "0 0 * * *", time.Time{}); err != nil {
		t.Fatalf("scheduled: %v\n%s", err, logs)
	}
	if got, _, _ := ns.Get(ctx, "ran"); string(got) != "0 0 * * * 3" {
		t.Errorf("the scheduled handler stored %q, want the cron and a third instance", got)
	}
}
