package host

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io/fs"
	"maps"
	"slices"
	"time"

	"github.com/tetratelabs/wazero"
	"github.com/tetratelabs/wazero/api"
	"github.com/tetratelabs/wazero/experimental"
)

// InitConfig pre-initialises a guest (or Worker) once, as Wizer does at
// build time, but in the host: NewGuest and NewWorker run Func in a fresh
// instance (after the module's _initialize), with the guest's WASI grants
// plus a WASI environment of its own, then snapshot the instance's memory
// and mutable globals; every instance the guest calls or serves with
// starts from that snapshot instead of initialising itself. The module's code never changes, so its compiled form stays in
// the compilation cache however often the inputs of the initialisation
// change (a JavaScript engine and the Worker's script: docs/sdk-js.md).
//
// Func must leave no state outside memory and mutable globals (no table
// changes, no host resources): as with Wizer, that is the module's
// contract.
type InitConfig struct {
	// Func is the export to run, e.g. "componentize.wizer".
	Func string
	// Description says what Func does, in errors ("evaluate the Worker's
	// script"); "" names Func itself.
	Description string
	// Check, if set, is an export returning an i32 that must be 0 after
	// Func ran: anything else fails NewGuest (NewWorker) with CheckMessage.
	Check string
	// CheckMessage explains a failed Check (e.g. where the guest logged why).
	CheckMessage string
	// Env, Args and Stdin are the WASI environment, arguments and standard
	// input Func sees (an instance that serves sees none).
	Env   map[string]string
	Args  []string
	Stdin []byte
	// FS, if not nil, is mounted read-only at "/" while Func runs.
	FS fs.FS
}

// snapshot is the state of a pre-initialised instance: what differs from
// a fresh instance's memory, the memory's size and the mutable globals.
type snapshot struct {
	size    uint32 // bytes
	runs    []run  // the byte ranges that differ from a fresh instance's memory
	globals map[string]uint64
	took    time.Duration
}

// run is a range of memory and its bytes after initialisation.
type run struct {
	off  uint32
	data []byte
}

// snapshotBlock is the granularity of the comparison between a fresh and an
// initialised memory.
const snapshotBlock = 4096

// takeSnapshot runs init in a fresh instance of the Worker's module and
// returns the snapshot of its state.
func (g *Guest) takeSnapshot(ctx context.Context, init *InitConfig, globals []string) (_ *snapshot, err error) {
	defer func() {
		if p := recover(); p != nil {
			err = fmt.Errorf("initialise: %v", p)
		}
	}()
	start := time.Now()
	inst := g.newInstance(ctx)
	mc := g.moduleConfig(inst).WithStartFunctions().WithStdin(bytes.NewReader(init.Stdin))
	for _, k := range slices.Sorted(maps.Keys(init.Env)) {
		mc = mc.WithEnv(k, init.Env[k])
	}
	if len(init.Args) > 0 {
		mc = mc.WithArgs(init.Args...)
	}
	if init.FS != nil {
		mc = mc.WithFSConfig(wazero.NewFSConfig().WithFSMount(init.FS, "/"))
	}
	if err := g.startModule(experimental.WithMemoryAllocator(ctx, limitAllocator{limit: g.memLimit, refused: &inst.refused}), inst, mc); err != nil {
		return nil, err
	}
	defer inst.close(context.Background())
	// What the guest says on stderr while it initialises explains a
	// failure (a script that throws): it goes into the error.
	inst.stderr.hold()
	defer func() {
		if said := inst.stderr.release(err != nil); said != "" {
			err = fmt.Errorf("%w\nthe guest said:\n%s", err, said)
		}
	}()
	mem := inst.mod.ExportedMemory("memory")
	fresh, _ := mem.Read(0, mem.Size())
	fresh = bytes.Clone(fresh)
	if g.initFn {
		if err := inst.call(ctx, "_initialize"); err != nil {
			return nil, fmt.Errorf("initialise: %w", err)
		}
	}
	if err := inst.call(ctx, init.Func); err != nil {
		if init.Description != "" {
			err = errors.Unwrap(err) // the function's name, for the description
			return nil, fmt.Errorf("initialise: %s: %w", init.Description, err)
		}
		return nil, fmt.Errorf("initialise: %w", err)
	}
	if init.Check != "" {
		var res uint64
		if err := inst.call(ctx, init.Check, &res); err != nil {
			return nil, fmt.Errorf("initialise: %w", err)
		}
		if uint32(res) != 0 {
			msg := init.CheckMessage
			if msg == "" {
				msg = "see the log"
			}
			return nil, fmt.Errorf("initialise: %s returned %d: %s", init.Check, uint32(res), msg)
		}
	}
	inst.stdout.Flush()
	after, _ := mem.Read(0, mem.Size())
	snap := &snapshot{size: mem.Size(), globals: map[string]uint64{}}
	for off := 0; off < len(after); off += snapshotBlock {
		end := min(off+snapshotBlock, len(after))
		var was []byte
		if off < len(fresh) {
			was = fresh[off:min(end, len(fresh))]
		}
		if bytes.Equal(after[off:end], was) || (was == nil && allZero(after[off:end])) {
			continue
		}
		if n := len(snap.runs); n > 0 && int(snap.runs[n-1].off)+len(snap.runs[n-1].data) == off {
			snap.runs[n-1].data = append(snap.runs[n-1].data, after[off:end]...)
		} else {
			snap.runs = append(snap.runs, run{off: uint32(off), data: bytes.Clone(after[off:end])})
		}
	}
	for _, name := range globals {
		g := inst.mod.ExportedGlobal(name)
		if g == nil {
			return nil, fmt.Errorf("initialise: the rewritten module lacks global %q", name)
		}
		snap.globals[name] = g.Get()
	}
	snap.took = time.Since(start)
	return snap, nil
}

func allZero(b []byte) bool {
	for _, c := range b {
		if c != 0 {
			return false
		}
	}
	return true
}

// restore puts the snapshot into mod, a fresh instance of the same module.
func (s *snapshot) restore(mod api.Module) error {
	mem := mod.ExportedMemory("memory")
	if size := mem.Size(); size < s.size {
		if _, ok := mem.Grow((s.size - size) / 65536); !ok {
			return errors.New("restore the snapshot: the memory cannot grow to its size (the memory limit)")
		}
	}
	for _, r := range s.runs {
		if !mem.Write(r.off, r.data) {
			return fmt.Errorf("restore the snapshot: %d bytes at %#x are beyond the memory", len(r.data), r.off)
		}
	}
	for name, v := range s.globals {
		g, ok := mod.ExportedGlobal(name).(api.MutableGlobal)
		if !ok {
			return fmt.Errorf("restore the snapshot: no mutable global %q", name)
		}
		g.Set(v)
	}
	return nil
}

// bytesIn is the snapshot's size in memory.
func (s *snapshot) bytesIn() int {
	n := 0
	for _, r := range s.runs {
		n += len(r.data)
	}
	return n
}
