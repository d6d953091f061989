package host

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"runtime"
	"sync"
	"sync/atomic"
	"time"

	"github.com/bindery-run/bindery/abi"
	"github.com/bindery-run/bindery/host/internal/component"
	"github.com/bindery-run/bindery/host/internal/httpwit"
	"github.com/bindery-run/bindery/host/internal/modrewrite"
	"github.com/tetratelabs/wazero"
	"github.com/tetratelabs/wazero/api"
	"github.com/tetratelabs/wazero/experimental"
	"github.com/tetratelabs/wazero/sys"
)

// Defaults for the zero values of Limits (and WorkerConfig).
const (
	// DefaultTimeout is the wall-clock deadline of one guest call.
	DefaultTimeout = 30 * time.Second
	// DefaultRequestTimeout is the wall-clock deadline of one request.
	DefaultRequestTimeout = DefaultTimeout
	// DefaultMemoryLimit is the most linear memory one instance may grow to
	// (Cloudflare gives a Worker 128 MB).
	DefaultMemoryLimit = 128 << 20
	// DefaultWorkerOperations is how many host calls a Worker's request
	// may make through each granted binding (Cloudflare's limit of 1,000
	// operations per invocation).
	DefaultWorkerOperations = 1000
)

// Quota bounds what one call may do through one interface: host calls
// (Operations) and bytes copied into and out of guest memory (Bytes);
// zero means no limit.
type Quota = abi.Quota

// Limits bound a guest's calls and instances.
type Limits struct {
	// Timeout is the wall-clock deadline of one call; 0 means
	// DefaultTimeout. The caller's context may end a call sooner.
	Timeout time.Duration
	// Memory is the most linear memory, in bytes, one instance may grow
	// to; 0 means DefaultMemoryLimit. Growing past it fails in the guest
	// (memory.grow returns -1); a guest that then traps ends its call with
	// ErrMemoryLimit.
	Memory uint64
	// MaxInstances bounds the instances alive at once, and so the calls
	// running at once; 0 means 2×GOMAXPROCS+2. Calls beyond it wait for a
	// free instance until their deadline.
	MaxInstances int
	// Operations and Bytes are the quota of each granted binding's
	// interface per call: how many host functions of it one call may run,
	// and how many bytes those may copy in and out of guest memory. 0
	// means no limit.
	Operations int64
	Bytes      int64
	// PerInterface overrides the quota of the named interfaces (by WIT
	// interface ID, e.g. "bindery:kv/store@0.1.0"), granted or not. The
	// interfaces whose host functions are generated are counted (every
	// Bindery interface and binding); WASI's are not.
	PerInterface map[string]Quota
}

// GuestConfig configures a Guest. Name and Wasm are required.
type GuestConfig struct {
	// Name names the guest in logs and errors.
	Name string
	// Wasm is the guest: a core module that exports its memory as
	// "memory" (components run as Workers only).
	Wasm []byte
	// Bindings are the guest's grants, at most one per interface. An
	// interface the guest imports with no binding denies everything (see
	// abi.Interface.Deny).
	Bindings []Binding
	// WASI is what the guest gets from WASI (preview 1 and 0.2); the zero
	// value denies everything (see WASIConfig).
	WASI WASIConfig
	// Limits bound each call and the instance pool.
	Limits Limits
	// Init, if set, pre-initialises the guest once and starts every
	// instance from a snapshot of the result (see InitConfig).
	Init *InitConfig
	// MapText, if set, rewrites what the guest says before it is logged.
	MapText func(string) string
	// Logger receives the guest's logs (stdout at info, stderr at warn,
	// bindery:log/console at its level); nil uses the Runtime's.
	Logger *slog.Logger
	// Check, if set, runs on the first instance before NewGuest returns:
	// a typed caller's check of the exports it needs (signatures
	// included), so that a missing export fails NewGuest with an error
	// naming it instead of failing every call.
	Check func(abi.FunctionLookup) error
}

