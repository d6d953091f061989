package host_test

import (
	"context"
	"encoding/hex"
	"encoding/json"
	"log/slog"
	"net/http/httptest"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"sync"
	"testing"

	"github.com/bindery-run/bindery/abi"
	"github.com/bindery-run/bindery/bindings/cache"
	"github.com/bindery-run/bindery/bindings/d1"
	"github.com/bindery-run/bindery/bindings/kv"
	"github.com/bindery-run/bindery/bindings/r2"
	"github.com/bindery-run/bindery/bindings/vars"
	"github.com/bindery-run/bindery/host"
	"github.com/bindery-run/bindery/host/durablehost"
	"github.com/bindery-run/bindery/host/internal/queuewit"
	"github.com/bindery-run/bindery/host/internal/scheduledwit"
	"github.com/bindery-run/bindery/internal/testutil"
)

// sentBatch is one send or sendBatch a fakeProducer took.
type sentBatch struct {
	Messages []queuewit.SendRequest
	Delay    abi.Option[uint32]
}

// fakeProducer is a bindery:queue/producer binding granting the queue
// QUEUE, which records what it is sent, and refuses a message whose body
// is "fail" as too large.
type fakeProducer struct {
	mu   sync.Mutex
	sent []sentBatch
}

func (p *fakeProducer) WIT() abi.Interface {
	return abi.Interface{Name: queuewit.ProducerInterface, Define: queuewit.DefineProducer, Deny: &fakeProducer{}}
}

func (p *fakeProducer) QueueOpen(ctx context.Context, name string) (queuewit.Queue, *queuewit.Error) {
	if name != "QUEUE" || p == nil {
		return nil, &queuewit.Error{Tag: queuewit.ErrorNoSuchQueue, NoSuchQueue: name}
	}
	return p, nil
}

func (p *fakeProducer) Send(ctx context.Context, m queuewit.SendRequest) *queuewit.Error {
	return p.SendBatch(ctx, []queuewit.SendRequest{m}, abi.None[uint32]())
}

func (p *fakeProducer) SendBatch(ctx context.Context, msgs []queuewit.SendRequest, delay abi.Option[uint32]) *queuewit.Error {
	for _, m := range msgs {
		if string(m.Body) == "fail" {
			return &queuewit.Error{Tag: queuewit.ErrorTooLarge, TooLarge: "message is over 128 KB"}
		}
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	p.sent = append(p.sent, sentBatch{Messages: msgs, Delay: delay})
	return nil
}

// pythonQueueWorker builds the Python Worker src and runs it with a KV
// namespace STORE and the queue binding QUEUE (producer); logs collects
// its log.
func pythonQueueWorker(t *testing.T, src string, logs *testutil.SyncBuffer, producer *fakeProducer) *host.Worker {
	t.Helper()
	if testing.Short() {
		t.Skip("-short: building a Python Worker takes ~20 s")
	}
	wasm := readWasm(t, testutil.BuildPythonGuest(t, src))
	ctx := context.Background()
	cacheDir, _ := os.UserCacheDir()
	rt, err := host.NewRuntime(ctx, host.RuntimeConfig{
		CacheDir:   filepath.Join(cacheDir, "bindery-test", "wazero"),
		Interfaces: []abi.Interface{kv.WIT(), vars.WIT(), r2.WIT(), cache.WIT(), d1.WIT(), durablehost.ClientWIT(), durablehost.StateWIT()},
		Logger:     slog.New(slog.NewTextHandler(logs, nil)),
	})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { rt.Close(ctx) })
	v, err := vars.New(map[string]vars.Var{"GREETING": {Kind: vars.Text, Value: "hi"}})
	if err != nil {
		t.Fatal(err)
	}
	store := kv.NewNamespace(kv.NewMemory(nil), kv.DefaultLimits(), nil)
	w, err := rt.NewWorker(ctx, host.WorkerConfig{Name: "queue-py", Wasm: wasm,
		Bindings: []host.Binding{v, kv.NewBinding(map[string]*kv.Namespace{"STORE": store}), producer}})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { w.Close(ctx) })
	return w
}

