package host_test

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/bindery-run/bindery/abi"
	"github.com/bindery-run/bindery/bindings/kv"
	"github.com/bindery-run/bindery/host"
	"github.com/bindery-run/bindery/internal/testutil"
	"github.com/tetratelabs/wazero"
	"github.com/tetratelabs/wazero/api"
)

// hostileIface is the suite's test interface, which hostile.wat imports:
// thing() hands out a handle of a resource type that is not a KV
// namespace; count() is a host call that counts (the one cabi_realloc
// tries to make re-entrantly).
const hostileIface = "test:hostile/host@0.1.0"

// thingType is the resource type of thing()'s handles.
const thingType = hostileIface + "#thing"

// hostileHost is the suite's binding of test:hostile/host.
type hostileHost struct{ counted atomic.Int64 }

// WIT implements host.Binding.
func (h *hostileHost) WIT() abi.Interface {
	return abi.Interface{Name: hostileIface, Define: func(hb wazero.HostModuleBuilder, slot int) {
		hb.NewFunctionBuilder().WithGoModuleFunction(api.GoModuleFunc(func(ctx context.Context, _ api.Module, s []uint64) {
			inst := abi.Enter(ctx, slot)
			s[0] = uint64(inst.Handles.Add(inst, thingType, struct{}{}))
		}), nil, []api.ValueType{api.ValueTypeI32}).Export("thing")
		hb.NewFunctionBuilder().WithGoModuleFunction(api.GoModuleFunc(func(ctx context.Context, _ api.Module, s []uint64) {
			inst := abi.Enter(ctx, slot)
			inst.Impl(slot).(*hostileHost).counted.Add(1)
		}), nil, nil).Export("count")
	}}
}

// The addresses of hostile.wat's data (see its header).
const (
	hCache  = 256 // "CACHE"
	hKey    = 264 // "k"
	hBig    = 268 // "big"
	hBadStr = 272 // ff fe fd
	hRet    = 1024
	hZeroes = 16384 // 32 KiB of zeroes: a valid string
)

// The modes of hostile.wat's cabi_realloc.
const (
	reallocOK = iota
	reallocOutOfBounds
	reallocMisaligned
	reallocTraps
	reallocReenters
	reallocLoops
)

// hostileCase is one attack of the suite. A case with coveredBy is run by
// the tests it names (space-separated; in this package, or in abi with
// the suffix " (abi)"), through the same public API, not again here: the
// table lists it so that the suite shows every threat, and
// checkCoveredBy fails when a named test is gone.
type hostileCase struct {
	threat    string
	coveredBy string // the test that runs the case, when not this one
	limits    host.Limits
	export    string
	args      []uint64
	kind      error               // the call's typed error; nil: the call succeeds
	want      string              // in the error's message (a regexp)
	check     func(uint64) string // when kind is nil: what is wrong with the result, or ""
}

