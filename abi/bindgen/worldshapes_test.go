package bindgen

import (
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/bindery-run/bindery/internal/testutil"
)

// worldShapes are worlds of the shapes a user may write; each must
// generate code that compiles in every language.
var worldShapes = []struct {
	name, wit string
}{
	{"exports only", `world w {
  export f: func(x: u32, s: string) -> u32;
  export g: func();
}`},
	{"imported resource", `interface store {
  resource handle {
    constructor(name: string);
    get: func(key: string) -> option<list<u8>>;
  }
  open: func(name: string) -> result<handle, string>;
}
world w {
  import store;
  export run: func(n: u64) -> bool;
}`},
	{"types used from an interface", `interface types {
  record point { x: s32, y: s32, tag: option<string> }
  enum color { red, green }
}
world w {
  use types.{point, color};
  import draw: func(p: point, c: color);
  export move: func(p: point, dx: s32) -> point;
  export paint: func(ps: list<point>) -> list<color>;
}`},
	{"result errors", `interface errs {
  enum code { busy, gone }
}
world w {
  use errs.{code};
  export a: func() -> result<_, string>;
  export b: func(x: u8) -> result<u32, code>;
  export c: func(x: list<string>) -> result<list<string>, string>;
  record failure { code: u32, message: string }
  export d: func() -> result<u8, failure>;
}`},
	{"exported interface using an imported one's types", `interface model {
  record item { id: u64, name: string, perms: perms }
  flags perms { read, write, admin }
}
interface api {
  use model.{item};
  find: func(id: u64) -> option<item>;
  all: func() -> list<item>;
}
world w {
  import model;
  export api;
}`},
}

// TestWorldShapesCompile generates each shape in Go (host and guest) and C
// and compiles the result.
func TestWorldShapesCompile(t *testing.T) {
	if testing.Short() {
		t.Skip("runs the go command and clang")
	}
	goBin, err := testutil.LookPath("go", "go", "")
	testutil.NeedToolchain(t, err)
	root, err := filepath.Abs(filepath.Join("..", ".."))
	if err != nil {
		t.Fatal(err)
	}
	tmp := t.TempDir()
	overlay := map[string]string{}
	var hostPkgs, guestPkgs []string
	var cFiles [][]File
	for i, shape := range worldShapes {
		dir := t.TempDir()
		src := "package test:shape@0.1.0;\n\n" + shape.wit + "\n"
		if err := os.WriteFile(filepath.Join(dir, "w.wit"), []byte(src), 0o644); err != nil {
			t.Fatal(err)
		}
		res, err := LoadWIT(dir)
		if err != nil {
			t.Fatalf("%s: %v", shape.name, err)
		}
		files, err := GenerateWorld(res, WorldOptions{World: "w", Package: fmt.Sprintf("shape%d", i)})
		if err != nil {
			t.Fatalf("%s: %v", shape.name, err)
		}
		var cs []File
		for _, f := range files {
			if f.Lang == C {
				cs = append(cs, f)
				continue
			}
			rel := fmt.Sprintf("abi/bindgen/testdata/gencheck/shape%d/%s", i, f.Path)
			cp := filepath.Join(tmp, strings.ReplaceAll(rel, "/", "_"))
			if err := os.WriteFile(cp, f.Data, 0o644); err != nil {
				t.Fatal(err)
			}
			overlay[filepath.Join(root, filepath.FromSlash(rel))] = cp
		}
		hostPkgs = append(hostPkgs, fmt.Sprintf("./abi/bindgen/testdata/gencheck/shape%d/go-host", i))
		guestPkgs = append(guestPkgs, fmt.Sprintf("./abi/bindgen/testdata/gencheck/shape%d/go-guest", i))
		cFiles = append(cFiles, cs)
	}
	ov, _ := json.Marshal(map[string]any{"Replace": overlay})
	ovPath := filepath.Join(tmp, "overlay.json")
	if err := os.WriteFile(ovPath, ov, 0o644); err != nil {
		t.Fatal(err)
	}
	for _, build := range []struct {
		env  []string
		pkgs []string
	}{{nil, hostPkgs}, {[]string{"GOOS=wasip1", "GOARCH=wasm"}, guestPkgs}} {
		cmd := exec.Command(goBin, append([]string{"build", "-overlay", ovPath}, build.pkgs...)...)
		cmd.Dir = root
		cmd.Env = append(os.Environ(), build.env...)
		if out, err := cmd.CombinedOutput(); err != nil {
			t.Errorf("go build %v: %v\n%s", build.env, err, out)
		}
	}
	for i, cs := range cFiles {
		t.Run(worldShapes[i].name+"/c", func(t *testing.T) {
			for j := range cs {
				cs[j].Path = strings.TrimPrefix(cs[j].Path, "c/")
			}
			compileC(t, cs, "")
		})
	}
}

// TestWorldShapeErrors: what the generator cannot do is an error that names it.
func TestWorldShapeErrors(t *testing.T) {
	for _, tc := range []struct {
		name, wit, want string
	}{
		{"same type in two interfaces", `interface a { record r { x: u32 } f: func(x: r); }
interface b { record r { y: u32 } g: func(x: r); }
world w { import a; import b; }`, "both declare R"},
		{"world resource", `world w { resource thing; export f: func(); }`, "resources of the world itself are not supported"},
		{"list error", `world w { export f: func() -> result<u32, list<u8>>; }`, "must be a variant, an enum, a record or a string"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			if err := os.WriteFile(filepath.Join(dir, "w.wit"), []byte("package test:shape@0.1.0;\n\n"+tc.wit+"\n"), 0o644); err != nil {
				t.Fatal(err)
			}
			res, err := LoadWIT(dir)
			if err != nil {
				t.Fatal(err)
			}
			_, err = GenerateWorld(res, WorldOptions{World: "w", Langs: []Lang{GoHost, GoGuest}})
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("err = %v, want it to contain %q", err, tc.want)
			}
		})
	}
}
