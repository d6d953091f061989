// Package component reads a WebAssembly component binary and plans how to
// run its core instantiation graph on a core-wasm engine: which core
// modules to instantiate, in which order, and where every import of every
// core module comes from (an export of an earlier core instance, or a host
// function the component imports and lowers with canon lower). It does
// no instantiation: host.Worker does, with wazero.
//
// Only what a component made by wit-component (componentize-py,
// componentize-js, cargo-component, wasm-tools component new/link) uses is
// supported: core modules, core instances (instantiations and bags of
// exports), aliases of core and component instance exports, canon lift,
// lower and resource.drop of imported resources, instance imports, and
// exports of lifted functions. Nested components may only
// re-export what they import (wit-component wraps each exported interface
// in one, to give its functions their exported types). Core module
// imports, start functions and the async built-ins are errors that name
// the section and offset.
//
// See docs/components.md.
package component

import (
	"errors"
	"fmt"
	"slices"
	"strings"
)

// Component section ids.
const (
	secCustom       = 0
	secCoreModule   = 1
	secCoreInstance = 2
	secCoreType     = 3
	secComponent    = 4
	secInstance     = 5
	secAlias        = 6
	secType         = 7
	secCanon        = 8
	secStart        = 9
	secImport       = 10
	secExport       = 11
	secValue        = 12
)

// Sort bytes of the component binary (a core sort follows sortCore).
const (
	sortCore      = 0x00
	sortFunc      = 0x01
	sortValue     = 0x02
	sortType      = 0x03
	sortComponent = 0x04
	sortInstance  = 0x05

	coreSortType     = 0x10
	coreSortModule   = 0x11
	coreSortInstance = 0x12
)

// IsComponent reports whether wasm starts with the component preamble.
func IsComponent(wasm []byte) bool {
	return len(wasm) >= 8 && string(wasm[:4]) == "\x00asm" && wasm[6] == 1 && wasm[7] == 0
}

// Plan is how to run a component's core modules.
type Plan struct {
	// Modules are the component's core modules, in order; each is a slice
	// of the component binary.
	Modules [][]byte
	// Instances are the core instances to create, in order. Bags of
	// exports are resolved away: only instantiations remain.
	Instances []Instance
	// Exports are the component's lifted functions by name: an exported
	// function's name, or "<instance export name>#<function>" for a
	// function of an exported instance, e.g.
	// "bindery:http/handler@0.1.0#handle" (the core-module convention).
	Exports map[string]Lift
}

// Instance is one core instantiation.
type Instance struct {
	// Module indexes Plan.Modules.
	Module int
	// Imports resolves each import of the module, in the module's order.
	Imports []Import
	// Start says the module has a start function, which runs while it is
	// instantiated.
	Start bool
}

// Import is one core import and where it comes from: exactly one of From
// and Host is set.
type Import struct {
	CoreImport
	// From is an export of an earlier instance.
	From *Ref
	// Host is a host function the component imports.
	Host *HostFunc
}

// Ref names an export of a core instance of the plan.
type Ref struct {
	Instance int // indexes Plan.Instances
	Name     string
}

// String describes the reference, for errors and Describe.
func (r *Ref) String() string {
	if r == nil {
		return "none"
	}
	return fmt.Sprintf("instance %d %q", r.Instance, r.Name)
}

// HostFunc is a function the component imports, as lowered into core
// wasm: Interface and Func are named as the host serves them to core
// modules (e.g. "wasi:io/streams@0.2.0" and "[method]output-stream.write",
// "[resource-drop]output-stream").
type HostFunc struct {
	Interface, Func string
	// Memory and Realloc are the canon options (nil when absent; a
	// resource drop has neither).
	Memory, Realloc *Ref
}

// Lift is a lifted function: the core function and its canon options.
type Lift struct {
	Func                        Ref
	Memory, Realloc, PostReturn *Ref
}

// --- index spaces ---------------------------------------------------------

// coreItem is an entry of a core func/table/memory/global index space.
type coreItem struct {
	kind  byte // itemAlias, itemLower, itemDrop, itemOther
	inst  int  // itemAlias: core instance; itemDrop: -
	name  string
	lower int // itemLower: index into p.lowers; itemDrop: component type
	what  string
}

const (
	itemAlias = iota
	itemLower
	itemDrop
	itemOther
)

