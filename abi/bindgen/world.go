package bindgen

import (
	"fmt"
	"go/ast"
	"go/parser"
	"go/token"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strings"

	"go.bytecodealliance.org/wit"
)

// rootModule is the core module name of a world's own imported functions,
// as the Component Model's core ABI names it; the world's exported
// functions are exported under their bare names.
const rootModule = "$root"

// Lang is a language GenerateWorld writes bindings in.
type Lang string

// The languages of GenerateWorld.
const (
	// GoHost is the host side in Go: a typed caller of the world's
	// exports over an abi.Caller, a Check of a guest's exports, and for
	// each import an interface to implement and a binding that serves it.
	GoHost Lang = "go-host"
	// GoGuest is a guest in Go (GOOS=wasip1, a reactor built with
	// -buildmode=c-shared): functions for the imports, variables to set
	// for the exports, and the package's own Canonical ABI runtime.
	GoGuest Lang = "go-guest"
	// C is a guest in C (clang, wasm32-wasip1): a header and a source
	// file per interface, plus the shared bindery_cabi.h/.c.
	C Lang = "c"
)

// Langs lists the languages GenerateWorld supports. A Rust guest uses
// upstream wit-bindgen on the same WIT (docs/plugins.md).
func Langs() []Lang { return []Lang{GoHost, GoGuest, C} }

// WorldOptions says what GenerateWorld generates.
type WorldOptions struct {
	// World is the world's name ("image-filter"), or its qualified name
	// ("example:image/image-filter") when several packages have one of
	// that name.
	World string
	// Package is the Go package name of the generated Go code; "" is the
	// world's name without dashes ("imagefilter").
	Package string
	// Langs are the languages to generate; none means every one of Langs.
	Langs []Lang
}

// worldMode is what GenerateWorld adds to a generator: the world's own
// functions and types as pseudo-interfaces (named "$imports", "$exports"
// and "$types", with the ID "$root"), so that the per-interface code
// generates them as it generates an interface.
type worldMode struct {
	pkg                    string
	goNames                map[*wit.Interface]string
	types, imports, export *wit.Interface
	pseudos                []*wit.Interface
	// needGuestError is set when an export's error type is a string.
	needGuestError bool
}

// isPseudo reports whether i stands for the world's own functions or types.
func isPseudo(i *wit.Interface) bool { return i.Name != nil && strings.HasPrefix(*i.Name, "$") }

// LoadWIT parses the WIT packages in dir (a folder of .wit files, with
// dependencies in dir/deps, or one .wit file). A syntax or resolution
// error names the file and line.
func LoadWIT(dir string) (*wit.Resolve, error) {
	if _, err := os.Stat(dir); err != nil {
		return nil, fmt.Errorf("bindgen: WIT: %w", err)
	}
	res, err := wit.LoadWIT(dir)
	if err != nil {
		return nil, fmt.Errorf("bindgen: WIT in %s: %w", dir, err)
	}
	return res, nil
}

// Worlds returns the qualified names of the worlds in res, sorted
// ("example:image/image-filter").
func Worlds(res *wit.Resolve) []string {
	var names []string
	for _, w := range res.Worlds {
		names = append(names, worldID(w))
	}
	sort.Strings(names)
	return names
}

func worldID(w *wit.World) string {
	return w.Package.Name.Namespace + ":" + w.Package.Name.Package + "/" + w.Name
}

// FindWorld returns the world of res named name (plain or qualified); the
// error lists the worlds there are.
func FindWorld(res *wit.Resolve, name string) (*wit.World, error) {
	var found []*wit.World
	for _, w := range res.Worlds {
		id := worldID(w)
		if w.Name == name || id == name || strings.HasPrefix(name, id+"@") {
			found = append(found, w)
		}
	}
	switch len(found) {
	case 1:
		return found[0], nil
	case 0:
		return nil, fmt.Errorf("bindgen: no world %q in the WIT; there are: %s", name, strings.Join(Worlds(res), ", "))
	}
	var ids []string
	for _, w := range found {
		ids = append(ids, worldID(w))
	}
	return nil, fmt.Errorf("bindgen: world %q is ambiguous: %s", name, strings.Join(ids, ", "))
}

// GoPackageName is the Go package name GenerateWorld uses for a world
// when WorldOptions.Package is empty: its name, lower case, without dashes.
func GoPackageName(world string) string {
	return strings.ToLower(strings.ReplaceAll(world, "-", ""))
}

