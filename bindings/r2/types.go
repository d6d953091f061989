package r2

import (
	"errors"
	"fmt"
	"io"
	"time"
)

// Object is an object's metadata: what head returns, and what get and list
// return next to (or instead of) the bytes.
type Object struct {
	// Key is the object's key.
	Key string
	// Version identifies this upload of the key; a new put gets a new one.
	Version string
	// Size is the object's length in bytes.
	Size int64
	// ETag is the hex md5 of the bytes for a single put, or S3's multipart
	// ETag (hex md5 of the parts' binary md5s, then "-" and the part count).
	// It has no quotes; see HTTPETag.
	ETag string
	// Uploaded is when the object was written (for multipart: completed).
	Uploaded time.Time
	// HTTPMetadata holds the HTTP headers stored with the object.
	HTTPMetadata HTTPMetadata
	// CustomMetadata holds user-defined pairs (S3's x-amz-meta-*).
	CustomMetadata map[string]string
	// Checksums holds the md5 of single-put objects, and any other
	// checksum the writer supplied and the store verified (or a
	// HashingReader body reported).
	Checksums Checksums
	// StorageClass is "Standard" unless the writer chose another class.
	StorageClass string
	// Range is the part of the object a get returned; nil for the whole
	// object and for head and list.
	Range *Range
}

// HTTPETag returns the ETag quoted, as in an HTTP ETag header.
func (o *Object) HTTPETag() string { return `"` + o.ETag + `"` }

// HTTPMetadata holds the standard HTTP headers R2 stores with an object.
// Empty fields are absent.
type HTTPMetadata struct {
	ContentType        string
	ContentLanguage    string
	ContentDisposition string
	ContentEncoding    string
	CacheControl       string
	// CacheExpiry is the Expires header; the zero time means none.
	CacheExpiry time.Time
}

// Checksums are digests of an object's bytes; nil fields are absent. The
// CRCs are big-endian, as S3's x-amz-checksum-* headers carry them (in
// base64); Workers see only MD5 and the SHAs, as in R2's Workers API.
type Checksums struct {
	MD5    []byte
	SHA1   []byte
	SHA256 []byte
	SHA384 []byte
	SHA512 []byte
	// CRC32 is the CRC-32 of IEEE 802.3 (hash/crc32's IEEE table).
	CRC32 []byte
	// CRC32C is the CRC-32 with Castagnoli's polynomial.
	CRC32C []byte
	// CRC64NVME is the CRC-64/NVME (polynomial 0xAD93D23594C93659).
	CRC64NVME []byte
}

// HashingReader is a put body that hashes the bytes it returns, as
// package s3's request bodies do to check the x-amz-checksum-* values a
// client sends in headers or in a trailer after the body. Once it has
// returned io.EOF, Put calls Checksums and keeps each digest it reports
// with the object, as it keeps those of PutOptions.Checksums (which win
// where both are set), without hashing the bytes again: a digest must be
// of exactly the bytes Read returned.
type HashingReader interface {
	io.Reader
	// Checksums returns the digests of the bytes read; nil fields are
	// absent.
	Checksums() Checksums
}

// Range selects bytes of an object. Either Suffix is set (the last Suffix
// bytes), or Offset and Length are (Length 0 means to the end). In a get
// result (Object.Range) it is resolved: Offset and Length are set to what
// was returned and Suffix is 0.
type Range struct {
	Offset int64
	Length int64
	Suffix int64
}

// Conditional is R2's onlyIf: preconditions evaluated against the current
// object as HTTP evaluates If-Match, If-Unmodified-Since, If-None-Match and
// If-Modified-Since (RFC 9110 §13.2.2): EtagMatches first (UploadedBefore
// only when EtagMatches is empty), then EtagDoesNotMatch (UploadedAfter only
// when EtagDoesNotMatch is empty). Zero fields are not checked.
type Conditional struct {
	// EtagMatches passes when the object exists and its ETag is one of
	// these; "*" matches any existing object.
	EtagMatches []string
	// EtagDoesNotMatch passes when the object does not exist or its ETag is
	// none of these; "*" fails for any existing object.
	EtagDoesNotMatch []string
	// UploadedBefore passes when the object was uploaded at or before it.
	UploadedBefore time.Time
	// UploadedAfter passes when the object was uploaded after it.
	UploadedAfter time.Time
	// SecondsGranularity compares upload times in whole seconds, as HTTP
	// dates do.
	SecondsGranularity bool
}

// GetOptions tune a get.
type GetOptions struct {
	// OnlyIf returns the object without a body (a *PreconditionFailedError)
	// when it fails.
	OnlyIf *Conditional
	// Range returns part of the object.
	Range *Range
}

// PutOptions tune a put.
type PutOptions struct {
	HTTPMetadata   HTTPMetadata
	CustomMetadata map[string]string
	// Checksums the bytes must have; a mismatch fails the put with
	// ErrBadDigest and stores nothing.
	Checksums Checksums
	// OnlyIf makes the put conditional on the current object.
	OnlyIf *Conditional
	// StorageClass defaults to "Standard".
	StorageClass string
}

// ObjectBody is an object with (part of) its bytes. The caller must close
// Body. The bytes are those of Object.Version even if the key is
// overwritten or deleted while Body is read.
type ObjectBody struct {
	*Object
	Body io.ReadCloser
}

