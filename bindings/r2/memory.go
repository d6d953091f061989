package r2

import (
	"bytes"
	"cmp"
	"context"
	"crypto/md5"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"maps"
	"slices"
	"sort"
	"strings"
	"sync"
	"time"
)

// Memory is the in-memory R2 Backend: the reference implementation,
// for tests and for hosts that keep nothing. It keeps R2's semantics and
// the limits of its Options, as *Store does, and passes the same
// conformance suite (r2test). It is safe for concurrent use; its data is
// gone when it is.
type Memory struct {
	limits Limits
	now    func() time.Time

	mu      sync.Mutex
	buckets map[string]*memBucketData
}

// memBucketData is one bucket's objects and uploads.
type memBucketData struct {
	created time.Time
	objects map[string]*memObject
	uploads map[string]*memUpload // by upload ID
}

// memObject is one object version: its entry and its bytes, which are
// never changed once stored (a reader keeps the version it got).
type memObject struct {
	e    *entry
	data []byte
}

// memUpload is an incomplete multipart upload.
type memUpload struct {
	rec   *upload
	parts map[int]*memPart
}

// memPart is one uploaded part.
type memPart struct {
	md5      []byte
	uploaded time.Time
	data     []byte
}

var _ Backend = (*Memory)(nil)

// NewMemory returns an empty in-memory store with opts (its Logger is
// not used).
func NewMemory(opts Options) *Memory {
	m := &Memory{limits: opts.Limits.withDefaults(), now: opts.Now, buckets: map[string]*memBucketData{}}
	if m.now == nil {
		m.now = time.Now
	}
	return m
}

func (m *Memory) nowMilli() time.Time { return time.UnixMilli(m.now().UnixMilli()).UTC() }

// bucket returns the bucket name; m.mu is held.
func (m *Memory) bucket(name string) (*memBucketData, error) {
	b, ok := m.buckets[name]
	if !ok {
		return nil, ErrNoSuchBucket
	}
	return b, nil
}

// CreateBucket implements Backend.
func (m *Memory) CreateBucket(ctx context.Context, name string) error {
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("r2: create bucket %q: %w", name, err)
	}
	if !validBucketName(name) {
		return fmt.Errorf("r2: create bucket %q: %w: %s", name, ErrInvalidBucketName, bucketNameRule)
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	if _, ok := m.buckets[name]; !ok {
		m.buckets[name] = &memBucketData{created: m.nowMilli(), objects: map[string]*memObject{}, uploads: map[string]*memUpload{}}
	}
	return nil
}

// DeleteBucket implements Backend.
func (m *Memory) DeleteBucket(ctx context.Context, name string) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	b, err := m.bucket(name)
	if err == nil && (len(b.objects) > 0 || len(b.uploads) > 0) {
		err = ErrBucketNotEmpty
	}
	if err != nil {
		return fmt.Errorf("r2: delete bucket %q: %w", name, err)
	}
	delete(m.buckets, name)
	return nil
}

