package r2

import (
	"bytes"
	"context"
	"crypto/md5"
	"crypto/rand"
	"crypto/sha1"
	"crypto/sha256"
	"crypto/sha512"
	"encoding/hex"
	"errors"
	"fmt"
	"hash"
	"hash/crc32"
	"hash/crc64"
	"io"
	"os"
	"path/filepath"
	"sync"

	"github.com/dgraph-io/badger/v4"
)

// idLen is the length of blob, version and upload IDs: 128 random bits in
// lowercase hex.
const idLen = 32

// newID returns a random ID.
func newID() string {
	var b [idLen / 2]byte
	_, _ = rand.Read(b[:]) // never fails (crypto/rand)
	return hex.EncodeToString(b[:])
}

// validID reports whether id looks like one newID returns, so it is safe
// in a file name and a Badger key.
func validID(id string) bool {
	if len(id) != idLen {
		return false
	}
	for i := range len(id) {
		c := id[i]
		if !(c >= '0' && c <= '9' || c >= 'a' && c <= 'f') {
			return false
		}
	}
	return true
}

// Streaming a body to disk: it is read in chunks of chunkSize, with up
// to chunkBuffers chunks in flight between reading and hashing, and the
// kernel is asked to start writing back every writebackBytes.
const (
	chunkSize      = 256 << 10
	chunkBuffers   = 4
	writebackBytes = 8 << 20
)

// bufPool holds chunk buffers.
var bufPool = sync.Pool{New: func() any { b := make([]byte, chunkSize); return &b }}

// blob is a file written by writeBlob: renamed into place, durable, and
// registered by an intent; the caller's commit must delete the intent (and
// make an index entry refer to the blob) or call discard.
type blob struct {
	id   string
	size int64
	sums Checksums // MD5 always, and the digests the caller asked to verify
}

// writeBlob streams body (at most max bytes, else ErrEntityTooLarge) into
// a new blob, verifying the checksums in want that are set (else
// ErrBadDigest). The steps, each a crash point the recovery handles:
// write and fsync a temp file; record an intent in the index; rename the
// file into blobs/; fsync the directory. Nothing refers to the blob before
// the caller commits, which is after both fsyncs.
func (s *Store) writeBlob(ctx context.Context, body io.Reader, max int64, want Checksums) (*blob, error) {
	if s.closed.Load() {
		return nil, errClosed
	}
	id := newID()
	s.tmpMu.Lock()
	s.tmp[id] = struct{}{}
	s.tmpMu.Unlock()
	defer func() {
		s.tmpMu.Lock()
		delete(s.tmp, id)
		s.tmpMu.Unlock()
	}()
	tmp := filepath.Join(s.tmpDir(), id)
	f, err := os.OpenFile(tmp, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o644)
	if err != nil {
		return nil, err
	}
	b, err := fill(ctx, f, body, max, want)
	b.id = id
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		_ = os.Remove(tmp)
		return nil, err
	}
	s.at("blob-written")
	if err := s.db.Update(func(txn *badger.Txn) error { return txn.Set(intentKey(id), nil) }); err != nil {
		_ = os.Remove(tmp)
		return nil, err
	}
	s.at("blob-intent")
	dir, err := s.blobDir(fanout(id))
	if err != nil {
		_ = os.Remove(tmp)
		s.discard(id)
		return nil, err
	}
	if err := os.Rename(tmp, s.blobPath(id)); err != nil {
		_ = os.Remove(tmp)
		s.discard(id)
		return nil, err
	}
	s.at("blob-renamed")
	if err := dir.Sync(); err != nil {
		s.discard(id)
		return nil, err
	}
	s.at("blob-synced")
	return &b, nil
}

// fanout returns the index of id's blob directory.
func fanout(id string) int {
	var b [1]byte
	_, _ = hex.Decode(b[:], []byte(id[:2]))
	return int(b[0])
}

