package bindery

import (
	"encoding/base64"
	"errors"
	"fmt"
	"math"
	"strconv"
	"strings"
	"unicode/utf8"
)

// Errors a D1 operation can return besides the shared ErrInvalidArgument
// and ErrInternal; match them with errors.Is. The error itself is a
// *D1Error carrying D1's message (e.g. "D1_ERROR: no such table: todos:
// SQLITE_ERROR").
var (
	// ErrNoSuchDatabase means the config grants no D1 binding of that name.
	ErrNoSuchDatabase = errors.New("d1: no such database")
	// ErrSQL means SQLite refused or failed the statement: a syntax error,
	// a missing table, a constraint, a type mismatch.
	ErrSQL = errors.New("d1: SQL error")
	// ErrLimit means a D1 limit was exceeded: more than 100 bound
	// parameters, a statement over 100 KB, a value or row over 2 MB, a
	// query over its time limit, the database over its size limit.
	ErrLimit = errors.New("d1: limit exceeded")
	// ErrRefused means the statement would reach outside the database
	// (ATTACH, VACUUM, load_extension, a PRAGMA outside D1's list) or
	// control transactions (BEGIN, COMMIT): use Batch for atomicity.
	ErrRefused = errors.New("d1: statement refused")
	// ErrUnsupportedType means a bound value has a Go type D1 cannot store
	// (D1's D1_TYPE_ERROR); the SDK refuses it before the host sees it.
	ErrUnsupportedType = errors.New("d1: unsupported type")
	// ErrColumnNotFound is returned by FirstValue for a column the result
	// does not have (D1's D1_COLUMN_NOTFOUND).
	ErrColumnNotFound = errors.New("d1: column not found")
)

// D1Error is an error from a D1 operation: D1's message and a kind to
// match with errors.Is (ErrSQL, ErrLimit, ...).
type D1Error struct {
	Kind    error
	Message string
}

// Error returns D1's message.
func (e *D1Error) Error() string { return e.Message }

// Unwrap returns the kind.
func (e *D1Error) Unwrap() error { return e.Kind }

// D1Kind is the SQLite storage class of a D1Value.
type D1Kind uint8

// The storage classes, in the order of the WIT's value variant.
const (
	D1Null D1Kind = iota
	D1Integer
	D1Real
	D1Text
	D1Blob
)

// String returns SQLite's name of the storage class ("INTEGER", ...).
func (k D1Kind) String() string {
	switch k {
	case D1Null:
		return "NULL"
	case D1Integer:
		return "INTEGER"
	case D1Real:
		return "REAL"
	case D1Text:
		return "TEXT"
	case D1Blob:
		return "BLOB"
	}
	return "D1Kind(" + strconv.Itoa(int(k)) + ")"
}

// D1Value is one SQL value as SQLite stores it: NULL, a 64-bit integer
// (every bit of it: 2^53+1 arrives whole), a real, text or a blob. The
// zero value is NULL. Its layout is the generated binding's, so a
// result's rows reach the Worker without a copy.
type D1Value struct {
	kind D1Kind
	i    int64
	f    float64
	s    string
	b    []byte
}

// Kind returns the value's storage class.
func (v D1Value) Kind() D1Kind { return v.kind }

// IsNull reports whether the value is NULL.
func (v D1Value) IsNull() bool { return v.kind == D1Null }

// Int64 returns an INTEGER value, false for any other kind.
func (v D1Value) Int64() (int64, bool) { return v.i, v.kind == D1Integer }

// Float64 returns a REAL value, or an INTEGER one converted (as D1's
// JavaScript numbers do), false for any other kind.
func (v D1Value) Float64() (float64, bool) {
	switch v.kind {
	case D1Real:
		return v.f, true
	case D1Integer:
		return float64(v.i), true
	}
	return 0, false
}

// Text returns a TEXT value, false for any other kind.
func (v D1Value) Text() (string, bool) { return v.s, v.kind == D1Text }

// Blob returns a BLOB value, false for any other kind.
func (v D1Value) Blob() ([]byte, bool) { return v.b, v.kind == D1Blob }

