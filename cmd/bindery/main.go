// Command bindery runs WebAssembly Workers locally with Cloudflare-style
// bindings, configured by the wrangler.toml / wrangler.jsonc you already have.
//
//	bindery init --lang c hello-c    scaffold a Worker
//	bindery build                    run the config's [build] command
//	bindery dev                      serve the Worker in the current directory
//	bindery kv key put KEY VALUE --binding NAME
//	bindery r2 object put BUCKET/KEY --file PATH
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
	"slices"
	"strings"
	"syscall"
)

// version is the CLI's version.
const version = "0.1.0-dev"

const usage = `bindery runs WebAssembly Workers locally with Cloudflare-style bindings.

Usage:
  bindery init [--lang LANG] [DIR]        scaffold a Worker (go, c, rust, zig, assemblyscript, js, python)
  bindery build [flags]                   run the config's [build] command
  bindery dev [flags] [MAIN]              serve a Worker (like wrangler dev)
  bindery kv key put KEY [VALUE] [flags]  write a key
  bindery kv key get KEY [flags]          print a value
  bindery kv key delete KEY [flags]       delete a key
  bindery kv key list [flags]             list keys as JSON
  bindery r2 object put BUCKET/KEY        upload a file (--file) or stdin (--pipe)
  bindery r2 object get BUCKET/KEY        download an object to a file (or --pipe)
  bindery r2 object delete BUCKET/KEY     delete an object
  bindery r2 object list BUCKET           list objects
  bindery bindgen --world NAME --out DIR  generate typed bindings of a WIT world (plugins)
  bindery version                         print the version

Run "bindery COMMAND --help" (or "bindery help COMMAND") for a command's flags.
`

// errUsage marks a usage error (exit code 2); its message is already printed.
var errUsage = errors.New("usage")

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
		fmt.Fprint(stderr, usage)
		return errUsage
	}
	switch args[0] {
	case "dev":
		return runDev(ctx, args[1:], stdout, stderr)
	case "build":
		return runBuild(ctx, args[1:], stdout, stderr)
	case "init":
		return runInit(ctx, args[1:], stdout, stderr)
	case "kv":
		return runKV(ctx, args[1:], stdin, stdout, stderr)
	case "r2":
		return runR2(ctx, args[1:], stdin, stdout, stderr)
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
		fmt.Fprint(stdout, usage)
		return nil
	}
	fmt.Fprintf(stderr, "bindery: unknown command %q\n\n%s", args[0], usage)
	return errUsage
}

