package conformance_test

import (
	"encoding/json"
	"maps"
	"net/http/httptest"
	"slices"
	"strings"
	"testing"

	"github.com/bindery-run/bindery/host"
	"github.com/bindery-run/bindery/internal/testutil"
)

// TestSDKErrors holds every SDK but Go's (TestGoSDKFailures) and Rust's
// (whose &str is UTF-8 and whose numbers are the WIT's own unsigned types)
// to what it must do with input the host could not take: a string that is
// not UTF-8 (C and Zig: any bytes; JavaScript and AssemblyScript: a lone
// surrogate; Python: a surrogate-escaped str) and, where the language's
// numbers are wider than the WIT's, a number out of range (a negative TTL,
// a list limit over 32 bits). Each conformance Worker's GET /sdk-errors
// calls its SDK with such input wherever the SDK passes a string or a
// number on, and answers a JSON object: for each call "" when it failed
// with the SDK's typed error before reaching the host, else what happened.
// Any of them reaching the host would trap: the request would fail and
// the instance would be discarded, which the test checks did not happen.
func TestSDKErrors(t *testing.T) {
	tests := []struct {
		lang string
		// min is how many checks /sdk-errors must run at least: one for
		// every kind of string (or number) the SDK passes on.
		min int
		// extra are more requests, for what /sdk-errors cannot check from
		// inside one response.
		extra []step
	}{
		{lang: "c", min: 36, extra: []step{
			// An int status that a cast to u16 would wrap into 200.
			{name: "status that would wrap", method: "GET", path: "/status-wrap", status: 500, absent: "must not", logged: []string{failedRecord, "invalid status 65736"}},
		}},
		{lang: "zig", min: 36},
		{lang: "assemblyscript", min: 31},
		{lang: "js", min: 38},
		{lang: "python", min: 31, extra: []step{
			// A status a u16 cannot hold: the SDK raises, the request fails, the instance stays.
			{name: "status out of range", method: "GET", path: "/status-wrap", status: 500, absent: "must not", logged: []string{failedRecord, "status 65736 is not 100 to 599"}},
		}},
	}
	for _, tt := range tests {
		i := slices.IndexFunc(languages, func(l language) bool { return l.name == tt.lang })
		if i < 0 {
			t.Fatalf("no language %s", tt.lang)
		}
		lang := languages[i]
		t.Run(lang.name, func(t *testing.T) {
			wasm := buildOrSkip(t, lang.name, func() (string, error) { return lang.build(t, t.TempDir()) })
			logs := &testutil.SyncBuffer{}
			// D1 "DB" is granted so that the D1 calls get as far as their SQL,
			// values and bookmarks.
			w, _ := newWorker(t, lang.name, wasm, logTo(t, logs), func(c *host.WorkerConfig) {
				_, b := d1DB(t, t.TempDir())
				c.Bindings = append(c.Bindings, b)
			})
			rec := httptest.NewRecorder()
			w.ServeHTTP(rec, httptest.NewRequest("GET", "/sdk-errors", nil))
			var got map[string]string
			if err := json.Unmarshal(rec.Body.Bytes(), &got); rec.Code != 200 || err != nil {
				t.Fatalf("GET /sdk-errors: %d %s (%v)", rec.Code, show(rec.Body.Bytes()), err)
			}
			if len(got) < tt.min {
				t.Errorf("only %d checks ran, want %d or more: %v", len(got), tt.min, slices.Sorted(maps.Keys(got)))
			}
			for _, name := range slices.Sorted(maps.Keys(got)) {
				if got[name] != "" {
					t.Errorf("%s: %s", name, got[name])
				}
			}
			checkLogs(t, step{name: "sdk errors", method: "GET", path: "/sdk-errors"}, logs.String())
			if d := w.Stats().Discarded; d != 0 {
				t.Errorf("%d instances discarded: a call reached the host and trapped", d)
			}
			for _, s := range tt.extra {
				logs.Reset()
				rec := httptest.NewRecorder()
				w.ServeHTTP(rec, httptest.NewRequest(s.method, s.path, nil))
				if rec.Code != s.status || (s.absent != "" && strings.Contains(rec.Body.String(), s.absent)) {
					t.Errorf("%s: %s %s: %d %s", s.name, s.method, s.path, rec.Code, show(rec.Body.Bytes()))
				}
				checkLogs(t, s, logs.String())
				if d := w.Stats().Discarded; d != 0 {
					t.Errorf("%s: %s %s: the instance was discarded", s.name, s.method, s.path)
				}
			}
		})
	}
}
