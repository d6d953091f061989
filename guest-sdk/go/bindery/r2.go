//go:build wasip1

package bindery

import (
	"errors"
	"fmt"
	"io"
	"math"
	"net/http"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/bindery-run/bindery/guest-sdk/go/internal/cabi"
	"github.com/bindery-run/bindery/guest-sdk/go/internal/wit/r2wit"
	"github.com/bindery-run/bindery/guest-sdk/go/internal/wit/stream"
)

// Errors an R2 operation can return besides the shared ErrInvalidKey,
// ErrTooLarge, ErrInvalidArgument and ErrInternal; match them with errors.Is.
var (
	// ErrNoSuchBucket means the config grants no R2 binding of that name.
	ErrNoSuchBucket = errors.New("r2: no such bucket")
	// ErrPreconditionFailed is returned by Put when OnlyIf fails.
	ErrPreconditionFailed = errors.New("r2: precondition failed")
	// ErrBadDigest means the bytes do not match a checksum in R2PutOptions.
	ErrBadDigest = errors.New("r2: bad digest")
	// ErrInvalidRange means a range starts past the end of the object.
	ErrInvalidRange = errors.New("r2: invalid range")
	// ErrNoSuchUpload means a multipart upload was completed, aborted or
	// never existed.
	ErrNoSuchUpload = errors.New("r2: no such upload")
	// ErrInvalidPart means a part to complete is missing, out of order, or
	// too small (every part but the last must be at least 5 MiB, and all
	// the same size).
	ErrInvalidPart = errors.New("r2: invalid part")
	// ErrBody means reading the body to store failed.
	ErrBody = errors.New("r2: body")
)

// R2Error is an error from an R2 operation: the host's message, which
// names the bucket, key or limit, and a kind to match with errors.Is.
type R2Error struct {
	Kind    error
	Message string
}

// Error returns the host's message.
func (e *R2Error) Error() string { return e.Message }

// Unwrap returns the kind.
func (e *R2Error) Unwrap() error { return e.Kind }

func r2Err(e *r2wit.Error) error {
	if e == nil {
		return nil
	}
	kinds := map[r2wit.ErrorTag]struct {
		kind error
		msg  string
	}{
		r2wit.ErrorNoSuchBucket:     {ErrNoSuchBucket, e.NoSuchBucket},
		r2wit.ErrorInvalidKey:       {ErrInvalidKey, e.InvalidKey},
		r2wit.ErrorMetadataTooLarge: {ErrTooLarge, e.MetadataTooLarge},
		r2wit.ErrorEntityTooLarge:   {ErrTooLarge, e.EntityTooLarge},
		r2wit.ErrorEntityTooSmall:   {ErrInvalidPart, e.EntityTooSmall},
		r2wit.ErrorBadDigest:        {ErrBadDigest, e.BadDigest},
		r2wit.ErrorInvalidRange:     {ErrInvalidRange, e.InvalidRange},
		r2wit.ErrorNoSuchUpload:     {ErrNoSuchUpload, e.NoSuchUpload},
		r2wit.ErrorInvalidPart:      {ErrInvalidPart, e.InvalidPart},
		r2wit.ErrorInvalidPartOrder: {ErrInvalidPart, e.InvalidPartOrder},
		r2wit.ErrorInvalidArgument:  {ErrInvalidArgument, e.InvalidArgument},
		r2wit.ErrorBody:             {ErrBody, e.Body},
		r2wit.ErrorInternal:         {ErrInternal, e.Internal},
	}
	k, ok := kinds[e.Tag]
	if !ok {
		return &R2Error{ErrInternal, "r2: unknown error"}
	}
	return &R2Error{k.kind, k.msg}
}

// R2Bucket is an R2 bucket bound in the Worker's config.
type R2Bucket struct {
	name string
	h    r2wit.Bucket
}

// buckets are the opened R2 bindings (a scan, as for namespaces).
var buckets []*R2Bucket

