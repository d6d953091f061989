package structured

import (
	"bytes"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"math"
	"math/big"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/bindery-run/bindery/internal/testutil"
)

// TestSharedFiles checks that the files this package shares with the Go
// guest SDK's bindery/structured are identical.
func TestSharedFiles(t *testing.T) {
	for _, name := range []string{"value.go", "decode.go", "encode.go", "vectors_test.go"} {
		ours, err := os.ReadFile(name)
		if err != nil {
			t.Fatal(err)
		}
		theirs, err := os.ReadFile(filepath.Join("../../../guest-sdk/go/bindery/structured", name))
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(ours, theirs) {
			t.Errorf("%s differs from guest-sdk/go/bindery/structured/%s: the copies must be identical", name, name)
		}
	}
}

// mustDecode decodes the hex (after the prefix) of a value.
func mustDecode(t *testing.T, h string) Value {
	t.Helper()
	b, err := hex.DecodeString("d9d9f7" + strings.ReplaceAll(h, " ", ""))
	if err != nil {
		t.Fatal(err)
	}
	v, err := Decode(b)
	if err != nil {
		t.Fatal(err)
	}
	return v
}

// formatCases are values and how Node 20's util.inspect shows them.
var formatCases = []struct {
	name string
	v    Value
	want string
}{
	{"object", Object{{"a", 1.0}, {"b", []any{big.NewInt(2), "x"}}}, "{ a: 1, b: [ 2n, 'x' ] }"},
	{"Map", Map{{1.0, "a"}}, "Map(1) { 1 => 'a' }"},
	{"Set", Set{1.0, 2.0}, "Set(2) { 1, 2 }"},
	{"empty", []any{Object{}, []any{}, Map{}, Set{}, []byte{}, TypedArray{Uint8Array, nil}}, "[\n  {},\n  [],\n  Map(0) {},\n  Set(0) {},\n  ArrayBuffer { [Uint8Contents]: <>, byteLength: 0 },\n  Uint8Array(0) []\n]"},
	{"Date", time.UnixMilli(1796688000000), "2026-12-08T00:00:00.000Z"},
	{"Date far", []any{time.UnixMilli(8.64e15), time.UnixMilli(-1e14), InvalidDate{}}, "[\n  +275760-09-13T00:00:00.000Z,\n  -001199-02-15T14:13:20.000Z,\n  Invalid Date\n]"},
	{"typed array", TypedArray{Uint8Array, []byte{1, 2, 3}}, "Uint8Array(3) [ 1, 2, 3 ]"},
	{"Float16Array", TypedArray{Float16Array, []byte{0x00, 0x3e, 0x00, 0x80}}, "Float16Array(2) [ 1.5, -0 ]"},
	{"ArrayBuffer", []byte{1, 2, 0xff}, "ArrayBuffer { [Uint8Contents]: <01 02 ff>, byteLength: 3 }"},
	{"Error", &Error{Name: "TypeError", Message: "m"}, "[TypeError: m]"},
	{"Error without a message", &Error{Name: "Error"}, "[Error]"},
	{"Error with a cause", &Error{Name: "Error", Message: "m", Cause: &Error{Name: "TypeError", Message: "i"}}, "[Error: m] { [cause]: [TypeError: i] }"},
	{"Error with a stack", &Error{Name: "RangeError", Message: "outer", Stack: "RangeError: outer\n    at x"}, "RangeError: outer\n    at x"},
	{"numbers", []any{math.Copysign(0, -1), math.NaN(), math.Inf(-1), 1e21, 1.5e-7, 123456789012345680000.0, 0.1, 5e-324, -1.5e300}, "[\n  -0,\n  NaN,\n  -Infinity,\n  1e+21,\n  1.5e-7,\n  123456789012345680000,\n  0.1,\n  5e-324,\n  -1.5e+300\n]"},
	{"keys and quotes", Object{{"a-b", 1.0}, {"a'b", 2.0}, {"", 3.0}}, `{ 'a-b': 1, "a'b": 2, '': 3 }`},
	{"string escapes", []any{"a'b", "a\"b'", "\n\x7f\u0085"}, "[ \"a'b\", `a\"b'`, '\\n\\x7F\\x85' ]"},
	{"deep", Object{{"a", Object{{"b", Object{{"c", Object{{"d", 1.0}}}}}}}}, "{\n  a: { b: { c: { d: 1 } } }\n}"},
	{"long line", Object{{"a", strings.Repeat("x", 30)}, {"b", strings.Repeat("y", 30)}, {"c", 1.0}}, "{\n  a: 'xxxxxxxxxxxxxxxxxxxxxxxxxxxxxx',\n  b: 'yyyyyyyyyyyyyyyyyyyyyyyyyyyyyy',\n  c: 1\n}"},
	{"grouped", func() []any {
		a := make([]any, 30)
		for i := range a {
			a[i] = float64(i)
		}
		return a
	}(), "[\n   0,  1,  2,  3,  4,  5,  6,  7,  8,\n   9, 10, 11, 12, 13, 14, 15, 16, 17,\n  18, 19, 20, 21, 22, 23, 24, 25, 26,\n  27, 28, 29\n]"},
	{"Map with object keys", Map{{Object{{"a", 1.0}}, []any{1.0, 2.0}}}, "Map(1) { { a: 1 } => [ 1, 2 ] }"},
}

