package storage

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"strconv"
	"sync"

	"github.com/dgraph-io/badger/v4"
)

// objectsRoot is the prefix of every KV-backed object's keys in the
// shared Badger database.
const objectsRoot = "do/"

// ObjectPrefix is the Badger key prefix of the KV-backed object id of
// the namespace (its class's namespace key or name):
//
//	do/<len(namespace)>:<namespace>/<len(id)>:<id>/
//
// The lengths make the prefixes prefix-free, so no object's keys reach
// into another's. Each storage key k is the Badger key prefix‖k.
func ObjectPrefix(namespace, id string) []byte {
	p := make([]byte, 0, len(objectsRoot)+len(namespace)+len(id)+12)
	p = append(p, objectsRoot...)
	p = strconv.AppendInt(p, int64(len(namespace)), 10)
	p = append(p, ':')
	p = append(p, namespace...)
	p = append(p, '/')
	p = strconv.AppendInt(p, int64(len(id)), 10)
	p = append(p, ':')
	p = append(p, id...)
	return append(p, '/')
}

// NamespacePrefix is the Badger key prefix of every object of the
// namespace (badger.DB.DropPrefix on it deletes them all).
func NamespacePrefix(namespace string) []byte {
	p := []byte(objectsRoot)
	p = strconv.AppendInt(p, int64(len(namespace)), 10)
	p = append(p, ':')
	p = append(p, namespace...)
	return append(p, '/')
}

// maxConflictRetries bounds the retries of a call that Badger reports
// as conflicting (which a blind write never is; a safeguard).
const maxConflictRetries = 10

// deleteAllBatch is how many keys one transaction of DeleteAll deletes.
const deleteAllBatch = 1000

// Badger is the storage of one KV-backed object, kept in a shared
// Badger database under the object's prefix (ObjectPrefix). It
// implements Storage with Cloudflare's KV-backed limits. Its writes are
// as durable as the database's SyncWrites option makes them (Bindery's
// database survives the process being killed, not a power loss).
//
// A call's writes, or a transaction's, are one Badger transaction, so
// they must fit in one (Badger's MaxBatchSize and MaxBatchCount, about
// 10 MB with the default 64 MiB memtable, values of 1 MB or more
// counting only their pointer): a call or transaction that does not fit
// fails with a LimitError for LimitTransactionSize and writes nothing.
type Badger struct {
	db     *badger.DB
	prefix []byte
	mu     sync.Mutex
}

var _ Storage = (*Badger)(nil)

// NewBadger returns the storage of the object id of the namespace in
// db. The caller keeps db open while the storage is in use.
func NewBadger(db *badger.DB, namespace, id string) *Badger {
	return &Badger{db: db, prefix: ObjectPrefix(namespace, id)}
}

// Prefix is the object's Badger key prefix.
func (b *Badger) Prefix() []byte { return append([]byte(nil), b.prefix...) }

// Close does nothing: the database is the caller's.
func (b *Badger) Close() error { return nil }

func (b *Badger) key(k string) []byte {
	out := make([]byte, 0, len(b.prefix)+len(k))
	return append(append(out, b.prefix...), k...)
}

