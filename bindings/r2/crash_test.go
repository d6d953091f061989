package r2

import (
	"bufio"
	"bytes"
	"context"
	"crypto/md5"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"

	"github.com/dgraph-io/badger/v4"

	"github.com/bindery-run/bindery/internal/badgerdb"
)

// The crash tests run a write in a child process (this test binary,
// re-executed to run TestCrashChild) and kill it with SIGKILL: from the
// parent while the body streams, or from the child itself at a named point
// of the write (Store.hook). The parent then reopens the store and checks
// that the key holds the old or the new version, whole, and that no file
// is left that the index does not refer to.

// Environment of the child.
const (
	envCrashDir = "R2_CRASH_DIR" // the test's directory: db/ and r2/
	envCrashOp  = "R2_CRASH_OP"  // put | put-slow | complete
	envCrashAt  = "R2_CRASH_AT"  // hook point to die at
	envUpload   = "R2_CRASH_UPLOAD"
	envParts    = "R2_CRASH_PARTS" // n:etag,n:etag,...
)

const crashPartSize = 64 << 10

var (
	crashOld = crashBytes(1, 1<<20+3)
	crashNew = crashBytes(2, 3<<20)
	// The multipart upload: parts 1 to 3 are completed, part 4 is not.
	crashParts = [][]byte{crashBytes(3, crashPartSize), crashBytes(4, crashPartSize), crashBytes(5, 1000), crashBytes(6, 10)}
)

func crashBytes(seed uint64, n int) []byte {
	r := rand.New(rand.NewPCG(seed, seed))
	b := make([]byte, n)
	for i := range b {
		b[i] = byte(r.Uint32())
	}
	return b
}

// crashOpen opens the store of a crash test, without test cleanups (the
// parent closes it before the child runs).
func crashOpen(dir string) (*Store, *badger.DB, error) {
	db, err := badgerdb.Open(filepath.Join(dir, "db"), nil)
	if err != nil {
		return nil, nil, err
	}
	s, err := Open(filepath.Join(dir, "r2"), db, Options{Limits: Limits{MinPartBytes: crashPartSize}})
	if err != nil {
		db.Close()
		return nil, nil, err
	}
	return s, db, nil
}

func TestCrash(t *testing.T) {
	if testing.Short() {
		t.Skip("spawns child processes")
	}
	tests := []struct {
		op, at string
		// newVersion says the write must have happened; otherwise it
		// must not have.
		newVersion bool
	}{
		{"put-slow", "", false},
		{"put", "blob-written", false},
		{"put", "blob-intent", false},
		{"put", "blob-renamed", false},
		{"put", "blob-synced", false},
		{"put", "commit", false},
		{"put", "committed", true},
		{"put", "gc-unlink", true},
		{"put", "gc-unlinked", true},
		{"complete", "commit", false},
		{"complete", "committed", true},
		{"complete", "gc-unlink", true},
		{"complete", "gc-unlinked", true},
	}
	for _, tt := range tests {
		t.Run(tt.op+"/"+tt.at, func(t *testing.T) {
			t.Parallel()
			dir := t.TempDir()
			uploadID, parts := crashSetup(t, dir, tt.op == "complete")
			cmd := exec.Command(os.Args[0], "-test.run=^TestCrashChild$", "-test.v")
			cmd.Env = append(os.Environ(),
				envCrashDir+"="+dir, envCrashOp+"="+tt.op, envCrashAt+"="+tt.at,
				envUpload+"="+uploadID, envParts+"="+parts)
			var stderr bytes.Buffer
			cmd.Stderr = &stderr
			stdout, err := cmd.StdoutPipe()
			if err != nil {
				t.Fatal(err)
			}
			if err := cmd.Start(); err != nil {
				t.Fatal(err)
			}
			out := bufio.NewScanner(stdout)
			var log []string
			for out.Scan() {
				log = append(log, out.Text())
				if tt.op == "put-slow" && out.Text() == "streaming" {
					// Part of the body is on disk; the rest never comes.
					if err := cmd.Process.Kill(); err != nil {
						t.Fatal(err)
					}
				}
			}
			err = cmd.Wait()
			var exit *exec.ExitError
			if !errors.As(err, &exit) || exit.Sys().(syscall.WaitStatus).Signal() != syscall.SIGKILL {
				t.Fatalf("child was not killed: %v\nstdout:\n%s\nstderr:\n%s", err, strings.Join(log, "\n"), stderr.String())
			}
			crashCheck(t, dir, tt.op == "complete", tt.newVersion)
		})
	}
}

// crashSetup writes the old version of "k" and, for a complete test, an
// upload with four parts; it returns the upload ID and the parts to list.
func crashSetup(t *testing.T, dir string, multipart bool) (uploadID, parts string) {
	ctx := context.Background()
	s, db, err := crashOpen(dir)
	if err != nil {
		t.Fatal(err)
	}
	defer func() {
		if err := errors.Join(s.Close(), db.Close()); err != nil {
			t.Fatal(err)
		}
	}()
	if err := s.CreateBucket(ctx, "bkt"); err != nil {
		t.Fatal(err)
	}
	b, _ := s.Bucket(ctx, "bkt")
	if _, err := b.Put(ctx, "k", bytes.NewReader(crashOld), PutOptions{}); err != nil {
		t.Fatal(err)
	}
	if !multipart {
		return "", ""
	}
	u, err := b.CreateMultipartUpload(ctx, "k", MultipartOptions{})
	if err != nil {
		t.Fatal(err)
	}
	var list []string
	for i, p := range crashParts {
		up, err := u.UploadPart(ctx, i+1, bytes.NewReader(p), nil)
		if err != nil {
			t.Fatal(err)
		}
		if i < 3 {
			list = append(list, fmt.Sprintf("%d:%s", up.PartNumber, up.ETag))
		}
	}
	return u.UploadID, strings.Join(list, ",")
}

