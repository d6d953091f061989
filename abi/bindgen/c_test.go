package bindgen

import (
	"bytes"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/bindery-run/bindery/internal/testutil"
	"go.bytecodealliance.org/wit"
)

// genC loads the WIT text src and generates only C bindings for the
// interfaces named in ifaces, into "c".
func genC(t *testing.T, src, world string, ifaces ...string) ([]File, error) {
	t.Helper()
	path := filepath.Join(t.TempDir(), "x.wit")
	if err := os.WriteFile(path, []byte(src), 0o644); err != nil {
		t.Fatal(err)
	}
	res, err := wit.LoadWIT(path)
	if err != nil {
		t.Fatalf("the test's WIT does not load: %v\n%s", err, src)
	}
	return genCRes(t, res, world, ifaces...)
}

func genCRes(t *testing.T, res *wit.Resolve, world string, ifaces ...string) ([]File, error) {
	t.Helper()
	cfg := Config{Module: "github.com/bindery-run/bindery", World: world, CDir: "c"}
	for _, i := range ifaces {
		cfg.Targets = append(cfg.Targets, Target{Interface: i})
	}
	defer func() {
		if r := recover(); r != nil {
			t.Fatalf("Generate panicked: %v", r)
		}
	}()
	return Generate(res, cfg)
}

// wasmClang returns the clang that guest-sdk/c/build.sh would use, or
// skips (fails when c is required: testutil.NeedToolchain).
func wasmClang(t testing.TB) string {
	t.Helper()
	cc, err := testutil.ProbeScript("c", "guest-sdk/c/build.sh")
	testutil.NeedToolchain(t, err)
	return cc
}

// compileC writes files to a temporary directory and compiles every .c
// file for wasm32-wasi with warnings as errors: the _Static_asserts in the
// generated code then check each C layout against the Canonical ABI's.
// main, if set, is compiled too and everything is linked into a reactor.
func compileC(t testing.TB, files []File, main string) string {
	t.Helper()
	cc := wasmClang(t)
	dir := t.TempDir()
	var srcs []string
	for _, f := range files {
		p := filepath.Join(dir, filepath.Base(f.Path))
		if err := os.WriteFile(p, f.Data, 0o644); err != nil {
			t.Fatal(err)
		}
		if strings.HasSuffix(p, ".c") {
			srcs = append(srcs, p)
		}
	}
	args := []string{"--target=wasm32-wasi", "-O2", "-Wall", "-Wextra", "-Werror", "-Wno-unused-parameter"}
	if main == "" {
		for _, src := range srcs {
			cmd := exec.Command(cc, append(args, "-c", src, "-o", src+".o")...)
			if out, err := cmd.CombinedOutput(); err != nil {
				t.Fatalf("%s does not compile: %v\n%s\n%s", filepath.Base(src), err, out, numbered([]byte(mustRead(t, src))))
			}
		}
		return ""
	}
	mp := filepath.Join(dir, "main.c")
	if err := os.WriteFile(mp, []byte(main), 0o644); err != nil {
		t.Fatal(err)
	}
	wasm := filepath.Join(dir, "guest.wasm")
	cmd := exec.Command(cc, append(append(args, "-mexec-model=reactor", "-I", dir, "-o", wasm, mp), srcs...)...)
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("the C guest does not build: %v\n%s", err, out)
	}
	return wasm
}

