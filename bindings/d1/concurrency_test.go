package d1_test

import (
	"context"
	"errors"
	"fmt"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/bindery-run/bindery/bindings/d1"
	"github.com/bindery-run/bindery/internal/testutil"
)

func openFile(t *testing.T) (*d1.Database, string) {
	t.Helper()
	path := filepath.Join(t.TempDir(), "d1", "hammer.sqlite")
	db, err := d1.Open(context.Background(), path, d1.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	return db, path
}

// TestHammer runs 16 writers and 16 readers on one file database: no
// "database is locked", every acknowledged write readable afterwards.
func TestHammer(t *testing.T) {
	ctx := context.Background()
	db, _ := openFile(t)
	if _, err := db.Exec(ctx, "CREATE TABLE h (w INTEGER, i INTEGER, PRIMARY KEY (w, i))"); err != nil {
		t.Fatal(err)
	}
	const workers, perWorker = 16, 40
	var wg sync.WaitGroup
	errs := make(chan error, 2*workers)
	for w := range workers {
		wg.Add(2)
		go func() {
			defer wg.Done()
			ins := db.Prepare("INSERT INTO h (w, i) VALUES (?, ?)")
			for i := range perWorker {
				var err error
				if i%4 == 0 {
					_, err = db.Batch(ctx, []*d1.Statement{ins.Bind(d1.Int(int64(w)), d1.Int(int64(i))), db.Prepare("SELECT count(*) FROM h")})
				} else {
					_, err = ins.Bind(d1.Int(int64(w)), d1.Int(int64(i))).Run(ctx)
				}
				if err != nil {
					errs <- fmt.Errorf("writer %d insert %d: %w", w, i, err)
					return
				}
			}
		}()
		go func() {
			defer wg.Done()
			for i := range perWorker {
				if _, err := db.Prepare("SELECT count(*), max(i) FROM h WHERE w = ?").Bind(d1.Int(int64(i % workers))).All(ctx); err != nil {
					errs <- fmt.Errorf("reader %d query %d: %w", w, i, err)
					return
				}
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		if strings.Contains(err.Error(), "locked") || strings.Contains(err.Error(), "busy") {
			t.Errorf("lock contention: %v", err)
		} else {
			t.Error(err)
		}
	}
	row, _, err := db.Prepare("SELECT count(*) AS n FROM h").First(ctx, "n")
	if err != nil {
		t.Fatal(err)
	}
	if want := d1.Int(workers * perWorker); !row.Values[0].Equal(want) {
		t.Errorf("rows = %v, want %v", row.Values[0], want)
	}
}

// TestSQLiteCLIReadsWhatTheEngineWrote opens the database file with the
// sqlite3 CLI (Debian package sqlite3) while the engine has it open.
func TestSQLiteCLIReadsWhatTheEngineWrote(t *testing.T) {
	cli, err := testutil.LookPath("sqlite3", "sqlite3", "apt-get install sqlite3")
	testutil.NeedToolchain(t, err)
	ctx := context.Background()
	db, path := openFile(t)
	if _, err := db.Exec(ctx, "CREATE TABLE t (id INTEGER PRIMARY KEY, big INTEGER, name TEXT, data BLOB)"); err != nil {
		t.Fatal(err)
	}
	if _, err := db.Prepare("INSERT INTO t (big, name, data) VALUES (?, ?, ?)").
		Bind(d1.Int(1<<53+1), d1.Text("héllo"), d1.Blob([]byte{0xde, 0xad})).Run(ctx); err != nil {
		t.Fatal(err)
	}
	out, err := exec.Command(cli, path, "PRAGMA journal_mode; SELECT id, big, name, hex(data) FROM t; PRAGMA integrity_check;").CombinedOutput()
	if err != nil {
		t.Fatalf("sqlite3: %v\n%s", err, out)
	}
	if got, want := strings.TrimSpace(string(out)), "wal\n1|9007199254740993|héllo|DEAD\nok"; got != want {
		t.Errorf("sqlite3 printed\n%s\nwant\n%s", got, want)
	}
	// And the engine sees what the CLI writes.
	if out, err := exec.Command(cli, path, "INSERT INTO t (name) VALUES ('from cli');").CombinedOutput(); err != nil {
		t.Fatalf("sqlite3 insert: %v\n%s", err, out)
	}
	row, ok, err := db.Prepare("SELECT name FROM t WHERE id = 2").First(ctx, "name")
	if err != nil || !ok || !row.Values[0].Equal(d1.Text("from cli")) {
		t.Errorf("engine read %v, %v, %v after the CLI's insert", row, ok, err)
	}
}

func TestClosed(t *testing.T) {
	db, _ := openFile(t)
	db.Close()
	if _, err := db.Prepare("SELECT 1").All(context.Background()); !errors.Is(err, d1.ErrClosed) {
		t.Errorf("query after Close = %v, want ErrClosed", err)
	}
}

func TestFilePath(t *testing.T) {
	tests := []struct {
		id string
		ok bool
	}{{"todo", true}, {"6f1c-uuid", true}, {"", false}, {"..", false}, {"a/b", false}}
	for _, tt := range tests {
		_, err := d1.FilePath("/state/d1", tt.id)
		if (err == nil) != tt.ok {
			t.Errorf("FilePath(%q) err = %v, want ok=%v", tt.id, err, tt.ok)
		}
	}
}

// TestCancelIsNotTheTimeLimit: a caller's cancelled context is reported
// as such, not as D1's query-time limit.
func TestCancelIsNotTheTimeLimit(t *testing.T) {
	db, _ := openFile(t)
	ctx, cancel := context.WithCancel(context.Background())
	go func() { time.Sleep(50 * time.Millisecond); cancel() }()
	_, err := db.Prepare("WITH RECURSIVE c(i) AS (SELECT 1 UNION ALL SELECT i+1 FROM c) SELECT count(*) FROM c").All(ctx)
	var le *d1.LimitError
	if !errors.Is(err, context.Canceled) || errors.As(err, &le) {
		t.Fatalf("err = %v, want context.Canceled and no LimitError", err)
	}
}

// TestRowsReadPerRun: a cached statement's rows_read counts one run.
func TestRowsReadPerRun(t *testing.T) {
	ctx := context.Background()
	db, _ := openFile(t)
	if _, err := db.Exec(ctx, "CREATE TABLE r (x); INSERT INTO r VALUES (1), (2), (3)"); err != nil {
		t.Fatal(err)
	}
	for i := range 3 {
		res, err := db.Prepare("SELECT count(*) FROM r WHERE x > 0").All(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if res.Meta.RowsRead < 3 || res.Meta.RowsRead > 4 {
			t.Errorf("run %d: rows_read = %d, want 3 or 4", i, res.Meta.RowsRead)
		}
	}
}
