package conformance_test

import (
	"encoding/json"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/bindery-run/bindery/bindings/queue"
	"github.com/bindery-run/bindery/host"
	"github.com/bindery-run/bindery/host/queuehost"
	"github.com/bindery-run/bindery/internal/badgerdb"
	"github.com/bindery-run/bindery/internal/testutil"
)

// TestCZigQueueWarnings holds the C and Zig SDKs' queue handlers to
// workerd's first-call-wins rules end to end, warnings included: ack()
// then retry() on a message and ackAll() then retryAll() on a batch each
// log workerd's warning, and both messages are acked (neither comes back). The conformance Workers' handlers make the calls (modes
// "ack-then-retry" and "ack-all-then-retry-all").
func TestCZigQueueWarnings(t *testing.T) {
	builds := map[string]func(*testing.T, string) (string, error){"c": buildC, "zig": buildZig}
	for _, lang := range []string{"c", "zig"} {
		t.Run(lang, func(t *testing.T) {
			wasm := buildOrSkip(t, lang, func() (string, error) { return builds[lang](t, t.TempDir()) })
			db, err := badgerdb.Open(t.TempDir(), nil)
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { db.Close() })
			b, err := queue.Open(db, queue.Options{})
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { b.Close() })
			retries := 2
			qh, err := queuehost.New(queuehost.Config{
				Broker:    b,
				Producers: map[string]queuehost.Producer{"QUEUE": {Queue: "conf-queue"}},
				Consumers: []queuehost.Consumer{{Queue: "conf-queue", Config: queue.ConsumerConfig{
					MaxBatchSize: 10, MaxBatchTimeout: 500 * time.Millisecond, MaxRetries: &retries,
				}}},
			})
			if err != nil {
				t.Fatal(err)
			}
			logs := &testutil.SyncBuffer{}
			w, _ := newWorker(t, "queue-warnings-"+lang, wasm, func(c *host.WorkerConfig) {
				c.Bindings = append(c.Bindings, qh.Bindings()...)
			}, logTo(t, logs))
			get := func(method, path, body string) string {
				rec := httptest.NewRecorder()
				w.ServeHTTP(rec, httptest.NewRequest(method, path, strings.NewReader(body)))
				return rec.Body.String()
			}
			for _, body := range []string{`{"key":"w1","mode":"ack-then-retry"}`, `{"key":"w2","mode":"ack-all-then-retry-all"}`} {
				if got := get("POST", "/queue/send?type=json", body); got != `{"ok":true}` {
					t.Fatalf("send %s: %s", body, got)
				}
			}
			type seen struct {
				ID       string `json:"id"`
				Attempts int    `json:"attempts"`
			}
			read := func(key string) (seen, bool) {
				var s seen
				raw := get("GET", "/queue/seen/"+key, "")
				if raw == "null" {
					return s, false
				}
				if err := json.Unmarshal([]byte(raw), &s); err != nil {
					t.Fatalf("seen %s: %q: %v", key, raw, err)
				}
				return s, true
			}
			deadline := time.Now().Add(10 * time.Second)
			for {
				_, ok1 := read("w1")
				_, ok2 := read("w2")
				if ok1 && ok2 {
					break
				}
				if time.Now().After(deadline) {
					t.Fatal("the handler never saw w1 and w2")
				}
				time.Sleep(20 * time.Millisecond)
			}
			// A retried message would come back at once (retry_delay 0).
			time.Sleep(1500 * time.Millisecond)
			w1, _ := read("w1")
			for _, key := range []string{"w1", "w2"} {
				if s, _ := read(key); s.Attempts != 1 {
					t.Errorf("seen %s: %+v, want one delivery", key, s)
				}
			}
			for _, want := range []string{
				"Received a call to retry() on message " + w1.ID + " after ack() was already called. Calling retry() on a message after calling ack() has no effect.",
				"Received a call to retryAll() after ackAll() was already called. Calling retryAll() after calling ackAll() has no effect.",
			} {
				if !strings.Contains(logs.String(), want) {
					t.Errorf("no warning %q in the log:\n%s", want, logs.String())
				}
			}
		})
	}
}
