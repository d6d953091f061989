package component

import "fmt"

// nested is what the plan needs of a nested component: which of its
// exports re-export which of its imports. wit-component wraps each
// exported interface in a component that imports the lifted functions
// (and their types) and exports them under their interface's names and
// types; such a component has no code of its own, so instantiating it
// only renames things.
type nested struct {
	// exports maps an export name to the import it re-exports ("" when it
	// exports something else, which the host never needs to call).
	exports map[string]nestedExport
}

type nestedExport struct {
	sort    uint32
	import_ string
}

// parseNested reads a nested component. Anything with code or instances
// of its own is an error: the host would have to instantiate it.
func parseNested(b []byte, base int, depth int) (*nested, error) {
	r := &reader{b: b, base: base, what: "nested component"}
	if len(b) < 8 || !IsComponent(b) {
		r.fail("no component header")
		return nil, r.err
	}
	r.p = 8
	n := &nested{exports: map[string]nestedExport{}}
	spaces := map[uint32][]string{} // sort -> entries: import name, or "" for anything else
	for !r.done() {
		id := r.byte()
		size := r.u32()
		body := r.bytes(int(size))
		if r.err != nil {
			return nil, r.err
		}
		s := &reader{b: body, base: r.base + r.p - len(body), what: "nested component's " + sectionName(id)}
		switch id {
		case secCustom:
			s.p = len(body)
		case secType:
			for k := s.count(); k > 0 && s.err == nil; k-- {
				s.defType(0)
				spaces[sortType] = append(spaces[sortType], "")
			}
		case secAlias:
			for k := s.count(); k > 0 && s.err == nil; k-- {
				a := s.alias()
				if s.err == nil && (a.target != 0x02 || a.sort != sortType) {
					s.fail("only outer type aliases are supported in a nested component")
				}
				spaces[sortType] = append(spaces[sortType], "")
			}
		case secImport:
			for k := s.count(); k > 0 && s.err == nil; k-- {
				name := s.externName()
				sort := externSort(s.externDesc())
				spaces[sort] = append(spaces[sort], name)
			}
		case secExport:
			for k := s.count(); k > 0 && s.err == nil; k-- {
				name := s.externName()
				sort := uint32(s.byte())
				if sort == sortCore {
					sort |= uint32(s.byte()) << 8
				}
				idx := s.u32()
				switch t := s.byte(); t {
				case 0x00:
				case 0x01:
					s.externDesc()
				default:
					s.fail("bad export type ascription tag %#x", t)
				}
				if s.err != nil {
					break
				}
				if int(idx) >= len(spaces[sort]) {
					s.fail("export %q: index %d out of range", name, idx)
					break
				}
				imp := spaces[sort][idx]
				n.exports[name] = nestedExport{sort: sort, import_: imp}
				spaces[sort] = append(spaces[sort], imp)
			}
		default:
			s.fail("a nested component with a %s is not supported (only re-exporting wrappers are)", sectionName(id))
		}
		if s.err == nil && s.p != len(body) {
			s.fail("%d bytes left over", len(body)-s.p)
		}
		if s.err != nil {
			return nil, s.err
		}
	}
	return n, nil
}

// externSort maps an externdesc kind to its sort.
func externSort(kind byte) uint32 {
	switch kind {
	case 0x00:
		return sortCore | coreSortModule<<8
	case 0x01:
		return sortFunc
	case 0x02:
		return sortValue
	case 0x03:
		return sortType
	case 0x04:
		return sortComponent
	case 0x05:
		return sortInstance
	}
	return 0xff
}

// instantiate reads a component instantiation (after its 0x00 tag): only
// of a nested re-exporting component, whose instance is then the bag of
// the arguments its exports re-export.
func (p *parser) instantiate(r *reader) {
	c := r.u32()
	if !p.checkIdx(r, "component", c, len(p.comps)) {
		return
	}
	args := map[string][2]uint32{}
	for k := r.count(); k > 0 && r.err == nil; k-- {
		name := r.name()
		s, i := p.sortIdx(r)
		args[name] = [2]uint32{s, i}
	}
	if r.err != nil {
		return
	}
	exports := map[string][2]uint32{}
	for _, name := range sortedKeys(p.comps[c].exports) {
		e := p.comps[c].exports[name]
		if e.import_ == "" {
			continue
		}
		a, ok := args[e.import_]
		if !ok {
			r.fail("instantiation of component %d: no argument for its import %q", c, e.import_)
			return
		}
		if a[0] != e.sort {
			r.fail("instantiation of component %d: argument %q is of sort %#x, not %#x", c, e.import_, a[0], e.sort)
			return
		}
		exports[name] = a
	}
	p.insts = append(p.insts, compInst{exports: exports, what: fmt.Sprintf("an instance of nested component %d", c)})
}
