// Package d1test is the conformance suite every d1.Database flavour
// (file-backed, in-memory) must pass: D1's value types, result shapes,
// limits, authorizer refusals, batch atomicity and exec counts.
//
//	func TestConformance(t *testing.T) {
//		d1test.Run(t, func(t *testing.T, o d1.Options) *d1.Database { ... })
//	}
package d1test

import (
	"context"
	"errors"
	"math"
	"strings"
	"testing"
	"time"

	"github.com/bindery-run/bindery/bindings/d1"
)

// Open returns a fresh, empty database with opts; the suite closes it.
type Open = func(t *testing.T, opts d1.Options) *d1.Database

// Run runs the whole suite against databases from open.
func Run(t *testing.T, open Open) {
	tests := []struct {
		name string
		fn   func(*testing.T, Open)
	}{
		{"RoundTrip", testRoundTrip},
		{"Shapes", testShapes},
		{"Meta", testMeta},
		{"Limits", testLimits},
		{"Authorizer", testAuthorizer},
		{"BatchRollback", testBatch},
		{"Exec", testExec},
		{"Sessions", testSessions},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) { tt.fn(t, open) })
	}
}

func fresh(t *testing.T, open Open, opts d1.Options) *d1.Database {
	t.Helper()
	db := open(t, opts)
	t.Cleanup(func() { db.Close() })
	return db
}

func mustExec(t *testing.T, db *d1.Database, sql string) {
	t.Helper()
	if _, err := db.Exec(context.Background(), sql); err != nil {
		t.Fatalf("exec %q: %v", sql, err)
	}
}

func testRoundTrip(t *testing.T, open Open) {
	ctx := context.Background()
	db := fresh(t, open, d1.Options{})
	mustExec(t, db, "CREATE TABLE v (x)")
	cases := []struct {
		name string
		v    d1.Value
	}{
		{"null", d1.Null()},
		{"zero", d1.Int(0)},
		{"2^53+1", d1.Int(1<<53 + 1)},
		{"max int64", d1.Int(math.MaxInt64)},
		{"min int64", d1.Int(math.MinInt64)},
		{"real", d1.Real(3.25)},
		{"tiny real", d1.Real(math.SmallestNonzeroFloat64)},
		{"text", d1.Text("héllo, 世界")},
		{"empty text", d1.Text("")},
		{"text with NUL", d1.Text("a\x00b")},
		{"blob", d1.Blob([]byte{0, 1, 2, 0xff})},
		{"empty blob", d1.Blob(nil)},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			if _, err := db.Prepare("DELETE FROM v").Run(ctx); err != nil {
				t.Fatal(err)
			}
			if _, err := db.Prepare("INSERT INTO v VALUES (?)").Bind(c.v).Run(ctx); err != nil {
				t.Fatal(err)
			}
			row, ok, err := db.Prepare("SELECT x FROM v").First(ctx, "x")
			if err != nil || !ok {
				t.Fatalf("first: %v %v", ok, err)
			}
			if got := row.Values[0]; !got.Equal(c.v) {
				t.Errorf("stored %v, read %v", c.v, got)
			}
			// Bound value straight back, no table.
			row, _, err = db.Prepare("SELECT ?1 AS y").Bind(c.v).First(ctx, "")
			if err != nil {
				t.Fatal(err)
			}
			if got := row.Values[0]; !got.Equal(c.v) {
				t.Errorf("echoed %v, read %v", c.v, got)
			}
		})
	}
}

