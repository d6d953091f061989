package modrewrite

// Yield points: how the host bounds a guest call without wazero's
// WithCloseOnContextDone. That option makes every loop header of the guest
// call out of the machine code into Go (to check whether the module was
// closed) and starts a watcher goroutine per call; a Go guest's functions are
// all loops, so it cost ~70% of a Go Worker's request. Instead, Instrument
// inserts at the head of every function and every loop a countdown on a
// private global. When it reaches zero (every `every` passes) the guest
//
//   - calls memory.grow(0): wazero serves memory.grow in Go, so this is a
//     point where the Go scheduler can preempt the goroutine (a stop-the-world
//     GC would otherwise wait for a guest spinning in machine code), and
//   - traps (unreachable) if the exported global StopGlobal is non-zero,
//     which the host sets when a request's deadline passes.
//
// Measurements: docs/benchmarks.md ("Yield points instead of wazero's
// close-on-context-done").

import (
	"encoding/binary"
	"errors"
	"fmt"
	"strings"
)

// StopGlobal is the export name of the i32 global an instrumented module
// checks at its yield points: any non-zero value makes the next yield point
// trap with "unreachable".
const StopGlobal = "bindery:stop"

const (
	sectionCustom = 0
	sectionType   = 1
	sectionImport = 2
	sectionGlobal = 6
	sectionExport = 7
	sectionCode   = 10
)

var errMalformed = errors.New("modrewrite: malformed module")

// Instrument returns wasm with a yield point at the start of every function
// body and every loop (see the comment at the top of this file), a new
// exported mutable i32 global named StopGlobal, and its DWARF custom
// sections dropped (their code offsets would be wrong). It returns an error
// when the module is malformed or uses an instruction it does not know (the
// caller must then bound the guest some other way).
func Instrument(wasm []byte, every uint32) ([]byte, error) {
	if len(wasm) < 8 || string(wasm[:4]) != "\x00asm" || every == 0 {
		return nil, errMalformed
	}
	type section struct {
		id         byte
		start, end int // the whole section, header included
		body       int // start of the body
	}
	var secs []section
	var importedGlobals, definedGlobals, memories uint64
	memory64 := false
	for p := 8; p < len(wasm); {
		id := wasm[p]
		size, n := binary.Uvarint(wasm[p+1:])
		if n <= 0 || size > uint64(len(wasm)-p-1-n) {
			return nil, errMalformed
		}
		s := section{id: id, start: p, body: p + 1 + n, end: p + 1 + n + int(size)}
		secs = append(secs, s)
		b := wasm[s.body:s.end]
		var err error
		switch id {
		case sectionImport:
			importedGlobals, memories, memory64, err = scanImports(b)
		case sectionMemory:
			r := reader{b: b}
			cnt := r.u()
			for i := uint64(0); i < cnt && r.err == nil; i++ {
				memory64 = memory64 || r.limits()
			}
			memories += cnt
			err = r.err
		case sectionGlobal:
			r := reader{b: b}
			definedGlobals = r.u()
			err = r.err
		case sectionExport:
			if exportsName(b, StopGlobal) {
				return nil, fmt.Errorf("modrewrite: the module already exports %q", StopGlobal)
			}
		}
		if err != nil {
			return nil, err
		}
		p = s.end
	}
	if memory64 {
		return nil, errors.New("modrewrite: 64-bit memories are not supported")
	}
	fuel := uint32(importedGlobals + definedGlobals)
	stop := fuel + 1
	snippet := yieldSnippet(fuel, stop, every, memories > 0)

	globals := []byte{
		0x7f, 0x01, 0x41, 0, 0x0b, // fuel: mut i32 = 0 (the first yield point yields)
		0x7f, 0x01, 0x41, 0, 0x0b, // stop: mut i32 = 0
	}
	export := appendName(nil, StopGlobal)
	export = append(export, 0x03) // global
	export = binary.AppendUvarint(export, uint64(stop))

	out := make([]byte, 0, len(wasm)+len(wasm)/8)
	out = append(out, wasm[:8]...)
	globalDone, exportDone := false, false
	// order is where each non-custom section goes; a section that must be
	// created is emitted before the first section that comes after it.
	order := map[byte]int{1: 1, 2: 2, 3: 3, 4: 4, 5: 5, 13: 6, 6: 7, 7: 8, 8: 9, 9: 10, 12: 11, 10: 12, 11: 13}
	flush := func(next int) {
		if !globalDone && next > order[sectionGlobal] {
			out = appendSection(out, sectionGlobal, append([]byte{2}, globals...))
			globalDone = true
		}
		if !exportDone && next > order[sectionExport] {
			out = appendSection(out, sectionExport, append([]byte{1}, export...))
			exportDone = true
		}
	}
	for _, s := range secs {
		b := wasm[s.body:s.end]
		if s.id != sectionCustom {
			next, ok := order[s.id]
			if !ok {
				return nil, fmt.Errorf("modrewrite: unknown section %d", s.id)
			}
			flush(next)
		}
		switch s.id {
		case sectionCustom:
			r := reader{b: b}
			if name := r.name(); r.err == nil && strings.HasPrefix(name, ".debug_") {
				continue
			}
			out = append(out, wasm[s.start:s.end]...)
		case sectionGlobal:
			r := reader{b: b}
			r.u()
			body := binary.AppendUvarint(nil, definedGlobals+2)
			body = append(body, b[r.p:]...)
			out = appendSection(out, sectionGlobal, append(body, globals...))
			globalDone = true
		case sectionExport:
			r := reader{b: b}
			cnt := r.u()
			body := binary.AppendUvarint(nil, cnt+1)
			body = append(body, b[r.p:]...)
			out = appendSection(out, sectionExport, append(body, export...))
			exportDone = true
		case sectionCode:
			body, err := instrumentCode(b, snippet)
			if err != nil {
				return nil, err
			}
			out = appendSection(out, sectionCode, body)
		default:
			out = append(out, wasm[s.start:s.end]...)
		}
	}
	flush(len(order) + 1)
	return out, nil
}

