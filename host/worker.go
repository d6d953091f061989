package host

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"runtime"
	"slices"
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

// Defaults for WorkerConfig's zero values.
const (
	// DefaultRequestTimeout is the wall-clock deadline of one request.
	DefaultRequestTimeout = 30 * time.Second
	// DefaultMemoryLimit is the most linear memory one instance may grow to
	// (Cloudflare gives a Worker 128 MB).
	DefaultMemoryLimit = 128 << 20
)

// mergeGap is the largest run of zeros modrewrite fills to join two segments.
const mergeGap = 4096

// yieldEvery is how many function entries and loop iterations a guest runs
// between two yield points (modrewrite.Instrument): the most work between a
// request's deadline and the guest trapping, or between a stop-the-world
// GC's request and the guest's goroutine stopping (~10–100 µs).
const yieldEvery = 1 << 14

// Binding is a guest's grant of one WIT interface: the value itself
// implements the interface's generated Host type (e.g. kvwit.StoreHost).
// Granting it is the one registration an embedder makes: the Runtime
// serves the interface from the first guest granted it on.
type Binding interface {
	// WIT returns the host side of the interface the binding implements
	// (e.g. kv.WIT() for "bindery:kv/store@0.1.0"): its name, host
	// functions and what an ungranted guest gets.
	WIT() abi.Interface
}

// WorkerConfig configures a Worker. Name and Wasm are required.
type WorkerConfig struct {
	// Name names the Worker in logs and errors.
	Name string
	// Wasm is the compiled guest: a core module that exports the handler,
	// or a component of world bindery:worker/worker (docs/components.md).
	Wasm []byte
	// Bindings are the Worker's grants, at most one per interface. An
	// interface with no binding denies everything (see abi.Interface.Deny).
	Bindings []Binding
	// RequestTimeout is the wall-clock deadline of one request; 0 means
	// DefaultRequestTimeout.
	RequestTimeout time.Duration
	// MemoryLimit is the most linear memory, in bytes, one instance may
	// use; 0 means DefaultMemoryLimit.
	MemoryLimit uint64
	// MaxInstances bounds the instances alive at once (and so the requests
	// served at once); 0 means 2×GOMAXPROCS+2. Requests beyond it wait.
	MaxInstances int
	// Logger receives the Worker's logs; nil uses the Runtime's.
	Logger *slog.Logger
	// Init, if set, pre-initialises the Worker once and starts every
	// instance from a snapshot of the result (see InitConfig). Core
	// modules only.
	Init *InitConfig
	// MapText, if set, rewrites what the guest says before it is logged
	// (console records, stdout and stderr lines, failure reasons, a failed
	// initialisation): a JavaScript Worker maps the positions in its
	// bundle back to its sources with it.
	MapText func(string) string
}

// Worker is a compiled guest with its bindings and a pool of warm
// instances. It is safe for concurrent use.
type Worker struct {
	rt       *Runtime
	engine   wazero.Runtime // rt.r, or rt.safe for a module without yield points
	yields   bool           // the module has yield points and a stop global
	name     string
	compiled wazero.CompiledModule // a core-module Worker
	graph    *graph                // a component Worker
	impls    []any
	timeout  time.Duration
	alloc    limitAllocator
	log      *slog.Logger
	initFn   bool
	snap     *snapshot // instances start from it (WorkerConfig.Init)
	mapper   func(string) string
	idle     chan *instance
	sem      chan struct{}
	closed   atomic.Bool
	stats    Stats
}

// Stats counts a Worker's instances and requests.
type Stats struct {
	Requests     atomic.Int64  // requests served
	Instantiated atomic.Int64  // instances created
	Discarded    atomic.Int64  // instances thrown away after a failure
	PeakMemory   atomic.Uint64 // largest linear memory, in bytes, seen when an instance was returned
}