type coreInst struct {
	module  int            // >= 0: an instantiation of module; -1: a bag
	args    map[string]int // instantiation: argument name -> core instance
	exports map[string][2]uint32
	plan    int // instantiation: index in Plan.Instances
}

type lower struct {
	fn              int // component function
	memory, realloc int // core memory / func index, -1 when absent
}

type compFunc struct {
	inst int    // >= 0: alias of an export of component instance inst
	name string // the export name (or the import name at top level)
	lift int    // >= 0: a canon lift (index into p.lifts)
	what string // otherwise: what it is, for errors
}

type liftDef struct {
	fn                          int // core func
	memory, realloc, postReturn int
}

type compInst struct {
	imported string               // the import name, for an imported instance
	exports  map[string][2]uint32 // a bag: name -> (sort, index)
	what     string               // otherwise
}

type compType struct {
	inst int // >= 0: alias of an export of component instance inst
	name string
}

type parser struct {
	plan       *Plan
	modules    []*coreModule
	coreInsts  []coreInst
	coreFuncs  []coreItem
	coreTables []coreItem
	coreMems   []coreItem
	coreGlobs  []coreItem
	coreTypes  int
	lowers     []lower
	lifts      []liftDef
	funcs      []compFunc
	insts      []compInst
	types      []compType
	exports    []export
	comps      []*nested
}

type export struct {
	name      string
	sort, idx uint32
}

// Parse reads a component and returns its plan. Errors name the section
// and the offset at fault.
func Parse(wasm []byte) (*Plan, error) {
	if !IsComponent(wasm) {
		return nil, errors.New("component: not a component (no \\0asm component header)")
	}
	if v := uint16(wasm[4]) | uint16(wasm[5])<<8; v != 0x0d {
		return nil, fmt.Errorf("component: binary version %#x is not supported (only 0xd)", v)
	}
	p := &parser{plan: &Plan{Exports: map[string]Lift{}}}
	top := &reader{b: wasm, p: 8, what: "component"}
	for !top.done() {
		id := top.byte()
		size := top.u32()
		body := top.bytes(int(size))
		if top.err != nil {
			return nil, fmt.Errorf("component: %w", top.err)
		}
		r := &reader{b: body, base: top.p - len(body), what: sectionName(id)}
		p.section(r, id)
		if r.err == nil && r.p != len(body) {
			r.fail("%d bytes left over", len(body)-r.p)
		}
		if r.err != nil {
			return nil, fmt.Errorf("component: %w", r.err)
		}
	}
	if err := p.finish(); err != nil {
		return nil, fmt.Errorf("component: %w", err)
	}
	return p.plan, nil
}

func sectionName(id byte) string {
	names := map[byte]string{
		secCustom: "custom section", secCoreModule: "core module section", secCoreInstance: "core instance section",
		secCoreType: "core type section", secComponent: "component section", secInstance: "instance section",
		secAlias: "alias section", secType: "type section", secCanon: "canon section", secStart: "start section",
		secImport: "import section", secExport: "export section", secValue: "value section",
	}
	if n, ok := names[id]; ok {
		return n
	}
	return fmt.Sprintf("section %d", id)
}

