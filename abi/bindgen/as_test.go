package bindgen

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/bindery-run/bindery/internal/testutil"
	"github.com/tetratelabs/wazero"
	"github.com/tetratelabs/wazero/api"
	"go.bytecodealliance.org/wit"
)

// genAS loads the WIT text src and generates only AssemblyScript bindings
// for the interfaces named in ifaces, into "as".
func genAS(t *testing.T, src, world string, ifaces ...string) ([]File, error) {
	t.Helper()
	return genASRes(loadWIT(t, src), world, ifaces...)
}

func loadWIT(t *testing.T, src string) *wit.Resolve {
	t.Helper()
	path := filepath.Join(t.TempDir(), "x.wit")
	if err := os.WriteFile(path, []byte(src), 0o644); err != nil {
		t.Fatal(err)
	}
	res, err := wit.LoadWIT(path)
	if err != nil {
		t.Fatalf("the test's WIT does not load: %v\n%s", err, src)
	}
	return res
}

func genASRes(res *wit.Resolve, world string, ifaces ...string) ([]File, error) {
	cfg := Config{Module: "github.com/bindery-run/bindery", World: world, ASDir: "as"}
	for _, i := range ifaces {
		cfg.Targets = append(cfg.Targets, Target{Interface: i})
	}
	return Generate(res, cfg)
}

// asc returns the SDK's asc, installing it with build.sh --probe, or skips
// (fails when assemblyscript is required: testutil.NeedToolchain).
func asc(t *testing.T) string {
	t.Helper()
	_, err := testutil.ProbeScript("assemblyscript", "guest-sdk/assemblyscript/build.sh")
	testutil.NeedToolchain(t, err)
	return filepath.Join(testutil.RepoRoot(t), "guest-sdk", "assemblyscript", "node_modules", ".bin", "asc")
}

// compileAS writes files and main.ts to a temporary directory and compiles
// them with asc (warnings are not errors; errors fail the test).
func compileAS(t *testing.T, files []File, main string) []byte {
	t.Helper()
	bin := asc(t)
	dir := t.TempDir()
	for _, f := range files {
		p := filepath.Join(dir, filepath.FromSlash(f.Path))
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, f.Data, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	main += `
// @ts-ignore: decorator
@global
export function binderyAbort(message: string | null, fileName: string | null, line: u32, column: u32): void {
  unreachable();
}
`
	if err := os.WriteFile(filepath.Join(dir, "main.ts"), []byte(main), 0o644); err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(bin, "main.ts", "-o", "out.wasm", "--runtime", "incremental", "--use", "abort=binderyAbort", "-O1")
	cmd.Dir = dir
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("asc: %v\n%s", err, out)
	}
	wasm, err := os.ReadFile(filepath.Join(dir, "out.wasm"))
	if err != nil {
		t.Fatal(err)
	}
	return wasm
}