func mustRead(t testing.TB, p string) string {
	b, err := os.ReadFile(p)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// TestCGenerateProject checks the shape of the C bindings of the project's
// WIT: one header and one source per interface plus the shared files,
// each header guarded and usable from C++, and the same output every time.
func TestCGenerateProject(t *testing.T) {
	res, err := wit.LoadWIT(filepath.Join("..", "..", "wit"))
	if err != nil {
		t.Fatal(err)
	}
	ifaces := []string{"bindery:io/streams", "bindery:http/types", "bindery:http/handler", "bindery:kv/store", "bindery:config/vars", "bindery:r2/bucket", "bindery:html/rewriter"}
	files, err := genCRes(t, res, "worker", ifaces...)
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, f := range files {
		names = append(names, f.Path)
	}
	want := []string{"c/bindery_cabi.c", "c/bindery_cabi.h", "c/config_vars.c", "c/config_vars.h", "c/html_rewriter.c", "c/html_rewriter.h", "c/http_handler.c", "c/http_handler.h",
		"c/http_types.c", "c/http_types.h", "c/io_streams.c", "c/io_streams.h", "c/kv_store.c", "c/kv_store.h", "c/r2_bucket.c", "c/r2_bucket.h"}
	slices.Sort(names)
	if !slices.Equal(names, want) {
		t.Fatalf("files %v, want %v", names, want)
	}
	again, _ := genCRes(t, res, "worker", ifaces...)
	for i, f := range files {
		if !bytes.Equal(f.Data, again[i].Data) {
			t.Errorf("%s differs between two runs", f.Path)
		}
		if !strings.HasSuffix(f.Path, ".h") {
			continue
		}
		for _, s := range []string{"#ifndef ", "extern \"C\" {", "#endif"} {
			if !bytes.Contains(f.Data, []byte(s)) {
				t.Errorf("%s has no %q", f.Path, s)
			}
		}
	}
	src := func(name string) string {
		for _, f := range files {
			if f.Path == "c/"+name {
				return string(f.Data)
			}
		}
		t.Fatalf("no %s", name)
		return ""
	}
	// Spot checks of the ABI: import names, the spilled put, the export and its post-return.
	tests := []struct{ file, want string }{
		{"kv_store.c", `__import_module__("bindery:kv/store@0.1.0"), __import_name__("[method]namespace.get")`},
		{"kv_store.c", `__import_name__("[resource-drop]namespace")`},
		{"r2_bucket.c", `__wasm_import_r2_bucket_bucket_put((int32_t)(uintptr_t)&params, (int32_t)(uintptr_t)&ret_area);`},
		{"http_handler.c", `__export_name__("bindery:http/handler@0.1.0#handle")`},
		{"http_handler.c", `__export_name__("cabi_post_bindery:http/handler@0.1.0#handle")`},
		{"bindery_cabi.c", `__export_name__("cabi_realloc")`},
		{"io_streams.c", `extern void __wasm_import_io_streams_output_stream_splice(int32_t, int32_t, int64_t, int32_t);`},
		{"config_vars.h", "config_vars_option_value_t config_vars_get(bindery_string_t name);"},
		{"kv_store.h", "bool kv_store_namespace_get(kv_store_namespace_t self, bindery_string_t key, kv_store_option_list_u8_t *ret, kv_store_error_t *err);"},
		{"http_types.h", `#include "io_streams.h"`},
	}
	for _, tt := range tests {
		if !strings.Contains(src(tt.file), tt.want) {
			t.Errorf("%s does not contain %s", tt.file, tt.want)
		}
	}
}

// TestCCompiles compiles the C bindings of the project's WIT and of the
// layout WIT (every alignment, a u16 discriminant, floats, nested
// variants, spilled parameters, an export with a result) for wasm32.
func TestCCompiles(t *testing.T) {
	if testing.Short() {
		t.Skip("runs clang")
	}
	project, err := wit.LoadWIT(filepath.Join("..", "..", "wit"))
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name   string
		res    *wit.Resolve
		world  string
		ifaces []string
	}{
		{"project", project, "worker", []string{"bindery:io/streams", "bindery:http/types", "bindery:http/handler", "bindery:kv/store", "bindery:config/vars", "bindery:r2/bucket", "bindery:html/rewriter"}},
		{"layout", layoutWIT(t), "layout", []string{"test:layout/types", "test:layout/exports"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			files, err := genCRes(t, tt.res, tt.world, tt.ifaces...)
			if err != nil {
				t.Fatal(err)
			}
			compileC(t, files, "")
		})
	}
}

// TestCLayoutAsserts checks that the generated asserts state the
// Canonical ABI's sizes: a wrong size in the generator would otherwise be
// asserted as right.
func TestCLayoutAsserts(t *testing.T) {
	files, err := genCRes(t, layoutWIT(t), "layout", "test:layout/types", "test:layout/exports")
	if err != nil {
		t.Fatal(err)
	}
	var types string
	for _, f := range files {
		if f.Path == "c/layout_types.c" {
			types = string(f.Data)
		}
	}
	tests := []struct{ typ, want string }{
		{"layout_types_small_t", "== 6 && _Alignof(layout_types_small_t) == 2"},
		{"layout_types_big_t", "== 2 && _Alignof(layout_types_big_t) == 2"},
		{"layout_types_with_big_t", "== 6 && _Alignof(layout_types_with_big_t) == 2"},
		{"layout_types_shape_t", "== 16 && _Alignof(layout_types_shape_t) == 8"},
		{"layout_types_option_u64_t", "== 16 && _Alignof(layout_types_option_u64_t) == 8"},
	}
	for _, tt := range tests {
		re := regexp.MustCompile(`sizeof\(` + tt.typ + `\) (== \d+ && _Alignof\(` + tt.typ + `\) == \d+)`)
		m := re.FindStringSubmatch(types)
		if m == nil || m[1] != tt.want {
			t.Errorf("%s: assert %v, want %q", tt.typ, m, tt.want)
		}
	}
}

func TestCUnsupported(t *testing.T) {
	tests := []struct {
		name  string
		iface string
		world string // default: import i
		want  string
	}{
		{name: "17 flat parameters in an export", iface: "f: func(" + params(17, "u8") + ");", world: "export i", want: "more than 16 flat parameters"},
		{name: "float payload", iface: "variant v { a(f32), b(u32) }\n f: func(x: v);", want: "payload in a i32 variant slot"},
		{name: "result in a record", iface: "record r { x: result<u32, string> }", want: "*wit.Result"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			world := tt.world
			if world == "" {
				world = "import i"
			}
			src := fmt.Sprintf("package test:x@0.1.0;\n\ninterface i {\n %s\n}\n\nworld w {\n %s;\n}\n", tt.iface, world)
			files, err := genC(t, src, "w", "test:x/i")
			if err == nil {
				t.Fatalf("no error; generated %d files", len(files))
			}
			if !strings.Contains(err.Error(), tt.want) || !strings.HasPrefix(err.Error(), "bindgen: C: ") {
				t.Errorf("error %q does not contain %q", err, tt.want)
			}
		})
	}
}
