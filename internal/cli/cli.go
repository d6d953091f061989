// Package cli holds the flag and help handling every bindery command
// shares, so that the binding modules' subcommands (bindery kv, bindery
// r2) read and answer like the rest of the CLI.
package cli

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"slices"
	"strings"

	"github.com/bindery-run/bindery/bindings"
)

// ErrUsage marks a usage error (exit code 2) whose message is printed.
var ErrUsage = bindings.ErrUsage

// IsHelp reports whether arg asks for help: -h, -help or --help, or help
// where a subcommand is expected.
func IsHelp(arg string) bool {
	switch arg {
	case "-h", "-help", "--help", "help":
		return true
	}
	return false
}

// Parse parses flags that may come before, between or after positional
// arguments (wrangler style) and returns the positional ones. --help or -h
// prints the command's help (head, then its flags) to stdout and returns
// flag.ErrHelp; a bad flag prints what is wrong and where help is to
// stderr and returns ErrUsage.
func Parse(fs *flag.FlagSet, head string, args []string, stdout, stderr io.Writer) ([]string, error) {
	// The flag package would print its own messages and usage to the
	// output; parse prints them itself, help to stdout.
	fs.SetOutput(io.Discard)
	fs.Usage = func() {}
	var pos []string
	for {
		if err := fs.Parse(args); err != nil {
			if errors.Is(err, flag.ErrHelp) {
				PrintHelp(stdout, head, fs)
				return nil, err
			}
			fmt.Fprintf(stderr, "%s: %v\nRun \"%s --help\" for usage.\n", fs.Name(), err, fs.Name())
			return nil, ErrUsage
		}
		rest := fs.Args()
		if len(rest) == 0 {
			return pos, nil
		}
		pos = append(pos, rest[0])
		args = rest[1:]
	}
}

// PrintHelp prints a command's help: head, then its flags.
func PrintHelp(w io.Writer, head string, fs *flag.FlagSet) {
	fmt.Fprint(w, head)
	fmt.Fprint(w, "\nFlags:\n")
	PrintFlags(w, fs)
}

// PrintFlags lists a FlagSet's flags as the docs write them: each flag once,
// its shorthands (flags that share its Value, see Alias) beside it, long
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
func PrintFlags(w io.Writer, fs *flag.FlagSet) {
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

// Alias makes short another name of the flag long: both set one Value,
// and PrintFlags shows them on one line.
func Alias(fs *flag.FlagSet, short, long string) {
	fs.Var(fs.Lookup(long).Value, short, "shorthand for --"+long)
}

// Repeated is a flag that may be given several times.
type Repeated []string

// String implements flag.Value.
func (r *Repeated) String() string { return fmt.Sprint(*r) }

// Set implements flag.Value.
func (r *Repeated) Set(v string) error { *r = append(*r, v); return nil }

// Subcommand reads "bindery GROUP SUB OP ARGS" (kv key get, r2 object put):
// it answers help and usage errors itself (then op is "" and err is what
// to return) and otherwise returns OP and its arguments. opHelp says
// whether a word is an operation, for a hint when SUB is left out.
func Subcommand(args []string, group, sub, usage string, opHelp func(string) (string, bool), stdout, stderr io.Writer) (op string, rest []string, err error) {
	switch {
	case len(args) == 0:
		fmt.Fprint(stderr, usage)
		return "", nil, ErrUsage
	case IsHelp(args[0]):
		fmt.Fprint(stdout, usage)
		return "", nil, nil
	case args[0] != sub:
		hint := ""
		if _, ok := opHelp(args[0]); ok {
			hint = fmt.Sprintf(` (did you mean "bindery %s %s %s"?)`, group, sub, args[0])
		}
		fmt.Fprintf(stderr, "bindery %s: unknown command %q%s\n\n%s", group, args[0], hint, usage)
		return "", nil, ErrUsage
	case len(args) == 1:
		fmt.Fprintf(stderr, "bindery %s %s: missing command\n\n%s", group, sub, usage)
		return "", nil, ErrUsage
	case IsHelp(args[1]):
		fmt.Fprint(stdout, usage)
		return "", nil, nil
	}
	return args[1], args[2:], nil
}

// ConfigFlags are the flags of a module command that reads a Worker's
// config and data directory: --config (-c), --env (-e) and --persist-to.
type ConfigFlags struct {
	Config, Env, PersistTo string
}

// Register defines the flags on fs.
func (c *ConfigFlags) Register(fs *flag.FlagSet) {
	fs.StringVar(&c.Config, "config", "", "the wrangler.toml or wrangler.json(c) `FILE` to use (default: the one in the current directory)")
	Alias(fs, "c", "config")
	fs.StringVar(&c.Env, "env", "", "use the [env.`NAME`] section of the config")
	Alias(fs, "e", "env")
	fs.StringVar(&c.PersistTo, "persist-to", "", "the data is in `DIR` (default .bindery/state beside the config)")
}
