package queue

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"runtime"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/bindery-run/bindery/internal/badgerdb"
)

// TestGroupCommit: sends that wait at the same time share one sync.
func TestGroupCommit(t *testing.T) {
	h := newHarness(t)
	const n = 50
	var once sync.Once
	var mu sync.Mutex
	var sizes []int
	// The first sync waits until every other send is committed: they
	// are then synced together.
	h.b.syncHook = func(reqs int) {
		mu.Lock()
		sizes = append(sizes, reqs)
		mu.Unlock()
		once.Do(func() {
			waitFor(t, "the other sends", func() bool { return h.b.Stats().Commits == n })
		})
	}
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() {
			if err := h.b.Send(context.Background(), "q", []SendRequest{{Body: []byte(fmt.Sprint(i))}}); err != nil {
				t.Error(err)
			}
		})
	}
	wg.Wait()
	s := h.b.Stats()
	if s.Commits != n || s.Syncs != 2 || s.Sent != n {
		t.Errorf("Stats = %+v (writes of %v requests), want %d sends made durable by 2 syncs", s, sizes, n)
	}
	if i := h.info("q"); i.Ready != n {
		t.Errorf("Info = %+v", i)
	}
}

// TestManySenders: thousands of messages sent from many goroutines, on
// the real clock, some batches failing, are all delivered and acked.
func TestManySenders(t *testing.T) {
	h := &harness{t: t, dir: t.TempDir(), log: &logs{}}
	db, err := badgerdb.Open(h.dir, nil)
	if err != nil {
		t.Fatal(err)
	}
	h.db = db
	h.b, err = Open(db, Options{Logger: slog.New(h.log)})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(h.close)
	const senders, sends = 40, 50
	var mu sync.Mutex
	seen := map[string]int{}
	batches := 0
	h.consume("q", ConsumerConfig{MaxBatchSize: 10, MaxBatchTimeout: 5 * time.Millisecond, MaxConcurrency: 8, MaxRetries: ptr(100)},
		func(_ context.Context, _ string, msgs []Message) Outcome {
			mu.Lock()
			defer mu.Unlock()
			batches++
			for _, m := range msgs {
				seen[string(m.Body)]++
			}
			if batches%5 == 0 {
				return Outcome{Err: errors.New("every fifth batch fails")}
			}
			return Outcome{}
		})
	var wg sync.WaitGroup
	total := 0
	for g := range senders {
		n := 0
		for i := range sends {
			n += 1 + i%3
		}
		total += n
		wg.Go(func() {
			for i := range sends {
				msgs := make([]SendRequest, 1+i%3)
				for j := range msgs {
					msgs[j] = SendRequest{Body: fmt.Appendf(nil, "%d/%d/%d", g, i, j)}
				}
				if err := h.b.Send(context.Background(), "q", msgs); err != nil {
					t.Error(err)
					return
				}
			}
		})
	}
	wg.Wait()
	waitFor(t, "every message acked", func() bool { return h.b.Stats().Acked == uint64(total) })
	mu.Lock()
	defer mu.Unlock()
	if len(seen) != total {
		t.Errorf("%d distinct messages delivered, want %d", len(seen), total)
	}
	s := h.b.Stats()
	if s.Sent != uint64(total) || s.Delivered != s.Acked+s.Retried {
		t.Errorf("Stats = %+v", s)
	}
	t.Logf("%d messages, %d batches; %d write requests, %d syncs", total, batches, s.Commits, s.Syncs)
	if i := h.info("q"); i.Ready+i.Delayed+i.InFlight != 0 {
		t.Errorf("Info = %+v", i)
	}
}

