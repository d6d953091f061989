package wasmgen

// Component pieces. Sorts and kinds are the binary's bytes: a core kind is
// 0x00 func, 0x01 table, 0x02 memory, 0x03 global; a component sort is
// 0x01 func, 0x03 type, 0x05 instance.

// CoreModule is a core module section.
func CoreModule(m []byte) []byte { return Section(CSecCoreModule, m) }

// CoreInstances is a core instance section.
func CoreInstances(insts ...[]byte) []byte { return Section(CSecCoreInstance, Vec(insts...)) }

// Instantiate is a core instantiation of module with args (Arg).
func Instantiate(module uint32, args ...[]byte) []byte {
	return Cat([]byte{0x00}, U(nil, uint64(module)), Vec(args...))
}

// Arg is a core instantiation argument: the instance inst for imports from name.
func Arg(name string, inst uint32) []byte {
	return Cat(Name(nil, name), []byte{0x12}, U(nil, uint64(inst)))
}

// Bag is a core instance of exports (CoreExport).
func Bag(exports ...[]byte) []byte { return Cat([]byte{0x01}, Vec(exports...)) }

// CoreExport is one export of a Bag: item idx of core kind.
func CoreExport(name string, kind byte, idx uint32) []byte {
	return Cat(Name(nil, name), []byte{kind}, U(nil, uint64(idx)))
}

// Aliases is an alias section.
func Aliases(as ...[]byte) []byte { return Section(CSecAlias, Vec(as...)) }

// CoreAlias aliases export name (of core kind) of core instance inst.
func CoreAlias(kind byte, inst uint32, name string) []byte {
	return Cat([]byte{0x00, kind, 0x01}, U(nil, uint64(inst)), Name(nil, name))
}

// InstAlias aliases export name (of sort) of component instance inst.
func InstAlias(sort byte, inst uint32, name string) []byte {
	return Cat([]byte{sort, 0x00}, U(nil, uint64(inst)), Name(nil, name))
}

// VoidFunc is the component function type func().
var VoidFunc = []byte{0x40, 0x00, 0x01, 0x00}

// EmptyInstanceType is the instance type with no exports.
var EmptyInstanceType = []byte{0x42, 0x00}

// Types is a type section.
func Types(ts ...[]byte) []byte { return Section(CSecType, Vec(ts...)) }

// ImportInstance is an import section importing one instance of type typ.
func ImportInstance(name string, typ uint32) []byte {
	return Section(CSecImport, Vec(Cat([]byte{0x00}, Name(nil, name), []byte{0x05}, U(nil, uint64(typ)))))
}

// Canons is a canon section.
func Canons(cs ...[]byte) []byte { return Section(CSecCanon, Vec(cs...)) }

// CanonLower is canon lower of component function fn.
func CanonLower(fn uint32, opts ...[]byte) []byte {
	return Cat([]byte{0x01, 0x00}, U(nil, uint64(fn)), Vec(opts...))
}

// CanonLift is canon lift of core function coreFn with component type typ.
func CanonLift(coreFn uint32, typ uint32, opts ...[]byte) []byte {
	return Cat([]byte{0x00, 0x00}, U(nil, uint64(coreFn)), Vec(opts...), U(nil, uint64(typ)))
}

// OptMemory is the canon option (memory i).
func OptMemory(i uint32) []byte { return Cat([]byte{0x03}, U(nil, uint64(i))) }

// OptRealloc is the canon option (realloc i).
func OptRealloc(i uint32) []byte { return Cat([]byte{0x04}, U(nil, uint64(i))) }

// OptPostReturn is the canon option (post-return i).
func OptPostReturn(i uint32) []byte { return Cat([]byte{0x05}, U(nil, uint64(i))) }

// ExportFunc is an export section exporting component function fn.
func ExportFunc(name string, fn uint32) []byte {
	return Section(CSecExport, Vec(Cat([]byte{0x00}, Name(nil, name), []byte{0x01}, U(nil, uint64(fn)), []byte{0x00})))
}

// ExportInstance is an export section exporting component instance inst.
func ExportInstance(name string, inst uint32) []byte {
	return Section(CSecExport, Vec(Cat([]byte{0x00}, Name(nil, name), []byte{0x05}, U(nil, uint64(inst)), []byte{0x00})))
}

// InstanceOfFuncs is an instance section with one instance of inline
// exports: name -> component function.
func InstanceOfFuncs(names []string, fns []uint32) []byte {
	var es [][]byte
	for i, n := range names {
		es = append(es, Cat([]byte{0x00}, Name(nil, n), []byte{0x01}, U(nil, uint64(fns[i]))))
	}
	return Section(CSecInstance, Vec(Cat([]byte{0x01}, Vec(es...))))
}

// Code helpers (instructions).

// I32Const is i32.const v.
func I32Const(v int32) []byte { return AppendS32([]byte{0x41}, v) }

// I64Const is i64.const v (small v).
func I64Const(v int32) []byte { return AppendS32([]byte{0x42}, v) }

// Call is call f.
func Call(f uint32) []byte { return U([]byte{0x10}, uint64(f)) }

// LocalGet is local.get i.
func LocalGet(i uint32) []byte { return U([]byte{0x20}, uint64(i)) }

// I32Load is i32.load (align 4, offset 0).
var I32Load = []byte{0x28, 2, 0}

// I32Store is i32.store (align 4, offset 0).
var I32Store = []byte{0x36, 2, 0}

// DataActive is an active data segment on memory 0 at offset.
func DataActive(offset int32, data []byte) []byte {
	return Cat([]byte{0x00}, I32Const(offset), []byte{0x0b}, U(nil, uint64(len(data))), data)
}
