package storage_test

import (
	"context"
	"errors"
	"path/filepath"
	"strings"
	"testing"

	"github.com/bindery-run/bindery/bindings/d1"
	"github.com/bindery-run/bindery/bindings/durable/storage"
)

func newSQLite(t *testing.T, opts storage.SQLiteOptions) *storage.SQLite {
	t.Helper()
	s := storage.NewSQLite(filepath.Join(t.TempDir(), "obj.sqlite"), opts)
	t.Cleanup(func() { s.Close() })
	return s
}

func mustExec(t *testing.T, s storage.SQL, q string, params ...storage.Value) *storage.Cursor {
	t.Helper()
	c, err := s.Exec(context.Background(), q, params...)
	if err != nil {
		t.Fatalf("exec %q: %v", q, err)
	}
	return c
}

func TestExec(t *testing.T) {
	s := newSQLite(t, storage.SQLiteOptions{})
	c := mustExec(t, s, "CREATE TABLE t (id INTEGER PRIMARY KEY, name TEXT, data BLOB); INSERT INTO t VALUES (1, 'one', x'00ff'); INSERT INTO t (name) VALUES (?)", d1.Text("two"))
	if c.RowsWritten != 2 || len(c.Rows) != 0 || len(c.Columns) != 0 {
		t.Errorf("create and inserts: %+v; want 2 rows written, no rows", c)
	}
	c = mustExec(t, s, "SELECT id, name, data, 1.5 AS r, NULL AS n FROM t ORDER BY id")
	if strings.Join(c.Columns, ",") != "id,name,data,r,n" {
		t.Errorf("columns = %q", c.Columns)
	}
	want := [][]storage.Value{
		{d1.Int(1), d1.Text("one"), d1.Blob([]byte{0, 0xff}), d1.Real(1.5), d1.Null()},
		{d1.Int(2), d1.Text("two"), d1.Null(), d1.Real(1.5), d1.Null()},
	}
	if len(c.Rows) != len(want) {
		t.Fatalf("rows = %v, want %v", c.Rows, want)
	}
	for i := range want {
		for j := range want[i] {
			if !c.Rows[i][j].Equal(want[i][j]) {
				t.Errorf("row %d column %d = %v, want %v", i, j, c.Rows[i][j], want[i][j])
			}
		}
	}
	if c.RowsRead < 2 || c.RowsWritten != 0 {
		t.Errorf("select read %d and wrote %d rows; want at least 2 and 0", c.RowsRead, c.RowsWritten)
	}
	// Only the last statement's rows come back.
	c = mustExec(t, s, "SELECT 1; SELECT 2 AS two;  ")
	if len(c.Rows) != 1 || !c.Rows[0][0].Equal(d1.Int(2)) || c.Columns[0] != "two" {
		t.Errorf("two selects: %+v", c)
	}
	c = mustExec(t, s, "UPDATE t SET name = upper(name) RETURNING name")
	if len(c.Rows) != 2 || c.RowsWritten != 2 {
		t.Errorf("update returning: %+v", c)
	}
}

// TestExecCachedStatement: a query run again sees schema changes made
// in between (its cached statement is prepared again).
func TestExecCachedStatement(t *testing.T) {
	s := newSQLite(t, storage.SQLiteOptions{})
	mustExec(t, s, "CREATE TABLE t (a); INSERT INTO t VALUES (1)")
	for i := range 3 {
		c := mustExec(t, s, "SELECT * FROM t")
		if len(c.Columns) != 1+i || len(c.Rows) != 1 {
			t.Fatalf("run %d: columns %q, rows %v", i, c.Columns, c.Rows)
		}
		mustExec(t, s, "ALTER TABLE t ADD COLUMN c"+string(rune('0'+i)))
	}
	mustExec(t, s, "DROP TABLE t")
	if _, err := s.Exec(context.Background(), "SELECT * FROM t"); err == nil || !strings.Contains(err.Error(), "no such table") {
		t.Errorf("cached query on a dropped table: %v", err)
	}
}

