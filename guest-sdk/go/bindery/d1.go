//go:build wasip1

package bindery

import (
	"fmt"
	"unsafe"

	"github.com/bindery-run/bindery/guest-sdk/go/internal/cabi"
	"github.com/bindery-run/bindery/guest-sdk/go/internal/wit/d1wit"
)

// D1Value has the layout of the generated d1wit.Value, so that bound
// values and result rows cross as they are (no copy per value or row):
// these fail to compile if the two ever differ.
var (
	_ [unsafe.Sizeof(D1Value{}) - unsafe.Sizeof(d1wit.Value{})]struct{}
	_ [unsafe.Sizeof(d1wit.Value{}) - unsafe.Sizeof(D1Value{})]struct{}
	_ [unsafe.Offsetof(D1Value{}.i) - unsafe.Offsetof(d1wit.Value{}.Integer)]struct{}
	_ [unsafe.Offsetof(d1wit.Value{}.Integer) - unsafe.Offsetof(D1Value{}.i)]struct{}
	_ [unsafe.Offsetof(D1Value{}.f) - unsafe.Offsetof(d1wit.Value{}.Real)]struct{}
	_ [unsafe.Offsetof(d1wit.Value{}.Real) - unsafe.Offsetof(D1Value{}.f)]struct{}
	_ [unsafe.Offsetof(D1Value{}.s) - unsafe.Offsetof(d1wit.Value{}.Text)]struct{}
	_ [unsafe.Offsetof(d1wit.Value{}.Text) - unsafe.Offsetof(D1Value{}.s)]struct{}
	_ [unsafe.Offsetof(D1Value{}.b) - unsafe.Offsetof(d1wit.Value{}.Blob)]struct{}
	_ [unsafe.Offsetof(d1wit.Value{}.Blob) - unsafe.Offsetof(D1Value{}.b)]struct{}
	_ [unsafe.Sizeof(D1Kind(0)) - unsafe.Sizeof(d1wit.ValueTag(0))]struct{}
	_ [unsafe.Sizeof(d1wit.ValueTag(0)) - unsafe.Sizeof(D1Kind(0))]struct{}
	_ [d1wit.ValueBlob - d1wit.ValueTag(D1Blob)]struct{}
	_ [d1wit.ValueTag(D1Blob) - d1wit.ValueBlob]struct{}
)

// witValues reinterprets bound values (same layout, checked above).
func witValues(vs []D1Value) []d1wit.Value {
	return unsafe.Slice((*d1wit.Value)(unsafe.Pointer(unsafe.SliceData(vs))), len(vs))
}

// d1Rows reinterprets the rows of a result: a []d1wit.Value and a
// []D1Value are the same slice header over the same layout.
func d1Rows(rows [][]d1wit.Value) [][]D1Value {
	return unsafe.Slice((*[]D1Value)(unsafe.Pointer(unsafe.SliceData(rows))), len(rows))
}

func d1Err(e *d1wit.Error) error {
	if e == nil {
		return nil
	}
	switch e.Tag {
	case d1wit.ErrorNoSuchDatabase:
		return &D1Error{ErrNoSuchDatabase, e.NoSuchDatabase}
	case d1wit.ErrorSQL:
		return &D1Error{ErrSQL, e.SQL}
	case d1wit.ErrorLimit:
		return &D1Error{ErrLimit, e.Limit}
	case d1wit.ErrorRefused:
		return &D1Error{ErrRefused, e.Refused}
	case d1wit.ErrorInvalidArgument:
		return &D1Error{ErrInvalidArgument, e.InvalidArgument}
	case d1wit.ErrorInternal:
		return &D1Error{ErrInternal, e.Internal}
	}
	return &D1Error{ErrInternal, "d1: unknown error"}
}

// D1Database is a D1 database bound in the Worker's config (D1's
// D1Database). Like the rest of the SDK it takes no context: a call
// runs to completion, bounded by D1's query time limit.
type D1Database struct {
	name string
	h    d1wit.Database
}

// d1Databases are the opened D1 bindings (a scan, as for namespaces).
var d1Databases []*D1Database

