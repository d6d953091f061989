// Package kvtest is the conformance suite every Workers KV [kv.Backend]
// must pass. It drives the backend through [kv.NewNamespace], so it checks
// the Workers KV semantics end to end, with a fake [Clock] for expiry.
//
// A backend package runs it from a test:
//
//	func TestConformance(t *testing.T) {
//		kvtest.Run(t, func(t *testing.T, now func() time.Time) kv.Backend {
//			return kv.NewMemory(now)
//		})
//	}
package kvtest

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/bindery-run/bindery/bindings/kv"
	"github.com/bindery-run/bindery/internal/testutil"
)

// Clock is a fake clock for tests (shared by the binding suites): it only
// moves when Advance is called, and is safe for concurrent use.
type Clock = testutil.Clock

// NewClock returns a Clock that reads start.
func NewClock(start time.Time) *Clock { return testutil.NewClock(start) }

// NewBackend returns an empty backend for one namespace that checks
// expirations against now.
type NewBackend = func(t *testing.T, now func() time.Time) kv.Backend

// Run runs the conformance suite against the backends newBackend returns.
//
// newBackend is called once or more per subtest. Two backends returned by
// different calls are different namespaces and must not see each other's
// keys. A backend that keeps several namespaces in shared storage should
// give consecutive calls namespace IDs where each ID is a prefix of the next
// (for example "a", "a/m", "a/m/m"), which the isolation test relies on to
// catch unescaped key prefixes.
//
// Each subtest's clock starts at the wall-clock time (whole seconds) and only
// moves forward, so backends that also expire keys by the wall clock (such
// as Badger's TTL) agree with it.
func Run(t *testing.T, newBackend NewBackend) {
	t.Helper()
	tests := []struct {
		name string
		fn   func(t *testing.T, newBackend NewBackend)
	}{
		{"PutGet", testPutGet},
		{"Overwrite", testOverwrite},
		{"Delete", testDelete},
		{"Metadata", testMetadata},
		{"Expiry", testExpiry},
		{"BackendContract", testBackendContract},
		{"ListPaging", testListPaging},
		{"ListOrder", testListOrder},
		{"ListPrefix", testListPrefix},
		{"Isolation", testIsolation},
		{"GetMany", testGetMany},
		{"Errors", testErrors},
		{"RelaxedLimits", testRelaxedLimits},
		{"ContextCanceled", testContextCanceled},
		{"Concurrent", testConcurrent},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) { tt.fn(t, newBackend) })
	}
}

// env is one namespace under test.
type env struct {
	clock *Clock
	b     kv.Backend
	ns    *kv.Namespace
}

// newEnv returns a namespace over a fresh backend with limits l.
func newEnv(t *testing.T, newBackend NewBackend, l kv.Limits) env {
	t.Helper()
	c := NewClock(time.Now().Truncate(time.Second))
	b := newBackend(t, c.Now)
	return env{clock: c, b: b, ns: kv.NewNamespace(b, l, c.Now)}
}

// mustPut puts or fails the test.
func mustPut(t *testing.T, ns *kv.Namespace, key string, value []byte, o kv.PutOptions) {
	t.Helper()
	if err := ns.Put(context.Background(), key, value, o); err != nil {
		t.Fatalf("Put(%q): %v", key, err)
	}
}

// wantValue checks that key holds value.
func wantValue(t *testing.T, ns *kv.Namespace, key string, value []byte) {
	t.Helper()
	got, found, err := ns.Get(context.Background(), key)
	if err != nil || !found {
		t.Fatalf("Get(%q) = found %v, err %v; want the value", key, found, err)
	}
	if !bytes.Equal(got, value) {
		t.Fatalf("Get(%q) = %q, want %q", key, got, value)
	}
}

// wantMissing checks that key is absent.
func wantMissing(t *testing.T, ns *kv.Namespace, key string) {
	t.Helper()
	got, found, err := ns.Get(context.Background(), key)
	if err != nil || found {
		t.Fatalf("Get(%q) = %q, found %v, err %v; want missing", key, got, found, err)
	}
}

// listAll pages through every key under prefix with the given page size.
func listAll(t *testing.T, ns *kv.Namespace, prefix string, limit int) []kv.KeyInfo {
	t.Helper()
	var all []kv.KeyInfo
	cursor := ""
	for page := 0; ; page++ {
		if page > 100000 {
			t.Fatal("List does not terminate")
		}
		res, err := ns.List(context.Background(), kv.ListOptions{Prefix: prefix, Limit: limit, Cursor: cursor})
		if err != nil {
			t.Fatalf("List(prefix %q, limit %d, page %d): %v", prefix, limit, page, err)
		}
		if res.Keys == nil {
			t.Fatal("List returned nil Keys, want non-nil")
		}
		pageMax := limit
		if pageMax == 0 {
			pageMax = kv.DefaultMaxListLimit
		}
		if len(res.Keys) > pageMax {
			t.Fatalf("List page %d has %d keys, limit %d", page, len(res.Keys), pageMax)
		}
		all = append(all, res.Keys...)
		if res.Complete {
			if res.Cursor != "" {
				t.Fatalf("complete List page has cursor %q", res.Cursor)
			}
			return all
		}
		if res.Cursor == "" {
			t.Fatal("incomplete List page has no cursor")
		}
		cursor = res.Cursor
	}
}

