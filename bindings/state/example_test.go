package state_test

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"

	"github.com/bindery-run/bindery/bindings/kv"
	"github.com/bindery-run/bindery/bindings/state"
	"github.com/bindery-run/bindery/host"
)

// Example serves a KV-backed Worker from a Go program over net/http: it
// opens a data directory (the one bindery dev uses, with Badger's
// value-log GC running until Close), grants the Worker one KV namespace
// and serves it. The Worker (testdata/greet.wat) answers with the value
// of the key "greeting" of its binding STORE.
func Example() {
	ctx := context.Background()
	dir, _ := os.MkdirTemp("", "bindery-state")
	defer os.RemoveAll(dir)

	st, err := state.Open(dir, state.Options{})
	if err != nil {
		panic(err)
	}
	defer st.Close()
	store := st.KV("greetings")
	store.Put(ctx, "greeting", []byte("hello from KV"), kv.PutOptions{})

	rt, err := host.NewRuntime(ctx, host.RuntimeConfig{})
	if err != nil {
		panic(err)
	}
	defer rt.Close(ctx)
	wasm, _ := os.ReadFile("testdata/greet.wasm")
	w, err := rt.NewWorker(ctx, host.WorkerConfig{
		Name:     "greet",
		Wasm:     wasm,
		Bindings: []host.Binding{kv.NewBinding(map[string]*kv.Namespace{"STORE": store})},
	})
	if err != nil {
		panic(err)
	}
	defer w.Close(ctx)

	srv := httptest.NewServer(w) // or http.ListenAndServe(":8787", w)
	defer srv.Close()
	resp, err := http.Get(srv.URL)
	if err != nil {
		panic(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	fmt.Println(resp.StatusCode, string(body))
	// Output: 200 hello from KV
}
