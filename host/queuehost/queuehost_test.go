package queuehost_test

import (
	"context"
	"fmt"
	"log/slog"
	"os"
	"slices"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/dgraph-io/badger/v4"

	"github.com/bindery-run/bindery/abi"
	"github.com/bindery-run/bindery/bindings/kv"
	"github.com/bindery-run/bindery/bindings/queue"
	"github.com/bindery-run/bindery/bindings/state"
	"github.com/bindery-run/bindery/host"
	"github.com/bindery-run/bindery/host/cronhost"
	"github.com/bindery-run/bindery/host/queuehost"
	"github.com/bindery-run/bindery/internal/testutil"
)

// fixture is a runtime and a data directory.
type fixture struct {
	rt *host.Runtime
	st *state.State
}

func newFixture(t testing.TB) fixture {
	ctx := context.Background()
	st, err := state.Open(t.TempDir(), state.Options{Logger: slog.New(slog.DiscardHandler)})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	rt, err := host.NewRuntime(ctx, host.RuntimeConfig{Interfaces: []abi.Interface{kv.WIT(), queuehost.ProducerWIT()}})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { rt.Close(ctx) })
	return fixture{rt, st}
}

// worker serves the Go Worker in dir with bindings and KV STORE.
func (f fixture) worker(t testing.TB, dir string, bindings ...host.Binding) (*host.Worker, error) {
	wasm, err := os.ReadFile(testutil.BuildGoGuest(t, dir))
	if err != nil {
		t.Fatal(err)
	}
	bindings = append(bindings, kv.NewBinding(map[string]*kv.Namespace{"STORE": f.st.KV("store")}))
	w, err := f.rt.NewWorker(context.Background(), host.WorkerConfig{Name: "w", Wasm: wasm, Bindings: bindings, MaxInstances: 4})
	if err == nil {
		t.Cleanup(func() { w.Close(context.Background()) })
	}
	return w, err
}

// TestMissingHandlers: a Worker that consumes a queue, or has crons,
// without the handler is refused at start-up, saying which; without them
// configured it starts.
func TestMissingHandlers(t *testing.T) {
	f := newFixture(t)
	b, err := queue.Open(f.st.DB(), queue.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { b.Close() })
	qh, _ := queuehost.New(queuehost.Config{Broker: b, Consumers: []queuehost.Consumer{{Queue: "jobs"}}})
	if _, err := f.worker(t, "examples/hello", qh.Bindings()...); err == nil || !strings.Contains(err.Error(), `consumes queue "jobs", but the Worker has no queue handler`) {
		t.Errorf("consumer without a queue handler: %v", err)
	}
	ch, _ := cronhost.New(cronhost.Config{Crons: []string{"* * * * *"}})
	if _, err := f.worker(t, "examples/hello", ch.Bindings()...); err == nil || !strings.Contains(err.Error(), "has cron triggers") || !strings.Contains(err.Error(), "no scheduled handler") {
		t.Errorf("crons without a scheduled handler: %v", err)
	}
	if _, err := cronhost.New(cronhost.Config{Crons: []string{"0 0 30 2 *"}}); err == nil || !strings.Contains(err.Error(), "never fires") {
		t.Errorf("a cron that never fires: %v", err)
	}
	qh, _ = queuehost.New(queuehost.Config{Broker: b, Producers: map[string]queuehost.Producer{"JOBS": {Queue: "jobs"}}})
	ch, _ = cronhost.New(cronhost.Config{})
	if _, err := f.worker(t, "examples/hello", append(qh.Bindings(), ch.Bindings()...)...); err != nil {
		t.Errorf("a producer and no crons need no handler: %v", err)
	}
	if _, err := queuehost.New(queuehost.Config{Broker: b, Consumers: []queuehost.Consumer{{Queue: "a"}, {Queue: "a"}}}); err == nil {
		t.Error("a queue consumed twice: no error")
	}
}

// BenchmarkEndToEnd sends messages to queue "jobs" in sends of 1, 10
// and 100 and waits until the Wasm consumer (examples/queue-pipeline:
// each message a KV put, then ack) has acknowledged them all: messages
// per second through the broker and a Worker. BenchmarkWriteBatch is the
// baseline: the same messages written to Badger in WriteBatches of that
// size, each synced, in the same run.
func BenchmarkEndToEnd(b *testing.B) {
	for _, size := range []int{1, 10, 100} {
		b.Run(fmt.Sprintf("batch=%d", size), func(b *testing.B) {
			f := newFixture(b)
			br, err := queue.Open(f.st.DB(), queue.Options{})
			if err != nil {
				b.Fatal(err)
			}
			defer br.Close()
			qh, _ := queuehost.New(queuehost.Config{Broker: br, Consumers: []queuehost.Consumer{{Queue: "jobs",
				Config: queue.ConsumerConfig{MaxBatchSize: 100, MaxBatchTimeout: time.Millisecond, MaxConcurrency: 4}}}})
			if _, err := f.worker(b, "examples/queue-pipeline", qh.Bindings()...); err != nil {
				b.Fatal(err)
			}
			ctx := context.Background()
			msgs := make([]queue.SendRequest, size)
			b.ResetTimer()
			var sent atomic.Int64
			b.RunParallel(func(pb *testing.PB) {
				for pb.Next() {
					for i := range msgs {
						msgs[i] = queue.SendRequest{Body: fmt.Appendf(nil, `{"id":"m%d"}`, sent.Add(1)), ContentType: queue.JSON}
					}
					if err := br.Send(ctx, "jobs", slices.Clone(msgs)); err != nil {
						b.Error(err)
						return
					}
				}
			})
			for {
				in, err := br.Info(ctx, "jobs")
				if err != nil {
					b.Fatal(err)
				}
				if in.Ready+in.Delayed+in.InFlight == 0 {
					break
				}
				time.Sleep(time.Millisecond)
			}
			b.ReportMetric(float64(sent.Load())/b.Elapsed().Seconds(), "msgs/s")
		})
	}
}

// BenchmarkWriteBatch is BenchmarkEndToEnd's baseline: Badger
// WriteBatches of the same sizes, each synced.
func BenchmarkWriteBatch(b *testing.B) {
	for _, size := range []int{1, 10, 100} {
		b.Run(fmt.Sprintf("batch=%d", size), func(b *testing.B) {
			f := newFixture(b)
			db := f.st.DB()
			var n atomic.Int64
			b.RunParallel(func(pb *testing.PB) {
				for pb.Next() {
					wb := db.NewWriteBatch()
					for range size {
						i := n.Add(1)
						if err := wb.SetEntry(badger.NewEntry(fmt.Appendf(nil, "bench/%d", i), fmt.Appendf(nil, `{"id":"m%d"}`, i))); err != nil {
							b.Fatal(err)
						}
					}
					if err := wb.Flush(); err != nil {
						b.Fatal(err)
					}
					if err := db.Sync(); err != nil {
						b.Fatal(err)
					}
				}
			})
			b.ReportMetric(float64(n.Load())/b.Elapsed().Seconds(), "msgs/s")
		})
	}
}
