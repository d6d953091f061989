// Package bindery is the Go SDK for Bindery Workers: a Worker is a Go
// program built for GOOS=wasip1 as a reactor that serves HTTP through a
// standard net/http Handler and reaches its bindings (KV namespaces, R2
// buckets, D1 databases, variables, secrets) by the names its
// wrangler.toml gives them. D1 is also a database/sql driver, in the
// package bindery/d1sql; Durable Objects are in bindery/durable, Queues in
// bindery/queue and cron triggers in bindery/cron. docs/sdk-go.md is the
// guide.
//
//	package main
//
//	import (
//		"net/http"
//
//		"github.com/bindery-run/bindery/guest-sdk/go/bindery"
//	)
//
//	func init() {
//		bindery.Serve(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
//			cache, err := bindery.KV("CACHE")
//			...
//		}))
//	}
//
//	func main() {} // required, but never called in a reactor
//
// Build it with:
//
//	GOOS=wasip1 GOARCH=wasm go build -buildmode=c-shared -o worker.wasm .
//
// # Notes
//
//   - Register the handler in an init function: a reactor runs package
//     initialisation, never main.
//   - A Worker handles one request at a time per instance; the host runs
//     several instances for concurrency, so package-level state is per
//     instance, not shared.
//   - The handler gets what net/http's server would give it: r.Host from
//     the Host header (which is not in r.Header), canonical header names,
//     r.RequestURI as sent, http.NoBody for a GET or HEAD without a body,
//     and r.RemoteAddr set to the client's address (CF-Connecting-IP, also
//     in r.Header). Unlike net/http, r.URL is absolute (scheme and host
//     filled in), as a Worker's request.url is.
//   - As with net/http, the ResponseWriter must not be used after the
//     handler returns: the SDK reuses it for the next request. The Request
//     is the handler's to keep.
//   - A panic in the handler fails the request through the host, which
//     logs it once with its stack and answers 500 — or, if the response
//     had started streaming, aborts the connection, so that the client
//     sees a truncated body rather than one that looks complete. With
//     http.ErrAbortHandler it does so without a log record, as net/http.
//     The instance stays in service.
//   - Strings cross to the host only as valid UTF-8. A key, prefix,
//     option or binding name that is not (a path decoded from %FF, a
//     header value copied into R2 metadata) is refused by the SDK with
//     the typed error (ErrInvalidKey, ErrInvalidArgument), as are numbers
//     out of range (a negative TTL, a list limit beyond 32 bits, a uint64
//     bound to a D1 statement beyond int64): the host never sees them.
//     So are D1's SQL text, text values and bookmarks (ErrInvalidArgument:
//     bind bytes as []byte).
//   - http.ServeMux cleans request paths and redirects ("/files/a//b" is
//     answered with a 307 to "/files/a/b", which clients follow with the
//     same method). KV and R2 keys are opaque: a route that carries a key
//     should take it from r.URL.Path by prefix, as examples/r2-files does.
//   - As a safety net beside the Go runtime's own collections, the SDK runs
//     runtime.GC after a request once 16 MiB have been allocated since the
//     last check (every 256 requests, or after a big body); memory stays
//     flat across many requests.
//   - Each request costs a few allocations and map operations (the
//     http.Request, its header map, the response's headers); in Wasm they
//     are the bulk of a small request's cost (docs/benchmarks.md).
package bindery
