package bindgen

import (
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"sync"
	"testing"

	"github.com/bindery-run/bindery/abi"
	lh "github.com/bindery-run/bindery/abi/bindgen/testdata/layouthost"
	"github.com/tetratelabs/wazero"
	"github.com/tetratelabs/wazero/api"
	"go.bytecodealliance.org/wit"
)

// These tests run the host glue generated from testdata/layout (committed
// in testdata/layouthost, kept fresh by TestLayoutGolden) against
// testdata/layoutguest.wat. Values go into guest memory through a reference
// encoder written from the spec (refStore, with the offsets of
// layout_test.go), come out of the generated lifting code, are lowered again
// by the generated code, and are read back by the reference decoder.

// layoutHost implements lh.TypesHost and records what it was called with.
type layoutHost struct {
	mixed []lh.Mixed
	big   []lh.WithBig
	small lh.Small
	opt   abi.Option[uint64]
	shape lh.Shape
	char  rune
	spill string
}

func (h *layoutHost) EchoMixed(_ context.Context, x []lh.Mixed) []lh.Mixed { h.mixed = x; return x }
func (h *layoutHost) EchoBig(_ context.Context, x []lh.WithBig) []lh.WithBig {
	h.big = x
	return x
}

func (h *layoutHost) FlatSmall(_ context.Context, x lh.Small, y abi.Option[uint64], z lh.Shape) uint32 {
	h.small, h.opt, h.shape = x, y, z
	return 0x5eed
}

func (h *layoutHost) Spilled(_ context.Context, x lh.Mixed, y lh.Small, z string) lh.Mixed {
	if y != (lh.Small{A: 9, B: 0x1234, C: 7}) {
		panic(fmt.Sprintf("spilled: small = %+v", y))
	}
	h.spill = z
	return x
}

func (h *layoutHost) CharOf(_ context.Context, c rune) uint32 { h.char = c; return uint32(c) + 1 }

func (h *layoutHost) Fail(_ context.Context, code uint8) (lh.Small, *lh.Shape) {
	switch code {
	case 0:
		return lh.Small{A: 0x11, B: 0x2233, C: 0x44}, nil
	case 1:
		return lh.Small{}, &lh.Shape{Tag: lh.ShapeText, Text: "boom"}
	}
	return lh.Small{}, &lh.Shape{Tag: lh.ShapeWide, Wide: 0xfedcba9876543210}
}

var (
	lrOnce     sync.Once
	lrRuntime  wazero.Runtime
	lrCompiled wazero.CompiledModule
	lrErr      error
)

// layoutGuest is one instance of testdata/layoutguest.wat.
type layoutGuest struct {
	tb    testing.TB
	mod   api.Module
	inst  *abi.Instance
	host  *layoutHost
	ctx   context.Context
	codec *refCodec
}

func newLayoutGuest(tb testing.TB) *layoutGuest {
	tb.Helper()
	ctx := context.Background()
	lrOnce.Do(func() {
		lrRuntime = wazero.NewRuntime(ctx)
		hb := lrRuntime.NewHostModuleBuilder(lh.TypesInterface)
		lh.DefineTypes(hb, 0)
		if _, lrErr = hb.Instantiate(ctx); lrErr != nil {
			return
		}
		var wasm []byte
		if wasm, lrErr = os.ReadFile(filepath.Join("testdata", "layoutguest.wasm")); lrErr != nil {
			return
		}
		lrCompiled, lrErr = lrRuntime.CompileModule(ctx, wasm)
	})
	if lrErr != nil {
		tb.Fatal(lrErr)
	}
	mod, err := lrRuntime.InstantiateModule(ctx, lrCompiled, wazero.NewModuleConfig().WithName(""))
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { mod.Close(ctx) })
	host := &layoutHost{}
	inst, err := abi.NewInstance(mod, []any{host})
	if err != nil {
		tb.Fatal(err)
	}
	return &layoutGuest{tb: tb, mod: mod, inst: inst, host: host, ctx: abi.WithInstance(ctx, inst),
		codec: &refCodec{tb: tb, mem: mod.Memory(), next: 0x2000}}
}

func (g *layoutGuest) call(fn string, args ...uint64) ([]uint64, error) {
	g.tb.Helper()
	f := g.mod.ExportedFunction(fn)
	if f == nil {
		g.tb.Fatalf("no export %q", fn)
	}
	return f.Call(g.ctx, args...)
}

func (g *layoutGuest) global(name string) uint32 { return uint32(g.mod.ExportedGlobal(name).Get()) }

