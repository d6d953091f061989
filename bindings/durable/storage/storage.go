package storage

import (
	"context"
	"errors"
	"fmt"
	"sort"
	"strings"
)

// Entry is one key and its value.
type Entry struct {
	Key   string // any bytes; compared as a byte string
	Value []byte // opaque: the SDK's encoding of the stored value
}

// ListOptions selects the keys List returns, as Cloudflare's list
// options do. A nil pointer is an option not given. Keys are compared
// as byte strings.
type ListOptions struct {
	// Start is the first key to list (inclusive).
	Start *string
	// StartAfter is the key to list after (exclusive); it may not be
	// given with Start.
	StartAfter *string
	// End is the key to stop before (exclusive).
	End *string
	// Prefix restricts the listing to keys that begin with it; "" is
	// no restriction.
	Prefix string
	// Reverse lists in descending order; with Limit, the last keys of
	// the range are the ones returned.
	Reverse bool
	// Limit is the most entries to return; 0 means no limit, and a
	// negative limit is an error.
	Limit int
}

// Ops are the key-value calls, on a Storage or inside a transaction.
type Ops interface {
	// Get returns the entries of the keys that exist, in key order,
	// each once. At most MaxKeysPerCall keys.
	Get(ctx context.Context, keys []string) ([]Entry, error)
	// Put stores the entries, all or none; of two entries with one key
	// the later wins. At most MaxKeysPerCall entries.
	Put(ctx context.Context, entries []Entry) error
	// Delete deletes the keys, all or none, and returns how many of
	// them existed. At most MaxKeysPerCall keys.
	Delete(ctx context.Context, keys []string) (int, error)
	// List returns the entries opts selects, in key order (descending
	// when opts.Reverse).
	List(ctx context.Context, opts ListOptions) ([]Entry, error)
}

// Tx is a transaction in progress, given to the closure of
// Transaction. It is valid only until the closure returns; later calls
// fail with ErrTxDone.
type Tx interface {
	Ops
	// Transaction runs fn in a nested transaction (a savepoint): an
	// error from fn undoes fn's writes only, and is returned.
	Transaction(ctx context.Context, fn func(Tx) error) error
}

// Storage is one Durable Object's storage.
type Storage interface {
	Ops
	// Transaction runs fn in one transaction, committed when fn returns
	// nil and rolled back when it returns an error (which Transaction
	// returns, or nil for ErrRollback). Use the Tx inside fn: a call on
	// the Storage itself waits for the transaction to end.
	Transaction(ctx context.Context, fn func(Tx) error) error
	// DeleteAll deletes every key (and, for SQLite, every table: the
	// whole database) and returns how many keys there were.
	DeleteAll(ctx context.Context) (int, error)
	// Close releases the storage's resources (the SQLite connection);
	// nothing is lost. A later call opens them again.
	Close() error
}

// SQL is the SQL API of a SQLite-backed object: *SQLite and the Tx of
// its transactions implement it.
type SQL interface {
	// Exec runs one or more statements separated by semicolons, as
	// ctx.storage.sql.exec does, and returns the last one's rows.
	Exec(ctx context.Context, query string, params ...Value) (*Cursor, error)
	// DatabaseSize is the database's size in bytes, free pages not
	// counted (ctx.storage.sql.databaseSize).
	DatabaseSize(ctx context.Context) (int64, error)
}

// MaxKeysPerCall is how many keys one Get, Put or Delete takes at most.
const MaxKeysPerCall = 128

// The KV-backed limits (developers.cloudflare.com/durable-objects/platform/limits/).
const (
	// MaxKVKeySize is the largest key of a KV-backed object, 2 KiB.
	MaxKVKeySize = 2 << 10
	// MaxKVValueSize is the largest value of a KV-backed object: 128
	// KiB and the 32 bytes Cloudflare allows for the header of the
	// value's serialization, so that a 128 KiB byte array fits.
	MaxKVValueSize = 128<<10 + 32
)

