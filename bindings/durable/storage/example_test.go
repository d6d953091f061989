package storage_test

import (
	"context"
	"fmt"
	"os"
	"path/filepath"

	"github.com/bindery-run/bindery/bindings/d1"
	"github.com/bindery-run/bindery/bindings/durable/storage"
)

// A SQLite-backed object: the KV API and SQL in one transaction.
func Example() {
	ctx := context.Background()
	dir, _ := os.MkdirTemp("", "durable")
	defer os.RemoveAll(dir)
	s := storage.NewSQLite(filepath.Join(dir, "Counter", "0123.sqlite"), storage.SQLiteOptions{})
	defer s.Close()

	if _, err := s.Exec(ctx, "CREATE TABLE visits (path TEXT)"); err != nil {
		panic(err)
	}
	err := s.Transaction(ctx, func(tx storage.Tx) error {
		if err := tx.Put(ctx, []storage.Entry{{Key: "count", Value: []byte("1")}}); err != nil {
			return err
		}
		_, err := tx.(storage.SQL).Exec(ctx, "INSERT INTO visits VALUES (?)", d1.Text("/"))
		return err
	})
	if err != nil {
		panic(err)
	}
	es, _ := s.List(ctx, storage.ListOptions{Prefix: "c"})
	c, _ := s.Exec(ctx, "SELECT count(*) AS n FROM visits")
	fmt.Printf("%s=%s, %s=%v\n", es[0].Key, es[0].Value, c.Columns[0], c.Rows[0][0].Int)
	// Output: count=1, n=1
}