// refCodec stores and loads Go values of the generated types in guest
// memory following the spec, independently of the generated code. Its
// allocations come from [next, 0x20000).
type refCodec struct {
	tb   testing.TB
	mem  api.Memory
	next uint32
}

func (c *refCodec) alloc(size, align uintptr) uint32 {
	p := uint32(refAlignTo(uintptr(c.next), align))
	c.next = p + uint32(size)
	if c.next > 0x20000 {
		c.tb.Fatal("refCodec: out of test memory")
	}
	return p
}

func (c *refCodec) put(addr uint32, size uintptr, v uint64) {
	b := binary.LittleEndian.AppendUint64(nil, v)[:size]
	if !c.mem.Write(addr, b) {
		c.tb.Fatalf("refCodec: write at %#x", addr)
	}
}

func (c *refCodec) get(addr uint32, size uintptr) uint64 {
	b, ok := c.mem.Read(addr, uint32(size))
	if !ok {
		c.tb.Fatalf("refCodec: read %d bytes at %#x", size, addr)
	}
	var buf [8]byte
	copy(buf[:], b)
	return binary.LittleEndian.Uint64(buf[:])
}

func bits(v reflect.Value) uint64 {
	switch v.Kind() {
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		return uint64(v.Int())
	}
	return v.Uint()
}

func setBits(v reflect.Value, u uint64, size uintptr) {
	switch v.Kind() {
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		shift := 64 - 8*size
		v.SetInt(int64(u<<shift) >> shift) // sign-extend
	default:
		v.SetUint(u)
	}
}

// fieldName is the Go field of field i of a record-like kind.
func fieldName(k wit.TypeDefKind, i int) string {
	if r, ok := k.(*wit.Record); ok {
		return goName(r.Fields[i].Name)
	}
	return fmt.Sprintf("F%d", i)
}

// caseField is the Go field holding the payload of case i of a variant.
func caseField(k *wit.Variant, i int) string { return goName(k.Cases[i].Name) }

func (c *refCodec) store(t wit.Type, v reflect.Value, addr uint32) {
	switch k := refKind(t).(type) {
	case wit.Bool:
		var b uint64
		if v.Bool() {
			b = 1
		}
		c.put(addr, 1, b)
	case wit.U8, wit.S8, wit.U16, wit.S16, wit.U32, wit.S32, wit.U64, wit.S64, wit.Char:
		c.put(addr, refSize(t), bits(v))
	case wit.F32:
		c.put(addr, 4, uint64(math.Float32bits(float32(v.Float()))))
	case wit.F64:
		c.put(addr, 8, math.Float64bits(v.Float()))
	case wit.String:
		s := v.String()
		p := c.alloc(uintptr(len(s)), 1)
		c.mem.WriteString(p, s)
		c.put(addr, 4, uint64(p))
		c.put(addr+4, 4, uint64(len(s)))
	case *wit.List:
		es := refSize(k.Type)
		p := c.alloc(uintptr(v.Len())*es, refAlign(k.Type))
		for i := range v.Len() {
			c.store(k.Type, v.Index(i), p+uint32(uintptr(i)*es))
		}
		c.put(addr, 4, uint64(p))
		c.put(addr+4, 4, uint64(v.Len()))
	default:
		if fs, ok := refFields(k); ok {
			for i, off := range refOffsets(fs) {
				c.store(fs[i], v.FieldByName(fieldName(k, i)), addr+uint32(off))
			}
			return
		}
		cs, ok := refCases(k)
		if !ok {
			c.tb.Fatalf("refCodec: cannot store %T", k)
		}
		var disc uint64
		var payload reflect.Value
		switch k := k.(type) {
		case *wit.Option:
			if v.FieldByName("Some").Bool() {
				disc, payload = 1, v.FieldByName("Value")
			}
		case *wit.Enum:
			disc = bits(v)
		case *wit.Variant:
			disc = bits(v.FieldByName("Tag"))
			if cs[disc] != nil {
				payload = v.FieldByName(caseField(k, int(disc)))
			}
		default:
			c.tb.Fatalf("refCodec: cannot store %T", k)
		}
		c.put(addr, refDisc(len(cs)), disc)
		if payload.IsValid() {
			c.store(cs[disc], payload, addr+uint32(refPayload(cs)))
		}
	}
}

