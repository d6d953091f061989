package host

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"

	"github.com/bindery-run/bindery/abi"
	"github.com/bindery-run/bindery/abi/stream"
	"github.com/bindery-run/bindery/host/htmlrewriter"
	"github.com/bindery-run/bindery/host/internal/durablewit"
	"github.com/bindery-run/bindery/host/internal/httpwit"
	"github.com/bindery-run/bindery/host/internal/logwit"
	"github.com/bindery-run/bindery/host/internal/queuewit"
	"github.com/bindery-run/bindery/host/intl"
	"github.com/bindery-run/bindery/host/wasi02"
	"github.com/bindery-run/bindery/host/webcrypto"
	"github.com/tetratelabs/wazero"
	"github.com/tetratelabs/wazero/api"
	"github.com/tetratelabs/wazero/experimental"
	"github.com/tetratelabs/wazero/imports/wasi_snapshot_preview1"
)

// RuntimeConfig configures a Runtime. The zero value is usable.
type RuntimeConfig struct {
	// CacheDir holds wazero's on-disk compilation cache (and the host's
	// rewritten modules): "" means the user's cache directory,
	// os.UserCacheDir()/bindery/wazero, or compiling in memory only when
	// there is none. Compiling a big guest (a Go or JavaScript Worker)
	// takes seconds; with the cache, a process after the first loads it in
	// milliseconds.
	CacheDir string
	// NoCache turns the on-disk compilation cache off: every process
	// compiles its guests anew (CacheDir is ignored).
	NoCache bool
	// Interfaces are WIT interfaces to serve to guests that import them
	// without being granted them: such a guest gets the interface's Deny
	// implementation (e.g. a Worker built with an SDK that imports KV but
	// has no KV binding). A granted Binding registers its interface itself
	// (Binding.WIT), so an interface needs to be listed here only when a
	// guest may import it ungranted. The core interfaces (streams, HTTP,
	// crypto, HTMLRewriter, Intl, and Durable Objects' client and state,
	// whose calls trap ungranted unless their Deny is listed here) are
	// always served, and WASI 0.2 from the first guest that imports it on
	// (each guest's WASIConfig says what it grants).
	Interfaces []abi.Interface
	// Logger receives the host's and the guests' logs; nil discards them.
	Logger *slog.Logger
}

// Runtime compiles and runs guests (Guest, Worker). It is safe for
// concurrent use.
//
// It has two wazero runtimes. Workers run on r, which has no per-call
// watcher: the host inserts yield points into every guest
// (modrewrite.Instrument) and bounds a request by setting the guest's stop
// global. A module the instrumentation cannot handle runs on safe instead,
// created on first use, with wazero's WithCloseOnContextDone (a watcher
// goroutine per call and a call out to Go at every loop header: correct,
// and several times slower).
type Runtime struct {
	r        wazero.Runtime
	cache    wazero.CompilationCache
	cacheDir string
	log      *slog.Logger
	slots    map[string]int // interface name -> impl slot
	deny     []any          // per slot: the implementation when a Worker grants nothing
	ifaces   []string
	byName   map[string]abi.Interface // every interface by name
	// consoleSlot is the slot of bindery:log/console, which every guest
	// gets as its own log.
	consoleSlot int

	// mu guards the host modules instantiated so far, per engine, and what
	// each provides: an interface's host module is instantiated the first
	// time a Worker imports it (WASI 0.2 alone is ~250 modules, which cost
	// every runtime ~25 ms and several MiB when defined up front).
	// It also guards slots, deny, ifaces and byName, which grow when a
	// guest's Binding brings an interface the runtime did not serve yet.
	mu     sync.Mutex
	wasi02 bool // the WASI 0.2 interfaces are registered (serveWASI02)
	// open are the interfaces every guest may import, granted or not: the
	// core ones, RuntimeConfig.Interfaces (ungranted, a guest gets their
	// Deny) and WASI 0.2 (its policy is the guest's WASIConfig). Any other
	// interface, which a Binding brought, only the guests granted it may
	// import: otherwise whether an ungranted import failed at NewGuest or
	// trapped when called would depend on which guest came first.
	open    map[string]bool
	defined map[wazero.Runtime]map[string]bool
	exports map[string]map[string]bool // host module -> its functions

	safeMu  sync.Mutex
	safe    wazero.Runtime
	safeErr error
}

