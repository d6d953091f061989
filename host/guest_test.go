package host_test

import (
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/bindery-run/bindery/abi"
	"github.com/bindery-run/bindery/bindings/vars"
	"github.com/bindery-run/bindery/host"
	"github.com/bindery-run/bindery/host/clock"
	"github.com/bindery-run/bindery/internal/testutil"
	"github.com/tetratelabs/wazero"
	"github.com/tetratelabs/wazero/api"
)

// testIface is the interface guest.wat imports.
const testIface = "test:guest/host@0.1.0"

// testHost is the test's binding of test:guest/host: ping lifts its bytes
// (a quota's operations and bytes), greet lowers a string (through the
// guest's cabi_realloc, which guest.wat lacks), wait blocks until release.
type testHost struct {
	pings   atomic.Int64
	entered chan struct{}
	release chan struct{}
}

func newTestHost() *testHost {
	return &testHost{entered: make(chan struct{}, 16), release: make(chan struct{})}
}

// WIT implements host.Binding.
func (h *testHost) WIT() abi.Interface { return testWIT() }

func testWIT() abi.Interface {
	i32 := api.ValueTypeI32
	return abi.Interface{Name: testIface, Define: func(hb wazero.HostModuleBuilder, slot int) {
		hb.NewFunctionBuilder().WithGoModuleFunction(api.GoModuleFunc(func(ctx context.Context, _ api.Module, s []uint64) {
			inst := abi.Enter(ctx, slot)
			inst.Bytes(uint32(s[0]), uint32(s[1]))
			if h, ok := inst.Impl(slot).(*testHost); ok {
				h.pings.Add(1)
			}
		}), []api.ValueType{i32, i32}, nil).Export("ping")
		hb.NewFunctionBuilder().WithGoModuleFunction(api.GoModuleFunc(func(ctx context.Context, _ api.Module, s []uint64) {
			inst := abi.Enter(ctx, slot)
			p, n := inst.LowerString(ctx, "hi")
			inst.PutU32(uint32(s[0]), p)
			inst.PutU32(uint32(s[0])+4, n)
		}), []api.ValueType{i32}, nil).Export("greet")
		hb.NewFunctionBuilder().WithGoModuleFunction(api.GoModuleFunc(func(ctx context.Context, _ api.Module, s []uint64) {
			inst := abi.Enter(ctx, slot)
			h := inst.Impl(slot).(*testHost)
			h.entered <- struct{}{}
			select {
			case <-h.release:
			case <-ctx.Done():
				panic(abi.ErrStopped)
			}
		}), nil, nil).Export("wait")
	}}
}