// TestFormat checks Format against util.inspect's output.
func TestFormat(t *testing.T) {
	for _, tt := range formatCases {
		t.Run(tt.name, func(t *testing.T) {
			if got := Format(tt.v); got != tt.want {
				t.Fatalf("Format =\n%s\nwant\n%s", got, tt.want)
			}
		})
	}
}

// jsSource returns JavaScript that makes v, or false for a value Node 20
// cannot make (a Float16Array).
func jsSource(v any) (string, bool) {
	list := func(items []any) (string, bool) {
		parts := make([]string, len(items))
		for i, x := range items {
			s, ok := jsSource(x)
			if !ok {
				return "", false
			}
			parts[i] = s
		}
		return strings.Join(parts, ", "), true
	}
	bytesList := func(b []byte) string {
		parts := make([]string, len(b))
		for i, c := range b {
			parts[i] = strconv.Itoa(int(c))
		}
		return "new Uint8Array([" + strings.Join(parts, ",") + "]).buffer"
	}
	switch v := v.(type) {
	case nil:
		return "null", true
	case Undefined:
		return "undefined", true
	case bool:
		return strconv.FormatBool(v), true
	case float64:
		if v == 0 && math.Signbit(v) {
			return "-0", true
		}
		if math.IsInf(v, 0) || math.IsNaN(v) {
			return jsNumber(v), true
		}
		return "(" + strconv.FormatFloat(v, 'g', -1, 64) + ")", true
	case *big.Int:
		return "(" + v.String() + "n)", true
	case string:
		b, _ := json.Marshal(v)
		return string(b), true
	case []byte:
		return bytesList(v), true
	case TypedArray:
		if v.Type == Float16Array {
			return "", false
		}
		return "new " + v.Type.String() + "(" + bytesList(v.Bytes) + ")", true
	case []any:
		s, ok := list(v)
		return "[" + s + "]", ok
	case Set:
		s, ok := list(v)
		return "new Set([" + s + "])", ok
	case Object:
		pairs := make([]any, len(v))
		for i, m := range v {
			pairs[i] = []any{m.Key, m.Value}
		}
		s, ok := list(pairs)
		return "Object.fromEntries([" + s + "])", ok
	case Map:
		pairs := make([]any, len(v))
		for i, e := range v {
			pairs[i] = []any{e.Key, e.Value}
		}
		s, ok := list(pairs)
		return "new Map([" + s + "])", ok
	case time.Time:
		return "new Date(" + strconv.FormatInt(v.UnixMilli(), 10) + ")", true
	case InvalidDate:
		return "new Date(NaN)", true
	case *Error:
		msg, _ := json.Marshal(v.Message)
		opts := ""
		if v.Cause != nil {
			c, ok := jsSource(v.Cause)
			if !ok {
				return "", false
			}
			opts = ", {cause: " + c + "}"
		}
		stack := "delete e.stack"
		if v.Stack != "" {
			s, _ := json.Marshal(v.Stack)
			stack = "e.stack = " + string(s)
		}
		return "(() => { const e = new " + v.Name + "(" + string(msg) + opts + "); " + stack + "; return e })()", true
	}
	return "", false
}

