package host

import (
	"crypto/rand"
	"io"
	"maps"
	"slices"
	"time"

	"github.com/bindery-run/bindery/abi"
	"github.com/bindery-run/bindery/host/clock"
	"github.com/bindery-run/bindery/host/wasi02"
	"github.com/tetratelabs/wazero"
	"github.com/tetratelabs/wazero/sys"
)

// WASIConfig is what a guest gets from WASI, preview 1 and 0.2 alike. The
// zero value denies everything:
//
//   - clocks: wazero's fake clocks (the wall clock starts at
//     2022-01-01T00:00:00Z; each reading of either clock advances it 1 ms);
//   - randomness: a generator with a fixed seed (deterministic, not secret);
//   - sleep: returns at once (poll_oneoff, and WASI 0.2 timers are ready);
//   - no environment, no arguments, no files, no network.
//
// stdout and stderr always go to the guest's logger (one record per
// line, at info and warn). A Worker gets the real clocks, sleep and
// crypto/rand (WorkerWASI).
type WASIConfig struct {
	// WallClock grants a wall clock (see WallClock); the zero value is
	// the fake one.
	WallClock WallClock
	// MonotonicClock grants the real monotonic clock.
	MonotonicClock bool
	// Sleep lets the guest sleep (WASI poll_oneoff with a clock, WASI 0.2
	// timers) until its call's deadline.
	Sleep bool
	// Random, if not nil, is the guest's randomness (crypto/rand.Reader
	// for secure randomness; a seeded reader for a reproducible one).
	Random io.Reader
	// Env and Args are the guest's environment and arguments.
	Env  map[string]string
	Args []string
	// Mounts are host directories the guest may open (WASI preview 1
	// only: WASI 0.2's filesystem stays denied).
	Mounts []Mount
}

// WallClock is a WASIConfig's wall clock grant: Real, Real with a
// Resolution (a coarse clock, rounded down to it), or a Fixed time. The
// zero value is wazero's fake clock.
type WallClock struct {
	// Real grants the host's wall clock.
	Real bool
	// Resolution, with Real, rounds every reading down to a multiple of
	// it (e.g. time.Second): the guest cannot time what it should not.
	Resolution time.Duration
	// Fixed, when not zero (and not Real), is the time of every reading.
	Fixed time.Time
	// Clock, with Real, is the clock the wall clock reads instead of the
	// host's: the host's one clock (WorkerConfig.Clock), a manual one in
	// tests. Resolution still applies.
	Clock clock.Clock
}

// Mount makes a host directory visible to the guest.
type Mount struct {
	// HostDir is the directory on the host.
	HostDir string
	// GuestPath is where the guest sees it, e.g. "/data".
	GuestPath string
	// Writable lets the guest create, change and remove files in it;
	// false mounts it read-only.
	Writable bool
}

// WorkerWASI is what a Worker gets from WASI: the real clocks, sleep
// (bounded by the request's deadline) and crypto/rand; no environment,
// arguments or files.
func WorkerWASI() WASIConfig {
	return WASIConfig{WallClock: WallClock{Real: true}, MonotonicClock: true, Sleep: true, Random: rand.Reader}
}

// wall returns the clock c grants, or nil for the fake one.
func (c WallClock) wall() func() time.Time {
	now := time.Now
	if c.Clock != nil {
		now = c.Clock.Now
	}
	switch {
	case c.Real && c.Resolution > 0:
		res := c.Resolution
		return func() time.Time { return now().Truncate(res) }
	case c.Real:
		return now
	case !c.Fixed.IsZero():
		t := c.Fixed
		return func() time.Time { return t }
	}
	return nil
}

// moduleConfig is what an instance gets from WASI preview 1: its log as
// stdout and stderr, and what c grants.
func (g *Guest) moduleConfig(inst *instance) wazero.ModuleConfig {
	c := g.wasi
	mc := wazero.NewModuleConfig().WithName("").WithStdout(inst.stdout).WithStderr(inst.stderr)
	switch wall := c.WallClock.wall(); {
	case c.WallClock.Real && c.WallClock.Resolution == 0 && c.WallClock.Clock == nil:
		mc = mc.WithSysWalltime()
	case wall != nil:
		res := sys.ClockResolution(1)
		if c.WallClock.Resolution > 0 {
			// What clock_res_get reports: wazero refuses more than
			// ~817 ms (its check overflows uint32), so a coarser clock
			// reports 500 ms; the readings are rounded all the same.
			res = sys.ClockResolution(min(c.WallClock.Resolution, 500*time.Millisecond))
		}
		mc = mc.WithWalltime(func() (int64, int32) {
			t := wall()
			return t.Unix(), int32(t.Nanosecond())
		}, res)
	}
	if c.MonotonicClock {
		mc = mc.WithSysNanotime()
	}
	if c.Sleep {
		mc = mc.WithNanosleep(inst.nanosleep)
	}
	if c.Random != nil {
		mc = mc.WithRandSource(c.Random)
	}
	for _, k := range slices.Sorted(maps.Keys(c.Env)) {
		mc = mc.WithEnv(k, c.Env[k])
	}
	if len(c.Args) > 0 {
		mc = mc.WithArgs(c.Args...)
	}
	if len(c.Mounts) > 0 {
		fc := wazero.NewFSConfig()
		for _, m := range c.Mounts {
			if m.Writable {
				fc = fc.WithDirMount(m.HostDir, m.GuestPath)
			} else {
				fc = fc.WithReadOnlyDirMount(m.HostDir, m.GuestPath)
			}
		}
		mc = mc.WithFSConfig(fc)
	}
	return mc
}

// setWASI02 gives a new instance its WASI 0.2 policy: the same grants.
func (c WASIConfig) setWASI02(_ *instance, a *abi.Instance) {
	p := &wasi02.Policy{
		Wall:      c.WallClock.wall(),
		Monotonic: c.MonotonicClock,
		Sleep:     c.Sleep,
		Random:    c.Random,
		Args:      c.Args,
	}
	if c.WallClock.Real {
		p.WallResolution = c.WallClock.Resolution
	}
	for _, k := range slices.Sorted(maps.Keys(c.Env)) {
		p.Env = append(p.Env, [2]string{k, c.Env[k]})
	}
	wasi02.SetPolicy(a, p)
}