// Stats counts a guest's calls and instances: a copy, taken when Stats
// was called.
type Stats struct {
	// Calls is the number of calls begun (for a Worker: requests).
	Calls int64
	// Failed is the number of calls that ended with a *CallError.
	Failed int64
	// Instantiated is the number of instances created.
	Instantiated int64
	// Discarded is the number of instances thrown away after a failure.
	Discarded int64
	// PeakMemory is the largest linear memory, in bytes, seen when an
	// instance was returned to the pool.
	PeakMemory uint64
}

// Guest is a compiled WebAssembly module of any world, with its grants,
// WASI policy and limits, and a pool of warm instances: the sandbox that a
// Worker serves HTTP from, and that an embedder calls its own exports
// through (Call, usually via a typed caller made by the generator).
//
// Guest is safe for concurrent use; each call gets an instance of its own.
type Guest struct {
	rt       *Runtime
	kind     string         // "guest" or "worker", in errors
	engine   wazero.Runtime // rt.r, or rt.safe for a module without yield points
	yields   bool           // the module has yield points and a stop global
	name     string
	compiled wazero.CompiledModule // a core module
	graph    *graph                // a component (Workers only)
	impls    []any
	timeout  time.Duration
	memLimit uint64
	wasi     WASIConfig
	quota    []abi.Quota // per slot; nil when no interface has one
	qnames   []string    // per slot: the interface's name
	log      *slog.Logger
	initFn   bool
	snap     *snapshot // instances start from it (GuestConfig.Init)
	mapper   func(string) string
	// setup runs on each new instance once its exports exist (a
	// Worker finds its handler).
	setup func(*instance) error
	idle  chan *instance
	sem   chan struct{}

	// calls counts the calls in flight; closedBit is set once Close
	// began. drained closes when it is closed and none are left.
	calls     atomic.Int64
	drained   chan struct{}
	drainOnce sync.Once
	// kill is cancelled when Close stops the calls still in flight.
	kill       context.Context
	killCancel context.CancelFunc
	// mu guards live, every instance alive (idle or busy): Close stops
	// the busy ones.
	mu   sync.Mutex
	live map[*instance]struct{}

	stats struct {
		calls, failed, instantiated, discarded atomic.Int64
		peak                                   atomic.Uint64
	}
}

var _ abi.Caller = (*Guest)(nil)

// closedBit marks Guest.calls once Close began.
const closedBit = 1 << 62

// guestOpts is what a Worker adds to a guest.
type guestOpts struct {
	kind      string // "worker"
	worker    bool   // components allowed; the HTTP handler and cabi_realloc required
	setup     func(*instance) error
	consoleOf func(*Guest) any
}

// NewGuest compiles cfg.Wasm (through the Runtime's compilation cache),
// checks its imports, starts one instance (running its _initialize, or
// cfg.Init) and runs cfg.Check on it. Errors name the guest and the fault.
func (rt *Runtime) NewGuest(ctx context.Context, cfg GuestConfig) (*Guest, error) {
	return rt.newGuest(ctx, cfg, guestOpts{kind: "guest"})
}

