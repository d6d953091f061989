// Package storagetest is the conformance suite every Durable Object
// storage backend (storage.SQLite, storage.Badger) must pass: the KV
// calls, their limits, every list option, transactions (commit,
// rollback, nesting), deleteAll and persistence across a reopen.
//
//	func TestConformance(t *testing.T) {
//		storagetest.Run(t, storagetest.Backend{New: ..., Reopen: ..., KVLimits: true})
//	}
package storagetest

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"slices"
	"sort"
	"strconv"
	"strings"
	"sync"
	"testing"

	"github.com/bindery-run/bindery/bindings/durable/storage"
)

// Backend is what the suite needs of a backend.
type Backend struct {
	// New returns a fresh, empty object's storage; the suite closes it.
	New func(t *testing.T) storage.Storage
	// Reopen closes s and returns the same object's storage opened
	// again, as after a restart.
	Reopen func(t *testing.T, s storage.Storage) storage.Storage
	// KVLimits is true for a KV-backed backend (keys of 2 KiB, values
	// of 128 KiB) and false for a SQLite-backed one (key and value of 2
	// MB together).
	KVLimits bool
}

// Run runs the whole suite against b.
func Run(t *testing.T, b Backend) {
	tests := []struct {
		name string
		fn   func(*testing.T, Backend)
	}{
		{"PutGetDelete", testPutGetDelete},
		{"KeyOrder", testKeyOrder},
		{"Limits", testLimits},
		{"ListOptions", testListOptions},
		{"ListModel", testListModel},
		{"ListErrors", testListErrors},
		{"Transaction", testTransaction},
		{"NestedTransaction", testNested},
		{"DeleteAll", testDeleteAll},
		{"Context", testContext},
		{"Concurrent", testConcurrent},
		{"Persistence", testPersistence},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) { tt.fn(t, b) })
	}
}

func fresh(t *testing.T, b Backend) storage.Storage {
	t.Helper()
	s := b.New(t)
	t.Cleanup(func() { s.Close() })
	return s
}

func str(s string) *string { return &s }

func put(t *testing.T, s storage.Ops, kv ...string) {
	t.Helper()
	var es []storage.Entry
	for i := 0; i+1 < len(kv); i += 2 {
		es = append(es, storage.Entry{Key: kv[i], Value: []byte(kv[i+1])})
	}
	if err := s.Put(context.Background(), es); err != nil {
		t.Fatalf("put %q: %v", kv, err)
	}
}

// flat renders entries as "k=v" strings for comparison.
func flat(es []storage.Entry) []string {
	out := make([]string, len(es))
	for i, e := range es {
		out[i] = e.Key + "=" + string(e.Value)
	}
	return out
}

func get(t *testing.T, s storage.Ops, keys ...string) []string {
	t.Helper()
	es, err := s.Get(context.Background(), keys)
	if err != nil {
		t.Fatalf("get %q: %v", keys, err)
	}
	return flat(es)
}

func list(t *testing.T, s storage.Ops, o storage.ListOptions) []string {
	t.Helper()
	es, err := s.List(context.Background(), o)
	if err != nil {
		t.Fatalf("list %+v: %v", o, err)
	}
	return flat(es)
}

func want(t *testing.T, what string, got, exp []string) {
	t.Helper()
	if !slices.Equal(got, exp) && !(len(got) == 0 && len(exp) == 0) {
		t.Errorf("%s = %q, want %q", what, got, exp)
	}
}

