// Package badgerkv is a Workers KV [kv.Backend] on an embedded Badger v4
// database. One Badger DB per host holds every KV namespace; each [Store]
// is a view of one namespace.
//
// # Layout
//
// All keys of the namespace with ID id live under
//
//	kv/<len(id) in decimal>:<id>/
//
// The length prefix makes the namespace prefixes prefix-free, so no ID (a
// wrangler namespace id, which may contain any byte) can reach into another
// namespace's key space, even when one ID is a prefix of another. Below it,
// each KV key k has two Badger keys written in one transaction with the
// same Badger ExpiresAt:
//
//	kv/<n>:<id>/m/<k>  index: 0x01 ‖ uvarint(expiration) ‖ 0x00 | 0x01 ‖ metadata JSON
//	kv/<n>:<id>/v/<k>  the value bytes
//
// The prefix itself is a key too, with an empty value, once the namespace
// is created (CreateNamespace), so that Namespaces lists it while it holds
// no keys; dropping the prefix drops it with the rest.
//
// List iterates the small index entries only, so it never reads values (up
// to 25 MiB, which Badger keeps in its value log). A list cursor is the
// base64url of the last key returned; the next page seeks to key+"\x00".
//
// # Expiry
//
// A key with an expiration gets Badger's ExpiresAt set to it, so Badger
// drops it at compaction and hides it once the wall clock passes it. Reads
// and lists also check the injected clock, so a test clock that runs ahead
// of the wall clock sees keys expire. The injected clock must not lag
// behind the wall clock, or Badger hides keys that the clock still
// considers live.
//
// # Notes
//
// A Store is safe for concurrent use. Put and Delete are blind writes,
// which Badger's serializable snapshot isolation never reports as
// conflicting; the writes still retry on badger.ErrConflict as a safeguard.
// Writes are as durable as the DB's SyncWrites option makes them.
package badgerkv

import (
	"bytes"
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"time"

	"github.com/dgraph-io/badger/v4"

	"github.com/bindery-run/bindery/bindings/kv"
)

// maxConflictRetries bounds the retries of a write transaction that Badger
// aborts with ErrConflict.
const maxConflictRetries = 10

// maxBadgerKeyBytes is Badger's maximum key size.
const maxBadgerKeyBytes = 65000

// Index entry versions: their first byte.
const (
	indexV1 = 1 // value always in its own entry
	indexV2 = 2 // flags; small values inline
)

// Flags of a version 2 index entry.
const (
	flagMeta   = 1 << 0
	flagInline = 1 << 1
)

// InlineValueBytes is the largest value kept inside its index entry.
const InlineValueBytes = 4 << 10

// Store is the [kv.Backend] of one namespace in a shared Badger DB.
type Store struct {
	db      *badger.DB
	now     func() time.Time
	mPrefix []byte // kv/<n>:<id>/m/
	vPrefix []byte // kv/<n>:<id>/v/
}

var _ kv.Backend = (*Store)(nil)

// New returns the Store of the namespace namespaceID in db; now is the clock
// expirations are checked against (nil means time.Now). The Store does not
// own db: the caller opens it once per host (see internal/badgerdb) and
// closes it after the last use of every Store.
func New(db *badger.DB, namespaceID string, now func() time.Time) *Store {
	if now == nil {
		now = time.Now
	}
	base := NamespacePrefix(namespaceID)
	return &Store{
		db:      db,
		now:     now,
		mPrefix: append(bytes.Clone(base), "m/"...),
		vPrefix: append(bytes.Clone(base), "v/"...),
	}
}

// NamespacePrefix returns the Badger key prefix under which the namespace
// namespaceID keeps all its keys: "kv/<len>:<id>/". Dropping it with
// badger.DB.DropPrefix deletes the namespace.
func NamespacePrefix(namespaceID string) []byte {
	return []byte(nsRoot + strconv.Itoa(len(namespaceID)) + ":" + namespaceID + "/")
}

// nsRoot is the prefix of every namespace's keys.
const nsRoot = "kv/"

// CreateNamespace records the namespace namespaceID in db, so that
// Namespaces lists it even while it holds no keys. Creating a namespace
// that exists does nothing.
func CreateNamespace(ctx context.Context, db *badger.DB, namespaceID string) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	key := NamespacePrefix(namespaceID)
	if len(key) > maxBadgerKeyBytes {
		return fmt.Errorf("badgerkv: create namespace: %w: the id is %d bytes", kv.ErrInvalidArgument, len(namespaceID))
	}
	err := db.Update(func(txn *badger.Txn) error { return txn.Set(key, nil) })
	if err != nil {
		return fmt.Errorf("badgerkv: create namespace %q: %w", namespaceID, err)
	}
	return nil
}

