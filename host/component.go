package host

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"

	"github.com/bindery-run/bindery/abi"
	"github.com/bindery-run/bindery/host/internal/component"
	"github.com/bindery-run/bindery/host/internal/httpwit"
	"github.com/bindery-run/bindery/host/internal/modrewrite"
	"github.com/tetratelabs/wazero"
	"github.com/tetratelabs/wazero/api"
	"github.com/tetratelabs/wazero/experimental"
)

// A component Worker (docs/components.md): the host runs the component's
// core instantiation graph. Each core module is compiled once per Worker,
// with its imports renamed to say where they come from:
//
//   - an export of an earlier core instance of the graph: module
//     instancePrefix+"<n>", the export's name; resolved per pool instance
//     by wazero's import resolver to that pool instance's module n, so no
//     two pool instances share a memory, table or global;
//   - a host function: the interface's host module, as for a core-module
//     Worker (so grants and deny-by-default apply alike), or, when its
//     canon lower names a realloc other than the handler's, the variant
//     host module "<interface> (realloc <k>)" whose functions switch the
//     instance's realloc around the call.

// instancePrefix names the core instances of a component's graph in the
// rewritten imports; no host interface is named like it.
const instancePrefix = "bindery:core-instance/"

// maxReallocs bounds the distinct reallocs a component's lowered imports
// may name (componentize-py names three).
const maxReallocs = 8

// graph is a compiled component: its core instances, in order.
type graph struct {
	compiled []wazero.CompiledModule
	names    map[string]int // instancePrefix+"<n>" -> n
	memory   component.Ref
	reallocs []component.Ref // [0] is the handler's realloc
	// exports are the lifted functions a caller finds through the
	// instance's Lookup, by their core-module names ("<iface>#<func>",
	// "cabi_post_<iface>#<func>"): the handler, and every other export
	// lifted with the handler's memory and realloc (a Worker's Durable
	// Object events), which the host's one memory and realloc 0 serve.
	exports map[string]component.Ref
}

func (g *graph) close(ctx context.Context) error {
	var err error
	for _, cm := range g.compiled {
		if cm != nil {
			err = errors.Join(err, cm.Close(ctx))
		}
	}
	return err
}

