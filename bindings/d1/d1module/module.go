// Package d1module is the D1 binding as a module (see package bindings):
// the wrangler key d1_databases, one SQLite file per database under the
// data directory (d1/<database_id>.sqlite, in WAL mode, so the sqlite3
// CLI opens it), the bindery:d1/database interface, the D1 routes of the
// admin API and their client, and the `bindery d1` command.
//
// A config declares databases as wrangler does:
//
//	[[d1_databases]]
//	binding = "DB"                 # env.DB in the Worker
//	database_name = "todo"         # the name the CLI knows it by
//	database_id = "..."            # where it lives locally (default: the name)
//	migrations_dir = "migrations"  # bindery d1 migrations (the default)
package d1module

import (
	"context"
	"errors"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"strconv"
	"strings"

	"github.com/bindery-run/bindery/abi"
	"github.com/bindery-run/bindery/bindings"
	"github.com/bindery-run/bindery/bindings/config"
	"github.com/bindery-run/bindery/bindings/d1"
)

// Key is the wrangler config key the module reads.
const Key = "d1_databases"

// Defaults of the migration keys, as wrangler's.
const (
	DefaultMigrationsDir   = "migrations"
	DefaultMigrationsTable = "d1_migrations"
)

// Database is one [[d1_databases]] entry.
type Database struct {
	// Binding is the name the Worker reaches it by (env.NAME).
	Binding string
	// Name is wrangler's database_name.
	Name string
	// ID is wrangler's database_id.
	ID string
	// MigrationsDir is where `bindery d1 migrations` keeps the
	// migrations, relative to the config file's directory.
	MigrationsDir string
	// MigrationsTable is the table that records applied migrations.
	MigrationsTable string
	// PreviewID is wrangler's preview_database_id, read and unused.
	PreviewID string
}

// LocalID is where the database lives locally: its database_id, else
// its database_name, else the binding name.
func (d Database) LocalID() string {
	switch {
	case d.ID != "":
		return d.ID
	case d.Name != "":
		return d.Name
	}
	return d.Binding
}

// Path is the database's SQLite file under the data directory dir.
func (d Database) Path(dir string) (string, error) {
	return d1.FilePath(filepath.Join(dir, "d1"), d.LocalID())
}

// Databases returns the databases a parsed config declares (cfg is
// Config.Bindings["d1"] of the config loader, or Env.Config).
func Databases(cfg any) []Database {
	ds, _ := cfg.([]Database)
	return ds
}

// Find returns the database a CLI argument names: its binding, its
// database_name or its database_id, in that order.
func Find(cfg any, name string) (Database, bool) {
	ds := Databases(cfg)
	for _, match := range []func(Database) bool{
		func(d Database) bool { return d.Binding == name },
		func(d Database) bool { return d.Name == name },
		func(d Database) bool { return d.ID == name },
	} {
		for _, d := range ds {
			if match(d) {
				return d, true
			}
		}
	}
	return Database{}, false
}

// Module returns the D1 module.
func Module() bindings.Module {
	return bindings.Module{
		Name:        "d1",
		Doc:         "D1 SQL databases: one SQLite file each in the data directory",
		Interfaces:  []abi.Interface{d1.WIT()},
		Config:      []string{Key},
		ParseConfig: parse,
		Describe:    describe,
		Flags: []bindings.Flag{{
			Name:    MaxSizeFlag,
			Usage:   "largest size of each D1 database, a `SIZE` such as 500MB, 10GB or 1GiB, or \"none\" (D1's paid plan allows 10GB)",
			Default: "10GB",
			Check:   func(v string) error { _, err := ParseSize(v); return err },
		}},
		Open:    open,
		Command: command(),
	}
}

// MaxSizeFlag is the bindery dev flag of the databases' size limit.
const MaxSizeFlag = "d1-max-size"