// The SQLite-backed limits.
const (
	// MaxSQLiteEntrySize is the largest key and value together of a
	// SQLite-backed object, 2 MB (also SQL's largest string, blob or
	// row).
	MaxSQLiteEntrySize = 2_000_000
	// DefaultMaxSize is the largest SQLite-backed object, 10 GB.
	DefaultMaxSize = 10 << 30
)

// The limits a LimitError names.
const (
	LimitKeysPerCall     = "keys per call"
	LimitKeySize         = "key size"
	LimitValueSize       = "value size"
	LimitEntrySize       = "key and value size"
	LimitDatabaseSize    = "database size"
	LimitBoundParameters = "bound parameters"
	LimitStatementLength = "statement length"
	LimitColumns         = "columns"
	LimitSQLValueSize    = "string, blob or row size"
	// LimitTransactionSize is Bindery's own: the writes of one call or
	// transaction of a KV-backed object must fit in one Badger
	// transaction (Max is the database's MaxBatchSize in bytes).
	LimitTransactionSize = "transaction size"
)

// LimitError reports a call that exceeded one of the storage limits.
type LimitError struct {
	Limit string // one of the Limit* constants
	Max   int64  // the limit
	Got   int64  // what the call asked for, 0 if unknown
	Key   string // the key at fault, if one is
}

// Error names the limit, its value and the key at fault.
func (e *LimitError) Error() string {
	s := fmt.Sprintf("durable object storage: %s limit exceeded", e.Limit)
	if e.Got > 0 {
		s += fmt.Sprintf(": %d > %d", e.Got, e.Max)
	} else {
		s += fmt.Sprintf(" (limit %d)", e.Max)
	}
	if e.Key != "" {
		k := e.Key
		if len(k) > 40 {
			k = k[:40] + "…"
		}
		s += fmt.Sprintf(" (key %q)", k)
	}
	return s
}

// ErrTxDone is returned by a call on a Tx after its closure returned.
var ErrTxDone = errors.New("durable object storage: transaction already finished")

// ErrRollback, returned by a transaction's closure (or wrapped in what
// it returns), rolls the transaction back without an error: Transaction
// returns nil, as Cloudflare's txn.rollback() lets the closure finish.
var ErrRollback = errors.New("durable object storage: transaction rolled back")

// ErrStartAndStartAfter is List's error when both Start and StartAfter
// are given.
var ErrStartAndStartAfter = errors.New("durable object storage: list cannot be called with both start and startAfter")

// ErrBadLimit is List's error for a negative limit.
var ErrBadLimit = errors.New("durable object storage: list limit must be positive")

// limits are one backend's checks of a call's keys and values.
type limits struct {
	keySize   int // 0: none
	valueSize int // 0: none
	entrySize int // key and value together; 0: none
}

var (
	kvLimits     = limits{keySize: MaxKVKeySize, valueSize: MaxKVValueSize}
	sqliteLimits = limits{entrySize: MaxSQLiteEntrySize}
)

func (l limits) checkKeys(keys []string) error {
	if len(keys) > MaxKeysPerCall {
		return &LimitError{Limit: LimitKeysPerCall, Max: MaxKeysPerCall, Got: int64(len(keys))}
	}
	for _, k := range keys {
		if err := l.checkKey(k); err != nil {
			return err
		}
	}
	return nil
}

func (l limits) checkKey(k string) error {
	if l.keySize > 0 && len(k) > l.keySize {
		return &LimitError{Limit: LimitKeySize, Max: int64(l.keySize), Got: int64(len(k)), Key: k}
	}
	if l.entrySize > 0 && len(k) > l.entrySize {
		return &LimitError{Limit: LimitEntrySize, Max: int64(l.entrySize), Got: int64(len(k)), Key: k}
	}
	return nil
}

