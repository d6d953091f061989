package badgerkv

import (
	"bytes"
	"testing"
)

// FuzzIndex: decodeIndex never panics, and whatever encodeIndex writes
// decodes to what it was given.
func FuzzIndex(f *testing.F) {
	f.Add(int64(0), []byte(nil), []byte("v"), true, []byte{2, 0, 2, 'v'})
	f.Add(int64(1<<40), []byte(`{"a":1}`), []byte(nil), false, []byte{1, 5, 1, '{', '}'})
	f.Add(int64(7), []byte{}, []byte{}, true, []byte{2, 0, 1, 200})
	f.Fuzz(func(t *testing.T, exp int64, meta, value []byte, inline bool, raw []byte) {
		ix, err := decodeIndex(raw)
		if err == nil && !ix.inline && ix.value != nil {
			t.Fatalf("value without inline from %x", raw)
		}
		if exp < 0 {
			exp = -exp
		}
		if exp < 0 { // MinInt64
			exp = 0
		}
		if !inline {
			value = nil
		}
		ix, err = decodeIndex(encodeIndex(exp, meta, value, inline))
		if err != nil {
			t.Fatalf("decode(encode(%d, %q, %q, %v)): %v", exp, meta, value, inline, err)
		}
		if ix.exp != exp || !bytes.Equal(ix.meta, meta) || (ix.meta == nil) != (meta == nil) ||
			ix.inline != inline || !bytes.Equal(ix.value, value) {
			t.Fatalf("decode(encode(%d, %q, %q, %v)) = %+v", exp, meta, value, inline, ix)
		}
	})
}