// newGuest makes a Guest of testdata/<name>.wasm granted a testHost.
func newGuest(t testing.TB, rt *host.Runtime, name string, mutate func(*host.GuestConfig)) (*host.Guest, *testHost) {
	t.Helper()
	th := newTestHost()
	cfg := host.GuestConfig{Name: name, Wasm: fixture(t.(*testing.T), name+".wasm"), Bindings: []host.Binding{th}}
	if name != "guest" {
		cfg.Bindings = nil
	}
	if mutate != nil {
		mutate(&cfg)
	}
	g, err := rt.NewGuest(context.Background(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { g.Close(context.Background()) })
	return g, th
}

// call calls the export name of g with args and returns its first result.
func call(ctx context.Context, g *host.Guest, name string, args ...uint64) (uint64, error) {
	var res uint64
	err := g.Call(ctx, func(ctx context.Context, inst *abi.Instance) error {
		fn := inst.Lookup().ExportedFunction(name)
		if fn == nil {
			return fmt.Errorf("no export %q", name)
		}
		out, err := fn.Call(ctx, args...)
		if len(out) > 0 {
			res = out[0]
		}
		return err
	})
	return res, err
}

// mustAdd checks that g still serves: add(2, 3) is 5.
func mustAdd(t *testing.T, g *host.Guest) {
	t.Helper()
	if n, err := call(context.Background(), g, "add", 2, 3); err != nil || n != 5 {
		t.Fatalf("add(2, 3) = %d, %v; want 5 (the guest serves after a failure)", n, err)
	}
}

func TestGuestCall(t *testing.T) {
	rt, _ := newRuntime(t)
	g, _ := newGuest(t, rt, "guest", nil)
	mustAdd(t, g)
	// An error of fn's own is returned as it is and keeps the instance.
	mine := errors.New("mine")
	err := g.Call(context.Background(), func(ctx context.Context, inst *abi.Instance) error { return mine })
	var ce *host.CallError
	if err != mine || errors.As(err, &ce) {
		t.Fatalf("fn's own error came back as %v", err)
	}
	if s := g.Stats(); s.Discarded != 0 || s.Instantiated != 1 || s.Failed != 0 {
		t.Errorf("stats %+v, want 1 instance, none discarded or failed", s)
	}
}

func TestGuestCheck(t *testing.T) {
	rt, _ := newRuntime(t)
	_, err := rt.NewGuest(context.Background(), host.GuestConfig{
		Name: "checked", Wasm: fixture(t, "add.wasm"),
		Check: func(l abi.FunctionLookup) error {
			for _, name := range []string{"add", "apply"} {
				if l.ExportedFunction(name) == nil {
					return fmt.Errorf("the guest does not export %q", name)
				}
			}
			return nil
		},
	})
	if err == nil || !strings.Contains(err.Error(), `does not export "apply"`) || !strings.Contains(err.Error(), `guest "checked"`) {
		t.Fatalf("NewGuest = %v, want an error naming the guest and the missing export", err)
	}
}

func TestGuestComponentRefused(t *testing.T) {
	rt, _ := newRuntime(t)
	// A component's preamble: \0asm, version 0x0d, layer 1.
	_, err := rt.NewGuest(context.Background(), host.GuestConfig{Name: "c", Wasm: []byte("\x00asm\x0d\x00\x01\x00")})
	if err == nil || !strings.Contains(err.Error(), "component") {
		t.Fatalf("NewGuest(component) = %v, want a clear refusal", err)
	}
}

// TestGuestErrors: each way a call can fail is its typed error, the
// instance is discarded, and the guest serves the next call.
func TestGuestErrors(t *testing.T) {
	rt, _ := newRuntime(t)
	tests := []struct {
		name   string
		limits host.Limits
		ctx    func() (context.Context, context.CancelFunc)
		export string
		args   []uint64
		kind   error
		also   error  // another error the result matches, if any
		want   string // in the message
	}{
		{name: "deadline", limits: host.Limits{Timeout: 100 * time.Millisecond}, export: "spin", kind: host.ErrDeadline, also: context.DeadlineExceeded, want: "deadline exceeded"},
		{name: "caller deadline", ctx: func() (context.Context, context.CancelFunc) {
			return context.WithTimeout(context.Background(), 100*time.Millisecond)
		}, export: "spin", kind: host.ErrDeadline},
		{name: "canceled", ctx: func() (context.Context, context.CancelFunc) {
			ctx, cancel := context.WithCancel(context.Background())
			time.AfterFunc(100*time.Millisecond, cancel)
			return ctx, cancel
		}, export: "spin", kind: host.ErrCanceled, also: context.Canceled},
		{name: "memory", limits: host.Limits{Memory: 4 << 20}, export: "bomb", kind: host.ErrMemoryLimit, want: "4 MiB"},
		{name: "trap", export: "trap", kind: host.ErrTrap, want: "unreachable"},
		{name: "operations", limits: host.Limits{Operations: 10}, export: "ping", args: []uint64{11, 1}, kind: host.ErrQuota,
			want: "more than 10 operations through " + testIface},
		{name: "bytes", limits: host.Limits{Bytes: 100}, export: "ping", args: []uint64{3, 40}, kind: host.ErrQuota,
			want: "more than 100 bytes through " + testIface},
		{name: "per interface", limits: host.Limits{Operations: 100, PerInterface: map[string]host.Quota{testIface: {Operations: 5}}},
			export: "ping", args: []uint64{6, 1}, kind: host.ErrQuota, want: "more than 5 operations"},
		{name: "no realloc", export: "greet", kind: host.ErrTrap, also: abi.ErrTrap, want: "exports no cabi_realloc"},
	}
	kinds := []error{host.ErrDeadline, host.ErrMemoryLimit, host.ErrQuota, host.ErrTrap, host.ErrCanceled, host.ErrClosed}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			g, _ := newGuest(t, rt, "guest", func(c *host.GuestConfig) { c.Limits = tt.limits })
			ctx, cancel := context.Background(), context.CancelFunc(func() {})
			if tt.ctx != nil {
				ctx, cancel = tt.ctx()
			}
			defer cancel()
			_, err := call(ctx, g, tt.export, tt.args...)
			var ce *host.CallError
			if !errors.As(err, &ce) {
				t.Fatalf("%s: got %v (%T), want a *host.CallError", tt.export, err, err)
			}
			for _, k := range kinds {
				if errors.Is(err, k) != (k == tt.kind) {
					t.Errorf("errors.Is(%v, %v) = %v", err, k, !(k == tt.kind))
				}
			}
			if tt.also != nil && !errors.Is(err, tt.also) {
				t.Errorf("%v does not match %v", err, tt.also)
			}
			if !strings.Contains(err.Error(), tt.want) || ce.Guest != "guest" {
				t.Errorf("error %q (guest %q), want it to say %q", err, ce.Guest, tt.want)
			}
			if len(strings.Split(ce.Stack, "\n")) > 16 {
				t.Errorf("stack of %d lines", len(strings.Split(ce.Stack, "\n")))
			}
			if s := g.Stats(); s.Discarded != 1 || s.Failed != 1 {
				t.Errorf("stats %+v, want the instance discarded and the call failed", s)
			}
			mustAdd(t, g)
		})
	}
}

