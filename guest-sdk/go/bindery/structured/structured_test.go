package structured

import (
	"encoding/hex"
	"errors"
	"fmt"
	"math"
	"math/big"
	"reflect"
	"strings"
	"testing"
	"time"
)

type point struct{ X, Y int }

type inner struct {
	X int `json:"x"`
	Y int // shadowed by sample.Y
}

type sample struct {
	B      string `json:"b"`
	A      int    `json:"a,omitempty"`
	Skip   int    `json:"-"`
	C      []byte
	inner  // promoted: x
	hidden int
	T      time.Time `json:"t,omitzero"`
	Y      string
}

// celsius encodes as another value.
type celsius float64

func (c celsius) MarshalStructured() (any, error) { return fmt.Sprintf("%g°C", float64(c)), nil }

func (c *celsius) UnmarshalStructured(v any) error {
	s, ok := v.(string)
	if !ok {
		return errors.New("not a string")
	}
	_, err := fmt.Sscanf(s, "%g°C", (*float64)(c))
	return err
}

// level encodes as its text.
type level int

func (l level) MarshalText() ([]byte, error) { return []byte(strings.Repeat("*", int(l))), nil }

func (l *level) UnmarshalText(b []byte) error {
	*l = level(len(b))
	return nil
}

type failing struct{}

func (failing) MarshalStructured() (any, error) { return nil, errors.New("boom") }

type node struct{ Next *node }

// TestMarshalGo checks how Go values are written (hex after the prefix).
func TestMarshalGo(t *testing.T) {
	one := 1.0
	pone := &one
	tests := []struct {
		name string
		v    any
		hex  string
	}{
		{"struct fields in order, json tags, embedded", sample{B: "b", Skip: 1, C: []byte{1}, inner: inner{X: 7, Y: 8}, hidden: 2, Y: "y"},
			"a4 6162 6162 6143 4101 6178 07 6159 6179"},
		{"struct omitempty and omitzero kept when set", sample{A: 2, T: time.Unix(1, 0)},
			"a6 6162 60 6161 02 6143 f6 6178 00 6174 c101 6159 60"},
		{"map with string keys sorted by encoded bytes", map[string]int{"b": 1, "aa": 2, "a": 3}, "a3 6161 03 6162 01 626161 02"},
		{"map with int keys is a Map", map[int]string{2: "b", 1: "a", -1: "c"}, "d90103 a3 01 6161 02 6162 20 6163"},
		{"map of structs", map[string]point{"p": {1, 2}}, "a1 6170 a2 6158 01 6159 02"},
		{"int 2^53-1", int64(1<<53 - 1), "1b 001fffffffffffff"},
		{"int 2^53 is a bigint", int64(1 << 53), "c2 47 20000000000000"},
		{"int -2^53 is a bigint", int64(-1 << 53), "c3 47 1fffffffffffff"},
		{"int64 min", int64(math.MinInt64), "c3 48 7fffffffffffffff"},
		{"uint64 max", uint64(math.MaxUint64), "c2 48 ffffffffffffffff"},
		{"int8", int8(-5), "24"},
		{"uint8", uint8(200), "18 c8"},
		{"float32 widened", float32(0.1), "fb 3fb99999a0000000"},
		{"float32 integral", float32(2), "02"},
		{"big.Int pointer", big.NewInt(5), "c2 41 05"},
		{"big.Int value", *big.NewInt(-5), "c3 41 04"},
		{"time truncated to the millisecond", time.Unix(1, 999999), "c1 01"},
		{"time before 1970 truncated toward -inf", time.Unix(0, -1), "c1 fb bf50624dd2f1a9fc"},
		{"time -0.5 s", time.Unix(-1, 500000000), "c1 fb bfe0000000000000"},
		{"byte array", [3]byte{1, 2, 3}, "43 010203"},
		{"uint16 slice is an array", []uint16{1, 2}, "82 01 02"},
		{"nil slice", []int(nil), "f6"},
		{"empty slice", []int{}, "80"},
		{"nil map", map[string]int(nil), "f6"},
		{"nil pointer", (*int)(nil), "f6"},
		{"pointer to pointer", &pone, "01"},
		{"generic values", []any{1.0, "a", Undefined{}, Set{true}, Object{{"z", nil}}}, "85 01 6161 f7 d90102 81 f5 a1 617a f6"},
		{"Error with a Go error as cause", &Error{Name: "TypeError", Message: "m", Cause: errors.New("x")},
			"d81b 82 654572726f72 a3 646e616d65 6954797065457272 6f72 676d657373616765 616d 656361757365 d81b 82 654572726f72 a2 646e616d65 654572726f72 676d657373616765 6178"},
		{"Error value with an unknown name", Error{Name: "Oops"}, "d81b 82 654572726f72 a2 646e616d65 654572726f72 676d657373616765 60"},
		{"Marshaler", celsius(21.5), "67 32312e35c2b043"},
		{"TextMarshaler", level(3), "63 2a2a2a"},
		{"pointer to a TextMarshaler", func() *level { l := level(2); return &l }(), "62 2a2a"},
		{"pointer to time", func() *time.Time { t := time.Unix(2, 0); return &t }(), "c1 02"},
		{"InvalidDate", InvalidDate{}, "c1 fb 7ff8000000000000"},
		{"nil Object is an empty object", Object(nil), "a0"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			b, err := Marshal(tt.v)
			if err != nil {
				t.Fatal(err)
			}
			if got, want := hex.EncodeToString(b), "d9d9f7"+strings.ReplaceAll(tt.hex, " ", ""); got != want {
				t.Fatalf("Marshal(%#v) = %s, want %s", tt.v, got, want)
			}
		})
	}
}