// TestHostileGuests is the hostile-guest suite: real guests attack the
// host through the public API (host.Runtime.NewGuest, Guest.Call; a
// Worker where HTTP matters). After every attack the call has a typed
// error (errors.Is with exactly one of host.ErrDeadline, ErrMemoryLimit,
// ErrQuota, ErrTrap, ErrCanceled, ErrClosed), or is handled (a denied
// grant answers an error code), and the same Guest and a sibling Guest
// on the same Runtime serve a good call, with the KV state intact.
func TestHostileGuests(t *testing.T) {
	errno := func(want ...uint64) func(uint64) string {
		return func(got uint64) string {
			for _, w := range want {
				if got == w {
					return ""
				}
			}
			return "errno " + strconv.FormatUint(got, 10) + ", want a denial"
		}
	}
	cases := []hostileCase{
		// Runaway CPU and memory, and the guest's own traps.
		{threat: "infinite loop", coveredBy: "TestGuestErrors", kind: host.ErrDeadline},           // guest.wat spin, also caller deadline and cancel
		{threat: "infinite loop in a Worker", coveredBy: "TestBadGuests", kind: host.ErrDeadline}, // loop.wat, 500 and a log line
		{threat: "infinite loop in _initialize", coveredBy: "TestInitializeStopped"},
		{threat: "memory bomb", coveredBy: "TestGuestErrors", kind: host.ErrMemoryLimit}, // guest.wat bomb with Limits.Memory
		{threat: "memory bomb in a Worker", coveredBy: "TestBadGuests", kind: host.ErrMemoryLimit},
		{threat: "memory below the module's minimum", coveredBy: "TestMemoryLimitBelowInitialMemory"},
		{threat: "deep recursion in a Go guest, memory bomb in a Go guest, files, environment and network from a Go guest", coveredBy: "TestHostileGoGuest"},
		{threat: "deep recursion", export: "recurse", args: []uint64{0}, kind: host.ErrTrap, want: "stack overflow"},
		{threat: "trap storm: 10,000 failing calls, flat host memory", coveredBy: "TestGuestTrapStorm", kind: host.ErrTrap},
		{threat: "host call quotas (operations, bytes, per interface)", coveredBy: "TestGuestErrors", kind: host.ErrQuota},
		{threat: "1,001 host calls in one Worker request", coveredBy: "TestWorkerOperationsDefault", kind: host.ErrQuota},
		{threat: "slow request body past the deadline", coveredBy: "TestSlowBodyEndsAtDeadline", kind: host.ErrDeadline},

		// cabi_realloc: the guest's allocator answers the host badly.
		{threat: "cabi_realloc returns an out-of-bounds address", export: "get", args: []uint64{reallocOutOfBounds, hKey, 1},
			kind: host.ErrTrap, want: `cabi_realloc returned 0xfffffff0\+5, beyond memory size`},
		{threat: "cabi_realloc returns a misaligned address", export: "get_many", args: []uint64{reallocMisaligned, 1, hKey, 1},
			kind: host.ErrTrap, want: `cabi_realloc returned 0x[0-9a-f]+, not aligned to 4`},
		{threat: "cabi_realloc traps", export: "get", args: []uint64{reallocTraps, hKey, 1}, kind: host.ErrTrap, want: "unreachable"},
		{threat: "cabi_realloc never returns", limits: host.Limits{Timeout: 100 * time.Millisecond},
			export: "get", args: []uint64{reallocLoops, hKey, 1}, kind: host.ErrDeadline},
		{threat: "a guest without cabi_realloc is passed a string", coveredBy: "TestGuestErrors", kind: host.ErrTrap}, // "no realloc"
		{threat: "the host lowers a value bigger than the memory limit", limits: host.Limits{Memory: 4 << 20},
			export: "get", args: []uint64{reallocOK, hBig, 3}, kind: host.ErrMemoryLimit, want: "4 MiB"},
		{threat: "the guest asks for a list over the Canonical ABI limit", export: "get_many_raw", args: []uint64{hRet, 1 << 28},
			kind: host.ErrTrap, want: "over the Canonical ABI limit"},
		{threat: "the host is asked to lower more than MaxLength", coveredBy: "TestLowerOverMaxLength (abi)"},
		{threat: "re-entrant host call from cabi_realloc", export: "get", args: []uint64{reallocReenters, hKey, 1},
			kind: host.ErrTrap, want: "called from within cabi_realloc"},

		// Pointers into guest memory.
		{threat: "string whose ptr+len wraps around 4 GiB", export: "open_raw", args: []uint64{0xFFFFFFF0, 0x1000, hRet},
			kind: host.ErrTrap, want: `out of bounds: 0xfffffff0\+4096`},
		{threat: "string past the end of memory", export: "open_raw", args: []uint64{65536 - 2, 5, hRet},
			kind: host.ErrTrap, want: `out of bounds: 0xfffe\+5 is beyond memory size 65536`},
		{threat: "string over the Canonical ABI limit", export: "open_raw", args: []uint64{0, 1 << 28, hRet},
			kind: host.ErrTrap, want: "over the Canonical ABI limit"},
		{threat: "return area out of bounds", export: "open_raw", args: []uint64{hCache, 5, 0xFFFFFFFC},
			kind: host.ErrTrap, want: `out of bounds: 0xfffffffc\+16`},
		{threat: "return area misaligned", export: "open_raw", args: []uint64{hCache, 5, hRet + 2},
			kind: host.ErrTrap, want: "not aligned to 4"},
		{threat: "list of strings that overlap (n times one string)", export: "get_many", args: []uint64{reallocOK, 64, hZeroes, 32 << 10},
			kind: host.ErrTrap, want: "overlapping lists"},
		{threat: "return area overlapping the arguments (lifted before the results are stored)", export: "overlap", check: func(got uint64) string {
			if got != uint64(len("value")) {
				return "get with its return area over its key answered " + strconv.FormatUint(got, 10) + ", want the 5 bytes of the value"
			}
			return ""
		}},
		{threat: "out-of-bounds pointer in a Worker", coveredBy: "TestBadGuests", kind: host.ErrTrap}, // oob.wat
		{threat: "invalid UTF-8 in a string", export: "open_raw", args: []uint64{hBadStr, 3, hRet}, kind: host.ErrTrap, want: "not valid UTF-8"},
		{threat: "invalid UTF-8 in a Worker", coveredBy: "TestBadGuests", kind: host.ErrTrap}, // badutf8.wat

		// Resource handles.
		{threat: "forged handle (never issued)", export: "get_raw", args: []uint64{12345, hKey, 1, hRet},
			kind: host.ErrTrap, want: "handle 12345 is not a live bindery:kv/store@0.1.0#namespace"},
		{threat: "forged handle 0xFFFFFFFF dropped", export: "drop", args: []uint64{0xFFFFFFFF},
			kind: host.ErrTrap, want: "handle 4294967295 is not a live"},
		{threat: "handle of another resource type", export: "confused", kind: host.ErrTrap, want: "handle 1 is not a live bindery:kv/store@0.1.0#namespace"},
		{threat: "use after drop", export: "use_after_drop", kind: host.ErrTrap, want: "handle 1 is not a live"},
		{threat: "double drop", export: "double_drop", kind: host.ErrTrap, want: "handle 1 is not a live"},
		{threat: "forged stream handle in a Worker", coveredBy: "TestBadGuests", kind: host.ErrTrap}, // badhandle.wat

		// Grants: default deny.
		{threat: "network: WASI preview 1 sock_accept", export: "accept", args: []uint64{3}, check: errno(8)},          // EBADF: no socket
		{threat: "network: WASI preview 1 sock_recv on stdin", export: "recv", args: []uint64{0}, check: errno(8, 57)}, // EBADF, ENOTSOCK
		{threat: "network: WASI preview 1 sock_send on stdout", export: "send", args: []uint64{1}, check: errno(8, 57)},
		{threat: "network: WASI preview 1 sock_shutdown", export: "shutdown", args: []uint64{3}, check: errno(8)},
		{threat: "network: WASI 0.2 create-tcp-socket", export: "tcp", check: func(got uint64) string {
			if got != 256+1 { // error-code access-denied
				return "create-tcp-socket answered " + strconv.FormatUint(got, 10) + ", want access-denied (257)"
			}
			return ""
		}},
		{threat: "files: WASI 0.2 preopens", export: "dirs", check: func(got uint64) string {
			if got != 0 {
				return strconv.FormatUint(got, 10) + " preopened directories, want none"
			}
			return ""
		}},
		{threat: "files: WASI preview 1 path_open without a mount, and outside a mount", coveredBy: "TestGuestWASI"},
		{threat: "clocks: fake wall and monotonic clock unless granted (preview 1, 0.2, Go)", coveredBy: "TestGuestWASI TestGuestWASI02 TestGuestGoPlugin"},
		{threat: "randomness: deterministic unless granted", coveredBy: "TestGuestWASI TestGuestWASI02 TestGuestGoPlugin"},
		{threat: "environment and arguments: empty unless granted", coveredBy: "TestGuestWASI TestGuestWASI02 TestGuestGoPlugin"},
		{threat: "sleep: returns at once unless granted", coveredBy: "TestGuestWASI TestGuestWASI02 TestGuestGoPlugin"},
		{threat: "an import the host does not serve", coveredBy: "TestBadGuests TestHostileMissingImport"},
		{threat: "a guest stuck in a host call when Close's context ends", coveredBy: "TestGuestCloseStops", kind: host.ErrClosed},
	}
	checkCoveredBy(t, cases)

	rt, _ := newRuntime(t)
	ns := kv.NewNamespace(kv.NewMemory(nil), kv.DefaultLimits(), nil)
	ctx := context.Background()
	if err := ns.Put(ctx, "k", []byte("value"), kv.PutOptions{}); err != nil {
		t.Fatal(err)
	}
	if err := ns.Put(ctx, "big", make([]byte, 8<<20), kv.PutOptions{}); err != nil {
		t.Fatal(err)
	}
	newHostile := func(t *testing.T, limits host.Limits) (*host.Guest, *hostileHost) {
		hh := &hostileHost{}
		g, err := rt.NewGuest(ctx, host.GuestConfig{
			Name: "hostile", Wasm: fixture(t, "hostile.wasm"), Limits: limits,
			Bindings: []host.Binding{kv.NewBinding(map[string]*kv.Namespace{"CACHE": ns}), hh},
		})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { g.Close(context.Background()) })
		return g, hh
	}
	sibling, _ := newHostile(t, host.Limits{})
	// serves checks that g still serves a good call, a host call through
	// KV included, and that the KV state is intact.
	serves := func(t *testing.T, g *host.Guest) {
		t.Helper()
		mustAdd(t, g)
		if n, err := call(ctx, g, "get", reallocOK, hKey, 1); err != nil || n != uint64(len("value")) {
			t.Fatalf("get(k) = %d, %v; want the 5 bytes of %q", n, err, "value")
		}
	}
	kinds := []error{host.ErrDeadline, host.ErrMemoryLimit, host.ErrQuota, host.ErrTrap, host.ErrCanceled, host.ErrClosed}
	for _, tc := range cases {
		if tc.coveredBy != "" {
			continue
		}
		t.Run(tc.threat, func(t *testing.T) {
			g, hh := newHostile(t, tc.limits)
			res, err := call(ctx, g, tc.export, tc.args...)
			if tc.kind == nil {
				if err != nil {
					t.Fatalf("%s: %v, want it handled", tc.export, err)
				}
				if msg := tc.check(res); msg != "" {
					t.Error(msg)
				}
			} else {
				var ce *host.CallError
				if !errors.As(err, &ce) {
					t.Fatalf("%s%v = %d, %v (%T); want a *host.CallError", tc.export, tc.args, res, err, err)
				}
				for _, k := range kinds {
					if errors.Is(err, k) != (k == tc.kind) {
						t.Errorf("errors.Is(%v, %v) = %v", err, k, k != tc.kind)
					}
				}
				if tc.want != "" && !regexp.MustCompile(tc.want).MatchString(err.Error()) {
					t.Errorf("error %q, want it to say %q", err, tc.want)
				}
				if s := g.Stats(); s.Failed != 1 || s.Discarded != 1 {
					t.Errorf("stats %+v, want the call failed and its instance discarded", s)
				}
			}
			if n := hh.counted.Load(); n != 0 {
				t.Errorf("count() ran %d times: a re-entrant host call reached the host", n)
			}
			serves(t, g)
			serves(t, sibling)
		})
	}
}

