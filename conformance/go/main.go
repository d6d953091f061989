//go:build wasip1

// Command go is the conformance Worker in Go: the contract every language
// implements (see conformance/harness_test.go), written with guest-sdk/go.
//
//	cd conformance/go && GOOS=wasip1 GOARCH=wasm go build -buildmode=c-shared -o go.wasm .
package main

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"

	"github.com/bindery-run/bindery/guest-sdk/go/bindery"
)

func init() {
	bindery.Serve(http.HandlerFunc(serve))
}

func serve(w http.ResponseWriter, r *http.Request) {
	p := r.URL.Path
	switch {
	case p == "/hello" && r.Method == "GET":
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		io.WriteString(w, "hello from go")
	case strings.HasPrefix(p, "/kv/"):
		kv(w, r, strings.TrimPrefix(p, "/kv/"))
	case p == "/vars" && r.Method == "GET":
		greeting, _ := bindery.Var("GREETING")
		_, secret := bindery.Secret("API_TOKEN")
		b, _ := json.Marshal(struct {
			Greeting  string `json:"greeting"`
			SecretSet bool   `json:"secret_set"`
		}{greeting, secret})
		w.Header().Set("Content-Type", "application/json")
		w.Write(b)
	case p == "/kv-too-long" && r.Method == "PUT":
		store, err := bindery.KV("STORE")
		if err == nil {
			err = store.Put(strings.Repeat("k", 513), []byte("x"), nil)
		}
		if err == nil {
			http.Error(w, "a 513-byte key was accepted", 500)
			return
		}
		http.Error(w, err.Error(), 400)
	case p == "/echo" && r.Method == "POST":
		w.Header().Set("Content-Type", "application/octet-stream")
		buf := make([]byte, 64<<10)
		io.CopyBuffer(struct{ io.Writer }{w}, r.Body, buf) // read and write, not splice
	case strings.HasPrefix(p, "/r2/"):
		r2(w, r, strings.TrimPrefix(p, "/r2/"))
	case p == "/trap":
		// The SDK recovers a handler's panic (a 500, no trap); a panic on
		// another goroutine cannot be recovered: the runtime exits, which
		// ends the instance as a trap does.
		block := make(chan struct{})
		go func() { panic("conformance: trap") }()
		<-block
	case p == "/fail":
		// The SDK recovers the panic and fails the request through the host.
		panic(failure)
	case p == "/fail-stream":
		w.Header().Set("Content-Type", "application/octet-stream")
		w.Write(bytes.Repeat([]byte("x"), 128<<10))
		w.(http.Flusher).Flush()
		panic(failure + " mid-stream")
	case p == "/kv-not-utf8" && r.Method == "PUT":
		// The SDK refuses the key before it reaches the host.
		store, err := bindery.KV("STORE")
		if err == nil {
			err = store.Put("\xff\xfe", []byte("x"), nil)
		}
		if !errors.Is(err, bindery.ErrInvalidKey) {
			http.Error(w, fmt.Sprintf("want an invalid-key error, got %v", err), 500)
			return
		}
		http.Error(w, err.Error(), 400)
	default:
		http.NotFound(w, r)
	}
}

// failure is the reason /fail and /fail-stream give: the host logs it,
// the client never sees it.
const failure = "ConformanceFailure: failed on purpose"

func kv(w http.ResponseWriter, r *http.Request, key string) {
	store, err := bindery.KV("STORE")
	if err != nil {
		http.Error(w, err.Error(), 500)
		return
	}
	switch r.Method {
	case "PUT":
		body, _ := io.ReadAll(r.Body)
		if err := store.Put(key, body, nil); err != nil {
			http.Error(w, err.Error(), 400)
			return
		}
		w.WriteHeader(204)
	case "GET":
		v, err := store.Get(key)
		if errors.Is(err, bindery.ErrNotFound) {
			http.Error(w, "not found", 404)
			return
		} else if err != nil {
			http.Error(w, err.Error(), 500)
			return
		}
		w.Write(v)
	case "DELETE":
		if err := store.Delete(key); err != nil {
			http.Error(w, err.Error(), 500)
			return
		}
		w.WriteHeader(204)
	default:
		http.Error(w, "method not allowed", 405)
	}
}

func r2(w http.ResponseWriter, r *http.Request, key string) {
	b, err := bindery.R2("FILES")
	if err != nil {
		http.Error(w, err.Error(), 500)
		return
	}
	switch r.Method {
	case "PUT":
		obj, err := b.Put(key, r.Body, nil)
		if err != nil {
			http.Error(w, err.Error(), 400)
			return
		}
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(201)
		fmt.Fprintf(w, `{"etag":%q,"size":%d}`, obj.ETag, obj.Size)
	case "GET":
		obj, err := b.Get(key, nil)
		if errors.Is(err, bindery.ErrNotFound) {
			http.Error(w, "not found", 404)
			return
		} else if err != nil {
			http.Error(w, err.Error(), 500)
			return
		}
		defer obj.Body.Close()
		io.Copy(w, obj.Body) // splices inside the host
	default:
		http.Error(w, "method not allowed", 405)
	}
}

func main() {}