func (rt *Runtime) newGuest(ctx context.Context, cfg GuestConfig, o guestOpts) (*Guest, error) {
	if cfg.Name == "" {
		return nil, fmt.Errorf("host: %s config has no name", o.kind)
	}
	errf := func(err error) error { return fmt.Errorf("host: %s %q: %w", o.kind, cfg.Name, err) }
	// The interfaces of the bindings must be served before the module's
	// imports are resolved.
	slots, err := rt.register(cfg.Bindings)
	if err != nil {
		return nil, errf(err)
	}
	if len(cfg.Wasm) == 0 {
		return nil, errf(errors.New("no wasm"))
	}
	if len(cfg.Wasm) < 8 || string(cfg.Wasm[:4]) != "\x00asm" {
		return nil, errf(errors.New(`not a WebAssembly module (no \0asm header)`))
	}
	memLimit := orDefault(cfg.Limits.Memory, DefaultMemoryLimit)
	if component.IsComponent(cfg.Wasm) {
		if !o.worker {
			return nil, errf(errors.New("the module is a component: a Guest runs core modules (components run as Workers of world bindery:worker/worker); build a core module, e.g. a wasip1 reactor"))
		}
		if cfg.Init != nil {
			return nil, errf(errors.New("Init pre-initialises core modules; this is a component"))
		}
		g, engine, yields, err := rt.compileComponent(ctx, cfg.Wasm, slots)
		if err != nil {
			return nil, errf(err)
		}
		for i, cm := range g.compiled {
			if err := checkMemory(cm, memLimit); err != nil {
				g.close(ctx)
				return nil, errf(fmt.Errorf("core instance %d: %w", i, err))
			}
		}
		gu, err := rt.startGuest(ctx, cfg, o, slots, engine, yields, nil, g, nil)
		if err != nil {
			g.close(ctx)
			return nil, errf(err)
		}
		return gu, nil
	}
	if cfg.Wasm[4] != 1 || cfg.Wasm[5] != 0 || cfg.Wasm[6] != 0 || cfg.Wasm[7] != 0 {
		return nil, errf(fmt.Errorf("unknown WebAssembly version or layer % x", cfg.Wasm[4:8]))
	}
	engine, wasm, yields := rt.r, cfg.Wasm, true
	var globals []string // the mutable globals a snapshot holds
	if cfg.Init != nil {
		var err error
		if wasm, globals, err = modrewrite.ExportGlobals(wasm); err != nil {
			return nil, errf(fmt.Errorf("invalid WebAssembly: %w", err))
		}
	}
	if rewritten, err := rt.rewrite(wasm); err == nil {
		wasm = rewritten
	} else {
		// Compile it as it is, on the runtime whose calls watch their
		// context; if it is malformed, that compile says why.
		yields = false
		rt.log.Debug("no yield points; the guest runs with wazero's close-on-context-done", o.kind, cfg.Name, "err", err)
		if engine, err = rt.safeEngine(ctx); err != nil {
			return nil, errf(err)
		}
	}
	cm, err := engine.CompileModule(ctx, wasm)
	if err != nil {
		return nil, errf(fmt.Errorf("invalid WebAssembly: %w", err))
	}
	fail := func(err error) (*Guest, error) {
		cm.Close(ctx)
		return nil, errf(err)
	}
	if err := rt.define(ctx, engine, cm); err != nil {
		return fail(err)
	}
	if err := rt.checkImports(cm, slots); err != nil {
		return fail(err)
	}
	if o.worker {
		handle := httpwit.HandlerInterface + "#handle"
		if _, ok := cm.ExportedFunctions()[handle]; !ok {
			return fail(fmt.Errorf("the module does not export %q: is it a Worker built as a reactor with the Bindery SDK?", handle))
		}
	}
	if _, ok := cm.ExportedMemories()["memory"]; !ok {
		return fail(errors.New("the module does not export its memory as \"memory\""))
	}
	if err := checkRealloc(cm, o.worker); err != nil {
		return fail(err)
	}
	if err := checkMemory(cm, memLimit); err != nil {
		return fail(err)
	}
	g, err := rt.startGuest(ctx, cfg, o, slots, engine, yields, cm, nil, globals)
	if err != nil {
		return fail(err)
	}
	return g, nil
}

