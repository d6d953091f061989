package r2

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"math/rand/v2"
	"os"
	"path/filepath"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"github.com/dgraph-io/badger/v4"
)

// The storage engine: object bytes are immutable files ("blobs") under the
// store's directory, and everything else (buckets, object entries,
// multipart state, pending deletions) is in the host's Badger DB under
// "r2/". A blob is renamed into place and made durable before any index
// entry points at it, and it is deleted only after the index entry that
// pointed at it is gone, so the index never points at a missing or partial
// file. The layout and the crash-safety argument are in docs/r2-storage.md.

// Options configure a Store. Zero values take defaults.
type Options struct {
	// Limits are the sizes the store enforces. Zero fields take
	// DefaultLimits' values, so the zero value means R2's limits.
	Limits Limits
	// Now is the clock for upload times and multipart expiry; nil means
	// time.Now.
	Now func() time.Time
	// Logger receives background errors (file deletions that failed); nil
	// discards them.
	Logger *slog.Logger
}

// Store is the R2 Backend that keeps object bytes in files under one
// directory and the index in a Badger DB.
//
// # Notes
//
// A Store is safe for concurrent use. Open one Store per directory and DB
// (the DB's directory lock keeps other processes out; nothing keeps a
// second Store in the same process from deleting the first one's files).
// Writes are as durable as the DB makes them: blob files are always
// fsynced before the index refers to them, but the index commit is only
// synced when the DB has SyncWrites on.
type Store struct {
	dir    string
	db     *badger.DB
	limits Limits
	now    func() time.Time
	log    *slog.Logger

	// dirs are the 256 blob fan-out directories, created and opened on
	// first use (see blobDir) and kept open to fsync them.
	dirMu sync.Mutex
	dirs  [256]*os.File
	// bucketMu orders bucket creation and deletion (W) against writes that
	// add objects or uploads to a bucket (R): Badger's SSI does not see
	// a put's new key as conflicting with DeleteBucket's emptiness scan.
	bucketMu sync.RWMutex
	// readMu is held (R) by readers from reading an index entry until its
	// files are open; GC takes it (W) once, after the tombstones it
	// processes are committed and before it unlinks, so no reader can
	// open a file that GC has removed.
	readMu sync.RWMutex
	// gcMu serialises GC rounds and orphan sweeps.
	gcMu sync.Mutex
	// tmpMu guards tmp, the temp files in use by writers.
	tmpMu sync.Mutex
	tmp   map[string]struct{}

	kick   chan struct{} // wakes the GC goroutine
	cancel context.CancelFunc
	done   chan struct{}
	closed atomic.Bool

	// hook, when set (by tests), is called at named points of writes and
	// GC; the crash tests kill the process there.
	hook atomic.Pointer[func(point string)]
}

// maxConflictRetries bounds the retries of a transaction that Badger
// aborts with ErrConflict. Progress is guaranteed (some transaction of a
// conflicting set commits each round), so a high bound only matters under
// heavy contention on one key.
const maxConflictRetries = 200

// gcBatch is how many tombstones one GC transaction processes.
const gcBatch = 256

// gcPause is the least time between two rounds of the GC goroutine.
const gcPause = 50 * time.Millisecond

// errClosed is returned by calls on a closed Store.
var errClosed = errors.New("r2: store is closed")

