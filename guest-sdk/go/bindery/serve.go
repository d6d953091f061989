//go:build wasip1

package bindery

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"runtime/debug"
	"strconv"
	"strings"
	"unsafe"

	"github.com/bindery-run/bindery/guest-sdk/go/internal/bridge"
	"github.com/bindery-run/bindery/guest-sdk/go/internal/cabi"
	"github.com/bindery-run/bindery/guest-sdk/go/internal/gcnet"
	"github.com/bindery-run/bindery/guest-sdk/go/internal/wit/httpwit"
	"github.com/bindery-run/bindery/guest-sdk/go/internal/wit/stream"
)

// bufferSize is how much of a response body the SDK buffers before it
// starts streaming: a response that fits is sent in one host call.
const bufferSize = 64 << 10

// gcCheckEvery is how many requests pass between two reads of the
// allocation counter (runtime/metrics costs ~3 µs in Wasm, ~12 µs when its
// code is cold, as it is under load), unless a request read or wrote a big
// body.
const gcCheckEvery = 256

var (
	handler http.Handler
	sinceGC int  // requests since the allocation counter was read
	bigBody bool // this request moved at least bufferSize bytes of body

	// Reused by every request: a handler must not use its ResponseWriter
	// after ServeHTTP returns, so its header map and buffer can be recycled.
	respHeader = http.Header{}
	respBuf    []byte
	respFields httpwit.Fields
)

// Serve makes h the Worker's fetch handler. Call it from an init function.
func Serve(h http.Handler) {
	handler = h
	httpwit.HandlerExports.Handle = handle
	httpwit.HandlerExports.PostHandle = afterRequest
}

// afterRequest runs after the host has read the response. In a reactor the
// Go GC's background workers never run between calls, so a cycle finishes
// only through later allocations (mark assists), and big garbage can
// outlive many requests; as a safety net the SDK collects once gcnet.Every
// bytes have been allocated, reading the counter every gcCheckEvery
// requests, or after any request that moved a big body.
func afterRequest() {
	cabi.ResetAll()
	if sinceGC++; sinceGC < gcCheckEvery && !bigBody {
		return
	}
	sinceGC, bigBody = 0, false
	gcnet.Check()
}

// exchange is what the SDK allocates for one request, in one allocation
// of at most 512 bytes (an allocation costs ~0.3 µs in Go-on-Wasm, more
// under load, and bigger objects take another allocator path): the
// *http.Request, its URL, its body and the backing array of the first
// header values. The ResponseWriter is reused instead (a handler must not
// use it after ServeHTTP returns).
type exchange struct {
	req  http.Request
	url  url.URL
	body bodyReader
	vals [3]string
	// w is the request's ResponseWriter: &resp, or its own when nested.
	w *responseWriter
}

// An exchange must stay within the small-object size classes (≤ 512 bytes).
var _ [512 - unsafe.Sizeof(exchange{})]byte

// resp is the ResponseWriter of the request in progress.
var resp responseWriter

// nesting counts the requests in progress: more than one when the host
// runs a request nested inside a host call of another (a Durable Object's
// event while another waits; docs/durable-objects.md). Only the outermost
// uses the shared resp, respBuf and respHeader.
var nesting int

func handle(req httpwit.Request, body stream.InputStream, out httpwit.ResponseOutparam) {
	serveWith(handler, req, body, out)
}

func init() {
	bridge.Serve = serveWith
	bridge.HostStream = hostStream
	bridge.NewBody = func(s stream.InputStream) io.ReadCloser { return &bodyReader{s: s} }
	bridge.SQLParams = func(args []any) (any, error) { return d1Params(args) }
	bridge.TakeOutparam = func(w http.ResponseWriter, move bool) (httpwit.ResponseOutparam, bool) {
		rw, ok := w.(*responseWriter)
		if !ok || rw.sent || rw.full || rw.failed {
			return 0, false
		}
		rw.full = true // answered through the outparam; finish sends nothing
		rw.moved = move
		return rw.out, true
	}
}

// serveWith runs handler on one request: the Worker's (handle) or a
// Durable Object's fetch event (package durable, through bridge.Serve).
func serveWith(handler http.Handler, req httpwit.Request, body stream.InputStream, out httpwit.ResponseOutparam) {
	x := new(exchange)
	x.body.s = body
	nesting++
	defer func() { nesting-- }()
	if nesting == 1 {
		x.w = &resp
		resp = responseWriter{out: out, buf: *bytes.NewBuffer(respBuf[:0])}
	} else {
		x.w = &responseWriter{out: out, nested: true}
	}
	resp := x.w
	defer x.done()
	if err := x.init(req); err != nil {
		resp.fail(http.StatusBadRequest, err.Error())
		return
	}
	if handler == nil {
		resp.fail(http.StatusInternalServerError, "no handler: call bindery.Serve in an init function")
		return
	}
	handler.ServeHTTP(resp, &x.req)
}

