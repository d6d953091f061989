package durable

import (
	"context"
	"errors"
	"fmt"
	"sync"

	"github.com/dgraph-io/badger/v4"
)

// KeyStore keeps each class's namespace key. Implementations are safe for
// concurrent use, and a key they return is durable: losing it would send
// every named object's requests to a new, empty object.
type KeyStore interface {
	// CreateKey stores key as class's key unless the class has one, and
	// returns the class's key (the one stored before, if any).
	CreateKey(ctx context.Context, class string, key Key) (Key, error)
	// RenameKey moves the key of class from to class to (a renamed
	// class keeps its ids). A from without a key is no error (the class
	// was never used); a to that has a key is ErrKeyExists.
	RenameKey(ctx context.Context, from, to string) error
	// DeleteKey removes class's key (a deleted class's ids go with its
	// objects). Deleting a missing key is no error.
	DeleteKey(ctx context.Context, class string) error
}

// ErrKeyExists is RenameKey's error when the new class name has a key.
var ErrKeyExists = errors.New("the new class name already has a key")

// NewMemoryKeys returns a KeyStore that keeps keys in memory: for tests,
// and hosts that keep no objects across restarts.
func NewMemoryKeys() KeyStore { return &memoryKeys{keys: map[string]Key{}} }

type memoryKeys struct {
	mu   sync.Mutex
	keys map[string]Key
}

func (m *memoryKeys) CreateKey(ctx context.Context, class string, key Key) (Key, error) {
	if err := ctx.Err(); err != nil {
		return Key{}, err
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	if k, ok := m.keys[class]; ok {
		return k, nil
	}
	m.keys[class] = key
	return key, nil
}

func (m *memoryKeys) RenameKey(ctx context.Context, from, to string) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	k, ok := m.keys[from]
	if !ok {
		return nil
	}
	if _, ok := m.keys[to]; ok {
		return fmt.Errorf("durable: rename the key of class %s to %s: %w", from, to, ErrKeyExists)
	}
	delete(m.keys, from)
	m.keys[to] = k
	return nil
}

func (m *memoryKeys) DeleteKey(ctx context.Context, class string) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	delete(m.keys, class)
	return nil
}

// badgerKeyPrefix is where the Badger KeyStore keeps the keys:
// "durable/keys/<class>".
const badgerKeyPrefix = "durable/keys/"

// maxConflictRetries bounds the retries of a transaction Badger aborts
// with ErrConflict (two classes created at once).
const maxConflictRetries = 10

// NewBadgerKeys returns a KeyStore in db, the data directory's Badger
// database (state.State.DB), under the prefix "durable/keys/". It syncs
// db after every change: db does not sync each write, and a key must
// survive a power loss.
func NewBadgerKeys(db *badger.DB) KeyStore { return badgerKeys{db: db} }

type badgerKeys struct{ db *badger.DB }

func badgerKey(class string) []byte { return []byte(badgerKeyPrefix + class) }

// update runs fn in a write transaction, retrying conflicts, then syncs.
func (b badgerKeys) update(ctx context.Context, fn func(txn *badger.Txn) error) error {
	var err error
	for range maxConflictRetries {
		if err = ctx.Err(); err != nil {
			return err
		}
		if err = b.db.Update(fn); !errors.Is(err, badger.ErrConflict) {
			break
		}
	}
	if err != nil {
		return err
	}
	return b.db.Sync()
}

// get reads class's key in txn; ok is false when it has none.
func get(txn *badger.Txn, class string) (k Key, ok bool, err error) {
	item, err := txn.Get(badgerKey(class))
	if errors.Is(err, badger.ErrKeyNotFound) {
		return Key{}, false, nil
	}
	if err != nil {
		return Key{}, false, err
	}
	v, err := item.ValueCopy(nil)
	if err != nil {
		return Key{}, false, err
	}
	if len(v) != KeySize {
		return Key{}, false, fmt.Errorf("the stored key of class %s is %d bytes, want %d", class, len(v), KeySize)
	}
	return Key(v), true, nil
}

func (b badgerKeys) CreateKey(ctx context.Context, class string, key Key) (Key, error) {
	var out Key
	err := b.update(ctx, func(txn *badger.Txn) error {
		k, ok, err := get(txn, class)
		if err != nil || ok {
			out = k
			return err
		}
		out = key
		return txn.Set(badgerKey(class), key[:])
	})
	if err != nil {
		return Key{}, fmt.Errorf("durable: key of class %s: %w", class, err)
	}
	return out, nil
}

func (b badgerKeys) RenameKey(ctx context.Context, from, to string) error {
	err := b.update(ctx, func(txn *badger.Txn) error {
		k, ok, err := get(txn, from)
		if err != nil || !ok {
			return err
		}
		if _, exists, err := get(txn, to); err != nil || exists {
			if exists {
				err = ErrKeyExists
			}
			return err
		}
		if err := txn.Set(badgerKey(to), k[:]); err != nil {
			return err
		}
		return txn.Delete(badgerKey(from))
	})
	if err != nil {
		return fmt.Errorf("durable: rename the key of class %s to %s: %w", from, to, err)
	}
	return nil
}

func (b badgerKeys) DeleteKey(ctx context.Context, class string) error {
	err := b.update(ctx, func(txn *badger.Txn) error { return txn.Delete(badgerKey(class)) })
	if err != nil {
		return fmt.Errorf("durable: delete the key of class %s: %w", class, err)
	}
	return nil
}
