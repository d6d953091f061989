package conformance_test

import (
	"bytes"
	"context"
	"encoding/json"
	"net/http/httptest"
	"path/filepath"
	"reflect"
	"regexp"
	"testing"

	"github.com/bindery-run/bindery/bindings/d1"
	"github.com/bindery-run/bindery/host"
)

// # The D1 section of the conformance Worker
//
// Binding: D1 "DB", a fresh SQLite file. Every route answers 200 with a
// JSON object (or array) that the suite compares by value, not by bytes.
// The Worker renders what its SDK returns so that every language answers
// the same: an integer as its decimal text (so 2^53+1 must arrive whole),
// a real as a JSON number, text as a string, a blob as lower-case hex,
// NULL as null. An error is the message of the SDK's error, which carries
// the host's text.
//
//	POST /d1/setup   exec("DROP TABLE IF EXISTS t; CREATE TABLE t (id INTEGER PRIMARY KEY,
//	                 name TEXT NOT NULL, n INTEGER, r REAL, b BLOB)")
//	                 -> {"count": <exec's count>}
//	POST /d1/insert  prepare("INSERT INTO t (name, n, r, b) VALUES (?1, ?2, ?3, ?4)")
//	                 .bind("héllo", 9007199254740993, 1.5, bytes 00 01 ff).run()
//	                 -> {"success", "changes", "last_row_id", "rows_written", "changed_db"} of
//	                 the result and its meta
//	GET  /d1/row     prepare("SELECT id, name, n, r, b, NULL AS z FROM t WHERE id = ?").bind(1).first()
//	                 -> the row: {"id","name","n","r","b","z"}
//	GET  /d1/first   {"name": first("name") of "SELECT name FROM t WHERE id = 1",
//	                  "none": first() of "SELECT * FROM t WHERE id = 999" (null)}
//	GET  /d1/raw     raw({columnNames: true}) of "SELECT id, name FROM t ORDER BY id"
//	POST /d1/batch   batch([INSERT name 'a', INSERT name 'b', "SELECT count(*) AS c FROM t"])
//	                 -> {"results": <number of results>, "count": c of the third}
//	POST /d1/batch-fail  batch(["INSERT INTO t (id, name) VALUES (10, 'x')",
//	                 "INSERT INTO t (id, name) VALUES (1, 'dup')"]) fails
//	                 -> {"error": <its message>, "count": count(*) after it}: the first
//	                 insert was rolled back with the batch
//	GET  /d1/errors  {"sql": message of "SELECT * FROM nope",
//	                  "refused": message of "ATTACH DATABASE 'x.db' AS x",
//	                  "params": message of "SELECT ?,?,...?" (101 parameters) bound to 101 integers}
//	GET  /d1/session withSession("first-primary"): {"count": first("c") of
//	                 "SELECT count(*) AS c FROM t", "bookmark": getBookmark()}

// d1Step is one D1 request and the JSON it must answer.
type d1Step struct {
	name, method, path string
	// want is the answer, compared by value after the match fields are
	// taken out.
	want string
	// match holds fields checked by a regular expression instead.
	match map[string]string
}

var d1Steps = []d1Step{
	{"setup", "POST", "/d1/setup", `{"count":2}`, nil},
	{"insert", "POST", "/d1/insert", `{"success":true,"changes":1,"last_row_id":1,"rows_written":1,"changed_db":true}`, nil},
	{"row", "GET", "/d1/row", `{"id":"1","name":"héllo","n":"9007199254740993","r":1.5,"b":"0001ff","z":null}`, nil},
	{"first", "GET", "/d1/first", `{"name":"héllo","none":null}`, nil},
	{"raw", "GET", "/d1/raw", `[["id","name"],["1","héllo"]]`, nil},
	{"batch", "POST", "/d1/batch", `{"results":3,"count":"3"}`, nil},
	{"batch fail", "POST", "/d1/batch-fail", `{"count":"3"}`, map[string]string{"error": `UNIQUE constraint failed: t\.id`}},
	{"errors", "GET", "/d1/errors", `{}`, map[string]string{
		"sql":     `no such table: nope`,
		"refused": `ATTACH`,
		"params":  `\b100\b`,
	}},
	{"session", "GET", "/d1/session", `{"count":"3"}`, map[string]string{"bookmark": `^[0-9a-f]{16}$`}},
}