// done runs after the handler, even one that panicked: it sends the
// response and releases the request's body and outparam. A panic fails
// the request through the host (response-outparam.fail), which logs it
// once and answers 500, or aborts the response if it had started, so that
// the client never takes a truncated body for a complete one; with
// http.ErrAbortHandler it does so quietly, as net/http does.
func (x *exchange) done() {
	w := x.w
	if p := recover(); p != nil {
		w.failed = true
		if p != http.ErrAbortHandler {
			w.reason = panicReason(x, p)
		}
	}
	w.finish()
	x.body.Close()
	if !w.moved {
		w.out.Drop()
	}
	if b := w.buf.Bytes(); !w.nested && cap(b) <= bufferSize+bufferSize/2 {
		respBuf = b[:0]
	}
}

// maxPanicReason bounds what a panic sends to the host's log.
const maxPanicReason = 16 << 10

// panicReason is a panic's value and stack, as net/http logs them, cut
// to maxPanicReason bytes of valid UTF-8 (the only strings the host takes).
func panicReason(x *exchange, p any) string {
	s := fmt.Sprintf("panic serving %s %s: %v\n%s", x.req.Method, x.req.RequestURI, p, debug.Stack())
	if len(s) > maxPanicReason {
		s = s[:maxPanicReason] + "\n…"
	}
	return strings.ToValidUTF8(s, "\uFFFD")
}

// init fills x.req from the request head, as net/http's server would: the
// Host header becomes r.Host (and is not in r.Header), header names are
// canonical, and a GET or HEAD without a Content-Length has no body.
func (x *exchange) init(req httpwit.Request) error {
	requestURI, err := parseURL(&x.url, req.URL)
	if err != nil {
		return fmt.Errorf("bad request URL %q: %w", req.URL, err)
	}
	r := &x.req // fresh (zero), so field by field rather than a copy of a whole Request
	r.Method, r.URL, r.RequestURI, r.Host = req.Method, &x.url, requestURI, x.url.Host
	r.Proto, r.ProtoMajor, r.ProtoMinor = "HTTP/1.1", 1, 1
	r.Body = &x.body
	h := make(http.Header, len(req.Headers))
	r.Header = h
	// One backing array for every value, as net/textproto does. One map
	// operation per header (map operations are the dearest part of a
	// request in Wasm): a repeated name is found among the names before it.
	vals := x.vals[:]
	if len(req.Headers) > len(vals) {
		vals = make([]string, len(req.Headers))
	}
	var keyBuf [16]string
	keys := keyBuf[:0:min(len(req.Headers), len(keyBuf))]
	var contentLength string
	for i, f := range req.Headers {
		v := unsafe.String(unsafe.SliceData(f.F1), len(f.F1))
		var k string
		switch f.F0 {
		case "host":
			r.Host = v
			continue
		case "cf-connecting-ip":
			k = "Cf-Connecting-Ip"
			if r.RemoteAddr == "" {
				r.RemoteAddr = v
			}
		case "content-length":
			k = "Content-Length"
			if contentLength == "" {
				contentLength = v
			}
		default:
			k = canonicalKey(f.F0)
		}
		if seen(h, keys, k) {
			h[k] = append(h[k], v)
			continue
		}
		if len(keys) < cap(keys) {
			keys = append(keys, k)
		}
		vals[i] = v
		h[k] = vals[i : i+1 : i+1]
	}
	switch {
	case contentLength != "":
		n, err := strconv.ParseInt(contentLength, 10, 64)
		if err != nil || n < 0 {
			return fmt.Errorf("bad Content-Length %q", contentLength)
		}
		r.ContentLength = n
	case req.Method == http.MethodGet || req.Method == http.MethodHead:
		r.Body = http.NoBody
	default:
		r.ContentLength = -1
	}
	return nil
}

// seen reports whether h already has k. keys holds every distinct name
// added so far until it is full (16); then the map is asked.
func seen(h http.Header, keys []string, k string) bool {
	if len(keys) == cap(keys) {
		_, ok := h[k]
		return ok
	}
	for _, s := range keys {
		if s == k {
			return true
		}
	}
	return false
}

// bodyReader reads a request body from its host stream.
type bodyReader struct {
	s      stream.InputStream
	done   bool
	closed bool
}

func (b *bodyReader) Read(p []byte) (int, error) {
	if b.done || b.closed {
		return 0, io.EOF
	}
	if len(p) == 0 {
		return 0, nil
	}
	chunk, err := b.s.Read(uint32(min(len(p), 1<<20)))
	if len(chunk) >= bufferSize/4 {
		bigBody = true
	}
	if err != nil {
		b.done = true
		if err.Tag == stream.StreamErrorClosed {
			return 0, io.EOF
		}
		return 0, fmt.Errorf("read request body: %s", err.Failed)
	}
	return copy(p, chunk), nil
}

