package queuewit_test

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"reflect"
	"strings"
	"sync"
	"testing"

	"github.com/bindery-run/bindery/abi"
	"github.com/bindery-run/bindery/host/internal/logwit"
	"github.com/bindery-run/bindery/host/internal/queuewit"
	"github.com/bindery-run/bindery/host/internal/scheduledwit"
	"github.com/bindery-run/bindery/internal/testutil"
	"github.com/tetratelabs/wazero"
	"github.com/tetratelabs/wazero/imports/wasi_snapshot_preview1"
)

// These tests drive the Go SDK's packages queue and cron through the
// generated glue of bindery:queue and bindery:scheduled, with the test
// Worker guest-sdk/go/bindery/queue/testdata/worker: the host calls the
// queue and scheduled exports, and the Worker reports what it saw by
// sending to the producer binding OUT, a fake here.

// fakeProducer grants one binding, OUT, and records what is sent to it.
type fakeProducer struct {
	mu      sync.Mutex
	sent    []queuewit.SendRequest
	batches [][]queuewit.SendRequest
	delays  []abi.Option[uint32] // of each batch
}

func (p *fakeProducer) QueueOpen(ctx context.Context, name string) (queuewit.Queue, *queuewit.Error) {
	if name != "OUT" {
		return nil, &queuewit.Error{Tag: queuewit.ErrorNoSuchQueue, NoSuchQueue: fmt.Sprintf("no queue binding %q", name)}
	}
	return p, nil
}