// R2 opens the R2 binding name (e.g. "BUCKET"); the handle is cached for
// the life of the instance. A name the config does not grant is an error
// matching ErrNoSuchBucket.
func R2(name string) (*R2Bucket, error) {
	for _, b := range buckets {
		if b.name == name {
			return b, nil
		}
	}
	if bad, ok := badUTF8(name); ok {
		return nil, &R2Error{ErrNoSuchBucket, fmt.Sprintf("r2: binding name %q is not valid UTF-8", bad)}
	}
	h, err := r2wit.BucketOpen(name)
	if err != nil {
		return nil, fmt.Errorf("open R2 binding %q: %w", name, r2Err(err))
	}
	b := &R2Bucket{name: name, h: h}
	buckets = append(buckets, b)
	return b, nil
}

// R2Object is an object's metadata.
type R2Object struct {
	Key     string `json:"key"`
	Version string `json:"version"`
	Size    int64  `json:"size"`
	// ETag is the hex md5 of the bytes (for multipart uploads, of the
	// parts' md5s followed by "-" and the part count), without quotes.
	ETag           string            `json:"etag"`
	Uploaded       time.Time         `json:"uploaded"`
	HTTPMetadata   R2HTTPMetadata    `json:"httpMetadata"`
	CustomMetadata map[string]string `json:"customMetadata,omitempty"`
	Checksums      R2Checksums       `json:"checksums"`
	StorageClass   string            `json:"storageClass"`
	// Range is the part of the object a ranged get returned.
	Range *R2Range `json:"range,omitempty"`
}

// HTTPETag returns the ETag quoted, for an ETag header.
func (o *R2Object) HTTPETag() string { return `"` + o.ETag + `"` }

// WriteHTTPMetadata sets the object's stored HTTP headers (Content-Type,
// Content-Language, Content-Disposition, Content-Encoding, Cache-Control,
// Expires) on h, as R2's writeHttpMetadata does.
func (o *R2Object) WriteHTTPMetadata(h http.Header) {
	m := o.HTTPMetadata
	for _, f := range []struct{ k, v string }{
		{"Content-Type", m.ContentType},
		{"Content-Language", m.ContentLanguage},
		{"Content-Disposition", m.ContentDisposition},
		{"Content-Encoding", m.ContentEncoding},
		{"Cache-Control", m.CacheControl},
	} {
		if f.v != "" {
			h.Set(f.k, f.v)
		}
	}
	if !m.CacheExpiry.IsZero() {
		h.Set("Expires", m.CacheExpiry.UTC().Format(http.TimeFormat))
	}
}

// R2HTTPMetadata holds the HTTP headers stored with an object.
type R2HTTPMetadata struct {
	ContentType        string    `json:"contentType,omitempty"`
	ContentLanguage    string    `json:"contentLanguage,omitempty"`
	ContentDisposition string    `json:"contentDisposition,omitempty"`
	ContentEncoding    string    `json:"contentEncoding,omitempty"`
	CacheControl       string    `json:"cacheControl,omitempty"`
	CacheExpiry        time.Time `json:"cacheExpiry,omitzero"`
}

// R2Checksums are digests of an object's bytes; nil fields are absent.
type R2Checksums struct {
	MD5    []byte `json:"md5,omitempty"`
	SHA1   []byte `json:"sha1,omitempty"`
	SHA256 []byte `json:"sha256,omitempty"`
	SHA384 []byte `json:"sha384,omitempty"`
	SHA512 []byte `json:"sha512,omitempty"`
}

// R2Range selects bytes: the last Suffix bytes when Suffix > 0, else
// Length bytes from Offset (to the end when Length is 0).
type R2Range struct {
	Offset int64 `json:"offset"`
	Length int64 `json:"length,omitempty"`
	Suffix int64 `json:"suffix,omitempty"`
}

