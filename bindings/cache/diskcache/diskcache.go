// Package diskcache keeps every Cache API cache of a Bindery data
// directory: bodies as files, the index in the host's Badger database.
//
//	<dir>/blobs/<id[0:2]>/<id>   one body, written once and never changed
//
// and, in Badger, under "cache/" (<ns> names a Worker's cache, <key> is
// the request URL byte for byte):
//
//	cache/e/<ns><key>                 the key's entries, one per variant
//	cache/x/<expires ms><id>          the expiry index: <ns><key>
//	cache/i/<id>                      intent: a body being written
//	cache/g/<id>                      tombstone: a body to unlink
//
// <ns> is the Worker's name and the cache's, each with its length in
// front ("7:my-site" then "d/" for caches.default or "n5:fonts/" for
// caches.open("fonts")), so no Worker's or cache's keys can fall inside
// another's. docs/state.md describes the layout as a user-facing format.
//
// # Writes
//
// A put commits an intent, streams the body into its file (never held in
// memory), then in one transaction replaces the entries the new one
// replaces, tombstones their bodies, indexes the expiry and deletes the
// intent; it unlinks the replaced bodies after that. Open unlinks the
// bodies of intents (a put cut short) and tombstones (a delete cut
// short), so a crash leaves neither a half-written entry nor a leaked
// file. Bodies are not fsynced: this is a cache, and a power loss may
// lose recent entries; a body shorter than its entry says (a file the
// power loss cut) is a miss, removed when found.
//
// # Reads and expiry
//
// A match reads the entry and opens its file; when a concurrent put or
// delete unlinked the file in between, it reads the entry again. Expired
// entries are misses; a match that meets one removes it, and Sweep
// removes all of them through the expiry index, oldest first.
package diskcache

import (
	"bufio"
	"bytes"
	"context"
	"crypto/rand"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	mrand "math/rand/v2"
	"os"
	"path/filepath"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/bindery-run/bindery/bindings/cache"
	"github.com/dgraph-io/badger/v4"
)

// Options configures a Store. The zero value works.
type Options struct {
	// Now is the clock of expiry (nil for time.Now); give the caches'
	// cache.Binding the same clock.
	Now func() time.Time
	// Logger receives what the store cannot report to a caller: a body
	// it failed to unlink (nil discards).
	Logger *slog.Logger
}

// Store is every cache of a data directory. It is safe for concurrent use.
type Store struct {
	dir    string
	db     *badger.DB
	now    func() time.Time
	log    *slog.Logger
	closed atomic.Bool

	mu   sync.Mutex
	made map[string]bool // fan-out directories that exist
}

// Key prefixes in the shared Badger database.
const (
	prefix          = "cache/"
	entryPrefix     = prefix + "e/"
	expiryPrefix    = prefix + "x/"
	intentPrefix    = prefix + "i/"
	tombstonePrefix = prefix + "g/"
)

// maxConflictRetries bounds the retries of a transaction Badger aborts
// with ErrConflict (some transaction of a conflicting set commits each
// round).
const maxConflictRetries = 200

// sweepBatch is how many expired entries or tombstones one transaction
// removes.
const sweepBatch = 256

// errClosed is returned by calls on a closed Store.
var errClosed = errors.New("diskcache: store is closed")

// Open opens the store whose bodies live in dir (created if needed) and
// whose index is in db, the host's shared Badger database; it uses only
// keys that start with "cache/". It finishes what a crash interrupted:
// the bodies of intents and tombstones are unlinked. The store does not
// own db: close db after Close.
func Open(dir string, db *badger.DB, o Options) (*Store, error) {
	if err := os.MkdirAll(filepath.Join(dir, "blobs"), 0o755); err != nil {
		return nil, fmt.Errorf("diskcache: %w", err)
	}
	s := &Store{dir: dir, db: db, now: o.Now, log: o.Logger, made: map[string]bool{}}
	if s.now == nil {
		s.now = time.Now
	}
	if s.log == nil {
		s.log = slog.New(slog.DiscardHandler)
	}
	ctx := context.Background()
	for _, p := range []string{intentPrefix, tombstonePrefix} {
		if err := s.unlinkAll(ctx, p); err != nil {
			return nil, fmt.Errorf("diskcache: recover: %w", err)
		}
	}
	return s, nil
}