// load reads a value of WIT type t and Go type gt at addr.
func (c *refCodec) load(t wit.Type, gt reflect.Type, addr uint32) reflect.Value {
	v := reflect.New(gt).Elem()
	switch k := refKind(t).(type) {
	case wit.Bool:
		v.SetBool(c.get(addr, 1) != 0)
	case wit.U8, wit.S8, wit.U16, wit.S16, wit.U32, wit.S32, wit.U64, wit.S64, wit.Char:
		setBits(v, c.get(addr, refSize(t)), refSize(t))
	case wit.F32:
		v.SetFloat(float64(math.Float32frombits(uint32(c.get(addr, 4)))))
	case wit.F64:
		v.SetFloat(math.Float64frombits(c.get(addr, 8)))
	case wit.String:
		p, n := uint32(c.get(addr, 4)), uint32(c.get(addr+4, 4))
		b, ok := c.mem.Read(p, n)
		if !ok {
			c.tb.Fatalf("refCodec: string at %#x+%d out of bounds", p, n)
		}
		v.SetString(string(b))
	case *wit.List:
		p, n := uint32(c.get(addr, 4)), int(c.get(addr+4, 4))
		if p%uint32(refAlign(k.Type)) != 0 {
			c.tb.Errorf("refCodec: list at %#x is misaligned for %d", p, refAlign(k.Type))
		}
		es := refSize(k.Type)
		s := reflect.MakeSlice(gt, n, n)
		for i := range n {
			s.Index(i).Set(c.load(k.Type, gt.Elem(), p+uint32(uintptr(i)*es)))
		}
		v.Set(s)
	default:
		if fs, ok := refFields(k); ok {
			for i, off := range refOffsets(fs) {
				f := v.FieldByName(fieldName(k, i))
				f.Set(c.load(fs[i], f.Type(), addr+uint32(off)))
			}
			return v
		}
		cs, ok := refCases(k)
		if !ok {
			c.tb.Fatalf("refCodec: cannot load %T", k)
		}
		disc := c.get(addr, refDisc(len(cs)))
		if disc >= uint64(len(cs)) {
			c.tb.Fatalf("refCodec: discriminant %d of %d cases at %#x", disc, len(cs), addr)
		}
		po := addr + uint32(refPayload(cs))
		switch k := k.(type) {
		case *wit.Option:
			if disc == 1 {
				v.FieldByName("Some").SetBool(true)
				f := v.FieldByName("Value")
				f.Set(c.load(cs[1], f.Type(), po))
			}
		case *wit.Enum:
			setBits(v, disc, refDisc(len(cs)))
		case *wit.Variant:
			setBits(v.FieldByName("Tag"), disc, 1)
			if cs[disc] != nil {
				f := v.FieldByName(caseField(k, int(disc)))
				f.Set(c.load(cs[disc], f.Type(), po))
			}
		default:
			c.tb.Fatalf("refCodec: cannot load %T", k)
		}
	}
	return v
}

// witFunc returns the function name of interface iface in the layout WIT.
func witFunc(tb testing.TB, iface, name string) *wit.Function {
	tb.Helper()
	for _, i := range layoutWIT(tb).Interfaces {
		if i.Name != nil && *i.Name == iface {
			if f := i.Functions.Get(name); f != nil {
				return f
			}
		}
	}
	tb.Fatalf("no function %s in %s", name, iface)
	return nil
}

// same compares two values by their printed form, in which a nil slice and
// an empty one look alike (the generated code makes either).
func same(a, b any) bool { return fmt.Sprintf("%+v", a) == fmt.Sprintf("%+v", b) }

// mixedValues covers every field of mixed, and every case of shape.
func mixedValues() []lh.Mixed {
	base := lh.Mixed{
		A: 0xa1, B: 0x0102030405060708, C: "héllo, 世界", D: 0xbeef,
		E: []uint32{1, 0xffffffff, 0x80000000}, F: true,
		G: abi.Some[uint8](7), H: abi.Some[uint64](1<<63 + 5),
		I: abi.Tuple2[uint8, uint64]{F0: 9, F1: 1 << 40}, J: -2,
		K: []lh.Small{{A: 1, B: 2, C: 3}, {A: 0xff, B: 0xffff, C: 0xfe}},
		L: lh.Shape{Tag: lh.ShapeText, Text: "shape text"},
		M: abi.Some("meta"), N: -128, O: 1.5, P: -2.25, Q: '世', R: -1 << 40, S: -7,
		T: []byte{0, 1, 0xff}, U: 0xcafebabe,
	}
	second := lh.Mixed{ // nones, empties, extremes
		A: 0, B: math.MaxUint64, C: "", D: 0, F: false, J: math.MinInt16, N: math.MaxInt8,
		O: float32(math.Inf(-1)), P: math.SmallestNonzeroFloat64, Q: 0x10ffff, R: math.MinInt64,
		S: math.MinInt32, U: 0, L: lh.Shape{Tag: lh.ShapeEmpty},
	}
	out := []lh.Mixed{base, second}
	for _, sh := range []lh.Shape{
		{Tag: lh.ShapeByte, Byte: 0xfe},
		{Tag: lh.ShapeWide, Wide: 0xfedcba9876543210},
		{Tag: lh.ShapePair, Pair: lh.Small{A: 0x10, B: 0x2030, C: 0x40}},
		{Tag: lh.ShapePainted, Painted: lh.ColorBlue},
	} {
		m := base
		m.L = sh
		m.G, m.M = abi.None[uint8](), abi.None[string]()
		out = append(out, m)
	}
	return out
}