// R2RangeFromHeader parses an HTTP Range header of one byte range
// ("bytes=0-99", "bytes=100-", "bytes=-100"). It returns nil for an empty
// header and an error matching ErrInvalidRange for one it cannot serve.
func R2RangeFromHeader(v string) (*R2Range, error) {
	if v == "" {
		return nil, nil
	}
	bad := &R2Error{ErrInvalidRange, "r2: unsupported Range header " + strconv.Quote(v)}
	spec, ok := strings.CutPrefix(v, "bytes=")
	if !ok {
		return nil, bad
	}
	first, last, ok := strings.Cut(spec, "-")
	if !ok {
		return nil, bad
	}
	if first == "" {
		n, err := strconv.ParseInt(last, 10, 64)
		if err != nil || n <= 0 {
			return nil, bad
		}
		return &R2Range{Suffix: n}, nil
	}
	off, err := strconv.ParseInt(first, 10, 64)
	if err != nil || off < 0 {
		return nil, bad
	}
	if last == "" {
		return &R2Range{Offset: off}, nil
	}
	end, err := strconv.ParseInt(last, 10, 64)
	if err != nil || end < off {
		return nil, bad
	}
	return &R2Range{Offset: off, Length: end - off + 1}, nil
}

// R2Conditional is R2's onlyIf: preconditions evaluated in HTTP's order
// (EtagMatches, else UploadedBefore; then EtagDoesNotMatch, else
// UploadedAfter). "*" matches any existing object. Zero fields are not
// checked.
type R2Conditional struct {
	EtagMatches        []string
	EtagDoesNotMatch   []string
	UploadedBefore     time.Time
	UploadedAfter      time.Time
	SecondsGranularity bool
}

// R2ConditionalFromHeaders builds a conditional from a request's If-Match,
// If-None-Match, If-Modified-Since and If-Unmodified-Since headers, or
// returns nil when it has none.
func R2ConditionalFromHeaders(h http.Header) *R2Conditional {
	c := &R2Conditional{EtagMatches: etags(h.Values("If-Match")), EtagDoesNotMatch: etags(h.Values("If-None-Match")), SecondsGranularity: true}
	if t, err := http.ParseTime(h.Get("If-Unmodified-Since")); err == nil {
		c.UploadedBefore = t
	}
	if t, err := http.ParseTime(h.Get("If-Modified-Since")); err == nil {
		c.UploadedAfter = t
	}
	if c.EtagMatches == nil && c.EtagDoesNotMatch == nil && c.UploadedBefore.IsZero() && c.UploadedAfter.IsZero() {
		return nil
	}
	return c
}

// etags splits ETag header values into unquoted etags ("*" stays).
func etags(vs []string) []string {
	var out []string
	for _, v := range vs {
		for e := range strings.SplitSeq(v, ",") {
			e = strings.TrimSpace(e)
			e = strings.TrimPrefix(e, "W/")
			if len(e) >= 2 && e[0] == '"' && e[len(e)-1] == '"' {
				e = e[1 : len(e)-1]
			}
			if e != "" {
				out = append(out, e)
			}
		}
	}
	return out
}

func (c *R2Conditional) wit() cabi.Option[r2wit.Conditional] {
	if c == nil {
		return cabi.Option[r2wit.Conditional]{}
	}
	w := r2wit.Conditional{EtagMatches: c.EtagMatches, EtagDoesNotMatch: c.EtagDoesNotMatch, SecondsGranularity: c.SecondsGranularity}
	if !c.UploadedBefore.IsZero() {
		w.UploadedBefore = some(ms(c.UploadedBefore))
	}
	if !c.UploadedAfter.IsZero() {
		w.UploadedAfter = some(ms(c.UploadedAfter))
	}
	if w.EtagMatches == nil {
		w.EtagMatches = []string{}
	}
	if w.EtagDoesNotMatch == nil {
		w.EtagDoesNotMatch = []string{}
	}
	return some(w)
}

// R2GetOptions are the options of Get.
type R2GetOptions struct {
	// OnlyIf returns the object without a body when it fails.
	OnlyIf *R2Conditional
	// Range returns part of the object.
	Range *R2Range
}

// R2ObjectBody is an object and its bytes. Body is nil when OnlyIf failed;
// otherwise the caller must close it. Copy it to an http.ResponseWriter
// with io.Copy and the bytes move inside the host, never entering the
// Worker's memory.
type R2ObjectBody struct {
	R2Object
	Body io.ReadCloser
}

