package r2

import (
	"context"
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	"strings"

	"github.com/dgraph-io/badger/v4"
)

// storeBucket is the BucketBackend of a Store. It is safe for concurrent use.
type storeBucket struct {
	s    *Store
	name string
}

var _ BucketBackend = (*storeBucket)(nil)

// maxDeleteKeys is the most keys one Delete takes, as in S3's
// DeleteObjects.
const maxDeleteKeys = 1000

// Name returns the bucket's name.
func (b *storeBucket) Name() string { return b.name }

// errf wraps err with the operation, bucket and key.
func (b *storeBucket) errf(op, key string, err error) error {
	return fmt.Errorf("r2: %s %s/%s: %w", op, b.name, qkey(key), err)
}

// getEntry returns the entry of key, or nil if it does not exist.
func (b *storeBucket) getEntry(txn *badger.Txn, key string) (*entry, error) {
	item, err := txn.Get(objectKey(b.name, key))
	if errors.Is(err, badger.ErrKeyNotFound) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	var e *entry
	err = item.Value(func(v []byte) (err error) {
		e, err = decodeEntry(v)
		return err
	})
	return e, err
}

// Head returns the object key's metadata, or ErrNoSuchKey.
func (b *storeBucket) Head(ctx context.Context, key string) (*Object, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	if err := b.s.limits.checkKey(key); err != nil {
		return nil, b.errf("head", key, err)
	}
	var e *entry
	err := b.s.view(func(txn *badger.Txn) (err error) {
		if err := checkBucket(txn, b.name); err != nil {
			return err
		}
		e, err = b.getEntry(txn, key)
		return err
	})
	if err == nil && e == nil {
		err = ErrNoSuchKey
	}
	if err != nil {
		return nil, b.errf("head", key, err)
	}
	return e.object(key, true, true), nil
}

// Get returns the object key with its bytes, or the part opts.Range
// selects. It fails with ErrNoSuchKey, ErrInvalidRange, or a
// *PreconditionFailedError (carrying the object) when opts.OnlyIf fails;
// then no body is opened. The caller must close the body; it reads the
// version found here even if the key is overwritten or deleted meanwhile.
func (b *storeBucket) Get(ctx context.Context, key string, opts GetOptions) (*ObjectBody, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	if err := b.s.limits.checkKey(key); err != nil {
		return nil, b.errf("get", key, err)
	}
	var (
		e    *entry
		segs []segment
	)
	// Hold readMu from the index read until the files are open, so GC
	// cannot unlink them in between (see Store.collect).
	b.s.readMu.RLock()
	defer b.s.readMu.RUnlock()
	err := b.s.view(func(txn *badger.Txn) (err error) {
		if err := checkBucket(txn, b.name); err != nil {
			return err
		}
		if e, err = b.getEntry(txn, key); err != nil || e == nil {
			return err
		}
		if e.multipart {
			segs, err = getManifest(txn, e.version)
		} else {
			segs = []segment{{blob: e.version, size: e.size}}
		}
		return err
	})
	if err == nil && e == nil {
		err = ErrNoSuchKey
	}
	if err != nil {
		return nil, b.errf("get", key, err)
	}
	obj := e.object(key, true, true)
	if err := opts.OnlyIf.evaluate(obj); err != nil {
		return nil, err
	}
	off, n := int64(0), e.size
	if opts.Range != nil {
		if off, n, err = opts.Range.resolve(e.size); err != nil {
			return nil, b.errf("get", key, err)
		}
		obj.Range = &Range{Offset: off, Length: n}
	}
	body, err := b.s.openBody(segs, off, n)
	if err != nil {
		return nil, b.errf("get", key, err)
	}
	return &ObjectBody{Object: obj, Body: body}, nil
}

// Put stores body as the object key, replacing any current version. The
// body is streamed to disk, never buffered whole. Put fails with
// ErrInvalidKey, ErrMetadataTooLarge, ErrEntityTooLarge (over
// Limits.MaxPutBytes), ErrBadDigest (a checksum in opts.Checksums does not
// match) or a *PreconditionFailedError (opts.OnlyIf fails against the
// current version); then nothing is stored. The returned object has
// Checksums.MD5 set, and the digests of opts.Checksums and of a
// HashingReader body, which are stored with the object.
func (b *storeBucket) Put(ctx context.Context, key string, body io.Reader, opts PutOptions) (*Object, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	l := &b.s.limits
	if err := l.checkKey(key); err != nil {
		return nil, b.errf("put", key, err)
	}
	class, err := l.checkMeta(opts.CustomMetadata, opts.StorageClass)
	if err != nil {
		return nil, b.errf("put", key, err)
	}
	// Fail early rather than after streaming the body.
	if err := b.s.view(func(txn *badger.Txn) error { return checkBucket(txn, b.name) }); err != nil {
		return nil, b.errf("put", key, err)
	}
	if body == nil {
		body = strings.NewReader("")
	}
	blob, err := b.s.writeBlob(ctx, body, l.MaxPutBytes, opts.Checksums)
	if err != nil {
		return nil, b.errf("put", key, err)
	}
	if hr, ok := body.(HashingReader); ok {
		addChecksums(&blob.sums, hr.Checksums())
	}
	e := &entry{
		version: blob.id,
		size:    blob.size,
		etag:    fmt.Sprintf("%x", blob.sums.MD5),
		class:   class,
		http:    opts.HTTPMetadata,
		custom:  opts.CustomMetadata,
		sums:    blob.sums,
	}
	replaced, err := b.commit(ctx, key, e, opts.OnlyIf, func(txn *badger.Txn) error {
		return txn.Delete(intentKey(blob.id))
	})
	if err != nil {
		b.s.discard(blob.id)
		var pf *PreconditionFailedError
		if errors.As(err, &pf) {
			return nil, err
		}
		return nil, b.errf("put", key, err)
	}
	if replaced {
		b.s.kickGC()
	}
	return e.object(key, true, true), nil
}