func (p *parser) section(r *reader, id byte) {
	switch id {
	case secCustom:
		r.p = len(r.b)
	case secCoreModule:
		m, err := parseCore(r.b, r.base)
		if err != nil {
			r.fail("core module %d: %v", len(p.modules), err)
			return
		}
		p.modules = append(p.modules, m)
		p.plan.Modules = append(p.plan.Modules, r.b)
		r.p = len(r.b)
	case secCoreInstance:
		for n := r.count(); n > 0 && r.err == nil; n-- {
			p.coreInstance(r)
		}
	case secCoreType:
		for n := r.count(); n > 0 && r.err == nil; n-- {
			r.coreDefType(0)
			p.coreTypes++
		}
	case secType:
		for n := r.count(); n > 0 && r.err == nil; n-- {
			r.defType(0)
			p.types = append(p.types, compType{inst: -1})
		}
	case secAlias:
		for n := r.count(); n > 0 && r.err == nil; n-- {
			p.alias(r)
		}
	case secCanon:
		for n := r.count(); n > 0 && r.err == nil; n-- {
			p.canon(r)
		}
	case secImport:
		for n := r.count(); n > 0 && r.err == nil; n-- {
			name := r.externName()
			switch k := r.externDesc(); k {
			case 0x05:
				p.insts = append(p.insts, compInst{imported: name})
			case 0x01:
				p.funcs = append(p.funcs, compFunc{inst: -1, name: name, lift: -1, what: fmt.Sprintf("the top-level imported function %q", name)})
			case 0x03:
				p.types = append(p.types, compType{inst: -1})
			case 0x00:
				r.fail("import %q is a core module: not supported", name)
			case 0x04:
				r.fail("import %q is a component: not supported", name)
			case 0x02:
				r.fail("import %q is a value: not supported", name)
			}
		}
	case secInstance:
		for n := r.count(); n > 0 && r.err == nil; n-- {
			switch k := r.byte(); k {
			case 0x00:
				p.instantiate(r)
			case 0x01:
				exports := map[string][2]uint32{}
				for m := r.count(); m > 0 && r.err == nil; m-- {
					name := r.externName()
					s, i := p.sortIdx(r)
					exports[name] = [2]uint32{s, i}
				}
				p.insts = append(p.insts, compInst{exports: exports})
			default:
				if r.err == nil {
					r.fail("unknown instance kind %#x", k)
				}
			}
		}
	case secExport:
		for n := r.count(); n > 0 && r.err == nil; n-- {
			name := r.externName()
			s, i := p.sortIdx(r)
			switch t := r.byte(); t {
			case 0x00:
			case 0x01:
				r.externDesc()
			default:
				r.fail("bad export type ascription tag %#x", t)
			}
			if r.err != nil {
				return
			}
			p.exports = append(p.exports, export{name: name, sort: s, idx: i})
			// An export adds its item to the index space of its sort.
			switch s {
			case sortFunc:
				if p.checkIdx(r, "function", i, len(p.funcs)) {
					p.funcs = append(p.funcs, p.funcs[i])
				}
			case sortInstance:
				if p.checkIdx(r, "instance", i, len(p.insts)) {
					p.insts = append(p.insts, p.insts[i])
				}
			case sortType:
				if p.checkIdx(r, "type", i, len(p.types)) {
					p.types = append(p.types, p.types[i])
				}
			}
		}
	case secComponent:
		c, err := parseNested(r.b, r.base, 0)
		if err != nil {
			r.err = err
			return
		}
		p.comps = append(p.comps, c)
		r.p = len(r.b)
	case secStart:
		r.fail("component start functions are not supported")
	case secValue:
		r.fail("values are not supported")
	default:
		r.fail("unknown section id %d", id)
	}
}

func (p *parser) checkIdx(r *reader, what string, i uint32, n int) bool {
	if int(i) >= n {
		r.fail("%s index %d out of range (%d defined)", what, i, n)
		return false
	}
	return true
}

// sortIdx reads a sortidx: the sort (sortCore|coreSort<<8 for core sorts) and the index.
func (p *parser) sortIdx(r *reader) (uint32, uint32) {
	s := uint32(r.byte())
	if s == sortCore {
		s |= uint32(r.byte()) << 8
	}
	return s, r.u32()
}

func (p *parser) coreInstance(r *reader) {
	switch k := r.byte(); k {
	case 0x00:
		m := r.u32()
		if !p.checkIdx(r, "core module", m, len(p.modules)) {
			return
		}
		args := map[string]int{}
		for n := r.count(); n > 0 && r.err == nil; n-- {
			name := r.name()
			if s := r.byte(); s != coreSortInstance && r.err == nil {
				r.fail("instantiation argument %q is of core sort %#x, not an instance", name, s)
				return
			}
			i := r.u32()
			if !p.checkIdx(r, "core instance", i, len(p.coreInsts)) {
				return
			}
			args[name] = int(i)
		}
		p.coreInsts = append(p.coreInsts, coreInst{module: int(m), args: args, plan: -1})
	case 0x01:
		exports := map[string][2]uint32{}
		for n := r.count(); n > 0 && r.err == nil; n-- {
			name := r.name()
			s := r.byte()
			i := r.u32()
			exports[name] = [2]uint32{uint32(s), i}
		}
		p.coreInsts = append(p.coreInsts, coreInst{module: -1, exports: exports, plan: -1})
	default:
		if r.err == nil {
			r.fail("unknown core instance kind %#x", k)
		}
	}
}