// D1 opens the D1 binding name (e.g. "DB"); the handle is cached for the
// life of the instance. A name the config does not grant is an error
// matching ErrNoSuchDatabase.
func D1(name string) (*D1Database, error) {
	for _, db := range d1Databases {
		if db.name == name {
			return db, nil
		}
	}
	if bad, ok := badUTF8(name); ok {
		return nil, &D1Error{ErrNoSuchDatabase, fmt.Sprintf("d1: binding name %q is not valid UTF-8", bad)}
	}
	h, err := d1wit.DatabaseOpen(name)
	if err != nil {
		return nil, fmt.Errorf("open D1 binding %q: %w", name, d1Err(err))
	}
	db := &D1Database{name: name, h: h}
	d1Databases = append(d1Databases, db)
	return db, nil
}

// d1Target is where a statement runs: the database, or a session of it.
type d1Target struct {
	db   d1wit.Database
	sess *D1Session
}

func (t d1Target) query(s d1wit.Statement) (d1wit.QueryResult, *d1wit.Error) {
	if t.sess != nil {
		if t.sess.closed {
			return d1wit.QueryResult{}, errSessionClosed
		}
		return t.sess.h.Query(s)
	}
	return t.db.Query(s)
}

func (t d1Target) batch(ss []d1wit.Statement) ([]d1wit.QueryResult, *d1wit.Error) {
	if t.sess != nil {
		if t.sess.closed {
			return nil, errSessionClosed
		}
		return t.sess.h.Batch(ss)
	}
	return t.db.Batch(ss)
}

// D1Statement is a prepared statement with its bound values (D1's
// D1PreparedStatement). It is immutable: Bind returns a new one, so one
// statement can be bound many times. Parameters are ? and ?NNN.
type D1Statement struct {
	t      d1Target
	sql    string
	params []D1Value
	// err is Bind's error, returned by whatever runs the statement.
	err error
}

// Prepare returns a statement for sql; it is checked when it runs.
func (db *D1Database) Prepare(sql string) *D1Statement {
	return &D1Statement{t: d1Target{db: db.h}, sql: sql}
}

// SQL returns the statement's text.
func (s *D1Statement) SQL() string { return s.sql }

// Bind returns a copy of s with args bound to its parameters in order:
// nil; bool (stored as 1 or 0, as D1 does); any Go integer type (a
// uint64 over 2^63-1 is an error matching ErrInvalidArgument); float32 or
// float64; string (valid UTF-8 only, else ErrInvalidArgument: bytes go as
// []byte); []byte; a D1Value from a result. Any other type (time.Time
// too, as D1 refuses a Date) is D1's type error, matching
// ErrUnsupportedType. A bad value's error is returned by the call that
// runs the statement, so that calls chain:
// db.Prepare(q).Bind(id).First().
func (s *D1Statement) Bind(args ...any) *D1Statement {
	params, err := d1Params(args)
	return &D1Statement{t: s.t, sql: s.sql, params: params, err: err}
}

func (s *D1Statement) wit() (d1wit.Statement, error) {
	if s.err != nil {
		return d1wit.Statement{}, s.err
	}
	if bad, ok := badUTF8(s.sql); ok {
		return d1wit.Statement{}, &D1Error{ErrInvalidArgument, fmt.Sprintf("d1: SQL %q is not valid UTF-8", bad)}
	}
	return d1wit.Statement{SQL: s.sql, Params: witValues(s.params)}, nil
}

func d1Result(r *d1wit.QueryResult) *D1Result {
	out := &D1Result{Columns: r.Columns, Success: true, Meta: D1Meta{
		Duration: r.Meta.Duration, RowsRead: int64(r.Meta.RowsRead), RowsWritten: int64(r.Meta.RowsWritten),
		LastRowID: r.Meta.LastRowID, Changes: int64(r.Meta.Changes), ChangedDB: r.Meta.ChangedDb,
		SizeAfter: int64(r.Meta.SizeAfter),
	}}
	if len(r.Rows) > 0 {
		out.Rows = d1Rows(r.Rows)
	}
	return out
}

// All runs the statement and returns every row.
func (s *D1Statement) All() (*D1Result, error) {
	st, err := s.wit()
	if err != nil {
		return nil, err
	}
	r, werr := s.t.query(st)
	if werr != nil {
		return nil, d1Err(werr)
	}
	return d1Result(&r), nil
}

// Run runs the statement; its result is All's (D1 returns the rows from
// run too).
func (s *D1Statement) Run() (*D1Result, error) { return s.All() }

// First returns the first row, false if there is none.
func (s *D1Statement) First() (D1Row, bool, error) {
	r, err := s.All()
	if err != nil || len(r.Rows) == 0 {
		return D1Row{}, false, err
	}
	return r.Row(0), true, nil
}