// Head returns an object's metadata, or an error matching ErrNotFound.
func (b *R2Bucket) Head(key string) (*R2Object, error) {
	if err := r2Key(key); err != nil {
		return nil, err
	}
	o, err := b.h.Head(key)
	if err != nil {
		return nil, r2Err(err)
	}
	if !o.Some {
		return nil, &R2Error{ErrNotFound, fmt.Sprintf("r2: no object %q in bucket %s", key, b.name)}
	}
	obj := objectFromWIT(o.Value)
	return &obj, nil
}

// Get returns an object and its body, or an error matching ErrNotFound.
// When opts.OnlyIf fails, the object comes without a body (Body is nil).
func (b *R2Bucket) Get(key string, opts *R2GetOptions) (*R2ObjectBody, error) {
	if err := r2Key(key); err != nil {
		return nil, err
	}
	var o r2wit.GetOptions
	if opts != nil {
		if err := opts.OnlyIf.check(); err != nil {
			return nil, err
		}
		o.OnlyIf = opts.OnlyIf.wit()
		if r := opts.Range; r != nil {
			if r.Offset < 0 || r.Length < 0 || r.Suffix < 0 {
				return nil, &R2Error{ErrInvalidRange, fmt.Sprintf("r2: range %+v has a negative field", *r)}
			}
			var wr r2wit.Range
			if r.Suffix > 0 {
				wr.Suffix = some(uint64(r.Suffix))
			} else {
				wr.Offset = some(uint64(max(r.Offset, 0)))
				if r.Length > 0 {
					wr.Length = some(uint64(r.Length))
				}
			}
			o.Range = some(wr)
		}
	}
	v, err := b.h.Get(key, o)
	if err != nil {
		return nil, r2Err(err)
	}
	if !v.Some {
		return nil, &R2Error{ErrNotFound, fmt.Sprintf("r2: no object %q in bucket %s", key, b.name)}
	}
	ob := &R2ObjectBody{R2Object: objectFromWIT(v.Value.Object)}
	if v.Value.Body.Some {
		ob.Body = &bodyReader{s: v.Value.Body.Value}
	}
	return ob, nil
}

// R2PutOptions are the options of Put.
type R2PutOptions struct {
	HTTPMetadata   R2HTTPMetadata
	CustomMetadata map[string]string
	// Checksums the bytes must have (MD5 and at most one SHA); a mismatch
	// fails with ErrBadDigest and stores nothing.
	Checksums R2Checksums
	// OnlyIf makes the put conditional; when it fails Put returns an error
	// matching ErrPreconditionFailed.
	OnlyIf       *R2Conditional
	StorageClass string
}

// R2HTTPMetadataFromHeaders picks the stored HTTP headers from h, as R2's
// put does when given a Headers object.
func R2HTTPMetadataFromHeaders(h http.Header) R2HTTPMetadata {
	m := R2HTTPMetadata{
		ContentType:        h.Get("Content-Type"),
		ContentLanguage:    h.Get("Content-Language"),
		ContentDisposition: h.Get("Content-Disposition"),
		ContentEncoding:    h.Get("Content-Encoding"),
		CacheControl:       h.Get("Cache-Control"),
	}
	if t, err := http.ParseTime(h.Get("Expires")); err == nil {
		m.CacheExpiry = t
	}
	return m
}

// check refuses options with a string that could not cross to the host.
func (o *R2PutOptions) check() error {
	if o == nil {
		return nil
	}
	if err := o.OnlyIf.check(); err != nil {
		return err
	}
	return r2Strings("put option", o.HTTPMetadata, o.CustomMetadata, o.StorageClass)
}

func (o *R2PutOptions) wit() r2wit.PutOptions {
	if o == nil {
		return r2wit.PutOptions{CustomMetadata: []cabi.Tuple2[string, string]{}}
	}
	return r2wit.PutOptions{
		HTTPMetadata:   some(httpMetadataWIT(o.HTTPMetadata)),
		CustomMetadata: pairs(o.CustomMetadata),
		Checksums: r2wit.Checksums{
			Md5: optBytes(o.Checksums.MD5), Sha1: optBytes(o.Checksums.SHA1), Sha256: optBytes(o.Checksums.SHA256),
			Sha384: optBytes(o.Checksums.SHA384), Sha512: optBytes(o.Checksums.SHA512),
		},
		OnlyIf:       o.OnlyIf.wit(),
		StorageClass: optString(o.StorageClass),
	}
}

