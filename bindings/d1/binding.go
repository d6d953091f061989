package d1

import (
	"context"
	"errors"
	"sort"
	"sync/atomic"

	"github.com/bindery-run/bindery/abi"
	"github.com/bindery-run/bindery/bindings/d1/d1wit"
)

// WIT returns the host side of bindery:d1/database for a host.Runtime.
func WIT() abi.Interface {
	return abi.Interface{Name: d1wit.DatabaseInterface, Define: d1wit.DefineDatabase, Deny: NewBinding(nil)}
}

// Binding is one Worker's D1 grants: each binding name (e.g. "DB") maps
// to a database. A guest can open only the names granted here. Every
// statement counts as one operation of the interface's quota (a batch of
// n counts n), so the Worker's operations limit is D1's queries-per-
// invocation limit. It satisfies host.Binding and is safe for concurrent
// use.
type Binding struct {
	dbs map[string]*Database
}

// NewBinding grants the databases by binding name.
func NewBinding(dbs map[string]*Database) *Binding { return &Binding{dbs: dbs} }

// WIT returns the host side of the interface the binding implements.
func (b *Binding) WIT() abi.Interface { return WIT() }

// Names returns the granted binding names, sorted.
func (b *Binding) Names() []string {
	names := make([]string, 0, len(b.dbs))
	for n := range b.dbs {
		names = append(names, n)
	}
	sort.Strings(names)
	return names
}

// DatabaseOpen implements [static]database.open.
func (b *Binding) DatabaseOpen(ctx context.Context, name string) (d1wit.Database, *d1wit.Error) {
	db, ok := b.dbs[name]
	if !ok {
		return nil, &d1wit.Error{Tag: d1wit.ErrorNoSuchDatabase, NoSuchDatabase: "no D1 binding named " + name + " in the worker's config"}
	}
	return dbHandle{db}, nil
}

var _ d1wit.DatabaseHost = (*Binding)(nil)

// dbHandle is the representation of an open database resource.
type dbHandle struct{ db *Database }

func (h dbHandle) Query(ctx context.Context, s d1wit.Statement) (d1wit.QueryResult, *d1wit.Error) {
	return query(ctx, h.db.Prepare(s.SQL).Bind(fromWITValues(s.Params)...))
}

func (h dbHandle) Batch(ctx context.Context, ss []d1wit.Statement) ([]d1wit.QueryResult, *d1wit.Error) {
	return batch(ctx, h.db.Batch, h.db.Prepare, ss)
}

func (h dbHandle) Exec(ctx context.Context, sql string) (d1wit.ExecResult, *d1wit.Error) {
	r, err := h.db.Exec(ctx, sql)
	if err != nil {
		return d1wit.ExecResult{}, witError(err)
	}
	return d1wit.ExecResult{Count: uint32(r.Count), Duration: r.Duration}, nil
}

func (h dbHandle) WithSession(ctx context.Context, c abi.Option[string]) (d1wit.Session, *d1wit.Error) {
	s, err := h.db.Session(c.Value)
	if err != nil {
		return nil, witError(err)
	}
	sh := &sessHandle{s: s}
	// A session started at the primary or at a bookmark has a bookmark
	// from the start; an unconstrained one only once it ran something.
	sh.seen.Store(c.Value != "" && c.Value != FirstUnconstrained)
	return sh, nil
}

// sessHandle is the representation of a session resource.
type sessHandle struct {
	s    *Session
	seen atomic.Bool
}

func (h *sessHandle) Query(ctx context.Context, s d1wit.Statement) (d1wit.QueryResult, *d1wit.Error) {
	h.seen.Store(true)
	return query(ctx, h.s.Prepare(s.SQL).Bind(fromWITValues(s.Params)...))
}

func (h *sessHandle) Batch(ctx context.Context, ss []d1wit.Statement) ([]d1wit.QueryResult, *d1wit.Error) {
	h.seen.Store(true)
	return batch(ctx, h.s.Batch, h.s.Prepare, ss)
}

func (h *sessHandle) Bookmark(ctx context.Context) abi.Option[string] {
	if !h.seen.Load() {
		return abi.Option[string]{}
	}
	return abi.Some(h.s.Bookmark())
}