// randomValue returns a value nested at most depth deep, of every kind
// and of the sizes that change util.inspect's layout.
func randomValue(r *rand.Rand, depth int) Value {
	strs := []string{"", "a", "x'y", `q"'`, "b`'\"", "tab\there", "\x00\x7f\u0085", "日本語", "😀", "naïve",
		strings.Repeat("long ", 10), strings.Repeat("y", 75), "${x}'\""}
	keys := []string{"a", "b_c", "a-b", "1", "0", "01", "4294967294", "4294967295", "", "é", "x y", "_", "$", "k2", strings.Repeat("key", 9)}
	nums := []float64{0, 1, -1, 7, 42, 100, 65535, -12345, 1.5, 0.1, -0.25, 1e21, 1e-7, 123456.789, math.NaN(), math.Inf(1), math.Copysign(0, -1), 9007199254740993}
	kind := r.IntN(16)
	if depth == 0 {
		kind = r.IntN(7)
	}
	n := func() int { return []int{0, 1, 2, 3, 6, 7, 12, 30}[r.IntN(8)] }
	switch kind {
	case 0:
		return nums[r.IntN(len(nums))]
	case 1:
		return strs[r.IntN(len(strs))]
	case 2:
		return big.NewInt(r.Int64N(1<<40) - 1<<39)
	case 3:
		return []any{nil, Undefined{}, true, false}[r.IntN(4)]
	case 4:
		if r.IntN(5) == 0 {
			return InvalidDate{}
		}
		return time.UnixMilli(r.Int64N(4e12) - 1e12).UTC()
	case 5:
		b := make([]byte, n())
		for i := range b {
			b[i] = byte(r.IntN(256))
		}
		return b
	case 6:
		t := []TypedArrayType{Uint8Array, Uint8ClampedArray, Int8Array, Uint16Array, Uint32Array, BigUint64Array, Int16Array, Int32Array, BigInt64Array, Float32Array, Float64Array}[r.IntN(11)]
		b := make([]byte, n()*t.ElementSize())
		for i := range b {
			b[i] = byte(r.IntN(256))
		}
		if t == Float32Array || t == Float64Array {
			for i := 0; i < len(b); i += t.ElementSize() {
				b[i+t.ElementSize()-1] &= 0x43 // small numbers, mostly
			}
		}
		return TypedArray{t, b}
	case 7, 8:
		a := make([]any, n())
		numeric := r.IntN(2) == 0
		for i := range a {
			if numeric {
				a[i] = nums[r.IntN(len(nums))]
			} else {
				a[i] = randomValue(r, depth-1)
			}
		}
		return a
	case 9, 10:
		o := Object{}
		for _, k := range keys[:n()%len(keys)] {
			if r.IntN(2) == 0 {
				o = append(o, Member{k, randomValue(r, depth-1)})
			}
		}
		return o
	case 11:
		m := Map{}
		seen := map[primitive]bool{}
		for range n() {
			k := plusZero(randomValue(r, depth-1))
			if p, ok := primitiveOf(k); ok {
				if seen[p] {
					continue
				}
				seen[p] = true
			}
			m = append(m, Entry{k, randomValue(r, depth-1)})
		}
		return m
	case 12:
		var s []any
		for range n() {
			s = append(s, randomValue(r, depth-1))
		}
		return newSet(s)
	case 13:
		e := &Error{Name: []string{"Error", "EvalError", "RangeError", "ReferenceError", "SyntaxError", "TypeError", "URIError"}[r.IntN(7)],
			Message: []string{"", "m", "bad thing happened", "multi\nline"}[r.IntN(4)]}
		switch r.IntN(3) {
		case 1:
			e.Stack = e.Error() + "\n    at f (a.js:1:1)\n    at g (b.js:2:2)"
		case 2:
			e.Stack = "custom stack"
		}
		if r.IntN(2) == 0 {
			e.Cause = randomValue(r, depth-1)
		}
		return e
	}
	return randomValue(r, depth-1)
}