func TestExecErrors(t *testing.T) {
	ctx := context.Background()
	s := newSQLite(t, storage.SQLiteOptions{})
	mustExec(t, s, "CREATE TABLE t (x)")
	tests := []struct {
		name   string
		q      string
		params []storage.Value
		is     error
	}{
		{"empty", "  ", nil, storage.ErrEmptyStatement},
		{"only a comment", "-- nothing", nil, storage.ErrEmptyStatement},
		{"parameters not in the last statement", "INSERT INTO t VALUES (?); SELECT 1", []storage.Value{d1.Int(1)}, storage.ErrParameters},
		{"too few parameters", "SELECT ?, ?", []storage.Value{d1.Int(1)}, storage.ErrParameters},
		{"too many parameters", "SELECT ?", []storage.Value{d1.Int(1), d1.Int(2)}, storage.ErrParameters},
	}
	for _, tt := range tests {
		if _, err := s.Exec(ctx, tt.q, tt.params...); !errors.Is(err, tt.is) {
			t.Errorf("%s: %v, want %v", tt.name, err, tt.is)
		}
	}
	// The statements before a failing one stay done, as in workerd.
	if _, err := s.Exec(ctx, "INSERT INTO t VALUES (1); INSERT INTO missing VALUES (2)"); err == nil || !strings.Contains(err.Error(), "statement 2") || !strings.Contains(err.Error(), "no such table") {
		t.Errorf("failing second statement: %v", err)
	}
	if c := mustExec(t, s, "SELECT count(*) FROM t"); !c.Rows[0][0].Equal(d1.Int(1)) {
		t.Errorf("rows after a failed exec: %v, want 1", c.Rows)
	}
	var le *storage.LimitError
	if _, err := s.Exec(ctx, "SELECT 1"+strings.Repeat(" ", 100_000)); !errors.As(err, &le) || le.Limit != storage.LimitStatementLength {
		t.Errorf("long statement: %v", err)
	}
	params := make([]storage.Value, 101)
	if _, err := s.Exec(ctx, "SELECT 1", params...); !errors.As(err, &le) || le.Limit != storage.LimitBoundParameters {
		t.Errorf("101 parameters: %v", err)
	}
	if _, err := s.Exec(ctx, "SELECT ?", d1.Blob(make([]byte, storage.MaxSQLiteEntrySize+1))); !errors.As(err, &le) || le.Limit != storage.LimitSQLValueSize {
		t.Errorf("too large a blob: %v", err)
	}
	if _, err := s.Exec(ctx, "SELECT zeroblob(3000000)"); !errors.As(err, &le) || le.Limit != storage.LimitSQLValueSize {
		t.Errorf("too large a computed blob: %v", err)
	}
}

