package alarms

import (
	"context"
	"fmt"
	"github.com/bindery-run/bindery/internal/testutil"
	"os"
	"testing"
	"time"

	"github.com/bindery-run/bindery/host/clock"
	"github.com/bindery-run/bindery/internal/badgerdb"
)

const crashEnv = "BINDERY_DO_ALARMS_CRASH_WRITER"

// TestMain lets TestKill9 re-run this binary as a writer process.
func TestMain(m *testing.M) {
	if dir := os.Getenv(crashEnv); dir != "" {
		crashWriter(dir)
		return
	}
	os.Exit(m.Run())
}

// crashAt is alarm i's time in the crash test: all in the future, so
// none is delivered and removed.
func crashAt(i int) time.Time { return t0.AddDate(50, 0, 0).Add(time.Duration(i) * time.Millisecond) }

// crashWriter sets alarms forever in the database in dir, printing each
// one's number once Set returned: object i%50 gets alarm i (so most
// calls replace an alarm), and every seventh is deleted again.
func crashWriter(dir string) {
	ctx := context.Background()
	db, err := badgerdb.Open(dir, nil)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(2)
	}
	s, err := New(db, Options{Deliver: func(context.Context, string, string, Info) error { return nil }})
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(2)
	}
	if err := s.Start(); err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(2)
	}
	for i := 0; ; i++ {
		id := fmt.Sprintf("o%02d", i%50)
		if i%7 == 6 {
			err = s.Delete(ctx, class, id)
		} else {
			err = s.Set(ctx, class, id, crashAt(i))
		}
		if err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(2)
		}
		fmt.Println(i)
	}
}

// TestKill9: kill -9 a process in the middle of setting and deleting
// alarms; after a restart every acknowledged change is there, and the
// index agrees with the records.
func TestKill9(t *testing.T) {
	if testing.Short() {
		t.Skip("starts a subprocess")
	}
	dir := t.TempDir()
	acked := int(testutil.Kill9(t, crashEnv, dir, 1000))

	h := &harness{t: t, dir: dir, clk: clock.NewManual(t0), log: &logs{}}
	h.open(0)
	t.Cleanup(h.close)
	h.s.waitIdle()
	if c := h.taken(); len(c) != 0 {
		t.Fatalf("delivered %+v", c)
	}
	stored := 0
	for o := range 50 {
		// The last acknowledged change to object o, or a later one: the
		// writer runs ahead of what the test has read when it is killed.
		// An alarm older than the acknowledged change is a lost write.
		last := acked - (acked-o)%50
		got := h.get(fmt.Sprintf("o%02d", o))
		if !got.IsZero() {
			j := int(got.Sub(crashAt(0)) / time.Millisecond)
			if !got.Equal(crashAt(j)) || j < last || j%50 != o || j%7 == 6 {
				t.Errorf("o%02d: Get = %v (change %d), want change %d or a later change to o%02d that sets it", o, got, j, last, o)
			}
		}
		if !got.IsZero() {
			stored++
		}
	}
	h.wantStored(stored)
}