func TestASGenerateProject(t *testing.T) {
	res, err := wit.LoadWIT(filepath.Join("..", "..", "wit"))
	if err != nil {
		t.Fatal(err)
	}
	cfg := Config{Module: "github.com/bindery-run/bindery", World: "worker", ASDir: "as"}
	for _, i := range []string{"bindery:io/streams", "bindery:http/types", "bindery:http/handler", "bindery:kv/store", "bindery:config/vars", "bindery:r2/bucket", "bindery:html/rewriter"} {
		cfg.Targets = append(cfg.Targets, Target{Interface: i})
	}
	files, err := Generate(res, cfg)
	if err != nil {
		t.Fatal(err)
	}
	again, err := Generate(res, cfg)
	if err != nil {
		t.Fatal(err)
	}
	byPath := map[string]string{}
	for i, f := range files {
		byPath[f.Path] = string(f.Data)
		if again[i].Path != f.Path || string(again[i].Data) != string(f.Data) {
			t.Errorf("%s: two runs differ", f.Path)
		}
	}
	var paths []string
	for p := range byPath {
		paths = append(paths, p)
	}
	slices.Sort(paths)
	want := []string{"as/cabi.ts", "as/config_vars.ts", "as/exports.js", "as/exports.ts", "as/html_rewriter.ts", "as/http_handler.ts", "as/http_types.ts", "as/io_streams.ts", "as/kv_store.ts", "as/r2_bucket.ts"}
	if !slices.Equal(paths, want) {
		t.Fatalf("files %v, want %v", paths, want)
	}
	for _, c := range []struct{ file, want string }{
		// WIT names become AS names; error and object would shadow AS globals.
		{"as/kv_store.ts", "export class KvError {"},
		{"as/kv_store.ts", "  get(key: string): Result<Uint8Array | null, KvError> {"},
		{"as/kv_store.ts", "  delete(key: string): KvError | null {"},
		{"as/kv_store.ts", "@external(\"bindery:kv/store@0.1.0\", \"[method]namespace.get\")"},
		{"as/r2_bucket.ts", "export class R2Object {"},
		{"as/r2_bucket.ts", "  put(key: string, value: Body, options: PutOptions): Result<R2Object | null, R2Error> {"},
		// put flattens to more than 16 values: its parameters are spilled.
		{"as/r2_bucket.ts", "const _params = alloc("},
		{"as/io_streams.ts", "  splice(src: InputStream, len: u64): Result<u64, StreamError> {"},
		{"as/config_vars.ts", "export function get(name: string): Value | null {"},
		{"as/http_types.ts", "export type Fields = Array<Tuple2<string, Uint8Array>>;"},
		{"as/http_handler.ts", "export function _export_http_handler_handle(a0: i32, a1: i32, a2: i32, a3: i32, a4: i32, a5: i32, a6: i32, a7: i32): void {"},
		{"as/exports.ts", "export { cabi_realloc } from \"./cabi\";"},
		{"as/exports.js", "\"_export_http_handler_handle\": \"bindery:http/handler@0.1.0#handle\","},
		{"as/exports.js", "\"_post_http_handler_handle\": \"cabi_post_bindery:http/handler@0.1.0#handle\","},
	} {
		if !strings.Contains(byPath[c.file], c.want) {
			t.Errorf("%s lacks %q", c.file, c.want)
		}
	}
}

func TestASUnsupported(t *testing.T) {
	tests := []struct{ name, iface, want string }{
		{"export result<_, u32>", "interface e { f: func() -> result<_, u32>; }\nworld w { export e; }", "result<_, E> needs a reference E"},
		{"option of option of ref", "interface e { f: func(x: option<option<string>>); }\nworld w { import e; }", "option of an option"},
		{"tuple of 5", "interface e { f: func(x: tuple<u8, u8, u8, u8, u8>); }\nworld w { import e; }", "tuples of 5"},
		{"export spill", "interface e { f: func(" + params(17, "u32") + "); }\nworld w { export e; }", "more than 16 flat parameters"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := genAS(t, "package t:x;\n"+tt.iface, "w", "t:x/e")
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("err = %v, want %q", err, tt.want)
			}
		})
	}
}

// asRoundTripWIT exercises every supported kind through one import, whose
// host side (in the test) checks the flat values and memory the guest
// lowered and answers values for the guest to lift.
const asRoundTripWIT = `package t:x;
interface e {
  variant num { small(u32), big(u64), half(f32), full(f64), none }
  enum color { red, green, blue }
  record inner { name: string, tags: list<string>, bytes: list<u8>, maybe: option<u64>, label: option<string> }
  record outer { id: s64, inner: inner, items: list<inner>, pair: tuple<string, u16>, color: color, n: num }
  resource thing {
    make: static func(n: u32) -> thing;
    get: func() -> u32;
  }
  flat: func(n: num, flag: bool, c: char) -> u64;
  echo: func(v: outer) -> outer;
  spill: func(a: string, b: string, c: string, d: string, e: string, f: string, g: string, h: string, i: string) -> result<list<option<string>>, num>;
}
world w { import e; }
`