func TestPeekInfoPurge(t *testing.T) {
	h := newHarness(t)
	ctx := context.Background()
	h.send("q", 0, "a", "b")
	h.send("q", 0, "c")
	h.send("q", time.Minute, "later")
	h.send("other", 0, "x")
	if err := h.b.SetRetention(ctx, "configured", time.Hour); err != nil {
		t.Fatal(err)
	}
	var order []string
	for _, p := range h.peek("q", 10) {
		order = append(order, string(p.Body)+":"+string(p.State))
	}
	if want := []string{"a:pending", "b:pending", "c:pending", "later:pending"}; !slices.Equal(order, want) {
		t.Errorf("Peek = %v, want %v", order, want)
	}
	if p := h.peek("q", 2); len(p) != 2 || string(p[1].Body) != "b" {
		t.Errorf("Peek limit 2 = %v", p)
	}
	if p := h.peek("q", 0); len(p) != 0 {
		t.Errorf("Peek limit 0 = %v", p)
	}
	release := make(chan struct{})
	r := newRecorder(h.clk, func(context.Context, batch) Outcome {
		<-release
		return Outcome{}
	})
	h.consume("q", ConsumerConfig{MaxBatchSize: 1, MaxConcurrency: 1}, r.handle)
	r.next(t)
	if i := h.info("q"); i != (Info{Name: "q", Ready: 2, Delayed: 1, InFlight: 1, Retention: DefaultRetention, Consumers: 1}) {
		t.Errorf("Info = %+v", i)
	}
	order = order[:0]
	for _, p := range h.peek("q", 10) {
		order = append(order, string(p.Body)+":"+string(p.State)+":"+fmt.Sprint(p.Attempts))
	}
	if want := []string{"b:pending:0", "c:pending:0", "later:pending:0", "a:in-flight:1"}; !slices.Equal(order, want) {
		t.Errorf("Peek = %v, want %v", order, want)
	}
	n, err := h.b.Purge(ctx, "q")
	if err != nil || n != 3 {
		t.Errorf("Purge = %d, %v; want 3", n, err)
	}
	if i := h.info("q"); i.Ready+i.Delayed != 0 || i.InFlight != 1 {
		t.Errorf("Info after Purge = %+v", i)
	}
	close(release)
	h.idle("q")
	h.clk.Advance(2 * time.Minute)
	h.idle("q")
	if i := h.info("q"); i.Ready+i.Delayed+i.InFlight != 0 {
		t.Errorf("Info = %+v", i)
	}
	if s := h.b.Stats(); s.Delivered != 1 {
		t.Errorf("Stats = %+v: purged messages were delivered", s)
	}
	qs, err := h.b.Queues(ctx)
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, q := range qs {
		names = append(names, fmt.Sprintf("%s:%d:%v", q.Name, q.Ready, q.Retention))
	}
	if want := []string{"configured:0:1h0m0s", "other:1:96h0m0s", "q:0:96h0m0s"}; !slices.Equal(names, want) {
		t.Errorf("Queues = %v, want %v", names, want)
	}
	// The queues and retention survive a restart.
	h.reopen()
	if qs, _ := h.b.Queues(ctx); len(qs) != 3 || qs[0].Retention != time.Hour {
		t.Errorf("Queues after reopening = %+v", qs)
	}
	if n, err := h.b.Purge(ctx, "other"); n != 1 || err != nil {
		t.Errorf("Purge(other) = %d, %v", n, err)
	}
}

func TestRetention(t *testing.T) {
	h := newHarness(t)
	ctx := context.Background()
	for _, d := range []time.Duration{-time.Second, MaxRetention + time.Millisecond} {
		if err := h.b.SetRetention(ctx, "q", d); err == nil || !strings.Contains(err.Error(), "out of range") {
			t.Errorf("SetRetention(%v): %v", d, err)
		}
	}
	if err := h.b.SetRetention(ctx, "q", time.Hour); err != nil {
		t.Fatal(err)
	}
	h.send("q", 0, "old1", "old2")
	h.send("other", 0, "default retention")
	h.clk.Advance(30 * time.Minute)
	h.send("q", 0, "new")
	h.clk.Advance(29 * time.Minute)
	if i := h.info("q"); i.Ready != 3 {
		t.Fatalf("Info = %+v before the retention passed", i)
	}
	h.clk.Advance(time.Minute) // the sweep at t0+60m drops old1 and old2
	if p := h.peek("q", 10); len(p) != 1 || string(p[0].Body) != "new" {
		t.Errorf("Peek = %+v, want new only", p)
	}
	got := h.log.find(slog.LevelWarn, "retention")
	if len(got) != 1 || got[0]["queue"] != "q" || got[0]["count"] != "2" {
		t.Errorf("logged %v", got)
	}
	if i := h.info("other"); i.Ready != 1 {
		t.Errorf("Info(other) = %+v", i)
	}
	// new, sent at t0+30m, is still there at t0+89m59s.
	h.clk.Advance(30*time.Minute - time.Second)
	r := newRecorder(h.clk, nil)
	h.consume("q", ConsumerConfig{MaxBatchSize: 1}, r.handle)
	r.next(t)
	h.idle("q")
	// 0 restores the default.
	if err := h.b.SetRetention(ctx, "q", 0); err != nil {
		t.Fatal(err)
	}
	if i := h.info("q"); i.Retention != DefaultRetention {
		t.Errorf("Info = %+v", i)
	}
	if s := h.b.Stats(); s.Expired != 2 {
		t.Errorf("Stats = %+v", s)
	}
}