// d1DB opens the conformance Worker's D1 database in the state directory
// dir and grants it as "DB".
func d1DB(t *testing.T, dir string) (*d1.Database, host.Binding) {
	t.Helper()
	db, err := d1.Open(context.Background(), filepath.Join(dir, "d1.sqlite"), d1.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	return db, d1.NewBinding(map[string]*d1.Database{"DB": db})
}

// runD1 runs the D1 section against w and checks what it left in db.
func runD1(t *testing.T, w *host.Worker, db *d1.Database) {
	t.Helper()
	for _, s := range d1Steps {
		rec := httptest.NewRecorder()
		w.ServeHTTP(rec, httptest.NewRequest(s.method, s.path, nil))
		got := rec.Body.Bytes()
		if rec.Code != 200 {
			t.Errorf("d1 %s: %s %s: status %d, want 200 (body %s)", s.name, s.method, s.path, rec.Code, show(got))
			continue
		}
		if err := matchJSON(got, s.want, s.match); err != "" {
			t.Errorf("d1 %s: %s %s: %s", s.name, s.method, s.path, err)
		}
	}
	// What the Worker wrote is in the database file.
	row, ok, err := db.Prepare("SELECT count(*) AS c, sum(n = 9007199254740993) AS big FROM t").First(context.Background(), "")
	if err != nil || !ok || !reflect.DeepEqual(row.Values, []d1.Value{d1.Int(3), d1.Int(1)}) {
		t.Errorf("d1 state: count and big = %v %v %v, want 3 rows, one with n = 2^53+1", row.Values, ok, err)
	}
}

// matchJSON compares got to want by value, after checking and taking out
// the object fields in match by regular expression. It returns what
// differs, "" when nothing does.
func matchJSON(got []byte, want string, match map[string]string) string {
	var g, w any
	dec := json.NewDecoder(bytes.NewReader(got))
	dec.UseNumber()
	if err := dec.Decode(&g); err != nil {
		return "body " + show(got) + " is not JSON: " + err.Error()
	}
	dec = json.NewDecoder(bytes.NewReader([]byte(want)))
	dec.UseNumber()
	if err := dec.Decode(&w); err != nil {
		panic("d1 step want is not JSON: " + want)
	}
	if obj, ok := g.(map[string]any); ok {
		for k, re := range match {
			s, _ := obj[k].(string)
			if !regexp.MustCompile(re).MatchString(s) {
				return "body " + show(got) + ": field " + k + " does not match " + re
			}
			delete(obj, k)
		}
	} else if len(match) > 0 {
		return "body " + show(got) + " is not a JSON object"
	}
	if !jsonEqual(g, w) {
		return "body " + show(got) + ", want " + want
	}
	return ""
}

// jsonEqual is reflect.DeepEqual with numbers compared by value (1.5 and
// 1.50 are the same number).
func jsonEqual(a, b any) bool {
	switch a := a.(type) {
	case json.Number:
		b, ok := b.(json.Number)
		if !ok {
			return false
		}
		x, err1 := a.Float64()
		y, err2 := b.Float64()
		return err1 == nil && err2 == nil && x == y
	case map[string]any:
		b, ok := b.(map[string]any)
		if !ok || len(a) != len(b) {
			return false
		}
		for k, v := range a {
			if w, ok := b[k]; !ok || !jsonEqual(v, w) {
				return false
			}
		}
		return true
	case []any:
		b, ok := b.([]any)
		if !ok || len(a) != len(b) {
			return false
		}
		for i := range a {
			if !jsonEqual(a[i], b[i]) {
				return false
			}
		}
		return true
	}
	return reflect.DeepEqual(a, b)
}
