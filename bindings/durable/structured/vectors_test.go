// This file is identical in guest-sdk/go/bindery/structured and
// bindings/durable/structured (the root module cannot require the guest
// SDK); TestSharedFiles in the root checks that the copies match.

package structured

import (
	"bytes"
	"encoding/hex"
	"encoding/json"
	"errors"
	"math"
	"math/big"
	"os"
	"path/filepath"
	"strconv"
	"testing"
	"time"
)

// vectorsPath is the shared vectors file, from the repository's root.
const vectorsPath = "wit/deps/durable/testdata/structured-values.json"

// vector is one entry of the vectors file.
type vector struct {
	Name       string          `json:"name"`
	Hex        string          `json:"hex"`
	Value      json.RawMessage `json:"value"`
	DecodeOnly bool            `json:"decodeOnly"`
	Error      string          `json:"error"`
}

// loadVectors reads the vectors file, found in a parent directory.
func loadVectors(t testing.TB) []vector {
	t.Helper()
	dir, err := os.Getwd()
	if err != nil {
		t.Fatal(err)
	}
	for {
		b, err := os.ReadFile(filepath.Join(dir, vectorsPath))
		if err == nil {
			var f struct{ Vectors []vector }
			if err := json.Unmarshal(b, &f); err != nil {
				t.Fatalf("%s: %v", vectorsPath, err)
			}
			return f.Vectors
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			t.Fatalf("%s not found above the working directory", vectorsPath)
		}
		dir = parent
	}
}

// fromJSON returns the generic value of a vector's typed JSON value.
func fromJSON(t testing.TB, raw json.RawMessage) any {
	t.Helper()
	var m map[string]json.RawMessage
	if err := json.Unmarshal(raw, &m); err != nil {
		t.Fatalf("value %s: %v", raw, err)
	}
	str := func(r json.RawMessage) string {
		var s string
		if err := json.Unmarshal(r, &s); err != nil {
			t.Fatalf("value %s: %v", raw, err)
		}
		return s
	}
	list := func(r json.RawMessage) []json.RawMessage {
		var l []json.RawMessage
		if err := json.Unmarshal(r, &l); err != nil {
			t.Fatalf("value %s: %v", raw, err)
		}
		return l
	}
	hexBytes := func(r json.RawMessage) []byte {
		b, err := hex.DecodeString(str(r))
		if err != nil {
			t.Fatalf("value %s: %v", raw, err)
		}
		return b
	}
	number := func(r json.RawMessage) float64 {
		text := string(r)
		var s string
		if json.Unmarshal(r, &s) == nil {
			text = s // "NaN", "Infinity", "-Infinity", "-0"
		}
		f, err := strconv.ParseFloat(text, 64)
		if err != nil {
			t.Fatalf("value %s: %v", raw, err)
		}
		return f
	}
	switch {
	case m["undefined"] != nil:
		return Undefined{}
	case m["null"] != nil:
		return nil
	case m["bool"] != nil:
		return string(m["bool"]) == "true"
	case m["number"] != nil:
		return number(m["number"])
	case m["bigint"] != nil:
		n, ok := new(big.Int).SetString(str(m["bigint"]), 10)
		if !ok {
			t.Fatalf("value %s: bad bigint", raw)
		}
		return n
	case m["string"] != nil:
		return str(m["string"])
	case m["typed"] != nil:
		name := str(m["typed"])
		for tag := TypedArrayType(64); tag <= 86; tag++ {
			if tag.String() == name {
				return TypedArray{tag, hexBytes(m["bytes"])}
			}
		}
		t.Fatalf("value %s: unknown typed array", raw)
	case m["bytes"] != nil:
		return hexBytes(m["bytes"])
	case m["array"] != nil:
		a := []any{}
		for _, r := range list(m["array"]) {
			a = append(a, fromJSON(t, r))
		}
		return a
	case m["set"] != nil:
		s := Set{}
		for _, r := range list(m["set"]) {
			s = append(s, fromJSON(t, r))
		}
		return s
	case m["object"] != nil:
		o := Object{}
		for _, r := range list(m["object"]) {
			kv := list(r)
			o = append(o, Member{str(kv[0]), fromJSON(t, kv[1])})
		}
		return o
	case m["map"] != nil:
		mp := Map{}
		for _, r := range list(m["map"]) {
			kv := list(r)
			mp = append(mp, Entry{fromJSON(t, kv[0]), fromJSON(t, kv[1])})
		}
		return mp
	case m["date"] != nil:
		ms := number(m["date"])
		if math.IsNaN(ms) {
			return InvalidDate{}
		}
		return time.UnixMilli(int64(ms)).UTC()
	case m["error"] != nil:
		var f struct {
			Name, Message, Stack string
			Cause                json.RawMessage
		}
		if err := json.Unmarshal(m["error"], &f); err != nil {
			t.Fatalf("value %s: %v", raw, err)
		}
		e := &Error{Name: f.Name, Message: f.Message, Stack: f.Stack}
		if f.Cause != nil {
			e.Cause = fromJSON(t, f.Cause)
		}
		return e
	}
	t.Fatalf("value %s: unknown kind", raw)
	return nil
}

