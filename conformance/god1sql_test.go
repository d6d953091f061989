package conformance_test

import (
	"encoding/json"
	"net/http/httptest"
	"testing"

	"github.com/bindery-run/bindery/host"
	"github.com/bindery-run/bindery/internal/testutil"
)

// TestGoD1SQL holds the Go SDK's database/sql driver (bindery/d1sql) to
// its documented semantics inside a real Go guest: every argument type
// (a bool as 1, a time as RFC 3339 text in UTC, ?NNN out of order, a nil
// pointer as NULL, 2^53+1 whole), LastInsertId and RowsAffected from
// D1's meta, a prepared statement run twice, and typed errors for what D1
// cannot do (transactions, named parameters, unsupported types, a
// cancelled context, an ungranted binding). GET /d1-sql answers a JSON
// object: "" for each check that held, else what happened.
func TestGoD1SQL(t *testing.T) {
	w, _ := newWorker(t, "gosdk-d1sql", testutil.BuildGoGuest(t, "conformance/gosdk"), func(c *host.WorkerConfig) {
		_, b := d1DB(t, t.TempDir())
		c.Bindings = append(c.Bindings, b)
	})
	rec := httptest.NewRecorder()
	w.ServeHTTP(rec, httptest.NewRequest("GET", "/d1-sql", nil))
	var got map[string]string
	if err := json.Unmarshal(rec.Body.Bytes(), &got); rec.Code != 200 || err != nil {
		t.Fatalf("GET /d1-sql: %d %s (%v)", rec.Code, show(rec.Body.Bytes()), err)
	}
	if len(got) < 20 {
		t.Errorf("only %d checks ran: %v", len(got), got)
	}
	for name, problem := range got {
		if problem != "" {
			t.Errorf("%s: %s", name, problem)
		}
	}
	if d := w.Stats().Discarded; d != 0 {
		t.Errorf("%d instances discarded: a call trapped", d)
	}
}