// names returns the key names of infos.
func names(infos []kv.KeyInfo) []string {
	out := make([]string, len(infos))
	for i, k := range infos {
		out[i] = k.Name
	}
	return out
}

func testPutGet(t *testing.T, newBackend NewBackend) {
	tests := []struct {
		name  string
		key   string
		value []byte
	}{
		{"ascii", "hello", []byte("world")},
		{"empty value", "empty", []byte{}},
		{"binary value", "bin", []byte{0, 1, 2, 0xff, 0xfe, 0}},
		{"unicode key", "ключ/😀/é", []byte("unicode")},
		{"nul in key", "a\x00b", []byte("nul")},
		{"trailing nul", "a\x00", []byte("trailing nul")},
		{"leading nul", "\x00a", []byte("leading nul")},
		{"del byte", "\x7f", []byte("del")},
		{"slashes", "/a//b/", []byte("slashes")},
		{"dots inside", "./..", []byte("dots")},
		{"max key", strings.Repeat("k", kv.DefaultMaxKeyBytes), []byte("long key")},
		{"max multibyte key", strings.Repeat("é", kv.DefaultMaxKeyBytes/2), []byte("long key")},
		{"1 MiB value", "big", bytes.Repeat([]byte("0123456789abcdef"), 1<<16)},
	}
	e := newEnv(t, newBackend, kv.Limits{})
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			mustPut(t, e.ns, tt.key, tt.value, kv.PutOptions{})
			wantValue(t, e.ns, tt.key, tt.value)
			got, found, err := e.ns.Get(context.Background(), tt.key)
			if err != nil || !found || got == nil {
				t.Fatalf("Get(%q) = %v, %v, %v; want a non-nil value", tt.key, got, found, err)
			}
		})
	}
	wantMissing(t, e.ns, "never written")
	// Every key written above is listed exactly once, in byte order.
	var want []string
	for _, tt := range tests {
		want = append(want, tt.key)
	}
	slices.Sort(want)
	if got := names(listAll(t, e.ns, "", 0)); !slices.Equal(got, want) {
		t.Fatalf("List = %q, want %q", got, want)
	}
}

func testOverwrite(t *testing.T, newBackend NewBackend) {
	e := newEnv(t, newBackend, kv.Limits{})
	ctx := context.Background()
	mustPut(t, e.ns, "k", []byte("one"), kv.PutOptions{Metadata: []byte(`{"v":1}`), ExpirationTTL: 60})
	mustPut(t, e.ns, "k", []byte("two"), kv.PutOptions{})
	v, found, err := e.ns.GetWithMetadata(ctx, "k")
	if err != nil || !found || string(v.Value) != "two" || v.Metadata != nil {
		t.Fatalf("after overwrite GetWithMetadata = %q/%q, %v, %v; want two without metadata", v.Value, v.Metadata, found, err)
	}
	keys := listAll(t, e.ns, "", 0)
	if len(keys) != 1 || keys[0].Expiration != 0 || keys[0].Metadata != nil {
		t.Fatalf("after overwrite List = %+v; want one key without expiration or metadata", keys)
	}
	// The overwrite dropped the TTL.
	e.clock.Advance(time.Hour)
	wantValue(t, e.ns, "k", []byte("two"))
}

func testDelete(t *testing.T, newBackend NewBackend) {
	e := newEnv(t, newBackend, kv.Limits{})
	ctx := context.Background()
	mustPut(t, e.ns, "a", []byte("1"), kv.PutOptions{Metadata: []byte(`1`)})
	mustPut(t, e.ns, "b", []byte("2"), kv.PutOptions{})
	if err := e.ns.Delete(ctx, "a"); err != nil {
		t.Fatalf("Delete(a): %v", err)
	}
	wantMissing(t, e.ns, "a")
	wantValue(t, e.ns, "b", []byte("2"))
	if err := e.ns.Delete(ctx, "a"); err != nil {
		t.Fatalf("Delete of a deleted key: %v, want nil", err)
	}
	if err := e.ns.Delete(ctx, "never"); err != nil {
		t.Fatalf("Delete of a missing key: %v, want nil", err)
	}
	if got := names(listAll(t, e.ns, "", 0)); !slices.Equal(got, []string{"b"}) {
		t.Fatalf("List after delete = %q, want [b]", got)
	}
	// A deleted key can be written again.
	mustPut(t, e.ns, "a", []byte("3"), kv.PutOptions{})
	wantValue(t, e.ns, "a", []byte("3"))
}

func testMetadata(t *testing.T, newBackend NewBackend) {
	tests := []struct {
		name string
		meta []byte
	}{
		{"none", nil},
		{"object", []byte(`{"a":[1,2,{"b":null}],"s":"é😀"}`)},
		{"empty object", []byte(`{}`)},
		{"string", []byte(`"text"`)},
		{"number", []byte(`12.5`)},
		{"null", []byte(`null`)},
		{"whitespace kept", []byte(` { "x" : true } `)},
		{"max size", []byte(`"` + strings.Repeat("m", kv.DefaultMaxMetadataBytes-2) + `"`)},
	}
	e := newEnv(t, newBackend, kv.Limits{})
	ctx := context.Background()
	for i, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			key := fmt.Sprintf("meta-%02d", i)
			mustPut(t, e.ns, key, []byte(tt.name), kv.PutOptions{Metadata: tt.meta})
			v, found, err := e.ns.GetWithMetadata(ctx, key)
			if err != nil || !found {
				t.Fatalf("GetWithMetadata(%q) = found %v, err %v", key, found, err)
			}
			if string(v.Value) != tt.name || !bytes.Equal(v.Metadata, tt.meta) || (v.Metadata == nil) != (tt.meta == nil) {
				t.Fatalf("GetWithMetadata(%q) = %q/%q, want %q/%q", key, v.Value, v.Metadata, tt.name, tt.meta)
			}
			keys := listAll(t, e.ns, key, 0)
			if len(keys) != 1 || !bytes.Equal(keys[0].Metadata, tt.meta) || (keys[0].Metadata == nil) != (tt.meta == nil) {
				t.Fatalf("List(%q) = %+v, want metadata %q", key, keys, tt.meta)
			}
		})
	}
}

