package queue

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"
)

func TestSendLimits(t *testing.T) {
	h := newHarness(t)
	text := func(n int) SendRequest { return SendRequest{Body: make([]byte, n)} }
	many := func(n int, size int) []SendRequest {
		out := make([]SendRequest, n)
		for i := range out {
			out[i] = text(size)
		}
		return out
	}
	tests := []struct {
		name     string
		queue    string
		msgs     []SendRequest
		want     string // "" for no error
		tooLarge bool
		limit    bool // the error is a *LimitError
	}{
		{"largest message", "q", []SendRequest{text(MaxMessageBytes - MessageOverhead)}, "", false, false},
		{"message too large", "q", []SendRequest{text(131072)}, "over the limit of 128 KB", true, true},
		{"message of a batch too large", "q", []SendRequest{text(1), text(MaxMessageBytes)}, "message 1 of the batch is 131172 bytes", true, true},
		{"100 messages", "q", many(100, 1), "", false, false},
		{"101 messages", "q", many(101, 1), "batch has 101 messages, the limit is 100", true, true},
		{"batch too large", "q", many(3, 100_000), "over the limit of 256 KB", true, true},
		{"largest batch", "q", many(2, MaxBatchBytes/2-MessageOverhead), "", false, false},
		{"delay of 24 hours", "q", []SendRequest{{Delay: MaxDelay}}, "", false, false},
		{"delay over 24 hours", "q", []SendRequest{{Delay: 86401 * time.Second}}, "delay 86401 s is over the limit of 86400 s (24 hours)", false, true},
		{"negative delay", "q", []SendRequest{{Delay: -time.Second}}, "delay -1 s is negative", false, true},
		{"no messages", "q", nil, "batch has no messages", false, true},
		{"unknown content type", "q", []SendRequest{{ContentType: V8 + 1}}, "unknown content type", false, true},
		{"empty name", "", []SendRequest{text(1)}, "the queue name is empty", false, false},
		{"long name", strings.Repeat("n", 64), []SendRequest{text(1)}, "is 64 bytes, over the limit of 63", false, false},
		{"longest name", strings.Repeat("n", 63), []SendRequest{text(1)}, "", false, false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			err := h.b.Send(context.Background(), tc.queue, tc.msgs)
			if tc.want == "" {
				if err != nil {
					t.Fatalf("Send: %v", err)
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("Send: %v, want an error containing %q", err, tc.want)
			}
			var le *LimitError
			if errors.As(err, &le) != tc.limit {
				t.Fatalf("Send: %v is a *LimitError: %v, want %v", err, !tc.limit, tc.limit)
			}
			if le != nil && le.TooLarge != tc.tooLarge {
				t.Errorf("TooLarge = %v, want %v", le.TooLarge, tc.tooLarge)
			}
		})
	}
	if got := h.info("q"); got.Ready+got.Delayed != 1+100+2+1 {
		t.Errorf("Info = %+v: want the 104 messages accepted stored, no other", got)
	}
}

func TestSendConsume(t *testing.T) {
	h := newHarness(t)
	r := newRecorder(h.clk, nil)
	h.consume("q", ConsumerConfig{MaxBatchTimeout: time.Second}, r.handle)
	msgs := []SendRequest{
		{Body: []byte("a"), ContentType: Text},
		{Body: []byte{0, 1, 0xff}, ContentType: Bytes},
		{Body: []byte(`{"k":1}`), ContentType: JSON},
		{Body: []byte{0xa0}, ContentType: V8},
	}
	if err := h.b.Send(context.Background(), "q", msgs); err != nil {
		t.Fatal(err)
	}
	r.none(t) // 4 < 10: the batch waits for its timeout
	h.clk.Advance(999 * time.Millisecond)
	r.none(t)
	h.clk.Advance(time.Millisecond)
	b := r.next(t)
	if b.queue != "q" || len(b.msgs) != len(msgs) {
		t.Fatalf("got %s %d messages, want q 4", b.queue, len(b.msgs))
	}
	hexID := regexp.MustCompile(`^[0-9a-f]{32}$`)
	ids := map[string]bool{}
	for i, m := range b.msgs {
		if !hexID.MatchString(m.ID) || ids[m.ID] {
			t.Errorf("message %d: id %q is not 32 hex digits, or repeats", i, m.ID)
		}
		ids[m.ID] = true
		if string(m.Body) != string(msgs[i].Body) || m.ContentType != msgs[i].ContentType || m.Attempts != 1 || !m.Timestamp.Equal(t0) {
			t.Errorf("message %d = %+v, want body %q, %v, attempts 1, timestamp %v", i, m, msgs[i].Body, msgs[i].ContentType, t0)
		}
	}
	h.idle("q")
	if i := h.info("q"); i.Ready+i.Delayed+i.InFlight != 0 || i.Consumers != 1 {
		t.Errorf("Info after the ack = %+v, want an empty queue with a consumer", i)
	}
	if s := h.b.Stats(); s.Sent != 4 || s.Delivered != 4 || s.Acked != 4 {
		t.Errorf("Stats = %+v", s)
	}
}

