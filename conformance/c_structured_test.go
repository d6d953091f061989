package conformance_test

import (
	"bufio"
	"bytes"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"math"
	"math/big"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/bindery-run/bindery/internal/testutil"
)

// svVector is one of the shared structured-value vectors
// (wit/deps/durable/testdata/structured-values.json).
type svVector struct {
	Name       string          `json:"name"`
	Hex        string          `json:"hex"`
	Value      json.RawMessage `json:"value"`
	DecodeOnly bool            `json:"decodeOnly"`
	Error      string          `json:"error"`
}

// TestCSDKStructured runs every shared structured-value vector through
// the C SDK's writer and reader (guest-sdk/c/structured.c), built natively
// with the host's C compiler (with AddressSanitizer and UBSan when the
// compiler has them) into the driver conformance/c-structured/main.c: each
// vector decodes to its value, encodes to its bytes (unless decode-only)
// and round-trips, and each bad input is refused with a byte offset. Then
// the C-specific mappings: 64-bit integers beyond 2^53 - 1 as bigints, and
// what the writer refuses.
func TestCSDKStructured(t *testing.T) {
	root := testutil.RepoRoot(t)
	bin := buildSVDriver(t, root)

	raw, err := os.ReadFile(filepath.Join(root, "wit", "deps", "durable", "testdata", "structured-values.json"))
	if err != nil {
		t.Fatal(err)
	}
	var doc struct {
		Vectors []svVector `json:"vectors"`
	}
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.UseNumber()
	if err := dec.Decode(&doc); err != nil {
		t.Fatalf("vectors: %v", err)
	}
	if len(doc.Vectors) < 100 {
		t.Fatalf("only %d vectors", len(doc.Vectors))
	}

	// One driver run answers every command, a line each.
	type check struct {
		name, cmd string
		verify    func(answer string) error
		roundTrip bool // an encode whose output decodes back to its tokens
	}
	var checks []check
	for _, v := range doc.Vectors {
		if v.Error != "" {
			n := len(v.Hex) / 2
			checks = append(checks, check{name: v.Name + ": decode", cmd: "D " + v.Hex, verify: func(a string) error {
				var off int
				if _, err := fmt.Sscanf(a, "err %d ", &off); err != nil {
					return fmt.Errorf("want an error (%s) naming an offset", v.Error)
				}
				if off > n || !strings.Contains(a, fmt.Sprintf("at byte %d", off)) {
					return fmt.Errorf("offset %d beyond the %d bytes, or not in the message", off, n)
				}
				return nil
			}})
			continue
		}
		toks, err := svTokens(v.Value)
		if err != nil {
			t.Fatalf("%s: %v", v.Name, err)
		}
		want := strings.Join(toks, " ")
		checks = append(checks, check{v.Name + ": decode", "D " + v.Hex, equals("ok " + want), false})
		if !v.DecodeOnly {
			checks = append(checks, check{v.Name + ": encode", "E " + want, equals("ok " + v.Hex), true})
		}
	}
	writer := []struct{ name, tokens, want string }{
		{"int64 2^53-1 is a number", "i64:9007199254740991", "ok d9d9f71b001fffffffffffff"},
		{"int64 -(2^53-1) is a number", "i64:-9007199254740991", "ok d9d9f73b001ffffffffffffe"},
		{"int64 2^53 is a bigint", "i64:9007199254740992", "ok d9d9f7c24720000000000000"},
		{"int64 min is a bigint", "i64:-9223372036854775808", "ok d9d9f7c3487fffffffffffffff"},
		{"uint64 max is a bigint", "u64:18446744073709551615", "ok d9d9f7c248ffffffffffffffff"},
		{"uint64 0 is a number", "u64:0", "ok d9d9f700"},
		{"Error name outside the seven is Error", "err:4167677265676174654572726f72:6d:-:-", "ok d9d9f7d81b82654572726f72a2646e616d65654572726f72676d657373616765616d"},
		{"bigint leading zeros dropped", "big:+000001", "ok d9d9f7c24101"},
		{"string not UTF-8", "str:ff", "err a string of 1 bytes is not UTF-8 at byte 0"},
		{"key not UTF-8", "obj:1 str:c328 n", "err a key of 2 bytes is not UTF-8 at byte 0"},
		{"typed array length", "typed:69:000000", "err a typed array (tag 69) of 3 bytes: not a multiple of 2"},
		{"typed array kind", "typed:65:00", "err typed array kind 65 is not one of bindery_sv_typed"},
		{"array short of elements", "arr:2 n", "err unfinished: a container still owes 1 items"},
		{"object value without a key", "obj:1 n n", "err null where the object needs a key (bindery_sv_key)"},
		{"two values", "n n", "err null after the whole value was written"},
		{"no value", "", "err no value was written"},
		{"257 nested arrays", strings.Repeat("arr:1 ", 257) + "n", "err an array nested deeper than 256 arrays, maps and tags"},
		{"Sets 129 deep", strings.Repeat("set:1 ", 129) + "n", "err a Set nested deeper than 256 arrays, maps and tags"},
		{"256 nested arrays", strings.Repeat("arr:1 ", 256) + "n", "ok d9d9f7" + strings.Repeat("81", 256) + "f6"},
	}
	for _, w := range writer {
		checks = append(checks, check{"writer: " + w.name, "E " + w.tokens, equals(w.want), false})
	}
	ints := []struct{ name, hex, want string }{
		{"number", "d9d9f73b001ffffffffffffe", "ok -9007199254740991"},
		{"bigint int64 min", "d9d9f7c3487fffffffffffffff", "ok -9223372036854775808"},
		{"bigint 2^63 out of range", "d9d9f7c2488000000000000000", "no"},
		{"fraction", "d9d9f7fb3ff8000000000000", "no"},
		{"string", "d9d9f76161", "no"},
	}
	for _, i := range ints {
		checks = append(checks, check{"int64: " + i.name, "I " + i.hex, equals(i.want), false})
	}

	var in bytes.Buffer
	for _, c := range checks {
		in.WriteString(c.cmd + "\n")
	}
	cmd := exec.Command(bin)
	cmd.Stdin = &in
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("driver: %v\n%s", err, stderr.Bytes())
	}
	sc := bufio.NewScanner(bytes.NewReader(out))
	sc.Buffer(nil, 1<<24)
	var answers []string
	for sc.Scan() {
		answers = append(answers, sc.Text())
	}
	if len(answers) != len(checks) {
		t.Fatalf("driver answered %d of %d commands\n%s", len(answers), len(checks), stderr.Bytes())
	}
	for i, c := range checks {
		if err := c.verify(answers[i]); err != nil {
			t.Errorf("%s: %v\n  got  %.300s", c.name, err, answers[i])
		}
	}

	// Round trip: what the C writer wrote for each vector, the C reader
	// reads back as the same tokens.
	var rt bytes.Buffer
	var rtWant []string
	for i, c := range checks {
		if c.roundTrip && strings.HasPrefix(answers[i], "ok ") {
			rt.WriteString("D " + strings.TrimPrefix(answers[i], "ok ") + "\n")
			rtWant = append(rtWant, "ok "+strings.TrimPrefix(c.cmd, "E "))
		}
	}
	if len(rtWant) < 100 {
		t.Fatalf("only %d vectors to round-trip", len(rtWant))
	}
	cmd = exec.Command(bin)
	cmd.Stdin = &rt
	out, err = cmd.Output()
	if err != nil {
		t.Fatalf("driver: %v", err)
	}
	got := strings.Split(strings.TrimSuffix(string(out), "\n"), "\n")
	if len(got) != len(rtWant) {
		t.Fatalf("round trip: %d answers to %d commands", len(got), len(rtWant))
	}
	for i := range got {
		if got[i] != rtWant[i] {
			t.Errorf("round trip: got %.200s, want %.200s", got[i], rtWant[i])
		}
	}
}

