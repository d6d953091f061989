package wasi02

import (
	"io"
	"math/rand/v2"
	"sync/atomic"
	"time"

	"github.com/bindery-run/bindery/abi"
)

// Policy is what one guest instance gets from WASI 0.2: the host sets it
// on each instance (SetPolicy), and the zero Policy, like an instance with
// none, grants nothing.
//
// Denied, the wall clock is a fake one that starts at 2022-01-01T00:00:00Z
// and advances 1 ms per reading, the monotonic clock starts at 0 and
// advances 1 ms per reading (as wazero's WASI preview 1 does without
// clocks), timers are ready at once (no sleep), random bytes come from a
// generator with a fixed seed (deterministic, not secret), and the
// environment and the arguments are empty.
type Policy struct {
	// Wall, if set, reads the wall clock (the real, a coarse or a fixed
	// one); WallResolution is its resolution (0: 1 ns).
	Wall           func() time.Time
	WallResolution time.Duration
	// Monotonic grants the real monotonic clock.
	Monotonic bool
	// Sleep lets timers (subscribe-duration, subscribe-instant) wait;
	// denied, they are ready at once.
	Sleep bool
	// Random, if set, is the source of wasi:random (random, insecure and
	// insecure-seed).
	Random io.Reader
	// Env and Args are the guest's environment and arguments.
	Env  [][2]string
	Args []string
}

// fakeEpoch is the fake wall clock's first reading, as wazero's.
const fakeEpoch = 1640995200 * int64(time.Second)

// state is one instance's policy and its fake clocks and random.
type state struct {
	p    *Policy
	wall atomic.Int64 // ns since the Unix epoch: the fake wall clock's last reading
	mono atomic.Int64 // the fake monotonic clock's last reading
	rng  *rand.ChaCha8
}

type policyKey struct{}

// SetPolicy sets the WASI 0.2 policy of inst; nil denies everything. Call
// it before the instance's first call.
func SetPolicy(inst *abi.Instance, p *Policy) {
	st := newState(p)
	inst.Memo(policyKey{}, func() (any, error) { return st, nil })
}

func newState(p *Policy) *state {
	if p == nil {
		p = &Policy{}
	}
	st := &state{p: p}
	st.wall.Store(fakeEpoch - int64(time.Millisecond))
	st.mono.Store(-int64(time.Millisecond))
	if p.Random == nil {
		st.rng = rand.NewChaCha8([32]byte{})
	}
	return st
}

// policy returns inst's state, denying everything when the host set none.
func policy(inst *abi.Instance) *state {
	v, _ := inst.Memo(policyKey{}, func() (any, error) { return newState(nil), nil })
	return v.(*state)
}

// wallNow reads the wall clock of the policy.
func (st *state) wallNow() (sec int64, nsec int32) {
	if st.p.Wall != nil {
		t := st.p.Wall()
		return t.Unix(), int32(t.Nanosecond())
	}
	ns := st.wall.Add(int64(time.Millisecond))
	return ns / 1e9, int32(ns % 1e9)
}

// monoNow reads the monotonic clock of the policy (h's start is its zero).
func (st *state) monoNow(h *Host) uint64 {
	if st.p.Monotonic {
		return uint64(time.Since(h.start))
	}
	return uint64(st.mono.Add(int64(time.Millisecond)))
}

// read fills b from the policy's random source.
func (st *state) read(b []byte) {
	if st.rng != nil {
		st.rng.Read(b)
		return
	}
	if _, err := io.ReadFull(st.p.Random, b); err != nil {
		panic(&abi.Trap{Msg: "wasi:random: the host's random source failed: " + err.Error()})
	}
}
