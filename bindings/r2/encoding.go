package r2

import (
	"encoding/binary"
	"errors"
	"maps"
	"slices"
	"strings"
	"time"
)

// Badger key space. Every key the store writes starts with "r2/" and one of
// these prefixes; bucket names never contain "/", so "r2/o/<bucket>/" is
// prefix-free across buckets. See docs/r2-storage.md.
const (
	pfxBucket   = "r2/b/" // r2/b/<bucket>               → bucket record
	pfxObject   = "r2/o/" // r2/o/<bucket>/<key>         → object entry
	pfxManifest = "r2/m/" // r2/m/<version>              → parts of a multipart object
	pfxUpload   = "r2/u/" // r2/u/<bucket>/<uploadID>    → incomplete multipart upload
	pfxPart     = "r2/p/" // r2/p/<uploadID>/<uint32 BE> → part of an upload
	pfxIntent   = "r2/i/" // r2/i/<blobID>               → blob written, not yet referenced
	pfxGC       = "r2/g/" // r2/g/<id>                   → files to delete (see gcBlob, gcManifest)
)

// Tombstone kinds: the value of an r2/g/<id> key.
const (
	// gcBlob: id is a blob; delete its file.
	gcBlob = 'b'
	// gcManifest: id is a multipart version; delete the blobs its manifest
	// lists, then the manifest.
	gcManifest = 'm'
)

// recordV1 is the first byte of every value the store writes. Fields
// added to a record after its first layout are appended as an optional
// tail: a record that ends before them has them empty, and a record
// without them is written in the first layout, so each version reads the
// other's records (decoders ignore bytes after the fields they know).
const recordV1 = 1

// errCorrupt is returned when a stored record cannot be decoded.
var errCorrupt = errors.New("r2: corrupt index record")

func bucketKey(bucket string) []byte { return []byte(pfxBucket + bucket) }

func objectPrefix(bucket string) []byte { return []byte(pfxObject + bucket + "/") }

func objectKey(bucket, key string) []byte { return []byte(pfxObject + bucket + "/" + key) }

func manifestKey(version string) []byte { return []byte(pfxManifest + version) }

func uploadPrefix(bucket string) []byte { return []byte(pfxUpload + bucket + "/") }

func uploadKey(bucket, uploadID string) []byte { return []byte(pfxUpload + bucket + "/" + uploadID) }

func partPrefix(uploadID string) []byte { return []byte(pfxPart + uploadID + "/") }

func partKey(uploadID string, n int) []byte {
	return binary.BigEndian.AppendUint32(partPrefix(uploadID), uint32(n))
}

func intentKey(blobID string) []byte { return []byte(pfxIntent + blobID) }

func gcKey(id string) []byte { return []byte(pfxGC + id) }

// entry is an object's index record (r2/o/<bucket>/<key>).
type entry struct {
	version  string // also the blob ID of a single-put object
	size     int64
	etag     string
	uploaded time.Time // millisecond precision, UTC
	class    string
	http     HTTPMetadata
	custom   map[string]string
	sums     Checksums
	// multipart says the bytes are the blobs listed in the manifest
	// r2/m/<version> rather than the blob named version.
	multipart bool
}

// object returns e as the Object of key; include* choose the metadata.
func (e *entry) object(key string, includeHTTP, includeCustom bool) *Object {
	o := &Object{
		Key:          key,
		Version:      e.version,
		Size:         e.size,
		ETag:         e.etag,
		Uploaded:     e.uploaded,
		Checksums:    cloneChecksums(e.sums),
		StorageClass: e.class,
	}
	if includeHTTP {
		o.HTTPMetadata = e.http
	}
	if includeCustom {
		o.CustomMetadata = maps.Clone(e.custom)
		if o.CustomMetadata == nil {
			o.CustomMetadata = map[string]string{}
		}
	}
	return o
}

// tombstone returns the GC kind that deletes e's files.
func (e *entry) tombstone() byte {
	if e.multipart {
		return gcManifest
	}
	return gcBlob
}

func (e *entry) encode() []byte {
	b := make([]byte, 0, 128)
	b = append(b, recordV1)
	var flags byte
	if e.multipart {
		flags |= 1
	}
	b = append(b, flags)
	b = appendString(b, e.version)
	b = binary.AppendUvarint(b, uint64(e.size))
	b = appendString(b, e.etag)
	b = binary.AppendVarint(b, e.uploaded.UnixMilli())
	b = appendString(b, e.class)
	b = appendHTTP(b, &e.http)
	b = appendCustom(b, e.custom)
	for _, s := range [...][]byte{e.sums.MD5, e.sums.SHA1, e.sums.SHA256, e.sums.SHA384, e.sums.SHA512} {
		b = appendString(b, string(s))
	}
	// Tail 1: the CRCs.
	if crcs := [...][]byte{e.sums.CRC32, e.sums.CRC32C, e.sums.CRC64NVME}; len(crcs[0])+len(crcs[1])+len(crcs[2]) > 0 {
		for _, s := range crcs {
			b = appendString(b, string(s))
		}
	}
	return b
}

