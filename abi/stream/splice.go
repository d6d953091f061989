package stream

import (
	"context"
	"errors"
	"io"
)

// A Direct input stream also gives host code its bytes as an io.Reader, so
// that Splice and Reader skip the chunked Read calls. The reader and Read
// share one position.
type Direct interface {
	InputStream
	// Reader returns the stream's bytes from the current position.
	Reader() io.Reader
}

// spliceChunk is how much Splice moves per read from a stream that is not
// an io.Reader.
const spliceChunk = 256 << 10

// Splice implements output-stream.splice for an output stream that writes
// to dst: it moves up to n bytes from src without passing them through
// guest memory. When src is Direct (a file, a request body), it is read
// directly with io.Copy, and for n >= 2^62 ("all of it") the reader's
// WriteTo may hand a file to the connection by sendfile. It returns closed
// when src had ended before the first byte.
func Splice(ctx context.Context, dst io.Writer, src InputStream, n uint64) (uint64, *StreamError) {
	if n == 0 {
		return 0, nil
	}
	if d, ok := src.(Direct); ok {
		r := d.Reader()
		var moved int64
		var err error
		if n >= 1<<62 {
			if moved, err = io.Copy(dst, r); err == nil && moved == 0 {
				err = io.EOF
			}
		} else {
			moved, err = io.CopyN(dst, r, int64(n))
		}
		switch {
		case err == nil || (errors.Is(err, io.EOF) && moved > 0):
			return uint64(moved), nil
		case errors.Is(err, io.EOF):
			return 0, &StreamError{Tag: StreamErrorClosed}
		}
		return uint64(moved), &StreamError{Tag: StreamErrorFailed, Failed: "splice: " + err.Error()}
	}
	var moved uint64
	for moved < n {
		if err := ctx.Err(); err != nil {
			return moved, &StreamError{Tag: StreamErrorFailed, Failed: "splice: " + err.Error()}
		}
		p, e := src.Read(ctx, uint32(min(n-moved, spliceChunk)))
		if e != nil {
			if e.Tag == StreamErrorClosed && moved > 0 {
				return moved, nil
			}
			return moved, e
		}
		if _, err := dst.Write(p); err != nil {
			return moved, &StreamError{Tag: StreamErrorFailed, Failed: "splice: " + err.Error()}
		}
		moved += uint64(len(p))
	}
	return moved, nil
}

// Reader adapts an input stream to an io.Reader for host code that
// consumes a guest-supplied stream, such as an object body to store.
func Reader(ctx context.Context, s InputStream) io.Reader {
	if d, ok := s.(Direct); ok {
		return d.Reader()
	}
	return &reader{ctx: ctx, s: s}
}

type reader struct {
	ctx context.Context
	s   InputStream
	buf []byte
}

func (r *reader) Read(p []byte) (int, error) {
	if len(r.buf) == 0 {
		if len(p) == 0 {
			return 0, nil
		}
		b, e := r.s.Read(r.ctx, uint32(min(len(p), spliceChunk)))
		if e != nil {
			if e.Tag == StreamErrorClosed {
				return 0, io.EOF
			}
			return 0, errors.New(e.Failed)
		}
		r.buf = b
	}
	n := copy(p, r.buf)
	r.buf = r.buf[n:]
	return n, nil
}