// equal reports whether a and b are the same value: numbers by their
// bits (NaN equals NaN, −0 does not equal 0), Dates to the millisecond
// (within one when slack is set and the Date is beyond 2^51 ms, where the
// encoding may lose one).
func equal(a, b any, slack bool) bool {
	switch x := a.(type) {
	case float64:
		y, ok := b.(float64)
		return ok && (x == y && math.Signbit(x) == math.Signbit(y) || math.IsNaN(x) && math.IsNaN(y))
	case *big.Int:
		y, ok := b.(*big.Int)
		return ok && x.Cmp(y) == 0
	case time.Time:
		y, ok := b.(time.Time)
		if !ok {
			return false
		}
		d := x.UnixMilli() - y.UnixMilli()
		return d == 0 || slack && (d == 1 || d == -1) && math.Abs(float64(x.UnixMilli())) >= 1<<51
	case []byte:
		y, ok := b.([]byte)
		return ok && bytes.Equal(x, y)
	case TypedArray:
		y, ok := b.(TypedArray)
		return ok && x.Type == y.Type && bytes.Equal(x.Bytes, y.Bytes)
	case []any:
		y, ok := b.([]any)
		return ok && equalLists(x, y, slack)
	case Set:
		y, ok := b.(Set)
		return ok && equalLists(x, y, slack)
	case Object:
		y, ok := b.(Object)
		if !ok || len(x) != len(y) {
			return false
		}
		for i := range x {
			if x[i].Key != y[i].Key || !equal(x[i].Value, y[i].Value, slack) {
				return false
			}
		}
		return true
	case Map:
		y, ok := b.(Map)
		if !ok || len(x) != len(y) {
			return false
		}
		for i := range x {
			if !equal(x[i].Key, y[i].Key, slack) || !equal(x[i].Value, y[i].Value, slack) {
				return false
			}
		}
		return true
	case *Error:
		y, ok := b.(*Error)
		return ok && x.Name == y.Name && x.Message == y.Message && x.Stack == y.Stack && equal(x.Cause, y.Cause, slack)
	}
	return a == b
}

func equalLists(x, y []any, slack bool) bool {
	if len(x) != len(y) {
		return false
	}
	for i := range x {
		if !equal(x[i], y[i], slack) {
			return false
		}
	}
	return true
}

// TestVectors runs every shared vector: decode(hex) == value, and
// encode(value) == hex unless the vector is decode-only; an error vector
// must fail to decode with a *SyntaxError naming a byte of the input.
func TestVectors(t *testing.T) {
	vectors := loadVectors(t)
	if len(vectors) < 300 {
		t.Fatalf("%d vectors", len(vectors))
	}
	for _, vec := range vectors {
		t.Run(vec.Name, func(t *testing.T) {
			data, err := hex.DecodeString(vec.Hex)
			if err != nil {
				t.Fatal(err)
			}
			got, err := Decode(data)
			if vec.Error != "" {
				var se *SyntaxError
				if !errors.As(err, &se) {
					t.Fatalf("Decode(%s) = %v, %v; want a *SyntaxError (%s)", vec.Hex, got, err, vec.Error)
				}
				if se.Offset < 0 || se.Offset > len(data) {
					t.Fatalf("offset %d outside the %d bytes: %v", se.Offset, len(data), err)
				}
				return
			}
			if err != nil {
				t.Fatalf("Decode(%s): %v", vec.Hex, err)
			}
			want := fromJSON(t, vec.Value)
			if !equal(got, want, false) {
				t.Fatalf("Decode(%s) = %#v, want %#v", vec.Hex, got, want)
			}
			if vec.DecodeOnly {
				return
			}
			enc, err := encode(want)
			if err != nil {
				t.Fatalf("encode(%#v): %v", want, err)
			}
			if h := hex.EncodeToString(enc); h != vec.Hex {
				t.Fatalf("encode(%#v) = %s, want %s", want, h, vec.Hex)
			}
		})
	}
}

// checkRoundTrip checks that decoding data never panics, fails with a
// *SyntaxError inside the input or gives a value that encodes and decodes
// back to itself.
func checkRoundTrip(t *testing.T, data []byte) any {
	v, err := Decode(data)
	if err != nil {
		var se *SyntaxError
		if !errors.As(err, &se) || se.Offset < 0 || se.Offset > len(data) {
			t.Fatalf("Decode(%x): %v", data, err)
		}
		return nil
	}
	enc, err := encode(v)
	if err != nil {
		t.Fatalf("encode(Decode(%x)): %v", data, err)
	}
	v2, err := Decode(enc)
	if err != nil {
		t.Fatalf("Decode(encode(Decode(%x))) = Decode(%x): %v", data, enc, err)
	}
	if !equal(v, v2, true) {
		t.Fatalf("Decode(%x) = %#v; encoded %x decodes to %#v", data, v, enc, v2)
	}
	return v
}

// addSeeds adds every vector to f's corpus.
func addSeeds(f *testing.F) {
	for _, vec := range loadVectors(f) {
		data, err := hex.DecodeString(vec.Hex)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(data)
	}
}
