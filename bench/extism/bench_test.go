//go:build !wasip1

package extismbench

import (
	"context"
	"encoding/binary"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/bindery-run/bindery/abi"
	"github.com/bindery-run/bindery/bench/extism/shapes"
	"github.com/bindery-run/bindery/host"
	extism "github.com/extism/go-sdk"
	"github.com/tetratelabs/wazero"
	"github.com/tetratelabs/wazero/api"
	"github.com/tetratelabs/wazero/imports/wasi_snapshot_preview1"
)

// params and outcome are the shapes world's records (wit/shapes.wit); the
// JSON tags are the Extism plugin's encoding.
type params struct {
	Width  uint32 `json:"width"`
	Height uint32 `json:"height"`
	Name   string `json:"name"`
}

type outcome struct {
	Area  uint64 `json:"area"`
	Label string `json:"label"`
}

// in and want are the one call every benchmark makes.
var (
	in   = params{Width: 640, Height: 480, Name: "thumbnail"}
	want = outcome{Area: 640 * 480, Label: "thumbnail 640x480"}
)

var (
	buildMu sync.Mutex
	builtAt = map[string][]byte{}
)

// guest builds the Go guest in dir (guest-bindery, guest-extism) as a
// wasip1 reactor, once per test process, and returns its bytes.
func guest(tb testing.TB, dir string) []byte {
	tb.Helper()
	buildMu.Lock()
	defer buildMu.Unlock()
	if b, ok := builtAt[dir]; ok {
		return b
	}
	out := filepath.Join(tb.TempDir(), dir+".wasm")
	cmd := exec.Command("go", "build", "-buildmode=c-shared", "-o", out, ".")
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), "GOOS=wasip1", "GOARCH=wasm")
	if b, err := cmd.CombinedOutput(); err != nil {
		tb.Fatalf("build %s: %v\n%s", dir, err, b)
	}
	b, err := os.ReadFile(out)
	if err != nil {
		tb.Fatal(err)
	}
	builtAt[dir] = b
	return b
}

// runtimeConfig is the wazero configuration of every runtime here: the
// compiler, and the on-disk compilation cache the repository's tests use,
// so a guest compiles once per machine.
func runtimeConfig(tb testing.TB) wazero.RuntimeConfig {
	tb.Helper()
	rc := wazero.NewRuntimeConfigCompiler()
	if d, err := os.UserCacheDir(); err == nil {
		cache, err := wazero.NewCompilationCacheWithDir(filepath.Join(d, "bindery-test", "wazero"))
		if err != nil {
			tb.Fatal(err)
		}
		rc = rc.WithCompilationCache(cache)
	}
	return rc
}

// newExtism returns an instance of the Extism plugin (WASI on, as a Go
// plugin needs). timeoutMS 0 is Extism's default, no deadline; with one,
// each call runs under context.WithTimeout and wazero's
// WithCloseOnContextDone (how Extism enforces Manifest.Timeout).
func newExtism(tb testing.TB, timeoutMS uint64) *extism.Plugin {
	tb.Helper()
	ctx := context.Background()
	manifest := extism.Manifest{Wasm: []extism.Wasm{extism.WasmData{Data: guest(tb, "guest-extism")}}, Timeout: timeoutMS}
	cp, err := extism.NewCompiledPlugin(ctx, manifest, extism.PluginConfig{EnableWasi: true, RuntimeConfig: runtimeConfig(tb)}, nil)
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { cp.Close(ctx) })
	p, err := cp.Instance(ctx, extism.PluginInstanceConfig{})
	if err != nil {
		tb.Fatal(err)
	}
	return p
}

// extismJSON calls the plugin's describe_json: JSON both ways.
func extismJSON(ctx context.Context, p *extism.Plugin, in params) (outcome, error) {
	b, err := json.Marshal(in)
	if err != nil {
		return outcome{}, err
	}
	_, out, err := p.CallWithContext(ctx, "describe_json", b)
	if err != nil {
		return outcome{}, fmt.Errorf("describe_json: %w", err)
	}
	var o outcome
	if err := json.Unmarshal(out, &o); err != nil {
		return outcome{}, fmt.Errorf("describe_json: %w", err)
	}
	return o, nil
}

// extismBin calls the plugin's describe_bin: the fixed little-endian
// encoding (width, height, name bytes; area, label bytes).
func extismBin(ctx context.Context, p *extism.Plugin, in params) (outcome, error) {
	b := make([]byte, 8+len(in.Name))
	binary.LittleEndian.PutUint32(b, in.Width)
	binary.LittleEndian.PutUint32(b[4:], in.Height)
	copy(b[8:], in.Name)
	_, out, err := p.CallWithContext(ctx, "describe_bin", b)
	if err != nil {
		return outcome{}, fmt.Errorf("describe_bin: %w", err)
	}
	if len(out) < 8 {
		return outcome{}, fmt.Errorf("describe_bin: %d bytes of output, want at least 8", len(out))
	}
	return outcome{Area: binary.LittleEndian.Uint64(out), Label: string(out[8:])}, nil
}