// NewWorker compiles cfg.Wasm, checks its imports and exports, and starts
// one instance to prove it initialises. Errors name the Worker and the fault.
func (rt *Runtime) NewWorker(ctx context.Context, cfg WorkerConfig) (*Worker, error) {
	if cfg.Name == "" {
		return nil, errors.New("host: worker config has no name")
	}
	// The interfaces of the bindings must be served before the module's
	// imports are resolved.
	slots, err := rt.register(cfg.Bindings)
	if err != nil {
		return nil, fmt.Errorf("host: worker %q: %w", cfg.Name, err)
	}
	if len(cfg.Wasm) == 0 {
		return nil, fmt.Errorf("host: worker %q: no wasm", cfg.Name)
	}
	if len(cfg.Wasm) < 8 || string(cfg.Wasm[:4]) != "\x00asm" {
		return nil, fmt.Errorf("host: worker %q: not a WebAssembly module (no \\0asm header)", cfg.Name)
	}
	if component.IsComponent(cfg.Wasm) && cfg.Init != nil {
		return nil, fmt.Errorf("host: worker %q: Init pre-initialises core modules; this is a component", cfg.Name)
	}
	if component.IsComponent(cfg.Wasm) {
		g, engine, yields, err := rt.compileComponent(ctx, cfg.Wasm)
		if err != nil {
			return nil, fmt.Errorf("host: worker %q: %w", cfg.Name, err)
		}
		for i, cm := range g.compiled {
			if err := checkMemory(cm, orDefault(cfg.MemoryLimit, DefaultMemoryLimit)); err != nil {
				g.close(ctx)
				return nil, fmt.Errorf("host: worker %q: core instance %d: %w", cfg.Name, i, err)
			}
		}
		w, err := rt.newWorker(ctx, cfg, slots, engine, yields, nil, g, nil)
		if err != nil {
			g.close(ctx)
			return nil, fmt.Errorf("host: worker %q: %w", cfg.Name, err)
		}
		return w, nil
	}
	if cfg.Wasm[4] != 1 || cfg.Wasm[5] != 0 || cfg.Wasm[6] != 0 || cfg.Wasm[7] != 0 {
		return nil, fmt.Errorf("host: worker %q: unknown WebAssembly version or layer % x", cfg.Name, cfg.Wasm[4:8])
	}
	engine, wasm, yields := rt.r, cfg.Wasm, true
	var globals []string // the mutable globals a snapshot holds
	if cfg.Init != nil {
		var err error
		if wasm, globals, err = modrewrite.ExportGlobals(wasm); err != nil {
			return nil, fmt.Errorf("host: worker %q: invalid WebAssembly: %w", cfg.Name, err)
		}
	}
	if rewritten, err := rt.rewrite(wasm); err == nil {
		wasm = rewritten
	} else {
		// Compile it as it is, on the runtime whose calls watch their
		// context; if it is malformed, that compile says why.
		yields = false
		rt.log.Debug("no yield points; the worker runs with wazero's close-on-context-done", "worker", cfg.Name, "err", err)
		if engine, err = rt.safeEngine(ctx); err != nil {
			return nil, fmt.Errorf("host: worker %q: %w", cfg.Name, err)
		}
	}
	cm, err := engine.CompileModule(ctx, wasm)
	if err != nil {
		return nil, fmt.Errorf("host: worker %q: invalid WebAssembly: %w", cfg.Name, err)
	}
	fail := func(err error) (*Worker, error) {
		cm.Close(ctx)
		return nil, fmt.Errorf("host: worker %q: %w", cfg.Name, err)
	}
	if err := rt.define(ctx, engine, cm); err != nil {
		return fail(err)
	}
	if err := rt.checkImports(cm); err != nil {
		return fail(err)
	}
	exports := cm.ExportedFunctions()
	handle := httpwit.HandlerInterface + "#handle"
	if _, ok := exports[handle]; !ok {
		return fail(fmt.Errorf("the module does not export %q: is it a Worker built as a reactor with the Bindery SDK?", handle))
	}
	if _, ok := cm.ExportedMemories()["memory"]; !ok {
		return fail(errors.New("the module does not export its memory as \"memory\""))
	}
	if err := checkRealloc(cm); err != nil {
		return fail(err)
	}
	if err := checkMemory(cm, orDefault(cfg.MemoryLimit, DefaultMemoryLimit)); err != nil {
		return fail(err)
	}
	w, err := rt.newWorker(ctx, cfg, slots, engine, yields, cm, nil, globals)
	if err != nil {
		return fail(err)
	}
	return w, nil
}

