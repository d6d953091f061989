package badgerkv_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/dgraph-io/badger/v4"

	"github.com/bindery-run/bindery/bindings/kv"
	"github.com/bindery-run/bindery/bindings/kv/badgerkv"
	"github.com/bindery-run/bindery/bindings/kv/kvtest"
	"github.com/bindery-run/bindery/internal/badgerdb"
)

// openDB opens a Badger DB in a temporary directory for the test.
func openDB(t *testing.T) *badger.DB {
	t.Helper()
	db, err := badgerdb.Open(t.TempDir(), nil)
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

func TestConformance(t *testing.T) {
	// Every namespace of the suite shares one DB, and each namespace ID is a
	// prefix of the next one ("a", "a/m", "a/m/m", ...).
	db := openDB(t)
	var mu sync.Mutex
	id := "a"
	kvtest.Run(t, func(t *testing.T, now func() time.Time) kv.Backend {
		mu.Lock()
		defer mu.Unlock()
		s := badgerkv.New(db, id, now)
		id += "/m"
		return s
	})
}

func TestNamespaceIDsDoNotOverlap(t *testing.T) {
	db := openDB(t)
	ctx := context.Background()
	ids := []string{"", "a", "a/", "a/m", "a/m/", "1:a", "ab", "a/v", strings.Repeat("x", 100)}
	stores := make([]*badgerkv.Store, len(ids))
	for i, id := range ids {
		stores[i] = badgerkv.New(db, id, nil)
		for _, key := range []string{"k", "m/k", "v/k", "/m/k", "m/m/k"} {
			if err := stores[i].Put(ctx, key, kv.Entry{Value: []byte(id)}); err != nil {
				t.Fatal(err)
			}
		}
	}
	for i, s := range stores {
		res, err := s.List(ctx, kv.ListOptions{Limit: 100})
		if err != nil {
			t.Fatal(err)
		}
		if len(res.Keys) != 5 || !res.Complete {
			t.Fatalf("namespace %q lists %d keys, want 5", ids[i], len(res.Keys))
		}
		for _, k := range res.Keys {
			e, err := s.Get(ctx, k.Name)
			if err != nil || string(e.Value) != ids[i] {
				t.Fatalf("namespace %q key %q = %q, %v; want its own value", ids[i], k.Name, e.Value, err)
			}
		}
	}
	for i := range ids {
		for j := range ids {
			pi, pj := badgerkv.NamespacePrefix(ids[i]), badgerkv.NamespacePrefix(ids[j])
			if i != j && bytes.HasPrefix(pi, pj) {
				t.Errorf("prefix of %q (%q) starts with the prefix of %q (%q)", ids[i], pi, ids[j], pj)
			}
		}
	}
	// Dropping one namespace's prefix leaves the others alone.
	if err := db.DropPrefix(badgerkv.NamespacePrefix("a")); err != nil {
		t.Fatal(err)
	}
	if _, err := stores[1].Get(ctx, "k"); !errors.Is(err, kv.ErrNotFound) {
		t.Fatalf("after DropPrefix, Get = %v, want ErrNotFound", err)
	}
	if e, err := stores[3].Get(ctx, "k"); err != nil || string(e.Value) != "a/m" {
		t.Fatalf("after dropping a, a/m's key = %q, %v", e.Value, err)
	}
}

func TestBadgerTTL(t *testing.T) {
	db := openDB(t)
	ctx := context.Background()
	s := badgerkv.New(db, "ttl", nil)
	exp := time.Now().Add(time.Hour).Unix()
	big := bytes.Repeat([]byte("b"), badgerkv.InlineValueBytes+1)
	for _, c := range []struct {
		key   string
		value []byte
		parts []string // the Badger keys it has
	}{
		{"small", []byte("v"), []string{"m/"}},
		{"big", big, []string{"m/", "v/"}},
	} {
		if err := s.Put(ctx, c.key, kv.Entry{Value: c.value, Expiration: exp}); err != nil {
			t.Fatal(err)
		}
		// Every Badger key carries the expiration as Badger's own TTL.
		err := db.View(func(txn *badger.Txn) error {
			for _, part := range c.parts {
				item, err := txn.Get(append(badgerkv.NamespacePrefix("ttl"), part+c.key...))
				if err != nil {
					return fmt.Errorf("%s%s: %w", part, c.key, err)
				}
				if item.ExpiresAt() != uint64(exp) {
					t.Errorf("%s%s ExpiresAt = %d, want %d", part, c.key, item.ExpiresAt(), exp)
				}
			}
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
	}
	// A key whose Badger TTL has passed by the wall clock is gone even for
	// a clock that lags behind.
	past := badgerkv.New(db, "past", func() time.Time { return time.Unix(0, 0) })
	if err := past.Put(ctx, "k", kv.Entry{Value: []byte("v"), Expiration: time.Now().Add(-time.Second).Unix()}); err != nil {
		t.Fatal(err)
	}
	if _, err := past.Get(ctx, "k"); !errors.Is(err, kv.ErrNotFound) {
		t.Fatalf("Get of a key past its Badger TTL = %v, want ErrNotFound", err)
	}
}

func TestLargeValue(t *testing.T) {
	db := openDB(t)
	ctx := context.Background()
	ns := kv.NewNamespace(badgerkv.New(db, "big", nil), kv.Limits{}, nil)
	value := bytes.Repeat([]byte{0xab}, kv.DefaultMaxValueBytes)
	if err := ns.Put(ctx, "big", value, kv.PutOptions{Metadata: []byte(`{"size":"25MiB"}`)}); err != nil {
		t.Fatal(err)
	}
	got, found, err := ns.Get(ctx, "big")
	if err != nil || !found || !bytes.Equal(got, value) {
		t.Fatalf("Get(big) = %d bytes, %v, %v", len(got), found, err)
	}
	res, err := ns.List(ctx, kv.ListOptions{})
	if err != nil || len(res.Keys) != 1 || string(res.Keys[0].Metadata) != `{"size":"25MiB"}` {
		t.Fatalf("List = %+v, %v", res, err)
	}
}

func TestHugeKeyWithoutLimit(t *testing.T) {
	db := openDB(t)
	ns := kv.NewNamespace(badgerkv.New(db, "huge", nil), kv.Limits{MaxKeyBytes: kv.NoLimit}, nil)
	err := ns.Put(context.Background(), strings.Repeat("k", 70000), nil, kv.PutOptions{})
	if !errors.Is(err, kv.ErrInvalidKey) {
		t.Fatalf("Put of a 70000-byte key = %v, want ErrInvalidKey", err)
	}
}

func TestClosedDB(t *testing.T) {
	db, err := badgerdb.Open(t.TempDir(), nil)
	if err != nil {
		t.Fatal(err)
	}
	s := badgerkv.New(db, "closed", nil)
	if err := db.Close(); err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	if _, err := s.Get(ctx, "k"); err == nil || errors.Is(err, kv.ErrNotFound) {
		t.Fatalf("Get on a closed DB = %v, want an error other than ErrNotFound", err)
	}
	if err := s.Put(ctx, "k", kv.Entry{}); err == nil {
		t.Fatal("Put on a closed DB succeeded")
	}
}

// TestInlineValues checks the layout behind one-lookup gets: a value up to
// InlineValueBytes lives in its index entry, a bigger one in its own entry,
// and replacing one kind with the other leaves no stale value entry.
func TestInlineValues(t *testing.T) {
	db := openDB(t)
	ctx := context.Background()
	s := badgerkv.New(db, "inline", nil)
	vKey := append(badgerkv.NamespacePrefix("inline"), "v/k"...)
	hasValueEntry := func() bool {
		err := db.View(func(txn *badger.Txn) error {
			_, err := txn.Get(vKey)
			return err
		})
		if err != nil && !errors.Is(err, badger.ErrKeyNotFound) {
			t.Fatal(err)
		}
		return err == nil
	}
	for _, c := range []struct {
		name       string
		size       int
		meta       []byte
		valueEntry bool
	}{
		{"empty", 0, nil, false},
		{"small", 100, []byte(`{"a":1}`), false},
		{"limit", badgerkv.InlineValueBytes, nil, false},
		{"over", badgerkv.InlineValueBytes + 1, []byte(`{}`), true},
		{"small again", 5, nil, false},
		{"big", 1 << 20, []byte(`"m"`), true},
		{"big to big", 2 << 20, nil, true},
		{"big to small", 7, []byte(`[]`), false},
	} {
		value := bytes.Repeat([]byte{byte(c.size)}, c.size)
		if err := s.Put(ctx, "k", kv.Entry{Value: value, Metadata: c.meta}); err != nil {
			t.Fatalf("%s: %v", c.name, err)
		}
		e, err := s.Get(ctx, "k")
		if err != nil {
			t.Fatalf("%s: %v", c.name, err)
		}
		if !bytes.Equal(e.Value, value) || !bytes.Equal(e.Metadata, c.meta) || (e.Metadata == nil) != (c.meta == nil) {
			t.Errorf("%s: got %d bytes, metadata %q; want %d, %q", c.name, len(e.Value), e.Metadata, c.size, c.meta)
		}
		if got := hasValueEntry(); got != c.valueEntry {
			t.Errorf("%s: value entry present = %v, want %v", c.name, got, c.valueEntry)
		}
		l, err := s.List(ctx, kv.ListOptions{})
		if err != nil || len(l.Keys) != 1 || !bytes.Equal(l.Keys[0].Metadata, c.meta) {
			t.Errorf("%s: list = %+v, %v", c.name, l, err)
		}
	}
	if err := s.Delete(ctx, "k"); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Get(ctx, "k"); !errors.Is(err, kv.ErrNotFound) || hasValueEntry() {
		t.Fatalf("after delete: %v, value entry %v", err, hasValueEntry())
	}
}

// TestReadsVersion1Entries: state written before inline values (index
// version 1, value always in its own entry) still reads, lists and is
// replaced cleanly.
func TestReadsVersion1Entries(t *testing.T) {
	db := openDB(t)
	ctx := context.Background()
	prefix := badgerkv.NamespacePrefix("old")
	put := func(k string, index, value []byte) {
		err := db.Update(func(txn *badger.Txn) error {
			if err := txn.Set(append(bytes.Clone(prefix), "m/"+k...), index); err != nil {
				return err
			}
			return txn.Set(append(bytes.Clone(prefix), "v/"+k...), value)
		})
		if err != nil {
			t.Fatal(err)
		}
	}
	put("plain", []byte{1, 0, 0}, []byte("value one"))
	put("meta", append([]byte{1, 0, 1}, `{"x":true}`...), []byte("value two"))
	s := badgerkv.New(db, "old", nil)
	for _, c := range []struct{ key, value, meta string }{
		{"plain", "value one", ""},
		{"meta", "value two", `{"x":true}`},
	} {
		e, err := s.Get(ctx, c.key)
		if err != nil || string(e.Value) != c.value || string(e.Metadata) != c.meta {
			t.Errorf("get %s = %q %q %v, want %q %q", c.key, e.Value, e.Metadata, err, c.value, c.meta)
		}
	}
	l, err := s.List(ctx, kv.ListOptions{})
	if err != nil || len(l.Keys) != 2 || string(l.Keys[0].Metadata) != `{"x":true}` || l.Keys[1].Metadata != nil {
		t.Fatalf("list = %+v, %v", l, err)
	}
	if err := s.Put(ctx, "plain", kv.Entry{Value: []byte("new")}); err != nil {
		t.Fatal(err)
	}
	if e, err := s.Get(ctx, "plain"); err != nil || string(e.Value) != "new" {
		t.Fatalf("after put: %q %v", e.Value, err)
	}
}

func TestNamespaces(t *testing.T) {
	ctx := context.Background()
	tests := []struct {
		name    string
		created []string // CreateNamespace
		keys    []string // namespaces that get a key
		deleted []string // namespaces whose key is deleted again
		expired []string // namespaces whose only key has expired
		want    []string
	}{
		{name: "none", want: []string{}},
		{name: "created", created: []string{"b", "a"}, want: []string{"a", "b"}},
		{name: "with keys", keys: []string{"a/m", "a", "ab", "1:a", ""}, want: []string{"", "1:a", "a", "a/m", "ab"}},
		{name: "both, once", created: []string{"a", "a"}, keys: []string{"a", "b"}, want: []string{"a", "b"}},
		{name: "emptied", keys: []string{"a", "b"}, deleted: []string{"a"}, want: []string{"b"}},
		{name: "created, emptied", created: []string{"a"}, keys: []string{"a"}, deleted: []string{"a"}, want: []string{"a"}},
		{name: "expired", keys: []string{"b"}, expired: []string{"a"}, want: []string{"b"}},
		{name: "long and odd ids", keys: []string{strings.Repeat("x", 300), "a\x00b", "a/"}, want: []string{"a\x00b", "a/", strings.Repeat("x", 300)}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			db := openDB(t)
			for _, id := range tc.created {
				if err := badgerkv.CreateNamespace(ctx, db, id); err != nil {
					t.Fatal(err)
				}
			}
			for _, id := range tc.keys {
				s := badgerkv.New(db, id, nil)
				for _, k := range []string{"k1", "k2", strings.Repeat("k", 400)} {
					if err := s.Put(ctx, k, kv.Entry{Value: []byte("v")}); err != nil {
						t.Fatal(err)
					}
				}
			}
			for _, id := range tc.deleted {
				s := badgerkv.New(db, id, nil)
				for _, k := range []string{"k1", "k2", strings.Repeat("k", 400)} {
					if err := s.Delete(ctx, k); err != nil {
						t.Fatal(err)
					}
				}
			}
			for _, id := range tc.expired {
				if err := badgerkv.New(db, id, nil).Put(ctx, "k", kv.Entry{Value: []byte("v"), Expiration: time.Now().Add(-time.Minute).Unix()}); err != nil {
					t.Fatal(err)
				}
			}
			got, err := badgerkv.Namespaces(ctx, db)
			if err != nil {
				t.Fatal(err)
			}
			if fmt.Sprintf("%q", got) != fmt.Sprintf("%q", tc.want) {
				t.Errorf("Namespaces = %q, want %q", got, tc.want)
			}
			// The marker is no key of the namespace.
			for _, id := range tc.created {
				res, err := badgerkv.New(db, id, nil).List(ctx, kv.ListOptions{})
				if err != nil {
					t.Fatal(err)
				}
				if !slices.Contains(tc.keys, id) && len(res.Keys) != 0 {
					t.Errorf("created namespace %q lists %v", id, res.Keys)
				}
			}
		})
	}
}