// TestAuthorizer: workerd's rules for a Durable Object's SQL.
func TestAuthorizer(t *testing.T) {
	ctx := context.Background()
	s := newSQLite(t, storage.SQLiteOptions{})
	if err := s.Put(ctx, []storage.Entry{{Key: "k", Value: []byte("v")}}); err != nil {
		t.Fatal(err)
	}
	mustExec(t, s, "CREATE TABLE t (x INTEGER PRIMARY KEY, y)")
	refused := []string{
		"SELECT * FROM _cf_KV",
		"SELECT * FROM _CF_kv",
		"DELETE FROM _cf_KV",
		"INSERT INTO _cf_KV VALUES ('a', x'00')",
		"DROP TABLE _cf_KV",
		"CREATE TABLE _cf_mine (x)",
		"CREATE INDEX _cf_i ON t (y)",
		"CREATE INDEX i ON _cf_KV (value)",
		"ALTER TABLE t RENAME TO _cf_t",
		"ALTER TABLE _cf_KV ADD COLUMN z",
		"BEGIN", "COMMIT", "ROLLBACK", "SAVEPOINT sp", "RELEASE sp",
		"PRAGMA journal_mode", "PRAGMA journal_mode=DELETE", "PRAGMA page_size=1024", "PRAGMA max_page_count=1",
		"PRAGMA table_info(_cf_KV)", "PRAGMA foreign_keys=maybe", "PRAGMA optimize=big",
		"PRAGMA index_list(_cf_KV)", "PRAGMA integrity_check", "PRAGMA writable_schema=ON",
		"ATTACH 'x.db' AS x", "CREATE TEMP TABLE tt (x)", "CREATE TEMP VIEW tv AS SELECT 1",
		"SELECT sqlite_version()",
		"VACUUM",
	}
	for _, q := range refused {
		_, err := s.Exec(ctx, q)
		var ae *storage.AuthError
		if !errors.As(err, &ae) {
			t.Errorf("%q: %v, want an AuthError", q, err)
		}
	}
	allowed := []string{
		"PRAGMA table_list", "PRAGMA table_info(t)", "PRAGMA table_xinfo(t)", "PRAGMA foreign_keys",
		"PRAGMA foreign_keys = on", "PRAGMA case_sensitive_like = 'false'", "PRAGMA quick_check",
		"PRAGMA quick_check(t)", "PRAGMA optimize", "PRAGMA foreign_key_check", "PRAGMA index_list(t)",
		"PRAGMA data_version",
		"SELECT json_extract('{\"a\":1}', '$.a'), abs(-1), datetime(0, 'unixepoch')",
		"WITH RECURSIVE c(n) AS (SELECT 1 UNION ALL SELECT n+1 FROM c WHERE n < 3) SELECT n FROM c",
		"CREATE VIRTUAL TABLE docs USING fts5(body)",
		"INSERT INTO docs (body) VALUES ('hello durable world')",
		"SELECT highlight(docs, 0, '[', ']') FROM docs WHERE docs MATCH 'durable'",
		"CREATE VIRTUAL TABLE box USING rtree(id, x0, x1)",
		"INSERT INTO box VALUES (1, 0, 10)",
		"ALTER TABLE t RENAME TO t2", "ALTER TABLE t2 RENAME COLUMN y TO z", "ALTER TABLE t2 ADD COLUMN w",
		"CREATE INDEX i ON t2 (z)", "DROP INDEX i", "ANALYZE",
		"CREATE TRIGGER tr AFTER INSERT ON t2 BEGIN UPDATE t2 SET w = 1 WHERE x = new.x; END",
		"INSERT INTO t2 (z) VALUES (1)",
		"CREATE VIEW v AS SELECT * FROM t2", "SELECT * FROM v",
	}
	for _, q := range allowed {
		if _, err := s.Exec(ctx, q); err != nil {
			t.Errorf("%q: %v", q, err)
		}
	}
	// A trigger may name _cf_KV, as in workerd, but it is refused when
	// it runs.
	mustExec(t, s, "CREATE TABLE u (x); CREATE TRIGGER bad AFTER INSERT ON u BEGIN DELETE FROM _cf_KV; END")
	var ae *storage.AuthError
	if _, err := s.Exec(ctx, "INSERT INTO u VALUES (1)"); !errors.As(err, &ae) {
		t.Errorf("insert firing a trigger on _cf_KV: %v, want an AuthError", err)
	}
	// The KV API still works, and its table is listed, as on Cloudflare.
	if es, err := s.Get(ctx, []string{"k"}); err != nil || len(es) != 1 {
		t.Errorf("get after the SQL: %v, %v", es, err)
	}
	c := mustExec(t, s, "SELECT name FROM pragma_table_list WHERE name = '_cf_KV'")
	if len(c.Rows) != 1 {
		t.Errorf("table_list does not list _cf_KV: %v", c.Rows)
	}
}