// newWorker makes the Worker of a compiled core module cm or component g
// and starts its first instance.
func (rt *Runtime) newWorker(ctx context.Context, cfg WorkerConfig, slots []int, engine wazero.Runtime, yields bool, cm wazero.CompiledModule, g *graph, globals []string) (*Worker, error) {
	w := &Worker{
		rt: rt, engine: engine, yields: yields, name: cfg.Name, compiled: cm, graph: g,
		impls:   rt.denyImpls(),
		timeout: orDefault(cfg.RequestTimeout, DefaultRequestTimeout),
		alloc:   limitAllocator{limit: orDefault(cfg.MemoryLimit, DefaultMemoryLimit)},
		log:     cfg.Logger,
	}
	if w.log == nil {
		w.log = rt.log
	}
	w.log = w.log.With("worker", cfg.Name)
	w.mapper = cfg.MapText
	w.impls[rt.consoleSlot] = console{w}
	if cm != nil {
		_, w.initFn = cm.ExportedFunctions()["_initialize"]
	}
	granted := make([]bool, len(w.impls))
	for i, b := range cfg.Bindings {
		slot := slots[i]
		if granted[slot] {
			return nil, fmt.Errorf("two bindings for %s", b.WIT().Name)
		}
		granted[slot] = true
		w.impls[slot] = b
	}
	n := cfg.MaxInstances
	if n <= 0 {
		n = 2*runtime.GOMAXPROCS(0) + 2
	}
	w.idle = make(chan *instance, n)
	w.sem = make(chan struct{}, n)
	if cfg.Init != nil {
		snap, err := w.takeSnapshot(ctx, cfg.Init, globals)
		if err != nil {
			return nil, err
		}
		w.snap = snap
		w.log.Debug("pre-initialised", "took", snap.took, "snapshot bytes", snap.bytesIn(), "memory", snap.size)
	}
	// Start one instance now: a guest that cannot initialise fails here,
	// not on its first request.
	w.sem <- struct{}{}
	inst, err := w.instantiate(ctx)
	if err != nil {
		<-w.sem
		return nil, err
	}
	w.put(inst)
	return w, nil
}

// rewriteVersion names the output of rewrite: change it whenever the
// rewrites or their parameters change, so stale cached rewrites are ignored.
const rewriteVersion = "bindery-rewrite-1"

// rewrite merges the module's data segments (Go guests carry tens of
// thousands of tiny ones; merging is invisible to the guest and cuts
// compile and instantiate work) and inserts yield points. Both take tens of
// milliseconds on a Go guest, so with a cache directory the result is kept
// there, keyed by the module's hash, like wazero's compiled code.
func (rt *Runtime) rewrite(wasm []byte) ([]byte, error) {
	var path string
	if rt.cacheDir != "" {
		h := sha256.New()
		fmt.Fprintf(h, "%s %d %d\n", rewriteVersion, mergeGap, yieldEvery)
		h.Write(wasm)
		path = filepath.Join(rt.cacheDir, "bindery-rewrite", hex.EncodeToString(h.Sum(nil))+".wasm")
		if b, err := os.ReadFile(path); err == nil {
			return b, nil
		}
	}
	if merged, ok, err := modrewrite.Merge(wasm, mergeGap); err == nil && ok {
		wasm = merged
	}
	out, err := modrewrite.Instrument(wasm, yieldEvery)
	if err != nil {
		return nil, err
	}
	if path != "" {
		// Best effort: a failed write only means rewriting again next time.
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err == nil {
			if f, err := os.CreateTemp(filepath.Dir(path), "tmp-*"); err == nil {
				_, werr := f.Write(out)
				if cerr := f.Close(); werr != nil || cerr != nil || os.Rename(f.Name(), path) != nil {
					os.Remove(f.Name())
				}
			}
		}
	}
	return out, nil
}

// checkMemory refuses a module whose memories start larger than the
// Worker's memory limit: no instance of it could ever start.
func checkMemory(cm wazero.CompiledModule, limit uint64) error {
	for name, m := range cm.ExportedMemories() {
		if size := uint64(m.Min()) << 16; size > limit {
			return fmt.Errorf("memory %q starts at %s (%d pages of 64 KiB), more than the memory limit of %s: raise the limit or shrink the module's initial memory",
				name, mib(size), m.Min(), mib(limit))
		}
	}
	return nil
}

