package s3_test

import (
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"

	"github.com/bindery-run/bindery/bindings/r2"
	"github.com/bindery-run/bindery/bindings/r2/s3"
	"github.com/bindery-run/bindery/internal/badgerdb"
)

// Serve a store's buckets to S3 clients. Requests must be signed with the
// credentials; an unsigned one is refused.
func ExampleNewHandler() {
	dir, _ := os.MkdirTemp("", "s3-example")
	defer os.RemoveAll(dir)
	db, _ := badgerdb.Open(filepath.Join(dir, "db"), nil)
	defer db.Close()
	store, _ := r2.Open(filepath.Join(dir, "r2"), db, r2.Options{})
	defer store.Close()

	creds, _ := s3.NewCredentials()
	srv := httptest.NewServer(s3.NewHandler(store, s3.Options{Credentials: []s3.Credentials{creds}}))
	defer srv.Close()

	resp, _ := http.Get(srv.URL + "/files/hello.txt")
	resp.Body.Close()
	fmt.Println(resp.StatusCode, len(creds.AccessKeyID), len(creds.SecretAccessKey))
	// Output: 403 32 64
}
