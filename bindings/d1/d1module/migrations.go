package d1module

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/bindery-run/bindery/bindings/d1"
)

// migration is one file of a migrations directory.
type migration struct {
	name   string // the file name, as the migrations table records it
	number int    // its NNNN prefix; -1 when it has none
}

// migrationNumber is the number a migration file's name starts with
// (wrangler: parseInt of what comes before the first "_"), or -1.
func migrationNumber(name string) int {
	prefix, _, _ := strings.Cut(name, "_")
	end := 0
	for end < len(prefix) && prefix[end] >= '0' && prefix[end] <= '9' {
		end++
	}
	n, err := strconv.Atoi(prefix[:end])
	if err != nil {
		return -1
	}
	return n
}

// readMigrations lists the .sql files of dir in the order they apply:
// by number, then by name.
func readMigrations(dir string) ([]migration, error) {
	entries, err := os.ReadDir(dir)
	if err != nil {
		if errors.Is(err, os.ErrNotExist) {
			return nil, fmt.Errorf("no migrations directory %s (bindery d1 migrations create makes it; migrations_dir sets another)", dir)
		}
		return nil, err
	}
	var out []migration
	for _, e := range entries {
		if e.Type().IsRegular() && strings.HasSuffix(e.Name(), ".sql") {
			out = append(out, migration{name: e.Name(), number: migrationNumber(e.Name())})
		}
	}
	slices.SortFunc(out, func(a, b migration) int {
		return cmp.Or(cmp.Compare(a.number, b.number), strings.Compare(a.name, b.name))
	})
	return out, nil
}

// migrationsCreate implements "bindery d1 migrations create".
func migrationsCreate(t *target, name string, stdout, stderr io.Writer) error {
	name = strings.ReplaceAll(name, " ", "_")
	if name == "" || strings.ContainsAny(name, `/\`+"\x00") {
		return fmt.Errorf("migration name %q: want a name without slashes", name)
	}
	dir := t.migrationsDir()
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	ms, err := readMigrations(dir)
	if err != nil {
		return err
	}
	next := 1
	for _, m := range ms {
		next = max(next, m.number+1)
	}
	number := fmt.Sprintf("%04d", next)
	file := filepath.Join(dir, number+"_"+name+".sql")
	content := fmt.Sprintf("-- Migration number: %s \t %s\n", number, time.Now().UTC().Format("2006-01-02T15:04:05.000Z"))
	f, err := os.OpenFile(file, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o644)
	if err != nil {
		return err
	}
	if _, err := f.WriteString(content); err != nil {
		f.Close()
		return err
	}
	if err := f.Close(); err != nil {
		return err
	}
	fmt.Fprintf(stderr, "Created migration %s of D1 database %s\n", filepath.Base(file), t.db.Binding)
	fmt.Fprintln(stdout, file)
	return nil
}

// quoteIdent quotes an SQL identifier.
func quoteIdent(s string) string { return `"` + strings.ReplaceAll(s, `"`, `""`) + `"` }

// migrationsTableSQL creates the migrations table, with wrangler's schema.
func migrationsTableSQL(table string) string {
	return "CREATE TABLE IF NOT EXISTS " + quoteIdent(table) + ` (
    id         INTEGER PRIMARY KEY AUTOINCREMENT,
    name       TEXT UNIQUE,
    applied_at TIMESTAMP DEFAULT CURRENT_TIMESTAMP NOT NULL
);`
}

// unapplied creates the migrations table if need be (as wrangler does)
// and returns the migrations of the directory the table does not list.
func unapplied(ctx context.Context, t *target, store d1Store) ([]migration, error) {
	ms, err := readMigrations(t.migrationsDir())
	if err != nil {
		return nil, err
	}
	res, err := store.Script(ctx, migrationsTableSQL(t.db.MigrationsTable), []Stmt{{SQL: "SELECT name FROM " + quoteIdent(t.db.MigrationsTable) + " ORDER BY id"}})
	if err != nil {
		return nil, fmt.Errorf("migrations table %s: %w", t.db.MigrationsTable, err)
	}
	applied := map[string]bool{}
	for _, row := range res[len(res)-1].Results {
		if v := row.Values[0]; v.Kind == d1.KindText {
			applied[v.Text] = true
		}
	}
	return slices.DeleteFunc(ms, func(m migration) bool { return applied[m.name] }), nil
}

// migrationsList implements "bindery d1 migrations list".
func migrationsList(ctx context.Context, t *target, stdout, stderr io.Writer) error {
	var todo []migration
	store, _, closeFn, err := t.open(ctx, false)
	switch {
	case err == nil:
		defer closeFn()
		todo, err = unapplied(ctx, t, store)
	case errors.Is(err, errNoFileYet):
		// No database yet: every migration is still to apply.
		todo, err = readMigrations(t.migrationsDir())
	}
	if err != nil {
		return err
	}
	if len(todo) == 0 {
		fmt.Fprintf(stderr, "No migrations to apply to D1 database %s\n", t.db.Binding)
		return nil
	}
	fmt.Fprintf(stderr, "Migrations to apply to D1 database %s:\n", t.db.Binding)
	for _, m := range todo {
		fmt.Fprintln(stdout, m.name)
	}
	return nil
}

// migrationsApply implements "bindery d1 migrations apply".
func migrationsApply(ctx context.Context, t *target, stdout, stderr io.Writer) error {
	dir := t.migrationsDir()
	if _, err := readMigrations(dir); err != nil {
		return err // before the database file is made
	}
	store, where, closeFn, err := t.open(ctx, true)
	if err != nil {
		return err
	}
	defer closeFn()
	todo, err := unapplied(ctx, t, store)
	if err != nil {
		return err
	}
	if len(todo) == 0 {
		fmt.Fprintf(stderr, "No migrations to apply to D1 database %s\n", t.db.Binding)
		return nil
	}
	fmt.Fprintf(stderr, "Applying %d migration(s) to D1 database %s in %s\n", len(todo), t.db.Binding, where)
	record := "INSERT INTO " + quoteIdent(t.db.MigrationsTable) + " (name) VALUES (?)"
	for i, m := range todo {
		file := filepath.Join(dir, m.name)
		b, err := os.ReadFile(file)
		if err != nil {
			return err
		}
		if _, err := store.Script(ctx, string(b), []Stmt{{SQL: record, Params: []d1.Value{d1.Text(m.name)}}}); err != nil {
			kept := "no migration was applied"
			if i > 0 {
				kept = fmt.Sprintf("the %d applied before it stay applied", i)
			}
			return fmt.Errorf("migration %s failed and was rolled back (%s): %w", m.name, kept, migrationError(err, file, string(b)))
		}
		fmt.Fprintln(stdout, m.name)
	}
	fmt.Fprintf(stderr, "Applied %d migration(s)\n", len(todo))
	return nil
}

// migrationError words the error of a migration file: file:line:col of
// the failing statement.
func migrationError(err error, file, script string) error {
	var se *d1.ScriptError
	if !errors.As(err, &se) {
		return err
	}
	if line, col, ok := se.Position(script); ok {
		return fmt.Errorf("%s:%d:%d: %w", relPath(file), line, col, sqlError{se.Err})
	}
	return fmt.Errorf("%s: recording it: %w", relPath(file), sqlError{se.Err})
}