// Open opens the store whose object bytes live in dir (created if needed)
// and whose index is in db, the host's shared Badger DB; the store uses
// only keys that start with "r2/". Open recovers from a crash: it removes
// temp files and blobs that were written but never committed to the
// index, and finishes pending deletions. It then starts a goroutine that
// deletes the files of overwritten and deleted objects; Close stops it.
// The store does not own db: close db after Close.
func Open(dir string, db *badger.DB, opts Options) (*Store, error) {
	s := &Store{
		dir:    dir,
		db:     db,
		limits: opts.Limits.withDefaults(),
		now:    opts.Now,
		log:    opts.Logger,
		tmp:    map[string]struct{}{},
		kick:   make(chan struct{}, 1),
		done:   make(chan struct{}),
	}
	if s.now == nil {
		s.now = time.Now
	}
	if s.log == nil {
		s.log = slog.New(slog.DiscardHandler)
	}
	if err := s.openDirs(); err != nil {
		s.closeDirs()
		return nil, fmt.Errorf("r2: open %s: %w", dir, err)
	}
	if err := s.recover(); err != nil {
		s.closeDirs()
		return nil, fmt.Errorf("r2: open %s: recover: %w", dir, err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	s.cancel = cancel
	go s.gcLoop(ctx)
	return s, nil
}

// Close stops the background deletion goroutine and releases the store's
// directory handles. It does not close the DB. Calls after Close fail.
func (s *Store) Close() error {
	if s.closed.Swap(true) {
		return nil
	}
	s.cancel()
	<-s.done
	s.gcMu.Lock() // wait for a Sweep in progress
	defer s.gcMu.Unlock()
	return s.closeDirs()
}

func (s *Store) tmpDir() string { return filepath.Join(s.dir, "tmp") }

func (s *Store) blobPath(id string) string { return filepath.Join(s.dir, "blobs", id[:2], id) }

// openDirs creates the directory tree; the fan-out directories come
// later, one by one, as blobDir needs them (creating all 256 up front cost
// tens of milliseconds on every fresh data directory).
func (s *Store) openDirs() error {
	if err := os.MkdirAll(s.tmpDir(), 0o755); err != nil {
		return err
	}
	if err := os.MkdirAll(filepath.Join(s.dir, "blobs"), 0o755); err != nil {
		return err
	}
	// Make the tree itself durable once.
	for _, p := range []string{filepath.Join(s.dir, "blobs"), s.dir} {
		if err := syncDir(p); err != nil {
			return err
		}
	}
	return nil
}

// blobDir returns fan-out directory i, open, creating it (durably) the
// first time.
func (s *Store) blobDir(i int) (*os.File, error) {
	s.dirMu.Lock()
	defer s.dirMu.Unlock()
	if f := s.dirs[i]; f != nil {
		return f, nil
	}
	p := filepath.Join(s.dir, "blobs", fmt.Sprintf("%02x", i))
	if err := os.Mkdir(p, 0o755); err != nil && !errors.Is(err, os.ErrExist) {
		return nil, err
	}
	// The directory's entry must be durable before a blob in it is.
	if err := syncDir(filepath.Join(s.dir, "blobs")); err != nil {
		return nil, err
	}
	f, err := os.Open(p)
	if err != nil {
		return nil, err
	}
	s.dirs[i] = f
	return f, nil
}

func (s *Store) closeDirs() error {
	var errs []error
	for _, f := range s.dirs {
		if f != nil {
			errs = append(errs, f.Close())
		}
	}
	return errors.Join(errs...)
}

func syncDir(p string) error {
	f, err := os.Open(p)
	if err != nil {
		return err
	}
	err = f.Sync()
	return errors.Join(err, f.Close())
}

// at calls the test hook.
func (s *Store) at(point string) {
	if h := s.hook.Load(); h != nil {
		(*h)(point)
	}
}

// nowMilli returns the clock's time at R2's precision (milliseconds).
func (s *Store) nowMilli() time.Time { return time.UnixMilli(s.now().UnixMilli()).UTC() }

// update runs fn in a read-write transaction, retrying on conflicts.
func (s *Store) update(ctx context.Context, fn func(txn *badger.Txn) error) error {
	if s.closed.Load() {
		return errClosed
	}
	for i := 0; ; i++ {
		err := s.db.Update(fn)
		if !errors.Is(err, badger.ErrConflict) || i == maxConflictRetries {
			return err
		}
		if err := ctx.Err(); err != nil {
			return err
		}
		if i >= 8 {
			// Let the winners finish before trying again.
			time.Sleep(time.Duration(rand.IntN(100*min(i, 50))) * time.Microsecond)
		}
	}
}

// view runs fn in a read-only transaction.
func (s *Store) view(fn func(txn *badger.Txn) error) error {
	if s.closed.Load() {
		return errClosed
	}
	return s.db.View(fn)
}

// kickGC wakes the GC goroutine.
func (s *Store) kickGC() {
	select {
	case s.kick <- struct{}{}:
	default:
	}
}

// CreateBucket creates the bucket name if it does not exist yet. Names
// follow R2's rule: 3 to 63 characters of a-z, 0-9 and "-" that start and
// end with a letter or digit (else ErrInvalidBucketName). A bucket an
// older Bindery created under a looser rule ("." and "_", from 1
// character) stays usable, and CreateBucket of it succeeds without doing
// anything; it cannot be created again once deleted.
func (s *Store) CreateBucket(ctx context.Context, name string) error {
	valid := validBucketName(name)
	if !valid && !storableBucketName(name) {
		return fmt.Errorf("r2: create bucket %q: %w: %s", name, ErrInvalidBucketName, bucketNameRule)
	}
	s.bucketMu.Lock()
	defer s.bucketMu.Unlock()
	err := s.update(ctx, func(txn *badger.Txn) error {
		_, err := txn.Get(bucketKey(name))
		if err == nil || !errors.Is(err, badger.ErrKeyNotFound) {
			return err
		}
		if !valid {
			return fmt.Errorf("%w: %s", ErrInvalidBucketName, bucketNameRule)
		}
		return txn.Set(bucketKey(name), encodeBucket(s.nowMilli()))
	})
	if err != nil {
		return fmt.Errorf("r2: create bucket %q: %w", name, err)
	}
	return nil
}

// DeleteBucket deletes the empty bucket name. It fails with
// ErrNoSuchBucket, or ErrBucketNotEmpty while the bucket holds objects or
// incomplete multipart uploads.
func (s *Store) DeleteBucket(ctx context.Context, name string) error {
	s.bucketMu.Lock()
	defer s.bucketMu.Unlock()
	err := s.update(ctx, func(txn *badger.Txn) error {
		if err := checkBucket(txn, name); err != nil {
			return err
		}
		for _, p := range [][]byte{objectPrefix(name), uploadPrefix(name)} {
			if hasPrefix(txn, p) {
				return ErrBucketNotEmpty
			}
		}
		return txn.Delete(bucketKey(name))
	})
	if err != nil {
		return fmt.Errorf("r2: delete bucket %q: %w", name, err)
	}
	return nil
}

// hasPrefix reports whether any key starts with p.
func hasPrefix(txn *badger.Txn, p []byte) bool {
	it := txn.NewIterator(badger.IteratorOptions{Prefix: p})
	defer it.Close()
	it.Seek(p)
	return it.Valid()
}

// checkBucket returns ErrNoSuchBucket unless the bucket exists.
func checkBucket(txn *badger.Txn, name string) error {
	if !storableBucketName(name) {
		return ErrNoSuchBucket
	}
	_, err := txn.Get(bucketKey(name))
	if errors.Is(err, badger.ErrKeyNotFound) {
		return ErrNoSuchBucket
	}
	return err
}

// Buckets returns every bucket, sorted by name.
func (s *Store) Buckets(ctx context.Context) ([]BucketInfo, error) {
	out := []BucketInfo{}
	err := s.view(func(txn *badger.Txn) error {
		p := []byte(pfxBucket)
		it := txn.NewIterator(badger.IteratorOptions{Prefix: p, PrefetchValues: true})
		defer it.Close()
		for it.Seek(p); it.Valid(); it.Next() {
			if err := ctx.Err(); err != nil {
				return err
			}
			var created time.Time
			err := it.Item().Value(func(v []byte) (err error) {
				created, err = decodeBucket(v)
				return err
			})
			if err != nil {
				return err
			}
			out = append(out, BucketInfo{Name: string(it.Item().Key()[len(p):]), Created: created})
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("r2: list buckets: %w", err)
	}
	return out, nil
}

// Bucket returns the bucket name; it fails with ErrNoSuchBucket unless the
// bucket was created. The Bucket stays usable as a handle: once the bucket
// is deleted, its calls fail with ErrNoSuchBucket.
func (s *Store) Bucket(ctx context.Context, name string) (*Bucket, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	err := s.view(func(txn *badger.Txn) error { return checkBucket(txn, name) })
	if err != nil {
		return nil, fmt.Errorf("r2: bucket %q: %w", name, err)
	}
	return NewBucket(&storeBucket{s: s, name: name}), nil
}

// Sweep aborts multipart uploads created more than Limits.UploadExpiry
// ago, deletes temp files that no write is using, finishes pending
// deletions, and deletes blob files that nothing in the index refers to
// (which only a power loss with a DB that does not sync its writes can
// leave behind). It reads the whole index, so run it now and then (the
// dev server does so periodically), not on a hot path.
func (s *Store) Sweep(ctx context.Context) error {
	if s.closed.Load() {
		return errClosed
	}
	if err := s.abortExpired(ctx); err != nil {
		return fmt.Errorf("r2: sweep: %w", err)
	}
	if err := s.removeTemps(false); err != nil {
		return fmt.Errorf("r2: sweep: %w", err)
	}
	if err := s.collect(ctx); err != nil {
		return fmt.Errorf("r2: sweep: %w", err)
	}
	if err := s.removeOrphans(ctx); err != nil {
		return fmt.Errorf("r2: sweep: %w", err)
	}
	return nil
}

// abortExpired aborts uploads older than UploadExpiry.
func (s *Store) abortExpired(ctx context.Context) error {
	type stale struct{ bucket, key, id string }
	var expired []stale
	cutoff := s.now().Add(-s.limits.UploadExpiry)
	err := s.view(func(txn *badger.Txn) error {
		p := []byte(pfxUpload)
		it := txn.NewIterator(badger.IteratorOptions{Prefix: p, PrefetchValues: true})
		defer it.Close()
		for it.Seek(p); it.Valid(); it.Next() {
			var u *upload
			err := it.Item().Value(func(v []byte) (err error) {
				u, err = decodeUpload(v)
				return err
			})
			if err != nil {
				return err
			}
			if u.created.Before(cutoff) {
				rest := string(it.Item().Key()[len(p):]) // <bucket>/<id>
				i := len(rest) - idLen - 1
				if i < 0 {
					return errCorrupt
				}
				expired = append(expired, stale{rest[:i], u.key, rest[i+1:]})
			}
		}
		return nil
	})
	if err != nil {
		return err
	}
	for _, e := range expired {
		u := (&storeBucket{s: s, name: e.bucket}).resume(e.key, e.id)
		if err := u.Abort(ctx); err != nil && !errors.Is(err, ErrNoSuchUpload) {
			return err
		}
	}
	return nil
}

// recover runs at Open: no write is in progress yet.
func (s *Store) recover() error {
	if err := s.removeTemps(true); err != nil {
		return err
	}
	// An intent names a blob that was being written when the process
	// died: nothing refers to it (the commit that would have deletes the
	// intent in the same transaction).
	var ids []string
	err := s.db.View(func(txn *badger.Txn) error {
		ids = keysUnder(txn, []byte(pfxIntent))
		return nil
	})
	if err != nil {
		return err
	}
	for _, id := range ids {
		if err := removeFile(s.blobPath(id)); err != nil {
			return err
		}
	}
	for batch := range slices.Chunk(ids, 1000) {
		err := s.db.Update(func(txn *badger.Txn) error {
			for _, id := range batch {
				if err := txn.Delete(intentKey(id)); err != nil {
					return err
				}
			}
			return nil
		})
		if err != nil {
			return err
		}
	}
	return s.collect(context.Background())
}

// keysUnder returns the rest of every key under prefix p.
func keysUnder(txn *badger.Txn, p []byte) []string {
	var out []string
	it := txn.NewIterator(badger.IteratorOptions{Prefix: p})
	defer it.Close()
	for it.Seek(p); it.Valid(); it.Next() {
		out = append(out, string(it.Item().Key()[len(p):]))
	}
	return out
}

// removeFile removes p; a missing file is not an error.
func removeFile(p string) error {
	if err := os.Remove(p); err != nil && !errors.Is(err, fs.ErrNotExist) {
		return err
	}
	return nil
}

// removeTemps deletes the temp files that no write uses (all when all is
// set, at Open).
func (s *Store) removeTemps(all bool) error {
	ents, err := os.ReadDir(s.tmpDir())
	if err != nil {
		return err
	}
	for _, e := range ents {
		if !all {
			s.tmpMu.Lock()
			_, busy := s.tmp[e.Name()]
			s.tmpMu.Unlock()
			if busy {
				continue
			}
		}
		if err := removeFile(filepath.Join(s.tmpDir(), e.Name())); err != nil {
			return err
		}
	}
	return nil
}

// gcLoop runs collect whenever a write leaves tombstones (at most once per
// gcPause), until ctx ends.
func (s *Store) gcLoop(ctx context.Context) {
	defer close(s.done)
	for {
		select {
		case <-ctx.Done():
			return
		case <-s.kick:
		}
		if err := s.collect(ctx); err != nil && ctx.Err() == nil {
			s.log.Error("r2: deleting files of removed objects", "err", err)
		}
		// Under a steady stream of overwrites, batch the deletions (and
		// the DB sync each round starts with) rather than run a round
		// per write.
		select {
		case <-ctx.Done():
			return
		case <-time.After(gcPause):
		}
	}
}

// collect deletes the files named by tombstones, then the tombstones.
//
// Order matters for crash safety and readers: the DB is synced first, so
// the index change that made a file garbage is durable before the file
// goes; then readMu is cycled, so every reader that might have seen the
// old index entry has its files open; then the files are unlinked; and
// only then are the tombstones deleted (a crash in between leaves them for
// the next round, and unlinking again is harmless).
func (s *Store) collect(ctx context.Context) error {
	s.gcMu.Lock()
	defer s.gcMu.Unlock()
	for {
		if err := ctx.Err(); err != nil {
			return err
		}
		type tomb struct {
			id    string
			kind  byte
			blobs []string
		}
		var tombs []tomb
		err := s.db.View(func(txn *badger.Txn) error {
			p := []byte(pfxGC)
			it := txn.NewIterator(badger.IteratorOptions{Prefix: p, PrefetchValues: true})
			defer it.Close()
			for it.Seek(p); it.Valid() && len(tombs) < gcBatch; it.Next() {
				t := tomb{id: string(it.Item().Key()[len(p):])}
				if err := it.Item().Value(func(v []byte) error {
					if len(v) != 1 {
						return errCorrupt
					}
					t.kind = v[0]
					return nil
				}); err != nil {
					return err
				}
				switch t.kind {
				case gcBlob:
					t.blobs = []string{t.id}
				case gcManifest:
					segs, err := getManifest(txn, t.id)
					if err != nil && !errors.Is(err, badger.ErrKeyNotFound) {
						return err
					}
					for _, sg := range segs {
						t.blobs = append(t.blobs, sg.blob)
					}
				default:
					return errCorrupt
				}
				tombs = append(tombs, t)
			}
			return nil
		})
		if err != nil || len(tombs) == 0 {
			return err
		}
		if err := s.db.Sync(); err != nil {
			return err
		}
		s.readMu.Lock()
		s.readMu.Unlock() //nolint:staticcheck // a barrier: wait for readers that saw the old index
		s.at("gc-unlink")
		for _, t := range tombs {
			for _, b := range t.blobs {
				if !validID(b) {
					return errCorrupt
				}
				if err := removeFile(s.blobPath(b)); err != nil {
					return err
				}
			}
		}
		s.at("gc-unlinked")
		err = s.db.Update(func(txn *badger.Txn) error {
			for _, t := range tombs {
				if err := txn.Delete(gcKey(t.id)); err != nil {
					return err
				}
				if t.kind == gcManifest {
					if err := txn.Delete(manifestKey(t.id)); err != nil {
						return err
					}
				}
			}
			return nil
		})
		if err != nil {
			return err
		}
	}
}

// getManifest returns the parts of the multipart version.
func getManifest(txn *badger.Txn, version string) ([]segment, error) {
	item, err := txn.Get(manifestKey(version))
	if err != nil {
		return nil, err
	}
	var segs []segment
	err = item.Value(func(v []byte) (err error) {
		segs, err = decodeManifest(v)
		return err
	})
	return segs, err
}

// removeOrphans deletes blob files that nothing in the index refers to.
//
// It lists the files before it reads the index: a write registers its
// intent before renaming its blob into place, and removes the intent only
// in the transaction that makes an index entry refer to the blob, so every
// listed blob that is still in use is referred to in the later snapshot.
func (s *Store) removeOrphans(ctx context.Context) error {
	s.gcMu.Lock()
	defer s.gcMu.Unlock()
	files, err := s.blobFiles()
	if err != nil {
		return err
	}
	if len(files) == 0 {
		return nil
	}
	used, err := s.referencedBlobs(ctx)
	if err != nil {
		return err
	}
	// The snapshot must be durable before files it does not refer to go.
	if err := s.db.Sync(); err != nil {
		return err
	}
	for _, id := range files {
		if _, ok := used[id]; ok {
			continue
		}
		s.log.Warn("r2: removing orphaned blob", "blob", id)
		if err := removeFile(s.blobPath(id)); err != nil {
			return err
		}
	}
	return nil
}

// blobFiles lists the blob files.
func (s *Store) blobFiles() ([]string, error) {
	var ids []string
	for i := range s.dirs {
		ents, err := os.ReadDir(filepath.Join(s.dir, "blobs", fmt.Sprintf("%02x", i)))
		if errors.Is(err, os.ErrNotExist) {
			continue // not used yet
		}
		if err != nil {
			return nil, err
		}
		for _, e := range ents {
			ids = append(ids, e.Name())
		}
	}
	return ids, nil
}

// referencedBlobs returns the IDs of every blob the index refers to:
// single-put objects, manifests, parts, intents and tombstones.
func (s *Store) referencedBlobs(ctx context.Context) (map[string]struct{}, error) {
	used := map[string]struct{}{}
	err := s.db.View(func(txn *badger.Txn) error {
		scan := func(prefix string, fn func(key, v []byte) error) error {
			p := []byte(prefix)
			it := txn.NewIterator(badger.IteratorOptions{Prefix: p, PrefetchValues: true})
			defer it.Close()
			for it.Seek(p); it.Valid(); it.Next() {
				if err := ctx.Err(); err != nil {
					return err
				}
				item := it.Item()
				if err := item.Value(func(v []byte) error { return fn(item.Key()[len(p):], v) }); err != nil {
					return err
				}
			}
			return nil
		}
		return errors.Join(
			scan(pfxObject, func(_, v []byte) error {
				e, err := decodeEntry(v)
				if err == nil && !e.multipart {
					used[e.version] = struct{}{}
				}
				return err
			}),
			scan(pfxManifest, func(_, v []byte) error {
				segs, err := decodeManifest(v)
				for _, sg := range segs {
					used[sg.blob] = struct{}{}
				}
				return err
			}),
			scan(pfxPart, func(_, v []byte) error {
				p, err := decodePart(v)
				if err == nil {
					used[p.blob] = struct{}{}
				}
				return err
			}),
			scan(pfxIntent, func(k, _ []byte) error {
				used[string(k)] = struct{}{}
				return nil
			}),
			scan(pfxGC, func(k, _ []byte) error {
				used[string(k)] = struct{}{}
				return nil
			}),
		)
	})
	return used, err
}

// indexStats counts the store's bookkeeping keys; tests use it to check
// that nothing is left pending.
func (s *Store) indexStats() (intents, tombstones, manifests int, err error) {
	err = s.db.View(func(txn *badger.Txn) error {
		intents = len(keysUnder(txn, []byte(pfxIntent)))
		tombstones = len(keysUnder(txn, []byte(pfxGC)))
		manifests = len(keysUnder(txn, []byte(pfxManifest)))
		return nil
	})
	return
}