// TestRetentionAtDelivery: a message past retention when its batch
// starts is dropped, not delivered.
func TestRetentionAtDelivery(t *testing.T) {
	h := newHarness(t)
	if err := h.b.SetRetention(context.Background(), "q", 30*time.Second); err != nil {
		t.Fatal(err)
	}
	h.send("q", 0, "old")
	h.clk.Advance(20 * time.Second)
	h.send("q", 0, "new")
	h.clk.Advance(15 * time.Second) // old has expired; the sweep has not run
	r := newRecorder(h.clk, nil)
	h.consume("q", ConsumerConfig{MaxBatchSize: 2}, r.handle)
	if b := r.next(t); !slices.Equal(b.bodies(), []string{"new"}) {
		t.Errorf("delivered %q, want [new]", b.bodies())
	}
	h.idle("q")
	if got := h.log.find(slog.LevelWarn, "retention"); len(got) != 1 || got[0]["count"] != "1" {
		t.Errorf("logged %v", got)
	}
}

// TestCloseEndsGoroutines: Close stops consumers whose handlers wait
// for their context, and every goroutine of the broker ends.
func TestCloseEndsGoroutines(t *testing.T) {
	h := newHarness(t)
	h.b.Close()
	runtime.GC()
	base := runtime.NumGoroutine()
	var err error
	h.b, err = Open(h.db, Options{Clock: h.clk, Logger: slog.New(h.log)})
	if err != nil {
		t.Fatal(err)
	}
	started := make(chan struct{}, 10)
	for _, q := range []string{"a", "b", "c"} {
		h.consume(q, ConsumerConfig{MaxBatchSize: 1}, func(ctx context.Context, _ string, _ []Message) Outcome {
			started <- struct{}{}
			<-ctx.Done()
			return Outcome{Err: ctx.Err()}
		})
		h.send(q, 0, "m1", "m2")
		h.send(q, time.Hour, "later")
	}
	for range 6 {
		<-started
	}
	done := make(chan error)
	go func() { done <- h.b.Close() }()
	select {
	case err := <-done:
		if err != nil {
			t.Fatal(err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("Close did not return")
	}
	waitFor(t, "the broker's goroutines to end", func() bool { return runtime.NumGoroutine() <= base })
	h.b, err = Open(h.db, Options{Clock: h.clk, Logger: slog.New(h.log)})
	if err != nil {
		t.Fatal(err)
	}
	if i := h.info("a"); i.Ready != 2 || i.Delayed != 1 {
		t.Errorf("Info after reopening = %+v", i)
	}
	if p := h.peek("a", 1); p[0].Attempts != 1 {
		t.Errorf("Peek = %+v, want attempts 1", p)
	}
}

// TestConsumerRestarts: consumers stopped and started again while many
// goroutines send (the load of a new consumer racing with sends) lose
// no message.
func TestConsumerRestarts(t *testing.T) {
	h := &harness{t: t, dir: t.TempDir(), log: &logs{}}
	db, err := badgerdb.Open(h.dir, nil)
	if err != nil {
		t.Fatal(err)
	}
	h.db = db
	if h.b, err = Open(db, Options{Logger: slog.New(h.log)}); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(h.close)
	var mu sync.Mutex
	seen := map[string]bool{}
	handle := func(_ context.Context, _ string, msgs []Message) Outcome {
		mu.Lock()
		defer mu.Unlock()
		for _, m := range msgs {
			seen[string(m.Body)] = true
		}
		return Outcome{}
	}
	cfg := ConsumerConfig{MaxBatchSize: 7, MaxBatchTimeout: time.Millisecond, MaxConcurrency: 3}
	stop := h.consume("q", cfg, handle)
	const senders, sends = 10, 100
	var wg sync.WaitGroup
	for g := range senders {
		wg.Go(func() {
			for i := range sends {
				if err := h.b.Send(context.Background(), "q", []SendRequest{{Body: fmt.Appendf(nil, "%d/%d", g, i)}}); err != nil {
					t.Error(err)
					return
				}
			}
		})
	}
	sent := make(chan struct{})
	go func() {
		wg.Wait()
		close(sent)
	}()
	for restarts := 0; ; restarts++ {
		select {
		case <-sent:
		default:
			if err := stop(context.Background()); err != nil {
				t.Fatal(err)
			}
			stop = h.consume("q", cfg, handle)
			continue
		}
		t.Logf("%d consumer restarts", restarts)
		break
	}
	waitFor(t, "every message delivered", func() bool {
		mu.Lock()
		defer mu.Unlock()
		return len(seen) == senders*sends
	})
	h.idle("q")
	if i := h.info("q"); i.Ready+i.Delayed+i.InFlight != 0 {
		t.Errorf("Info = %+v", i)
	}
}
