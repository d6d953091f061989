package jsbuild

import "testing"

// TestSourceMap decodes a hand-written map: two generated lines, the second
// with two segments, one source.
func TestSourceMap(t *testing.T) {
	// Line 0: col 0 -> src 0, line 0, col 0. Line 1: col 0 -> line 2 col 2;
	// col 4 -> line 3 col 0.
	m, err := decodeSourceMap([]byte(`{"version":3,"sources":["src/a.ts"],"mappings":"AAAA;AAEE,IACF"}`))
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		line, col       int
		src             string
		srcLine, srcCol int
		ok              bool
	}{
		{0, 0, "src/a.ts", 0, 0, true},
		{0, 10, "src/a.ts", 0, 0, true},
		{1, 0, "src/a.ts", 2, 2, true},
		{1, 3, "src/a.ts", 2, 2, true},
		{1, 4, "src/a.ts", 3, 0, true},
		{1, 99, "src/a.ts", 3, 0, true},
		{2, 0, "", 0, 0, false},
		{-1, 0, "", 0, 0, false},
	}
	for _, tc := range tests {
		src, l, c, ok := m.lookup(tc.line, tc.col)
		if src != tc.src || l != tc.srcLine || c != tc.srcCol || ok != tc.ok {
			t.Errorf("lookup(%d, %d) = %q %d %d %v, want %q %d %d %v", tc.line, tc.col, src, l, c, ok, tc.src, tc.srcLine, tc.srcCol, tc.ok)
		}
	}
	b := &Bundle{SourceMap: []byte(`{"version":3,"sources":["src/a.ts"],"mappings":"AAAA;AAEE,IACF"}`)}
	if got := b.Mapper()("at f (worker.js:2:5) and worker.js:9:1 and xworker.js:1:1"); got != "at f (src/a.ts:4:1) and worker.js:9:1 and xworker.js:1:1" {
		t.Errorf("mapped %q", got)
	}
}

func FuzzSourceMap(f *testing.F) {
	f.Add([]byte(`{"version":3,"sources":["a"],"mappings":"AAAA;AAEE,IACF"}`))
	f.Add([]byte(`{"version":3,"sources":[],"mappings":"////;+++"}`))
	f.Fuzz(func(t *testing.T, b []byte) {
		m, err := decodeSourceMap(b)
		if err != nil {
			return
		}
		for line := range 3 {
			m.lookup(line, 0) // must not panic
		}
	})
}