// yieldSnippet is the code of one yield point:
//
//	global.get $fuel
//	i32.eqz
//	if
//	  i32.const every
//	  global.set $fuel
//	  i32.const 0        ;; only when there is a memory
//	  memory.grow 0
//	  drop
//	  global.get $stop
//	  if
//	    unreachable
//	  end
//	else
//	  global.get $fuel
//	  i32.const 1
//	  i32.sub
//	  global.set $fuel
//	end
func yieldSnippet(fuel, stop, every uint32, memory bool) []byte {
	u := func(b []byte, v uint32) []byte { return binary.AppendUvarint(b, uint64(v)) }
	b := u([]byte{0x23}, fuel)
	b = append(b, 0x45, 0x04, 0x40, 0x41)
	b = appendSleb32(b, int32(every))
	b = u(append(b, 0x24), fuel)
	if memory {
		b = append(b, 0x41, 0x00, 0x40, 0x00, 0x1a)
	}
	b = u(append(b, 0x23), stop)
	b = append(b, 0x04, 0x40, 0x00, 0x0b, 0x05)
	b = u(append(b, 0x23), fuel)
	b = append(b, 0x41, 0x01, 0x6b)
	b = u(append(b, 0x24), fuel)
	return append(b, 0x0b)
}

func appendSection(out []byte, id byte, body []byte) []byte {
	out = append(out, id)
	out = binary.AppendUvarint(out, uint64(len(body)))
	return append(out, body...)
}

func appendName(b []byte, s string) []byte {
	b = binary.AppendUvarint(b, uint64(len(s)))
	return append(b, s...)
}