// checkCoveredBy fails when a case's coveredBy names a test that is not
// in this package (or, marked "(abi)", in abi's), so the table stays true.
func checkCoveredBy(t *testing.T, cases []hostileCase) {
	t.Helper()
	src := map[string]string{}
	for _, dir := range []string{".", "../abi"} {
		files, _ := filepath.Glob(filepath.Join(dir, "*_test.go"))
		var b strings.Builder
		for _, f := range files {
			data, err := os.ReadFile(f)
			if err != nil {
				t.Fatal(err)
			}
			b.Write(data)
		}
		src[dir] = b.String()
	}
	for _, tc := range cases {
		if tc.coveredBy == "" {
			if tc.export == "" {
				t.Errorf("case %q neither runs nor names the test that covers it", tc.threat)
			}
			continue
		}
		dir, names := ".", tc.coveredBy
		if n, ok := strings.CutSuffix(names, " (abi)"); ok {
			dir, names = "../abi", n
		}
		for _, name := range strings.Fields(names) {
			if !strings.Contains(src[dir], "\nfunc "+name+"(t *testing.T)") {
				t.Errorf("case %q: no %s in %s", tc.threat, name, dir)
			}
		}
	}
}

// TestHostileMissingImport: a guest that imports an interface the host
// does not serve (here a made-up WASI one) fails NewGuest with an error
// naming the import, and the Runtime goes on serving other guests.
func TestHostileMissingImport(t *testing.T) {
	rt, _ := newRuntime(t)
	_, err := rt.NewGuest(context.Background(), host.GuestConfig{Name: "missing", Wasm: fixture(t, "missingimport.wasm")})
	if err == nil || !strings.Contains(err.Error(), "bindery:nosuch/thing@0.1.0") {
		t.Fatalf("NewGuest = %v, want an error naming the import", err)
	}
	g, _ := newGuest(t, rt, "guest", nil)
	mustAdd(t, g)
}

