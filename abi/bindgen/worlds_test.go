package bindgen

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"go.bytecodealliance.org/wit"
)

// worldsWIT has a main world w (imports i, exports h) and a world wx that
// includes it and adds an import j and an export e, as worker and
// worker-with-objects do; world bad exports what w imports.
const worldsWIT = `package test:x@0.1.0;

interface i { f: func(a: string) -> u32; }
interface h { handle: func(a: u32); }
interface j { resource r { get: func() -> string; } g: func() -> r; }
interface e { use j.{r}; event: func(x: r, n: u32) -> result<string, string>; }

world w {
  import i;
  export h;
}

world wx {
  include w;
  import j;
  export e;
}

world bad {
  export i;
}
`

func loadWorldsWIT(t *testing.T) *wit.Resolve {
	t.Helper()
	path := filepath.Join(t.TempDir(), "x.wit")
	if err := os.WriteFile(path, []byte(worldsWIT), 0o644); err != nil {
		t.Fatal(err)
	}
	res, err := wit.LoadWIT(path)
	if err != nil {
		t.Fatal(err)
	}
	return res
}

func worldsConfig(worlds ...string) Config {
	return Config{
		Module:         "github.com/bindery-run/bindery",
		GuestModule:    "github.com/bindery-run/bindery/guest-sdk/go",
		GuestModuleDir: "guest-sdk/go",
		World:          "w",
		Worlds:         worlds,
		CDir:           "c",
		ASDir:          "as",
		Targets: []Target{
			{Interface: "test:x/i", HostDir: "h/i", GuestDir: "g/i"},
			{Interface: "test:x/h", HostDir: "h/h", GuestDir: "g/h"},
			{Interface: "test:x/j", HostDir: "h/j", GuestDir: "g/j"},
			{Interface: "test:x/e", HostDir: "h/e", GuestDir: "g/e"},
		},
	}
}

// TestGenerateWorlds: the interfaces of Config.Worlds get Go host and guest
// code (imports served, exports called), and the C and AssemblyScript
// bindings stay those of World, so that a guest of World never has to
// implement the other world's exports.
func TestGenerateWorlds(t *testing.T) {
	files, err := Generate(loadWorldsWIT(t), worldsConfig("wx"))
	if err != nil {
		t.Fatal(err)
	}
	byPath := map[string]string{}
	var paths []string
	for _, f := range files {
		byPath[f.Path] = string(f.Data)
		paths = append(paths, f.Path)
	}
	for _, want := range []string{"h/j/j_gen.go", "g/j/j_gen.go", "h/e/e_gen.go", "g/e/e_gen.go", "h/i/i_gen.go", "c/x_i.c", "c/x_h.c", "as/exports.ts"} {
		if _, ok := byPath[want]; !ok {
			t.Errorf("no %s; generated %v", want, paths)
		}
	}
	for _, p := range paths {
		if strings.HasPrefix(p, "c/") || strings.HasPrefix(p, "as/") {
			if strings.Contains(p, "x_j") || strings.Contains(p, "x_e") || strings.Contains(byPath[p], "test:x/e") || strings.Contains(byPath[p], "test:x/j") {
				t.Errorf("%s has world wx's interfaces", p)
			}
		}
	}
	// j is served by the host and imported by the guest; e is called by
	// the host and exported by the guest.
	for path, want := range map[string]string{
		"h/j/j_gen.go": "func DefineJ(",
		"g/j/j_gen.go": "//go:wasmimport test:x/j@0.1.0 g",
		"h/e/e_gen.go": "func (e *EExports) Event(",
		"g/e/e_gen.go": "//go:wasmexport test:x/e@0.1.0#event",
	} {
		if !strings.Contains(byPath[path], want) {
			t.Errorf("%s does not contain %q", path, want)
		}
	}
	if !strings.Contains(byPath["as/exports.js"], "test:x/h@0.1.0#handle") {
		t.Errorf("as/exports.js lost world w's export:\n%s", byPath["as/exports.js"])
	}

	// With WorldASDirs, world wx's interfaces get AssemblyScript bindings
	// there, which use w's and cabi.ts from ASDir; ASDir is unchanged.
	cfg := worldsConfig("wx")
	cfg.WorldASDirs = map[string]string{"wx": "asw"}
	withAS, err := Generate(loadWorldsWIT(t), cfg)
	if err != nil {
		t.Fatal(err)
	}
	asw := map[string]string{}
	for _, f := range withAS {
		switch {
		case strings.HasPrefix(f.Path, "asw/"):
			asw[f.Path] = string(f.Data)
		case byPath[f.Path] != string(f.Data):
			t.Errorf("%s changed with WorldASDirs", f.Path)
		}
	}
	for path, want := range map[string]string{
		"asw/x_j.ts":     `@external("test:x/j@0.1.0", "g")`,
		"asw/x_e.ts":     `from "../as/cabi";`,
		"asw/exports.js": `"_export_x_e_event": "test:x/e@0.1.0#event",`,
		"asw/exports.ts": `export { _post_x_e_event } from "./x_e";`,
	} {
		if !strings.Contains(asw[path], want) {
			t.Errorf("%s does not contain %q:\n%s", path, want, asw[path])
		}
	}
	if _, ok := asw["asw/cabi.ts"]; ok || len(asw) != 4 {
		t.Errorf("WorldASDirs' folder has %d files, want x_j.ts, x_e.ts, exports.ts and exports.js", len(asw))
	}

	// Without the extra world, its interfaces are not in any world.
	if _, err := Generate(loadWorldsWIT(t), worldsConfig()); err == nil || !strings.Contains(err.Error(), "test:x/e@0.1.0 is not in world w") {
		t.Errorf("without Worlds: error %v", err)
	}
}