// startGuest makes the Guest of a compiled core module cm or component
// gr, starts its first instance and runs cfg.Check on it.
func (rt *Runtime) startGuest(ctx context.Context, cfg GuestConfig, o guestOpts, slots []int, engine wazero.Runtime, yields bool, cm wazero.CompiledModule, gr *graph, globals []string) (*Guest, error) {
	g := &Guest{
		rt: rt, kind: o.kind, engine: engine, yields: yields, name: cfg.Name, compiled: cm, graph: gr,
		impls:    rt.denyImpls(),
		timeout:  orDefault(cfg.Limits.Timeout, DefaultTimeout),
		memLimit: orDefault(cfg.Limits.Memory, DefaultMemoryLimit),
		wasi:     cfg.WASI,
		log:      cfg.Logger,
		mapper:   cfg.MapText,
		setup:    o.setup,
		drained:  make(chan struct{}),
		live:     map[*instance]struct{}{},
	}
	g.kill, g.killCancel = context.WithCancel(context.Background())
	if g.log == nil {
		g.log = rt.log
	}
	g.log = g.log.With(o.kind, cfg.Name)
	g.impls[rt.consoleSlot] = console{g}
	if cm != nil {
		_, g.initFn = cm.ExportedFunctions()["_initialize"]
	}
	granted := make([]bool, len(g.impls))
	for i, b := range cfg.Bindings {
		slot := slots[i]
		if slot < 0 {
			continue // attach-only (Attacher)
		}
		if granted[slot] {
			return nil, fmt.Errorf("two bindings for %s", b.WIT().Name)
		}
		granted[slot] = true
		g.impls[slot] = b
	}
	if err := g.setQuotas(cfg.Limits, granted); err != nil {
		return nil, err
	}
	n := cfg.Limits.MaxInstances
	if n <= 0 {
		n = 2*runtime.GOMAXPROCS(0) + 2
	}
	g.idle = make(chan *instance, n)
	g.sem = make(chan struct{}, n)
	if cfg.Init != nil {
		snap, err := g.takeSnapshot(ctx, cfg.Init, globals)
		if err != nil {
			return nil, err
		}
		g.snap = snap
		g.log.Debug("pre-initialised", "took", snap.took, "snapshot bytes", snap.bytesIn(), "memory", snap.size)
	}
	// Start one instance now: a guest that cannot initialise, or lacks
	// an export its caller needs, fails here, not on its first call.
	g.sem <- struct{}{}
	inst, err := g.instantiate(ctx)
	if err != nil {
		<-g.sem
		return nil, err
	}
	g.track(inst)
	if cfg.Check != nil {
		if err := cfg.Check(inst.abi.Lookup()); err != nil {
			g.discard(inst)
			return nil, err
		}
	}
	g.put(inst)
	return g, nil
}

// setQuotas makes the per-slot quotas of l: Operations and Bytes for each
// granted interface, PerInterface for the interfaces it names.
func (g *Guest) setQuotas(l Limits, granted []bool) error {
	q := make([]abi.Quota, len(g.impls))
	some := false
	if l.Operations > 0 || l.Bytes > 0 {
		for slot, ok := range granted {
			if ok {
				q[slot] = abi.Quota{Operations: l.Operations, Bytes: l.Bytes}
				some = true
			}
		}
	}
	g.rt.mu.Lock()
	defer g.rt.mu.Unlock()
	for name, quota := range l.PerInterface {
		slot, ok := g.rt.slots[name]
		if !ok || slot >= len(q) {
			return fmt.Errorf("limits: a quota for interface %q, which this runtime does not serve (grant a binding of it, or list it in RuntimeConfig.Interfaces)", name)
		}
		q[slot] = quota
		some = true
	}
	if !some {
		return nil
	}
	g.quota = q
	g.qnames = make([]string, len(q))
	for name, slot := range g.rt.slots {
		if slot < len(q) {
			g.qnames[slot] = name
		}
	}
	return nil
}

// Name returns the guest's name.
func (g *Guest) Name() string { return g.name }

// Stats returns a copy of the guest's counters.
func (g *Guest) Stats() Stats {
	return Stats{
		Calls:        g.stats.calls.Load(),
		Failed:       g.stats.failed.Load(),
		Instantiated: g.stats.instantiated.Load(),
		Discarded:    g.stats.discarded.Load(),
		PeakMemory:   g.stats.peak.Load(),
	}
}

