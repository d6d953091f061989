package cache

import (
	"bytes"
	"context"
	"slices"
	"sync"
	"time"
)

// Memory is the in-memory reference [Backend], for tests and throwaway dev
// servers: one cache, lost with the process. Bodies are held whole, so it
// is not for large responses. It is safe for concurrent use.
type Memory struct {
	mu      sync.Mutex
	now     func() time.Time
	entries map[string][]memEntry // by key, one per variant
}

// memEntry is one stored response and its bytes.
type memEntry struct {
	Entry
	body []byte
}

// NewMemory returns an empty cache that checks expiry against now (nil for
// time.Now).
func NewMemory(now func() time.Time) *Memory {
	if now == nil {
		now = time.Now
	}
	return &Memory{now: now, entries: map[string][]memEntry{}}
}

var (
	_ Backend = (*Memory)(nil)
	_ Sweeper = (*Memory)(nil)
)

// Get implements [Backend].
func (m *Memory) Get(ctx context.Context, key, variant string) (Entry, Body, error) {
	if err := ctx.Err(); err != nil {
		return Entry{}, nil, err
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	now := m.now()
	for _, v := range []string{"", variant} {
		for _, e := range m.entries[key] {
			if e.Variant == v && now.Before(e.Expires) {
				return e.Entry, nopCloser{bytes.NewReader(e.body)}, nil
			}
		}
	}
	return Entry{}, nil, ErrNotFound
}

// Put implements [Backend].
func (m *Memory) Put(ctx context.Context, key string, e Entry) (Writer, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	e.Header = slices.Clone(e.Header)
	return &memWriter{m: m, key: key, e: e}, nil
}

// Delete implements [Backend].
func (m *Memory) Delete(ctx context.Context, key string) (bool, error) {
	if err := ctx.Err(); err != nil {
		return false, err
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	now := m.now()
	fresh := slices.ContainsFunc(m.entries[key], func(e memEntry) bool { return now.Before(e.Expires) })
	delete(m.entries, key)
	return fresh, nil
}

// Sweep removes the expired entries of every key.
func (m *Memory) Sweep(ctx context.Context) (int, error) {
	if err := ctx.Err(); err != nil {
		return 0, err
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	now := m.now()
	n := 0
	for k, es := range m.entries {
		kept := slices.DeleteFunc(es, func(e memEntry) bool { return !now.Before(e.Expires) })
		n += len(es) - len(kept)
		if len(kept) == 0 {
			delete(m.entries, k)
		} else {
			m.entries[k] = kept
		}
	}
	return n, nil
}

// Len returns the number of entries held, expired ones included until a
// Sweep.
func (m *Memory) Len() int {
	m.mu.Lock()
	defer m.mu.Unlock()
	n := 0
	for _, es := range m.entries {
		n += len(es)
	}
	return n
}

// memWriter buffers a put's body until Commit.
type memWriter struct {
	m    *Memory
	key  string
	e    Entry
	buf  bytes.Buffer
	done bool
}

func (w *memWriter) Write(p []byte) (int, error) { return w.buf.Write(p) }

func (w *memWriter) Commit(ctx context.Context) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	w.done = true
	w.e.Size = int64(w.buf.Len())
	m := w.m
	m.mu.Lock()
	defer m.mu.Unlock()
	kept := slices.DeleteFunc(m.entries[w.key], func(e memEntry) bool {
		return w.e.Variant == "" || e.Variant == "" || e.Variant == w.e.Variant
	})
	m.entries[w.key] = append(kept, memEntry{Entry: w.e, body: bytes.Clone(w.buf.Bytes())})
	return nil
}

func (w *memWriter) Abort() {
	if !w.done {
		w.done = true
		w.buf = bytes.Buffer{}
	}
}

// nopCloser is a stored body held in memory.
type nopCloser struct{ *bytes.Reader }

func (nopCloser) Close() error { return nil }

// MemoryStorage is a [Storage] of [Memory] caches: one Worker's caches,
// lost with the process. It is safe for concurrent use.
type MemoryStorage struct {
	mu     sync.Mutex
	now    func() time.Time
	caches map[Name]*Memory
}

// NewMemoryStorage returns an empty storage whose caches check expiry
// against now (nil for time.Now).
func NewMemoryStorage(now func() time.Time) *MemoryStorage {
	return &MemoryStorage{now: now, caches: map[Name]*Memory{}}
}

var _ Storage = (*MemoryStorage)(nil)

// Backend implements [Storage].
func (s *MemoryStorage) Backend(name Name) (Backend, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	m, ok := s.caches[name]
	if !ok {
		m = NewMemory(s.now)
		s.caches[name] = m
	}
	return m, nil
}
