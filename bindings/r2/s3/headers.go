package s3

import (
	"encoding/base64"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/bindery-run/bindery/bindings/r2"
)

// parseSize parses a non-negative decimal byte count.
func parseSize(s string) (int64, error) {
	n, err := strconv.ParseInt(s, 10, 64)
	if err != nil {
		return 0, fmt.Errorf("s3: size %q: %w", s, err)
	}
	if n < 0 {
		return 0, fmt.Errorf("s3: size %q is negative", s)
	}
	return n, nil
}

// parseRange interprets a Range header as S3 does: a single "bytes=a-b",
// "bytes=a-" or "bytes=-n". It returns nil for no header and for headers
// HTTP says to ignore (another unit, several ranges, bad syntax), so the
// whole object is returned; it returns an InvalidRange error for a suffix
// of zero bytes, which no object satisfies (the caller answers it once it
// knows the object exists). Ranges past the end of the object are
// resolved by the store.
func parseRange(h string) (*r2.Range, *apiError) {
	h = strings.TrimSpace(h)
	if h == "" {
		return nil, nil
	}
	unit, spec, ok := strings.Cut(h, "=")
	if !ok || !strings.EqualFold(strings.TrimSpace(unit), "bytes") || strings.Contains(spec, ",") {
		return nil, nil
	}
	first, last, ok := strings.Cut(strings.TrimSpace(spec), "-")
	if !ok {
		return nil, nil
	}
	first, last = strings.TrimSpace(first), strings.TrimSpace(last)
	if first == "" {
		n, ok := parseDigits(last)
		if !ok {
			return nil, nil
		}
		if n == 0 {
			return nil, newError("InvalidRange", "")
		}
		return &r2.Range{Suffix: n}, nil
	}
	a, ok := parseDigits(first)
	if !ok {
		return nil, nil
	}
	if last == "" {
		return &r2.Range{Offset: a}, nil
	}
	b, ok := parseDigits(last)
	if !ok || b < a {
		return nil, nil
	}
	if b == 1<<63-1 {
		// b+1 would overflow; a range to the end is the same thing.
		return &r2.Range{Offset: a}, nil
	}
	return &r2.Range{Offset: a, Length: b - a + 1}, nil
}

// parseDigits parses an unsigned decimal of ASCII digits only.
func parseDigits(s string) (int64, bool) {
	if s == "" || len(s) > 19 {
		return 0, false
	}
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return 0, false
		}
	}
	n, err := strconv.ParseInt(s, 10, 64)
	return n, err == nil
}

// parseETags splits an If-Match or If-None-Match list into its entity
// tags, as sent (quoted, possibly weak, or "*"); the store compares them.
func parseETags(h string) []string {
	var tags []string
	for _, t := range strings.Split(h, ",") {
		if t = strings.TrimSpace(t); t != "" {
			tags = append(tags, t)
		}
	}
	return tags
}

// conditionHeaders names the four conditional request headers; copies use
// the x-amz-copy-source-if-* ones.
type conditionHeaders struct {
	ifMatch, ifNoneMatch, ifModifiedSince, ifUnmodifiedSince string
}

var (
	getConditions  = conditionHeaders{"If-Match", "If-None-Match", "If-Modified-Since", "If-Unmodified-Since"}
	copyConditions = conditionHeaders{"X-Amz-Copy-Source-If-Match", "X-Amz-Copy-Source-If-None-Match", "X-Amz-Copy-Source-If-Modified-Since", "X-Amz-Copy-Source-If-Unmodified-Since"}
)

// parseConditional builds R2's onlyIf from conditional headers, or nil if
// there are none. Unparseable dates are ignored, as HTTP says.
func parseConditional(h http.Header, names conditionHeaders) *r2.Conditional {
	var c r2.Conditional
	set := false
	if v := h.Get(names.ifMatch); v != "" {
		c.EtagMatches, set = parseETags(v), true
	}
	if v := h.Get(names.ifNoneMatch); v != "" {
		c.EtagDoesNotMatch, set = parseETags(v), true
	}
	if v := h.Get(names.ifModifiedSince); v != "" {
		if t, err := http.ParseTime(v); err == nil {
			c.UploadedAfter, set = t, true
		}
	}
	if v := h.Get(names.ifUnmodifiedSince); v != "" {
		if t, err := http.ParseTime(v); err == nil {
			c.UploadedBefore, set = t, true
		}
	}
	if !set {
		return nil
	}
	c.SecondsGranularity = true
	return &c
}

// metaPrefix starts the names of user metadata headers.
const metaPrefix = "x-amz-meta-"

