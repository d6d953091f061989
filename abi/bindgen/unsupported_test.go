package bindgen

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"go.bytecodealliance.org/wit"
)

// genWIT loads the WIT text src (package test:x@0.1.0, world w) and runs
// Generate with host and guest targets for interfaces i and j, turning a
// panic into a test failure.
func genWIT(t *testing.T, src string) ([]File, error) {
	return genWITTo(t, src, "h", "guest/g")
}

// genWITTo is genWIT with the host and guest packages of interface i in
// hostDir and guestDir, of the project's modules.
func genWITTo(t *testing.T, src, hostDir, guestDir string) ([]File, error) {
	t.Helper()
	path := filepath.Join(t.TempDir(), "x.wit")
	if err := os.WriteFile(path, []byte(src), 0o644); err != nil {
		t.Fatal(err)
	}
	res, err := wit.LoadWIT(path)
	if err != nil {
		t.Fatalf("the test's WIT does not load: %v\n%s", err, src)
	}
	cfg := Config{
		Module:         "github.com/bindery-run/bindery",
		GuestModule:    "github.com/bindery-run/bindery/guest-sdk/go",
		GuestModuleDir: "guest-sdk/go",
		World:          "w",
		Targets:        []Target{{Interface: "test:x/i", HostDir: hostDir, GuestDir: guestDir}},
	}
	defer func() {
		if r := recover(); r != nil {
			t.Fatalf("Generate panicked: %v", r)
		}
	}()
	return Generate(res, cfg)
}

func params(n int, typ string) string {
	var ps []string
	for i := range n {
		ps = append(ps, fmt.Sprintf("x%d: %s", i, typ))
	}
	return strings.Join(ps, ", ")
}

func TestGenerateUnsupported(t *testing.T) {
	tests := []struct {
		name  string
		iface string // the body of interface i
		world string // default: import i
		want  string // in the error
	}{
		{name: "tuple of 3", iface: "f: func(t: tuple<u8, u16, u32>);", want: "tuples of 3 elements are not supported"},
		{name: "tuple of 1", iface: "f: func() -> tuple<string>;", want: "tuples of 1 elements"},
		{name: "named tuple of 3", iface: "type t3 = tuple<u8, u8, u8>;", want: "tuples of 3 elements"},
		{name: "17 flat parameters in an export", iface: "f: func(" + params(17, "u8") + ");", world: "export i", want: "more than 16 flat parameters"},
		{name: "result without an error type", iface: "f: func() -> result<u32>;", want: "result without an error type"},
		{name: "bare result", iface: "f: func() -> result;", want: "result without an error type"},
		{name: "result in a record", iface: "record r { x: result<u32, string> }", want: "*wit.Result"},
		{name: "float payload", iface: "variant v { a(f32), b(u32) }\n f: func(x: v);", want: "float payloads in variants are not supported"},
		{name: "primitive type alias", iface: "type my-int = u32;\n f: func(x: my-int);", want: "unsupported kind"},
		{name: "result over the guest return area", iface: "record big { " + params(129, "u64") + " }\n f: func() -> big;", want: "over the return area"},
		{name: "type of an interface without a target", iface: "use k.{thing};\n f: func(x: thing);", want: "has no target"},
		{name: "interface not in the world", iface: "f: func();", world: "import k", want: "is not in world w"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			world := tt.world
			if world == "" {
				world = "import i"
			}
			src := fmt.Sprintf("package test:x@0.1.0;\n\ninterface k {\n record thing { a: u8 }\n}\n\ninterface i {\n %s\n}\n\nworld w {\n %s;\n}\n", tt.iface, world)
			files, err := genWIT(t, src)
			if err == nil {
				t.Fatalf("no error; generated %d files", len(files))
			}
			if !strings.Contains(err.Error(), tt.want) {
				t.Errorf("error %q does not contain %q", err, tt.want)
			}
			if !strings.HasPrefix(err.Error(), "bindgen: ") {
				t.Errorf("error %q does not say where it comes from", err)
			}
			if files != nil {
				t.Errorf("files returned with the error")
			}
		})
	}
}

