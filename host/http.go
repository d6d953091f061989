package host

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"strings"
	"sync"
	"time"
	"unicode/utf8"
	"unsafe"

	"github.com/bindery-run/bindery/abi"
	"github.com/bindery-run/bindery/abi/stream"
	"github.com/bindery-run/bindery/host/internal/httpwit"
)

// maxBodyChunk bounds one read of a request body by the guest.
const maxBodyChunk = 1 << 20

// ServeHTTP runs the Worker's fetch handler on one request.
//
// The request's deadline (WorkerConfig.RequestTimeout, or the client going
// away) ends the guest wherever it is: running, sleeping, or waiting in a
// host call on the client (reading the body, writing the response). A
// failed request is logged once, with the reason and a bounded stack;
// the client gets a 500 without details, or, when the response had
// started, an aborted connection (http.ErrAbortHandler), never a body
// that looks complete.
func (w *Worker) ServeHTTP(rw http.ResponseWriter, r *http.Request) {
	g := w.g
	if !g.enter() {
		g.stats.failed.Add(1)
		http.Error(rw, "worker unavailable: it is shutting down", http.StatusServiceUnavailable)
		return
	}
	defer g.exit()
	g.stats.calls.Add(1)
	ctx, cancel := context.WithTimeout(r.Context(), g.timeout)
	defer cancel()
	inst, err := g.get(ctx)
	if err != nil {
		g.stats.failed.Add(1)
		g.log.Error("no instance for request", "method", r.Method, "path", r.URL.EscapedPath(), "err", err)
		msg := "worker unavailable: it could not start (see the log)"
		switch {
		case errors.Is(err, errStoppedByClose):
			msg = "worker unavailable: it is shutting down"
		case ctx.Err() != nil:
			msg = "worker unavailable: every instance stayed busy until the request's deadline"
		}
		http.Error(rw, msg, http.StatusServiceUnavailable)
		return
	}
	body := &requestBody{r: r.Body, inst: inst}
	out := &responseOut{rw: rw}
	ctx = abi.WithInstance(context.WithValue(ctx, clientKey{}, clientConn{rw: rw, r: r}), inst.abi)
	inst.stderr.hold()
	inst.cut = clientCut{rw: rw}
	inst.busy(cancel)
	if g.kill.Err() != nil { // Close is stopping every request
		inst.stop()
	}
	inst.arm(ctx, r.Context())
	err = inst.handler.Handle(ctx, inst.abi, requestHead(r), body, out)
	inst.busy(nil) // before disarm: a Close from now on finds no call here
	clean := inst.disarm()
	if !clean {
		// The instance is discarded below (poisoned), so a cut still on
		// its way can never touch a later request's connection.
		inst.cut.restore()
		// The guest's stop global is set, so the instance cannot serve
		// again; an error is the trap the stop raised: say why instead.
		if err != nil {
			err = errStopped(ctx)
		}
		inst.abi.Poison(fmt.Errorf("request ended at its deadline: %w", context.Cause(ctx)))
	}
	body.done, out.done = true, true
	if out.stream != nil {
		out.stream.done = true
	}
	inst.stdout.Flush()
	stderr := inst.stderr.release(err != nil || out.failed)
	switch {
	case err != nil:
		ce := g.callError(ctx, inst, err, !clean)
		inst.abi.Poison(ce)
		g.stats.failed.Add(1)
		w.logFailure(r, "request failed; instance discarded", describe(ctx, err), stderr, ce)
		g.put(inst)
		fail(rw, out, publicReason(ctx, err))
	case out.failed:
		if out.reason != "" || stderr != "" {
			w.logFailure(r, "request failed", g.mapText(boundLines(strings.Split(out.reason, "\n"), failHeadLines+16, failTailLines)), stderr, nil)
		}
		g.put(inst)
		fail(rw, out, "worker error: the Worker failed (see the log)")
	case !out.sent:
		g.log.Error("handler returned without a response", "method", r.Method, "path", r.URL.EscapedPath())
		g.put(inst)
		http.Error(rw, "worker error: the handler returned without a response", http.StatusInternalServerError)
	default:
		g.put(inst)
	}
}