// checkRealloc checks the module's cabi_realloc: the host lowers every
// request (strings, a list of headers) through it.
func checkRealloc(cm wazero.CompiledModule) error {
	fn, ok := cm.ExportedFunctions()["cabi_realloc"]
	if !ok {
		return errors.New("the module does not export cabi_realloc, through which the host passes it strings and lists: is it built with a Bindery SDK?")
	}
	i32 := api.ValueTypeI32
	if !slices.Equal(fn.ParamTypes(), []api.ValueType{i32, i32, i32, i32}) || !slices.Equal(fn.ResultTypes(), []api.ValueType{i32}) {
		return fmt.Errorf("cabi_realloc has the signature %s, want (i32, i32, i32, i32) -> i32", abi.Signature(fn.ParamTypes(), fn.ResultTypes()))
	}
	return nil
}

// mib formats a size in bytes as MiB (or KiB below one MiB).
func mib(n uint64) string {
	if n < 1<<20 {
		return fmt.Sprintf("%d KiB", n>>10)
	}
	return fmt.Sprintf("%.4g MiB", float64(n)/(1<<20))
}

func orDefault[T comparable](v, def T) T {
	var zero T
	if v == zero {
		return def
	}
	return v
}

// Name returns the Worker's name.
func (w *Worker) Name() string { return w.name }

// Stats returns the Worker's counters.
func (w *Worker) Stats() *Stats { return &w.stats }

// Close closes the idle instances and the compiled module; requests in
// flight finish first.
func (w *Worker) Close(ctx context.Context) error {
	if w.closed.Swap(true) {
		return nil
	}
	for {
		select {
		case inst := <-w.idle:
			inst.close(ctx)
		default:
			if w.graph != nil {
				return w.graph.close(ctx)
			}
			return w.compiled.Close(ctx)
		}
	}
}

