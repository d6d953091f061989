package r2

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"sort"
	"time"

	"github.com/bindery-run/bindery/abi"
	"github.com/bindery-run/bindery/abi/stream"
	"github.com/bindery-run/bindery/bindings/r2/r2wit"
)

// WIT returns the host side of bindery:r2/bucket for a host.Runtime.
func WIT() abi.Interface {
	return abi.Interface{Name: r2wit.BucketInterface, Define: r2wit.DefineBucket, Deny: NewBinding(nil)}
}

// Binding is one Worker's R2 grants: each binding name (e.g. "BUCKET")
// maps to a bucket. A guest can open only the names granted here. It
// satisfies host.Binding and is safe for concurrent use.
type Binding struct {
	buckets map[string]*Bucket
}

// NewBinding grants the buckets by binding name.
func NewBinding(buckets map[string]*Bucket) *Binding {
	return &Binding{buckets: buckets}
}

// WIT returns the host side of the interface the binding implements.
func (b *Binding) WIT() abi.Interface { return WIT() }

// Names returns the granted binding names, sorted.
func (b *Binding) Names() []string {
	names := make([]string, 0, len(b.buckets))
	for n := range b.buckets {
		names = append(names, n)
	}
	sort.Strings(names)
	return names
}

// BucketOpen implements [static]bucket.open.
func (b *Binding) BucketOpen(ctx context.Context, name string) (r2wit.Bucket, *r2wit.Error) {
	bk, ok := b.buckets[name]
	if !ok {
		return nil, &r2wit.Error{Tag: r2wit.ErrorNoSuchBucket, NoSuchBucket: "no R2 binding named " + name + " in the worker's config"}
	}
	return bucketHandle{bk}, nil
}

var _ r2wit.BucketHost = (*Binding)(nil)

// bucketHandle is the representation of an open bucket resource.
type bucketHandle struct{ b *Bucket }

var _ r2wit.Bucket = bucketHandle{}

func (h bucketHandle) Head(ctx context.Context, key string) (abi.Option[r2wit.Object], *r2wit.Error) {
	o, err := h.b.Head(ctx, key)
	if errors.Is(err, ErrNoSuchKey) {
		return abi.Option[r2wit.Object]{}, nil
	}
	if err != nil {
		return abi.Option[r2wit.Object]{}, witError(err)
	}
	return abi.Some(toWIT(o)), nil
}

func (h bucketHandle) Get(ctx context.Context, key string, o r2wit.GetOptions) (abi.Option[r2wit.ObjectBody], *r2wit.Error) {
	var opts GetOptions
	if o.OnlyIf.Some {
		opts.OnlyIf = fromWITConditional(o.OnlyIf.Value)
	}
	if o.Range.Some {
		r, err := fromWITRange(o.Range.Value)
		if err != nil {
			return abi.Option[r2wit.ObjectBody]{}, witError(err)
		}
		opts.Range = r
	}
	ob, err := h.b.Get(ctx, key, opts)
	var pf *PreconditionFailedError
	switch {
	case errors.Is(err, ErrNoSuchKey):
		return abi.Option[r2wit.ObjectBody]{}, nil
	case errors.As(err, &pf):
		if pf.Object == nil {
			return abi.Option[r2wit.ObjectBody]{}, nil
		}
		return abi.Some(r2wit.ObjectBody{Object: toWIT(pf.Object)}), nil
	case err != nil:
		return abi.Option[r2wit.ObjectBody]{}, witError(err)
	}
	return abi.Some(r2wit.ObjectBody{Object: toWIT(ob.Object), Body: abi.Some(stream.FromReadCloser(ctx, ob.Body))}), nil
}

func (h bucketHandle) Put(ctx context.Context, key string, v r2wit.Body, o r2wit.PutOptions) (abi.Option[r2wit.Object], *r2wit.Error) {
	opts, err := fromWITPut(o)
	if err != nil {
		return abi.Option[r2wit.Object]{}, witError(err)
	}
	return putResult(h.b.Put(ctx, key, bodyReader(ctx, v), opts))
}

func putResult(obj *Object, err error) (abi.Option[r2wit.Object], *r2wit.Error) {
	if errors.Is(err, ErrPreconditionFailed) {
		return abi.Option[r2wit.Object]{}, nil
	}
	if err != nil {
		return abi.Option[r2wit.Object]{}, witError(err)
	}
	return abi.Some(toWIT(obj)), nil
}