func TestGenerateConfigErrors(t *testing.T) {
	src := "package test:x@0.1.0;\n\ninterface i {\n f: func();\n}\n\nworld w {\n import i;\n}\n"
	path := filepath.Join(t.TempDir(), "x.wit")
	if err := os.WriteFile(path, []byte(src), 0o644); err != nil {
		t.Fatal(err)
	}
	res, err := wit.LoadWIT(path)
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name string
		cfg  Config
		want string
	}{
		{"no such world", Config{World: "nope"}, `no world "nope"`},
		{"no such interface", Config{World: "w", Targets: []Target{{Interface: "test:x/nope", HostDir: "h"}}}, `no interface "test:x/nope"`},
		{"interface with its version", Config{World: "w", Targets: []Target{{Interface: "test:x/i@0.1.0", HostDir: "h"}}}, "no interface"},
	}
	for _, tt := range tests {
		if _, err := Generate(res, tt.cfg); err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("%s: error %v, want %q", tt.name, err, tt.want)
		}
	}
}

// TestGenerateSupported: the limits above are limits, not off-by-ones.
func TestGenerateSupported(t *testing.T) {
	tests := []struct{ name, iface, world string }{
		{"16 flat parameters", "f: func(" + params(16, "u32") + ");", "import i"},
		{"8 strings", "f: func(" + params(8, "string") + ") -> string;", "import i"},
		{"16 flat parameters in an export", "f: func(" + params(16, "u8") + ") -> u32;", "export i"},
		{"tuple of 2", "f: func(t: tuple<u8, string>) -> list<tuple<string, list<u8>>>;", "import i"},
		{"a 1024-byte result", "record big { " + params(128, "u64") + " }\n f: func() -> big;", "import i"},
		{"17 flat parameters are spilled", "f: func(" + params(17, "u32") + ");", "import i"},
		{"a record of 17 flat values is spilled", "record r { " + params(17, "u64") + " }\n f: func(x: r, s: string) -> r;", "import i"},
		{"keywords and generated names as parameters", "f: func(type: u8, ctx: string, inst: u32, stack: u64, result: bool, err: s8, ret: u16, mark: string, v1: u8, arg0: u8, len: u32) -> result<u32, string>;", "import i"},
		{"keywords and generated names in an export", "f: func(ctx: string, inst: u32, stack: u64, result: bool, err: s8, e: u8, fmt: u8, p1: string) -> string;", "export i"},
		{"types only", "record r { a: u8, b: string }\n variant v { x(r), y }", "import i"},
		{"types only, exported", "record r { a: u8, b: string }", "export i"},
		{"scalars only, exported", "f: func(a: u32) -> u64;\n g: func();", "export i"},
		{"scalars only", "f: func(a: u32) -> u64;\n g: func();", "import i"},
		{"a resource", "resource r { constructor(a: string);\n get: func() -> string;\n make: static func() -> r; }\n f: func(x: borrow<r>) -> own<r>;", "import i"},
		{"enum of 257 cases", "enum big { " + params(0, "") + cases(257) + " }\n f: func(b: big) -> big;", "import i"},
		{"variant of 300 cases", "variant big { " + cases(299) + ", last(u64) }\n f: func(b: list<big>) -> big;", "import i"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			// The %-escapes make WIT keywords usable as names.
			iface := strings.NewReplacer("(type:", "(%type:", " result:", " %result:").Replace(tt.iface)
			src := fmt.Sprintf("package test:x@0.1.0;\n\ninterface i {\n %s\n}\n\nworld w {\n %s;\n}\n", iface, tt.world)
			files, err := genWITTo(t, src, "abi/bindgen/testdata/gencheck/x", "guest-sdk/go/internal/wit/gencheckx")
			if err != nil {
				t.Fatal(err)
			}
			if len(files) != 2 {
				t.Fatalf("%d files", len(files))
			}
			buildGenerated(t, files, "")
		})
	}
}

func cases(n int) string {
	var cs []string
	for i := range n {
		cs = append(cs, fmt.Sprintf("c%d", i))
	}
	return strings.Join(cs, ", ")
}
