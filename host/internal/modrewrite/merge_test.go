package modrewrite

import (
	"bytes"
	"context"
	"encoding/binary"
	"testing"

	"github.com/tetratelabs/wazero"
)

// module builds a wasm module with one memory page exported as "memory"
// and the given active data segments (offset, bytes).
func module(segs ...segment) []byte {
	b := []byte("\x00asm\x01\x00\x00\x00")
	b = append(b, 5, 3, 1, 0, 1)                                   // memory section: 1 memory, min 1
	b = append(b, 7, 10, 1, 6, 'm', 'e', 'm', 'o', 'r', 'y', 2, 0) // export "memory"
	var body []byte
	body = binary.AppendUvarint(body, uint64(len(segs)))
	for _, s := range segs {
		body = append(body, 0, 0x41)
		body = appendSleb32(body, int32(s.off))
		body = append(body, 0x0b)
		body = binary.AppendUvarint(body, uint64(len(s.data)))
		body = append(body, s.data...)
	}
	b = append(b, sectionData)
	b = binary.AppendUvarint(b, uint64(len(body)))
	return append(b, body...)
}

// memoryOf instantiates wasm and returns its first 256 bytes of memory.
func memoryOf(t *testing.T, wasm []byte) []byte {
	t.Helper()
	ctx := context.Background()
	r := wazero.NewRuntime(ctx)
	defer r.Close(ctx)
	m, err := r.Instantiate(ctx, wasm)
	if err != nil {
		t.Fatal(err)
	}
	b, _ := m.Memory().Read(0, 256)
	return append([]byte(nil), b...)
}

func TestMerge(t *testing.T) {
	tests := []struct {
		name    string
		segs    []segment
		changed bool
		count   int
	}{
		{"neighbours merge", []segment{{0, []byte("ab")}, {4, []byte("cd")}, {8, []byte("ef")}}, true, 1},
		{"gap over the limit stays apart", []segment{{0, []byte("ab")}, {100, []byte("cd")}}, false, 2},
		{"out of order", []segment{{10, []byte("ab")}, {0, []byte("cd")}, {20, []byte("x")}}, true, 1},
		{"later segments win", []segment{{0, []byte("abcd")}, {2, []byte("XY")}}, true, 1},
		{"gap filler must not erase earlier data", []segment{{10, []byte("DDDD")}, {0, []byte("a")}, {20, []byte("b")}}, true, 1},
		{"out of bounds is left alone", []segment{{0, []byte("a")}, {65535, []byte("bc")}}, false, 2},
		{"mixed", []segment{{0, []byte("a")}, {2, []byte("b")}, {200, []byte("c")}, {203, []byte("d")}}, true, 2},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			in := module(tc.segs...)
			out, changed, err := Merge(in, 16)
			if err != nil {
				t.Fatal(err)
			}
			if changed != tc.changed {
				t.Fatalf("changed = %v, want %v", changed, tc.changed)
			}
			if n := count(t, out); n != tc.count {
				t.Errorf("%d segments after merge, want %d", n, tc.count)
			}
			if !tc.changed {
				if !bytes.Equal(out, in) {
					t.Error("unchanged module differs")
				}
				return
			}
			if got, want := memoryOf(t, out), memoryOf(t, in); !bytes.Equal(got, want) {
				t.Errorf("memory differs after merge:\n got %q\nwant %q", got, want)
			}
		})
	}
}

// count returns the number of data segments in wasm.
func count(t *testing.T, wasm []byte) int {
	t.Helper()
	for p := 8; p < len(wasm); {
		size, n := binary.Uvarint(wasm[p+1:])
		if wasm[p] == sectionData {
			c, _ := binary.Uvarint(wasm[p+1+n:])
			return int(c)
		}
		p += 1 + n + int(size)
	}
	return 0
}

func TestMergeMalformed(t *testing.T) {
	in := module(segment{0, []byte("ab")}, segment{4, []byte("cd")})
	for cut := 9; cut < len(in); cut++ {
		Merge(in[:cut], 16) // must not panic
	}
	if _, _, err := Merge([]byte("\x00asm"), 16); err == nil {
		t.Error("no error for a 4-byte module")
	}
}

func FuzzMerge(f *testing.F) {
	f.Add(module(segment{0, []byte("ab")}, segment{4, []byte("cd")}))
	f.Fuzz(func(t *testing.T, b []byte) {
		Merge(b, 16) // must not panic on any input
	})
}