func equals(want string) func(string) error {
	return func(got string) error {
		if got != want {
			return fmt.Errorf("want %.300s", want)
		}
		return nil
	}
}

// buildSVDriver compiles the driver with the first C compiler found,
// skipping (or failing, when C is required) without one.
func buildSVDriver(t *testing.T, root string) string {
	t.Helper()
	var cc string
	for _, c := range []string{"cc", "gcc", "clang", "clang-14"} {
		if p, err := exec.LookPath(c); err == nil {
			cc = p
			break
		}
	}
	if cc == "" {
		testutil.NeedToolchain(t, &testutil.MissingError{Toolchain: "c", Reason: "no native C compiler (cc, gcc, clang) in PATH (apt-get install gcc)"})
	}
	bin := filepath.Join(t.TempDir(), "sv")
	args := []string{"-std=c11", "-O1", "-g", "-Wall", "-Wextra", "-Werror",
		"-I", filepath.Join(root, "guest-sdk", "c"),
		"-o", bin,
		filepath.Join(root, "guest-sdk", "c", "structured.c"),
		filepath.Join(root, "conformance", "c-structured", "main.c"),
		"-lm"}
	san := append([]string{"-fsanitize=address,undefined", "-fno-sanitize-recover=all"}, args...)
	if out, err := exec.Command(cc, san...).CombinedOutput(); err != nil {
		t.Logf("%s without sanitizers (%v: %s)", cc, err, firstLine(out))
		if out, err := exec.Command(cc, args...).CombinedOutput(); err != nil {
			t.Fatalf("%s: %v\n%s", cc, err, out)
		}
	}
	return bin
}

func firstLine(b []byte) string {
	s, _, _ := strings.Cut(string(b), "\n")
	return s
}

