package d1

import (
	"errors"
	"fmt"
)

// The limits D1 enforces, as named by LimitError.
const (
	LimitBoundParameters = "bound parameters"
	LimitStatementLength = "statement length"
	LimitValueSize       = "row/string/blob size"
	LimitQueryTime       = "query time"
	LimitDatabaseSize    = "database size"
	LimitColumns         = "columns"
)

// LimitError reports a statement that exceeded one of D1's limits.
type LimitError struct {
	Limit string // one of the Limit* constants
	Max   int64  // the limit (bytes, count or milliseconds)
	Got   int64  // what the statement asked for, 0 if unknown
}

// Error names the limit and its value.
func (e *LimitError) Error() string {
	if e.Got > 0 {
		return fmt.Sprintf("d1: %s limit exceeded: %d > %d", e.Limit, e.Got, e.Max)
	}
	return fmt.Sprintf("d1: %s limit exceeded (limit %d)", e.Limit, e.Max)
}

// AuthError reports a statement the authorizer refused because it
// would escape the database or change what D1 does not let a Worker
// change.
type AuthError struct {
	What string // e.g. "ATTACH", "PRAGMA journal_mode", "write to sqlite_master"
}

// Error names what was refused.
func (e *AuthError) Error() string {
	return fmt.Sprintf("d1: not authorized: %s is not allowed in D1", e.What)
}

// ErrClosed is returned by every operation on a closed Database.
var ErrClosed = errors.New("d1: database is closed")

// ErrColumnNotFound is returned by First when the named column is not
// in the result (D1's D1_COLUMN_NOTFOUND).
var ErrColumnNotFound = errors.New("d1: column not found")

// ErrBadBookmark is returned by Session for a bookmark this database
// never issued.
var ErrBadBookmark = errors.New("d1: invalid bookmark")

// ErrNamedParameter is returned for a statement with a :name, @name or
// $name parameter: D1 binds ? and ?NNN only.
var ErrNamedParameter = errors.New("d1: named parameters are not supported")