// callQueue calls the Worker's bindery:queue/consumer export.
func callQueue(t *testing.T, w *host.Worker, queue string, msgs []queuewit.Message) queuewit.Outcome {
	t.Helper()
	var out queuewit.Outcome
	err := w.Guest().Call(context.Background(), func(ctx context.Context, inst *abi.Instance) error {
		ex, err := queuewit.NewConsumerExports(inst.Lookup())
		if err != nil {
			return err
		}
		out, err = ex.Queue(ctx, inst, queue, msgs)
		return err
	})
	if err != nil {
		t.Fatalf("queue %s: %v", queue, err)
	}
	return out
}

// callScheduled calls the Worker's bindery:scheduled/handler export and
// returns its error ("" for none).
func callScheduled(t *testing.T, w *host.Worker, c scheduledwit.Controller) string {
	t.Helper()
	var gerr *string
	err := w.Guest().Call(context.Background(), func(ctx context.Context, inst *abi.Instance) error {
		ex, err := scheduledwit.NewHandlerExports(inst.Lookup())
		if err != nil {
			return err
		}
		gerr, err = ex.Scheduled(ctx, inst, c)
		return err
	})
	if err != nil {
		t.Fatalf("scheduled %q: %v", c.Cron, err)
	}
	if gerr == nil {
		return ""
	}
	return *gerr
}

// kvJSON reads KV key through the Worker's GET /kv/<key> as JSON.
func kvJSON(t *testing.T, w *host.Worker, key string) any {
	t.Helper()
	rec := httptest.NewRecorder()
	w.ServeHTTP(rec, httptest.NewRequest("GET", "/kv/"+key, nil))
	if rec.Code != 200 {
		t.Fatalf("GET /kv/%s: %d %s", key, rec.Code, rec.Body)
	}
	var v any
	if err := json.Unmarshal(rec.Body.Bytes(), &v); err != nil {
		t.Fatalf("GET /kv/%s: %v: %s", key, err, rec.Body)
	}
	return v
}

// normalOutcome is o with empty lists as nil, for reflect.DeepEqual.
func normalOutcome(o queuewit.Outcome) queuewit.Outcome {
	if len(o.Acked) == 0 {
		o.Acked = nil
	}
	if len(o.Retried) == 0 {
		o.Retried = nil
	}
	return o
}

// v8Body is {"key": "v8", "b": ArrayBuffer 00 01 ff, "n": 1.5} in the
// structured-value encoding (docs/durable-objects.md).
var v8Body, _ = hex.DecodeString("d9d9f7a3636b65796276386162430001ff616efb3ff8000000000000")