func query(ctx context.Context, st *Statement) (d1wit.QueryResult, *d1wit.Error) {
	r, err := st.All(ctx)
	if err != nil {
		return d1wit.QueryResult{}, witError(err)
	}
	return toWITResult(r), nil
}

func batch(ctx context.Context, run func(context.Context, []*Statement) ([]*Result, error), prepare func(string) *Statement, ss []d1wit.Statement) ([]d1wit.QueryResult, *d1wit.Error) {
	if len(ss) > 1 {
		abi.Charge(ctx, int64(len(ss)-1)) // one query each, the call counted the first
	}
	stmts := make([]*Statement, len(ss))
	for i, s := range ss {
		stmts[i] = prepare(s.SQL).Bind(fromWITValues(s.Params)...)
	}
	rs, err := run(ctx, stmts)
	if err != nil {
		return nil, witError(err)
	}
	out := make([]d1wit.QueryResult, len(rs))
	for i, r := range rs {
		out[i] = toWITResult(r)
	}
	return out, nil
}

func toWITResult(r *Result) d1wit.QueryResult {
	out := d1wit.QueryResult{Columns: r.Columns, Rows: make([][]d1wit.Value, len(r.Results)), Meta: d1wit.Meta{
		Duration:    r.Meta.Duration,
		RowsRead:    uint64(max(r.Meta.RowsRead, 0)),
		RowsWritten: uint64(max(r.Meta.RowsWritten, 0)),
		LastRowID:   r.Meta.LastRowID,
		Changes:     uint64(max(r.Meta.Changes, 0)),
		ChangedDb:   r.Meta.ChangedDB,
		SizeAfter:   uint64(max(r.Meta.SizeAfter, 0)),
	}}
	if out.Columns == nil {
		out.Columns = []string{}
	}
	for i, row := range r.Results {
		vs := make([]d1wit.Value, len(row.Values))
		for j, v := range row.Values {
			vs[j] = toWITValue(v)
		}
		out.Rows[i] = vs
	}
	return out
}

func toWITValue(v Value) d1wit.Value {
	switch v.Kind {
	case KindInteger:
		return d1wit.Value{Tag: d1wit.ValueInteger, Integer: v.Int}
	case KindReal:
		return d1wit.Value{Tag: d1wit.ValueReal, Real: v.Float}
	case KindText:
		return d1wit.Value{Tag: d1wit.ValueText, Text: v.Text}
	case KindBlob:
		return d1wit.Value{Tag: d1wit.ValueBlob, Blob: v.Blob}
	}
	return d1wit.Value{Tag: d1wit.ValueNull}
}

func fromWITValues(vs []d1wit.Value) []Value {
	out := make([]Value, len(vs))
	for i, v := range vs {
		switch v.Tag {
		case d1wit.ValueInteger:
			out[i] = Int(v.Integer)
		case d1wit.ValueReal:
			out[i] = Real(v.Real)
		case d1wit.ValueText:
			out[i] = Text(v.Text)
		case d1wit.ValueBlob:
			out[i] = Blob(v.Blob)
		}
	}
	return out
}

// witError maps an engine error onto the WIT error variant: the one
// place where D1 errors cross to the guest, with D1's message.
func witError(err error) *d1wit.Error {
	if err == nil {
		return nil
	}
	msg := Message(err)
	var le *LimitError
	var ae *AuthError
	switch {
	case errors.As(err, &le):
		return &d1wit.Error{Tag: d1wit.ErrorLimit, Limit: msg}
	case errors.As(err, &ae):
		return &d1wit.Error{Tag: d1wit.ErrorRefused, Refused: msg}
	case errors.Is(err, ErrNamedParameter), errors.Is(err, ErrBadBookmark), errors.Is(err, ErrEmptyStatement), errors.Is(err, ErrMultipleStatements):
		return &d1wit.Error{Tag: d1wit.ErrorInvalidArgument, InvalidArgument: msg}
	case errors.Is(err, ErrClosed), errors.Is(err, context.Canceled), errors.Is(err, context.DeadlineExceeded):
		return &d1wit.Error{Tag: d1wit.ErrorInternal, Internal: msg}
	}
	return &d1wit.Error{Tag: d1wit.ErrorSQL, SQL: msg}
}