// TestMarshalErrors checks that what the encoding cannot hold is refused,
// naming its place.
func TestMarshalErrors(t *testing.T) {
	cyclic := &node{}
	cyclic.Next = cyclic
	var selfRef any
	selfRef = &selfRef
	tests := []struct {
		name string
		v    any
		want string
	}{
		{"channel", make(chan int), "chan int has no encoding"},
		{"function in a struct", struct{ F func() }{func() {}}, ".F: func() has no encoding"},
		{"complex", complex(1, 2), "complex128 has no encoding"},
		{"string not UTF-8 in a slice", []string{"ok", "\xff"}, `[1]: string "\xff" is not UTF-8`},
		{"map key not UTF-8", map[string]int{"\xff": 1}, "not UTF-8"},
		{"cycle", cyclic, "nesting deeper than 256"},
		{"pointer cycle", selfRef, "a cycle of pointers"},
		{"typed array of a bad length", TypedArray{Uint32Array, []byte{1}}, "Uint32Array of 1 bytes"},
		{"typed array of an unknown type", TypedArray{65, nil}, "TypedArray(65)"},
		{"Marshaler error", []any{failing{}}, "[0]: structured.failing.MarshalStructured: boom"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Marshal(tt.v)
			var ee *EncodeError
			if !errors.As(err, &ee) || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("Marshal = %v, want an *EncodeError with %q", err, tt.want)
			}
		})
	}
}