func (b *bodyReader) Close() error {
	if !b.closed {
		b.closed = true
		b.s.Drop()
	}
	return nil
}

// responseWriter buffers a response and sends it in one call when it fits,
// or streams it once it outgrows the buffer or the handler flushes.
type responseWriter struct {
	out    httpwit.ResponseOutparam
	header http.Header
	status int
	buf    bytes.Buffer
	stream stream.OutputStream
	sent   bool // headers sent (streaming)
	full   bool // whole response sent
	failed bool // the handler panicked
	reason string
	err    error
	// nested marks a nested request's writer, which owns its buffer and
	// header map instead of sharing respBuf and respHeader.
	nested bool
	// moved: the outparam's handle moved to the host (a forwarded web
	// socket), so it is not dropped.
	moved bool
}

// Header returns the response's header map: respHeader, emptied on first
// use, so a response without headers costs no map operation.
func (w *responseWriter) Header() http.Header {
	if w.header == nil && w.nested {
		w.header = http.Header{}
	}
	if w.header == nil {
		if len(respHeader) > 0 {
			clear(respHeader)
		}
		w.header = respHeader
	}
	return w.header
}

func (w *responseWriter) WriteHeader(status int) {
	if w.status == 0 {
		w.status = status
	}
}

func (w *responseWriter) Write(p []byte) (int, error) {
	if w.err != nil {
		return 0, w.err
	}
	if w.status == 0 {
		w.status = http.StatusOK
	}
	if !w.sent && w.buf.Len()+len(p) <= bufferSize {
		return w.buf.Write(p)
	}
	if !w.sent {
		if err := w.startStream(); err != nil {
			return 0, err
		}
	}
	if err := w.write(p); err != nil {
		return 0, err
	}
	return len(p), nil
}

// Flush sends the status, headers and buffered body now (http.Flusher).
func (w *responseWriter) Flush() {
	if w.err != nil || w.full {
		return
	}
	if !w.sent {
		if w.status == 0 {
			w.status = http.StatusOK
		}
		if w.startStream() != nil {
			return
		}
	}
	if err := w.stream.Flush(); err != nil {
		w.err = errors.New(err.Error())
	}
}

// fields lowers the response headers, and says whether they have a
// Content-Type (found here rather than by a map lookup, which costs as
// much as this whole loop for a few headers in Wasm). The values are passed
// without a copy: the host only reads them during the call.
func (w *responseWriter) fields() (fs httpwit.Fields, contentType bool) {
	fs = respFields[:0]
	if len(w.header) == 0 {
		return fs, false
	}
	for k, vs := range w.header {
		lk := lowerKey(k)
		contentType = contentType || lk == "content-type" // present, even empty, stops sniffing (as net/http)
		for _, v := range vs {
			fs = append(fs, cabi.Tuple2[string, []byte]{F0: lk, F1: unsafe.Slice(unsafe.StringData(v), len(v))})
		}
	}
	respFields = fs
	return fs, contentType
}

func (w *responseWriter) startStream() error {
	bigBody = true
	fs, _ := w.fields()
	s, err := w.out.Send(uint16(w.status), fs)
	if err != nil {
		w.err = fmt.Errorf("send response: %s", err.Error())
		return w.err
	}
	w.stream, w.sent = s, true
	if w.buf.Len() > 0 {
		b := w.buf.Bytes()
		w.buf.Reset()
		return w.write(b)
	}
	return nil
}

func (w *responseWriter) write(p []byte) error {
	for len(p) > 0 {
		n := min(len(p), 1<<20)
		if err := w.stream.Write(p[:n]); err != nil {
			w.err = fmt.Errorf("write response: %s", err.Error())
			return w.err
		}
		p = p[n:]
	}
	return nil
}

func (w *responseWriter) fail(status int, msg string) {
	if w.sent || w.full {
		return
	}
	w.header = http.Header{"Content-Type": {"text/plain; charset=utf-8"}}
	w.status = status
	w.buf.Reset()
	w.buf.WriteString(msg + "\n")
}

func (w *responseWriter) finish() {
	switch {
	case w.failed:
		w.out.Fail(w.reason)
		if w.sent {
			w.stream.Drop()
		}
	case w.full:
	case w.sent:
		w.stream.Drop()
	default:
		if w.status == 0 {
			w.status = http.StatusOK
		}
		fs, contentType := w.fields()
		if !contentType && w.buf.Len() > 0 {
			ct := http.DetectContentType(w.buf.Bytes())
			fs = append(fs, cabi.Tuple2[string, []byte]{F0: "content-type", F1: unsafe.Slice(unsafe.StringData(ct), len(ct))})
			respFields = fs
		}
		if err := w.out.SendFull(uint16(w.status), fs, w.buf.Bytes()); err != nil {
			fmt.Fprintf(os.Stderr, "send response: %s\n", err.Error())
		}
	}
	w.full = true
}
