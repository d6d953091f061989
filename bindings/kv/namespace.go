package kv

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"strconv"
	"time"
	"unicode/utf8"
)

// Namespace is one Workers KV namespace as a Worker sees it: it enforces
// every Workers KV rule and limit (key syntax, sizes, metadata JSON,
// expirations, list paging, bulk get) on top of any [Backend], so backends
// only store bytes.
//
// # Notes
//
// A Namespace is safe for concurrent use when its Backend is, which every
// Backend must be. All arguments are validated before the backend is
// called; a rejected call returns an error wrapping one of the sentinels in
// errors.go and never panics. Byte slices passed in may be reused by the
// caller after the call returns, and byte slices returned belong to the
// caller.
type Namespace struct {
	b   Backend
	l   Limits // with defaults applied
	now func() time.Time
}

// NewNamespace returns a Namespace that stores its keys in b and enforces l
// (zero fields take the Cloudflare defaults, see [Limits]). now is the clock
// used to compute and check expirations; nil means time.Now. Give b the same
// clock.
func NewNamespace(b Backend, l Limits, now func() time.Time) *Namespace {
	if now == nil {
		now = time.Now
	}
	return &Namespace{b: b, l: l.withDefaults(), now: now}
}

// Limits returns the limits the namespace enforces, with defaults applied.
// A disabled limit is reported as [NoLimit].
func (n *Namespace) Limits() Limits { return n.l }

// PutOptions are the optional arguments of [Namespace.Put], as in the
// Workers KV put(key, value, {expiration, expirationTtl, metadata}).
//
// When both ExpirationTTL and Expiration are set, ExpirationTTL wins and
// Expiration is ignored (apart from being rejected when negative). That is
// what Miniflare, Cloudflare's local simulator, does; the Workers runtime
// documents no rule for the combination.
type PutOptions struct {
	// Expiration is the absolute expiry time in unix seconds; 0 means none.
	// It must be at least MinExpirationTTL (60 s) in the future.
	Expiration int64
	// ExpirationTTL is the time to live in seconds from now; 0 means none.
	// It must be at least MinExpirationTTL (60 s).
	ExpirationTTL int64
	// Metadata is JSON text stored with the key, or nil for none. It must be
	// valid JSON of at most MaxMetadataBytes (1024) bytes.
	Metadata []byte
}

// Value is a value with its metadata, as returned by getWithMetadata.
type Value struct {
	// Value is the stored bytes.
	Value []byte
	// Metadata is the JSON text stored with the key, or nil for none.
	Metadata []byte
}

// Get returns the value stored under key. found is false, with a nil error,
// when the key is missing or expired.
func (n *Namespace) Get(ctx context.Context, key string) (value []byte, found bool, err error) {
	v, found, err := n.GetWithMetadata(ctx, key)
	return v.Value, found, err
}

// GetWithMetadata returns the value and metadata stored under key. found is
// false, with a nil error, when the key is missing or expired.
func (n *Namespace) GetWithMetadata(ctx context.Context, key string) (Value, bool, error) {
	if err := n.checkKey(key); err != nil {
		return Value{}, false, err
	}
	return n.get(ctx, key)
}

// get fetches an already validated key.
func (n *Namespace) get(ctx context.Context, key string) (Value, bool, error) {
	e, err := n.b.Get(ctx, key)
	if errors.Is(err, ErrNotFound) {
		return Value{}, false, nil
	}
	if err != nil {
		return Value{}, false, backendErr("get", key, err)
	}
	if n.expired(e.Expiration) {
		return Value{}, false, nil
	}
	if e.Value == nil {
		e.Value = []byte{} // found: never nil, so callers may test v != nil
	}
	return Value{Value: e.Value, Metadata: e.Metadata}, true, nil
}