func testExpiry(t *testing.T, newBackend NewBackend) {
	ctx := context.Background()
	t.Run("ttl", func(t *testing.T) {
		e := newEnv(t, newBackend, kv.Limits{})
		now := e.clock.Now().Unix()
		mustPut(t, e.ns, "ttl", []byte("v"), kv.PutOptions{ExpirationTTL: 60, Metadata: []byte(`{"m":1}`)})
		mustPut(t, e.ns, "forever", []byte("v"), kv.PutOptions{})
		keys := listAll(t, e.ns, "", 0)
		if len(keys) != 2 || keys[1].Name != "ttl" || keys[1].Expiration != now+60 || keys[0].Expiration != 0 {
			t.Fatalf("List = %+v, want forever (no expiration) and ttl expiring at %d", keys, now+60)
		}
		e.clock.Advance(59 * time.Second)
		wantValue(t, e.ns, "ttl", []byte("v"))
		e.clock.Advance(time.Second)
		wantMissing(t, e.ns, "ttl")
		if v, found, err := e.ns.GetWithMetadata(ctx, "ttl"); err != nil || found || v.Metadata != nil {
			t.Fatalf("GetWithMetadata of an expired key = %+v, %v, %v", v, found, err)
		}
		if got := names(listAll(t, e.ns, "", 0)); !slices.Equal(got, []string{"forever"}) {
			t.Fatalf("List after expiry = %q, want [forever]", got)
		}
		vals, err := e.ns.GetMany(ctx, []string{"ttl", "forever"})
		if err != nil || len(vals) != 2 || vals[0] != nil || vals[1] == nil {
			t.Fatalf("GetMany after expiry = %v, %v; want [nil, value]", vals, err)
		}
		// An expired key can be written again.
		mustPut(t, e.ns, "ttl", []byte("again"), kv.PutOptions{})
		wantValue(t, e.ns, "ttl", []byte("again"))
	})
	t.Run("absolute", func(t *testing.T) {
		e := newEnv(t, newBackend, kv.Limits{})
		exp := e.clock.Now().Unix() + 3600
		mustPut(t, e.ns, "abs", []byte("v"), kv.PutOptions{Expiration: exp})
		keys := listAll(t, e.ns, "", 0)
		if len(keys) != 1 || keys[0].Expiration != exp {
			t.Fatalf("List = %+v, want abs expiring at %d", keys, exp)
		}
		e.clock.Advance(3599 * time.Second)
		wantValue(t, e.ns, "abs", []byte("v"))
		e.clock.Advance(time.Second)
		wantMissing(t, e.ns, "abs")
		if keys := listAll(t, e.ns, "", 0); len(keys) != 0 {
			t.Fatalf("List after expiry = %+v, want none", keys)
		}
	})
	t.Run("ttl wins over expiration", func(t *testing.T) {
		e := newEnv(t, newBackend, kv.Limits{})
		now := e.clock.Now().Unix()
		mustPut(t, e.ns, "both", []byte("v"), kv.PutOptions{ExpirationTTL: 120, Expiration: now + 3600})
		keys := listAll(t, e.ns, "", 0)
		if len(keys) != 1 || keys[0].Expiration != now+120 {
			t.Fatalf("List = %+v, want expiration %d (from the TTL)", keys, now+120)
		}
	})
	t.Run("expired keys do not fill a page", func(t *testing.T) {
		e := newEnv(t, newBackend, kv.Limits{})
		for i := range 10 {
			o := kv.PutOptions{}
			if i%2 == 0 {
				o.ExpirationTTL = 60
			}
			mustPut(t, e.ns, fmt.Sprintf("k%d", i), []byte("v"), o)
		}
		e.clock.Advance(time.Minute)
		got := names(listAll(t, e.ns, "", 2))
		if want := []string{"k1", "k3", "k5", "k7", "k9"}; !slices.Equal(got, want) {
			t.Fatalf("List = %q, want %q", got, want)
		}
	})
}