// TestFormatNode checks Format against Node's util.inspect itself for
// every value of the shared vectors and the cases above.
func TestFormatNode(t *testing.T) {
	node, err := testutil.ProbeNode()
	testutil.NeedToolchain(t, err)
	type item struct {
		name string
		v    Value
	}
	var items []item
	for _, vec := range loadVectors(t) {
		if vec.Error == "" {
			items = append(items, item{vec.Name, fromJSON(t, vec.Value)})
		}
	}
	for _, tt := range formatCases {
		items = append(items, item{tt.name, tt.v})
	}
	r := rand.New(rand.NewPCG(1, 2))
	for i := range 400 {
		items = append(items, item{fmt.Sprintf("random %d", i), randomValue(r, 4)})
	}
	var script strings.Builder
	script.WriteString("const u = require('util');\nconst vs = [\n")
	var kept []item
	for _, it := range items {
		if s, ok := jsSource(it.v); ok {
			script.WriteString("  () => " + s + ",\n")
			kept = append(kept, it)
		}
	}
	script.WriteString("];\nfor (const f of vs) console.log(JSON.stringify(u.inspect(f(), {depth: Infinity, maxArrayLength: Infinity, maxStringLength: Infinity})));\n")
	cmd := exec.Command(node, "-")
	cmd.Stdin = strings.NewReader(script.String())
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("node: %v", err)
	}
	lines := strings.Split(strings.TrimSuffix(string(out), "\n"), "\n")
	if len(lines) != len(kept) {
		t.Fatalf("node printed %d lines for %d values", len(lines), len(kept))
	}
	for i, it := range kept {
		var want string
		if err := json.Unmarshal([]byte(lines[i]), &want); err != nil {
			t.Fatal(err)
		}
		if got := Format(it.v); got != want {
			g, w := strings.Split(got, "\n"), strings.Split(want, "\n")
			i := 0
			for i < len(g) && i < len(w) && g[i] == w[i] {
				i++
			}
			t.Errorf("%s: Format differs from util.inspect at line %d:\n%s\n%s\n(%d and %d lines)", it.name, i+1, g[min(i, len(g)-1)], w[min(i, len(w)-1)], len(g), len(w))
		}
	}
}

