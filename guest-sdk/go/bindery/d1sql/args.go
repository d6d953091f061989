package d1sql

import (
	"database/sql/driver"
	"errors"
	"fmt"
	"math"
	"strings"
	"time"

	"github.com/bindery-run/bindery/guest-sdk/go/bindery"
)

// TimeFormat is how a time.Time argument is stored: RFC 3339 text in UTC
// with the fraction of a second it has (e.g. "2026-12-07T22:39:09.5Z"),
// which SQLite's date and time functions read and which sorts in time
// order. Scan such a column into a string and parse it with this layout.
const TimeFormat = "2006-01-02T15:04:05.999999999Z07:00"

// ErrNamedParameter is returned for a sql.Named argument: D1 binds ? and
// ?NNN parameters only.
var ErrNamedParameter = errors.New("d1: named parameters are not supported (use ? or ?NNN)")

// checkNamedValue is the driver's NamedValueChecker: the types D1 stores
// pass as they are, time.Time becomes TimeFormat text, and anything else
// goes through database/sql's default conversion (driver.Valuer,
// pointers, named types of the basic kinds); what that cannot convert is
// D1's type error, matching bindery.ErrUnsupportedType.
func checkNamedValue(nv *driver.NamedValue) error {
	if nv.Name != "" {
		return fmt.Errorf("%w: argument %q", ErrNamedParameter, nv.Name)
	}
	switch v := nv.Value.(type) {
	case nil, int64, float64, string, []byte, bool, bindery.D1Value:
		return nil
	case time.Time:
		nv.Value = v.UTC().Format(TimeFormat)
		return nil
	case uint64:
		return checkUint(nv, v)
	case uint:
		return checkUint(nv, uint64(v))
	}
	v, err := driver.DefaultParameterConverter.ConvertValue(nv.Value)
	if err != nil {
		s := fmt.Sprintf("%v", nv.Value)
		if len(s) > 64 {
			s = s[:64] + "..."
		}
		return &bindery.D1Error{Kind: bindery.ErrUnsupportedType, Message: fmt.Sprintf(
			"D1_TYPE_ERROR: Type '%T' not supported for value %s (parameter %d): %v", nv.Value, strings.ToValidUTF8(s, "\uFFFD"), nv.Ordinal, err)}
	}
	if t, ok := v.(time.Time); ok {
		v = t.UTC().Format(TimeFormat)
	}
	nv.Value = v
	return nil
}

// checkUint passes an unsigned integer that fits SQLite's int64.
func checkUint(nv *driver.NamedValue, v uint64) error {
	if v > math.MaxInt64 {
		return &bindery.D1Error{Kind: bindery.ErrInvalidArgument, Message: fmt.Sprintf(
			"d1: parameter %d: %d does not fit SQLite's 64-bit signed integer", nv.Ordinal, v)}
	}
	nv.Value = int64(v)
	return nil
}

// args turns database/sql's checked arguments into bindery.D1Statement
// Bind arguments, in parameter order.
func args(nvs []driver.NamedValue) ([]any, error) {
	if len(nvs) == 0 {
		return nil, nil
	}
	out := make([]any, len(nvs))
	for i, nv := range nvs {
		if nv.Name != "" {
			return nil, fmt.Errorf("%w: argument %q", ErrNamedParameter, nv.Name)
		}
		if t, ok := nv.Value.(time.Time); ok {
			out[i] = t.UTC().Format(TimeFormat)
			continue
		}
		out[i] = nv.Value
	}
	return out, nil
}
