// Package embedplugins is an example of embedding Bindery in a Go
// service to run user-supplied plugins sandboxed: a directory of .wasm
// plugins of the WIT world image-filter (wit/world.wit), each with a
// manifest of its grants (Manifest), loaded with host.Runtime.NewGuest and
// called through the typed caller that `bindery bindgen` generated
// (package imagefilter), served over HTTP as POST /plugins/{name}.
//
// A plugin gets exactly what its manifest grants: the log import or not,
// a real, coarse or fixed wall clock or a fake one, randomness, sleep,
// environment variables, read-only directories; and limits per call (a
// deadline, a memory limit, operations and bytes through each import).
// A plugin that goes over one fails that call with a typed error
// (host.ErrDeadline, host.ErrQuota, host.ErrTrap, host.ErrMemoryLimit),
// which the service answers with 504, 429 or 500; the other plugins, and
// the same plugin's next call, are not affected.
//
// The plugins in plugins/ are the example's: invert (Go), brighten (C)
// and probe (Go, the tests' plugin that does what its input says). The
// bindings are generated (see gen.go); TestGeneratedFresh fails when
// they are stale.
package embedplugins