func TestBatching(t *testing.T) {
	h := newHarness(t)
	r := newRecorder(h.clk, nil)
	h.consume("q", ConsumerConfig{MaxBatchSize: 5, MaxBatchTimeout: 30 * time.Second, MaxConcurrency: 1}, r.handle)
	for i := range 12 {
		h.send("q", 0, fmt.Sprint(i))
		h.clk.Advance(time.Second)
	}
	// Full batches go at once.
	if b := r.next(t); !slices.Equal(b.bodies(), []string{"0", "1", "2", "3", "4"}) {
		t.Fatalf("first batch %q", b.bodies())
	}
	if b := r.next(t); !slices.Equal(b.bodies(), []string{"5", "6", "7", "8", "9"}) {
		t.Fatalf("second batch %q", b.bodies())
	}
	h.idle("q")
	r.none(t)
	// 10 and 11 wait for the timeout, counted from when 10 was sent
	// (t0+10s): the clock is now at t0+12s.
	h.clk.Advance(27 * time.Second)
	h.idle("q")
	r.none(t)
	h.clk.Advance(time.Second)
	b := r.next(t)
	if !slices.Equal(b.bodies(), []string{"10", "11"}) || !b.at.Equal(t0.Add(40*time.Second)) {
		t.Fatalf("third batch %q at %v, want [10 11] at t0+40s", b.bodies(), b.at.Sub(t0))
	}
}

func TestDelay(t *testing.T) {
	h := newHarness(t)
	r := newRecorder(h.clk, nil)
	h.consume("q", ConsumerConfig{MaxBatchSize: 1}, r.handle)
	h.send("q", 10*time.Second, "later")
	h.send("q", 0, "now")
	if b := r.next(t); b.bodies()[0] != "now" {
		t.Fatalf("got %q first", b.bodies())
	}
	h.idle("q")
	if i := h.info("q"); i.Delayed != 1 || i.Ready != 0 {
		t.Errorf("Info = %+v, want 1 delayed", i)
	}
	if p := h.peek("q", 10); len(p) != 1 || p[0].State != Pending || !p[0].Due.Equal(t0.Add(10*time.Second)) {
		t.Errorf("Peek = %+v", p)
	}
	h.clk.Advance(9 * time.Second)
	h.idle("q")
	r.none(t)
	h.clk.Advance(time.Second)
	if b := r.next(t); b.bodies()[0] != "later" || b.msgs[0].Attempts != 1 || !b.at.Equal(t0.Add(10*time.Second)) {
		t.Fatalf("got %+v", b)
	}
}

