// Package clock is the one clock of a Bindery host: what KV expirations
// are checked against, and (as they land) Durable Object alarms, queue
// delays and cron triggers. An embedder passes one [Clock] to everything
// time-dependent (bindings.Env.Clock, host.WorkerConfig.Clock), so a test
// that uses a [Manual] clock moves all of them at once, without sleeping:
//
//	c := clock.NewManual(time.Now())
//	opened, err := bindings.Open(ctx, mods, bindings.Env{State: st, Clock: c}, cfg)
//	// ... put a key with a 60 s TTL ...
//	c.Advance(time.Minute) // the key has expired
//
// [Real] is the host's clock; nil where a Clock is optional means Real.
package clock

import (
	"container/heap"
	"sync"
	"time"
)

// Clock tells the time and runs functions later. Implementations are safe
// for concurrent use.
type Clock interface {
	// Now returns the current time.
	Now() time.Time
	// AfterFunc runs f in its own goroutine once d has passed (at once
	// for d <= 0, as time.AfterFunc) and returns a Timer that stops or
	// resets it. A Manual clock runs f when a call moves it past the
	// due time, in that call's goroutine.
	AfterFunc(d time.Duration, f func()) Timer
}

// Timer is a pending call of [Clock.AfterFunc]. *time.Timer is one.
type Timer interface {
	// Stop prevents the call if it has not run yet; it reports whether
	// it did (false when the call already ran or was stopped).
	Stop() bool
	// Reset makes the call run d from now (again, when it has run or
	// was stopped); it reports whether the timer was pending.
	Reset(d time.Duration) bool
}

// Real returns the host's clock: time.Now and time.AfterFunc.
func Real() Clock { return realClock{} }

// Or returns c, or Real when c is nil: what a component with an optional
// Clock uses.
func Or(c Clock) Clock {
	if c == nil {
		return Real()
	}
	return c
}

type realClock struct{}

func (realClock) Now() time.Time { return time.Now() }

func (realClock) AfterFunc(d time.Duration, f func()) Timer { return time.AfterFunc(d, f) }

// Manual is a clock that moves only when told to ([Manual.Advance],
// [Manual.Set]): a test's clock. Its timers run, in due-time order, in
// the goroutine of the call that moves the clock past them; while one
// runs, Now reads its due time, so a function that schedules another
// call sees the time it was scheduled for. A timer's function must not
// move the clock itself (Advance and Set wait for each other, so it would
// wait for its own call); it may schedule, stop and reset timers. A
// Manual is safe for concurrent use.
type Manual struct {
	// moving serialises Advance and Set, so timers run in order even
	// when two goroutines move the clock.
	moving sync.Mutex
	mu     sync.Mutex
	now    time.Time
	timers timerHeap
	seq    uint64 // creation order, breaks ties between equal due times
}

var _ Clock = (*Manual)(nil)

// NewManual returns a Manual clock that reads start.
func NewManual(start time.Time) *Manual { return &Manual{now: start} }

// Now returns the clock's time.
func (m *Manual) Now() time.Time {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.now
}

// AfterFunc schedules f at Now()+d. It runs when the clock is moved to
// or past that time (a d <= 0 call runs at the next Advance or Set, even
// Advance(0)).
func (m *Manual) AfterFunc(d time.Duration, f func()) Timer {
	m.mu.Lock()
	defer m.mu.Unlock()
	t := &manualTimer{m: m, f: f, index: -1}
	m.schedule(t, d)
	return t
}

// schedule puts t in the heap, due d from now; m.mu is held.
func (m *Manual) schedule(t *manualTimer, d time.Duration) {
	t.at = m.now.Add(max(d, 0))
	m.seq++
	t.seq = m.seq
	heap.Push(&m.timers, t)
}

// Advance moves the clock by d, running every timer due by the new time
// in due-time order, including those the timers themselves schedule
// within it; it returns when they have all run. A negative d sets the
// clock back, as Set does.
func (m *Manual) Advance(d time.Duration) {
	m.moving.Lock()
	defer m.moving.Unlock()
	m.mu.Lock()
	to := m.now.Add(d)
	m.mu.Unlock()
	m.moveTo(to)
}

// Set moves the clock to t, running the timers due by then as Advance
// does. A t before the clock's time sets the clock back and runs no
// timer (pending ones wait for the clock to come forward again).
func (m *Manual) Set(t time.Time) {
	m.moving.Lock()
	defer m.moving.Unlock()
	m.moveTo(t)
}

// moveTo sets the clock back to t, or runs the timers due by t; m.moving
// is held.
func (m *Manual) moveTo(t time.Time) {
	m.mu.Lock()
	if t.Before(m.now) {
		m.now = t
		m.mu.Unlock()
		return
	}
	m.mu.Unlock()
	m.runTo(t)
}

// runTo runs the timers due by to, one at a time, then sets the clock to
// to; m.moving is held.
func (m *Manual) runTo(to time.Time) {
	for {
		m.mu.Lock()
		if len(m.timers) == 0 || m.timers[0].at.After(to) {
			m.now = to
			m.mu.Unlock()
			return
		}
		t := heap.Pop(&m.timers).(*manualTimer)
		if t.at.After(m.now) {
			m.now = t.at
		}
		f := t.f
		m.mu.Unlock()
		f()
	}
}

// Pending returns how many timers wait to run: a test waits for the code
// under test to schedule one before it advances the clock.
func (m *Manual) Pending() int {
	m.mu.Lock()
	defer m.mu.Unlock()
	return len(m.timers)
}

// Next returns the due time of the earliest pending timer, and false when
// there is none.
func (m *Manual) Next() (time.Time, bool) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if len(m.timers) == 0 {
		return time.Time{}, false
	}
	return m.timers[0].at, true
}

// manualTimer is a Manual clock's Timer.
type manualTimer struct {
	m     *Manual
	f     func()
	at    time.Time
	seq   uint64
	index int // in m.timers; -1 when not pending
}

func (t *manualTimer) Stop() bool {
	t.m.mu.Lock()
	defer t.m.mu.Unlock()
	if t.index < 0 {
		return false
	}
	heap.Remove(&t.m.timers, t.index)
	return true
}

func (t *manualTimer) Reset(d time.Duration) bool {
	t.m.mu.Lock()
	defer t.m.mu.Unlock()
	pending := t.index >= 0
	if pending {
		heap.Remove(&t.m.timers, t.index)
	}
	t.m.schedule(t, d)
	return pending
}

// timerHeap orders pending timers by due time, then creation.
type timerHeap []*manualTimer

func (h timerHeap) Len() int { return len(h) }

func (h timerHeap) Less(i, j int) bool {
	if !h[i].at.Equal(h[j].at) {
		return h[i].at.Before(h[j].at)
	}
	return h[i].seq < h[j].seq
}

func (h timerHeap) Swap(i, j int) {
	h[i], h[j] = h[j], h[i]
	h[i].index = i
	h[j].index = j
}

func (h *timerHeap) Push(x any) {
	t := x.(*manualTimer)
	t.index = len(*h)
	*h = append(*h, t)
}

func (h *timerHeap) Pop() any {
	old := *h
	t := old[len(old)-1]
	old[len(old)-1] = nil
	t.index = -1
	*h = old[:len(old)-1]
	return t
}