func testPutGetDelete(t *testing.T, b Backend) {
	ctx := context.Background()
	s := fresh(t, b)
	want(t, "get on empty storage", get(t, s, "a"), nil)
	n, err := s.Delete(ctx, []string{"a"})
	if err != nil || n != 0 {
		t.Fatalf("delete on empty storage = %d, %v", n, err)
	}
	want(t, "list on empty storage", list(t, s, storage.ListOptions{}), nil)

	put(t, s, "b", "2", "a", "1", "c", "3")
	want(t, "get", get(t, s, "c", "a", "zz", "a"), []string{"a=1", "c=3"})
	put(t, s, "a", "one", "a", "uno") // the later entry wins
	want(t, "get after overwrite", get(t, s, "a"), []string{"a=uno"})

	// Empty values and binary keys and values are kept as they are.
	bin := "\x00k\xff\xfe"
	if err := s.Put(ctx, []storage.Entry{{Key: "", Value: nil}, {Key: bin, Value: []byte{0, 1, 0xff}}}); err != nil {
		t.Fatal(err)
	}
	es, err := s.Get(ctx, []string{"", bin})
	if err != nil || len(es) != 2 || es[0].Key != "" || len(es[0].Value) != 0 || es[1].Key != bin || !bytes.Equal(es[1].Value, []byte{0, 1, 0xff}) {
		t.Fatalf("get of empty key and binary key = %q, %v", es, err)
	}

	n, err = s.Delete(ctx, []string{"a", "b", "missing", "a"})
	if err != nil || n != 2 {
		t.Fatalf("delete a, b, missing, a = %d, %v; want 2", n, err)
	}
	want(t, "get after delete", get(t, s, "a", "b", "c"), []string{"c=3"})
	if err := s.Put(ctx, nil); err != nil {
		t.Fatalf("put of nothing: %v", err)
	}
	if n, err := s.Delete(ctx, nil); err != nil || n != 0 {
		t.Fatalf("delete of nothing = %d, %v", n, err)
	}
}

// testKeyOrder: keys are ordered as byte strings (UTF-8 bytes), as
// workerd orders them, not as UTF-16 code units.
func testKeyOrder(t *testing.T, b Backend) {
	s := fresh(t, b)
	keys := []string{"\U0001F600", "\uffff", "b", "a\x00", "a", "", "é", "B", "\x7f"}
	var kv []string
	for _, k := range keys {
		kv = append(kv, k, "v")
	}
	put(t, s, kv...)
	sorted := slices.Clone(keys)
	sort.Strings(sorted) // byte order
	var exp []string
	for _, k := range sorted {
		exp = append(exp, k+"=v")
	}
	want(t, "list", list(t, s, storage.ListOptions{}), exp)
	slices.Reverse(exp)
	want(t, "reverse list", list(t, s, storage.ListOptions{Reverse: true}), exp)
	want(t, "get", get(t, s, "\uffff", "\U0001F600"), []string{"\uffff=v", "\U0001F600=v"})
}

func isLimit(err error, limit string) bool {
	var le *storage.LimitError
	return errors.As(err, &le) && le.Limit == limit
}