// Any returns the value as nil, int64, float64, string or []byte.
func (v D1Value) Any() any {
	switch v.kind {
	case D1Integer:
		return v.i
	case D1Real:
		return v.f
	case D1Text:
		return v.s
	case D1Blob:
		return v.b
	}
	return nil
}

// String returns the value as SQL would print it: NULL, the number, the
// text, or the blob as X'hex'.
func (v D1Value) String() string {
	switch v.kind {
	case D1Integer:
		return strconv.FormatInt(v.i, 10)
	case D1Real:
		return strconv.FormatFloat(v.f, 'g', -1, 64)
	case D1Text:
		return v.s
	case D1Blob:
		return fmt.Sprintf("X'%X'", v.b)
	}
	return "NULL"
}

// MarshalJSON encodes the value as encoding/json encodes Any(): null, a
// number (an integer in full, even beyond 2^53), a string, or a blob in
// base64. A real that JSON cannot carry (NaN, ±Inf) is an error.
func (v D1Value) MarshalJSON() ([]byte, error) {
	switch v.kind {
	case D1Integer:
		return strconv.AppendInt(nil, v.i, 10), nil
	case D1Real:
		if math.IsNaN(v.f) || math.IsInf(v.f, 0) {
			return nil, fmt.Errorf("d1: real %v has no JSON form", v.f)
		}
		return strconv.AppendFloat(nil, v.f, 'g', -1, 64), nil
	case D1Text:
		return strconv.AppendQuote(nil, v.s), nil
	case D1Blob:
		out := make([]byte, 0, base64.StdEncoding.EncodedLen(len(v.b))+2)
		out = append(out, '"')
		out = base64.StdEncoding.AppendEncode(out, v.b)
		return append(out, '"'), nil
	}
	return []byte("null"), nil
}

// D1Meta is D1's result metadata (JSON names as D1's meta object).
type D1Meta struct {
	// Duration is the milliseconds the statement ran.
	Duration    float64 `json:"duration"`
	RowsRead    int64   `json:"rows_read"`
	RowsWritten int64   `json:"rows_written"`
	// LastRowID is the rowid of the last row inserted, 0 if none.
	LastRowID int64 `json:"last_row_id"`
	// Changes is the rows changed by the statement.
	Changes int64 `json:"changes"`
	// ChangedDB says whether the statement changed the database.
	ChangedDB bool `json:"changed_db"`
	// SizeAfter is the database size in bytes after the statement.
	SizeAfter int64 `json:"size_after"`
}

// D1Result is D1's D1Result: the column names in order (they may repeat,
// as SQLite allows), each row's values in column order, and the meta.
type D1Result struct {
	Columns []string
	Rows    [][]D1Value
	// Success is always true: a failed statement returns an error instead.
	Success bool
	Meta    D1Meta
}

// Row returns row i with the result's column names.
func (r *D1Result) Row(i int) D1Row { return D1Row{Columns: r.Columns, Values: r.Rows[i]} }

// D1Row is one result row: the result's column names and the row's values.
type D1Row struct {
	Columns []string
	Values  []D1Value
}

// Get returns the value of the first column named column, false if the
// row has none.
func (r D1Row) Get(column string) (D1Value, bool) {
	for i, c := range r.Columns {
		if c == column {
			return r.Values[i], true
		}
	}
	return D1Value{}, false
}

// Map returns the row as D1's JavaScript API returns it, an object from
// column name to value (nil, int64, float64, string or []byte); of
// columns with the same name the last one wins, as in D1.
func (r D1Row) Map() map[string]any {
	m := make(map[string]any, len(r.Columns))
	for i, c := range r.Columns {
		m[c] = r.Values[i].Any()
	}
	return m
}

// D1ExecResult is what Exec returns: the statements it ran and their
// total milliseconds.
type D1ExecResult struct {
	Count    int     `json:"count"`
	Duration float64 `json:"duration"`
}