// mustHex returns the prefix and the bytes of h.
func mustHex(t *testing.T, h string) []byte {
	t.Helper()
	b, err := hex.DecodeString("d9d9f7" + strings.ReplaceAll(h, " ", ""))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// TestUnmarshalGo checks how values are read into Go types.
func TestUnmarshalGo(t *testing.T) {
	type target struct {
		Name   string
		N      int64
		U      uint8
		F      float32
		Big    *big.Int
		Bytes  []byte
		ID     [2]byte
		When   time.Time
		Tags   []string
		Counts map[string]int
		ByID   map[int]string
		Err    error
		P      *point
		Temp   celsius
		Level  level
		Any    any
	}
	data := mustHex(t, "af"+
		"646e616d65 6161"+ // "name" (case-insensitive): "a"
		"614e c2 48 0fffffffffffffff"+ // N: a bigint in range
		"6155 18 c8"+ // U: 200
		"6146 fb 3ff8000000000000"+ // F: 1.5
		"63426967 1b 0020000000000000"+ // Big: an integer beyond 2^53 - 1
		"654279746573 d840 42 0102"+ // Bytes: a Uint8Array
		"624944 42 0304"+ // ID
		"645768656e c1 01"+ // When
		"6454616773 d90102 82 6178 6179"+ // Tags: a Set
		"66436f756e7473 d90103 a1 6161 01"+ // Counts: a Map with string keys
		"6442794944 d90103 a1 02 6162"+ // ByID
		"63457272 d81b 82 654572726f72 a2 646e616d65 6954797065457272 6f72 676d657373616765 616d"+ // Err
		"6150 a2 6158 01 6159 02"+ // P
		"6454656d70 67 32312e35c2b043"+ // Temp: "21.5°C"
		"654c6576656c 62 2a2a") // Level: "**"
	var got target
	if err := Unmarshal(data, &got); err != nil {
		t.Fatal(err)
	}
	want := target{
		Name: "a", N: 1<<60 - 1, U: 200, F: 1.5, Big: big.NewInt(1 << 53), Bytes: []byte{1, 2}, ID: [2]byte{3, 4},
		When: time.Unix(1, 0).UTC(), Tags: []string{"x", "y"}, Counts: map[string]int{"a": 1}, ByID: map[int]string{2: "b"},
		Err: &Error{Name: "TypeError", Message: "m"}, P: &point{1, 2}, Temp: 21.5, Level: 2,
	}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("Unmarshal =\n%#v, want\n%#v", got, want)
	}
	var nums struct {
		F []float64
		I [2]int64
		U []uint8
	}
	if err := Unmarshal(mustHex(t, "a3 6146 d856 48 000000000000f83f 6149 d84f 50 ffffffffffffffff 0200000000000000 6155 d844 42 00ff"), &nums); err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(nums.F, []float64{1.5}) || nums.I != [2]int64{-1, 2} || !reflect.DeepEqual(nums.U, []uint8{0, 255}) {
		t.Fatalf("typed arrays into slices: %+v", nums)
	}
	// One element of a decoded array (an RPC call's arguments) into its own
	// Go type.
	args, err := Decode(mustHex(t, "82 6161 a1 6158 07"))
	if err != nil {
		t.Fatal(err)
	}
	var p point
	if err := UnmarshalValue(args.([]any)[1], &p); err != nil || p != (point{X: 7}) {
		t.Fatalf("UnmarshalValue = %v, %+v", err, p)
	}
	var te *Error
	if !errors.As(got.Err, &te) || te.Error() != "TypeError: m" {
		t.Fatalf("Err = %v", got.Err)
	}

	// null sets pointers to nil and leaves other values as they were.
	got.P, got.N = &point{}, 5
	if err := Unmarshal(mustHex(t, "a2 6150 f6 614e f7"), &got); err != nil {
		t.Fatal(err)
	}
	if got.P != nil || got.N != 5 {
		t.Fatalf("after null: P %v, N %d", got.P, got.N)
	}
}

