package host_test

import (
	"bytes"
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"testing"

	"github.com/bindery-run/bindery/bindings/d1"
	"github.com/bindery-run/bindery/host"
	"github.com/bindery-run/bindery/internal/testutil"
	"github.com/ncruces/go-sqlite3"
)

// BenchmarkD1 compares D1 through a Worker (GET /todos/<id> and POST
// /todos via ServeHTTP: HTTP bridge, guest, SDK, Canonical ABI, D1
// semantics, SQLite) with the same statements through the engine
// (bindings/d1) and through the SQLite driver directly (a second
// connection to the same file, a reused prepared statement). The Workers
// are examples/d1-todo ("go-sql": database/sql, ServeMux and
// encoding/json), bench/guests/d1-todo-go ("go": the Go SDK's D1 API, no
// router, JSON by hand) and bench/guests/d1-todo-c (C), over the example's
// schema with 1000 todos.
// select-while-writing runs the Worker's point selects from parallel
// goroutines while one goroutine inserts through the engine.
func BenchmarkD1(b *testing.B) {
	ctx := context.Background()
	rt := benchRuntime(b, d1.WIT())
	path := filepath.Join(b.TempDir(), "todo.sqlite")
	db, err := d1.Open(ctx, path, d1.Options{})
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { db.Close() })
	schema, err := os.ReadFile(filepath.Join(testutil.RepoRoot(b), "examples/d1-todo/migrations/0001_init.sql"))
	if err != nil {
		b.Fatal(err)
	}
	if _, err := db.Exec(ctx, string(schema)); err != nil {
		b.Fatal(err)
	}
	const nTodos = 1000
	ins := db.Prepare("INSERT INTO todos (title) VALUES (?)")
	stmts := make([]*d1.Statement, nTodos)
	for i := range stmts {
		stmts[i] = ins.Bind(d1.Text(fmt.Sprintf("todo %d", i)))
	}
	if _, err := db.Batch(ctx, stmts); err != nil {
		b.Fatal(err)
	}
	gets := make([]*http.Request, nTodos)
	for i := range gets {
		gets[i] = httptest.NewRequest("GET", fmt.Sprintf("/todos/%d", i+1), nil)
	}
	newTodo := []byte(`{"title":"benchmark"}`)
	guests := []struct {
		name string
		wasm func(*testing.B) []byte
	}{{"go-sql", lazyWasm("examples/d1-todo")}, {"go", lazyWasm("bench/guests/d1-todo-go")}, {"c", lazyWasm("bench/guests/d1-todo-c")}}
	worker := func(b *testing.B, i int) *host.Worker {
		w := benchWorker(b, rt, host.WorkerConfig{
			Name: "d1-todo-" + guests[i].name, Wasm: guests[i].wasm(b), Operations: -1,
			Bindings: []host.Binding{d1.NewBinding(map[string]*d1.Database{"DB": db})},
		})
		rec := httptest.NewRecorder()
		w.ServeHTTP(rec, httptest.NewRequest("GET", "/todos/1", nil))
		if rec.Code != http.StatusOK || !bytes.Contains(rec.Body.Bytes(), []byte(`"todo 0"`)) {
			b.Fatalf("GET /todos/1: %d %q", rec.Code, rec.Body.String())
		}
		return w
	}
	driver := func(b *testing.B, sql string) *sqlite3.Stmt {
		c, err := sqlite3.Open(path)
		if err != nil {
			b.Fatal(err)
		}
		b.Cleanup(func() { c.Close() })
		if err := c.BusyTimeout(5e9); err != nil {
			b.Fatal(err)
		}
		st, _, err := c.Prepare(sql)
		if err != nil {
			b.Fatal(err)
		}
		b.Cleanup(func() { st.Close() })
		return st
	}
	const selectSQL = "SELECT id, title, done FROM todos WHERE id = ?"
	const insertSQL = "INSERT INTO todos (title) VALUES (?) RETURNING id, title, done"

	b.Run("select/driver", func(b *testing.B) {
		st := driver(b, selectSQL)
		for i := 0; b.Loop(); i++ {
			st.BindInt64(1, int64(i%nTodos+1))
			if !st.Step() {
				b.Fatal(st.Err())
			}
			_, _, _ = st.ColumnInt64(0), st.ColumnText(1), st.ColumnInt64(2)
			st.Reset()
		}
	})
	b.Run("select/engine", func(b *testing.B) {
		sel := db.Prepare(selectSQL)
		for i := 0; b.Loop(); i++ {
			if r, err := sel.Bind(d1.Int(int64(i%nTodos + 1))).All(ctx); err != nil || len(r.Results) != 1 {
				b.Fatal(r, err)
			}
		}
	})
	for gi, g := range guests {
		b.Run("select/worker-"+g.name, func(b *testing.B) {
			w := worker(b, gi)
			bw := newBenchWriter()
			b.ReportAllocs()
			cpu := processCPU(b)
			for i := 0; b.Loop(); i++ {
				serve(b, w, bw, gets[i%nTodos], http.StatusOK)
			}
			reportCPU(b, cpu)
		})
	}
	b.Run("insert/driver", func(b *testing.B) {
		st := driver(b, insertSQL)
		for b.Loop() {
			st.BindText(1, "benchmark")
			for st.Step() {
			}
			if err := st.Reset(); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("insert/engine", func(b *testing.B) {
		ins := db.Prepare(insertSQL)
		for b.Loop() {
			if _, err := ins.Bind(d1.Text("benchmark")).Run(ctx); err != nil {
				b.Fatal(err)
			}
		}
	})
	for gi, g := range guests {
		b.Run("insert/worker-"+g.name, func(b *testing.B) {
			w := worker(b, gi)
			bw := newBenchWriter()
			body := bytes.NewReader(newTodo)
			req := httptest.NewRequest("POST", "/todos", body)
			b.ReportAllocs()
			cpu := processCPU(b)
			for b.Loop() {
				body.Reset(newTodo)
				serve(b, w, bw, req, http.StatusCreated)
			}
			reportCPU(b, cpu)
		})
	}
	for gi, g := range guests {
		b.Run("select-while-writing/worker-"+g.name, func(b *testing.B) {
			w := worker(b, gi)
			stop, done := make(chan struct{}), make(chan struct{})
			go func() {
				defer close(done)
				ins := db.Prepare("INSERT INTO todos (title) VALUES ('writer')")
				for {
					select {
					case <-stop:
						return
					default:
					}
					if _, err := ins.Run(ctx); err != nil {
						b.Error(err)
						return
					}
				}
			}()
			b.RunParallel(func(pb *testing.PB) {
				bw := newBenchWriter()
				for i := 0; pb.Next(); i++ {
					bw.reset()
					w.ServeHTTP(bw, gets[i%nTodos])
					if bw.code != http.StatusOK {
						b.Errorf("GET: status %d", bw.code)
						return
					}
				}
			})
			close(stop)
			<-done
		})
	}
}
