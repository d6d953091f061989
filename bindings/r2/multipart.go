package r2

import (
	"cmp"
	"context"
	"crypto/md5"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"slices"
	"strings"

	"github.com/dgraph-io/badger/v4"
)

// storeUpload is the MultipartUpload of a Store: parts are stored as they
// arrive, and Complete turns them into the object without copying bytes.
// It is safe for concurrent use (parts may be uploaded in parallel).
type storeUpload struct {
	key      string // the key the completed object gets
	uploadID string // random and unguessable
	b        *storeBucket
}

var _ UploadBackend = (*storeUpload)(nil)

// Key implements UploadBackend.
func (u *storeUpload) Key() string { return u.key }

// UploadID implements UploadBackend.
func (u *storeUpload) UploadID() string { return u.uploadID }

// CreateMultipartUpload starts a multipart upload of key; opts apply to the
// completed object. It fails with ErrInvalidKey or ErrMetadataTooLarge.
func (b *storeBucket) CreateMultipartUpload(ctx context.Context, key string, opts MultipartOptions) (UploadBackend, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	l := &b.s.limits
	if err := l.checkKey(key); err != nil {
		return nil, b.errf("create multipart upload", key, err)
	}
	class, err := l.checkMeta(opts.CustomMetadata, opts.StorageClass)
	if err != nil {
		return nil, b.errf("create multipart upload", key, err)
	}
	id := newID()
	u := &upload{key: key, created: b.s.nowMilli(), class: class, http: opts.HTTPMetadata, custom: opts.CustomMetadata}
	b.s.bucketMu.RLock()
	defer b.s.bucketMu.RUnlock()
	err = b.s.update(ctx, func(txn *badger.Txn) error {
		if err := checkBucket(txn, b.name); err != nil {
			return err
		}
		return txn.Set(uploadKey(b.name, id), u.encode())
	})
	if err != nil {
		return nil, b.errf("create multipart upload", key, err)
	}
	return &storeUpload{key: key, uploadID: id, b: b}, nil
}

// ResumeMultipartUpload returns a handle on the upload uploadID of key
// without checking that it exists (as R2 does); calls on it fail with
// ErrNoSuchUpload if it does not.
func (b *storeBucket) ResumeMultipartUpload(key, uploadID string) UploadBackend {
	return b.resume(key, uploadID)
}

// resume is ResumeMultipartUpload with the concrete type.
func (b *storeBucket) resume(key, uploadID string) *storeUpload {
	return &storeUpload{key: key, uploadID: uploadID, b: b}
}

