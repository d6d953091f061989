package cache

import (
	"crypto/rand"
	"fmt"
	"io"
	"net/http"
	"os"
	"strconv"
	"strings"
)

// How a match answers from a stored entry (RFC 9110 §13 and §14, as
// Cloudflare documents for cache.match):
//
//   - If-None-Match: 304 when a tag matches the stored ETag by weak
//     comparison, or is "*"; If-Modified-Since is then ignored;
//   - If-Modified-Since: 304 when the stored Last-Modified is not after it
//     (both must be HTTP dates);
//   - Range: 206 with Content-Range for one range, multipart/byteranges
//     for several, 416 with Content-Range: bytes */size when none is
//     satisfiable. A malformed Range, a unit other than bytes, more than
//     maxRanges ranges or an empty body get the whole response.
//
// Conditionals and ranges apply to a stored 200 only; other statuses are
// answered as stored. Conditionals win over Range.

// maxRanges bounds the ranges of one Range header; past it the header is
// ignored (RFC 9110 §14.2 lets a server ignore a Range it finds costly).
const maxRanges = 100

// byteRange is a satisfiable range: length bytes from start.
type byteRange struct{ start, length int64 }

// parseRange applies a Range field value to a body of size bytes: the
// ranges to send, or unsatisfiable, or ok false when the field is to be
// ignored.
func parseRange(v string, size int64) (ranges []byteRange, unsatisfiable, ok bool) {
	unit, set, found := strings.Cut(v, "=")
	if !found || !strings.EqualFold(strings.TrimSpace(unit), "bytes") || size == 0 {
		return nil, false, false
	}
	specs := splitList(set)
	if len(specs) == 0 || len(specs) > maxRanges {
		return nil, false, false
	}
	for _, spec := range specs {
		a, b, found := strings.Cut(spec, "-")
		a, b = strings.TrimSpace(a), strings.TrimSpace(b)
		if !found {
			return nil, false, false
		}
		switch {
		case a == "": // the last b bytes
			n, err := digits(b)
			if err != nil {
				return nil, false, false
			}
			if n > 0 {
				n = min(n, size)
				ranges = append(ranges, byteRange{size - n, n})
			}
		default:
			start, err := digits(a)
			if err != nil {
				return nil, false, false
			}
			end := size - 1
			if b != "" {
				if end, err = digits(b); err != nil || end < start {
					return nil, false, false
				}
			}
			if start < size {
				ranges = append(ranges, byteRange{start, min(end, size-1) - start + 1})
			}
		}
	}
	if len(ranges) == 0 {
		return nil, true, true
	}
	return ranges, false, true
}

// digits parses a non-empty run of decimal digits that fits an int64.
func digits(s string) (int64, error) {
	if s == "" || strings.TrimLeft(s, "0123456789") != "" {
		return 0, fmt.Errorf("not digits: %q", s)
	}
	return strconv.ParseInt(s, 10, 64)
}

// notModified reports whether the request's conditional fields make the
// answer a 304 for a stored response with header stored.
func notModified(req, stored Header) bool {
	if inm := req.Values("if-none-match"); len(inm) > 0 {
		etag, hasTag := stored.Get("etag")
		for _, v := range inm {
			for _, tag := range splitList(v) {
				if tag == "*" || (hasTag && opaqueTag(tag) == opaqueTag(etag)) {
					return true
				}
			}
		}
		return false
	}
	ims, ok := req.Get("if-modified-since")
	if !ok {
		return false
	}
	lm, ok := stored.Get("last-modified")
	if !ok {
		return false
	}
	since, err1 := http.ParseTime(strings.TrimSpace(ims))
	modified, err2 := http.ParseTime(strings.TrimSpace(lm))
	return err1 == nil && err2 == nil && !modified.After(since)
}

// opaqueTag is an entity tag without its weakness indicator, for the weak
// comparison If-None-Match uses.
func opaqueTag(t string) string {
	return strings.TrimPrefix(strings.TrimSpace(t), "W/")
}

