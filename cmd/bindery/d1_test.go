package main

import (
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/bindery-run/bindery/internal/testutil"
)

// TestD1Usage gives bindery d1 bad and helpful arguments.
func TestD1Usage(t *testing.T) {
	dir := d1Project(t, "x.wasm")
	tests := []struct {
		args    []string
		wantErr error
		want    string // in stdout+stderr (+ the error of a runtime error)
	}{
		{[]string{"d1"}, errUsage, "bindery d1 execute DATABASE"},
		{[]string{"d1", "--help"}, nil, "bindery d1 migrations apply DATABASE"},
		{[]string{"d1", "help"}, nil, "bindery d1 export DATABASE"},
		{[]string{"d1", "zap"}, errUsage, `unknown command "zap"`},
		{[]string{"d1", "apply", "DB"}, errUsage, `did you mean "bindery d1 migrations apply"`},
		{[]string{"d1", "migrations"}, errUsage, "missing command"},
		{[]string{"d1", "migrations", "--help"}, nil, "d1_migrations"},
		{[]string{"d1", "migrations", "undo", "DB"}, errUsage, `unknown command "undo"`},
		{[]string{"d1", "execute", "--help"}, flag.ErrHelp, "--command SQL"},
		{[]string{"d1", "migrations", "apply", "-h"}, flag.ErrHelp, "Usage: bindery d1 migrations apply DATABASE"},
		{[]string{"d1", "export", "--help"}, flag.ErrHelp, "--no-schema"},
		{[]string{"d1", "execute", "DB"}, errUsage, "exactly one of --command and --file"},
		{[]string{"d1", "execute", "DB", "--command", "SELECT 1", "--file", "x.sql"}, errUsage, "exactly one of --command and --file"},
		{[]string{"d1", "execute", "--command", "SELECT 1"}, errUsage, "wrong number of arguments"},
		{[]string{"d1", "execute", "DB", "--command", "SELECT 1", "--remote"}, errUsage, "local databases only"},
		{[]string{"d1", "migrations", "create", "DB"}, errUsage, "wrong number of arguments"},
		{[]string{"d1", "export", "DB", "--no-data", "--no-schema"}, errUsage, "not both"},
		{[]string{"d1", "info", "NOPE"}, errRuntime, `no d1_databases entry with binding, database_name or database_id "NOPE" (it has DB, COPY, REPLAY)`},
		{[]string{"d1", "info", "DB"}, errRuntime, "no database file yet"},
		{[]string{"d1", "export", "todo"}, errRuntime, "no database file yet"},
		{[]string{"d1", "migrations", "apply", "DB", "--config", "nope.toml"}, errRuntime, "nope.toml"},
	}
	for _, tc := range tests {
		t.Run(strings.Join(tc.args, " "), func(t *testing.T) {
			out, errOut, err := runCLI(t, dir, tc.args...)
			switch {
			case tc.wantErr == errRuntime:
				if err == nil || errors.Is(err, errUsage) || errors.Is(err, flag.ErrHelp) {
					t.Errorf("err = %v, want a runtime error", err)
				} else {
					out += err.Error()
				}
			case !errors.Is(err, tc.wantErr):
				t.Errorf("err = %v, want %v", err, tc.wantErr)
			}
			if !strings.Contains(out+errOut, tc.want) {
				t.Errorf("output lacks %q:\n%s%s", tc.want, out, errOut)
			}
		})
	}
	if _, err := os.Stat(filepath.Join(dir, ".bindery")); !os.IsNotExist(err) {
		t.Errorf("commands that failed made .bindery (%v)", err)
	}
}