// GenerateWorld generates the bindings of one world of res in each of
// opts.Langs. File.Path is the file's name, under a folder named after
// its Lang ("go-host/world_gen.go") when there are several languages.
//
// The world's imported and exported interfaces, and its own functions
// and types, all go into one package (Go) or folder (C); two of them
// that map to the same Go name are an error naming both.
func GenerateWorld(res *wit.Resolve, opts WorldOptions) ([]File, error) {
	world, err := FindWorld(res, opts.World)
	if err != nil {
		return nil, err
	}
	langs := opts.Langs
	if len(langs) == 0 {
		langs = Langs()
	}
	for _, l := range langs {
		if !slices.Contains(Langs(), l) {
			return nil, fmt.Errorf("bindgen: unknown language %q (there are %v; a Rust guest uses wit-bindgen)", l, Langs())
		}
	}
	pkg := opts.Package
	if pkg == "" {
		pkg = GoPackageName(world.Name)
	}
	if !token.IsIdentifier(pkg) || token.IsKeyword(pkg) {
		return nil, fmt.Errorf("bindgen: %q is not a Go package name (set the package name)", pkg)
	}
	g := &gen{
		cfg:      Config{Module: "github.com/bindery-run/bindery", World: world.Name, CDir: "c"},
		res:      res,
		world:    world,
		byIface:  map[*wit.Interface]*Target{},
		imported: map[*wit.Interface]bool{},
		exported: map[*wit.Interface]bool{},
		wm:       &worldMode{pkg: pkg, goNames: map[*wit.Interface]string{}},
	}
	ifaces, err := g.worldInterfaces()
	if err != nil {
		return nil, err
	}
	var files []File
	add := func(lang Lang, prefix string, fs ...File) {
		for _, f := range fs {
			f.Path = strings.TrimPrefix(f.Path, prefix+"/")
			if len(langs) > 1 {
				f.Path = string(lang) + "/" + f.Path
			}
			f.Lang = lang
			files = append(files, f)
		}
	}
	for _, lang := range langs {
		switch lang {
		case GoHost:
			var fs []File
			for _, iface := range ifaces {
				f, err := g.hostFile(iface, g.byIface[iface])
				if err != nil {
					return nil, err
				}
				fs = append(fs, f)
			}
			f, err := g.hostWorldFile(ifaces)
			if err != nil {
				return nil, err
			}
			fs = append(fs, f)
			if err := duplicateDecls(fs); err != nil {
				return nil, err
			}
			add(lang, pkg, fs...)
		case GoGuest:
			var fs []File
			for _, iface := range ifaces {
				f, err := g.guestFile(iface, g.byIface[iface])
				if err != nil {
					return nil, err
				}
				fs = append(fs, f)
			}
			fs = append(fs, File{Path: pkg + "/world_cabi_gen.go", Data: []byte(strings.Replace(goGuestRuntime, "package cabi", "package "+pkg, 1))})
			if err := duplicateDecls(fs); err != nil {
				return nil, err
			}
			add(lang, pkg, fs...)
		case C:
			fs, err := g.cFiles(ifaces)
			if err != nil {
				return nil, err
			}
			fs = append(fs, g.cWorldHeader(ifaces))
			add(lang, "c", fs...)
		}
	}
	return files, nil
}

// worldInterfaces sorts the world's items into the generator's tables and
// returns the interfaces to generate: the world's interfaces by ID, then
// its own types, imports and exports.
func (g *gen) worldInterfaces() ([]*wit.Interface, error) {
	w, wm := g.world, g.wm
	pseudo := func(name, goName string) *wit.Interface {
		n := name
		i := &wit.Interface{Name: &n, Package: w.Package}
		wm.goNames[i] = goName
		return i
	}
	wg := goName(w.Name)
	wm.types = pseudo("$types", wg+"Types")
	wm.imports = pseudo("$imports", wg)
	wm.export = pseudo("$exports", "")
	var ifaces []*wit.Interface
	addIface := func(i *wit.Interface) {
		if !slices.Contains(ifaces, i) {
			ifaces = append(ifaces, i)
		}
	}
	for name, item := range w.Imports.All() {
		switch it := item.(type) {
		case *wit.InterfaceRef:
			g.imported[it.Interface] = true
			addIface(it.Interface)
		case *wit.TypeDef:
			if _, ok := it.Kind.(*wit.Resource); ok {
				return nil, fmt.Errorf("bindgen: world %s: resource %s: resources of the world itself are not supported (declare them in an interface)", w.Name, name)
			}
			wm.types.TypeDefs.Set(name, it)
		case *wit.Function:
			wm.imports.Functions.Set(name, it)
		}
	}
	for name, item := range w.Exports.All() {
		switch it := item.(type) {
		case *wit.InterfaceRef:
			g.exported[it.Interface] = true
			addIface(it.Interface)
		case *wit.Function:
			wm.export.Functions.Set(name, it)
		default:
			return nil, fmt.Errorf("bindgen: world %s: export %s: unsupported item %T", w.Name, name, item)
		}
	}
	for _, i := range ifaces {
		if i.Name == nil {
			return nil, fmt.Errorf("bindgen: world %s: inline interfaces are not supported (name the interface)", w.Name)
		}
		if g.imported[i] && g.exported[i] {
			return nil, fmt.Errorf("bindgen: world %s: interface %s is both imported and exported", w.Name, ifaceID(i))
		}
	}
	sort.Slice(ifaces, func(a, b int) bool { return ifaceID(ifaces[a]) < ifaceID(ifaces[b]) })
	g.imported[wm.imports] = true
	g.exported[wm.export] = true
	for _, p := range []*wit.Interface{wm.types, wm.imports, wm.export} {
		wm.pseudos = append(wm.pseudos, p)
		if p.TypeDefs.Len() > 0 || p.Functions.Len() > 0 {
			ifaces = append(ifaces, p)
		}
	}
	// Every pseudo-interface has a target, generated or not: the typed
	// caller is written as part of $exports.
	for _, i := range append(slices.Clip(ifaces), wm.pseudos...) {
		g.byIface[i] = &Target{Interface: ifaceID(i), HostDir: wm.pkg, GuestDir: wm.pkg}
	}
	return ifaces, nil
}

