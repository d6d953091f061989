package abi_test

import (
	"context"
	"encoding/binary"
	"errors"
	"strings"
	"sync"
	"testing"

	"github.com/bindery-run/bindery/abi"
	"github.com/bindery-run/bindery/bindings/kv/kvwit"
	"github.com/tetratelabs/wazero/api"
)

// These tests drive the generated host glue of bindery:kv/store
// (bindings/kv/kvwit) through testdata/kvguest.wat, which forwards its
// arguments unchanged to the imports: the test plays a guest that can pass
// any core values.

// fakeNS is a small, bounded KV namespace: its answers never allocate much
// guest memory, whatever the arguments.
type fakeNS struct{ drops int }

func trunc(s string) string { return s[:min(len(s), 16)] }

func kvErr(tag kvwit.ErrorTag, msg string) *kvwit.Error {
	e := &kvwit.Error{Tag: tag}
	switch tag {
	case kvwit.ErrorNoSuchNamespace:
		e.NoSuchNamespace = msg
	case kvwit.ErrorInvalidKey:
		e.InvalidKey = msg
	case kvwit.ErrorTooLarge:
		e.TooLarge = msg
	case kvwit.ErrorInvalidArgument:
		e.InvalidArgument = msg
	default:
		e.Internal = msg
	}
	return e
}

func (n *fakeNS) Drop(context.Context) { n.drops++ }

func (n *fakeNS) Get(_ context.Context, key string) (abi.Option[[]byte], *kvwit.Error) {
	switch key {
	case "":
		return abi.None[[]byte](), kvErr(kvwit.ErrorInvalidKey, "empty key")
	case "missing":
		return abi.None[[]byte](), nil
	case "internal":
		return abi.None[[]byte](), kvErr(kvwit.ErrorInternal, "disk on fire")
	}
	return abi.Some([]byte("value of " + trunc(key))), nil
}

func (n *fakeNS) vwm(key string) abi.Option[kvwit.ValueWithMetadata] {
	if key == "missing" {
		return abi.None[kvwit.ValueWithMetadata]()
	}
	v := kvwit.ValueWithMetadata{Value: []byte(trunc(key))}
	if strings.HasPrefix(key, "m") {
		v.Metadata = abi.Some(`{"k":1}`)
	}
	return abi.Some(v)
}

func (n *fakeNS) GetWithMetadata(_ context.Context, key string) (abi.Option[kvwit.ValueWithMetadata], *kvwit.Error) {
	if key == "" {
		return abi.None[kvwit.ValueWithMetadata](), kvErr(kvwit.ErrorInvalidKey, "empty key")
	}
	return n.vwm(key), nil
}

func (n *fakeNS) GetMany(_ context.Context, keys []string) ([]abi.Option[kvwit.ValueWithMetadata], *kvwit.Error) {
	if len(keys) > 100 {
		return nil, kvErr(kvwit.ErrorTooLarge, "more than 100 keys")
	}
	var out []abi.Option[kvwit.ValueWithMetadata]
	for _, k := range keys {
		out = append(out, n.vwm(k))
	}
	return out, nil
}

func (n *fakeNS) ListKeys(_ context.Context, o kvwit.ListOptions) (kvwit.ListResult, *kvwit.Error) {
	limit := uint32(3)
	if o.Limit.Some {
		limit = o.Limit.Value
	}
	if limit > 10 {
		return kvwit.ListResult{}, kvErr(kvwit.ErrorInvalidArgument, "limit over 10")
	}
	var r kvwit.ListResult
	for i := range limit {
		k := kvwit.KeyInfo{Name: trunc(o.Prefix.Value) + string(rune('a'+i))}
		if i%2 == 1 {
			k.Expiration = abi.Some(uint64(1_700_000_000 + i))
		}
		if i%3 == 0 {
			k.Metadata = abi.Some("m")
		}
		r.Keys = append(r.Keys, k)
	}
	r.ListComplete = limit < 3
	if !r.ListComplete {
		r.Cursor = abi.Some("next")
	}
	return r, nil
}

