package bindery

import (
	"encoding/json"
	"errors"
	"math"
	"reflect"
	"strings"
	"testing"
	"time"
)

// Bound Go values become the SQL values D1 stores, or the typed error
// before anything reaches the host.
func TestD1Param(t *testing.T) {
	type myInt int
	for _, tt := range []struct {
		name    string
		in      any
		want    D1Value
		wantErr error
		msg     string // in the error message
	}{
		{name: "nil", in: nil, want: D1Value{}},
		{name: "int64 beyond 2^53", in: int64(9007199254740993), want: D1Value{kind: D1Integer, i: 9007199254740993}},
		{name: "int64 min", in: int64(math.MinInt64), want: D1Value{kind: D1Integer, i: math.MinInt64}},
		{name: "int", in: -7, want: D1Value{kind: D1Integer, i: -7}},
		{name: "int8", in: int8(-8), want: D1Value{kind: D1Integer, i: -8}},
		{name: "int16", in: int16(16), want: D1Value{kind: D1Integer, i: 16}},
		{name: "int32", in: int32(32), want: D1Value{kind: D1Integer, i: 32}},
		{name: "uint8", in: uint8(255), want: D1Value{kind: D1Integer, i: 255}},
		{name: "uint16", in: uint16(65535), want: D1Value{kind: D1Integer, i: 65535}},
		{name: "uint32", in: uint32(math.MaxUint32), want: D1Value{kind: D1Integer, i: math.MaxUint32}},
		{name: "uint", in: uint(3), want: D1Value{kind: D1Integer, i: 3}},
		{name: "uint64 max int64", in: uint64(math.MaxInt64), want: D1Value{kind: D1Integer, i: math.MaxInt64}},
		{name: "uint64 over int64", in: uint64(math.MaxInt64) + 1, wantErr: ErrInvalidArgument, msg: "parameter 1: 9223372036854775808 does not fit"},
		{name: "float64", in: 1.5, want: D1Value{kind: D1Real, f: 1.5}},
		{name: "float32", in: float32(0.25), want: D1Value{kind: D1Real, f: 0.25}},
		{name: "true", in: true, want: D1Value{kind: D1Integer, i: 1}},
		{name: "false", in: false, want: D1Value{kind: D1Integer, i: 0}},
		{name: "string", in: "héllo", want: D1Value{kind: D1Text, s: "héllo"}},
		{name: "empty string", in: "", want: D1Value{kind: D1Text}},
		{name: "string not UTF-8", in: "a\xffb", wantErr: ErrInvalidArgument, msg: `parameter 1: text "a\xffb" is not valid UTF-8`},
		{name: "bytes", in: []byte{0, 1, 0xff}, want: D1Value{kind: D1Blob, b: []byte{0, 1, 0xff}}},
		{name: "D1Value", in: D1Value{kind: D1Real, f: 2}, want: D1Value{kind: D1Real, f: 2}},
		{name: "D1Value text not UTF-8", in: D1Value{kind: D1Text, s: "\xfe"}, wantErr: ErrInvalidArgument, msg: "not valid UTF-8"},
		{name: "D1Value bad kind", in: D1Value{kind: 9}, wantErr: ErrUnsupportedType, msg: "D1_TYPE_ERROR"},
		{name: "map", in: map[string]int{"a": 1}, wantErr: ErrUnsupportedType, msg: "D1_TYPE_ERROR: Type 'map[string]int' not supported for value map[a:1] (parameter 1)"},
		{name: "time", in: time.Unix(0, 0), wantErr: ErrUnsupportedType, msg: "Type 'time.Time'"},
		{name: "named int", in: myInt(1), wantErr: ErrUnsupportedType, msg: "Type 'bindery.myInt'"},
		{name: "pointer", in: new(int64), wantErr: ErrUnsupportedType, msg: "Type '*int64'"},
		{name: "long value", in: []string{strings.Repeat("x", 200)}, wantErr: ErrUnsupportedType, msg: "xxx..."},
	} {
		t.Run(tt.name, func(t *testing.T) {
			got, err := d1Param(tt.in, 1)
			if tt.wantErr != nil {
				var de *D1Error
				if !errors.Is(err, tt.wantErr) || !errors.As(err, &de) || !strings.Contains(err.Error(), tt.msg) {
					t.Fatalf("got %v, %v; want a *D1Error matching %v containing %q", got, err, tt.wantErr, tt.msg)
				}
				return
			}
			if err != nil || !reflect.DeepEqual(got, tt.want) {
				t.Fatalf("got %#v, %v; want %#v", got, err, tt.want)
			}
		})
	}
}

// d1Params names the parameter at fault, counting from 1.
func TestD1ParamsNamesTheParameter(t *testing.T) {
	if _, err := d1Params([]any{1, "ok", struct{}{}}); err == nil || !strings.Contains(err.Error(), "(parameter 3)") {
		t.Fatalf("got %v, want an error naming parameter 3", err)
	}
	got, err := d1Params([]any{1, nil, "x"})
	want := []D1Value{{kind: D1Integer, i: 1}, {}, {kind: D1Text, s: "x"}}
	if err != nil || !reflect.DeepEqual(got, want) {
		t.Fatalf("got %v, %v; want %v", got, err, want)
	}
	if got, err := d1Params(nil); got != nil || err != nil {
		t.Fatalf("no args: got %v, %v", got, err)
	}
}

