package stream

import (
	"context"
	"errors"
	"io"
	"sync"
)

// maxRead bounds one input-stream.read of a ReadCloser stream.
const maxRead = 1 << 20

// FromReadCloser returns an input-stream that gives the guest the bytes
// of rc: an object body, a cached response. It is Direct, so a splice or
// a host reader takes the bytes from rc itself; when rc implements
// io.WriterTo (a file section), a splice to a connection may reach it by
// sendfile. rc is closed when the guest drops the stream or when ctx (the
// request that opened it) ends, whichever comes first, so a handle the
// guest keeps never holds a file open.
//
// The stream is safe for concurrent use: the close at the end of the
// request may race with a read.
func FromReadCloser(ctx context.Context, rc io.ReadCloser) InputStream {
	s := &rcStream{rc: rc}
	s.stop = context.AfterFunc(ctx, s.close)
	return s
}

// rcStream is the input-stream FromReadCloser returns.
type rcStream struct {
	mu     sync.Mutex
	rc     io.ReadCloser
	buf    []byte
	closed bool
	stop   func() bool
}

var _ Direct = (*rcStream)(nil)

// Read implements input-stream.read.
func (s *rcStream) Read(ctx context.Context, n uint32) ([]byte, *StreamError) {
	if n == 0 {
		return nil, nil
	}
	n = min(n, maxRead)
	if uint32(cap(s.buf)) < n {
		s.buf = make([]byte, n)
	}
	k, err := s.Reader().Read(s.buf[:n])
	if k > 0 {
		return s.buf[:k], nil
	}
	if err == nil || errors.Is(err, io.EOF) {
		return nil, &StreamError{Tag: StreamErrorClosed}
	}
	return nil, &StreamError{Tag: StreamErrorFailed, Failed: err.Error()}
}

// Reader returns the bytes from the current position, for Splice.
func (s *rcStream) Reader() io.Reader { return lockedReader{s} }

// lockedReader reads s under its lock.
type lockedReader struct{ s *rcStream }

// WriteTo hands the rest of the bytes to dst: through rc's own WriteTo
// when it has one (a file section a connection may sendfile).
func (r lockedReader) WriteTo(dst io.Writer) (int64, error) {
	r.s.mu.Lock()
	defer r.s.mu.Unlock()
	if r.s.closed {
		return 0, nil
	}
	if wt, ok := r.s.rc.(io.WriterTo); ok {
		return wt.WriteTo(dst)
	}
	return io.Copy(dst, struct{ io.Reader }{r.s.rc})
}

func (r lockedReader) Read(p []byte) (int, error) {
	r.s.mu.Lock()
	defer r.s.mu.Unlock()
	if r.s.closed {
		return 0, io.EOF
	}
	return r.s.rc.Read(p)
}

func (s *rcStream) close() {
	s.mu.Lock()
	defer s.mu.Unlock()
	if !s.closed {
		s.closed = true
		s.rc.Close()
	}
}

// Drop closes rc.
func (s *rcStream) Drop(ctx context.Context) {
	s.stop()
	s.close()
}