// TestHostileGoGuest: the hostile-guest cases where a real language
// runtime matters, with a Go wasip1 reactor (testdata/goplugin): its
// runaway stack and heap end with ErrMemoryLimit, and what it reaches
// for without a grant (a file, the environment, the network) is denied
// inside the guest; the Guest serves a good call after each.
func TestHostileGoGuest(t *testing.T) {
	if testing.Short() {
		t.Skip("builds a Go guest")
	}
	wasm, err := os.ReadFile(testutil.BuildGoGuest(t, "host/testdata/goplugin"))
	if err != nil {
		t.Fatal(err)
	}
	rt, _ := newRuntime(t)
	g, err := rt.NewGuest(context.Background(), host.GuestConfig{Name: "goplugin", Wasm: wasm, Limits: host.Limits{Memory: 64 << 20}})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { g.Close(context.Background()) })
	tests := []struct {
		threat string
		export string
		args   []uint64
		kind   error // nil: the call succeeds and answers want
		want   int32 // the answer when kind is nil
	}{
		{threat: "deep recursion", export: "recurse", args: []uint64{0}, kind: host.ErrMemoryLimit},
		{threat: "memory bomb", export: "hog", args: []uint64{1 << 10}, kind: host.ErrMemoryLimit},
		{threat: "a file it was not granted", export: "readfile", want: -1},
		{threat: "the environment", export: "home", want: 0},
		{threat: "the network", export: "dial", want: -1},
	}
	for _, tt := range tests {
		t.Run(tt.threat, func(t *testing.T) {
			before := g.Stats()
			start := time.Now()
			got, err := call(context.Background(), g, tt.export, tt.args...)
			t.Logf("%s: %v in %v", tt.export, err, time.Since(start))
			switch {
			case tt.kind == nil && err != nil:
				t.Errorf("%s: %v, want it denied inside the guest", tt.export, err)
			case tt.kind == nil && int32(got) != tt.want:
				t.Errorf("%s = %d, want %d", tt.export, int32(got), tt.want)
			case tt.kind != nil && !errors.Is(err, tt.kind):
				t.Errorf("%s: %v, want %v", tt.export, err, tt.kind)
			case tt.kind != nil:
				if s := g.Stats(); s.Discarded != before.Discarded+1 {
					t.Errorf("stats %+v, want the instance discarded", s)
				}
			}
			if n, err := call(context.Background(), g, "add", 2, 3); err != nil || n != 5 {
				t.Fatalf("add(2, 3) = %d, %v after %s", n, err, tt.export)
			}
		})
	}
}