// smallBody is the most Put reads into memory to send in one call; a
// longer body streams.
const smallBody = 1 << 20

// Put stores body under key and returns the new object. A request body
// (r.Body) or another object's body moves inside the host without a copy
// through the Worker; any other reader streams in chunks, so a body never
// has to fit in memory.
func (b *R2Bucket) Put(key string, body io.Reader, opts *R2PutOptions) (*R2Object, error) {
	if err := r2Key(key); err != nil {
		return nil, err
	}
	if err := opts.check(); err != nil {
		return nil, err
	}
	o := opts.wit()
	if s, ok := hostStream(body); ok {
		return putResult(b.h.Put(key, r2wit.Body{Tag: r2wit.BodyStream, Stream: s}, o))
	}
	head, rest, err := readHead(body)
	if err != nil {
		return nil, &R2Error{ErrBody, "r2: read body: " + err.Error()}
	}
	if rest == nil {
		return putResult(b.h.Put(key, r2wit.Body{Tag: r2wit.BodyBytes, Bytes: head}, o))
	}
	w, werr := b.h.PutWriter(key, o)
	if werr != nil {
		return nil, r2Err(werr)
	}
	defer w.Drop()
	if err := copyChunks(head, rest, func(p []byte) *r2wit.Error { return w.Write(p) }); err != nil {
		return nil, err
	}
	return putResult(w.Finish())
}

func putResult(v cabi.Option[r2wit.Object], err *r2wit.Error) (*R2Object, error) {
	if err != nil {
		return nil, r2Err(err)
	}
	if !v.Some {
		return nil, &R2Error{ErrPreconditionFailed, "r2: precondition failed"}
	}
	obj := objectFromWIT(v.Value)
	return &obj, nil
}

// hostStream returns the host stream behind r when it is one the SDK made
// and nothing of it has been read into the Worker's memory: it can then be
// handed to the host whole. The reader is consumed.
func hostStream(r io.Reader) (stream.InputStream, bool) {
	br, ok := r.(*bodyReader)
	if !ok || br.done || br.closed {
		return 0, false
	}
	br.done, br.closed = true, true // the handle moves to the host
	return br.s, true
}

// readHead reads up to smallBody bytes; rest is nil when that was all.
func readHead(r io.Reader) (head []byte, rest io.Reader, err error) {
	if r == nil {
		return []byte{}, nil, nil
	}
	buf := make([]byte, 0, 4096)
	for len(buf) < smallBody {
		if len(buf) == cap(buf) {
			buf = append(buf, 0)[:len(buf)]
		}
		n, err := r.Read(buf[len(buf):min(cap(buf), smallBody)])
		buf = buf[:len(buf)+n]
		if errors.Is(err, io.EOF) {
			return buf, nil, nil
		}
		if err != nil {
			return nil, nil, err
		}
	}
	return buf, r, nil
}

// copyChunks writes head, then rest in chunks, through write.
func copyChunks(head []byte, rest io.Reader, write func([]byte) *r2wit.Error) error {
	if err := write(head); err != nil {
		return r2Err(err)
	}
	buf := head[:cap(head)]
	for {
		n, err := rest.Read(buf)
		if n > 0 {
			if werr := write(buf[:n]); werr != nil {
				return r2Err(werr)
			}
		}
		if errors.Is(err, io.EOF) {
			return nil
		}
		if err != nil {
			return &R2Error{ErrBody, "r2: read body: " + err.Error()}
		}
	}
}

// Delete deletes up to 1000 keys; missing keys are not an error.
func (b *R2Bucket) Delete(keys ...string) error {
	if keys == nil {
		keys = []string{}
	}
	if err := r2Key(keys...); err != nil {
		return err
	}
	return r2Err(b.h.Delete(keys))
}