// clientCut ends a guest's waits on the client (reading the request body,
// writing the response) when its call's context ends, by moving the
// connection's deadlines to now; restore lets the host write its own
// answer afterwards. net/http resets both deadlines for the connection's
// next request. Each instance has one, set for each request (rw is nil
// outside requests, as in _initialize).
type clientCut struct {
	mu       sync.Mutex
	rw       http.ResponseWriter
	cutDone  bool // cut ran
	restored bool // restore ran: cut must do nothing
}

func (c *clientCut) cut() {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.rw == nil || c.restored {
		return
	}
	rc := http.NewResponseController(c.rw)
	rc.SetReadDeadline(time.Now())
	rc.SetWriteDeadline(time.Now())
	c.cutDone = true
}

func (c *clientCut) restore() {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.restored = true
	if c.cutDone {
		http.NewResponseController(c.rw).SetWriteDeadline(time.Time{})
		// The connection may hold an unread body, and net/http has seen
		// its read fail: it cannot serve another request.
		c.rw.Header().Set("Connection", "close")
	}
}

// fail answers a failed request: a 500 with msg, or, when the response
// has started, an aborted connection, so that clients and caches see a
// truncated body rather than one that looks complete.
func fail(rw http.ResponseWriter, out *responseOut, msg string) {
	if out.sent {
		panic(http.ErrAbortHandler)
	}
	http.Error(rw, msg, http.StatusInternalServerError)
}

// logFailure writes a failed request's one log record: why, and what the
// guest wrote to stderr during the request, if anything.
func (w *Worker) logFailure(r *http.Request, msg, reason, stderr string, ce *CallError) {
	args := []any{"method", r.Method, "path", r.URL.EscapedPath(), "err", reason}
	if ce != nil {
		args = append(args, "kind", ce.Kind.Error())
	}
	if stderr != "" {
		args = append(args, "stderr", stderr)
	}
	w.g.log.Error(msg, args...)
}

// describe says why a call failed, in words for the log: the error with at
// most the first frames of a wasm stack trace.
func describe(ctx context.Context, err error) string {
	msg := boundLines(strings.Split(err.Error(), "\n"), 17, 3)
	switch {
	case errors.Is(ctx.Err(), context.DeadlineExceeded):
		return "deadline exceeded: " + msg
	case errors.Is(ctx.Err(), context.Canceled):
		return "request canceled (client gone?): " + msg
	case strings.Contains(msg, "out of memory") && !errors.Is(err, abi.ErrTrap):
		return "out of memory (the Worker's memory limit): " + msg
	}
	return msg
}

// publicReason says why a call failed, in words for the client: never the
// guest's own words or stack, which may hold what the client must not see.
func publicReason(ctx context.Context, err error) string {
	switch {
	case errors.Is(ctx.Err(), context.DeadlineExceeded):
		return "worker error: the request exceeded its deadline"
	case errors.Is(ctx.Err(), context.Canceled):
		return "worker error: the request was canceled"
	case strings.Contains(err.Error(), "out of memory"):
		return "worker error: out of memory (see the log)"
	}
	return "worker error: the Worker failed (see the log)"
}

