package host

import (
	"context"
	"os"
	"testing"
	"time"

	"github.com/bindery-run/bindery/host/clock"
)

// TestWorkerClock: WorkerConfig.Clock becomes the Worker's WASI wall
// clock (TestGuestWASI checks that a guest reads WallClock.Clock), and a
// Worker without one reads the host's.
func TestWorkerClock(t *testing.T) {
	ctx := context.Background()
	rt, err := NewRuntime(ctx, RuntimeConfig{NoCache: true})
	if err != nil {
		t.Fatal(err)
	}
	defer rt.Close(ctx)
	wasm, err := os.ReadFile("testdata/hello.wasm")
	if err != nil {
		t.Fatal(err)
	}
	start := time.Date(2031, 5, 6, 7, 8, 9, 0, time.UTC)
	c := clock.NewManual(start)
	manual, err := rt.NewWorker(ctx, WorkerConfig{Name: "manual", Wasm: wasm, Clock: c})
	if err != nil {
		t.Fatal(err)
	}
	defer manual.Guest().Close(ctx)
	wall := manual.g.wasi.WallClock.wall()
	if got := wall(); !got.Equal(start) {
		t.Errorf("the Worker's wall clock reads %v, want the manual clock's %v", got, start)
	}
	c.Advance(time.Hour)
	if got := wall(); !got.Equal(start.Add(time.Hour)) {
		t.Errorf("after Advance(1h) the Worker's wall clock reads %v", got)
	}
	onHost, err := rt.NewWorker(ctx, WorkerConfig{Name: "real", Wasm: wasm})
	if err != nil {
		t.Fatal(err)
	}
	defer onHost.Guest().Close(ctx)
	if d := time.Since(onHost.g.wasi.WallClock.wall()()).Abs(); d > time.Minute {
		t.Errorf("a Worker without a Clock reads a wall clock %v off the host's", d)
	}
}
