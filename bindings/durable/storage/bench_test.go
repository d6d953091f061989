package storage_test

import (
	"context"
	"fmt"
	"path/filepath"
	"testing"

	"github.com/dgraph-io/badger/v4"
	"github.com/ncruces/go-sqlite3"

	"github.com/bindery-run/bindery/bindings/d1"
	"github.com/bindery-run/bindery/bindings/durable/storage"
)

// Each storage call next to the same work done on the store directly:
// SQLite through ncruces/go-sqlite3 (one connection, WAL,
// synchronous=NORMAL, a reused prepared statement, the table as
// _cf_KV has it) and Badger through db.Update/db.View. 1000 keys of
// 100-byte values. Numbers: docs/benchmarks.md.

const benchKeys = 1000

func benchKey(i int) string { return fmt.Sprintf("key%06d", i%benchKeys) }

var benchValue = make([]byte, 100)

func benchSQLite(b *testing.B) *storage.SQLite {
	s := storage.NewSQLite(filepath.Join(b.TempDir(), "b.sqlite"), storage.SQLiteOptions{})
	b.Cleanup(func() { s.Close() })
	fill(b, s)
	return s
}

func benchBadger(b *testing.B) (*storage.Badger, *badger.DB) {
	db := openBadger(&testing.T{}, b.TempDir())
	b.Cleanup(func() { db.Close() })
	s := storage.NewBadger(db, "ns", "obj")
	fill(b, s)
	return s, db
}

func fill(b *testing.B, s storage.Storage) {
	for i := 0; i < benchKeys; i += storage.MaxKeysPerCall {
		var es []storage.Entry
		for j := i; j < min(i+storage.MaxKeysPerCall, benchKeys); j++ {
			es = append(es, storage.Entry{Key: benchKey(j), Value: benchValue})
		}
		if err := s.Put(context.Background(), es); err != nil {
			b.Fatal(err)
		}
	}
}

func benchConn(b *testing.B) *sqlite3.Conn {
	c, err := sqlite3.Open(filepath.Join(b.TempDir(), "b.sqlite"))
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { c.Close() })
	if err := c.Exec("PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; CREATE TABLE kv (key TEXT PRIMARY KEY, value BLOB) WITHOUT ROWID"); err != nil {
		b.Fatal(err)
	}
	st, _, err := c.Prepare("INSERT INTO kv VALUES (?, ?) ON CONFLICT DO UPDATE SET value = excluded.value")
	if err != nil {
		b.Fatal(err)
	}
	defer st.Close()
	for i := range benchKeys {
		st.BindText(1, benchKey(i))
		st.BindBlob(2, benchValue)
		if err := st.Exec(); err != nil {
			b.Fatal(err)
		}
	}
	return c
}

