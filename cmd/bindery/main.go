// Command bindery runs WebAssembly Workers locally with Cloudflare-style
// bindings, configured by the wrangler.toml / wrangler.jsonc you already have.
//
//	bindery init --lang c hello-c    scaffold a Worker
//	bindery build                    run the config's [build] command
//	bindery dev                      serve the Worker in the current directory
//	bindery kv key put KEY VALUE --binding NAME
//	bindery r2 object put BUCKET/KEY --file PATH
//	bindery d1 migrations apply DB
//	bindery modules
//	bindery version
//
// Exit codes: 0 success, 1 failure, 2 bad usage.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"runtime/debug"
	"strings"
	"syscall"

	"github.com/bindery-run/bindery/bindings"
	"github.com/bindery-run/bindery/internal/cli"
)

// version is the CLI's version.
const version = "0.1.0-dev"

// usageHead and usageTail frame bindery's usage; the lines of the
// modules' subcommands go between them (usage).
const usageHead = `bindery runs WebAssembly Workers locally with Cloudflare-style bindings.

Usage:
  bindery init [--lang LANG] [DIR]        scaffold a Worker (go, c, rust, zig, assemblyscript, js, python)
  bindery build [flags]                   run the config's [build] command
  bindery dev [flags] [MAIN]              serve a Worker (like wrangler dev)
`

const usageTail = `  bindery bindgen --world NAME --out DIR  generate typed bindings of a WIT world (plugins)
  bindery modules                         list the binding modules compiled in
  bindery version                         print the version

Run "bindery COMMAND --help" (or "bindery help COMMAND") for a command's flags.
`

// usage returns bindery's usage: its own commands and one line per
// module subcommand (Command.Usage, "kv key put|...: what it does").
func usage() string {
	var b strings.Builder
	b.WriteString(usageHead)
	for _, m := range modules() {
		if m.Command == nil {
			continue
		}
		cmd, what, _ := strings.Cut(m.Command.Usage, ": ")
		fmt.Fprintf(&b, "  %-38s  %s\n", "bindery "+cmd, what)
	}
	b.WriteString(usageTail)
	return b.String()
}

// errUsage marks a usage error (exit code 2); its message is already
// printed. It is the modules' bindings.ErrUsage, so a module's command
// can return it too.
var errUsage = bindings.ErrUsage

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	err := run(ctx, os.Args[1:], os.Stdin, os.Stdout, os.Stderr)
	stop()
	switch {
	case err == nil:
	case errors.Is(err, errUsage):
		os.Exit(2)
	case errors.Is(err, flag.ErrHelp):
	default:
		fmt.Fprintln(os.Stderr, "bindery:", err)
		os.Exit(1)
	}
}

func run(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer) error {
	if len(args) == 0 {
		fmt.Fprint(stderr, usage())
		return errUsage
	}
	switch args[0] {
	case "dev":
		return runDev(ctx, args[1:], stdout, stderr)
	case "build":
		return runBuild(ctx, args[1:], stdout, stderr)
	case "init":
		return runInit(ctx, args[1:], stdout, stderr)
	case "modules":
		return runModules(ctx, args[1:], stdout, stderr)
	case "bindgen":
		return runBindgen(ctx, args[1:], stdout, stderr)
	case "version", "--version", "-v":
		fmt.Fprintln(stdout, "bindery", versionString())
		return nil
	case "help", "-h", "-help", "--help":
		if len(args) > 1 && args[1] != "help" && !isHelp(args[1]) {
			// "bindery help kv key put" is "bindery kv key put --help".
			return run(ctx, append(args[1:len(args):len(args)], "--help"), stdin, stdout, stderr)
		}
		fmt.Fprint(stdout, usage())
		return nil
	}
	if c := moduleCommand(modules(), args[0]); c != nil {
		return c.Run(ctx, args[1:], commandEnv(stdin, stdout, stderr))
	}
	fmt.Fprintf(stderr, "bindery: unknown command %q\n\n%s", args[0], usage())
	return errUsage
}

func versionString() string {
	v := version
	if bi, ok := debug.ReadBuildInfo(); ok {
		for _, s := range bi.Settings {
			if s.Key == "vcs.revision" && len(s.Value) >= 12 {
				v += " (" + s.Value[:12] + ")"
			}
		}
		v += " " + bi.GoVersion
	}
	return v
}

// The flag and help helpers are internal/cli's, shared with the binding
// modules' subcommands.
var (
	parse      = cli.Parse
	printHelp  = cli.PrintHelp
	printFlags = cli.PrintFlags
	alias      = cli.Alias
	subcommand = cli.Subcommand
	isHelp     = cli.IsHelp
)

// repeated is a flag that may be given several times.
type repeated = cli.Repeated
