package r2

import (
	"context"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"testing"

	"github.com/dgraph-io/badger/v4"

	"github.com/bindery-run/bindery/internal/badgerdb"
)

// openDB opens a Badger DB in dir, closed when the test ends.
func openDB(t testing.TB, dir string) *badger.DB {
	t.Helper()
	db, err := badgerdb.Open(dir, nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := db.Close(); err != nil {
			t.Error(err)
		}
	})
	return db
}

// OpenTestStore opens a store on a fresh DB and directory; the store checks,
// when the test ends, that it leaves no unreferenced files behind.
func OpenTestStore(t testing.TB, opts Options) *Store {
	t.Helper()
	dir := t.TempDir()
	db := openDB(t, filepath.Join(dir, "db"))
	s, err := Open(filepath.Join(dir, "r2"), db, opts)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if !t.Failed() {
			if err := s.collect(context.Background()); err != nil {
				t.Error(err)
			}
			CheckClean(t, s)
		}
		if err := s.Close(); err != nil {
			t.Error(err)
		}
	})
	return s
}

// CheckClean checks that no deletion is pending, no temp file is left, and
// the blob files are exactly those the index refers to.
func CheckClean(t testing.TB, s *Store) {
	t.Helper()
	ctx := context.Background()
	if tmp, _ := os.ReadDir(s.tmpDir()); len(tmp) != 0 {
		t.Errorf("%d temp files left", len(tmp))
	}
	intents, tombs, _, err := s.indexStats()
	if err != nil || intents != 0 || tombs != 0 {
		t.Errorf("index has %d intents and %d tombstones (err %v), want none", intents, tombs, err)
	}
	files, err := s.blobFiles()
	if err != nil {
		t.Fatal(err)
	}
	used, err := s.referencedBlobs(ctx)
	if err != nil {
		t.Fatal(err)
	}
	slices.Sort(files)
	want := slices.Sorted(maps.Keys(used))
	if !slices.Equal(files, want) {
		t.Errorf("blob files %q, index refers to %q", files, want)
	}
}
