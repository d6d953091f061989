package d1module_test

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/bindery-run/bindery/bindings"
	"github.com/bindery-run/bindery/bindings/d1"
	"github.com/bindery-run/bindery/bindings/d1/d1module"
	"github.com/bindery-run/bindery/bindings/d1/d1wit"
	"github.com/bindery-run/bindery/bindings/state"
	"github.com/bindery-run/bindery/internal/wrangler"
)

// TestConfig: the module decodes d1_databases as wrangler writes it, in
// TOML and JSONC, and the loader puts the file, line and column on what
// it reports.
func TestConfig(t *testing.T) {
	tests := []struct {
		name, file, src string
		want            []string // in the error, or in the warnings when ok
		ok              bool
		dbs             []d1module.Database
	}{
		{"valid toml", "wrangler.toml", "[[d1_databases]]\nbinding = \"DB\"\ndatabase_name = \"todo\"\ndatabase_id = \"6f1c\"\nmigrations_dir = \"sql\"\n",
			nil, true, []d1module.Database{{Binding: "DB", Name: "todo", ID: "6f1c", MigrationsDir: "sql", MigrationsTable: "d1_migrations"}}},
		{"valid jsonc", "wrangler.jsonc", "{\n  // the todo list\n  \"d1_databases\": [{\"binding\": \"DB\", \"database_name\": \"todo\", \"migrations_table\": \"m\"}]\n}\n",
			nil, true, []d1module.Database{{Binding: "DB", Name: "todo", MigrationsDir: "migrations", MigrationsTable: "m"}}},
		{"missing binding", "wrangler.toml", "[[d1_databases]]\ndatabase_name = \"x\"\n",
			[]string{"wrangler.toml:1:1: d1_databases[0].binding: missing required field \"binding\""}, false, nil},
		{"unknown field", "wrangler.toml", "[[d1_databases]]\nbinding = \"DB\"\ndatabase_nme = \"x\"\n",
			[]string{"wrangler.toml:3:1: d1_databases[0].database_nme: unknown field \"database_nme\" (did you mean \"database_name\"?)"}, false, nil},
		{"id not a file name", "wrangler.toml", "[[d1_databases]]\nbinding = \"DB\"\ndatabase_id = \"../x\"\n",
			[]string{"d1_databases[0].database_id: database_id \"../x\" cannot name a local file"}, false, nil},
		{"name not a string", "wrangler.toml", "[[d1_databases]]\nbinding = \"DB\"\ndatabase_name = 3\n",
			[]string{"wrangler.toml:3:1: d1_databases[0].database_name: expected a string, found integer"}, false, nil},
		{"remote is a warning", "wrangler.toml", "[[d1_databases]]\nbinding = \"DB\"\nremote = true\n",
			[]string{`field "d1_databases[0].remote" is not used by bindery dev`}, true,
			[]d1module.Database{{Binding: "DB", MigrationsDir: "migrations", MigrationsTable: "d1_migrations"}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cfg, err := wrangler.Parse(tt.file, []byte(tt.src), "", d1module.Module().Parser())
			if !tt.ok {
				if err == nil {
					t.Fatalf("no error, want %q", tt.want)
				}
				for _, w := range tt.want {
					if !strings.Contains(err.Error(), w) {
						t.Errorf("error %q\nwant %q", err, w)
					}
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			got := d1module.Databases(cfg.Bindings["d1"])
			if len(got) != len(tt.dbs) {
				t.Fatalf("databases = %+v, want %+v", got, tt.dbs)
			}
			for i := range got {
				if got[i] != tt.dbs[i] {
					t.Errorf("database %d = %+v, want %+v", i, got[i], tt.dbs[i])
				}
			}
			for _, w := range tt.want {
				if !strings.Contains(strings.Join(cfg.Warnings, "\n"), w) {
					t.Errorf("warnings %q, want %q", cfg.Warnings, w)
				}
			}
		})
	}
}

func TestParseSize(t *testing.T) {
	tests := []struct {
		in   string
		want int64
		ok   bool
	}{
		{"10GB", 10e9, true}, {"500mb", 500e6, true}, {"1GiB", 1 << 30, true}, {"65536", 65536, true},
		{"64 KiB", 64 << 10, true}, {"none", -1, true}, {"NONE", -1, true},
		{"", 0, false}, {"GB", 0, false}, {"10XB", 0, false}, {"-5MB", 0, false}, {"1.5GB", 0, false},
		{"100", 0, false}, {"99999999999TB", 0, false},
	}
	for _, tt := range tests {
		got, err := d1module.ParseSize(tt.in)
		if (err == nil) != tt.ok || got != tt.want {
			t.Errorf("ParseSize(%q) = %d, %v; want %d, ok %v", tt.in, got, err, tt.want, tt.ok)
		}
	}
}

// TestOpen opens the module over a data directory: each database is a
// SQLite file at d1/<id>.sqlite, the binding serves it by binding name,
// and the size flag limits it.
func TestOpen(t *testing.T) {
	ctx := context.Background()
	st, err := state.Open(t.TempDir(), state.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	m := d1module.Module()
	cfg := []d1module.Database{{Binding: "DB", Name: "todo", ID: "6f1c"}, {Binding: "OTHER", Name: "other"}, {Binding: "ALIAS", ID: "6f1c"}}
	env := bindings.Env{Worker: "w", State: st, Config: cfg, Flags: map[string]string{d1module.MaxSizeFlag: "64KiB"}}
	o, err := m.Open(ctx, env)
	if err != nil {
		t.Fatal(err)
	}
	defer o.Close()
	for _, id := range []string{"6f1c", "other"} {
		if _, err := os.Stat(filepath.Join(st.Dir(), "d1", id+".sqlite")); err != nil {
			t.Errorf("database %s: %v", id, err)
		}
	}
	if got := strings.Join(m.Describe(env), ", "); got != "env.DB (D1 6f1c), env.OTHER (D1 other), env.ALIAS (D1 6f1c)" {
		t.Errorf("Describe = %q", got)
	}
	b := o.Bindings[0].(*d1.Binding)
	h, werr := b.DatabaseOpen(ctx, "DB")
	if werr != nil {
		t.Fatal(werr)
	}
	if _, werr := h.Exec(ctx, "CREATE TABLE t (b BLOB)"); werr != nil {
		t.Fatal(werr)
	}
	// ALIAS names the same database: it sees what DB wrote at once.
	alias, werr := b.DatabaseOpen(ctx, "ALIAS")
	if werr != nil {
		t.Fatal(werr)
	}
	if r, werr := alias.Query(ctx, d1wit.Statement{SQL: "SELECT count(*) FROM sqlite_master WHERE name = 't'"}); werr != nil || r.Rows[0][0].Integer != 1 {
		t.Fatalf("ALIAS does not see DB's table: %v %v", r.Rows, werr)
	}
	blob := d1wit.Value{Tag: d1wit.ValueBlob, Blob: make([]byte, 8<<10)}
	for i := range 20 {
		_, werr = h.Query(ctx, d1wit.Statement{SQL: "INSERT INTO t VALUES (?)", Params: []d1wit.Value{blob}})
		if werr != nil {
			break
		}
		if i == 19 {
			t.Fatal("160 KiB went into a database limited to 64 KiB")
		}
	}
	if werr.Tag != d1wit.ErrorLimit || !strings.Contains(werr.Error(), "database size") {
		t.Errorf("past the size limit: %v, want the database size limit", werr)
	}
	if _, err := m.Open(ctx, bindings.Env{State: st, Config: cfg, Flags: map[string]string{d1module.MaxSizeFlag: "lots"}}); err == nil || !strings.Contains(err.Error(), "--d1-max-size") {
		t.Errorf("bad size flag: %v", err)
	}
}