func (h bucketHandle) PutWriter(ctx context.Context, key string, o r2wit.PutOptions) (r2wit.ObjectWriter, *r2wit.Error) {
	opts, err := fromWITPut(o)
	if err != nil {
		return nil, witError(err)
	}
	w := &objectWriter{}
	w.start(ctx, func(r io.Reader) (err error) {
		w.obj, err = h.b.Put(ctx, key, r, opts)
		return err
	})
	return w, nil
}

func (h bucketHandle) Delete(ctx context.Context, keys []string) *r2wit.Error {
	return witError(h.b.Delete(ctx, keys...))
}

func (h bucketHandle) ListObjects(ctx context.Context, o r2wit.ListOptions) (r2wit.ListResult, *r2wit.Error) {
	opts := ListOptions{
		Prefix:                o.Prefix.Value,
		Delimiter:             o.Delimiter.Value,
		Cursor:                o.Cursor.Value,
		StartAfter:            o.StartAfter.Value,
		IncludeHTTPMetadata:   o.IncludeHTTPMetadata,
		IncludeCustomMetadata: o.IncludeCustomMetadata,
	}
	if o.Limit.Some {
		if o.Limit.Value == 0 {
			return r2wit.ListResult{}, &r2wit.Error{Tag: r2wit.ErrorInvalidArgument, InvalidArgument: "list limit must be at least 1"}
		}
		opts.Limit = int(min(o.Limit.Value, 1<<20))
	}
	r, err := h.b.List(ctx, opts)
	if err != nil {
		return r2wit.ListResult{}, witError(err)
	}
	out := r2wit.ListResult{Objects: make([]r2wit.Object, len(r.Objects)), Truncated: r.Truncated, DelimitedPrefixes: r.DelimitedPrefixes}
	if out.DelimitedPrefixes == nil {
		out.DelimitedPrefixes = []string{}
	}
	if r.Cursor != "" {
		out.Cursor = abi.Some(r.Cursor)
	}
	for i, obj := range r.Objects {
		out.Objects[i] = toWIT(obj)
	}
	return out, nil
}

func (h bucketHandle) CreateMultipartUpload(ctx context.Context, key string, o r2wit.MultipartOptions) (r2wit.MultipartUpload, *r2wit.Error) {
	opts := MultipartOptions{CustomMetadata: fromWITMetadata(o.CustomMetadata), StorageClass: o.StorageClass.Value}
	if o.HTTPMetadata.Some {
		opts.HTTPMetadata = fromWITHTTP(o.HTTPMetadata.Value)
	}
	u, err := h.b.CreateMultipartUpload(ctx, key, opts)
	if err != nil {
		return nil, witError(err)
	}
	return uploadHandle{u}, nil
}

func (h bucketHandle) ResumeMultipartUpload(ctx context.Context, key, uploadID string) r2wit.MultipartUpload {
	return uploadHandle{h.b.ResumeMultipartUpload(key, uploadID)}
}

// uploadHandle is the representation of a multipart-upload resource.
type uploadHandle struct{ u *MultipartUpload }

var _ r2wit.MultipartUpload = uploadHandle{}

func (h uploadHandle) Key(ctx context.Context) string      { return h.u.Key }
func (h uploadHandle) UploadID(ctx context.Context) string { return h.u.UploadID }

func (h uploadHandle) UploadPart(ctx context.Context, n uint32, v r2wit.Body) (r2wit.UploadedPart, *r2wit.Error) {
	p, err := h.u.UploadPart(ctx, int(min(n, 1<<30)), bodyReader(ctx, v), nil)
	if err != nil {
		return r2wit.UploadedPart{}, witError(err)
	}
	return r2wit.UploadedPart{PartNumber: uint32(p.PartNumber), Etag: p.ETag}, nil
}

func (h uploadHandle) PartWriter(ctx context.Context, n uint32) (r2wit.PartWriter, *r2wit.Error) {
	w := &partWriter{}
	w.start(ctx, func(r io.Reader) (err error) {
		w.part, err = h.u.UploadPart(ctx, int(min(n, 1<<30)), r, nil)
		return err
	})
	return w, nil
}

