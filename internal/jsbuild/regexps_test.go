package jsbuild

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestShiftColumns(t *testing.T) {
	const hex = `[0-9A-Fa-f]`
	tests := []struct {
		name    string
		code    string
		segs    [][]int // per line: generated columns of its segments
		wantCol [][]int
	}{
		{
			name:    "after a literal",
			code:    "a=/\\p{AHex}/u;b()\n",
			segs:    [][]int{{0, 2, 13}},
			wantCol: [][]int{{0, 2, 13 + len(hex) - len(`\p{AHex}`)}},
		},
		{
			name:    "two literals on a line",
			code:    "f(/\\p{AHex}/u,/\\p{AHex}/u);g()",
			segs:    [][]int{{0, 2, 13, 24, 26}},
			wantCol: [][]int{{0, 2, 13 + 3, 24 + 6, 26 + 6}},
		},
		{
			name:    "other lines keep theirs",
			code:    "x()\ny=/\\p{AHex}/u;z()\nw()",
			segs:    [][]int{{0}, {0, 2, 13}, {0}},
			wantCol: [][]int{{0}, {0, 2, 16}, {0}},
		},
		{
			name:    "non-ASCII before counts in UTF-16",
			code:    "s='é😀';r=/\\p{AHex}/u;q()",
			segs:    [][]int{{0, 10, 22}},
			wantCol: [][]int{{0, 10, 25}},
		},
		{
			name:    "nothing after",
			code:    "r=/\\p{AHex}/u",
			segs:    [][]int{{0, 2}},
			wantCol: [][]int{{0, 2}},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			b := &Bundle{Code: []byte(tt.code), SourceMap: mapWith(tt.segs)}
			if err := expandRegexps(b); err != nil {
				t.Fatal(err)
			}
			if !strings.Contains(string(b.Code), hex) || strings.Contains(string(b.Code), `\p{`) {
				t.Fatalf("not expanded: %s", b.Code)
			}
			m, err := decodeSourceMap(b.SourceMap)
			if err != nil {
				t.Fatal(err)
			}
			for i, want := range tt.wantCol {
				var got []int
				for _, s := range m.lines[i] {
					got = append(got, s.genCol)
				}
				if len(got) != len(want) {
					t.Fatalf("line %d: %v, want %v", i, got, want)
				}
				for j := range got {
					if got[j] != want[j] {
						t.Errorf("line %d: %v, want %v", i, got, want)
						break
					}
				}
			}
		})
	}
}

// mapWith makes a source map whose lines have segments at the given
// generated columns (each pointing at line 0 of source 0).
func mapWith(lines [][]int) []byte {
	var ls []string
	for _, cols := range lines {
		var segs []string
		prev := 0
		for _, c := range cols {
			segs = append(segs, encodeVLQ(c-prev)+"AAA")
			prev = c
		}
		ls = append(ls, strings.Join(segs, ","))
	}
	return []byte(`{"version":3,"sources":["a.js"],"mappings":"` + strings.Join(ls, ";") + `"}`)
}

func TestEncodeVLQ(t *testing.T) {
	for _, v := range []int{0, 1, -1, 15, 16, -16, 31, 32, 1000, -123456} {
		got, n, ok := vlq(encodeVLQ(v))
		if !ok || got != v || n != len(encodeVLQ(v)) {
			t.Errorf("vlq(encodeVLQ(%d)) = %d, %d, %v", v, got, n, ok)
		}
	}
}

func TestUsesIntl(t *testing.T) {
	dir := t.TempDir()
	sdk := filepath.Join(dir, "sdk")
	os.MkdirAll(sdk, 0o755)
	write := func(name, text string) string {
		p := filepath.Join(dir, name)
		os.WriteFile(p, []byte(text), 0o644)
		return p
	}
	own := filepath.Join(sdk, "intl.js")
	os.WriteFile(own, []byte("Intl.DateTimeFormat"), 0o644)
	tests := []struct {
		name string
		text string
		want bool
	}{
		{"Intl", "new Intl.NumberFormat('de').format(1)", true},
		{"toLocaleString", "n.toLocaleString()", true},
		{"toLocaleDateString", "d.toLocaleDateString('en')", true},
		{"toLocaleTimeString", "d.toLocaleTimeString()", true},
		{"nothing", "export default { fetch() { return new Response('hi') } }", false},
		{"localeCompare alone", "a.localeCompare(b)", false},
		{"a longer name", "const IntlX = 1; myIntl()", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			in := write(tt.name+".js", tt.text)
			if got := usesIntl([]string{own, in}, []string{sdk}); got != tt.want {
				t.Errorf("usesIntl(%q) = %v, want %v", tt.text, got, tt.want)
			}
		})
	}
	if usesIntl([]string{own}, []string{sdk}) {
		t.Error("the SDK's own files count")
	}
}
