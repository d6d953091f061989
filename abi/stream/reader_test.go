package stream_test

import (
	"bytes"
	"context"
	"io"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/bindery-run/bindery/abi"
	"github.com/bindery-run/bindery/abi/stream"
)

// closer counts Close calls of a reader; closed is closed by the first.
type closer struct {
	io.Reader
	closes atomic.Int32
	closed chan struct{}
}

func (c *closer) Close() error {
	if c.closes.Add(1) == 1 {
		close(c.closed)
	}
	return nil
}

// TestFromReadCloser reads, splices and closes a ReadCloser stream: it is
// closed once, by a drop or by the end of its request, and reads as ended
// after that.
func TestFromReadCloser(t *testing.T) {
	tests := []struct {
		name string
		// end ends the stream's life: a drop, or the request's context.
		end func(s stream.InputStream, cancel context.CancelFunc)
	}{
		{"drop", func(s stream.InputStream, _ context.CancelFunc) { s.(abi.Dropper).Drop(context.Background()) }},
		{"request ends", func(_ stream.InputStream, cancel context.CancelFunc) { cancel() }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ctx, cancel := context.WithCancel(context.Background())
			defer cancel()
			rc := &closer{Reader: strings.NewReader("hello, world"), closed: make(chan struct{})}
			s := stream.FromReadCloser(ctx, rc)
			p, e := s.Read(ctx, 5)
			if e != nil || string(p) != "hello" {
				t.Fatalf("Read(5) = %q, %v", p, e)
			}
			var dst bytes.Buffer
			n, e := stream.Splice(ctx, &dst, s, 1<<62)
			if e != nil || n != 7 || dst.String() != ", world" {
				t.Fatalf("Splice = %d %q, %v", n, dst.String(), e)
			}
			if _, e := s.Read(ctx, 5); e == nil || e.Tag != stream.StreamErrorClosed {
				t.Fatalf("Read at the end = %v, want closed", e)
			}
			tt.end(s, cancel)
			<-rc.closed // the context's AfterFunc runs in its own goroutine
			if _, e := s.Read(ctx, 5); e == nil || e.Tag != stream.StreamErrorClosed {
				t.Errorf("Read after the end = %v, want closed", e)
			}
			s.(abi.Dropper).Drop(context.Background())
			if n := rc.closes.Load(); n != 1 {
				t.Errorf("closed %d times, want once", n)
			}
		})
	}
}