// ListMultipartUploads returns the bucket's incomplete uploads of keys that
// start with prefix, sorted by key, then creation time.
func (b *storeBucket) ListMultipartUploads(ctx context.Context, prefix string) ([]UploadInfo, error) {
	out := []UploadInfo{}
	err := b.s.view(func(txn *badger.Txn) error {
		if err := checkBucket(txn, b.name); err != nil {
			return err
		}
		p := uploadPrefix(b.name)
		it := txn.NewIterator(badger.IteratorOptions{Prefix: p, PrefetchValues: true})
		defer it.Close()
		for it.Seek(p); it.Valid(); it.Next() {
			if err := ctx.Err(); err != nil {
				return err
			}
			var u *upload
			if err := it.Item().Value(func(v []byte) (err error) {
				u, err = decodeUpload(v)
				return err
			}); err != nil {
				return err
			}
			if strings.HasPrefix(u.key, prefix) {
				out = append(out, UploadInfo{Key: u.key, UploadID: string(it.Item().Key()[len(p):]), Created: u.created})
			}
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("r2: list multipart uploads in %s: %w", b.name, err)
	}
	slices.SortFunc(out, func(a, b UploadInfo) int {
		return cmp.Or(strings.Compare(a.Key, b.Key), a.Created.Compare(b.Created), strings.Compare(a.UploadID, b.UploadID))
	})
	return out, nil
}

// errf wraps err with the operation and the upload.
func (u *storeUpload) errf(op string, err error) error {
	return fmt.Errorf("r2: %s %s/%s (upload %.40q): %w", op, u.b.name, qkey(u.key), u.uploadID, err)
}

// getUpload returns the upload record, or ErrNoSuchUpload.
func (u *storeUpload) getUpload(txn *badger.Txn) (*upload, error) {
	if !validID(u.uploadID) {
		return nil, ErrNoSuchUpload
	}
	item, err := txn.Get(uploadKey(u.b.name, u.uploadID))
	if errors.Is(err, badger.ErrKeyNotFound) {
		return nil, ErrNoSuchUpload
	}
	if err != nil {
		return nil, err
	}
	var rec *upload
	if err := item.Value(func(v []byte) (err error) {
		rec, err = decodeUpload(v)
		return err
	}); err != nil {
		return nil, err
	}
	if rec.key != u.key {
		return nil, ErrNoSuchUpload
	}
	return rec, nil
}

// UploadPart stores body as part partNumber (1 to Limits.MaxParts),
// replacing any earlier upload of that number. md5, when not nil, is the
// digest the bytes must have (else ErrBadDigest). A part over
// Limits.MaxPartBytes fails with ErrEntityTooLarge.
func (u *storeUpload) UploadPart(ctx context.Context, partNumber int, body io.Reader, md5 []byte) (UploadedPart, error) {
	if err := ctx.Err(); err != nil {
		return UploadedPart{}, err
	}
	s := u.b.s
	if partNumber < 1 || partNumber > s.limits.MaxParts {
		return UploadedPart{}, u.errf("upload part", fmt.Errorf("%w: part number %d is not between 1 and %d", ErrInvalidArgument, partNumber, s.limits.MaxParts))
	}
	if err := s.view(func(txn *badger.Txn) error { _, err := u.getUpload(txn); return err }); err != nil {
		return UploadedPart{}, u.errf("upload part", err)
	}
	if body == nil {
		body = strings.NewReader("")
	}
	blob, err := s.writeBlob(ctx, body, s.limits.MaxPartBytes, Checksums{MD5: md5})
	if err != nil {
		return UploadedPart{}, u.errf("upload part", err)
	}
	p := &part{blob: blob.id, size: blob.size, md5: blob.sums.MD5, uploaded: s.nowMilli()}
	replaced := false
	err = s.update(ctx, func(txn *badger.Txn) error {
		replaced = false
		if _, err := u.getUpload(txn); err != nil {
			return err
		}
		old, err := getPart(txn, u.uploadID, partNumber)
		if err != nil {
			return err
		}
		if old != nil {
			replaced = true
			if err := txn.Set(gcKey(old.blob), []byte{gcBlob}); err != nil {
				return err
			}
		}
		if err := txn.Set(partKey(u.uploadID, partNumber), p.encode()); err != nil {
			return err
		}
		return txn.Delete(intentKey(blob.id))
	})
	if err != nil {
		s.discard(blob.id)
		return UploadedPart{}, u.errf("upload part", err)
	}
	if replaced {
		s.kickGC()
	}
	return UploadedPart{PartNumber: partNumber, ETag: hex.EncodeToString(p.md5)}, nil
}

// getPart returns part n of an upload, or nil.
func getPart(txn *badger.Txn, uploadID string, n int) (*part, error) {
	item, err := txn.Get(partKey(uploadID, n))
	if errors.Is(err, badger.ErrKeyNotFound) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	var p *part
	err = item.Value(func(v []byte) (err error) {
		p, err = decodePart(v)
		return err
	})
	return p, err
}

// numberedPart is a part with its number.
type numberedPart struct {
	n int
	*part
}

// parts returns every part of an upload, by number.
func parts(txn *badger.Txn, uploadID string) ([]numberedPart, error) {
	var out []numberedPart
	p := partPrefix(uploadID)
	it := txn.NewIterator(badger.IteratorOptions{Prefix: p, PrefetchValues: true})
	defer it.Close()
	for it.Seek(p); it.Valid(); it.Next() {
		k := it.Item().Key()[len(p):]
		if len(k) != 4 {
			return nil, errCorrupt
		}
		var pt *part
		if err := it.Item().Value(func(v []byte) (err error) {
			pt, err = decodePart(v)
			return err
		}); err != nil {
			return nil, err
		}
		out = append(out, numberedPart{int(binary.BigEndian.Uint32(k)), pt})
	}
	return out, nil
}

// ListParts returns the upload's parts, by part number.
func (u *storeUpload) ListParts(ctx context.Context) ([]PartInfo, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	out := []PartInfo{}
	err := u.b.s.view(func(txn *badger.Txn) error {
		if _, err := u.getUpload(txn); err != nil {
			return err
		}
		ps, err := parts(txn, u.uploadID)
		for _, p := range ps {
			out = append(out, PartInfo{PartNumber: p.n, ETag: hex.EncodeToString(p.md5), Size: p.size, Uploaded: p.uploaded})
		}
		return err
	})
	if err != nil {
		return nil, u.errf("list parts", err)
	}
	return out, nil
}

// Complete turns the listed parts, in strictly ascending part number order
// (ErrInvalidPartOrder), into the object Key, replacing its current
// version. Each listed part must exist with that ETag (ErrInvalidPart);
// every part but the last must be at least Limits.MinPartBytes
// (ErrEntityTooSmall) and, as R2 requires, all of them the same size, with
// the last one no larger (ErrInvalidPart and ErrUnequalParts). Parts not
// listed are deleted. No bytes are copied: the object's index entry lists
// the part files. The ETag is S3's multipart ETag. Complete after Abort or
// Complete fails with ErrNoSuchUpload.
func (u *storeUpload) Complete(ctx context.Context, list []UploadedPart) (*Object, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	s := u.b.s
	e := &entry{version: newID(), multipart: true}
	var newTombs bool
	complete := func(txn *badger.Txn) error {
		rec, err := u.getUpload(txn)
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
		stored, err := parts(txn, u.uploadID)
		if err != nil {
			return err
		}
		byNum := make(map[int]*part, len(stored))
		for _, p := range stored {
			byNum[p.n] = p.part
		}
		segs := make([]segment, len(list))
		sums := make([]byte, 0, md5.Size*len(list))
		var size int64
		for i, lp := range list {
			p := byNum[lp.PartNumber]
			if p == nil {
				return fmt.Errorf("%w: part %d was not uploaded", ErrInvalidPart, lp.PartNumber)
			}
			if want := strings.Trim(lp.ETag, `"`); want != hex.EncodeToString(p.md5) {
				return fmt.Errorf("%w: part %d has ETag %x, not %q", ErrInvalidPart, lp.PartNumber, p.md5, lp.ETag)
			}
			last := i == len(list)-1
			if !last && p.size < s.limits.MinPartBytes {
				return fmt.Errorf("%w: part %d is %d bytes, every part but the last must be at least %d", ErrEntityTooSmall, lp.PartNumber, p.size, s.limits.MinPartBytes)
			}
			if i > 0 && (!last && p.size != segs[0].size || last && p.size > segs[0].size) {
				return fmt.Errorf("%w: %w: part %d is %d bytes, part %d is %d (every part but the last has the same size, and the last is no larger)",
					ErrInvalidPart, ErrUnequalParts, lp.PartNumber, p.size, list[0].PartNumber, segs[0].size)
			}
			segs[i] = segment{blob: p.blob, size: p.size}
			sums = append(sums, p.md5...)
			size += p.size
			delete(byNum, lp.PartNumber)
		}
		sum := md5.Sum(sums)
		e.size = size
		e.etag = fmt.Sprintf("%x-%d", sum, len(list))
		e.class, e.http, e.custom = rec.class, rec.http, rec.custom
		// Unlisted parts go; listed parts now belong to the object.
		newTombs = len(byNum) > 0
		for _, p := range stored {
			if err := txn.Delete(partKey(u.uploadID, p.n)); err != nil {
				return err
			}
			if _, unlisted := byNum[p.n]; unlisted {
				if err := txn.Set(gcKey(p.blob), []byte{gcBlob}); err != nil {
					return err
				}
			}
		}
		if err := txn.Set(manifestKey(e.version), encodeManifest(segs)); err != nil {
			return err
		}
		return txn.Delete(uploadKey(u.b.name, u.uploadID))
	}
	replaced, err := u.b.commit(ctx, u.key, e, nil, complete)
	if err != nil {
		return nil, u.errf("complete multipart upload", err)
	}
	if replaced || newTombs {
		s.kickGC()
	}
	return e.object(u.key, true, true), nil
}

// Abort deletes the upload and its parts; it fails with ErrNoSuchUpload if
// the upload was completed or aborted.
func (u *storeUpload) Abort(ctx context.Context) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	s := u.b.s
	err := s.update(ctx, func(txn *badger.Txn) error {
		if _, err := u.getUpload(txn); err != nil {
			return err
		}
		stored, err := parts(txn, u.uploadID)
		if err != nil {
			return err
		}
		for _, p := range stored {
			if err := txn.Delete(partKey(u.uploadID, p.n)); err != nil {
				return err
			}
			if err := txn.Set(gcKey(p.blob), []byte{gcBlob}); err != nil {
				return err
			}
		}
		return txn.Delete(uploadKey(u.b.name, u.uploadID))
	})
	if err != nil {
		return u.errf("abort multipart upload", err)
	}
	s.kickGC()
	return nil
}
