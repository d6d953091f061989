package storage_test

import (
	"context"
	"crypto/rand"
	"fmt"
	"github.com/bindery-run/bindery/internal/testutil"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/bindery-run/bindery/bindings/d1"
	"github.com/bindery-run/bindery/bindings/durable/storage"
	"github.com/bindery-run/bindery/internal/badgerdb"
)

const crashEnv = "BINDERY_DO_STORAGE_CRASH_WRITER"

// TestMain lets TestKill9 re-run this binary as a writer process.
func TestMain(m *testing.M) {
	if spec := os.Getenv(crashEnv); spec != "" {
		crashWriter(spec)
		return
	}
	os.Exit(m.Run())
}

// crashWriter writes forever to the storage spec names ("sqlite:PATH"
// or "badger:DIR"), printing each write's number once it returned: odd
// numbers are one put, even ones a transaction of two puts.
func crashWriter(spec string) {
	ctx := context.Background()
	kind, path, _ := strings.Cut(spec, ":")
	var s storage.Storage
	switch kind {
	case "sqlite":
		s = storage.NewSQLite(path, storage.SQLiteOptions{})
	case "badger":
		db, err := badgerdb.Open(path, nil)
		if err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(2)
		}
		s = storage.NewBadger(db, "ns", "obj")
	}
	for i := 1; ; i++ {
		v := make([]byte, 200)
		rand.Read(v)
		var err error
		if i%2 == 1 {
			err = s.Put(ctx, []storage.Entry{{Key: fmt.Sprintf("k%08d", i), Value: v}})
		} else {
			err = s.Transaction(ctx, func(tx storage.Tx) error {
				if err := tx.Put(ctx, []storage.Entry{{Key: fmt.Sprintf("k%08d", i), Value: v}}); err != nil {
					return err
				}
				return tx.Put(ctx, []storage.Entry{{Key: fmt.Sprintf("t%08d", i), Value: v}})
			})
		}
		if err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(2)
		}
		fmt.Println(i)
	}
}

// TestKill9: kill -9 a process in the middle of a write load; after a
// restart every acknowledged write is there, and every transaction is
// all there or not at all.
func TestKill9(t *testing.T) {
	if testing.Short() {
		t.Skip("starts a subprocess")
	}
	for _, kind := range []string{"sqlite", "badger"} {
		t.Run(kind, func(t *testing.T) {
			ctx := context.Background()
			path := filepath.Join(t.TempDir(), "obj")
			if kind == "sqlite" {
				path += ".sqlite"
			}
			acked := int(testutil.Kill9(t, crashEnv, kind+":"+path, 300))

			var s storage.Storage
			if kind == "sqlite" {
				db, err := d1.Open(ctx, path, d1.Options{})
				if err != nil {
					t.Fatal(err)
				}
				if err := db.IntegrityCheck(ctx); err != nil {
					t.Error(err)
				}
				db.Close()
				s = storage.NewSQLite(path, storage.SQLiteOptions{})
			} else {
				db := openBadger(t, path)
				defer db.Close()
				s = storage.NewBadger(db, "ns", "obj")
			}
			defer s.Close()
			ks, err := s.List(ctx, storage.ListOptions{Prefix: "k"})
			if err != nil {
				t.Fatal(err)
			}
			if len(ks) < acked {
				t.Errorf("%d of %d acknowledged writes survived kill -9", len(ks), acked)
			}
			for i, e := range ks {
				if e.Key != fmt.Sprintf("k%08d", i+1) || len(e.Value) != 200 {
					t.Fatalf("key %d is %q (%d bytes)", i, e.Key, len(e.Value))
				}
			}
			ts, err := s.List(ctx, storage.ListOptions{Prefix: "t"})
			if err != nil {
				t.Fatal(err)
			}
			if len(ts) != len(ks)/2 {
				t.Errorf("%d transactions' second keys for %d writes: a transaction was torn", len(ts), len(ks))
			}
		})
	}
}