// TestUnmarshalErrors checks that a value that does not fit its Go type is
// an *UnmarshalTypeError naming its place.
func TestUnmarshalErrors(t *testing.T) {
	tests := []struct {
		name   string
		hex    string
		target any
		want   string
	}{
		{"fraction into int", "a1 6141 fb 3ff8000000000000", &struct{ A int }{}, "number 1.5 into Go value of type int at .A"},
		{"overflow into int8", "a1 6141 19 0100", &struct{ A int8 }{}, "number 256 into Go value of type int8 at .A"},
		{"bigint into int64", "c2 48 ffffffffffffffff", new(int64), "bigint 18446744073709551615n into Go value of type int64"},
		{"negative into uint", "20", new(uint), "number -1 into Go value of type uint"},
		{"bigint into float64", "c2 41 01", new(float64), "bigint 1n into Go value of type float64"},
		{"string into int in a slice", "82 01 6161", new([]int), "string into Go value of type int at [1]"},
		{"byte string of a wrong length", "43 010203", new([2]byte), "byte string into Go value of type [2]uint8"},
		{"Map into a struct", "d90103 a0", new(point), "Map into Go value of type structured.point"},
		{"Map with int keys into map[string]int", "d90103 a1 01 01", new(map[string]int), "number 1 into Go value of type string at <key 0>"},
		{"invalid Date into time.Time", "c1 fb 7ff8000000000000", new(time.Time), "Date into Go value of type time.Time"},
		{"Unmarshaler error", "01", new(celsius), "not a string"},
		{"Int16Array into []int8", "d84d 42 0001", new([]int8), "number 256 into Go value of type int8 at [0]"},
		{"Float32Array into []int", "d855 44 0000c03f", new([]int), "number 1.5 into Go value of type int at [0]"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := Unmarshal(mustHex(t, tt.hex), tt.target)
			var ue *UnmarshalTypeError
			if !errors.As(err, &ue) || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("Unmarshal = %v, want an *UnmarshalTypeError with %q", err, tt.want)
			}
		})
	}
	if err := Unmarshal(mustHex(t, "01"), point{}); err == nil {
		t.Fatal("Unmarshal into a non-pointer succeeded")
	}
	var se *SyntaxError
	if err := Unmarshal([]byte{0xd9, 0xd9, 0xf7, 0x61}, new(string)); !errors.As(err, &se) || se.Offset != 3 {
		t.Fatalf("Unmarshal of truncated bytes = %v, want a *SyntaxError at byte 3", err)
	}
}

// TestRoundTripGo checks that Go values come back from Marshal and
// Unmarshal as they were.
func TestRoundTripGo(t *testing.T) {
	type rec struct {
		Name  string            `json:"name"`
		Count uint64            `json:"count"`
		Min   int64             `json:"min"`
		Ratio float64           `json:"ratio"`
		Data  []byte            `json:"data,omitempty"`
		When  time.Time         `json:"when"`
		Nest  []map[string]bool `json:"nest"`
		Ptr   *string           `json:"ptr"`
	}
	s := "s"
	in := rec{Name: "ünï", Count: math.MaxUint64, Min: math.MinInt64, Ratio: math.Inf(-1), Data: []byte{0},
		When: time.UnixMilli(-62135596800123).UTC(), Nest: []map[string]bool{{"t": true}}, Ptr: &s}
	b, err := Marshal(in)
	if err != nil {
		t.Fatal(err)
	}
	var out rec
	if err := Unmarshal(b, &out); err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(in, out) {
		t.Fatalf("round trip:\n%#v\n%#v", in, out)
	}
	// The generic representation of the same bytes keeps the field order.
	v, err := Decode(b)
	if err != nil {
		t.Fatal(err)
	}
	var keys []string
	for _, m := range v.(Object) {
		keys = append(keys, m.Key)
	}
	if got := strings.Join(keys, ","); got != "name,count,min,ratio,data,when,nest,ptr" {
		t.Fatalf("keys %s", got)
	}
}

// TestErrorFrom checks the conversion of Go errors.
func TestErrorFrom(t *testing.T) {
	inner := errors.New("inner")
	e := ErrorFrom(fmt.Errorf("outer: %w", inner))
	if e.Name != "Error" || e.Message != "outer: inner" || e.Cause.(*Error).Message != "inner" {
		t.Fatalf("ErrorFrom = %#v", e)
	}
	same := &Error{Name: "RangeError"}
	if ErrorFrom(same) != same || ErrorFrom(nil) != nil {
		t.Fatal("ErrorFrom of an *Error or nil")
	}
	if !errors.Is(&Error{Cause: inner}, inner) {
		t.Fatal("Unwrap does not reach the cause")
	}
}

// FuzzUnmarshal checks that decoding never panics, that what decodes
// encodes and decodes back to itself, and that Unmarshal into a struct
// and into any does not panic either.
func FuzzUnmarshal(f *testing.F) {
	addSeeds(f)
	f.Fuzz(func(t *testing.T, data []byte) {
		checkRoundTrip(t, data)
		var s struct {
			A int
			B []string
			C map[string]float64
			D *Error
			E map[int][]byte
			F time.Time
		}
		_ = Unmarshal(data, &s)
		var v any
		_ = Unmarshal(data, &v)
	})
}