// ParseSize parses a database size limit: a whole number of bytes with
// an optional unit (B, KB, MB, GB, TB in powers of 1000; KiB, MiB, GiB,
// TiB in powers of 1024; any case), or "none" for no limit (-1).
func ParseSize(s string) (int64, error) {
	if strings.EqualFold(s, "none") {
		return -1, nil
	}
	i := strings.IndexFunc(s, func(r rune) bool { return r < '0' || r > '9' })
	if i < 0 {
		i = len(s)
	}
	units := map[string]int64{"": 1, "b": 1, "kb": 1e3, "mb": 1e6, "gb": 1e9, "tb": 1e12,
		"kib": 1 << 10, "mib": 1 << 20, "gib": 1 << 30, "tib": 1 << 40}
	mult, ok := units[strings.ToLower(strings.TrimSpace(s[i:]))]
	n, err := strconv.ParseInt(s[:i], 10, 64)
	if i == 0 || !ok || err != nil || n > math.MaxInt64/mult {
		return 0, fmt.Errorf("want a size such as 500MB, 10GB or 1GiB, or none")
	}
	if n*mult < 4096 {
		return 0, fmt.Errorf("want at least 4KiB (one SQLite page)")
	}
	return n * mult, nil
}

// parse decodes d1_databases.
func parse(r config.Reader) any {
	ms, ps := config.Entries(r, Key)
	var out []Database
	for i, m := range ms {
		p := ps[i]
		config.CheckFields(r, m, p,
			[]string{"binding", "database_name", "database_id", "migrations_dir", "migrations_table", "preview_database_id"},
			map[string]string{"remote": "bindery dev always uses local storage", "database_internal_env": "it is Cloudflare-internal"})
		name, ok := config.BindingName(r, m, p)
		d := Database{
			Binding:         name,
			Name:            config.OptString(r, m, p, "database_name"),
			ID:              config.OptString(r, m, p, "database_id"),
			MigrationsDir:   config.OptString(r, m, p, "migrations_dir"),
			MigrationsTable: config.OptString(r, m, p, "migrations_table"),
			PreviewID:       config.OptString(r, m, p, "preview_database_id"),
		}
		if d.MigrationsDir == "" {
			d.MigrationsDir = DefaultMigrationsDir
		}
		if d.MigrationsTable == "" {
			d.MigrationsTable = DefaultMigrationsTable
		}
		if _, err := d.Path("."); err != nil && ok {
			r.Errorf(p.Key("database_id"), "database_id %q cannot name a local file: %v", d.LocalID(), err)
			ok = false
		}
		if ok {
			out = append(out, d)
		}
	}
	if out == nil {
		return nil
	}
	return out
}

func describe(env bindings.Env) []string {
	var out []string
	for _, d := range Databases(env.Config) {
		out = append(out, "env."+d.Binding+" (D1 "+d.LocalID()+")")
	}
	return out
}

// open opens (creating) the databases the config declares and binds them.
func open(ctx context.Context, env bindings.Env) (*bindings.Opened, error) {
	dbs := map[string]*d1.Database{}  // by binding
	byID := map[string]*d1.Database{} // by local id, for the admin API
	closeAll := func() error {
		var errs []error
		for _, db := range byID { // each database once
			errs = append(errs, db.Close())
		}
		return errors.Join(errs...)
	}
	opts := d1.Options{}
	if v, ok := env.Flags[MaxSizeFlag]; ok {
		n, err := ParseSize(v)
		if err != nil {
			return nil, fmt.Errorf("--%s %q: %w", MaxSizeFlag, v, err)
		}
		opts.MaxSize = n
	}
	for i, d := range Databases(env.Config) {
		if db, ok := byID[d.LocalID()]; ok {
			// Two bindings of one database share its connections: two
			// writers on one file would only wait on each other's locks.
			dbs[d.Binding] = db
			continue
		}
		path, err := d.Path(env.State.Dir())
		if err == nil {
			err = os.MkdirAll(filepath.Dir(path), 0o755)
		}
		var db *d1.Database
		if err == nil {
			db, err = d1.Open(ctx, path, opts)
		}
		if err != nil {
			closeAll()
			return nil, fmt.Errorf("%s[%d] (binding %s): %w", Key, i, d.Binding, err)
		}
		dbs[d.Binding] = db
		byID[d.LocalID()] = db
	}
	return &bindings.Opened{
		Bindings: []bindings.Binding{d1.NewBinding(dbs)},
		Routes:   Routes(byID),
		Close:    closeAll,
	}, nil
}
