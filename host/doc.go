// Package host runs WebAssembly guests on wazero, sandboxed, and gives them
// bindings: Workers that serve HTTP, and guests of any WIT world that an
// embedder calls (plugins).
//
// A Runtime owns the wazero runtime, its compilation cache (on by default,
// in the user's cache directory) and the host functions of every WIT
// interface it serves. A Guest is one compiled module with its own grants
// (Bindings), WASI policy (WASIConfig: deny by default), limits and quotas
// (Limits) and a pool of warm instances; it implements abi.Caller, so the
// typed callers the generator makes for a world's exports call through
// it. A Worker is a Guest that exports bindery:http's handler; it serves
// HTTP as an http.Handler.
//
//	g, err := rt.NewGuest(ctx, host.GuestConfig{
//		Name:   "plugin",
//		Wasm:   wasm,
//		Limits: host.Limits{Timeout: time.Second, Memory: 64 << 20, Operations: 100},
//	})
//	err = g.Call(ctx, func(ctx context.Context, inst *abi.Instance) error {
//		_, err := inst.Lookup().ExportedFunction("run").Call(ctx)
//		return err
//	})
//
// A Worker:
//
//	rt, err := host.NewRuntime(ctx, host.RuntimeConfig{
//		CacheDir:   cacheDir,
//		Interfaces: []abi.Interface{kv.WIT(), vars.WIT()},
//	})
//	w, err := rt.NewWorker(ctx, host.WorkerConfig{
//		Name:     "hello",
//		Wasm:     wasm,
//		Bindings: []host.Binding{kvBinding, varsBinding},
//	})
//	http.ListenAndServe("127.0.0.1:8787", w)
//
// # Notes
//
//   - Runtime, Guest and Worker are safe for concurrent use; each call or
//     request gets an instance of its own from the pool.
//   - A trap, an ABI violation, a deadline, a quota or a guest that runs
//     out of its memory limit ends the call with a *CallError (ErrTrap,
//     ErrDeadline, ErrQuota, ErrMemoryLimit, ErrCanceled, ErrClosed) — for
//     a Worker, a 500 with the reason logged — and the instance is
//     discarded; other calls are not affected.
//   - Stats returns a copy; Close refuses new calls, drains those in
//     flight until its context is done, then stops the rest.
//   - docs/embedding.md describes the Guest API, the WASI policy, limits,
//     errors and the cache.
//   - The host never imports a concrete binding: bindings satisfy Binding and
//     describe their WIT glue with abi.Interface.
//   - A Worker is a core module, or a component (componentize-py's Python
//     Workers) whose graph of core modules the host instantiates per pool
//     instance; see docs/components.md.
package host