// Namespaces returns the IDs of the namespaces in db, sorted: those
// created with CreateNamespace and those that hold a live key. It reads
// one key per namespace (it seeks past the rest).
func Namespaces(ctx context.Context, db *badger.DB) ([]string, error) {
	ids := []string{}
	err := db.View(func(txn *badger.Txn) error {
		it := txn.NewIterator(badger.IteratorOptions{Prefix: []byte(nsRoot)})
		defer it.Close()
		for it.Seek([]byte(nsRoot)); it.Valid(); {
			if err := ctx.Err(); err != nil {
				return err
			}
			id, ok := namespaceOf(it.Item().Key())
			if !ok {
				it.Next() // not a namespace's key: there are none such
				continue
			}
			ids = append(ids, id)
			next := NamespacePrefix(id)
			next[len(next)-1]++ // past every key under "kv/<n>:<id>/"
			it.Seek(next)
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("badgerkv: namespaces: %w", err)
	}
	slices.Sort(ids)
	return ids, nil
}

// namespaceOf returns the namespace ID of a key "kv/<n>:<id>/...".
func namespaceOf(key []byte) (string, bool) {
	rest, ok := bytes.CutPrefix(key, []byte(nsRoot))
	if !ok {
		return "", false
	}
	num, rest, ok := bytes.Cut(rest, []byte(":"))
	if !ok {
		return "", false
	}
	n, err := strconv.Atoi(string(num))
	if err != nil || n < 0 || len(rest) <= n || rest[n] != '/' {
		return "", false
	}
	return string(rest[:n]), true
}

// Get implements [kv.Backend].
func (s *Store) Get(ctx context.Context, key string) (kv.Entry, error) {
	if err := ctx.Err(); err != nil {
		return kv.Entry{}, err
	}
	var e kv.Entry
	err := s.db.View(func(txn *badger.Txn) error {
		item, err := txn.Get(s.key(s.mPrefix, key))
		if err != nil {
			return err
		}
		raw, err := item.ValueCopy(nil)
		if err != nil {
			return err
		}
		var ix index
		if ix, err = decodeIndex(raw); err != nil {
			return err
		}
		if expired(ix.exp, s.now()) {
			return badger.ErrKeyNotFound
		}
		e.Expiration, e.Metadata = ix.exp, ix.meta // raw is this call's copy; meta and value are capped slices of it
		if ix.inline {
			e.Value = ix.value
			return nil
		}
		item, err = txn.Get(s.key(s.vPrefix, key))
		if err != nil {
			return err
		}
		e.Value, err = item.ValueCopy(nil)
		return err
	})
	if errors.Is(err, badger.ErrKeyNotFound) {
		return kv.Entry{}, fmt.Errorf("badgerkv: get %q: %w", key, kv.ErrNotFound)
	}
	if err != nil {
		return kv.Entry{}, fmt.Errorf("badgerkv: get %q: %w", key, err)
	}
	return e, nil
}

// Put implements [kv.Backend].
func (s *Store) Put(ctx context.Context, key string, e kv.Entry) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	if e.Expiration < 0 {
		return fmt.Errorf("badgerkv: put %q: %w: expiration %d is negative", key, kv.ErrInvalidArgument, e.Expiration)
	}
	mKey, vKey := s.key(s.mPrefix, key), s.key(s.vPrefix, key)
	if len(mKey) > maxBadgerKeyBytes {
		return fmt.Errorf("badgerkv: put: %w: key %.32q… with its namespace prefix is %d bytes, Badger's limit is %d",
			kv.ErrInvalidKey, key, len(mKey), maxBadgerKeyBytes)
	}
	inline := len(e.Value) <= InlineValueBytes
	index := encodeIndex(e.Expiration, e.Metadata, e.Value, inline)
	// Badger copies e.Value into its memtable or value log before Update
	// returns, so the caller's slice is not retained.
	err := s.update(func(txn *badger.Txn) error {
		m := badger.NewEntry(mKey, index)
		m.ExpiresAt = uint64(e.Expiration)
		if inline {
			// Blind: a value entry may be left by an earlier big value.
			if err := txn.Delete(vKey); err != nil {
				return err
			}
			return txn.SetEntry(m)
		}
		v := badger.NewEntry(vKey, e.Value)
		v.ExpiresAt = uint64(e.Expiration)
		if err := txn.SetEntry(v); err != nil {
			return err
		}
		return txn.SetEntry(m)
	})
	if err != nil {
		return fmt.Errorf("badgerkv: put %q: %w", key, err)
	}
	return nil
}

// Delete implements [kv.Backend].
func (s *Store) Delete(ctx context.Context, key string) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	err := s.update(func(txn *badger.Txn) error {
		if err := txn.Delete(s.key(s.mPrefix, key)); err != nil {
			return err
		}
		return txn.Delete(s.key(s.vPrefix, key))
	})
	if err != nil {
		return fmt.Errorf("badgerkv: delete %q: %w", key, err)
	}
	return nil
}