func BenchmarkPut(b *testing.B) {
	ctx := context.Background()
	b.Run("sqlite", func(b *testing.B) {
		s := benchSQLite(b)
		for i := 0; b.Loop(); i++ {
			if err := s.Put(ctx, []storage.Entry{{Key: benchKey(i), Value: benchValue}}); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("sqlite-driver", func(b *testing.B) {
		c := benchConn(b)
		st, _, err := c.Prepare("INSERT INTO kv VALUES (?, ?) ON CONFLICT DO UPDATE SET value = excluded.value")
		if err != nil {
			b.Fatal(err)
		}
		defer st.Close()
		for i := 0; b.Loop(); i++ {
			st.BindText(1, benchKey(i))
			st.BindBlob(2, benchValue)
			if err := st.Exec(); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("badger", func(b *testing.B) {
		s, _ := benchBadger(b)
		for i := 0; b.Loop(); i++ {
			if err := s.Put(ctx, []storage.Entry{{Key: benchKey(i), Value: benchValue}}); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("badger-direct", func(b *testing.B) {
		_, db := benchBadger(b)
		p := storage.ObjectPrefix("ns", "obj")
		for i := 0; b.Loop(); i++ {
			k := append(append([]byte{}, p...), benchKey(i)...)
			if err := db.Update(func(txn *badger.Txn) error { return txn.Set(k, benchValue) }); err != nil {
				b.Fatal(err)
			}
		}
	})
}

func BenchmarkGet(b *testing.B) {
	ctx := context.Background()
	b.Run("sqlite", func(b *testing.B) {
		s := benchSQLite(b)
		for i := 0; b.Loop(); i++ {
			if es, err := s.Get(ctx, []string{benchKey(i)}); err != nil || len(es) != 1 {
				b.Fatal(es, err)
			}
		}
	})
	b.Run("sqlite-driver", func(b *testing.B) {
		c := benchConn(b)
		st, _, err := c.Prepare("SELECT value FROM kv WHERE key = ?")
		if err != nil {
			b.Fatal(err)
		}
		defer st.Close()
		for i := 0; b.Loop(); i++ {
			st.BindText(1, benchKey(i))
			if !st.Step() {
				b.Fatal(st.Err())
			}
			_ = st.ColumnBlob(0, nil)
			st.Reset()
		}
	})
	b.Run("badger", func(b *testing.B) {
		s, _ := benchBadger(b)
		for i := 0; b.Loop(); i++ {
			if es, err := s.Get(ctx, []string{benchKey(i)}); err != nil || len(es) != 1 {
				b.Fatal(es, err)
			}
		}
	})
	b.Run("badger-direct", func(b *testing.B) {
		_, db := benchBadger(b)
		p := storage.ObjectPrefix("ns", "obj")
		for i := 0; b.Loop(); i++ {
			k := append(append([]byte{}, p...), benchKey(i)...)
			err := db.View(func(txn *badger.Txn) error {
				item, err := txn.Get(k)
				if err != nil {
					return err
				}
				_, err = item.ValueCopy(nil)
				return err
			})
			if err != nil {
				b.Fatal(err)
			}
		}
	})
}

// BenchmarkList100 lists 100 consecutive keys.
func BenchmarkList100(b *testing.B) {
	ctx := context.Background()
	run := func(b *testing.B, s storage.Storage) {
		for i := 0; b.Loop(); i++ {
			start := benchKey(i % (benchKeys - 100))
			if es, err := s.List(ctx, storage.ListOptions{Start: &start, Limit: 100}); err != nil || len(es) != 100 {
				b.Fatal(len(es), err)
			}
		}
	}
	b.Run("sqlite", func(b *testing.B) { run(b, benchSQLite(b)) })
	b.Run("badger", func(b *testing.B) { s, _ := benchBadger(b); run(b, s) })
}

// BenchmarkExecPointSelect: a point select through Exec vs the driver.
func BenchmarkExecPointSelect(b *testing.B) {
	ctx := context.Background()
	b.Run("sqlite", func(b *testing.B) {
		s := storage.NewSQLite(filepath.Join(b.TempDir(), "b.sqlite"), storage.SQLiteOptions{})
		defer s.Close()
		if _, err := s.Exec(ctx, "CREATE TABLE kv (key TEXT PRIMARY KEY, value BLOB) WITHOUT ROWID"); err != nil {
			b.Fatal(err)
		}
		for i := range benchKeys {
			if _, err := s.Exec(ctx, "INSERT INTO kv VALUES (?, ?)", d1.Text(benchKey(i)), d1.Blob(benchValue)); err != nil {
				b.Fatal(err)
			}
		}
		for i := 0; b.Loop(); i++ {
			c, err := s.Exec(ctx, "SELECT value FROM kv WHERE key = ?", d1.Text(benchKey(i)))
			if err != nil || len(c.Rows) != 1 {
				b.Fatal(err)
			}
		}
	})
	b.Run("sqlite-driver", func(b *testing.B) {
		c := benchConn(b)
		st, _, err := c.Prepare("SELECT value FROM kv WHERE key = ?")
		if err != nil {
			b.Fatal(err)
		}
		defer st.Close()
		for i := 0; b.Loop(); i++ {
			st.BindText(1, benchKey(i))
			if !st.Step() {
				b.Fatal(st.Err())
			}
			_ = st.ColumnBlob(0, nil)
			st.Reset()
		}
	})
}
