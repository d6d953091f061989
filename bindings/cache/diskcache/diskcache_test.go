package diskcache

import (
	"context"
	"errors"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/bindery-run/bindery/bindings/cache"
	"github.com/bindery-run/bindery/bindings/cache/cachetest"
	"github.com/bindery-run/bindery/internal/badgerdb"
	"github.com/bindery-run/bindery/internal/testutil"
	"github.com/dgraph-io/badger/v4"
)

func openDB(t testing.TB, dir string) *badger.DB {
	t.Helper()
	db, err := badgerdb.Open(dir, nil)
	if err != nil {
		t.Fatal(err)
	}
	return db
}

// TestConformance runs cachetest over one database: every cache the suite
// asks for is another Worker's, through a Store with that cache's clock,
// and the files follow the index when it is done.
func TestConformance(t *testing.T) {
	dir := t.TempDir()
	db := openDB(t, filepath.Join(dir, "db"))
	defer db.Close()
	n := 0
	var stores []*Store
	cachetest.Run(t, func(t *testing.T, now func() time.Time) cache.Backend {
		s, err := Open(filepath.Join(dir, "cache"), db, Options{Now: now})
		if err != nil {
			t.Fatal(err)
		}
		stores = append(stores, s)
		n++
		// Worker names where one is a prefix of the next catch unescaped prefixes.
		return s.Cache(strings.Repeat("w", n), cache.Name{Named: n%2 == 0, Name: strings.Repeat("c", n/2)})
	})
	far := testutil.NewClock(time.Now().Add(100 * 365 * 24 * time.Hour))
	s, err := Open(filepath.Join(dir, "cache"), db, Options{Now: far.Now})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.Sweep(context.Background()); err != nil {
		t.Fatal(err)
	}
	checkClean(t, s)
	if files := blobFiles(t, s); len(files) != 0 {
		t.Errorf("%d bodies left after sweeping everything", len(files))
	}
}