// GetMany is the bulk get: it returns one result per key, in the order of
// keys, with nil for a key that is missing or expired. A key may appear more
// than once. It needs between 1 and MaxBulkGet (100) keys, otherwise it
// returns an error wrapping ErrInvalidArgument (no keys) or ErrTooLarge, and
// it fails with ErrTooLarge when the values total more than MaxBulkGetBytes
// (25 MiB).
func (n *Namespace) GetMany(ctx context.Context, keys []string) ([]*Value, error) {
	if len(keys) == 0 {
		return nil, fmt.Errorf("%w: bulk get needs at least 1 key", ErrInvalidArgument)
	}
	if exceeds(len(keys), n.l.MaxBulkGet) {
		return nil, fmt.Errorf("%w: bulk get of %d keys, the limit is %d", ErrTooLarge, len(keys), n.l.MaxBulkGet)
	}
	for _, k := range keys {
		if err := n.checkKey(k); err != nil {
			return nil, err
		}
	}
	out := make([]*Value, len(keys))
	total := 0
	for i, k := range keys {
		v, found, err := n.get(ctx, k)
		if err != nil {
			return nil, err
		}
		if !found {
			continue
		}
		total += len(v.Value)
		if exceeds(total, n.l.MaxBulkGetBytes) {
			return nil, fmt.Errorf("%w: bulk get values total at least %d bytes, the limit is %d", ErrTooLarge, total, n.l.MaxBulkGetBytes)
		}
		out[i] = &v
	}
	return out, nil
}

// Put stores value under key with the options in o, replacing any previous
// value, metadata and expiration.
func (n *Namespace) Put(ctx context.Context, key string, value []byte, o PutOptions) error {
	if err := n.checkKey(key); err != nil {
		return err
	}
	if exceeds(len(value), n.l.MaxValueBytes) {
		return fmt.Errorf("%w: value for key %s is %d bytes, the limit is %d", ErrTooLarge, quoteShort(key), len(value), n.l.MaxValueBytes)
	}
	if o.Metadata != nil {
		if exceeds(len(o.Metadata), n.l.MaxMetadataBytes) {
			return fmt.Errorf("%w: metadata for key %s is %d bytes, the limit is %d", ErrTooLarge, quoteShort(key), len(o.Metadata), n.l.MaxMetadataBytes)
		}
		if !json.Valid(o.Metadata) {
			return fmt.Errorf("%w: metadata for key %s is not valid JSON", ErrInvalidArgument, quoteShort(key))
		}
	}
	exp, err := n.expiration(o)
	if err != nil {
		return err
	}
	if err := n.b.Put(ctx, key, Entry{Value: value, Metadata: o.Metadata, Expiration: exp}); err != nil {
		return backendErr("put", key, err)
	}
	return nil
}

// Delete removes key. Deleting a missing key is not an error.
func (n *Namespace) Delete(ctx context.Context, key string) error {
	if err := n.checkKey(key); err != nil {
		return err
	}
	if err := n.b.Delete(ctx, key); err != nil {
		return backendErr("delete", key, err)
	}
	return nil
}

// List returns one page of unexpired keys in byte order. A Limit of 0 means
// 1000 (or MaxListLimit if that is lower); a negative Limit or one above
// MaxListLimit is an error wrapping ErrInvalidArgument. A prefix that is not
// valid UTF-8 or longer than MaxKeyBytes wraps ErrInvalidKey, and a cursor
// not returned by an earlier List wraps ErrInvalidArgument. A page may hold
// fewer than Limit keys even when Complete is false.
func (n *Namespace) List(ctx context.Context, o ListOptions) (ListResult, error) {
	limit := o.Limit
	switch {
	case limit < 0:
		return ListResult{}, fmt.Errorf("%w: list limit %d is negative", ErrInvalidArgument, limit)
	case limit == 0:
		limit = DefaultMaxListLimit
		if n.l.MaxListLimit >= 0 && n.l.MaxListLimit < limit {
			limit = n.l.MaxListLimit
		}
	case exceeds(limit, n.l.MaxListLimit):
		return ListResult{}, fmt.Errorf("%w: list limit %d is over the maximum of %d", ErrInvalidArgument, limit, n.l.MaxListLimit)
	}
	if !utf8.ValidString(o.Prefix) {
		return ListResult{}, fmt.Errorf("%w: list prefix %s is not valid UTF-8", ErrInvalidKey, quoteShort(o.Prefix))
	}
	if exceeds(len(o.Prefix), n.l.MaxKeyBytes) {
		return ListResult{}, fmt.Errorf("%w: list prefix %s is %d bytes, the limit is %d", ErrInvalidKey, quoteShort(o.Prefix), len(o.Prefix), n.l.MaxKeyBytes)
	}
	res, err := n.b.List(ctx, ListOptions{Prefix: o.Prefix, Limit: limit, Cursor: o.Cursor})
	if err != nil {
		return ListResult{}, backendErr("list", "", err)
	}
	keys := res.Keys[:0] // the backend's slice is ours to reuse
	for _, k := range res.Keys {
		if !n.expired(k.Expiration) {
			keys = append(keys, k)
		}
	}
	if keys == nil {
		keys = []KeyInfo{}
	}
	res.Keys = keys
	if res.Complete {
		res.Cursor = ""
	}
	return res, nil
}

