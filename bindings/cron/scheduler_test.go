package cron

import (
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/bindery-run/bindery/host/clock"
)

// firing is one call of Start's fire function.
type firing struct {
	expr string
	at   time.Time
}

// recorder records firings on a buffered channel.
type recorder chan firing

func (r recorder) fire(e *Expr, at time.Time) { r <- firing{e.String(), at} }

// next waits for a firing.
func (r recorder) next(t *testing.T) firing {
	t.Helper()
	select {
	case f := <-r:
		return f
	case <-time.After(10 * time.Second):
		t.Fatal("no firing")
		return firing{}
	}
}

// drain returns the firings recorded so far (after stop, all of them),
// sorted by time then expression.
func (r recorder) drain() []firing {
	var fs []firing
	for {
		select {
		case f := <-r:
			fs = append(fs, f)
		default:
			slices.SortFunc(fs, func(a, b firing) int {
				if c := a.at.Compare(b.at); c != 0 {
					return c
				}
				return strings.Compare(a.expr, b.expr)
			})
			return fs
		}
	}
}

func TestStartFiresOnTime(t *testing.T) {
	c := clock.NewManual(at(t, "2026-12-08 12:02:30"))
	rec := make(recorder, 100)
	stop := Start(c, []*Expr{MustParse("*/5 * * * *")}, rec.fire)
	defer stop()

	if next, ok := c.Next(); !ok || !next.Equal(at(t, "2026-12-08 12:05")) {
		t.Fatalf("armed for %v, %v; want 12:05", next, ok)
	}
	c.Set(at(t, "2026-12-08 12:04:59"))
	if next, _ := c.Next(); !next.Equal(at(t, "2026-12-08 12:05")) || len(rec) != 0 {
		t.Fatalf("before 12:05: armed for %v, %d firings", next, len(rec))
	}
	c.Set(at(t, "2026-12-08 12:05"))
	if f := rec.next(t); f != (firing{"*/5 * * * *", at(t, "2026-12-08 12:05")}) {
		t.Errorf("fired %+v", f)
	}
	if next, _ := c.Next(); !next.Equal(at(t, "2026-12-08 12:10")) {
		t.Errorf("re-armed for %v, want 12:10", next)
	}

	stop()
	if c.Pending() != 0 {
		t.Errorf("%d timers pending after stop", c.Pending())
	}
	c.Advance(time.Hour)
	if fs := rec.drain(); len(fs) != 0 {
		t.Errorf("fired after stop: %+v", fs)
	}
	stop() // again: nothing more
}

// Two expressions; a Manual clock moved over several occurrences fires
// each of them.
func TestStartTwoExpressions(t *testing.T) {
	c := clock.NewManual(at(t, "2026-12-08 12:02:30"))
	rec := make(recorder, 100)
	stop := Start(c, []*Expr{MustParse("*/5 * * * *"), MustParse("0 * * * *")}, rec.fire)
	c.Set(at(t, "2026-12-08 13:00"))
	stop() // waits for the fire goroutines

	var want []firing
	for m := 5; m <= 60; m += 5 {
		tm := at(t, "2026-12-08 12:00").Add(time.Duration(m) * time.Minute)
		if m == 60 {
			want = append(want, firing{"*/5 * * * *", tm}, firing{"0 * * * *", tm})
			continue
		}
		want = append(want, firing{"*/5 * * * *", tm})
	}
	if got := rec.drain(); !slices.Equal(got, want) {
		t.Errorf("fired\n%+v\nwant\n%+v", got, want)
	}
}

// What was due before Start is not fired.
func TestStartNoReplay(t *testing.T) {
	c := clock.NewManual(at(t, "2026-12-08 12:30"))
	rec := make(recorder, 10)
	stop := Start(c, []*Expr{MustParse("0 12 * * *")}, rec.fire)
	defer stop()
	c.Advance(23 * time.Hour) // 11:30 the next day
	if len(rec) != 0 {
		t.Fatalf("fired before its time: %+v", rec.drain())
	}
	c.Advance(30 * time.Minute)
	if f := rec.next(t); !f.at.Equal(at(t, "2026-12-09 12:00")) {
		t.Errorf("fired for %v, want 2026-12-09 12:00", f.at)
	}
}

// jumpClock is a clock whose time the test sets without running timers,
// and whose one pending timer the test runs: a timer that runs late or
// early by the wall clock.
type jumpClock struct {
	mu  sync.Mutex
	now time.Time
	d   time.Duration // of the last AfterFunc
	f   func()
	n   int // AfterFunc calls
}