// R2ListOptions are the options of List.
type R2ListOptions struct {
	// Limit is the page size, 1 to 1000 (default 1000).
	Limit      int
	Prefix     string
	Cursor     string
	Delimiter  string
	StartAfter string
	// Include fills these fields of the listed objects: "httpMetadata",
	// "customMetadata".
	Include []string
}

// R2Objects is one page of a list. Loop while Truncated, passing Cursor.
type R2Objects struct {
	Objects           []R2Object `json:"objects"`
	Truncated         bool       `json:"truncated"`
	Cursor            string     `json:"cursor,omitempty"`
	DelimitedPrefixes []string   `json:"delimitedPrefixes"`
}

// List lists objects in key order.
func (b *R2Bucket) List(opts *R2ListOptions) (*R2Objects, error) {
	var o r2wit.ListOptions
	if opts != nil {
		if opts.Limit < 0 || uint64(opts.Limit) > math.MaxUint32 {
			return nil, &R2Error{ErrInvalidArgument, fmt.Sprintf("r2: list limit %d is out of range (1 to 1000)", opts.Limit)}
		}
		if bad, ok := badUTF8(opts.Prefix, opts.Cursor, opts.Delimiter, opts.StartAfter); ok {
			return nil, &R2Error{ErrInvalidArgument, fmt.Sprintf("r2: list option %q is not valid UTF-8", bad)}
		}
		if opts.Limit != 0 {
			o.Limit = some(uint32(opts.Limit))
		}
		o.Prefix, o.Cursor = optString(opts.Prefix), optString(opts.Cursor)
		o.Delimiter, o.StartAfter = optString(opts.Delimiter), optString(opts.StartAfter)
		for _, inc := range opts.Include {
			switch inc {
			case "httpMetadata":
				o.IncludeHTTPMetadata = true
			case "customMetadata":
				o.IncludeCustomMetadata = true
			default:
				return nil, &R2Error{ErrInvalidArgument, fmt.Sprintf("r2: list include %q is not httpMetadata or customMetadata", inc)}
			}
		}
	}
	r, err := b.h.ListObjects(o)
	if err != nil {
		return nil, r2Err(err)
	}
	out := &R2Objects{Objects: make([]R2Object, len(r.Objects)), Truncated: r.Truncated, Cursor: r.Cursor.Value, DelimitedPrefixes: r.DelimitedPrefixes}
	for i, obj := range r.Objects {
		out.Objects[i] = objectFromWIT(obj)
	}
	return out, nil
}

// R2MultipartOptions are the options of CreateMultipartUpload; they apply
// to the completed object.
type R2MultipartOptions struct {
	HTTPMetadata   R2HTTPMetadata
	CustomMetadata map[string]string
	StorageClass   string
}

// R2MultipartUpload is an incomplete multipart upload. Keep UploadID to
// resume it in a later request with ResumeMultipartUpload.
type R2MultipartUpload struct {
	Key      string
	UploadID string
	h        r2wit.MultipartUpload
	err      error // why it cannot be used (ResumeMultipartUpload)
}

// R2UploadedPart identifies a stored part for Complete.
type R2UploadedPart struct {
	PartNumber int    `json:"partNumber"`
	ETag       string `json:"etag"`
}

// CreateMultipartUpload starts a multipart upload of key.
func (b *R2Bucket) CreateMultipartUpload(key string, opts *R2MultipartOptions) (*R2MultipartUpload, error) {
	if err := r2Key(key); err != nil {
		return nil, err
	}
	o := r2wit.MultipartOptions{CustomMetadata: []cabi.Tuple2[string, string]{}}
	if opts != nil {
		if err := r2Strings("multipart option", opts.HTTPMetadata, opts.CustomMetadata, opts.StorageClass); err != nil {
			return nil, err
		}
		o = r2wit.MultipartOptions{HTTPMetadata: some(httpMetadataWIT(opts.HTTPMetadata)), CustomMetadata: pairs(opts.CustomMetadata), StorageClass: optString(opts.StorageClass)}
	}
	h, err := b.h.CreateMultipartUpload(key, o)
	if err != nil {
		return nil, r2Err(err)
	}
	return &R2MultipartUpload{Key: key, UploadID: h.UploadID(), h: h}, nil
}

