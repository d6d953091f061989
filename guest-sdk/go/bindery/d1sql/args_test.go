package d1sql

import (
	"database/sql"
	"database/sql/driver"
	"errors"
	"math"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/bindery-run/bindery/guest-sdk/go/bindery"
)

type title string

// The checker passes D1's types, turns a time into text, refuses a named
// argument, converts the rest as database/sql would, and answers D1's
// type error for what it cannot convert.
func TestCheckNamedValue(t *testing.T) {
	when := time.Date(2026, 12, 7, 23, 39, 9, 500_000_000, time.FixedZone("CET", 3600))
	for _, tt := range []struct {
		name    string
		in      driver.NamedValue
		want    any
		wantErr error
		msg     string // in the error's message
	}{
		{name: "nil", in: driver.NamedValue{Ordinal: 1}, want: nil},
		{name: "int64", in: driver.NamedValue{Ordinal: 1, Value: int64(9007199254740993)}, want: int64(9007199254740993)},
		{name: "float64", in: driver.NamedValue{Ordinal: 1, Value: 1.5}, want: 1.5},
		{name: "string", in: driver.NamedValue{Ordinal: 1, Value: "x"}, want: "x"},
		{name: "bytes", in: driver.NamedValue{Ordinal: 1, Value: []byte{1}}, want: []byte{1}},
		{name: "bool", in: driver.NamedValue{Ordinal: 1, Value: true}, want: true},
		{name: "D1Value", in: driver.NamedValue{Ordinal: 1, Value: bindery.D1Value{}}, want: bindery.D1Value{}},
		{name: "time in UTC", in: driver.NamedValue{Ordinal: 1, Value: when}, want: "2026-12-07T22:39:09.5Z"},
		{name: "int", in: driver.NamedValue{Ordinal: 1, Value: 3}, want: int64(3)},
		{name: "uint64", in: driver.NamedValue{Ordinal: 1, Value: uint64(math.MaxInt64)}, want: int64(math.MaxInt64)},
		{name: "uint", in: driver.NamedValue{Ordinal: 1, Value: uint(7)}, want: int64(7)},
		{name: "uint64 over int64", in: driver.NamedValue{Ordinal: 2, Value: uint64(math.MaxInt64) + 1}, wantErr: bindery.ErrInvalidArgument, msg: "parameter 2: 9223372036854775808 does not fit"},
		{name: "pointer", in: driver.NamedValue{Ordinal: 1, Value: &when}, want: "2026-12-07T22:39:09.5Z"},
		{name: "nil pointer", in: driver.NamedValue{Ordinal: 1, Value: (*bool)(nil)}, want: nil},
		{name: "named string type", in: driver.NamedValue{Ordinal: 1, Value: title("x")}, want: "x"},
		{name: "Valuer", in: driver.NamedValue{Ordinal: 1, Value: sql.NullInt64{Int64: 5, Valid: true}}, want: int64(5)},
		{name: "null Valuer", in: driver.NamedValue{Ordinal: 1, Value: sql.NullString{}}, want: nil},
		{name: "Valuer of a time", in: driver.NamedValue{Ordinal: 1, Value: sql.NullTime{Time: when, Valid: true}}, want: "2026-12-07T22:39:09.5Z"},
		{name: "map", in: driver.NamedValue{Ordinal: 3, Value: map[string]int{"a": 1}}, wantErr: bindery.ErrUnsupportedType,
			msg: "D1_TYPE_ERROR: Type 'map[string]int' not supported for value map[a:1] (parameter 3)"},
		{name: "struct", in: driver.NamedValue{Ordinal: 1, Value: struct{}{}}, wantErr: bindery.ErrUnsupportedType, msg: "Type 'struct {}'"},
		{name: "named", in: driver.NamedValue{Name: "id", Ordinal: 1, Value: int64(1)}, wantErr: ErrNamedParameter},
	} {
		t.Run(tt.name, func(t *testing.T) {
			nv := tt.in
			err := checkNamedValue(&nv)
			if !errors.Is(err, tt.wantErr) || err != nil && !strings.Contains(err.Error(), tt.msg) {
				t.Fatalf("error %v, want %v containing %q", err, tt.wantErr, tt.msg)
			}
			if tt.wantErr == nil && !reflect.DeepEqual(nv.Value, tt.want) {
				t.Fatalf("value %#v, want %#v", nv.Value, tt.want)
			}
		})
	}
}

// args hands Bind what the default conversion produced, a time as text.
func TestArgs(t *testing.T) {
	when := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	got, err := args([]driver.NamedValue{{Ordinal: 1, Value: int64(1)}, {Ordinal: 2, Value: when}, {Ordinal: 3, Value: false}})
	if want := []any{int64(1), "2026-01-02T03:04:05Z", false}; err != nil || !reflect.DeepEqual(got, want) {
		t.Fatalf("got %v, %v; want %v", got, err, want)
	}
	if _, err := args([]driver.NamedValue{{Name: "x", Ordinal: 1}}); !errors.Is(err, ErrNamedParameter) {
		t.Fatalf("named: %v", err)
	}
	if got, err := args(nil); got != nil || err != nil {
		t.Fatalf("no args: %v, %v", got, err)
	}
	if parsed, err := time.Parse(TimeFormat, "2026-12-07T22:39:09.5Z"); err != nil || !parsed.Equal(time.Date(2026, 12, 7, 22, 39, 9, 500_000_000, time.UTC)) {
		t.Fatalf("TimeFormat does not parse its own text: %v %v", parsed, err)
	}
}