// svTokens spells a typed JSON value (the vectors' format) in the driver's
// tokens.
func svTokens(raw json.RawMessage) ([]string, error) {
	var v map[string]json.RawMessage
	d := json.NewDecoder(bytes.NewReader(raw))
	d.UseNumber()
	if err := d.Decode(&v); err != nil {
		return nil, err
	}
	if kind, ok := v["typed"]; ok {
		var name, b string
		if err := json.Unmarshal(kind, &name); err != nil {
			return nil, err
		}
		if err := json.Unmarshal(v["bytes"], &b); err != nil {
			return nil, err
		}
		tags := map[string]int{"Uint8Array": 64, "Uint8ClampedArray": 68, "Int8Array": 72, "Uint16Array": 69, "Uint32Array": 70,
			"BigUint64Array": 71, "Int16Array": 77, "Int32Array": 78, "BigInt64Array": 79, "Float16Array": 84, "Float32Array": 85, "Float64Array": 86}
		tag, ok := tags[name]
		if !ok {
			return nil, fmt.Errorf("typed array %q", name)
		}
		return []string{fmt.Sprintf("typed:%d:%s", tag, b)}, nil
	}
	if len(v) != 1 {
		return nil, fmt.Errorf("value %s: want one key", raw)
	}
	for k, x := range v {
		str := func() (string, error) {
			var s string
			err := json.Unmarshal(x, &s)
			return s, err
		}
		switch k {
		case "undefined":
			return []string{"u"}, nil
		case "null":
			return []string{"n"}, nil
		case "bool":
			if string(x) == "true" {
				return []string{"t"}, nil
			}
			return []string{"f"}, nil
		case "number", "date":
			f, err := svNumber(x)
			if err != nil {
				return nil, err
			}
			prefix := "num:"
			if k == "date" {
				prefix = "date:"
			}
			return []string{fmt.Sprintf("%s%016x", prefix, math.Float64bits(f))}, nil
		case "bigint":
			s, err := str()
			if err != nil {
				return nil, err
			}
			n, ok := new(big.Int).SetString(s, 10)
			if !ok {
				return nil, fmt.Errorf("bigint %q", s)
			}
			if n.Sign() < 0 {
				m := new(big.Int).Sub(new(big.Int).Neg(n), big.NewInt(1)) // -1 - n
				return []string{"big:-" + hex.EncodeToString(m.Bytes())}, nil
			}
			return []string{"big:+" + hex.EncodeToString(n.Bytes())}, nil
		case "string":
			s, err := str()
			return []string{"str:" + hex.EncodeToString([]byte(s))}, err
		case "bytes":
			s, err := str()
			return []string{"bytes:" + s}, err
		case "array", "set":
			var items []json.RawMessage
			if err := json.Unmarshal(x, &items); err != nil {
				return nil, err
			}
			toks := []string{fmt.Sprintf("%s:%d", map[string]string{"array": "arr", "set": "set"}[k], len(items))}
			for _, it := range items {
				t, err := svTokens(it)
				if err != nil {
					return nil, err
				}
				toks = append(toks, t...)
			}
			return toks, nil
		case "object", "map":
			var entries [][2]json.RawMessage
			if err := json.Unmarshal(x, &entries); err != nil {
				return nil, err
			}
			toks := []string{fmt.Sprintf("%s:%d", map[string]string{"object": "obj", "map": "map"}[k], len(entries))}
			for _, e := range entries {
				if k == "object" {
					var key string
					if err := json.Unmarshal(e[0], &key); err != nil {
						return nil, err
					}
					toks = append(toks, "str:"+hex.EncodeToString([]byte(key)))
				} else {
					t, err := svTokens(e[0])
					if err != nil {
						return nil, err
					}
					toks = append(toks, t...)
				}
				t, err := svTokens(e[1])
				if err != nil {
					return nil, err
				}
				toks = append(toks, t...)
			}
			return toks, nil
		case "error":
			var e struct {
				Name    string          `json:"name"`
				Message string          `json:"message"`
				Stack   *string         `json:"stack"`
				Cause   json.RawMessage `json:"cause"`
			}
			if err := json.Unmarshal(x, &e); err != nil {
				return nil, err
			}
			stack, cause := "-", "-"
			if e.Stack != nil {
				stack = hex.EncodeToString([]byte(*e.Stack))
			}
			if e.Cause != nil {
				cause = "c"
			}
			toks := []string{fmt.Sprintf("err:%s:%s:%s:%s", hex.EncodeToString([]byte(e.Name)), hex.EncodeToString([]byte(e.Message)), stack, cause)}
			if e.Cause != nil {
				t, err := svTokens(e.Cause)
				if err != nil {
					return nil, err
				}
				toks = append(toks, t...)
			}
			return toks, nil
		default:
			return nil, fmt.Errorf("unknown kind %q", k)
		}
	}
	panic("unreachable")
}

// svNumber reads a vector's number: a JSON number (parsed exactly) or
// "NaN", "Infinity", "-Infinity", "-0".
func svNumber(x json.RawMessage) (float64, error) {
	var s string
	if json.Unmarshal(x, &s) == nil {
		switch s {
		case "NaN":
			return math.Float64frombits(0x7ff8000000000000), nil
		case "Infinity":
			return math.Inf(1), nil
		case "-Infinity":
			return math.Inf(-1), nil
		case "-0":
			return math.Copysign(0, -1), nil
		}
		return 0, fmt.Errorf("number %q", s)
	}
	return strconv.ParseFloat(string(x), 64)
}
