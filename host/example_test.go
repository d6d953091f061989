package host_test

import (
	"context"
	"errors"
	"fmt"
	"net/http/httptest"
	"os"
	"time"

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

// ExampleRuntime_NewGuest runs a guest of no particular world: a module
// that exports add(a, b), called through Guest.Call (a generated typed
// caller does the same). With the zero WASIConfig the guest gets no
// clock, randomness, environment or files; its calls are bounded by
// Limits, and a failure is a *host.CallError.
func ExampleRuntime_NewGuest() {
	ctx := context.Background()
	rt, err := host.NewRuntime(ctx, host.RuntimeConfig{})
	if err != nil {
		panic(err)
	}
	defer rt.Close(ctx)

	wasm, err := os.ReadFile("testdata/add.wasm")
	if err != nil {
		panic(err)
	}
	g, err := rt.NewGuest(ctx, host.GuestConfig{
		Name:   "adder",
		Wasm:   wasm,
		Limits: host.Limits{Timeout: time.Second, Memory: 16 << 20},
		Check: func(l abi.FunctionLookup) error {
			if l.ExportedFunction("add") == nil {
				return errors.New(`the plugin does not export "add"`)
			}
			return nil
		},
	})
	if err != nil {
		panic(err)
	}
	defer g.Close(ctx)

	var sum uint64
	err = g.Call(ctx, func(ctx context.Context, inst *abi.Instance) error {
		res, err := inst.Lookup().ExportedFunction("add").Call(ctx, 2, 3)
		if err == nil {
			sum = res[0]
		}
		return err
	})
	fmt.Println(sum, err)

	g.Close(ctx)
	err = g.Call(ctx, func(context.Context, *abi.Instance) error { return nil })
	fmt.Println(errors.Is(err, host.ErrClosed), err)
	// Output:
	// 5 <nil>
	// true guest "adder": guest closed: no new calls after Close
}