// TestToJSON checks the JSON form of values, lossy cases included.
func TestToJSON(t *testing.T) {
	tests := []struct {
		name, hex, want string
	}{
		{"object in order", "a2 6162 01 6161 82 f7 f6", `{"b":1,"a":[null,null]}`},
		{"numbers", "84 fb8000000000000000 fb7ff8000000000000 fb7ff0000000000000 fb3ff8000000000000", `[0,null,null,1.5]`},
		{"bigint", "c2 49 010000000000000000", `"18446744073709551616"`},
		{"bytes", "43 010203", `"AQID"`},
		{"typed arrays", "82 d84d 44 feff0100 d84f 48 ffffffffffffffff", `[[-2,1],["-1"]]`},
		{"Map and Set", "82 d90103 a1 01 6161 d90102 82 01 02", `[[[1,"a"]],[1,2]]`},
		{"Dates", "82 c1 00 c1 fb7ff8000000000000", `["1970-01-01T00:00:00.000Z",null]`},
		{"Error", "d81b 82 654572726f72 a3 646e616d65 6954797065457272 6f72 676d657373616765 616d 656361757365 01", `{"name":"TypeError","message":"m","cause":1}`},
		{"no HTML escaping", "63 3c263e", `"<&>"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := ToJSON(mustDecode(t, tt.hex))
			if string(got) != tt.want {
				t.Fatalf("ToJSON = %s, want %s", got, tt.want)
			}
			if !json.Valid(got) {
				t.Fatalf("ToJSON = %s: not JSON", got)
			}
		})
	}
}

// TestEncodeJSON checks the encoding of JSON texts.
func TestEncodeJSON(t *testing.T) {
	tests := []struct {
		name, json, hex string
	}{
		{"object keeps key order", `{"b": 1, "a": [true, null, "x"]}`, "a2 6162 01 6161 83 f5 f6 6178"},
		{"key twice: later value, first place", `{"a": 1, "b": 2, "a": 3}`, "a2 6161 03 6162 02"},
		{"integers are numbers", `[0, -1, 9007199254740991, 9007199254740992, 1.5, 1e400]`,
			"86 00 20 1b001fffffffffffff fb4340000000000000 fb3ff8000000000000 fb7ff0000000000000"},
		{"surrogate pair escape", `"\ud83d\ude00 \\ud800"`, "6b f09f9880 205c7564383030"},
		{"nesting 256", strings.Repeat("[", 256) + strings.Repeat("]", 256), strings.Repeat("81", 255) + "80"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := EncodeJSON([]byte(tt.json))
			if err != nil {
				t.Fatal(err)
			}
			if want := "d9d9f7" + strings.ReplaceAll(tt.hex, " ", ""); hex.EncodeToString(got) != want {
				t.Fatalf("EncodeJSON = %x, want %s", got, want)
			}
		})
	}
	for _, bad := range []string{``, `{`, `[1,]`, `1 2`, "\"\xff\"", `"\ud800"`, `"\udc00\ud800"`, `"\ud800\u0041"`, strings.Repeat("[", 257) + strings.Repeat("]", 257)} {
		if got, err := EncodeJSON([]byte(bad)); err == nil {
			t.Errorf("EncodeJSON(%q) = %x, want an error", bad, got)
		}
	}
}

// TestEncodeRefuses checks that Encode refuses what is not a Value.
func TestEncodeRefuses(t *testing.T) {
	for _, v := range []Value{1, []string{"a"}, Object{{"a", struct{}{}}}, "\xff"} {
		if _, err := Encode(v); err == nil {
			t.Errorf("Encode(%#v) succeeded", v)
		}
	}
}

// FuzzDecode checks that decoding never panics, that what decodes
// encodes and decodes back to itself, and that Format and ToJSON take
// any decoded value (ToJSON giving valid JSON).
func FuzzDecode(f *testing.F) {
	addSeeds(f)
	f.Fuzz(func(t *testing.T, data []byte) {
		v := checkRoundTrip(t, data)
		if v == nil {
			return
		}
		_ = Format(v)
		if j := ToJSON(v); !json.Valid(j) {
			t.Fatalf("ToJSON(Decode(%x)) = %s: not JSON", data, j)
		}
	})
}

// FuzzEncodeJSON checks that EncodeJSON never panics and that what it
// encodes decodes, and converts back to JSON.
func FuzzEncodeJSON(f *testing.F) {
	for _, s := range []string{`{"b":1,"a":[true,null,"x",1.5e300]}`, `"\ud83d\ude00"`, `[[[]]]`, `{"a":1,"a":2}`, `-0`, `"\\u0041"`} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		b, err := EncodeJSON(data)
		if err != nil {
			return
		}
		v, err := Decode(b)
		if err != nil {
			t.Fatalf("Decode(EncodeJSON(%q)): %v", data, err)
		}
		if j := ToJSON(v); !json.Valid(j) {
			t.Fatalf("ToJSON(Decode(EncodeJSON(%q))) = %s: not JSON", data, j)
		}
	})
}
