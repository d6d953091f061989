// Package cache is the Cache API of Cloudflare Workers (caches.default and
// caches.open(name)) for Bindery: the HTTP rules of a shared cache on top
// of pluggable storage, and the binding that serves them to Workers as the
// WIT interface "bindery:cache/cache@0.1.0".
//
// A [Namespace] is one cache of one Worker. It applies every rule (what
// may be stored, for how long, what a lookup answers) and then calls a
// [Backend], which only stores entries and their bodies:
//
//	ns := cache.NewNamespace(cache.NewMemory(nil), cache.Limits{}, nil)
//	req := cache.Request{Method: "GET", URL: "https://example.com/a"}
//	resp := cache.ResponseHead{Status: 200, Header: cache.Header{{Name: "cache-control", Value: []byte("max-age=60")}}}
//	stored, err := ns.Put(ctx, req, resp, strings.NewReader("hello"))
//	r, err := ns.Match(ctx, req, cache.QueryOptions{}) // r.Header has cf-cache-status: HIT
//
// # Grants
//
// Every Worker has caches, as on Cloudflare: no config names them. The
// host builds one [Binding] per Worker over a [Storage] that keeps that
// Worker's caches apart from every other Worker's, and each name apart
// from the others; a cache exists from its first put. A Worker given no
// Binding gets caches that store nothing (put reports false, match finds
// nothing), as on workers.dev.
//
// # Semantics
//
// Keys are request URLs, byte for byte: never cleaned or normalised, only
// checked to be absolute (a scheme, "://" and a host). A put is refused
// (Cloudflare throws a TypeError) for a method other than GET, a 206 and
// Vary: *; it stores nothing, without an error, for a 304, no-store,
// private, no-cache, a Set-Cookie (unless Cache-Control private=Set-Cookie
// strips it), a request with Authorization (unless public, s-maxage or
// must-revalidate), or a TTL of 0. The TTL is s-maxage, else max-age, else
// Expires, else Cloudflare's default edge TTL of the status, less Age.
// Vary is ignored except for Accept-Encoding, which keeps one entry per
// set of accepted codings. A match answers If-None-Match and
// If-Modified-Since with a 304 and Range with a 206 (multipart/byteranges
// for several ranges) or a 416, adds cf-cache-status: HIT and a
// Content-Length, and never revalidates: an expired entry is missing. The
// rules and their sources are in policy.go and match.go.
//
// # Limits
//
// [Limits]: bodies up to 512 MiB ([ErrTooLarge]), keys up to 16 KiB
// ([ErrInvalidKey]), cache names under 1024 bytes and response header
// fields up to 128 KiB ([ErrInvalidArgument]). A zero field takes the
// default.
//
// # Backends
//
//   - [Memory] (this package): the in-memory reference backend.
//   - diskcache: every cache of a data directory, bodies as files and
//     the index in the host's Badger database (docs/state.md).
//
// Every backend must pass the conformance suite in cachetest, which runs
// the Cache API's rules through a Namespace with a fake clock.
//
// # Notes
//
// Namespace, Binding and every Backend are safe for concurrent use. Bodies
// stream both ways: a put reads its body in chunks into the backend, and
// a match hands the guest a stream over the stored body (a file's range
// reaches a connection by sendfile). Freshness is checked with the clock
// given to NewNamespace and to the backend (give both the same one): an
// entry is missing from the instant it expires, and a [Sweeper] removes
// expired entries before anyone asks.
package cache
