package r2

import (
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"
)

// maxBadgerKeyBytes is Badger's key size limit; object keys get a prefix of
// at most 5+63+1 bytes.
const maxBadgerKeyBytes = 65000 - 128

// Storage classes R2 accepts.
const (
	classStandard = "Standard"
	classIA       = "InfrequentAccess"
)

// bucketNameRule says, in an error message, what validBucketName accepts.
const bucketNameRule = "bucket names are 3 to 63 characters of a-z, 0-9 and -, starting and ending with a letter or digit"

// validBucketName reports whether a bucket may be created with name:
// R2's rule, 3 to 63 bytes of [a-z0-9-] that start and end with a letter
// or digit.
func validBucketName(name string) bool {
	return len(name) >= 3 && bucketNameChars(name, "-")
}

// storableBucketName reports whether name may name an existing bucket:
// 1 to 63 bytes of [a-z0-9._-] that start and end with a letter or digit,
// the rule of Bindery before it followed R2's, so buckets created then
// stay reachable. Such a name never contains "/", which keeps the index's
// per-bucket key prefixes disjoint.
func storableBucketName(name string) bool {
	return len(name) >= 1 && bucketNameChars(name, "._-")
}

// bucketNameChars reports whether name is at most 63 bytes of lower-case
// letters, digits and the bytes of inner, with a letter or digit at both
// ends.
func bucketNameChars(name, inner string) bool {
	if len(name) > 63 {
		return false
	}
	for i := range len(name) {
		c := name[i]
		alnum := c >= 'a' && c <= 'z' || c >= '0' && c <= '9'
		if !alnum && (i == 0 || i == len(name)-1 || strings.IndexByte(inner, c) < 0) {
			return false
		}
	}
	return true
}

// qkey quotes a key for an error message, shortened to 64 bytes.
func qkey(key string) string { return strconv.Quote(truncKey(key)) }

// checkKey returns an ErrInvalidKey error unless key is non-empty valid
// UTF-8 of at most l.MaxKeyBytes bytes.
func (l *Limits) checkKey(key string) error {
	switch {
	case key == "":
		return fmt.Errorf("%w: empty key", ErrInvalidKey)
	case len(key) > l.MaxKeyBytes || len(key) > maxBadgerKeyBytes:
		return fmt.Errorf("%w: key %s is %d bytes, the limit is %d", ErrInvalidKey, qkey(key), len(key), l.MaxKeyBytes)
	case !utf8.ValidString(key):
		return fmt.Errorf("%w: key %s is not valid UTF-8", ErrInvalidKey, qkey(key))
	}
	return nil
}

// checkMeta validates custom metadata and the storage class, and returns
// the class to store.
func (l *Limits) checkMeta(custom map[string]string, class string) (string, error) {
	n := 0
	for k, v := range custom {
		n += len(k) + len(v)
	}
	if n > l.MaxMetadataBytes {
		return "", fmt.Errorf("%w: custom metadata is %d bytes, the limit is %d", ErrMetadataTooLarge, n, l.MaxMetadataBytes)
	}
	switch class {
	case "":
		return classStandard, nil
	case classStandard, classIA:
		return class, nil
	}
	return "", fmt.Errorf("%w: storage class %q (want %q or %q)", ErrInvalidArgument, class, classStandard, classIA)
}

// withDefaults fills zero fields of l with R2's limits.
func (l Limits) withDefaults() Limits {
	d := DefaultLimits()
	if l.MaxKeyBytes <= 0 {
		l.MaxKeyBytes = d.MaxKeyBytes
	}
	if l.MaxMetadataBytes <= 0 {
		l.MaxMetadataBytes = d.MaxMetadataBytes
	}
	if l.MaxPutBytes <= 0 {
		l.MaxPutBytes = d.MaxPutBytes
	}
	if l.MinPartBytes <= 0 {
		l.MinPartBytes = d.MinPartBytes
	}
	if l.MaxPartBytes <= 0 {
		l.MaxPartBytes = d.MaxPartBytes
	}
	if l.MaxParts <= 0 {
		l.MaxParts = d.MaxParts
	}
	if l.MaxListLimit <= 0 {
		l.MaxListLimit = d.MaxListLimit
	}
	if l.UploadExpiry <= 0 {
		l.UploadExpiry = d.UploadExpiry
	}
	return l
}

// evaluate checks c against the current object (nil if missing), in the
// order of RFC 9110 §13.2.2. It returns nil when c passes, else a
// *PreconditionFailedError carrying cur. Date conditions are ignored for a
// missing object, as HTTP ignores If-(Un)Modified-Since when the resource
// has no modification date.
func (c *Conditional) evaluate(cur *Object) error {
	if c == nil {
		return nil
	}
	fail := func(notModified bool) error {
		return &PreconditionFailedError{Object: cur, NotModified: notModified}
	}
	if len(c.EtagMatches) > 0 {
		if cur == nil || !etagIn(cur.ETag, c.EtagMatches, false) {
			return fail(false)
		}
	} else if !c.UploadedBefore.IsZero() && cur != nil {
		if c.after(cur.Uploaded, c.UploadedBefore) {
			return fail(false)
		}
	}
	if len(c.EtagDoesNotMatch) > 0 {
		if cur != nil && etagIn(cur.ETag, c.EtagDoesNotMatch, true) {
			return fail(true)
		}
	} else if !c.UploadedAfter.IsZero() && cur != nil {
		if !c.after(cur.Uploaded, c.UploadedAfter) {
			return fail(true)
		}
	}
	return nil
}

// after reports whether uploaded is after t, in whole seconds when c asks.
func (c *Conditional) after(uploaded, t time.Time) bool {
	if c.SecondsGranularity {
		return uploaded.Unix() > t.Unix()
	}
	return uploaded.After(t)
}

// etagIn reports whether etag is in list, or list holds "*". Tags may be
// quoted; weak tags ("W/…") only match under weak comparison, as in RFC
// 9110 §8.8.3.2 (If-Match compares strongly, If-None-Match weakly).
func etagIn(etag string, list []string, weak bool) bool {
	return slices.ContainsFunc(list, func(t string) bool {
		t = strings.TrimSpace(t)
		if t == "*" {
			return true
		}
		if strings.HasPrefix(t, "W/") {
			if !weak {
				return false
			}
			t = t[2:]
		}
		return strings.Trim(t, `"`) == etag
	})
}

// resolve checks r and returns the byte range [off, off+n) of an object of
// size it selects.
func (r *Range) resolve(size int64) (off, n int64, err error) {
	if r.Offset < 0 || r.Length < 0 || r.Suffix < 0 {
		return 0, 0, fmt.Errorf("%w: negative offset, length or suffix %+v", ErrInvalidRange, *r)
	}
	if r.Suffix > 0 {
		if r.Offset != 0 || r.Length != 0 {
			return 0, 0, fmt.Errorf("%w: suffix with offset or length %+v", ErrInvalidRange, *r)
		}
		n = min(r.Suffix, size)
		return size - n, n, nil
	}
	if size == 0 {
		return 0, 0, nil
	}
	if r.Offset >= size {
		return 0, 0, fmt.Errorf("%w: offset %d is not below the size %d", ErrInvalidRange, r.Offset, size)
	}
	n = size - r.Offset
	if r.Length > 0 {
		n = min(n, r.Length)
	}
	return r.Offset, n, nil
}
