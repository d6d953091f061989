package cache

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"time"

	"github.com/bindery-run/bindery/abi"
	"github.com/bindery-run/bindery/abi/stream"
	"github.com/bindery-run/bindery/bindings/cache/cachewit"
)

// WIT returns the host side of bindery:cache/cache for a host.Runtime. A
// Worker granted no cache binding gets caches that store nothing (as
// Cloudflare's workers.dev and Playground previews do): put reports false,
// match finds nothing, delete reports false.
func WIT() abi.Interface {
	return abi.Interface{Name: cachewit.CacheInterface, Define: cachewit.DefineCache, Deny: NewBinding(nil, Options{})}
}

// Name names one of a Worker's caches. The zero Name is the default cache
// (caches.default); a named cache (caches.open(name)) has Named set, so
// the name "" is a cache of its own, as in workerd.
type Name struct {
	Named bool
	Name  string
}

// String returns the name as the JS API spells it: "default" or
// open("name").
func (n Name) String() string {
	if !n.Named {
		return "default"
	}
	return fmt.Sprintf("open(%q)", n.Name)
}

// Storage holds the caches of one Worker.
type Storage interface {
	// Backend returns the backend of the cache name, which exists from
	// its first put on.
	Backend(name Name) (Backend, error)
}

// Options configures a Binding. The zero value is Cloudflare's limits
// and the wall clock.
type Options struct {
	// Limits bounds what the caches store; zero fields take the defaults.
	Limits Limits
	// Now is the clock of freshness (nil for time.Now); give the backends
	// the same clock.
	Now func() time.Time
}

// Binding is one Worker's caches: the default one and every name it opens.
// It satisfies host.Binding and is safe for concurrent use.
type Binding struct {
	s Storage
	o Options
}

// NewBinding serves the caches of s; a nil s serves caches that store
// nothing.
func NewBinding(s Storage, o Options) *Binding {
	o.Limits = o.Limits.withDefaults()
	return &Binding{s: s, o: o}
}

// WIT returns the host side of the interface the binding implements.
func (b *Binding) WIT() abi.Interface { return WIT() }

// Open returns the cache name: nil, and no error, for a binding without
// storage (whose caches store nothing). A name over Limits.MaxNameBytes
// is an error wrapping ErrInvalidArgument.
func (b *Binding) Open(name Name) (*Namespace, error) {
	if len(name.Name) > b.o.Limits.MaxNameBytes {
		return nil, fmt.Errorf("%w: Cache name is too long (%d bytes, the limit is %d).", ErrInvalidArgument, len(name.Name), b.o.Limits.MaxNameBytes)
	}
	if b.s == nil {
		return nil, nil
	}
	be, err := b.s.Backend(name)
	if err != nil {
		return nil, fmt.Errorf("cache: open %s: %w", name, err)
	}
	return NewNamespace(be, b.o.Limits, b.o.Now), nil
}

// CacheOpen implements [static]cache.open.
func (b *Binding) CacheOpen(ctx context.Context, name abi.Option[string]) (cachewit.Cache, *cachewit.Error) {
	ns, err := b.Open(Name{Named: name.Some, Name: name.Value})
	if err != nil {
		return nil, witError(err)
	}
	return cacheHandle{ns}, nil
}

var _ cachewit.CacheHost = (*Binding)(nil)

// cacheHandle is the representation of a cache resource; a nil ns stores
// nothing.
type cacheHandle struct{ ns *Namespace }

var _ cachewit.Cache = cacheHandle{}

func fromWITHeader(fs cachewit.Fields) Header {
	h := make(Header, len(fs))
	for i, f := range fs {
		h[i] = Field{Name: f.F0, Value: f.F1}
	}
	return h
}

func toWITHeader(h Header) cachewit.Fields {
	fs := make(cachewit.Fields, len(h))
	for i, f := range h {
		fs[i] = abi.Tuple2[string, []byte]{F0: f.Name, F1: f.Value}
	}
	return fs
}

func fromWITRequest(r cachewit.Request) Request {
	return Request{Method: r.Method, URL: r.URL, Header: fromWITHeader(r.Headers)}
}

func fromWITHead(r cachewit.ResponseHead) ResponseHead {
	return ResponseHead{Status: int(r.Status), Header: fromWITHeader(r.Headers)}
}

// Put implements [method]cache.put. A stream body is dropped once read.
func (h cacheHandle) Put(ctx context.Context, req cachewit.Request, resp cachewit.ResponseHead, body cachewit.Body) (bool, *cachewit.Error) {
	var r io.Reader = bytes.NewReader(body.Bytes)
	if body.Tag == cachewit.BodyStream {
		if d, ok := body.Stream.(abi.Dropper); ok {
			defer d.Drop(ctx)
		}
		r = stream.Reader(ctx, body.Stream)
	}
	if h.ns == nil {
		return false, nil
	}
	ok, err := h.ns.Put(ctx, fromWITRequest(req), fromWITHead(resp), r)
	return ok, witError(err)
}