// commit makes e the current version of key if cond passes, in one
// transaction that first runs extra and schedules the replaced version's
// files for deletion. It sets e.uploaded.
func (b *storeBucket) commit(ctx context.Context, key string, e *entry, cond *Conditional, extra func(txn *badger.Txn) error) (replaced bool, err error) {
	b.s.bucketMu.RLock()
	defer b.s.bucketMu.RUnlock()
	b.s.at("commit")
	err = b.s.update(ctx, func(txn *badger.Txn) error {
		replaced = false
		if err := checkBucket(txn, b.name); err != nil {
			return err
		}
		if err := extra(txn); err != nil {
			return err
		}
		cur, err := b.getEntry(txn, key)
		if err != nil {
			return err
		}
		if cond != nil {
			var obj *Object
			if cur != nil {
				obj = cur.object(key, true, true)
			}
			if err := cond.evaluate(obj); err != nil {
				return err
			}
		}
		e.uploaded = b.s.nowMilli()
		if err := txn.Set(objectKey(b.name, key), e.encode()); err != nil {
			return err
		}
		if cur != nil {
			replaced = true
			return txn.Set(gcKey(cur.version), []byte{cur.tombstone()})
		}
		return nil
	})
	if err == nil {
		b.s.at("committed")
	}
	return replaced, err
}

// Delete deletes the objects keys (at most 1000) in one transaction.
// Missing keys are not an error. The objects' files are deleted soon after,
// once no reader can be about to open them.
func (b *storeBucket) Delete(ctx context.Context, keys ...string) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	if len(keys) > maxDeleteKeys {
		return fmt.Errorf("r2: delete in %s: %w: %d keys, the limit is %d", b.name, ErrInvalidArgument, len(keys), maxDeleteKeys)
	}
	for _, k := range keys {
		if err := b.s.limits.checkKey(k); err != nil {
			return b.errf("delete", k, err)
		}
	}
	deleted := false
	err := b.s.update(ctx, func(txn *badger.Txn) error {
		deleted = false
		if err := checkBucket(txn, b.name); err != nil {
			return err
		}
		for _, k := range keys {
			cur, err := b.getEntry(txn, k)
			if err != nil {
				return err
			}
			if cur == nil {
				continue
			}
			if err := txn.Delete(objectKey(b.name, k)); err != nil {
				return err
			}
			if err := txn.Set(gcKey(cur.version), []byte{cur.tombstone()}); err != nil {
				return err
			}
			deleted = true
		}
		return nil
	})
	if err != nil {
		if len(keys) == 1 {
			return b.errf("delete", keys[0], err)
		}
		return fmt.Errorf("r2: delete %d keys in %s: %w", len(keys), b.name, err)
	}
	if deleted {
		b.s.kickGC()
	}
	return nil
}

