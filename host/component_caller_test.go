package host

import (
	"context"
	"testing"

	. "github.com/bindery-run/bindery/host/internal/wasmgen" //nolint:revive // a tiny assembler DSL
	"github.com/tetratelabs/wazero"
	"github.com/tetratelabs/wazero/api"
)

// TestHostFunctionSeesCallingModule pins down what wazero passes a host
// function as its api.Module: the module whose code executed the call
// instruction, not the module that imported the function. Through a table
// filled by another module (a wit-component shim and its fixup module),
// the host sees the shim; through a re-export, the module that called the
// re-export. So the caller cannot tell the host which canon lower (and so
// which realloc) a call came through: docs/components.md#realloc.
func TestHostFunctionSeesCallingModule(t *testing.T) {
	ctx := context.Background()
	r := wazero.NewRuntime(ctx)
	defer r.Close(ctx)
	var got string
	_, err := r.NewHostModuleBuilder("h").NewFunctionBuilder().WithGoModuleFunction(api.GoModuleFunc(func(ctx context.Context, m api.Module, s []uint64) {
		got = m.Name()
	}), nil, nil).Export("who").Instantiate(ctx)
	if err != nil {
		t.Fatal(err)
	}
	void := Section(SecType, Vec(FuncType(nil, nil)))
	inst := func(name string, wasm []byte) api.Module {
		m, err := r.InstantiateWithConfig(ctx, wasm, wazero.NewModuleConfig().WithName(name))
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		return m
	}
	callIndirect := []byte{0x41, 0, 0x11, 0, 0}
	// A imports who, calls it directly and through its own table, re-exports it.
	a := inst("A", Module(void, Section(SecImport, Vec(ImportFunc("h", "who", 0))),
		Section(SecFunction, Vec([]byte{0}, []byte{0})),
		Section(SecTable, Vec([]byte{0x70, 0, 1})),
		Section(SecExport, Vec(Export("direct", 0, 1), Export("indirect", 0, 2), Export("t", 1, 0), Export("reexp", 0, 0))),
		Section(SecElem, Vec(ElemActive(0, 0))),
		Section(SecCode, Vec(Body(0x10, 0), Body(callIndirect...)))))
	// B imports A's table and calls through it.
	b := inst("B", Module(void, Section(SecImport, Vec(ImportTable("A", "t", 1))),
		Section(SecFunction, Vec([]byte{0})), Section(SecExport, Vec(Export("viaB", 0, 0))),
		Section(SecCode, Vec(Body(callIndirect...)))))
	// S (a shim) owns an empty table and calls through it; F (a fixup) fills it with who.
	s := inst("S", Module(void, Section(SecFunction, Vec([]byte{0})),
		Section(SecTable, Vec([]byte{0x70, 0, 1})), Section(SecExport, Vec(Export("viaS", 0, 0), Export("t", 1, 0))),
		Section(SecCode, Vec(Body(callIndirect...)))))
	inst("F", Module(void, Section(SecImport, Vec(ImportFunc("h", "who", 0), ImportTable("S", "t", 1))),
		Section(SecElem, Vec(ElemActive(0, 0)))))
	// G imports A's re-export and calls it.
	g := inst("G", Module(void, Section(SecImport, Vec(ImportFunc("A", "reexp", 0))),
		Section(SecFunction, Vec([]byte{0})), Section(SecExport, Vec(Export("viaG", 0, 1))),
		Section(SecCode, Vec(Body(0x10, 0)))))
	for _, c := range []struct {
		m    api.Module
		f    string
		want string
	}{{a, "direct", "A"}, {a, "indirect", "A"}, {b, "viaB", "B"}, {s, "viaS", "S"}, {g, "viaG", "G"}} {
		got = ""
		if _, err := c.m.ExportedFunction(c.f).Call(ctx); err != nil {
			t.Fatal(err)
		}
		if got != c.want {
			t.Errorf("%s.%s: host function sees module %q, want %q", c.m.Name(), c.f, got, c.want)
		}
	}
}