// NewRuntime creates a Runtime and defines the host functions of every interface.
func NewRuntime(ctx context.Context, cfg RuntimeConfig) (*Runtime, error) {
	log := cfg.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	var cache wazero.CompilationCache
	cacheDir := cfg.CacheDir
	if cacheDir == "" && !cfg.NoCache {
		cacheDir = defaultCacheDir()
	}
	if cfg.NoCache {
		cacheDir = ""
	}
	if cacheDir != "" {
		c, err := wazero.NewCompilationCacheWithDir(cacheDir)
		switch {
		case err != nil && cfg.CacheDir != "":
			return nil, fmt.Errorf("host: compilation cache %s: %w", cfg.CacheDir, err)
		case err != nil:
			// The default directory is a convenience: without it, compile
			// in memory.
			log.Debug("no compilation cache; compiling in memory", "dir", cacheDir, "err", err)
			cacheDir = ""
		default:
			cache = c
		}
	}
	rt := &Runtime{cache: cache, cacheDir: cacheDir, log: log, slots: map[string]int{}, byName: map[string]abi.Interface{}, open: map[string]bool{},
		defined: map[wazero.Runtime]map[string]bool{}, exports: map[string]map[string]bool{}}
	core := []abi.Interface{
		{Name: stream.StreamsInterface, Define: stream.DefineStreams},
		{Name: httpwit.TypesInterface, Define: httpwit.DefineTypes},
		{Name: logwit.ConsoleInterface, Define: logwit.DefineConsole}, // each Worker's own (newWorker)
		// WebCrypto's SubtleCrypto: computation only, so every Worker gets it.
		webcrypto.WIT(),
		// HTMLRewriter's engine; it grants nothing per Worker.
		htmlrewriter.WIT(htmlrewriter.Limits{}),
		// Unicode and locale services (normalization, collation, dates,
		// property escapes) for engines built without ICU: computation
		// only, so every Worker gets it.
		intl.WIT(),
		// Durable Objects: every JavaScript and Python Worker imports
		// them (their engines are built for world worker-with-objects),
		// so every runtime serves them; a call traps unless the Worker is
		// granted them (host/durablehost), which also gives their Deny
		// when listed in RuntimeConfig.Interfaces.
		{Name: durablewit.ClientInterface, Define: durablewit.DefineClient},
		{Name: durablewit.StateInterface, Define: durablewit.DefineState},
		// Queues: every JavaScript and Python Worker imports the producer
		// (world worker), so every runtime serves it, denying every queue
		// unless the Worker is granted some (host/queuehost): the
		// JavaScript SDK's env.NAME tries a queue last, for any name.
		{Name: queuewit.ProducerInterface, Define: queuewit.DefineProducer, Deny: noQueues{}},
	}
	for i, iface := range append(core, cfg.Interfaces...) {
		if slot, dup := rt.slots[iface.Name]; dup && i >= len(core) && slot < len(core) && iface.Deny != nil {
			rt.deny[slot] = iface.Deny // a core interface's Deny, given by its binding's package
			continue
		}
		if _, dup := rt.slots[iface.Name]; dup {
			if cache != nil {
				cache.Close(ctx)
			}
			return nil, fmt.Errorf("host: interface %s is defined twice", iface.Name)
		}
		rt.addInterface(iface)
		rt.open[iface.Name] = true
	}
	rt.consoleSlot = rt.slots[logwit.ConsoleInterface]
	r, err := rt.newEngine(ctx, false)
	if err != nil {
		if cache != nil {
			cache.Close(ctx)
		}
		return nil, err
	}
	rt.r = r
	return rt, nil
}

// addInterface gives iface the next slot. The caller holds rt.mu, or owns
// rt alone (NewRuntime).
func (rt *Runtime) addInterface(iface abi.Interface) int {
	slot := len(rt.deny)
	rt.slots[iface.Name] = slot
	rt.deny = append(rt.deny, iface.Deny)
	i, _ := slices.BinarySearch(rt.ifaces, iface.Name)
	rt.ifaces = slices.Insert(rt.ifaces, i, iface.Name)
	rt.byName[iface.Name] = iface
	return slot
}

// register makes the runtime serve the interface of every binding that it
// does not serve yet, and returns each binding's slot. An interface is
// registered once per runtime: the first registration of a name defines
// its host functions for every later guest (every registration of a name
// is the same generated glue).
func (rt *Runtime) register(bindings []Binding) ([]int, error) {
	rt.mu.Lock()
	defer rt.mu.Unlock()
	slots := make([]int, len(bindings))
	for i, b := range bindings {
		iface := b.WIT()
		if _, ok := b.(Attacher); ok && iface.Name == "" && iface.Define == nil {
			slots[i] = -1 // attach-only: it serves no interface
			continue
		}
		if iface.Name == "" || iface.Define == nil {
			return nil, fmt.Errorf("binding %T: its WIT() has no interface name or no host functions", b)
		}
		slot, ok := rt.slots[iface.Name]
		if !ok {
			slot = rt.addInterface(iface)
		}
		slots[i] = slot
	}
	return slots, nil
}