func (n *fakeNS) Put(_ context.Context, key string, value []byte, o kvwit.PutOptions) *kvwit.Error {
	switch {
	case key == "":
		return kvErr(kvwit.ErrorInvalidKey, "empty key")
	case o.ExpirationTTL.Some && o.ExpirationTTL.Value < 60:
		return kvErr(kvwit.ErrorInvalidArgument, "ttl under 60")
	}
	return nil
}

func (n *fakeNS) Delete(_ context.Context, key string) *kvwit.Error {
	if key == "" {
		return kvErr(kvwit.ErrorInvalidKey, "empty key")
	}
	return nil
}

type fakeHost struct{ ns *fakeNS }

func (h fakeHost) NamespaceOpen(_ context.Context, name string) (kvwit.Namespace, *kvwit.Error) {
	if name != "STORE" {
		return nil, kvErr(kvwit.ErrorNoSuchNamespace, name)
	}
	return h.ns, nil
}

var kvOnce sync.Once

// kvGuest instantiates testdata/kvguest.wat with the kvwit host functions.
// Handle 1 is a namespace; handle 2 is a resource of another type.
type kvGuest struct {
	tb   testing.TB
	mod  api.Module
	inst *abi.Instance
	ns   *fakeNS
	ctx  context.Context
}

func newKVGuest(tb testing.TB) *kvGuest {
	tb.Helper()
	r := runtime(tb)
	kvOnce.Do(func() {
		hb := r.NewHostModuleBuilder(kvwit.StoreInterface)
		kvwit.DefineStore(hb, 0)
		if _, err := hb.Instantiate(context.Background()); err != nil {
			tb.Fatal(err)
		}
	})
	mod := instantiate(tb, "kvguest")
	ns := &fakeNS{}
	inst, err := abi.NewInstance(mod, []any{fakeHost{ns}})
	if err != nil {
		tb.Fatal(err)
	}
	if h := inst.Handles.Add(inst, kvwit.NamespaceType, kvwit.Namespace(ns)); h != 1 {
		tb.Fatalf("first handle %d", h)
	}
	inst.Handles.Add(inst, "test:other/iface@0.1.0#thing", &res{})
	return &kvGuest{tb: tb, mod: mod, inst: inst, ns: ns, ctx: abi.WithInstance(context.Background(), inst)}
}

// call calls the forwarding export fn and returns wazero's error.
func (g *kvGuest) call(fn string, args ...uint64) error {
	g.tb.Helper()
	f := g.mod.ExportedFunction(fn)
	if f == nil {
		g.tb.Fatalf("no export %q", fn)
	}
	_, err := f.Call(g.ctx, args...)
	return err
}

// str writes s at p and returns the flat (ptr, len) pair.
func (g *kvGuest) str(p uint32, s string) (uint64, uint64) {
	g.tb.Helper()
	if !g.mod.Memory().WriteString(p, s) {
		g.tb.Fatalf("write %q at %#x", s, p)
	}
	return uint64(p), uint64(len(s))
}

func (g *kvGuest) u8(p uint32) uint8 {
	b, ok := g.mod.Memory().ReadByte(p)
	if !ok {
		g.tb.Fatalf("read %#x", p)
	}
	return b
}

func (g *kvGuest) u32(p uint32) uint32 {
	v, ok := g.mod.Memory().ReadUint32Le(p)
	if !ok {
		g.tb.Fatalf("read %#x", p)
	}
	return v
}

func (g *kvGuest) u64(p uint32) uint64 {
	v, ok := g.mod.Memory().ReadUint64Le(p)
	if !ok {
		g.tb.Fatalf("read %#x", p)
	}
	return v
}

// strAt reads the (ptr, len) pair at p as a string.
func (g *kvGuest) strAt(p uint32) string {
	g.tb.Helper()
	b, ok := g.mod.Memory().Read(g.u32(p), g.u32(p+4))
	if !ok {
		g.tb.Fatalf("string at %#x is out of bounds", p)
	}
	return string(b)
}

// kvErrAt decodes an error variant at p: the string payload sits at p+4.
func (g *kvGuest) kvErrAt(p uint32) string {
	return []string{"no-such-namespace", "invalid-key", "too-large", "invalid-argument", "internal"}[g.u8(p)] + ": " + g.strAt(p+4)
}

