package component

import (
	"errors"
	"fmt"
)

// Kinds of core imports and exports (the core importdesc/exportdesc bytes,
// which are also the core sort bytes of the component binary).
const (
	KindFunc   byte = 0x00
	KindTable  byte = 0x01
	KindMemory byte = 0x02
	KindGlobal byte = 0x03
	KindTag    byte = 0x04
)

// KindName names a core kind for errors.
func KindName(k byte) string {
	switch k {
	case KindFunc:
		return "func"
	case KindTable:
		return "table"
	case KindMemory:
		return "memory"
	case KindGlobal:
		return "global"
	case KindTag:
		return "tag"
	}
	return fmt.Sprintf("kind %#x", k)
}

// CoreImport is one import of a core module.
type CoreImport struct {
	Module, Name string
	Kind         byte
	// Desc is the encoded importdesc after the kind byte (the type index,
	// table, memory or global type), kept so that the import can be
	// re-encoded under another name.
	Desc []byte
}

// coreModule is what the plan needs of a core module: its imports, its
// exports by name, and where its import section is.
type coreModule struct {
	wasm    []byte
	imports []CoreImport
	exports map[string]byte // name -> kind
	start   bool            // the module has a start function
	// importSec is the byte range of the whole import section (header
	// included) in wasm; [0,0) when there is none.
	importStart, importEnd int
}

var errNotModule = errors.New("not a core module (no \\0asm version 1 header)")

// parseCore reads the import and export sections of a core module.
// base is the module's offset in the component, for error offsets.
func parseCore(wasm []byte, base int) (*coreModule, error) {
	if len(wasm) < 8 || string(wasm[:4]) != "\x00asm" || wasm[4] != 1 || wasm[5] != 0 || wasm[6] != 0 || wasm[7] != 0 {
		return nil, errNotModule
	}
	m := &coreModule{wasm: wasm, exports: map[string]byte{}}
	top := &reader{b: wasm, p: 8, base: base, what: "core module"}
	for !top.done() {
		start := top.p
		id := top.byte()
		size := top.u32()
		body := top.bytes(int(size))
		if top.err != nil {
			return nil, top.err
		}
		r := &reader{b: body, base: base + top.p - len(body)}
		switch id {
		case 8:
			m.start = true
			continue
		case 2:
			r.what = "core import section"
			m.importStart, m.importEnd = start, top.p
			for n := r.count(); n > 0 && r.err == nil; n-- {
				var imp CoreImport
				imp.Module = r.name()
				imp.Name = r.name()
				d := r.p
				imp.Kind = r.coreImportDesc()
				if r.err == nil {
					imp.Desc = body[d+1 : r.p]
				}
				m.imports = append(m.imports, imp)
			}
		case 7:
			r.what = "core export section"
			for n := r.count(); n > 0 && r.err == nil; n-- {
				name := r.name()
				kind := r.byte()
				r.u32()
				m.exports[name] = kind
			}
		default:
			continue
		}
		if r.err == nil && r.p != len(body) {
			r.fail("%d bytes left over", len(body)-r.p)
		}
		if r.err != nil {
			return nil, r.err
		}
	}
	return m, nil
}

// RewriteImports returns wasm with its import section replaced by imports
// (same count, kinds and types; new names), leaving every other byte as
// it is. The caller passes the module's own imports with names changed.
func RewriteImports(wasm []byte, imports []CoreImport) ([]byte, error) {
	m, err := parseCore(wasm, 0)
	if err != nil {
		return nil, err
	}
	if len(imports) == 0 && len(m.imports) == 0 {
		return wasm, nil
	}
	if len(imports) != len(m.imports) {
		return nil, fmt.Errorf("component: rewrite: %d imports for a module that has %d", len(imports), len(m.imports))
	}
	var body []byte
	body = appendU32(body, uint32(len(imports)))
	for _, imp := range imports {
		body = appendName(appendName(body, imp.Module), imp.Name)
		body = append(body, imp.Kind)
		body = append(body, imp.Desc...)
	}
	out := make([]byte, 0, len(wasm)+len(body))
	out = append(out, wasm[:m.importStart]...)
	out = append(out, 2)
	out = appendU32(out, uint32(len(body)))
	out = append(out, body...)
	return append(out, wasm[m.importEnd:]...), nil
}

func appendU32(b []byte, v uint32) []byte {
	for v >= 0x80 {
		b = append(b, byte(v)|0x80)
		v >>= 7
	}
	return append(b, byte(v))
}

func appendName(b []byte, s string) []byte {
	return append(appendU32(b, uint32(len(s))), s...)
}