// crashCheck reopens the store and checks the outcome.
func crashCheck(t *testing.T, dir string, multipart, newVersion bool) {
	ctx := context.Background()
	s, db, err := crashOpen(dir)
	if err != nil {
		t.Fatal(err)
	}
	defer func() {
		if err := errors.Join(s.Close(), db.Close()); err != nil {
			t.Fatal(err)
		}
	}()
	// Open recovered everything: nothing is pending or leaked.
	CheckClean(t, s)

	b, _ := s.Bucket(ctx, "bkt")
	want, wantETag := crashOld, md5hex(crashOld)
	if newVersion && multipart {
		want = bytes.Join(crashParts[:3], nil)
		var sums []byte
		for _, p := range crashParts[:3] {
			s := md5.Sum(p)
			sums = append(sums, s[:]...)
		}
		wantETag = fmt.Sprintf("%x-3", md5.Sum(sums))
	} else if newVersion {
		want, wantETag = crashNew, md5hex(crashNew)
	}
	ob, err := b.Get(ctx, "k", GetOptions{})
	if err != nil {
		t.Fatal(err)
	}
	got, err := io.ReadAll(ob.Body)
	ob.Body.Close()
	if err != nil {
		t.Fatal(err)
	}
	if ob.ETag != wantETag || !bytes.Equal(got, want) {
		t.Fatalf("k has ETag %s and %d bytes (md5 %s); want ETag %s and %d bytes", ob.ETag, len(got), md5hex(got), wantETag, len(want))
	}
	ups, err := b.ListMultipartUploads(ctx, "")
	if err != nil {
		t.Fatal(err)
	}
	if !multipart || newVersion {
		if len(ups) != 0 {
			t.Fatalf("uploads left: %+v", ups)
		}
		return
	}
	// The upload survived whole and can still be completed.
	if len(ups) != 1 {
		t.Fatalf("uploads = %+v, want the one", ups)
	}
	u := b.ResumeMultipartUpload("k", ups[0].UploadID)
	ps, err := u.ListParts(ctx)
	if err != nil || len(ps) != 4 {
		t.Fatalf("ListParts = %+v, %v", ps, err)
	}
	var list []UploadedPart
	for _, p := range ps[:3] {
		list = append(list, UploadedPart{PartNumber: p.PartNumber, ETag: p.ETag})
	}
	if _, err := u.Complete(ctx, list); err != nil {
		t.Fatal(err)
	}
	if err := s.collect(ctx); err != nil {
		t.Fatal(err)
	}
	CheckClean(t, s)
}

func md5hex(b []byte) string {
	s := md5.Sum(b)
	return hex.EncodeToString(s[:])
}

// TestCrashChild is the child of TestCrash; it is skipped otherwise.
func TestCrashChild(t *testing.T) {
	dir := os.Getenv(envCrashDir)
	if dir == "" {
		t.Skip("only runs as the child of TestCrash")
	}
	ctx := context.Background()
	s, _, err := crashOpen(dir)
	if err != nil {
		t.Fatal(err)
	}
	at := os.Getenv(envCrashAt)
	die := func(point string) {
		if point == at {
			fmt.Println("dying at", point)
			_ = syscall.Kill(os.Getpid(), syscall.SIGKILL)
			select {}
		}
	}
	s.hook.Store(&die)
	b, err := s.Bucket(ctx, "bkt")
	if err != nil {
		t.Fatal(err)
	}
	switch os.Getenv(envCrashOp) {
	case "put":
		_, err = b.Put(ctx, "k", bytes.NewReader(crashNew), PutOptions{})
	case "put-slow":
		_, err = b.Put(ctx, "k", &stallingReader{data: crashNew[:1<<20+12345]}, PutOptions{})
	case "complete":
		u := b.ResumeMultipartUpload("k", os.Getenv(envUpload))
		var list []UploadedPart
		for _, p := range strings.Split(os.Getenv(envParts), ",") {
			var up UploadedPart
			n, _ := fmt.Sscanf(strings.Replace(p, ":", " ", 1), "%d %s", &up.PartNumber, &up.ETag)
			if n != 2 {
				t.Fatalf("bad part %q", p)
			}
			list = append(list, up)
		}
		_, err = u.Complete(ctx, list)
	}
	if err != nil {
		t.Fatal(err)
	}
	// Deletions happen after the write returns; run them now so a GC
	// point is reached for sure.
	if err := s.collect(ctx); err != nil {
		t.Fatal(err)
	}
	fmt.Println("done without dying")
}

// stallingReader returns data, says "streaming" on stdout, and then blocks
// until the process is killed.
type stallingReader struct {
	data []byte
	off  int
}

func (r *stallingReader) Read(p []byte) (int, error) {
	if r.off == len(r.data) {
		fmt.Println("streaming")
		select {}
	}
	n := copy(p, r.data[r.off:])
	r.off += n
	return n, nil
}
