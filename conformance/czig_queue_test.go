package conformance_test

import (
	"context"
	"encoding/json"
	"errors"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/bindery-run/bindery/bindings/kv"
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
			retries := 2
			qh := czigQueues(t, "QUEUE", "conf-queue", queue.ConsumerConfig{MaxBatchSize: 10, MaxBatchTimeout: 500 * time.Millisecond, MaxRetries: &retries})
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

// czigQueues returns a queuehost over a broker of its own: the producer
// binding named binding sends to q, which the Worker consumes with cfg.
func czigQueues(t *testing.T, binding, q string, cfg queue.ConsumerConfig) *queuehost.Host {
	t.Helper()
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
	qh, err := queuehost.New(queuehost.Config{
		Broker:    b,
		Producers: map[string]queuehost.Producer{binding: {Queue: q}},
		Consumers: []queuehost.Consumer{{Queue: q, Config: cfg}},
	})
	if err != nil {
		t.Fatal(err)
	}
	return qh
}

// TestCZigQueueDocExamples runs the Queues examples of docs/sdk-c.md and
// docs/sdk-zig.md: what the fetch handler sends, the queue handler stores
// in KV (C: the text; Zig: the v8 value's user and the text of the batch,
// while the JSON message is retried in a minute and "hello" is delayed).
func TestCZigQueueDocExamples(t *testing.T) {
	root := testutil.RepoRoot(t)
	tests := []struct {
		lang, doc, fence, script, file, method, path, body string
		want                                               []string
	}{
		{"c", "sdk-c.md", "```c\n", "guest-sdk/c/build.sh", "queues.c", "POST", "/enqueue", "job 1", []string{"job 1"}},
		{"zig", "sdk-zig.md", "```zig\n", "guest-sdk/zig/build.sh", "queues.zig", "GET", "/", "", []string{"a", "ada"}},
	}
	for _, tt := range tests {
		t.Run(tt.lang, func(t *testing.T) {
			doc, err := os.ReadFile(filepath.Join(root, "docs", tt.doc))
			if err != nil {
				t.Fatal(err)
			}
			_, section, _ := strings.Cut(string(doc), "## Queues and cron triggers")
			_, code, ok := strings.Cut(section, tt.fence)
			code, _, ok2 := strings.Cut(code, "```")
			if !ok || !ok2 {
				t.Fatalf("no example in docs/%s's Queues and cron triggers section", tt.doc)
			}
			dir := t.TempDir()
			src := filepath.Join(dir, tt.file)
			if err := os.WriteFile(src, []byte(code), 0o644); err != nil {
				t.Fatal(err)
			}
			script := filepath.Join(root, tt.script)
			wasm := buildOrSkip(t, tt.lang, func() (string, error) {
				if err := probeToolchain(script); err != nil {
					return "", err
				}
				out := filepath.Join(dir, "w.wasm")
				if b, err := exec.Command("bash", script, "-o", out, src).CombinedOutput(); err != nil {
					return "", errors.New(err.Error() + "\n" + string(b))
				}
				return out, nil
			})
			qh := czigQueues(t, "JOBS", "jobs", queue.ConsumerConfig{MaxBatchTimeout: 50 * time.Millisecond})
			w, st := newWorker(t, "queue-doc-"+tt.lang, wasm, func(c *host.WorkerConfig) {
				c.Bindings = append(c.Bindings, qh.Bindings()...)
			})
			rec := httptest.NewRecorder()
			w.ServeHTTP(rec, httptest.NewRequest(tt.method, tt.path, strings.NewReader(tt.body)))
			if rec.Code != 202 {
				t.Fatalf("%s %s: %d %s", tt.method, tt.path, rec.Code, rec.Body)
			}
			ctx := context.Background()
			var got []string
			for deadline := time.Now().Add(10 * time.Second); time.Now().Before(deadline); time.Sleep(20 * time.Millisecond) {
				page, err := st.KV("store").List(ctx, kv.ListOptions{})
				if err != nil {
					t.Fatal(err)
				}
				got = got[:0]
				for _, k := range page.Keys {
					v, _, err := st.KV("store").Get(ctx, k.Name)
					if err != nil {
						t.Fatal(err)
					}
					got = append(got, string(v))
				}
				slices.Sort(got)
				if slices.Equal(got, tt.want) {
					return
				}
			}
			t.Errorf("KV holds %q, want %q", got, tt.want)
		})
	}
}
