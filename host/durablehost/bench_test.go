package durablehost_test

import (
	"context"
	"fmt"
	"math/rand/v2"
	"net/http/httptest"
	"os"
	"path/filepath"
	"runtime/debug"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/coder/websocket"

	"github.com/bindery-run/bindery/bindings/durable/storage"
	"github.com/bindery-run/bindery/bindings/state"
	"github.com/bindery-run/bindery/internal/testutil"
	"log/slog"
)

// BenchmarkRequests compares requests through the test Worker: a route
// that reaches no object (the baseline), an RPC call to one hot object
// from every goroutine, and calls spread over 1,000 objects. The ratios
// to hello are the cost of reaching an object.
func BenchmarkRequests(b *testing.B) {
	f := newFixture(b, time.Hour)
	for _, c := range []struct {
		name string
		path func(r *rand.Rand) string
	}{
		{"hello", func(*rand.Rand) string { return "/hello" }},
		{"rpc-hot", func(*rand.Rand) string { return "/rpc/Mem/hot/noop" }},
		{"rpc-1000-objects", func(r *rand.Rand) string { return "/rpc/Mem/o" + strconv.Itoa(r.IntN(1000)) + "/noop" }},
	} {
		b.Run(c.name, func(b *testing.B) {
			b.RunParallel(func(pb *testing.PB) {
				r := rand.New(rand.NewPCG(rand.Uint64(), 1))
				for pb.Next() {
					rec := httptest.NewRecorder()
					f.w.ServeHTTP(rec, httptest.NewRequest("POST", c.path(r), nil))
					if rec.Code != 200 {
						b.Fatalf("%s: %d %s", c.path(r), rec.Code, rec.Body)
					}
				}
			})
		})
	}
}

// BenchmarkStorage compares a put and a get of a small value from inside
// an object (an RPC call that makes 100 storage calls, so the time per op
// is mostly the storage call: guest, SDK, encoding, ABI, host, storage)
// with the same operation on the storage directly: SQLite-backed (Mem)
// and KV-backed (KVMem, Badger).
func BenchmarkStorage(b *testing.B) {
	f := newFixture(b, time.Hour)
	dir := b.TempDir()
	st, err := state.Open(dir, state.Options{Logger: slog.New(slog.DiscardHandler)})
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { st.Close() })
	sqlite := storage.NewSQLite(filepath.Join(dir, "direct.sqlite"), storage.SQLiteOptions{})
	b.Cleanup(func() { sqlite.Close() })
	direct := map[string]storage.Storage{"Mem": sqlite, "KVMem": storage.NewBadger(st.DB(), "direct", "x")}
	ctx := context.Background()
	const perCall = 100
	for _, class := range []string{"Mem", "KVMem"} {
		for _, op := range []string{"puts", "gets"} {
			b.Run(class+"/"+op+"/object", func(b *testing.B) {
				f.rpc(b, class, "bench", "puts?n=100")
				for b.Loop() {
					if code, body := f.rpc(b, class, "bench", op+"?n="+strconv.Itoa(perCall)); code != 200 || body != "100" {
						b.Fatalf("%s: %d %s", op, code, body)
					}
				}
				b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*perCall), "ns/storage-op")
			})
			b.Run(class+"/"+op+"/direct", func(b *testing.B) {
				s := direct[class]
				v := []byte("\xd9\xd9\xf7\x18\x2a") // 42, encoded
				for i := range 100 {
					s.Put(ctx, []storage.Entry{{Key: fmt.Sprintf("k%d", i), Value: v}})
				}
				i := 0
				for b.Loop() {
					key := fmt.Sprintf("k%d", i%100)
					i++
					var err error
					if op == "puts" {
						err = s.Put(ctx, []storage.Entry{{Key: key, Value: v}})
					} else {
						_, err = s.Get(ctx, []string{key})
					}
					if err != nil {
						b.Fatal(err)
					}
				}
				b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N), "ns/storage-op")
			})
		}
	}
}

// BenchmarkObjectMemory makes 10,000 live objects of a Go class (each has
// handled one event and holds a little state) and reports the memory
// they take: the process's resident set before and after, per object.
func BenchmarkObjectMemory(b *testing.B) {
	const n = 10_000
	for b.Loop() {
		f := newFixture(b, time.Hour)
		f.rpc(b, "Mem", "warm", "noop")
		debug.FreeOSMemory()
		before := rss(b)
		for i := range n {
			if code, body := f.rpc(b, "Mem", "m"+strconv.Itoa(i), "noop"); code != 200 {
				b.Fatalf("object %d: %d %s", i, code, body)
			}
		}
		debug.FreeOSMemory()
		after := rss(b)
		s := f.h.Manager().Stats()
		b.ReportMetric(float64(after-before)/n, "bytes/object")
		b.ReportMetric(float64(after-before)/(1<<20), "MiB/10k-objects")
		b.ReportMetric(float64(s.Instances), "instances")
		if s.Objects < n {
			b.Fatalf("%d objects live, want %d", s.Objects, n)
		}
	}
}

// rss returns the process's resident set size in bytes (Linux).
func rss(tb testing.TB) int64 {
	b, err := os.ReadFile("/proc/self/statm")
	testutil.NeedToolchain(tb, err)
	fields := strings.Fields(string(b))
	pages, _ := strconv.ParseInt(fields[1], 10, 64)
	return pages * int64(os.Getpagesize())
}

// BenchmarkBroadcast100 sends messages into a room of 100 web sockets
// whose object (Go, through the Wasm runner) sends each to every socket:
// messages delivered a second, counted at the clients.
func BenchmarkBroadcast100(b *testing.B) {
	f := newFixture(b, time.Hour)
	srv := httptest.NewServer(f.w)
	b.Cleanup(srv.Close)
	ctx := context.Background()
	url := "ws" + strings.TrimPrefix(srv.URL, "http") + "/ws/room-bench"
	const n = 100
	conns := make([]*websocket.Conn, n)
	for i := range conns {
		c, _, err := websocket.Dial(ctx, url, nil)
		if err != nil {
			b.Fatal(err)
		}
		b.Cleanup(func() { c.CloseNow() })
		conns[i] = c
	}
	// Each client reads on its own goroutine; a round ends when all have
	// its message.
	got := make(chan struct{}, n*16)
	for _, c := range conns {
		go func() {
			for {
				if _, _, err := c.Read(ctx); err != nil {
					return
				}
				got <- struct{}{}
			}
		}()
	}
	msg := []byte("hello, room")
	for b.Loop() {
		if err := conns[0].Write(ctx, websocket.MessageText, msg); err != nil {
			b.Fatal(err)
		}
		for range n {
			<-got
		}
	}
	b.ReportMetric(float64(b.N*n)/b.Elapsed().Seconds(), "msgs/s")
}