// List implements [kv.Backend].
func (s *Store) List(ctx context.Context, opts kv.ListOptions) (kv.ListResult, error) {
	if err := ctx.Err(); err != nil {
		return kv.ListResult{}, err
	}
	after, err := kv.DecodeCursor(opts.Cursor)
	if err != nil {
		return kv.ListResult{}, err
	}
	limit := opts.Limit
	if limit <= 0 {
		limit = kv.DefaultMaxListLimit
	}
	start := opts.Prefix
	if after != "" && after+"\x00" > start {
		start = after + "\x00" // the successor of after in byte order
	}
	now := s.now()
	res := kv.ListResult{Keys: []kv.KeyInfo{}, Complete: true}
	err = s.db.View(func(txn *badger.Txn) error {
		it := txn.NewIterator(badger.IteratorOptions{
			Prefix:         s.key(s.mPrefix, opts.Prefix),
			PrefetchValues: false, // index values are tiny; read them on demand
		})
		defer it.Close()
		n := 0
		for it.Seek(s.key(s.mPrefix, start)); it.Valid(); it.Next() {
			if n++; n%256 == 0 {
				if err := ctx.Err(); err != nil {
					return err
				}
			}
			item := it.Item()
			var (
				exp  int64
				meta []byte
			)
			err := item.Value(func(raw []byte) error {
				ix, err := decodeIndex(raw)
				exp, meta = ix.exp, bytes.Clone(ix.meta)
				return err
			})
			if err != nil {
				return err
			}
			if expired(exp, now) {
				continue
			}
			if len(res.Keys) == limit {
				res.Complete = false
				res.Cursor = kv.EncodeCursor(res.Keys[len(res.Keys)-1].Name)
				return nil
			}
			name := string(item.Key()[len(s.mPrefix):])
			res.Keys = append(res.Keys, kv.KeyInfo{Name: name, Expiration: exp, Metadata: meta})
		}
		return nil
	})
	if err != nil {
		return kv.ListResult{}, fmt.Errorf("badgerkv: list: %w", err)
	}
	return res, nil
}

// key returns prefix ‖ k as a new slice.
func (s *Store) key(prefix []byte, k string) []byte {
	b := make([]byte, 0, len(prefix)+len(k))
	return append(append(b, prefix...), k...)
}

// update runs fn in a read-write transaction, retrying when Badger reports
// a conflict.
func (s *Store) update(fn func(txn *badger.Txn) error) error {
	var err error
	for range maxConflictRetries {
		if err = s.db.Update(fn); !errors.Is(err, badger.ErrConflict) {
			return err
		}
	}
	return err
}

// expired reports whether an absolute expiration (unix seconds, 0 = never)
// has passed at now.
func expired(exp int64, now time.Time) bool {
	return exp != 0 && exp <= now.Unix()
}

// encodeIndex builds a version 2 index entry, with value when inline.
func encodeIndex(exp int64, meta, value []byte, inline bool) []byte {
	n := 1 + binary.MaxVarintLen64 + 1 + binary.MaxVarintLen64 + len(meta)
	if inline {
		n += len(value)
	}
	b := make([]byte, 0, n)
	b = append(b, indexV2)
	b = binary.AppendUvarint(b, uint64(exp))
	var flags byte
	if meta != nil {
		flags |= flagMeta
	}
	if inline {
		flags |= flagInline
	}
	b = append(b, flags)
	if meta != nil {
		b = binary.AppendUvarint(b, uint64(len(meta)))
		b = append(b, meta...)
	}
	if inline {
		b = append(b, value...)
	}
	return b
}

// index is a decoded index entry. meta and value alias the raw entry.
type index struct {
	exp    int64
	meta   []byte // nil: none
	inline bool
	value  []byte // when inline
}

var errCorruptIndex = errors.New("badgerkv: corrupt index entry")

// decodeIndex parses an index entry of either version.
func decodeIndex(raw []byte) (index, error) {
	if len(raw) < 3 || (raw[0] != indexV1 && raw[0] != indexV2) {
		return index{}, errCorruptIndex
	}
	u, n := binary.Uvarint(raw[1:])
	if n <= 0 || u > 1<<63-1 || 1+n >= len(raw) {
		return index{}, errCorruptIndex
	}
	ix := index{exp: int64(u)}
	flags, rest := raw[1+n], raw[2+n:]
	if raw[0] == indexV1 {
		switch flags {
		case 0:
			return ix, nil
		case 1:
			ix.meta = rest[:len(rest):len(rest)]
			return ix, nil
		}
		return index{}, errCorruptIndex
	}
	if flags&^(flagMeta|flagInline) != 0 {
		return index{}, errCorruptIndex
	}
	if flags&flagMeta != 0 {
		m, n := binary.Uvarint(rest)
		if n <= 0 || m > uint64(len(rest)-n) {
			return index{}, errCorruptIndex
		}
		ix.meta = rest[n : n+int(m) : n+int(m)]
		rest = rest[n+int(m):]
	}
	if flags&flagInline != 0 {
		ix.inline, ix.value = true, rest
	} else if len(rest) != 0 {
		return index{}, errCorruptIndex
	}
	return ix, nil
}
