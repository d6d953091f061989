package component

import (
	"context"
	"os"
	"reflect"
	"strings"
	"testing"

	. "github.com/bindery-run/bindery/host/internal/wasmgen" //nolint:revive // a tiny assembler DSL
	"github.com/bindery-run/bindery/internal/testutil"
	"github.com/tetratelabs/wazero"
)

// The test components are assembled byte by byte (wasmgen): wasm-tools is
// not available at test time.

var (
	i32 = byte(0x7f)
	// memOwner defines and exports "memory", a cabi_realloc and "init".
	memOwner = Module(
		Section(SecType, Vec(FuncType([]byte{i32, i32, i32, i32}, []byte{i32}), FuncType(nil, nil))),
		Section(SecFunction, Vec([]byte{0}, []byte{1})),
		Section(SecMemory, Vec([]byte{0, 1})),
		Section(SecExport, Vec(Export("memory", KindMemory, 0), Export("cabi_realloc", KindFunc, 0), Export("init", KindFunc, 1))),
		Section(SecCode, Vec(Body(0x41, 8), Body())),
	)
	// user imports env.memory and host.get, and exports "run".
	user = Module(
		Section(SecType, Vec(FuncType(nil, nil))),
		Section(SecImport, Vec(ImportMemory("env", "memory", 1), ImportFunc("host", "get", 0))),
		Section(SecFunction, Vec([]byte{0})),
		Section(SecExport, Vec(Export("run", KindFunc, 1))),
		Section(SecCode, Vec(Body(0x10, 0))),
	)
)

// ifaceType is an instance type exporting func "get" and resource "thing".
var ifaceType = Cat([]byte{0x42}, Vec(
	Cat([]byte{0x01}, VoidFunc),
	Cat([]byte{0x04, 0x00}, Name(nil, "get"), []byte{0x01, 0x00}),
	Cat([]byte{0x04, 0x00}, Name(nil, "thing"), []byte{0x03, 0x01}),
))

// mini is a two-module component: instance 0 owns the memory, instance 1
// imports it and the host function test:x/y@1.0.0 get (lowered with
// instance 0's memory and realloc), and the component exports "run" from
// instance 1.
func mini(extra ...[]byte) []byte {
	return Component(append([][]byte{
		Types(ifaceType, VoidFunc),
		ImportInstance("test:x/y@1.0.0", 0),
		Aliases(InstAlias(0x01, 0, "get")), // func 0
		CoreModule(memOwner),
		CoreModule(user),
		CoreInstances(Instantiate(0)),
		Aliases(CoreAlias(KindMemory, 0, "memory"), CoreAlias(KindFunc, 0, "cabi_realloc")), // mem 0, core func 0
		Canons(CanonLower(0, OptMemory(0), OptRealloc(0))),                                  // core func 1
		CoreInstances(Bag(CoreExport("memory", KindMemory, 0), CoreExport("get", KindFunc, 1))),
		CoreInstances(Instantiate(1, Arg("env", 1), Arg("host", 1))),
		Aliases(CoreAlias(KindFunc, 2, "run")), // core func 2
		Canons(CanonLift(2, 1, OptMemory(0), OptRealloc(0))),
		ExportFunc("run", 1),
	}, extra...)...)
}

func TestParse(t *testing.T) {
	memory := &Ref{Instance: 0, Name: "memory"}
	realloc := &Ref{Instance: 0, Name: "cabi_realloc"}
	want := &Plan{
		Modules: [][]byte{memOwner, user},
		Instances: []Instance{
			{Module: 0},
			{Module: 1, Imports: []Import{
				{CoreImport: CoreImport{Module: "env", Name: "memory", Kind: KindMemory, Desc: []byte{0, 1}}, From: memory},
				{CoreImport: CoreImport{Module: "host", Name: "get", Kind: KindFunc, Desc: []byte{0}}, Host: &HostFunc{Interface: "test:x/y@1.0.0", Func: "get", Memory: memory, Realloc: realloc}},
			}},
		},
		Exports: map[string]Lift{"run": {Func: Ref{Instance: 1, Name: "run"}, Memory: memory, Realloc: realloc}},
	}
	got, err := Parse(mini())
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("plan:\n%s\nwant:\n%s", got.Describe(), want.Describe())
	}
}