func (l limits) checkEntries(entries []Entry) error {
	if len(entries) > MaxKeysPerCall {
		return &LimitError{Limit: LimitKeysPerCall, Max: MaxKeysPerCall, Got: int64(len(entries))}
	}
	for _, e := range entries {
		if err := l.checkKey(e.Key); err != nil {
			return err
		}
		if l.valueSize > 0 && len(e.Value) > l.valueSize {
			return &LimitError{Limit: LimitValueSize, Max: int64(l.valueSize), Got: int64(len(e.Value)), Key: e.Key}
		}
		if n := len(e.Key) + len(e.Value); l.entrySize > 0 && n > l.entrySize {
			return &LimitError{Limit: LimitEntrySize, Max: int64(l.entrySize), Got: int64(n), Key: e.Key}
		}
	}
	return nil
}

// uniqueSorted returns keys sorted and without duplicates.
func uniqueSorted(keys []string) []string {
	out := append([]string(nil), keys...)
	sort.Strings(out)
	j := 0
	for i, k := range out {
		if i == 0 || k != out[j-1] {
			out[j] = k
			j++
		}
	}
	return out[:j]
}

// lastWins returns entries with only the last entry of each key, in
// their order.
func lastWins(entries []Entry) []Entry {
	last := make(map[string]int, len(entries))
	for i, e := range entries {
		last[e.Key] = i
	}
	if len(last) == len(entries) {
		return entries
	}
	out := make([]Entry, 0, len(last))
	for i, e := range entries {
		if last[e.Key] == i {
			out = append(out, e)
		}
	}
	return out
}

// keyRange is the half-open key range [lo, hi) a List covers (hi nil
// means no upper bound), or nothing at all when empty.
type keyRange struct {
	lo    string
	hi    *string
	empty bool
}

// contains reports whether key k is in r.
func (r keyRange) contains(k string) bool {
	return !r.empty && k >= r.lo && (r.hi == nil || k < *r.hi)
}

// compileRange turns list options into one key range, as workerd does:
// StartAfter s becomes Start s+"\x00" (the next key in byte order),
// and a prefix clamps the range to [prefix, the first key after every
// key with the prefix).
func compileRange(o ListOptions) (keyRange, error) {
	if o.Start != nil && o.StartAfter != nil {
		return keyRange{}, ErrStartAndStartAfter
	}
	if o.Limit < 0 {
		return keyRange{}, fmt.Errorf("%w (got %d)", ErrBadLimit, o.Limit)
	}
	var r keyRange
	if o.Start != nil {
		r.lo = *o.Start
	}
	if o.StartAfter != nil {
		r.lo = *o.StartAfter + "\x00"
	}
	if o.End != nil {
		e := *o.End
		r.hi = &e
	}
	if p := o.Prefix; p != "" {
		if r.lo < p {
			r.lo = p
		} else if !strings.HasPrefix(r.lo, p) {
			r.empty = true // lo is past every key with the prefix
		}
		if after, ok := prefixEnd(p); ok && (r.hi == nil || *r.hi > after) {
			r.hi = &after
		}
	}
	if r.hi != nil && r.lo >= *r.hi {
		r.empty = true
	}
	return r, nil
}

// prefixEnd returns the first key after every key that begins with p:
// p without its trailing 0xff bytes, its last byte incremented. ok is
// false when p is all 0xff bytes (no such key: the range is unbounded).
func prefixEnd(p string) (string, bool) {
	b := []byte(p)
	for len(b) > 0 && b[len(b)-1] == 0xff {
		b = b[:len(b)-1]
	}
	if len(b) == 0 {
		return "", false
	}
	b[len(b)-1]++
	return string(b), true
}

// txState is what the Tx of both backends share: whether its closure
// has returned.
type txState struct{ done bool }

func (t *txState) check() error {
	if t.done {
		return ErrTxDone
	}
	return nil
}

// finish turns the closure's error into Transaction's: nil for
// ErrRollback.
func finish(err error) error {
	if errors.Is(err, ErrRollback) {
		return nil
	}
	return err
}
