package d1_test

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/bindery-run/bindery/abi"
	"github.com/bindery-run/bindery/bindings/d1"
	"github.com/bindery-run/bindery/bindings/d1/d1wit"
)

// callCtx is the context of a host call from a guest with an operations
// quota of ops on the D1 interface (slot 0).
func callCtx(ops int64) context.Context {
	inst := &abi.Instance{}
	inst.SetQuotas([]abi.Quota{{Operations: ops}}, []string{d1wit.DatabaseInterface})
	ctx := abi.WithInstance(context.Background(), inst)
	abi.Enter(ctx, 0)
	return ctx
}

func openHandle(t *testing.T) d1wit.Database {
	t.Helper()
	db, err := d1.OpenMemory(context.Background(), d1.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	b := d1.NewBinding(map[string]*d1.Database{"DB": db})
	h, werr := b.DatabaseOpen(context.Background(), "DB")
	if werr != nil {
		t.Fatal(werr)
	}
	if _, werr := h.Exec(context.Background(), "CREATE TABLE t (id INTEGER PRIMARY KEY, v)"); werr != nil {
		t.Fatal(werr)
	}
	return h
}

func stmt(sql string, params ...d1wit.Value) d1wit.Statement {
	return d1wit.Statement{SQL: sql, Params: params}
}

// TestBindingErrors: every engine error reaches the guest as the WIT
// case a Worker can tell apart, with D1's message naming what is at
// fault.
func TestBindingErrors(t *testing.T) {
	h := openHandle(t)
	many := make([]d1wit.Value, 101)
	for i := range many {
		many[i] = d1wit.Value{Tag: d1wit.ValueInteger, Integer: int64(i)}
	}
	tests := []struct {
		name string
		s    d1wit.Statement
		tag  d1wit.ErrorTag
		msg  string
	}{
		{"missing table", stmt("SELECT * FROM nope"), d1wit.ErrorSQL, "D1_ERROR: no such table: nope: SQLITE_ERROR"},
		{"syntax", stmt("SELEC 1"), d1wit.ErrorSQL, `D1_ERROR: near "SELEC": syntax error: SQLITE_ERROR`},
		{"constraint", stmt("INSERT INTO t (id) VALUES (1), (1)"), d1wit.ErrorSQL, "UNIQUE constraint failed: t.id: SQLITE_CONSTRAINT"},
		{"attach", stmt("ATTACH DATABASE 'x.db' AS x"), d1wit.ErrorRefused, "ATTACH"},
		{"pragma", stmt("PRAGMA journal_mode = DELETE"), d1wit.ErrorRefused, "journal_mode"},
		{"begin", stmt("BEGIN"), d1wit.ErrorRefused, "D1_ERROR: "},
		{"too many params", stmt("SELECT 1", many...), d1wit.ErrorLimit, "100"},
		{"statement too long", stmt("SELECT '" + strings.Repeat("x", d1.MaxStatementLength) + "'"), d1wit.ErrorLimit, "statement length"},
		{"named parameter", stmt("SELECT :a"), d1wit.ErrorInvalidArgument, ":a"},
		{"empty", stmt("  ;"), d1wit.ErrorInvalidArgument, "no SQL statements"},
		{"two statements", stmt("SELECT 1; SELECT 2"), d1wit.ErrorInvalidArgument, "use exec"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := h.Query(callCtx(0), tt.s)
			if err == nil {
				t.Fatal("no error")
			}
			if err.Tag != tt.tag || !strings.Contains(err.Error(), tt.msg) || !strings.Contains(err.Error(), "D1_ERROR: ") {
				t.Errorf("error %v (tag %d), want tag %d with %q", err, err.Tag, tt.tag, tt.msg)
			}
		})
	}
	b := d1.NewBinding(nil)
	if _, err := b.DatabaseOpen(context.Background(), "DB"); err == nil || err.Tag != d1wit.ErrorNoSuchDatabase || !strings.Contains(err.Error(), "DB") {
		t.Errorf("open ungranted: %v", err)
	}
}