func testShapes(t *testing.T, open Open) {
	ctx := context.Background()
	db := fresh(t, open, d1.Options{})
	mustExec(t, db, "CREATE TABLE p (id INTEGER PRIMARY KEY, name TEXT); INSERT INTO p (name) VALUES ('a'), ('b')")
	res, err := db.Prepare("SELECT id, name FROM p ORDER BY id").All(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if !res.Success || len(res.Results) != 2 || strings.Join(res.Columns, ",") != "id,name" {
		t.Fatalf("all = %+v", res)
	}
	if v, _ := res.Results[1].Get("name"); !v.Equal(d1.Text("b")) {
		t.Errorf("row 2 name = %v", v)
	}
	tests := []struct {
		name   string
		column string
		want   string
		ok     bool
		err    error
	}{
		{"whole row", "", `1,"a"`, true, nil},
		{"one column", "name", `"a"`, true, nil},
		{"missing column", "nope", "", false, d1.ErrColumnNotFound},
	}
	for _, tt := range tests {
		t.Run("first/"+tt.name, func(t *testing.T) {
			row, ok, err := db.Prepare("SELECT id, name FROM p ORDER BY id").First(ctx, tt.column)
			if !errors.Is(err, tt.err) || ok != tt.ok {
				t.Fatalf("first(%q) = %v, %v; want ok=%v err=%v", tt.column, ok, err, tt.ok, tt.err)
			}
			var parts []string
			for _, v := range row.Values {
				parts = append(parts, v.String())
			}
			if got := strings.Join(parts, ","); got != tt.want {
				t.Errorf("first(%q) = %s, want %s", tt.column, got, tt.want)
			}
		})
	}
	// ?NNN binds by position; named parameters are refused.
	if row, _, err := db.Prepare("SELECT ?2 AS b, ?1 AS a").Bind(d1.Int(1), d1.Int(2)).First(ctx, "b"); err != nil || !row.Values[0].Equal(d1.Int(2)) {
		t.Errorf("?2 = %v, %v; want 2", row, err)
	}
	for _, named := range []string{"SELECT :a", "SELECT @a", "SELECT $a"} {
		if _, err := db.Prepare(named).Bind(d1.Int(1)).All(ctx); !errors.Is(err, d1.ErrNamedParameter) {
			t.Errorf("%s: err = %v, want ErrNamedParameter", named, err)
		}
	}
	if _, ok, err := db.Prepare("SELECT * FROM p WHERE id = 99").First(ctx, "name"); ok || err != nil {
		t.Errorf("first of no rows = %v, %v; want none, nil", ok, err)
	}
	for _, names := range []bool{false, true} {
		raw, err := db.Prepare("SELECT id, name FROM p ORDER BY id").Raw(ctx, names)
		if err != nil {
			t.Fatal(err)
		}
		want := 2
		if names {
			want = 3
			if !raw[0][0].Equal(d1.Text("id")) || !raw[0][1].Equal(d1.Text("name")) {
				t.Errorf("raw column names = %v", raw[0])
			}
		}
		if len(raw) != want {
			t.Errorf("raw(%v) has %d rows, want %d", names, len(raw), want)
		}
	}
}

func testMeta(t *testing.T, open Open) {
	ctx := context.Background()
	db := fresh(t, open, d1.Options{})
	mustExec(t, db, "CREATE TABLE m (id INTEGER PRIMARY KEY, n INTEGER)")
	res, err := db.Prepare("INSERT INTO m (n) VALUES (?), (?), (?)").Bind(d1.Int(1), d1.Int(2), d1.Int(3)).Run(ctx)
	if err != nil {
		t.Fatal(err)
	}
	m := res.Meta
	if m.Changes != 3 || m.RowsWritten < 3 || m.LastRowID != 3 || !m.ChangedDB || m.SizeAfter <= 0 || m.Duration < 0 {
		t.Errorf("insert meta = %+v", m)
	}
	res, err = db.Prepare("UPDATE m SET n = n + 1 WHERE n > 99").Run(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if res.Meta.Changes != 0 || res.Meta.ChangedDB {
		t.Errorf("no-op update meta = %+v", res.Meta)
	}
	res, err = db.Prepare("SELECT * FROM m").All(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if m := res.Meta; m.RowsRead < 3 || m.Changes != 0 || m.ChangedDB || m.RowsWritten != 0 || m.SizeAfter <= 0 {
		t.Errorf("select meta = %+v", m)
	}
}

func limitOf(err error) string {
	var le *d1.LimitError
	if errors.As(err, &le) {
		return le.Limit
	}
	return ""
}

func testLimits(t *testing.T, open Open) {
	ctx := context.Background()
	db := fresh(t, open, d1.Options{QueryTimeout: 200 * time.Millisecond, MaxSize: 1 << 20})
	mustExec(t, db, "CREATE TABLE l (x); CREATE TABLE l2 (a, b)")
	params := make([]d1.Value, 101)
	for i := range params {
		params[i] = d1.Int(int64(i))
	}
	big := strings.Repeat("x", d1.MaxValueSize+1)
	tests := []struct {
		name  string
		stmt  *d1.Statement
		limit string
	}{
		{"101 parameters", db.Prepare("SELECT " + strings.TrimSuffix(strings.Repeat("?,", 101), ",")).Bind(params...), d1.LimitBoundParameters},
		{"101 parameters in SQL", db.Prepare("SELECT " + strings.TrimSuffix(strings.Repeat("?,", 101), ",")), d1.LimitBoundParameters},
		{"statement over 100 KB", db.Prepare("SELECT '" + strings.Repeat("y", d1.MaxStatementLength) + "'"), d1.LimitStatementLength},
		{"bound text over 2 MB", db.Prepare("INSERT INTO l VALUES (?)").Bind(d1.Text(big)), d1.LimitValueSize},
		{"bound blob over 2 MB", db.Prepare("INSERT INTO l VALUES (?)").Bind(d1.Blob([]byte(big))), d1.LimitValueSize},
		{"row over 2 MB from two 1.5 MB values", db.Prepare("INSERT INTO l2 VALUES (?, ?)").Bind(d1.Text(big[:1500000]), d1.Text(big[:1500000])), d1.LimitValueSize},
		{"computed blob over 2 MB", db.Prepare("SELECT zeroblob(?)").Bind(d1.Int(d1.MaxValueSize + 1)), d1.LimitValueSize},
		{"101 columns", db.Prepare("SELECT " + strings.TrimSuffix(strings.Repeat("1,", 101), ",")), d1.LimitColumns},
		{"query time", db.Prepare("WITH RECURSIVE c(i) AS (SELECT 1 UNION ALL SELECT i+1 FROM c) SELECT count(*) FROM c"), d1.LimitQueryTime},
		{"database size", db.Prepare("INSERT INTO l SELECT randomblob(1000000) FROM (SELECT 1 UNION ALL SELECT 2)"), d1.LimitDatabaseSize},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := tt.stmt.Run(ctx)
			if got := limitOf(err); got != tt.limit {
				t.Fatalf("err = %v; want the %q limit", err, tt.limit)
			}
			if !strings.Contains(err.Error(), tt.limit) {
				t.Errorf("error %q does not name the limit", err)
			}
		})
	}
	// The database still works after each refusal.
	if _, err := db.Prepare("INSERT INTO l VALUES (1)").Run(ctx); err != nil {
		t.Fatalf("insert after the limits: %v", err)
	}
}

func testAuthorizer(t *testing.T, open Open) {
	ctx := context.Background()
	db := fresh(t, open, d1.Options{})
	mustExec(t, db, "CREATE TABLE a (x)")
	refused := []struct{ sql, what string }{
		{"ATTACH DATABASE 'other.db' AS o", "ATTACH"},
		{"DETACH DATABASE main", "DETACH"},
		{"VACUUM INTO 'copy.db'", "VACUUM INTO"},
		{"/* c */ vacuum main into 'copy.db'", "VACUUM INTO"},
		{"VACUUM", "VACUUM"},
		{"SELECT * FROM pragma_journal_mode", "PRAGMA journal_mode"},
		{"PRAGMA main.max_page_count=1", "PRAGMA max_page_count"},
		{"PRAGMA page_size=8192", "PRAGMA page_size"},
		{"PRAGMA data_version", "PRAGMA data_version"},
		{"PRAGMA main.data_version", "PRAGMA data_version"},
		{"SELECT * FROM pragma_data_version", "PRAGMA data_version"},
		{"WITH x AS (SELECT 1) DELETE FROM sqlite_master", "sqlite_master"},
		{"SELECT load_extension('x')", "load_extension"},
		{"PRAGMA journal_mode=DELETE", "PRAGMA journal_mode"},
		{"PRAGMA writable_schema=ON", "PRAGMA writable_schema"},
		{"PRAGMA max_page_count=1", "PRAGMA max_page_count"},
		{"DELETE FROM sqlite_master", "sqlite_master"},
		{"UPDATE sqlite_schema SET sql = ''", "sqlite_schema"},
		{"BEGIN", "BEGIN"},
	}
	for _, tt := range refused {
		t.Run("refuses "+tt.sql, func(t *testing.T) {
			_, err := db.Prepare(tt.sql).Run(ctx)
			var ae *d1.AuthError
			if !errors.As(err, &ae) || !strings.Contains(err.Error(), tt.what) {
				t.Fatalf("err = %v; want an AuthError naming %q", err, tt.what)
			}
			if _, err := db.Exec(ctx, tt.sql); !errors.As(err, &ae) {
				t.Errorf("exec: err = %v; want an AuthError", err)
			}
		})
	}
	allowed := []string{
		"PRAGMA table_list", "PRAGMA table_info(a)", "PRAGMA foreign_keys=ON",
		"PRAGMA defer_foreign_keys=ON", "PRAGMA quick_check",
		"CREATE TABLE b (y)", "CREATE INDEX ai ON a(x)", "DROP TABLE b",
		"SELECT name FROM sqlite_master",
		"SELECT * FROM pragma_table_info('a')",
		"SELECT json_extract('{\"a\":1}', '$.a')",
		"CREATE VIRTUAL TABLE fts USING fts5(body)",
		"INSERT INTO fts VALUES ('hello world')", // FTS5 reads PRAGMA data_version itself
		"SELECT * FROM fts WHERE fts MATCH 'hello'",
		"CREATE VIRTUAL TABLE rt USING rtree(id, minx, maxx)",
		"INSERT INTO rt VALUES (1, 0.5, 2.5)",
		"ANALYZE",
	}
	for _, sql := range allowed {
		t.Run("allows "+sql, func(t *testing.T) {
			if _, err := db.Prepare(sql).All(ctx); err != nil {
				t.Fatalf("%s: %v", sql, err)
			}
		})
	}
}

func testBatch(t *testing.T, open Open) {
	ctx := context.Background()
	db := fresh(t, open, d1.Options{})
	mustExec(t, db, "CREATE TABLE b (id INTEGER PRIMARY KEY, v TEXT NOT NULL)")
	ins := db.Prepare("INSERT INTO b (v) VALUES (?)")
	res, err := db.Batch(ctx, []*d1.Statement{ins.Bind(d1.Text("one")), ins.Bind(d1.Text("two")), db.Prepare("SELECT count(*) AS n FROM b")})
	if err != nil {
		t.Fatal(err)
	}
	if len(res) != 3 || res[1].Meta.LastRowID != 2 {
		t.Fatalf("batch results = %+v", res)
	}
	if v, _ := res[2].Results[0].Get("n"); !v.Equal(d1.Int(2)) {
		t.Errorf("count inside the batch = %v, want 2", v)
	}
	failing := [][]*d1.Statement{
		{ins.Bind(d1.Text("three")), ins.Bind(d1.Null())},                         // constraint
		{ins.Bind(d1.Text("three")), db.Prepare("SELEKT 1")},                      // syntax
		{ins.Bind(d1.Text("three")), db.Prepare("ATTACH 'x' AS y")},               // authorizer
		{ins.Bind(d1.Text("three")), ins.Bind(d1.Text(strings.Repeat("z", 3e6)))}, // limit
	}
	for i, b := range failing {
		if _, err := db.Batch(ctx, b); err == nil {
			t.Fatalf("failing batch %d succeeded", i)
		}
		row, _, err := db.Prepare("SELECT count(*) AS n FROM b").First(ctx, "n")
		if err != nil {
			t.Fatal(err)
		}
		if !row.Values[0].Equal(d1.Int(2)) {
			t.Fatalf("after failing batch %d: %v rows, want 2 (not rolled back)", i, row.Values[0])
		}
	}
	// The writer is usable after a rollback.
	if _, err := db.Batch(ctx, []*d1.Statement{ins.Bind(d1.Text("three"))}); err != nil {
		t.Fatal(err)
	}
}

func testExec(t *testing.T, open Open) {
	ctx := context.Background()
	db := fresh(t, open, d1.Options{})
	tests := []struct {
		sql   string
		count int
		fails bool
	}{
		{"CREATE TABLE e (x); INSERT INTO e VALUES (1); INSERT INTO e VALUES (2);", 3, false},
		{"  -- comment only\n ", 0, false},
		{"INSERT INTO e VALUES ('a;b'); /* ; */ SELECT * FROM e", 2, false},
		{"INSERT INTO e VALUES (3); SELEKT; INSERT INTO e VALUES (4)", 1, true},
	}
	for _, tt := range tests {
		res, err := db.Exec(ctx, tt.sql)
		if (err != nil) != tt.fails || res.Count != tt.count {
			t.Errorf("exec(%q) = %+v, %v; want count %d, fails %v", tt.sql, res, err, tt.count, tt.fails)
		}
	}
	// A TEMP table is visible to the reads that follow.
	if _, err := db.Exec(ctx, "CREATE TEMP TABLE tmp (x); INSERT INTO tmp VALUES (7)"); err != nil {
		t.Fatal(err)
	}
	if row, _, err := db.Prepare("SELECT x FROM tmp").First(ctx, "x"); err != nil || !row.Values[0].Equal(d1.Int(7)) {
		t.Errorf("read of a TEMP table = %v, %v", row, err)
	}
	row, _, err := db.Prepare("SELECT count(*) AS n FROM e").First(ctx, "n")
	if err != nil {
		t.Fatal(err)
	}
	if !row.Values[0].Equal(d1.Int(4)) {
		t.Errorf("rows after exec = %v, want 4 (statements before an error stay)", row.Values[0])
	}
}

func testSessions(t *testing.T, open Open) {
	ctx := context.Background()
	db := fresh(t, open, d1.Options{})
	s, err := db.Session(d1.FirstPrimary)
	if err != nil {
		t.Fatal(err)
	}
	b0 := s.Bookmark()
	if _, err := s.Prepare("CREATE TABLE s (x)").Run(ctx); err != nil {
		t.Fatal(err)
	}
	b1 := s.Bookmark()
	if b1 <= b0 || b1 != db.Bookmark() {
		t.Errorf("bookmark after a write = %s (before %s, db %s)", b1, b0, db.Bookmark())
	}
	s2, err := db.Session(b1)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s2.Prepare("SELECT * FROM s").All(ctx); err != nil {
		t.Errorf("session from a bookmark cannot read what came before it: %v", err)
	}
	for _, bad := range []string{"nonsense", "ffffffffffffffff"} {
		if _, err := db.Session(bad); !errors.Is(err, d1.ErrBadBookmark) {
			t.Errorf("Session(%q) = %v, want ErrBadBookmark", bad, err)
		}
	}
}