// Buckets implements Backend.
func (m *Memory) Buckets(ctx context.Context) ([]BucketInfo, error) {
	if err := ctx.Err(); err != nil {
		return nil, fmt.Errorf("r2: list buckets: %w", err)
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	out := []BucketInfo{}
	for _, name := range slices.Sorted(maps.Keys(m.buckets)) {
		out = append(out, BucketInfo{Name: name, Created: m.buckets[name].created})
	}
	return out, nil
}

// Bucket implements Backend.
func (m *Memory) Bucket(ctx context.Context, name string) (*Bucket, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	m.mu.Lock()
	_, err := m.bucket(name)
	m.mu.Unlock()
	if err != nil {
		return nil, fmt.Errorf("r2: bucket %q: %w", name, err)
	}
	return NewBucket(&memBucket{m: m, name: name}), nil
}

// Sweep implements Backend: it aborts the multipart uploads created more
// than Limits.UploadExpiry ago.
func (m *Memory) Sweep(ctx context.Context) error {
	cutoff := m.now().Add(-m.limits.UploadExpiry)
	m.mu.Lock()
	defer m.mu.Unlock()
	for _, b := range m.buckets {
		for id, u := range b.uploads {
			if u.rec.created.Before(cutoff) {
				delete(b.uploads, id)
			}
		}
	}
	return nil
}

// memBucket is the BucketBackend of a Memory.
type memBucket struct {
	m    *Memory
	name string
}

var _ BucketBackend = (*memBucket)(nil)

// Name implements BucketBackend.
func (b *memBucket) Name() string { return b.name }

func (b *memBucket) errf(op, key string, err error) error {
	return fmt.Errorf("r2: %s %s/%s: %w", op, b.name, qkey(key), err)
}

// Head implements BucketBackend.
func (b *memBucket) Head(ctx context.Context, key string) (*Object, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	if err := b.m.limits.checkKey(key); err != nil {
		return nil, b.errf("head", key, err)
	}
	o, err := b.current(key)
	if err != nil {
		return nil, b.errf("head", key, err)
	}
	return o.e.object(key, true, true), nil
}

// current returns the current version of key, or ErrNoSuchKey.
func (b *memBucket) current(key string) (*memObject, error) {
	b.m.mu.Lock()
	defer b.m.mu.Unlock()
	bd, err := b.m.bucket(b.name)
	if err != nil {
		return nil, err
	}
	o, ok := bd.objects[key]
	if !ok {
		return nil, ErrNoSuchKey
	}
	return o, nil
}

// Get implements BucketBackend.
func (b *memBucket) Get(ctx context.Context, key string, opts GetOptions) (*ObjectBody, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	if err := b.m.limits.checkKey(key); err != nil {
		return nil, b.errf("get", key, err)
	}
	o, err := b.current(key)
	if err != nil {
		return nil, b.errf("get", key, err)
	}
	obj := o.e.object(key, true, true)
	if err := opts.OnlyIf.evaluate(obj); err != nil {
		return nil, err
	}
	off, n := int64(0), o.e.size
	if opts.Range != nil {
		if off, n, err = opts.Range.resolve(o.e.size); err != nil {
			return nil, b.errf("get", key, err)
		}
		obj.Range = &Range{Offset: off, Length: n}
	}
	return &ObjectBody{Object: obj, Body: io.NopCloser(bytes.NewReader(o.data[off : off+n]))}, nil
}

// Put implements BucketBackend.
func (b *memBucket) Put(ctx context.Context, key string, body io.Reader, opts PutOptions) (*Object, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	l := &b.m.limits
	if err := l.checkKey(key); err != nil {
		return nil, b.errf("put", key, err)
	}
	class, err := l.checkMeta(opts.CustomMetadata, opts.StorageClass)
	if err != nil {
		return nil, b.errf("put", key, err)
	}
	if err := b.exists(); err != nil {
		return nil, b.errf("put", key, err)
	}
	if body == nil {
		body = strings.NewReader("")
	}
	var buf bytes.Buffer
	bl, err := fill(ctx, &buf, body, l.MaxPutBytes, opts.Checksums)
	if err != nil {
		return nil, b.errf("put", key, err)
	}
	if hr, ok := body.(HashingReader); ok {
		addChecksums(&bl.sums, hr.Checksums())
	}
	e := &entry{
		version: newID(),
		size:    bl.size,
		etag:    fmt.Sprintf("%x", bl.sums.MD5),
		class:   class,
		http:    opts.HTTPMetadata,
		custom:  opts.CustomMetadata,
		sums:    bl.sums,
	}
	if err := b.commit(key, &memObject{e: e, data: buf.Bytes()}, opts.OnlyIf, nil); err != nil {
		var pf *PreconditionFailedError
		if errors.As(err, &pf) {
			return nil, err
		}
		return nil, b.errf("put", key, err)
	}
	return e.object(key, true, true), nil
}

// exists returns ErrNoSuchBucket unless the bucket exists.
func (b *memBucket) exists() error {
	b.m.mu.Lock()
	defer b.m.mu.Unlock()
	_, err := b.m.bucket(b.name)
	return err
}

// commit makes o the current version of key if cond passes, after extra
// (which runs first, with the lock held) succeeds. It sets the upload
// time.
func (b *memBucket) commit(key string, o *memObject, cond *Conditional, extra func(bd *memBucketData) error) error {
	b.m.mu.Lock()
	defer b.m.mu.Unlock()
	bd, err := b.m.bucket(b.name)
	if err != nil {
		return err
	}
	if extra != nil {
		if err := extra(bd); err != nil {
			return err
		}
	}
	if cond != nil {
		var cur *Object
		if c, ok := bd.objects[key]; ok {
			cur = c.e.object(key, true, true)
		}
		if err := cond.evaluate(cur); err != nil {
			return err
		}
	}
	o.e.uploaded = b.m.nowMilli()
	bd.objects[key] = o
	return nil
}

// Delete implements BucketBackend.
func (b *memBucket) Delete(ctx context.Context, keys ...string) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	if len(keys) > maxDeleteKeys {
		return fmt.Errorf("r2: delete in %s: %w: %d keys, the limit is %d", b.name, ErrInvalidArgument, len(keys), maxDeleteKeys)
	}
	for _, k := range keys {
		if err := b.m.limits.checkKey(k); err != nil {
			return b.errf("delete", k, err)
		}
	}
	b.m.mu.Lock()
	defer b.m.mu.Unlock()
	bd, err := b.m.bucket(b.name)
	if err != nil {
		if len(keys) == 1 {
			return b.errf("delete", keys[0], err)
		}
		return fmt.Errorf("r2: delete %d keys in %s: %w", len(keys), b.name, err)
	}
	for _, k := range keys {
		delete(bd.objects, k)
	}
	return nil
}

