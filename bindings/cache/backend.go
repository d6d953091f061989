package cache

import (
	"context"
	"io"
	"strings"
	"time"
)

// Field is one header field: its name, lower-case as on the WIT
// interface, and its value's bytes.
type Field struct {
	Name  string
	Value []byte
}

// Header is header fields in their order. Names compare without regard
// to case; values are kept byte for byte.
type Header []Field

// Get returns the first value of the field name, and whether there is one.
func (h Header) Get(name string) (string, bool) {
	for _, f := range h {
		if strings.EqualFold(f.Name, name) {
			return string(f.Value), true
		}
	}
	return "", false
}

// Values returns every value of the field name, in order.
func (h Header) Values(name string) []string {
	var vs []string
	for _, f := range h {
		if strings.EqualFold(f.Name, name) {
			vs = append(vs, string(f.Value))
		}
	}
	return vs
}

// Has reports whether the field name is present.
func (h Header) Has(name string) bool {
	_, ok := h.Get(name)
	return ok
}

// without returns h without the fields whose names drop reports, as a
// new slice (h is not changed).
func (h Header) without(drop func(name string) bool) Header {
	out := make(Header, 0, len(h))
	for _, f := range h {
		if !drop(strings.ToLower(f.Name)) {
			out = append(out, f)
		}
	}
	return out
}

// Entry is one stored response: what a [Backend] keeps beside the body.
type Entry struct {
	// Status is the response's status, 200 to 599.
	Status int
	// Header is the stored header fields (without Content-Length, which
	// the cache computes, and without the fields Cache-Control's private=
	// names).
	Header Header
	// Size is the body's length in bytes. Backend.Put ignores it (the
	// writer counts); Backend.Get reports it.
	Size int64
	// Stored is when the put began.
	Stored time.Time
	// Expires is when the entry stops being fresh: from then on it is
	// missing.
	Expires time.Time
	// Variant is "" for a response that does not vary, else the request's
	// Accept-Encoding it was stored for ("accept-encoding=" and the sorted
	// codings, see [Namespace]).
	Variant string
}

// Body is a stored body. ReadAt reads it at any offset, so a range needs
// no copy; Close releases it. A [Backend] whose bodies are files returns
// the *os.File, which lets a range reach a connection by sendfile.
type Body interface {
	io.ReaderAt
	io.Closer
}

// Writer is a put in progress: the body goes to Write, then Commit makes
// the entry visible, replacing what it replaces. Abort (or a failed
// Commit) leaves nothing behind; Abort after Commit does nothing.
type Writer interface {
	io.Writer
	// Commit stores the entry with the bytes written.
	Commit(ctx context.Context) error
	// Abort discards the bytes written.
	Abort()
}

// Backend stores the entries of ONE cache. [Namespace] applies every HTTP
// rule before it calls a Backend, so implementations only store, find
// and delete. A key holds at most one entry per variant:
//
//   - an entry with Variant "" (a response that does not vary) replaces
//     every entry of its key;
//   - an entry with any other Variant replaces its key's entry of that
//     Variant and its "" entry;
//   - Get(key, variant) returns the key's "" entry if it has a fresh one,
//     else its fresh entry of that variant.
//
// # Notes
//
// Implementations must be safe for concurrent use, and must treat an entry
// as missing from its Expires on according to the clock injected into them
// (not the wall clock), removing it then or later. Every method returns
// ctx.Err() (possibly wrapped) when ctx is done before it starts.
type Backend interface {
	// Get returns the fresh entry for key and variant and its body, or an
	// error wrapping ErrNotFound. The caller closes the body.
	Get(ctx context.Context, key, variant string) (Entry, Body, error)
	// Put starts storing e under key; the entry exists once the returned
	// Writer's Commit succeeds.
	Put(ctx context.Context, key string, e Entry) (Writer, error)
	// Delete removes every entry of key and reports whether one of them
	// was fresh.
	Delete(ctx context.Context, key string) (bool, error)
}

// A Sweeper removes expired entries ahead of the lookups that would find
// them, and reports how many it removed. A backend that shares its storage
// between caches may sweep all of them.
type Sweeper interface {
	Sweep(ctx context.Context) (int, error)
}