// parseMetadata reads the HTTP metadata and x-amz-meta-* headers stored
// with an object.
func parseMetadata(h http.Header) (r2.HTTPMetadata, map[string]string, *apiError) {
	md := r2.HTTPMetadata{
		ContentType:        h.Get("Content-Type"),
		ContentLanguage:    h.Get("Content-Language"),
		ContentDisposition: h.Get("Content-Disposition"),
		ContentEncoding:    stripAWSChunked(h.Get("Content-Encoding")),
		CacheControl:       h.Get("Cache-Control"),
	}
	if v := h.Get("Expires"); v != "" {
		t, err := http.ParseTime(v)
		if err != nil {
			return md, nil, errorf("InvalidArgument", "Expires %q is not an HTTP date.", v)
		}
		md.CacheExpiry = t
	}
	var custom map[string]string
	for name, values := range h {
		lower := strings.ToLower(name)
		if !strings.HasPrefix(lower, metaPrefix) || len(lower) == len(metaPrefix) {
			continue
		}
		if custom == nil {
			custom = map[string]string{}
		}
		custom[lower[len(metaPrefix):]] = strings.Join(values, ",")
	}
	return md, custom, nil
}

// stripAWSChunked removes the aws-chunked coding, which describes only the
// upload's framing, from a Content-Encoding value.
func stripAWSChunked(v string) string {
	if !strings.Contains(v, "aws-chunked") {
		return v
	}
	var keep []string
	for _, c := range strings.Split(v, ",") {
		if c = strings.TrimSpace(c); c != "" && c != "aws-chunked" {
			keep = append(keep, c)
		}
	}
	return strings.Join(keep, ",")
}

// parseStorageClass maps x-amz-storage-class to R2's class names.
func parseStorageClass(v string) (string, *apiError) {
	switch v {
	case "":
		return "", nil
	case "STANDARD":
		return "Standard", nil
	case "STANDARD_IA":
		return "InfrequentAccess", nil
	}
	return "", errorf("InvalidStorageClass", "The storage class %q is not supported; use STANDARD or STANDARD_IA.", v)
}

// s3StorageClass maps R2's class names to S3's.
func s3StorageClass(c string) string {
	switch c {
	case "", "Standard":
		return "STANDARD"
	case "InfrequentAccess":
		return "STANDARD_IA"
	}
	return c
}

// parseContentMD5 decodes a Content-MD5 header; nil if absent.
func parseContentMD5(h http.Header) ([]byte, *apiError) {
	v := h.Get("Content-MD5")
	if v == "" {
		return nil, nil
	}
	b, err := base64.StdEncoding.DecodeString(v)
	if err != nil || len(b) != 16 {
		return nil, newError("InvalidDigest", "")
	}
	return b, nil
}

// writeObjectHeaders sets the response headers that describe an object.
func writeObjectHeaders(w http.ResponseWriter, o *r2.Object) {
	h := w.Header()
	h.Set("ETag", o.HTTPETag())
	h.Set("Last-Modified", o.Uploaded.UTC().Format(http.TimeFormat))
	h.Set("Accept-Ranges", "bytes")
	md := o.HTTPMetadata
	if md.ContentType != "" {
		h.Set("Content-Type", md.ContentType)
	} else {
		h.Set("Content-Type", "application/octet-stream")
	}
	setIf(h, "Content-Language", md.ContentLanguage)
	setIf(h, "Content-Disposition", md.ContentDisposition)
	setIf(h, "Content-Encoding", md.ContentEncoding)
	setIf(h, "Cache-Control", md.CacheControl)
	if !md.CacheExpiry.IsZero() {
		h.Set("Expires", md.CacheExpiry.UTC().Format(http.TimeFormat))
	}
	for k, v := range o.CustomMetadata {
		// Set the map entry directly: Header.Set would canonicalize the
		// name, and clients expect the lower-case name they stored.
		h[metaPrefix+k] = []string{v}
	}
	if o.StorageClass != "" && o.StorageClass != "Standard" {
		h.Set("X-Amz-Storage-Class", s3StorageClass(o.StorageClass))
	}
}

// responseOverrides are the GetObject query parameters that override
// response headers, for presigned downloads.
var responseOverrides = map[string]string{
	"response-content-type":        "Content-Type",
	"response-content-language":    "Content-Language",
	"response-expires":             "Expires",
	"response-cache-control":       "Cache-Control",
	"response-content-disposition": "Content-Disposition",
	"response-content-encoding":    "Content-Encoding",
}

func setIf(h http.Header, name, v string) {
	if v != "" {
		h.Set(name, v)
	}
}

// formatISO8601 formats a time as S3's XML timestamps.
func formatISO8601(t time.Time) string {
	return t.UTC().Format("2006-01-02T15:04:05.000Z")
}
