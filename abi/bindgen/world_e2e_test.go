package bindgen

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/bindery-run/bindery/abi"
	imagefilter "github.com/bindery-run/bindery/abi/bindgen/testdata/imagefilter/host"
	"github.com/bindery-run/bindery/internal/testutil"
	"github.com/tetratelabs/wazero"
	"github.com/tetratelabs/wazero/api"
	"github.com/tetratelabs/wazero/imports/wasi_snapshot_preview1"
)

// The end-to-end tests of GenerateWorld: testdata/imagefilter/wit is a
// user's world (a list<u8>, a record, flags, a result with a variant
// error, an imported interface with a resource, a world-level import and
// exports of both kinds),
// testdata/imagefilter/host its generated Go host package, and three
// guests implement it: Go and C on the bindings GenerateWorld made, Rust
// on upstream wit-bindgen. Each is called through the typed caller.

const imageFilterDir = "testdata/imagefilter"

// testCaller is an abi.Caller over one wazero instance, standing in for
// host.Guest in these tests: calls run one at a time.
type testCaller struct {
	mu   sync.Mutex
	mod  api.Module
	inst *abi.Instance
}

type binding interface{ WIT() abi.Interface }

func newTestCaller(t testing.TB, wasm []byte, bindings ...binding) *testCaller {
	t.Helper()
	ctx := context.Background()
	r := wazero.NewRuntime(ctx)
	t.Cleanup(func() { r.Close(ctx) })
	wasi_snapshot_preview1.MustInstantiate(ctx, r)
	impls := make([]any, len(bindings))
	for i, b := range bindings {
		iface := b.WIT()
		hb := r.NewHostModuleBuilder(iface.Name)
		iface.Define(hb, i)
		if _, err := hb.Instantiate(ctx); err != nil {
			t.Fatalf("define %s: %v", iface.Name, err)
		}
		impls[i] = b
	}
	mod, err := r.InstantiateWithConfig(ctx, wasm, wazero.NewModuleConfig().WithStartFunctions("_initialize").WithStderr(os.Stderr))
	if err != nil {
		t.Fatalf("instantiate: %v", err)
	}
	inst, err := abi.NewInstance(mod, impls)
	if err != nil {
		t.Fatal(err)
	}
	return &testCaller{mod: mod, inst: inst}
}

func (c *testCaller) Call(ctx context.Context, fn func(ctx context.Context, inst *abi.Instance) error) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	if err := c.inst.Poisoned(); err != nil {
		return fmt.Errorf("instance is poisoned: %w", err)
	}
	return fn(abi.WithInstance(ctx, c.inst), c.inst)
}

// logHost records what the guest logs, and its spans.
type logHost struct {
	mu      sync.Mutex
	msgs    []string
	spans   int // spans made
	dropped int // spans the guest dropped
}

// span is the host side of resource span.
type span struct {
	l    *logHost
	name string
}

func (l *logHost) NewSpan(ctx context.Context, name string) imagefilter.Span {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.spans++
	return &span{l: l, name: fmt.Sprintf("%s#%d", name, l.spans)}
}

func (s *span) Finish(ctx context.Context) string { return s.name }

// Drop implements abi.Dropper.
func (s *span) Drop(ctx context.Context) {
	s.l.mu.Lock()
	defer s.l.mu.Unlock()
	s.l.dropped++
}

func (l *logHost) Log(ctx context.Context, level imagefilter.Level, msg string) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.msgs = append(l.msgs, fmt.Sprintf("%d %s", level, msg))
}

type clock uint64

func (c clock) NowMs(ctx context.Context) uint64 { return uint64(c) }