// List implements BucketBackend, with the semantics of Store's List.
func (b *memBucket) List(ctx context.Context, opts ListOptions) (*ListResult, error) {
	start, limit, res, err := listBounds(ctx, b.name, opts, b.m.limits)
	if err != nil || res != nil {
		return res, err
	}
	b.m.mu.Lock()
	defer b.m.mu.Unlock()
	bd, err := b.m.bucket(b.name)
	if err != nil {
		return nil, fmt.Errorf("r2: list %s: %w", b.name, err)
	}
	keys := &memKeys{objects: bd.objects}
	for k := range bd.objects {
		if strings.HasPrefix(k, opts.Prefix) {
			keys.keys = append(keys.keys, k)
		}
	}
	sort.Strings(keys.keys)
	return listPage(ctx, keys, opts, start, limit)
}

// memKeys pages over a memory bucket's sorted keys for listPage.
type memKeys struct {
	keys    []string
	i       int
	objects map[string]*memObject
}

func (k *memKeys) seek(key string) { k.i = sort.SearchStrings(k.keys, key) }
func (k *memKeys) next()           { k.i++ }

func (k *memKeys) key() (string, bool) {
	if k.i >= len(k.keys) {
		return "", false
	}
	return k.keys[k.i], true
}

func (k *memKeys) entry() (*entry, error) { return k.objects[k.keys[k.i]].e, nil }

