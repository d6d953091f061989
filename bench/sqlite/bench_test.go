//go:build !wasip1

// make check vets every nested module for wasip1 (the Go Workers);
// modernc does not build there, and this benchmark is host-only.

package sqlite

import (
	"database/sql"
	"path/filepath"
	"strings"
	"testing"

	_ "github.com/ncruces/go-sqlite3/driver"
	_ "modernc.org/sqlite"
)

// Both drivers through database/sql, the same file settings (WAL,
// synchronous=NORMAL), one connection.
var drivers = []struct{ name, driver, dsn string }{
	{"ncruces", "sqlite3", "file:%s?_pragma=journal_mode(WAL)&_pragma=synchronous(NORMAL)"},
	{"modernc", "sqlite", "file:%s?_pragma=journal_mode(WAL)&_pragma=synchronous(NORMAL)"},
}

func open(b *testing.B, driver, dsn string) *sql.DB {
	path := filepath.Join(b.TempDir(), "b.sqlite")
	db, err := sql.Open(driver, fmtDSN(dsn, path))
	if err != nil {
		b.Fatal(err)
	}
	db.SetMaxOpenConns(1)
	b.Cleanup(func() { db.Close() })
	if _, err := db.Exec("CREATE TABLE t (id INTEGER PRIMARY KEY, v TEXT)"); err != nil {
		b.Fatal(err)
	}
	for i := range 1000 {
		if _, err := db.Exec("INSERT INTO t (id, v) VALUES (?, 'value')", i); err != nil {
			b.Fatal(err)
		}
	}
	return db
}

func fmtDSN(dsn, path string) string { return strings.Replace(dsn, "%s", path, 1) }

func BenchmarkPointSelect(b *testing.B) {
	for _, d := range drivers {
		b.Run(d.name, func(b *testing.B) {
			db := open(b, d.driver, d.dsn)
			st, err := db.Prepare("SELECT v FROM t WHERE id = ?")
			if err != nil {
				b.Fatal(err)
			}
			var v string
			for i := 0; b.Loop(); i++ {
				if err := st.QueryRow(i % 1000).Scan(&v); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

func BenchmarkInsert(b *testing.B) {
	for _, d := range drivers {
		b.Run(d.name, func(b *testing.B) {
			db := open(b, d.driver, d.dsn)
			st, err := db.Prepare("INSERT INTO t (v) VALUES (?)")
			if err != nil {
				b.Fatal(err)
			}
			for b.Loop() {
				if _, err := st.Exec("new"); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

func BenchmarkBatch100(b *testing.B) {
	for _, d := range drivers {
		b.Run(d.name, func(b *testing.B) {
			db := open(b, d.driver, d.dsn)
			for b.Loop() {
				tx, err := db.Begin()
				if err != nil {
					b.Fatal(err)
				}
				for range 100 {
					if _, err := tx.Exec("INSERT INTO t (v) VALUES (?)", "new"); err != nil {
						b.Fatal(err)
					}
				}
				if err := tx.Commit(); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
