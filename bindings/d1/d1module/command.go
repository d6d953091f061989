package d1module

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"github.com/bindery-run/bindery/bindings"
	"github.com/bindery-run/bindery/bindings/d1"
	"github.com/bindery-run/bindery/bindings/state"
	"github.com/bindery-run/bindery/internal/cli"
)

const d1Usage = `Usage: bindery d1 COMMAND DATABASE [ARGS] [flags]

Works on the D1 databases of a config, like "wrangler d1 ... --local":

  bindery d1 execute DATABASE (--command SQL | --file PATH) [--json]   run SQL statements
  bindery d1 migrations create DATABASE NAME   write migrations_dir/NNNN_NAME.sql
  bindery d1 migrations list DATABASE          list the migrations not applied yet
  bindery d1 migrations apply DATABASE         apply them, each in its own transaction
  bindery d1 export DATABASE [--output PATH]   dump the database as SQL
  bindery d1 info DATABASE [--json]            print the file, its size and the tables

DATABASE is the binding, database_name or database_id of a [[d1_databases]]
entry of the config. A database is the SQLite file d1/<database_id>.sqlite
in the data directory. Works on the data of a running "bindery dev"
(through its admin API), or on the file itself when no dev server runs on
the data directory.

Run "bindery d1 COMMAND --help" for a command's flags.
`

const migrationsUsage = `Usage: bindery d1 migrations (create|list|apply) DATABASE [ARGS] [flags]

Manages the migrations of a D1 database as wrangler does: the files
NNNN_name.sql of the entry's migrations_dir (default "migrations", beside
the config file), applied in number order and recorded in the table
migrations_table (default "d1_migrations": id, name, applied_at), so a
database migrated by wrangler is recognised.

  bindery d1 migrations create DATABASE NAME   write the next NNNN_NAME.sql
  bindery d1 migrations list DATABASE          list the migrations not applied yet
  bindery d1 migrations apply DATABASE         apply them, each in its own transaction

Run "bindery d1 migrations COMMAND --help" for a command's flags.
`

// d1OpHelp returns the head of the help of "bindery d1 OP" (OP is
// "migrations create" etc. for the migrations commands), and whether OP
// is one.
func d1OpHelp(op string) (string, bool) {
	switch op {
	case "execute":
		return `Usage: bindery d1 execute DATABASE (--command SQL | --file PATH) [--json]

Runs the SQL statements of --command or of the file --file names (several,
separated by semicolons) in one transaction: all take effect or, if one
fails, none (the error names the failing statement's line). Prints the rows
of each statement that returns some as a table, or with --json every
statement's result in D1's shape: [{"results": [...], "success": true,
"meta": {...}}].
`, true
	case "migrations create":
		return `Usage: bindery d1 migrations create DATABASE NAME

Writes an empty migration, migrations_dir/NNNN_NAME.sql, numbered one
after the highest there (0001 for the first); spaces in NAME become "_".
Prints the new file's path.
`, true
	case "migrations list":
		return `Usage: bindery d1 migrations list DATABASE

Prints the names of the migrations of migrations_dir that the database has
not applied yet, in the order "apply" applies them.
`, true
	case "migrations apply":
		return `Usage: bindery d1 migrations apply DATABASE

Applies the migrations the database has not applied yet, in number order,
each in its own transaction with the row that records it. A failing
migration is rolled back and reported with the file and line of the
failing statement; the migrations before it stay applied.
`, true
	case "export":
		return `Usage: bindery d1 export DATABASE [--output PATH] [--no-data | --no-schema] [--table NAME]...

Writes the database as SQL statements that rebuild it (the sqlite3 CLI and
"bindery d1 execute --file" replay them): the tables with their rows, then
the indexes, triggers and views, in the order they were created. Text is
quoted, blobs are X'..' literals. Without --output, to standard output.
`, true
	case "info":
		return `Usage: bindery d1 info DATABASE [--json]

Prints the database's file, its size, and its tables with their row
counts.
`, true
	}
	return "", false
}

// d1Flags are the flags of the d1 commands.
type d1Flags struct {
	cli.ConfigFlags
	local, remote bool
	// execute
	command, file string
	json          bool
	// export
	output           string
	noData, noSchema bool
	tables           cli.Repeated
}

// command is the module's bindery subcommand, bindery d1.
func command() *bindings.Command {
	return &bindings.Command{Name: "d1", Usage: "d1 COMMAND DATABASE: execute SQL, migrations, export, info of D1 databases", Run: runD1}
}