// d1Param converts the bound value v, parameter number n (from 1), to a
// D1Value: nil; bool (as 0 or 1, as D1 stores it); the Go integer types
// (a uint64 beyond int64 is an error); float32 and float64; string
// (UTF-8 only: other bytes belong in a []byte); []byte; a D1Value. Any
// other type is D1's type error.
func d1Param(v any, n int) (D1Value, error) {
	switch v := v.(type) {
	case nil:
		return D1Value{}, nil
	case int64:
		return D1Value{kind: D1Integer, i: v}, nil
	case int:
		return D1Value{kind: D1Integer, i: int64(v)}, nil
	case float64:
		return D1Value{kind: D1Real, f: v}, nil
	case string:
		if !utf8.ValidString(v) {
			return D1Value{}, &D1Error{ErrInvalidArgument, fmt.Sprintf("d1: parameter %d: text %q is not valid UTF-8 (bind bytes as []byte)", n, v)}
		}
		return D1Value{kind: D1Text, s: v}, nil
	case []byte:
		return D1Value{kind: D1Blob, b: v}, nil
	case bool:
		if v {
			return D1Value{kind: D1Integer, i: 1}, nil
		}
		return D1Value{kind: D1Integer}, nil
	case D1Value:
		if v.kind == D1Text && !utf8.ValidString(v.s) {
			return D1Value{}, &D1Error{ErrInvalidArgument, fmt.Sprintf("d1: parameter %d: text %q is not valid UTF-8 (bind bytes as []byte)", n, v.s)}
		}
		if v.kind > D1Blob {
			return D1Value{}, &D1Error{ErrUnsupportedType, fmt.Sprintf("D1_TYPE_ERROR: parameter %d has no storage class (%v)", n, v.kind)}
		}
		return v, nil
	case int8:
		return D1Value{kind: D1Integer, i: int64(v)}, nil
	case int16:
		return D1Value{kind: D1Integer, i: int64(v)}, nil
	case int32:
		return D1Value{kind: D1Integer, i: int64(v)}, nil
	case uint8:
		return D1Value{kind: D1Integer, i: int64(v)}, nil
	case uint16:
		return D1Value{kind: D1Integer, i: int64(v)}, nil
	case uint32:
		return D1Value{kind: D1Integer, i: int64(v)}, nil
	case uint:
		return d1Uint(uint64(v), n)
	case uint64:
		return d1Uint(v, n)
	case float32:
		return D1Value{kind: D1Real, f: float64(v)}, nil
	}
	s := fmt.Sprintf("%v", v)
	if len(s) > 64 {
		s = s[:64] + "..."
	}
	return D1Value{}, &D1Error{ErrUnsupportedType, fmt.Sprintf("D1_TYPE_ERROR: Type '%T' not supported for value %s (parameter %d)", v, strings.ToValidUTF8(s, "\uFFFD"), n)}
}

func d1Uint(v uint64, n int) (D1Value, error) {
	if v > math.MaxInt64 {
		return D1Value{}, &D1Error{ErrInvalidArgument, fmt.Sprintf("d1: parameter %d: %d does not fit SQLite's 64-bit signed integer", n, v)}
	}
	return D1Value{kind: D1Integer, i: int64(v)}, nil
}

// d1Params converts the bound values of a statement.
func d1Params(args []any) ([]D1Value, error) {
	if len(args) == 0 {
		return nil, nil
	}
	out := make([]D1Value, len(args))
	for i, a := range args {
		v, err := d1Param(a, i+1)
		if err != nil {
			return nil, err
		}
		out[i] = v
	}
	return out, nil
}

// d1First is FirstValue's answer from a result: NULL when there is no
// row, the first row's column, or ErrColumnNotFound.
func d1First(r *D1Result, column string) (D1Value, error) {
	if len(r.Rows) == 0 {
		return D1Value{}, nil
	}
	v, ok := r.Row(0).Get(column)
	if !ok {
		return D1Value{}, &D1Error{ErrColumnNotFound, "D1_COLUMN_NOTFOUND: Column not found (" + column + ")"}
	}
	return v, nil
}

// d1Raw is Raw's answer from a result: the rows as arrays, with the
// column names (as text) first when asked.
func d1Raw(r *D1Result, columnNames bool) [][]D1Value {
	if !columnNames {
		return r.Rows
	}
	out := make([][]D1Value, 0, len(r.Rows)+1)
	names := make([]D1Value, len(r.Columns))
	for i, c := range r.Columns {
		names[i] = D1Value{kind: D1Text, s: c}
	}
	return append(append(out, names), r.Rows...)
}
