package d1

import (
	"context"
	"fmt"
	"strconv"
	"sync/atomic"
)

// Statement is D1's D1PreparedStatement: SQL and its bound values. It
// is immutable; Bind returns a new statement.
type Statement struct {
	db   *Database
	sess *Session
	sql  string
	args []Value
}

// SQL returns the statement's text.
func (s *Statement) SQL() string { return s.sql }

// Bind returns a copy of s with args bound to its parameters (?NNN and
// ? in order).
func (s *Statement) Bind(args ...Value) *Statement {
	c := *s
	c.args = append([]Value(nil), args...)
	return &c
}

func (s *Statement) query(ctx context.Context) (*Result, error) {
	res, err := s.db.query(ctx, s.sql, s.args)
	if s.sess != nil {
		s.sess.observe()
	}
	return res, err
}

// All runs the statement and returns every row.
func (s *Statement) All(ctx context.Context) (*Result, error) { return s.query(ctx) }

// Run runs the statement; the result is All's (D1 returns rows from
// run too).
func (s *Statement) Run(ctx context.Context) (*Result, error) { return s.query(ctx) }

// First returns the first row, or ok=false if there is none. With a
// column name it returns that column only, and ErrColumnNotFound if the
// result has no such column.
func (s *Statement) First(ctx context.Context, column string) (row Row, ok bool, err error) {
	res, err := s.query(ctx)
	if err != nil {
		return Row{}, false, err
	}
	if column != "" {
		found := false
		for _, c := range res.Columns {
			found = found || c == column
		}
		if !found && len(res.Results) > 0 {
			return Row{}, false, fmt.Errorf("%w: %q", ErrColumnNotFound, column)
		}
	}
	if len(res.Results) == 0 {
		return Row{}, false, nil
	}
	r := res.Results[0]
	if column != "" {
		v, _ := r.Get(column)
		return Row{Columns: []string{column}, Values: []Value{v}}, true, nil
	}
	return r, true, nil
}

// Raw returns the rows as arrays of values; with columnNames the first
// array is the column names (as text values).
func (s *Statement) Raw(ctx context.Context, columnNames bool) ([][]Value, error) {
	res, err := s.query(ctx)
	if err != nil {
		return nil, err
	}
	out := make([][]Value, 0, len(res.Results)+1)
	if columnNames {
		names := make([]Value, len(res.Columns))
		for i, c := range res.Columns {
			names[i] = Text(c)
		}
		out = append(out, names)
	}
	for _, r := range res.Results {
		out = append(out, r.Values)
	}
	return out, nil
}

// The session constraints D1 accepts besides a bookmark.
const (
	FirstUnconstrained = "first-unconstrained"
	FirstPrimary       = "first-primary"
)

// Session is D1's D1DatabaseSession, safe for concurrent use: queries through it never read a
// state older than its bookmark. On one node every read sees the
// latest commit, so the guarantee holds trivially; the bookmark still
// advances with every commit the session observes.
type Session struct {
	db  *Database
	seq atomic.Uint64
}

// Session starts a session from a constraint (FirstUnconstrained,
// FirstPrimary, or "" for unconstrained) or from a bookmark this
// database returned.
func (db *Database) Session(constraintOrBookmark string) (*Session, error) {
	cur := db.seq.Load()
	switch constraintOrBookmark {
	case "", FirstUnconstrained:
		return &Session{db: db}, nil
	case FirstPrimary:
		s := &Session{db: db}
		s.seq.Store(cur)
		return s, nil
	}
	seq, err := strconv.ParseUint(constraintOrBookmark, 16, 64)
	if err != nil || len(constraintOrBookmark) != 16 || seq > cur {
		return nil, fmt.Errorf("%w: %q", ErrBadBookmark, constraintOrBookmark)
	}
	s := &Session{db: db}
	s.seq.Store(seq)
	return s, nil
}

// Prepare returns a statement that runs within the session.
func (s *Session) Prepare(sql string) *Statement {
	return &Statement{db: s.db, sess: s, sql: sql}
}

// Batch runs a batch within the session; see Database.Batch.
func (s *Session) Batch(ctx context.Context, stmts []*Statement) ([]*Result, error) {
	res, err := s.db.Batch(ctx, stmts)
	s.observe()
	return res, err
}

// Bookmark is the latest commit the session has observed.
func (s *Session) Bookmark() string { return formatBookmark(s.seq.Load()) }

// observe advances the session to the database's current commit: every
// query reads the latest state, so that is what the session has seen.
func (s *Session) observe() {
	cur := s.db.seq.Load()
	for {
		old := s.seq.Load()
		if cur <= old || s.seq.CompareAndSwap(old, cur) {
			return
		}
	}
}