func (h uploadHandle) Complete(ctx context.Context, parts []r2wit.UploadedPart) (r2wit.Object, *r2wit.Error) {
	ps := make([]UploadedPart, len(parts))
	for i, p := range parts {
		ps[i] = UploadedPart{PartNumber: int(min(p.PartNumber, 1<<30)), ETag: p.Etag}
	}
	obj, err := h.u.Complete(ctx, ps)
	if err != nil {
		return r2wit.Object{}, witError(err)
	}
	return toWIT(obj), nil
}

func (h uploadHandle) Abort(ctx context.Context) *r2wit.Error {
	return witError(h.u.Abort(ctx))
}

// errWriterGone ends a writer's pipe once its put has returned.
var errWriterGone = errors.New("r2: the put has ended")

// errAbandoned fails a put whose writer the guest dropped unfinished.
var errAbandoned = errors.New("r2: writer dropped before finish")

// pipeWriter feeds the guest's writes to a put running in its own
// goroutine, so the bytes stream to disk without being held in memory.
// It backs the object-writer and part-writer resources.
type pipeWriter struct {
	pw       *io.PipeWriter
	done     chan struct{}
	finished bool
	err      error // the put's, once done is closed
}

func (w *pipeWriter) start(ctx context.Context, put func(io.Reader) error) {
	pr, pw := io.Pipe()
	w.pw, w.done = pw, make(chan struct{})
	// A writer the guest neither finishes nor drops fails when its request
	// ends, so the put's goroutine and temp file never outlive it.
	stop := context.AfterFunc(ctx, func() { pw.CloseWithError(fmt.Errorf("%w: %w", errAbandoned, context.Cause(ctx))) })
	go func() {
		defer close(w.done)
		defer stop()
		w.err = put(pr)
		pr.CloseWithError(errWriterGone) // unblock a Write after a failed put
	}()
}

var errFinished = &r2wit.Error{Tag: r2wit.ErrorInvalidArgument, InvalidArgument: "writer already finished"}

func (w *pipeWriter) Write(ctx context.Context, p []byte) *r2wit.Error {
	if w.finished {
		return errFinished
	}
	if _, err := w.pw.Write(p); err != nil {
		<-w.done // the put failed: report why
		w.finished = true
		if w.err != nil {
			return witError(w.err)
		}
		return witError(err)
	}
	return nil
}

// finish ends the bytes and waits for the put.
func (w *pipeWriter) finish() *r2wit.Error {
	if w.finished {
		return errFinished
	}
	w.finished = true
	w.pw.Close()
	<-w.done
	return nil
}

// Drop abandons an unfinished put: nothing is stored.
func (w *pipeWriter) Drop(ctx context.Context) {
	if !w.finished {
		w.finished = true
		w.pw.CloseWithError(errAbandoned)
		<-w.done
	}
}

// objectWriter is the representation of an object-writer resource.
type objectWriter struct {
	pipeWriter
	obj *Object
}

var _ r2wit.ObjectWriter = (*objectWriter)(nil)

func (w *objectWriter) Finish(ctx context.Context) (abi.Option[r2wit.Object], *r2wit.Error) {
	if e := w.finish(); e != nil {
		return abi.Option[r2wit.Object]{}, e
	}
	return putResult(w.obj, w.err)
}

// partWriter is the representation of a part-writer resource.
type partWriter struct {
	pipeWriter
	part UploadedPart
}

var _ r2wit.PartWriter = (*partWriter)(nil)

func (w *partWriter) Finish(ctx context.Context) (r2wit.UploadedPart, *r2wit.Error) {
	if e := w.finish(); e != nil {
		return r2wit.UploadedPart{}, e
	}
	if w.err != nil {
		return r2wit.UploadedPart{}, witError(w.err)
	}
	return r2wit.UploadedPart{PartNumber: uint32(w.part.PartNumber), Etag: w.part.ETag}, nil
}

// errBody marks a failure to read the guest's body stream.
var errBody = errors.New("read body")

// bodyReader returns the bytes of a put or part.
func bodyReader(ctx context.Context, v r2wit.Body) io.Reader {
	if v.Tag == r2wit.BodyStream {
		return bodyErrReader{stream.Reader(ctx, v.Stream)}
	}
	return bytes.NewReader(v.Bytes)
}