// TestPythonQueueExports calls the queue and scheduled handlers of a
// Python Worker (guest-sdk/python/testdata/queue_worker.py, in the
// on_queue / on_scheduled style) through the component's exports: bodies
// decoded per content type, the outcome as the SDK recorded it (acks,
// retries and their delays, ackAll, retryAll, first call wins with a
// warning in the log), an exception as the outcome's error with what was
// recorded before it, ctx.waitUntil work run, the scheduled controller
// and a failed scheduled handler; env.QUEUE's sends through a recording
// producer (each content type, options in each spelling, delays, what
// the SDK and the host refuse); and a Worker without handlers
// (examples/hello-py) answering "no queue handler" and "no scheduled
// handler".
func TestPythonQueueExports(t *testing.T) {
	logs := &testutil.SyncBuffer{}
	producer := &fakeProducer{}
	w := pythonQueueWorker(t, "guest-sdk/python/testdata/queue_worker.py", logs, producer)
	id := func(i int) string { return strings.Repeat("0", 31) + string(rune('a'+i)) }
	jsonMsg := func(i int, ops ...string) queuewit.Message {
		b, _ := json.Marshal(map[string]any{"key": i, "ops": ops})
		return queuewit.Message{ID: id(i), Timestamp: 1733616000123, Body: b, ContentType: queuewit.ContentTypeJSON, Attempts: 1}
	}
	none := abi.None[uint32]()
	for _, c := range []struct {
		name  string
		msgs  []queuewit.Message
		want  queuewit.Outcome
		error string // what the outcome's error must contain
		warn  string // what the log must contain
	}{{
		name: "bodies",
		msgs: []queuewit.Message{
			{ID: id(0), Timestamp: 1733616000123, Body: []byte("héllo"), ContentType: queuewit.ContentTypeText, Attempts: 1},
			{ID: id(1), Timestamp: -1, Body: []byte{0, 1, 0xff}, ContentType: queuewit.ContentTypeBytes, Attempts: 2},
			{ID: id(2), Timestamp: 0, Body: []byte(`{"a":[1,2.5,null]}`), ContentType: queuewit.ContentTypeJSON, Attempts: 3},
			{ID: id(3), Timestamp: 1, Body: v8Body, ContentType: queuewit.ContentTypeV8, Attempts: 4},
		},
	}, {
		name: "acks and retries",
		msgs: []queuewit.Message{jsonMsg(0, "ack"), jsonMsg(1, "retry:30"), jsonMsg(2, "retry"), jsonMsg(3, "ack", "retry"), jsonMsg(4)},
		want: queuewit.Outcome{Acked: []uint32{0, 3}, Retried: []queuewit.RetryRequest{{Index: 1, DelaySeconds: abi.Some[uint32](30)}, {Index: 2, DelaySeconds: none}}},
		warn: "Received a call to retry() on message " + id(3) + " after ack() was already called",
	}, {
		name: "retryAll then ack",
		msgs: []queuewit.Message{jsonMsg(0, "retryAll:5"), jsonMsg(1, "ack")},
		want: queuewit.Outcome{RetryAll: true, RetryAllDelay: abi.Some[uint32](5)},
		warn: "Received a call to ack() on message " + id(1) + " after retryAll() was already called",
	}, {
		name: "ackAll then retryAll",
		msgs: []queuewit.Message{jsonMsg(0, "retry"), jsonMsg(1, "ackAll", "retryAll")},
		want: queuewit.Outcome{Retried: []queuewit.RetryRequest{{Index: 0, DelaySeconds: none}}, AckAll: true},
		warn: "Received a call to retryAll() after ackAll() was already called",
	}, {
		name:  "throw",
		msgs:  []queuewit.Message{jsonMsg(0, "ack"), jsonMsg(1, "throw"), jsonMsg(2, "ack")},
		want:  queuewit.Outcome{Acked: []uint32{0}},
		error: "ValueError: thrown at message " + id(1),
	}} {
		t.Run(c.name, func(t *testing.T) {
			queue := "q-" + strings.ReplaceAll(c.name, " ", "-")
			got := callQueue(t, w, queue, c.msgs)
			msg, threw := got.Error.Get()
			if threw != (c.error != "") || !strings.Contains(msg, c.error) {
				t.Errorf("error %q (set: %v), want one containing %q", msg, threw, c.error)
			}
			got.Error = abi.None[string]()
			if !reflect.DeepEqual(normalOutcome(got), normalOutcome(c.want)) {
				t.Errorf("outcome\n%+v, want\n%+v", got, c.want)
			}
			if c.warn != "" && !strings.Contains(logs.String(), c.warn) {
				t.Errorf("the log has no %q:\n%s", c.warn, logs)
			}
			// The handler saw every message (up to a throw), and its
			// waitUntil work ran.
			seen, _ := kvJSON(t, w, "seen:"+queue).([]any)
			n := len(c.msgs)
			if c.error != "" {
				n = 2
			}
			if len(seen) != n {
				t.Fatalf("seen %d messages, want %d: %v", len(seen), n, seen)
			}
			for i, s := range seen {
				m := s.(map[string]any)
				if m["id"] != c.msgs[i].ID || m["timestamp"] != float64(c.msgs[i].Timestamp) || m["attempts"] != float64(c.msgs[i].Attempts) {
					t.Errorf("message %d: seen %v, sent %+v", i, m, c.msgs[i])
				}
			}
			if c.name == "bodies" {
				for i, want := range []map[string]any{
					{"type": "str", "body": "héllo"},
					{"type": "ArrayBuffer", "body": "0001ff"},
					{"type": "JsObject", "body": map[string]any{"a": []any{1.0, 2.5, nil}}},
					{"type": "JsObject", "body": map[string]any{"key": "v8", "b": "0001ff", "n": 1.5}},
				} {
					m := seen[i].(map[string]any)
					if m["type"] != want["type"] || !reflect.DeepEqual(m["body"], want["body"]) {
						t.Errorf("message %d: seen type %v body %v, want %v", i, m["type"], m["body"], want)
					}
				}
			}
		})
	}

	t.Run("scheduled", func(t *testing.T) {
		if err := callScheduled(t, w, scheduledwit.Controller{Cron: "*/5 * * * *", ScheduledTime: 1733616000000}); err != "" {
			t.Fatalf("scheduled: %s", err)
		}
		want := map[string]any{"cron": "*/5 * * * *", "scheduledTime": 1733616000000.0, "type": "scheduled"}
		if got := kvJSON(t, w, "cron"); !reflect.DeepEqual(got, want) {
			t.Errorf("the controller: %v, want %v", got, want)
		}
		err := callScheduled(t, w, scheduledwit.Controller{Cron: "0 0 * * *", ScheduledTime: 60000})
		if !strings.Contains(err, "RuntimeError: scheduled failed on purpose") {
			t.Errorf("a failed scheduled handler: %q", err)
		}
	})

	t.Run("produce", func(t *testing.T) {
		rec := httptest.NewRecorder()
		w.ServeHTTP(rec, httptest.NewRequest("GET", "/produce", nil))
		if rec.Code != 200 {
			t.Fatalf("GET /produce: %d %s\nlog:\n%s", rec.Code, rec.Body, logs)
		}
		one := func(body string, ct queuewit.ContentType, delay abi.Option[uint32]) queuewit.SendRequest {
			return queuewit.SendRequest{Body: []byte(body), ContentType: ct, DelaySeconds: delay}
		}
		text, bytes, jsonType, v8 := queuewit.ContentTypeText, queuewit.ContentTypeBytes, queuewit.ContentTypeJSON, queuewit.ContentTypeV8
		want := []sentBatch{
			{Messages: []queuewit.SendRequest{one("text", text, none)}},
			{Messages: []queuewit.SendRequest{one("\x00\xff", bytes, abi.Some[uint32](5))}},
			{Messages: []queuewit.SendRequest{one(`{"a":[1,"é"]}`, jsonType, none)}},
			{Messages: []queuewit.SendRequest{one(string(v8Body), v8, none)}},
			{Messages: []queuewit.SendRequest{one("b1", text, none), one("b2", text, abi.Some[uint32](3))}, Delay: abi.Some[uint32](7)},
			{Messages: []queuewit.SendRequest{one("b3", bytes, none)}},
		}
		producer.mu.Lock()
		got := producer.sent
		producer.mu.Unlock()
		if !reflect.DeepEqual(got, want) {
			t.Errorf("sent\n%+v, want\n%+v", got, want)
		}
		var refused map[string]string
		if err := json.Unmarshal(rec.Body.Bytes(), &refused); err != nil {
			t.Fatalf("GET /produce: %v: %s", err, rec.Body)
		}
		for name, want := range map[string]string{
			"host":            "BindingError too-large: message is over 128 KB",
			"text-not-str":    "TypeError",
			"unknown-type":    "TypeError",
			"negative-delay":  "BindingError invalid-argument: delaySeconds -1 is out of range (0 to 4294967295)",
			"unknown-option":  "TypeError",
			"batch-not-dicts": "TypeError",
			"v8-function":     "DataCloneError",
			"ungranted":       "absent",
		} {
			if refused[name] != want {
				t.Errorf("%s: %q, want %q", name, refused[name], want)
			}
		}
	})

	t.Run("no handlers", func(t *testing.T) {
		w := pythonQueueWorker(t, "examples/hello-py/worker.py", &testutil.SyncBuffer{}, &fakeProducer{})
		out := callQueue(t, w, "q", []queuewit.Message{{ID: id(0), Body: []byte("x"), ContentType: queuewit.ContentTypeText, Attempts: 1}})
		want := queuewit.Outcome{Error: abi.Some("no queue handler")}
		if !reflect.DeepEqual(normalOutcome(out), normalOutcome(want)) {
			t.Errorf("queue: %+v, want %+v", out, want)
		}
		if err := callScheduled(t, w, scheduledwit.Controller{Cron: "* * * * *"}); err != "no scheduled handler" {
			t.Errorf("scheduled: %q, want \"no scheduled handler\"", err)
		}
	})
}
