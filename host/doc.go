// Package host runs WebAssembly Workers on wazero and gives them bindings.
//
// A Runtime owns the wazero runtime, its compilation cache and the host
// functions of every WIT interface it knows. A Worker is one compiled guest
// with its own bindings (which KV namespaces, which variables), limits and a
// pool of warm instances; it serves HTTP as an http.Handler.
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
//   - Runtime and Worker are safe for concurrent use; each request gets an
//     instance of its own from the pool.
//   - A trap, an ABI violation, a deadline or a guest that runs out of its
//     memory limit ends the request with a 500 (the reason is logged), and
//     the instance is discarded; other requests are not affected.
//   - The host never imports a concrete binding: bindings satisfy Binding and
//     describe their WIT glue with abi.Interface.
//   - A Worker is a core module, or a component (componentize-py's Python
//     Workers) whose graph of core modules the host instantiates per pool
//     instance; see docs/components.md.
package host