// d1Project writes a project whose config declares the database todo
// (DB), a second one to copy it into (COPY) and a third the test fills
// with the sqlite3 CLI (REPLAY), with migrations in db/migrations; main
// is the wasm given (which only bindery dev reads).
func d1Project(t *testing.T, wasm string) string {
	t.Helper()
	dir := t.TempDir()
	toml := fmt.Sprintf(`name = "d1-test"
main = %q

[[d1_databases]]
binding = "DB"
database_name = "todo"
database_id = "todo-id"
migrations_dir = "db/migrations"

[[d1_databases]]
binding = "COPY"
database_name = "copy"

[[d1_databases]]
binding = "REPLAY"
database_id = "replay"
`, wasm)
	writeFiles(t, dir, map[string]string{"wrangler.toml": toml})
	return dir
}

func writeFiles(t *testing.T, dir string, files map[string]string) {
	t.Helper()
	for name, content := range files {
		p := filepath.Join(dir, name)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
}

// d1Step is one in-process CLI run and what it must do.
type d1Step struct {
	args    []string
	wantErr []string // in the error; none: it must succeed
	want    []string // in stdout
	wantOut *string  // exact stdout
	stderr  string   // in stderr
}

func runD1Steps(t *testing.T, dir string, steps []d1Step) {
	t.Helper()
	for _, s := range steps {
		out, errOut, err := runCLI(t, dir, append([]string{"d1"}, s.args...)...)
		switch {
		case len(s.wantErr) == 0 && err != nil:
			t.Errorf("%q: %v\n%s", s.args, err, errOut)
			continue
		case len(s.wantErr) > 0 && err == nil:
			t.Errorf("%q succeeded, want an error with %q", s.args, s.wantErr)
			continue
		}
		for _, w := range s.wantErr {
			if !strings.Contains(err.Error(), w) {
				t.Errorf("%q: error %q lacks %q", s.args, err, w)
			}
		}
		for _, w := range s.want {
			if !strings.Contains(out, w) {
				t.Errorf("%q: stdout lacks %q:\n%s", s.args, w, out)
			}
		}
		if s.wantOut != nil && out != *s.wantOut {
			t.Errorf("%q: stdout %q, want %q", s.args, out, *s.wantOut)
		}
		if !strings.Contains(errOut, s.stderr) {
			t.Errorf("%q: stderr %q lacks %q", s.args, errOut, s.stderr)
		}
	}
}

func ptr(s string) *string { return &s }

// d1Migrations are the project's migrations; 0003 fails on its line 4.
var d1Migrations = map[string]string{
	"db/migrations/0001_init.sql": "-- Migration number: 0001\nCREATE TABLE todos (id INTEGER PRIMARY KEY AUTOINCREMENT, title TEXT NOT NULL, done INTEGER NOT NULL DEFAULT 0);\n",
	"db/migrations/0002_seed.sql": "INSERT INTO todos (title) VALUES ('one');\nINSERT INTO todos (title) VALUES ('two');\n",
	"db/migrations/0003_more.sql": "INSERT INTO todos (title) VALUES ('three');\nCREATE INDEX todos_done ON todos (done);\n\n  INSERT INTO nope VALUES (1);\n",
}

// d1Scenario is the part of the CLI tests that is the same with and
// without a dev server; where is in the messages that say where the
// database was reached.
func d1Scenario(t *testing.T, dir, where string) {
	t.Helper()
	writeFiles(t, dir, d1Migrations)
	failed := filepath.Join("db", "migrations", "0003_more.sql") + ":4:3: D1_ERROR: no such table: nope: SQLITE_ERROR"
	runD1Steps(t, dir, []d1Step{
		{args: []string{"migrations", "apply", "DB"}, wantErr: []string{"migration 0003_more.sql failed and was rolled back (the 2 applied before it stay applied)", failed}, want: []string{"0001_init.sql\n0002_seed.sql\n"}, stderr: where},
		{args: []string{"migrations", "list", "todo"}, wantOut: ptr("0003_more.sql\n")},
		{args: []string{"execute", "todo-id", "--command", "SELECT id, title FROM todos ORDER BY id; SELECT count(*) AS n FROM sqlite_schema WHERE name = 'todos_done'"}, wantOut: ptr("id  title\n1   one\n2   two\nn\n0\n"), stderr: "Executed 2 statement(s) on D1 database DB in " + where},
		{args: []string{"execute", "DB", "--command", "INSERT INTO todos (title) VALUES ('x');\nUPDATE todos SET done = 1;\n INSERT INTO todos (title) VALUES (NULL)"}, wantErr: []string{"--command:3:2: statement 3: D1_ERROR: NOT NULL constraint failed: todos.title: SQLITE_CONSTRAINT (nothing was changed)"}},
		{args: []string{"execute", "DB", "--command", "-- nothing"}, wantErr: []string{"no SQL statements"}},
		{args: []string{"execute", "DB", "--command", "ATTACH 'x' AS y"}, wantErr: []string{"ATTACH is not allowed"}},
	})
	writeFiles(t, dir, map[string]string{"db/migrations/0003_more.sql": "INSERT INTO todos (title) VALUES ('three');\nCREATE INDEX todos_done ON todos (done);\n"})
	runD1Steps(t, dir, []d1Step{
		{args: []string{"migrations", "apply", "DB"}, wantOut: ptr("0003_more.sql\n"), stderr: "Applied 1 migration(s)"},
		{args: []string{"migrations", "apply", "DB"}, wantOut: ptr(""), stderr: "No migrations to apply"},
		{args: []string{"migrations", "list", "DB"}, wantOut: ptr(""), stderr: "No migrations to apply"},
		{args: []string{"execute", "DB", "--command", "SELECT name FROM d1_migrations ORDER BY id"}, wantOut: ptr("name\n0001_init.sql\n0002_seed.sql\n0003_more.sql\n")},
		{args: []string{"info", "DB"}, want: []string{"database_id    todo-id", filepath.Join(".bindery", "state", "d1", "todo-id.sqlite"), "TABLE          ROWS\nd1_migrations  3\ntodos          3\n"}},
	})

	// --json: D1's shape, typed values (an integer beyond 2^53, a blob).
	out, _, err := runCLI(t, dir, "d1", "execute", "DB", "--json", "--command", "SELECT 9007199254740993 AS big, 1.5 AS r, 'é' AS t, X'00ff' AS b, NULL AS n; DELETE FROM todos WHERE id = 3")
	if err != nil {
		t.Fatal(err)
	}
	var res []struct {
		Results []map[string]json.RawMessage
		Success bool
		Meta    struct {
			Changes   int64 `json:"changes"`
			SizeAfter int64 `json:"size_after"`
		}
	}
	if err := json.Unmarshal([]byte(out), &res); err != nil {
		t.Fatalf("%v\n%s", err, out)
	}
	if len(res) != 2 || !res[0].Success || len(res[0].Results) != 1 || res[1].Meta.Changes != 1 || res[1].Meta.SizeAfter == 0 {
		t.Fatalf("--json: %s", out)
	}
	row := res[0].Results[0]
	for k, want := range map[string]string{"big": "9007199254740993", "r": "1.5", "t": `"é"`, "b": "[\n          0,\n          255\n        ]", "n": "null"} {
		if string(row[k]) != want {
			t.Errorf("--json %s = %s, want %s", k, row[k], want)
		}
	}
	if !strings.Contains(out, `"big": 9007199254740993,`+"\n        \"r\"") {
		t.Errorf("--json does not keep the columns' order:\n%s", out)
	}

	// Every kind of value, awkward names, a view, a trigger, a generated
	// column and virtual tables (whose shadow tables are left out): an
	// export replayed into COPY exports the same.
	writeFiles(t, dir, map[string]string{"seed.sql": d1Seed})
	runD1Steps(t, dir, []d1Step{
		{args: []string{"execute", "DB", "--file", "seed.sql"}},
		{args: []string{"export", "DB", "--output", "dump.sql"}, stderr: "Exported D1 database DB to dump.sql"},
		{args: []string{"export", "DB", "--no-data"}, want: []string{"CREATE TABLE todos", "CREATE VIEW"}},
		{args: []string{"export", "DB", "--no-schema", "--table", `odd "name"`}, wantOut: ptr("PRAGMA defer_foreign_keys=TRUE;\nINSERT INTO \"odd \"\"name\"\"\" (\"k\",\"v\") VALUES(1,'x');\n")},
		{args: []string{"export", "DB", "--table", "nope"}, wantErr: []string{`--table "nope": no such table (the database has d1_migrations, todos, `}},
		{args: []string{"execute", "COPY", "--file", "dump.sql"}},
	})
	dump := readFile(t, filepath.Join(dir, "dump.sql"))
	for _, want := range []string{
		`INSERT INTO "vals" ("id","v") VALUES(2,9223372036854775807);`,
		`INSERT INTO "vals" ("id","v") VALUES(3,-9223372036854775808);`,
		`INSERT INTO "vals" ("id","v") VALUES(4,1.0);`,
		`INSERT INTO "vals" ("id","v") VALUES(6,'it''s');`,
		`INSERT INTO "vals" ("id","v") VALUES(8,CAST(X'6100' AS TEXT));`,
		`INSERT INTO "vals" ("id","v") VALUES(10,X'00FF');`,
		`INSERT INTO "vals" ("id","v") VALUES(11,NULL);`,
		`INSERT INTO "gen" ("a") VALUES(2);`,
		"DELETE FROM sqlite_sequence WHERE name = 'todos';\nINSERT INTO sqlite_sequence (name,seq) VALUES('todos',3);",
		"CREATE VIRTUAL TABLE docs USING fts5(body);\nINSERT INTO \"docs\" (\"body\") VALUES('hello world');\n",
		`INSERT INTO "boxes" ("id","x0","x1") VALUES(1,0.5,2.5);`,
	} {
		if !strings.Contains(dump, want) {
			t.Errorf("dump lacks %q:\n%s", want, dump)
		}
	}
	for _, shadow := range []string{"docs_data", "boxes_node"} {
		if strings.Contains(dump, shadow) {
			t.Errorf("dump has the shadow table %s:\n%s", shadow, dump)
		}
	}
	out, _, err = runCLI(t, dir, "d1", "export", "COPY")
	if err != nil {
		t.Fatal(err)
	}
	if out != dump {
		t.Errorf("COPY exports\n%s\nwant\n%s", out, dump)
	}
}

// d1Seed fills a database with every kind of value.
const d1Seed = `CREATE TABLE vals (id INTEGER PRIMARY KEY, v);
INSERT INTO vals VALUES (1, 0), (2, 9223372036854775807), (3, -9223372036854775808), (4, 1.0), (5, -2.5e-300),
  (6, 'it''s'), (7, 'line
break'), (8, CAST(X'6100' AS TEXT)), (9, CAST(X'ff' AS TEXT)), (10, X'00ff'), (11, NULL), (12, X''), (13, 1e999);
CREATE TABLE "odd ""name""" (k INTEGER PRIMARY KEY, v TEXT);
INSERT INTO "odd ""name""" VALUES (1, 'x');
CREATE TABLE gen (a INTEGER, b INTEGER GENERATED ALWAYS AS (a * 2) STORED);
INSERT INTO gen (a) VALUES (2);
CREATE VIEW todo_titles AS SELECT title FROM todos;
CREATE TRIGGER todos_touch AFTER UPDATE ON todos BEGIN UPDATE gen SET a = a + 1; END;
CREATE VIRTUAL TABLE docs USING fts5(body);
INSERT INTO docs VALUES ('hello world');
CREATE VIRTUAL TABLE boxes USING rtree(id, x0, x1);
INSERT INTO boxes VALUES (1, 0.5, 2.5);
`

func readFile(t *testing.T, path string) string {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// TestD1CLI runs the d1 commands on the data directory, with no dev
// server: migrations (one failing), execute, info and an export that the
// sqlite3 CLI replays into a database that exports the same again.
func TestD1CLI(t *testing.T) {
	dir := d1Project(t, "x.wasm")
	state := filepath.Join(dir, ".bindery", "state")
	d1Scenario(t, dir, filepath.Join(state, "d1", "todo-id.sqlite"))

	sqlite3, err := testutil.LookPath("sqlite3", "sqlite3", "apt-get install sqlite3")
	testutil.NeedToolchain(t, err)
	dump, err := os.Open(filepath.Join(dir, "dump.sql"))
	if err != nil {
		t.Fatal(err)
	}
	defer dump.Close()
	cmd := exec.Command(sqlite3, "-bail", filepath.Join(state, "d1", "replay.sqlite"))
	cmd.Stdin = dump
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("sqlite3 replay: %v\n%s", err, out)
	}
	out, _, err := runCLI(t, dir, "d1", "export", "REPLAY")
	if err != nil {
		t.Fatal(err)
	}
	if want := readFile(t, filepath.Join(dir, "dump.sql")); out != want {
		t.Errorf("the sqlite3 replay exports\n%s\nwant\n%s", out, want)
	}
}

// TestD1CLIDevServer runs the same through a running dev server's admin
// API.
func TestD1CLIDevServer(t *testing.T) {
	if testing.Short() {
		t.Skip("builds a Worker")
	}
	dir := d1Project(t, testutil.BuildGoGuest(t, "examples/hello"))
	serveDev(t, dir, "--log-level", "warn")
	d1Scenario(t, dir, "the dev server on "+filepath.Join(dir, ".bindery", "state"))
}

// TestD1WranglerMigrations: a database whose migrations wrangler applied
// (its d1_migrations table) is recognised; migrations create numbers on
// from the highest file.
func TestD1WranglerMigrations(t *testing.T) {
	dir := d1Project(t, "x.wasm")
	writeFiles(t, dir, d1Migrations)
	runD1Steps(t, dir, []d1Step{
		{args: []string{"migrations", "list", "DB"}, wantOut: ptr("0001_init.sql\n0002_seed.sql\n0003_more.sql\n")},
		{args: []string{"execute", "DB", "--command", `CREATE TABLE IF NOT EXISTS d1_migrations(
		id         INTEGER PRIMARY KEY AUTOINCREMENT,
		name       TEXT UNIQUE,
		applied_at TIMESTAMP DEFAULT CURRENT_TIMESTAMP NOT NULL
);
INSERT INTO d1_migrations (name) values ('0001_init.sql');`}},
		{args: []string{"migrations", "list", "DB"}, wantOut: ptr("0002_seed.sql\n0003_more.sql\n")},
		{args: []string{"migrations", "create", "DB", "add users"}, wantOut: ptr(filepath.Join(dir, "db", "migrations", "0004_add_users.sql") + "\n"), stderr: "Created migration 0004_add_users.sql"},
		{args: []string{"migrations", "create", "DB", "a/b"}, wantErr: []string{"without slashes"}},
		{args: []string{"migrations", "list", "DB"}, wantOut: ptr("0002_seed.sql\n0003_more.sql\n0004_add_users.sql\n")},
	})
	if got := readFile(t, filepath.Join(dir, "db", "migrations", "0004_add_users.sql")); !strings.HasPrefix(got, "-- Migration number: 0004 \t 20") {
		t.Errorf("new migration reads %q", got)
	}
	// A project without migrations: create makes the directory.
	other := d1Project(t, "x.wasm")
	runD1Steps(t, other, []d1Step{
		{args: []string{"migrations", "apply", "DB"}, wantErr: []string{"no migrations directory " + filepath.Join(other, "db", "migrations")}},
		{args: []string{"migrations", "create", "DB", "init"}, want: []string{"0001_init.sql"}},
		{args: []string{"migrations", "apply", "DB"}, wantOut: ptr("0001_init.sql\n")},
	})
}
