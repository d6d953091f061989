package queue

import (
	"context"
	"fmt"
	"slices"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/dgraph-io/badger/v4"

	"github.com/bindery-run/bindery/internal/badgerdb"
)

// benchSenders is how many goroutines send at once in the throughput
// benchmarks (a host's concurrent requests).
const benchSenders = 8

// benchBody is each message's body.
var benchBody = make([]byte, 100)

// openBench opens a broker on the real clock over a fresh database.
func openBench(b *testing.B) (*badger.DB, *Broker) {
	b.Helper()
	db, err := badgerdb.Open(b.TempDir(), nil)
	if err != nil {
		b.Fatal(err)
	}
	br, err := Open(db, Options{})
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() {
		br.Close()
		db.Close()
	})
	return db, br
}

// parallel runs send(n) for n messages split in chunks of size over
// benchSenders goroutines.
func parallel(b *testing.B, total, size int, send func(n int) error) {
	var next atomic.Int64
	var wg sync.WaitGroup
	for range benchSenders {
		wg.Go(func() {
			for {
				end := int(next.Add(int64(size)))
				start := end - size
				if start >= total {
					return
				}
				if err := send(min(end, total) - start); err != nil {
					b.Error(err)
					return
				}
			}
		})
	}
	wg.Wait()
}

// BenchmarkEndToEnd: messages sent in batches of 1, 10 or 100 by
// concurrent senders, each consumed and acked; messages/s counts from
// the first send to the last ack.
func BenchmarkEndToEnd(b *testing.B) {
	for _, size := range []int{1, 10, 100} {
		b.Run(fmt.Sprintf("batch=%d", size), func(b *testing.B) {
			_, br := openBench(b)
			var acked atomic.Int64
			done := make(chan struct{})
			total := int64(b.N)
			_, err := br.Consume("q", ConsumerConfig{MaxBatchSize: 100, MaxBatchTimeout: time.Millisecond},
				func(_ context.Context, _ string, msgs []Message) Outcome {
					if acked.Add(int64(len(msgs))) == total {
						close(done)
					}
					return Outcome{}
				})
			if err != nil {
				b.Fatal(err)
			}
			msgs := make([]SendRequest, size)
			for i := range msgs {
				msgs[i] = SendRequest{Body: benchBody}
			}
			b.ResetTimer()
			start := time.Now()
			parallel(b, b.N, size, func(n int) error { return br.Send(context.Background(), "q", msgs[:n]) })
			<-done
			elapsed := time.Since(start)
			b.StopTimer()
			s := br.Stats()
			b.ReportMetric(float64(b.N)/elapsed.Seconds(), "msgs/s")
			b.ReportMetric(float64(s.Commits)/float64(max(s.Syncs, 1)), "writes/sync")
		})
	}
}

// BenchmarkSend: BenchmarkEndToEnd's sends with no consumer, against
// the same floor.
func BenchmarkSend(b *testing.B) {
	for _, size := range []int{1, 10, 100} {
		b.Run(fmt.Sprintf("batch=%d", size), func(b *testing.B) {
			_, br := openBench(b)
			msgs := make([]SendRequest, size)
			for i := range msgs {
				msgs[i] = SendRequest{Body: benchBody}
			}
			b.ResetTimer()
			start := time.Now()
			parallel(b, b.N, size, func(n int) error { return br.Send(context.Background(), "q", msgs[:n]) })
			elapsed := time.Since(start)
			b.StopTimer()
			s := br.Stats()
			b.ReportMetric(float64(b.N)/elapsed.Seconds(), "msgs/s")
			b.ReportMetric(float64(s.Commits)/float64(max(s.Syncs, 1)), "writes/sync")
		})
	}
}

// BenchmarkBadgerWriteBatch: the floor under BenchmarkEndToEnd's sends:
// the same bytes (a record and an index entry per message) written with
// a Badger WriteBatch and a Sync per send, by as many goroutines, with
// no consumer.
func BenchmarkBadgerWriteBatch(b *testing.B) {
	for _, size := range []int{1, 10, 100} {
		b.Run(fmt.Sprintf("batch=%d", size), func(b *testing.B) {
			db, _ := openBench(b)
			var seq atomic.Uint64
			b.ResetTimer()
			start := time.Now()
			parallel(b, b.N, size, func(n int) error {
				wb := db.NewWriteBatch()
				defer wb.Cancel()
				for range n {
					id, s := newID(), seq.Add(1)
					if err := wb.Set(recordKey("q", id), record{body: benchBody}.encode()); err != nil {
						return err
					}
					if err := wb.Set(indexKey("q", 0, s, id), indexValue{}.encode()); err != nil {
						return err
					}
				}
				if err := wb.Flush(); err != nil {
					return err
				}
				return db.Sync()
			})
			elapsed := time.Since(start)
			b.StopTimer()
			b.ReportMetric(float64(b.N)/elapsed.Seconds(), "msgs/s")
		})
	}
}

// BenchmarkLatency: one message at a time, from the start of its Send to
// its handler, at the default batch size of 1... (MaxBatchSize 1: the
// batch is full at once).
func BenchmarkLatency(b *testing.B) {
	_, br := openBench(b)
	got := make(chan time.Time, 1)
	_, err := br.Consume("q", ConsumerConfig{MaxBatchSize: 1}, func(context.Context, string, []Message) Outcome {
		got <- time.Now()
		return Outcome{}
	})
	if err != nil {
		b.Fatal(err)
	}
	msg := []SendRequest{{Body: benchBody}}
	lat := make([]time.Duration, 0, b.N)
	for b.Loop() {
		start := time.Now()
		if err := br.Send(context.Background(), "q", msg); err != nil {
			b.Fatal(err)
		}
		lat = append(lat, (<-got).Sub(start))
	}
	slices.Sort(lat)
	ms := func(q float64) float64 {
		return float64(lat[min(len(lat)-1, int(q*float64(len(lat))))]) / 1e6
	}
	b.ReportMetric(ms(0.5), "p50-ms")
	b.ReportMetric(ms(0.99), "p99-ms")
}

// BenchmarkRestart100k: a broker opened on a database holding 100,000
// messages, from Open to the last one delivered (and acked).
func BenchmarkRestart100k(b *testing.B) {
	if testing.Short() {
		b.Skip("fills a queue with 100,000 messages")
	}
	const n = 100_000
	dir := b.TempDir()
	for b.Loop() {
		b.StopTimer()
		db, err := badgerdb.Open(dir, nil)
		if err != nil {
			b.Fatal(err)
		}
		br, err := Open(db, Options{})
		if err != nil {
			b.Fatal(err)
		}
		msgs := make([]SendRequest, 100)
		for i := range msgs {
			msgs[i] = SendRequest{Body: benchBody}
		}
		parallel(b, n, 100, func(k int) error { return br.Send(context.Background(), "q", msgs[:k]) })
		br.Close()
		b.StartTimer()
		br, err = Open(db, Options{})
		if err != nil {
			b.Fatal(err)
		}
		var acked atomic.Int64
		done := make(chan struct{})
		_, err = br.Consume("q", ConsumerConfig{MaxBatchSize: 100, MaxBatchTimeout: time.Millisecond},
			func(_ context.Context, _ string, msgs []Message) Outcome {
				if acked.Add(int64(len(msgs))) == n {
					close(done)
				}
				return Outcome{}
			})
		if err != nil {
			b.Fatal(err)
		}
		<-done
		b.StopTimer()
		br.Close()
		db.Close()
		b.StartTimer()
	}
}