// compileComponent plans, rewrites and compiles a component's core
// modules. yields is false when a module could not be instrumented: then
// the whole graph runs on the engine that watches its context.
func (rt *Runtime) compileComponent(ctx context.Context, wasm []byte, granted []int) (g *graph, engine wazero.Runtime, yields bool, err error) {
	plan, err := component.Parse(wasm)
	if err != nil {
		return nil, nil, false, err
	}
	handleName := httpwit.HandlerInterface + "#handle"
	lift, ok := plan.Exports[handleName]
	if !ok {
		var have []string
		for name := range plan.Exports {
			have = append(have, name)
		}
		return nil, nil, false, fmt.Errorf("the component does not export %q (it exports %s): is it a Worker of world bindery:worker/worker?", handleName, orNone(have))
	}
	if lift.Memory == nil {
		return nil, nil, false, errors.New("the component lifts its handler without a memory")
	}
	g = &graph{memory: *lift.Memory, names: map[string]int{}, exports: map[string]component.Ref{}}
	realloc := map[component.Ref]int{}
	if lift.Realloc != nil {
		realloc[*lift.Realloc] = 0
		g.reallocs = append(g.reallocs, *lift.Realloc)
	} else {
		g.reallocs = append(g.reallocs, component.Ref{Instance: -1})
	}
	for name, l := range plan.Exports {
		if (l.Memory != nil && *l.Memory != g.memory) || (l.Realloc != nil && *l.Realloc != g.reallocs[0]) {
			continue // lifted with another memory or realloc: not callable here
		}
		g.exports[name] = l.Func
		if l.PostReturn != nil {
			g.exports["cabi_post_"+name] = *l.PostReturn
		}
	}
	// Rename every instance's imports.
	rewritten := make([][]byte, len(plan.Instances))
	for i, inst := range plan.Instances {
		g.names[instancePrefix+strconv.Itoa(i)] = i
		imports := make([]component.CoreImport, len(inst.Imports))
		for j, imp := range inst.Imports {
			ci := imp.CoreImport
			switch {
			case imp.From != nil:
				ci.Module, ci.Name = instancePrefix+strconv.Itoa(imp.From.Instance), imp.From.Name
			case imp.Host != nil:
				h := imp.Host
				if h.Memory != nil && *h.Memory != g.memory {
					return nil, nil, false, fmt.Errorf("%s %s is lowered with memory %s, the handler with %s: a component with more than one memory is not supported", h.Interface, h.Func, h.Memory, &g.memory)
				}
				ci.Module, ci.Name = h.Interface, h.Func
				if h.Realloc != nil {
					k, ok := realloc[*h.Realloc]
					if !ok {
						k = len(g.reallocs)
						if k >= maxReallocs {
							return nil, nil, false, fmt.Errorf("the component's imports name more than %d reallocs", maxReallocs)
						}
						realloc[*h.Realloc] = k
						g.reallocs = append(g.reallocs, *h.Realloc)
					}
					if k != 0 {
						ci.Module = reallocVariant(h.Interface, k)
					}
				}
			}
			imports[j] = ci
		}
		b, err := component.RewriteImports(plan.Modules[inst.Module], imports)
		if err != nil {
			return nil, nil, false, fmt.Errorf("core instance %d: %w", i, err)
		}
		rewritten[i] = b
	}
	// Merge data segments and insert yield points, as for a core module;
	// if any module cannot be instrumented, none is.
	// A start function runs inside InstantiateModule, before the host can
	// arm the stop globals: only the engine that watches its context can
	// bound it. (componentize-py's modules have none.)
	engine, yields = rt.r, true
	for i, inst := range plan.Instances {
		if inst.Start {
			rt.log.Debug("component: a core module has a start function; the worker runs with wazero's close-on-context-done", "instance", i)
			yields = false
		}
	}
	instrumented := make([][]byte, len(rewritten))
	for i, b := range rewritten {
		if !yields {
			break
		}
		out, err := rt.rewrite(b)
		if err != nil {
			rt.log.Debug("component: no yield points; the worker runs with wazero's close-on-context-done", "instance", i, "err", err)
			yields = false
			break
		}
		instrumented[i] = out
	}
	if !yields {
		instrumented = rewritten
		if engine, err = rt.safeEngine(ctx); err != nil {
			return nil, nil, false, err
		}
	}
	for i, b := range instrumented {
		cm, err := engine.CompileModule(ctx, b)
		if err != nil {
			g.close(ctx)
			return nil, nil, false, fmt.Errorf("core instance %d (module %d): invalid WebAssembly: %w", i, plan.Instances[i].Module, err)
		}
		g.compiled = append(g.compiled, cm)
		err = rt.define(ctx, engine, cm)
		if err == nil {
			err = rt.checkImports(cm, granted)
		}
		if err != nil {
			g.close(ctx)
			return nil, nil, false, fmt.Errorf("core instance %d (module %d): %w", i, plan.Instances[i].Module, err)
		}
	}
	return g, engine, yields, nil
}

func orNone(s []string) string {
	if len(s) == 0 {
		return "nothing"
	}
	return strings.Join(s, ", ")
}

// reallocVariant names the host module that serves iface with realloc k.
func reallocVariant(iface string, k int) string {
	return fmt.Sprintf("%s (realloc %d)", iface, k)
}

// splitVariant is the inverse of reallocVariant: k is 0 for a plain name.
func splitVariant(name string) (iface string, k int) {
	base, rest, ok := strings.Cut(name, " (realloc ")
	if !ok || !strings.HasSuffix(rest, ")") {
		return name, 0
	}
	k, err := strconv.Atoi(strings.TrimSuffix(rest, ")"))
	if err != nil || k <= 0 || k >= maxReallocs {
		return name, 0
	}
	return base, k
}

// graphExports finds a component's exports on the core instances that
// define them (abi.FunctionLookup for httpwit.NewHandlerExports).
type graphExports struct {
	mods   []api.Module
	byName map[string]component.Ref
}

// ExportedFunction implements abi.FunctionLookup.
func (e graphExports) ExportedFunction(name string) api.Function {
	ref, ok := e.byName[name]
	if !ok {
		return nil
	}
	return e.mods[ref.Instance].ExportedFunction(ref.Name)
}