// fill copies body to w while hashing it, and checks the size and the
// checksums. When w is a file, it starts writing it back as it goes and
// fsyncs it at the end.
func fill(ctx context.Context, w io.Writer, body io.Reader, max int64, want Checksums) (blob, error) {
	f, _ := w.(*os.File)
	type check struct {
		want []byte
		h    hash.Hash
		dst  *[]byte
		name string
	}
	var b blob
	checks := []check{{want.MD5, md5.New(), &b.sums.MD5, "MD5"}}
	for _, c := range []struct {
		want []byte
		new  func() hash.Hash
		dst  *[]byte
		name string
	}{
		{want.SHA1, sha1.New, &b.sums.SHA1, "SHA-1"},
		{want.SHA256, sha256.New, &b.sums.SHA256, "SHA-256"},
		{want.SHA384, sha512.New384, &b.sums.SHA384, "SHA-384"},
		{want.SHA512, sha512.New, &b.sums.SHA512, "SHA-512"},
		{want.CRC32, func() hash.Hash { return crc32.NewIEEE() }, &b.sums.CRC32, "CRC-32"},
		{want.CRC32C, func() hash.Hash { return crc32.New(crc32.MakeTable(crc32.Castagnoli)) }, &b.sums.CRC32C, "CRC-32C"},
		{want.CRC64NVME, func() hash.Hash { return newCRC64NVME() }, &b.sums.CRC64NVME, "CRC-64/NVME"},
	} {
		if c.want != nil {
			checks = append(checks, check{c.want, c.new(), c.dst, c.name})
		}
	}
	hashes := make([]io.Writer, len(checks))
	for i, c := range checks {
		hashes[i] = c.h
	}
	hw := io.MultiWriter(hashes...)

	// Hashing (md5 runs at under 1 GB/s) overlaps reading and writing: a
	// goroutine hashes the chunks this one has written, and the kernel
	// writes them back while later chunks are read and hashed.
	type chunk struct {
		buf *[]byte
		n   int
	}
	free := make(chan *[]byte, chunkBuffers)
	for range chunkBuffers {
		free <- bufPool.Get().(*[]byte)
	}
	toHash := make(chan chunk, chunkBuffers)
	hashed := make(chan struct{})
	go func() {
		defer close(hashed)
		for c := range toHash {
			_, _ = hw.Write((*c.buf)[:c.n])
			free <- c.buf
		}
	}()
	defer func() {
		for range chunkBuffers {
			bufPool.Put(<-free)
		}
	}()
	err := func() error {
		defer close(toHash)
		var flushed int64
		for {
			if err := ctx.Err(); err != nil {
				return err
			}
			buf := <-free
			n, rerr := readChunk(body, *buf)
			if n > 0 {
				b.size += int64(n)
				if b.size > max {
					free <- buf
					return fmt.Errorf("%w: body is over %d bytes", ErrEntityTooLarge, max)
				}
				if _, err := w.Write((*buf)[:n]); err != nil {
					free <- buf
					return err
				}
				if f != nil && b.size-flushed >= writebackBytes {
					startWriteback(f, flushed, b.size-flushed)
					flushed = b.size
				}
				toHash <- chunk{buf, n}
			} else {
				free <- buf
			}
			if rerr == io.EOF {
				return nil
			}
			if rerr != nil {
				return fmt.Errorf("reading body: %w", rerr)
			}
		}
	}()
	if err == nil && f != nil {
		// The fsync overlaps the hashing of the last chunks.
		err = f.Sync()
	}
	<-hashed
	if err != nil {
		return b, err
	}
	for _, c := range checks {
		*c.dst = c.h.Sum(nil)
		if c.want != nil && !bytes.Equal(c.want, *c.dst) {
			return b, fmt.Errorf("%w: %s is %x, want %x", ErrBadDigest, c.name, *c.dst, c.want)
		}
	}
	return b, nil
}

// crc64NVME is the CRC-64/NVME polynomial, 0xAD93D23594C93659, reversed
// as hash/crc64 takes it.
const crc64NVME = 0x9A6C9329AC4BC9B5

// newCRC64NVME returns a CRC-64/NVME hash (S3's x-amz-checksum-crc64nvme).
func newCRC64NVME() hash.Hash64 { return crc64.New(crc64.MakeTable(crc64NVME)) }