// duplicateDecls reports two top-level Go declarations of the same name
// in one generated package: two interfaces of a world whose names map to
// the same Go name.
func duplicateDecls(files []File) error {
	seen := map[string]string{}
	fset := token.NewFileSet()
	for _, f := range files {
		af, err := parser.ParseFile(fset, f.Path, f.Data, parser.SkipObjectResolution)
		if err != nil {
			return fmt.Errorf("bindgen: %s: %w", f.Path, err)
		}
		names := func(n string) error {
			if n == "_" || n == "init" {
				return nil
			}
			if prev, ok := seen[n]; ok && prev != f.Path {
				return fmt.Errorf("bindgen: %s and %s both declare %s: rename a WIT item (generated Go shares one package)", prev, f.Path, n)
			}
			seen[n] = f.Path
			return nil
		}
		for _, d := range af.Decls {
			switch d := d.(type) {
			case *ast.FuncDecl:
				if d.Recv == nil {
					if err := names(d.Name.Name); err != nil {
						return err
					}
				}
			case *ast.GenDecl:
				for _, s := range d.Specs {
					switch s := s.(type) {
					case *ast.TypeSpec:
						if err := names(s.Name.Name); err != nil {
							return err
						}
					case *ast.ValueSpec:
						for _, n := range s.Names {
							if err := names(n.Name); err != nil {
								return err
							}
						}
					}
				}
			}
		}
	}
	return nil
}

// WriteFiles writes files under dir (creating folders as needed).
func WriteFiles(dir string, files []File) error {
	for _, f := range files {
		p := filepath.Join(dir, filepath.FromSlash(f.Path))
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			return fmt.Errorf("bindgen: %w", err)
		}
		if err := os.WriteFile(p, f.Data, 0o644); err != nil {
			return fmt.Errorf("bindgen: %w", err)
		}
	}
	return nil
}

// cWorldHeader is the C header that includes every other of the world.
func (g *gen) cWorldHeader(ifaces []*wit.Interface) File {
	name := cIdent(g.world.Name)
	guard := strings.ToUpper(name) + "_WORLD_H"
	var b w
	b.p("%s", g.generatedBy())
	b.p("//")
	b.p("// %s_world.h includes the C bindings of every part of the world.\n", name)
	b.p("#ifndef %s\n#define %s\n", guard, guard)
	b.p("#include \"%s.h\"", cCommon)
	for _, i := range ifaces {
		b.p("#include \"%s.h\"", g.cFile(i))
	}
	b.p("\n#endif // %s", guard)
	return File{Path: "c/" + name + "_world.h", Data: b.Bytes()}
}

// what names an interface in generated comments and messages: its ID, or
// for a pseudo-interface what it stands for ("the functions world
// image-filter imports").
func (g *gen) what(i *wit.Interface) string {
	if !isPseudo(i) {
		return ifaceID(i)
	}
	switch *i.Name {
	case "$imports":
		return "the functions world " + g.world.Name + " imports"
	case "$exports":
		return "the functions world " + g.world.Name + " exports"
	}
	return "the types of world " + g.world.Name
}

// guestKind is what the generated text calls a guest: a Worker, or for a
// world a guest of it.
func (g *gen) guestKind() string {
	if g.wm != nil {
		return "guest of world " + worldID(g.world)
	}
	return "Worker"
}