// rawGuest is guest-bindery instantiated directly on wazero, wrapped in an
// abi.Instance: the Canonical ABI call without the host package's sandbox
// (no pool, deadline, quotas).
type rawGuest struct {
	inst     *abi.Instance
	describe api.Function
	post     api.Function
	area     api.Function
	stack    [4]uint64
}

func newRawGuest(tb testing.TB) *rawGuest {
	tb.Helper()
	ctx := context.Background()
	r := wazero.NewRuntimeWithConfig(ctx, runtimeConfig(tb))
	tb.Cleanup(func() { r.Close(ctx) })
	wasi_snapshot_preview1.MustInstantiate(ctx, r)
	mod, err := r.InstantiateWithConfig(ctx, guest(tb, "guest-bindery"), wazero.NewModuleConfig().WithStartFunctions("_initialize"))
	if err != nil {
		tb.Fatal(err)
	}
	inst, err := abi.NewInstance(mod, nil)
	if err != nil {
		tb.Fatal(err)
	}
	g := &rawGuest{inst: inst, describe: mod.ExportedFunction("describe"), post: mod.ExportedFunction("cabi_post_describe"), area: mod.ExportedFunction("area")}
	if g.describe == nil || g.post == nil || g.area == nil {
		tb.Fatal("guest-bindery lacks describe, cabi_post_describe or area")
	}
	return g
}

// Describe is what a typed caller of describe does: lower the name into
// the guest, call, lift the outcome from the return area, post-return.
func (g *rawGuest) Describe(ctx context.Context, in params) (o outcome, err error) {
	defer func() {
		if r := recover(); r != nil {
			if e, ok := r.(error); ok {
				err = fmt.Errorf("describe: %w", e)
				return
			}
			panic(r)
		}
	}()
	ctx = abi.WithInstance(ctx, g.inst)
	p, n := g.inst.LowerString(ctx, in.Name)
	s := g.stack[:4]
	s[0], s[1], s[2], s[3] = uint64(in.Width), uint64(in.Height), uint64(p), uint64(n)
	if err := g.describe.CallWithStack(ctx, s); err != nil {
		return outcome{}, fmt.Errorf("describe: %w", err)
	}
	ret := uint32(s[0])
	o.Area = g.inst.U64(ret)
	o.Label = g.inst.String(g.inst.U32(ret+8), g.inst.U32(ret+12))
	s[0] = uint64(ret)
	if err := g.post.CallWithStack(ctx, s[:1]); err != nil {
		return outcome{}, fmt.Errorf("cabi_post_describe: %w", err)
	}
	return o, nil
}

// newGuest returns guest-bindery as a host.Guest: the sandbox (yield
// points, deadline, memory limit, pool, default-deny WASI) with its
// default limits, on a Runtime with the tests' compilation cache.
func newGuest(tb testing.TB) *host.Guest {
	tb.Helper()
	ctx := context.Background()
	cache := ""
	if d, err := os.UserCacheDir(); err == nil {
		cache = filepath.Join(d, "bindery-test", "wazero")
	}
	rt, err := host.NewRuntime(ctx, host.RuntimeConfig{CacheDir: cache})
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { rt.Close(ctx) })
	g, err := rt.NewGuest(ctx, host.GuestConfig{Name: "shapes", Wasm: guest(tb, "guest-bindery"), Check: shapes.Check})
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { g.Close(ctx) })
	return g
}

// guestDescribe calls describe through the generated typed caller
// (shapes.New(guest).Describe), which runs on g.Call.
func guestDescribe(g *host.Guest) func(context.Context, params) (outcome, error) {
	p := shapes.New(g)
	return func(ctx context.Context, in params) (outcome, error) {
		o, err := p.Describe(ctx, shapes.Params{Width: in.Width, Height: in.Height, Name: in.Name})
		return outcome{Area: o.Area, Label: o.Label}, err
	}
}

// Area calls the guest's area export raw: a Go guest's export call with
// numbers only.
func (g *rawGuest) Area(ctx context.Context, w, h uint32) uint64 {
	s := g.stack[:2]
	s[0], s[1] = uint64(w), uint64(h)
	if err := g.area.CallWithStack(ctx, s); err != nil {
		panic(err)
	}
	return s[0]
}

// floorWasm is a hand-assembled module exporting area(i32, i32) -> i64
// (the product, widened): the cheapest export call wazero makes.
var floorWasm = []byte{
	0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00, // magic, version
	0x01, 0x07, 0x01, 0x60, 0x02, 0x7f, 0x7f, 0x01, 0x7e, // type: (i32 i32) -> i64
	0x03, 0x02, 0x01, 0x00, // func 0: type 0
	0x07, 0x08, 0x01, 0x04, 'a', 'r', 'e', 'a', 0x00, 0x00, // export "area" func 0
	0x0a, 0x0b, 0x01, 0x09, 0x00, // code: one body of 9 bytes, no locals
	0x20, 0x00, 0xad, 0x20, 0x01, 0xad, 0x7e, 0x0b, // i64(local0) * i64(local1)
}

