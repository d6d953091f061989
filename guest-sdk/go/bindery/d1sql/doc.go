// Package d1sql is a database/sql driver for D1: importing it registers
// the driver "d1", whose data source name is the D1 binding's name from
// the Worker's config.
//
//	import (
//		"database/sql"
//
//		_ "github.com/bindery-run/bindery/guest-sdk/go/bindery/d1sql"
//	)
//
//	db, err := sql.Open("d1", "DB")
//	...
//	err = db.QueryRowContext(ctx, "SELECT title FROM todos WHERE id = ?", id).Scan(&title)
//
// The package is named d1sql, not d1, so that it does not take the name
// a program would give its database variable, and so that it reads as
// what it is: D1 through database/sql. For D1's own shapes (batch,
// sessions, raw, meta) use bindery.D1, which this driver is built on.
//
// # Semantics
//
//   - Parameters are ? and ?NNN (numbered from 1). A sql.Named argument
//     is an error matching ErrNamedParameter: D1 has no named parameters.
//   - Arguments: nil, int64 and the other integer types, float64, string
//     (valid UTF-8), []byte, bool (stored as 1 or 0, as D1 does),
//     time.Time (stored as text in TimeFormat, UTC), and whatever a
//     driver.Valuer or database/sql's default conversion turns into one
//     of these (pointers, named types). A uint64 over 2^63-1 fails with an
//     error matching bindery.ErrInvalidArgument, other types with D1's
//     type error, matching bindery.ErrUnsupportedType.
//   - Columns come back as SQLite stored them: int64, float64, string,
//     []byte or nil; database/sql's Scan converts them (an INTEGER into a
//     bool, a TEXT into []byte, ...). A time stored as TimeFormat text
//     scans into a string: parse it with time.Parse(d1sql.TimeFormat, s).
//   - Result.LastInsertId is D1's meta.last_row_id and RowsAffected its
//     meta.changes.
//   - D1 has no interactive transactions: BeginTx fails with an error
//     matching ErrNoTransactions, and BEGIN/COMMIT statements are refused
//     by the host. Statements that must take effect together go in one
//     batch: bindery.D1(name) then D1Database.Batch, which is atomic.
//   - A context is checked before each statement; a statement that has
//     started runs to completion, bounded by D1's query time limit.
//   - Errors are *bindery.D1Error with D1's message; match them with
//     errors.Is (bindery.ErrSQL, bindery.ErrLimit, ...).
//   - The driver reports no column type names: D1 returns a value's
//     storage class per value, not a column's declared type.
package d1sql