func testLimits(t *testing.T, b Backend) {
	ctx := context.Background()
	s := fresh(t, b)
	many := make([]string, storage.MaxKeysPerCall+1)
	entries := make([]storage.Entry, storage.MaxKeysPerCall+1)
	for i := range many {
		many[i] = fmt.Sprint("k", i)
		entries[i] = storage.Entry{Key: many[i], Value: []byte("v")}
	}
	if _, err := s.Get(ctx, many); !isLimit(err, storage.LimitKeysPerCall) {
		t.Errorf("get of 129 keys: %v, want the keys-per-call limit", err)
	}
	if err := s.Put(ctx, entries); !isLimit(err, storage.LimitKeysPerCall) {
		t.Errorf("put of 129 entries: %v, want the keys-per-call limit", err)
	}
	if _, err := s.Delete(ctx, many); !isLimit(err, storage.LimitKeysPerCall) {
		t.Errorf("delete of 129 keys: %v, want the keys-per-call limit", err)
	}
	if err := s.Put(ctx, entries[:storage.MaxKeysPerCall]); err != nil {
		t.Errorf("put of 128 entries: %v", err)
	}
	if es, err := s.Get(ctx, many[:storage.MaxKeysPerCall]); err != nil || len(es) != storage.MaxKeysPerCall {
		t.Errorf("get of 128 keys: %d entries, %v", len(es), err)
	}

	if b.KVLimits {
		big := strings.Repeat("k", storage.MaxKVKeySize)
		if err := s.Put(ctx, []storage.Entry{{Key: big, Value: []byte("v")}}); err != nil {
			t.Errorf("put of a 2 KiB key: %v", err)
		}
		if err := s.Put(ctx, []storage.Entry{{Key: big + "k", Value: []byte("v")}}); !isLimit(err, storage.LimitKeySize) {
			t.Errorf("put of a 2 KiB + 1 key: %v, want the key size limit", err)
		}
		if _, err := s.Get(ctx, []string{big + "k"}); !isLimit(err, storage.LimitKeySize) {
			t.Errorf("get of a 2 KiB + 1 key: %v, want the key size limit", err)
		}
		if err := s.Put(ctx, []storage.Entry{{Key: "v", Value: make([]byte, storage.MaxKVValueSize)}}); err != nil {
			t.Errorf("put of the largest value: %v", err)
		}
		err := s.Put(ctx, []storage.Entry{{Key: "ok", Value: nil}, {Key: "v2", Value: make([]byte, storage.MaxKVValueSize+1)}})
		if !isLimit(err, storage.LimitValueSize) {
			t.Errorf("put of a too large value: %v, want the value size limit", err)
		}
		if !strings.Contains(fmt.Sprint(err), `"v2"`) {
			t.Errorf("limit error %q does not name the key", err)
		}
	} else {
		n := storage.MaxSQLiteEntrySize
		if err := s.Put(ctx, []storage.Entry{{Key: "kk", Value: make([]byte, n-2)}}); err != nil {
			t.Errorf("put of key and value of 2 MB: %v", err)
		}
		if err := s.Put(ctx, []storage.Entry{{Key: "ok", Value: nil}, {Key: "kkk", Value: make([]byte, n-2)}}); !isLimit(err, storage.LimitEntrySize) {
			t.Errorf("put of key and value of 2 MB + 1: %v, want the entry size limit", err)
		}
		if _, err := s.Get(ctx, []string{strings.Repeat("k", n+1)}); !isLimit(err, storage.LimitEntrySize) {
			t.Errorf("get of a key over 2 MB: %v, want the entry size limit", err)
		}
	}
	want(t, "the entry before a refused one", get(t, s, "ok"), nil)
}

// listKeys is the key set of testListOptions.
var listKeys = []string{"a", "ab", "abc", "abd", "ac", "b", "ba", "b\xff", "b\xff\xff", "c", "\xff", "\xff\xff"}