// requestHead lowers the request's method, URL and headers.
func requestHead(r *http.Request) httpwit.Request {
	scheme := "http"
	if r.TLS != nil {
		scheme = "https"
	}
	n := 0
	for _, vs := range r.Header {
		n += len(vs)
	}
	fields := make(httpwit.Fields, 0, n+2)
	if r.Host != "" {
		fields = append(fields, abi.Tuple2[string, []byte]{F0: "host", F1: bytesOf(r.Host)})
	}
	// The client's address, as Cloudflare gives it to Workers; like
	// Cloudflare's edge, the host replaces any value the client sent.
	if ip, _, err := net.SplitHostPort(r.RemoteAddr); err == nil {
		fields = append(fields, abi.Tuple2[string, []byte]{F0: "cf-connecting-ip", F1: bytesOf(ip)})
	}
	for k, vs := range r.Header {
		lk := strings.ToLower(k)
		if lk == "cf-connecting-ip" {
			continue
		}
		for _, v := range vs {
			fields = append(fields, abi.Tuple2[string, []byte]{F0: lk, F1: bytesOf(v)})
		}
	}
	return httpwit.Request{
		Method:  r.Method,
		URL:     validUTF8(scheme + "://" + r.Host + r.URL.RequestURI()),
		Headers: fields,
	}
}

// validUTF8 percent-encodes the bytes of u that are not valid UTF-8 (a raw
// query may hold any bytes; a WIT string may not): the same URL, since a
// byte and its escape mean the same in a URL, and no guest gets a string
// its language cannot hold.
func validUTF8(u string) string {
	if utf8.ValidString(u) {
		return u
	}
	var b strings.Builder
	for i := 0; i < len(u); {
		r, n := utf8.DecodeRuneInString(u[i:])
		if r == utf8.RuneError && n == 1 {
			fmt.Fprintf(&b, "%%%02X", u[i])
		} else {
			b.WriteString(u[i : i+n])
		}
		i += n
	}
	return b.String()
}

// bytesOf views s as bytes without copying; lowering only reads them.
func bytesOf(s string) []byte { return unsafe.Slice(unsafe.StringData(s), len(s)) }

// requestBody is the guest's input-stream over the request body.
type requestBody struct {
	r    io.Reader
	inst *instance
	done bool
	eof  bool
}

var _ stream.Direct = (*requestBody)(nil)

// Reader returns the body as an io.Reader for host code, such as a put of
// the body into a bucket: the bytes skip guest memory.
func (b *requestBody) Reader() io.Reader { return directBody{b} }

type directBody struct{ b *requestBody }

func (d directBody) Read(p []byte) (int, error) {
	b := d.b
	if b.done || b.eof || b.r == nil {
		return 0, io.EOF
	}
	n, err := b.r.Read(p)
	if err != nil {
		b.eof = true
	}
	return n, err
}

func (b *requestBody) Read(ctx context.Context, n uint32) ([]byte, *stream.StreamError) {
	if b.done || b.eof || b.r == nil {
		return nil, &stream.StreamError{Tag: stream.StreamErrorClosed}
	}
	if n == 0 {
		return nil, nil
	}
	n = min(n, maxBodyChunk)
	if uint32(cap(b.inst.bodyBuf)) < n {
		b.inst.bodyBuf = make([]byte, n)
	}
	buf := b.inst.bodyBuf[:n]
	for {
		k, err := b.r.Read(buf)
		if k > 0 {
			return buf[:k], nil
		}
		if err == io.EOF {
			b.eof = true
			return nil, &stream.StreamError{Tag: stream.StreamErrorClosed}
		}
		if err != nil {
			b.eof = true
			return nil, &stream.StreamError{Tag: stream.StreamErrorFailed, Failed: "read request body: " + err.Error()}
		}
	}
}

// responseOut is the guest's response-outparam.
type responseOut struct {
	rw     http.ResponseWriter
	sent   bool
	done   bool
	failed bool   // the guest called fail
	reason string // its reason
	stream *responseStream
}

var _ httpwit.ResponseOutparam = (*responseOut)(nil)

