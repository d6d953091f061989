//go:build wasip1

package bindery

import (
	"encoding/json"
	"fmt"
	"math"
	"time"
	"unicode/utf8"

	"github.com/bindery-run/bindery/guest-sdk/go/internal/cabi"
	"github.com/bindery-run/bindery/guest-sdk/go/internal/wit/kvwit"
)

// KVError is an error from a KV operation; it matches one of the Err
// values above with errors.Is.
type KVError struct {
	Kind    error
	Message string
}

// Error returns the host's message, which names the key and the limit.
func (e *KVError) Error() string {
	if e.Message == "" {
		return e.Kind.Error()
	}
	return e.Message
}

// Unwrap returns the kind.
func (e *KVError) Unwrap() error { return e.Kind }

func kvErr(e *kvwit.Error) error {
	if e == nil {
		return nil
	}
	switch e.Tag {
	case kvwit.ErrorNoSuchNamespace:
		return &KVError{ErrNoSuchNamespace, e.NoSuchNamespace}
	case kvwit.ErrorInvalidKey:
		return &KVError{ErrInvalidKey, e.InvalidKey}
	case kvwit.ErrorTooLarge:
		return &KVError{ErrTooLarge, e.TooLarge}
	case kvwit.ErrorInvalidArgument:
		return &KVError{ErrInvalidArgument, e.InvalidArgument}
	}
	return &KVError{ErrInternal, e.Internal}
}

// KVNamespace is a Workers KV namespace bound in the Worker's config.
type KVNamespace struct {
	name string
	h    kvwit.Namespace
}

// namespaces are the opened KV bindings: a Worker has a few, and a scan
// of a few names is cheaper than a map lookup in Go-on-Wasm.
var namespaces []*KVNamespace

// KV opens the KV binding name (e.g. "CACHE"); the handle is cached for the
// life of the instance. A name the config does not grant is an error
// matching ErrNoSuchNamespace.
func KV(name string) (*KVNamespace, error) {
	for _, ns := range namespaces {
		if ns.name == name {
			return ns, nil
		}
	}
	if bad, ok := badUTF8(name); ok {
		return nil, &KVError{ErrNoSuchNamespace, fmt.Sprintf("kv: binding name %q is not valid UTF-8", bad)}
	}
	h, err := kvwit.NamespaceOpen(name)
	if err != nil {
		return nil, fmt.Errorf("open KV binding %q: %w", name, kvErr(err))
	}
	ns := &KVNamespace{name: name, h: h}
	namespaces = append(namespaces, ns)
	return ns, nil
}

// Get returns the value of key, or an error matching ErrNotFound.
func (n *KVNamespace) Get(key string) ([]byte, error) {
	if err := checkKey(key); err != nil {
		return nil, err
	}
	v, err := n.h.Get(key)
	if err != nil {
		return nil, kvErr(err)
	}
	if !v.Some {
		return nil, ErrNotFound
	}
	return v.Value, nil
}

// Value is a value with its metadata.
type Value struct {
	// Value is the stored bytes.
	Value []byte
	// Metadata is the key's metadata as JSON, or nil.
	Metadata json.RawMessage
}

// GetWithMetadata returns the value of key and its metadata, or an error
// matching ErrNotFound.
func (n *KVNamespace) GetWithMetadata(key string) (Value, error) {
	if err := checkKey(key); err != nil {
		return Value{}, err
	}
	v, err := n.h.GetWithMetadata(key)
	if err != nil {
		return Value{}, kvErr(err)
	}
	if !v.Some {
		return Value{}, ErrNotFound
	}
	return fromWIT(v.Value), nil
}

func fromWIT(v kvwit.ValueWithMetadata) Value {
	out := Value{Value: v.Value}
	if v.Metadata.Some {
		out.Metadata = json.RawMessage(v.Metadata.Value)
	}
	return out
}

// GetMany returns the values of up to 100 keys in the order asked; a
// missing key's entry is nil.
func (n *KVNamespace) GetMany(keys []string) ([]*Value, error) {
	if err := checkKey(keys...); err != nil {
		return nil, err
	}
	vs, err := n.h.GetMany(keys)
	if err != nil {
		return nil, kvErr(err)
	}
	out := make([]*Value, len(vs))
	for i, v := range vs {
		if v.Some {
			val := fromWIT(v.Value)
			out[i] = &val
		}
	}
	return out, nil
}

// PutOptions are the options of Put. The zero value stores without expiry
// or metadata.
type PutOptions struct {
	// Expiration is when the key expires; zero means never.
	Expiration time.Time
	// ExpirationTTL is how long from now the key lives (at least 60 s).
	ExpirationTTL time.Duration
	// Metadata is stored with the key as JSON (at most 1024 bytes).
	Metadata any
}