// Close makes every later call fail. Bodies open for reading stay
// readable.
func (s *Store) Close() error {
	s.closed.Store(true)
	return nil
}

// Storage returns the caches of the Worker called worker, for its
// cache.Binding.
func (s *Store) Storage(worker string) cache.Storage { return storage{s, worker} }

// storage is the caches of one Worker.
type storage struct {
	s      *Store
	worker string
}

// Backend implements cache.Storage.
func (st storage) Backend(name cache.Name) (cache.Backend, error) {
	return st.s.Cache(st.worker, name), nil
}

// Cache returns the cache name of the Worker worker.
func (s *Store) Cache(worker string, name cache.Name) *Cache {
	ns := strconv.Itoa(len(worker)) + ":" + worker
	if name.Named {
		ns += "n" + strconv.Itoa(len(name.Name)) + ":" + name.Name + "/"
	} else {
		ns += "d/"
	}
	return &Cache{s: s, ns: ns}
}

// Cache is one cache of one Worker. It is safe for concurrent use.
type Cache struct {
	s  *Store
	ns string
}

var (
	_ cache.Backend = (*Cache)(nil)
	_ cache.Sweeper = (*Cache)(nil)
)

// blobID names a body file.
type blobID [16]byte

func newBlobID() blobID {
	var id blobID
	rand.Read(id[:])
	return id
}

func (id blobID) String() string { return hex.EncodeToString(id[:]) }

func (s *Store) blobPath(id blobID) string {
	h := id.String()
	return filepath.Join(s.dir, "blobs", h[:2], h)
}

// mkdirFor makes the fan-out directory of id once.
func (s *Store) mkdirFor(id blobID) error {
	d := id.String()[:2]
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.made[d] {
		return nil
	}
	if err := os.MkdirAll(filepath.Join(s.dir, "blobs", d), 0o755); err != nil {
		return err
	}
	s.made[d] = true
	return nil
}

func intentKey(id blobID) []byte    { return append([]byte(intentPrefix), id[:]...) }
func tombstoneKey(id blobID) []byte { return append([]byte(tombstonePrefix), id[:]...) }

func (c *Cache) entryKey(key string) []byte { return []byte(entryPrefix + c.ns + key) }

// expiryKey orders by expiry: the time in ms (big-endian, clamped at 0),
// then the body's ID.
func expiryKey(expires int64, id blobID) []byte {
	k := make([]byte, 0, len(expiryPrefix)+8+16)
	k = append(k, expiryPrefix...)
	k = binary.BigEndian.AppendUint64(k, uint64(max(expires, 0)))
	return append(k, id[:]...)
}

// update runs fn in a read-write transaction, retrying on conflicts.
func (s *Store) update(ctx context.Context, fn func(txn *badger.Txn) error) error {
	if s.closed.Load() {
		return errClosed
	}
	for i := 0; ; i++ {
		err := s.db.Update(fn)
		if !errors.Is(err, badger.ErrConflict) || i == maxConflictRetries {
			return err
		}
		if err := ctx.Err(); err != nil {
			return err
		}
		if i >= 8 {
			time.Sleep(time.Duration(mrand.IntN(100*min(i, 50))) * time.Microsecond)
		}
	}
}

// readRecord returns the entries stored under k (none when missing).
func readRecord(txn *badger.Txn, k []byte) ([]variant, error) {
	item, err := txn.Get(k)
	if errors.Is(err, badger.ErrKeyNotFound) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	var vs []variant
	err = item.Value(func(b []byte) error {
		var derr error
		vs, derr = decodeRecord(b)
		return derr
	})
	return vs, err
}

// writeRecord stores vs under k, or deletes k when vs is empty.
func writeRecord(txn *badger.Txn, k []byte, vs []variant) error {
	if len(vs) == 0 {
		return txn.Delete(k)
	}
	return txn.Set(k, encodeRecord(vs))
}