// Call runs fn on an instance of the guest: it takes an idle instance (or
// starts one, waiting while Limits.MaxInstances are busy), bounds the call
// by Limits.Timeout and ctx, resets the per-call quotas, and runs fn with
// a context that carries the instance (abi.WithInstance) — fn calls the
// guest's exports through inst.Lookup(), as generated typed callers do.
//
// A failure of the guest (a trap, the deadline, a quota, the memory
// limit, ctx canceled, the guest closed) is a *CallError that matches
// ErrTrap, ErrDeadline, ErrQuota, ErrMemoryLimit, ErrCanceled or
// ErrClosed with errors.Is, and the instance is discarded. Any other
// error fn returns is returned as it is, and the instance is kept.
func (g *Guest) Call(ctx context.Context, fn func(ctx context.Context, inst *abi.Instance) error) error {
	if !g.enter() {
		g.stats.failed.Add(1)
		return &CallError{Guest: g.name, Kind: ErrClosed, Err: errors.New("no new calls after Close")}
	}
	defer g.exit()
	g.stats.calls.Add(1)
	parent := ctx
	ctx, cancel := context.WithTimeout(ctx, g.timeout)
	defer cancel()
	inst, err := g.get(ctx)
	if err != nil {
		g.stats.failed.Add(1)
		return g.callError(ctx, nil, err, false)
	}
	inst.busy(cancel)
	if g.kill.Err() != nil { // Close is stopping every call
		inst.stop()
	}
	inst.arm(ctx, parent)
	returned := false
	defer func() {
		if !returned { // fn panicked: the instance goes, the panic goes on
			inst.busy(nil)
			inst.disarm()
			inst.abi.Poison(errors.New("the caller's function panicked"))
			g.put(inst)
		}
	}()
	err = fn(abi.WithInstance(ctx, inst.abi), inst.abi)
	returned = true
	inst.busy(nil) // before disarm: a Close from now on finds no call here
	clean := inst.disarm()
	inst.stdout.Flush()
	inst.stderr.Flush()
	if !clean {
		inst.abi.Poison(fmt.Errorf("call stopped: %w", context.Cause(ctx)))
	}
	if err != nil && (!clean || guestFailure(err) || inst.abi.Poisoned() != nil) {
		err = g.callError(ctx, inst, err, !clean)
		inst.abi.Poison(err)
		g.stats.failed.Add(1)
	}
	g.put(inst)
	return err
}

// enter counts a call in flight; false when the guest is closed.
func (g *Guest) enter() bool {
	if g.calls.Add(1)&closedBit != 0 {
		g.exit()
		return false
	}
	return true
}

// exit ends a call that enter counted.
func (g *Guest) exit() {
	if g.calls.Add(-1) == closedBit {
		g.drainOnce.Do(func() { close(g.drained) })
	}
}

// closeWait bounds how long Close waits for calls it stopped to return.
const closeWait = 5 * time.Second

// Close refuses new calls (they fail with ErrClosed), waits for the calls
// in flight to finish until ctx is done, then stops those still running
// (at their next yield point, host call or sleep: they fail with
// ErrClosed) and releases the instances and the compiled module. Closing
// twice is a no-op.
func (g *Guest) Close(ctx context.Context) error {
	old := g.calls.Or(closedBit)
	if old&closedBit != 0 {
		return nil
	}
	if old == 0 {
		g.drainOnce.Do(func() { close(g.drained) })
	}
	select {
	case <-g.drained:
	case <-ctx.Done():
		g.killCancel()
		g.mu.Lock()
		for inst := range g.live {
			inst.stop()
		}
		g.mu.Unlock()
		select {
		case <-g.drained:
		case <-time.After(closeWait):
			// A host call that ignores its context holds an instance:
			// leave the module to the Runtime rather than close it
			// under a running call.
			return fmt.Errorf("host: %s %q: %d calls did not stop within %v of Close", g.kind, g.name, g.calls.Load()&^closedBit, closeWait)
		}
	}
	g.killCancel()
	for {
		select {
		case inst := <-g.idle:
			inst.close(context.Background())
		default:
			if g.graph != nil {
				return g.graph.close(context.Background())
			}
			return g.compiled.Close(context.Background())
		}
	}
}

// closed reports whether Close began.
func (g *Guest) closed() bool { return g.calls.Load()&closedBit != 0 }

