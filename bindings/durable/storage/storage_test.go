package storage_test

import (
	"path/filepath"
	"sync"
	"testing"

	"github.com/dgraph-io/badger/v4"

	"github.com/bindery-run/bindery/bindings/durable/storage"
	"github.com/bindery-run/bindery/bindings/durable/storage/storagetest"
	"github.com/bindery-run/bindery/internal/badgerdb"
)

func sqliteBackend() storagetest.Backend {
	return storagetest.Backend{
		New: func(t *testing.T) storage.Storage {
			return storage.NewSQLite(filepath.Join(t.TempDir(), "obj.sqlite"), storage.SQLiteOptions{})
		},
		Reopen: func(t *testing.T, s storage.Storage) storage.Storage {
			if err := s.Close(); err != nil {
				t.Fatal(err)
			}
			return storage.NewSQLite(s.(*storage.SQLite).Path(), storage.SQLiteOptions{})
		},
	}
}

// badgerObjects remembers each test object's database and directory,
// so that Reopen can close and open the database again.
type badgerObjects struct {
	mu  sync.Mutex
	dbs map[storage.Storage]badgerObject
}

type badgerObject struct {
	dir string
	db  *badger.DB
}

func openBadger(t *testing.T, dir string) *badger.DB {
	t.Helper()
	db, err := badgerdb.Open(dir, nil)
	if err != nil {
		t.Fatal(err)
	}
	return db
}

func badgerBackend() storagetest.Backend {
	objs := &badgerObjects{dbs: map[storage.Storage]badgerObject{}}
	remember := func(t *testing.T, dir string, db *badger.DB) storage.Storage {
		// Another object in the same database, to show objects are apart.
		other := storage.NewBadger(db, "ns", "other")
		if err := other.Put(t.Context(), []storage.Entry{{Key: "a", Value: []byte("other")}, {Key: "", Value: nil}}); err != nil {
			t.Fatal(err)
		}
		s := storage.NewBadger(db, "ns", "obj")
		objs.mu.Lock()
		objs.dbs[s] = badgerObject{dir, db}
		objs.mu.Unlock()
		t.Cleanup(func() { db.Close() })
		return s
	}
	return storagetest.Backend{
		KVLimits: true,
		New: func(t *testing.T) storage.Storage {
			dir := t.TempDir()
			return remember(t, dir, openBadger(t, dir))
		},
		Reopen: func(t *testing.T, s storage.Storage) storage.Storage {
			objs.mu.Lock()
			o := objs.dbs[s]
			objs.mu.Unlock()
			if err := o.db.Close(); err != nil {
				t.Fatal(err)
			}
			return remember(t, o.dir, openBadger(t, o.dir))
		},
	}
}

func TestConformance(t *testing.T) {
	t.Run("sqlite", func(t *testing.T) { storagetest.Run(t, sqliteBackend()) })
	t.Run("badger", func(t *testing.T) { storagetest.Run(t, badgerBackend()) })
}