func testBackendContract(t *testing.T, newBackend NewBackend) {
	ctx := context.Background()
	c := NewClock(time.Now().Truncate(time.Second))
	b := newBackend(t, c.Now)
	if _, err := b.Get(ctx, "missing"); !errors.Is(err, kv.ErrNotFound) {
		t.Fatalf("Backend.Get(missing) error = %v, want ErrNotFound", err)
	}
	if err := b.Delete(ctx, "missing"); err != nil {
		t.Fatalf("Backend.Delete(missing) = %v, want nil", err)
	}
	// The backend expires by its injected clock, whatever the minimum TTL.
	exp := c.Now().Unix() + 100
	value, meta := []byte("value"), []byte(`{"m":true}`)
	if err := b.Put(ctx, "soon", kv.Entry{Value: value, Metadata: meta, Expiration: exp}); err != nil {
		t.Fatalf("Backend.Put: %v", err)
	}
	// The caller may reuse its slices once Put returns.
	value[0], meta[1] = 'X', 'X'
	got, err := b.Get(ctx, "soon")
	if err != nil || string(got.Value) != "value" || string(got.Metadata) != `{"m":true}` || got.Expiration != exp {
		t.Fatalf("Backend.Get = %+v, %v; want the stored entry", got, err)
	}
	// The caller owns what Get returns.
	got.Value[0], got.Metadata[1] = 'Y', 'Y'
	if again, err := b.Get(ctx, "soon"); err != nil || string(again.Value) != "value" || string(again.Metadata) != `{"m":true}` {
		t.Fatalf("Backend.Get after modifying a returned entry = %+v, %v", again, err)
	}
	res, err := b.List(ctx, kv.ListOptions{Limit: 10})
	if err != nil || len(res.Keys) != 1 || !res.Complete {
		t.Fatalf("Backend.List = %+v, %v; want one key", res, err)
	}
	res.Keys[0].Metadata[1] = 'Z'
	if again, err := b.Get(ctx, "soon"); err != nil || string(again.Metadata) != `{"m":true}` {
		t.Fatalf("Backend.Get after modifying listed metadata = %+v, %v", again, err)
	}
	c.Advance(100 * time.Second)
	if _, err := b.Get(ctx, "soon"); !errors.Is(err, kv.ErrNotFound) {
		t.Fatalf("Backend.Get of an expired key: error %v, want ErrNotFound", err)
	}
	if res, err := b.List(ctx, kv.ListOptions{Limit: 10}); err != nil || len(res.Keys) != 0 || !res.Complete {
		t.Fatalf("Backend.List after expiry = %+v, %v; want empty and complete", res, err)
	}
	for _, cursor := range []string{"!!!", "a b", kv.EncodeCursor("\xff")} {
		if _, err := b.List(ctx, kv.ListOptions{Limit: 10, Cursor: cursor}); !errors.Is(err, kv.ErrInvalidArgument) {
			t.Fatalf("Backend.List(cursor %q) error = %v, want ErrInvalidArgument", cursor, err)
		}
	}
}

func testListPaging(t *testing.T, newBackend NewBackend) {
	e := newEnv(t, newBackend, kv.Limits{})
	ctx := context.Background()
	const n = 2500
	want := make([]string, 0, n)
	for _, i := range rand.Perm(n) {
		mustPut(t, e.ns, fmt.Sprintf("key-%04d", i), []byte{byte(i)}, kv.PutOptions{})
	}
	for i := range n {
		want = append(want, fmt.Sprintf("key-%04d", i))
	}
	mustPut(t, e.ns, "other", []byte("x"), kv.PutOptions{})

	// The default limit is 1000: pages of 1000, 1000 and 500.
	var sizes []int
	cursor := ""
	var got []string
	for {
		res, err := e.ns.List(ctx, kv.ListOptions{Prefix: "key-", Cursor: cursor})
		if err != nil {
			t.Fatalf("List: %v", err)
		}
		sizes = append(sizes, len(res.Keys))
		got = append(got, names(res.Keys)...)
		if res.Complete {
			break
		}
		cursor = res.Cursor
	}
	if !slices.Equal(sizes, []int{1000, 1000, 500}) {
		t.Fatalf("page sizes = %v, want [1000 1000 500]", sizes)
	}
	if !slices.Equal(got, want) {
		t.Fatal("paged keys are not the 2500 keys in byte order")
	}

	tests := []struct {
		name   string
		prefix string
		limit  int
		want   int
	}{
		{"all, limit 1000", "", 1000, n + 1},
		{"all, limit 999", "", 999, n + 1},
		{"prefix fills a page exactly", "key-1", 1000, 1000},
		{"prefix, limit 7", "key-00", 7, 100},
		{"single key prefix", "key-2499", 1, 1},
		{"no match", "nope", 10, 0},
		{"limit 1", "key-24", 1, 100},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			keys := names(listAll(t, e.ns, tt.prefix, tt.limit))
			if len(keys) != tt.want {
				t.Fatalf("List(prefix %q, limit %d) returned %d keys, want %d", tt.prefix, tt.limit, len(keys), tt.want)
			}
			if !slices.IsSorted(keys) || len(slices.Compact(slices.Clone(keys))) != len(keys) {
				t.Fatal("keys are not strictly increasing")
			}
			for _, k := range keys {
				if !strings.HasPrefix(k, tt.prefix) {
					t.Fatalf("key %q lacks prefix %q", k, tt.prefix)
				}
			}
		})
	}

	// A page that ends exactly at the last key reports Complete.
	res, err := e.ns.List(ctx, kv.ListOptions{Prefix: "key-1", Limit: 1000})
	if err != nil || !res.Complete || res.Cursor != "" {
		t.Fatalf("List of exactly 1000 keys = complete %v, cursor %q, err %v; want complete", res.Complete, res.Cursor, err)
	}
	// A cursor stays valid when its key is deleted.
	res, err = e.ns.List(ctx, kv.ListOptions{Prefix: "key-", Limit: 10})
	if err != nil || res.Complete {
		t.Fatalf("List: %+v, %v", res, err)
	}
	if err := e.ns.Delete(ctx, "key-0009"); err != nil {
		t.Fatal(err)
	}
	res, err = e.ns.List(ctx, kv.ListOptions{Prefix: "key-", Limit: 1, Cursor: res.Cursor})
	if err != nil || len(res.Keys) != 1 || res.Keys[0].Name != "key-0010" {
		t.Fatalf("List after the cursor's key was deleted = %+v, %v; want key-0010", res, err)
	}
}