// TestParseResolves covers what a real componentize-py component uses
// beyond mini: resource drops of imported resources, post-return, and
// an exported instance wrapped by a nested re-exporting component.
func TestParseResolves(t *testing.T) {
	// A nested component that imports a func and re-exports it as "handle".
	wrapper := Component(
		Types(VoidFunc),
		Section(CSecImport, Vec(Cat([]byte{0x00}, Name(nil, "import-func-handle"), []byte{0x01, 0x00}))),
		Section(CSecExport, Vec(Cat([]byte{0x00}, Name(nil, "handle"), []byte{0x01, 0x00}, []byte{0x01, 0x01, 0x00}))),
	)
	c := Component(
		Types(ifaceType, VoidFunc),
		ImportInstance("test:x/y@1.0.0", 0),
		Aliases(InstAlias(0x03, 0, "thing")), // type 2
		CoreModule(memOwner),
		CoreModule(Module(
			Section(SecType, Vec(FuncType([]byte{i32}, nil), FuncType(nil, nil))),
			Section(SecImport, Vec(ImportFunc("x", "[resource-drop]thing", 0))),
			Section(SecFunction, Vec([]byte{1}, []byte{1})),
			Section(SecExport, Vec(Export("test:z/h@1.0.0#handle", KindFunc, 1), Export("cabi_post_test:z/h@1.0.0#handle", KindFunc, 2))),
			Section(SecCode, Vec(Body(), Body())),
		)),
		CoreInstances(Instantiate(0)),
		Aliases(CoreAlias(KindMemory, 0, "memory")),
		Canons(Cat([]byte{0x03}, U(nil, 2))), // core func 0: resource.drop type 2
		CoreInstances(Bag(CoreExport("[resource-drop]thing", KindFunc, 0)), Instantiate(1, Arg("x", 1))),
		Aliases(CoreAlias(KindFunc, 2, "test:z/h@1.0.0#handle"), CoreAlias(KindFunc, 2, "cabi_post_test:z/h@1.0.0#handle")), // core funcs 1, 2
		Canons(CanonLift(1, 1, OptMemory(0), OptPostReturn(2))),                                                             // func 0
		Section(CSecComponent, wrapper),
		Section(CSecInstance, Vec(Cat([]byte{0x00}, U(nil, 0), Vec(Cat(Name(nil, "import-func-handle"), []byte{0x01}, U(nil, 0)))))), // instance 1
		Section(CSecExport, Vec(Cat([]byte{0x00}, Name(nil, "test:z/h@1.0.0"), []byte{0x05}, U(nil, 1), []byte{0x00}))),
	)
	p, err := Parse(c)
	if err != nil {
		t.Fatal(err)
	}
	drop := p.Instances[1].Imports[0].Host
	if drop == nil || *drop != (HostFunc{Interface: "test:x/y@1.0.0", Func: "[resource-drop]thing"}) {
		t.Errorf("resource drop resolves to %+v", drop)
	}
	l, ok := p.Exports["test:z/h@1.0.0#handle"]
	want := Lift{Func: Ref{1, "test:z/h@1.0.0#handle"}, Memory: &Ref{0, "memory"}, PostReturn: &Ref{1, "cabi_post_test:z/h@1.0.0#handle"}}
	if !ok || !reflect.DeepEqual(l, want) {
		t.Errorf("exports: %s", p.Describe())
	}
}

