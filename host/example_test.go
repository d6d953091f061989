package host_test

import (
	"context"
	"fmt"
	"net/http/httptest"
	"os"

	"github.com/bindery-run/bindery/abi"
	"github.com/bindery-run/bindery/bindings/kv"
	"github.com/bindery-run/bindery/bindings/vars"
	"github.com/bindery-run/bindery/host"
)

// Example runs a Worker (here a tiny hand-written one from testdata) and
// sends it one request.
func Example() {
	ctx := context.Background()
	rt, err := host.NewRuntime(ctx, host.RuntimeConfig{
		Interfaces: []abi.Interface{kv.WIT(), vars.WIT()},
	})
	if err != nil {
		panic(err)
	}
	defer rt.Close(ctx)

	wasm, err := os.ReadFile("testdata/hello.wasm")
	if err != nil {
		panic(err)
	}
	store := kv.NewNamespace(kv.NewMemory(nil), kv.DefaultLimits(), nil)
	w, err := rt.NewWorker(ctx, host.WorkerConfig{
		Name:     "hello",
		Wasm:     wasm,
		Bindings: []host.Binding{kv.NewBinding(map[string]*kv.Namespace{"STORE": store})},
	})
	if err != nil {
		panic(err)
	}
	defer w.Close(ctx)

	rec := httptest.NewRecorder()
	w.ServeHTTP(rec, httptest.NewRequest("GET", "/", nil))
	fmt.Println(rec.Code, rec.Body.String())
	// Output: 200 hello from wat
}

// ExampleRuntime_NewWorker shows the error for a module that is not a Worker.
func ExampleRuntime_NewWorker() {
	ctx := context.Background()
	rt, _ := host.NewRuntime(ctx, host.RuntimeConfig{})
	defer rt.Close(ctx)
	_, err := rt.NewWorker(ctx, host.WorkerConfig{Name: "broken", Wasm: []byte("this is not wasm")})
	fmt.Println(err)
	// Output: host: worker "broken": not a WebAssembly module (no \0asm header)
}