// PutWriter implements [method]cache.put-writer.
func (h cacheHandle) PutWriter(ctx context.Context, req cachewit.Request, resp cachewit.ResponseHead) (abi.Option[cachewit.BodyWriter], *cachewit.Error) {
	if h.ns == nil {
		return abi.Option[cachewit.BodyWriter]{}, nil
	}
	w, err := h.ns.PutWriter(ctx, fromWITRequest(req), fromWITHead(resp))
	if err != nil || w == nil {
		return abi.Option[cachewit.BodyWriter]{}, witError(err)
	}
	bw := &bodyWriter{w: w}
	// A writer the guest neither finishes nor drops is discarded when its
	// request ends, so its file never outlives the request.
	bw.stop = context.AfterFunc(ctx, w.Abort)
	return abi.Some[cachewit.BodyWriter](bw), nil
}

// Match implements [method]cache.match.
func (h cacheHandle) Match(ctx context.Context, req cachewit.Request, o cachewit.QueryOptions) (abi.Option[cachewit.Response], *cachewit.Error) {
	if h.ns == nil {
		return abi.Option[cachewit.Response]{}, nil
	}
	r, err := h.ns.Match(ctx, fromWITRequest(req), QueryOptions{IgnoreMethod: o.IgnoreMethod})
	if err != nil || r == nil {
		return abi.Option[cachewit.Response]{}, witError(err)
	}
	out := cachewit.Response{Status: uint16(r.Status), Headers: toWITHeader(r.Header)}
	if r.Body != nil {
		out.Body = abi.Some(stream.FromReadCloser(ctx, r.Body))
	}
	return abi.Some(out), nil
}

// Delete implements [method]cache.delete.
func (h cacheHandle) Delete(ctx context.Context, req cachewit.Request, o cachewit.QueryOptions) (bool, *cachewit.Error) {
	if h.ns == nil {
		return false, nil
	}
	ok, err := h.ns.Delete(ctx, fromWITRequest(req), QueryOptions{IgnoreMethod: o.IgnoreMethod})
	return ok, witError(err)
}

// bodyWriter is the representation of a body-writer resource.
type bodyWriter struct {
	w    *PutWriter
	stop func() bool
}

var _ cachewit.BodyWriter = (*bodyWriter)(nil)

// Write implements [method]body-writer.write.
func (b *bodyWriter) Write(ctx context.Context, p []byte) *cachewit.Error {
	_, err := b.w.Write(p)
	return witError(err)
}

// Finish implements [method]body-writer.finish.
func (b *bodyWriter) Finish(ctx context.Context) *cachewit.Error {
	b.stop()
	return witError(b.w.Commit(ctx))
}

// Drop discards an unfinished put.
func (b *bodyWriter) Drop(ctx context.Context) {
	b.stop()
	b.w.Abort()
}

// witCases maps each error sentinel to its case of the WIT error variant
// and that case's message field.
var witCases = []struct {
	target error
	tag    cachewit.ErrorTag
	field  func(*cachewit.Error) *string
}{
	{ErrRefused, cachewit.ErrorRefused, func(e *cachewit.Error) *string { return &e.Refused }},
	{ErrInvalidKey, cachewit.ErrorInvalidKey, func(e *cachewit.Error) *string { return &e.InvalidKey }},
	{ErrInvalidArgument, cachewit.ErrorInvalidArgument, func(e *cachewit.Error) *string { return &e.InvalidArgument }},
	{ErrTooLarge, cachewit.ErrorTooLarge, func(e *cachewit.Error) *string { return &e.TooLarge }},
	{ErrBody, cachewit.ErrorBody, func(e *cachewit.Error) *string { return &e.Body }},
	{errWriterDone, cachewit.ErrorBody, func(e *cachewit.Error) *string { return &e.Body }},
}

// witError maps a Go error onto the WIT error variant: the one place where
// cache errors cross to the guest. A refusal's message is workerd's
// TypeError message alone, which an SDK shows as it is.
func witError(err error) *cachewit.Error {
	if err == nil {
		return nil
	}
	for _, c := range witCases {
		if errors.Is(err, c.target) {
			e := &cachewit.Error{Tag: c.tag}
			*c.field(e) = err.Error()
			if c.target == ErrRefused || c.target == ErrInvalidArgument || c.target == ErrInvalidKey {
				*c.field(e) = trimSentinel(err, c.target)
			}
			return e
		}
	}
	return &cachewit.Error{Tag: cachewit.ErrorInternal, Internal: err.Error()}
}

// trimSentinel is err's message without the sentinel's own text in front
// ("cache: refused: " + the TypeError message).
func trimSentinel(err, sentinel error) string {
	msg, prefix := err.Error(), sentinel.Error()+": "
	if len(msg) > len(prefix) && msg[:len(prefix)] == prefix {
		return msg[len(prefix):]
	}
	return msg
}
