package bindgen

import (
	"go/token"
	"path/filepath"
	"testing"

	"go.bytecodealliance.org/wit"
)

func TestGoName(t *testing.T) {
	tests := []struct{ in, want string }{
		{"get", "Get"},
		{"get-with-metadata", "GetWithMetadata"},
		{"list-keys", "ListKeys"},
		{"expiration-ttl", "ExpirationTTL"},
		{"id", "ID"},
		{"user-id", "UserID"},
		{"http-request", "HTTPRequest"},
		{"api-url", "APIURL"},
		{"json", "JSON"},
		{"utf8-string", "UTF8String"},
		{"io-error", "IOError"},
		{"sql", "SQL"},
		{"uri", "URI"},
		{"%type", "Type"},
		{"%list", "List"},
		{"v2", "V2"},
		{"c256", "C256"},
		{"a", "A"},
		{"ID-token", "IDToken"}, // WIT words may be all upper case
		{"identity", "Identity"},
		{"iot-device", "IotDevice"}, // "io" is an initialism only as a whole word
		{"", ""},
	}
	for _, tt := range tests {
		if got := goName(tt.in); got != tt.want {
			t.Errorf("goName(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

func TestLocalName(t *testing.T) {
	tests := []struct{ in, want string }{
		{"key", "key"},
		{"get-with-metadata", "getWithMetadata"},
		{"id", "id"},
		{"user-id", "userID"},
		{"http-request", "httpRequest"},
		{"url", "url"},
		{"ttl-seconds", "ttlSeconds"},
		{"io-error", "ioError"},
		{"json", "json"},
		{"utf8-string", "utf8String"},
		{"ID-token", "idToken"},
		{"identity", "identity"},
		{"", "_"},
		// Go keywords
		{"type", "type_"},
		{"%type", "type_"},
		{"func", "func_"},
		{"interface", "interface_"},
		{"return", "return_"},
		{"for", "for_"},
		{"if", "if_"},
		{"package", "package_"},
		{"import", "import_"},
		{"struct", "struct_"},
		{"switch", "switch_"},
		{"default", "default_"},
		{"continue", "continue_"},
		{"fallthrough", "fallthrough_"},
		// names the generated code declares or uses next to parameters
		{"ctx", "ctx_"},
		{"inst", "inst_"},
		{"stack", "stack_"},
		{"result", "result_"},
		{"err", "err_"},
		{"ret", "ret_"},
		{"mark", "mark_"},
		{"e", "e_"},
		{"fmt", "fmt_"},
		{"math", "math_"},
		{"runtime", "runtime_"},
		{"cabi", "cabi_"},
		{"len", "len_"},
		{"string", "string_"},
		{"error", "error_"},
		{"make", "make_"},
		{"uint32", "uint32_"},
		// the shape of fresh names (v12, p3) and guest arguments (arg0)
		{"v1", "v1_"},
		{"p12", "p12_"},
		{"arg0", "arg0_"},
		{"r0", "r0_"},
		// not reserved
		{"self", "self"},
		{"value", "value"},
		{"v", "v_"},
		{"vv1", "vv1"},
		{"args", "args"},
		{"ipv4", "ipv4"},
		{"options", "options"},
	}
	for _, tt := range tests {
		if got := localName(tt.in); got != tt.want {
			t.Errorf("localName(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

// TestNamesOfRealWIT checks every name in the project's WIT and the layout
// WIT: goName gives an exported identifier, localName an unexported one
// that is no keyword and none of the generated code's names.
func TestNamesOfRealWIT(t *testing.T) {
	project, err := wit.LoadWIT(filepath.Join("..", "..", "wit"))
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, res := range []*wit.Resolve{project, layoutWIT(t)} {
		for _, iface := range res.Interfaces {
			for name, td := range iface.TypeDefs.All() {
				names = append(names, name)
				switch k := td.Kind.(type) {
				case *wit.Record:
					for _, f := range k.Fields {
						names = append(names, f.Name)
					}
				case *wit.Variant:
					for _, c := range k.Cases {
						names = append(names, c.Name)
					}
				case *wit.Enum:
					for _, c := range k.Cases {
						names = append(names, c.Name)
					}
				}
			}
			for _, f := range iface.Functions.All() {
				names = append(names, f.Name, f.BaseName())
				for _, p := range f.Params {
					names = append(names, p.Name)
				}
			}
		}
	}
	if len(names) < 50 {
		t.Fatalf("only %d names", len(names))
	}
	for _, n := range names {
		if len(n) > 0 && n[0] == '[' {
			continue // [method]r.m: only BaseName is mapped
		}
		g := goName(n)
		if !token.IsIdentifier(g) || !token.IsExported(g) {
			t.Errorf("goName(%q) = %q: not an exported identifier", n, g)
		}
		l := localName(n)
		if !token.IsIdentifier(l) || token.IsExported(l) || reserved[l] || isFresh(l) {
			t.Errorf("localName(%q) = %q: not a free unexported identifier", n, l)
		}
	}
}
