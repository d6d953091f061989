package abi

import (
	"context"
	"errors"
	"fmt"
	"io"
	"slices"

	"github.com/tetratelabs/wazero/api"
)

// Instance is the Canonical ABI state of one guest instance: its memory, its
// cabi_realloc, its table of resource handles, and the host implementations
// that its imports call.
//
// Instance is not safe for concurrent use.
type Instance struct {
	mod     api.Module
	mem     api.Memory
	realloc api.Function
	stack   [4]uint64
	impls   []any
	poison  error
	lifted  uint64 // bytes copied out of guest memory in the current host call
	// allocating is set while the host runs the guest's cabi_realloc: a
	// host call then is a re-entry, which From refuses.
	allocating bool
	stop       <-chan struct{}
	lookup     FunctionLookup
	memo       map[any]any // Memo's values

	// Quotas (quota.go): per slot, the limits, the interface names and
	// what the current call has spent; cur is the slot of the host call
	// in progress (-1: none that is charged).
	quota      []Quota
	quotaNames []string
	used       []usage
	cur        int

	// reallocs are a component's reallocs, by the index its lowered
	// imports name them with (see UseRealloc); [0] is realloc. Nil for a
	// core module.
	reallocs []api.Function

	// Handles is the instance's resource table.
	Handles Table

	// Stdout and Stderr, when set, receive what the guest writes to its
	// standard output and error through WASI 0.2 (wasi:cli/stdout, stderr).
	Stdout, Stderr io.Writer
}

// NewInstance wraps mod, which must export "memory" and, when the host is to
// lower lists or strings into it, "cabi_realloc". impls are the host
// implementations, indexed by the slot each interface was defined with.
func NewInstance(mod api.Module, impls []any) (*Instance, error) {
	// Not mod.Memory(): it returns a non-nil interface holding a nil
	// pointer when the module has no memory.
	mem := mod.ExportedMemory("memory")
	if mem == nil {
		return nil, fmt.Errorf("abi: module %q exports no memory", mod.Name())
	}
	return &Instance{mod: mod, mem: mem, realloc: mod.ExportedFunction("cabi_realloc"), impls: impls, lookup: mod, cur: -1}, nil
}

// NewComponentInstance returns the state of one instance of a component:
// the host calls it before the component's core modules exist (host
// functions may run while they are instantiated), and SetMemory and
// SetRealloc fill in the memory and the reallocs as the modules that
// define them are instantiated. n is how many reallocs the component's
// lowered imports name.
func NewComponentInstance(impls []any, n int) *Instance {
	return &Instance{impls: impls, reallocs: make([]api.Function, max(n, 1)), cur: -1}
}

// SetMemory sets the memory a component's canon options name.
func (i *Instance) SetMemory(mem api.Memory) { i.mem = mem }

// SetRealloc sets a component's realloc number k (0 is the one the host
// uses to lower the arguments of its calls into the guest).
func (i *Instance) SetRealloc(k int, fn api.Function) {
	i.reallocs[k] = fn
	if k == 0 {
		i.realloc = fn
	}
}

// UseRealloc makes Alloc call the component's realloc number k until the
// returned previous realloc is given back to RestoreRealloc: a host
// function lowered with a realloc other than the default one runs
// between the two (see docs/components.md#realloc).
func (i *Instance) UseRealloc(k int) (prev api.Function) {
	prev = i.realloc
	if k < len(i.reallocs) {
		i.realloc = i.reallocs[k]
	} else {
		i.realloc = nil
	}
	return prev
}

// RestoreRealloc undoes UseRealloc.
func (i *Instance) RestoreRealloc(prev api.Function) { i.realloc = prev }

// Module returns the wazero module (nil for a component).
func (i *Instance) Module() api.Module { return i.mod }

// Memory returns the guest's linear memory.
func (i *Instance) Memory() api.Memory { return i.mem }

// FunctionLookup finds a guest export by name: an api.Module does, and so
// does a component's view of the core instances that define its exports.
type FunctionLookup interface {
	ExportedFunction(name string) api.Function
}

// Impl returns the host implementation registered in slot.
func (i *Instance) Impl(slot int) any {
	if slot < 0 || slot >= len(i.impls) {
		return nil
	}
	return i.impls[slot]
}

// Poisoned returns the trap that poisoned the instance, or nil. A poisoned
// instance must not be called again.
func (i *Instance) Poisoned() error { return i.poison }

// Poison marks the instance unusable with err (the first error wins).
func (i *Instance) Poison(err error) {
	if i.poison == nil {
		i.poison = err
	}
}