func TestGenerateWorldsErrors(t *testing.T) {
	res := loadWorldsWIT(t)
	tests := []struct {
		name   string
		worlds []string
		want   string
	}{
		{"no such world", []string{"wx", "nope"}, `no world "nope"`},
		{"imported and exported", []string{"wx", "bad"}, "test:x/i@0.1.0 is imported by one world and exported by another"},
	}
	for _, tt := range tests {
		files, err := Generate(res, worldsConfig(tt.worlds...))
		if err == nil || !strings.Contains(err.Error(), tt.want) || !strings.HasPrefix(err.Error(), "bindgen: ") {
			t.Errorf("%s: error %v, want %q", tt.name, err, tt.want)
		}
		if files != nil {
			t.Errorf("%s: files returned with the error", tt.name)
		}
	}
	if slices.Contains(worldsConfig().Worlds, "wx") {
		t.Fatal("worldsConfig() has extra worlds")
	}
}

// TestGenerateWorldCDirs: with WorldCDirs, the interfaces world wx adds
// get C bindings in a folder of their own, which include CDir's headers
// by a relative path and share its bindery_cabi files; CDir stays as it
// was without, and both folders compile (and link, wx's exports defined)
// as one C guest.
func TestGenerateWorldCDirs(t *testing.T) {
	res := loadWorldsWIT(t)
	plain, err := Generate(res, worldsConfig("wx"))
	if err != nil {
		t.Fatal(err)
	}
	cfg := worldsConfig("wx")
	cfg.WorldCDirs = map[string]string{"wx": "cx"}
	files, err := Generate(res, cfg)
	if err != nil {
		t.Fatal(err)
	}
	byPath := map[string]string{}
	for _, f := range files {
		byPath[f.Path] = string(f.Data)
	}
	for _, f := range plain {
		if byPath[f.Path] != string(f.Data) {
			t.Errorf("%s differs with WorldCDirs", f.Path)
		}
	}
	var extra []string
	for p := range byPath {
		if strings.HasPrefix(p, "cx/") {
			extra = append(extra, p)
		}
	}
	slices.Sort(extra)
	if want := []string{"cx/x_e.c", "cx/x_e.h", "cx/x_j.c", "cx/x_j.h"}; !slices.Equal(extra, want) {
		t.Fatalf("cx holds %v, want %v", extra, want)
	}
	for path, want := range map[string]string{
		"cx/x_j.h": `#include "../c/bindery_cabi.h"`,
		"cx/x_e.h": `#include "x_j.h"`,
		"cx/x_e.c": `__export_name__("test:x/e@0.1.0#event")`,
		"cx/x_j.c": `__import_module__("test:x/j@0.1.0")`,
	} {
		if !strings.Contains(byPath[path], want) {
			t.Errorf("%s does not contain %q:\n%s", path, want, byPath[path])
		}
	}

	// Both folders build into one reactor with wx's export defined.
	cc := wasmClang(t)
	dir := t.TempDir()
	var srcs []string
	for _, f := range files {
		if !strings.HasPrefix(f.Path, "c/") && !strings.HasPrefix(f.Path, "cx/") {
			continue
		}
		p := filepath.Join(dir, filepath.FromSlash(f.Path))
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, f.Data, 0o644); err != nil {
			t.Fatal(err)
		}
		if strings.HasSuffix(p, ".c") {
			srcs = append(srcs, p)
		}
	}
	main := `#include "c/x_h.h"
#include "cx/x_e.h"
void exports_x_h_handle(uint32_t a) { (void)a; }
bool exports_x_e_event(x_j_r_t x, uint32_t n, bindery_string_t *ret, bindery_string_t *err) {
  x_j_r_drop(x);
  (void)n;
  *ret = (bindery_string_t){0};
  (void)err;
  return true;
}
`
	mp := filepath.Join(dir, "main.c")
	if err := os.WriteFile(mp, []byte(main), 0o644); err != nil {
		t.Fatal(err)
	}
	args := []string{"--target=wasm32-wasi", "-O2", "-Wall", "-Werror", "-mexec-model=reactor", "-I", dir, "-o", filepath.Join(dir, "g.wasm"), mp}
	if out, err := exec.Command(cc, append(args, srcs...)...).CombinedOutput(); err != nil {
		t.Fatalf("the two folders do not build as one guest: %v\n%s", err, out)
	}
}

