package clock_test

import (
	"fmt"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/bindery-run/bindery/host/clock"
)

var start = time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)

// TestManualOrder: Advance runs the due timers in due-time order (ties in
// creation order), each seeing its own due time as Now, leaves the rest,
// and ends at the target time.
func TestManualOrder(t *testing.T) {
	c := clock.NewManual(start)
	var got []string
	add := func(name string, d time.Duration) clock.Timer {
		return c.AfterFunc(d, func() { got = append(got, fmt.Sprintf("%s@%s", name, c.Now().Sub(start))) })
	}
	add("c", 3*time.Second)
	add("a", time.Second)
	add("b1", 2*time.Second)
	add("b2", 2*time.Second)
	add("late", time.Hour)
	c.Advance(5 * time.Second)
	want := []string{"a@1s", "b1@2s", "b2@2s", "c@3s"}
	if !slices.Equal(got, want) {
		t.Errorf("ran %q, want %q", got, want)
	}
	if now := c.Now(); !now.Equal(start.Add(5 * time.Second)) {
		t.Errorf("Now = %v after Advance(5s)", now.Sub(start))
	}
	if n := c.Pending(); n != 1 {
		t.Errorf("Pending = %d, want 1 (late)", n)
	}
	if next, ok := c.Next(); !ok || !next.Equal(start.Add(time.Hour)) {
		t.Errorf("Next = %v, %v", next, ok)
	}
}

// TestManualChain: a timer that schedules another within the same Advance
// sees it run in the same Advance, from its own due time.
func TestManualChain(t *testing.T) {
	c := clock.NewManual(start)
	var at []time.Duration
	var tick func()
	tick = func() {
		at = append(at, c.Now().Sub(start))
		c.AfterFunc(time.Second, tick)
	}
	c.AfterFunc(time.Second, tick)
	c.Advance(3500 * time.Millisecond)
	if want := []time.Duration{time.Second, 2 * time.Second, 3 * time.Second}; !slices.Equal(at, want) {
		t.Errorf("ticks at %v, want %v", at, want)
	}
	if c.Pending() != 1 {
		t.Errorf("Pending = %d, want the 4 s tick", c.Pending())
	}
}

// TestManualStopReset: Stop and Reset report whether the timer was
// pending, and a reset timer runs at its new time only.
func TestManualStopReset(t *testing.T) {
	c := clock.NewManual(start)
	ran := 0
	tm := c.AfterFunc(time.Second, func() { ran++ })
	if !tm.Stop() {
		t.Error("Stop of a pending timer = false")
	}
	if tm.Stop() {
		t.Error("second Stop = true")
	}
	c.Advance(2 * time.Second)
	if ran != 0 {
		t.Fatal("a stopped timer ran")
	}
	if tm.Reset(time.Second) {
		t.Error("Reset of a stopped timer = true")
	}
	if !tm.Reset(3 * time.Second) {
		t.Error("Reset of a pending timer = false")
	}
	c.Advance(2 * time.Second)
	if ran != 0 {
		t.Fatal("ran at its old time after Reset")
	}
	c.Advance(time.Second)
	if ran != 1 {
		t.Fatalf("ran %d times at its new time, want 1", ran)
	}
	if tm.Stop() {
		t.Error("Stop after the timer ran = true")
	}
}

// TestManualSet: Set forward runs due timers; Set back (or a negative
// Advance) runs none, and a zero or negative AfterFunc runs at the next
// move, even Advance(0).
func TestManualSet(t *testing.T) {
	c := clock.NewManual(start)
	ran := 0
	c.AfterFunc(time.Minute, func() { ran++ })
	c.Set(start.Add(-time.Hour))
	if ran != 0 || !c.Now().Equal(start.Add(-time.Hour)) {
		t.Fatalf("Set back: ran %d, Now %v", ran, c.Now())
	}
	c.Set(start.Add(time.Minute))
	if ran != 1 {
		t.Fatalf("Set to the due time ran %d, want 1", ran)
	}
	c.AfterFunc(-time.Second, func() { ran++ })
	c.Advance(0)
	if ran != 2 || !c.Now().Equal(start.Add(time.Minute)) {
		t.Errorf("Advance(0): ran %d, Now %v", ran, c.Now().Sub(start))
	}
	c.AfterFunc(time.Second, func() { ran++ })
	c.Advance(-time.Hour)
	if ran != 2 || !c.Now().Equal(start.Add(time.Minute-time.Hour)) {
		t.Errorf("Advance(-1h): ran %d, Now %v", ran, c.Now().Sub(start))
	}
}

// TestManualConcurrent runs under -race: goroutines schedule, stop and
// read while others advance; every timer not stopped runs exactly once.
func TestManualConcurrent(t *testing.T) {
	c := clock.NewManual(start)
	var mu sync.Mutex
	ran := map[int]int{}
	var wg sync.WaitGroup
	for g := range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range 100 {
				id := g*1000 + i
				tm := c.AfterFunc(time.Duration(i%7)*time.Millisecond, func() {
					mu.Lock()
					ran[id]++
					mu.Unlock()
				})
				if i%10 == 0 && tm.Stop() {
					mu.Lock()
					ran[id] = -1
					mu.Unlock()
				}
				_ = c.Now()
			}
		}()
	}
	for range 4 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for range 50 {
				c.Advance(time.Millisecond)
			}
		}()
	}
	wg.Wait()
	c.Advance(time.Hour)
	for id, n := range ran {
		if n != 1 && n != -1 {
			t.Errorf("timer %d ran %d times", id, n)
		}
	}
	if len(ran) != 800 {
		t.Errorf("%d timers accounted for, want 800", len(ran))
	}
}

// TestReal: Real and Or(nil) read the host's clock and run AfterFunc.
func TestReal(t *testing.T) {
	for _, c := range []clock.Clock{clock.Real(), clock.Or(nil)} {
		before := time.Now()
		if now := c.Now(); now.Before(before) || now.Sub(before) > time.Minute {
			t.Errorf("Now = %v, host says %v", now, before)
		}
		done := make(chan struct{})
		c.AfterFunc(time.Millisecond, func() { close(done) })
		select {
		case <-done:
		case <-time.After(10 * time.Second):
			t.Fatal("AfterFunc never ran")
		}
	}
	m := clock.NewManual(start)
	if clock.Or(m) != clock.Clock(m) {
		t.Error("Or(m) is not m")
	}
}

func ExampleManual() {
	c := clock.NewManual(time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC))
	c.AfterFunc(time.Minute, func() { fmt.Println("alarm at", c.Now().Format(time.TimeOnly)) })
	c.Advance(30 * time.Second)
	fmt.Println("now", c.Now().Format(time.TimeOnly))
	c.Advance(time.Hour)
	fmt.Println("now", c.Now().Format(time.TimeOnly))
	// Output:
	// now 00:00:30
	// alarm at 00:01:00
	// now 01:00:30
}