// drop removes v's expiry index entry and tombstones its body.
func drop(txn *badger.Txn, v variant) error {
	if err := txn.Delete(expiryKey(v.expires, v.blob)); err != nil {
		return err
	}
	return txn.Set(tombstoneKey(v.blob), nil)
}

// fresh reports whether v is fresh at now (ms).
func (v variant) fresh(now int64) bool { return now < v.expires }

// Get implements cache.Backend.
func (c *Cache) Get(ctx context.Context, key, want string) (cache.Entry, cache.Body, error) {
	if err := ctx.Err(); err != nil {
		return cache.Entry{}, nil, err
	}
	if c.s.closed.Load() {
		return cache.Entry{}, nil, errClosed
	}
	k := c.entryKey(key)
	for attempt := 0; ; attempt++ {
		var vs []variant
		if err := c.s.db.View(func(txn *badger.Txn) (err error) {
			vs, err = readRecord(txn, k)
			return err
		}); err != nil {
			return cache.Entry{}, nil, fmt.Errorf("diskcache: get: %w", err)
		}
		now := c.s.now().UnixMilli()
		v, ok := pick(vs, want, now)
		if !ok {
			if len(vs) > 0 && !allFresh(vs, now) {
				c.removeIf(ctx, k, func(v variant) bool { return !v.fresh(now) })
			}
			return cache.Entry{}, nil, cache.ErrNotFound
		}
		f, err := os.Open(c.s.blobPath(v.blob))
		if err == nil {
			if st, serr := f.Stat(); serr == nil && st.Size() == v.size {
				return v.entry(), f, nil
			}
			f.Close() // cut short by a power loss: never serve it
		} else if !errors.Is(err, fs.ErrNotExist) {
			return cache.Entry{}, nil, fmt.Errorf("diskcache: get: %w", err)
		} else if attempt < 2 {
			continue // replaced or deleted since the read: read again
		}
		c.s.log.Warn("cache body missing or cut short; removing its entry", "body", c.s.blobPath(v.blob))
		c.removeIf(ctx, k, func(o variant) bool { return o.blob == v.blob })
		return cache.Entry{}, nil, cache.ErrNotFound
	}
}

// pick returns the fresh entry for want: the one that does not vary, else
// the one for want.
func pick(vs []variant, want string, now int64) (variant, bool) {
	for _, name := range []string{"", want} {
		for _, v := range vs {
			if v.name == name && v.fresh(now) {
				return v, true
			}
		}
	}
	return variant{}, false
}

func allFresh(vs []variant, now int64) bool {
	for _, v := range vs {
		if !v.fresh(now) {
			return false
		}
	}
	return true
}

// removeIf removes key k's entries that gone reports, best effort: a
// failure leaves them for Sweep.
func (c *Cache) removeIf(ctx context.Context, k []byte, gone func(variant) bool) {
	var removed []variant
	err := c.s.update(ctx, func(txn *badger.Txn) error {
		removed = removed[:0]
		vs, err := readRecord(txn, k)
		if err != nil {
			return err
		}
		kept := vs[:0:0]
		for _, v := range vs {
			if !gone(v) {
				kept = append(kept, v)
				continue
			}
			if err := drop(txn, v); err != nil {
				return err
			}
			removed = append(removed, v)
		}
		if len(removed) == 0 {
			return nil
		}
		return writeRecord(txn, k, kept)
	})
	if err == nil {
		c.s.unlink(ctx, removed)
	}
}

// Delete implements cache.Backend.
func (c *Cache) Delete(ctx context.Context, key string) (bool, error) {
	if err := ctx.Err(); err != nil {
		return false, err
	}
	k := c.entryKey(key)
	var removed []variant
	var fresh bool
	err := c.s.update(ctx, func(txn *badger.Txn) error {
		vs, err := readRecord(txn, k)
		if err != nil || len(vs) == 0 {
			removed, fresh = nil, false
			return err
		}
		now := c.s.now().UnixMilli()
		fresh = false
		for _, v := range vs {
			fresh = fresh || v.fresh(now)
			if err := drop(txn, v); err != nil {
				return err
			}
		}
		removed = vs
		return txn.Delete(k)
	})
	if err != nil {
		return false, fmt.Errorf("diskcache: delete: %w", err)
	}
	c.s.unlink(ctx, removed)
	return fresh, nil
}