func TestGenerateWorldCDirsErrors(t *testing.T) {
	res := loadWorldsWIT(t)
	tests := []struct {
		name string
		edit func(*Config)
		want string
	}{
		{"not in Worlds", func(c *Config) { c.Worlds = nil; c.WorldCDirs = map[string]string{"wx": "cx"} }, `world "wx", which is not in Worlds`},
		{"CDir itself", func(c *Config) { c.WorldCDirs = map[string]string{"wx": "c/"} }, "other than CDir"},
		{"no CDir", func(c *Config) { c.CDir = ""; c.WorldCDirs = map[string]string{"wx": "cx"} }, "needs CDir"},
		{"AS not in Worlds", func(c *Config) { c.Worlds = nil; c.WorldASDirs = map[string]string{"wx": "asw"} }, `WorldASDirs names world "wx", which is not in Worlds`},
		{"ASDir itself", func(c *Config) { c.WorldASDirs = map[string]string{"wx": "as/"} }, "other than ASDir"},
		{"no ASDir", func(c *Config) { c.ASDir = ""; c.WorldASDirs = map[string]string{"wx": "asw"} }, "needs ASDir"},
	}
	for _, tt := range tests {
		cfg := worldsConfig("wx")
		tt.edit(&cfg)
		files, err := Generate(res, cfg)
		if err == nil || !strings.Contains(err.Error(), tt.want) || files != nil {
			t.Errorf("%s: error %v, want %q", tt.name, err, tt.want)
		}
	}
}

