package component

// Skipping type definitions. The host needs no component type: the
// interfaces it serves are already typed (generated glue), so types are
// only read past, with their structure checked well enough that a
// malformed one is an error and not a misread of what follows.

// maxDepth bounds nested component/instance/module types.
const maxDepth = 32

func (r *reader) valType() { r.s33() }

func (r *reader) optValType() {
	switch c := r.byte(); c {
	case 0x00:
	case 0x01:
		r.valType()
	default:
		r.fail("bad option tag %#x", c)
	}
}

func (r *reader) labeledValTypes() {
	for n := r.count(); n > 0 && r.err == nil; n-- {
		r.name()
		r.valType()
	}
}

// defType skips a component type definition (the body of one entry of a
// type section or a type declarator).
func (r *reader) defType(depth int) {
	if depth > maxDepth {
		r.fail("types nested more than %d deep", maxDepth)
		return
	}
	c := r.byte()
	switch {
	case r.err != nil:
	case c >= 0x73 && c <= 0x7f, c == 0x64: // primitive value types
	case c == 0x72: // record
		r.labeledValTypes()
	case c == 0x71: // variant
		for n := r.count(); n > 0 && r.err == nil; n-- {
			r.name()
			r.optValType()
			switch t := r.byte(); t {
			case 0x00:
			case 0x01: // refines (older encoders)
				r.u32()
			default:
				r.fail("bad variant case tag %#x", t)
			}
		}
	case c == 0x70, c == 0x6b: // list, option
		r.valType()
	case c == 0x67: // fixed-size list
		r.valType()
		r.u32()
	case c == 0x6f, c == 0x6c: // tuple, union (older encoders)
		for n := r.count(); n > 0 && r.err == nil; n-- {
			r.valType()
		}
	case c == 0x6e, c == 0x6d: // flags, enum
		for n := r.count(); n > 0 && r.err == nil; n-- {
			r.name()
		}
	case c == 0x6a: // result
		r.optValType()
		r.optValType()
	case c == 0x69, c == 0x68: // own, borrow
		r.u32()
	case c == 0x66, c == 0x65: // stream, future
		r.optValType()
	case c == 0x40, c == 0x43: // func, async func
		r.labeledValTypes()
		switch t := r.byte(); t {
		case 0x00:
			r.valType()
		case 0x01:
			r.labeledValTypes()
		default:
			r.fail("bad function result tag %#x", t)
		}
	case c == 0x41: // component type
		for n := r.count(); n > 0 && r.err == nil; n-- {
			if r.p < len(r.b) && r.b[r.p] == 0x03 {
				r.byte()
				r.externName()
				r.externDesc()
				continue
			}
			r.instanceDecl(depth)
		}
	case c == 0x42: // instance type
		for n := r.count(); n > 0 && r.err == nil; n-- {
			r.instanceDecl(depth)
		}
	case c == 0x3f: // resource
		if r.byte() != 0x7f {
			r.fail("resource representation is not i32")
		}
		r.optU32()
	case c == 0x3e: // async resource
		if r.byte() != 0x7f {
			r.fail("resource representation is not i32")
		}
		r.u32()
		r.optU32()
	default:
		r.fail("unknown type constructor %#x", c)
	}
}

func (r *reader) optU32() {
	switch c := r.byte(); c {
	case 0x00:
	case 0x01:
		r.u32()
	default:
		r.fail("bad option tag %#x", c)
	}
}

func (r *reader) instanceDecl(depth int) {
	switch c := r.byte(); c {
	case 0x00:
		r.coreDefType(depth + 1)
	case 0x01:
		r.defType(depth + 1)
	case 0x02:
		r.alias()
	case 0x04:
		r.externName()
		r.externDesc()
	default:
		if r.err == nil {
			r.fail("unknown instance declarator %#x", c)
		}
	}
}

