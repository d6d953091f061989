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
	"github.com/bindery-run/bindery/bindings/cron/cronmodule"
	"github.com/bindery-run/bindery/bindings/d1/d1module"
	"github.com/bindery-run/bindery/bindings/durable/durablemodule"
	"github.com/bindery-run/bindery/bindings/kv/kvmodule"
	"github.com/bindery-run/bindery/bindings/queue/queuemodule"
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
		kvmodule.Module(),
		r2module.Module(),
		varsmodule.Module(),
		cachemodule.Module(),
		d1module.Module(),
		durablemodule.Module(),
		queuemodule.Module(),
		cronmodule.Module(),
	}
}

// commandEnv is what bindery gives a module's command: its streams and
// the config loader with every module's parser.
func commandEnv(stdin io.Reader, stdout, stderr io.Writer) bindings.CommandEnv {
	return bindings.CommandEnv{In: stdin, Out: stdout, Err: stderr, LoadConfig: func(path, env string, optional bool) (*bindings.ConfigFile, error) {
		cfg, err := loadConfig(path, env, optional)
		if err != nil {
			return nil, err
		}
		return &bindings.ConfigFile{Path: cfg.Path, Name: cfg.Name, Bindings: cfg.Bindings}, nil
	}}
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
