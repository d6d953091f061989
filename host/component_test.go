package host

import (
	"bytes"
	"context"
	"encoding/binary"
	"io"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/bindery-run/bindery/abi"
	"github.com/bindery-run/bindery/bindings/kv"
	"github.com/bindery-run/bindery/bindings/state"
	. "github.com/bindery-run/bindery/host/internal/wasmgen" //nolint:revive // a tiny assembler DSL
)

// testComponent assembles a component shaped like a componentize-py one,
// in small: module A owns the memory and the default cabi_realloc (a bump
// allocator from 4096), module C has a second realloc that always answers
// 2048, and module B imports A's memory and three lowered host functions
// and exports the handler. The handler
//
//   - calls wasi:random/random get-random-bytes(4), lowered with C's realloc,
//     and stores the address it got at 64;
//   - calls bindery:kv/store [static]namespace.open("STORE"), whose result
//     tag (0 ok, 1 err) lands at 68;
//   - answers 200 with memory[64..69]: the realloc's address and the tag.
//
// With loop set, the handler spins forever instead; with startLoop,
// module A has a start function that does.
func testComponent(loop bool, startLoop ...bool) []byte {
	i32 := byte(0x7f)
	spin := []byte{0x03, 0x40, 0x0c, 0x00, 0x0b} // loop br 0 end
	start := []byte{}
	if len(startLoop) > 0 && startLoop[0] {
		start = Section(SecStart, U(nil, 1))
	}
	a := Module(
		Section(SecType, Vec(FuncType([]byte{i32, i32, i32, i32}, []byte{i32}), FuncType(nil, nil))),
		Section(SecFunction, Vec([]byte{0}, []byte{1})),
		Section(SecMemory, Vec([]byte{0, 1})),
		Section(SecGlobal, Vec(Cat([]byte{i32, 1}, I32Const(4096), []byte{0x0b}))),
		Section(SecExport, Vec(Export("memory", 2, 0), Export("cabi_realloc", 0, 0))),
		start,
		// heap = (heap+7) &^ 7; old := heap; heap += size; return old
		Section(SecCode, Vec(Body(Cat([]byte{0x23, 0}, I32Const(7), []byte{0x6a}, I32Const(-8), []byte{0x71, 0x24, 0},
			[]byte{0x23, 0, 0x23, 0}, LocalGet(3), []byte{0x6a, 0x24, 0})...), Body(spin...))),
		Section(SecData, Vec(DataActive(16, []byte("STORE")))),
	)
	c := Module(
		Section(SecType, Vec(FuncType([]byte{i32, i32, i32, i32}, []byte{i32}))),
		Section(SecFunction, Vec([]byte{0})),
		Section(SecExport, Vec(Export("cabi_realloc", 0, 0))),
		Section(SecCode, Vec(Body(I32Const(2048)...))),
	)
	handler := Cat(
		I64Const(4), I32Const(96), Call(1), // get-random-bytes(4, ret=96)
		I32Const(64), I32Const(96), I32Load, I32Store, // mem[64] = the list's address
		I32Const(16), I32Const(5), I32Const(68), Call(2), // open("STORE", ret=68)
		LocalGet(7), I32Const(200), I32Const(0), I32Const(0), I32Const(64), I32Const(5), I32Const(128), Call(0), // send-full
	)
	if loop {
		handler = spin
	}
	b := Module(
		Section(SecType, Vec(
			FuncType(bytes.Repeat([]byte{i32}, 8), nil),   // handle
			FuncType(bytes.Repeat([]byte{i32}, 7), nil),   // send-full
			FuncType([]byte{0x7e, i32}, nil),              // get-random-bytes
			FuncType(bytes.Repeat([]byte{i32}, 3), nil))), // namespace.open
		Section(SecImport, Vec(ImportMemory("env", "memory", 1), ImportFunc("host", "send-full", 1),
			ImportFunc("host", "random", 2), ImportFunc("host", "open", 3))),
		Section(SecFunction, Vec([]byte{0})),
		Section(SecExport, Vec(Export("bindery:http/handler@0.1.0#handle", 0, 3))),
		Section(SecCode, Vec(Body(handler...))),
	)
	return Component(
		Types(EmptyInstanceType, VoidFunc),
		ImportInstance("bindery:http/types@0.1.0", 0),
		ImportInstance("wasi:random/random@0.2.0", 0),
		ImportInstance("bindery:kv/store@0.1.0", 0),
		Aliases(InstAlias(0x01, 0, "[method]response-outparam.send-full"), InstAlias(0x01, 1, "get-random-bytes"),
			InstAlias(0x01, 2, "[static]namespace.open")), // funcs 0-2
		CoreModule(a), CoreModule(c), CoreModule(b),
		CoreInstances(Instantiate(0), Instantiate(1)),
		Aliases(CoreAlias(2, 0, "memory"), CoreAlias(0, 0, "cabi_realloc"), CoreAlias(0, 1, "cabi_realloc")), // mem 0, core funcs 0, 1
		Canons(CanonLower(0, OptMemory(0), OptRealloc(0)), CanonLower(1, OptMemory(0), OptRealloc(1)),
			CanonLower(2, OptMemory(0), OptRealloc(0))), // core funcs 2-4
		CoreInstances(Bag(CoreExport("memory", 2, 0), CoreExport("send-full", 0, 2), CoreExport("random", 0, 3), CoreExport("open", 0, 4)),
			Instantiate(2, Arg("env", 2), Arg("host", 2))),
		Aliases(CoreAlias(0, 3, "bindery:http/handler@0.1.0#handle")), // core func 5
		Canons(CanonLift(5, 1, OptMemory(0), OptRealloc(0))),          // func 3
		InstanceOfFuncs([]string{"handle"}, []uint32{3}),
		ExportInstance("bindery:http/handler@0.1.0", 3), // instances 0-2 are the imports
	)
}

