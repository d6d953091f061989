// Package kv implements the Go side of the Workers KV binding: the
// semantics and limits of Cloudflare Workers KV on top of pluggable storage
// backends. The Wasm glue that exposes it to guests as the WIT interface
// "bindery:kv/store@0.1.0" lives beside it.
//
// A [Namespace] is what one KV binding of a Worker sees. It validates every
// call (key syntax and size, value and metadata size, metadata JSON,
// expirations, list limits and cursors, bulk-get size) and then calls a
// [Backend], which only stores bytes for one namespace:
//
//	b := kv.NewMemory(nil)
//	ns := kv.NewNamespace(b, kv.DefaultLimits(), nil)
//	err := ns.Put(ctx, "greeting", []byte("hello"), kv.PutOptions{ExpirationTTL: 3600})
//	value, found, err := ns.Get(ctx, "greeting")
//
// # Grants
//
// A Worker's manifest grants KV bindings by name (wrangler's kv_namespaces:
// binding name plus namespace id); the default is deny. The host builds one
// Namespace per granted binding. A call that names a binding that was not
// granted fails with [ErrNoSuchNamespace], which the guest sees as the
// no-such-namespace error case, never as a trap. Bindings whose backends
// point at the same namespace id (for badgerkv, the same DB and id) share
// their keys.
//
// # Limits
//
// [DefaultLimits] are Cloudflare's: keys of 1 to 512 bytes of UTF-8 that are
// not "." or "..", values up to 25 MiB, metadata up to 1024 bytes of JSON,
// bulk gets of 1 to 100 keys (25 MiB in total), list pages of at most 1000
// keys (the default page size), and expirations at least 60 s away, given
// either as a TTL in seconds or as absolute unix seconds. An embedder
// relaxes a limit through [Limits]; a zero field keeps the default and
// [NoLimit] disables it. Every violation is an error that wraps one of
// [ErrInvalidKey], [ErrTooLarge] or [ErrInvalidArgument] and names the value
// at fault and the limit.
//
// Deliberate differences from the Workers runtime: writes are immediately
// visible (there is no eventual consistency or edge cache, so cacheTtl has
// no effect), and the 1 write per second per key and 1000 operations per
// invocation limits are not enforced. When a put sets both expirationTtl and
// expiration, the TTL wins, as in Miniflare.
//
// # Backends
//
//   - [Memory] (this package): the in-memory reference backend, for tests
//     and throwaway dev servers.
//   - badgerkv: every namespace of a host in one embedded Badger database,
//     under a per-namespace key prefix; see its package documentation for
//     the layout. internal/badgerdb opens the database.
//
// Every backend must pass the conformance suite in kvtest, which runs the
// Workers KV semantics through a Namespace with a fake clock.
//
// # Notes
//
// Namespace and every Backend are safe for concurrent use. Expirations are
// absolute unix seconds, computed and checked with the clock injected into
// NewNamespace and the backend constructor (give both the same clock). A
// key is expired from the second its expiration is reached.
package kv