// bodyErrReader marks read errors with errBody, so the guest learns that
// its stream failed rather than the store.
type bodyErrReader struct{ r io.Reader }

func (b bodyErrReader) Read(p []byte) (int, error) {
	n, err := b.r.Read(p)
	if err != nil && err != io.EOF {
		err = fmt.Errorf("%w: %w", errBody, err)
	}
	return n, err
}

func ms(t time.Time) uint64 {
	if t.IsZero() || t.Before(time.Unix(0, 0)) {
		return 0
	}
	return uint64(t.UnixMilli())
}

func fromMS(v uint64) time.Time { return time.UnixMilli(int64(min(v, 1<<62))) }

func opt(s string) abi.Option[string] {
	if s == "" {
		return abi.Option[string]{}
	}
	return abi.Some(s)
}

func optBytes(b []byte) abi.Option[[]byte] {
	if b == nil {
		return abi.Option[[]byte]{}
	}
	return abi.Some(b)
}

func toWIT(o *Object) r2wit.Object {
	out := r2wit.Object{
		Key:      o.Key,
		Version:  o.Version,
		Size:     uint64(max(o.Size, 0)),
		Etag:     o.ETag,
		Uploaded: ms(o.Uploaded),
		HTTPMetadata: r2wit.HTTPMetadata{
			ContentType:        opt(o.HTTPMetadata.ContentType),
			ContentLanguage:    opt(o.HTTPMetadata.ContentLanguage),
			ContentDisposition: opt(o.HTTPMetadata.ContentDisposition),
			ContentEncoding:    opt(o.HTTPMetadata.ContentEncoding),
			CacheControl:       opt(o.HTTPMetadata.CacheControl),
		},
		CustomMetadata: make([]abi.Tuple2[string, string], 0, len(o.CustomMetadata)),
		Checksums: r2wit.Checksums{
			Md5:    optBytes(o.Checksums.MD5),
			Sha1:   optBytes(o.Checksums.SHA1),
			Sha256: optBytes(o.Checksums.SHA256),
			Sha384: optBytes(o.Checksums.SHA384),
			Sha512: optBytes(o.Checksums.SHA512),
		},
		StorageClass: o.StorageClass,
	}
	if !o.HTTPMetadata.CacheExpiry.IsZero() {
		out.HTTPMetadata.CacheExpiry = abi.Some(ms(o.HTTPMetadata.CacheExpiry))
	}
	names := make([]string, 0, len(o.CustomMetadata))
	for k := range o.CustomMetadata {
		names = append(names, k)
	}
	sort.Strings(names)
	for _, k := range names {
		out.CustomMetadata = append(out.CustomMetadata, abi.Tuple2[string, string]{F0: k, F1: o.CustomMetadata[k]})
	}
	if o.Range != nil {
		out.Range = abi.Some(r2wit.Range{Offset: abi.Some(uint64(o.Range.Offset)), Length: abi.Some(uint64(o.Range.Length))})
	}
	return out
}

func fromWITHTTP(h r2wit.HTTPMetadata) HTTPMetadata {
	out := HTTPMetadata{
		ContentType:        h.ContentType.Value,
		ContentLanguage:    h.ContentLanguage.Value,
		ContentDisposition: h.ContentDisposition.Value,
		ContentEncoding:    h.ContentEncoding.Value,
		CacheControl:       h.CacheControl.Value,
	}
	if h.CacheExpiry.Some {
		out.CacheExpiry = fromMS(h.CacheExpiry.Value)
	}
	return out
}

// fromWITMetadata turns the pairs into a map; a repeated name keeps its last value.
func fromWITMetadata(kv []abi.Tuple2[string, string]) map[string]string {
	if len(kv) == 0 {
		return nil
	}
	m := make(map[string]string, len(kv))
	for _, p := range kv {
		m[p.F0] = p.F1
	}
	return m
}

func fromWITConditional(c r2wit.Conditional) *Conditional {
	out := &Conditional{EtagMatches: c.EtagMatches, EtagDoesNotMatch: c.EtagDoesNotMatch, SecondsGranularity: c.SecondsGranularity}
	if c.UploadedBefore.Some {
		out.UploadedBefore = fromMS(c.UploadedBefore.Value)
	}
	if c.UploadedAfter.Some {
		out.UploadedAfter = fromMS(c.UploadedAfter.Value)
	}
	return out
}