// scanImports counts the imported globals and memories, and says whether a
// memory is 64-bit.
func scanImports(b []byte) (globals, memories uint64, memory64 bool, err error) {
	r := reader{b: b}
	n := r.u()
	for i := uint64(0); i < n && r.err == nil; i++ {
		r.name()
		r.name()
		switch r.byte() {
		case 0x00: // func
			r.u()
		case 0x01: // table
			r.byte()
			r.limits()
		case 0x02: // memory
			memory64 = r.limits() || memory64
			memories++
		case 0x03: // global
			r.byte()
			r.byte()
			globals++
		case 0x04: // tag
			r.byte()
			r.u()
		default:
			return 0, 0, false, errMalformed
		}
	}
	return globals, memories, memory64, r.err
}

func exportsName(b []byte, name string) bool {
	r := reader{b: b}
	n := r.u()
	for i := uint64(0); i < n && r.err == nil; i++ {
		if r.name() == name {
			return true
		}
		r.byte()
		r.u()
	}
	return false
}

// instrumentCode rewrites a code section body.
func instrumentCode(b []byte, snippet []byte) ([]byte, error) {
	r := reader{b: b}
	n := r.u()
	out := make([]byte, 0, len(b)+len(b)/4)
	out = binary.AppendUvarint(out, n)
	var fn []byte
	for i := uint64(0); i < n; i++ {
		size := r.u()
		if r.err != nil || size > uint64(len(b)-r.p) {
			return nil, errMalformed
		}
		body := b[r.p : r.p+int(size)]
		r.p += int(size)
		var err error
		fn, err = instrumentBody(fn[:0], body, snippet)
		if err != nil {
			return nil, fmt.Errorf("function %d: %w", i, err)
		}
		out = binary.AppendUvarint(out, uint64(len(fn)))
		out = append(out, fn...)
	}
	if r.err != nil || r.p != len(b) {
		return nil, errMalformed
	}
	return out, nil
}

// instrumentBody copies one function body to out with the snippet after its
// locals and after every loop's block type.
func instrumentBody(out, body, snippet []byte) ([]byte, error) {
	r := reader{b: body}
	groups := r.u()
	for i := uint64(0); i < groups && r.err == nil; i++ {
		r.u()
		if t := r.byte(); t == 0x63 || t == 0x64 { // (ref null ht), (ref ht): GC-style types
			r.s64()
		}
	}
	if r.err != nil {
		return nil, r.err
	}
	out = append(out, body[:r.p]...)
	out = append(out, snippet...)
	last := r.p
	for r.p < len(body) && r.err == nil {
		op := r.byte()
		if err := r.skipImmediates(op); err != nil {
			return nil, err
		}
		if op == 0x03 { // loop bt
			out = append(out, body[last:r.p]...)
			out = append(out, snippet...)
			last = r.p
		}
	}
	if r.err != nil {
		return nil, r.err
	}
	return append(out, body[last:]...), nil
}

// reader decodes the binary format; the first error sticks.
type reader struct {
	b   []byte
	p   int
	err error
}

func (r *reader) fail() {
	if r.err == nil {
		r.err = errMalformed
	}
	r.p = len(r.b)
}

func (r *reader) byte() byte {
	if r.p >= len(r.b) {
		r.fail()
		return 0
	}
	c := r.b[r.p]
	r.p++
	return c
}

func (r *reader) u() uint64 {
	if r.p >= len(r.b) {
		r.fail()
		return 0
	}
	v, n := binary.Uvarint(r.b[r.p:])
	if n <= 0 {
		r.fail()
		return 0
	}
	r.p += n
	return v
}

func (r *reader) s64() {
	for i := 0; ; i++ {
		if i == 10 {
			r.fail()
			return
		}
		if r.byte()&0x80 == 0 || r.err != nil {
			return
		}
	}
}

func (r *reader) skip(n int) {
	if n > len(r.b)-r.p {
		r.fail()
		return
	}
	r.p += n
}

func (r *reader) name() string {
	n := r.u()
	if n > uint64(len(r.b)-r.p) {
		r.fail()
		return ""
	}
	s := string(r.b[r.p : r.p+int(n)])
	r.p += int(n)
	return s
}

