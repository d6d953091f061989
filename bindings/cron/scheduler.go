package cron

import (
	"sync"
	"time"

	"github.com/bindery-run/bindery/host/clock"
)

// Start fires each expression of exprs at its times on clock c (nil
// means [clock.Real]) and returns the function that stops it.
//
// For each expression Start arms a timer (c.AfterFunc) for its next
// time after c.Now(). When the timer runs, Start calls fire(e, scheduled)
// in a goroutine of its own, scheduled being the time the timer was
// armed for, so a slow fire delays no other trigger and runs of one
// expression may overlap (as on Cloudflare); then it arms the timer again
// for the expression's next time after the clock's current time.
//
// Occurrences are not replayed:
//   - Nothing fires for the times before Start (the process was not
//     running).
//   - A timer that runs late (the machine slept, the wall clock jumped
//     forward) fires once, for the time it was armed for, and the
//     occurrences it ran late over are skipped.
//   - A timer that runs early by the wall clock (it was set back) fires
//     nothing and waits for its time again.
//
// A [clock.Manual] clock passes through every due time when it is moved
// (its timers run in order, each while the clock reads its due time), so
// Advance or Set over several occurrences fires each of them, each with
// its own scheduled time; their fire goroutines start together, in no
// particular order.
//
// stop stops the timers and returns once nothing runs in the scheduler:
// no timer is pending and every fire goroutine started has returned; fire
// is not called after stop returns. Calling stop again does nothing more.
// fire must not call stop itself (it would wait for itself).
func Start(c clock.Clock, exprs []*Expr, fire func(e *Expr, scheduled time.Time)) (stop func()) {
	s := &scheduler{c: clock.Or(c), fire: fire, timers: make([]clock.Timer, len(exprs))}
	s.mu.Lock()
	now := s.c.Now()
	for i, e := range exprs {
		s.arm(i, e, e.Next(now), now)
	}
	s.mu.Unlock()
	return s.stop
}

// scheduler is Start's state.
type scheduler struct {
	c    clock.Clock
	fire func(*Expr, time.Time)

	mu      sync.Mutex
	stopped bool
	timers  []clock.Timer // timers[i]: exprs[i]'s pending timer
	// running counts the pending timers (from when they are armed to
	// when they are stopped or their function returns) and the fire
	// goroutines; mu is held for every Add, and none happens once
	// stopped is set, so stop's Wait sees them all.
	running sync.WaitGroup
}

// arm arms exprs[i]'s timer for at; mu is held.
func (s *scheduler) arm(i int, e *Expr, at, now time.Time) {
	s.running.Add(1)
	s.timers[i] = s.c.AfterFunc(at.Sub(now), func() { s.due(i, e, at) })
}

// due runs when exprs[i]'s timer for at runs.
func (s *scheduler) due(i int, e *Expr, at time.Time) {
	s.mu.Lock()
	defer s.mu.Unlock()
	defer s.running.Done()
	if s.stopped {
		return
	}
	now := s.c.Now()
	if now.Before(at) {
		// Early by the wall clock: wait for the rest.
		s.arm(i, e, at, now)
		return
	}
	s.running.Add(1)
	go func() {
		defer s.running.Done()
		s.fire(e, at)
	}()
	// Next(now) is after now >= at: whatever was due between at and
	// now is skipped.
	s.arm(i, e, e.Next(now), now)
}

// stop is the function Start returns.
func (s *scheduler) stop() {
	s.mu.Lock()
	if !s.stopped {
		s.stopped = true
		for _, t := range s.timers {
			if t.Stop() {
				s.running.Done() // its function will not run
			}
		}
	}
	s.mu.Unlock()
	s.running.Wait()
}
