package abi_test

import (
	"bytes"
	"context"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/bindery-run/bindery/abi"
	"github.com/bindery-run/bindery/internal/testutil"
	"github.com/tetratelabs/wazero"
	"github.com/tetratelabs/wazero/api"
)

// The guests in testdata are hand-written .wat files compiled with wabt's
// wat2wasm; TestTestdataWasmIsFresh checks the committed .wasm files.

// Modes of testdata/guest.wat's cabi_realloc.
const (
	modeBump       = 0 // a bump allocator
	modeMisaligned = 1 // returns an address one byte past an aligned one
	modeOOB        = 2 // returns an address whose allocation ends past memory
	modeTrap       = 3 // unreachable
	modeGrow       = 4 // grows memory by a page on every call
)

var (
	rtOnce sync.Once
	rt     wazero.Runtime
	mods   = map[string]wazero.CompiledModule{}
	modsMu sync.Mutex
)

// runtime returns the wazero runtime shared by the package's tests.
func runtime(tb testing.TB) wazero.Runtime {
	tb.Helper()
	rtOnce.Do(func() {
		rt = wazero.NewRuntime(context.Background())
	})
	return rt
}

// compiled compiles testdata/name.wasm once.
func compiled(tb testing.TB, name string) wazero.CompiledModule {
	tb.Helper()
	r := runtime(tb)
	modsMu.Lock()
	defer modsMu.Unlock()
	if m, ok := mods[name]; ok {
		return m
	}
	wasm, err := os.ReadFile(filepath.Join("testdata", name+".wasm"))
	if err != nil {
		tb.Fatal(err)
	}
	m, err := r.CompileModule(context.Background(), wasm)
	if err != nil {
		tb.Fatalf("compile %s: %v", name, err)
	}
	mods[name] = m
	return m
}

// instantiate instantiates testdata/name.wasm anonymously; the module is
// closed when the test ends.
func instantiate(tb testing.TB, name string) api.Module {
	tb.Helper()
	ctx := context.Background()
	mod, err := runtime(tb).InstantiateModule(ctx, compiled(tb, name), wazero.NewModuleConfig().WithName("").WithStartFunctions())
	if err != nil {
		tb.Fatalf("instantiate %s: %v", name, err)
	}
	tb.Cleanup(func() { mod.Close(ctx) })
	return mod
}

// guest is an instance of testdata/guest.wat.
type guest struct {
	tb   testing.TB
	mod  api.Module
	inst *abi.Instance
}

func newGuest(tb testing.TB) *guest {
	return newGuestOf(tb, "guest")
}

func newGuestOf(tb testing.TB, name string) *guest {
	tb.Helper()
	mod := instantiate(tb, name)
	inst, err := abi.NewInstance(mod, nil)
	if err != nil {
		tb.Fatal(err)
	}
	return &guest{tb: tb, mod: mod, inst: inst}
}

func (g *guest) global(name string) uint32 {
	g.tb.Helper()
	gl := g.mod.ExportedGlobal(name)
	if gl == nil {
		g.tb.Fatalf("no global %q", name)
	}
	return uint32(gl.Get())
}

func (g *guest) setGlobal(name string, v uint32) {
	g.tb.Helper()
	gl, ok := g.mod.ExportedGlobal(name).(api.MutableGlobal)
	if !ok {
		g.tb.Fatalf("no mutable global %q", name)
	}
	gl.Set(uint64(v))
}

func (g *guest) setMode(m uint32) { g.setGlobal("mode", m) }

// write stores b at ptr, failing the test when it does not fit.
func (g *guest) write(ptr uint32, b []byte) {
	g.tb.Helper()
	if !g.mod.Memory().Write(ptr, b) {
		g.tb.Fatalf("write %d bytes at %#x: out of bounds", len(b), ptr)
	}
}

// read returns a copy of n bytes at ptr.
func (g *guest) read(ptr, n uint32) []byte {
	g.tb.Helper()
	b, ok := g.mod.Memory().Read(ptr, n)
	if !ok {
		g.tb.Fatalf("read %d bytes at %#x: out of bounds", n, ptr)
	}
	return bytes.Clone(b)
}

func (g *guest) size() uint32 { return g.mod.Memory().Size() }

// catch runs f and returns what it panicked with, or nil.
func catch(f func()) (r any) {
	defer func() { r = recover() }()
	f()
	return nil
}

// mustTrap runs f and checks that it panics with a *abi.Trap whose message
// contains want, and that inst (when non-nil) is poisoned.
func mustTrap(tb testing.TB, inst *abi.Instance, want string, f func()) *abi.Trap {
	tb.Helper()
	r := catch(f)
	if r == nil {
		tb.Fatalf("no trap, want one containing %q", want)
	}
	trap, ok := r.(*abi.Trap)
	if !ok {
		tb.Fatalf("panicked with %T (%v), want *abi.Trap", r, r)
	}
	if !errors.Is(trap, abi.ErrTrap) {
		tb.Errorf("errors.Is(%v, ErrTrap) = false", trap)
	}
	if !strings.Contains(trap.Msg, want) {
		tb.Errorf("trap %q does not contain %q", trap.Msg, want)
	}
	if !strings.HasPrefix(trap.Error(), "abi trap: ") {
		tb.Errorf("Error() = %q", trap.Error())
	}
	if inst != nil {
		if p := inst.Poisoned(); p == nil {
			tb.Errorf("instance not poisoned after %v", trap)
		} else if !errors.Is(p, abi.ErrTrap) {
			tb.Errorf("Poisoned() = %v, want a trap", p)
		}
	}
	return trap
}

// mustNotTrap runs f and fails the test if it panics.
func mustNotTrap(tb testing.TB, inst *abi.Instance, f func()) {
	tb.Helper()
	if r := catch(f); r != nil {
		tb.Fatalf("unexpected panic: %v", r)
	}
	if inst != nil && inst.Poisoned() != nil {
		tb.Fatalf("instance poisoned: %v", inst.Poisoned())
	}
}

// TestTestdataWasmIsFresh recompiles every testdata/*.wat with wat2wasm
// and compares it with the committed .wasm. Without wat2wasm it skips, or
// fails when wat is required (BINDERY_CONFORMANCE_REQUIRE, as in CI).
func TestTestdataWasmIsFresh(t *testing.T) {
	wat2wasm, err := testutil.LookPath("wat", "wat2wasm", "apt-get install wabt")
	testutil.NeedToolchain(t, err)
	wats, _ := filepath.Glob(filepath.Join("testdata", "*.wat"))
	if len(wats) == 0 {
		t.Fatal("no testdata/*.wat")
	}
	for _, wat := range wats {
		out := filepath.Join(t.TempDir(), "out.wasm")
		if b, err := exec.Command(wat2wasm, wat, "-o", out).CombinedOutput(); err != nil {
			t.Errorf("wat2wasm %s: %v\n%s", wat, err, b)
			continue
		}
		want, _ := os.ReadFile(out)
		committed := strings.TrimSuffix(wat, ".wat") + ".wasm"
		got, err := os.ReadFile(committed)
		if err != nil || !bytes.Equal(got, want) {
			t.Errorf("%s is stale or missing: run wat2wasm %s -o %s", committed, wat, committed)
		}
	}
}

func TestMain(m *testing.M) {
	code := m.Run()
	if rt != nil {
		rt.Close(context.Background())
	}
	os.Exit(code)
}