func runD1(ctx context.Context, args []string, env bindings.CommandEnv) error {
	stdout, stderr := env.Out, env.Err
	switch {
	case len(args) == 0:
		fmt.Fprint(stderr, d1Usage)
		return cli.ErrUsage
	case cli.IsHelp(args[0]):
		fmt.Fprint(stdout, d1Usage)
		return nil
	case args[0] == "migrations":
		switch {
		case len(args) == 1:
			fmt.Fprintf(stderr, "bindery d1 migrations: missing command\n\n%s", migrationsUsage)
			return cli.ErrUsage
		case cli.IsHelp(args[1]):
			fmt.Fprint(stdout, migrationsUsage)
			return nil
		}
		op := "migrations " + args[1]
		if _, ok := d1OpHelp(op); !ok {
			fmt.Fprintf(stderr, "bindery d1 migrations: unknown command %q\n\n%s", args[1], migrationsUsage)
			return cli.ErrUsage
		}
		return runD1Op(ctx, op, args[2:], env)
	}
	if _, ok := d1OpHelp(args[0]); !ok {
		hint := ""
		if _, ok := d1OpHelp("migrations " + args[0]); ok {
			hint = fmt.Sprintf(` (did you mean "bindery d1 migrations %s"?)`, args[0])
		}
		fmt.Fprintf(stderr, "bindery d1: unknown command %q%s\n\n%s", args[0], hint, d1Usage)
		return cli.ErrUsage
	}
	return runD1Op(ctx, args[0], args[1:], env)
}

// runD1Op implements "bindery d1 OP".
func runD1Op(ctx context.Context, op string, args []string, env bindings.CommandEnv) error {
	stdout, stderr := env.Out, env.Err
	head, _ := d1OpHelp(op)
	var f d1Flags
	fs := flag.NewFlagSet("bindery d1 "+op, flag.ContinueOnError)
	f.ConfigFlags.Register(fs)
	fs.BoolVar(&f.local, "local", false, "work on the local database (the only kind bindery has; accepted for wrangler's commands)")
	fs.BoolVar(&f.remote, "remote", false, "refused: bindery has local databases only")
	switch op {
	case "execute":
		fs.StringVar(&f.command, "command", "", "run the `SQL` statements")
		fs.StringVar(&f.file, "file", "", "run the SQL statements of the file `PATH`")
		fs.BoolVar(&f.json, "json", false, "print every statement's result as D1's JSON")
	case "export":
		fs.StringVar(&f.output, "output", "", "write to the file `PATH` (default: standard output)")
		fs.BoolVar(&f.noData, "no-data", false, "the schema only, no rows")
		fs.BoolVar(&f.noSchema, "no-schema", false, "the rows only, no schema")
		fs.Var(&f.tables, "table", "only the table `NAME` (and its indexes and triggers); may be given several times")
	case "info":
		fs.BoolVar(&f.json, "json", false, "print the information as JSON")
	}
	pos, err := cli.Parse(fs, head, args, stdout, stderr)
	if err != nil {
		return err
	}
	want := 1
	if op == "migrations create" {
		want = 2
	}
	usageErr := func(format string, a ...any) error {
		fmt.Fprintf(stderr, "bindery d1 %s: %s\n\n%s", op, fmt.Sprintf(format, a...), head)
		return cli.ErrUsage
	}
	switch {
	case len(pos) != want:
		return usageErr("wrong number of arguments %q", pos)
	case f.remote:
		return usageErr("--remote: bindery has local databases only")
	case op == "execute" && (f.command == "") == (f.file == ""):
		return usageErr("give exactly one of --command and --file")
	case f.noData && f.noSchema:
		return usageErr("give --no-data or --no-schema, not both")
	}
	t, err := d1Target(&f, pos[0], env.LoadConfig)
	if err != nil {
		return err
	}
	switch op {
	case "execute":
		return d1Execute(ctx, t, &f, stdout, stderr)
	case "migrations create":
		return migrationsCreate(t, pos[1], stdout, stderr)
	case "migrations list":
		return migrationsList(ctx, t, stdout, stderr)
	case "migrations apply":
		return migrationsApply(ctx, t, stdout, stderr)
	case "export":
		return d1Export(ctx, t, &f, stdout, stderr)
	case "info":
		return d1Info(ctx, t, f.json, stdout)
	}
	return nil
}

// target is the database a command works on.
type target struct {
	db Database
	// dir is the data directory, path the database's file in it.
	dir, path string
	// configDir is the config file's directory (migrations_dir is
	// relative to it).
	configDir string
}

// migrationsDir is the database's migrations directory.
func (t *target) migrationsDir() string {
	if filepath.IsAbs(t.db.MigrationsDir) {
		return t.db.MigrationsDir
	}
	return filepath.Join(t.configDir, t.db.MigrationsDir)
}

// d1Target reads the config and finds the database name names.
func d1Target(f *d1Flags, name string, loadConfig func(path, env string, optional bool) (*bindings.ConfigFile, error)) (*target, error) {
	cfg, err := loadConfig(f.Config, f.Env, false)
	if err != nil {
		return nil, err
	}
	d, ok := Find(cfg.Bindings["d1"], name)
	if !ok {
		return nil, fmt.Errorf("%s has no d1_databases entry with binding, database_name or database_id %q%s", cfg.Path, name, databaseNames(cfg))
	}
	dir := f.PersistTo
	if dir == "" {
		dir = filepath.Join(cfg.Dir(), ".bindery", "state")
	}
	path, err := d.Path(dir)
	if err != nil {
		return nil, err
	}
	return &target{db: d, dir: dir, path: path, configDir: cfg.Dir()}, nil
}

