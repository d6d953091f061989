// Package bindery is the Go SDK for Bindery Workers: a Worker is a Go
// program built for GOOS=wasip1 as a reactor that serves HTTP through a
// standard net/http Handler and reaches its bindings (KV namespaces,
// variables, secrets) by the names its wrangler.toml gives them.
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
//   - Big Go does not finish garbage collection between export calls, so the
//     SDK runs runtime.GC after a request once enough has been allocated;
//     memory stays flat across many requests.
package bindery