// checkTrap checks that err is a trap containing want and that the
// instance is poisoned; want "" means no error at all.
func checkTrap(tb testing.TB, inst *abi.Instance, err error, want string) {
	tb.Helper()
	if want == "" {
		if err != nil {
			tb.Fatalf("unexpected error: %v", err)
		}
		if inst.Poisoned() != nil {
			tb.Fatalf("poisoned: %v", inst.Poisoned())
		}
		return
	}
	if err == nil {
		tb.Fatalf("no trap, want %q", want)
	}
	if !errors.Is(err, abi.ErrTrap) {
		tb.Fatalf("error is not an abi trap: %v", err)
	}
	if !strings.Contains(err.Error(), want) {
		tb.Errorf("trap %q does not contain %q", err, want)
	}
	if inst.Poisoned() == nil {
		tb.Errorf("instance not poisoned by %v", err)
	}
}

const ret = 0x800 // an aligned return area

func TestKVHostGet(t *testing.T) {
	tests := []struct {
		name     string
		handle   uint32
		key      string
		keyPtr   uint32 // 0: the key written at 0x100
		keyLen   uint32 // with keyPtr
		ret      uint32 // 0: ret
		want     string // "ok:<value>", "none", "err:<error>"
		wantTrap string
	}{
		{name: "value", handle: 1, key: "hello", want: "ok:value of hello"},
		{name: "missing", handle: 1, key: "missing", want: "none"},
		{name: "error", handle: 1, key: "", want: "err:invalid-key: empty key"},
		{name: "internal error", handle: 1, key: "internal", want: "err:internal: disk on fire"},
		{name: "handle 0", handle: 0, key: "k", wantTrap: "handle 0 is not a live"},
		{name: "unknown handle", handle: 7, key: "k", wantTrap: "handle 7 is not a live"},
		{name: "handle of another type", handle: 2, key: "k", wantTrap: "is not a live " + kvwit.NamespaceType},
		{name: "key not UTF-8", handle: 1, key: "\xff", wantTrap: "not valid UTF-8"},
		{name: "key out of bounds", handle: 1, keyPtr: page - 2, keyLen: 3, wantTrap: "out of bounds"},
		{name: "key over MaxLength", handle: 1, keyPtr: 1, keyLen: abi.MaxLength + 1, wantTrap: "limit"},
		{name: "return area out of bounds", handle: 1, key: "hello", ret: page - 8, wantTrap: "out of bounds"},
		{name: "return area past 2^32", handle: 1, key: "hello", ret: 0xfffffffc, wantTrap: "out of bounds"},
		{name: "return area misaligned", handle: 1, key: "hello", ret: ret + 2, wantTrap: "not aligned"},
		{name: "error, return area misaligned", handle: 1, key: "", ret: ret + 1, wantTrap: "not aligned"},
		{name: "none, return area misaligned", handle: 1, key: "missing", ret: ret + 1, wantTrap: "not aligned"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			g := newKVGuest(t)
			kp, kl := g.str(0x100, tt.key)
			if tt.keyPtr != 0 {
				kp, kl = uint64(tt.keyPtr), uint64(tt.keyLen)
			}
			r := tt.ret
			if r == 0 {
				r = ret
			}
			err := g.call("get", uint64(tt.handle), kp, kl, uint64(r))
			checkTrap(t, g.inst, err, tt.wantTrap)
			if tt.wantTrap != "" {
				return
			}
			// result<option<list<u8>>, error>: disc at 0, payload at 4.
			var got string
			switch g.u8(r) {
			case 0:
				switch g.u8(r + 4) {
				case 0:
					got = "none"
				case 1:
					got = "ok:" + g.strAt(r+8)
				default:
					t.Fatalf("option discriminant %d", g.u8(r+4))
				}
			case 1:
				got = "err:" + g.kvErrAt(r+4)
			default:
				t.Fatalf("result discriminant %d", g.u8(r))
			}
			if got != tt.want {
				t.Errorf("get(%q) = %s, want %s", tt.key, got, tt.want)
			}
		})
	}
}

