package host

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"slices"
	"time"

	"github.com/bindery-run/bindery/abi"
	"github.com/bindery-run/bindery/host/clock"
	"github.com/bindery-run/bindery/host/internal/httpwit"
	"github.com/bindery-run/bindery/host/internal/modrewrite"
	"github.com/tetratelabs/wazero"
	"github.com/tetratelabs/wazero/api"
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
	// Operations is how many host calls one request may make through each
	// granted binding; 0 means DefaultWorkerOperations (Cloudflare's
	// 1,000 per invocation), a negative value no limit. Going over it
	// ends the request (a 500; ErrQuota in the log).
	Operations int64
	// Bytes bounds the bytes one request may copy into and out of guest
	// memory through each granted binding; 0 means no limit.
	Bytes int64
	// PerInterface overrides the quota of the named interfaces.
	PerInterface map[string]Quota
	// Clock is the clock the Worker's wall clock reads (Date.now() in
	// JavaScript, time.Now() in Go: WASI's wall clock); nil means the
	// host's. Give it the clock the Worker's bindings read
	// (bindings.Env.Clock), so that a test that advances a manual clock
	// moves the Worker's time and its KV expirations together. The
	// monotonic clock, sleeps and RequestTimeout stay on the host's
	// clock: a guest that sleeps is not woken by a manual clock.
	Clock clock.Clock
}

// Worker is a Guest that serves HTTP: a compiled guest that exports the
// handler of bindery:http (a core module, or a component of world
// bindery:worker/worker), with its bindings and a pool of warm instances.
// It is safe for concurrent use.
type Worker struct {
	g      *Guest
	detach []func(ctx context.Context) error // of the Attacher bindings
}

// NewWorker compiles cfg.Wasm, checks its imports and exports, and starts
// one instance to prove it initialises. Errors name the Worker and the fault.
func (rt *Runtime) NewWorker(ctx context.Context, cfg WorkerConfig) (*Worker, error) {
	ops := cfg.Operations
	switch {
	case ops == 0:
		ops = DefaultWorkerOperations
	case ops < 0:
		ops = 0
	}
	w := &Worker{}
	wasi := WorkerWASI()
	wasi.WallClock.Clock = cfg.Clock
	g, err := rt.newGuest(ctx, GuestConfig{
		Name:     cfg.Name,
		Wasm:     cfg.Wasm,
		Bindings: cfg.Bindings,
		WASI:     wasi,
		Limits: Limits{
			Timeout:      cfg.RequestTimeout,
			Memory:       cfg.MemoryLimit,
			MaxInstances: cfg.MaxInstances,
			Operations:   ops,
			Bytes:        cfg.Bytes,
			PerInterface: cfg.PerInterface,
		},
		Init:    cfg.Init,
		MapText: cfg.MapText,
		Logger:  cfg.Logger,
	}, guestOpts{kind: "worker", worker: true, setup: func(inst *instance) (err error) {
		inst.handler, err = httpwit.NewHandlerExports(inst.abi.Lookup())
		return err
	}})
	if err != nil {
		return nil, err
	}
	w.g = g
	for _, b := range cfg.Bindings {
		a, ok := b.(Attacher)
		if !ok {
			continue
		}
		detach, err := a.Attach(ctx, w)
		if err != nil {
			w.Close(ctx)
			name := b.WIT().Name
			if name == "" { // attach-only
				name = fmt.Sprintf("%T", b)
			}
			return nil, fmt.Errorf("host: worker %q: %s: %w", cfg.Name, name, err)
		}
		if detach != nil {
			w.detach = append(w.detach, detach)
		}
	}
	return w, nil
}

// Guest returns the Guest the Worker runs on (its Stats, its Close).
func (w *Worker) Guest() *Guest { return w.g }

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
// request (strings, a list of headers) through it. A Guest may have none
// (required false) when the host never lowers strings or lists into it:
// then a host call that would traps, saying so.
func checkRealloc(cm wazero.CompiledModule, required bool) error {
	fn, ok := cm.ExportedFunctions()["cabi_realloc"]
	if !ok && !required {
		return nil
	}
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
func (w *Worker) Name() string { return w.g.name }

// Stats returns a copy of the Worker's counters (Calls counts requests).
func (w *Worker) Stats() Stats { return w.g.Stats() }

// Close refuses new requests (503), waits for the requests in flight until
// ctx is done, then stops the rest and releases the Worker (Guest.Close).
func (w *Worker) Close(ctx context.Context) error {
	var errs []error
	for i := len(w.detach) - 1; i >= 0; i-- {
		errs = append(errs, w.detach[i](ctx))
	}
	w.detach = nil
	return errors.Join(append(errs, w.g.Close(ctx))...)
}