// imageFilterGuests builds the three guests; a missing toolchain skips
// its guest (and fails under BINDERY_CONFORMANCE_REQUIRE).
func imageFilterGuests() map[string]func(t testing.TB) []byte {
	return map[string]func(t testing.TB) []byte{
		"go": func(t testing.TB) []byte {
			_, err := testutil.LookPath("go", "go", "")
			testutil.NeedToolchain(t, err)
			return mustReadBytes(t, testutil.BuildGoGuest(t, "abi/bindgen/"+imageFilterDir+"/go"))
		},
		"c": func(t testing.TB) []byte {
			var files []File
			gen := filepath.Join(imageFilterDir, "c", "gen")
			ents, err := os.ReadDir(gen)
			if err != nil {
				t.Fatal(err)
			}
			for _, e := range ents {
				files = append(files, File{Path: e.Name(), Data: mustReadBytes(t, filepath.Join(gen, e.Name()))})
			}
			main := mustRead(t, filepath.Join(imageFilterDir, "c", "filter.c"))
			return mustReadBytes(t, compileC(t, files, main))
		},
		"rust": buildRustImageFilter,
	}
}

// buildRustImageFilter builds testdata/imagefilter/rust with
// guest-sdk/rust/cargo-wasm, as conformance/rust_test.go builds Workers.
func buildRustImageFilter(t testing.TB) []byte {
	script := filepath.Join(testutil.RepoRoot(t), "guest-sdk", "rust", "cargo-wasm")
	_, err := testutil.ProbeScript("rust", script)
	testutil.NeedToolchain(t, err)
	cache, err := os.UserCacheDir()
	if err != nil {
		cache = os.TempDir()
	}
	wasm := filepath.Join(t.TempDir(), "imagefilter.wasm")
	cmd := exec.Command("bash", script, "-o", wasm)
	cmd.Dir = filepath.Join(imageFilterDir, "rust")
	cmd.Env = append(os.Environ(), "CARGO_TARGET_DIR="+filepath.Join(cache, "bindery-test", "rust-target"))
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("build the Rust guest: %v\n%s", err, out)
	}
	return mustReadBytes(t, wasm)
}

