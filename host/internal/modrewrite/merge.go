// Package modrewrite holds the host's load-time rewrites of a guest module:
// Merge coalesces its data segments, and Instrument inserts yield points
// (see yield.go).
//
// Merge: Go's linker emits
// tens of thousands of tiny active segments; wazero decodes and validates
// each one at compile time and evaluates each one on every instantiation.
// Merging neighbours whose gap is small (filling the gap with the zeros the
// memory holds anyway) cuts that work without changing what the module does.
//
// See docs/design.md#why-the-host-merges-go-data-segments.
package modrewrite

import (
	"bytes"
	"encoding/binary"
	"errors"
)

const (
	sectionMemory    = 5
	sectionData      = 11
	sectionDataCount = 12

	// maxImage bounds the initial memory image the merge builds.
	maxImage = 256 << 20
)

type segment struct {
	off  uint32
	data []byte
}

// Merge returns wasm with its data segments replaced by the initial memory
// image they produce (segments apply in order, later ones win), cut into
// segments wherever at least maxGap untouched bytes separate written ones,
// and whether it changed anything. It leaves the module as it is (false,
// nil) unless the module defines exactly one memory, every segment is
// active on it with an i32.const offset and fits in its initial size (so
// instantiation cannot fail part way), and the module has no DataCount
// section (so no instruction can name a segment by index). A malformed
// module is an error; the caller then compiles the original, whose own
// error is the one to report.
func Merge(wasm []byte, maxGap int) ([]byte, bool, error) {
	if len(wasm) < 8 {
		return nil, false, errors.New("modrewrite: too short")
	}
	var dataHdr, dataStart, dataEnd int
	var memMin uint64
	memories := 0
	for p := 8; p < len(wasm); {
		id := wasm[p]
		size, n := binary.Uvarint(wasm[p+1:])
		if n <= 0 || size > uint64(len(wasm)-p-1-n) {
			return nil, false, errors.New("modrewrite: bad section header")
		}
		body := p + 1 + n
		switch id {
		case sectionDataCount:
			return wasm, false, nil
		case sectionData:
			dataHdr, dataStart, dataEnd = p, body, body+int(size)
		case sectionMemory:
			b := wasm[body : body+int(size)]
			cnt, k := binary.Uvarint(b)
			if k <= 0 || cnt != 1 || len(b) < k+2 || b[k] > 1 { // one memory; flags: min, or min+max (no shared/64-bit)
				return wasm, false, nil
			}
			min, m := binary.Uvarint(b[k+1:])
			if m <= 0 {
				return nil, false, errors.New("modrewrite: bad memory section")
			}
			memMin, memories = min*65536, 1
		}
		p = body + int(size)
	}
	if dataStart == 0 {
		return wasm, false, nil
	}
	if memories != 1 {
		return wasm, false, nil // an imported memory: its size is not known here
	}
	segs, ok, err := parse(wasm[dataStart:dataEnd], min(memMin, maxImage))
	if err != nil || !ok {
		return wasm, false, err
	}
	merged := merge(segs, maxGap)
	if len(merged) >= len(segs) {
		return wasm, false, nil
	}
	var body bytes.Buffer
	body.Write(binary.AppendUvarint(nil, uint64(len(merged))))
	for _, s := range merged {
		body.Write([]byte{0x00, 0x41}) // active on memory 0; i32.const
		body.Write(appendSleb32(nil, int32(s.off)))
		body.WriteByte(0x0b) // end
		body.Write(binary.AppendUvarint(nil, uint64(len(s.data))))
		body.Write(s.data)
	}
	out := make([]byte, 0, len(wasm))
	out = append(out, wasm[:dataHdr]...)
	out = append(out, sectionData)
	out = binary.AppendUvarint(out, uint64(body.Len()))
	out = append(out, body.Bytes()...)
	out = append(out, wasm[dataEnd:]...)
	return out, true, nil
}

// parse reads a data section; ok is false when a segment is of a kind the
// merge must not touch or ends beyond limit.
func parse(b []byte, limit uint64) (segs []segment, ok bool, err error) {
	bad := errors.New("modrewrite: malformed data section")
	count, n := binary.Uvarint(b)
	if n <= 0 || count > uint64(len(b)) {
		return nil, false, bad
	}
	q := n
	segs = make([]segment, 0, count)
	for i := uint64(0); i < count; i++ {
		if q+2 > len(b) {
			return nil, false, bad
		}
		if b[q] != 0x00 || b[q+1] != 0x41 {
			return nil, false, nil // passive, another memory, or a non-i32.const offset
		}
		off, m := sleb32(b[q+2:])
		if m <= 0 || q+2+m >= len(b) || b[q+2+m] != 0x0b {
			return nil, false, nil
		}
		q += 2 + m + 1
		l, m2 := binary.Uvarint(b[q:])
		if m2 <= 0 || l > uint64(len(b)-q-m2) {
			return nil, false, bad
		}
		q += m2
		if uint64(uint32(off))+l > limit {
			return nil, false, nil // would trap at instantiation (or is too far out to image): leave it
		}
		segs = append(segs, segment{off: uint32(off), data: b[q : q+int(l)]})
		q += int(l)
	}
	if q != len(b) {
		return nil, false, bad
	}
	return segs, true, nil
}

// merge applies segs in order to an image of the initial memory and cuts
// the written bytes into segments, joining runs less than maxGap apart.
func merge(segs []segment, maxGap int) []segment {
	var size uint32
	for _, s := range segs {
		size = max(size, s.off+uint32(len(s.data)))
	}
	image := make([]byte, size)
	bits := make([]uint64, (size+63)/64)
	written := func(i int) bool { return bits[i/64]&(1<<(i%64)) != 0 }
	for _, s := range segs {
		copy(image[s.off:], s.data)
		for i := int(s.off); i < int(s.off)+len(s.data); i++ {
			bits[i/64] |= 1 << (i % 64)
		}
	}
	var out []segment
	for i := 0; i < len(image); {
		if !written(i) {
			i++
			continue
		}
		start, end := i, i
		for j := i; j < len(image); j++ {
			if written(j) {
				end = j + 1
			} else if j-end >= maxGap {
				break
			}
		}
		out = append(out, segment{off: uint32(start), data: image[start:end]})
		i = end
	}
	return out
}

func sleb32(b []byte) (int32, int) {
	var r int64
	var shift uint
	for i, c := range b {
		if i >= 5 {
			return 0, -1
		}
		r |= int64(c&0x7f) << shift
		shift += 7
		if c&0x80 == 0 {
			if shift < 64 && c&0x40 != 0 {
				r |= -1 << shift
			}
			return int32(r), i + 1
		}
	}
	return 0, -1
}

func appendSleb32(b []byte, v int32) []byte {
	x := int64(v)
	for {
		c := byte(x & 0x7f)
		x >>= 7
		if (x == 0 && c&0x40 == 0) || (x == -1 && c&0x40 != 0) {
			return append(b, c)
		}
		b = append(b, c|0x80)
	}
}
