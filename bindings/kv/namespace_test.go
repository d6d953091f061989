package kv

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"
	"unicode/utf8"
)

func TestLimitsWithDefaults(t *testing.T) {
	tests := []struct {
		name string
		in   Limits
		want Limits
	}{
		{"zero is the default", Limits{}, DefaultLimits()},
		{"default is unchanged", DefaultLimits(), DefaultLimits()},
		{
			"set and disabled fields",
			Limits{MaxKeyBytes: 1024, MaxValueBytes: NoLimit, MaxMetadataBytes: -7, MaxListLimit: 10, MinExpirationTTL: NoLimit},
			Limits{
				MaxKeyBytes: 1024, MaxValueBytes: NoLimit, MaxMetadataBytes: NoLimit,
				MaxBulkGet: DefaultMaxBulkGet, MaxBulkGetBytes: DefaultMaxBulkGetBytes,
				MaxListLimit: 10, MinExpirationTTL: NoLimit,
			},
		},
		{
			"short ttl",
			Limits{MinExpirationTTL: 1500 * time.Millisecond},
			func() Limits { l := DefaultLimits(); l.MinExpirationTTL = 1500 * time.Millisecond; return l }(),
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := tt.in.withDefaults(); got != tt.want {
				t.Fatalf("withDefaults() = %+v, want %+v", got, tt.want)
			}
		})
	}
}

func TestMinTTLRoundsUp(t *testing.T) {
	now := func() time.Time { return time.Unix(1000, 0) }
	ns := NewNamespace(NewMemory(now), Limits{MinExpirationTTL: 1500 * time.Millisecond}, now)
	ctx := context.Background()
	if err := ns.Put(ctx, "k", nil, PutOptions{ExpirationTTL: 1}); !errors.Is(err, ErrInvalidArgument) || !strings.Contains(err.Error(), "minimum is 2 s") {
		t.Fatalf("Put(ttl 1) = %v, want minimum 2 s", err)
	}
	if err := ns.Put(ctx, "k", nil, PutOptions{ExpirationTTL: 2}); err != nil {
		t.Fatalf("Put(ttl 2) = %v", err)
	}
}

func TestQuoteShort(t *testing.T) {
	long := strings.Repeat("é", 100) // 200 bytes
	q := quoteShort(long)
	if !strings.HasSuffix(q, `"…`) || len(q) > maxQuoted+8 {
		t.Fatalf("quoteShort = %q", q)
	}
	if !utf8.ValidString(q) || strings.Contains(q, `\x`) {
		t.Fatalf("quoteShort cut inside a rune: %q", q)
	}
	if got := quoteShort("a\x00"); got != `"a\x00"` {
		t.Fatalf("quoteShort = %s", got)
	}
	ns := NewNamespace(NewMemory(nil), Limits{}, nil)
	err := ns.Put(context.Background(), strings.Repeat("k", 600), nil, PutOptions{})
	if want := `kv: invalid key: key "` + strings.Repeat("k", maxQuoted) + `"… is 600 bytes, the limit is 512`; err == nil || err.Error() != want {
		t.Fatalf("error = %v\nwant    %s", err, want)
	}
}

func TestGetManyTotalBytes(t *testing.T) {
	ns := NewNamespace(NewMemory(nil), Limits{MaxBulkGetBytes: 10}, nil)
	ctx := context.Background()
	for _, k := range []string{"a", "b"} {
		if err := ns.Put(ctx, k, []byte("123456"), PutOptions{}); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := ns.GetMany(ctx, []string{"a", "missing"}); err != nil {
		t.Fatalf("GetMany under the limit: %v", err)
	}
	_, err := ns.GetMany(ctx, []string{"a", "b"})
	if !errors.Is(err, ErrTooLarge) || !strings.Contains(err.Error(), "the limit is 10") {
		t.Fatalf("GetMany over the byte limit = %v, want ErrTooLarge", err)
	}
}

func TestListDefaultFollowsLowerMax(t *testing.T) {
	ns := NewNamespace(NewMemory(nil), Limits{MaxListLimit: 5}, nil)
	ctx := context.Background()
	for _, k := range []string{"a", "b", "c", "d", "e", "f"} {
		if err := ns.Put(ctx, k, nil, PutOptions{}); err != nil {
			t.Fatal(err)
		}
	}
	res, err := ns.List(ctx, ListOptions{})
	if err != nil || len(res.Keys) != 5 || res.Complete || res.Cursor == "" {
		t.Fatalf("List = %+v, %v; want 5 keys and a cursor", res, err)
	}
}

func TestNamespaceChecksExpiryToo(t *testing.T) {
	// A backend whose clock stands still: the namespace's own clock still
	// hides expired keys.
	start := time.Unix(1_000_000, 0)
	clock := start
	ns := NewNamespace(NewMemory(func() time.Time { return start }), Limits{}, func() time.Time { return clock })
	ctx := context.Background()
	if err := ns.Put(ctx, "k", []byte("v"), PutOptions{ExpirationTTL: 60}); err != nil {
		t.Fatal(err)
	}
	clock = clock.Add(time.Minute)
	if _, found, err := ns.Get(ctx, "k"); found || err != nil {
		t.Fatalf("Get = found %v, err %v; want missing", found, err)
	}
	if res, err := ns.List(ctx, ListOptions{}); err != nil || len(res.Keys) != 0 || res.Keys == nil {
		t.Fatalf("List = %+v, %v; want no keys", res, err)
	}
}

// failingBackend is a Backend whose every call fails.
type failingBackend struct{ err error }

func (f failingBackend) Get(context.Context, string) (Entry, error) { return Entry{}, f.err }
func (f failingBackend) Put(context.Context, string, Entry) error   { return f.err }
func (f failingBackend) Delete(context.Context, string) error       { return f.err }
func (f failingBackend) List(context.Context, ListOptions) (ListResult, error) {
	return ListResult{}, f.err
}

func TestBackendErrors(t *testing.T) {
	disk := errors.New("disk on fire")
	ns := NewNamespace(failingBackend{disk}, Limits{}, nil)
	ctx := context.Background()
	_, _, err := ns.Get(ctx, "k")
	if !errors.Is(err, disk) || err.Error() != `kv: get "k": disk on fire` {
		t.Fatalf("Get = %v", err)
	}
	if err := ns.Put(ctx, "k", nil, PutOptions{}); !errors.Is(err, disk) || err.Error() != `kv: put "k": disk on fire` {
		t.Fatalf("Put = %v", err)
	}
	if _, err := ns.List(ctx, ListOptions{}); !errors.Is(err, disk) || err.Error() != `kv: list: disk on fire` {
		t.Fatalf("List = %v", err)
	}
	// Validation sentinels from a backend pass through unchanged.
	bad := badCursorError()
	ns = NewNamespace(failingBackend{bad}, Limits{}, nil)
	if _, err := ns.List(ctx, ListOptions{}); err != bad {
		t.Fatalf("List = %v, want the backend's error unchanged", err)
	}
}

// badCursorError returns the error DecodeCursor gives for a bad cursor.
func badCursorError() error {
	_, err := DecodeCursor("%%%")
	return err
}
