package storage

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/ncruces/go-sqlite3"

	"github.com/bindery-run/bindery/bindings/d1"
)

// Value is one SQL value: null, integer, real, text or blob (the D1
// engine's value type; make one with d1.Int, d1.Real, d1.Text, d1.Blob
// or d1.Null).
type Value = d1.Value

// Cursor is the result of Exec: the last statement's column names and
// rows, and what the whole call read and wrote (ctx.storage.sql.exec's
// SqlStorageCursor, read to the end).
type Cursor struct {
	// Columns are the last statement's column names.
	Columns []string
	// Rows are the last statement's rows, each with a value per column.
	Rows [][]Value
	// RowsRead counts the rows the statements returned and the rows
	// their full scans stepped over (SQLite's closest count to
	// Cloudflare's billed rows read).
	RowsRead int64
	// RowsWritten counts the rows the statements inserted, updated or
	// deleted.
	RowsWritten int64
}

// ErrEmptyStatement is Exec's error for a query with no statement in it.
var ErrEmptyStatement = errors.New("durable object storage: SQL code did not contain a statement")

// ErrParameters is Exec's error for parameters that do not fit the
// statements: only the last statement may have parameters, and it is
// given exactly as many values as it has.
var ErrParameters = errors.New("durable object storage: wrong number of parameter bindings for SQL query")

// Exec runs one or more statements separated by semicolons, in order,
// and returns the last one's rows; the rows of the others are dropped,
// and only the last one may have parameters. As in workerd, the
// statements are not one transaction of their own: when one fails, the
// ones before it stay done (inside a Transaction, the closure's error
// rolls them back).
func (s *SQLite) Exec(ctx context.Context, query string, params ...Value) (*Cursor, error) {
	unlock, err := s.lock(ctx)
	if err != nil {
		return nil, err
	}
	defer unlock()
	return s.execSQL(query, params)
}

func (s *SQLite) execSQL(query string, params []Value) (*Cursor, error) {
	if len(query) > d1.MaxStatementLength {
		return nil, &LimitError{Limit: LimitStatementLength, Max: d1.MaxStatementLength, Got: int64(len(query))}
	}
	if len(params) > d1.MaxBoundParameters {
		return nil, &LimitError{Limit: LimitBoundParameters, Max: d1.MaxBoundParameters, Got: int64(len(params))}
	}
	for i, p := range params {
		if n := valueSize(p); n > MaxSQLiteEntrySize {
			return nil, fmt.Errorf("parameter %d: %w", i+1, &LimitError{Limit: LimitSQLValueSize, Max: MaxSQLiteEntrySize, Got: int64(n)})
		}
	}
	if st := s.sqlCache[query]; st != nil {
		// A single statement run before: no need to parse it again.
		delete(s.sqlCache, query) // in use; put back below
		c, err := s.step(st, true, params)
		s.release(query, st)
		return c, err
	}
	var cur *Cursor
	var read, written int64
	rest := query
	for n := 1; ; n++ {
		if name, ok := renameTarget(rest); ok && !allowedName(name) {
			return nil, &AuthError{What: "renaming a table to " + name + " (names beginning with _cf_ are reserved)"}
		}
		s.denied = ""
		st, tail, err := s.c.Prepare(rest)
		if err != nil {
			if n > 1 {
				return nil, fmt.Errorf("statement %d: %w", n, s.wrap(err))
			}
			return nil, s.wrap(err)
		}
		if st == nil { // nothing but comments and semicolons left
			break
		}
		last := strings.Trim(tail, " \t\r\n\f\v") == ""
		c, err := s.step(st, last, params)
		if n == 1 && last {
			s.release(query, st)
		} else {
			st.Close()
		}
		if err != nil {
			if n > 1 {
				return nil, fmt.Errorf("statement %d: %w", n, err)
			}
			return nil, err
		}
		read += c.RowsRead
		written += c.RowsWritten
		cur = c
		if last {
			break
		}
		rest = tail
	}
	if cur == nil {
		return nil, ErrEmptyStatement
	}
	cur.RowsRead, cur.RowsWritten = read, written
	return cur, nil
}

