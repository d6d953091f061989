package cache

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"sync"
	"time"
	"unicode/utf8"
)

// Request is the request a response is stored for or looked up by. Its
// URL is the key, byte for byte: never parsed into parts, cleaned or
// normalised.
type Request struct {
	Method string
	URL    string
	Header Header
}

// ResponseHead is the status and header fields of a response to store.
type ResponseHead struct {
	Status int
	Header Header
}

// Response is a response from the cache. Body is nil for a 304 and a 416;
// otherwise the caller closes it. Body implements io.WriterTo, which
// sends a file's bytes to a connection by sendfile.
type Response struct {
	Status int
	Header Header
	Body   io.ReadCloser
}

// QueryOptions are the options of Match and Delete.
type QueryOptions struct {
	// IgnoreMethod treats the request as a GET whatever its method.
	IgnoreMethod bool
}

// Namespace is one cache of one Worker (caches.default, or
// caches.open(name)) with Cloudflare's semantics over a [Backend]. It is
// safe for concurrent use.
type Namespace struct {
	b   Backend
	l   Limits
	now func() time.Time
}

// NewNamespace returns the cache stored in b, with limits l (zero fields
// take the defaults) and the clock now (nil for time.Now); give b the same
// clock.
func NewNamespace(b Backend, l Limits, now func() time.Time) *Namespace {
	if now == nil {
		now = time.Now
	}
	return &Namespace{b: b, l: l.withDefaults(), now: now}
}

// checkKey refuses a key that is not an absolute URL (a scheme, "://" and
// a host) or is over the limit, without changing it.
func (n *Namespace) checkKey(key string) error {
	if len(key) > n.l.MaxKeyBytes {
		return fmt.Errorf("%w: the URL is %d bytes, the limit is %d", ErrInvalidKey, len(key), n.l.MaxKeyBytes)
	}
	if !absoluteURL(key) {
		return fmt.Errorf("%w: %.200q: Invalid URL. Cache API keys must be fully-qualified, valid URLs.", ErrInvalidKey, key)
	}
	return nil
}

// absoluteURL reports whether s is an absolute URL with an authority: a
// scheme (a letter, then letters, digits, "+", "-", "."), "://", a
// non-empty host, and no spaces or control characters anywhere. It checks
// only; a key is never rewritten.
func absoluteURL(s string) bool {
	if !utf8.ValidString(s) {
		return false
	}
	for i := 0; i < len(s); i++ {
		if s[i] <= ' ' || s[i] == 0x7f {
			return false
		}
	}
	i := 0
	for i < len(s) && (isAlpha(s[i]) || (i > 0 && (isDigit(s[i]) || s[i] == '+' || s[i] == '-' || s[i] == '.'))) {
		i++
	}
	if i == 0 || len(s) < i+3 || s[i:i+3] != "://" {
		return false
	}
	rest := s[i+3:]
	return rest != "" && rest[0] != '/' && rest[0] != '?' && rest[0] != '#'
}

func isAlpha(c byte) bool { return c|0x20 >= 'a' && c|0x20 <= 'z' }
func isDigit(c byte) bool { return c >= '0' && c <= '9' }

// Put stores resp with the bytes of body for req, replacing what req's URL
// held (for its Accept-Encoding, when resp varies on it). It reports false,
// without reading body, when HTTP's rules say not to store resp; errors
// wrap ErrRefused, ErrInvalidKey, ErrInvalidArgument, ErrTooLarge or
// ErrBody, and then nothing is stored.
func (n *Namespace) Put(ctx context.Context, req Request, resp ResponseHead, body io.Reader) (bool, error) {
	w, err := n.PutWriter(ctx, req, resp)
	if err != nil || w == nil {
		return false, err
	}
	buf := make([]byte, 64<<10)
	for {
		k, rerr := body.Read(buf)
		if k > 0 {
			if _, err := w.Write(buf[:k]); err != nil {
				w.Abort()
				return false, err
			}
		}
		if rerr == io.EOF {
			break
		}
		if rerr != nil {
			w.Abort()
			return false, fmt.Errorf("%w: %w", ErrBody, rerr)
		}
	}
	if err := w.Commit(ctx); err != nil {
		return false, err
	}
	return true, nil
}

