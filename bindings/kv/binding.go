package kv

import (
	"context"
	"errors"
	"sort"

	"github.com/bindery-run/bindery/abi"
	"github.com/bindery-run/bindery/bindings/kv/kvwit"
)

// WIT returns the host side of bindery:kv/store for a host.Runtime.
func WIT() abi.Interface {
	return abi.Interface{Name: kvwit.StoreInterface, Define: kvwit.DefineStore, Deny: NewBinding(nil)}
}

// Binding is one Worker's KV grants: each binding name (e.g. "CACHE") maps
// to a namespace. A guest can open only the names granted here. It
// satisfies host.Binding and is safe for concurrent use.
type Binding struct {
	namespaces map[string]*Namespace
}

// NewBinding grants the namespaces by binding name.
func NewBinding(namespaces map[string]*Namespace) *Binding {
	return &Binding{namespaces: namespaces}
}

// WIT returns the host side of the interface the binding implements.
func (b *Binding) WIT() abi.Interface { return WIT() }

// Names returns the granted binding names, sorted.
func (b *Binding) Names() []string {
	names := make([]string, 0, len(b.namespaces))
	for n := range b.namespaces {
		names = append(names, n)
	}
	sort.Strings(names)
	return names
}

// NamespaceOpen implements [static]namespace.open.
func (b *Binding) NamespaceOpen(ctx context.Context, name string) (kvwit.Namespace, *kvwit.Error) {
	ns, ok := b.namespaces[name]
	if !ok {
		return nil, &kvwit.Error{Tag: kvwit.ErrorNoSuchNamespace, NoSuchNamespace: "no KV binding named " + name + " in the worker's config"}
	}
	return handle{ns}, nil
}

var _ kvwit.StoreHost = (*Binding)(nil)

// handle is the representation of an open namespace resource.
type handle struct{ ns *Namespace }

var _ kvwit.Namespace = handle{}

func (h handle) Get(ctx context.Context, key string) (abi.Option[[]byte], *kvwit.Error) {
	v, ok, err := h.ns.Get(ctx, key)
	if err != nil || !ok {
		return abi.Option[[]byte]{}, witError(err)
	}
	return abi.Some(v), nil
}

func (h handle) GetWithMetadata(ctx context.Context, key string) (abi.Option[kvwit.ValueWithMetadata], *kvwit.Error) {
	v, ok, err := h.ns.GetWithMetadata(ctx, key)
	if err != nil || !ok {
		return abi.Option[kvwit.ValueWithMetadata]{}, witError(err)
	}
	return abi.Some(toWIT(v)), nil
}

func toWIT(v Value) kvwit.ValueWithMetadata {
	out := kvwit.ValueWithMetadata{Value: v.Value}
	if v.Metadata != nil {
		out.Metadata = abi.Some(string(v.Metadata))
	}
	return out
}

func (h handle) GetMany(ctx context.Context, keys []string) ([]abi.Option[kvwit.ValueWithMetadata], *kvwit.Error) {
	vs, err := h.ns.GetMany(ctx, keys)
	if err != nil {
		return nil, witError(err)
	}
	out := make([]abi.Option[kvwit.ValueWithMetadata], len(vs))
	for i, v := range vs {
		if v != nil {
			out[i] = abi.Some(toWIT(*v))
		}
	}
	return out, nil
}

func (h handle) Put(ctx context.Context, key string, value []byte, o kvwit.PutOptions) *kvwit.Error {
	var opts PutOptions
	if o.Expiration.Some {
		opts.Expiration = clampInt64(o.Expiration.Value)
	}
	if o.ExpirationTTL.Some {
		opts.ExpirationTTL = clampInt64(o.ExpirationTTL.Value)
	}
	if o.Metadata.Some {
		opts.Metadata = []byte(o.Metadata.Value)
	}
	return witError(h.ns.Put(ctx, key, value, opts))
}

func clampInt64(v uint64) int64 {
	if v > 1<<62 {
		return 1 << 62
	}
	return int64(v)
}

func (h handle) Delete(ctx context.Context, key string) *kvwit.Error {
	return witError(h.ns.Delete(ctx, key))
}

func (h handle) ListKeys(ctx context.Context, o kvwit.ListOptions) (kvwit.ListResult, *kvwit.Error) {
	opts := ListOptions{Prefix: o.Prefix.Value, Cursor: o.Cursor.Value, Limit: int(o.Limit.Value)}
	if o.Limit.Some && o.Limit.Value == 0 {
		return kvwit.ListResult{}, &kvwit.Error{Tag: kvwit.ErrorInvalidArgument, InvalidArgument: "list limit must be at least 1"}
	}
	r, err := h.ns.List(ctx, opts)
	if err != nil {
		return kvwit.ListResult{}, witError(err)
	}
	out := kvwit.ListResult{Keys: make([]kvwit.KeyInfo, len(r.Keys)), ListComplete: r.Complete}
	if r.Cursor != "" {
		out.Cursor = abi.Some(r.Cursor)
	}
	for i, k := range r.Keys {
		out.Keys[i] = kvwit.KeyInfo{Name: k.Name}
		if k.Expiration != 0 {
			out.Keys[i].Expiration = abi.Some(uint64(k.Expiration))
		}
		if k.Metadata != nil {
			out.Keys[i].Metadata = abi.Some(string(k.Metadata))
		}
	}
	return out, nil
}

// witError maps a Go error onto the WIT error variant: the one place where
// KV errors cross to the guest.
func witError(err error) *kvwit.Error {
	if err == nil {
		return nil
	}
	msg := err.Error()
	switch {
	case errors.Is(err, ErrNoSuchNamespace):
		return &kvwit.Error{Tag: kvwit.ErrorNoSuchNamespace, NoSuchNamespace: msg}
	case errors.Is(err, ErrInvalidKey):
		return &kvwit.Error{Tag: kvwit.ErrorInvalidKey, InvalidKey: msg}
	case errors.Is(err, ErrTooLarge):
		return &kvwit.Error{Tag: kvwit.ErrorTooLarge, TooLarge: msg}
	case errors.Is(err, ErrInvalidArgument):
		return &kvwit.Error{Tag: kvwit.ErrorInvalidArgument, InvalidArgument: msg}
	}
	return &kvwit.Error{Tag: kvwit.ErrorInternal, Internal: msg}
}