func fromWITRange(r r2wit.Range) (*Range, error) {
	const maxOff = 1 << 62
	switch {
	case r.Suffix.Some && (r.Offset.Some || r.Length.Some):
		return nil, fmt.Errorf("%w: a range has either a suffix or an offset and length", ErrInvalidRange)
	case r.Suffix.Some && r.Suffix.Value == 0:
		return nil, fmt.Errorf("%w: a suffix range must be at least 1 byte", ErrInvalidRange)
	case r.Suffix.Some:
		return &Range{Suffix: int64(min(r.Suffix.Value, maxOff))}, nil
	case r.Length.Some && r.Length.Value == 0:
		return nil, fmt.Errorf("%w: a range length must be at least 1 byte", ErrInvalidRange)
	}
	return &Range{Offset: int64(min(r.Offset.Value, maxOff)), Length: int64(min(r.Length.Value, maxOff))}, nil
}

func fromWITPut(o r2wit.PutOptions) (PutOptions, error) {
	opts := PutOptions{
		CustomMetadata: fromWITMetadata(o.CustomMetadata),
		StorageClass:   o.StorageClass.Value,
		Checksums: Checksums{
			MD5:    o.Checksums.Md5.Value,
			SHA1:   o.Checksums.Sha1.Value,
			SHA256: o.Checksums.Sha256.Value,
			SHA384: o.Checksums.Sha384.Value,
			SHA512: o.Checksums.Sha512.Value,
		},
	}
	if o.HTTPMetadata.Some {
		opts.HTTPMetadata = fromWITHTTP(o.HTTPMetadata.Value)
	}
	if o.OnlyIf.Some {
		opts.OnlyIf = fromWITConditional(o.OnlyIf.Value)
	}
	return opts, nil
}

// witCases maps each error sentinel to its case of the WIT error variant
// and that case's message field.
var witCases = []struct {
	target error
	tag    r2wit.ErrorTag
	field  func(*r2wit.Error) *string
}{
	{ErrNoSuchBucket, r2wit.ErrorNoSuchBucket, func(e *r2wit.Error) *string { return &e.NoSuchBucket }},
	{ErrInvalidKey, r2wit.ErrorInvalidKey, func(e *r2wit.Error) *string { return &e.InvalidKey }},
	{ErrMetadataTooLarge, r2wit.ErrorMetadataTooLarge, func(e *r2wit.Error) *string { return &e.MetadataTooLarge }},
	{ErrEntityTooLarge, r2wit.ErrorEntityTooLarge, func(e *r2wit.Error) *string { return &e.EntityTooLarge }},
	{ErrEntityTooSmall, r2wit.ErrorEntityTooSmall, func(e *r2wit.Error) *string { return &e.EntityTooSmall }},
	{ErrBadDigest, r2wit.ErrorBadDigest, func(e *r2wit.Error) *string { return &e.BadDigest }},
	{ErrInvalidRange, r2wit.ErrorInvalidRange, func(e *r2wit.Error) *string { return &e.InvalidRange }},
	{ErrNoSuchUpload, r2wit.ErrorNoSuchUpload, func(e *r2wit.Error) *string { return &e.NoSuchUpload }},
	{ErrInvalidPart, r2wit.ErrorInvalidPart, func(e *r2wit.Error) *string { return &e.InvalidPart }},
	{ErrInvalidPartOrder, r2wit.ErrorInvalidPartOrder, func(e *r2wit.Error) *string { return &e.InvalidPartOrder }},
	{ErrInvalidArgument, r2wit.ErrorInvalidArgument, func(e *r2wit.Error) *string { return &e.InvalidArgument }},
	{errAbandoned, r2wit.ErrorBody, func(e *r2wit.Error) *string { return &e.Body }},
	{errBody, r2wit.ErrorBody, func(e *r2wit.Error) *string { return &e.Body }},
}

// witError maps a Go error onto the WIT error variant: the one place where
// R2 errors cross to the guest.
func witError(err error) *r2wit.Error {
	if err == nil {
		return nil
	}
	for _, c := range witCases {
		if errors.Is(err, c.target) {
			e := &r2wit.Error{Tag: c.tag}
			*c.field(e) = err.Error()
			return e
		}
	}
	return &r2wit.Error{Tag: r2wit.ErrorInternal, Internal: err.Error()}
}