// ResumeMultipartUpload continues an upload by its id. It does not check
// that the upload exists; its operations return ErrNoSuchUpload if not
// (or ErrInvalidKey for a key or id that is not valid UTF-8).
func (b *R2Bucket) ResumeMultipartUpload(key, uploadID string) *R2MultipartUpload {
	if err := r2Key(key, uploadID); err != nil {
		return &R2MultipartUpload{Key: key, UploadID: uploadID, err: err}
	}
	return &R2MultipartUpload{Key: key, UploadID: uploadID, h: b.h.ResumeMultipartUpload(key, uploadID)}
}

// UploadPart stores part number n (1 to 10000) from body; like Put, a host
// body moves without a copy and any other reader streams.
func (u *R2MultipartUpload) UploadPart(n int, body io.Reader) (R2UploadedPart, error) {
	if u.err != nil {
		return R2UploadedPart{}, u.err
	}
	if n < 1 || n > 10000 {
		return R2UploadedPart{}, &R2Error{ErrInvalidArgument, fmt.Sprintf("r2: part number %d is not 1 to 10000", n)}
	}
	if s, ok := hostStream(body); ok {
		return partResult(u.h.UploadPart(uint32(n), r2wit.Body{Tag: r2wit.BodyStream, Stream: s}))
	}
	head, rest, err := readHead(body)
	if err != nil {
		return R2UploadedPart{}, &R2Error{ErrBody, "r2: read part: " + err.Error()}
	}
	if rest == nil {
		return partResult(u.h.UploadPart(uint32(n), r2wit.Body{Tag: r2wit.BodyBytes, Bytes: head}))
	}
	w, werr := u.h.PartWriter(uint32(n))
	if werr != nil {
		return R2UploadedPart{}, r2Err(werr)
	}
	defer w.Drop()
	if err := copyChunks(head, rest, func(p []byte) *r2wit.Error { return w.Write(p) }); err != nil {
		return R2UploadedPart{}, err
	}
	return partResult(w.Finish())
}

func partResult(p r2wit.UploadedPart, err *r2wit.Error) (R2UploadedPart, error) {
	if err != nil {
		return R2UploadedPart{}, r2Err(err)
	}
	return R2UploadedPart{PartNumber: int(p.PartNumber), ETag: p.Etag}, nil
}

// Complete joins the parts into the object. Parts must be in ascending
// order of part number.
func (u *R2MultipartUpload) Complete(parts []R2UploadedPart) (*R2Object, error) {
	if u.err != nil {
		return nil, u.err
	}
	ps := make([]r2wit.UploadedPart, len(parts))
	for i, p := range parts {
		if p.PartNumber < 0 || uint64(p.PartNumber) > math.MaxUint32 {
			return nil, &R2Error{ErrInvalidPart, fmt.Sprintf("r2: part number %d is out of range", p.PartNumber)}
		}
		if bad, ok := badUTF8(p.ETag); ok {
			return nil, &R2Error{ErrInvalidPart, fmt.Sprintf("r2: part etag %q is not valid UTF-8", bad)}
		}
		ps[i] = r2wit.UploadedPart{PartNumber: uint32(p.PartNumber), Etag: p.ETag}
	}
	o, err := u.h.Complete(ps)
	if err != nil {
		return nil, r2Err(err)
	}
	obj := objectFromWIT(o)
	return &obj, nil
}

// Abort discards the upload and its parts.
func (u *R2MultipartUpload) Abort() error {
	if u.err != nil {
		return u.err
	}
	return r2Err(u.h.Abort())
}