func (p *parser) alias(r *reader) {
	a := r.alias()
	if r.err != nil {
		return
	}
	switch {
	case a.sort == sortCore && a.target == 0x01:
		if !p.checkIdx(r, "core instance", a.inst, len(p.coreInsts)) {
			return
		}
		it := coreItem{kind: itemAlias, inst: int(a.inst), name: a.name}
		switch a.coreSort {
		case KindFunc:
			p.coreFuncs = append(p.coreFuncs, it)
		case KindTable:
			p.coreTables = append(p.coreTables, it)
		case KindMemory:
			p.coreMems = append(p.coreMems, it)
		case KindGlobal:
			p.coreGlobs = append(p.coreGlobs, it)
		default:
			r.fail("alias of a core export of sort %#x is not supported", a.coreSort)
		}
	case a.sort == sortCore && a.target == 0x02:
		switch a.coreSort {
		case coreSortType:
			p.coreTypes++
		default:
			r.fail("outer alias of core sort %#x is not supported", a.coreSort)
		}
	case a.target == 0x00:
		if !p.checkIdx(r, "instance", a.inst, len(p.insts)) {
			return
		}
		switch a.sort {
		case sortFunc:
			p.funcs = append(p.funcs, compFunc{inst: int(a.inst), name: a.name, lift: -1})
		case sortType:
			p.types = append(p.types, compType{inst: int(a.inst), name: a.name})
		case sortInstance:
			p.insts = append(p.insts, compInst{what: fmt.Sprintf("instance %q of instance %d", a.name, a.inst)})
		default:
			r.fail("alias of an instance export of sort %#x is not supported", a.sort)
		}
	case a.target == 0x02 && a.sort == sortType:
		p.types = append(p.types, compType{inst: -1})
	default:
		r.fail("alias of sort %#x with target %#x is not supported", a.sort, a.target)
	}
}

// opts reads canon options; absent indices are -1.
func (p *parser) opts(r *reader) (memory, realloc, postReturn int) {
	memory, realloc, postReturn = -1, -1, -1
	for n := r.count(); n > 0 && r.err == nil; n-- {
		switch o := r.byte(); o {
		case 0x00: // utf8
		case 0x01, 0x02:
			r.fail("string encoding %#x is not supported (only UTF-8)", o)
		case 0x03:
			memory = int(r.u32())
			p.checkIdx(r, "core memory", uint32(memory), len(p.coreMems))
		case 0x04:
			realloc = int(r.u32())
			p.checkIdx(r, "core function", uint32(realloc), len(p.coreFuncs))
		case 0x05:
			postReturn = int(r.u32())
			p.checkIdx(r, "core function", uint32(postReturn), len(p.coreFuncs))
		case 0x06:
			r.fail("async canon option is not supported")
		default:
			if r.err == nil {
				r.fail("canon option %#x is not supported", o)
			}
		}
	}
	return
}

func (p *parser) canon(r *reader) {
	switch k := r.byte(); k {
	case 0x00: // lift
		if s := r.byte(); s != 0x00 && r.err == nil {
			r.fail("canon lift of sort %#x", s)
			return
		}
		f := r.u32()
		p.checkIdx(r, "core function", f, len(p.coreFuncs))
		m, ra, pr := p.opts(r)
		r.u32() // the function type
		p.lifts = append(p.lifts, liftDef{fn: int(f), memory: m, realloc: ra, postReturn: pr})
		p.funcs = append(p.funcs, compFunc{inst: -1, lift: len(p.lifts) - 1})
	case 0x01: // lower
		if s := r.byte(); s != 0x00 && r.err == nil {
			r.fail("canon lower of sort %#x", s)
			return
		}
		f := r.u32()
		p.checkIdx(r, "function", f, len(p.funcs))
		m, ra, pr := p.opts(r)
		if pr >= 0 {
			r.fail("canon lower with post-return")
		}
		p.lowers = append(p.lowers, lower{fn: int(f), memory: m, realloc: ra})
		p.coreFuncs = append(p.coreFuncs, coreItem{kind: itemLower, lower: len(p.lowers) - 1})
	case 0x03: // resource.drop
		t := r.u32()
		p.checkIdx(r, "type", t, len(p.types))
		p.coreFuncs = append(p.coreFuncs, coreItem{kind: itemDrop, lower: int(t)})
	case 0x02, 0x04: // resource.new, resource.rep: of the component's own resources
		t := r.u32()
		what := map[byte]string{0x02: "resource.new", 0x04: "resource.rep"}[k]
		p.coreFuncs = append(p.coreFuncs, coreItem{kind: itemOther, what: fmt.Sprintf("canon %s of type %d (resources defined by the component are not supported)", what, t)})
	default:
		if r.err == nil {
			r.fail("canon %#x is not supported (async built-ins are not)", k)
		}
	}
}