// denyImpls returns a copy of the implementation each slot has when a
// guest grants nothing for it.
func (rt *Runtime) denyImpls() []any {
	rt.mu.Lock()
	defer rt.mu.Unlock()
	return slices.Clone(rt.deny)
}

// newEngine creates a wazero runtime with WASI preview 1; the host
// modules of the WIT interfaces come later, as Workers import them
// (define).
func (rt *Runtime) newEngine(ctx context.Context, closeOnDone bool) (wazero.Runtime, error) {
	// Extended constant expressions: the shared libraries of a
	// componentize-py component (libpython) compute GOT globals with
	// i32.add in their initialisers.
	rc := wazero.NewRuntimeConfigCompiler().WithCloseOnContextDone(closeOnDone).
		WithCoreFeatures(api.CoreFeaturesV2 | experimental.CoreFeaturesExtendedConst)
	if rt.cache != nil {
		rc = rc.WithCompilationCache(rt.cache)
	}
	r := wazero.NewRuntimeWithConfig(ctx, rc)
	rt.mu.Lock()
	defer rt.mu.Unlock()
	rt.defined[r] = map[string]bool{}
	if err := rt.instantiate(ctx, r, wasi_snapshot_preview1.ModuleName, wasi_snapshot_preview1.NewBuilder(r)); err != nil {
		r.Close(ctx)
		return nil, err
	}
	return r, nil
}

// define instantiates in r the host module of every interface that cm
// imports and r does not have yet. Imports of modules the runtime does not
// serve are left for checkImports to report.
func (rt *Runtime) define(ctx context.Context, r wazero.Runtime, cm wazero.CompiledModule) error {
	rt.mu.Lock()
	defer rt.mu.Unlock()
	for _, f := range cm.ImportedFunctions() {
		mod, _, _ := f.Import()
		if rt.defined[r][mod] {
			continue
		}
		// A component's import lowered with another realloc names a
		// variant of the interface's host module (component.go).
		name, k := splitVariant(mod)
		iface, ok := rt.byName[name]
		if !ok && !rt.wasi02 && isWASI02(name) {
			rt.serveWASI02()
			iface, ok = rt.byName[name]
		}
		if !ok {
			if reason, ok := unavailable(mod); ok {
				if err := rt.instantiate(ctx, r, mod, trapModule(r, cm, mod, reason)); err != nil {
					return err
				}
			}
			continue
		}
		var hb wazero.HostModuleBuilder = r.NewHostModuleBuilder(mod)
		var err error
		if k > 0 {
			hb = reallocBuilder{HostModuleBuilder: hb, k: k, err: &err}
		}
		iface.Define(hb, rt.slots[iface.Name])
		if err := rt.instantiate(ctx, r, mod, hb); err != nil {
			return err
		}
	}
	return nil
}

// isWASI02 reports whether mod names a WASI 0.2 interface.
func isWASI02(mod string) bool {
	return strings.HasPrefix(mod, "wasi:") && strings.Contains(mod, "@0.2.")
}

// serveWASI02 registers every WASI 0.2 interface (for guests such as
// componentize-js's engine that import them); what each guest gets from
// them is its own WASIConfig (wasi02.SetPolicy). The caller holds rt.mu.
func (rt *Runtime) serveWASI02() {
	rt.wasi02 = true
	for _, iface := range wasi02.Interfaces(rt.log) {
		if _, ok := rt.slots[iface.Name]; !ok {
			rt.addInterface(iface)
		}
		rt.open[iface.Name] = true
	}
}

// defaultCacheDir is os.UserCacheDir()/bindery/wazero, or "" when the
// user has no cache directory.
func defaultCacheDir() string {
	d, err := os.UserCacheDir()
	if err != nil || d == "" {
		return ""
	}
	return filepath.Join(d, "bindery", "wazero")
}

// safeEngine returns the runtime with WithCloseOnContextDone, creating it
// on first use.
func (rt *Runtime) safeEngine(ctx context.Context) (wazero.Runtime, error) {
	rt.safeMu.Lock()
	defer rt.safeMu.Unlock()
	if rt.safe == nil && rt.safeErr == nil {
		rt.safe, rt.safeErr = rt.newEngine(ctx, true)
	}
	return rt.safe, rt.safeErr
}

func (rt *Runtime) instantiate(ctx context.Context, r wazero.Runtime, name string, hb interface {
	Compile(context.Context) (wazero.CompiledModule, error)
}) error {
	cm, err := hb.Compile(ctx)
	if err != nil {
		return fmt.Errorf("host: define %s: %w", name, err)
	}
	if rt.exports[name] == nil { // record what the host provides
		fns := map[string]bool{}
		for n := range cm.ExportedFunctions() {
			fns[n] = true
		}
		rt.exports[name] = fns
	}
	if _, err := r.InstantiateModule(ctx, cm, wazero.NewModuleConfig()); err != nil {
		return fmt.Errorf("host: define %s: %w", name, err)
	}
	rt.defined[r][name] = true
	return nil
}

