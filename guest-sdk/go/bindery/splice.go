//go:build wasip1

package bindery

import (
	"fmt"
	"io"
	"net/http"

	"github.com/bindery-run/bindery/guest-sdk/go/internal/wit/stream"
)

// ReadFrom makes io.Copy(w, body) move a host body (an R2 object's, or a
// request's) to the response inside the host: the bytes never enter the
// Worker's memory. Other readers are copied as usual.
func (w *responseWriter) ReadFrom(r io.Reader) (int64, error) {
	br, ok := r.(*bodyReader)
	if !ok || br.done || br.closed || w.err != nil || w.full {
		return io.Copy(writerOnly{w}, r)
	}
	if w.status == 0 {
		w.status = http.StatusOK
	}
	if !w.sent {
		if err := w.startStream(); err != nil {
			return 0, err
		}
	}
	const all = 1 << 62
	n, err := w.stream.Splice(br.s, all)
	br.done = err != nil || n < all
	if err != nil && err.Tag != stream.StreamErrorClosed {
		w.err = fmt.Errorf("write response: %s", err.Error())
		return int64(n), w.err
	}
	return int64(n), nil
}

// writerOnly hides ReadFrom so io.Copy does not call it again.
type writerOnly struct{ io.Writer }
