// Package wasmgen assembles small WebAssembly core modules and components
// byte by byte, for tests: the repository has no WAT assembler at test time
// (wasm-tools and wabt are not installed), and the component tests need
// binaries with exactly the sections they exercise.
package wasmgen

import "encoding/binary"

// Section ids of core modules.
const (
	SecType     = 1
	SecImport   = 2
	SecFunction = 3
	SecTable    = 4
	SecMemory   = 5
	SecGlobal   = 6
	SecExport   = 7
	SecStart    = 8
	SecElem     = 9
	SecCode     = 10
	SecData     = 11
)

// Section ids of components.
const (
	CSecCoreModule   = 1
	CSecCoreInstance = 2
	CSecCoreType     = 3
	CSecComponent    = 4
	CSecInstance     = 5
	CSecAlias        = 6
	CSecType         = 7
	CSecCanon        = 8
	CSecStart        = 9
	CSecImport       = 10
	CSecExport       = 11
)

// U appends v as an unsigned LEB128.
func U(b []byte, v uint64) []byte { return binary.AppendUvarint(b, v) }

// Name appends a length-prefixed string.
func Name(b []byte, s string) []byte { return append(U(b, uint64(len(s))), s...) }

// Vec returns the count of items followed by the items.
func Vec(items ...[]byte) []byte {
	b := U(nil, uint64(len(items)))
	for _, it := range items {
		b = append(b, it...)
	}
	return b
}

// Cat concatenates byte slices.
func Cat(parts ...[]byte) []byte {
	var b []byte
	for _, p := range parts {
		b = append(b, p...)
	}
	return b
}

// Section returns a section with its id and size.
func Section(id byte, body []byte) []byte {
	return append(U([]byte{id}, uint64(len(body))), body...)
}

// Module returns a core module of the sections.
func Module(sections ...[]byte) []byte {
	return Cat(append([][]byte{{0, 'a', 's', 'm', 1, 0, 0, 0}}, sections...)...)
}

// Component returns a component of the sections.
func Component(sections ...[]byte) []byte {
	return Cat(append([][]byte{{0, 'a', 's', 'm', 0x0d, 0, 1, 0}}, sections...)...)
}

// FuncType is a core function type (0x60) of value-type bytes.
func FuncType(params, results []byte) []byte {
	return Cat([]byte{0x60}, U(nil, uint64(len(params))), params, U(nil, uint64(len(results))), results)
}

// ImportFunc is a core import of a function of type typ.
func ImportFunc(module, name string, typ uint32) []byte {
	return Cat(Name(Name(nil, module), name), []byte{0x00}, U(nil, uint64(typ)))
}

// ImportTable is a core import of a funcref table with min elements.
func ImportTable(module, name string, min uint32) []byte {
	return Cat(Name(Name(nil, module), name), []byte{0x01, 0x70, 0x00}, U(nil, uint64(min)))
}

// ImportMemory is a core import of a memory of min pages.
func ImportMemory(module, name string, min uint32) []byte {
	return Cat(Name(Name(nil, module), name), []byte{0x02, 0x00}, U(nil, uint64(min)))
}

// ImportGlobal is a core import of a global of value type vt.
func ImportGlobal(module, name string, vt byte, mutable bool) []byte {
	m := byte(0)
	if mutable {
		m = 1
	}
	return Cat(Name(Name(nil, module), name), []byte{0x03, vt, m})
}

// Export is a core export of kind (0 func, 1 table, 2 memory, 3 global).
func Export(name string, kind byte, idx uint32) []byte {
	return Cat(Name(nil, name), []byte{kind}, U(nil, uint64(idx)))
}

// Body is a function body with no locals; code excludes the final end.
func Body(code ...byte) []byte {
	b := append([]byte{0}, code...)
	b = append(b, 0x0b)
	return append(U(nil, uint64(len(b))), b...)
}

// ElemActive is an active element segment on table 0 at offset, of funcs.
func ElemActive(offset int32, funcs ...uint32) []byte {
	b := []byte{0x00, 0x41}
	b = AppendS32(b, offset)
	b = append(b, 0x0b)
	b = U(b, uint64(len(funcs)))
	for _, f := range funcs {
		b = U(b, uint64(f))
	}
	return b
}

// AppendS32 appends v as a signed LEB128.
func AppendS32(b []byte, v int32) []byte {
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
