package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"strings"
	"text/tabwriter"

	"github.com/bindery-run/bindery/bindings"
	"github.com/bindery-run/bindery/bindings/cache/cachemodule"
	"github.com/bindery-run/bindery/bindings/kv/kvmodule"
	"github.com/bindery-run/bindery/bindings/r2/r2module"
	"github.com/bindery-run/bindery/bindings/vars/varsmodule"
)

// modules are the binding modules compiled into bindery, one line each.
// bindery dev grants their bindings, denies their interfaces to Workers
// that import them ungranted, serves their admin routes and runs their
// background jobs; the config loader hands them their keys; `bindery
// modules` lists them. Adding a binding adds a line here (see
// docs/adding-a-binding.md).
func modules() []bindings.Module {
	return []bindings.Module{
		withCommand(kvmodule.Module(), "kv", "kv key put|get|delete|list", runKV),
		withCommand(r2module.Module(), "r2", "r2 object put|get|delete|list", runR2),
		varsmodule.Module(),
		cachemodule.Module(),
	}
}

// withCommand gives m the bindery subcommand name, run by run.
//
// The kv and r2 commands still live in this package (kv.go, r2.go),
// because they share its flag and config helpers.
func withCommand(m bindings.Module, name, usage string, run func(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer) error) bindings.Module {
	m.Command = &bindings.Command{Name: name, Usage: usage, Run: func(ctx context.Context, args []string, s bindings.Stdio) error {
		return run(ctx, args, s.In, s.Out, s.Err)
	}}
	return m
}

// moduleCommand returns the command of the module whose subcommand is
// name, if any.
func moduleCommand(mods []bindings.Module, name string) *bindings.Command {
	for _, m := range mods {
		if m.Command != nil && m.Command.Name == name {
			return m.Command
		}
	}
	return nil
}

const modulesUsage = `Usage: bindery modules

Lists the binding modules compiled into bindery: each one's name, the
wrangler config keys it reads, the WIT interfaces it serves, its bindery
subcommand and what it is.
`

// runModules implements "bindery modules".
func runModules(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("bindery modules", flag.ContinueOnError)
	pos, err := parse(fs, modulesUsage, args, stdout, stderr)
	if err != nil {
		return err
	}
	if len(pos) > 0 {
		fmt.Fprintf(stderr, "bindery modules: takes no arguments, got %q\n\n%s", pos, modulesUsage)
		return errUsage
	}
	return printModules(stdout, modules())
}

// printModules prints one line per module.
func printModules(w io.Writer, mods []bindings.Module) error {
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "NAME\tCONFIG\tINTERFACES\tCOMMAND\tDESCRIPTION")
	for _, m := range mods {
		var ifaces []string
		for _, in := range m.Interfaces {
			ifaces = append(ifaces, in.Name)
		}
		cmd := "-"
		if m.Command != nil {
			cmd = "bindery " + m.Command.Name
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\n", m.Name, orDash(strings.Join(m.Config, ",")), orDash(strings.Join(ifaces, ",")), cmd, m.Doc)
	}
	return tw.Flush()
}

func orDash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}