// externDesc skips an externdesc and returns its kind byte.
func (r *reader) externDesc() byte {
	c := r.byte()
	switch c {
	case 0x00:
		if s := r.byte(); s != 0x11 && r.err == nil {
			r.fail("core extern %#x is not a module", s)
		}
		r.u32()
	case 0x01, 0x04, 0x05:
		r.u32()
	case 0x02: // value bound
		switch b := r.byte(); b {
		case 0x00:
			r.u32()
		case 0x01:
			r.valType()
		default:
			r.fail("bad value bound %#x", b)
		}
	case 0x03: // type bound
		switch b := r.byte(); b {
		case 0x00:
			r.u32()
		case 0x01: // sub resource
		default:
			r.fail("bad type bound %#x", b)
		}
	default:
		if r.err == nil {
			r.fail("unknown extern kind %#x", c)
		}
	}
	return c
}

// aliasEntry is one alias definition.
type aliasEntry struct {
	sort     byte // a sort byte; for core sorts, coreSort holds which
	coreSort byte
	target   byte // 0x00 instance export, 0x01 core instance export, 0x02 outer
	inst     uint32
	name     string
}

func (r *reader) alias() aliasEntry {
	var a aliasEntry
	a.sort = r.byte()
	if a.sort == sortCore {
		a.coreSort = r.byte()
	}
	a.target = r.byte()
	switch a.target {
	case 0x00, 0x01:
		a.inst = r.u32()
		a.name = r.name()
	case 0x02:
		r.u32()
		a.inst = r.u32()
	default:
		if r.err == nil {
			r.fail("unknown alias target %#x", a.target)
		}
	}
	return a
}

func (r *reader) coreValType() {
	switch c := r.byte(); c {
	case 0x7f, 0x7e, 0x7d, 0x7c, 0x7b, 0x70, 0x6f:
	case 0x63, 0x64:
		r.s33()
	default:
		if r.err == nil {
			r.fail("unknown core value type %#x", c)
		}
	}
}

func (r *reader) limits() {
	flags := r.byte()
	if flags > 0x07 {
		r.fail("bad limits flags %#x", flags)
		return
	}
	if flags&0x04 != 0 { // 64-bit
		r.u64()
		if flags&1 != 0 {
			r.u64()
		}
		return
	}
	r.u32()
	if flags&1 != 0 {
		r.u32()
	}
}

func (r *reader) u64() {
	for i := 0; ; i++ {
		if i >= 10 {
			r.fail("integer too long")
			return
		}
		if c := r.byte(); c&0x80 == 0 || r.err != nil {
			return
		}
	}
}

// coreImportDesc reads a core importdesc and returns its kind.
func (r *reader) coreImportDesc() byte {
	c := r.byte()
	switch c {
	case KindFunc:
		r.u32()
	case KindTable:
		r.coreValType()
		r.limits()
	case KindMemory:
		r.limits()
	case KindGlobal:
		r.coreValType()
		if m := r.byte(); m > 1 {
			r.fail("bad global mutability %#x", m)
		}
	case KindTag:
		r.byte()
		r.u32()
	default:
		if r.err == nil {
			r.fail("unknown import kind %#x", c)
		}
	}
	return c
}

// coreDefType skips a core type: a function type or a module type.
func (r *reader) coreDefType(depth int) {
	if depth > maxDepth {
		r.fail("types nested more than %d deep", maxDepth)
		return
	}
	switch c := r.byte(); c {
	case 0x60:
		for n := r.count(); n > 0 && r.err == nil; n-- {
			r.coreValType()
		}
		for n := r.count(); n > 0 && r.err == nil; n-- {
			r.coreValType()
		}
	case 0x50:
		for n := r.count(); n > 0 && r.err == nil; n-- {
			switch d := r.byte(); d {
			case 0x00:
				r.name()
				r.name()
				r.coreImportDesc()
			case 0x01:
				r.coreDefType(depth + 1)
			case 0x02:
				r.byte()
				if t := r.byte(); t != 0x01 && r.err == nil {
					r.fail("core alias target %#x is not outer", t)
				}
				r.u32()
				r.u32()
			case 0x03:
				r.name()
				r.coreImportDesc()
			default:
				if r.err == nil {
					r.fail("unknown module declarator %#x", d)
				}
			}
		}
	default:
		if r.err == nil {
			r.fail("core type %#x is not supported (only function and module types)", c)
		}
	}
}
