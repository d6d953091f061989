package bindery

import (
	"net/http"
	"sort"
	"strings"
	"testing"
)

func TestHeaderTables(t *testing.T) {
	if !sort.StringsAreSorted(canonNames[:]) || !sort.StringsAreSorted(lowerNames[:]) {
		t.Fatal("header tables are not sorted")
	}
	for i, k := range canonNames {
		if http.CanonicalHeaderKey(k) != k {
			t.Errorf("%q is not canonical", k)
		}
		if got := canonicalKey(lowerNames[i]); got != k {
			t.Errorf("canonicalKey(%q) = %q, want %q", lowerNames[i], got, k)
		}
		if got := lowerKey(k); got != lowerNames[i] {
			t.Errorf("lowerKey(%q) = %q", k, got)
		}
	}
	for _, c := range []struct{ lower, canon string }{
		{"x-custom-thing", "X-Custom-Thing"},
		{"a", "A"},
		{"accepted", "Accepted"},
		{"zz-top", "Zz-Top"},
		{"", ""},
	} {
		if got := canonicalKey(c.lower); got != c.canon {
			t.Errorf("canonicalKey(%q) = %q, want %q", c.lower, got, c.canon)
		}
		if got := lowerKey(c.canon); got != strings.ToLower(c.canon) {
			t.Errorf("lowerKey(%q) = %q", c.canon, got)
		}
	}
}