// FirstValue returns column of the first row (D1's first(column)): NULL
// when there is no row, an error matching ErrColumnNotFound when the
// result has no such column.
func (s *D1Statement) FirstValue(column string) (D1Value, error) {
	r, err := s.All()
	if err != nil {
		return D1Value{}, err
	}
	return d1First(r, column)
}

// Raw returns the rows as arrays (D1's raw()); with columnNames, the
// first array holds the column names as text (raw({columnNames: true})).
func (s *D1Statement) Raw(columnNames bool) ([][]D1Value, error) {
	r, err := s.All()
	if err != nil {
		return nil, err
	}
	return d1Raw(r, columnNames), nil
}

// Batch runs the statements in one transaction (D1's batch): all take
// effect, or on the first error none does and the error names the
// statement. It is how a Worker writes atomically: D1 has no BEGIN.
func (db *D1Database) Batch(stmts ...*D1Statement) ([]*D1Result, error) {
	return d1Batch(d1Target{db: db.h}, stmts)
}

func d1Batch(t d1Target, stmts []*D1Statement) ([]*D1Result, error) {
	ss := make([]d1wit.Statement, len(stmts))
	for i, s := range stmts {
		st, err := s.wit()
		if err != nil {
			return nil, fmt.Errorf("d1: batch statement %d: %w", i+1, err)
		}
		ss[i] = st
	}
	rs, werr := t.batch(ss)
	if werr != nil {
		return nil, d1Err(werr)
	}
	out := make([]*D1Result, len(rs))
	for i := range rs {
		out[i] = d1Result(&rs[i])
	}
	return out, nil
}

// Exec runs one or more unbound statements separated by semicolons, in
// order, stopping at the first error; the ones before it stay done
// (D1's exec, for migrations and setup rather than queries).
func (db *D1Database) Exec(sql string) (D1ExecResult, error) {
	if bad, ok := badUTF8(sql); ok {
		return D1ExecResult{}, &D1Error{ErrInvalidArgument, fmt.Sprintf("d1: SQL %q is not valid UTF-8", bad)}
	}
	r, err := db.h.Exec(sql)
	if err != nil {
		return D1ExecResult{}, d1Err(err)
	}
	return D1ExecResult{Count: int(r.Count), Duration: r.Duration}, nil
}

// D1Session is a D1 session (D1's D1DatabaseSession): its reads are never
// older than its bookmark. Close it when done (defer s.Close()): it holds
// a host handle until then.
type D1Session struct {
	h      d1wit.Session
	closed bool
}

var errSessionClosed = &d1wit.Error{Tag: d1wit.ErrorInvalidArgument, InvalidArgument: "d1: the session is closed"}

// WithSession starts a session (D1's withSession): "" or
// "first-unconstrained" reads from any replica, "first-primary" from the
// primary, and a bookmark from Bookmark from a replica at least that new.
// An unknown constraint or a malformed bookmark matches
// ErrInvalidArgument.
func (db *D1Database) WithSession(constraintOrBookmark string) (*D1Session, error) {
	if bad, ok := badUTF8(constraintOrBookmark); ok {
		return nil, &D1Error{ErrInvalidArgument, fmt.Sprintf("d1: session constraint or bookmark %q is not valid UTF-8", bad)}
	}
	var c cabi.Option[string]
	if constraintOrBookmark != "" {
		c = cabi.Option[string]{Some: true, Value: constraintOrBookmark}
	}
	h, err := db.h.WithSession(c)
	if err != nil {
		return nil, d1Err(err)
	}
	return &D1Session{h: h}, nil
}

// Prepare returns a statement that runs in the session.
func (s *D1Session) Prepare(sql string) *D1Statement {
	return &D1Statement{t: d1Target{sess: s}, sql: sql}
}

// Batch is D1Database.Batch in the session.
func (s *D1Session) Batch(stmts ...*D1Statement) ([]*D1Result, error) {
	return d1Batch(d1Target{sess: s}, stmts)
}

// Bookmark returns the bookmark of the latest commit the session has
// seen (D1's getBookmark()), false before its first query.
func (s *D1Session) Bookmark() (string, bool) {
	if s.closed {
		return "", false
	}
	b := s.h.Bookmark()
	return b.Value, b.Some
}

// Close releases the session's host handle; the session must not be used
// after.
func (s *D1Session) Close() {
	if !s.closed {
		s.closed = true
		s.h.Drop()
	}
}