// CreateMultipartUpload implements BucketBackend.
func (b *memBucket) CreateMultipartUpload(ctx context.Context, key string, opts MultipartOptions) (UploadBackend, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	l := &b.m.limits
	if err := l.checkKey(key); err != nil {
		return nil, b.errf("create multipart upload", key, err)
	}
	class, err := l.checkMeta(opts.CustomMetadata, opts.StorageClass)
	if err != nil {
		return nil, b.errf("create multipart upload", key, err)
	}
	id := newID()
	b.m.mu.Lock()
	defer b.m.mu.Unlock()
	bd, err := b.m.bucket(b.name)
	if err != nil {
		return nil, b.errf("create multipart upload", key, err)
	}
	bd.uploads[id] = &memUpload{
		rec:   &upload{key: key, created: b.m.nowMilli(), class: class, http: opts.HTTPMetadata, custom: opts.CustomMetadata},
		parts: map[int]*memPart{},
	}
	return &memUploadHandle{b: b, key: key, id: id}, nil
}

// ResumeMultipartUpload implements BucketBackend.
func (b *memBucket) ResumeMultipartUpload(key, uploadID string) UploadBackend {
	return &memUploadHandle{b: b, key: key, id: uploadID}
}

// ListMultipartUploads implements BucketBackend.
func (b *memBucket) ListMultipartUploads(ctx context.Context, prefix string) ([]UploadInfo, error) {
	b.m.mu.Lock()
	defer b.m.mu.Unlock()
	bd, err := b.m.bucket(b.name)
	if err != nil {
		return nil, fmt.Errorf("r2: list multipart uploads in %s: %w", b.name, err)
	}
	out := []UploadInfo{}
	for id, u := range bd.uploads {
		if strings.HasPrefix(u.rec.key, prefix) {
			out = append(out, UploadInfo{Key: u.rec.key, UploadID: id, Created: u.rec.created})
		}
	}
	slices.SortFunc(out, func(a, b UploadInfo) int {
		return cmp.Or(strings.Compare(a.Key, b.Key), a.Created.Compare(b.Created), strings.Compare(a.UploadID, b.UploadID))
	})
	return out, nil
}

// memUploadHandle is the UploadBackend of a Memory.
type memUploadHandle struct {
	b   *memBucket
	key string
	id  string
}

var _ UploadBackend = (*memUploadHandle)(nil)

// Key implements UploadBackend.
func (u *memUploadHandle) Key() string { return u.key }

// UploadID implements UploadBackend.
func (u *memUploadHandle) UploadID() string { return u.id }

func (u *memUploadHandle) errf(op string, err error) error {
	return fmt.Errorf("r2: %s %s/%s (upload %.40q): %w", op, u.b.name, qkey(u.key), u.id, err)
}

// get returns the upload, or ErrNoSuchUpload; u.b.m.mu is held.
func (u *memUploadHandle) get() (*memBucketData, *memUpload, error) {
	bd, err := u.b.m.bucket(u.b.name)
	if err != nil {
		return nil, nil, err
	}
	up, ok := bd.uploads[u.id]
	if !ok || !validID(u.id) || up.rec.key != u.key {
		return nil, nil, ErrNoSuchUpload
	}
	return bd, up, nil
}