// TestSQLAndKVShareATransaction: SQL and KV calls in one transaction
// commit and roll back together.
func TestSQLAndKVShareATransaction(t *testing.T) {
	ctx := context.Background()
	s := newSQLite(t, storage.SQLiteOptions{})
	mustExec(t, s, "CREATE TABLE t (x)")
	boom := errors.New("boom")
	err := s.Transaction(ctx, func(tx storage.Tx) error {
		sql := tx.(storage.SQL)
		mustExec(t, sql, "INSERT INTO t VALUES (1)")
		if err := tx.Put(ctx, []storage.Entry{{Key: "k", Value: []byte("v")}}); err != nil {
			return err
		}
		// A nested transaction's SQL is undone with it.
		if err := tx.Transaction(ctx, func(in storage.Tx) error {
			mustExec(t, in.(storage.SQL), "INSERT INTO t VALUES (2)")
			return boom
		}); !errors.Is(err, boom) {
			return err
		}
		if c := mustExec(t, sql, "SELECT count(*) FROM t"); !c.Rows[0][0].Equal(d1.Int(1)) {
			t.Errorf("rows after the nested rollback = %v, want 1", c.Rows[0][0])
		}
		return boom
	})
	if !errors.Is(err, boom) {
		t.Fatal(err)
	}
	if c := mustExec(t, s, "SELECT count(*) FROM t"); !c.Rows[0][0].Equal(d1.Int(0)) {
		t.Errorf("rows after rollback = %v, want 0", c.Rows[0][0])
	}
	if es, _ := s.Get(ctx, []string{"k"}); len(es) != 0 {
		t.Errorf("key after rollback: %v", es)
	}
	// The KV table created in the rolled-back transaction is gone, and
	// the next put creates it again.
	if err := s.Put(ctx, []storage.Entry{{Key: "k2", Value: []byte("v")}}); err != nil {
		t.Fatal(err)
	}
}

func TestDatabaseSizeAndLimit(t *testing.T) {
	ctx := context.Background()
	s := newSQLite(t, storage.SQLiteOptions{MaxSize: 256 << 10})
	n0, err := s.DatabaseSize(ctx)
	if err != nil || n0 <= 0 {
		t.Fatalf("size of an empty database = %d, %v", n0, err)
	}
	mustExec(t, s, "CREATE TABLE t (b BLOB)")
	mustExec(t, s, "INSERT INTO t VALUES (randomblob(50000))")
	n1, _ := s.DatabaseSize(ctx)
	if n1 < n0+50000 {
		t.Errorf("size after a 50 KB insert = %d, was %d", n1, n0)
	}
	var le *storage.LimitError
	_, err = s.Exec(ctx, "INSERT INTO t SELECT randomblob(100000) FROM (SELECT 1 UNION ALL SELECT 2 UNION ALL SELECT 3)")
	if !errors.As(err, &le) || le.Limit != storage.LimitDatabaseSize || le.Max != 256<<10 {
		t.Errorf("insert past the size limit: %v", err)
	}
	err = s.Put(ctx, []storage.Entry{{Key: "big", Value: make([]byte, 300<<10)}})
	if !errors.As(err, &le) || le.Limit != storage.LimitDatabaseSize {
		t.Errorf("put past the size limit: %v", err)
	}
	// The database is still usable.
	if err := s.Put(ctx, []storage.Entry{{Key: "small", Value: []byte("v")}}); err != nil {
		t.Errorf("small put after the limit: %v", err)
	}
}

// TestDeleteAllDropsSQL: deleteAll of a SQLite-backed object deletes
// its tables too.
func TestDeleteAllDropsSQL(t *testing.T) {
	ctx := context.Background()
	s := newSQLite(t, storage.SQLiteOptions{})
	mustExec(t, s, "CREATE TABLE t (x); INSERT INTO t VALUES (1)")
	if err := s.Put(ctx, []storage.Entry{{Key: "k", Value: nil}}); err != nil {
		t.Fatal(err)
	}
	if n, err := s.DeleteAll(ctx); err != nil || n != 1 {
		t.Fatalf("deleteAll = %d, %v", n, err)
	}
	if _, err := s.Exec(ctx, "SELECT * FROM t"); err == nil || !strings.Contains(err.Error(), "no such table") {
		t.Errorf("table after deleteAll: %v", err)
	}
}
