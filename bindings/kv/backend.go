package kv

import (
	"context"
	"encoding/base64"
	"fmt"
	"unicode/utf8"
)

// Entry is one stored value together with its metadata and expiration.
type Entry struct {
	// Value is the stored bytes; it may be empty.
	Value []byte
	// Metadata is JSON text, or nil when the key has no metadata.
	Metadata []byte
	// Expiration is the absolute expiry time in unix seconds, or 0 for a key
	// that never expires. A key is expired once now >= Expiration.
	Expiration int64
}

// KeyInfo describes one key in a [ListResult].
type KeyInfo struct {
	// Name is the key.
	Name string
	// Expiration is the absolute expiry time in unix seconds, or 0.
	Expiration int64
	// Metadata is JSON text, or nil when the key has no metadata.
	Metadata []byte
}

// ListOptions selects the keys returned by List.
type ListOptions struct {
	// Prefix restricts the result to keys that start with it ("" = all).
	Prefix string
	// Limit is the maximum number of keys to return. [Namespace.List]
	// treats 0 as the default (1000); a [Backend] always receives a value
	// between 1 and the namespace's MaxListLimit.
	Limit int
	// Cursor continues a previous listing; "" starts from the beginning.
	// It is opaque: only a value returned in ListResult.Cursor is valid.
	Cursor string
}

// ListResult is one page of keys.
type ListResult struct {
	// Keys are in byte order of their names. Keys is never nil.
	Keys []KeyInfo
	// Complete reports that no keys follow this page.
	Complete bool
	// Cursor continues the listing when Complete is false; it is "" when
	// Complete is true.
	Cursor string
}

// Backend stores the keys of ONE namespace. [Namespace] validates every
// argument and enforces all Workers KV limits before it calls a Backend, so
// implementations only store and retrieve.
//
// # Notes
//
// Implementations must be safe for concurrent use. They must treat a key as
// missing once its Expiration has passed according to the clock injected
// into them (not the wall clock), so that tests with a fake clock see keys
// expire. Byte slices passed to Put and returned from Get and List must not
// be shared with the backend's own storage: the caller may modify them.
// Every method returns ctx.Err() (possibly wrapped) when ctx is done before
// the operation starts.
type Backend interface {
	// Get returns the entry stored under key, or an error wrapping
	// ErrNotFound if the key is missing or expired.
	Get(ctx context.Context, key string) (Entry, error)
	// Put stores e under key, replacing any previous entry (including its
	// metadata and expiration).
	Put(ctx context.Context, key string, e Entry) error
	// Delete removes key. Deleting a missing key is not an error.
	Delete(ctx context.Context, key string) error
	// List returns up to opts.Limit unexpired keys that start with
	// opts.Prefix, in byte order, after the position encoded in opts.Cursor.
	// A cursor the backend cannot decode yields an error wrapping
	// ErrInvalidArgument. EncodeCursor and DecodeCursor implement the
	// suggested cursor format.
	List(ctx context.Context, opts ListOptions) (ListResult, error)
}

// EncodeCursor returns the list cursor that continues after lastKey: the
// unpadded base64url encoding of the key. Backends that keep keys in byte
// order can resume from the successor lastKey+"\x00".
func EncodeCursor(lastKey string) string {
	return base64.RawURLEncoding.EncodeToString([]byte(lastKey))
}

// DecodeCursor reverses [EncodeCursor]. The empty cursor decodes to "" (start
// from the beginning). A cursor that is not valid base64url, or that does not
// decode to a non-empty UTF-8 key, yields an error wrapping
// ErrInvalidArgument.
func DecodeCursor(cursor string) (string, error) {
	if cursor == "" {
		return "", nil
	}
	b, err := base64.RawURLEncoding.DecodeString(cursor)
	if err != nil || len(b) == 0 || !utf8.Valid(b) {
		return "", fmt.Errorf("%w: list cursor %s was not returned by a list call", ErrInvalidArgument, quoteShort(cursor))
	}
	return string(b), nil
}
