package queue

import (
	"context"
	"log/slog"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/dgraph-io/badger/v4"

	"github.com/bindery-run/bindery/host/clock"
	"github.com/bindery-run/bindery/internal/badgerdb"
)

// t0 is the manual clock's start, on a whole second.
var t0 = time.Date(2026, 12, 7, 12, 0, 0, 0, time.UTC)

// logs collects log records.
type logs struct {
	mu  sync.Mutex
	out []slog.Record
}

func (l *logs) Enabled(context.Context, slog.Level) bool { return true }
func (l *logs) Handle(_ context.Context, r slog.Record) error {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.out = append(l.out, r.Clone())
	return nil
}
func (l *logs) WithAttrs([]slog.Attr) slog.Handler { return l }
func (l *logs) WithGroup(string) slog.Handler      { return l }

// find returns the records at level whose message contains msg, with
// their attributes as strings.
func (l *logs) find(level slog.Level, msg string) []map[string]string {
	l.mu.Lock()
	defer l.mu.Unlock()
	var out []map[string]string
	for _, r := range l.out {
		if r.Level != level || !strings.Contains(r.Message, msg) {
			continue
		}
		attrs := map[string]string{}
		r.Attrs(func(a slog.Attr) bool {
			attrs[a.Key] = a.Value.String()
			return true
		})
		out = append(out, attrs)
	}
	return out
}

// harness is a broker on a manual clock over a Badger database in a
// temporary directory.
type harness struct {
	t   testing.TB
	dir string
	clk *clock.Manual
	db  *badger.DB
	b   *Broker
	log *logs
}

func newHarness(t testing.TB) *harness {
	t.Helper()
	h := &harness{t: t, dir: t.TempDir(), clk: clock.NewManual(t0), log: &logs{}}
	h.open()
	t.Cleanup(h.close)
	return h
}

// open opens the database and the broker.
func (h *harness) open() {
	h.t.Helper()
	db, err := badgerdb.Open(h.dir, nil)
	if err != nil {
		h.t.Fatal(err)
	}
	h.db = db
	b, err := Open(db, Options{Clock: h.clk, Logger: slog.New(h.log)})
	if err != nil {
		h.t.Fatal(err)
	}
	h.b = b
}

// close closes the broker and the database (again: no-op).
func (h *harness) close() {
	if h.b != nil {
		if err := h.b.Close(); err != nil {
			h.t.Error(err)
		}
		h.b = nil
	}
	if h.db != nil {
		if err := h.db.Close(); err != nil {
			h.t.Error(err)
		}
		h.db = nil
	}
}

// reopen closes and opens the broker and database again.
func (h *harness) reopen() {
	h.t.Helper()
	h.close()
	h.open()
}

// send sends one text message per body, in one batch.
func (h *harness) send(queue string, delay time.Duration, bodies ...string) {
	h.t.Helper()
	msgs := make([]SendRequest, len(bodies))
	for i, s := range bodies {
		msgs[i] = SendRequest{Body: []byte(s), ContentType: Text, Delay: delay}
	}
	if err := h.b.Send(context.Background(), queue, msgs); err != nil {
		h.t.Fatal(err)
	}
}

// batch is a batch a handler got.
type batch struct {
	queue string
	msgs  []Message
	at    time.Time
}

func (b batch) bodies() []string {
	out := make([]string, len(b.msgs))
	for i, m := range b.msgs {
		out[i] = string(m.Body)
	}
	return out
}

// recorder is a handler that sends each batch to got and answers what
// decide says (nil: an empty outcome, acking the batch).
type recorder struct {
	clk    clock.Clock
	got    chan batch
	decide func(ctx context.Context, b batch) Outcome
}

func newRecorder(clk clock.Clock, decide func(ctx context.Context, b batch) Outcome) *recorder {
	return &recorder{clk: clk, got: make(chan batch, 10000), decide: decide}
}

func (r *recorder) handle(ctx context.Context, queue string, msgs []Message) Outcome {
	b := batch{queue: queue, msgs: make([]Message, len(msgs)), at: r.clk.Now()}
	for i, m := range msgs {
		m.Body = append([]byte(nil), m.Body...)
		b.msgs[i] = m
	}
	r.got <- b
	if r.decide == nil {
		return Outcome{}
	}
	return r.decide(ctx, b)
}

// next waits for the next batch.
func (r *recorder) next(t testing.TB) batch {
	t.Helper()
	select {
	case b := <-r.got:
		return b
	case <-time.After(10 * time.Second):
		t.Fatal("no batch delivered in 10 s")
		return batch{}
	}
}

// none checks that no batch was delivered.
func (r *recorder) none(t testing.TB) {
	t.Helper()
	select {
	case b := <-r.got:
		t.Fatalf("unexpected batch %q", b.bodies())
	default:
	}
}

// consume starts a consumer; the test's cleanup stops it.
func (h *harness) consume(queue string, c ConsumerConfig, hd Handler) func(context.Context) error {
	h.t.Helper()
	stop, err := h.b.Consume(queue, c, hd)
	if err != nil {
		h.t.Fatal(err)
	}
	return stop
}

// idle waits until queue's consumer runs no handler: every batch
// delivered has been settled and the consumer's timer set.
func (h *harness) idle(queue string) {
	h.t.Helper()
	waitFor(h.t, "the consumer of "+queue+" to be idle", func() bool {
		c := h.b.consumerOf(queue)
		if c == nil {
			return true
		}
		c.mu.Lock()
		defer c.mu.Unlock()
		return c.running == 0
	})
}

// waitFor polls cond until it holds (it waits for goroutines, never for
// the clock).
func waitFor(t testing.TB, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(time.Millisecond)
	}
}

func (h *harness) info(queue string) Info {
	h.t.Helper()
	i, err := h.b.Info(context.Background(), queue)
	if err != nil {
		h.t.Fatal(err)
	}
	return i
}

func (h *harness) peek(queue string, limit int) []Peeked {
	h.t.Helper()
	p, err := h.b.Peek(context.Background(), queue, limit)
	if err != nil {
		h.t.Fatal(err)
	}
	return p
}

func ptr[T any](v T) *T { return &v }