// TestGenerateTargetCDir: an optional export of World with a Target.CDir
// gets its C bindings in that folder, which includes CDir's headers by a
// relative path; CDir alone then builds a guest that does not implement
// the export (and does not export it), and with the folder a guest that
// does.
func TestGenerateTargetCDir(t *testing.T) {
	res := loadWorldsWIT(t)
	cfg := worldsConfig("wx")
	cfg.WorldCDirs = map[string]string{"wx": "cx"}
	cfg.Targets[1].CDir = "ch"
	files, err := Generate(res, cfg)
	if err != nil {
		t.Fatal(err)
	}
	byPath := map[string]string{}
	var inCH []string
	for _, f := range files {
		byPath[f.Path] = string(f.Data)
		if strings.HasPrefix(f.Path, "ch/") {
			inCH = append(inCH, f.Path)
		}
		if strings.HasPrefix(f.Path, "c/") && strings.Contains(string(f.Data), "test:x/h@0.1.0#handle") {
			t.Errorf("%s has the optional export", f.Path)
		}
	}
	slices.Sort(inCH)
	if want := []string{"ch/x_h.c", "ch/x_h.h"}; !slices.Equal(inCH, want) {
		t.Fatalf("ch holds %v, want %v", inCH, want)
	}
	if want := `#include "../c/bindery_cabi.h"`; !strings.Contains(byPath["ch/x_h.h"], want) {
		t.Errorf("ch/x_h.h does not contain %q:\n%s", want, byPath["ch/x_h.h"])
	}
	for _, p := range []string{"cx/x_e.c", "cx/x_j.c", "c/x_i.c"} {
		if _, ok := byPath[p]; !ok {
			t.Errorf("no %s", p)
		}
	}

	cc := wasmClang(t)
	dir := t.TempDir()
	srcs := map[string][]string{}
	for _, f := range files {
		top, _, _ := strings.Cut(f.Path, "/")
		if top != "c" && top != "ch" {
			continue
		}
		p := filepath.Join(dir, filepath.FromSlash(f.Path))
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, f.Data, 0o644); err != nil {
			t.Fatal(err)
		}
		if strings.HasSuffix(p, ".c") {
			srcs[top] = append(srcs[top], p)
		}
	}
	tests := []struct {
		name, main string
		dirs       []string
		exported   bool
	}{
		{"without the export", `#include "c/x_i.h"
__attribute__((export_name("run"))) uint32_t run(void) { bindery_string_t s = {0}; return x_i_f(s); }
`, []string{"c"}, false},
		{"with the export", `#include "ch/x_h.h"
void exports_x_h_handle(uint32_t a) { (void)a; }
`, []string{"c", "ch"}, true},
	}
	for _, tt := range tests {
		mp := filepath.Join(dir, "main.c")
		if err := os.WriteFile(mp, []byte(tt.main), 0o644); err != nil {
			t.Fatal(err)
		}
		out := filepath.Join(dir, "g.wasm")
		args := []string{"--target=wasm32-wasi", "-O2", "-Wall", "-Werror", "-mexec-model=reactor", "-I", dir, "-o", out, mp}
		for _, d := range tt.dirs {
			args = append(args, srcs[d]...)
		}
		if msg, err := exec.Command(cc, args...).CombinedOutput(); err != nil {
			t.Fatalf("%s: does not build: %v\n%s", tt.name, err, msg)
		}
		wasm, err := os.ReadFile(out)
		if err != nil {
			t.Fatal(err)
		}
		if got := bytes.Contains(wasm, []byte("test:x/h@0.1.0#handle")); got != tt.exported {
			t.Errorf("%s: the guest exports test:x/h@0.1.0#handle: %v, want %v", tt.name, got, tt.exported)
		}
	}
}

func TestGenerateTargetCDirErrors(t *testing.T) {
	res := loadWorldsWIT(t)
	tests := []struct {
		name string
		edit func(*Config)
		want string
	}{
		{"an import", func(c *Config) { c.Targets[0].CDir = "ci" }, "is for an optional export, and test:x/i@0.1.0 is imported"},
		{"CDir itself", func(c *Config) { c.Targets[1].CDir = "c/" }, "other than Config.CDir"},
		{"a world's folder", func(c *Config) { c.WorldCDirs = map[string]string{"wx": "cx"}; c.Targets[1].CDir = "cx" }, `world "wx"'s WorldCDirs directory`},
		{"not in World", func(c *Config) { c.Targets[3].CDir = "ce" }, "the interface is not in it"},
	}
	for _, tt := range tests {
		cfg := worldsConfig("wx")
		tt.edit(&cfg)
		files, err := Generate(res, cfg)
		if err == nil || !strings.Contains(err.Error(), tt.want) || !strings.HasPrefix(err.Error(), "bindgen: ") || files != nil {
			t.Errorf("%s: error %v, want %q", tt.name, err, tt.want)
		}
	}
}

