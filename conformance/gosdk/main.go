//go:build wasip1

// Command gosdk is the Worker of TestGoSDK: it reports what the Go SDK made
// of a request, and misbehaves on purpose, so that the test can hold the
// SDK to net/http's server semantics.
//
//	GOOS=wasip1 GOARCH=wasm go build -buildmode=c-shared -o gosdk.wasm ./conformance/gosdk
package main

import (
	"encoding/json"
	"io"
	"net/http"

	"github.com/bindery-run/bindery/guest-sdk/go/bindery"
)

// seen is the previous request, kept past its handler: a later request
// must not change it.
var seen *http.Request

func init() {
	bindery.Serve(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case "/panic":
			panic("boom")
		case "/abort":
			w.Write([]byte("partial"))
			panic(http.ErrAbortHandler)
		case "/sniff":
			w.Write([]byte("<!DOCTYPE html><p>hi"))
			return
		case "/previous":
			json.NewEncoder(w).Encode(describe(seen))
			return
		}
		body, _ := io.ReadAll(r.Body)
		d := describe(r)
		d["Body"] = string(body)
		d["NoBody"] = r.Body == http.NoBody
		w.Header().Set("Content-Type", "application/json")
		w.Header().Add("X-Many", "1")
		w.Header().Add("X-Many", "2")
		json.NewEncoder(w).Encode(d)
		seen = r
	}))
}

func describe(r *http.Request) map[string]any {
	if r == nil {
		return nil
	}
	return map[string]any{
		"Method": r.Method, "URL": r.URL.String(), "Path": r.URL.Path, "RawQuery": r.URL.RawQuery,
		"Host": r.Host, "RequestURI": r.RequestURI, "RemoteAddr": r.RemoteAddr,
		"ContentLength": r.ContentLength, "Header": r.Header, "Proto": r.Proto,
	}
}

func main() {}
