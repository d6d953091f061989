package r2

import (
	"context"
	"io"
)

// Backend is an R2 object store: buckets of objects. *Store (object bytes
// in files, the index in Badger) and *Memory implement it, and the
// conformance suite r2test checks both against R2's semantics; the
// binding, the S3 API (package s3) and the admin API work on any Backend.
//
// A Backend keeps R2's semantics and limits itself: every failure wraps
// one of the Err values of this package, as the methods of *Store
// document. A Backend's buckets are handles made with NewBucket over a
// BucketBackend.
type Backend interface {
	// CreateBucket creates the bucket name if it does not exist yet
	// (ErrInvalidBucketName for a name R2 refuses).
	CreateBucket(ctx context.Context, name string) error
	// DeleteBucket deletes the empty bucket name (ErrNoSuchBucket,
	// ErrBucketNotEmpty).
	DeleteBucket(ctx context.Context, name string) error
	// Buckets returns every bucket, sorted by name.
	Buckets(ctx context.Context) ([]BucketInfo, error)
	// Bucket returns a handle on the bucket name (ErrNoSuchBucket); once
	// the bucket is deleted, the handle's calls fail with ErrNoSuchBucket.
	Bucket(ctx context.Context, name string) (*Bucket, error)
	// Sweep aborts multipart uploads older than Limits.UploadExpiry and
	// cleans up; a host runs it now and then.
	Sweep(ctx context.Context) error
}

// BucketBackend is one bucket of a Backend: what a *Bucket calls. It is
// safe for concurrent use.
type BucketBackend interface {
	// Name returns the bucket's name.
	Name() string
	// Head returns the object key's metadata, or ErrNoSuchKey.
	Head(ctx context.Context, key string) (*Object, error)
	// Get returns the object key with its bytes (or the part opts.Range
	// selects); a failed opts.OnlyIf is a *PreconditionFailedError. The
	// caller closes the body, which reads the version found even if the
	// key is overwritten or deleted meanwhile.
	Get(ctx context.Context, key string, opts GetOptions) (*ObjectBody, error)
	// Put stores body as the object key, replacing any current version.
	Put(ctx context.Context, key string, body io.Reader, opts PutOptions) (*Object, error)
	// Delete deletes the objects keys (at most 1000); missing keys are
	// not an error.
	Delete(ctx context.Context, keys ...string) error
	// List returns one page of the bucket's objects in byte order of
	// their keys.
	List(ctx context.Context, opts ListOptions) (*ListResult, error)
	// CreateMultipartUpload starts a multipart upload of key.
	CreateMultipartUpload(ctx context.Context, key string, opts MultipartOptions) (UploadBackend, error)
	// ResumeMultipartUpload returns a handle on the upload uploadID of
	// key without checking that it exists; calls on it fail with
	// ErrNoSuchUpload if it does not.
	ResumeMultipartUpload(key, uploadID string) UploadBackend
	// ListMultipartUploads returns the incomplete uploads of keys that
	// start with prefix, sorted by key, then creation time.
	ListMultipartUploads(ctx context.Context, prefix string) ([]UploadInfo, error)
}

// UploadBackend is an incomplete multipart upload of a BucketBackend:
// what a *MultipartUpload calls. It is safe for concurrent use (parts may
// be uploaded in parallel).
type UploadBackend interface {
	// Key is the key the completed object gets.
	Key() string
	// UploadID identifies the upload; it is random and unguessable.
	UploadID() string
	// UploadPart stores body as part partNumber (1 to Limits.MaxParts),
	// replacing any earlier upload of that number; md5, when not nil, is
	// the digest the bytes must have.
	UploadPart(ctx context.Context, partNumber int, body io.Reader, md5 []byte) (UploadedPart, error)
	// ListParts returns the upload's parts, by part number.
	ListParts(ctx context.Context) ([]PartInfo, error)
	// Complete turns the listed parts into the object Key.
	Complete(ctx context.Context, parts []UploadedPart) (*Object, error)
	// Abort deletes the upload and its parts.
	Abort(ctx context.Context) error
}

var _ Backend = (*Store)(nil)

// Bucket is a handle on one bucket of a Backend. It is safe for
// concurrent use.
type Bucket struct{ b BucketBackend }

// NewBucket returns the handle of a Backend's bucket b.
func NewBucket(b BucketBackend) *Bucket { return &Bucket{b: b} }

// Name returns the bucket's name.
func (b *Bucket) Name() string { return b.b.Name() }

// Head returns the object key's metadata, or ErrNoSuchKey.
func (b *Bucket) Head(ctx context.Context, key string) (*Object, error) { return b.b.Head(ctx, key) }