func testListOrder(t *testing.T, newBackend NewBackend) {
	keys := []string{
		"a", "a\x00", "a\x00\x00", "a\x00\x01", "a\x01", "a\x7f", "a/", "ab", "a\u0080", "aé",
		"b", "\x00", "\x01", "\x7f", "é", "ü", "😀", "😀\x00", "z\x00z", "Z", "~",
		"a\U0010FFFF", "\u00ff",
	}
	e := newEnv(t, newBackend, kv.Limits{})
	for _, i := range rand.Perm(len(keys)) {
		mustPut(t, e.ns, keys[i], []byte(keys[i]), kv.PutOptions{})
	}
	want := slices.Clone(keys)
	slices.Sort(want) // Go compares strings byte by byte, as Workers KV does
	for _, limit := range []int{0, 1, 2, 3, 5} {
		t.Run(fmt.Sprintf("limit %d", limit), func(t *testing.T) {
			if got := names(listAll(t, e.ns, "", limit)); !slices.Equal(got, want) {
				t.Fatalf("List = %q\nwant   %q", got, want)
			}
		})
	}
	for _, k := range keys {
		wantValue(t, e.ns, k, []byte(k))
	}
	// A prefix ending in NUL.
	if got := names(listAll(t, e.ns, "a\x00", 1)); !slices.Equal(got, []string{"a\x00", "a\x00\x00", "a\x00\x01"}) {
		t.Fatalf("List(prefix a\\x00) = %q", got)
	}
}

func testListPrefix(t *testing.T, newBackend NewBackend) {
	e := newEnv(t, newBackend, kv.Limits{})
	for _, k := range []string{"user:1", "user:10", "user:2", "users", "user", "use", "post:1", "ü:1", "ü:2", "üx"} {
		mustPut(t, e.ns, k, []byte(k), kv.PutOptions{})
	}
	tests := []struct {
		prefix string
		want   []string
	}{
		{"", []string{"post:1", "use", "user", "user:1", "user:10", "user:2", "users", "ü:1", "ü:2", "üx"}},
		{"user:", []string{"user:1", "user:10", "user:2"}},
		{"user:1", []string{"user:1", "user:10"}},
		{"user", []string{"user", "user:1", "user:10", "user:2", "users"}},
		{"ü:", []string{"ü:1", "ü:2"}},
		{"users!", nil},
		{"zzz", nil},
		{"\x00", nil},
	}
	for _, tt := range tests {
		t.Run(fmt.Sprintf("%q", tt.prefix), func(t *testing.T) {
			for _, limit := range []int{0, 1, 2} {
				got := names(listAll(t, e.ns, tt.prefix, limit))
				if !slices.Equal(got, tt.want) {
					t.Fatalf("List(prefix %q, limit %d) = %q, want %q", tt.prefix, limit, got, tt.want)
				}
			}
		})
	}
	// A cursor from a listing with another prefix still moves forward.
	res, err := e.ns.List(context.Background(), kv.ListOptions{Limit: 1})
	if err != nil {
		t.Fatal(err)
	}
	res, err = e.ns.List(context.Background(), kv.ListOptions{Prefix: "user:", Cursor: res.Cursor})
	if err != nil || !slices.Equal(names(res.Keys), []string{"user:1", "user:10", "user:2"}) {
		t.Fatalf("List(prefix user:, cursor after post:1) = %q, %v", names(res.Keys), err)
	}
}

func testIsolation(t *testing.T, newBackend NewBackend) {
	c := NewClock(time.Now().Truncate(time.Second))
	a := kv.NewNamespace(newBackend(t, c.Now), kv.Limits{}, c.Now)
	b := kv.NewNamespace(newBackend(t, c.Now), kv.Limits{}, c.Now)
	// With IDs "x" and "x/m", an unescaped layout "kv/<id>/m/<key>" would
	// store b's "k" where a keeps "m/k"; the other keys cover similar
	// layouts.
	aKeys := []string{"k", "m/k", "m/m/k", "v/k", "/m/k", "0:k"}
	for _, k := range aKeys {
		mustPut(t, a, k, []byte("a:"+k), kv.PutOptions{})
	}
	mustPut(t, b, "k", []byte("b:k"), kv.PutOptions{})
	mustPut(t, b, "only-b", []byte("b:only-b"), kv.PutOptions{})
	for _, k := range aKeys {
		wantValue(t, a, k, []byte("a:"+k))
	}
	wantValue(t, b, "k", []byte("b:k"))
	wantMissing(t, a, "only-b")
	wantMissing(t, b, "m/k")
	want := slices.Sorted(slices.Values(aKeys))
	if got := names(listAll(t, a, "", 0)); !slices.Equal(got, want) {
		t.Fatalf("List(a) = %q, want %q", got, want)
	}
	if got := names(listAll(t, b, "", 0)); !slices.Equal(got, []string{"k", "only-b"}) {
		t.Fatalf("List(b) = %q, want [k only-b]", got)
	}
	if err := b.Delete(context.Background(), "k"); err != nil {
		t.Fatal(err)
	}
	wantValue(t, a, "k", []byte("a:k"))
}

