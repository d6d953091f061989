package modrewrite

import (
	"context"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/tetratelabs/wazero"
	"github.com/tetratelabs/wazero/api"
)

// TestInstrumentFixtures: every WAT fixture of the host still validates and
// compiles once instrumented.
func TestInstrumentFixtures(t *testing.T) {
	paths, err := filepath.Glob("../../testdata/*.wasm")
	if err != nil || len(paths) == 0 {
		t.Fatal("no fixtures", err)
	}
	ctx := context.Background()
	r := wazero.NewRuntimeWithConfig(ctx, wazero.NewRuntimeConfigCompiler())
	defer r.Close(ctx)
	for _, p := range paths {
		wasm, err := os.ReadFile(p)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := r.CompileModule(ctx, wasm); err != nil {
			continue // fixtures that are broken on purpose
		}
		out, err := Instrument(wasm, 100)
		if err != nil {
			t.Errorf("%s: %v", p, err)
			continue
		}
		cm, err := r.CompileModule(ctx, out)
		if err != nil {
			t.Errorf("%s: instrumented module does not compile: %v", p, err)
			continue
		}
		cm.Close(ctx)
	}
}

// loopCounter is where testdata/loop.wat counts the passes of its loop.
const loopCounter = 3072

// TestInstrumentStops runs a guest that loops forever: once it is seen
// spinning (its pass counter moves), a stop-the-world GC completes while it
// spins (the yield points let the Go scheduler stop its goroutine), the
// guest is still looping afterwards, and setting the stop global makes it
// trap.
func TestInstrumentStops(t *testing.T) {
	wasm, err := os.ReadFile("../../testdata/loop.wasm")
	if err != nil {
		t.Fatal(err)
	}
	out, err := Instrument(wasm, 1000)
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	r := wazero.NewRuntimeWithConfig(ctx, wazero.NewRuntimeConfigCompiler())
	defer r.Close(ctx)
	mod, err := r.InstantiateWithConfig(ctx, out, wazero.NewModuleConfig())
	if err != nil {
		t.Fatal(err)
	}
	stop := mod.ExportedGlobal(StopGlobal).(api.MutableGlobal)
	defer stop.Set(1) // a failed test does not leave the guest spinning
	done := make(chan error, 1)
	go func() {
		_, err := mod.ExportedFunction("bindery:http/handler@0.1.0#handle").Call(ctx, 0, 0, 0, 0, 0, 0, 0, 0)
		done <- err
	}()
	// passes reads the guest's pass counter; the guest writes it from
	// machine code the race detector does not see.
	passes := func() uint32 {
		n, ok := mod.Memory().ReadUint32Le(loopCounter)
		if !ok {
			t.Fatal("the pass counter is out of memory")
		}
		return n
	}
	// spinning waits until the counter moves past from, or fails.
	spinning := func(from uint32, when string) uint32 {
		t.Helper()
		deadline := time.Now().Add(10 * time.Second)
		for {
			select {
			case err := <-done:
				t.Fatalf("%s: the loop returned: %v", when, err)
			default:
			}
			if n := passes(); n > from {
				return n
			}
			if time.Now().After(deadline) {
				t.Fatalf("%s: the guest's pass counter stayed at %d: it is not looping", when, from)
			}
			time.Sleep(time.Millisecond)
		}
	}
	before := spinning(0, "before GC")
	gc := make(chan struct{})
	go func() { runtime.GC(); close(gc) }()
	select {
	case <-gc:
	case <-time.After(10 * time.Second):
		t.Fatal("runtime.GC did not finish while the guest spins")
	}
	spinning(before, "after GC")
	stop.Set(1)
	select {
	case err := <-done:
		if err == nil || !strings.Contains(err.Error(), "unreachable") {
			t.Fatalf("err = %v, want a trap", err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("the guest did not stop")
	}
}

// TestInstrumentKeepsSemantics: a function with loops, params and results
// computes the same after instrumentation (sum of 1..n, with a nested loop
// and a loop that carries a value).
func TestInstrumentKeepsSemantics(t *testing.T) {
	// (module
	//   (global $g (mut i32) (i32.const 7))
	//   (func (export "sum") (param $n i32) (result i32) (local $i i32) (local $s i32)
	//     (block $out
	//       (loop $l
	//         (br_if $out (i32.gt_u (local.get $i) (local.get $n)))
	//         (local.set $s (i32.add (local.get $s) (local.get $i)))
	//         (local.set $i (i32.add (local.get $i) (i32.const 1)))
	//         (br $l)))
	//     (i32.add (local.get $s) (global.get $g)))
	//   (export "g" (global $g)))
	// minus 7 via the exported global: exercises an existing global section
	// and export section being extended.
	wasm := []byte{
		0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00,
		0x01, 0x06, 0x01, 0x60, 0x01, 0x7f, 0x01, 0x7f, // type: (i32) -> i32
		0x03, 0x02, 0x01, 0x00, // func 0: type 0
		0x06, 0x06, 0x01, 0x7f, 0x01, 0x41, 0x07, 0x0b, // global $g mut i32 = 7
		0x07, 0x0b, 0x02, 0x03, 's', 'u', 'm', 0x00, 0x00, 0x01, 'g', 0x03, 0x00,
		0x0a, 0x28, 0x01, 0x26, // code: 1 body of 38 bytes
		0x01, 0x02, 0x7f, // 2 locals i32
		0x02, 0x40, // block
		0x03, 0x40, // loop
		0x20, 0x01, 0x20, 0x00, 0x4b, 0x0d, 0x01, // br_if 1 (i > n)
		0x20, 0x02, 0x20, 0x01, 0x6a, 0x21, 0x02, // s += i
		0x20, 0x01, 0x41, 0x01, 0x6a, 0x21, 0x01, // i++
		0x0c, 0x00, // br 0
		0x0b, 0x0b, // end loop, end block
		0x20, 0x02, 0x23, 0x00, 0x6a, // s + g
		0x0b,
	}
	ctx := context.Background()
	r := wazero.NewRuntime(ctx)
	defer r.Close(ctx)
	if _, err := r.CompileModule(ctx, wasm); err != nil {
		t.Fatalf("test module is invalid: %v", err)
	}
	for _, every := range []uint32{1, 3, 1 << 14} {
		out, err := Instrument(wasm, every)
		if err != nil {
			t.Fatal(err)
		}
		mod, err := r.InstantiateWithConfig(ctx, out, wazero.NewModuleConfig().WithName(""))
		if err != nil {
			t.Fatal(err)
		}
		res, err := mod.ExportedFunction("sum").Call(ctx, 1000)
		if err != nil {
			t.Fatal(err)
		}
		if got := res[0]; got != 500500+7 {
			t.Errorf("every=%d: sum = %d, want %d", every, got, 500500+7)
		}
		mod.Close(ctx)
	}
	if _, err := Instrument(append(wasm[:len(wasm):len(wasm)], 0x00, 0x01), 1); err == nil {
		t.Error("a truncated trailing section was accepted")
	}
}

// FuzzInstrument: Instrument takes untrusted modules (every guest a host
// loads). On any input it must not panic, and a module that wazero
// accepts must, once instrumented, still be one wazero accepts: a
// rewrite must never turn a valid guest into an invalid (or worse, a
// differently valid) one. Seeds: the host's WAT fixtures.
func FuzzInstrument(f *testing.F) {
	paths, _ := filepath.Glob("../../testdata/*.wasm")
	for _, p := range paths {
		if b, err := os.ReadFile(p); err == nil && len(b) < 64<<10 {
			f.Add(b)
		}
	}
	ctx := context.Background()
	r := wazero.NewRuntimeWithConfig(ctx, wazero.NewRuntimeConfigInterpreter())
	f.Cleanup(func() { r.Close(ctx) })
	f.Fuzz(func(t *testing.T, wasm []byte) {
		out, err := Instrument(wasm, 100)
		if err != nil {
			return
		}
		cm, err := r.CompileModule(ctx, wasm)
		if err != nil {
			return // invalid input: what Instrument made of it does not matter, wazero refuses both
		}
		cm.Close(ctx)
		cm, err = r.CompileModule(ctx, out)
		if err != nil {
			t.Fatalf("a module wazero accepts no longer compiles once instrumented: %v", err)
		}
		cm.Close(ctx)
	})
}
