package kv

import (
	"bytes"
	"context"
	"fmt"
	"slices"
	"strings"
	"sync"
	"time"
)

// Memory is the in-memory reference [Backend]: one namespace held in a map
// plus a sorted slice of key names, with expiry by an injected clock.
//
// # Notes
//
// Memory is safe for concurrent use. Reads share a read lock; writes take
// the write lock and cost O(n) in the number of keys (an insertion into the
// sorted slice), which is fine for development and tests. Expired entries
// are dropped lazily, when a Get or List comes across them. Nothing is
// persisted.
type Memory struct {
	now func() time.Time

	mu      sync.RWMutex
	entries map[string]Entry // owned copies
	names   []string         // keys of entries, sorted by byte order
}

var _ Backend = (*Memory)(nil)

// NewMemory returns an empty in-memory namespace that checks expirations
// against now; nil means time.Now.
func NewMemory(now func() time.Time) *Memory {
	if now == nil {
		now = time.Now
	}
	return &Memory{now: now, entries: make(map[string]Entry)}
}

// Get implements [Backend].
func (m *Memory) Get(ctx context.Context, key string) (Entry, error) {
	if err := ctx.Err(); err != nil {
		return Entry{}, err
	}
	now := m.now().Unix()
	m.mu.RLock()
	e, ok := m.entries[key]
	if ok && !isExpired(e.Expiration, now) {
		e = cloneEntry(e)
		m.mu.RUnlock()
		return e, nil
	}
	m.mu.RUnlock()
	if ok {
		m.purge([]string{key}, now)
	}
	return Entry{}, fmt.Errorf("kv: memory get %q: %w", key, ErrNotFound)
}

// Put implements [Backend].
func (m *Memory) Put(ctx context.Context, key string, e Entry) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	e = cloneEntry(e)
	m.mu.Lock()
	defer m.mu.Unlock()
	if _, ok := m.entries[key]; !ok {
		i, _ := slices.BinarySearch(m.names, key)
		m.names = slices.Insert(m.names, i, key)
	}
	m.entries[key] = e
	return nil
}

// Delete implements [Backend].
func (m *Memory) Delete(ctx context.Context, key string) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	m.deleteLocked(key)
	return nil
}

// List implements [Backend].
func (m *Memory) List(ctx context.Context, opts ListOptions) (ListResult, error) {
	if err := ctx.Err(); err != nil {
		return ListResult{}, err
	}
	after, err := DecodeCursor(opts.Cursor)
	if err != nil {
		return ListResult{}, err
	}
	limit := opts.Limit
	if limit <= 0 {
		limit = DefaultMaxListLimit
	}
	start := opts.Prefix
	if after != "" && after+"\x00" > start {
		start = after + "\x00" // the successor of after in byte order
	}
	now := m.now().Unix()
	res := ListResult{Keys: []KeyInfo{}, Complete: true}
	var expired []string

	m.mu.RLock()
	i, _ := slices.BinarySearch(m.names, start)
	for ; i < len(m.names) && strings.HasPrefix(m.names[i], opts.Prefix); i++ {
		name := m.names[i]
		e := m.entries[name]
		if isExpired(e.Expiration, now) {
			expired = append(expired, name)
			continue
		}
		if len(res.Keys) == limit {
			res.Complete = false
			res.Cursor = EncodeCursor(res.Keys[len(res.Keys)-1].Name)
			break
		}
		res.Keys = append(res.Keys, KeyInfo{Name: name, Expiration: e.Expiration, Metadata: bytes.Clone(e.Metadata)})
	}
	m.mu.RUnlock()

	if len(expired) > 0 {
		m.purge(expired, now)
	}
	return res, nil
}

// purge deletes the named entries that are still expired at now.
func (m *Memory) purge(names []string, now int64) {
	m.mu.Lock()
	defer m.mu.Unlock()
	for _, name := range names {
		if e, ok := m.entries[name]; ok && isExpired(e.Expiration, now) {
			m.deleteLocked(name)
		}
	}
}

// deleteLocked removes key; m.mu must be held for writing.
func (m *Memory) deleteLocked(key string) {
	if _, ok := m.entries[key]; !ok {
		return
	}
	delete(m.entries, key)
	if i, ok := slices.BinarySearch(m.names, key); ok {
		m.names = slices.Delete(m.names, i, i+1)
	}
}

// isExpired reports whether an absolute expiration (unix seconds, 0 =
// never) has passed at now.
func isExpired(exp, now int64) bool {
	return exp != 0 && exp <= now
}

// cloneEntry returns e with its own copies of the byte slices.
func cloneEntry(e Entry) Entry {
	e.Value = bytes.Clone(e.Value)
	e.Metadata = bytes.Clone(e.Metadata)
	return e
}