func TestParseErrors(t *testing.T) {
	section := func(id byte, body ...byte) []byte { return Section(id, body) }
	truncated := mini()
	truncated = truncated[:len(truncated)-3]
	for _, c := range []struct {
		name string
		wasm []byte
		want string // a substring of the error
	}{
		{"core module", memOwner, "not a component"},
		{"empty", nil, "not a component"},
		{"version", []byte{0, 'a', 's', 'm', 0x0c, 0, 1, 0}, "version 0xc"},
		{"truncated", truncated, "component at offset"},
		{"unknown section", mini(section(13, 0)), "unknown section id 13"},
		{"start", mini(section(CSecStart, 0)), "start section at offset"},
		{"value", mini(section(12, 0)), "values are not supported"},
		{"nested with code", mini(Section(CSecComponent, Component(CoreModule(memOwner)))), "nested component's core module section"},
		{"core module import", mini(Section(CSecImport, Vec(Cat([]byte{0x00}, Name(nil, "m"), []byte{0x00, 0x11, 0x00})))), `import "m" is a core module`},
		{"async option", mini(Canons(CanonLower(0, []byte{0x06}))), "async canon option"},
		{"utf16", mini(Canons(CanonLower(0, []byte{0x01}))), "string encoding 0x1"},
		{"async builtin", mini(Canons([]byte{0x08})), "canon 0x8 is not supported"},
		{"bad module index", mini(CoreInstances(Instantiate(9))), "core module index 9 out of range"},
		{"bad alias instance", mini(Aliases(CoreAlias(KindFunc, 40, "x"))), "core instance index 40 out of range"},
		{"bad core module", mini(CoreModule([]byte("\x00asm\x01\x00\x00\x00\x02\x05"))), "core module 2"},
		{"missing argument", Component(CoreModule(user), CoreInstances(Instantiate(0))), `no instantiation argument named "env"`},
		{"missing export", Component(CoreModule(memOwner), CoreModule(user),
			CoreInstances(Instantiate(0), Instantiate(1, Arg("env", 0), Arg("host", 0)))), `exports no "get"`},
		{"alias before instance", Component(CoreModule(memOwner), CoreModule(user),
			Aliases(CoreAlias(KindFunc, 0, "init")),
			CoreInstances(Instantiate(0)),
			Aliases(CoreAlias(KindFunc, 0, "init")),
			CoreInstances(Bag(CoreExport("memory", KindFunc, 0))),
			CoreInstances(Instantiate(1, Arg("env", 1), Arg("host", 1)))), "core instance index 0 out of range"},
		{"bag kind mismatch", Component(CoreModule(memOwner), CoreModule(user),
			CoreInstances(Instantiate(0)),
			Aliases(CoreAlias(KindFunc, 0, "init")),
			CoreInstances(Bag(CoreExport("memory", KindFunc, 0))),
			CoreInstances(Instantiate(1, Arg("env", 1), Arg("host", 1)))), `exports "memory" as a func, not a memory`},
		{"own resource", Component(CoreModule(user), CoreModule(memOwner),
			Types(ifaceType),
			CoreInstances(Instantiate(1)),
			Aliases(CoreAlias(KindMemory, 0, "memory")),
			Canons([]byte{0x02, 0x00}),
			CoreInstances(Bag(CoreExport("memory", KindMemory, 0), CoreExport("get", KindFunc, 0))),
			CoreInstances(Instantiate(0, Arg("env", 1), Arg("host", 1)))), "resources defined by the component are not supported"},
		{"top-level func import", Component(Types(VoidFunc),
			Section(CSecImport, Vec(Cat([]byte{0x00}, Name(nil, "f"), []byte{0x01, 0x00}))),
			CoreModule(memOwner), CoreModule(user),
			CoreInstances(Instantiate(0)),
			Aliases(CoreAlias(KindMemory, 0, "memory")),
			Canons(CanonLower(0)),
			CoreInstances(Bag(CoreExport("memory", KindMemory, 0), CoreExport("get", KindFunc, 0))),
			CoreInstances(Instantiate(1, Arg("env", 1), Arg("host", 1)))), `top-level imported function "f"`},
		{"export not lifted", mini(Section(CSecExport, Vec(Cat([]byte{0x00}, Name(nil, "raw"), []byte{0x01, 0x00, 0x00})))), `export "raw"`},
		{"forged count", Component(Section(CSecCoreInstance, U(nil, 1<<30))), "count 1073741824"},
		{"deep type", Component(Types(deepType(40))), "nested more than"},
	} {
		t.Run(c.name, func(t *testing.T) {
			_, err := Parse(c.wasm)
			if err == nil {
				t.Fatalf("no error, want one containing %q", c.want)
			}
			if !strings.Contains(err.Error(), c.want) {
				t.Errorf("error %q does not contain %q", err, c.want)
			}
		})
	}
}

// deepType is an instance type nesting n instance types.
func deepType(n int) []byte {
	t := []byte{0x42, 0x00}
	for range n {
		t = Cat([]byte{0x42}, Vec(Cat([]byte{0x01}, t)))
	}
	return t
}

