package conformance_test

import (
	"testing"

	"github.com/bindery-run/bindery/internal/testutil"
)

// The Go Worker (conformance/go) builds with the Go toolchain running the
// tests, so it is never skipped.
func init() {
	languages = append(languages, language{
		name: "go",
		build: func(t *testing.T, dir string) (string, error) {
			return testutil.BuildGoGuest(t, "conformance/go"), nil
		},
	})
}