func TestKVHostOpenAndDrop(t *testing.T) {
	g := newKVGuest(t)
	p, n := g.str(0x100, "STORE")
	checkTrap(t, g.inst, g.call("open", p, n, ret), "")
	if d := g.u8(ret); d != 0 {
		t.Fatalf("open(STORE) failed: %s", g.kvErrAt(ret+4))
	}
	h := g.u32(ret + 4)
	if h < 3 {
		t.Fatalf("open returned handle %d, which was already live", h)
	}
	p, n = g.str(0x100, "hi")
	checkTrap(t, g.inst, g.call("get", uint64(h), p, n, ret), "")
	if got := g.strAt(ret + 8); got != "value of hi" {
		t.Errorf("get through the opened handle = %q", got)
	}
	checkTrap(t, g.inst, g.call("drop", uint64(h)), "")
	if g.ns.drops != 1 {
		t.Errorf("drop called Drop %d times, want 1", g.ns.drops)
	}
	if n := g.inst.Handles.Len(); n != 2 {
		t.Errorf("%d live handles after the drop, want 2", n)
	}
	checkTrap(t, g.inst, g.call("get", uint64(h), p, n, ret), "not a live")

	g = newKVGuest(t)
	p, n = g.str(0x100, "NOPE")
	checkTrap(t, g.inst, g.call("open", p, n, ret), "")
	if d, e := g.u8(ret), g.kvErrAt(ret+4); d != 1 || e != "no-such-namespace: NOPE" {
		t.Errorf("open(NOPE) = %d %q", d, e)
	}

	g = newKVGuest(t)
	checkTrap(t, g.inst, g.call("drop", 1), "")
	checkTrap(t, g.inst, g.call("drop", 1), "handle 1 is not a live")

	g = newKVGuest(t)
	checkTrap(t, g.inst, g.call("drop", 2), "handle 2 is not a live "+kvwit.NamespaceType)
}

func TestKVHostPutAndDelete(t *testing.T) {
	const noneOpt = 0
	tests := []struct {
		name             string
		fn               string
		key              string
		expDisc, ttlDisc uint64
		ttl              uint64
		metaDisc         uint64
		meta             string
		ret              uint32
		want             string // "ok" or "err:..."
		wantTrap         string
	}{
		{name: "put", fn: "put", key: "k", want: "ok"},
		{name: "put with options", fn: "put", key: "k", expDisc: 1, ttlDisc: 1, ttl: 120, metaDisc: 1, meta: `{"a":1}`, want: "ok"},
		{name: "put ttl too short", fn: "put", key: "k", ttlDisc: 1, ttl: 30, want: "err:invalid-argument: ttl under 60"},
		{name: "put bad option discriminant", fn: "put", key: "k", ttlDisc: 2, wantTrap: "invalid discriminant"},
		{name: "put huge option discriminant", fn: "put", key: "k", metaDisc: 0x80000001, wantTrap: "invalid discriminant"},
		{name: "put metadata not UTF-8", fn: "put", key: "k", metaDisc: 1, meta: "\xc0", wantTrap: "not valid UTF-8"},
		{name: "put metadata ignored when none", fn: "put", key: "k", metaDisc: noneOpt, meta: "\xc0", want: "ok"},
		{name: "put empty key", fn: "put", key: "", want: "err:invalid-key: empty key"},
		{name: "put return area misaligned", fn: "put", key: "k", ret: ret + 1, wantTrap: "not aligned"},
		{name: "put return area out of bounds", fn: "put", key: "k", ret: page, wantTrap: "out of bounds"},
		{name: "delete", fn: "delete", key: "k", want: "ok"},
		{name: "delete empty key", fn: "delete", key: "", want: "err:invalid-key: empty key"},
		{name: "delete return area misaligned", fn: "delete", key: "k", ret: ret + 2, wantTrap: "not aligned"},
		{name: "delete return area straddles the end", fn: "delete", key: "k", ret: page - 4, wantTrap: "out of bounds"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			g := newKVGuest(t)
			kp, kl := g.str(0x100, tt.key)
			vp, vl := g.str(0x200, "value")
			mp, ml := g.str(0x300, tt.meta)
			r := tt.ret
			if r == 0 {
				r = ret
			}
			var err error
			if tt.fn == "put" {
				err = g.call("put", 1, kp, kl, vp, vl, tt.expDisc, 1_800_000_000, tt.ttlDisc, tt.ttl, tt.metaDisc, mp, ml, uint64(r))
			} else {
				err = g.call("delete", 1, kp, kl, uint64(r))
			}
			checkTrap(t, g.inst, err, tt.wantTrap)
			if tt.wantTrap != "" {
				return
			}
			got := "ok"
			if g.u8(r) != 0 {
				got = "err:" + g.kvErrAt(r+4)
			}
			if got != tt.want {
				t.Errorf("%s = %s, want %s", tt.fn, got, tt.want)
			}
		})
	}
}