func (o *responseOut) head(status uint16, headers httpwit.Fields) *httpwit.Error {
	if o.sent || o.done || o.failed {
		return &httpwit.Error{Tag: httpwit.ErrorAlreadySent}
	}
	if status < 100 || status > 599 {
		return &httpwit.Error{Tag: httpwit.ErrorInvalidStatus, InvalidStatus: status}
	}
	h := o.rw.Header()
	for _, f := range headers {
		if !validHeaderName(f.F0) {
			return &httpwit.Error{Tag: httpwit.ErrorInvalidHeader, InvalidHeader: fmt.Sprintf("invalid header name %q", f.F0)}
		}
		for _, c := range f.F1 {
			if c == '\r' || c == '\n' || c == 0 {
				return &httpwit.Error{Tag: httpwit.ErrorInvalidHeader, InvalidHeader: fmt.Sprintf("header %q has a control character in its value", f.F0)}
			}
		}
		k := http.CanonicalHeaderKey(f.F0)
		h[k] = append(h[k], string(f.F1))
	}
	o.sent = true
	o.rw.WriteHeader(int(status))
	return nil
}

func validHeaderName(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c <= ' ' || c >= 0x7f || strings.IndexByte("()<>@,;:\\\"/[]?={}", c) >= 0 {
			return false
		}
	}
	return true
}

func (o *responseOut) Send(ctx context.Context, status uint16, headers httpwit.Fields) (stream.OutputStream, *httpwit.Error) {
	if err := o.head(status, headers); err != nil {
		return nil, err
	}
	o.stream = &responseStream{rw: o.rw}
	return o.stream, nil
}

func (o *responseOut) SendFull(ctx context.Context, status uint16, headers httpwit.Fields, body []byte) *httpwit.Error {
	if o.sent || o.done || o.failed {
		return &httpwit.Error{Tag: httpwit.ErrorAlreadySent}
	}
	if _, ok := o.rw.Header()["Content-Length"]; !ok && len(body) > 0 {
		hasCL := false
		for _, f := range headers {
			hasCL = hasCL || f.F0 == "content-length"
		}
		if !hasCL {
			o.rw.Header()["Content-Length"] = []string{fmt.Sprint(len(body))}
		}
	}
	if err := o.head(status, headers); err != nil {
		return err
	}
	if len(body) == 0 {
		return nil
	}
	if _, err := o.rw.Write(body); err != nil {
		return &httpwit.Error{Tag: httpwit.ErrorClosed}
	}
	return nil
}

// Fail ends the request as failed; ServeHTTP logs the reason and answers
// 500, or aborts a response that has started.
func (o *responseOut) Fail(ctx context.Context, reason string) {
	if o.done || o.failed {
		return
	}
	o.failed, o.reason = true, reason
	if o.stream != nil {
		o.stream.done = true // the body ends here, unfinished
	}
}

// responseStream is the guest's output-stream over the response body.
type responseStream struct {
	rw   http.ResponseWriter
	done bool
}

var _ stream.OutputStream = (*responseStream)(nil)

func (s *responseStream) Write(ctx context.Context, p []byte) *stream.StreamError {
	if s.done {
		return &stream.StreamError{Tag: stream.StreamErrorClosed}
	}
	if _, err := s.rw.Write(p); err != nil {
		s.done = true
		return &stream.StreamError{Tag: stream.StreamErrorClosed}
	}
	return nil
}

func (s *responseStream) Flush(ctx context.Context) *stream.StreamError {
	if s.done {
		return &stream.StreamError{Tag: stream.StreamErrorClosed}
	}
	if err := http.NewResponseController(s.rw).Flush(); err != nil {
		return &stream.StreamError{Tag: stream.StreamErrorFailed, Failed: err.Error()}
	}
	return nil
}

// Splice copies from src to the response inside the host.
func (s *responseStream) Splice(ctx context.Context, src stream.InputStream, n uint64) (uint64, *stream.StreamError) {
	if s.done {
		return 0, &stream.StreamError{Tag: stream.StreamErrorClosed}
	}
	return stream.Splice(ctx, s.rw, src, n)
}

// Drop ends the body.
func (s *responseStream) Drop(ctx context.Context) { s.done = true }