// instance is one guest instance and its per-instance state.
type instance struct {
	mod     api.Module   // a core-module Worker's module
	mods    []api.Module // a component Worker's core instances
	abi     *abi.Instance
	handler *httpwit.HandlerExports
	stops   []api.MutableGlobal // the guest's stop globals (one per module); none without yield points
	stdout  *logWriter
	stderr  *logWriter
	bodyBuf []byte
	// done is the Done channel of the call in progress (arm sets it): a
	// guest's sleep ends when it closes.
	done <-chan struct{}
	// cut ends the request's waits on its client when done closes.
	cut clientCut
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
// call or sleep, once ctx is done (the request's deadline, or its client
// gone), and ends the request's waits on its client (inst.cut). disarm
// must be called when the guest call returns; it reports whether the
// instance is still clean, i.e. ctx did not end the call (if it did, the
// instance must be discarded).
func (inst *instance) arm(ctx context.Context) (disarm func() bool) {
	inst.done = ctx.Done()
	inst.abi.StopWhen(inst.done)
	if ctx.Done() == nil {
		return func() bool { return true }
	}
	return context.AfterFunc(ctx, func() {
		for _, s := range inst.stops {
			s.Set(1)
		}
		inst.cut.cut()
	})
}

// errStopped is the error of a guest call that the stop global ended
// because ctx was done: ctx's cause, rather than the trap (and wasm stack)
// the stop raised.
func errStopped(ctx context.Context) error {
	return fmt.Errorf("stopped before it finished: %w", context.Cause(ctx))
}

func (w *Worker) instantiate(ctx context.Context) (_ *instance, err error) {
	// wazero panics on some faults of its own (an allocator that cannot
	// give a memory its minimum, for one); NewWorker checks what it can
	// beforehand, and any other panic is one Worker's error, not the host's.
	defer func() {
		if p := recover(); p != nil {
			err = fmt.Errorf("instantiate: %v", p)
		}
	}()
	inst := w.newInstance(ctx)
	mc := w.moduleConfig(inst)
	switch {
	case w.snap != nil:
		mc = mc.WithStartFunctions() // the snapshot holds what _initialize did
	case w.initFn && !w.yields:
		mc = mc.WithStartFunctions("_initialize")
	default:
		mc = mc.WithStartFunctions() // _initialize is called below, with the stop global armed
	}
	ictx := experimental.WithMemoryAllocator(ctx, w.alloc)
	if w.graph != nil {
		if err := w.instantiateGraph(ictx, inst, mc); err != nil {
			inst.stderr.Flush()
			return nil, fmt.Errorf("instantiate: %w", err)
		}
		w.stats.Instantiated.Add(1)
		return inst, nil
	}
	if err := w.startModule(ictx, inst, mc); err != nil {
		return nil, err
	}
	switch {
	case w.snap != nil:
		err = w.snap.restore(inst.mod)
	case w.initFn && w.yields:
		err = inst.call(ctx, "_initialize")
	}
	if err != nil {
		inst.stderr.Flush()
		inst.mod.Close(ctx)
		return nil, fmt.Errorf("instantiate: %w", err)
	}
	w.stats.Instantiated.Add(1)
	return inst, nil
}

// newInstance returns the per-instance state of a new instance.
func (w *Worker) newInstance(ctx context.Context) *instance {
	return &instance{
		stdout: &logWriter{log: w.log, level: slog.LevelInfo, stream: "stdout", mapText: w.mapText},
		stderr: &logWriter{log: w.log, level: slog.LevelWarn, stream: "stderr", mapText: w.mapText},
		done:   ctx.Done(),
	}
}

// moduleConfig is what an instance of the Worker gets from WASI preview 1:
// its log as stdout and stderr, the real clocks, a sleep bound to the call,
// and crypto/rand; no files, no environment, no arguments.
func (w *Worker) moduleConfig(inst *instance) wazero.ModuleConfig {
	return wazero.NewModuleConfig().WithName("").
		WithStdout(inst.stdout).WithStderr(inst.stderr).
		WithSysWalltime().WithSysNanotime().WithNanosleep(inst.nanosleep).
		WithRandSource(rand.Reader)
}

// startModule instantiates a core-module Worker's module into inst with mc
// and finds its memory, exports and stop global; it runs nothing.
func (w *Worker) startModule(ictx context.Context, inst *instance, mc wazero.ModuleConfig) error {
	mod, err := w.engine.InstantiateModule(ictx, w.compiled, mc)
	if err != nil {
		inst.stderr.Flush()
		return fmt.Errorf("instantiate: %w", err)
	}
	inst.mod = mod
	if inst.abi, err = abi.NewInstance(mod, w.impls); err == nil {
		inst.abi.Stdout, inst.abi.Stderr = inst.stdout, inst.stderr // WASI 0.2's stdout/stderr too
		inst.handler, err = httpwit.NewHandlerExports(mod)
	}
	if err == nil && w.yields {
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
	disarm := inst.arm(ctx)
	res, err := fn.Call(abi.WithInstance(ctx, inst.abi))
	if !disarm() {
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
	inst.abi.Handles.DropAll(ctx)
	if inst.mod != nil {
		inst.mod.Close(ctx)
	}
	closeAll(ctx, inst.mods)
}

// get returns an idle instance or a new one, waiting while MaxInstances are busy.
func (w *Worker) get(ctx context.Context) (*instance, error) {
	select {
	case inst := <-w.idle:
		return inst, nil
	default:
	}
	select {
	case inst := <-w.idle:
		return inst, nil
	case w.sem <- struct{}{}:
		inst, err := w.instantiate(ctx)
		if err != nil {
			<-w.sem
			return nil, err
		}
		return inst, nil
	case <-ctx.Done():
		return nil, fmt.Errorf("waiting for a free instance: %w", ctx.Err())
	}
}

// put returns inst to the pool, or discards it if it is poisoned.
func (w *Worker) put(inst *instance) {
	size := uint64(inst.abi.Memory().Size())
	for peak := w.stats.PeakMemory.Load(); size > peak && !w.stats.PeakMemory.CompareAndSwap(peak, size); {
		peak = w.stats.PeakMemory.Load()
	}
	if inst.abi.Poisoned() != nil {
		w.stats.Discarded.Add(1)
		w.discard(inst)
		return
	}
	if w.closed.Load() {
		w.discard(inst)
		return
	}
	select {
	case w.idle <- inst:
	default:
		w.discard(inst)
	}
}

func (w *Worker) discard(inst *instance) {
	inst.close(context.Background())
	<-w.sem
}