// TestOutcome: how a handler's outcome settles each message of its
// batch of four (a, b, c, d).
func TestOutcome(t *testing.T) {
	const retryDelay = 3 * time.Second
	tests := []struct {
		name string
		out  Outcome
		// want is each message's fate: 0 acked, else retried with that
		// delay.
		want [4]time.Duration
	}{
		{"nothing: all acked", Outcome{}, [4]time.Duration{}},
		{"ackAll", Outcome{AckAll: true}, [4]time.Duration{}},
		{"error: all retried", Outcome{Err: errors.New("boom")}, [4]time.Duration{retryDelay, retryDelay, retryDelay, retryDelay}},
		{"error, explicit ack", Outcome{Err: errors.New("boom"), Acked: []int{0}}, [4]time.Duration{0, retryDelay, retryDelay, retryDelay}},
		{"error, explicit retry with delay", Outcome{Err: errors.New("boom"), Retried: []Retry{{Index: 3, Delay: ptr(9 * time.Second)}}},
			[4]time.Duration{retryDelay, retryDelay, retryDelay, 9 * time.Second}},
		{"retryAll with delay, explicit ack", Outcome{RetryAll: true, RetryAllDelay: ptr(5 * time.Second), Acked: []int{1}},
			[4]time.Duration{5 * time.Second, 0, 5 * time.Second, 5 * time.Second}},
		{"retryAll without delay", Outcome{RetryAll: true}, [4]time.Duration{retryDelay, retryDelay, retryDelay, retryDelay}},
		{"explicit retry, ackAll", Outcome{AckAll: true, Retried: []Retry{{Index: 2, Delay: ptr(7 * time.Second)}}},
			[4]time.Duration{0, 0, 7 * time.Second, 0}},
		{"explicit retry without delay", Outcome{Retried: []Retry{{Index: 1}}}, [4]time.Duration{0, retryDelay, 0, 0}},
		{"ack wins over retry", Outcome{Acked: []int{0}, Retried: []Retry{{Index: 0, Delay: ptr(time.Second)}}}, [4]time.Duration{}},
		{"the first retry of a message wins", Outcome{Retried: []Retry{{Index: 0, Delay: ptr(time.Second)}, {Index: 0, Delay: ptr(2 * time.Second)}}},
			[4]time.Duration{time.Second, 0, 0, 0}},
		{"retryAll wins over ackAll", Outcome{AckAll: true, RetryAll: true}, [4]time.Duration{retryDelay, retryDelay, retryDelay, retryDelay}},
		{"indexes out of range are ignored", Outcome{Acked: []int{-1, 4}, Retried: []Retry{{Index: 9}}, RetryAll: true},
			[4]time.Duration{retryDelay, retryDelay, retryDelay, retryDelay}},
		{"a retry delay over 24 h is 24 h", Outcome{Retried: []Retry{{Index: 0, Delay: ptr(48 * time.Hour)}}}, [4]time.Duration{MaxDelay, 0, 0, 0}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			h := newHarness(t)
			r := newRecorder(h.clk, func(context.Context, batch) Outcome { return tc.out })
			stop := h.consume("q", ConsumerConfig{MaxBatchSize: 4, MaxRetries: ptr(5), RetryDelay: retryDelay}, r.handle)
			h.send("q", 0, "a", "b", "c", "d")
			got := r.next(t)
			h.idle("q")
			if err := stop(context.Background()); err != nil {
				t.Fatal(err)
			}
			pending := map[string]Peeked{}
			for _, p := range h.peek("q", 10) {
				pending[string(p.Body)] = p
			}
			for i, m := range got.msgs {
				p, ok := pending[string(m.Body)]
				switch {
				case tc.want[i] == 0 && ok:
					t.Errorf("%s: pending (due %v), want acked", m.Body, p.Due.Sub(t0))
				case tc.want[i] != 0 && !ok:
					t.Errorf("%s: acked, want retried in %v", m.Body, tc.want[i])
				case ok && (!p.Due.Equal(t0.Add(tc.want[i])) || p.Attempts != 1 || p.ID != m.ID || p.State != Pending):
					t.Errorf("%s: %+v, want pending, due in %v, 1 attempt", m.Body, p, tc.want[i])
				}
			}
		})
	}
}

func TestRetryDelay(t *testing.T) {
	h := newHarness(t)
	r := newRecorder(h.clk, func(_ context.Context, b batch) Outcome {
		if b.msgs[0].Attempts == 1 {
			return Outcome{Retried: []Retry{{Index: 0, Delay: ptr(30 * time.Second)}}}
		}
		return Outcome{}
	})
	h.consume("q", ConsumerConfig{MaxBatchSize: 1}, r.handle)
	h.send("q", 0, "m")
	first := r.next(t)
	h.idle("q")
	h.clk.Advance(29 * time.Second)
	h.idle("q")
	r.none(t)
	h.clk.Advance(time.Second)
	second := r.next(t)
	if second.msgs[0].ID != first.msgs[0].ID || second.msgs[0].Attempts != 2 || !second.msgs[0].Timestamp.Equal(t0) {
		t.Fatalf("redelivered %+v, want %s with 2 attempts", second.msgs[0], first.msgs[0].ID)
	}
	h.idle("q")
	if s := h.b.Stats(); s.Retried != 1 || s.Acked != 1 || s.Delivered != 2 {
		t.Errorf("Stats = %+v", s)
	}
}