func mustReadBytes(t testing.TB, p string) []byte {
	t.Helper()
	b, err := os.ReadFile(p)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// TestWorldEndToEnd calls each guest through the generated typed caller.
func TestWorldEndToEnd(t *testing.T) {
	for _, lang := range []string{"go", "c", "rust"} {
		t.Run(lang, func(t *testing.T) {
			wasm := imageFilterGuests()[lang](t)
			logs := &logHost{}
			c := newTestCaller(t, wasm, imagefilter.NewLogBinding(logs), imagefilter.NewImageFilterBinding(clock(1234)))
			if err := imagefilter.Check(c.mod); err != nil {
				t.Fatalf("Check: %v", err)
			}
			p := imagefilter.New(c)
			ctx := context.Background()

			got, err := p.Apply(ctx, []byte{10, 20, 250}, imagefilter.Params{Brightness: 10, Label: abi.Option[string]{Some: true, Value: "hi"}})
			if err != nil || !slices.Equal(got, []byte{20, 30, 255}) {
				t.Errorf("Apply = %v, %v; want [20 30 255]", got, err)
			}
			if want := fmt.Sprintf("%d %s: hi", imagefilter.LevelInfo, lang); len(logs.msgs) != 1 || logs.msgs[0] != want {
				t.Errorf("logged %q, want [%q]", logs.msgs, want)
			}
			got, err = p.Apply(ctx, []byte{0, 100, 255}, imagefilter.Params{Brightness: -50, Invert: true})
			if err != nil || !slices.Equal(got, []byte{255, 205, 50}) {
				t.Errorf("Apply inverted = %v, %v; want [255 205 50]", got, err)
			}
			got, err = p.Apply(ctx, []byte{1, 2, 3, 4}, imagefilter.Params{Mode: imagefilter.ModeMirror | imagefilter.ModeGrayscale})
			if err != nil || !slices.Equal(got, []byte{4, 3, 2, 1}) {
				t.Errorf("Apply mirrored = %v, %v; want [4 3 2 1]", got, err)
			}

			for _, tc := range []struct {
				name   string
				img    []byte
				params imagefilter.Params
				want   imagefilter.Error
			}{
				{"empty", nil, imagefilter.Params{}, imagefilter.Error{Tag: imagefilter.ErrorBadImage, BadImage: "empty image"}},
				{"large", make([]byte, 1<<20+1), imagefilter.Params{}, imagefilter.Error{Tag: imagefilter.ErrorTooLarge, TooLarge: 1<<20 + 1}},
				{"unsupported", []byte{1}, imagefilter.Params{Brightness: 999}, imagefilter.Error{Tag: imagefilter.ErrorUnsupported}},
			} {
				_, err := p.Apply(ctx, tc.img, tc.params)
				var ge imagefilter.Error
				if !errors.As(err, &ge) || ge != tc.want {
					t.Errorf("%s: Apply error = %v (%T), want the guest's %v", tc.name, err, err, tc.want)
				}
			}

			v, err := p.Version(ctx)
			if want := lang + " 1 at 1234 (version#1)"; err != nil || v != want {
				t.Errorf("Version = %q, %v; want %q", v, err, want)
			}
			if logs.spans != 1 || logs.dropped != 1 {
				t.Errorf("the guest made %d spans and dropped %d, want 1 and 1", logs.spans, logs.dropped)
			}
			d, err := p.InfoDescribe(ctx)
			if want := []string{lang, "brightness", "invert"}; err != nil || !slices.Equal(d, want) {
				t.Errorf("InfoDescribe = %q, %v; want %q", d, err, want)
			}

			// Many calls: each one's memory is given back (post-return).
			img := make([]byte, 64<<10)
			for i := range 200 {
				if _, err := p.Apply(ctx, img, imagefilter.Params{Brightness: 1}); err != nil {
					t.Fatalf("call %d: %v", i, err)
				}
			}
			if pages, _ := c.mod.Memory().Grow(0); pages > 1000 {
				t.Errorf("memory grew to %d pages over 200 calls", pages)
			}
		})
	}
}

// hidingLookup hides one export of a module, or with as set, gives the
// export as in its place.
type hidingLookup struct {
	mod      api.Module
	hide, as string
}

func (h hidingLookup) ExportedFunction(name string) api.Function {
	if name == h.hide {
		if h.as != "" {
			return h.mod.ExportedFunction(h.as)
		}
		return nil
	}
	return h.mod.ExportedFunction(name)
}

// TestWorldCheck: Check names the export a guest lacks, and a typed call
// on such a guest fails with the same error.
func TestWorldCheck(t *testing.T) {
	wasm := imageFilterGuests()["c"](t)
	c := newTestCaller(t, wasm, imagefilter.NewLogBinding(&logHost{}), imagefilter.NewImageFilterBinding(clock(0)))
	for _, hide := range []string{"apply", "example:image/info@0.1.0#describe"} {
		err := imagefilter.Check(hidingLookup{mod: c.mod, hide: hide})
		if err == nil || !strings.Contains(err.Error(), fmt.Sprintf("%q", hide)) {
			t.Errorf("Check without %s = %v, want an error naming it", hide, err)
		}
	}
	if err := imagefilter.Check(hidingLookup{mod: c.mod, hide: "apply", as: "version"}); err == nil || !strings.Contains(err.Error(), `"apply"`) {
		t.Errorf("Check with version as apply = %v, want a signature error naming apply", err)
	}
	c.inst.SetLookup(hidingLookup{mod: c.mod, hide: "version"})
	if _, err := imagefilter.New(c).Version(context.Background()); err == nil || !strings.Contains(err.Error(), `"version"`) {
		t.Errorf("Version on a guest without it = %v, want an error naming the export", err)
	}
}

// BenchmarkWorldCall is one typed call of a small plugin (16 bytes and a
// record in, 16 bytes out) through the generated caller, per guest
// language, over the test Caller (one instance, no pool, no deadline).
func BenchmarkWorldCall(b *testing.B) {
	for _, lang := range []string{"go", "c"} {
		b.Run(lang, func(b *testing.B) {
			wasm := imageFilterGuests()[lang](b)
			c := newTestCaller(b, wasm, imagefilter.NewLogBinding(&logHost{}), imagefilter.NewImageFilterBinding(clock(0)))
			p := imagefilter.New(c)
			ctx := context.Background()
			img := make([]byte, 16)
			params := imagefilter.Params{Brightness: 3, Invert: true}
			b.ReportAllocs()
			for b.Loop() {
				if _, err := p.Apply(ctx, img, params); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
