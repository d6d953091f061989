package r2test

import (
	"context"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/bindery-run/bindery/bindings/r2"
	"github.com/bindery-run/bindery/internal/badgerdb"
)

// fuzzAlphabet builds the fuzz keys: few symbols, so prefixes, delimiters
// and start-after keys collide often.
var fuzzAlphabet = []string{"a", "b", "/", "-", "é"}

// fuzzKeys returns every key of 1 to 3 symbols, plus five odd ones: 160
// keys in all.
func fuzzKeys() []string {
	keys := []string{"\x00", "a\x00", "\x7f", "ü/x", "a//b/c"}
	var grow func(prefix string, depth int)
	grow = func(prefix string, depth int) {
		for _, s := range fuzzAlphabet {
			keys = append(keys, prefix+s)
			if depth > 1 {
				grow(prefix+s, depth-1)
			}
		}
	}
	grow("", 3)
	return keys
}

// FuzzList compares List, paged to the end, against modelList over a
// fixed set of keys, for fuzzed prefix, delimiter, start-after, limit and
// up to two extra keys.
func FuzzList(f *testing.F) {
	ctx := context.Background()
	dir := f.TempDir()
	db, err := badgerdb.Open(filepath.Join(dir, "db"), nil)
	if err != nil {
		f.Fatal(err)
	}
	f.Cleanup(func() { db.Close() })
	s, err := r2.Open(filepath.Join(dir, "r2"), db, r2.Options{})
	if err != nil {
		f.Fatal(err)
	}
	f.Cleanup(func() { s.Close() })
	if err := s.CreateBucket(ctx, "fuzz"); err != nil {
		f.Fatal(err)
	}
	b, _ := s.Bucket(ctx, "fuzz")
	base := fuzzKeys()
	putKeys(f, b, base)

	f.Add("", "", "", 0, "", "")
	f.Add("", "/", "", 1, "", "")
	f.Add("a", "/", "", 2, "", "")
	f.Add("a/", "/", "a/a", 3, "", "")
	f.Add("", "-", "b", 1, "b-x", "")
	f.Add("", "a/", "", 4, "", "")
	f.Add("é", "é", "", 1, "éé/é", "é\x00")
	f.Add("", "/", "a/", 5, "a/\xff", "")
	f.Add("b", "", "b/b/", 7, "", "")
	f.Add("", "//", "", 1, "a///", "")
	f.Fuzz(func(t *testing.T, prefix, delim, startAfter string, limit int, extra1, extra2 string) {
		if limit < 0 || limit > 1000 {
			limit = (limit%1000 + 1000) % 1000
		}
		keys := slices.Clone(base)
		var added []string
		for _, k := range []string{extra1, extra2} {
			if k == "" || len(k) > 64 || !utf8.ValidString(k) || slices.Contains(keys, k) {
				continue
			}
			if _, err := b.Put(ctx, k, strings.NewReader(k), r2.PutOptions{}); err != nil {
				t.Fatal(err)
			}
			keys = append(keys, k)
			added = append(added, k)
		}
		defer func() {
			if err := b.Delete(ctx, added...); err != nil {
				t.Fatal(err)
			}
		}()
		slices.Sort(keys)
		o := r2.ListOptions{Prefix: prefix, Delimiter: delim, StartAfter: startAfter, Limit: limit}
		var prev *modelPage
		for page := 0; ; page++ {
			if page > len(keys)+1 {
				t.Fatal("List does not terminate")
			}
			res, err := b.List(ctx, o)
			if err != nil {
				t.Fatalf("List(%+v): %v", o, err)
			}
			want := modelList(keys, o, prev)
			var got []string
			for _, obj := range res.Objects {
				got = append(got, obj.Key)
			}
			if !slices.Equal(got, want.keys) || !slices.Equal(res.DelimitedPrefixes, want.prefixes) || res.Truncated != want.truncated {
				t.Fatalf("List(%+v) page %d = %q %q truncated %v; model %q %q truncated %v",
					o, page, got, res.DelimitedPrefixes, res.Truncated, want.keys, want.prefixes, want.truncated)
			}
			if !res.Truncated {
				return
			}
			o.Cursor, prev = res.Cursor, &want
		}
	})
}