func TestKVHostGetMany(t *testing.T) {
	g := newKVGuest(t)
	// list<string> at 0x400: "hello", "missing", "meta".
	keys := []string{"hello", "missing", "meta"}
	for i, k := range keys {
		p, n := g.str(0x100+uint32(i)*0x10, k)
		g.mod.Memory().WriteUint32Le(0x400+uint32(i)*8, uint32(p))
		g.mod.Memory().WriteUint32Le(0x404+uint32(i)*8, uint32(n))
	}
	checkTrap(t, g.inst, g.call("get-many", 1, 0x400, 3, ret), "")
	if g.u8(ret) != 0 {
		t.Fatalf("get-many failed: %s", g.kvErrAt(ret+4))
	}
	// list<option<value-with-metadata>>: elements of 24 bytes, align 4:
	// disc at 0; value (list<u8>) at 4; metadata option disc at 12, string at 16.
	lp, ln := g.u32(ret+4), g.u32(ret+8)
	if ln != 3 || lp%4 != 0 {
		t.Fatalf("list at %#x of %d elements", lp, ln)
	}
	var got []string
	for i := range ln {
		e := lp + i*24
		switch {
		case g.u8(e) == 0:
			got = append(got, "none")
		case g.u8(e+12) == 0:
			got = append(got, g.strAt(e+4))
		default:
			got = append(got, g.strAt(e+4)+"+"+g.strAt(e+16))
		}
	}
	if want := []string{"hello", "none", `meta+{"k":1}`}; strings.Join(got, ",") != strings.Join(want, ",") {
		t.Errorf("get-many = %q, want %q", got, want)
	}

	for _, tt := range []struct {
		name           string
		ptr, n         uint32
		wantTrap, want string
	}{
		{name: "empty list", ptr: 0x400, n: 0},
		{name: "list misaligned", ptr: 0x402, n: 1, wantTrap: "not aligned"},
		{name: "list out of bounds", ptr: page - 8, n: 2, wantTrap: "out of bounds"},
		{name: "list over MaxLength", ptr: 0, n: abi.MaxLength/8 + 1, wantTrap: "limit"},
		{name: "element out of bounds", ptr: 0x500, n: 1, wantTrap: "out of bounds"},
		{name: "too many keys is an error, not a trap", ptr: 0x1000, n: 101, want: "too-large: more than 100 keys"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			g := newKVGuest(t)
			g.mod.Memory().WriteUint32Le(0x500, page-1) // (page-1, 2): out of bounds
			g.mod.Memory().WriteUint32Le(0x504, 2)
			checkTrap(t, g.inst, g.call("get-many", 1, uint64(tt.ptr), uint64(tt.n), ret), tt.wantTrap)
			if tt.wantTrap != "" {
				return
			}
			if tt.want != "" {
				if g.u8(ret) != 1 || g.kvErrAt(ret+4) != tt.want {
					t.Errorf("get-many = %d %q, want error %q", g.u8(ret), g.kvErrAt(ret+4), tt.want)
				}
				return
			}
			if g.u8(ret) != 0 || g.u32(ret+8) != tt.n {
				t.Errorf("get-many = %d, %d elements", g.u8(ret), g.u32(ret+8))
			}
		})
	}
}