// --- resolution -----------------------------------------------------------

// finish creates the plan's instances and exports.
func (p *parser) finish() error {
	for ci := range p.coreInsts {
		inst := &p.coreInsts[ci]
		if inst.module < 0 {
			continue
		}
		m := p.modules[inst.module]
		pi := Instance{Module: inst.module, Start: m.start}
		for _, imp := range m.imports {
			arg, ok := inst.args[imp.Module]
			if !ok {
				return fmt.Errorf("core instance %d (module %d): import %q %q: no instantiation argument named %q", ci, inst.module, imp.Module, imp.Name, imp.Module)
			}
			res, err := p.resolveExport(arg, imp.Name, imp.Kind, 0)
			if err != nil {
				return fmt.Errorf("core instance %d (module %d): import %q %q: %w", ci, inst.module, imp.Module, imp.Name, err)
			}
			res.CoreImport = imp
			pi.Imports = append(pi.Imports, res)
		}
		inst.plan = len(p.plan.Instances)
		p.plan.Instances = append(p.plan.Instances, pi)
	}
	for _, e := range p.exports {
		switch e.sort {
		case sortFunc:
			l, err := p.lift(int(e.idx))
			if err != nil {
				return fmt.Errorf("export %q: %w", e.name, err)
			}
			p.plan.Exports[e.name] = l
		case sortInstance:
			ins := p.insts[e.idx]
			if ins.exports == nil {
				continue // re-exporting an import: nothing the host calls
			}
			for _, name := range sortedKeys(ins.exports) {
				si := ins.exports[name]
				if si[0] != sortFunc {
					continue
				}
				if int(si[1]) >= len(p.funcs) {
					return fmt.Errorf("export %q: function %q: index %d out of range", e.name, name, si[1])
				}
				l, err := p.lift(int(si[1]))
				if err != nil {
					return fmt.Errorf("export %q: function %q: %w", e.name, name, err)
				}
				p.plan.Exports[e.name+"#"+name] = l
			}
		}
	}
	return nil
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}

// resolveExport resolves export name of kind of core instance ci.
func (p *parser) resolveExport(ci int, name string, kind byte, depth int) (Import, error) {
	if depth > len(p.coreInsts) {
		return Import{}, errors.New("cycle of bags of exports")
	}
	inst := p.coreInsts[ci]
	if inst.module >= 0 {
		if inst.plan < 0 {
			return Import{}, fmt.Errorf("core instance %d is used before it is instantiated", ci)
		}
		k, ok := p.modules[inst.module].exports[name]
		if !ok {
			return Import{}, fmt.Errorf("core instance %d (module %d) exports no %q", ci, inst.module, name)
		}
		if k != kind {
			return Import{}, fmt.Errorf("core instance %d (module %d) exports %q as a %s, not a %s", ci, inst.module, name, KindName(k), KindName(kind))
		}
		return Import{From: &Ref{Instance: inst.plan, Name: name}}, nil
	}
	si, ok := inst.exports[name]
	if !ok {
		return Import{}, fmt.Errorf("core instance %d (a bag of exports) has no %q", ci, name)
	}
	if byte(si[0]) != kind {
		return Import{}, fmt.Errorf("core instance %d exports %q as a %s, not a %s", ci, name, KindName(byte(si[0])), KindName(kind))
	}
	return p.resolveItem(kind, int(si[1]), depth+1)
}