// instance is one guest instance and its per-instance state.
type instance struct {
	mod     api.Module   // a core module's instance
	mods    []api.Module // a component's core instances
	abi     *abi.Instance
	stops   []api.MutableGlobal // the guest's stop globals (one per module); none without yield points
	stdout  *logWriter
	stderr  *logWriter
	refused atomic.Bool // a memory of the instance could not grow: the memory limit
	// done is the Done channel of the call in progress (arm sets it): a
	// guest's sleep ends when it closes.
	done <-chan struct{}
	// cancel ends the call in progress (Close stops it), and halted says
	// Close did; mu guards both.
	mu     sync.Mutex
	cancel context.CancelFunc
	halted bool
	// halting is set by the first halt of a call.
	halting atomic.Bool
	// What arm watches: a timer for the call's deadline (timed: set for
	// this call) and the caller's context.
	timer      *time.Timer
	timerDone  <-chan struct{} // the timed call's ctx.Done(); guarded by mu
	timed      bool
	stopParent func() bool

	// A Worker's: its handler, a buffer for request bodies, and what
	// ends the request's waits on its client when done closes.
	handler *httpwit.HandlerExports
	bodyBuf []byte
	cut     clientCut
}

// busy sets what cancels the call in progress on inst, nil when it ends.
func (inst *instance) busy(cancel context.CancelFunc) {
	inst.mu.Lock()
	inst.cancel = cancel
	inst.mu.Unlock()
}

// stop ends the call in progress on inst, if any (Close): it cancels the
// call's context and halts the guest.
func (inst *instance) stop() {
	inst.mu.Lock()
	defer inst.mu.Unlock()
	if inst.cancel != nil {
		inst.cancel()
		inst.halted = true
		inst.halt()
	}
}

// nanosleep is the guest's WASI sleep (poll_oneoff with a clock, which
// Go's time.Sleep and every idle Go scheduler use): when the call's
// context is done first, it ends the guest's call with abi.ErrStopped.
func (inst *instance) nanosleep(ns int64) {
	if ns <= 0 {
		return
	}
	t := time.NewTimer(time.Duration(ns))
	defer t.Stop()
	select {
	case <-t.C:
	case <-inst.done:
		panic(abi.ErrStopped) // ends the guest's call here
	}
}

// arm makes the guest trap at its next yield point, or at its next host
// call or sleep, once ctx is done, and ends a request's waits on its
// client (inst.cut). ctx is the call's context: its deadline is watched
// with a timer of the call's own, and parent (what ctx derives from,
// e.g. the request's context; ctx itself when there is no such parent)
// with context.AfterFunc — watching ctx itself would cost it a map of
// children on every call. Close stops a call through inst.stop. disarm
// must be called when the guest call returns.
func (inst *instance) arm(ctx, parent context.Context) {
	inst.done = ctx.Done()
	inst.abi.StopWhen(inst.done)
	inst.halting.Store(false)
	inst.timed = false
	if dl, ok := ctx.Deadline(); ok {
		// One timer per instance, reset for each call: a timer that
		// fired leaves the instance unclean, so it is never reset after.
		d := time.Until(dl)
		inst.mu.Lock()
		inst.timerDone = ctx.Done()
		inst.mu.Unlock()
		if inst.timer == nil {
			inst.timer = time.AfterFunc(d, inst.onDeadline)
		} else {
			inst.timer.Reset(d)
		}
		inst.timed = true
	}
	inst.stopParent = nil
	if parent.Done() != nil {
		inst.stopParent = context.AfterFunc(parent, inst.halt)
	}
}

// disarm ends what arm started, when the guest call returned; it reports
// whether the instance is still clean, i.e. nothing ended the call (if
// something did, the instance must be discarded).
func (inst *instance) disarm() bool {
	clean := true
	if inst.timed && !inst.timer.Stop() {
		clean = false
	}
	if inst.stopParent != nil && !inst.stopParent() {
		clean = false
	}
	inst.mu.Lock()
	if inst.halted {
		clean, inst.halted = false, false
	}
	inst.mu.Unlock()
	return clean
}

