package d1sql

import (
	"database/sql/driver"
	"errors"
	"reflect"
	"testing"
	"time"

	"github.com/bindery-run/bindery/guest-sdk/go/bindery"
)

// The checker passes D1's types, turns a time into text, refuses a named
// argument and leaves everything else to database/sql's conversion.
func TestCheckNamedValue(t *testing.T) {
	when := time.Date(2026, 12, 7, 23, 39, 9, 500_000_000, time.FixedZone("CET", 3600))
	for _, tt := range []struct {
		name    string
		in      driver.NamedValue
		want    any
		wantErr error
	}{
		{name: "nil", in: driver.NamedValue{Ordinal: 1}, want: nil},
		{name: "int64", in: driver.NamedValue{Ordinal: 1, Value: int64(9007199254740993)}, want: int64(9007199254740993)},
		{name: "float64", in: driver.NamedValue{Ordinal: 1, Value: 1.5}, want: 1.5},
		{name: "string", in: driver.NamedValue{Ordinal: 1, Value: "x"}, want: "x"},
		{name: "bytes", in: driver.NamedValue{Ordinal: 1, Value: []byte{1}}, want: []byte{1}},
		{name: "bool", in: driver.NamedValue{Ordinal: 1, Value: true}, want: true},
		{name: "D1Value", in: driver.NamedValue{Ordinal: 1, Value: bindery.D1Value{}}, want: bindery.D1Value{}},
		{name: "time in UTC", in: driver.NamedValue{Ordinal: 1, Value: when}, want: "2026-12-07T22:39:09.5Z"},
		{name: "int goes to the default conversion", in: driver.NamedValue{Ordinal: 1, Value: 3}, want: 3, wantErr: driver.ErrSkip},
		{name: "pointer goes to the default conversion", in: driver.NamedValue{Ordinal: 1, Value: new(string)}, wantErr: driver.ErrSkip},
		{name: "named", in: driver.NamedValue{Name: "id", Ordinal: 1, Value: int64(1)}, wantErr: ErrNamedParameter},
	} {
		t.Run(tt.name, func(t *testing.T) {
			nv := tt.in
			err := checkNamedValue(&nv)
			if !errors.Is(err, tt.wantErr) {
				t.Fatalf("error %v, want %v", err, tt.wantErr)
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
