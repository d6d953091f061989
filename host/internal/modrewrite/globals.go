package modrewrite

import (
	"encoding/binary"
	"fmt"
	"strconv"
)

// GlobalPrefix starts the export names ExportGlobals gives a module's
// mutable globals: GlobalPrefix + the global's index.
const GlobalPrefix = "bindery:global/"

// ExportGlobals returns wasm with every mutable global it defines exported
// as GlobalPrefix+index, and those names. The host snapshots a module's
// state after a pre-initialisation (its memory and its mutable globals, as
// Wizer does) and restores it into each new instance; wazero reaches only
// exported globals.
func ExportGlobals(wasm []byte) ([]byte, []string, error) {
	if len(wasm) < 8 || string(wasm[:4]) != "\x00asm" {
		return nil, nil, errMalformed
	}
	type section struct {
		id               byte
		start, body, end int
	}
	var secs []section
	var imported uint64
	var names []string
	for p := 8; p < len(wasm); {
		id := wasm[p]
		size, n := binary.Uvarint(wasm[p+1:])
		if n <= 0 || size > uint64(len(wasm)-p-1-n) {
			return nil, nil, errMalformed
		}
		s := section{id: id, start: p, body: p + 1 + n, end: p + 1 + n + int(size)}
		secs = append(secs, s)
		b := wasm[s.body:s.end]
		switch id {
		case sectionImport:
			var err error
			if imported, _, _, err = scanImports(b); err != nil {
				return nil, nil, err
			}
		case sectionGlobal:
			r := reader{b: b}
			cnt := r.u()
			for i := uint64(0); i < cnt && r.err == nil; i++ {
				r.byte() // value type
				if r.byte() == 1 {
					names = append(names, GlobalPrefix+strconv.FormatUint(imported+i, 10))
				}
				for r.err == nil {
					op := r.byte()
					if op == 0x0b { // end of the constant expression
						break
					}
					if err := r.skipImmediates(op); err != nil {
						return nil, nil, err
					}
				}
			}
			if r.err != nil {
				return nil, nil, r.err
			}
		case sectionExport:
			for _, name := range names {
				if exportsName(b, name) {
					return nil, nil, fmt.Errorf("modrewrite: the module already exports %q", name)
				}
			}
		}
		p = s.end
	}
	if len(names) == 0 {
		return wasm, nil, nil
	}
	var exports []byte
	for _, name := range names {
		idx, _ := strconv.ParseUint(name[len(GlobalPrefix):], 10, 32)
		exports = appendName(exports, name)
		exports = append(exports, 0x03) // global
		exports = binary.AppendUvarint(exports, idx)
	}
	out := make([]byte, 0, len(wasm)+len(exports)+16)
	out = append(out, wasm[:8]...)
	done := false
	for _, s := range secs {
		b := wasm[s.body:s.end]
		switch {
		case s.id == sectionExport:
			r := reader{b: b}
			cnt := r.u()
			body := binary.AppendUvarint(nil, cnt+uint64(len(names)))
			body = append(body, b[r.p:]...)
			out = appendSection(out, sectionExport, append(body, exports...))
			done = true
			continue
		case !done && s.id != sectionCustom && s.id != sectionGlobal && s.id > sectionExport && s.id != 13:
			// The module has no export section: it goes before the first
			// section that follows exports (start, element, code, data, …).
			out = appendSection(out, sectionExport, append(binary.AppendUvarint(nil, uint64(len(names))), exports...))
			done = true
		}
		out = append(out, wasm[s.start:s.end]...)
	}
	if !done {
		out = appendSection(out, sectionExport, append(binary.AppendUvarint(nil, uint64(len(names))), exports...))
	}
	return out, names, nil
}