func testGetMany(t *testing.T, newBackend NewBackend) {
	e := newEnv(t, newBackend, kv.Limits{})
	ctx := context.Background()
	mustPut(t, e.ns, "a", []byte("1"), kv.PutOptions{Metadata: []byte(`{"n":1}`)})
	mustPut(t, e.ns, "b", []byte("2"), kv.PutOptions{})
	mustPut(t, e.ns, "e", []byte{}, kv.PutOptions{})
	got, err := e.ns.GetMany(ctx, []string{"a", "missing", "b", "a", "e"})
	if err != nil {
		t.Fatalf("GetMany: %v", err)
	}
	want := []*kv.Value{
		{Value: []byte("1"), Metadata: []byte(`{"n":1}`)},
		nil,
		{Value: []byte("2")},
		{Value: []byte("1"), Metadata: []byte(`{"n":1}`)},
		{Value: []byte{}},
	}
	if len(got) != len(want) {
		t.Fatalf("GetMany returned %d results, want %d", len(got), len(want))
	}
	for i := range want {
		switch {
		case (got[i] == nil) != (want[i] == nil):
			t.Fatalf("GetMany[%d] = %v, want %v", i, got[i], want[i])
		case got[i] == nil:
		case !bytes.Equal(got[i].Value, want[i].Value) || !bytes.Equal(got[i].Metadata, want[i].Metadata) || got[i].Value == nil:
			t.Fatalf("GetMany[%d] = %q/%q, want %q/%q", i, got[i].Value, got[i].Metadata, want[i].Value, want[i].Metadata)
		}
	}
	keys := make([]string, kv.DefaultMaxBulkGet)
	for i := range keys {
		keys[i] = fmt.Sprintf("k%d", i)
	}
	if got, err := e.ns.GetMany(ctx, keys); err != nil || len(got) != len(keys) {
		t.Fatalf("GetMany of %d keys = %d results, %v", len(keys), len(got), err)
	}
}