func decodeEntry(raw []byte) (*entry, error) {
	d := decoder{b: raw}
	if d.byte() != recordV1 {
		return nil, errCorrupt
	}
	e := &entry{multipart: d.byte()&1 != 0}
	e.version = d.string()
	e.size = int64(d.uvarint())
	e.etag = d.string()
	e.uploaded = time.UnixMilli(d.varint()).UTC()
	e.class = d.string()
	d.http(&e.http)
	e.custom = d.custom()
	for _, p := range [...]*[]byte{&e.sums.MD5, &e.sums.SHA1, &e.sums.SHA256, &e.sums.SHA384, &e.sums.SHA512} {
		*p = d.bytes()
	}
	if d.err == nil && len(d.b) > 0 { // tail 1: the CRCs
		for _, p := range [...]*[]byte{&e.sums.CRC32, &e.sums.CRC32C, &e.sums.CRC64NVME} {
			*p = d.bytes()
		}
	}
	if d.err != nil || e.size < 0 {
		return nil, errCorrupt
	}
	return e, nil
}

// upload is an incomplete multipart upload's record (r2/u/<bucket>/<id>).
type upload struct {
	key     string
	created time.Time
	class   string
	http    HTTPMetadata
	custom  map[string]string
}

func (u *upload) encode() []byte {
	b := make([]byte, 0, 64+len(u.key))
	b = append(b, recordV1)
	b = appendString(b, u.key)
	b = binary.AppendVarint(b, u.created.UnixMilli())
	b = appendString(b, u.class)
	b = appendHTTP(b, &u.http)
	return appendCustom(b, u.custom)
}

func decodeUpload(raw []byte) (*upload, error) {
	d := decoder{b: raw}
	if d.byte() != recordV1 {
		return nil, errCorrupt
	}
	u := &upload{key: d.string()}
	u.created = time.UnixMilli(d.varint()).UTC()
	u.class = d.string()
	d.http(&u.http)
	u.custom = d.custom()
	if d.err != nil {
		return nil, errCorrupt
	}
	return u, nil
}

// part is a stored part of an upload (r2/p/<uploadID>/<n>).
type part struct {
	blob     string
	size     int64
	md5      []byte
	uploaded time.Time
}

func (p *part) encode() []byte {
	b := make([]byte, 0, 64)
	b = append(b, recordV1)
	b = appendString(b, p.blob)
	b = binary.AppendUvarint(b, uint64(p.size))
	b = appendString(b, string(p.md5))
	return binary.AppendVarint(b, p.uploaded.UnixMilli())
}

func decodePart(raw []byte) (*part, error) {
	d := decoder{b: raw}
	if d.byte() != recordV1 {
		return nil, errCorrupt
	}
	p := &part{blob: d.string(), size: int64(d.uvarint()), md5: d.bytes()}
	p.uploaded = time.UnixMilli(d.varint()).UTC()
	if d.err != nil || p.size < 0 {
		return nil, errCorrupt
	}
	return p, nil
}

// segment is one blob of a multipart object's manifest.
type segment struct {
	blob string
	size int64
}

func encodeManifest(segs []segment) []byte {
	b := make([]byte, 0, 2+len(segs)*(2+32+5))
	b = append(b, recordV1)
	b = binary.AppendUvarint(b, uint64(len(segs)))
	for _, s := range segs {
		b = appendString(b, s.blob)
		b = binary.AppendUvarint(b, uint64(s.size))
	}
	return b
}

func decodeManifest(raw []byte) ([]segment, error) {
	d := decoder{b: raw}
	if d.byte() != recordV1 {
		return nil, errCorrupt
	}
	n := d.uvarint()
	if n > uint64(len(raw)) {
		return nil, errCorrupt
	}
	segs := make([]segment, n)
	for i := range segs {
		segs[i] = segment{blob: d.string(), size: int64(d.uvarint())}
		if segs[i].size < 0 {
			return nil, errCorrupt
		}
	}
	if d.err != nil {
		return nil, errCorrupt
	}
	return segs, nil
}

// encodeBucket returns a bucket's record (r2/b/<name>): its creation time.
func encodeBucket(created time.Time) []byte {
	return binary.AppendVarint([]byte{recordV1}, created.UnixMilli())
}

func decodeBucket(raw []byte) (time.Time, error) {
	d := decoder{b: raw}
	if d.byte() != recordV1 {
		return time.Time{}, errCorrupt
	}
	t := time.UnixMilli(d.varint()).UTC()
	if d.err != nil {
		return time.Time{}, errCorrupt
	}
	return t, nil
}