// Put stores value under key. An expiration before 1970 or a negative
// TTL is an error matching ErrInvalidArgument.
func (n *KVNamespace) Put(key string, value []byte, o *PutOptions) error {
	if err := checkKey(key); err != nil {
		return err
	}
	var opts kvwit.PutOptions
	if o != nil {
		if !o.Expiration.IsZero() {
			if o.Expiration.Unix() < 0 {
				return &KVError{ErrInvalidArgument, fmt.Sprintf("kv: expiration %v is before 1970", o.Expiration)}
			}
			opts.Expiration = cabi.Option[uint64]{Some: true, Value: uint64(o.Expiration.Unix())}
		}
		if o.ExpirationTTL < 0 {
			return &KVError{ErrInvalidArgument, fmt.Sprintf("kv: expiration TTL %v is negative", o.ExpirationTTL)}
		}
		if o.ExpirationTTL != 0 {
			opts.ExpirationTTL = cabi.Option[uint64]{Some: true, Value: uint64(o.ExpirationTTL / time.Second)}
		}
		if o.Metadata != nil {
			b, err := json.Marshal(o.Metadata)
			if err != nil {
				return fmt.Errorf("%w: metadata is not JSON: %v", ErrInvalidArgument, err)
			}
			opts.Metadata = cabi.Option[string]{Some: true, Value: string(b)}
		}
	}
	return kvErr(n.h.Put(key, value, opts))
}

// Delete deletes key; deleting a missing key is not an error.
func (n *KVNamespace) Delete(key string) error {
	if err := checkKey(key); err != nil {
		return err
	}
	return kvErr(n.h.Delete(key))
}

// ListOptions are the options of List.
type ListOptions struct {
	// Prefix keeps only keys that start with it.
	Prefix string
	// Limit is the page size (default and maximum 1000).
	Limit int
	// Cursor continues from a previous page.
	Cursor string
}

// KeyInfo is one key of a list.
type KeyInfo struct {
	Name       string          `json:"name"`
	Expiration int64           `json:"expiration,omitempty"`
	Metadata   json.RawMessage `json:"metadata,omitempty"`
}

// ListResult is one page of keys, in the JSON shape of Workers KV.
type ListResult struct {
	Keys         []KeyInfo `json:"keys"`
	ListComplete bool      `json:"list_complete"`
	Cursor       string    `json:"cursor,omitempty"`
}

// List returns one page of keys in byte order. A negative Limit, or one
// over the host's maximum, is an error matching ErrInvalidArgument.
func (n *KVNamespace) List(o ListOptions) (ListResult, error) {
	if o.Limit < 0 || uint64(o.Limit) > math.MaxUint32 {
		return ListResult{}, &KVError{ErrInvalidArgument, fmt.Sprintf("kv: list limit %d is out of range (1 to 1000)", o.Limit)}
	}
	if bad, ok := badUTF8(o.Prefix, o.Cursor); ok {
		return ListResult{}, &KVError{ErrInvalidArgument, fmt.Sprintf("kv: list prefix or cursor %q is not valid UTF-8", bad)}
	}
	var opts kvwit.ListOptions
	if o.Prefix != "" {
		opts.Prefix = cabi.Option[string]{Some: true, Value: o.Prefix}
	}
	if o.Limit != 0 {
		opts.Limit = cabi.Option[uint32]{Some: true, Value: uint32(o.Limit)}
	}
	if o.Cursor != "" {
		opts.Cursor = cabi.Option[string]{Some: true, Value: o.Cursor}
	}
	r, err := n.h.ListKeys(opts)
	if err != nil {
		return ListResult{}, kvErr(err)
	}
	out := ListResult{Keys: make([]KeyInfo, len(r.Keys)), ListComplete: r.ListComplete, Cursor: r.Cursor.Value}
	for i, k := range r.Keys {
		out.Keys[i] = KeyInfo{Name: k.Name, Expiration: int64(k.Expiration.Value)}
		if k.Metadata.Some {
			out.Keys[i].Metadata = json.RawMessage(k.Metadata.Value)
		}
	}
	return out, nil
}

// badUTF8 returns the first of ss that is not valid UTF-8. Strings reach
// the host only as valid UTF-8 (the Canonical ABI's rule; the host traps on
// anything else, which ends the request and throws the instance away), so
// the SDK refuses such a string first with a typed error.
func badUTF8(ss ...string) (string, bool) {
	for _, s := range ss {
		if !utf8.ValidString(s) {
			return s, true
		}
	}
	return "", false
}

// checkKey refuses a key that could not cross to the host.
func checkKey(keys ...string) error {
	if bad, ok := badUTF8(keys...); ok {
		return &KVError{ErrInvalidKey, fmt.Sprintf("kv: key %q is not valid UTF-8", bad)}
	}
	return nil
}