func TestASRoundTrip(t *testing.T) {
	res := loadWIT(t, asRoundTripWIT)
	files, err := genASRes(res, "w", "t:x/e")
	if err != nil {
		t.Fatal(err)
	}
	var outerT wit.Type
	for _, iface := range res.Interfaces {
		if td := iface.TypeDefs.Get("outer"); td != nil {
			outerT = td
		}
	}
	main := `export { cabi_realloc } from "./as/cabi";
import { Color, Inner, Num, Outer, Thing, echo, flat, spill } from "./as/x_e";
import { Tuple2 } from "./as/cabi";

export function runFlat(): u64 {
  return flat(Num.small(7), true, 0x1F600) + flat(Num.big(1 << 40), false, 65) + flat(Num.half(1.5), false, 0) + flat(Num.full(2.25), false, 0) + flat(Num.none(), false, 0);
}

export function runEcho(): i32 {
  const o = new Outer();
  o.id = -5;
  o.inner.name = "héllo";
  o.inner.tags = ["a", "bc"];
  o.inner.bytes = Uint8Array.wrap(String.UTF8.encode("xyz"));
  o.inner.maybe.isSome = true;
  o.inner.maybe.value = 99;
  o.inner.label = "L";
  const it = new Inner();
  it.name = "item";
  o.items = [it, new Inner()];
  o.pair = new Tuple2<string, u16>("p", 300);
  o.color = Color.Blue;
  o.n = Num.big(123456789012);
  const r = echo(o);
  // The host answers the same value with id + 1 and the name reversed.
  if (r.id != -4) return 1;
  if (r.inner.name != "olléh") return 2;
  if (r.inner.tags.length != 2 || r.inner.tags[1] != "bc") return 3;
  if (r.inner.bytes.length != 3 || r.inner.bytes[2] != 0x7a) return 4;
  if (!r.inner.maybe.isSome || r.inner.maybe.value != 99) return 5;
  if (r.inner.label != "L") return 6;
  if (r.items.length != 2 || r.items[0].name != "item" || r.items[1].label != null) return 7;
  if (r.pair.f0 != "p" || r.pair.f1 != 300) return 8;
  if (r.color != Color.Blue) return 9;
  if (r.n.tag != Num.Big || r.n.big != 123456789012) return 10;
  return 0;
}

export function runSpill(): i32 {
  const r = spill("a", "bb", "ccc", "d", "e", "f", "g", "h", "i");
  if (r.isErr) return 1;
  if (r.value.length != 2 || r.value[0] != "abbccc" || r.value[1] != null) return 2;
  const e = spill("", "", "", "", "", "", "", "", "fail");
  if (!e.isErr || e.error.tag != Num.Small || e.error.small != 42) return 3;
  return 0;
}

export function runThing(): u32 {
  const t = Thing.make(5);
  const n = t.get();
  t.drop();
  return n;
}
`
	wasm := compileAS(t, files, main)
	ctx := context.Background()
	rt := wazero.NewRuntime(ctx)
	defer rt.Close(ctx)
	var mem api.Memory
	var realloc api.Function
	alloc := func(ctx context.Context, size, align uint32) uint32 {
		r, err := realloc.Call(ctx, 0, 0, uint64(align), uint64(size))
		if err != nil {
			t.Fatal(err)
		}
		return uint32(r[0])
	}
	str := func(ptr, n uint32) string {
		b, ok := mem.Read(ptr, n)
		if !ok {
			t.Fatalf("string at %d+%d out of bounds", ptr, n)
		}
		return string(b)
	}
	putStr := func(ctx context.Context, addr uint32, s string) {
		p := alloc(ctx, uint32(len(s)), 1)
		mem.Write(p, []byte(s))
		mem.WriteUint32Le(addr, p)
		mem.WriteUint32Le(addr+4, uint32(len(s)))
	}
	var flats [][]uint64
	things := map[uint32]uint32{}
	_, err = rt.NewHostModuleBuilder("t:x/e").
		NewFunctionBuilder().WithGoModuleFunction(api.GoModuleFunc(func(ctx context.Context, m api.Module, stack []uint64) {
		// i32 values are the low 32 bits of their slots.
		flats = append(flats, []uint64{uint64(uint32(stack[0])), stack[1], uint64(uint32(stack[2])), uint64(uint32(stack[3]))})
		stack[0] = uint64(len(flats))
	}), []api.ValueType{api.ValueTypeI32, api.ValueTypeI64, api.ValueTypeI32, api.ValueTypeI32}, []api.ValueType{api.ValueTypeI64}).Export("flat").
		NewFunctionBuilder().WithGoModuleFunction(api.GoModuleFunc(func(ctx context.Context, m api.Module, stack []uint64) {
		// echo: outer flattens to 20 values, so it comes in memory, and
		// its result goes to a return area.
		in, out := uint32(stack[0]), uint32(stack[1])
		b, _ := mem.Read(in, uint32(outerT.Size()))
		mem.Write(out, slices.Clone(b))
		id, _ := mem.ReadUint64Le(in)
		mem.WriteUint64Le(out, id+1)
		// The guest frees its arguments and what the host returns: the
		// answer gets copies of every string and list.
		deepCopy(ctx, mem, alloc, out, outerT)
		np, _ := mem.ReadUint32Le(in + 8) // outer.inner.name
		nn, _ := mem.ReadUint32Le(in + 12)
		r := []rune(str(np, nn))
		slices.Reverse(r)
		putStr(ctx, out+8, string(r))
	}), []api.ValueType{api.ValueTypeI32, api.ValueTypeI32}, nil).Export("echo").
		NewFunctionBuilder().WithGoModuleFunction(api.GoModuleFunc(func(ctx context.Context, m api.Module, stack []uint64) {
		// spill: nine strings are 18 flat values, so they come as a tuple in memory.
		in, out := uint32(stack[0]), uint32(stack[1])
		var args []string
		for i := range uint32(9) {
			p, _ := mem.ReadUint32Le(in + i*8)
			n, _ := mem.ReadUint32Le(in + i*8 + 4)
			args = append(args, str(p, n))
		}
		// The payload is at 8 (num holds a u64); num's own payload at 8 more.
		if args[8] == "fail" {
			mem.WriteByte(out, 1)
			mem.WriteByte(out+8, 0) // num.small
			mem.WriteUint32Le(out+16, 42)
			return
		}
		mem.WriteByte(out, 0)
		list := alloc(ctx, 2*12, 4)
		mem.WriteByte(list, 1)
		putStr(ctx, list+4, args[0]+args[1]+args[2])
		mem.WriteByte(list+12, 0)
		mem.WriteUint32Le(out+8, list)
		mem.WriteUint32Le(out+12, 2)
	}), []api.ValueType{api.ValueTypeI32, api.ValueTypeI32}, nil).Export("spill").
		NewFunctionBuilder().WithGoModuleFunction(api.GoModuleFunc(func(ctx context.Context, m api.Module, stack []uint64) {
		h := uint32(len(things) + 1)
		things[h] = uint32(stack[0]) * 2
		stack[0] = uint64(h)
	}), []api.ValueType{api.ValueTypeI32}, []api.ValueType{api.ValueTypeI32}).Export("[static]thing.make").
		NewFunctionBuilder().WithGoModuleFunction(api.GoModuleFunc(func(ctx context.Context, m api.Module, stack []uint64) {
		stack[0] = uint64(things[uint32(stack[0])])
	}), []api.ValueType{api.ValueTypeI32}, []api.ValueType{api.ValueTypeI32}).Export("[method]thing.get").
		NewFunctionBuilder().WithGoModuleFunction(api.GoModuleFunc(func(ctx context.Context, m api.Module, stack []uint64) {
		delete(things, uint32(stack[0]))
	}), []api.ValueType{api.ValueTypeI32}, nil).Export("[resource-drop]thing").
		Instantiate(ctx)
	if err != nil {
		t.Fatal(err)
	}
	mod, err := rt.Instantiate(ctx, wasm)
	if err != nil {
		t.Fatal(err)
	}
	mem = mod.Memory()
	realloc = mod.ExportedFunction("cabi_realloc")
	if realloc == nil {
		t.Fatal("cabi_realloc is not exported")
	}
	call := func(name string) uint64 {
		t.Helper()
		r, err := mod.ExportedFunction(name).Call(ctx)
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		return r[0]
	}

	call("runFlat")
	f32 := uint64(0x3fc00000)         // 1.5 as f32 bits, zero-extended into the i64 slot
	f64 := uint64(0x4002000000000000) // 2.25 as f64 bits
	want := [][]uint64{
		{0, 7, 1, 0x1F600},
		{1, 1 << 40, 0, 65},
		{2, f32, 0, 0},
		{3, f64, 0, 0},
		{4, 0, 0, 0},
	}
	if !slices.EqualFunc(flats, want, slices.Equal) {
		t.Errorf("flat values %x, want %x", flats, want)
	}
	if got := call("runEcho"); got != 0 {
		t.Errorf("runEcho failed check %d", got)
	}
	if got := call("runSpill"); got != 0 {
		t.Errorf("runSpill failed check %d", got)
	}
	if got := call("runThing"); got != 10 || len(things) != 0 {
		t.Errorf("runThing = %d, things %v; want 10 and none left", got, things)
	}
}