func TestGuestQuotaWithinLimits(t *testing.T) {
	rt, _ := newRuntime(t)
	g, th := newGuest(t, rt, "guest", func(c *host.GuestConfig) { c.Limits.Operations, c.Limits.Bytes = 10, 400 })
	for range 3 { // the quota is per call
		if _, err := call(context.Background(), g, "ping", 10, 40); err != nil {
			t.Fatal(err)
		}
	}
	if n := th.pings.Load(); n != 30 {
		t.Errorf("%d pings, want 30", n)
	}
	if s := g.Stats(); s.Discarded != 0 {
		t.Errorf("discarded %d instances", s.Discarded)
	}
	_, err := rt.NewGuest(context.Background(), host.GuestConfig{Name: "q", Wasm: fixture(t, "add.wasm"),
		Limits: host.Limits{PerInterface: map[string]host.Quota{"no:such/thing@1.0.0": {Operations: 1}}}})
	if err == nil || !strings.Contains(err.Error(), "no:such/thing@1.0.0") {
		t.Errorf("a quota for an unknown interface: %v", err)
	}
}

func TestGuestWASI(t *testing.T) {
	rt, _ := newRuntime(t)
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "hello.txt"), []byte("mounted file"), 0o644); err != nil {
		t.Fatal(err)
	}
	fixed := time.Date(2030, 1, 2, 3, 4, 5, 6, time.UTC)
	manual := clock.NewManual(fixed)
	fakeEpoch := time.Date(2022, 1, 1, 0, 0, 0, 0, time.UTC)
	get := func(t *testing.T, g *host.Guest, export string, args ...uint64) uint64 {
		t.Helper()
		v, err := call(context.Background(), g, export, args...)
		if err != nil {
			t.Fatalf("%s: %v", export, err)
		}
		return v
	}
	readFile := func(t *testing.T, g *host.Guest, path string) (int32, string) {
		t.Helper()
		var n int32
		var got string
		err := g.Call(context.Background(), func(ctx context.Context, inst *abi.Instance) error {
			inst.Memory().WriteString(2048, path)
			out, err := inst.Lookup().ExportedFunction("read").Call(ctx, 2048, uint64(len(path)))
			if err != nil {
				return err
			}
			n = int32(out[0])
			if n > 0 {
				b, _ := inst.Memory().Read(1024, uint32(n))
				got = string(b)
			}
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
		return n, got
	}
	denyRand := get(t, newGuestWASI(t, rt, host.WASIConfig{}), "rand")
	tests := []struct {
		name  string
		wasi  host.WASIConfig
		check func(t *testing.T, g *host.Guest)
	}{
		{"clock denied", host.WASIConfig{}, func(t *testing.T, g *host.Guest) {
			now := time.Unix(0, int64(get(t, g, "now")))
			if now.Before(fakeEpoch) || now.After(fakeEpoch.Add(time.Second)) {
				t.Errorf("denied wall clock reads %v, want the fake clock at %v", now, fakeEpoch)
			}
			if a, b := get(t, g, "mono"), get(t, g, "mono"); b-a != uint64(time.Millisecond) {
				t.Errorf("denied monotonic clock: %d then %d, want the fake clock's 1 ms steps", a, b)
			}
		}},
		{"clock real", host.WASIConfig{WallClock: host.WallClock{Real: true}}, func(t *testing.T, g *host.Guest) {
			if d := time.Since(time.Unix(0, int64(get(t, g, "now")))).Abs(); d > time.Minute {
				t.Errorf("real wall clock is %v off", d)
			}
		}},
		{"clock coarse", host.WASIConfig{WallClock: host.WallClock{Real: true, Resolution: time.Second}}, func(t *testing.T, g *host.Guest) {
			now := get(t, g, "now")
			if now%uint64(time.Second) != 0 || time.Since(time.Unix(0, int64(now))) > time.Minute {
				t.Errorf("coarse wall clock reads %d, want a whole second of now", now)
			}
		}},
		{"clock fixed", host.WASIConfig{WallClock: host.WallClock{Fixed: fixed}}, func(t *testing.T, g *host.Guest) {
			for range 2 {
				if now := get(t, g, "now"); now != uint64(fixed.UnixNano()) {
					t.Errorf("fixed wall clock reads %v, want %v", time.Unix(0, int64(now)).UTC(), fixed)
				}
			}
		}},
		{"clock manual", host.WASIConfig{WallClock: host.WallClock{Real: true, Clock: manual}}, func(t *testing.T, g *host.Guest) {
			if now := get(t, g, "now"); now != uint64(fixed.UnixNano()) {
				t.Errorf("wall clock on a manual clock reads %v, want %v", time.Unix(0, int64(now)).UTC(), fixed)
			}
			manual.Advance(time.Hour)
			if now := get(t, g, "now"); now != uint64(fixed.Add(time.Hour).UnixNano()) {
				t.Errorf("after Advance(1h) the wall clock reads %v, want %v", time.Unix(0, int64(now)).UTC(), fixed.Add(time.Hour))
			}
		}},
		{"random denied", host.WASIConfig{}, func(t *testing.T, g *host.Guest) {
			if r := get(t, g, "rand"); r != denyRand {
				t.Errorf("denied randomness is not deterministic: %#x, then %#x in another guest", denyRand, r)
			}
		}},
		{"random granted", host.WASIConfig{Random: rand.Reader}, func(t *testing.T, g *host.Guest) {
			if r := get(t, g, "rand"); r == denyRand {
				t.Errorf("granted randomness reads the deterministic %#x", r)
			}
		}},
		{"env denied", host.WASIConfig{}, func(t *testing.T, g *host.Guest) {
			if n, a := get(t, g, "envc"), get(t, g, "argc"); n != 0 || a != 0 {
				t.Errorf("%d environment variables and %d arguments, want none", n, a)
			}
		}},
		{"env granted", host.WASIConfig{Env: map[string]string{"A": "1", "B": "2"}, Args: []string{"plugin", "-v"}}, func(t *testing.T, g *host.Guest) {
			if n, a := get(t, g, "envc"), get(t, g, "argc"); n != 2 || a != 2 {
				t.Errorf("%d environment variables and %d arguments, want 2 and 2", n, a)
			}
		}},
		{"files denied", host.WASIConfig{}, func(t *testing.T, g *host.Guest) {
			if n, _ := readFile(t, g, "hello.txt"); n >= 0 {
				t.Errorf("an unmounted guest read %d bytes", n)
			}
		}},
		{"dir mounted", host.WASIConfig{Mounts: []host.Mount{{HostDir: dir, GuestPath: "/data"}}}, func(t *testing.T, g *host.Guest) {
			if n, got := readFile(t, g, "hello.txt"); got != "mounted file" {
				t.Errorf("read %d: %q, want the mounted file", n, got)
			}
			if n, _ := readFile(t, g, "../"+filepath.Base(dir)+"/hello.txt"); n >= 0 {
				t.Errorf("a path outside the mount read %d bytes", n)
			}
		}},
		{"sleep denied", host.WASIConfig{}, func(t *testing.T, g *host.Guest) {
			start := time.Now()
			get(t, g, "sleep", uint64(time.Second))
			if d := time.Since(start); d > 500*time.Millisecond {
				t.Errorf("denied sleep slept %v", d)
			}
		}},
		{"sleep granted", host.WASIConfig{Sleep: true}, func(t *testing.T, g *host.Guest) {
			start := time.Now()
			get(t, g, "sleep", uint64(50*time.Millisecond))
			if d := time.Since(start); d < 50*time.Millisecond {
				t.Errorf("granted sleep slept %v, want 50ms", d)
			}
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tt.check(t, newGuestWASI(t, rt, tt.wasi))
		})
	}
}

func newGuestWASI(t *testing.T, rt *host.Runtime, w host.WASIConfig) *host.Guest {
	g, _ := newGuest(t, rt, "guest", func(c *host.GuestConfig) { c.WASI = w })
	return g
}

// TestGuestWASI02: WASI 0.2's clock, random and environment follow the
// same WASIConfig as preview 1.
func TestGuestWASI02(t *testing.T) {
	rt, _ := newRuntime(t)
	get := func(t *testing.T, g *host.Guest, export string, args ...uint64) uint64 {
		t.Helper()
		v, err := call(context.Background(), g, export, args...)
		if err != nil {
			t.Fatalf("%s: %v", export, err)
		}
		return v
	}
	mk := func(w host.WASIConfig) *host.Guest {
		g, _ := newGuest(t, rt, "guest02", func(c *host.GuestConfig) { c.WASI = w })
		return g
	}
	denied, other := mk(host.WASIConfig{}), mk(host.WASIConfig{})
	if now := get(t, denied, "now"); now != uint64(time.Date(2022, 1, 1, 0, 0, 0, 0, time.UTC).Unix()) {
		t.Errorf("denied wall clock: %d s, want the fake clock's 2022-01-01", now)
	}
	if a, b := get(t, denied, "rand"), get(t, other, "rand"); a != b {
		t.Errorf("denied randomness differs between guests: %#x, %#x", a, b)
	}
	if n := get(t, denied, "envc"); n != 0 {
		t.Errorf("denied environment has %d variables", n)
	}
	start := time.Now()
	get(t, denied, "sleep", uint64(time.Second))
	if d := time.Since(start); d > 500*time.Millisecond {
		t.Errorf("denied sleep slept %v", d)
	}

	fixed := time.Date(2030, 1, 2, 3, 4, 5, 0, time.UTC)
	granted := mk(host.WASIConfig{WallClock: host.WallClock{Fixed: fixed}, Random: rand.Reader, Sleep: true, Env: map[string]string{"A": "1", "B": "2", "C": "3"}})
	if now := get(t, granted, "now"); now != uint64(fixed.Unix()) {
		t.Errorf("fixed wall clock: %d, want %d", now, fixed.Unix())
	}
	manual := clock.NewManual(fixed)
	onManual := mk(host.WASIConfig{WallClock: host.WallClock{Real: true, Clock: manual}})
	manual.Advance(time.Minute)
	if now := get(t, onManual, "now"); now != uint64(fixed.Add(time.Minute).Unix()) {
		t.Errorf("wall clock on a manual clock: %d, want %d", now, fixed.Add(time.Minute).Unix())
	}
	if a, b := get(t, granted, "rand"), get(t, denied, "rand"); a == b {
		t.Errorf("granted randomness is the denied one")
	}
	if n := get(t, granted, "envc"); n != 3 {
		t.Errorf("granted environment has %d variables, want 3", n)
	}
	start = time.Now()
	get(t, granted, "sleep", uint64(50*time.Millisecond))
	if d := time.Since(start); d < 50*time.Millisecond {
		t.Errorf("granted sleep slept %v", d)
	}
}

func TestGuestLogs(t *testing.T) {
	rt, _ := newRuntime(t)
	logs := &testutil.SyncBuffer{}
	g, _ := newGuest(t, rt, "guest", func(c *host.GuestConfig) {
		c.Logger = slog.New(slog.NewTextHandler(logs, nil))
	})
	if _, err := call(context.Background(), g, "say"); err != nil {
		t.Fatal(err)
	}
	if s := logs.String(); !strings.Contains(s, "hello from the guest") || !strings.Contains(s, "stream=stdout") || !strings.Contains(s, "guest=guest") {
		t.Errorf("logs lack the guest's stdout:\n%s", s)
	}
}

func TestGuestStatsIsACopy(t *testing.T) {
	rt, _ := newRuntime(t)
	g, _ := newGuest(t, rt, "guest", nil)
	before := g.Stats()
	mustAdd(t, g)
	mustAdd(t, g)
	if before.Calls != 0 {
		t.Errorf("stats before any call: %+v", before)
	}
	if after := g.Stats(); after.Calls != 2 || after.Instantiated != 1 || after.PeakMemory != 64<<10 {
		t.Errorf("stats after 2 calls: %+v", after)
	}
}

// TestGuestCloseDrains: Close refuses new calls at once, waits for the
// call in flight, and returns once it finished.
func TestGuestCloseDrains(t *testing.T) {
	rt, _ := newRuntime(t)
	g, th := newGuest(t, rt, "guest", nil)
	callErr := make(chan error, 1)
	go func() {
		_, err := call(context.Background(), g, "wait")
		callErr <- err
	}()
	<-th.entered
	closed := make(chan error, 1)
	go func() { closed <- g.Close(context.Background()) }()
	for deadline := time.Now().Add(5 * time.Second); ; time.Sleep(time.Millisecond) {
		_, err := call(context.Background(), g, "add", 1, 2)
		if errors.Is(err, host.ErrClosed) {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("a call during Close: %v, want ErrClosed", err)
		}
	}
	select {
	case err := <-closed:
		t.Fatalf("Close returned (%v) while a call was in flight", err)
	case <-time.After(100 * time.Millisecond):
	}
	close(th.release)
	if err := <-callErr; err != nil {
		t.Errorf("the call in flight: %v", err)
	}
	if err := <-closed; err != nil {
		t.Errorf("Close: %v", err)
	}
}

// TestGuestCloseStops: once Close's context is done, the calls still
// running are stopped with ErrClosed.
func TestGuestCloseStops(t *testing.T) {
	rt, _ := newRuntime(t)
	g, _ := newGuest(t, rt, "guest", func(c *host.GuestConfig) {
		c.Limits.Timeout = time.Minute
		c.WASI.Sleep = true
	})
	callErr := make(chan error, 2)
	go func() {
		_, err := call(context.Background(), g, "spin")
		callErr <- err
	}()
	go func() {
		_, err := call(context.Background(), g, "sleep", uint64(time.Minute))
		callErr <- err
	}()
	for g.Stats().Calls < 2 {
		time.Sleep(time.Millisecond)
	}
	time.Sleep(50 * time.Millisecond) // both are inside the guest
	ctx, cancel := context.WithTimeout(context.Background(), 100*time.Millisecond)
	defer cancel()
	start := time.Now()
	if err := g.Close(ctx); err != nil {
		t.Fatal(err)
	}
	if d := time.Since(start); d > 5*time.Second {
		t.Errorf("Close took %v", d)
	}
	for range 2 {
		if err := <-callErr; !errors.Is(err, host.ErrClosed) {
			t.Errorf("a call stopped by Close: %v, want ErrClosed", err)
		}
	}
}

// TestGuestTrapStorm: 10,000 failing calls leave the host's memory flat
// and the guest serving.
func TestGuestTrapStorm(t *testing.T) {
	rt, _ := newRuntime(t)
	g, _ := newGuest(t, rt, "guest", nil)
	n := 10000
	if testing.Short() {
		n = 2000
	}
	heap := func() uint64 {
		runtime.GC()
		var m runtime.MemStats
		runtime.ReadMemStats(&m)
		return m.HeapAlloc
	}
	storm := func(n int) {
		var wg sync.WaitGroup
		for w := range 4 {
			wg.Add(1)
			go func() {
				defer wg.Done()
				for i := w; i < n; i += 4 {
					if _, err := call(context.Background(), g, "trap"); !errors.Is(err, host.ErrTrap) {
						t.Errorf("call %d: %v, want ErrTrap", i, err)
						return
					}
				}
			}()
		}
		wg.Wait()
	}
	storm(200) // warm up: pools, caches
	before := heap()
	storm(n)
	after := heap()
	if grew := int64(after) - int64(before); grew > 8<<20 {
		t.Errorf("the heap grew by %d KiB over %d failing calls (%d -> %d)", grew>>10, n, before, after)
	}
	t.Logf("heap %d KiB -> %d KiB over %d failing calls", before>>10, after>>10, n)
	if s := g.Stats(); s.Failed != int64(n+200) || s.Discarded != int64(n+200) {
		t.Errorf("stats %+v", s)
	}
	mustAdd(t, g)
}

// TestWorkerOperationsDefault: a Worker's request may make 1,000 host
// calls through a binding, not more (WorkerConfig.Operations).
func TestWorkerOperationsDefault(t *testing.T) {
	rt, logs := newRuntime(t)
	w := newWorker(t, rt, "bench_hostcall", func(c *host.WorkerConfig) { c.Bindings = []host.Binding{mustVars(t)} })
	if rec := do(w, "GET", "/calls/1000", nil); rec.Code != 200 {
		t.Fatalf("1,000 host calls: %d %s", rec.Code, rec.Body)
	}
	if rec := do(w, "GET", "/calls/1001", nil); rec.Code != 500 {
		t.Fatalf("1,001 host calls: %d %s, want 500", rec.Code, rec.Body)
	}
	if s := logs.String(); !strings.Contains(s, "more than 1000 operations through bindery:config/vars@0.1.0") || !strings.Contains(s, "kind=\"quota exceeded\"") {
		t.Errorf("the log lacks the quota:\n%s", s)
	}
	unlimited := newWorker(t, rt, "bench_hostcall", func(c *host.WorkerConfig) {
		c.Bindings = []host.Binding{mustVars(t)}
		c.Operations = -1
	})
	if rec := do(unlimited, "GET", "/calls/5000", nil); rec.Code != 200 {
		t.Fatalf("5,000 host calls with no limit: %d %s", rec.Code, rec.Body)
	}
	if s := w.Stats(); s.Calls != 2 || s.Failed != 1 {
		t.Errorf("worker stats %+v", s)
	}
}

// TestWorkerClose: a closed Worker answers 503.
func TestWorkerClose(t *testing.T) {
	rt, _ := newRuntime(t)
	w := newWorker(t, rt, "hello", nil)
	if err := w.Close(context.Background()); err != nil {
		t.Fatal(err)
	}
	if rec := do(w, "GET", "/", nil); rec.Code != 503 {
		t.Errorf("a closed Worker answered %d", rec.Code)
	}
}

// TestRuntimeDefaultCache: with no CacheDir the compilation cache is in
// the user's cache directory; NoCache turns it off.
func TestRuntimeDefaultCache(t *testing.T) {
	home := t.TempDir()
	t.Setenv("XDG_CACHE_HOME", home)
	t.Setenv("HOME", home)
	for _, noCache := range []bool{true, false} {
		rt, err := host.NewRuntime(context.Background(), host.RuntimeConfig{NoCache: noCache})
		if err != nil {
			t.Fatal(err)
		}
		g, err := rt.NewGuest(context.Background(), host.GuestConfig{Name: "add", Wasm: fixture(t, "add.wasm")})
		if err != nil {
			t.Fatal(err)
		}
		g.Close(context.Background())
		rt.Close(context.Background())
		d, _ := os.UserCacheDir()
		entries, _ := os.ReadDir(filepath.Join(d, "bindery", "wazero"))
		if (len(entries) > 0) == noCache {
			t.Errorf("NoCache %v: %d entries in %s", noCache, len(entries), filepath.Join(d, "bindery", "wazero"))
		}
	}
}

func mustVars(t *testing.T) host.Binding {
	b, err := vars.New(map[string]vars.Var{})
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// TestWASI02OnDemand: a Runtime serves WASI 0.2 from the first guest that
// imports it on, not from the start.
func TestWASI02OnDemand(t *testing.T) {
	rt, _ := newRuntime(t)
	hasWASI := func() bool {
		for _, name := range rt.Interfaces() {
			if strings.HasPrefix(name, "wasi:") {
				return true
			}
		}
		return false
	}
	if hasWASI() {
		t.Fatal("a new Runtime serves WASI 0.2 already")
	}
	newGuest(t, rt, "guest", nil) // WASI preview 1 only
	if hasWASI() {
		t.Fatal("a preview 1 guest made the Runtime serve WASI 0.2")
	}
	newGuest(t, rt, "guest02", nil)
	if !hasWASI() {
		t.Fatal("a WASI 0.2 guest did not make the Runtime serve WASI 0.2")
	}
}

// TestGuestCallerPanics: a panic in the caller's function goes on, and
// the instance is not lost.
func TestGuestCallerPanics(t *testing.T) {
	rt, _ := newRuntime(t)
	g, _ := newGuest(t, rt, "guest", func(c *host.GuestConfig) { c.Limits.MaxInstances = 1 })
	func() {
		defer func() {
			if recover() == nil {
				t.Error("the panic did not reach the caller")
			}
		}()
		g.Call(context.Background(), func(context.Context, *abi.Instance) error { panic("boom") })
	}()
	mustAdd(t, g) // the one instance slot is free again
}

// TestGuestGoPlugin: a Go wasip1 reactor starts and runs under the
// default-deny WASIConfig (fake clock, sleep that returns at once,
// deterministic randomness, no environment) and sees the real clock and
// sleep when granted them.
func TestGuestGoPlugin(t *testing.T) {
	if testing.Short() {
		t.Skip("builds a Go guest")
	}
	wasm, err := os.ReadFile(testutil.BuildGoGuest(t, "host/testdata/goplugin"))
	if err != nil {
		t.Fatal(err)
	}
	rt, _ := newRuntime(t)
	get := func(g *host.Guest, name string, args ...uint64) int64 {
		t.Helper()
		v, err := call(context.Background(), g, name, args...)
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		return int64(v)
	}
	mk := func(w host.WASIConfig) *host.Guest {
		g, err := rt.NewGuest(context.Background(), host.GuestConfig{Name: "goplugin", Wasm: wasm, WASI: w})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { g.Close(context.Background()) })
		return g
	}
	denied := mk(host.WASIConfig{})
	if n := get(denied, "add", 2, 3); n != 5 {
		t.Errorf("add = %d", n)
	}
	if now := get(denied, "now"); now != time.Date(2022, 1, 1, 0, 0, 0, 0, time.UTC).Unix() {
		t.Errorf("denied clock: %d, want the fake 2022-01-01", now)
	}
	start := time.Now()
	get(denied, "sleepy", 1000)
	if d := time.Since(start); d > 500*time.Millisecond {
		t.Errorf("a denied sleep of 1s took %v", d)
	}
	if n := get(denied, "envlen"); n != 0 {
		t.Errorf("%d environment variables", n)
	}
	if a, b := get(denied, "random"), get(mk(host.WASIConfig{}), "random"); a != b {
		t.Errorf("denied randomness differs between guests: %d, %d", a, b)
	}

	granted := mk(host.WorkerWASI())
	if now := get(granted, "now"); time.Since(time.Unix(now, 0)).Abs() > time.Minute {
		t.Errorf("granted clock reads %d", now)
	}
	start = time.Now()
	get(granted, "sleepy", 20)
	if d := time.Since(start); d < 20*time.Millisecond {
		t.Errorf("a granted sleep of 20ms took %v", d)
	}
}

// TestGuestUngrantedImport: a guest that imports an interface it was not
// granted fails NewGuest naming it, whether or not another guest on the
// runtime was granted that interface first; listed in
// RuntimeConfig.Interfaces, the ungranted guest gets its Deny instead.
func TestGuestUngrantedImport(t *testing.T) {
	ctx := context.Background()
	wasm := fixture(t, "guest.wasm")
	cases := []struct {
		name        string
		cfg         host.RuntimeConfig
		grantFirst  bool
		wantErrPart string
	}{
		{"never registered", host.RuntimeConfig{NoCache: true}, false, "does not provide"},
		{"another guest granted it", host.RuntimeConfig{NoCache: true}, true, "not granted"},
		{"denied by the runtime", host.RuntimeConfig{NoCache: true, Interfaces: []abi.Interface{testWIT()}}, true, ""},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			rt, err := host.NewRuntime(ctx, tc.cfg)
			if err != nil {
				t.Fatal(err)
			}
			defer rt.Close(ctx)
			if tc.grantFirst {
				g, err := rt.NewGuest(ctx, host.GuestConfig{Name: "granted", Wasm: wasm, Bindings: []host.Binding{newTestHost()}})
				if err != nil {
					t.Fatal(err)
				}
				defer g.Close(ctx)
			}
			g, err := rt.NewGuest(ctx, host.GuestConfig{Name: "ungranted", Wasm: wasm})
			if tc.wantErrPart == "" {
				if err != nil {
					t.Fatalf("NewGuest: %v, want it to start with the interface denied", err)
				}
				g.Close(ctx)
				return
			}
			if err == nil {
				g.Close(ctx)
				t.Fatal("NewGuest succeeded, want an error naming the ungranted interface")
			}
			if !strings.Contains(err.Error(), testIface) || !strings.Contains(err.Error(), tc.wantErrPart) {
				t.Errorf("NewGuest: %v, want it to name %s and say %q", err, testIface, tc.wantErrPart)
			}
		})
	}
}
