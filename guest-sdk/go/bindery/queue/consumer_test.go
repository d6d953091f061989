package queue

import (
	"context"
	"errors"
	"math"
	"reflect"
	"strings"
	"testing"
)

// testBatch returns a batch of n messages (ids m0, m1, ...) of queue "q"
// and the warnings it logs.
func testBatch(n int) (*Batch, *[]string) {
	var warnings []string
	msgs := make([]*Message, n)
	for i := range msgs {
		msgs[i] = &Message{ID: "m" + string(rune('0'+i)), Attempts: 1, ContentType: Text}
	}
	return newBatch("q", msgs, func(s string) { warnings = append(warnings, s) }), &warnings
}

func d(secs uint32) delay { return delay{set: true, secs: secs} }

// The handler's calls are recorded with workerd's rules: the first of
// ack and retry wins on a message, ackAll and retryAll exclude each other,
// and an ignored call logs a warning (except ack after ackAll, as workerd).
func TestOutcome(t *testing.T) {
	for _, tt := range []struct {
		name     string
		handle   func(b *Batch) error
		want     outcome
		warnings []string // substrings, one per warning, in order
	}{
		{
			name:   "nothing",
			handle: func(b *Batch) error { return nil },
			want:   outcome{},
		},
		{
			name: "ack and retry",
			handle: func(b *Batch) error {
				b.Messages[2].Ack()
				b.Messages[0].Ack()
				b.Messages[1].Retry(nil)
				b.Messages[3].Retry(&RetryOptions{DelaySeconds: 30})
				return nil
			},
			want: outcome{acked: []uint32{0, 2}, retried: []retryRequest{{index: 1}, {index: 3, delay: d(30)}}},
		},
		{
			name: "ack then retry: the ack wins",
			handle: func(b *Batch) error {
				b.Messages[0].Ack()
				b.Messages[0].Retry(nil)
				return nil
			},
			want:     outcome{acked: []uint32{0}},
			warnings: []string{"retry() on message m0 after ack() was already called"},
		},
		{
			name: "retry then ack: the retry wins",
			handle: func(b *Batch) error {
				b.Messages[1].Retry(&RetryOptions{DelaySeconds: 5})
				b.Messages[1].Ack()
				return nil
			},
			want:     outcome{retried: []retryRequest{{index: 1, delay: d(5)}}},
			warnings: []string{"ack() on message m1 after retry() was already called"},
		},
		{
			name: "ack twice",
			handle: func(b *Batch) error {
				b.Messages[0].Ack()
				b.Messages[0].Ack()
				return nil
			},
			want: outcome{acked: []uint32{0}},
		},
		{
			name: "retry twice: the later delay, as workerd's upsert",
			handle: func(b *Batch) error {
				b.Messages[0].Retry(&RetryOptions{DelaySeconds: 5})
				b.Messages[0].Retry(&RetryOptions{DelaySeconds: 9})
				return nil
			},
			want: outcome{retried: []retryRequest{{index: 0, delay: d(9)}}},
		},
		{
			name: "retry with NoDelay and negative delays: an explicit 0",
			handle: func(b *Batch) error {
				b.Messages[0].Retry(&RetryOptions{DelaySeconds: NoDelay})
				b.Messages[1].Retry(&RetryOptions{DelaySeconds: -7})
				b.Messages[2].Retry(&RetryOptions{DelaySeconds: math.MaxInt})
				return nil
			},
			want: outcome{retried: []retryRequest{{index: 0, delay: d(0)}, {index: 1, delay: d(0)}, {index: 2, delay: d(math.MaxUint32)}}},
		},
		{
			name: "ackAll",
			handle: func(b *Batch) error {
				b.AckAll()
				return nil
			},
			want: outcome{ackAll: true},
		},
		{
			name: "ackAll then ack (quiet) and retry (warned)",
			handle: func(b *Batch) error {
				b.AckAll()
				b.Messages[0].Ack()
				b.Messages[1].Retry(nil)
				return nil
			},
			want:     outcome{ackAll: true},
			warnings: []string{"retry() on message m1 after ackAll() was already called"},
		},
		{
			name: "retry then ackAll: the retry stays",
			handle: func(b *Batch) error {
				b.Messages[2].Retry(nil)
				b.AckAll()
				return nil
			},
			want: outcome{ackAll: true, retried: []retryRequest{{index: 2}}},
		},
		{
			name: "retryAll with a delay",
			handle: func(b *Batch) error {
				b.RetryAll(&RetryOptions{DelaySeconds: 60})
				return nil
			},
			want: outcome{retryAll: true, retryAllDelay: d(60)},
		},
		{
			name: "retryAll twice: a later delay replaces, none keeps it",
			handle: func(b *Batch) error {
				b.RetryAll(&RetryOptions{DelaySeconds: 60})
				b.RetryAll(&RetryOptions{DelaySeconds: 10})
				b.RetryAll(nil)
				return nil
			},
			want: outcome{retryAll: true, retryAllDelay: d(10)},
		},
		{
			name: "retryAll then ack (warned) and retry (kept)",
			handle: func(b *Batch) error {
				b.RetryAll(nil)
				b.Messages[0].Ack()
				b.Messages[1].Retry(&RetryOptions{DelaySeconds: 3})
				return nil
			},
			want:     outcome{retryAll: true, retried: []retryRequest{{index: 1, delay: d(3)}}},
			warnings: []string{"ack() on message m0 after retryAll() was already called"},
		},
		{
			name: "ack then retryAll: the ack stays",
			handle: func(b *Batch) error {
				b.Messages[3].Ack()
				b.RetryAll(nil)
				return nil
			},
			want: outcome{retryAll: true, acked: []uint32{3}},
		},
		{
			name: "ackAll then retryAll: the ackAll wins",
			handle: func(b *Batch) error {
				b.AckAll()
				b.RetryAll(&RetryOptions{DelaySeconds: 1})
				return nil
			},
			want:     outcome{ackAll: true},
			warnings: []string{"retryAll() after ackAll() was already called"},
		},
		{
			name: "retryAll then ackAll: the retryAll wins",
			handle: func(b *Batch) error {
				b.RetryAll(nil)
				b.AckAll()
				return nil
			},
			want:     outcome{retryAll: true},
			warnings: []string{"ackAll() after retryAll() was already called"},
		},
		{
			name: "an error keeps what was recorded",
			handle: func(b *Batch) error {
				b.Messages[0].Ack()
				b.Messages[1].Retry(nil)
				return errors.New("boom k1")
			},
			want: outcome{acked: []uint32{0}, retried: []retryRequest{{index: 1}}, err: "boom k1"},
		},
		{
			name:   "an error with no message still fails",
			handle: func(b *Batch) error { return errors.New("") },
			want:   outcome{err: "queue handler failed"},
		},
		{
			name: "an error that is not UTF-8 is made valid",
			handle: func(b *Batch) error {
				return errors.New("bad \xff key")
			},
			want: outcome{err: "bad \uFFFD key"},
		},
	} {
		t.Run(tt.name, func(t *testing.T) {
			b, warnings := testBatch(4)
			got := b.run(context.Background(), func(_ context.Context, b *Batch) error { return tt.handle(b) })
			if !reflect.DeepEqual(got, tt.want) {
				t.Errorf("outcome = %+v, want %+v", got, tt.want)
			}
			if len(*warnings) != len(tt.warnings) {
				t.Fatalf("warnings = %q, want %d", *warnings, len(tt.warnings))
			}
			for i, w := range tt.warnings {
				if !strings.Contains((*warnings)[i], w) {
					t.Errorf("warning %d = %q, want it to contain %q", i, (*warnings)[i], w)
				}
			}
		})
	}
}