// blobFiles lists the body files.
func blobFiles(t *testing.T, s *Store) []string {
	t.Helper()
	var files []string
	err := filepath.WalkDir(filepath.Join(s.dir, "blobs"), func(p string, d fs.DirEntry, err error) error {
		if err == nil && !d.IsDir() {
			files = append(files, d.Name())
		}
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	slices.Sort(files)
	return files
}

// checkClean checks that the body files are exactly those the entries
// name, that the expiry index names exactly the entries, and that no
// intent or tombstone is left.
func checkClean(t *testing.T, s *Store) {
	t.Helper()
	var named []string
	index := map[string]bool{}
	err := s.db.View(func(txn *badger.Txn) error {
		it := txn.NewIterator(badger.IteratorOptions{Prefix: []byte(prefix)})
		defer it.Close()
		for it.Rewind(); it.Valid(); it.Next() {
			k := string(it.Item().Key())
			switch {
			case strings.HasPrefix(k, entryPrefix):
				err := it.Item().Value(func(b []byte) error {
					vs, err := decodeRecord(b)
					for _, v := range vs {
						named = append(named, v.blob.String())
						index[string(expiryKey(v.expires, v.blob))] = true
					}
					return err
				})
				if err != nil {
					return err
				}
			case strings.HasPrefix(k, expiryPrefix):
				if !index[k] {
					index[k] = false
				}
			default:
				t.Errorf("left in the index: %q", k)
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	slices.Sort(named)
	if files := blobFiles(t, s); !slices.Equal(files, named) {
		t.Errorf("body files %v, the entries name %v", files, named)
	}
	for k, ok := range index {
		if !ok {
			t.Errorf("expiry index entry %x names no entry", k)
		}
	}
}

func get(url string) cache.Request { return cache.Request{Method: "GET", URL: url} }

var maxAge = cache.ResponseHead{Status: 200, Header: cache.Header{{Name: "cache-control", Value: []byte("max-age=60")}}}

// TestFilesFollowTheIndex: overwrites, deletes, failed puts and expiry
// leave exactly the files the index names.
func TestFilesFollowTheIndex(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	db := openDB(t, filepath.Join(dir, "db"))
	defer db.Close()
	clock := testutil.NewClock(time.Now())
	s, err := Open(filepath.Join(dir, "cache"), db, Options{Now: clock.Now})
	if err != nil {
		t.Fatal(err)
	}
	ns := cache.NewNamespace(s.Cache("site", cache.Name{}), cache.Limits{MaxBodyBytes: 1 << 10}, clock.Now)
	vary := cache.ResponseHead{Status: 200, Header: cache.Header{{Name: "cache-control", Value: []byte("max-age=60")}, {Name: "vary", Value: []byte("accept-encoding")}}}
	steps := []struct {
		name  string
		do    func() error
		files int
	}{
		{"put", func() error { _, err := ns.Put(ctx, get("https://a/1"), maxAge, strings.NewReader("1")); return err }, 1},
		{"overwrite", func() error { _, err := ns.Put(ctx, get("https://a/1"), maxAge, strings.NewReader("2")); return err }, 1},
		{"another key", func() error { _, err := ns.Put(ctx, get("https://a/2"), maxAge, strings.NewReader("3")); return err }, 2},
		{"two variants", func() error {
			for _, ae := range []string{"gzip", "br"} {
				req := cache.Request{Method: "GET", URL: "https://a/v", Header: cache.Header{{Name: "accept-encoding", Value: []byte(ae)}}}
				if _, err := ns.Put(ctx, req, vary, strings.NewReader(ae)); err != nil {
					return err
				}
			}
			return nil
		}, 4},
		{"a plain response replaces the variants", func() error {
			_, err := ns.Put(ctx, get("https://a/v"), maxAge, strings.NewReader("plain"))
			return err
		}, 3},
		{"too large", func() error {
			_, err := ns.Put(ctx, get("https://a/1"), maxAge, strings.NewReader(strings.Repeat("x", 2<<10)))
			if !errors.Is(err, cache.ErrTooLarge) {
				return err
			}
			return nil
		}, 3},
		{"aborted", func() error {
			w, err := ns.PutWriter(ctx, get("https://a/1"), maxAge)
			if err != nil {
				return err
			}
			w.Write([]byte("x"))
			w.Abort()
			return nil
		}, 3},
		{"delete", func() error { _, err := ns.Delete(ctx, get("https://a/2"), cache.QueryOptions{}); return err }, 2},
		{"expired, found by a match", func() error {
			clock.Advance(time.Minute)
			_, err := ns.Match(ctx, get("https://a/1"), cache.QueryOptions{})
			return err
		}, 1},
		{"expired, swept", func() error { _, err := s.Sweep(ctx); return err }, 0},
	}
	for _, st := range steps {
		if err := st.do(); err != nil {
			t.Fatalf("%s: %v", st.name, err)
		}
		if files := blobFiles(t, s); len(files) != st.files {
			t.Errorf("%s: %d body files, want %d", st.name, len(files), st.files)
		}
		checkClean(t, s)
	}
}

// TestRestart: entries survive closing and reopening the database, and
// their TTLs keep running.
func TestRestart(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	clock := testutil.NewClock(time.Now())
	open := func() (*badger.DB, *cache.Namespace, *Store) {
		db := openDB(t, filepath.Join(dir, "db"))
		s, err := Open(filepath.Join(dir, "cache"), db, Options{Now: clock.Now})
		if err != nil {
			t.Fatal(err)
		}
		return db, cache.NewNamespace(s.Cache("site", cache.Name{Named: true, Name: "pages"}), cache.Limits{}, clock.Now), s
	}
	db, ns, _ := open()
	if ok, err := ns.Put(ctx, get("https://a/1"), maxAge, strings.NewReader("kept")); !ok || err != nil {
		t.Fatal(ok, err)
	}
	db.Close()
	clock.Advance(30 * time.Second)
	db, ns, s := open()
	defer db.Close()
	r, err := ns.Match(ctx, get("https://a/1"), cache.QueryOptions{})
	if err != nil || r == nil {
		t.Fatalf("after a restart: %v, %v", r, err)
	}
	b, _ := io.ReadAll(r.Body)
	r.Body.Close()
	if string(b) != "kept" {
		t.Errorf("body %q", b)
	}
	// Another Worker's cache of the same name does not see it.
	other := cache.NewNamespace(s.Cache("site2", cache.Name{Named: true, Name: "pages"}), cache.Limits{}, clock.Now)
	if r, _ := other.Match(ctx, get("https://a/1"), cache.QueryOptions{}); r != nil {
		t.Errorf("another Worker's cache matched")
	}
	clock.Advance(30 * time.Second)
	if r, _ := ns.Match(ctx, get("https://a/1"), cache.QueryOptions{}); r != nil {
		t.Errorf("matched after its TTL")
	}
}

// TestOpenRecovers: Open unlinks the bodies of intents (a put cut short)
// and tombstones (a delete cut short).
func TestOpenRecovers(t *testing.T) {
	dir := t.TempDir()
	db := openDB(t, filepath.Join(dir, "db"))
	defer db.Close()
	s, err := Open(filepath.Join(dir, "cache"), db, Options{})
	if err != nil {
		t.Fatal(err)
	}
	ns := cache.NewNamespace(s.Cache("w", cache.Name{}), cache.Limits{}, nil)
	if _, err := ns.Put(context.Background(), get("https://a/kept"), maxAge, strings.NewReader("kept")); err != nil {
		t.Fatal(err)
	}
	for _, p := range []string{intentPrefix, tombstonePrefix} {
		id := newBlobID()
		if err := s.mkdirFor(id); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(s.blobPath(id), []byte("left over"), 0o644); err != nil {
			t.Fatal(err)
		}
		if err := db.Update(func(txn *badger.Txn) error { return txn.Set(append([]byte(p), id[:]...), nil) }); err != nil {
			t.Fatal(err)
		}
	}
	if n := len(blobFiles(t, s)); n != 3 {
		t.Fatalf("%d files before recovery", n)
	}
	s, err = Open(filepath.Join(dir, "cache"), db, Options{})
	if err != nil {
		t.Fatal(err)
	}
	checkClean(t, s)
	if n := len(blobFiles(t, s)); n != 1 {
		t.Errorf("%d files after recovery, want 1", n)
	}
}

// TestDamagedBody: a body shorter or missing where its entry says it is
// (a power loss) is a miss, and its entry goes.
func TestDamagedBody(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	db := openDB(t, filepath.Join(dir, "db"))
	defer db.Close()
	s, err := Open(filepath.Join(dir, "cache"), db, Options{})
	if err != nil {
		t.Fatal(err)
	}
	ns := cache.NewNamespace(s.Cache("w", cache.Name{}), cache.Limits{}, nil)
	for i, damage := range []func(path string) error{
		func(p string) error { return os.Truncate(p, 3) },
		os.Remove,
	} {
		url := "https://a/" + strconv.Itoa(i)
		if _, err := ns.Put(ctx, get(url), maxAge, strings.NewReader("0123456789")); err != nil {
			t.Fatal(err)
		}
		files := blobFiles(t, s)
		if err := damage(filepath.Join(s.dir, "blobs", files[0][:2], files[0])); err != nil {
			t.Fatal(err)
		}
		if r, err := ns.Match(ctx, get(url), cache.QueryOptions{}); r != nil || err != nil {
			t.Errorf("damage %d: Match = %v, %v; want a miss", i, r, err)
		}
		checkClean(t, s)
	}
}

func TestRecordEncoding(t *testing.T) {
	vs := []variant{
		{name: "", status: 200, header: cache.Header{{Name: "a", Value: []byte{0, 0xff}}, {Name: "b", Value: []byte{}}}, size: 1 << 40, blob: newBlobID(), stored: -5, expires: 1 << 50},
		{name: "accept-encoding=br", status: 404, size: 0, blob: newBlobID(), stored: 1, expires: 2, header: cache.Header{}},
	}
	b := encodeRecord(vs)
	got, err := decodeRecord(b)
	if err != nil || len(got) != 2 || got[0].name != "" || got[1].name != vs[1].name || got[0].size != vs[0].size ||
		got[0].blob != vs[0].blob || got[0].stored != -5 || got[0].expires != 1<<50 || string(got[0].header[0].Value) != "\x00\xff" {
		t.Fatalf("round trip: %+v, %v", got, err)
	}
	for i := range b {
		if _, err := decodeRecord(b[:i]); err == nil {
			t.Errorf("a record cut at %d decoded", i)
		}
	}
	if _, err := decodeRecord(append([]byte{2}, b[1:]...)); err == nil {
		t.Errorf("an unknown version decoded")
	}
}