// Each kind answers its own accessor and refuses the others.
func TestD1ValueAccessors(t *testing.T) {
	blob := []byte{0, 0xff}
	for _, tt := range []struct {
		v      D1Value
		kind   string
		any    any
		str    string
		json   string
		i      int64
		iOK    bool
		f      float64
		fOK    bool
		s      string
		sOK    bool
		bOK    bool
		isNull bool
	}{
		{v: D1Value{}, kind: "NULL", any: nil, str: "NULL", json: "null", isNull: true},
		{v: D1Value{kind: D1Integer, i: 9007199254740993}, kind: "INTEGER", any: int64(9007199254740993), str: "9007199254740993",
			json: "9007199254740993", i: 9007199254740993, iOK: true, f: 9007199254740992, fOK: true},
		{v: D1Value{kind: D1Real, f: 1.5}, kind: "REAL", any: 1.5, str: "1.5", json: "1.5", f: 1.5, fOK: true},
		{v: D1Value{kind: D1Text, s: "héllo \"q\""}, kind: "TEXT", any: "héllo \"q\"", str: "héllo \"q\"", json: `"héllo \"q\""`, s: "héllo \"q\"", sOK: true},
		{v: D1Value{kind: D1Blob, b: blob}, kind: "BLOB", any: blob, str: "X'00FF'", json: `"AP8="`, bOK: true},
	} {
		t.Run(tt.kind, func(t *testing.T) {
			v := tt.v
			if v.Kind().String() != tt.kind || v.IsNull() != tt.isNull || !reflect.DeepEqual(v.Any(), tt.any) || v.String() != tt.str {
				t.Errorf("kind %v null %v any %#v string %q", v.Kind(), v.IsNull(), v.Any(), v.String())
			}
			if i, ok := v.Int64(); i != tt.i && ok || ok != tt.iOK {
				t.Errorf("Int64 = %v, %v", i, ok)
			}
			if f, ok := v.Float64(); f != tt.f && ok || ok != tt.fOK {
				t.Errorf("Float64 = %v, %v", f, ok)
			}
			if s, ok := v.Text(); s != tt.s && ok || ok != tt.sOK {
				t.Errorf("Text = %q, %v", s, ok)
			}
			if b, ok := v.Blob(); ok != tt.bOK || ok && !reflect.DeepEqual(b, blob) {
				t.Errorf("Blob = %v, %v", b, ok)
			}
			// MarshalJSON agrees with encoding/json on Any().
			got, err := json.Marshal(v)
			want, _ := json.Marshal(v.Any())
			if err != nil || string(got) != tt.json || string(got) != string(want) {
				t.Errorf("JSON %s, %v; want %s (encoding/json: %s)", got, err, tt.json, want)
			}
		})
	}
	if _, err := json.Marshal(D1Value{kind: D1Real, f: math.NaN()}); err == nil {
		t.Error("NaN marshalled")
	}
	if s := D1Kind(7).String(); s != "D1Kind(7)" {
		t.Errorf("unknown kind = %q", s)
	}
}

// First, FirstValue and Raw shape one result as D1's first and raw do.
func TestD1ResultShapes(t *testing.T) {
	r := &D1Result{
		Columns: []string{"id", "name", "id"},
		Rows: [][]D1Value{
			{{kind: D1Integer, i: 1}, {kind: D1Text, s: "a"}, {kind: D1Integer, i: 10}},
			{{kind: D1Integer, i: 2}, {}, {kind: D1Integer, i: 20}},
		},
		Success: true,
	}
	if v, err := d1First(r, "name"); err != nil || v.s != "a" {
		t.Errorf("first(name) = %v, %v", v, err)
	}
	if _, err := d1First(r, "nope"); !errors.Is(err, ErrColumnNotFound) || err.Error() != "D1_COLUMN_NOTFOUND: Column not found (nope)" {
		t.Errorf("first(nope) = %v", err)
	}
	if v, err := d1First(&D1Result{Columns: []string{"x"}}, "nope"); err != nil || !v.IsNull() {
		t.Errorf("first(nope) of no rows = %v, %v; want NULL", v, err)
	}
	// Of columns with the same name, Get finds the first, Map keeps the last.
	row := r.Row(1)
	if v, ok := row.Get("id"); !ok || v.i != 2 {
		t.Errorf("Get(id) = %v, %v", v, ok)
	}
	if _, ok := row.Get("nope"); ok {
		t.Error("Get(nope) found")
	}
	if m := row.Map(); !reflect.DeepEqual(m, map[string]any{"id": int64(20), "name": nil}) {
		t.Errorf("Map = %v", m)
	}
	if raw := d1Raw(r, false); !reflect.DeepEqual(raw, r.Rows) {
		t.Errorf("raw = %v", raw)
	}
	raw := d1Raw(r, true)
	want := [][]D1Value{{{kind: D1Text, s: "id"}, {kind: D1Text, s: "name"}, {kind: D1Text, s: "id"}}, r.Rows[0], r.Rows[1]}
	if !reflect.DeepEqual(raw, want) {
		t.Errorf("raw with names = %v", raw)
	}
	if raw := d1Raw(&D1Result{Columns: []string{"c"}}, true); len(raw) != 1 || raw[0][0].s != "c" {
		t.Errorf("raw with names of no rows = %v", raw)
	}
}
