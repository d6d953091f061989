package d1_test

import (
	"context"
	"fmt"
	"github.com/bindery-run/bindery/internal/testutil"
	"os"
	"path/filepath"
	"testing"

	"github.com/bindery-run/bindery/bindings/d1"
)

const crashEnv = "BINDERY_D1_CRASH_WRITER"

// TestMain lets TestKill9 re-run this binary as a writer process.
func TestMain(m *testing.M) {
	if path := os.Getenv(crashEnv); path != "" {
		crashWriter(path)
		return
	}
	os.Exit(m.Run())
}

// crashWriter inserts rows forever, printing each id once Run returned.
func crashWriter(path string) {
	ctx := context.Background()
	db, err := d1.Open(ctx, path, d1.Options{})
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(2)
	}
	ins := db.Prepare("INSERT INTO k (id, v) VALUES (?, randomblob(200))")
	for i := int64(1); ; i++ {
		if _, err := ins.Bind(d1.Int(i)).Run(ctx); err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(2)
		}
		fmt.Println(i)
	}
}

// TestKill9: kill -9 a process in the middle of a write load; after a
// restart every acknowledged write is there and integrity_check is ok.
func TestKill9(t *testing.T) {
	if testing.Short() {
		t.Skip("starts a subprocess")
	}
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "crash.sqlite")
	db, err := d1.Open(ctx, path, d1.Options{})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := db.Exec(ctx, "CREATE TABLE k (id INTEGER PRIMARY KEY, v BLOB)"); err != nil {
		t.Fatal(err)
	}
	db.Close()

	acked := testutil.Kill9(t, crashEnv, path, 300)

	db, err = d1.Open(ctx, path, d1.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if err := db.IntegrityCheck(ctx); err != nil {
		t.Fatal(err)
	}
	row, _, err := db.Prepare("SELECT count(*) AS n FROM k WHERE id <= ?").Bind(d1.Int(acked)).First(ctx, "n")
	if err != nil {
		t.Fatal(err)
	}
	if !row.Values[0].Equal(d1.Int(acked)) {
		t.Errorf("%v of %d acknowledged writes survived kill -9", row.Values[0], acked)
	}
}