// onDeadline halts the call at its deadline, once its context says so:
// the context's own timer fires at the same instant, and a halt before it
// (which cuts a request's connection) would make the call look canceled.
func (inst *instance) onDeadline() {
	inst.mu.Lock()
	done := inst.timerDone
	inst.mu.Unlock()
	if done != nil {
		<-done
	}
	inst.halt()
}

// halt sets the guest's stop globals and ends a request's waits on its
// client: the call in progress ends at its next yield point.
func (inst *instance) halt() {
	if !inst.halting.CompareAndSwap(false, true) {
		return // the deadline, the caller and Close may all halt a call
	}
	for _, s := range inst.stops {
		s.Set(1)
	}
	inst.cut.cut()
}

// errStopped is the error of a guest call that the stop global ended
// because ctx was done: ctx's cause, rather than the trap (and wasm stack)
// the stop raised.
func errStopped(ctx context.Context) error {
	return fmt.Errorf("stopped before it finished: %w", context.Cause(ctx))
}

func (g *Guest) instantiate(ctx context.Context) (_ *instance, err error) {
	// wazero panics on some faults of its own (an allocator that cannot
	// give a memory its minimum, for one); NewGuest checks what it can
	// beforehand, and any other panic is one guest's error, not the host's.
	defer func() {
		if p := recover(); p != nil {
			err = fmt.Errorf("instantiate: %v", p)
		}
	}()
	inst := g.newInstance(ctx)
	mc := g.moduleConfig(inst)
	switch {
	case g.snap != nil:
		mc = mc.WithStartFunctions() // the snapshot holds what _initialize did
	case g.initFn && !g.yields:
		mc = mc.WithStartFunctions("_initialize")
	default:
		mc = mc.WithStartFunctions() // _initialize is called below, with the stop global armed
	}
	ictx := experimental.WithMemoryAllocator(ctx, limitAllocator{limit: g.memLimit, refused: &inst.refused})
	if g.graph != nil {
		if err := g.instantiateGraph(ictx, inst, mc); err != nil {
			inst.stderr.Flush()
			return nil, fmt.Errorf("instantiate: %w", err)
		}
		g.stats.instantiated.Add(1)
		return inst, nil
	}
	if err := g.startModule(ictx, inst, mc); err != nil {
		return nil, err
	}
	switch {
	case g.snap != nil:
		err = g.snap.restore(inst.mod)
	case g.initFn && g.yields:
		err = inst.call(ctx, "_initialize")
	}
	if err != nil {
		inst.stderr.Flush()
		inst.mod.Close(ctx)
		return nil, fmt.Errorf("instantiate: %w", err)
	}
	g.stats.instantiated.Add(1)
	return inst, nil
}

// newInstance returns the per-instance state of a new instance.
func (g *Guest) newInstance(ctx context.Context) *instance {
	return &instance{
		stdout: &logWriter{log: g.log, level: slog.LevelInfo, stream: "stdout", mapText: g.mapText},
		stderr: &logWriter{log: g.log, level: slog.LevelWarn, stream: "stderr", mapText: g.mapText},
		done:   ctx.Done(),
	}
}

// newABI makes the ABI state of a new instance: the guest's
// implementations, quotas, stdout and stderr, and WASI 0.2 policy.
func (g *Guest) newABI(inst *instance, a *abi.Instance) {
	inst.abi = a
	a.Stdout, a.Stderr = inst.stdout, inst.stderr // WASI 0.2's stdout/stderr too
	if g.quota != nil {
		a.SetQuotas(g.quota, g.qnames)
	}
	g.wasi.setWASI02(inst, a)
}