// answer builds the response to req from the stored entry e and its body,
// which it closes when the response has no body.
func answer(req Request, e Entry, body Body) *Response {
	h := append(e.Header[:len(e.Header):len(e.Header)], Field{"cf-cache-status", []byte("HIT")})
	if e.Status == http.StatusOK && notModified(req.Header, e.Header) {
		body.Close()
		return &Response{Status: http.StatusNotModified, Header: h}
	}
	if e.Status == http.StatusOK {
		if rv, ok := req.Header.Get("range"); ok {
			ranges, unsatisfiable, ok := parseRange(rv, e.Size)
			switch {
			case unsatisfiable:
				body.Close()
				h = append(h, Field{"content-range", fmt.Appendf(nil, "bytes */%d", e.Size)}, Field{"content-length", []byte("0")})
				return &Response{Status: http.StatusRequestedRangeNotSatisfiable, Header: h}
			case ok && len(ranges) == 1:
				r := ranges[0]
				h = append(h,
					Field{"content-range", fmt.Appendf(nil, "bytes %d-%d/%d", r.start, r.start+r.length-1, e.Size)},
					Field{"content-length", strconv.AppendInt(nil, r.length, 10)})
				return &Response{Status: http.StatusPartialContent, Header: h, Body: section(body, r.start, r.length)}
			case ok:
				return multipart(h, e, body, ranges)
			}
		}
	}
	h = append(h, Field{"content-length", strconv.AppendInt(nil, e.Size, 10)})
	return &Response{Status: e.Status, Header: h, Body: section(body, 0, e.Size)}
}

// multipart answers several ranges with a multipart/byteranges body (RFC
// 9110 §14.6): each part has the stored Content-Type and its Content-Range.
func multipart(h Header, e Entry, body Body, ranges []byteRange) *Response {
	boundary := rand.Text()
	ct, hasCT := e.Header.Get("content-type")
	var parts []io.Reader
	var length int64
	for i, r := range ranges {
		var b strings.Builder
		if i > 0 {
			b.WriteString("\r\n")
		}
		b.WriteString("--" + boundary + "\r\n")
		if hasCT {
			b.WriteString("content-type: " + ct + "\r\n")
		}
		fmt.Fprintf(&b, "content-range: bytes %d-%d/%d\r\n\r\n", r.start, r.start+r.length-1, e.Size)
		parts = append(parts, strings.NewReader(b.String()), io.NewSectionReader(body, r.start, r.length))
		length += int64(b.Len()) + r.length
	}
	end := "\r\n--" + boundary + "--\r\n"
	parts = append(parts, strings.NewReader(end))
	length += int64(len(end))
	h = h.without(func(name string) bool { return name == "content-type" })
	h = append(h,
		Field{"content-type", []byte("multipart/byteranges; boundary=" + boundary)},
		Field{"content-length", strconv.AppendInt(nil, length, 10)})
	return &Response{Status: http.StatusPartialContent, Header: h, Body: &bodyReader{r: io.MultiReader(parts...), body: body}}
}

// section returns length bytes of body from start as a ReadCloser that
// closes body. A file's section is a LimitedReader over the file itself,
// which a connection's ReadFrom sends by sendfile.
func section(body Body, start, length int64) io.ReadCloser {
	if f, ok := body.(*os.File); ok {
		if _, err := f.Seek(start, io.SeekStart); err == nil {
			return &bodyReader{r: &io.LimitedReader{R: f, N: length}, body: body}
		}
	}
	return &bodyReader{r: io.NewSectionReader(body, start, length), body: body}
}

// bodyReader is the body of a matched response.
type bodyReader struct {
	r    io.Reader
	body Body
}

func (b *bodyReader) Read(p []byte) (int, error) { return b.r.Read(p) }

// WriteTo copies the rest to w, so that an *io.LimitedReader over a file
// reaches w's ReadFrom (sendfile to a connection).
func (b *bodyReader) WriteTo(w io.Writer) (int64, error) { return io.Copy(w, b.r) }

// Close releases the stored body.
func (b *bodyReader) Close() error { return b.body.Close() }
