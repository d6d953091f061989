package conformance_test

import (
	"net/http/httptest"
	"testing"

	"github.com/bindery-run/bindery/bindings/durable/objects"
	"github.com/bindery-run/bindery/host/durablehost"
)

// TestPythonDurableNesting holds the Python SDK to what its describe
// declares (reentrant: true): with every object of the class on one
// instance, object a's RPC method relay calls object b, whose method calls
// a back while a waits, so b's event runs nested inside a's host call and
// a's second event inside b's. Each event must keep its state apart: a
// reads back its own storage and in-memory state after the calls, and the
// instance serves plain requests afterwards.
func TestPythonDurableNesting(t *testing.T) {
	if testing.Short() {
		t.Skip("-short: building a Python Worker takes ~20 s")
	}
	wasm := buildOrSkip(t, "python", func() (string, error) {
		return pythonBuilder("conformance/python/worker.py")(t, t.TempDir())
	})
	var dh *durablehost.Host
	w, _ := newWorker(t, "python-nesting", wasm, durableGrantWith(t, objects.Config{SpreadInstances: 1}, &dh))
	steps := []struct {
		name, method, path, want string
	}{
		{"a fetch", "POST", "/do/a/fetch", `{"name":"a","method":"POST","body":"","fetches":1}`},
		{"a relays to b, b calls a back", "GET", "/do/a/relay/b", `{"got":"back from b","mine":"mine","fetches":1}`},
		{"again", "GET", "/do/a/relay/b", `{"got":"back from b","mine":"mine","fetches":1}`},
		{"b relays to a", "GET", "/do/b/relay/a", `{"got":"back from a","mine":"mine","fetches":0}`},
		{"a fetch after", "POST", "/do/a/fetch", `{"name":"a","method":"POST","body":"","fetches":2}`},
	}
	for _, s := range steps {
		rec := httptest.NewRecorder()
		w.ServeHTTP(rec, httptest.NewRequest(s.method, s.path, nil))
		if rec.Code != 200 {
			t.Errorf("%s: %s %s: status %d: %s", s.name, s.method, s.path, rec.Code, rec.Body)
			continue
		}
		var match map[string]string
		if s.method == "POST" {
			match = map[string]string{"id": `^[0-9a-f]{64}$`}
		}
		checkJSON(t, s.name, rec.Body.Bytes(), s.want, match)
	}
	if st := dh.Manager().Stats(); st.Instances != 1 || st.Objects != 2 {
		t.Errorf("manager: %d instances, %d objects; want both objects on 1 instance (else nothing nested)", st.Instances, st.Objects)
	}
}