// checkKey applies the Workers KV key rules.
func (n *Namespace) checkKey(key string) error {
	switch {
	case key == "":
		return fmt.Errorf("%w: key is empty", ErrInvalidKey)
	case key == "." || key == "..":
		return fmt.Errorf("%w: key %q is not allowed", ErrInvalidKey, key)
	case !utf8.ValidString(key):
		return fmt.Errorf("%w: key %s is not valid UTF-8", ErrInvalidKey, quoteShort(key))
	case exceeds(len(key), n.l.MaxKeyBytes):
		return fmt.Errorf("%w: key %s is %d bytes, the limit is %d", ErrInvalidKey, quoteShort(key), len(key), n.l.MaxKeyBytes)
	}
	return nil
}

// expiration computes the absolute expiration of a put, in unix seconds.
// See PutOptions for the rules.
func (n *Namespace) expiration(o PutOptions) (int64, error) {
	if o.ExpirationTTL < 0 {
		return 0, fmt.Errorf("%w: expirationTtl %d is negative", ErrInvalidArgument, o.ExpirationTTL)
	}
	if o.Expiration < 0 {
		return 0, fmt.Errorf("%w: expiration %d is negative", ErrInvalidArgument, o.Expiration)
	}
	now := n.now().Unix()
	minTTL := int64(1)
	if n.l.MinExpirationTTL > 0 {
		minTTL = int64(math.Ceil(n.l.MinExpirationTTL.Seconds()))
	}
	switch {
	case o.ExpirationTTL > 0:
		if o.ExpirationTTL < minTTL {
			return 0, fmt.Errorf("%w: expirationTtl is %d s, the minimum is %d s", ErrInvalidArgument, o.ExpirationTTL, minTTL)
		}
		if o.ExpirationTTL > math.MaxInt64-now {
			return 0, fmt.Errorf("%w: expirationTtl %d s is too large", ErrInvalidArgument, o.ExpirationTTL)
		}
		return now + o.ExpirationTTL, nil
	case o.Expiration > 0:
		if o.Expiration <= now {
			return 0, fmt.Errorf("%w: expiration %d is not in the future (now is %d)", ErrInvalidArgument, o.Expiration, now)
		}
		if o.Expiration-now < minTTL {
			return 0, fmt.Errorf("%w: expiration %d is %d s in the future, the minimum is %d s", ErrInvalidArgument, o.Expiration, o.Expiration-now, minTTL)
		}
		return o.Expiration, nil
	}
	return 0, nil
}

// expired reports whether an absolute expiration has passed.
func (n *Namespace) expired(exp int64) bool {
	return exp != 0 && exp <= n.now().Unix()
}

// backendErr wraps an error from the backend with the operation and key,
// unless it already carries one of the validation sentinels, whose message
// says enough.
func backendErr(op, key string, err error) error {
	if errors.Is(err, ErrInvalidArgument) || errors.Is(err, ErrInvalidKey) || errors.Is(err, ErrTooLarge) {
		return err
	}
	if key == "" {
		return fmt.Errorf("kv: %s: %w", op, err)
	}
	return fmt.Errorf("kv: %s %s: %w", op, quoteShort(key), err)
}

// maxQuoted is how many bytes of a key an error message shows.
const maxQuoted = 64

// quoteShort quotes s for an error message, cut to maxQuoted bytes (on a
// rune boundary) with an ellipsis after the closing quote.
func quoteShort(s string) string {
	if len(s) <= maxQuoted {
		return strconv.Quote(s)
	}
	cut := maxQuoted
	for cut > 0 && !utf8.RuneStart(s[cut]) {
		cut--
	}
	return strconv.Quote(s[:cut]) + "…"
}