func testListOptions(t *testing.T, b Backend) {
	s := fresh(t, b)
	var kv []string
	for _, k := range listKeys {
		kv = append(kv, k, "v")
	}
	put(t, s, kv...)
	keys := func(ks ...string) []string {
		out := make([]string, len(ks))
		for i, k := range ks {
			out[i] = k + "=v"
		}
		return out
	}
	tests := []struct {
		name string
		o    storage.ListOptions
		want []string
	}{
		{"all", storage.ListOptions{}, keys(listKeys...)},
		{"limit", storage.ListOptions{Limit: 2}, keys("a", "ab")},
		{"reverse limit", storage.ListOptions{Reverse: true, Limit: 2}, keys("\xff\xff", "\xff")},
		{"start", storage.ListOptions{Start: str("b")}, keys("b", "ba", "b\xff", "b\xff\xff", "c", "\xff", "\xff\xff")},
		{"start between keys", storage.ListOptions{Start: str("abcc")}, keys("abd", "ac", "b", "ba", "b\xff", "b\xff\xff", "c", "\xff", "\xff\xff")},
		{"startAfter", storage.ListOptions{StartAfter: str("ab"), End: str("b")}, keys("abc", "abd", "ac")},
		{"startAfter missing key", storage.ListOptions{StartAfter: str("abcc"), End: str("b")}, keys("abd", "ac")},
		{"end", storage.ListOptions{End: str("ab")}, keys("a")},
		{"start end", storage.ListOptions{Start: str("ab"), End: str("ac")}, keys("ab", "abc", "abd")},
		{"start end reverse", storage.ListOptions{Start: str("ab"), End: str("ac"), Reverse: true}, keys("abd", "abc", "ab")},
		{"start end reverse limit", storage.ListOptions{Start: str("ab"), End: str("ac"), Reverse: true, Limit: 2}, keys("abd", "abc")},
		{"start after end", storage.ListOptions{Start: str("c"), End: str("b")}, nil},
		{"start equals end", storage.ListOptions{Start: str("b"), End: str("b")}, nil},
		{"prefix", storage.ListOptions{Prefix: "ab"}, keys("ab", "abc", "abd")},
		{"prefix reverse limit", storage.ListOptions{Prefix: "ab", Reverse: true, Limit: 2}, keys("abd", "abc")},
		{"prefix ending in 0xff", storage.ListOptions{Prefix: "b\xff"}, keys("b\xff", "b\xff\xff")},
		{"prefix of 0xff", storage.ListOptions{Prefix: "\xff"}, keys("\xff", "\xff\xff")},
		{"prefix with start inside", storage.ListOptions{Prefix: "ab", Start: str("abc")}, keys("abc", "abd")},
		{"prefix with start before", storage.ListOptions{Prefix: "ab", Start: str("a")}, keys("ab", "abc", "abd")},
		{"prefix with start after", storage.ListOptions{Prefix: "ab", Start: str("ac")}, nil},
		{"prefix with end inside", storage.ListOptions{Prefix: "ab", End: str("abd")}, keys("ab", "abc")},
		{"prefix with end after", storage.ListOptions{Prefix: "ab", End: str("z")}, keys("ab", "abc", "abd")},
		{"prefix with end before", storage.ListOptions{Prefix: "ab", End: str("ab")}, nil},
		{"prefix startAfter reverse", storage.ListOptions{Prefix: "a", StartAfter: str("ab"), Reverse: true}, keys("ac", "abd", "abc")},
		{"missing prefix", storage.ListOptions{Prefix: "zz"}, nil},
		{"limit above count", storage.ListOptions{Prefix: "a", Limit: 100}, keys("a", "ab", "abc", "abd", "ac")},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) { want(t, "list", list(t, s, tt.o), tt.want) })
	}
}

// testListModel compares List with a model over random keys and
// random options.
func testListModel(t *testing.T, b Backend) {
	s := fresh(t, b)
	rng := rand.New(rand.NewPCG(1, 2))
	alphabet := []string{"a", "b", "\x00", "\xff", "é"}
	word := func() string {
		var sb strings.Builder
		for range rng.IntN(4) {
			sb.WriteString(alphabet[rng.IntN(len(alphabet))])
		}
		return sb.String()
	}
	model := map[string]bool{}
	var es []storage.Entry
	for range 100 {
		k := word()
		model[k] = true
		es = append(es, storage.Entry{Key: k, Value: []byte(k)})
	}
	for i := 0; i < len(es); i += storage.MaxKeysPerCall {
		if err := s.Put(context.Background(), es[i:min(i+storage.MaxKeysPerCall, len(es))]); err != nil {
			t.Fatal(err)
		}
	}
	sorted := make([]string, 0, len(model))
	for k := range model {
		sorted = append(sorted, k)
	}
	sort.Strings(sorted)
	for i := range 400 {
		var o storage.ListOptions
		switch rng.IntN(3) {
		case 1:
			o.Start = str(word())
		case 2:
			o.StartAfter = str(word())
		}
		if rng.IntN(2) == 0 {
			o.End = str(word())
		}
		if rng.IntN(2) == 0 {
			o.Prefix = word()
		}
		o.Reverse = rng.IntN(2) == 0
		if rng.IntN(2) == 0 {
			o.Limit = 1 + rng.IntN(5)
		}
		var exp []string
		for _, k := range sorted {
			if (o.Start == nil || k >= *o.Start) && (o.StartAfter == nil || k > *o.StartAfter) &&
				(o.End == nil || k < *o.End) && strings.HasPrefix(k, o.Prefix) {
				exp = append(exp, k+"="+k)
			}
		}
		if o.Reverse {
			slices.Reverse(exp)
		}
		if o.Limit > 0 && len(exp) > o.Limit {
			exp = exp[:o.Limit]
		}
		if got := list(t, s, o); !slices.Equal(got, exp) && len(got)+len(exp) > 0 {
			t.Fatalf("case %d: list %+v (start %v, startAfter %v, end %v) = %q, want %q", i, o, deref(o.Start), deref(o.StartAfter), deref(o.End), got, exp)
		}
	}
}

