//go:build linux && !arm

package r2

import (
	"os"
	"syscall"
)

// startWriteback asks the kernel to start writing [off, off+n) of f to
// disk without waiting, so that the fsync at the end of a large put has
// little left to do (sync_file_range(2) with SYNC_FILE_RANGE_WRITE). It is
// only a hint: errors are ignored, and the fsync still decides durability.
func startWriteback(f *os.File, off, n int64) {
	const syncFileRangeWrite = 2
	_ = syscall.SyncFileRange(int(f.Fd()), off, n, syncFileRangeWrite)
}