func TestDeadLetter(t *testing.T) {
	h := newHarness(t)
	fail := newRecorder(h.clk, func(context.Context, batch) Outcome { return Outcome{Err: errors.New("boom")} })
	h.consume("q", ConsumerConfig{MaxBatchSize: 1, MaxRetries: ptr(2), DeadLetterQueue: "dlq"}, fail.handle)
	if err := h.b.Send(context.Background(), "q", []SendRequest{{Body: []byte(`{"x":1}`), ContentType: JSON}}); err != nil {
		t.Fatal(err)
	}
	var id string
	for attempt := 1; attempt <= 3; attempt++ {
		b := fail.next(t)
		if b.msgs[0].Attempts != attempt {
			t.Fatalf("delivery %d has attempts %d", attempt, b.msgs[0].Attempts)
		}
		id = b.msgs[0].ID
	}
	h.idle("q")
	fail.none(t)
	if i := h.info("q"); i.Ready+i.Delayed+i.InFlight != 0 || i.DeadLettered != 1 {
		t.Errorf("Info(q) = %+v, want 1 dead-lettered only", i)
	}
	if i := h.info("dlq"); i.Ready != 1 {
		t.Errorf("Info(dlq) = %+v, want 1 ready", i)
	}
	p := h.peek("q", 10)
	if len(p) != 1 || p[0].ID != id || p[0].State != DeadLettered || p[0].Queue != "dlq" || p[0].Attempts != 0 ||
		string(p[0].Body) != `{"x":1}` || p[0].ContentType != JSON {
		t.Errorf("Peek(q) = %+v, want %s dead-lettered in dlq", p, id)
	}
	if got := h.log.find(slog.LevelInfo, "dead-letter"); len(got) != 1 || got[0]["id"] != id || got[0]["queue"] != "q" {
		t.Errorf("logged %v", got)
	}
	// The dead-letter queue's consumer retries it once, then acks it.
	dead := newRecorder(h.clk, func(_ context.Context, b batch) Outcome {
		if b.msgs[0].Attempts == 1 {
			return Outcome{Retried: []Retry{{Index: 0, Delay: ptr(10 * time.Second)}}}
		}
		return Outcome{}
	})
	h.consume("dlq", ConsumerConfig{MaxBatchSize: 1, MaxRetries: ptr(1)}, dead.handle)
	m := dead.next(t).msgs[0]
	if m.ID != id || m.Attempts != 1 || string(m.Body) != `{"x":1}` || m.ContentType != JSON || !m.Timestamp.Equal(t0) {
		t.Errorf("dead-letter queue got %+v, want %s with attempts 1, its body, content type and timestamp", m, id)
	}
	h.idle("dlq")
	if p := h.peek("q", 10); len(p) != 1 || p[0].ID != id || p[0].State != DeadLettered || p[0].Attempts != 1 || !p[0].Due.Equal(t0.Add(10*time.Second)) {
		t.Errorf("Peek(q) after a retry in dlq = %+v", p)
	}
	h.clk.Advance(10 * time.Second)
	if m := dead.next(t).msgs[0]; m.ID != id || m.Attempts != 2 {
		t.Errorf("dead-letter queue got %+v, want %s with attempts 2", m, id)
	}
	h.idle("dlq")
	if i := h.info("q"); i.DeadLettered != 0 {
		t.Errorf("Info(q) after the dead letter's ack = %+v", i)
	}
	if s := h.b.Stats(); s.DeadLettered != 1 || s.Retried != 3 {
		t.Errorf("Stats = %+v", s)
	}
}

func TestDropWithoutDeadLetterQueue(t *testing.T) {
	h := newHarness(t)
	r := newRecorder(h.clk, func(context.Context, batch) Outcome { return Outcome{RetryAll: true} })
	h.consume("q", ConsumerConfig{MaxRetries: ptr(0), MaxBatchSize: 1}, r.handle)
	h.send("q", 0, "m")
	id := r.next(t).msgs[0].ID
	h.idle("q")
	r.none(t)
	if i := h.info("q"); i.Ready+i.Delayed+i.InFlight+i.DeadLettered != 0 {
		t.Errorf("Info = %+v, want empty", i)
	}
	got := h.log.find(slog.LevelWarn, "dropped")
	if len(got) != 1 || got[0]["queue"] != "q" || got[0]["id"] != id {
		t.Errorf("logged %v, want one Warn naming q and %s", got, id)
	}
}