// limits reads memory or table limits and says whether they are 64-bit.
func (r *reader) limits() bool {
	flags := r.byte()
	r.u()
	if flags&1 != 0 {
		r.u()
	}
	return flags&4 != 0
}

// memarg skips a memory argument (align, with bit 6 meaning a memory index
// follows; offset).
func (r *reader) memarg() {
	if a := r.u(); a&0x40 != 0 {
		r.u()
	}
	r.u()
}

// skipImmediates skips the immediates of op; an opcode it does not know is
// an error.
func (r *reader) skipImmediates(op byte) error {
	switch {
	case op == 0x02 || op == 0x03 || op == 0x04 || op == 0x06: // block, loop, if, try: blocktype (s33)
		r.s64()
	case op == 0x07 || op == 0x08 || op == 0x09 || op == 0x0c || op == 0x0d || op == 0x10 || op == 0x12 ||
		op == 0x14 || op == 0x15 || op == 0x18 || op == 0xd2 || op == 0xd4 || op == 0xd6 ||
		(op >= 0x20 && op <= 0x26): // one index
		r.u()
	case op == 0x00 || op == 0x01 || op == 0x05 || op == 0x0a || op == 0x0b || op == 0x0f || op == 0x19 ||
		op == 0x1a || op == 0x1b || op == 0xd1 || op == 0xd3 || op == 0xd5 || (op >= 0x45 && op <= 0xc4):
	case op == 0x0e: // br_table
		n := r.u()
		for i := uint64(0); i <= n && r.err == nil; i++ {
			r.u()
		}
	case op == 0x11 || op == 0x13: // call_indirect, return_call_indirect
		r.u()
		r.u()
	case op == 0x1c: // select t*
		n := r.u()
		for i := uint64(0); i < n && r.err == nil; i++ {
			if t := r.byte(); t == 0x63 || t == 0x64 {
				r.s64()
			}
		}
	case op == 0x1f: // try_table bt catch*
		r.s64()
		n := r.u()
		for i := uint64(0); i < n && r.err == nil; i++ {
			if k := r.byte(); k <= 1 {
				r.u()
			}
			r.u()
		}
	case op >= 0x28 && op <= 0x3e: // loads and stores
		r.memarg()
	case op == 0x3f || op == 0x40: // memory.size, memory.grow
		r.u()
	case op == 0x41 || op == 0x42: // i32.const, i64.const
		r.s64()
	case op == 0x43:
		r.skip(4)
	case op == 0x44:
		r.skip(8)
	case op == 0xd0: // ref.null ht
		r.s64()
	case op == 0xfc:
		sub := r.u()
		switch {
		case sub <= 7:
		case sub == 8: // memory.init data mem
			r.u()
			r.u()
		case sub == 9 || sub == 11 || sub == 13 || (sub >= 15 && sub <= 17):
			r.u()
		case sub == 10 || sub == 12 || sub == 14:
			r.u()
			r.u()
		default:
			return fmt.Errorf("modrewrite: unknown instruction 0xfc %d", sub)
		}
	case op == 0xfd:
		sub := r.u()
		switch {
		case sub <= 11 || sub == 92 || sub == 93: // v128 loads and stores
			r.memarg()
		case sub == 12 || sub == 13: // v128.const, i8x16.shuffle
			r.skip(16)
		case sub >= 21 && sub <= 34: // extract/replace lane
			r.skip(1)
		case sub >= 84 && sub <= 91: // load/store lane
			r.memarg()
			r.skip(1)
		case sub <= 0x113:
		default:
			return fmt.Errorf("modrewrite: unknown instruction 0xfd %d", sub)
		}
	case op == 0xfe:
		sub := r.u()
		switch {
		case sub == 3: // atomic.fence
			r.skip(1)
		case sub <= 2 || (sub >= 0x10 && sub <= 0x4e):
			r.memarg()
		default:
			return fmt.Errorf("modrewrite: unknown instruction 0xfe %d", sub)
		}
	default:
		return fmt.Errorf("modrewrite: unknown instruction %#x", op)
	}
	return r.err
}