// discard removes a blob that no commit refers to, then its intent. A
// crash in between leaves the intent, and Open finishes the job.
func (s *Store) discard(id string) {
	if err := removeFile(s.blobPath(id)); err != nil {
		s.log.Error("r2: removing an unused blob", "blob", id, "err", err)
		return
	}
	err := s.db.Update(func(txn *badger.Txn) error { return txn.Delete(intentKey(id)) })
	if err != nil {
		s.log.Error("r2: removing a blob intent", "blob", id, "err", err)
	}
}

// body is an ObjectBody's reader: byte ranges of one or more open blob
// files, read in order.
type body struct {
	segs []bodySeg
	cur  int
	once sync.Once
	err  error
}

type bodySeg struct {
	f *os.File
	r io.LimitedReader // reads f from the segment's offset
}

// openBody opens the files of segs and selects [off, off+n) of their
// concatenation. The caller holds readMu (R).
func (s *Store) openBody(segs []segment, off, n int64) (*body, error) {
	b := &body{}
	for _, sg := range segs {
		if n == 0 {
			break
		}
		if off >= sg.size {
			off -= sg.size
			continue
		}
		take := min(sg.size-off, n)
		f, err := os.Open(s.blobPath(sg.blob))
		if err != nil {
			_ = b.Close()
			if errors.Is(err, os.ErrNotExist) {
				return nil, fmt.Errorf("%w: blob %s is missing", errCorrupt, sg.blob)
			}
			return nil, err
		}
		if off > 0 {
			if _, err := f.Seek(off, io.SeekStart); err != nil {
				_ = f.Close()
				_ = b.Close()
				return nil, err
			}
		}
		b.segs = append(b.segs, bodySeg{f: f, r: io.LimitedReader{R: f, N: take}})
		n -= take
		off = 0
	}
	return b, nil
}

// Read implements io.Reader.
func (b *body) Read(p []byte) (int, error) {
	for b.cur < len(b.segs) {
		n, err := b.segs[b.cur].r.Read(p)
		if err == io.EOF {
			if b.segs[b.cur].r.N > 0 {
				return n, io.ErrUnexpectedEOF // the file is shorter than its index entry
			}
			b.cur++
			if n > 0 {
				return n, nil
			}
			continue
		}
		return n, err
	}
	return 0, io.EOF
}

// WriteTo implements io.WriterTo. A destination that is an io.ReaderFrom
// gets each segment as an *io.LimitedReader over the *os.File, so a
// *net.TCPConn (or an http.ResponseWriter over one) uses sendfile; other
// destinations are written in chunkSize pieces.
func (b *body) WriteTo(w io.Writer) (int64, error) {
	var total int64
	for ; b.cur < len(b.segs); b.cur++ {
		sg := &b.segs[b.cur]
		want := sg.r.N
		var (
			n   int64
			err error
		)
		if rf, ok := w.(io.ReaderFrom); ok {
			n, err = rf.ReadFrom(&sg.r)
		} else {
			bp := bufPool.Get().(*[]byte)
			n, err = io.CopyBuffer(w, &sg.r, *bp)
			bufPool.Put(bp)
		}
		total += n
		if err != nil {
			return total, err
		}
		if n < want {
			return total, io.ErrUnexpectedEOF
		}
	}
	return total, nil
}

// Close implements io.Closer; it closes every file.
func (b *body) Close() error {
	b.once.Do(func() {
		var errs []error
		for _, sg := range b.segs {
			errs = append(errs, sg.f.Close())
		}
		b.err = errors.Join(errs...)
	})
	return b.err
}

// readChunk fills p from r like io.ReadFull, but returns io.EOF (with the
// bytes read) only at the body's real end: an io.ErrUnexpectedEOF from r
// itself (net/http's when a client disconnects mid-body) stays an error, so
// a cut-off body is never stored as a short object.
func readChunk(r io.Reader, p []byte) (int, error) {
	n := 0
	for n < len(p) {
		k, err := r.Read(p[n:])
		n += k
		if err != nil {
			return n, err
		}
	}
	return n, nil
}