func TestLayoutEchoMixed(t *testing.T) {
	g := newLayoutGuest(t)
	in := mixedValues()
	lt := witFunc(t, "types", "echo-mixed").Params[0].Type
	const arg, ret = 0x1000, 0x1008
	g.codec.store(lt, reflect.ValueOf(in), arg)
	if _, err := g.call("echo-mixed", uint64(g.codec.get(arg, 4)), uint64(len(in)), ret); err != nil {
		t.Fatal(err)
	}
	// Lifted by the generated code (hostLiftList, loadMixed, ...).
	for i := range in {
		if i >= len(g.host.mixed) || !same(g.host.mixed[i], in[i]) {
			t.Fatalf("host got element %d:\n%+v\nwant\n%+v", i, g.host.mixed[min(i, len(g.host.mixed)-1)], in[i])
		}
	}
	// Lowered by the generated code (AllocList, storeMixed, ...).
	out := g.codec.load(lt, reflect.TypeOf(in), ret).Interface().([]lh.Mixed)
	if len(out) != len(in) {
		t.Fatalf("guest got %d elements, want %d", len(out), len(in))
	}
	for i := range in {
		if !same(out[i], in[i]) {
			t.Errorf("guest got element %d:\n%+v\nwant\n%+v", i, out[i], in[i])
		}
	}
}

func TestLayoutEchoBig(t *testing.T) {
	in := []lh.WithBig{{Pre: 1, B: lh.BigC0, Post: 2}, {Pre: 3, B: lh.BigC255, Post: 4}, {Pre: 0xff, B: lh.BigC256, Post: 0xfe}}
	g := newLayoutGuest(t)
	lt := witFunc(t, "types", "echo-big").Params[0].Type
	const arg, ret = 0x1000, 0x1008
	g.codec.store(lt, reflect.ValueOf(in), arg)
	if _, err := g.call("echo-big", g.codec.get(arg, 4), uint64(len(in)), ret); err != nil {
		t.Fatal(err)
	}
	if !same(g.host.big, in) {
		t.Errorf("host got %+v, want %+v", g.host.big, in)
	}
	if out := g.codec.load(lt, reflect.TypeOf(in), ret).Interface(); !same(out, in) {
		t.Errorf("guest got %+v, want %+v", out, in)
	}
	// A discriminant of 257 for 257 cases traps.
	g = newLayoutGuest(t)
	g.codec.store(lt, reflect.ValueOf(in), arg)
	p := uint32(g.codec.get(arg, 4))
	g.codec.put(p+6+2, 2, 257) // element 1's b
	_, err := g.call("echo-big", uint64(p), uint64(len(in)), ret)
	checkLayoutTrap(t, g, err, "invalid discriminant for big")
}

func checkLayoutTrap(tb testing.TB, g *layoutGuest, err error, want string) {
	tb.Helper()
	if err == nil {
		tb.Fatalf("no trap, want %q", want)
	}
	if !errors.Is(err, abi.ErrTrap) || !strings.Contains(err.Error(), want) {
		tb.Fatalf("error %v, want a trap containing %q", err, want)
	}
	if g.inst.Poisoned() == nil {
		tb.Errorf("instance not poisoned")
	}
}

