package durablehost

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"strings"
	"sync"

	"github.com/bindery-run/bindery/abi"
	"github.com/bindery-run/bindery/abi/stream"
	"github.com/bindery-run/bindery/host/internal/durablewit"
	"github.com/bindery-run/bindery/host/internal/httpwit"
)

// bytesBody is a request body given in one piece.
func bytesBody(b []byte) io.ReadCloser { return io.NopCloser(bytes.NewReader(b)) }

// objectOut is the response-outparam of an object's fetch event: the
// head goes to the stub's caller as soon as it is sent, and the body
// through a pipe the caller reads while the event writes it.
type objectOut struct {
	client *clientConn // the client's connection, for a web socket

	mu      sync.Mutex
	sent    bool
	ended   bool // finish ran
	status  uint16
	headers httpwit.Fields
	pipe    *pipe
	upgrade bool // the object accepted a web socket (101)
	failure error
	head    chan struct{} // closed once the head is known (or the event ended without one)
}

func newObjectOut(c *clientConn) *objectOut {
	return &objectOut{client: c, head: make(chan struct{}), pipe: newPipe()}
}

var _ httpwit.ResponseOutparam = (*objectOut)(nil)

// setHead records the head and lets the caller go on.
func (o *objectOut) setHead(status uint16, headers httpwit.Fields) *httpwit.Error {
	o.mu.Lock()
	defer o.mu.Unlock()
	if o.sent || o.ended {
		return &httpwit.Error{Tag: httpwit.ErrorAlreadySent}
	}
	if status < 100 || status > 599 {
		return &httpwit.Error{Tag: httpwit.ErrorInvalidStatus, InvalidStatus: status}
	}
	o.sent, o.status, o.headers = true, status, headers
	close(o.head)
	return nil
}

// Send sends the head; the body streams through the returned stream.
func (o *objectOut) Send(ctx context.Context, status uint16, headers httpwit.Fields) (stream.OutputStream, *httpwit.Error) {
	if e := o.setHead(status, headers); e != nil {
		return nil, e
	}
	return pipeWriter{o.pipe}, nil
}

// SendFull sends the whole response.
func (o *objectOut) SendFull(ctx context.Context, status uint16, headers httpwit.Fields, body []byte) *httpwit.Error {
	if e := o.setHead(status, headers); e != nil {
		return e
	}
	o.pipe.write(body)
	o.pipe.close(nil)
	return nil
}

// Fail ends the response as failed: a 500 if no head was sent, else a
// body that ends with an error.
func (o *objectOut) Fail(ctx context.Context, reason string) {
	o.finish(fmt.Errorf("the object's fetch handler failed: %s", reason))
}

// accepted records the 101 of a web socket the object accepted (on the
// client's connection, already answered): the caller goes on with a
// response that carries the upgrade.
func (o *objectOut) accepted() *httpwit.Error {
	o.mu.Lock()
	defer o.mu.Unlock()
	if o.sent || o.ended {
		return &httpwit.Error{Tag: httpwit.ErrorAlreadySent}
	}
	o.sent, o.status, o.upgrade = true, 101, true
	close(o.head)
	o.pipe.close(nil)
	return nil
}

// unsent reports whether no response was sent yet.
func (o *objectOut) unsent() bool {
	o.mu.Lock()
	defer o.mu.Unlock()
	return !o.sent && !o.ended
}

// finish ends the event's response: err is the event's failure, if any.
// A response never sent becomes the caller's error (a failed event) or a
// 500 (the handler returned without one).
func (o *objectOut) finish(err error) {
	o.mu.Lock()
	defer o.mu.Unlock()
	if o.ended {
		return
	}
	o.ended = true
	if !o.sent {
		o.failure = err
		if err == nil {
			o.failure = errNoResponse
			o.status = 500
		}
		close(o.head)
	}
	o.pipe.close(err)
}