// deepCopy replaces every string and list in the value of type t at addr
// with a copy the guest's cabi_realloc allocated.
func deepCopy(ctx context.Context, mem api.Memory, alloc func(context.Context, uint32, uint32) uint32, addr uint32, t wit.Type) {
	switch k := kindOf(t).(type) {
	case wit.String, *wit.List:
		elem := wit.Type(wit.U8{})
		if l, ok := k.(*wit.List); ok {
			elem = l.Type
		}
		p, _ := mem.ReadUint32Le(addr)
		n, _ := mem.ReadUint32Le(addr + 4)
		if n == 0 {
			return
		}
		size := uint32(elem.Size())
		b, _ := mem.Read(p, n*size)
		q := alloc(ctx, n*size, uint32(elem.Align()))
		mem.Write(q, slices.Clone(b))
		mem.WriteUint32Le(addr, q)
		for i := range n {
			deepCopy(ctx, mem, alloc, q+i*size, elem)
		}
	case *wit.Record:
		var off uintptr
		for _, f := range k.Fields {
			off = alignTo(off, f.Type.Align())
			deepCopy(ctx, mem, alloc, addr+uint32(off), f.Type)
			off += f.Type.Size()
		}
	case *wit.Tuple:
		var off uintptr
		for _, e := range k.Types {
			off = alignTo(off, e.Align())
			deepCopy(ctx, mem, alloc, addr+uint32(off), e)
			off += e.Size()
		}
	case *wit.Option:
		if d, _ := mem.ReadByte(addr); d != 0 {
			deepCopy(ctx, mem, alloc, addr+uint32(payloadOffset(2, k.Type.Align())), k.Type)
		}
	case *wit.Variant:
		cs, _ := variantOf(k)
		d, _ := mem.ReadByte(addr)
		if c := cs[d]; c.typ != nil {
			deepCopy(ctx, mem, alloc, addr+uint32(payloadOffset(len(cs), maxCaseAlign(cs))), c.typ)
		}
	}
}