// Get returns the entries of the keys that exist, in key order, read
// from one snapshot.
func (b *Badger) Get(ctx context.Context, keys []string) ([]Entry, error) {
	if err := kvLimits.checkKeys(keys); err != nil {
		return nil, err
	}
	if err := ctx.Err(); err != nil {
		return nil, fmt.Errorf("durable object storage: %w", err)
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	var out []Entry
	err := b.db.View(func(txn *badger.Txn) error {
		var err error
		out, err = (&badgerOps{b: b, txn: txn}).get(keys)
		return err
	})
	return out, err
}

// Put stores the entries in one Badger transaction.
func (b *Badger) Put(ctx context.Context, entries []Entry) error {
	if err := kvLimits.checkEntries(entries); err != nil {
		return err
	}
	if len(entries) == 0 {
		return nil
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.update(ctx, func(o *badgerOps) error { return o.put(entries) })
}

// Delete deletes the keys in one Badger transaction and returns how
// many existed.
func (b *Badger) Delete(ctx context.Context, keys []string) (int, error) {
	if err := kvLimits.checkKeys(keys); err != nil {
		return 0, err
	}
	if len(keys) == 0 {
		return 0, nil
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	n := 0
	err := b.update(ctx, func(o *badgerOps) error {
		var err error
		n, err = o.delete(keys)
		return err
	})
	return n, err
}

// List returns the entries opts selects, read from one snapshot.
func (b *Badger) List(ctx context.Context, opts ListOptions) ([]Entry, error) {
	if _, err := compileRange(opts); err != nil {
		return nil, err
	}
	if err := ctx.Err(); err != nil {
		return nil, fmt.Errorf("durable object storage: %w", err)
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	var out []Entry
	err := b.db.View(func(txn *badger.Txn) error {
		var err error
		out, err = (&badgerOps{b: b, txn: txn}).list(ctx, opts)
		return err
	})
	return out, err
}

// DeleteAll deletes every key of the object and returns how many there
// were. It deletes them in transactions of deleteAllBatch keys, so, as
// on Cloudflare, a failure part way leaves part of the keys deleted.
func (b *Badger) DeleteAll(ctx context.Context) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	total := 0
	for {
		if err := ctx.Err(); err != nil {
			return total, fmt.Errorf("durable object storage: delete all: %w", err)
		}
		n := 0
		err := b.db.Update(func(txn *badger.Txn) error {
			it := txn.NewIterator(badger.IteratorOptions{Prefix: b.prefix})
			var keys [][]byte
			for it.Rewind(); it.Valid() && len(keys) < deleteAllBatch; it.Next() {
				keys = append(keys, it.Item().KeyCopy(nil))
			}
			it.Close()
			for _, k := range keys {
				if err := txn.Delete(k); err != nil {
					return err
				}
			}
			n = len(keys)
			return nil
		})
		if err != nil {
			return total, fmt.Errorf("durable object storage: delete all: %w", err)
		}
		total += n
		if n < deleteAllBatch {
			return total, nil
		}
	}
}

// Transaction runs fn in one Badger transaction, committed when fn
// returns nil.
func (b *Badger) Transaction(ctx context.Context, fn func(Tx) error) error {
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("durable object storage: %w", err)
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	txn := b.db.NewTransaction(true)
	defer txn.Discard()
	tx := &badgerTx{ops: &badgerOps{b: b, txn: txn, undo: new([]undoRecord)}}
	defer func() { tx.done = true }()
	err := fn(tx)
	tx.done = true
	if err != nil {
		return finish(err)
	}
	if err := txn.Commit(); err != nil {
		return b.wrap(fmt.Errorf("durable object storage: commit: %w", err))
	}
	return nil
}

// update runs fn in a Badger write transaction, retrying on a conflict.
func (b *Badger) update(ctx context.Context, fn func(*badgerOps) error) error {
	var err error
	for range maxConflictRetries {
		if err := ctx.Err(); err != nil {
			return fmt.Errorf("durable object storage: %w", err)
		}
		err = b.db.Update(func(txn *badger.Txn) error { return fn(&badgerOps{b: b, txn: txn}) })
		if !errors.Is(err, badger.ErrConflict) {
			break
		}
	}
	return b.wrap(err)
}

// wrap reports Badger's ErrTxnTooBig as a LimitError.
func (b *Badger) wrap(err error) error {
	if errors.Is(err, badger.ErrTxnTooBig) {
		return &LimitError{Limit: LimitTransactionSize, Max: b.db.MaxBatchSize()}
	}
	return err
}

// undoRecord is what a key held before a write in a transaction, so
// that a savepoint (or a failed call) can put it back.
type undoRecord struct {
	key     []byte
	value   []byte
	existed bool
}

// badgerOps are the KV calls on one Badger transaction. In a
// Transaction, undo collects what each write overwrote.
type badgerOps struct {
	b    *Badger
	txn  *badger.Txn
	undo *[]undoRecord // nil outside a Transaction
}

func (o *badgerOps) get(keys []string) ([]Entry, error) {
	var out []Entry
	for _, k := range uniqueSorted(keys) {
		item, err := o.txn.Get(o.b.key(k))
		if errors.Is(err, badger.ErrKeyNotFound) {
			continue
		}
		if err != nil {
			return nil, fmt.Errorf("durable object storage: get: %w", err)
		}
		v, err := item.ValueCopy(nil)
		if err != nil {
			return nil, fmt.Errorf("durable object storage: get: %w", err)
		}
		out = append(out, Entry{Key: k, Value: v})
	}
	return out, nil
}

// remember records what key holds before it is written.
func (o *badgerOps) remember(key []byte) error {
	if o.undo == nil {
		return nil
	}
	rec := undoRecord{key: key}
	item, err := o.txn.Get(key)
	switch {
	case errors.Is(err, badger.ErrKeyNotFound):
	case err != nil:
		return err
	default:
		if rec.value, err = item.ValueCopy(nil); err != nil {
			return err
		}
		rec.existed = true
	}
	*o.undo = append(*o.undo, rec)
	return nil
}

// rollbackTo undoes the writes recorded after mark, newest first.
func (o *badgerOps) rollbackTo(mark int) error {
	u := *o.undo
	for i := len(u) - 1; i >= mark; i-- {
		var err error
		if u[i].existed {
			err = o.txn.Set(u[i].key, u[i].value)
		} else {
			err = o.txn.Delete(u[i].key)
		}
		if err != nil {
			return fmt.Errorf("durable object storage: rollback: %w", err)
		}
	}
	*o.undo = u[:mark]
	return nil
}

// atomic runs one call's writes; in a Transaction, a failure undoes
// the call's writes that went through.
func (o *badgerOps) atomic(fn func() error) error {
	if o.undo == nil {
		return fn()
	}
	mark := len(*o.undo)
	if err := fn(); err != nil {
		if rerr := o.rollbackTo(mark); rerr != nil {
			return fmt.Errorf("%w (%v)", err, rerr)
		}
		return err
	}
	return nil
}

func (o *badgerOps) put(entries []Entry) error {
	return o.atomic(func() error {
		for _, e := range lastWins(entries) {
			k := o.b.key(e.Key)
			if err := o.remember(k); err != nil {
				return fmt.Errorf("durable object storage: put: %w", err)
			}
			v := append([]byte{}, e.Value...)
			if err := o.txn.Set(k, v); err != nil {
				return fmt.Errorf("durable object storage: put: %w", err)
			}
		}
		return nil
	})
}

func (o *badgerOps) delete(keys []string) (int, error) {
	n := 0
	err := o.atomic(func() error {
		for _, k := range uniqueSorted(keys) {
			bk := o.b.key(k)
			_, err := o.txn.Get(bk)
			if errors.Is(err, badger.ErrKeyNotFound) {
				continue
			}
			if err != nil {
				return fmt.Errorf("durable object storage: delete: %w", err)
			}
			if err := o.remember(bk); err != nil {
				return fmt.Errorf("durable object storage: delete: %w", err)
			}
			if err := o.txn.Delete(bk); err != nil {
				return fmt.Errorf("durable object storage: delete: %w", err)
			}
			n++
		}
		return nil
	})
	if err != nil {
		return 0, err
	}
	return n, nil
}

func (o *badgerOps) list(ctx context.Context, opts ListOptions) ([]Entry, error) {
	r, err := compileRange(opts)
	if err != nil || r.empty {
		return nil, err
	}
	p := o.b.prefix
	it := o.txn.NewIterator(badger.IteratorOptions{Prefix: p, Reverse: opts.Reverse})
	defer it.Close()
	var hi []byte
	if r.hi != nil {
		hi = o.b.key(*r.hi)
	}
	lo := o.b.key(r.lo)
	var out []Entry
	add := func(item *badger.Item) error {
		v, err := item.ValueCopy(nil)
		if err != nil {
			return fmt.Errorf("durable object storage: list: %w", err)
		}
		out = append(out, Entry{Key: string(item.Key()[len(p):]), Value: v})
		return nil
	}
	if !opts.Reverse {
		for it.Seek(lo); it.ValidForPrefix(p); it.Next() {
			k := it.Item().Key()
			if hi != nil && bytes.Compare(k, hi) >= 0 {
				break
			}
			if err := add(it.Item()); err != nil {
				return nil, err
			}
			if opts.Limit > 0 && len(out) == opts.Limit {
				break
			}
		}
		return out, ctx.Err()
	}
	seek := hi
	if seek == nil {
		seek, _ = prefixEndBytes(p) // p ends in '/', never all 0xff
	}
	// A reverse Seek finds the last key at or before seek.
	for it.Seek(seek); it.ValidForPrefix(p); it.Next() {
		k := it.Item().Key()
		if hi != nil && bytes.Compare(k, hi) >= 0 {
			continue
		}
		if bytes.Compare(k, lo) < 0 {
			break
		}
		if err := add(it.Item()); err != nil {
			return nil, err
		}
		if opts.Limit > 0 && len(out) == opts.Limit {
			break
		}
	}
	return out, ctx.Err()
}

func prefixEndBytes(p []byte) ([]byte, bool) {
	s, ok := prefixEnd(string(p))
	return []byte(s), ok
}

// badgerTx is a transaction of a KV-backed object.
type badgerTx struct {
	txState
	ops *badgerOps
}

var _ Tx = (*badgerTx)(nil)

// Get returns the entries of the keys that exist, in key order.
func (t *badgerTx) Get(ctx context.Context, keys []string) ([]Entry, error) {
	if err := t.enter(ctx); err != nil {
		return nil, err
	}
	if err := kvLimits.checkKeys(keys); err != nil {
		return nil, err
	}
	return t.ops.get(keys)
}

// Put stores the entries, all or none.
func (t *badgerTx) Put(ctx context.Context, entries []Entry) error {
	if err := t.enter(ctx); err != nil {
		return err
	}
	if err := kvLimits.checkEntries(entries); err != nil {
		return err
	}
	return t.ops.b.wrap(t.ops.put(entries))
}

// Delete deletes the keys, all or none, and returns how many existed.
func (t *badgerTx) Delete(ctx context.Context, keys []string) (int, error) {
	if err := t.enter(ctx); err != nil {
		return 0, err
	}
	if err := kvLimits.checkKeys(keys); err != nil {
		return 0, err
	}
	n, err := t.ops.delete(keys)
	return n, t.ops.b.wrap(err)
}

// List returns the entries opts selects, the transaction's own writes
// included.
func (t *badgerTx) List(ctx context.Context, opts ListOptions) ([]Entry, error) {
	if err := t.enter(ctx); err != nil {
		return nil, err
	}
	return t.ops.list(ctx, opts)
}

// Transaction runs fn in a nested transaction: when fn returns an
// error, the writes fn made are undone.
func (t *badgerTx) Transaction(ctx context.Context, fn func(Tx) error) error {
	if err := t.enter(ctx); err != nil {
		return err
	}
	mark := len(*t.ops.undo)
	inner := &badgerTx{ops: t.ops}
	finished := false
	defer func() {
		inner.done = true
		if !finished { // fn panicked: undo its writes as a savepoint would
			t.ops.rollbackTo(mark)
		}
	}()
	err := fn(inner)
	finished = true
	if err != nil {
		if rerr := t.ops.rollbackTo(mark); rerr != nil {
			return fmt.Errorf("%w (%v)", err, rerr)
		}
		return finish(err)
	}
	return nil
}

func (t *badgerTx) enter(ctx context.Context) error {
	if err := t.check(); err != nil {
		return err
	}
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("durable object storage: %w", err)
	}
	return nil
}
