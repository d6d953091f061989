package s3_test

import (
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"sync"
	"testing"

	"github.com/bindery-run/bindery/bindings/r2"
	"github.com/bindery-run/bindery/bindings/r2/s3"
	"github.com/bindery-run/bindery/internal/badgerdb"
)

// testCreds are the credentials of every test server.
var testCreds = s3.Credentials{AccessKeyID: "testkey0123456789", SecretAccessKey: "testsecret0123456789abcdef"}

// newStore opens a store on a temporary directory.
func newStore(t testing.TB, opts r2.Options) *r2.Store {
	t.Helper()
	dir := t.TempDir()
	db, err := badgerdb.Open(filepath.Join(dir, "db"), nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = db.Close() })
	st, err := r2.Open(filepath.Join(dir, "r2"), db, opts)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = st.Close() })
	return st
}

// payloadModes records the x-amz-content-sha256 values a server saw.
type payloadModes struct {
	mu   sync.Mutex
	seen map[string]int
}

func (p *payloadModes) wrap(h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		v := r.Header.Get("X-Amz-Content-Sha256")
		if len(v) == 64 {
			v = "<hex>"
		}
		if v == "" && r.URL.Query().Has("X-Amz-Signature") {
			v = "<presigned>"
		}
		p.mu.Lock()
		if p.seen == nil {
			p.seen = map[string]int{}
		}
		p.seen[v]++
		p.mu.Unlock()
		h.ServeHTTP(w, r)
	})
}

func (p *payloadModes) saw(mode string) bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.seen[mode] > 0
}

// server is an S3 endpoint over a fresh store.
type server struct {
	*httptest.Server
	store *r2.Store
	modes *payloadModes
}

// newServer starts an S3 server (TLS when tls) over a new store with R2's
// limits.
func newServer(t testing.TB, tls bool) *server {
	t.Helper()
	return newServerWith(t, tls, r2.Options{})
}

// newServerWith is newServer over a store opened with opts.
func newServerWith(t testing.TB, tls bool, opts r2.Options) *server {
	t.Helper()
	st := newStore(t, opts)
	modes := &payloadModes{}
	h := modes.wrap(s3.NewHandler(st, s3.Options{Credentials: []s3.Credentials{testCreds}}))
	var srv *httptest.Server
	if tls {
		srv = httptest.NewTLSServer(h)
	} else {
		srv = httptest.NewServer(h)
	}
	t.Cleanup(srv.Close)
	return &server{Server: srv, store: st, modes: modes}
}