// instantiateGraph creates one instance of a component: its core
// instances in order, each importing from this instance's earlier ones.
func (gu *Guest) instantiateGraph(ctx context.Context, inst *instance, mc wazero.ModuleConfig) error {
	g := gu.graph
	gu.newABI(inst, abi.NewComponentInstance(gu.impls, len(g.reallocs)))
	mods := make([]api.Module, len(g.compiled))
	rctx := experimental.WithImportResolver(ctx, func(name string) api.Module {
		if n, ok := g.names[name]; ok {
			return mods[n] // nil (then an error) only for a malformed plan
		}
		return nil // a host module
	})
	rctx = abi.WithInstance(rctx, inst.abi)
	for i, cm := range g.compiled {
		mod, err := gu.engine.InstantiateModule(rctx, cm, mc)
		if err != nil {
			closeAll(ctx, mods[:i])
			return fmt.Errorf("core instance %d: %w", i, err)
		}
		mods[i] = mod
		if g.memory.Instance == i {
			mem := mod.ExportedMemory(g.memory.Name)
			if mem == nil {
				closeAll(ctx, mods[:i+1])
				return fmt.Errorf("core instance %d exports no memory %q", i, g.memory.Name)
			}
			inst.abi.SetMemory(mem)
		}
		for k, r := range g.reallocs {
			if r.Instance == i {
				inst.abi.SetRealloc(k, mod.ExportedFunction(r.Name))
			}
		}
		if gu.yields {
			stop, ok := mod.ExportedGlobal(modrewrite.StopGlobal).(api.MutableGlobal)
			if !ok {
				closeAll(ctx, mods[:i+1])
				return fmt.Errorf("core instance %d: instrumented module lacks its stop global", i)
			}
			inst.stops = append(inst.stops, stop)
		}
	}
	inst.mods = mods
	lookup := graphExports{mods: mods, byName: g.exports}
	inst.abi.SetLookup(lookup)
	if gu.setup != nil {
		if err := gu.setup(inst); err != nil {
			closeAll(ctx, mods)
			return err
		}
	}
	return nil
}

func closeAll(ctx context.Context, mods []api.Module) {
	for i := len(mods) - 1; i >= 0; i-- {
		if mods[i] != nil {
			mods[i].Close(ctx)
		}
	}
}

// reallocBuilder defines an interface's host functions so that each
// switches the calling instance to realloc k for the call: the host
// module of a lowered import whose canon options name that realloc.
type reallocBuilder struct {
	wazero.HostModuleBuilder
	k   int
	err *error
}

func (b reallocBuilder) NewFunctionBuilder() wazero.HostFunctionBuilder {
	return reallocFuncBuilder{b.HostModuleBuilder.NewFunctionBuilder(), b}
}

func (b reallocBuilder) Compile(ctx context.Context) (wazero.CompiledModule, error) {
	if *b.err != nil {
		return nil, *b.err
	}
	return b.HostModuleBuilder.Compile(ctx)
}

type reallocFuncBuilder struct {
	wazero.HostFunctionBuilder
	mb reallocBuilder
}

// WithGoModuleFunction wraps fn: the calling instance uses realloc k for
// the call, and its default again after it (even when fn traps).
func (f reallocFuncBuilder) WithGoModuleFunction(fn api.GoModuleFunction, params, results []api.ValueType) wazero.HostFunctionBuilder {
	k := f.mb.k
	f.HostFunctionBuilder = f.HostFunctionBuilder.WithGoModuleFunction(api.GoModuleFunc(func(ctx context.Context, mod api.Module, stack []uint64) {
		inst := abi.From(ctx)
		prev := inst.UseRealloc(k)
		defer inst.RestoreRealloc(prev)
		fn.Call(ctx, mod, stack)
	}), params, results)
	return f
}

func (f reallocFuncBuilder) WithGoFunction(fn api.GoFunction, params, results []api.ValueType) wazero.HostFunctionBuilder {
	return f.WithGoModuleFunction(api.GoModuleFunc(func(ctx context.Context, _ api.Module, stack []uint64) {
		fn.Call(ctx, stack)
	}), params, results)
}

func (f reallocFuncBuilder) WithFunc(any) wazero.HostFunctionBuilder {
	if *f.mb.err == nil {
		*f.mb.err = errors.New("an interface defined with WithFunc cannot be served with another realloc")
	}
	return f
}

func (f reallocFuncBuilder) WithName(name string) wazero.HostFunctionBuilder {
	f.HostFunctionBuilder = f.HostFunctionBuilder.WithName(name)
	return f
}

func (f reallocFuncBuilder) WithParameterNames(names ...string) wazero.HostFunctionBuilder {
	f.HostFunctionBuilder = f.HostFunctionBuilder.WithParameterNames(names...)
	return f
}

func (f reallocFuncBuilder) WithResultNames(names ...string) wazero.HostFunctionBuilder {
	f.HostFunctionBuilder = f.HostFunctionBuilder.WithResultNames(names...)
	return f
}

func (f reallocFuncBuilder) Export(name string) wazero.HostModuleBuilder {
	f.HostFunctionBuilder.Export(name)
	return f.mb
}