// List returns one page of the bucket's objects in byte order of their
// keys. See ListOptions; a Limit outside 0 to Limits.MaxListLimit fails
// with ErrInvalidArgument, and a cursor List did not return with
// ErrInvalidArgument and ErrInvalidCursor. With a
// Delimiter, each rolled-up prefix counts against the limit like an
// object. List reads only the index, never object files.
func (b *storeBucket) List(ctx context.Context, opts ListOptions) (*ListResult, error) {
	start, limit, res, err := listBounds(ctx, b.name, opts, b.s.limits)
	if err != nil || res != nil {
		return res, err
	}
	base := objectPrefix(b.name)
	err = b.s.view(func(txn *badger.Txn) error {
		if err := checkBucket(txn, b.name); err != nil {
			return err
		}
		it := txn.NewIterator(badger.IteratorOptions{Prefix: join(base, opts.Prefix)})
		defer it.Close()
		res, err = listPage(ctx, &badgerKeys{it: it, base: base}, opts, start, limit)
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("r2: list %s: %w", b.name, err)
	}
	return res, nil
}

// badgerKeys pages over a bucket's index entries for listPage.
type badgerKeys struct {
	it   *badger.Iterator
	base []byte // the bucket's prefix in the index
}

func (k *badgerKeys) seek(key string) { k.it.Seek(join(k.base, key)) }
func (k *badgerKeys) next()           { k.it.Next() }

func (k *badgerKeys) key() (string, bool) {
	if !k.it.Valid() {
		return "", false
	}
	return string(k.it.Item().Key()[len(k.base):]), true
}

func (k *badgerKeys) entry() (e *entry, err error) {
	err = k.it.Item().Value(func(v []byte) (err error) {
		e, err = decodeEntry(v)
		return err
	})
	return e, err
}

// listBounds checks opts and returns where a page of List starts and how
// many items it holds at most; res is the (empty) result itself when the
// cursor is past the last possible key.
func listBounds(ctx context.Context, bucket string, opts ListOptions, lim Limits) (start string, limit int, res *ListResult, err error) {
	if err := ctx.Err(); err != nil {
		return "", 0, nil, err
	}
	limit = opts.Limit
	if limit < 0 || limit > lim.MaxListLimit {
		return "", 0, nil, fmt.Errorf("r2: list %s: %w: limit %d is not between 1 and %d", bucket, ErrInvalidArgument, limit, lim.MaxListLimit)
	}
	if limit == 0 {
		limit = min(1000, lim.MaxListLimit)
	}
	start = opts.Prefix
	if opts.StartAfter != "" {
		start = max(start, opts.StartAfter+"\x00")
	}
	if opts.Cursor != "" {
		c, ok := decodeCursor(opts.Cursor)
		if !ok {
			return "", 0, nil, fmt.Errorf("r2: list %s: %w: %w %q", bucket, ErrInvalidArgument, ErrInvalidCursor, opts.Cursor)
		}
		if c == "" { // past the last possible key
			return "", 0, &ListResult{Objects: []*Object{}, DelimitedPrefixes: []string{}}, nil
		}
		start = max(start, c)
	}
	return start, limit, nil, nil
}

// listKeys is what listPage pages over: a backend's keys under the
// listed prefix, in byte order.
type listKeys interface {
	seek(key string)        // to the first key >= key
	key() (string, bool)    // the current key; false past the last
	next()                  // to the next key
	entry() (*entry, error) // the current key's index entry
}

// listPage makes one page of List from keys, starting at start with at
// most limit items: with a Delimiter, each rolled-up prefix counts against
// the limit like an object. Both backends list through it, so their pages
// and cursors are the same.
func listPage(ctx context.Context, keys listKeys, opts ListOptions, start string, limit int) (*ListResult, error) {
	res := &ListResult{Objects: []*Object{}, DelimitedPrefixes: []string{}}
	n := 0
	next := "" // where the page after the last returned item starts
	for keys.seek(start); ; {
		key, ok := keys.key()
		if !ok {
			break
		}
		if n%256 == 255 {
			if err := ctx.Err(); err != nil {
				return nil, err
			}
		}
		if opts.Delimiter != "" {
			if i := strings.Index(key[len(opts.Prefix):], opts.Delimiter); i >= 0 {
				if n == limit {
					res.Truncated = true
					break
				}
				cp := key[:len(opts.Prefix)+i+len(opts.Delimiter)]
				res.DelimitedPrefixes = append(res.DelimitedPrefixes, cp)
				n++
				next = prefixEnd(cp)
				if next == "" {
					break
				}
				keys.seek(next)
				continue
			}
		}
		if n == limit {
			res.Truncated = true
			break
		}
		e, err := keys.entry()
		if err != nil {
			return nil, err
		}
		res.Objects = append(res.Objects, e.object(key, opts.IncludeHTTPMetadata, opts.IncludeCustomMetadata))
		n++
		next = key + "\x00"
		keys.next()
	}
	if res.Truncated {
		res.Cursor = encodeCursor(next)
	}
	return res, nil
}

// prefixEnd returns the smallest string greater than every string that
// starts with p, or "" if there is none (p is all 0xff bytes).
func prefixEnd(p string) string {
	b := []byte(p)
	for i := len(b) - 1; i >= 0; i-- {
		if b[i] < 0xff {
			b[i]++
			return string(b[:i+1])
		}
	}
	return ""
}

// cursorV1 is the first byte of a list cursor. The rest is the key where
// the next page starts.
const cursorV1 = 'c'

func encodeCursor(next string) string {
	return base64.RawURLEncoding.EncodeToString(append([]byte{cursorV1}, next...))
}

func decodeCursor(c string) (next string, ok bool) {
	raw, err := base64.RawURLEncoding.DecodeString(c)
	if err != nil || len(raw) == 0 || raw[0] != cursorV1 {
		return "", false
	}
	return string(raw[1:]), true
}

// join returns a new slice holding p followed by s.
func join(p []byte, s string) []byte {
	b := make([]byte, 0, len(p)+len(s))
	return append(append(b, p...), s...)
}