// asExportsWIT has exports with results: lowered into a return area
// (result<list<u8>, string>, result<_, string>, a record) or returned
// directly (u32).
const asExportsWIT = `package t:x;
interface e {
  record info { name: string, n: u32 }
  call: func(method: string, args: list<u8>) -> result<list<u8>, string>;
  alarm: func(fail: bool) -> result<_, string>;
  describe: func() -> info;
  twice: func(x: u32) -> u32;
}
world w { export e; }
`

// TestASExportResults calls exports with results as the host does: it
// reads the return area, then calls the post-return, which frees it (the
// guest's allocation count, cabi's mark, is back where it was).
func TestASExportResults(t *testing.T) {
	files, err := genASRes(loadWIT(t, asExportsWIT), "w", "t:x/e")
	if err != nil {
		t.Fatal(err)
	}
	main := `export * from "./as/exports";
import { Result, mark } from "./as/cabi";
import { Info, setAlarm, setCall, setDescribe, setTwice } from "./as/x_e";

export function marks(): usize {
  return mark();
}

setCall((method: string, args: Uint8Array): Result<Uint8Array, string> => {
  if (method == "fail") return Result.err<Uint8Array, string>("no: " + method);
  const out = new Uint8Array(args.length + 1);
  out.set(args, 1);
  out[0] = <u8>method.length;
  return Result.ok<Uint8Array, string>(out);
});
setAlarm((fail: bool): string | null => (fail ? "alarm failed" : null));
setDescribe((): Info => {
  const i = new Info();
  i.name = "héllo";
  i.n = 7;
  return i;
});
setTwice((x: u32): u32 => x * 2);
`
	wasm := compileAS(t, files, main)
	ctx := context.Background()
	rt := wazero.NewRuntime(ctx)
	defer rt.Close(ctx)
	mod, err := rt.Instantiate(ctx, wasm) // the start function runs the setters
	if err != nil {
		t.Fatal(err)
	}
	mem := mod.Memory()
	realloc := mod.ExportedFunction("cabi_realloc")
	put := func(b []byte) uint64 {
		r, err := realloc.Call(ctx, 0, 0, 1, uint64(len(b)))
		if err != nil {
			t.Fatal(err)
		}
		mem.Write(uint32(r[0]), b)
		return r[0]
	}
	u32 := func(addr uint32) uint32 {
		v, _ := mem.ReadUint32Le(addr)
		return v
	}
	bytesAt := func(addr uint32) string {
		b, _ := mem.Read(u32(addr), u32(addr+4))
		return string(b)
	}
	marks := func() uint64 {
		r, err := mod.ExportedFunction("marks").Call(ctx)
		if err != nil {
			t.Fatal(err)
		}
		return r[0]
	}
	// call runs export _export_x_e_<name> with args, checks the return
	// area with check, and runs its post-return.
	call := func(name string, check func(ret uint32), args ...uint64) {
		t.Helper()
		before := marks()
		r, err := mod.ExportedFunction("_export_x_e_"+name).Call(ctx, args...)
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		check(uint32(r[0]))
		if _, err := mod.ExportedFunction("_post_x_e_"+name).Call(ctx, r[0]); err != nil {
			t.Fatalf("post %s: %v", name, err)
		}
		if after := marks(); after != before {
			t.Errorf("%s: %d allocations left after the post-return, want %d", name, after, before)
		}
	}
	call("call", func(ret uint32) {
		if d, _ := mem.ReadByte(ret); d != 0 || bytesAt(ret+4) != "\x03\x01\x02" {
			t.Errorf("call ok: tag %d, %q", d, bytesAt(ret+4))
		}
	}, put([]byte("abc")), 3, put([]byte{1, 2}), 2)
	call("call", func(ret uint32) {
		if d, _ := mem.ReadByte(ret); d != 1 || bytesAt(ret+4) != "no: fail" {
			t.Errorf("call err: tag %d, %q", d, bytesAt(ret+4))
		}
	}, put([]byte("fail")), 4, put(nil), 0)
	call("alarm", func(ret uint32) {
		if d, _ := mem.ReadByte(ret); d != 1 || bytesAt(ret+4) != "alarm failed" {
			t.Errorf("alarm err: tag %d, %q", d, bytesAt(ret+4))
		}
	}, 1)
	call("alarm", func(ret uint32) {
		if d, _ := mem.ReadByte(ret); d != 0 {
			t.Errorf("alarm ok: tag %d", d)
		}
	}, 0)
	call("describe", func(ret uint32) {
		if bytesAt(ret) != "héllo" || u32(ret+8) != 7 {
			t.Errorf("describe: %q %d", bytesAt(ret), u32(ret+8))
		}
	})
	r, err := mod.ExportedFunction("_export_x_e_twice").Call(ctx, 21)
	if err != nil || r[0] != 42 {
		t.Errorf("twice(21) = %v, %v", r, err)
	}
}