func newFloor(tb testing.TB) api.Function {
	tb.Helper()
	ctx := context.Background()
	r := wazero.NewRuntimeWithConfig(ctx, wazero.NewRuntimeConfigCompiler())
	tb.Cleanup(func() { r.Close(ctx) })
	mod, err := r.Instantiate(ctx, floorWasm)
	if err != nil {
		tb.Fatal(err)
	}
	return mod.ExportedFunction("area")
}

// TestSameWork: every path computes the same outcome for the same params,
// so the benchmarks compare equal work.
func TestSameWork(t *testing.T) {
	ctx := context.Background()
	p := newExtism(t, 0)
	g := newRawGuest(t)
	calls := []struct {
		name string
		call func(context.Context, params) (outcome, error)
	}{
		{"extism-json", func(ctx context.Context, in params) (outcome, error) { return extismJSON(ctx, p, in) }},
		{"extism-bin", func(ctx context.Context, in params) (outcome, error) { return extismBin(ctx, p, in) }},
		{"bindery-abi", g.Describe},
		{"bindery-guest", guestDescribe(newGuest(t))},
	}
	for _, c := range calls {
		t.Run(c.name, func(t *testing.T) {
			for range 3 { // the same instance again: state is reset between calls
				got, err := c.call(ctx, in)
				if err != nil {
					t.Fatal(err)
				}
				if got != want {
					t.Fatalf("got %+v, want %+v", got, want)
				}
			}
		})
	}
	if got := g.Area(ctx, in.Width, in.Height); got != want.Area {
		t.Errorf("guest area = %d, want %d", got, want.Area)
	}
	s := []uint64{uint64(in.Width), uint64(in.Height)}
	if err := newFloor(t).CallWithStack(ctx, s); err != nil || s[0] != want.Area {
		t.Errorf("floor area = %d, %v; want %d", s[0], err, want.Area)
	}
}

// processCPU returns the CPU time (user + system) the process has used.
func processCPU(b *testing.B) time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		b.Fatal(err)
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// loop runs op b.N times (b.Loop) and adds a cpu-ns/op metric: the
// process's CPU time per op, which moves less than ns/op on a shared
// machine (it does not count waiting for a core; it does count the GC's
// background work).
func loop(b *testing.B, op func()) {
	b.ReportAllocs()
	start := processCPU(b)
	for b.Loop() {
		op()
	}
	b.ReportMetric(float64(processCPU(b)-start)/float64(b.N), "cpu-ns/op")
}

// BenchmarkCall: one typed call (params in, outcome out) per op, by each
// path, in the same run. Ratios to bindery-abi and to the floor are what
// docs/benchmarks.md reports.
func BenchmarkCall(b *testing.B) {
	ctx := context.Background()
	typed := []struct {
		name string
		mk   func(b *testing.B) func(context.Context, params) (outcome, error)
	}{
		{"extism-json", func(b *testing.B) func(context.Context, params) (outcome, error) {
			p := newExtism(b, 0)
			return func(ctx context.Context, in params) (outcome, error) { return extismJSON(ctx, p, in) }
		}},
		{"extism-bin", func(b *testing.B) func(context.Context, params) (outcome, error) {
			p := newExtism(b, 0)
			return func(ctx context.Context, in params) (outcome, error) { return extismBin(ctx, p, in) }
		}},
		{"extism-bin-timeout", func(b *testing.B) func(context.Context, params) (outcome, error) {
			p := newExtism(b, 30_000)
			return func(ctx context.Context, in params) (outcome, error) { return extismBin(ctx, p, in) }
		}},
		{"bindery-guest", func(b *testing.B) func(context.Context, params) (outcome, error) { return guestDescribe(newGuest(b)) }},
		{"bindery-abi", func(b *testing.B) func(context.Context, params) (outcome, error) { return newRawGuest(b).Describe }},
	}
	for _, c := range typed {
		b.Run(c.name, func(b *testing.B) {
			call := c.mk(b)
			loop(b, func() {
				got, err := call(ctx, in)
				if err != nil {
					b.Fatal(err)
				}
				if got.Area != want.Area {
					b.Fatalf("got %+v", got)
				}
			})
		})
	}
	b.Run("wazero-go-area", func(b *testing.B) {
		g := newRawGuest(b)
		loop(b, func() {
			if g.Area(ctx, in.Width, in.Height) != want.Area {
				b.Fatal("wrong area")
			}
		})
	})
	b.Run("wazero-floor", func(b *testing.B) {
		f := newFloor(b)
		s := make([]uint64, 2)
		loop(b, func() {
			s[0], s[1] = uint64(in.Width), uint64(in.Height)
			if err := f.CallWithStack(ctx, s); err != nil {
				b.Fatal(err)
			}
		})
	})
}
