//go:build wasip1

// Command hello is the smallest Bindery Worker: GET /hello answers "hello".
//
//	cd examples/hello && GOOS=wasip1 GOARCH=wasm go build -buildmode=c-shared -o hello.wasm .
package main

import (
	"net/http"

	"github.com/bindery-run/bindery/guest-sdk/go/bindery"
)

func init() {
	bindery.Serve(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != "/hello" {
			http.NotFound(w, r)
			return
		}
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		w.Write([]byte("hello"))
	}))
}

func main() {}