func TestLayoutFlatParams(t *testing.T) {
	// flat-small(x: small, y: option<u64>, z: shape) flattens to
	// x: i32 i32 i32; y: i32 i64; z: i32 + the join of its cases: i64 i32 i32.
	const str = 0x1000
	hi := uint64(0xdeadbeef) << 32 // garbage in the upper half of a joined i64 slot
	tests := []struct {
		name     string
		args     [9]uint64
		small    lh.Small
		opt      abi.Option[uint64]
		shape    lh.Shape
		wantTrap string
	}{
		{name: "empty, none", args: [9]uint64{1, 0x203, 4, 0, 0x77, 0, 0x99, 0x98, 0x97},
			small: lh.Small{A: 1, B: 0x203, C: 4}, shape: lh.Shape{Tag: lh.ShapeEmpty}},
		{name: "small fields narrow", args: [9]uint64{0x1ff, 0x1fffe, 0xffffff03, 1, math.MaxUint64, 0},
			small: lh.Small{A: 0xff, B: 0xfffe, C: 3}, opt: abi.Some[uint64](math.MaxUint64), shape: lh.Shape{Tag: lh.ShapeEmpty}},
		{name: "byte from an i64 slot", args: [9]uint64{0, 0, 0, 0, 0, 1, hi | 0x1ab},
			shape: lh.Shape{Tag: lh.ShapeByte, Byte: 0xab}},
		{name: "wide", args: [9]uint64{0, 0, 0, 0, 0, 2, 0xfedcba9876543210},
			shape: lh.Shape{Tag: lh.ShapeWide, Wide: 0xfedcba9876543210}},
		{name: "text pointer from an i64 slot", args: [9]uint64{0, 0, 0, 0, 0, 3, hi | str, 5},
			shape: lh.Shape{Tag: lh.ShapeText, Text: "hello"}},
		{name: "pair", args: [9]uint64{0, 0, 0, 0, 0, 4, hi | 5, 0x10006, 7},
			shape: lh.Shape{Tag: lh.ShapePair, Pair: lh.Small{A: 5, B: 6, C: 7}}},
		{name: "painted", args: [9]uint64{0, 0, 0, 0, 0, 5, hi | 2},
			shape: lh.Shape{Tag: lh.ShapePainted, Painted: lh.ColorBlue}},
		{name: "bad option discriminant", args: [9]uint64{0, 0, 0, 2, 0, 0}, wantTrap: "invalid discriminant"},
		{name: "bad shape discriminant", args: [9]uint64{0, 0, 0, 0, 0, 6}, wantTrap: "invalid discriminant 6 for shape"},
		{name: "bad enum in a payload", args: [9]uint64{0, 0, 0, 0, 0, 5, 3}, wantTrap: "invalid discriminant 3 for color"},
		{name: "text not UTF-8", args: [9]uint64{0, 0, 0, 0, 0, 3, str + 5, 1}, wantTrap: "not valid UTF-8"},
		{name: "text out of bounds", args: [9]uint64{0, 0, 0, 0, 0, 3, 0x3fffe, 3}, wantTrap: "out of bounds"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			g := newLayoutGuest(t)
			g.mod.Memory().WriteString(str, "hello\xff")
			res, err := g.call("flat-small", tt.args[:]...)
			if tt.wantTrap != "" {
				checkLayoutTrap(t, g, err, tt.wantTrap)
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if res[0] != 0x5eed {
				t.Errorf("result %#x", res[0])
			}
			h := g.host
			if !same(h.small, tt.small) || !same(h.opt, tt.opt) || !same(h.shape, tt.shape) {
				t.Errorf("host got %+v %+v %+v, want %+v %+v %+v", h.small, h.opt, h.shape, tt.small, tt.opt, tt.shape)
			}
		})
	}
}