func appendString(b []byte, s string) []byte {
	b = binary.AppendUvarint(b, uint64(len(s)))
	return append(b, s...)
}

func appendHTTP(b []byte, h *HTTPMetadata) []byte {
	for _, s := range [...]string{h.ContentType, h.ContentLanguage, h.ContentDisposition, h.ContentEncoding, h.CacheControl} {
		b = appendString(b, s)
	}
	if h.CacheExpiry.IsZero() {
		return append(b, 0)
	}
	b = append(b, 1)
	b = binary.AppendVarint(b, h.CacheExpiry.Unix())
	return binary.AppendUvarint(b, uint64(h.CacheExpiry.Nanosecond()))
}

func appendCustom(b []byte, m map[string]string) []byte {
	b = binary.AppendUvarint(b, uint64(len(m)))
	for _, k := range slices.Sorted(maps.Keys(m)) {
		b = appendString(b, k)
		b = appendString(b, m[k])
	}
	return b
}

// decoder reads what the append* functions wrote. The first error sticks
// and makes every later read return a zero value.
type decoder struct {
	b   []byte
	err error
}

func (d *decoder) fail() { d.err, d.b = errCorrupt, nil }

func (d *decoder) byte() byte {
	if len(d.b) == 0 {
		d.fail()
		return 0
	}
	c := d.b[0]
	d.b = d.b[1:]
	return c
}

func (d *decoder) uvarint() uint64 {
	v, n := binary.Uvarint(d.b)
	if n <= 0 {
		d.fail()
		return 0
	}
	d.b = d.b[n:]
	return v
}

func (d *decoder) varint() int64 {
	v, n := binary.Varint(d.b)
	if n <= 0 {
		d.fail()
		return 0
	}
	d.b = d.b[n:]
	return v
}

func (d *decoder) raw() []byte {
	n := d.uvarint()
	if n > uint64(len(d.b)) {
		d.fail()
		return nil
	}
	s := d.b[:n]
	d.b = d.b[n:]
	return s
}

func (d *decoder) string() string { return string(d.raw()) }

// bytes returns a copy, or nil for an empty field.
func (d *decoder) bytes() []byte {
	s := d.raw()
	if len(s) == 0 {
		return nil
	}
	return slices.Clone(s)
}

func (d *decoder) http(h *HTTPMetadata) {
	for _, p := range [...]*string{&h.ContentType, &h.ContentLanguage, &h.ContentDisposition, &h.ContentEncoding, &h.CacheControl} {
		*p = d.string()
	}
	if d.byte() == 1 {
		sec := d.varint()
		nsec := d.uvarint()
		h.CacheExpiry = time.Unix(sec, int64(nsec)).UTC()
	}
}

func (d *decoder) custom() map[string]string {
	n := d.uvarint()
	if n > uint64(len(d.b)) {
		d.fail()
	}
	if n == 0 || d.err != nil {
		return nil
	}
	m := make(map[string]string, n)
	for range n {
		k := d.string()
		m[k] = d.string()
	}
	return m
}

func cloneChecksums(c Checksums) Checksums {
	return Checksums{
		MD5:       slices.Clone(c.MD5),
		SHA1:      slices.Clone(c.SHA1),
		SHA256:    slices.Clone(c.SHA256),
		SHA384:    slices.Clone(c.SHA384),
		SHA512:    slices.Clone(c.SHA512),
		CRC32:     slices.Clone(c.CRC32),
		CRC32C:    slices.Clone(c.CRC32C),
		CRC64NVME: slices.Clone(c.CRC64NVME),
	}
}

// addChecksums sets each field of dst that is nil to a copy of src's.
func addChecksums(dst *Checksums, src Checksums) {
	for _, f := range [...]struct {
		dst *[]byte
		src []byte
	}{
		{&dst.MD5, src.MD5}, {&dst.SHA1, src.SHA1}, {&dst.SHA256, src.SHA256}, {&dst.SHA384, src.SHA384},
		{&dst.SHA512, src.SHA512}, {&dst.CRC32, src.CRC32}, {&dst.CRC32C, src.CRC32C}, {&dst.CRC64NVME, src.CRC64NVME},
	} {
		if *f.dst == nil && len(f.src) > 0 {
			*f.dst = slices.Clone(f.src)
		}
	}
}

// truncKey shortens a key for an error message.
func truncKey(key string) string {
	const max = 64
	if len(key) <= max {
		return strings.Clone(key)
	}
	cut := max
	for cut > 0 && !utf8RuneStart(key[cut]) {
		cut--
	}
	return key[:cut] + "…"
}

func utf8RuneStart(b byte) bool { return b&0xC0 != 0x80 }
