package bindings_test

import (
	"context"
	"fmt"
	"net/http/httptest"
	"os"

	"github.com/bindery-run/bindery/bindings"
	"github.com/bindery-run/bindery/bindings/kv"
	"github.com/bindery-run/bindery/bindings/kv/kvmodule"
	"github.com/bindery-run/bindery/bindings/state"
	"github.com/bindery-run/bindery/host"
)

// ExampleOpen opens modules for one Worker as bindery dev does, without a
// config file: the module's config is given as its ParseConfig would
// return it. The Worker (state/testdata/greet.wat) answers with the value
// of "greeting" in its KV binding STORE.
func ExampleOpen() {
	ctx := context.Background()
	dir, _ := os.MkdirTemp("", "bindery-modules")
	defer os.RemoveAll(dir)
	st, err := state.Open(dir, state.Options{})
	if err != nil {
		panic(err)
	}
	defer st.Close()
	st.KV("greetings").Put(ctx, "greeting", []byte("hello from a module"), kv.PutOptions{})

	mods := []bindings.Module{kvmodule.Module()}
	cfg := map[string]any{"kv": []kvmodule.Namespace{{Binding: "STORE", ID: "greetings"}}}
	opened, err := bindings.Open(ctx, mods, bindings.Env{Worker: "greet", State: st}, cfg)
	if err != nil {
		panic(err)
	}
	var grants []host.Binding
	for _, o := range opened {
		for _, b := range o.Bindings {
			grants = append(grants, b)
		}
	}

	rt, err := host.NewRuntime(ctx, host.RuntimeConfig{Interfaces: bindings.Interfaces(mods)})
	if err != nil {
		panic(err)
	}
	defer rt.Close(ctx)
	wasm, _ := os.ReadFile("state/testdata/greet.wasm")
	w, err := rt.NewWorker(ctx, host.WorkerConfig{Name: "greet", Wasm: wasm, Bindings: grants})
	if err != nil {
		panic(err)
	}
	defer w.Close(ctx)
	rec := httptest.NewRecorder()
	w.ServeHTTP(rec, httptest.NewRequest("GET", "/", nil))
	fmt.Println(rec.Code, rec.Body.String())
	// Output: 200 hello from a module
}