func TestLayoutChar(t *testing.T) {
	tests := []struct {
		c     uint32
		valid bool
	}{
		{0, true}, {'a', true}, {0xd7ff, true}, {0xd800, false}, {0xdfff, false}, {0xe000, true},
		{0x10ffff, true}, {0x110000, false}, {0x7fffffff, false}, {0x80000000, false}, {0xffffffff, false},
	}
	for _, tt := range tests {
		t.Run(fmt.Sprintf("%#x", tt.c), func(t *testing.T) {
			t.Parallel()
			g := newLayoutGuest(t)
			res, err := g.call("char-of", uint64(tt.c))
			if !tt.valid {
				checkLayoutTrap(t, g, err, "invalid char")
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if g.host.char != rune(tt.c) || uint32(res[0]) != tt.c+1 {
				t.Errorf("host got %#x, returned %#x", g.host.char, res[0])
			}
		})
	}
}

func TestLayoutResult(t *testing.T) {
	f := witFunc(t, "types", "fail")
	r := refKind(f.Results[0].Type).(*wit.Result)
	cs, _ := refCases(r)
	if refPayload(cs) != 8 {
		t.Fatalf("result<small, shape> payload at %d, want 8", refPayload(cs))
	}
	tests := []struct {
		name     string
		code     uint8
		ret      uint32
		want     string
		wantTrap string
	}{
		{name: "ok", code: 0, ret: 0x1000, want: "ok " + fmt.Sprintf("%+v", lh.Small{A: 0x11, B: 0x2233, C: 0x44})},
		{name: "err text", code: 1, ret: 0x1000, want: "err " + fmt.Sprintf("%+v", lh.Shape{Tag: lh.ShapeText, Text: "boom"})},
		{name: "err wide", code: 2, ret: 0x1000, want: "err " + fmt.Sprintf("%+v", lh.Shape{Tag: lh.ShapeWide, Wide: 0xfedcba9876543210})},
		{name: "return area misaligned", code: 0, ret: 0x1004, wantTrap: "not aligned to 8"},
		{name: "return area out of bounds", code: 0, ret: 4*65536 - 16, wantTrap: "out of bounds"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			g := newLayoutGuest(t)
			_, err := g.call("fail", uint64(tt.code), uint64(tt.ret))
			if tt.wantTrap != "" {
				checkLayoutTrap(t, g, err, tt.wantTrap)
				if b, _ := g.mod.Memory().Read(0x1000, 32); strings.Trim(string(b), "\x00") != "" {
					t.Errorf("trapping call wrote to guest memory: %x", b)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			po := tt.ret + uint32(refPayload(cs))
			var got string
			switch g.codec.get(tt.ret, 1) {
			case 0:
				got = fmt.Sprintf("ok %+v", g.codec.load(r.OK, reflect.TypeOf(lh.Small{}), po).Interface())
			case 1:
				got = fmt.Sprintf("err %+v", g.codec.load(r.Err, reflect.TypeOf(lh.Shape{}), po).Interface())
			default:
				t.Fatalf("discriminant %d", g.codec.get(tt.ret, 1))
			}
			if got != tt.want {
				t.Errorf("got %s, want %s", got, tt.want)
			}
		})
	}
}

func TestLayoutExport(t *testing.T) {
	in := mixedValues()
	lt := witFunc(t, "exports", "make-mixed").Results[0].Type
	tests := []struct {
		name     string
		out      uint32 // where the guest says the result is
		corrupt  func(c *refCodec, list uint32)
		wantTrap string
	}{
		{name: "ok", out: 0x1000},
		{name: "result misaligned", out: 0x1002, wantTrap: "not aligned"},
		{name: "result out of bounds", out: 4*65536 - 4, wantTrap: "out of bounds"},
		{name: "list misaligned", out: 0x1000, corrupt: func(c *refCodec, list uint32) { c.put(0x1000, 4, uint64(list+4)) }, wantTrap: "not aligned to 8"},
		{name: "list too long", out: 0x1000, corrupt: func(c *refCodec, _ uint32) { c.put(0x1004, 4, 1<<20) }, wantTrap: "out of bounds"},
		{name: "bad char", out: 0x1000, corrupt: func(c *refCodec, list uint32) { c.put(list+136, 4, 0xd800) }, wantTrap: "invalid char"},
		{name: "bad option", out: 0x1000, corrupt: func(c *refCodec, list uint32) { c.put(list+40, 1, 2) }, wantTrap: "invalid discriminant"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			g := newLayoutGuest(t)
			g.codec.store(lt, reflect.ValueOf(in), 0x1000)
			if tt.corrupt != nil {
				tt.corrupt(g.codec, uint32(g.codec.get(0x1000, 4)))
			}
			g.mod.ExportedGlobal("out").(api.MutableGlobal).Set(uint64(tt.out))
			ex, err := lh.NewExportsExports(g.mod)
			if err != nil {
				t.Fatal(err)
			}
			got, err := ex.MakeMixed(g.ctx, g.inst, "tag!")
			if tt.wantTrap != "" {
				checkLayoutTrap(t, g, err, tt.wantTrap)
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if !same(got, in) {
				t.Errorf("MakeMixed = %+v\nwant %+v", got, in)
			}
			if b, _ := g.mod.Memory().Read(g.global("tag_ptr"), g.global("tag_len")); string(b) != "tag!" {
				t.Errorf("the guest got the tag %q", b)
			}
			if g.global("posts") != 1 || g.global("post_arg") != tt.out {
				t.Errorf("post-return called %d times with %#x, want once with %#x", g.global("posts"), g.global("post_arg"), tt.out)
			}
		})
	}
}