// PutWriter is Put with the body written to the returned PutWriter. It
// returns a nil PutWriter and no error when resp is not to be stored.
func (n *Namespace) PutWriter(ctx context.Context, req Request, resp ResponseHead) (*PutWriter, error) {
	if err := n.checkKey(req.URL); err != nil {
		return nil, err
	}
	now := n.now()
	d, err := decide(now, req, resp, n.l)
	if err != nil || !d.store {
		return nil, err
	}
	w, err := n.b.Put(ctx, req.URL, Entry{Status: resp.Status, Header: d.header, Stored: now, Expires: now.Add(d.ttl), Variant: d.variant})
	if err != nil {
		return nil, fmt.Errorf("cache: put: %w", err)
	}
	return &PutWriter{w: w, max: n.l.MaxBodyBytes}, nil
}

// PutWriter is a put in progress. It is safe for concurrent use: an
// Abort when the request ends may race with a Write.
type PutWriter struct {
	mu   sync.Mutex
	w    Writer
	max  int64
	n    int64
	err  error // the first failure; every later call returns it
	done bool  // committed or aborted
}

// errWriterDone is the error of a write after Commit or Abort.
var errWriterDone = errors.New("cache: the put has ended")

// Write appends p to the body. Past the size limit it fails with
// ErrTooLarge and discards the put.
func (p *PutWriter) Write(b []byte) (int, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	switch {
	case p.err != nil:
		return 0, p.err
	case p.done:
		return 0, errWriterDone
	case p.n+int64(len(b)) > p.max:
		p.fail(fmt.Errorf("%w: the body is over %d bytes", ErrTooLarge, p.max))
		return 0, p.err
	}
	k, err := p.w.Write(b)
	p.n += int64(k)
	if err != nil {
		p.fail(fmt.Errorf("cache: put: %w", err))
		return k, p.err
	}
	return k, nil
}

// fail discards the put with err.
func (p *PutWriter) fail(err error) {
	p.err, p.done = err, true
	p.w.Abort()
}

// Commit stores the response.
func (p *PutWriter) Commit(ctx context.Context) error {
	p.mu.Lock()
	defer p.mu.Unlock()
	switch {
	case p.err != nil:
		return p.err
	case p.done:
		return errWriterDone
	}
	p.done = true
	if err := p.w.Commit(ctx); err != nil {
		p.err = fmt.Errorf("cache: put: %w", err)
		return p.err
	}
	return nil
}

// Abort discards the put, unless it was committed.
func (p *PutWriter) Abort() {
	p.mu.Lock()
	defer p.mu.Unlock()
	if !p.done {
		p.fail(errWriterDone)
	}
}

// Match returns the fresh response stored for req, answered as req's
// Range and conditional fields ask; nil when there is none, or when req
// is not a GET and o does not ignore the method.
func (n *Namespace) Match(ctx context.Context, req Request, o QueryOptions) (*Response, error) {
	if err := n.checkKey(req.URL); err != nil {
		return nil, err
	}
	if req.Method != http.MethodGet && !o.IgnoreMethod {
		return nil, nil
	}
	e, body, err := n.b.Get(ctx, req.URL, acceptEncodingVariant(req.Header))
	if errors.Is(err, ErrNotFound) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("cache: match: %w", err)
	}
	return answer(req, e, body), nil
}

// Delete deletes what req's URL holds (every variant) and reports whether
// a fresh response was there; false, deleting nothing, when req is not a
// GET and o does not ignore the method.
func (n *Namespace) Delete(ctx context.Context, req Request, o QueryOptions) (bool, error) {
	if err := n.checkKey(req.URL); err != nil {
		return false, err
	}
	if req.Method != http.MethodGet && !o.IgnoreMethod {
		return false, nil
	}
	ok, err := n.b.Delete(ctx, req.URL)
	if err != nil {
		return false, fmt.Errorf("cache: delete: %w", err)
	}
	return ok, nil
}
