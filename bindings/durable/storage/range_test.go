package storage

import (
	"errors"
	"strings"
	"testing"
)

// FuzzListRange checks compileRange against the plain meaning of the
// list options: a key is in the range exactly when it is at or after
// Start, after StartAfter, before End and begins with Prefix.
func FuzzListRange(f *testing.F) {
	f.Add("a", "", "b", "a", uint8(1), "a\nab\nb\n\xff")
	f.Add("", "ab", "", "ab", uint8(2), "ab\nab\x00\nabc\nac")
	f.Add("", "", "", "\xff\xff", uint8(4), "\xff\xff\n\xff\xff\xff\n\xff")
	f.Add("b\xff", "", "c", "b\xff", uint8(5), "b\xff\nb\xff\x00\nc")
	f.Fuzz(func(t *testing.T, start, startAfter, end, prefix string, flags uint8, keys string) {
		var o ListOptions
		if flags&1 != 0 {
			o.Start = &start
		}
		if flags&2 != 0 {
			o.StartAfter = &startAfter
		}
		if flags&4 != 0 {
			o.End = &end
		}
		o.Prefix = prefix
		r, err := compileRange(o)
		if o.Start != nil && o.StartAfter != nil {
			if !errors.Is(err, ErrStartAndStartAfter) {
				t.Fatalf("start and startAfter: %v", err)
			}
			return
		}
		if err != nil {
			t.Fatal(err)
		}
		// The keys given, and the ones at the edges of the options.
		cands := strings.Split(keys, "\n")
		for _, s := range []string{start, startAfter, end, prefix} {
			cands = append(cands, s, s+"\x00", s+"\xff", strings.TrimSuffix(s, s[max(len(s)-1, 0):]))
			if p, ok := prefixEnd(s); ok {
				cands = append(cands, p)
			}
		}
		for _, k := range cands {
			in := (o.Start == nil || k >= *o.Start) && (o.StartAfter == nil || k > *o.StartAfter) &&
				(o.End == nil || k < *o.End) && strings.HasPrefix(k, o.Prefix)
			if got := r.contains(k); got != in {
				t.Fatalf("options %+v (start %q, startAfter %q, end %q): range [%q, %v) empty=%v contains %q = %v, want %v",
					o, start, startAfter, end, r.lo, r.hi, r.empty, k, got, in)
			}
		}
	})
}

func TestPrefixEnd(t *testing.T) {
	tests := []struct {
		p, want string
		ok      bool
	}{
		{"a", "b", true},
		{"ab", "ac", true},
		{"a\xff", "b", true},
		{"a\xff\xff", "b", true},
		{"\xff", "", false},
		{"\xfe\xff", "\xff", true},
	}
	for _, tt := range tests {
		if got, ok := prefixEnd(tt.p); got != tt.want || ok != tt.ok {
			t.Errorf("prefixEnd(%q) = %q, %v; want %q, %v", tt.p, got, ok, tt.want, tt.ok)
		}
	}
}