func objectFromWIT(o r2wit.Object) R2Object {
	out := R2Object{
		Key: o.Key, Version: o.Version, Size: int64(min(o.Size, 1<<62)), ETag: o.Etag,
		Uploaded: fromMS(o.Uploaded),
		HTTPMetadata: R2HTTPMetadata{
			ContentType: o.HTTPMetadata.ContentType.Value, ContentLanguage: o.HTTPMetadata.ContentLanguage.Value,
			ContentDisposition: o.HTTPMetadata.ContentDisposition.Value, ContentEncoding: o.HTTPMetadata.ContentEncoding.Value,
			CacheControl: o.HTTPMetadata.CacheControl.Value,
		},
		Checksums: R2Checksums{
			MD5: o.Checksums.Md5.Value, SHA1: o.Checksums.Sha1.Value, SHA256: o.Checksums.Sha256.Value,
			SHA384: o.Checksums.Sha384.Value, SHA512: o.Checksums.Sha512.Value,
		},
		StorageClass: o.StorageClass,
	}
	if o.HTTPMetadata.CacheExpiry.Some {
		out.HTTPMetadata.CacheExpiry = fromMS(o.HTTPMetadata.CacheExpiry.Value)
	}
	if len(o.CustomMetadata) > 0 {
		out.CustomMetadata = make(map[string]string, len(o.CustomMetadata))
		for _, p := range o.CustomMetadata {
			out.CustomMetadata[p.F0] = p.F1
		}
	}
	if o.Range.Some {
		out.Range = &R2Range{Offset: int64(min(o.Range.Value.Offset.Value, 1<<62)), Length: int64(min(o.Range.Value.Length.Value, 1<<62))}
	}
	return out
}

func httpMetadataWIT(m R2HTTPMetadata) r2wit.HTTPMetadata {
	w := r2wit.HTTPMetadata{
		ContentType: optString(m.ContentType), ContentLanguage: optString(m.ContentLanguage),
		ContentDisposition: optString(m.ContentDisposition), ContentEncoding: optString(m.ContentEncoding),
		CacheControl: optString(m.CacheControl),
	}
	if !m.CacheExpiry.IsZero() {
		w.CacheExpiry = some(ms(m.CacheExpiry))
	}
	return w
}

func pairs(m map[string]string) []cabi.Tuple2[string, string] {
	out := make([]cabi.Tuple2[string, string], 0, len(m))
	for k, v := range m {
		out = append(out, cabi.Tuple2[string, string]{F0: k, F1: v})
	}
	sort.Slice(out, func(i, j int) bool { return out[i].F0 < out[j].F0 })
	return out
}

func some[T any](v T) cabi.Option[T] { return cabi.Option[T]{Some: true, Value: v} }

func optString(s string) cabi.Option[string] {
	if s == "" {
		return cabi.Option[string]{}
	}
	return some(s)
}

func optBytes(b []byte) cabi.Option[[]byte] {
	if b == nil {
		return cabi.Option[[]byte]{}
	}
	return some(b)
}

func ms(t time.Time) uint64 {
	if t.Before(time.Unix(0, 0)) {
		return 0
	}
	return uint64(t.UnixMilli())
}

func fromMS(v uint64) time.Time { return time.UnixMilli(int64(min(v, 1<<62))) }

// r2Key refuses keys that could not cross to the host (see badUTF8).
func r2Key(keys ...string) error {
	if bad, ok := badUTF8(keys...); ok {
		return &R2Error{ErrInvalidKey, fmt.Sprintf("r2: key %q is not valid UTF-8", bad)}
	}
	return nil
}

// r2Strings refuses HTTP metadata, custom metadata or a storage class with
// a string that could not cross to the host (header values copied from a
// request may be any bytes).
func r2Strings(what string, m R2HTTPMetadata, custom map[string]string, storageClass string) error {
	bad, ok := badUTF8(m.ContentType, m.ContentLanguage, m.ContentDisposition, m.ContentEncoding, m.CacheControl, storageClass)
	for k, v := range custom {
		if !ok {
			bad, ok = badUTF8(k, v)
		}
	}
	if ok {
		return &R2Error{ErrInvalidArgument, fmt.Sprintf("r2: %s %q is not valid UTF-8", what, bad)}
	}
	return nil
}

// check refuses a conditional with an etag that could not cross to the host.
func (c *R2Conditional) check() error {
	if c == nil {
		return nil
	}
	for _, es := range [][]string{c.EtagMatches, c.EtagDoesNotMatch} {
		if bad, ok := badUTF8(es...); ok {
			return &R2Error{ErrInvalidArgument, fmt.Sprintf("r2: etag %q is not valid UTF-8", bad)}
		}
	}
	return nil
}
