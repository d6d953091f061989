package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"strings"

	"github.com/bindery-run/bindery/abi/bindgen"
)

const bindgenHelp = `Usage: bindery bindgen --world NAME --out DIR [--wit DIR] [--lang LANG]... [--package NAME]

Generates the bindings of a WIT world, for a Go program that runs plugins
of that world sandboxed (go-host) and for the plugins themselves (go-guest,
c). The same generator makes Bindery's own bindings (package abi/bindgen,
usable as a library).

Languages (--lang, repeated or comma-separated; default go-host):
  go-host   a Go package: a typed caller of the world's exports over an
            abi.Caller (a *host.Guest), Check for host.GuestConfig.Check,
            and for each import an interface to implement and a binding
  go-guest  a Go package for a GOOS=wasip1 reactor (go build
            -buildmode=c-shared): functions for the imports, variables to
            set for the exports, its own Canonical ABI runtime
  c         C headers and sources for clang --target=wasm32-wasi
A Rust plugin uses upstream wit-bindgen on the same WIT (docs/plugins.md).

With one language the files go into --out; with several, into a folder
per language under it (--out/go-host, --out/go-guest, --out/c). Existing
files of the same names are overwritten.
`

// langList is the value of --lang: repeatable, each a comma list.
type langList []bindgen.Lang

func (l *langList) String() string {
	var s []string
	for _, x := range *l {
		s = append(s, string(x))
	}
	return strings.Join(s, ",")
}

func (l *langList) Set(v string) error {
	for _, p := range strings.Split(v, ",") {
		p = strings.TrimSpace(p)
		if p == "" {
			continue
		}
		lang := bindgen.Lang(p)
		known := false
		for _, k := range bindgen.Langs() {
			known = known || k == lang
		}
		if !known {
			return fmt.Errorf("unknown language %q (there are go-host, go-guest and c; a Rust plugin uses wit-bindgen)", p)
		}
		*l = append(*l, lang)
	}
	return nil
}

func runBindgen(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("bindery bindgen", flag.ContinueOnError)
	witDir := fs.String("wit", "wit", "read the WIT packages in `DIR` (dependencies in DIR/deps)")
	world := fs.String("world", "", "generate the world `NAME` (plain, or qualified as ns:pkg/name)")
	out := fs.String("out", "", "write the files under `DIR`")
	pkg := fs.String("package", "", "name the Go package `NAME` (default: the world's name without dashes)")
	var langs langList
	fs.Var(&langs, "lang", "generate `LANG`: go-host, go-guest or c (repeat, or separate with commas)")
	pos, err := parse(fs, bindgenHelp, args, stdout, stderr)
	if err != nil {
		return err
	}
	if len(pos) > 0 {
		fmt.Fprintf(stderr, "bindery bindgen: unexpected argument %q\nRun \"bindery bindgen --help\" for usage.\n", pos[0])
		return errUsage
	}
	if *out == "" {
		fmt.Fprint(stderr, "bindery bindgen: --out DIR is required\nRun \"bindery bindgen --help\" for usage.\n")
		return errUsage
	}
	if len(langs) == 0 {
		langs = langList{bindgen.GoHost}
	}
	res, err := bindgen.LoadWIT(*witDir)
	if err != nil {
		return err
	}
	if *world == "" {
		return errors.New("bindgen: --world NAME is required; the WIT has: " + strings.Join(bindgen.Worlds(res), ", "))
	}
	files, err := bindgen.GenerateWorld(res, bindgen.WorldOptions{World: *world, Package: *pkg, Langs: langs})
	if err != nil {
		return err
	}
	if err := bindgen.WriteFiles(*out, files); err != nil {
		return err
	}
	fmt.Fprintf(stdout, "wrote %d files of world %s under %s\n", len(files), *world, *out)
	return nil
}
