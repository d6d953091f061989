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
	"runtime"
	"runtime/debug"
	"runtime/metrics"
	"strconv"
	"strings"
	"unsafe"

	"github.com/bindery-run/bindery/guest-sdk/go/internal/cabi"
	"github.com/bindery-run/bindery/guest-sdk/go/internal/wit/httpwit"
	"github.com/bindery-run/bindery/guest-sdk/go/internal/wit/stream"
)

// bufferSize is how much of a response body the SDK buffers before it
// starts streaming: a response that fits is sent in one host call.
const bufferSize = 64 << 10

// gcEvery is how many bytes a Worker may allocate before the SDK collects
// garbage after a request.
const gcEvery = 16 << 20

// gcCheckEvery is how many requests pass between two reads of the
// allocation counter (runtime/metrics costs ~3 µs in Wasm, a tenth of a
// small request), unless a request read or wrote a big body.
const gcCheckEvery = 16

var (
	handler   http.Handler
	gcSample  = []metrics.Sample{{Name: "/gc/heap/allocs:bytes"}}
	lastAlloc uint64
	sinceGC   int  // requests since the allocation counter was read
	bigBody   bool // this request moved at least bufferSize bytes of body

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
// Go GC never gets to finish a cycle on its own (nothing yields to its
// workers between calls), so the SDK collects once gcEvery bytes have been
// allocated, reading the counter every gcCheckEvery requests, or after any
// request that moved a big body.
func afterRequest() {
	cabi.ResetAll()
	if sinceGC++; sinceGC < gcCheckEvery && !bigBody {
		return
	}
	sinceGC, bigBody = 0, false
	metrics.Read(gcSample)
	if a := gcSample[0].Value.Uint64(); a-lastAlloc > gcEvery {
		runtime.GC()
		lastAlloc = a
	}
}

func handle(req httpwit.Request, body stream.InputStream, out httpwit.ResponseOutparam) {
	defer out.Drop()
	rb := &bodyReader{s: body}
	defer rb.Close()
	clear(respHeader)
	w := &responseWriter{out: out, header: respHeader, buf: *bytes.NewBuffer(respBuf[:0])}
	defer func() {
		if b := w.buf.Bytes(); cap(b) <= bufferSize+bufferSize/2 {
			respBuf = b[:0]
		}
	}()
	r, err := newRequest(req, rb)
	if err != nil {
		w.fail(http.StatusBadRequest, err.Error())
		w.finish()
		return
	}
	func() {
		defer func() {
			if p := recover(); p != nil {
				if p == http.ErrAbortHandler {
					w.aborted = true
					return
				}
				fmt.Fprintf(os.Stderr, "panic serving %s %s: %v\n%s", r.Method, r.URL, p, debug.Stack())
				w.fail(http.StatusInternalServerError, "internal server error")
			}
		}()
		if handler == nil {
			w.fail(http.StatusInternalServerError, "no handler: call bindery.Serve in an init function")
			return
		}
		handler.ServeHTTP(w, r)
	}()
	w.finish()
}

func newRequest(req httpwit.Request, body io.ReadCloser) (*http.Request, error) {
	u, requestURI, err := parseURL(req.URL)
	if err != nil {
		return nil, fmt.Errorf("bad request URL %q: %w", req.URL, err)
	}
	h := make(http.Header, len(req.Headers))
	// One backing array for every value, as net/textproto does; the
	// generated glue copied each value into its own fresh slice, which
	// nothing else references, so it becomes the string without a copy.
	// One map operation per header (map operations are the dearest part of
	// a request in Wasm): a repeated name is found among the names before it.
	vals := make([]string, len(req.Headers))
	var keyBuf [16]string
	keys := keyBuf[:0:min(len(req.Headers), len(keyBuf))]
	var remoteAddr, contentLength string
	for i, f := range req.Headers {
		k := canonicalKey(f.F0)
		v := unsafe.String(unsafe.SliceData(f.F1), len(f.F1))
		switch k {
		case "Cf-Connecting-Ip":
			if remoteAddr == "" {
				remoteAddr = v
			}
		case "Content-Length":
			if contentLength == "" {
				contentLength = v
			}
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
	r := &http.Request{
		Method:     req.Method,
		URL:        u,
		Proto:      "HTTP/1.1",
		ProtoMajor: 1,
		ProtoMinor: 1,
		Header:     h,
		Body:       body,
		Host:       u.Host,
		RequestURI: requestURI,
		RemoteAddr: remoteAddr,
	}
	if cl := contentLength; cl != "" {
		n, err := strconv.ParseInt(cl, 10, 64)
		if err != nil || n < 0 {
			return nil, fmt.Errorf("bad Content-Length %q", cl)
		}
		r.ContentLength = n
	} else if req.Method == http.MethodGet || req.Method == http.MethodHead {
		r.Body = http.NoBody
	} else {
		r.ContentLength = -1
	}
	return r, nil
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
	out     httpwit.ResponseOutparam
	header  http.Header
	status  int
	buf     bytes.Buffer
	stream  stream.OutputStream
	sent    bool // headers sent (streaming)
	full    bool // whole response sent
	aborted bool
	err     error
}

func (w *responseWriter) Header() http.Header { return w.header }

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
	if w.aborted && !w.sent {
		w.fail(http.StatusInternalServerError, "handler aborted")
	}
	switch {
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

// parseURL splits the absolute URL the host sends ("scheme://host/path?query")
// and returns it with its request URI. The common case skips url.Parse,
// whose general machinery costs ~17 µs per request in Wasm (see
// docs/benchmarks.md); anything unusual (escapes, a fragment, userinfo)
// goes through url.Parse.
func parseURL(raw string) (*url.URL, string, error) {
	scheme, rest, ok := strings.Cut(raw, "://")
	slash := strings.IndexByte(rest, '/')
	if !ok || slash < 0 || strings.ContainsAny(rest, "%#") || strings.IndexByte(rest[:slash], '@') >= 0 {
		u, err := url.Parse(raw)
		if err != nil {
			return nil, "", err
		}
		return u, u.RequestURI(), nil
	}
	host, uri := rest[:slash], rest[slash:]
	path, query, _ := strings.Cut(uri, "?")
	return &url.URL{Scheme: scheme, Host: host, Path: path, RawQuery: query}, uri, nil
}