// sqlCacheSize bounds the cache of single-statement queries.
const sqlCacheSize = 64

// release resets a single-statement query's statement and keeps it for
// the query's next run.
func (s *SQLite) release(query string, st *sqlite3.Stmt) {
	if st.Reset() != nil || st.ClearBindings() != nil || s.sqlCache[query] != nil {
		st.Close()
		return
	}
	if len(s.sqlCache) >= sqlCacheSize {
		for k, old := range s.sqlCache {
			old.Close()
			delete(s.sqlCache, k)
		}
	}
	s.sqlCache[query] = st
}

// step binds and runs one user statement, reading its rows.
func (s *SQLite) step(st *sqlite3.Stmt, last bool, params []Value) (*Cursor, error) {
	if n := st.BindCount(); n > 0 && !last {
		return nil, fmt.Errorf("%w: only the last statement can have parameters", ErrParameters)
	}
	if last && st.BindCount() != len(params) {
		return nil, fmt.Errorf("%w: %d given, %d expected", ErrParameters, len(params), st.BindCount())
	}
	if last {
		if err := bindValues(st, params); err != nil {
			return nil, s.wrap(err)
		}
	}
	total := s.c.TotalChanges()
	c := &Cursor{}
	more := st.Step()
	// After the first step: a cached statement that SQLite prepared
	// again for a changed schema has its new columns only now.
	c.Columns = make([]string, st.ColumnCount())
	for i := range c.Columns {
		c.Columns[i] = st.ColumnName(i)
	}
	for ; more; more = st.Step() {
		row := make([]Value, len(c.Columns))
		for i := range row {
			row[i] = column(st, i)
		}
		c.Rows = append(c.Rows, row)
	}
	if err := st.Err(); err != nil {
		return nil, s.wrap(err)
	}
	c.RowsRead = int64(len(c.Rows)) + int64(st.Status(sqlite3.STMTSTATUS_FULLSCAN_STEP, true))
	c.RowsWritten = s.c.TotalChanges() - total
	return c, nil
}

func bindValues(st *sqlite3.Stmt, params []Value) error {
	for i, a := range params {
		var err error
		p := i + 1
		switch a.Kind {
		case d1.KindNull:
			err = st.BindNull(p)
		case d1.KindInteger:
			err = st.BindInt64(p, a.Int)
		case d1.KindReal:
			err = st.BindFloat(p, a.Float)
		case d1.KindText:
			err = st.BindText(p, a.Text)
		case d1.KindBlob:
			b := a.Blob
			if b == nil {
				b = []byte{}
			}
			err = st.BindBlob(p, b)
		default:
			err = fmt.Errorf("unsupported value kind %v", a.Kind)
		}
		if err != nil {
			return fmt.Errorf("parameter %d: %w", p, err)
		}
	}
	return nil
}

func column(st *sqlite3.Stmt, i int) Value {
	switch st.ColumnType(i) {
	case sqlite3.INTEGER:
		return d1.Int(st.ColumnInt64(i))
	case sqlite3.FLOAT:
		return d1.Real(st.ColumnFloat(i))
	case sqlite3.TEXT:
		return d1.Text(st.ColumnText(i))
	case sqlite3.BLOB:
		return d1.Blob(st.ColumnBlob(i, []byte{}))
	}
	return d1.Null()
}

func valueSize(v Value) int {
	switch v.Kind {
	case d1.KindText:
		return len(v.Text)
	case d1.KindBlob:
		return len(v.Blob)
	}
	return 8
}

// DatabaseSize is the database's size in bytes: its pages less the
// free ones, as workerd counts it.
func (s *SQLite) DatabaseSize(ctx context.Context) (int64, error) {
	unlock, err := s.lock(ctx)
	if err != nil {
		return 0, err
	}
	defer unlock()
	return s.databaseSize()
}

func (s *SQLite) databaseSize() (int64, error) {
	var n int64
	err := s.run("SELECT ((SELECT page_count FROM pragma_page_count) - (SELECT freelist_count FROM pragma_freelist_count)) * (SELECT page_size FROM pragma_page_size)",
		func(st *sqlite3.Stmt) error { n = st.ColumnInt64(0); return nil })
	return n, err
}
