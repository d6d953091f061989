package d1

import (
	"errors"
	"fmt"
	"strings"

	"github.com/ncruces/go-sqlite3"
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

// ErrEmptyStatement is returned for a statement with no SQL in it.
var ErrEmptyStatement = errors.New("d1: no SQL statements detected")

// ErrMultipleStatements is returned when a prepared statement holds more
// than one statement: only exec runs several.
var ErrMultipleStatements = errors.New("d1: a prepared statement takes one SQL statement")

// errBatchTime is the cause of a batch's context when the batch ran past
// the query time limit: D1's limit holds for the batch as a whole.
var errBatchTime = errors.New("d1: batch ran past the query time limit")

// Message returns err worded as D1 words errors for a Worker: "D1_ERROR: "
// then the engine's text, where SQLite's message ends with its result
// code, e.g. "D1_ERROR: no such table: todos: SQLITE_ERROR", and a batch
// error names the statement ("D1_ERROR: batch statement 2: ...").
func Message(err error) string {
	text := err.Error()
	var se *sqlite3.Error
	if errors.As(err, &se) {
		msg := strings.TrimPrefix(se.Error(), "sqlite3: ")
		if i := strings.Index(msg, ": "); i >= 0 {
			msg = msg[i+2:] // drop the result code's description
		}
		text = strings.Replace(text, se.Error(), msg+": "+codeName(se.Code()), 1)
	}
	text = strings.ReplaceAll(strings.TrimPrefix(text, "d1: "), ": d1: ", ": ")
	return "D1_ERROR: " + text
}

// codeName is SQLite's name of a primary result code.
func codeName(c sqlite3.ErrorCode) string {
	names := [...]string{"OK", "ERROR", "INTERNAL", "PERM", "ABORT", "BUSY", "LOCKED", "NOMEM", "READONLY",
		"INTERRUPT", "IOERR", "CORRUPT", "NOTFOUND", "FULL", "CANTOPEN", "PROTOCOL", "EMPTY", "SCHEMA",
		"TOOBIG", "CONSTRAINT", "MISMATCH", "MISUSE", "NOLFS", "AUTH", "FORMAT", "RANGE", "NOTADB", "NOTICE", "WARNING"}
	if int(c) < len(names) {
		return "SQLITE_" + names[c]
	}
	return fmt.Sprintf("SQLITE_%d", c)
}
