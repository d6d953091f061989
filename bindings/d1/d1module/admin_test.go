package d1module

import (
	"context"
	"encoding/json"
	"errors"
	"math"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"testing"

	"github.com/bindery-run/bindery/bindings"
	"github.com/bindery-run/bindery/bindings/d1"
	"github.com/bindery-run/bindery/internal/admin"
)

const testToken = "secret"

// adminRoutes converts module routes to admin routes.
func adminRoutes(rs []bindings.Route) []admin.Route {
	out := make([]admin.Route, len(rs))
	for i, r := range rs {
		out[i] = admin.Route{Pattern: r.Pattern, Handler: r.Handler}
	}
	return out
}

// values are SQL values of every kind, with the awkward ones.
var values = []d1.Value{
	d1.Null(),
	d1.Int(0), d1.Int(math.MaxInt64), d1.Int(math.MinInt64), d1.Int(9007199254740993),
	d1.Real(1), d1.Real(-0.5), d1.Real(1e300), d1.Real(5e-324), d1.Real(math.Inf(1)), d1.Real(math.Inf(-1)),
	d1.Text(""), d1.Text("it's \"quoted\"\n\ttabbed"), d1.Text("nul\x00inside"), d1.Text("bad utf-8 \xff\xfe"), d1.Text("é 日本"),
	d1.Blob(nil), d1.Blob([]byte{0, 1, 0xff}),
}

// TestValueWire sends every kind of value through the wire form and back.
func TestValueWire(t *testing.T) {
	for _, v := range values {
		b, err := json.Marshal(Value{v})
		if err != nil {
			t.Fatalf("%v: %v", v, err)
		}
		var got Value
		if err := json.Unmarshal(b, &got); err != nil {
			t.Fatalf("%v: %s: %v", v, b, err)
		}
		if !got.Equal(v) {
			t.Errorf("%v went as %s and came back as %v", v, b, got.Value)
		}
	}
	for _, bad := range []string{`["integer","1.5"]`, `["blob","!!"]`, `["date","x"]`, `[1,2]`, `"text"`} {
		var v Value
		if err := json.Unmarshal([]byte(bad), &v); err == nil {
			t.Errorf("%s decoded as %v, want an error", bad, v.Value)
		}
	}
}

// TestSQLLiteral reads every literal back through the engine: the same
// value, of the same storage class.
func TestSQLLiteral(t *testing.T) {
	ctx := context.Background()
	db, err := d1.OpenMemory(ctx, d1.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	for _, v := range values {
		lit := SQLLiteral(v)
		row, ok, err := db.Prepare("SELECT "+lit+" AS v").First(ctx, "")
		if err != nil || !ok {
			t.Fatalf("%s: %v", lit, err)
		}
		if got := row.Values[0]; !got.Equal(v) {
			t.Errorf("%v as %s reads back as %v", v, lit, got)
		}
	}
}

// TestScriptRoute runs scripts through the admin API: results and
// values cross intact, a failing statement comes back as a
// *d1.ScriptError with its offset, an unknown database is a 404.
func TestScriptRoute(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "x.sqlite")
	db, err := d1.Open(ctx, path, d1.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	srv := httptest.NewServer(admin.Handler(adminRoutes(Routes(map[string]*d1.Database{"x": db})), testToken))
	defer srv.Close()
	c := NewClient(srv.URL, testToken, nil)

	dbs, err := c.Databases(ctx)
	if err != nil || len(dbs) != 1 || dbs[0] != (DatabaseInfo{ID: "x", Path: path}) {
		t.Fatalf("Databases = %v, %v", dbs, err)
	}
	params := make([]d1.Value, 0, len(values))
	marks := ""
	for i, v := range values {
		params = append(params, v)
		if i > 0 {
			marks += ","
		}
		marks += "?"
	}
	res, err := c.Script(ctx, "x", "CREATE TABLE t(a);\nINSERT INTO t VALUES (1)", []Stmt{{SQL: "SELECT " + marks, Params: params}})
	if err != nil {
		t.Fatal(err)
	}
	if len(res) != 3 || res[1].Meta.Changes != 1 || len(res[2].Results) != 1 {
		t.Fatalf("results %+v", res)
	}
	for i, v := range res[2].Results[0].Values {
		if !v.Equal(values[i]) {
			t.Errorf("value %d: %v came back as %v", i, values[i], v)
		}
	}

	script := "INSERT INTO t VALUES (2);\n  SELECT * FROM nope;"
	_, err = c.Script(ctx, "x", script, nil)
	var se *d1.ScriptError
	if !errors.As(err, &se) || se.Statement != 2 {
		t.Fatalf("err = %v, want a ScriptError for statement 2", err)
	}
	if line, col, _ := se.Position(script); line != 2 || col != 3 || se.Err.Error() != "D1_ERROR: no such table: nope: SQLITE_ERROR" {
		t.Errorf("error at %d:%d: %q", line, col, se.Err)
	}
	row, _, err := db.Prepare("SELECT count(*) FROM t").First(ctx, "")
	if err != nil || row.Values[0].Int != 1 {
		t.Errorf("t has %v rows (%v), want 1: the failed script is rolled back", row.Values, err)
	}

	var apiErr *admin.Error
	if _, err := c.Script(ctx, "nope", "SELECT 1", nil); !errors.As(err, &apiErr) || apiErr.Status != http.StatusNotFound {
		t.Errorf("unknown database: %v, want 404", err)
	}
	if _, err := NewClient(srv.URL, "wrong", nil).Script(ctx, "x", "SELECT 1", nil); !errors.As(err, &apiErr) || apiErr.Status != http.StatusUnauthorized {
		t.Errorf("wrong token: %v, want 401", err)
	}
}

// TestDisplayValue: a table shows each value on one line, a real with
// its point, a blob as X'..'.
func TestDisplayValue(t *testing.T) {
	tests := []struct {
		v    d1.Value
		want string
	}{
		{d1.Null(), "NULL"},
		{d1.Int(-9223372036854775808), "-9223372036854775808"},
		{d1.Real(1), "1.0"},
		{d1.Real(math.Inf(-1)), "-Inf"},
		{d1.Text("a\tb\nc\rd\x00e\xffé"), `a\tb\nc\rd\x00e\xffé`},
		{d1.Blob([]byte{0xab, 1}), "X'AB01'"},
	}
	for _, tc := range tests {
		if got := displayValue(tc.v); got != tc.want {
			t.Errorf("displayValue(%v) = %q, want %q", tc.v, got, tc.want)
		}
	}
}