// TestGenerateASOptionalExports: an interface of ASOptionalExports keeps
// its bindings in ASDir, but its wasm exports leave exports.ts and
// exports.js for exports_<file>.ts and exports_<file>.js, so that a guest
// that does not list those does not export them; the rest is unchanged.
func TestGenerateASOptionalExports(t *testing.T) {
	res := loadWorldsWIT(t)
	plain, err := Generate(res, worldsConfig("wx"))
	if err != nil {
		t.Fatal(err)
	}
	cfg := worldsConfig("wx")
	cfg.ASOptionalExports = []string{"test:x/h"}
	files, err := Generate(res, cfg)
	if err != nil {
		t.Fatal(err)
	}
	byPath := map[string]string{}
	for _, f := range files {
		byPath[f.Path] = string(f.Data)
	}
	for _, f := range plain {
		switch f.Path {
		case "as/exports.ts", "as/exports.js":
		default:
			if byPath[f.Path] != string(f.Data) {
				t.Errorf("%s differs with ASOptionalExports", f.Path)
			}
		}
	}
	if len(files) != len(plain)+2 {
		t.Errorf("%d files, want %d (the two exports_x_h files more)", len(files), len(plain)+2)
	}
	for _, tt := range []struct {
		path, want string
		has        bool
	}{
		{"as/exports.ts", `export { cabi_realloc } from "./cabi";`, true},
		{"as/exports.ts", "_export_x_h_handle", false},
		{"as/exports.js", "test:x/h@0.1.0#handle", false},
		{"as/exports_x_h.ts", `export { _export_x_h_handle } from "./x_h";`, true},
		{"as/exports_x_h.ts", `export { _post_x_h_handle } from "./x_h";`, true},
		{"as/exports_x_h.ts", "cabi_realloc", false},
		{"as/exports_x_h.js", `"_export_x_h_handle": "test:x/h@0.1.0#handle",`, true},
		{"as/exports_x_h.js", `"_post_x_h_handle": "cabi_post_test:x/h@0.1.0#handle",`, true},
		{"as/x_h.ts", "export function setHandle(", true},
	} {
		if got := strings.Contains(byPath[tt.path], tt.want); got != tt.has {
			t.Errorf("%s: contains %q = %v, want %v:\n%s", tt.path, tt.want, got, tt.has, byPath[tt.path])
		}
	}

	// A guest with exports.ts alone exports no handle; with
	// exports_x_h.ts too, it does.
	var as []File
	for _, f := range files {
		if strings.HasPrefix(f.Path, "as/") {
			as = append(as, f)
		}
	}
	without := compileAS(t, as, `export * from "./as/exports";`)
	with := compileAS(t, as, `export * from "./as/exports";
export * from "./as/exports_x_h";
import { setHandle } from "./as/x_h";
setHandle((a: u32): void => {});`)
	for _, tt := range []struct {
		name string
		wasm []byte
		want bool
	}{{"without", without, false}, {"with", with, true}} {
		if got := strings.Contains(string(tt.wasm), "_export_x_h_handle"); got != tt.want {
			t.Errorf("%s exports_x_h.ts: exports _export_x_h_handle = %v, want %v", tt.name, got, tt.want)
		}
		if !strings.Contains(string(tt.wasm), "cabi_realloc") {
			t.Errorf("%s exports_x_h.ts: no cabi_realloc export", tt.name)
		}
	}
}

func TestGenerateASOptionalExportsErrors(t *testing.T) {
	res := loadWorldsWIT(t)
	tests := []struct {
		name string
		edit func(*Config)
		want string
	}{
		{"not a target", func(c *Config) { c.ASOptionalExports = []string{"test:x/nope"} }, `names "test:x/nope", which is not a target interface`},
		{"an import", func(c *Config) { c.ASOptionalExports = []string{"test:x/i"} }, "names test:x/i@0.1.0, which world w does not export"},
		{"another world's export", func(c *Config) { c.ASOptionalExports = []string{"test:x/e"} }, "names test:x/e@0.1.0, which world w does not export"},
		{"twice", func(c *Config) { c.ASOptionalExports = []string{"test:x/h", "test:x/h"} }, "names test:x/h@0.1.0 twice"},
		{"no ASDir", func(c *Config) { c.ASDir = ""; c.ASOptionalExports = []string{"test:x/h"} }, "ASOptionalExports needs ASDir"},
	}
	for _, tt := range tests {
		cfg := worldsConfig("wx")
		tt.edit(&cfg)
		files, err := Generate(res, cfg)
		if err == nil || !strings.Contains(err.Error(), tt.want) || !strings.HasPrefix(err.Error(), "bindgen: ") || files != nil {
			t.Errorf("%s: error %v, want %q", tt.name, err, tt.want)
		}
	}
}