func (c *jumpClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *jumpClock) set(t time.Time) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = t
}

func (c *jumpClock) AfterFunc(d time.Duration, f func()) clock.Timer {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.d, c.f = d, f
	c.n++
	return jumpTimer{c, c.n}
}

// run runs the pending timer's function.
func (c *jumpClock) run() {
	c.mu.Lock()
	f := c.f
	c.f = nil
	c.mu.Unlock()
	f()
}

type jumpTimer struct {
	c *jumpClock
	n int
}

func (t jumpTimer) Stop() bool {
	t.c.mu.Lock()
	defer t.c.mu.Unlock()
	if t.c.n != t.n || t.c.f == nil {
		return false
	}
	t.c.f = nil
	return true
}

func (t jumpTimer) Reset(time.Duration) bool { panic("not used") }

func TestStartLateAndEarlyTimers(t *testing.T) {
	c := &jumpClock{now: at(t, "2026-12-08 12:02:30")}
	rec := make(recorder, 10)
	stop := Start(c, []*Expr{MustParse("*/5 * * * *")}, rec.fire)
	if c.d != 150*time.Second {
		t.Fatalf("armed in %v, want 2m30s", c.d)
	}

	// The timer runs late, over 12:10 ... 12:30: the occurrence it was
	// armed for fires once, the rest are skipped.
	c.set(at(t, "2026-12-08 12:31:10"))
	c.run()
	if f := rec.next(t); !f.at.Equal(at(t, "2026-12-08 12:05")) {
		t.Errorf("late timer fired for %v, want 12:05", f.at)
	}
	if c.d != 3*time.Minute+50*time.Second {
		t.Errorf("re-armed in %v, want 3m50s (12:35)", c.d)
	}

	// The wall clock is set back before 12:35: the timer runs early,
	// fires nothing and waits for 12:35 again.
	c.set(at(t, "2026-12-08 12:30"))
	c.run()
	if c.d != 5*time.Minute {
		t.Errorf("early timer re-armed in %v, want 5m (12:35)", c.d)
	}
	stop()
	if fs := rec.drain(); len(fs) != 0 {
		t.Errorf("more firings: %+v", fs)
	}
}

// A slow fire delays no other trigger, and stop waits for it.
func TestStartSlowFire(t *testing.T) {
	c := clock.NewManual(at(t, "2026-12-08 12:00"))
	rec := make(recorder, 10)
	release := make(chan struct{})
	first := at(t, "2026-12-08 12:01")
	stop := Start(c, []*Expr{MustParse("* * * * *")}, func(e *Expr, tm time.Time) {
		rec.fire(e, tm)
		if tm.Equal(first) {
			<-release
		}
	})
	c.Advance(time.Minute)
	if f := rec.next(t); !f.at.Equal(first) {
		t.Fatalf("fired for %v", f.at)
	}
	c.Advance(time.Minute) // the first run is still going
	if f := rec.next(t); !f.at.Equal(first.Add(time.Minute)) {
		t.Fatalf("fired for %v", f.at)
	}

	stopped := make(chan struct{})
	go func() {
		stop()
		close(stopped)
	}()
	select {
	case <-stopped:
		t.Fatal("stop returned while a fire goroutine runs")
	case <-time.After(50 * time.Millisecond):
	}
	close(release)
	select {
	case <-stopped:
	case <-time.After(10 * time.Second):
		t.Fatal("stop did not return")
	}
}

// stop while another goroutine moves the clock: no firing after stop
// returns (and, under -race, no data race).
func TestStartStopWhileMoving(t *testing.T) {
	c := clock.NewManual(at(t, "2026-12-08 12:00"))
	rec := make(recorder, 1000)
	stop := Start(c, []*Expr{MustParse("* * * * *"), MustParse("*/2 * * * *")}, rec.fire)
	done := make(chan struct{})
	go func() {
		defer close(done)
		for range 300 {
			c.Advance(time.Minute)
		}
	}()
	time.Sleep(time.Millisecond)
	stop()
	n := len(rec.drain())
	<-done
	if more := rec.drain(); len(more) != 0 {
		t.Errorf("%d firings after stop returned (%d before)", len(more), n)
	}
}

func TestStartRealClock(t *testing.T) {
	stop := Start(nil, []*Expr{MustParse("* * * * *")}, func(*Expr, time.Time) {})
	stop()
}