// Put implements cache.Backend: the body goes to a file that no entry
// names until Commit.
func (c *Cache) Put(ctx context.Context, key string, e cache.Entry) (cache.Writer, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	id := newBlobID()
	if err := c.s.update(ctx, func(txn *badger.Txn) error { return txn.Set(intentKey(id), nil) }); err != nil {
		return nil, fmt.Errorf("diskcache: put: %w", err)
	}
	w := &writer{c: c, key: key, id: id, v: fromEntry(e, id)}
	err := c.s.mkdirFor(id)
	if err == nil {
		w.f, err = os.OpenFile(c.s.blobPath(id), os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o644)
	}
	if err != nil {
		w.discard()
		return nil, fmt.Errorf("diskcache: put: %w", err)
	}
	w.bw = bufio.NewWriterSize(w.f, 64<<10)
	return w, nil
}

// writer is a put in progress.
type writer struct {
	c    *Cache
	key  string
	id   blobID
	v    variant
	f    *os.File
	bw   *bufio.Writer
	done bool
}

func (w *writer) Write(p []byte) (int, error) {
	if w.done {
		return 0, errors.New("diskcache: write after the put ended")
	}
	n, err := w.bw.Write(p)
	w.v.size += int64(n)
	return n, err
}

// Commit makes the entry visible in one transaction: it replaces what
// the new entry replaces (and any expired entry of the key), tombstones
// their bodies, indexes the expiry and deletes the intent.
func (w *writer) Commit(ctx context.Context) error {
	if w.done {
		return errors.New("diskcache: commit after the put ended")
	}
	w.done = true
	err := w.bw.Flush()
	if cerr := w.f.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = ctx.Err()
	}
	if err != nil {
		w.discard()
		return fmt.Errorf("diskcache: put: %w", err)
	}
	k := w.c.entryKey(w.key)
	var removed []variant
	err = w.c.s.update(ctx, func(txn *badger.Txn) error {
		removed = removed[:0]
		vs, err := readRecord(txn, k)
		if err != nil {
			return err
		}
		now := w.c.s.now().UnixMilli()
		kept := make([]variant, 0, len(vs)+1)
		for _, v := range vs {
			if w.v.name == "" || v.name == "" || v.name == w.v.name || !v.fresh(now) {
				if err := drop(txn, v); err != nil {
					return err
				}
				removed = append(removed, v)
				continue
			}
			kept = append(kept, v)
		}
		kept = append(kept, w.v)
		if err := txn.Set(expiryKey(w.v.expires, w.id), k[len(entryPrefix):]); err != nil {
			return err
		}
		if err := txn.Delete(intentKey(w.id)); err != nil {
			return err
		}
		return writeRecord(txn, k, kept)
	})
	if err != nil {
		w.discard()
		return fmt.Errorf("diskcache: put: %w", err)
	}
	w.c.s.unlink(ctx, removed)
	return nil
}

// Abort discards an unfinished put.
func (w *writer) Abort() {
	if w.done {
		return
	}
	w.done = true
	w.f.Close()
	w.discard()
}

// discard unlinks the body and then its intent, best effort: what fails
// is left for the next Open.
func (w *writer) discard() {
	s := w.c.s
	if err := os.Remove(s.blobPath(w.id)); err != nil && !errors.Is(err, fs.ErrNotExist) {
		s.log.Warn("cache: remove a discarded body", "err", err)
		return
	}
	s.update(context.Background(), func(txn *badger.Txn) error { return txn.Delete(intentKey(w.id)) })
}