// isHelp reports whether arg asks for help: -h, -help or --help, or help
// where a subcommand is expected.
func isHelp(arg string) bool {
	switch arg {
	case "-h", "-help", "--help", "help":
		return true
	}
	return false
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

// parse parses flags that may come before, between or after positional
// arguments (wrangler style) and returns the positional ones. --help or -h
// prints the command's help (head, then its flags) to stdout and returns
// flag.ErrHelp; a bad flag prints what is wrong and where help is to
// stderr and returns errUsage.
func parse(fs *flag.FlagSet, head string, args []string, stdout, stderr io.Writer) ([]string, error) {
	// The flag package would print its own messages and usage to the
	// output; parse prints them itself, help to stdout.
	fs.SetOutput(io.Discard)
	fs.Usage = func() {}
	var pos []string
	for {
		if err := fs.Parse(args); err != nil {
			if errors.Is(err, flag.ErrHelp) {
				printHelp(stdout, head, fs)
				return nil, err
			}
			fmt.Fprintf(stderr, "%s: %v\nRun \"%s --help\" for usage.\n", fs.Name(), err, fs.Name())
			return nil, errUsage
		}
		rest := fs.Args()
		if len(rest) == 0 {
			return pos, nil
		}
		pos = append(pos, rest[0])
		args = rest[1:]
	}
}

// printHelp prints a command's help: head, then its flags.
func printHelp(w io.Writer, head string, fs *flag.FlagSet) {
	fmt.Fprint(w, head)
	fmt.Fprint(w, "\nFlags:\n")
	printFlags(w, fs)
}

// printFlags lists a FlagSet's flags as the docs write them: each flag once,
// its shorthands (flags that share its Value, see alias) beside it, long
// names with two dashes, the value's name, and the default when it is not
// the zero value:
//
//	-c, --config FILE
//	      the wrangler.toml or wrangler.json(c) FILE to use (default: ...)
//	    --port PORT
//	      listen on PORT, ...
//
// The value's name is the word in backquotes in the usage text, as with
// flag.PrintDefaults (so a usage text must not quote anything else in
// backquotes; TestHelpFlags checks).
func printFlags(w io.Writer, fs *flag.FlagSet) {
	type entry struct {
		f     *flag.Flag // the longest name
		names []string
	}
	var entries []*entry
	fs.VisitAll(func(f *flag.Flag) {
		for _, e := range entries {
			if e.f.Value == f.Value {
				e.names = append(e.names, f.Name)
				if len(f.Name) > len(e.f.Name) {
					e.f = f
				}
				return
			}
		}
		entries = append(entries, &entry{f: f, names: []string{f.Name}})
	})
	slices.SortFunc(entries, func(a, b *entry) int { return strings.Compare(a.f.Name, b.f.Name) })
	for _, e := range entries {
		// One-letter names first, then the longest.
		slices.SortFunc(e.names, func(a, b string) int {
			if (len(a) == 1) != (len(b) == 1) {
				return len(a) - len(b)
			}
			return len(b) - len(a)
		})
		var line strings.Builder
		line.WriteString(" ")
		if len(e.names[0]) > 1 {
			line.WriteString("    ") // under the long name of "-c, --config"
		}
		for i, n := range e.names {
			if i > 0 {
				line.WriteString(",")
			}
			line.WriteString(" -")
			if len(n) > 1 {
				line.WriteString("-")
			}
			line.WriteString(n)
		}
		name, text := flag.UnquoteUsage(e.f)
		if name != "" {
			line.WriteString(" " + name)
		}
		switch e.f.DefValue {
		case "", "0", "0s", "false", "[]":
		default:
			text += " (default " + e.f.DefValue + ")"
		}
		fmt.Fprintf(w, "%s\n        %s\n", line.String(), text)
	}
}

// alias makes short another name of the flag long: both set one Value,
// and printFlags shows them on one line.
func alias(fs *flag.FlagSet, short, long string) {
	fs.Var(fs.Lookup(long).Value, short, "shorthand for --"+long)
}

// repeated is a flag that may be given several times.
type repeated []string

func (r *repeated) String() string     { return fmt.Sprint(*r) }
func (r *repeated) Set(v string) error { *r = append(*r, v); return nil }

// subcommand reads "bindery GROUP SUB OP ARGS" (kv key get, r2 object put):
// it answers help and usage errors itself (then op is "" and err is what
// to return) and otherwise returns OP and its arguments. opHelp says
// whether a word is an operation, for a hint when SUB is left out.
func subcommand(args []string, group, sub, usage string, opHelp func(string) (string, bool), stdout, stderr io.Writer) (op string, rest []string, err error) {
	switch {
	case len(args) == 0:
		fmt.Fprint(stderr, usage)
		return "", nil, errUsage
	case isHelp(args[0]):
		fmt.Fprint(stdout, usage)
		return "", nil, nil
	case args[0] != sub:
		hint := ""
		if _, ok := opHelp(args[0]); ok {
			hint = fmt.Sprintf(` (did you mean "bindery %s %s %s"?)`, group, sub, args[0])
		}
		fmt.Fprintf(stderr, "bindery %s: unknown command %q%s\n\n%s", group, args[0], hint, usage)
		return "", nil, errUsage
	case len(args) == 1:
		fmt.Fprintf(stderr, "bindery %s %s: missing command\n\n%s", group, sub, usage)
		return "", nil, errUsage
	case isHelp(args[1]):
		fmt.Fprint(stdout, usage)
		return "", nil, nil
	}
	return args[1], args[2:], nil
}
