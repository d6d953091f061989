//go:build wasip1

// Command hostcall is a benchmark Worker (host/bench_test.go): GET
// /calls/N calls the host function bindery:config/vars@0.1.0 get N times
// through the Go SDK (bindery.Var("BENCH_VAR")) and answers "ok". It is the
// Go twin of host/testdata/bench_hostcall.wat, so the difference between the
// two is the Go guest's own cost per host call (SDK bindings, wasmimport
// trampoline, string passing).
//
//	cd bench/guests/hostcall && GOOS=wasip1 GOARCH=wasm go build -buildmode=c-shared -o hostcall.wasm .
package main

import (
	"net/http"
	"strconv"
	"strings"

	"github.com/bindery-run/bindery/guest-sdk/go/bindery"
)

func init() {
	bindery.Serve(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		n, err := strconv.Atoi(strings.TrimPrefix(r.URL.Path, "/calls/"))
		if err != nil || n < 0 {
			http.Error(w, "want /calls/N", http.StatusBadRequest)
			return
		}
		found := 0
		for range n {
			if _, ok := bindery.Var("BENCH_VAR"); ok {
				found++
			}
		}
		w.Header().Set("X-Found", strconv.Itoa(found))
		w.Write([]byte("ok"))
	}))
}

func main() {}