// unlink removes the bodies of removed entries, then their tombstones,
// best effort: what fails is left for Sweep and Open.
func (s *Store) unlink(ctx context.Context, removed []variant) {
	if len(removed) == 0 {
		return
	}
	done := make([]blobID, 0, len(removed))
	for _, v := range removed {
		if err := os.Remove(s.blobPath(v.blob)); err != nil && !errors.Is(err, fs.ErrNotExist) {
			s.log.Warn("cache: unlink a body", "err", err)
			continue
		}
		done = append(done, v.blob)
	}
	s.update(ctx, func(txn *badger.Txn) error {
		for _, id := range done {
			if err := txn.Delete(tombstoneKey(id)); err != nil {
				return err
			}
		}
		return nil
	})
}

// unlinkAll unlinks the body of every key under p (intents or
// tombstones) and deletes the keys.
func (s *Store) unlinkAll(ctx context.Context, p string) error {
	for {
		var ids []blobID
		err := s.db.View(func(txn *badger.Txn) error {
			it := txn.NewIterator(badger.IteratorOptions{Prefix: []byte(p)})
			defer it.Close()
			for it.Rewind(); it.Valid() && len(ids) < sweepBatch; it.Next() {
				var id blobID
				copy(id[:], it.Item().Key()[len(p):])
				ids = append(ids, id)
			}
			return nil
		})
		if err != nil || len(ids) == 0 {
			return err
		}
		for _, id := range ids {
			if err := os.Remove(s.blobPath(id)); err != nil && !errors.Is(err, fs.ErrNotExist) {
				return err
			}
		}
		if err := s.update(ctx, func(txn *badger.Txn) error {
			for _, id := range ids {
				if err := txn.Delete(append([]byte(p), id[:]...)); err != nil {
					return err
				}
			}
			return nil
		}); err != nil {
			return err
		}
	}
}

// Sweep implements cache.Sweeper for every cache of the store.
func (c *Cache) Sweep(ctx context.Context) (int, error) { return c.s.Sweep(ctx) }

// Sweep removes every expired entry of every cache, oldest first, and the
// bodies an earlier failure left behind; it reports how many entries it
// removed. bindery dev runs it periodically.
func (s *Store) Sweep(ctx context.Context) (int, error) {
	n := 0
	for {
		if err := ctx.Err(); err != nil {
			return n, err
		}
		if s.closed.Load() {
			return n, errClosed
		}
		now := s.now().UnixMilli()
		type due struct {
			key, entry []byte
			id         blobID
		}
		var batch []due
		err := s.db.View(func(txn *badger.Txn) error {
			it := txn.NewIterator(badger.IteratorOptions{Prefix: []byte(expiryPrefix), PrefetchValues: true})
			defer it.Close()
			for it.Rewind(); it.Valid() && len(batch) < sweepBatch; it.Next() {
				k := it.Item().KeyCopy(nil)
				if int64(binary.BigEndian.Uint64(k[len(expiryPrefix):])) > now {
					break
				}
				v, err := it.Item().ValueCopy(nil)
				if err != nil {
					return err
				}
				d := due{key: k, entry: append([]byte(entryPrefix), v...)}
				copy(d.id[:], k[len(expiryPrefix)+8:])
				batch = append(batch, d)
			}
			return nil
		})
		if err != nil {
			return n, fmt.Errorf("diskcache: sweep: %w", err)
		}
		if len(batch) == 0 {
			break
		}
		var removed []variant
		err = s.update(ctx, func(txn *badger.Txn) error {
			removed = removed[:0]
			for _, d := range batch {
				vs, err := readRecord(txn, d.entry)
				if err != nil {
					return err
				}
				kept := vs[:0:0]
				for _, v := range vs {
					if v.blob == d.id && !v.fresh(now) {
						removed = append(removed, v)
						continue
					}
					kept = append(kept, v)
				}
				if err := txn.Delete(d.key); err != nil {
					return err
				}
				if len(kept) == len(vs) {
					continue // the index outlived its entry
				}
				if err := txn.Set(tombstoneKey(d.id), nil); err != nil {
					return err
				}
				if err := writeRecord(txn, d.entry, kept); err != nil {
					return err
				}
			}
			return nil
		})
		if err != nil {
			return n, fmt.Errorf("diskcache: sweep: %w", err)
		}
		s.unlink(ctx, removed)
		n += len(removed)
	}
	if err := s.unlinkAll(ctx, tombstonePrefix); err != nil {
		return n, fmt.Errorf("diskcache: sweep: %w", err)
	}
	return n, nil
}

