package bindgen

import (
	"os"
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

	// With ASWorldsDir, world wx's interfaces get AssemblyScript bindings
	// there, which use w's and cabi.ts from ASDir; ASDir is unchanged.
	cfg := worldsConfig("wx")
	cfg.ASWorldsDir = "asw"
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
			t.Errorf("%s changed with ASWorldsDir", f.Path)
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
		t.Errorf("ASWorldsDir has %d files, want x_j.ts, x_e.ts, exports.ts and exports.js", len(asw))
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
