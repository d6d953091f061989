// Package abi implements the host side of the WebAssembly Component Model's
// Canonical ABI over wazero memory, for core modules that use the "legacy"
// name mangling (module "ns:pkg/iface@ver", names "[method]r.m" and so on).
//
// It lifts and lowers values (strings, lists, records, variants) at guest
// addresses, calls the guest's cabi_realloc, keeps the per-instance table of
// resource handles, and turns every ABI violation (an out-of-bounds pointer,
// invalid UTF-8, a bad handle) into a trap that ends the call and poisons the
// instance. It knows wazero and nothing else: no capability, no binding.
//
// Generated glue (see cmd/bindery-bindgen) calls these helpers; hand-written
// code rarely needs them.
//
//	inst, err := abi.NewInstance(mod, impls)
//	ctx = abi.WithInstance(ctx, inst)
//	fn.CallWithStack(ctx, stack) // host functions find inst with abi.From(ctx)
//
// # Notes
//
//   - An Instance is not safe for concurrent use: one call at a time, like the
//     wazero module it wraps.
//   - Views returned by api.Memory.Read die when memory grows (for example in
//     a nested cabi_realloc call); this package copies out of guest memory
//     before returning, and never keeps a view across calls.
//
// Spec: https://github.com/WebAssembly/component-model/blob/main/design/mvp/CanonicalABI.md
package abi