// variant is one stored entry of a key, as the record holds it.
type variant struct {
	name    string // cache.Entry.Variant
	status  int
	header  cache.Header
	size    int64
	blob    blobID
	stored  int64 // ms
	expires int64 // ms
}

func fromEntry(e cache.Entry, id blobID) variant {
	return variant{name: e.Variant, status: e.Status, header: e.Header, blob: id, stored: e.Stored.UnixMilli(), expires: e.Expires.UnixMilli()}
}

func (v variant) entry() cache.Entry {
	return cache.Entry{Status: v.status, Header: v.header, Size: v.size, Stored: time.UnixMilli(v.stored), Expires: time.UnixMilli(v.expires), Variant: v.name}
}

// recordVersion is the first byte of a record.
const recordVersion = 1

// encodeRecord writes a key's entries: the version byte, their count, and
// for each its variant, status, header fields, size, body ID, stored and
// expires (ms), lengths and numbers as varints.
func encodeRecord(vs []variant) []byte {
	b := []byte{recordVersion}
	b = binary.AppendUvarint(b, uint64(len(vs)))
	str := func(s []byte) { b = binary.AppendUvarint(b, uint64(len(s))); b = append(b, s...) }
	for _, v := range vs {
		str([]byte(v.name))
		b = binary.AppendUvarint(b, uint64(v.status))
		b = binary.AppendUvarint(b, uint64(len(v.header)))
		for _, f := range v.header {
			str([]byte(f.Name))
			str(f.Value)
		}
		b = binary.AppendUvarint(b, uint64(v.size))
		b = append(b, v.blob[:]...)
		b = binary.AppendVarint(b, v.stored)
		b = binary.AppendVarint(b, v.expires)
	}
	return b
}

// errCorrupt is a record that does not decode.
var errCorrupt = errors.New("diskcache: corrupt index record")

// decodeRecord reverses encodeRecord; the result does not share b.
func decodeRecord(b []byte) ([]variant, error) {
	if len(b) == 0 || b[0] != recordVersion {
		return nil, errCorrupt
	}
	d := decoder{b: b[1:]}
	vs := make([]variant, d.count())
	for i := range vs {
		v := &vs[i]
		v.name = string(d.bytes())
		v.status = int(d.uvarint())
		v.header = make(cache.Header, d.count())
		for j := range v.header {
			v.header[j] = cache.Field{Name: string(d.bytes()), Value: d.bytes()}
		}
		v.size = int64(d.uvarint())
		copy(v.blob[:], d.take(len(v.blob)))
		v.stored = d.varint()
		v.expires = d.varint()
	}
	if d.bad {
		return nil, errCorrupt
	}
	return vs, nil
}

// decoder reads a record; once it runs out of bytes it reads zeros and
// sets bad.
type decoder struct {
	b   []byte
	bad bool
}

func (d *decoder) uvarint() uint64 {
	v, n := binary.Uvarint(d.b)
	if n <= 0 {
		d.bad, d.b = true, nil
		return 0
	}
	d.b = d.b[n:]
	return v
}

func (d *decoder) varint() int64 {
	v, n := binary.Varint(d.b)
	if n <= 0 {
		d.bad, d.b = true, nil
		return 0
	}
	d.b = d.b[n:]
	return v
}

// count reads a count of items, each at least a byte long.
func (d *decoder) count() int {
	n := d.uvarint()
	if n > uint64(len(d.b)) {
		d.bad, d.b = true, nil
		return 0
	}
	return int(n)
}

func (d *decoder) take(n int) []byte {
	if n > len(d.b) {
		d.bad, d.b = true, nil
		return nil
	}
	out := bytes.Clone(d.b[:n])
	d.b = d.b[n:]
	return out
}

func (d *decoder) bytes() []byte { return d.take(d.count()) }