func newComponentRuntime(t *testing.T) *Runtime {
	t.Helper()
	rt, err := NewRuntime(context.Background(), RuntimeConfig{Interfaces: []abi.Interface{kv.WIT()}})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { rt.Close(context.Background()) })
	return rt
}

func get(t *testing.T, w *Worker) (int, []byte) {
	t.Helper()
	rec := httptest.NewRecorder()
	w.ServeHTTP(rec, httptest.NewRequest("GET", "/", nil))
	b, _ := io.ReadAll(rec.Body)
	return rec.Code, b
}

// TestComponentWorker runs the test component: the realloc of each
// lowered import is the one its canon options name, grants apply as for a
// core module, and pool instances share nothing.
func TestComponentWorker(t *testing.T) {
	ctx := context.Background()
	st, err := state.Open(t.TempDir(), state.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	for _, c := range []struct {
		name     string
		bindings []Binding
		wantTag  byte
	}{
		{"granted", []Binding{kv.NewBinding(map[string]*kv.Namespace{"STORE": st.KV("store")})}, 0},
		{"denied by default", nil, 1},
	} {
		t.Run(c.name, func(t *testing.T) {
			rt := newComponentRuntime(t)
			w, err := rt.NewWorker(ctx, WorkerConfig{Name: "component", Wasm: testComponent(false), Bindings: c.bindings, MaxInstances: 2})
			if err != nil {
				t.Fatal(err)
			}
			defer w.Close(ctx)
			for range 3 {
				code, body := get(t, w)
				if code != 200 || len(body) != 5 {
					t.Fatalf("got %d %q", code, body)
				}
				if p := binary.LittleEndian.Uint32(body); p != 2048 {
					t.Errorf("get-random-bytes got its list at %#x from realloc, want 0x800 (module C's realloc, which its canon lower names)", p)
				}
				if body[4] != c.wantTag {
					t.Errorf("namespace.open result tag %d, want %d", body[4], c.wantTag)
				}
			}
			// Two pool instances: separate core instances and memories.
			i1, err := w.g.get(ctx)
			if err != nil {
				t.Fatal(err)
			}
			i2, err := w.g.get(ctx)
			if err != nil {
				t.Fatal(err)
			}
			if len(i1.mods) != 3 || len(i2.mods) != 3 {
				t.Fatalf("%d and %d core instances, want 3 (A, C, B)", len(i1.mods), len(i2.mods))
			}
			m1, m2 := i1.abi.Memory(), i2.abi.Memory()
			m1.WriteByte(1000, 7)
			if v, _ := m2.ReadByte(1000); v == 7 {
				t.Error("two pool instances share a memory")
			}
			if i1.mods[0] == i2.mods[0] {
				t.Error("two pool instances share a core instance")
			}
			if i1.abi.Memory() != m1 || i1.mods[0].ExportedMemory("memory") != m1 {
				t.Error("the ABI memory is not the memory the canon options name")
			}
			w.g.put(i1)
			w.g.put(i2)
		})
	}
}

// TestComponentDeadline: a component's handler that never returns is
// stopped at the request's deadline by the yield points of its modules,
// and the Worker keeps serving with a fresh instance.
func TestComponentDeadline(t *testing.T) {
	rt := newComponentRuntime(t)
	ctx := context.Background()
	w, err := rt.NewWorker(ctx, WorkerConfig{Name: "loop", Wasm: testComponent(true), RequestTimeout: 100 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	defer w.Close(ctx)
	if !w.g.yields {
		t.Fatal("the component's modules have no yield points")
	}
	for range 2 {
		start := time.Now()
		code, _ := get(t, w)
		if code != 500 {
			t.Errorf("status %d, want 500", code)
		}
		if d := time.Since(start); d > 2*time.Second {
			t.Errorf("the request took %v", d)
		}
	}
	if n := w.Stats().Discarded; n != 2 {
		t.Errorf("%d instances discarded, want 2", n)
	}
}

// TestComponentStartFunction: a core module's start function runs while
// the module is instantiated, before the host can arm the stop globals, so
// such a component runs on the engine that watches its context, and a
// start function that never returns fails NewWorker at ctx's deadline.
func TestComponentStartFunction(t *testing.T) {
	rt := newComponentRuntime(t)
	ctx, cancel := context.WithTimeout(context.Background(), 300*time.Millisecond)
	defer cancel()
	start := time.Now()
	_, err := rt.NewWorker(ctx, WorkerConfig{Name: "start", Wasm: testComponent(false, true)})
	if err == nil || !strings.Contains(err.Error(), "core instance 0") || !strings.Contains(err.Error(), "deadline") {
		t.Fatalf("NewWorker: %v, want an error instantiating core instance 0", err)
	}
	if d := time.Since(start); d > 5*time.Second {
		t.Errorf("NewWorker took %v", d)
	}
}

// TestComponentErrors: a component the host cannot run is refused with an
// error that names the fault, and the runtime keeps working.
func TestComponentErrors(t *testing.T) {
	rt := newComponentRuntime(t)
	ctx := context.Background()
	good := testComponent(false)
	noHandler := bytes.Replace(good, []byte("bindery:http/handler@0.1.0\x05"), []byte("bindery:http/handler@9.9.9\x05"), 1)
	// An import the host does not serve: rename wasi:random/random.
	unserved := bytes.ReplaceAll(good, []byte("wasi:random/random@0.2.0"), []byte("wasi:random/rendom@0.2.0"))
	for _, c := range []struct {
		name string
		wasm []byte
		want string
	}{
		{"nested component with code", Component(Section(CSecComponent, Component(CoreModule(Module())))), "nested component's core module section"},
		{"no handler", noHandler, `does not export "bindery:http/handler@0.1.0#handle" (it exports bindery:http/handler@9.9.9#handle)`},
		{"unserved import", unserved, `imports "wasi:random/rendom@0.2.0 (realloc 1)" "get-random-bytes"`},
		{"truncated", good[:len(good)-10], "component: component at offset"},
		{"not a core module", Component(CoreModule([]byte("\x00asm\x0d\x00\x01\x00"))), "core module 0: not a core module"},
	} {
		t.Run(c.name, func(t *testing.T) {
			_, err := rt.NewWorker(ctx, WorkerConfig{Name: "bad", Wasm: c.wasm})
			if err == nil {
				t.Fatalf("no error, want %q", c.want)
			}
			if !strings.Contains(err.Error(), c.want) || !strings.Contains(err.Error(), `worker "bad"`) {
				t.Errorf("error %q does not name the worker and %q", err, c.want)
			}
		})
	}
	w, err := rt.NewWorker(ctx, WorkerConfig{Name: "good", Wasm: good})
	if err != nil {
		t.Fatal(err)
	}
	defer w.Close(ctx)
	if code, _ := get(t, w); code != 200 {
		t.Errorf("after the errors, a good component answers %d", code)
	}
}

func TestSplitVariant(t *testing.T) {
	for _, c := range []struct {
		in    string
		iface string
		k     int
	}{
		{"wasi:cli/environment@0.2.9", "wasi:cli/environment@0.2.9", 0},
		{reallocVariant("wasi:cli/environment@0.2.9", 2), "wasi:cli/environment@0.2.9", 2},
		{"x (realloc 0)", "x (realloc 0)", 0},
		{"x (realloc 99)", "x (realloc 99)", 0},
		{"x (realloc one)", "x (realloc one)", 0},
	} {
		if iface, k := splitVariant(c.in); iface != c.iface || k != c.k {
			t.Errorf("splitVariant(%q) = %q, %d; want %q, %d", c.in, iface, k, c.iface, c.k)
		}
	}
}

// exportsComponent assembles a component that exports, besides its
// handler, test:x/y@1.0.0's f (lifted with the handler's memory and
// realloc: it returns 42) and g (lifted with another realloc).
func exportsComponent() []byte {
	i32 := byte(0x7f)
	a := Module(
		Section(SecType, Vec(FuncType([]byte{i32, i32, i32, i32}, []byte{i32}))),
		Section(SecFunction, Vec([]byte{0})),
		Section(SecMemory, Vec([]byte{0, 1})),
		Section(SecExport, Vec(Export("memory", 2, 0), Export("cabi_realloc", 0, 0))),
		Section(SecCode, Vec(Body(I32Const(4096)...))),
	)
	c := Module(
		Section(SecType, Vec(FuncType([]byte{i32, i32, i32, i32}, []byte{i32}))),
		Section(SecFunction, Vec([]byte{0})),
		Section(SecExport, Vec(Export("cabi_realloc", 0, 0))),
		Section(SecCode, Vec(Body(I32Const(2048)...))),
	)
	b := Module(
		Section(SecType, Vec(FuncType(bytes.Repeat([]byte{i32}, 8), nil), FuncType(nil, []byte{i32}))),
		Section(SecImport, Vec(ImportMemory("env", "memory", 1))),
		Section(SecFunction, Vec([]byte{0}, []byte{1}, []byte{1})),
		Section(SecExport, Vec(Export("bindery:http/handler@0.1.0#handle", 0, 0), Export("test:x/y@1.0.0#f", 0, 1),
			Export("test:x/y@1.0.0#g", 0, 2))),
		Section(SecCode, Vec(Body(), Body(I32Const(42)...), Body(I32Const(7)...))),
	)
	return Component(
		Types(EmptyInstanceType, VoidFunc),
		CoreModule(a), CoreModule(c), CoreModule(b),
		CoreInstances(Instantiate(0), Instantiate(1)),
		Aliases(CoreAlias(2, 0, "memory"), CoreAlias(0, 0, "cabi_realloc"), CoreAlias(0, 1, "cabi_realloc")), // mem 0, core funcs 0, 1
		CoreInstances(Bag(CoreExport("memory", 2, 0)), Instantiate(2, Arg("env", 2))),
		Aliases(CoreAlias(0, 3, "bindery:http/handler@0.1.0#handle"), CoreAlias(0, 3, "test:x/y@1.0.0#f"),
			CoreAlias(0, 3, "test:x/y@1.0.0#g")), // core funcs 2-4
		Canons(CanonLift(2, 1, OptMemory(0), OptRealloc(0)), CanonLift(3, 1, OptMemory(0), OptRealloc(0)),
			CanonLift(4, 1, OptMemory(0), OptRealloc(1))), // funcs 0-2
		InstanceOfFuncs([]string{"handle"}, []uint32{0}),
		ExportInstance("bindery:http/handler@0.1.0", 0), // instances 0 and 1
		InstanceOfFuncs([]string{"f", "g"}, []uint32{1, 2}),
		ExportInstance("test:x/y@1.0.0", 2),
	)
}

// TestComponentOtherExports: a component's exports other than the handler
// (a Worker's Durable Object events) are found through the instance's
// Lookup when they are lifted with the handler's memory and realloc, and
// only then (the host serves one of each).
func TestComponentOtherExports(t *testing.T) {
	ctx := context.Background()
	w, err := newComponentRuntime(t).NewWorker(ctx, WorkerConfig{Name: "exports", Wasm: exportsComponent()})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { w.Close(ctx) })
	held, err := w.Hold(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer held.Close(ctx)
	err = held.Call(ctx, func(ctx context.Context, a *abi.Instance, depth int) error {
		f := a.Lookup().ExportedFunction("test:x/y@1.0.0#f")
		if f == nil {
			t.Fatal("f, lifted with the handler's memory and realloc, is not found")
		}
		res, err := f.Call(ctx)
		if err != nil || len(res) != 1 || res[0] != 42 {
			t.Errorf("f() = %v, %v; want 42", res, err)
		}
		if a.Lookup().ExportedFunction("test:x/y@1.0.0#g") != nil {
			t.Error("g, lifted with another realloc, is found")
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}
