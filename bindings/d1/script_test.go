package d1_test

import (
	"context"
	"errors"
	"path/filepath"
	"testing"

	"github.com/bindery-run/bindery/bindings/d1"
)

// TestExecScript runs scripts in one transaction: a good one takes
// effect with a result per statement; a failing one leaves nothing
// behind and says which statement failed and where it starts.
func TestExecScript(t *testing.T) {
	ctx := context.Background()
	db, err := d1.Open(ctx, filepath.Join(t.TempDir(), "s.sqlite"), d1.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if _, err := db.ExecScript(ctx, "CREATE TABLE t(a);"); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name     string
		script   string
		then     []*d1.Statement
		wantErr  error
		stmt     int // the failing statement
		line     int // its line, 0 for none
		col      int
		wantRows int64 // rows in t afterwards
		results  int
	}{
		{name: "ok", script: "INSERT INTO t VALUES (1);\n-- c\nINSERT INTO t VALUES (2); SELECT * FROM t", wantRows: 2, results: 3},
		{name: "comments only", script: "-- nothing\n/* at all */", wantRows: 2},
		{name: "then", script: "INSERT INTO t VALUES (3)", then: []*d1.Statement{db.Prepare("INSERT INTO t VALUES (?)").Bind(d1.Int(4))}, wantRows: 4, results: 2},
		{name: "second fails", script: "INSERT INTO t VALUES (5);\n\n  /* x */ -- y\n  INSERT INTO nope VALUES (1);\nINSERT INTO t VALUES (6);", stmt: 2, line: 4, col: 3, wantRows: 4},
		{name: "syntax error", script: "INSERT INTO t VALUES (5);\nINSERT INTO t VALUES (;", stmt: 2, line: 2, col: 1, wantRows: 4},
		{name: "refused", script: "INSERT INTO t VALUES (5);\nBEGIN;", wantErr: new(d1.AuthError), stmt: 2, line: 2, col: 1, wantRows: 4},
		{name: "then fails", script: "INSERT INTO t VALUES (5)", then: []*d1.Statement{db.Prepare("INSERT INTO nope VALUES (1)")}, stmt: 2, wantRows: 4},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			res, err := db.ExecScript(ctx, tc.script, tc.then...)
			var se *d1.ScriptError
			switch {
			case tc.stmt == 0 && err != nil:
				t.Fatalf("ExecScript: %v", err)
			case tc.stmt == 0 && len(res) != tc.results:
				t.Errorf("%d results, want %d", len(res), tc.results)
			case tc.stmt != 0 && !errors.As(err, &se):
				t.Fatalf("err = %v, want a *ScriptError", err)
			case tc.stmt != 0:
				if se.Statement != tc.stmt {
					t.Errorf("statement %d, want %d (%v)", se.Statement, tc.stmt, err)
				}
				line, col, ok := se.Position(tc.script)
				if ok != (tc.line != 0) || line != tc.line || col != tc.col {
					t.Errorf("position %d:%d (%v), want %d:%d", line, col, ok, tc.line, tc.col)
				}
				var ae *d1.AuthError
				if tc.wantErr != nil && !errors.As(err, &ae) {
					t.Errorf("err = %v, want an AuthError", err)
				}
			}
			row, _, err := db.Prepare("SELECT count(*) AS n FROM t").First(ctx, "n")
			if err != nil {
				t.Fatal(err)
			}
			if n := row.Values[0].Int; n != tc.wantRows {
				t.Errorf("t has %d rows, want %d", n, tc.wantRows)
			}
		})
	}
	// Only a script that changes something is a new bookmark.
	b := db.Bookmark()
	if _, err := db.ExecScript(ctx, "SELECT * FROM t; SELECT 1"); err != nil || db.Bookmark() != b {
		t.Errorf("a script of reads: %v, bookmark %s → %s", err, b, db.Bookmark())
	}
	if _, err := db.ExecScript(ctx, "SELECT 1; DELETE FROM t"); err != nil || db.Bookmark() == b {
		t.Errorf("a script that writes: %v, bookmark stays %s", err, b)
	}
	db.Close()
	if _, err := db.ExecScript(ctx, "SELECT 1"); !errors.Is(err, d1.ErrClosed) {
		t.Errorf("after Close: %v", err)
	}
}
