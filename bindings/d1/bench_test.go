package d1_test

import (
	"context"
	"path/filepath"
	"testing"

	"github.com/bindery-run/bindery/bindings/d1"
	"github.com/ncruces/go-sqlite3"
)

// The same statements through bindings/d1 and through the driver
// directly (ncruces/go-sqlite3, one connection, a reused prepared
// statement), on the same WAL file settings. Numbers: docs/benchmarks.md.

func benchDB(b *testing.B) *d1.Database {
	db, err := d1.Open(context.Background(), filepath.Join(b.TempDir(), "b.sqlite"), d1.Options{})
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { db.Close() })
	if _, err := db.Exec(context.Background(), "CREATE TABLE t (id INTEGER PRIMARY KEY, v TEXT)"); err != nil {
		b.Fatal(err)
	}
	ins := db.Prepare("INSERT INTO t (id, v) VALUES (?, 'value')")
	stmts := make([]*d1.Statement, 1000)
	for i := range stmts {
		stmts[i] = ins.Bind(d1.Int(int64(i)))
	}
	if _, err := db.Batch(context.Background(), stmts); err != nil {
		b.Fatal(err)
	}
	return db
}

func benchConn(b *testing.B) *sqlite3.Conn {
	c, err := sqlite3.Open(filepath.Join(b.TempDir(), "b.sqlite"))
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { c.Close() })
	if err := c.Exec("PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; CREATE TABLE t (id INTEGER PRIMARY KEY, v TEXT); BEGIN"); err != nil {
		b.Fatal(err)
	}
	st, _, err := c.Prepare("INSERT INTO t (id, v) VALUES (?, 'value')")
	if err != nil {
		b.Fatal(err)
	}
	for i := range 1000 {
		st.BindInt(1, i)
		if err := st.Exec(); err != nil {
			b.Fatal(err)
		}
	}
	st.Close()
	if err := c.Exec("COMMIT"); err != nil {
		b.Fatal(err)
	}
	return c
}

func BenchmarkPointSelect(b *testing.B) {
	ctx := context.Background()
	b.Run("d1", func(b *testing.B) {
		db := benchDB(b)
		sel := db.Prepare("SELECT v FROM t WHERE id = ?")
		for i := 0; b.Loop(); i++ {
			if _, ok, err := sel.Bind(d1.Int(int64(i%1000))).First(ctx, "v"); err != nil || !ok {
				b.Fatal(ok, err)
			}
		}
	})
	b.Run("driver", func(b *testing.B) {
		c := benchConn(b)
		st, _, err := c.Prepare("SELECT v FROM t WHERE id = ?")
		if err != nil {
			b.Fatal(err)
		}
		defer st.Close()
		for i := 0; b.Loop(); i++ {
			st.BindInt(1, i%1000)
			if !st.Step() {
				b.Fatal(st.Err())
			}
			_ = st.ColumnText(0)
			st.Reset()
		}
	})
}

func BenchmarkInsert(b *testing.B) {
	ctx := context.Background()
	b.Run("d1", func(b *testing.B) {
		db := benchDB(b)
		ins := db.Prepare("INSERT INTO t (v) VALUES (?)")
		for b.Loop() {
			if _, err := ins.Bind(d1.Text("new")).Run(ctx); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("driver", func(b *testing.B) {
		c := benchConn(b)
		st, _, err := c.Prepare("INSERT INTO t (v) VALUES (?)")
		if err != nil {
			b.Fatal(err)
		}
		defer st.Close()
		for b.Loop() {
			st.BindText(1, "new")
			if err := st.Exec(); err != nil {
				b.Fatal(err)
			}
		}
	})
}

func BenchmarkBatch100(b *testing.B) {
	ctx := context.Background()
	b.Run("d1", func(b *testing.B) {
		db := benchDB(b)
		ins := db.Prepare("INSERT INTO t (v) VALUES (?)")
		stmts := make([]*d1.Statement, 100)
		for i := range stmts {
			stmts[i] = ins.Bind(d1.Text("new"))
		}
		for b.Loop() {
			if _, err := db.Batch(ctx, stmts); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("driver", func(b *testing.B) {
		c := benchConn(b)
		st, _, err := c.Prepare("INSERT INTO t (v) VALUES (?)")
		if err != nil {
			b.Fatal(err)
		}
		defer st.Close()
		for b.Loop() {
			if err := c.Exec("BEGIN IMMEDIATE"); err != nil {
				b.Fatal(err)
			}
			for range 100 {
				st.BindText(1, "new")
				if err := st.Exec(); err != nil {
					b.Fatal(err)
				}
			}
			if err := c.Exec("COMMIT"); err != nil {
				b.Fatal(err)
			}
		}
	})
}

// BenchmarkReadersWhileWriting: point selects from parallel goroutines
// while one goroutine inserts continuously (WAL readers do not wait for
// the writer); compare with BenchmarkPointSelect/d1.
func BenchmarkReadersWhileWriting(b *testing.B) {
	ctx := context.Background()
	db := benchDB(b)
	stop := make(chan struct{})
	done := make(chan struct{})
	go func() {
		defer close(done)
		ins := db.Prepare("INSERT INTO t (v) VALUES (?)")
		for {
			select {
			case <-stop:
				return
			default:
			}
			if _, err := ins.Bind(d1.Text("w")).Run(ctx); err != nil {
				b.Error(err)
				return
			}
		}
	}()
	sel := db.Prepare("SELECT v FROM t WHERE id = ?")
	b.RunParallel(func(pb *testing.PB) {
		i := 0
		for pb.Next() {
			if _, ok, err := sel.Bind(d1.Int(int64(i%1000))).First(ctx, "v"); err != nil || !ok {
				b.Error(ok, err)
				return
			}
			i++
		}
	})
	close(stop)
	<-done
}