// Interfaces returns the names of the WIT interfaces the runtime serves, sorted.
func (rt *Runtime) Interfaces() []string {
	rt.mu.Lock()
	defer rt.mu.Unlock()
	return slices.Clone(rt.ifaces)
}

// Close releases the runtime and every Worker compiled by it.
func (rt *Runtime) Close(ctx context.Context) error {
	err := rt.r.Close(ctx)
	rt.safeMu.Lock()
	if rt.safe != nil {
		err = errors.Join(err, rt.safe.Close(ctx))
	}
	rt.safeMu.Unlock()
	if rt.cache != nil {
		rt.cache.Close(ctx)
	}
	return err
}

// checkImports returns an error naming every function the module imports
// that the runtime does not provide.
func (rt *Runtime) checkImports(cm wazero.CompiledModule, granted []int) error {
	rt.mu.Lock()
	defer rt.mu.Unlock()
	var missing, ungranted []string
	for _, f := range cm.ImportedFunctions() {
		mod, name, _ := f.Import()
		if strings.HasPrefix(mod, instancePrefix) {
			continue // a component's core instance: resolved at instantiation
		}
		if iface, _ := splitVariant(mod); rt.byName[iface].Name != "" && !rt.open[iface] &&
			!slices.Contains(granted, rt.slots[iface]) && !slices.Contains(ungranted, iface) {
			ungranted = append(ungranted, iface)
		}
		if !rt.exports[mod][name] {
			missing = append(missing, fmt.Sprintf("%q %q", mod, name))
		}
	}
	if len(ungranted) > 0 {
		return fmt.Errorf("it imports %s, which it is not granted: grant it a binding for each, or list the interface in RuntimeConfig.Interfaces so that an ungranted guest gets its Deny",
			strings.Join(ungranted, ", "))
	}
	if len(missing) == 0 {
		return nil
	}
	return fmt.Errorf("it imports %s, which this host does not provide (it serves %s and wasi_snapshot_preview1)",
		strings.Join(missing, ", "), strings.Join(versionRanges(rt.ifaces), ", "))
}

// versionRanges shortens sorted interface names that differ only in their
// version to one entry: "wasi:io/streams (13 versions)".
func versionRanges(names []string) []string {
	var out []string
	for i := 0; i < len(names); {
		base, _, _ := strings.Cut(names[i], "@")
		j := i + 1
		for ; j < len(names); j++ {
			if b, _, _ := strings.Cut(names[j], "@"); b != base {
				break
			}
		}
		if j-i > 1 {
			out = append(out, fmt.Sprintf("%s (%d versions)", base, j-i))
		} else {
			out = append(out, names[i])
		}
		i = j
	}
	return out
}

// unavailable says whether the host module mod is one a guest engine
// imports for capabilities Workers do not have yet (so the host stands in
// for it with functions that trap), and why.
func unavailable(mod string) (string, bool) {
	// StarlingMonkey (JS Workers) imports wasi:http for fetch; the JS SDK
	// rejects fetch before it reaches them (docs/sdk-js.md).
	if strings.HasPrefix(mod, "wasi:http/") && strings.Contains(mod, "@0.2.") {
		return "outbound HTTP (wasi:http) is not available to Workers yet", true
	}
	return "", false
}

// trapModule builds the host module mod with every function cm imports
// from it, each trapping with reason when called.
func trapModule(r wazero.Runtime, cm wazero.CompiledModule, mod, reason string) wazero.HostModuleBuilder {
	hb := r.NewHostModuleBuilder(mod)
	for _, f := range cm.ImportedFunctions() {
		m, name, _ := f.Import()
		if m != mod {
			continue
		}
		msg := fmt.Sprintf("%s %s: %s", mod, name, reason)
		hb.NewFunctionBuilder().WithGoModuleFunction(api.GoModuleFunc(func(context.Context, api.Module, []uint64) {
			panic(&abi.Trap{Msg: msg})
		}), f.ParamTypes(), f.ResultTypes()).Export(name)
	}
	return hb
}

// noQueues is the producer of a Worker granted no queues.
type noQueues struct{}

// QueueOpen implements queuewit.ProducerHost.
func (noQueues) QueueOpen(ctx context.Context, name string) (queuewit.Queue, *queuewit.Error) {
	return nil, &queuewit.Error{Tag: queuewit.ErrorNoSuchQueue, NoSuchQueue: fmt.Sprintf("no queue binding %q is granted to this Worker", name)}
}