func (p *fakeProducer) Send(ctx context.Context, m queuewit.SendRequest) *queuewit.Error {
	if len(m.Body) > 100 {
		return &queuewit.Error{Tag: queuewit.ErrorTooLarge, TooLarge: fmt.Sprintf("message of %d bytes is over 128 KB", len(m.Body))}
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	m.Body = bytes.Clone(m.Body)
	p.sent = append(p.sent, m)
	return nil
}

func (p *fakeProducer) SendBatch(ctx context.Context, ms []queuewit.SendRequest, delay abi.Option[uint32]) *queuewit.Error {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.batches = append(p.batches, ms)
	p.delays = append(p.delays, delay)
	return nil
}

// texts returns the bodies sent one at a time since the last call.
func (p *fakeProducer) texts() []string {
	p.mu.Lock()
	defer p.mu.Unlock()
	var out []string
	for _, m := range p.sent {
		out = append(out, string(m.Body))
	}
	p.sent = nil
	return out
}

// console records the Worker's console records.
type console struct {
	mu      sync.Mutex
	records []string
}

func (c *console) Log(ctx context.Context, level logwit.Level, message string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.records = append(c.records, fmt.Sprintf("%d %s", level, message))
}

func (c *console) take() []string {
	c.mu.Lock()
	defer c.mu.Unlock()
	r := c.records
	c.records = nil
	return r
}

type goWorker struct {
	ctx       context.Context
	inst      *abi.Instance
	consumer  *queuewit.ConsumerExports
	scheduled *scheduledwit.HandlerExports
	out       *fakeProducer
	console   *console
	memory    func() uint32
}

// newGoWorker instantiates the test Worker with the fakes.
func newGoWorker(t *testing.T) *goWorker {
	t.Helper()
	wasm, err := os.ReadFile(testutil.BuildGoGuest(t, "guest-sdk/go/bindery/queue/testdata/worker"))
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	r := wazero.NewRuntime(ctx)
	t.Cleanup(func() { r.Close(ctx) })
	wasi_snapshot_preview1.MustInstantiate(ctx, r)
	w := &goWorker{out: &fakeProducer{}, console: &console{}}
	modules := []struct {
		name   string
		define func(wazero.HostModuleBuilder, int)
		impl   any
	}{
		{logwit.ConsoleInterface, logwit.DefineConsole, w.console},
		{queuewit.ProducerInterface, queuewit.DefineProducer, w.out},
	}
	impls := make([]any, len(modules))
	for i, m := range modules {
		hb := r.NewHostModuleBuilder(m.name)
		m.define(hb, i)
		if _, err := hb.Instantiate(ctx); err != nil {
			t.Fatalf("define %s: %v", m.name, err)
		}
		impls[i] = m.impl
	}
	mod, err := r.InstantiateWithConfig(ctx, wasm, wazero.NewModuleConfig().WithStartFunctions("_initialize").WithStderr(os.Stderr))
	if err != nil {
		t.Fatal(err)
	}
	if w.inst, err = abi.NewInstance(mod, impls); err != nil {
		t.Fatal(err)
	}
	if w.consumer, err = queuewit.NewConsumerExports(mod); err != nil {
		t.Fatal(err)
	}
	if w.scheduled, err = scheduledwit.NewHandlerExports(mod); err != nil {
		t.Fatal(err)
	}
	w.ctx = abi.WithInstance(ctx, w.inst)
	w.memory = func() uint32 { return mod.Memory().Size() }
	return w
}

// texts makes a batch of text messages, ids m0, m1, ...
func texts(bodies ...string) []queuewit.Message {
	ms := make([]queuewit.Message, len(bodies))
	for i, b := range bodies {
		ms[i] = queuewit.Message{ID: fmt.Sprintf("m%d", i), Timestamp: 1765000000123 + int64(i), Body: []byte(b), ContentType: queuewit.ContentTypeText, Attempts: uint32(i + 1)}
	}
	return ms
}

func some(n uint32) abi.Option[uint32] { return abi.Option[uint32]{Some: true, Value: n} }

// The outcome the host gets is what the handler decided, with workerd's
// rules and their console warnings; an error or a panic is its error.
func TestGoSDKQueueOutcome(t *testing.T) {
	w := newGoWorker(t)
	for _, tt := range []struct {
		name     string
		msgs     []queuewit.Message
		want     queuewit.Outcome
		errText  string   // the outcome's error starts with it
		warnings []string // each console record at level warn contains one, in order
		reports  []string // sent to OUT
	}{
		{
			name: "ack and retry",
			msgs: texts("ack", "retry:30", "ack retry", "", "retry ack", "retry:-1 describe"),
			want: queuewit.Outcome{Acked: []uint32{0, 2}, Retried: []queuewit.RetryRequest{
				{Index: 1, DelaySeconds: some(30)}, {Index: 4}, {Index: 5, DelaySeconds: some(0)}}},
			warnings: []string{
				"Received a call to retry() on message m2 after ack() was already called.",
				"Received a call to ack() on message m4 after retry() was already called.",
			},
			reports: []string{"conf-q m5 1765000000128 6 text retry:-1 describe"},
		},
		{
			name:     "retryAll wins over a later ackAll",
			msgs:     texts("retry-all:10", "ack-all ack"),
			want:     queuewit.Outcome{RetryAll: true, RetryAllDelay: some(10)},
			warnings: []string{"ackAll() after retryAll()", "ack() on message m1 after retryAll()"},
		},
		{
			name:     "ackAll wins over a later retry",
			msgs:     texts("ack-all", "retry:3 retry-all"),
			want:     queuewit.Outcome{AckAll: true},
			warnings: []string{"retry() on message m1 after ackAll()", "retryAll() after ackAll()"},
		},
		{
			name:    "an error keeps the decisions",
			msgs:    texts("ack error:x", "retry"),
			want:    queuewit.Outcome{Acked: []uint32{0}, Retried: []queuewit.RetryRequest{{Index: 1}}},
			errText: "failed on purpose: x",
		},
		{
			name:    "a panic",
			msgs:    texts("ack", "panic"),
			want:    queuewit.Outcome{Acked: []uint32{0}},
			errText: "panic in the queue handler (queue conf-q): panicked on purpose\ngoroutine",
		},
		{
			name:    "a send's error is the host's message",
			msgs:    texts("send:too-large"),
			errText: "send:too-large: kind too-large: message of 200 bytes is over 128 KB",
		},
		{
			name:    "an unknown binding",
			msgs:    texts("open:NOPE"),
			errText: `open:NOPE: open queue binding "NOPE": no queue binding "NOPE"`,
		},
		{
			name:    "a body that does not fit its content type",
			msgs:    texts("send:bad-text"),
			errText: "send:bad-text: queue: a text message's body must be a string, not int",
		},
		{
			name: "bodies by content type",
			msgs: []queuewit.Message{
				{ID: "b", Timestamp: 1, Body: []byte{0, 1, 0xff}, ContentType: queuewit.ContentTypeBytes, Attempts: 1},
				{ID: "j", Timestamp: 2, Body: []byte(`{"key": "k", "n": 1.5}`), ContentType: queuewit.ContentTypeJSON, Attempts: 2},
				{ID: "v", Timestamp: 3, Body: []byte{0xd9, 0xd9, 0xf7, 0xa1, 0x61, 'k', 0x43, 0, 1, 0xff}, ContentType: queuewit.ContentTypeV8, Attempts: 3},
			},
			reports: []string{
				"conf-q b 1 1 bytes 0001ff",
				"conf-q j 2 2 json map[key:k n:1.5]",
				`conf-q v 3 3 v8 structured.Object{structured.Member{Key:"k", Value:[]uint8{0x0, 0x1, 0xff}}}`,
			},
		},
		{
			name:    "a v8 body that is not the encoding",
			msgs:    []queuewit.Message{{ID: "bad", Body: []byte("x"), ContentType: queuewit.ContentTypeV8, Attempts: 1}},
			errText: "queue: message bad: decoding its structured (v8) body:",
		},
	} {
		t.Run(tt.name, func(t *testing.T) {
			got, err := w.consumer.Queue(w.ctx, w.inst, "conf-q", tt.msgs)
			if err != nil {
				t.Fatal(err)
			}
			if tt.errText != "" {
				if !got.Error.Some || !strings.HasPrefix(got.Error.Value, tt.errText) {
					t.Errorf("error = %+v, want it to start with %q", got.Error, tt.errText)
				}
			} else if got.Error.Some {
				t.Errorf("error = %q, want none", got.Error.Value)
			}
			got.Error = abi.Option[string]{}
			if !reflect.DeepEqual(normal(got), normal(tt.want)) {
				t.Errorf("outcome = %+v, want %+v", got, tt.want)
			}
			records := w.console.take()
			if len(records) != len(tt.warnings) {
				t.Fatalf("console = %q, want %d warnings", records, len(tt.warnings))
			}
			for i, s := range tt.warnings {
				if !strings.HasPrefix(records[i], fmt.Sprintf("%d ", logwit.LevelWarn)) || !strings.Contains(records[i], s) {
					t.Errorf("console record %d = %q, want a warning with %q", i, records[i], s)
				}
			}
			if reports := w.out.texts(); !reflect.DeepEqual(reports, tt.reports) {
				t.Errorf("reports = %q, want %q", reports, tt.reports)
			}
		})
	}
}

// normal makes empty lists nil, for comparison.
func normal(o queuewit.Outcome) queuewit.Outcome {
	if len(o.Acked) == 0 {
		o.Acked = nil
	}
	if len(o.Retried) == 0 {
		o.Retried = nil
	}
	return o
}

// What the producer sends crosses with its content type and delays.
func TestGoSDKQueueSend(t *testing.T) {
	w := newGoWorker(t)
	out, err := w.consumer.Queue(w.ctx, w.inst, "conf-q", texts("send:text send:bytes send:json send:v8 send:batch"))
	if err != nil || out.Error.Some {
		t.Fatalf("queue: %+v, %v", out, err)
	}
	want := []queuewit.SendRequest{
		{Body: []byte("héllo"), ContentType: queuewit.ContentTypeText, DelaySeconds: some(5)},
		{Body: []byte{0, 1, 0xff}, ContentType: queuewit.ContentTypeBytes},
		{Body: []byte(`{"a":1}`), ContentType: queuewit.ContentTypeJSON},
		{Body: []byte{0xd9, 0xd9, 0xf7, 0xa2, 0x63, 'k', 'e', 'y', 0x61, 'k', 0x61, 'b', 0x43, 0, 1, 0xff}, ContentType: queuewit.ContentTypeV8, DelaySeconds: some(0)},
	}
	if !reflect.DeepEqual(w.out.sent, want) {
		t.Errorf("sent %+v\nwant %+v", w.out.sent, want)
	}
	wantBatch := []queuewit.SendRequest{
		{Body: []byte("one"), ContentType: queuewit.ContentTypeText},
		{Body: []byte{2}, ContentType: queuewit.ContentTypeBytes, DelaySeconds: some(7)},
		{Body: []byte{0xd9, 0xd9, 0xf7, 0xfb, 0x3f, 0xf8, 0, 0, 0, 0, 0, 0}, ContentType: queuewit.ContentTypeV8, DelaySeconds: some(0)},
	}
	if len(w.out.batches) != 1 || !reflect.DeepEqual(w.out.batches[0], wantBatch) || w.out.delays[0] != some(30) {
		t.Errorf("batches %+v, delays %+v\nwant [%+v], [30]", w.out.batches, w.out.delays, wantBatch)
	}
}

// The scheduled handler gets the controller; its error or panic is the
// event's error.
func TestGoSDKScheduled(t *testing.T) {
	w := newGoWorker(t)
	for _, tt := range []struct {
		cron    string
		errText string
		report  string
	}{
		{cron: "*/5 * * * *", report: "cron */5 * * * * 1765000800000 scheduled"},
		{cron: "fail", errText: "cron failed"},
		{cron: "panic", errText: `panic in the scheduled handler (cron "panic"): cron panicked` + "\ngoroutine"},
	} {
		gerr, err := w.scheduled.Scheduled(w.ctx, w.inst, scheduledwit.Controller{Cron: tt.cron, ScheduledTime: 1765000800000})
		if err != nil {
			t.Fatal(err)
		}
		switch {
		case tt.errText == "" && gerr != nil:
			t.Errorf("%s: error %q", tt.cron, *gerr)
		case tt.errText != "" && (gerr == nil || !strings.HasPrefix(*gerr, tt.errText)):
			t.Errorf("%s: error %v, want %q", tt.cron, gerr, tt.errText)
		}
		var want []string
		if tt.report != "" {
			want = []string{tt.report}
		}
		if got := w.out.texts(); !reflect.DeepEqual(got, want) {
			t.Errorf("%s: reports %q, want %q", tt.cron, got, want)
		}
	}
}

// Many batches of big messages leave the Worker's memory flat: the arena
// the host lowers a batch into is released after each, and the garbage
// is collected (a reactor's GC would keep it: 528 MiB over these batches).
func TestGoSDKQueueMemory(t *testing.T) {
	w := newGoWorker(t)
	msgs := texts(make([]string, 10)...)
	for i := range msgs {
		msgs[i].Body = bytes.Repeat([]byte(" "), 32<<10)
	}
	var after10 uint32
	for i := range 800 {
		out, err := w.consumer.Queue(w.ctx, w.inst, "conf-q", msgs)
		if err != nil || out.Error.Some {
			t.Fatalf("batch %d: %+v, %v", i, out, err)
		}
		if i == 10 {
			after10 = w.memory()
		}
	}
	grown := w.memory() - after10
	t.Logf("memory grew by %d KiB over 790 batches", grown>>10)
	if grown > 32<<20 {
		t.Errorf("memory grew by %d MiB over 790 batches of 320 KiB", grown>>20)
	}
}