// ListOptions select and page the objects of a list.
type ListOptions struct {
	// Prefix limits the list to keys that start with it.
	Prefix string
	// Delimiter, when set, rolls up keys that contain it after Prefix into
	// DelimitedPrefixes (a "directory" listing).
	Delimiter string
	// Cursor continues a truncated list (ListResult.Cursor).
	Cursor string
	// StartAfter lists only keys after it.
	StartAfter string
	// Limit is the most objects and prefixes returned, 1 to 1000; 0 means 1000.
	Limit int
	// IncludeHTTPMetadata and IncludeCustomMetadata fill those fields of
	// the listed objects; otherwise they are empty.
	IncludeHTTPMetadata   bool
	IncludeCustomMetadata bool
}

// ListResult is one page of a list.
type ListResult struct {
	Objects []*Object
	// DelimitedPrefixes are the rolled-up key prefixes, each ending in the
	// delimiter, in order.
	DelimitedPrefixes []string
	// Truncated says more results follow; pass Cursor to get them.
	Truncated bool
	Cursor    string
}

// MultipartOptions tune a multipart upload; they apply to the completed object.
type MultipartOptions struct {
	HTTPMetadata   HTTPMetadata
	CustomMetadata map[string]string
	StorageClass   string
}

// UploadedPart identifies a part for Complete.
type UploadedPart struct {
	PartNumber int
	ETag       string // hex md5 of the part, no quotes
}

// PartInfo describes a stored part of an incomplete upload.
type PartInfo struct {
	PartNumber int
	ETag       string
	Size       int64
	Uploaded   time.Time
}

// UploadInfo describes an incomplete multipart upload.
type UploadInfo struct {
	Key      string
	UploadID string
	Created  time.Time
}

// BucketInfo describes a bucket.
type BucketInfo struct {
	Name    string
	Created time.Time
}

// Limits are the sizes R2 enforces; DefaultLimits returns Cloudflare's.
type Limits struct {
	MaxKeyBytes      int   // 1024
	MaxMetadataBytes int   // 8192: custom metadata names and values together
	MaxPutBytes      int64 // 5 GiB for one put
	MinPartBytes     int64 // 5 MiB for every part but the last
	MaxPartBytes     int64 // 5 GiB
	MaxParts         int   // 10,000
	MaxListLimit     int   // 1000
	// UploadExpiry is how long an incomplete multipart upload lives (7 days).
	UploadExpiry time.Duration
}

// DefaultLimits returns R2's limits.
func DefaultLimits() Limits {
	return Limits{
		MaxKeyBytes:      1024,
		MaxMetadataBytes: 8192,
		MaxPutBytes:      5 << 30,
		MinPartBytes:     5 << 20,
		MaxPartBytes:     5 << 30,
		MaxParts:         10000,
		MaxListLimit:     1000,
		UploadExpiry:     7 * 24 * time.Hour,
	}
}

// Errors. Each returned error wraps one of these and names the key, bucket
// or argument at fault; test with errors.Is.
var (
	ErrNoSuchBucket      = errors.New("no such bucket")
	ErrInvalidBucketName = errors.New("invalid bucket name")
	ErrBucketNotEmpty    = errors.New("bucket not empty")
	ErrNoSuchKey         = errors.New("no such key")
	ErrNoSuchUpload      = errors.New("no such multipart upload")
	ErrInvalidKey        = errors.New("invalid key")
	ErrMetadataTooLarge  = errors.New("metadata too large")
	ErrEntityTooLarge    = errors.New("entity too large")
	ErrEntityTooSmall    = errors.New("entity too small")
	ErrInvalidPart       = errors.New("invalid part")
	// ErrUnequalParts is wrapped, together with ErrInvalidPart, by a
	// Complete whose parts break R2's rule that every part but the last
	// has the same size and the last is no larger (R2's error 10048).
	ErrUnequalParts     = errors.New("all non-trailing parts must have the same length")
	ErrInvalidPartOrder = errors.New("invalid part order")
	ErrBadDigest        = errors.New("bad digest")
	ErrInvalidRange     = errors.New("invalid range")
	ErrInvalidArgument  = errors.New("invalid argument")
	// ErrInvalidCursor is wrapped, together with ErrInvalidArgument, by a
	// List given a cursor that List did not return.
	ErrInvalidCursor = errors.New("invalid cursor")
	// ErrPreconditionFailed is wrapped by *PreconditionFailedError.
	ErrPreconditionFailed = errors.New("precondition failed")
)

// PreconditionFailedError is returned when an OnlyIf condition fails. For a
// get it carries the object (without a body), as R2 returns it.
type PreconditionFailedError struct {
	// Object is the current object; nil if the key does not exist.
	Object *Object
	// NotModified says the failing condition was EtagDoesNotMatch or
	// UploadedAfter: HTTP's 304 for GET and HEAD (412 otherwise).
	NotModified bool
}

// Error implements error.
func (e *PreconditionFailedError) Error() string {
	if e.Object == nil {
		return "precondition failed: no such key"
	}
	if e.NotModified {
		return fmt.Sprintf("precondition failed: %q not modified", e.Object.Key)
	}
	return fmt.Sprintf("precondition failed for %q (etag %s)", e.Object.Key, e.Object.ETag)
}

// Is makes errors.Is(err, ErrPreconditionFailed) true.
func (e *PreconditionFailedError) Is(target error) bool { return target == ErrPreconditionFailed }