// TestRewriteImports renames a module's imports and checks wazero accepts
// the result with the new names and nothing else changed.
func TestRewriteImports(t *testing.T) {
	m, err := parseCore(user, 0)
	if err != nil {
		t.Fatal(err)
	}
	imps := append([]CoreImport(nil), m.imports...)
	imps[0].Module, imps[0].Name = "bindery:core-instance/0", "memory"
	imps[1].Module, imps[1].Name = "test:x/y@1.0.0 (realloc 1)", "[method]thing.get"
	out, err := RewriteImports(user, imps)
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	r := wazero.NewRuntime(ctx)
	defer r.Close(ctx)
	cm, err := r.CompileModule(ctx, out)
	if err != nil {
		t.Fatal(err)
	}
	fns := cm.ImportedFunctions()
	if mod, name, _ := fns[0].Import(); mod != imps[1].Module || name != imps[1].Name {
		t.Errorf("function import is %q %q", mod, name)
	}
	if mod, name, _ := cm.ImportedMemories()[0].Import(); mod != imps[0].Module || name != imps[0].Name {
		t.Errorf("memory import is %q %q", mod, name)
	}
	if _, ok := cm.ExportedFunctions()["run"]; !ok {
		t.Error("the export is gone")
	}
	if _, err := RewriteImports(user, imps[:1]); err == nil {
		t.Error("RewriteImports accepted the wrong number of imports")
	}
	if same, err := RewriteImports(memOwner, nil); err != nil || !reflect.DeepEqual(same, memOwner) {
		t.Errorf("a module without imports changed: %v", err)
	}
}

// TestParseComponentizePy parses a real componentize-py component:
// BINDERY_PY_COMPONENT names one, or the test builds examples/hello-py
// (cached by its inputs, so only the first build pays componentize-py's
// ~20 s). Without componentize-py it skips, or fails when python is
// required (BINDERY_CONFORMANCE_REQUIRE, as in CI).
func TestParseComponentizePy(t *testing.T) {
	path := os.Getenv("BINDERY_PY_COMPONENT")
	if path == "" {
		if testing.Short() {
			t.Skip("-short: building a Python Worker takes ~20 s")
		}
		path = testutil.BuildPythonGuest(t, "examples/hello-py/worker.py")
	}
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	p, err := Parse(b)
	if err != nil {
		t.Fatal(err)
	}
	if len(p.Modules) != 14 || len(p.Instances) != 14 {
		t.Errorf("%d modules, %d instances; want 14 and 14", len(p.Modules), len(p.Instances))
	}
	if _, ok := p.Exports["bindery:http/handler@0.1.0#handle"]; !ok {
		t.Errorf("no handler export:\n%s", p.Describe())
	}
}

func FuzzParse(f *testing.F) {
	f.Add(mini())
	f.Add(mini(Section(CSecComponent, Component(CoreModule(memOwner)))))
	f.Add(Component(Types(ifaceType, deepType(3))))
	f.Fuzz(func(t *testing.T, b []byte) {
		p, err := Parse(b)
		if err != nil {
			// Every error names where: a byte offset, or the core
			// instance or export at fault, or the header.
			msg := err.Error()
			where := false
			for _, w := range []string{" at offset 0x", "core instance ", "export ", "no \\0asm component header", "binary version"} {
				where = where || strings.Contains(msg, w)
			}
			if !strings.HasPrefix(msg, "component: ") || !where {
				t.Errorf("error %q does not say where in the component the fault is", err)
			}
			return
		}
		// A plan only refers to what exists.
		for i, inst := range p.Instances {
			if inst.Module < 0 || inst.Module >= len(p.Modules) {
				t.Fatalf("instance %d: module %d of %d", i, inst.Module, len(p.Modules))
			}
			for _, imp := range inst.Imports {
				if (imp.From == nil) == (imp.Host == nil) {
					t.Fatalf("instance %d: import %q %q resolves to neither or both", i, imp.Module, imp.Name)
				}
				if imp.From != nil && imp.From.Instance >= i {
					t.Fatalf("instance %d imports from instance %d", i, imp.From.Instance)
				}
			}
		}
	})
}