// resolveItem resolves entry idx of a core index space.
func (p *parser) resolveItem(kind byte, idx int, depth int) (Import, error) {
	var space []coreItem
	switch kind {
	case KindFunc:
		space = p.coreFuncs
	case KindTable:
		space = p.coreTables
	case KindMemory:
		space = p.coreMems
	case KindGlobal:
		space = p.coreGlobs
	default:
		return Import{}, fmt.Errorf("core %s imports are not supported", KindName(kind))
	}
	if idx < 0 || idx >= len(space) {
		return Import{}, fmt.Errorf("core %s index %d out of range (%d defined)", KindName(kind), idx, len(space))
	}
	it := space[idx]
	switch it.kind {
	case itemAlias:
		return p.resolveExport(it.inst, it.name, kind, depth+1)
	case itemLower:
		h, err := p.hostFunc(p.lowers[it.lower])
		return Import{Host: h}, err
	case itemDrop:
		t := p.types[it.lower]
		if t.inst < 0 || p.insts[t.inst].imported == "" {
			return Import{}, fmt.Errorf("canon resource.drop of type %d: only resources of imported instances are supported", it.lower)
		}
		return Import{Host: &HostFunc{Interface: p.insts[t.inst].imported, Func: "[resource-drop]" + t.name}}, nil
	default:
		return Import{}, errors.New(it.what)
	}
}

// ref resolves a canon option (a core memory or function) to a Ref.
func (p *parser) ref(kind byte, idx int) (*Ref, error) {
	if idx < 0 {
		return nil, nil
	}
	imp, err := p.resolveItem(kind, idx, 0)
	if err != nil {
		return nil, err
	}
	if imp.From == nil {
		return nil, fmt.Errorf("canon option %s %d is not an export of a core instance", KindName(kind), idx)
	}
	return imp.From, nil
}

func (p *parser) hostFunc(l lower) (*HostFunc, error) {
	f := p.funcs[l.fn]
	if f.inst < 0 || p.insts[f.inst].imported == "" {
		what := f.what
		if what == "" {
			what = fmt.Sprintf("function %d", l.fn)
		}
		return nil, fmt.Errorf("canon lower of %s: only functions of imported instances are supported", what)
	}
	h := &HostFunc{Interface: p.insts[f.inst].imported, Func: f.name}
	var err error
	if h.Memory, err = p.ref(KindMemory, l.memory); err != nil {
		return nil, fmt.Errorf("canon lower of %s %s: memory: %w", h.Interface, h.Func, err)
	}
	if h.Realloc, err = p.ref(KindFunc, l.realloc); err != nil {
		return nil, fmt.Errorf("canon lower of %s %s: realloc: %w", h.Interface, h.Func, err)
	}
	return h, nil
}

func (p *parser) lift(fn int) (Lift, error) {
	f := p.funcs[fn]
	if f.lift < 0 {
		what := f.what
		if what == "" {
			what = fmt.Sprintf("function %q of instance %d", f.name, f.inst)
		}
		return Lift{}, fmt.Errorf("%s is not a lifted core function", what)
	}
	d := p.lifts[f.lift]
	var l Lift
	core, err := p.ref(KindFunc, d.fn)
	if err != nil {
		return Lift{}, fmt.Errorf("canon lift: %w", err)
	}
	l.Func = *core
	if l.Memory, err = p.ref(KindMemory, d.memory); err != nil {
		return Lift{}, fmt.Errorf("canon lift: memory: %w", err)
	}
	if l.Realloc, err = p.ref(KindFunc, d.realloc); err != nil {
		return Lift{}, fmt.Errorf("canon lift: realloc: %w", err)
	}
	if l.PostReturn, err = p.ref(KindFunc, d.postReturn); err != nil {
		return Lift{}, fmt.Errorf("canon lift: post-return: %w", err)
	}
	return l, nil
}

// Describe returns a human-readable listing of the plan, for debugging
// and docs.
func (pl *Plan) Describe() string {
	var b strings.Builder
	for i, inst := range pl.Instances {
		fmt.Fprintf(&b, "instance %d: module %d (%d bytes), %d imports\n", i, inst.Module, len(pl.Modules[inst.Module]), len(inst.Imports))
		for _, imp := range inst.Imports {
			switch {
			case imp.Host != nil:
				fmt.Fprintf(&b, "  %s %q %q <- host %s %s (memory %s, realloc %s)\n", KindName(imp.Kind), imp.Module, imp.Name, imp.Host.Interface, imp.Host.Func, imp.Host.Memory, imp.Host.Realloc)
			default:
				fmt.Fprintf(&b, "  %s %q %q <- %s\n", KindName(imp.Kind), imp.Module, imp.Name, imp.From)
			}
		}
	}
	for _, name := range sortedKeys(pl.Exports) {
		l := pl.Exports[name]
		fmt.Fprintf(&b, "export %q: %s (memory %s, realloc %s, post-return %s)\n", name, &l.Func, l.Memory, l.Realloc, l.PostReturn)
	}
	return b.String()
}
