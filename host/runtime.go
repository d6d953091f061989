package host

import (
	"context"
	"fmt"
	"log/slog"
	"slices"
	"strings"

	"github.com/bindery-run/bindery/abi"
	"github.com/bindery-run/bindery/abi/stream"
	"github.com/bindery-run/bindery/host/internal/httpwit"
	"github.com/tetratelabs/wazero"
	"github.com/tetratelabs/wazero/imports/wasi_snapshot_preview1"
)

// RuntimeConfig configures a Runtime. The zero value is usable.
type RuntimeConfig struct {
	// CacheDir holds wazero's on-disk compilation cache; "" compiles in
	// memory only (a big guest then compiles anew in every process).
	CacheDir string
	// Interfaces are the WIT interfaces of the bindings, beyond the core
	// ones (streams, HTTP) the host always serves.
	Interfaces []abi.Interface
	// Logger receives the host's and the guests' logs; nil discards them.
	Logger *slog.Logger
}

// Runtime compiles and runs Workers. It is safe for concurrent use.
type Runtime struct {
	r       wazero.Runtime
	cache   wazero.CompilationCache
	log     *slog.Logger
	slots   map[string]int // interface name -> impl slot
	deny    []any          // per slot: the implementation when a Worker grants nothing
	ifaces  []string
	exports map[string]map[string]bool // host module -> its functions
}

// NewRuntime creates a Runtime and defines the host functions of every interface.
func NewRuntime(ctx context.Context, cfg RuntimeConfig) (*Runtime, error) {
	rc := wazero.NewRuntimeConfigCompiler().WithCloseOnContextDone(true)
	var cache wazero.CompilationCache
	if cfg.CacheDir != "" {
		c, err := wazero.NewCompilationCacheWithDir(cfg.CacheDir)
		if err != nil {
			return nil, fmt.Errorf("host: compilation cache %s: %w", cfg.CacheDir, err)
		}
		cache = c
		rc = rc.WithCompilationCache(c)
	}
	log := cfg.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	rt := &Runtime{r: wazero.NewRuntimeWithConfig(ctx, rc), cache: cache, log: log, slots: map[string]int{}, exports: map[string]map[string]bool{}}
	if err := rt.instantiate(ctx, wasi_snapshot_preview1.ModuleName, wasi_snapshot_preview1.NewBuilder(rt.r)); err != nil {
		rt.Close(ctx)
		return nil, err
	}
	core := []abi.Interface{
		{Name: stream.StreamsInterface, Define: stream.DefineStreams},
		{Name: httpwit.TypesInterface, Define: httpwit.DefineTypes},
	}
	for _, iface := range append(core, cfg.Interfaces...) {
		if _, dup := rt.slots[iface.Name]; dup {
			rt.Close(ctx)
			return nil, fmt.Errorf("host: interface %s is defined twice", iface.Name)
		}
		slot := len(rt.slots)
		rt.slots[iface.Name] = slot
		rt.deny = append(rt.deny, iface.Deny)
		rt.ifaces = append(rt.ifaces, iface.Name)
		hb := rt.r.NewHostModuleBuilder(iface.Name)
		iface.Define(hb, slot)
		if err := rt.instantiate(ctx, iface.Name, hb); err != nil {
			rt.Close(ctx)
			return nil, err
		}
	}
	slices.Sort(rt.ifaces)
	return rt, nil
}

func (rt *Runtime) instantiate(ctx context.Context, name string, hb interface {
	Compile(context.Context) (wazero.CompiledModule, error)
}) error {
	cm, err := hb.Compile(ctx)
	if err != nil {
		return fmt.Errorf("host: define %s: %w", name, err)
	}
	fns := map[string]bool{}
	for n := range cm.ExportedFunctions() {
		fns[n] = true
	}
	rt.exports[name] = fns
	if _, err := rt.r.InstantiateModule(ctx, cm, wazero.NewModuleConfig()); err != nil {
		return fmt.Errorf("host: define %s: %w", name, err)
	}
	return nil
}

// Interfaces returns the names of the WIT interfaces the runtime serves, sorted.
func (rt *Runtime) Interfaces() []string { return slices.Clone(rt.ifaces) }

// Close releases the runtime and every Worker compiled by it.
func (rt *Runtime) Close(ctx context.Context) error {
	err := rt.r.Close(ctx)
	if rt.cache != nil {
		rt.cache.Close(ctx)
	}
	return err
}

// checkImports returns an error naming every function the module imports
// that the runtime does not provide.
func (rt *Runtime) checkImports(cm wazero.CompiledModule) error {
	var missing []string
	for _, f := range cm.ImportedFunctions() {
		mod, name, _ := f.Import()
		if !rt.exports[mod][name] {
			missing = append(missing, fmt.Sprintf("%q %q", mod, name))
		}
	}
	if len(missing) == 0 {
		return nil
	}
	return fmt.Errorf("it imports %s, which this host does not provide (it serves %s and wasi_snapshot_preview1)",
		strings.Join(missing, ", "), strings.Join(rt.ifaces, ", "))
}