// TestBindingValues: every SQLite type crosses the binding unchanged,
// integers with all 64 bits.
func TestBindingValues(t *testing.T) {
	h := openHandle(t)
	in := []d1wit.Value{
		{Tag: d1wit.ValueNull},
		{Tag: d1wit.ValueInteger, Integer: -1 << 63},
		{Tag: d1wit.ValueInteger, Integer: 1<<53 + 1},
		{Tag: d1wit.ValueReal, Real: 0.1},
		{Tag: d1wit.ValueText, Text: "a//b\x00c"},
		{Tag: d1wit.ValueBlob, Blob: []byte{0, 0xff}},
		{Tag: d1wit.ValueBlob, Blob: []byte{}},
	}
	r, err := h.Query(callCtx(0), stmt("SELECT ?, ?, ?, ?, ?, ?, ?", in...))
	if err != nil {
		t.Fatal(err)
	}
	if len(r.Rows) != 1 || len(r.Rows[0]) != len(in) {
		t.Fatalf("rows %v", r.Rows)
	}
	for i, v := range r.Rows[0] {
		w := in[i]
		if v.Tag != w.Tag || v.Integer != w.Integer || v.Real != w.Real || v.Text != w.Text || string(v.Blob) != string(w.Blob) {
			t.Errorf("value %d = %+v, want %+v", i, v, w)
		}
	}
}

// TestBindingBatch: a batch is atomic, and each of its statements counts
// as one query of the Worker's operations quota.
func TestBindingBatch(t *testing.T) {
	h := openHandle(t)
	ins := func(id int64) d1wit.Statement {
		return stmt("INSERT INTO t (id) VALUES (?)", d1wit.Value{Tag: d1wit.ValueInteger, Integer: id})
	}
	if _, err := h.Batch(callCtx(0), []d1wit.Statement{ins(1), ins(2), ins(1)}); err == nil || !strings.Contains(err.Error(), "batch statement 2") {
		t.Fatalf("batch with a duplicate: %v, want an error naming statement 2", err)
	}
	r, _ := h.Query(callCtx(0), stmt("SELECT count(*) FROM t"))
	if r.Rows[0][0].Integer != 0 {
		t.Fatalf("after a failed batch: %d rows, want 0", r.Rows[0][0].Integer)
	}
	if rs, err := h.Batch(callCtx(3), []d1wit.Statement{ins(1), ins(2), ins(3)}); err != nil || len(rs) != 3 {
		t.Fatalf("batch of 3 within a quota of 3: %v %v", rs, err)
	}
	defer func() {
		var qe *abi.QuotaError
		if e, _ := recover().(error); !errors.As(e, &qe) {
			t.Fatalf("batch of 4 over a quota of 3: recovered %v, want a *abi.QuotaError", e)
		}
	}()
	h.Batch(callCtx(3), []d1wit.Statement{ins(4), ins(5), ins(6), ins(7)})
	t.Fatal("batch of 4 over a quota of 3 ran")
}

// TestBindingSession: an unconstrained session has no bookmark until it
// ran something; one from a bookmark starts there; a malformed bookmark
// is an invalid argument.
func TestBindingSession(t *testing.T) {
	h := openHandle(t)
	ctx := callCtx(0)
	s, err := h.WithSession(ctx, abi.Option[string]{})
	if err != nil {
		t.Fatal(err)
	}
	if b := s.Bookmark(ctx); b.Some {
		t.Errorf("fresh session bookmark %q, want none", b.Value)
	}
	if _, err := s.Query(ctx, stmt("INSERT INTO t (id) VALUES (1)")); err != nil {
		t.Fatal(err)
	}
	b := s.Bookmark(ctx)
	if !b.Some || len(b.Value) != 16 {
		t.Fatalf("bookmark after a write %+v", b)
	}
	s2, err := h.WithSession(ctx, b)
	if err != nil {
		t.Fatal(err)
	}
	if b2 := s2.Bookmark(ctx); b2 != b {
		t.Errorf("session from bookmark %q has bookmark %+v", b.Value, b2)
	}
	if _, err := h.WithSession(ctx, abi.Some("not-a-bookmark")); err == nil || err.Tag != d1wit.ErrorInvalidArgument {
		t.Errorf("malformed bookmark: %v", err)
	}
}