// A panic is recovered: the outcome carries it and its stack, with what
// was recorded before it; a missing handler fails the batch.
func TestOutcomeFailure(t *testing.T) {
	b, _ := testBatch(2)
	got := b.run(context.Background(), func(_ context.Context, b *Batch) error {
		b.Messages[1].Ack()
		panic("kaboom")
	})
	if !strings.HasPrefix(got.err, "panic in the queue handler (queue q): kaboom\n") || !strings.Contains(got.err, "goroutine") {
		t.Errorf("error = %q, want the panic and its stack", got.err)
	}
	if !reflect.DeepEqual(got.acked, []uint32{1}) {
		t.Errorf("acked = %v, want [1]", got.acked)
	}

	b, _ = testBatch(1)
	got = b.run(context.Background(), func(context.Context, *Batch) error {
		panic(strings.Repeat("x", 2*maxErrorText))
	})
	if len(got.err) > maxErrorText+len("\n…") {
		t.Errorf("a huge panic's text is %d bytes, want at most %d", len(got.err), maxErrorText)
	}

	b, _ = testBatch(1)
	if got := b.run(context.Background(), nil); !strings.Contains(got.err, "no queue handler") {
		t.Errorf("without a handler: error = %q", got.err)
	}
}

func TestHandleNil(t *testing.T) {
	defer func() {
		if recover() == nil {
			t.Error("Handle(nil) did not panic")
		}
	}()
	Handle(nil)
}