func testErrors(t *testing.T, newBackend NewBackend) {
	e := newEnv(t, newBackend, kv.Limits{})
	ctx := context.Background()
	put := func(key string, value []byte, o kv.PutOptions) func(int64) error {
		return func(int64) error { return e.ns.Put(ctx, key, value, o) }
	}
	list := func(o kv.ListOptions) func(int64) error {
		return func(int64) error { _, err := e.ns.List(ctx, o); return err }
	}
	getMany := func(n int, bad string) func(int64) error {
		return func(int64) error {
			keys := make([]string, n)
			for i := range keys {
				keys[i] = fmt.Sprint(i)
			}
			if bad != "" {
				keys[n-1] = bad
			}
			_, err := e.ns.GetMany(ctx, keys)
			return err
		}
	}
	long := strings.Repeat("k", kv.DefaultMaxKeyBytes+1)
	tests := []struct {
		name string
		call func(now int64) error
		want error
		msg  string // substring of the message
	}{
		{"put empty key", put("", nil, kv.PutOptions{}), kv.ErrInvalidKey, "empty"},
		{"put dot", put(".", nil, kv.PutOptions{}), kv.ErrInvalidKey, `"."`},
		{"put dot dot", put("..", nil, kv.PutOptions{}), kv.ErrInvalidKey, `".."`},
		{"put invalid utf-8", put("a\xffb", nil, kv.PutOptions{}), kv.ErrInvalidKey, "UTF-8"},
		{"put long key", put(long, nil, kv.PutOptions{}), kv.ErrInvalidKey, "513 bytes, the limit is 512"},
		{"put long multibyte key", put(strings.Repeat("é", 257), nil, kv.PutOptions{}), kv.ErrInvalidKey, "514 bytes"},
		{"get empty key", func(int64) error { _, _, err := e.ns.Get(ctx, ""); return err }, kv.ErrInvalidKey, "empty"},
		{"get long key", func(int64) error { _, _, err := e.ns.GetWithMetadata(ctx, long); return err }, kv.ErrInvalidKey, "limit is 512"},
		{"delete dot", func(int64) error { return e.ns.Delete(ctx, ".") }, kv.ErrInvalidKey, `"."`},
		{"value too large", put("k", make([]byte, kv.DefaultMaxValueBytes+1), kv.PutOptions{}), kv.ErrTooLarge, fmt.Sprintf("the limit is %d", kv.DefaultMaxValueBytes)},
		{"metadata too large", put("k", nil, kv.PutOptions{Metadata: []byte(`"` + strings.Repeat("m", kv.DefaultMaxMetadataBytes-1) + `"`)}), kv.ErrTooLarge, "1025 bytes, the limit is 1024"},
		{"metadata not json", put("k", nil, kv.PutOptions{Metadata: []byte(`{"a":`)}), kv.ErrInvalidArgument, "JSON"},
		{"metadata empty", put("k", nil, kv.PutOptions{Metadata: []byte{}}), kv.ErrInvalidArgument, "JSON"},
		{"ttl too short", put("k", nil, kv.PutOptions{ExpirationTTL: 59}), kv.ErrInvalidArgument, "minimum is 60"},
		{"ttl negative", put("k", nil, kv.PutOptions{ExpirationTTL: -1}), kv.ErrInvalidArgument, "negative"},
		{"expiration in the past", func(now int64) error { return put("k", nil, kv.PutOptions{Expiration: now - 1})(now) }, kv.ErrInvalidArgument, "not in the future"},
		{"expiration now", func(now int64) error { return put("k", nil, kv.PutOptions{Expiration: now})(now) }, kv.ErrInvalidArgument, "not in the future"},
		{"expiration too soon", func(now int64) error { return put("k", nil, kv.PutOptions{Expiration: now + 59})(now) }, kv.ErrInvalidArgument, "minimum is 60"},
		{"expiration negative", put("k", nil, kv.PutOptions{Expiration: -5}), kv.ErrInvalidArgument, "negative"},
		{"bulk get too many", getMany(kv.DefaultMaxBulkGet+1, ""), kv.ErrTooLarge, "101 keys, the limit is 100"},
		{"bulk get none", getMany(0, ""), kv.ErrInvalidArgument, "at least 1"},
		{"bulk get bad key", getMany(3, ".."), kv.ErrInvalidKey, `".."`},
		{"list limit too large", list(kv.ListOptions{Limit: 1001}), kv.ErrInvalidArgument, "1001 is over the maximum of 1000"},
		{"list limit negative", list(kv.ListOptions{Limit: -1}), kv.ErrInvalidArgument, "negative"},
		{"list cursor garbage", list(kv.ListOptions{Cursor: "not a cursor!"}), kv.ErrInvalidArgument, "cursor"},
		{"list cursor not utf-8", list(kv.ListOptions{Cursor: kv.EncodeCursor("\xff")}), kv.ErrInvalidArgument, "cursor"},
		{"list prefix not utf-8", list(kv.ListOptions{Prefix: "\xff"}), kv.ErrInvalidKey, "UTF-8"},
		{"list prefix too long", list(kv.ListOptions{Prefix: long}), kv.ErrInvalidKey, "limit is 512"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := tt.call(e.clock.Now().Unix())
			if !errors.Is(err, tt.want) {
				t.Fatalf("error = %v, want %v", err, tt.want)
			}
			if !strings.Contains(err.Error(), tt.msg) {
				t.Fatalf("error %q does not mention %q", err, tt.msg)
			}
		})
	}
	// Nothing was stored by the rejected puts.
	if keys := listAll(t, e.ns, "", 0); len(keys) != 0 {
		t.Fatalf("rejected puts stored %q", names(keys))
	}
	// The boundaries themselves are accepted.
	now := e.clock.Now().Unix()
	mustPut(t, e.ns, "ttl60", nil, kv.PutOptions{ExpirationTTL: 60})
	mustPut(t, e.ns, "exp60", nil, kv.PutOptions{Expiration: now + 60})
	mustPut(t, e.ns, "meta1024", nil, kv.PutOptions{Metadata: []byte(`"` + strings.Repeat("m", kv.DefaultMaxMetadataBytes-2) + `"`)})
	if _, err := e.ns.List(ctx, kv.ListOptions{Limit: 1000, Prefix: long[:512]}); err != nil {
		t.Fatalf("List with limit 1000 and a 512-byte prefix: %v", err)
	}
}

func testRelaxedLimits(t *testing.T, newBackend NewBackend) {
	l := kv.Limits{
		MaxKeyBytes:      2048,
		MaxMetadataBytes: kv.NoLimit,
		MaxBulkGet:       kv.NoLimit,
		MaxListLimit:     5000,
		MinExpirationTTL: kv.NoLimit,
	}
	e := newEnv(t, newBackend, l)
	ctx := context.Background()
	if got := e.ns.Limits(); got.MaxValueBytes != kv.DefaultMaxValueBytes || got.MaxBulkGet != kv.NoLimit || got.MaxKeyBytes != 2048 {
		t.Fatalf("Limits() = %+v", got)
	}
	key := strings.Repeat("k", 2000)
	mustPut(t, e.ns, key, []byte("long"), kv.PutOptions{})
	wantValue(t, e.ns, key, []byte("long"))
	meta := []byte(`"` + strings.Repeat("m", 4000) + `"`)
	mustPut(t, e.ns, "meta", nil, kv.PutOptions{Metadata: meta, ExpirationTTL: 1})
	if v, found, err := e.ns.GetWithMetadata(ctx, "meta"); err != nil || !found || !bytes.Equal(v.Metadata, meta) {
		t.Fatalf("GetWithMetadata(meta) = found %v, err %v", found, err)
	}
	e.clock.Advance(time.Second)
	wantMissing(t, e.ns, "meta")
	mustPut(t, e.ns, "exp", nil, kv.PutOptions{Expiration: e.clock.Now().Unix() + 1})
	if err := e.ns.Put(ctx, "past", nil, kv.PutOptions{Expiration: e.clock.Now().Unix()}); !errors.Is(err, kv.ErrInvalidArgument) {
		t.Fatalf("Put with an expiration of now = %v, want ErrInvalidArgument even without a minimum TTL", err)
	}
	for i := range 1500 {
		mustPut(t, e.ns, fmt.Sprintf("many-%04d", i), nil, kv.PutOptions{})
	}
	res, err := e.ns.List(ctx, kv.ListOptions{Prefix: "many-", Limit: 5000})
	if err != nil || len(res.Keys) != 1500 || !res.Complete {
		t.Fatalf("List(limit 5000) = %d keys, complete %v, err %v", len(res.Keys), res.Complete, err)
	}
	res, err = e.ns.List(ctx, kv.ListOptions{Prefix: "many-"})
	if err != nil || len(res.Keys) != kv.DefaultMaxListLimit {
		t.Fatalf("List with the default limit = %d keys, %v; want 1000", len(res.Keys), err)
	}
	if _, err := e.ns.List(ctx, kv.ListOptions{Limit: 5001}); !errors.Is(err, kv.ErrInvalidArgument) {
		t.Fatalf("List(limit 5001) = %v, want ErrInvalidArgument", err)
	}
	keys := make([]string, 250)
	for i := range keys {
		keys[i] = fmt.Sprintf("many-%04d", i)
	}
	if got, err := e.ns.GetMany(ctx, keys); err != nil || len(got) != 250 || got[249] == nil {
		t.Fatalf("GetMany of 250 keys without a limit: %d results, %v", len(got), err)
	}
	if err := e.ns.Put(ctx, "big", make([]byte, kv.DefaultMaxValueBytes+1), kv.PutOptions{}); !errors.Is(err, kv.ErrTooLarge) {
		t.Fatalf("the default value limit still applies: %v", err)
	}
}