// startModule instantiates a core module into inst with mc and finds its
// memory, exports and stop global; it runs nothing.
func (g *Guest) startModule(ictx context.Context, inst *instance, mc wazero.ModuleConfig) error {
	mod, err := g.engine.InstantiateModule(ictx, g.compiled, mc)
	if err != nil {
		inst.stderr.Flush()
		return fmt.Errorf("instantiate: %w", err)
	}
	inst.mod = mod
	var a *abi.Instance
	if a, err = abi.NewInstance(mod, g.impls); err == nil {
		g.newABI(inst, a)
		if g.setup != nil {
			err = g.setup(inst)
		}
	}
	if err == nil && g.yields {
		stop, ok := mod.ExportedGlobal(modrewrite.StopGlobal).(api.MutableGlobal)
		if !ok {
			err = errors.New("instrumented module lacks its stop global")
		}
		inst.stops = []api.MutableGlobal{stop}
	}
	if err != nil {
		mod.Close(context.Background())
		return err
	}
	return nil
}

// call runs the export name with no arguments, bounded by ctx (a deadline,
// or a shutdown during start-up), with the instance's host state.
func (inst *instance) call(ctx context.Context, name string, results ...*uint64) error {
	fn := inst.mod.ExportedFunction(name)
	if fn == nil {
		return fmt.Errorf("the module does not export %q", name)
	}
	inst.arm(ctx, ctx)
	res, err := fn.Call(abi.WithInstance(ctx, inst.abi))
	if !inst.disarm() {
		err = errStopped(ctx)
	}
	var exit *sys.ExitError
	if errors.As(err, &exit) {
		err = fmt.Errorf("it exited with code %d", exit.ExitCode())
	}
	if err != nil {
		return fmt.Errorf("%s: %w", name, err)
	}
	for i, r := range results {
		if i < len(res) {
			*r = res[i]
		}
	}
	return nil
}

func (inst *instance) close(ctx context.Context) {
	inst.stdout.Flush()
	inst.stderr.Flush()
	if inst.abi != nil {
		inst.abi.Handles.DropAll(ctx)
	}
	if inst.mod != nil {
		inst.mod.Close(ctx)
	}
	closeAll(ctx, inst.mods)
}

// get returns an idle instance or a new one, waiting while MaxInstances
// are busy, with its quotas reset for a new call.
func (g *Guest) get(ctx context.Context) (*instance, error) {
	select {
	case inst := <-g.idle:
		inst.abi.ResetUsage()
		return inst, nil
	default:
	}
	select {
	case inst := <-g.idle:
		inst.abi.ResetUsage()
		return inst, nil
	case g.sem <- struct{}{}:
		if g.kill.Err() != nil {
			<-g.sem
			return nil, errStoppedByClose
		}
		inst, err := g.instantiate(ctx)
		if err != nil {
			<-g.sem
			return nil, err
		}
		g.track(inst)
		inst.abi.ResetUsage()
		return inst, nil
	case <-ctx.Done():
		return nil, fmt.Errorf("waiting for a free instance: %w", ctx.Err())
	case <-g.kill.Done():
		return nil, errStoppedByClose
	}
}

// errStoppedByClose ends a call that was waiting for an instance when
// Close stopped the calls in flight.
var errStoppedByClose = errors.New("stopped by Close while waiting for an instance")

// put returns inst to the pool, or discards it if it is poisoned.
func (g *Guest) put(inst *instance) {
	size := uint64(inst.abi.Memory().Size())
	for peak := g.stats.peak.Load(); size > peak && !g.stats.peak.CompareAndSwap(peak, size); {
		peak = g.stats.peak.Load()
	}
	if inst.abi.Poisoned() != nil {
		g.stats.discarded.Add(1)
		g.discard(inst)
		return
	}
	if g.closed() {
		g.discard(inst)
		return
	}
	select {
	case g.idle <- inst:
	default:
		g.discard(inst)
	}
}

func (g *Guest) discard(inst *instance) {
	g.mu.Lock()
	delete(g.live, inst)
	g.mu.Unlock()
	inst.close(context.Background())
	<-g.sem
}

// track records a new instance among the live ones.
func (g *Guest) track(inst *instance) {
	g.mu.Lock()
	g.live[inst] = struct{}{}
	g.mu.Unlock()
}

// mapText applies GuestConfig.MapText, if any.
func (g *Guest) mapText(s string) string {
	if g.mapper == nil || s == "" {
		return s
	}
	return g.mapper(s)
}