// StopWhen makes every host call trap once done is closed (the call's
// deadline passed, or its client left): a guest stopped while it waited in
// a host call cannot go on through the next one. nil never stops.
func (i *Instance) StopWhen(done <-chan struct{}) { i.stop = done }

// ErrStopped is the trap of a host call made after the channel given to
// StopWhen closed.
var ErrStopped = errors.New("the call was stopped (deadline passed or client gone)")

type instanceKey struct{}

// WithInstance returns a context that carries inst to host functions.
func WithInstance(ctx context.Context, inst *Instance) context.Context {
	return context.WithValue(ctx, instanceKey{}, inst)
}

// From returns the Instance carried by ctx and starts a host call on it:
// generated host functions call it first. It panics with a *Trap when there
// is none: a host function was called outside of a host-managed call.
//
// Starting a call resets the lifting budget: one host call may copy at most
// as many bytes out of guest memory as the memory holds (plus 1 MiB of
// slack). A legitimate call never needs more; a guest that points every
// element of a list<string> at all of its memory traps instead of making
// the host copy n times its memory.
func From(ctx context.Context) *Instance {
	inst, _ := ctx.Value(instanceKey{}).(*Instance)
	if inst == nil {
		panic(&Trap{Msg: "host function called outside of a bindery call"})
	}
	if inst.allocating {
		// The Canonical ABI forbids it (a realloc may not leave the
		// instance), and the host call in progress is not re-entrant: its
		// lifting budget and quota slot, and the realloc function itself,
		// would be reused under it.
		inst.Trapf("host function called from within cabi_realloc: the guest's allocator may not call the host while the host is passing it a value")
	}
	if inst.stop != nil {
		select {
		case <-inst.stop:
			panic(ErrStopped)
		default:
		}
	}
	inst.lifted = 0
	inst.cur = -1
	return inst
}

// Alloc calls the guest's cabi_realloc(0, 0, align, size) and returns the
// new address. It traps when the guest has no cabi_realloc or returns an
// address that is misaligned or out of bounds.
func (i *Instance) Alloc(ctx context.Context, align, size uint32) uint32 {
	if size == 0 && i.realloc == nil {
		return align // a non-null dangling pointer, as the Canonical ABI allows
	}
	// An empty string or list is allocated too, as the Canonical ABI
	// lowers it: a guest may free what it was given (componentize-py's
	// runtime does), and a pointer it never allocated would corrupt its
	// heap.
	if i.realloc == nil {
		i.Trapf("the guest exports no cabi_realloc, through which the host passes it strings and lists: export one (the Bindery SDKs do)")
	}
	s := i.stack[:4]
	s[0], s[1], s[2], s[3] = 0, 0, uint64(align), uint64(size)
	i.allocating = true
	err := i.realloc.CallWithStack(ctx, s)
	i.allocating = false
	if err != nil {
		i.Poison(err)
		panic(err)
	}
	p := uint32(s[0])
	if p&(align-1) != 0 {
		i.Trapf("cabi_realloc returned %#x, not aligned to %d", p, align)
	}
	if uint64(p)+uint64(size) > uint64(i.mem.Size()) {
		i.Trapf("cabi_realloc returned %#x+%d, beyond memory size %d", p, size, i.mem.Size())
	}
	return p
}

// Current returns the Instance carried by ctx, or nil, without starting a
// host call on it (From does).
func Current(ctx context.Context) *Instance {
	inst, _ := ctx.Value(instanceKey{}).(*Instance)
	return inst
}

// CallState is what an Instance keeps for the guest call in progress and
// the host call it is in: the lifting budget, the quota slot charged and
// what the call has spent. Nest and Unnest save and restore it around a
// call into the instance made from inside one of its host calls (a
// re-entrant call; docs/durable-objects.md, "Execution model").
type CallState struct {
	lifted uint64
	cur    int
	used   []usage
}

// Nest starts a nested guest call on the instance, from inside a host
// call: it saves the state of the call in progress and gives the nested
// call fresh quotas of its own. The host must call a nested export
// through api.Functions of its own (wazero's are not re-entrant: look the
// export up again), and call Unnest with the result when it returns.
func (i *Instance) Nest() CallState {
	s := CallState{lifted: i.lifted, cur: i.cur}
	if i.used != nil {
		s.used = slices.Clone(i.used)
		clear(i.used)
	}
	i.lifted, i.cur = 0, -1
	return s
}

// Unnest ends a nested call that Nest started: the host call it was made
// from goes on with its own budget, quota slot and spending.
func (i *Instance) Unnest(s CallState) {
	i.lifted, i.cur = s.lifted, s.cur
	if s.used != nil {
		copy(i.used, s.used)
	}
}