func TestHandlerPanic(t *testing.T) {
	h := newHarness(t)
	r := newRecorder(h.clk, func(_ context.Context, b batch) Outcome {
		if b.msgs[0].Attempts == 1 {
			panic("handler bug")
		}
		return Outcome{}
	})
	h.consume("q", ConsumerConfig{MaxBatchSize: 1}, r.handle)
	h.send("q", 0, "m")
	if b := r.next(t); b.msgs[0].Attempts != 1 {
		t.Fatal(b)
	}
	if b := r.next(t); b.msgs[0].Attempts != 2 {
		t.Fatalf("after the panic: %+v, want attempts 2", b.msgs[0])
	}
	h.idle("q")
	if got := h.log.find(slog.LevelError, "panicked"); len(got) != 1 {
		t.Errorf("logged %v", got)
	}
	h.send("q", 0, "after")
	if b := r.next(t); b.bodies()[0] != "after" {
		t.Fatal(b)
	}
}

func TestMaxConcurrency(t *testing.T) {
	for _, tc := range []struct{ max, want int }{{1, 1}, {3, 3}, {0, 20}} {
		t.Run(fmt.Sprint(tc.max), func(t *testing.T) {
			h := newHarness(t)
			release := make(chan struct{})
			var mu = make(chan struct{}, 1)
			running, peak := 0, 0
			r := newRecorder(h.clk, func(context.Context, batch) Outcome {
				mu <- struct{}{}
				running++
				peak = max(peak, running)
				<-mu
				<-release
				mu <- struct{}{}
				running--
				<-mu
				return Outcome{}
			})
			h.consume("q", ConsumerConfig{MaxBatchSize: 1, MaxConcurrency: tc.max}, r.handle)
			for i := range 20 {
				h.send("q", 0, fmt.Sprint(i))
			}
			for range tc.want {
				r.next(t)
			}
			if i := h.info("q"); i.InFlight != tc.want || i.Ready != 20-tc.want {
				t.Errorf("Info = %+v, want %d in flight", i, tc.want)
			}
			r.none(t)
			close(release)
			for range 20 - tc.want {
				r.next(t)
			}
			h.idle("q")
			mu <- struct{}{}
			defer func() { <-mu }()
			if peak != tc.want {
				t.Errorf("peak concurrency %d, want %d", peak, tc.want)
			}
		})
	}
}

func TestSecondConsumer(t *testing.T) {
	h := newHarness(t)
	stop := h.consume("q", ConsumerConfig{}, newRecorder(h.clk, nil).handle)
	if _, err := h.b.Consume("q", ConsumerConfig{}, newRecorder(h.clk, nil).handle); err == nil || !strings.Contains(err.Error(), "q already has a consumer") {
		t.Fatalf("second Consume: %v", err)
	}
	if err := stop(context.Background()); err != nil {
		t.Fatal(err)
	}
	h.consume("q", ConsumerConfig{}, newRecorder(h.clk, nil).handle) // after stop, a new one may start
}

func TestConsumerConfig(t *testing.T) {
	h := newHarness(t)
	for _, tc := range []struct {
		c    ConsumerConfig
		want string
	}{
		{ConsumerConfig{MaxBatchSize: 101}, "max batch size 101"},
		{ConsumerConfig{MaxBatchTimeout: 61 * time.Second}, "max batch timeout"},
		{ConsumerConfig{MaxRetries: ptr(101)}, "max retries 101"},
		{ConsumerConfig{MaxRetries: ptr(-1)}, "max retries -1"},
		{ConsumerConfig{RetryDelay: 25 * time.Hour}, "retry delay"},
		{ConsumerConfig{MaxConcurrency: 251}, "max concurrency 251"},
		{ConsumerConfig{DeadLetterQueue: "q"}, "its own dead-letter queue"},
	} {
		if _, err := h.b.Consume("q", tc.c, newRecorder(h.clk, nil).handle); err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("Consume(%+v): %v, want %q", tc.c, err, tc.want)
		}
	}
}