// Get returns the object key with its bytes, or the part opts.Range
// selects. It fails with ErrNoSuchKey, ErrInvalidRange, or a
// *PreconditionFailedError (carrying the object) when opts.OnlyIf fails;
// then no body is opened. The caller must close the body; it reads the
// version found here even if the key is overwritten or deleted meanwhile.
func (b *Bucket) Get(ctx context.Context, key string, opts GetOptions) (*ObjectBody, error) {
	return b.b.Get(ctx, key, opts)
}

// Put stores body as the object key, replacing any current version. It
// fails with ErrInvalidKey, ErrMetadataTooLarge, ErrEntityTooLarge (over
// Limits.MaxPutBytes), ErrBadDigest (a checksum in opts.Checksums does not
// match) or a *PreconditionFailedError (opts.OnlyIf fails against the
// current version); then nothing is stored. The returned object has
// Checksums.MD5 set, and the digests of opts.Checksums and of a
// HashingReader body, which are stored with the object.
func (b *Bucket) Put(ctx context.Context, key string, body io.Reader, opts PutOptions) (*Object, error) {
	return b.b.Put(ctx, key, body, opts)
}

// Delete deletes the objects keys (at most 1000). Missing keys are not an
// error.
func (b *Bucket) Delete(ctx context.Context, keys ...string) error { return b.b.Delete(ctx, keys...) }

// List returns one page of the bucket's objects in byte order of their
// keys. See ListOptions; a Limit outside 0 to Limits.MaxListLimit fails
// with ErrInvalidArgument, and a cursor List did not return with
// ErrInvalidArgument and ErrInvalidCursor. With a Delimiter, each
// rolled-up prefix counts against the limit like an object.
func (b *Bucket) List(ctx context.Context, opts ListOptions) (*ListResult, error) {
	return b.b.List(ctx, opts)
}

// CreateMultipartUpload starts a multipart upload of key; opts apply to
// the completed object. It fails with ErrInvalidKey or
// ErrMetadataTooLarge.
func (b *Bucket) CreateMultipartUpload(ctx context.Context, key string, opts MultipartOptions) (*MultipartUpload, error) {
	u, err := b.b.CreateMultipartUpload(ctx, key, opts)
	if err != nil {
		return nil, err
	}
	return newUpload(u), nil
}

// ResumeMultipartUpload returns a handle on the upload uploadID of key
// without checking that it exists (as R2 does); calls on it fail with
// ErrNoSuchUpload if it does not.
func (b *Bucket) ResumeMultipartUpload(key, uploadID string) *MultipartUpload {
	return newUpload(b.b.ResumeMultipartUpload(key, uploadID))
}

// ListMultipartUploads returns the bucket's incomplete uploads of keys
// that start with prefix, sorted by key, then creation time.
func (b *Bucket) ListMultipartUploads(ctx context.Context, prefix string) ([]UploadInfo, error) {
	return b.b.ListMultipartUploads(ctx, prefix)
}

// MultipartUpload is an incomplete multipart upload of Key. It is safe for
// concurrent use (parts may be uploaded in parallel).
type MultipartUpload struct {
	// Key is the key the completed object gets.
	Key string
	// UploadID identifies the upload; it is random and unguessable.
	UploadID string

	u UploadBackend
}

func newUpload(u UploadBackend) *MultipartUpload {
	return &MultipartUpload{Key: u.Key(), UploadID: u.UploadID(), u: u}
}

// UploadPart stores body as part partNumber (1 to Limits.MaxParts),
// replacing any earlier upload of that number. md5, when not nil, is the
// digest the bytes must have (else ErrBadDigest). A part over
// Limits.MaxPartBytes fails with ErrEntityTooLarge.
func (u *MultipartUpload) UploadPart(ctx context.Context, partNumber int, body io.Reader, md5 []byte) (UploadedPart, error) {
	return u.u.UploadPart(ctx, partNumber, body, md5)
}

// ListParts returns the upload's parts, by part number.
func (u *MultipartUpload) ListParts(ctx context.Context) ([]PartInfo, error) {
	return u.u.ListParts(ctx)
}

// Complete turns the listed parts, in strictly ascending part number order
// (ErrInvalidPartOrder), into the object Key, replacing its current
// version. Each listed part must exist with that ETag (ErrInvalidPart);
// every part but the last must be at least Limits.MinPartBytes
// (ErrEntityTooSmall) and, as R2 requires, all of them the same size, with
// the last one no larger (ErrInvalidPart and ErrUnequalParts). Parts not
// listed are deleted. The ETag is S3's multipart ETag. Complete after
// Abort or Complete fails with ErrNoSuchUpload.
func (u *MultipartUpload) Complete(ctx context.Context, parts []UploadedPart) (*Object, error) {
	return u.u.Complete(ctx, parts)
}

// Abort deletes the upload and its parts; it fails with ErrNoSuchUpload if
// the upload was completed or aborted.
func (u *MultipartUpload) Abort(ctx context.Context) error { return u.u.Abort(ctx) }