func TestKVHostListKeys(t *testing.T) {
	g := newKVGuest(t)
	pp, pl := g.str(0x100, "p/")
	// list-options flattens to prefix (disc, ptr, len), limit (disc, u32), cursor (disc, ptr, len).
	checkTrap(t, g.inst, g.call("list-keys", 1, 1, pp, pl, 1, 4, 0, 0, 0, ret), "")
	if g.u8(ret) != 0 {
		t.Fatalf("list-keys failed: %s", g.kvErrAt(ret+4))
	}
	// list-result at ret+4: keys (ptr, len) at 0, list-complete at 8,
	// cursor option<string> at 12 (payload at 16).
	r := uint32(ret + 4)
	kp, kn := g.u32(r), g.u32(r+4)
	if kn != 4 || kp%8 != 0 {
		t.Fatalf("keys at %#x, %d of them (want 4, aligned to 8)", kp, kn)
	}
	if complete := g.u8(r + 8); complete != 0 {
		t.Errorf("list-complete = %d, want 0", complete)
	}
	if g.u8(r+12) != 1 || g.strAt(r+16) != "next" {
		t.Errorf("cursor = %d %q", g.u8(r+12), g.strAt(r+16))
	}
	// key-info: 40 bytes, align 8: name at 0; expiration option<u64> at 8
	// (payload at 16); metadata option<string> at 24 (payload at 28).
	for i := range kn {
		e := kp + i*40
		name := g.strAt(e)
		if want := "p/" + string(rune('a'+i)); name != want {
			t.Errorf("key %d = %q, want %q", i, name, want)
		}
		if has := g.u8(e+8) == 1; has != (i%2 == 1) {
			t.Errorf("key %d: expiration present = %v", i, has)
		} else if has && g.u64(e+16) != uint64(1_700_000_000+i) {
			t.Errorf("key %d: expiration %d", i, g.u64(e+16))
		}
		if has := g.u8(e+24) == 1; has != (i%3 == 0) {
			t.Errorf("key %d: metadata present = %v", i, has)
		} else if has && g.strAt(e+28) != "m" {
			t.Errorf("key %d: metadata %q", i, g.strAt(e+28))
		}
	}

	g = newKVGuest(t)
	checkTrap(t, g.inst, g.call("list-keys", 1, 0, 0, 0, 1, 11, 0, 0, 0, ret), "")
	if g.u8(ret) != 1 || g.kvErrAt(ret+4) != "invalid-argument: limit over 10" {
		t.Errorf("list-keys limit 11 = %d", g.u8(ret))
	}
	g = newKVGuest(t)
	checkTrap(t, g.inst, g.call("list-keys", 1, 0, 0, 0, 3, 0, 0, 0, 0, ret), "invalid discriminant")
}