func testContextCanceled(t *testing.T, newBackend NewBackend) {
	e := newEnv(t, newBackend, kv.Limits{})
	mustPut(t, e.ns, "k", []byte("v"), kv.PutOptions{})
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	calls := map[string]func() error{
		"get":     func() error { _, _, err := e.ns.Get(ctx, "k"); return err },
		"getMany": func() error { _, err := e.ns.GetMany(ctx, []string{"k"}); return err },
		"put":     func() error { return e.ns.Put(ctx, "k", []byte("w"), kv.PutOptions{}) },
		"delete":  func() error { return e.ns.Delete(ctx, "k") },
		"list":    func() error { _, err := e.ns.List(ctx, kv.ListOptions{}); return err },
	}
	for name, call := range calls {
		if err := call(); !errors.Is(err, context.Canceled) {
			t.Errorf("%s with a cancelled context = %v, want context.Canceled", name, err)
		}
	}
	wantValue(t, e.ns, "k", []byte("v"))
}

func testConcurrent(t *testing.T, newBackend NewBackend) {
	e := newEnv(t, newBackend, kv.Limits{})
	ctx := context.Background()
	const writers, puts = 8, 100
	var wg sync.WaitGroup
	errs := make(chan error, 4*writers)
	stop := make(chan struct{})
	for w := range writers {
		wg.Go(func() {
			for i := range puts {
				key := fmt.Sprintf("w%02d/%04d", w, i)
				if err := e.ns.Put(ctx, key, []byte(key), kv.PutOptions{Metadata: []byte(fmt.Sprint(w))}); err != nil {
					errs <- err
					return
				}
				if err := e.ns.Put(ctx, "shared", []byte(key), kv.PutOptions{}); err != nil {
					errs <- err
					return
				}
				if i%10 == 0 {
					if err := e.ns.Delete(ctx, fmt.Sprintf("w%02d/%04d", w, i/2)); err != nil {
						errs <- err
						return
					}
					if err := e.ns.Put(ctx, fmt.Sprintf("w%02d/%04d", w, i/2), []byte(fmt.Sprintf("w%02d/%04d", w, i/2)), kv.PutOptions{Metadata: []byte(fmt.Sprint(w))}); err != nil {
						errs <- err
						return
					}
				}
			}
		})
	}
	// Readers run alongside the writers.
	var readers sync.WaitGroup
	for range 2 {
		readers.Go(func() {
			for {
				select {
				case <-stop:
					return
				default:
				}
				if _, _, err := e.ns.Get(ctx, "shared"); err != nil {
					errs <- err
					return
				}
				if _, err := e.ns.List(ctx, kv.ListOptions{Limit: 50}); err != nil {
					errs <- err
					return
				}
			}
		})
	}
	wg.Wait()
	close(stop)
	readers.Wait()
	close(errs)
	for err := range errs {
		t.Fatalf("concurrent operation: %v", err)
	}
	keys := listAll(t, e.ns, "w", 0)
	if len(keys) != writers*puts {
		t.Fatalf("listed %d keys, want %d", len(keys), writers*puts)
	}
	for _, k := range keys {
		wantValue(t, e.ns, k.Name, []byte(k.Name))
		var w int
		if _, err := fmt.Sscanf(k.Name, "w%02d/", &w); err != nil || string(k.Metadata) != fmt.Sprint(w) {
			t.Fatalf("key %q has metadata %q", k.Name, k.Metadata)
		}
	}
	v, found, err := e.ns.Get(ctx, "shared")
	if err != nil || !found {
		t.Fatalf("Get(shared) = %v, %v", found, err)
	}
	if !strings.HasSuffix(string(v), fmt.Sprintf("/%04d", puts-1)) {
		t.Fatalf("shared = %q, want the last put of some writer", v)
	}
}