// UploadPart implements UploadBackend.
func (u *memUploadHandle) UploadPart(ctx context.Context, partNumber int, body io.Reader, md5sum []byte) (UploadedPart, error) {
	if err := ctx.Err(); err != nil {
		return UploadedPart{}, err
	}
	m := u.b.m
	if partNumber < 1 || partNumber > m.limits.MaxParts {
		return UploadedPart{}, u.errf("upload part", fmt.Errorf("%w: part number %d is not between 1 and %d", ErrInvalidArgument, partNumber, m.limits.MaxParts))
	}
	m.mu.Lock()
	_, _, err := u.get()
	m.mu.Unlock()
	if err != nil {
		return UploadedPart{}, u.errf("upload part", err)
	}
	if body == nil {
		body = strings.NewReader("")
	}
	var buf bytes.Buffer
	bl, err := fill(ctx, &buf, body, m.limits.MaxPartBytes, Checksums{MD5: md5sum})
	if err != nil {
		return UploadedPart{}, u.errf("upload part", err)
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	_, up, err := u.get()
	if err != nil {
		return UploadedPart{}, u.errf("upload part", err)
	}
	up.parts[partNumber] = &memPart{md5: bl.sums.MD5, uploaded: m.nowMilli(), data: buf.Bytes()}
	return UploadedPart{PartNumber: partNumber, ETag: hex.EncodeToString(bl.sums.MD5)}, nil
}

// ListParts implements UploadBackend.
func (u *memUploadHandle) ListParts(ctx context.Context) ([]PartInfo, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	u.b.m.mu.Lock()
	defer u.b.m.mu.Unlock()
	_, up, err := u.get()
	if err != nil {
		return nil, u.errf("list parts", err)
	}
	out := []PartInfo{}
	for _, n := range slices.Sorted(maps.Keys(up.parts)) {
		p := up.parts[n]
		out = append(out, PartInfo{PartNumber: n, ETag: hex.EncodeToString(p.md5), Size: int64(len(p.data)), Uploaded: p.uploaded})
	}
	return out, nil
}

// Complete implements UploadBackend, with the checks of Store's Complete.
func (u *memUploadHandle) Complete(ctx context.Context, list []UploadedPart) (*Object, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	m := u.b.m
	o := &memObject{e: &entry{version: newID(), multipart: true}}
	err := u.b.commit(u.key, o, nil, func(bd *memBucketData) error {
		_, up, err := u.get()
		if err != nil {
			return err
		}
		if len(list) == 0 {
			return fmt.Errorf("%w: no parts listed", ErrInvalidPart)
		}
		for i := 1; i < len(list); i++ {
			if list[i].PartNumber <= list[i-1].PartNumber {
				return fmt.Errorf("%w: part %d follows part %d", ErrInvalidPartOrder, list[i].PartNumber, list[i-1].PartNumber)
			}
		}
		var data []byte
		sums := make([]byte, 0, md5.Size*len(list))
		var first int64
		for i, lp := range list {
			p := up.parts[lp.PartNumber]
			if p == nil {
				return fmt.Errorf("%w: part %d was not uploaded", ErrInvalidPart, lp.PartNumber)
			}
			if want := strings.Trim(lp.ETag, `"`); want != hex.EncodeToString(p.md5) {
				return fmt.Errorf("%w: part %d has ETag %x, not %q", ErrInvalidPart, lp.PartNumber, p.md5, lp.ETag)
			}
			size := int64(len(p.data))
			last := i == len(list)-1
			if !last && size < m.limits.MinPartBytes {
				return fmt.Errorf("%w: part %d is %d bytes, every part but the last must be at least %d", ErrEntityTooSmall, lp.PartNumber, size, m.limits.MinPartBytes)
			}
			if i == 0 {
				first = size
			} else if !last && size != first || last && size > first {
				return fmt.Errorf("%w: %w: part %d is %d bytes, part %d is %d (every part but the last has the same size, and the last is no larger)",
					ErrInvalidPart, ErrUnequalParts, lp.PartNumber, size, list[0].PartNumber, first)
			}
			data = append(data, p.data...)
			sums = append(sums, p.md5...)
		}
		sum := md5.Sum(sums)
		o.data = data
		o.e.size = int64(len(data))
		o.e.etag = fmt.Sprintf("%x-%d", sum, len(list))
		o.e.class, o.e.http, o.e.custom = up.rec.class, up.rec.http, up.rec.custom
		delete(bd.uploads, u.id)
		return nil
	})
	if err != nil {
		return nil, u.errf("complete multipart upload", err)
	}
	return o.e.object(u.key, true, true), nil
}

// Abort implements UploadBackend.
func (u *memUploadHandle) Abort(ctx context.Context) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	u.b.m.mu.Lock()
	defer u.b.m.mu.Unlock()
	bd, _, err := u.get()
	if err != nil {
		return u.errf("abort multipart upload", err)
	}
	delete(bd.uploads, u.id)
	return nil
}