// TestRestart: messages in flight when the broker closes are delivered
// again by the next one, their attempts counted; the others once.
func TestRestart(t *testing.T) {
	h := newHarness(t)
	block := newRecorder(h.clk, func(ctx context.Context, _ batch) Outcome {
		<-ctx.Done()
		return Outcome{Err: ctx.Err()}
	})
	h.consume("q", ConsumerConfig{MaxBatchSize: 2, MaxConcurrency: 1}, block.handle)
	h.send("q", 0, "a", "b", "c")
	h.send("q", time.Hour, "later")
	if b := block.next(t); !slices.Equal(b.bodies(), []string{"a", "b"}) {
		t.Fatal(b.bodies())
	}
	h.reopen()
	if i := h.info("q"); i.Ready != 3 || i.Delayed != 1 {
		t.Errorf("Info after reopening = %+v", i)
	}
	r := newRecorder(h.clk, nil)
	h.consume("q", ConsumerConfig{MaxBatchSize: 3}, r.handle)
	b := r.next(t)
	attempts := map[string]int{}
	for _, m := range b.msgs {
		attempts[string(m.Body)] = m.Attempts
	}
	if want := map[string]int{"a": 2, "b": 2, "c": 1}; fmt.Sprint(attempts) != fmt.Sprint(want) {
		t.Errorf("attempts %v, want %v", attempts, want)
	}
	h.idle("q")
	h.clk.Advance(time.Hour + DefaultBatchTimeout) // due, then the batch timeout
	if b := r.next(t); b.bodies()[0] != "later" {
		t.Fatal(b.bodies())
	}
}

func TestClosed(t *testing.T) {
	h := newHarness(t)
	b := h.b
	if err := b.Close(); err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	if err := b.Send(ctx, "q", []SendRequest{{}}); !errors.Is(err, ErrClosed) {
		t.Errorf("Send: %v", err)
	}
	if _, err := b.Consume("q", ConsumerConfig{}, newRecorder(h.clk, nil).handle); !errors.Is(err, ErrClosed) {
		t.Errorf("Consume: %v", err)
	}
	if _, err := b.Info(ctx, "q"); !errors.Is(err, ErrClosed) {
		t.Errorf("Info: %v", err)
	}
	if err := b.Close(); err != nil {
		t.Errorf("second Close: %v", err)
	}
}

// TestStop: stopping a consumer cancels its handlers' context and waits
// for them; the messages of a batch cut short stay stored, their
// attempts counted, and a new consumer gets them.
func TestStop(t *testing.T) {
	h := newHarness(t)
	release := make(chan struct{})
	r := newRecorder(h.clk, func(ctx context.Context, b batch) Outcome {
		if b.bodies()[0] == "stubborn" {
			<-release // ignores ctx
			return Outcome{Acked: []int{0}, Err: errors.New("late")}
		}
		<-ctx.Done()
		return Outcome{Err: ctx.Err()}
	})
	stop := h.consume("q", ConsumerConfig{MaxBatchSize: 1}, r.handle)
	h.send("q", 0, "a")
	h.send("q", 0, "stubborn")
	r.next(t)
	r.next(t)
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if err := stop(ctx); !errors.Is(err, context.Canceled) || !strings.Contains(err.Error(), "consumer of q") {
		t.Errorf("stop with a done context while a handler runs: %v", err)
	}
	h.send("q", 0, "after")
	r.none(t)
	close(release)
	if err := stop(context.Background()); err != nil {
		t.Fatal(err)
	}
	// stubborn's explicit ack stands; a was cut short.
	var got []string
	for _, p := range h.peek("q", 10) {
		got = append(got, fmt.Sprintf("%s:%d", p.Body, p.Attempts))
	}
	if want := []string{"a:1", "after:0"}; !slices.Equal(got, want) {
		t.Errorf("Peek after stop = %v, want %v", got, want)
	}
	r2 := newRecorder(h.clk, nil)
	h.consume("q", ConsumerConfig{MaxBatchSize: 2}, r2.handle)
	if b := r2.next(t); !slices.Equal(b.bodies(), []string{"a", "after"}) || b.msgs[0].Attempts != 2 || b.msgs[1].Attempts != 1 {
		t.Errorf("new consumer got %+v", b.msgs)
	}
}

func TestSendCancelled(t *testing.T) {
	h := newHarness(t)
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if err := h.b.Send(ctx, "q", []SendRequest{{Body: []byte("x")}}); !errors.Is(err, context.Canceled) {
		t.Errorf("Send: %v", err)
	}
	if i := h.info("q"); i.Ready != 0 {
		t.Errorf("Info = %+v", i)
	}
}