func deref(p *string) any {
	if p == nil {
		return nil
	}
	return *p
}

func testListErrors(t *testing.T, b Backend) {
	ctx := context.Background()
	s := fresh(t, b)
	if _, err := s.List(ctx, storage.ListOptions{Start: str("a"), StartAfter: str("b")}); !errors.Is(err, storage.ErrStartAndStartAfter) {
		t.Errorf("list with start and startAfter: %v", err)
	}
	if _, err := s.List(ctx, storage.ListOptions{Limit: -1}); !errors.Is(err, storage.ErrBadLimit) {
		t.Errorf("list with a negative limit: %v", err)
	}
}

func testTransaction(t *testing.T, b Backend) {
	ctx := context.Background()
	s := fresh(t, b)
	put(t, s, "a", "1", "b", "2")

	// Committed: the closure sees its own writes, and so does everyone after.
	var leaked storage.Tx
	err := s.Transaction(ctx, func(tx storage.Tx) error {
		leaked = tx
		put(t, tx, "c", "3")
		if n, err := tx.Delete(ctx, []string{"a"}); err != nil || n != 1 {
			return fmt.Errorf("delete in transaction = %d, %v", n, err)
		}
		want(t, "get in transaction", get(t, tx, "a", "c"), []string{"c=3"})
		want(t, "list in transaction", list(t, tx, storage.ListOptions{}), []string{"b=2", "c=3"})
		want(t, "reverse list in transaction", list(t, tx, storage.ListOptions{Reverse: true}), []string{"c=3", "b=2"})
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	want(t, "after commit", list(t, s, storage.ListOptions{}), []string{"b=2", "c=3"})
	if _, err := leaked.Get(ctx, []string{"b"}); !errors.Is(err, storage.ErrTxDone) {
		t.Errorf("get on a finished transaction: %v, want ErrTxDone", err)
	}

	// Rolled back on an error, which Transaction returns.
	boom := errors.New("boom")
	err = s.Transaction(ctx, func(tx storage.Tx) error {
		put(t, tx, "b", "changed", "d", "4")
		if _, err := tx.Delete(ctx, []string{"c"}); err != nil {
			return err
		}
		return fmt.Errorf("wrapped: %w", boom)
	})
	if !errors.Is(err, boom) {
		t.Fatalf("transaction returned %v, want boom", err)
	}
	want(t, "after rollback", list(t, s, storage.ListOptions{}), []string{"b=2", "c=3"})

	// ErrRollback rolls back without an error.
	err = s.Transaction(ctx, func(tx storage.Tx) error {
		put(t, tx, "e", "5")
		return storage.ErrRollback
	})
	if err != nil {
		t.Fatalf("transaction rolled back with ErrRollback returned %v", err)
	}
	want(t, "after ErrRollback", get(t, s, "e"), nil)

	// A call that fails inside a transaction writes nothing, and the
	// transaction can go on.
	err = s.Transaction(ctx, func(tx storage.Tx) error {
		many := make([]storage.Entry, storage.MaxKeysPerCall+1)
		for i := range many {
			many[i] = storage.Entry{Key: fmt.Sprint("m", i)}
		}
		if err := tx.Put(ctx, many); !isLimit(err, storage.LimitKeysPerCall) {
			return fmt.Errorf("put of 129 entries in a transaction: %v", err)
		}
		put(t, tx, "f", "6")
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	want(t, "after a failed call in a transaction", list(t, s, storage.ListOptions{}), []string{"b=2", "c=3", "f=6"})

	// A panicking closure rolls back too.
	func() {
		defer func() { recover() }()
		s.Transaction(ctx, func(tx storage.Tx) error {
			put(t, tx, "g", "7")
			panic("closure panicked")
		})
	}()
	want(t, "after a panic", get(t, s, "g"), nil)
	put(t, s, "h", "8")
	want(t, "after a panic, a write", get(t, s, "h"), []string{"h=8"})
}

func testNested(t *testing.T, b Backend) {
	ctx := context.Background()
	s := fresh(t, b)
	put(t, s, "a", "1")
	boom := errors.New("inner")
	err := s.Transaction(ctx, func(tx storage.Tx) error {
		put(t, tx, "outer", "1")
		err := tx.Transaction(ctx, func(in storage.Tx) error {
			put(t, in, "inner", "1", "a", "changed")
			if _, err := in.Delete(ctx, []string{"outer"}); err != nil {
				return err
			}
			want(t, "inner view", list(t, in, storage.ListOptions{}), []string{"a=changed", "inner=1"})
			return boom
		})
		if !errors.Is(err, boom) {
			return fmt.Errorf("nested transaction returned %v, want inner", err)
		}
		want(t, "outer view after inner rollback", list(t, tx, storage.ListOptions{}), []string{"a=1", "outer=1"})
		// A committed inner transaction stays, and goes with the outer.
		return tx.Transaction(ctx, func(in storage.Tx) error {
			put(t, in, "inner2", "1")
			return in.Transaction(ctx, func(in2 storage.Tx) error {
				put(t, in2, "deepest", "1")
				return nil
			})
		})
	})
	if err != nil {
		t.Fatal(err)
	}
	want(t, "after commit", list(t, s, storage.ListOptions{}), []string{"a=1", "deepest=1", "inner2=1", "outer=1"})

	err = s.Transaction(ctx, func(tx storage.Tx) error {
		if err := tx.Transaction(ctx, func(in storage.Tx) error { put(t, in, "x", "1"); return nil }); err != nil {
			return err
		}
		return boom
	})
	if !errors.Is(err, boom) {
		t.Fatal(err)
	}
	want(t, "inner commit undone by outer rollback", get(t, s, "x"), nil)
}

func testDeleteAll(t *testing.T, b Backend) {
	ctx := context.Background()
	s := fresh(t, b)
	if n, err := s.DeleteAll(ctx); err != nil || n != 0 {
		t.Fatalf("deleteAll on empty storage = %d, %v", n, err)
	}
	for i := 0; i < 3; i++ {
		es := make([]storage.Entry, 100)
		for j := range es {
			es[j] = storage.Entry{Key: fmt.Sprintf("k%03d", i*100+j), Value: []byte("v")}
		}
		if err := s.Put(ctx, es); err != nil {
			t.Fatal(err)
		}
	}
	n, err := s.DeleteAll(ctx)
	if err != nil || n != 300 {
		t.Fatalf("deleteAll = %d, %v; want 300", n, err)
	}
	want(t, "list after deleteAll", list(t, s, storage.ListOptions{}), nil)
	put(t, s, "after", "1")
	want(t, "write after deleteAll", list(t, s, storage.ListOptions{}), []string{"after=1"})
	s = b.Reopen(t, s)
	t.Cleanup(func() { s.Close() })
	want(t, "after deleteAll and reopen", list(t, s, storage.ListOptions{}), []string{"after=1"})
}

func testPersistence(t *testing.T, b Backend) {
	ctx := context.Background()
	s := fresh(t, b)
	put(t, s, "a", "1", "b", "2")
	if err := s.Transaction(ctx, func(tx storage.Tx) error { put(t, tx, "c", "3"); return nil }); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Delete(ctx, []string{"a"}); err != nil {
		t.Fatal(err)
	}
	s = b.Reopen(t, s)
	t.Cleanup(func() { s.Close() })
	want(t, "after reopen", list(t, s, storage.ListOptions{}), []string{"b=2", "c=3"})
	// Close is not the end: a closed storage opens again on the next call.
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	want(t, "after close", get(t, s, "b"), []string{"b=2"})
}

// testContext: a cancelled context fails the call, and a transaction
// whose context is cancelled part way still ends cleanly.
func testContext(t *testing.T, b Backend) {
	ctx := context.Background()
	s := fresh(t, b)
	put(t, s, "a", "1")
	done, cancel := context.WithCancel(ctx)
	cancel()
	if err := s.Put(done, []storage.Entry{{Key: "b", Value: nil}}); !errors.Is(err, context.Canceled) {
		t.Errorf("put with a cancelled context: %v", err)
	}
	if _, err := s.Get(done, []string{"a"}); !errors.Is(err, context.Canceled) {
		t.Errorf("get with a cancelled context: %v", err)
	}
	txCtx, cancelTx := context.WithCancel(ctx)
	err := s.Transaction(txCtx, func(tx storage.Tx) error {
		put(t, tx, "c", "3")
		cancelTx()
		if _, err := tx.Get(txCtx, []string{"c"}); !errors.Is(err, context.Canceled) {
			t.Errorf("get in a transaction after its context was cancelled: %v", err)
		}
		// A call with a context of its own still runs, and the
		// closure decides.
		put(t, tx, "d", "4")
		return txCtx.Err()
	})
	if !errors.Is(err, context.Canceled) {
		t.Errorf("transaction = %v", err)
	}
	want(t, "after the cancelled transaction", list(t, s, storage.ListOptions{}), []string{"a=1"})
	put(t, s, "e", "5")
	want(t, "a put after it", list(t, s, storage.ListOptions{}), []string{"a=1", "e=5"})
}

// testConcurrent: calls from several goroutines are serialized, and a
// read-modify-write in a transaction loses no update.
func testConcurrent(t *testing.T, b Backend) {
	ctx := context.Background()
	s := fresh(t, b)
	const workers, rounds = 4, 25
	var wg sync.WaitGroup
	errs := make(chan error, workers)
	for w := range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range rounds {
				err := s.Transaction(ctx, func(tx storage.Tx) error {
					es, err := tx.Get(ctx, []string{"counter"})
					if err != nil {
						return err
					}
					n := 0
					if len(es) == 1 {
						n, _ = strconv.Atoi(string(es[0].Value))
					}
					return tx.Put(ctx, []storage.Entry{{Key: "counter", Value: []byte(strconv.Itoa(n + 1))}})
				})
				if err == nil {
					err = s.Put(ctx, []storage.Entry{{Key: fmt.Sprintf("w%d-%02d", w, i), Value: nil}})
				}
				if err != nil {
					errs <- err
					return
				}
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}
	want(t, "counter", get(t, s, "counter"), []string{fmt.Sprintf("counter=%d", workers*rounds)})
	if es, err := s.List(ctx, storage.ListOptions{Prefix: "w"}); err != nil || len(es) != workers*rounds {
		t.Errorf("list of the workers' keys: %d entries, %v", len(es), err)
	}
}