func databaseNames(cfg *bindings.ConfigFile) string {
	var names []string
	for _, d := range Databases(cfg.Bindings["d1"]) {
		names = append(names, d.Binding)
	}
	if len(names) == 0 {
		return " (it has none)"
	}
	return " (it has " + strings.Join(names, ", ") + ")"
}

// d1Store is what the d1 commands need of a database, served by a dev
// server's admin API (*Client) or by the file opened directly.
type d1Store interface {
	// Script runs script, then the statements then, in one transaction
	// (d1.Database.ExecScript).
	Script(ctx context.Context, script string, then []Stmt) ([]*d1.Result, error)
}

// direct serves d1Store from the database file.
type direct struct{ db *d1.Database }

func (d direct) Script(ctx context.Context, script string, then []Stmt) ([]*d1.Result, error) {
	ss := make([]*d1.Statement, len(then))
	for i, s := range then {
		ss[i] = d.db.Prepare(s.SQL).Bind(s.Params...)
	}
	return d.db.ExecScript(ctx, script, ss...)
}

// remote serves d1Store from a dev server.
type remote struct {
	c  *Client
	id string
}

func (r remote) Script(ctx context.Context, script string, then []Stmt) ([]*d1.Result, error) {
	return r.c.Script(ctx, r.id, script, then)
}

// errNoFileYet is the error of a command that reads a database that has
// no file yet.
var errNoFileYet = errors.New("no database file yet")

func (t *target) errNoFile() error {
	return fmt.Errorf("D1 database %s: %w (%s): bindery dev, bindery d1 execute and bindery d1 migrations apply create it", t.db.Binding, errNoFileYet, t.path)
}

// open reaches the database: through a running dev server's admin API
// when it has the database open, else by opening its file (creating it
// with create; without, a missing file is an error). where describes
// which, for messages.
func (t *target) open(ctx context.Context, create bool) (store d1Store, where string, closeFn func(), err error) {
	info, err := state.ReadServerInfo(t.dir)
	if err == nil {
		c := NewClient(info.Admin, info.Token, nil)
		if dbs, err := c.Databases(ctx); err == nil && slices.ContainsFunc(dbs, func(d DatabaseInfo) bool { return d.ID == t.db.LocalID() }) {
			return remote{c, t.db.LocalID()}, fmt.Sprintf("the dev server on %s (admin API %s)", t.dir, info.Admin), func() {}, nil
		}
	} else if !errors.Is(err, state.ErrNoServer) {
		return nil, "", nil, err
	}
	if _, err := os.Stat(t.path); errors.Is(err, os.ErrNotExist) && !create {
		return nil, "", nil, t.errNoFile()
	}
	db, err := d1.Open(ctx, t.path, d1.Options{Readers: 1})
	if err != nil {
		return nil, "", nil, err
	}
	return direct{db}, t.path, func() { db.Close() }, nil
}

// scriptError words the error of a script from source (a file name, or
// "--command"): with the failing statement's line, as file:line:col.
func scriptError(err error, source, script string) error {
	var se *d1.ScriptError
	if !errors.As(err, &se) {
		return err
	}
	if line, col, ok := se.Position(script); ok {
		return fmt.Errorf("%s:%d:%d: statement %d: %w (nothing was changed)", source, line, col, se.Statement, sqlError{se.Err})
	}
	return fmt.Errorf("%s: statement %d: %w (nothing was changed)", source, se.Statement, sqlError{se.Err})
}

// sqlError words a statement's error as D1 does (d1.Message), the same
// whether it comes from the file or from a dev server (which words it so).
type sqlError struct{ err error }

func (e sqlError) Error() string {
	if m := e.err.Error(); strings.HasPrefix(m, "D1_ERROR: ") {
		return m
	}
	return d1.Message(e.err)
}

func (e sqlError) Unwrap() error { return e.err }

// relPath is path relative to the working directory when it is below
// it, for messages.
func relPath(path string) string {
	wd, err := os.Getwd()
	if err != nil {
		return path
	}
	if r, err := filepath.Rel(wd, path); err == nil && filepath.IsLocal(r) {
		return r
	}
	return path
}

// d1Execute implements "bindery d1 execute".
func d1Execute(ctx context.Context, t *target, f *d1Flags, stdout, stderr io.Writer) error {
	script, source := f.command, "--command"
	if f.file != "" {
		b, err := os.ReadFile(f.file)
		if err != nil {
			return err
		}
		script, source = string(b), f.file
	}
	store, where, closeFn, err := t.open(ctx, true)
	if err != nil {
		return err
	}
	defer closeFn()
	res, err := store.Script(ctx, script, nil)
	if err != nil {
		return scriptError(err, source, script)
	}
	if len(res) == 0 {
		return fmt.Errorf("%s: %w", source, d1.ErrEmptyStatement)
	}
	fmt.Fprintf(stderr, "Executed %d statement(s) on D1 database %s in %s\n", len(res), t.db.Binding, where)
	if f.json {
		return writeResultsJSON(stdout, res)
	}
	for _, r := range res {
		if len(r.Results) > 0 {
			if err := writeTable(stdout, r); err != nil {
				return err
			}
		}
	}
	return nil
}
