package d1sql

import (
	"database/sql/driver"
	"errors"
	"fmt"
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
// goes to database/sql's default conversion (driver.Valuer, pointers,
// named types of the basic kinds), whose answers land here again in args.
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
	}
	return driver.ErrSkip
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