// FuzzKVHost calls the generated kv host functions with arbitrary core
// values and guest memory: each call must return normally or trap with an
// abi trap that poisons the instance, never fail otherwise (a Go runtime
// error in the glue, a non-trap panic) or crash the test.
func FuzzKVHost(f *testing.F) {
	le := binary.LittleEndian
	keys := le.AppendUint32(le.AppendUint32(nil, 0x40), 5)
	keys = le.AppendUint32(le.AppendUint32(keys, 0x48), 7)
	mem := append(keys, make([]byte, 0x40-len(keys))...)
	mem = append(mem, "hellomissing\xff"...)
	mem = append(mem, make([]byte, 0x100-len(mem))...)
	mem = append(mem, "STORE"...)
	//       fn a0  a1     a2  a3    a4  a5  a6  a7  a8  a9  a10 x0  x1
	f.Add(uint8(0), uint32(0x100), uint32(5), uint32(ret), uint32(0), uint32(0), uint32(0), uint32(0), uint32(0), uint32(0), uint32(0), uint32(0), uint64(0), uint64(0), mem) // open
	f.Add(uint8(1), uint32(1), uint32(0x40), uint32(5), uint32(ret), uint32(0), uint32(0), uint32(0), uint32(0), uint32(0), uint32(0), uint32(0), uint64(0), uint64(0), mem)  // get
	f.Add(uint8(1), uint32(1), uint32(0x45), uint32(7), uint32(ret+1), uint32(0), uint32(0), uint32(0), uint32(0), uint32(0), uint32(0), uint32(0), uint64(0), uint64(0), mem)
	f.Add(uint8(2), uint32(1), uint32(0x40), uint32(13), uint32(ret), uint32(0), uint32(0), uint32(0), uint32(0), uint32(0), uint32(0), uint32(0), uint64(0), uint64(0), mem)         // get-with-metadata
	f.Add(uint8(3), uint32(1), uint32(0), uint32(2), uint32(ret), uint32(0), uint32(0), uint32(0), uint32(0), uint32(0), uint32(0), uint32(0), uint64(0), uint64(0), mem)             // get-many
	f.Add(uint8(4), uint32(1), uint32(0x40), uint32(5), uint32(0x45), uint32(7), uint32(1), uint32(1), uint32(1), uint32(0x40), uint32(5), uint32(ret), uint64(1e9), uint64(30), mem) // put
	f.Add(uint8(5), uint32(1), uint32(0x40), uint32(0), uint32(ret), uint32(0), uint32(0), uint32(0), uint32(0), uint32(0), uint32(0), uint32(0), uint64(0), uint64(0), mem)          // delete
	f.Add(uint8(6), uint32(1), uint32(1), uint32(0x40), uint32(5), uint32(1), uint32(5), uint32(1), uint32(0x45), uint32(2), uint32(ret), uint32(0), uint64(0), uint64(0), mem)       // list-keys
	f.Add(uint8(7), uint32(1), uint32(0), uint32(0), uint32(0), uint32(0), uint32(0), uint32(0), uint32(0), uint32(0), uint32(0), uint32(0), uint64(0), uint64(0), mem)               // drop
	f.Add(uint8(7), uint32(2), uint32(0), uint32(0), uint32(0), uint32(0), uint32(0), uint32(0), uint32(0), uint32(0), uint32(0), uint32(0), uint64(0), uint64(0), mem)

	fns := []string{"open", "get", "get-with-metadata", "get-many", "put", "delete", "list-keys", "drop"}
	f.Fuzz(func(t *testing.T, fn uint8, a0, a1, a2, a3, a4, a5, a6, a7, a8, a9, a10 uint32, x0, x1 uint64, mem []byte) {
		g := newKVGuest(t)
		g.mod.Memory().Write(0, mem[:min(len(mem), 0x4000)]) // below the guest's heap at 0x8000
		name := fns[int(fn)%len(fns)]
		a := []uint64{uint64(a0), uint64(a1), uint64(a2), uint64(a3), uint64(a4), uint64(a5), uint64(a6), uint64(a7), uint64(a8), uint64(a9), uint64(a10)}
		var args []uint64
		switch name {
		case "open":
			args = a[:3]
		case "get", "get-with-metadata", "get-many", "delete":
			args = a[:4]
		case "put": // i32 ×6, i64, i32, i64, i32 ×4
			args = append(append(append(append([]uint64{}, a[:6]...), x0, a[6]), x1), a[7:11]...)
		case "list-keys":
			args = a[:10]
		case "drop":
			args = a[:1]
		}
		err := g.call(name, args...)
		if err == nil {
			if g.inst.Poisoned() != nil {
				t.Fatalf("%s%v: returned normally but poisoned the instance: %v", name, args, g.inst.Poisoned())
			}
			return
		}
		if !errors.Is(err, abi.ErrTrap) {
			t.Fatalf("%s%v: failed with a non-trap error: %v", name, args, err)
		}
		if g.inst.Poisoned() == nil {
			t.Fatalf("%s%v: trapped without poisoning the instance: %v", name, args, err)
		}
	})
}

// TestKVHostLiftBudget: a guest that points every key of get-many at all of
// its memory would make the host copy n times its memory; the lifting
// budget turns that into a trap.
func TestKVHostLiftBudget(t *testing.T) {
	g := newKVGuest(t)
	mem := g.mod.Memory()
	size := mem.Size()
	const n = 64
	for i := uint32(0); i < n; i++ {
		mem.WriteUint32Le(0x2000+8*i, 0)
		mem.WriteUint32Le(0x2000+8*i+4, size)
	}
	for i := uint32(0); i < 0x2000+8*n; i++ { // keep every byte valid UTF-8
		if b, _ := mem.ReadByte(i); b >= 0x80 {
			mem.WriteByte(i, 'x')
		}
	}
	if uint64(n)*uint64(size) <= uint64(size)+1<<20 {
		t.Fatalf("memory of %d bytes is too small for this test", size)
	}
	checkTrap(t, g.inst, g.call("get-many", 1, 0x2000, n, ret), "more than guest memory holds")
}