// response is the caller's view of the response once the head is known.
func (o *objectOut) response(ctx context.Context) (durablewit.Response, *durablewit.Error) {
	o.mu.Lock()
	defer o.mu.Unlock()
	if !o.sent {
		if o.status == 500 {
			// The handler returned without a response, or failed
			// without an error: a 500, as for a Worker.
			return durablewit.Response{
				Status:  500,
				Headers: httpwit.Fields{{F0: "content-type", F1: []byte("text/plain;charset=UTF-8")}},
				Body:    stream.FromReadCloser(ctx, io.NopCloser(strings.NewReader("worker error: the Durable Object's fetch handler returned without a response"))),
			}, nil
		}
		return durablewit.Response{}, errorOf(o.failure)
	}
	// The pipe wakes its reader when ctx ends (the stream's own close
	// waits for a read in progress to return).
	p := o.pipe
	context.AfterFunc(ctx, func() { p.Close() })
	r := durablewit.Response{Status: o.status, Headers: o.headers, Body: stream.FromReadCloser(ctx, p)}
	if o.upgrade {
		r.Upgrade = abi.Option[durablewit.Upgrade]{Some: true, Value: upgrade{}}
	}
	return r, nil
}

// pipe is a response body between an object's event and its caller. Its
// buffer has no bound: when the object runs nested on its caller's
// instance, the caller reads only after the event has returned.
type pipe struct {
	mu         sync.Mutex
	cond       sync.Cond
	buf        []byte
	done       bool
	err        error // why it ended, nil for a complete body
	readerGone bool
}

func newPipe() *pipe {
	p := &pipe{}
	p.cond.L = &p.mu
	return p
}

// write appends b; false when the reader has gone.
func (p *pipe) write(b []byte) bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.done || p.readerGone {
		return false
	}
	p.buf = append(p.buf, b...)
	p.cond.Broadcast()
	return true
}

// close ends the body, with err for one cut short.
func (p *pipe) close(err error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if !p.done {
		p.done, p.err = true, err
		p.cond.Broadcast()
	}
}

// Read implements io.Reader for the caller.
func (p *pipe) Read(b []byte) (int, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	for len(p.buf) == 0 && !p.done && !p.readerGone {
		p.cond.Wait()
	}
	if len(p.buf) > 0 {
		n := copy(b, p.buf)
		p.buf = p.buf[n:]
		if len(p.buf) == 0 {
			p.buf = nil
		}
		return n, nil
	}
	if p.readerGone {
		return 0, io.ErrClosedPipe
	}
	if p.err != nil {
		return 0, fmt.Errorf("the Durable Object's response body failed: %w", p.err)
	}
	return 0, io.EOF
}

// Close is the caller dropping the body (or its request ending).
func (p *pipe) Close() error {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.readerGone = true
	p.buf = nil
	p.cond.Broadcast()
	return nil
}

// pipeWriter is the object's output-stream over the pipe.
type pipeWriter struct{ p *pipe }

var _ stream.OutputStream = pipeWriter{}

func (w pipeWriter) Write(ctx context.Context, b []byte) *stream.StreamError {
	if !w.p.write(b) {
		return &stream.StreamError{Tag: stream.StreamErrorClosed}
	}
	return nil
}

func (w pipeWriter) Flush(ctx context.Context) *stream.StreamError { return nil }

func (w pipeWriter) Splice(ctx context.Context, src stream.InputStream, n uint64) (uint64, *stream.StreamError) {
	return stream.Splice(ctx, pipeIO{w.p}, src, n)
}

// Drop ends the body.
func (w pipeWriter) Drop(ctx context.Context) { w.p.close(nil) }

// pipeIO is the pipe as an io.Writer.
type pipeIO struct{ p *pipe }

func (w pipeIO) Write(b []byte) (int, error) {
	if !w.p.write(b) {
		return 0, io.ErrClosedPipe
	}
	return len(b), nil
}
