package state_test

import (
	"bytes"
	"context"
	"errors"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/bindery-run/bindery/bindings/kv"
	"github.com/bindery-run/bindery/bindings/r2"
	"github.com/bindery-run/bindery/bindings/state"
)

func TestOpen(t *testing.T) {
	tests := []struct {
		name string
		// setup prepares root and returns the directory to open.
		setup   func(t *testing.T, root string) string
		wantErr bool
	}{
		{"new nested directory", func(t *testing.T, root string) string { return filepath.Join(root, "a", "b", "state") }, false},
		{"existing empty directory", func(t *testing.T, root string) string { return root }, false},
		{"a file in the way", func(t *testing.T, root string) string {
			p := filepath.Join(root, "state")
			writeFile(t, p, "not a directory", 0o644)
			return p
		}, true},
		{"kv is a file", func(t *testing.T, root string) string {
			writeFile(t, filepath.Join(root, "kv"), "not a directory", 0o644)
			return root
		}, true},
		{"r2 is a file", func(t *testing.T, root string) string {
			writeFile(t, filepath.Join(root, "r2"), "not a directory", 0o644)
			return root
		}, true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			dir := tc.setup(t, t.TempDir())
			st, err := state.Open(dir, state.Options{})
			if tc.wantErr {
				if err == nil {
					st.Close()
					t.Fatal("Open succeeded")
				}
				if !strings.HasPrefix(err.Error(), "state: ") {
					t.Errorf("error %q does not start with \"state: \"", err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if st.Dir() != dir || st.DB() == nil || st.R2() == nil {
				t.Errorf("Dir = %q (want %q), DB = %v, R2 = %v", st.Dir(), dir, st.DB(), st.R2())
			}
			for _, sub := range []string{"kv", "r2"} {
				if fi, err := os.Stat(filepath.Join(dir, sub)); err != nil || !fi.IsDir() {
					t.Errorf("%s/: %v", sub, err)
				}
			}
			if err := st.Close(); err != nil {
				t.Errorf("Close: %v", err)
			}
		})
	}
}

// TestReopenPersists: KV values (per namespace) and R2 objects written
// before Close are there after the directory is opened again.
func TestReopenPersists(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	st, err := state.Open(dir, state.Options{})
	if err != nil {
		t.Fatal(err)
	}
	object := bytes.Repeat([]byte("r2 bytes "), 1000)
	if err := st.KV("ns-a").Put(ctx, "k", []byte("in a"), kv.PutOptions{}); err != nil {
		t.Fatal(err)
	}
	if err := st.KV("ns-b").Put(ctx, "other", []byte("in b"), kv.PutOptions{}); err != nil {
		t.Fatal(err)
	}
	if err := st.R2().CreateBucket(ctx, "files"); err != nil {
		t.Fatal(err)
	}
	b, err := st.R2().Bucket(ctx, "files")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := b.Put(ctx, "obj", bytes.NewReader(object), r2.PutOptions{}); err != nil {
		t.Fatal(err)
	}
	if err := st.Close(); err != nil {
		t.Fatal(err)
	}

	st, err = state.Open(dir, state.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	tests := []struct {
		ns, key string
		want    string // "" = not found
	}{
		{"ns-a", "k", "in a"},
		{"ns-b", "other", "in b"},
		{"ns-b", "k", ""}, // namespaces do not share keys
		{"ns-a", "other", ""},
		{"ns-c", "k", ""},
	}
	for _, tc := range tests {
		v, found, err := st.KV(tc.ns).Get(ctx, tc.key)
		if err != nil || found != (tc.want != "") || string(v) != tc.want {
			t.Errorf("KV(%q).Get(%q) = %q, %v, %v; want %q", tc.ns, tc.key, v, found, err, tc.want)
		}
	}
	b, err = st.R2().Bucket(ctx, "files")
	if err != nil {
		t.Fatal(err)
	}
	ob, err := b.Get(ctx, "obj", r2.GetOptions{})
	if err != nil {
		t.Fatal(err)
	}
	got, err := io.ReadAll(ob.Body)
	ob.Body.Close()
	if err != nil || !bytes.Equal(got, object) {
		t.Errorf("R2 object after reopen: %d bytes, %v; want %d bytes", len(got), err, len(object))
	}
}

// TestOpenLocked: a directory another State holds cannot be opened; the
// error is a *state.LockedError that says what to do, and the holder
// keeps working. Once it is closed, Open succeeds.
func TestOpenLocked(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	st, err := state.Open(dir, state.Options{})
	if err != nil {
		t.Fatal(err)
	}
	second, err := state.Open(dir, state.Options{})
	if err == nil {
		second.Close()
		st.Close()
		t.Fatal("a second Open of a held directory succeeded")
	}
	var locked *state.LockedError
	if !errors.As(err, &locked) || locked.Dir != filepath.Join(dir, "kv") {
		t.Errorf("error %v (%T): want a *state.LockedError for %s", err, err, filepath.Join(dir, "kv"))
	}
	for _, want := range []string{"state: ", "in use by another bindery process", "admin API"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error %q lacks %q", err, want)
		}
	}
	if err := st.KV("ns").Put(ctx, "still", []byte("works"), kv.PutOptions{}); err != nil {
		t.Errorf("the holder broke: %v", err)
	}
	if err := st.Close(); err != nil {
		t.Fatal(err)
	}
	st, err = state.Open(dir, state.Options{})
	if err != nil {
		t.Fatalf("Open after Close: %v", err)
	}
	defer st.Close()
	if v, _, err := st.KV("ns").Get(ctx, "still"); err != nil || string(v) != "works" {
		t.Errorf("Get = %q, %v", v, err)
	}
}

func TestServerInfo(t *testing.T) {
	info := state.ServerInfo{
		PID:     os.Getpid(), // alive: this process
		Admin:   "http://127.0.0.1:40404",
		Token:   "t0ken",
		Worker:  "kv-rest",
		Started: time.Date(2026, 11, 1, 12, 0, 0, 0, time.UTC),
	}
	tests := []struct {
		name string
		// setup prepares dir before WriteServerInfo (nil: nothing).
		setup func(t *testing.T, dir string)
	}{
		{"new", nil},
		{"over an older record", func(t *testing.T, dir string) {
			if err := state.WriteServerInfo(dir, state.ServerInfo{PID: 1, Token: "old"}); err != nil {
				t.Fatal(err)
			}
		}},
		{"over a world-readable record", func(t *testing.T, dir string) {
			writeFile(t, filepath.Join(dir, "server.json"), "{}", 0o644)
		}},
		{"beside a world-readable temporary file", func(t *testing.T, dir string) {
			writeFile(t, filepath.Join(dir, "server.json.tmp"), "", 0o644)
		}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			if tc.setup != nil {
				tc.setup(t, dir)
			}
			before, err := os.ReadDir(dir)
			if err != nil {
				t.Fatal(err)
			}
			if err := state.WriteServerInfo(dir, info); err != nil {
				t.Fatal(err)
			}
			fi, err := os.Stat(filepath.Join(dir, "server.json"))
			if err != nil {
				t.Fatal(err)
			}
			if fi.Mode().Perm() != 0o600 {
				t.Errorf("server.json has mode %v, want 0600 (it holds the token)", fi.Mode().Perm())
			}
			if got, want := names(t, dir), withServerJSON(before); !slices.Equal(got, want) {
				t.Errorf("directory holds %q after the write, want %q (no temporary file left, none removed)", got, want)
			}
			got, err := state.ReadServerInfo(dir)
			if err != nil {
				t.Fatal(err)
			}
			if got.PID != info.PID || got.Admin != info.Admin || got.Token != info.Token || got.Worker != info.Worker || !got.Started.Equal(info.Started) {
				t.Errorf("ReadServerInfo = %+v, want %+v", got, info)
			}
			state.RemoveServerInfo(dir)
			if _, err := state.ReadServerInfo(dir); !errors.Is(err, state.ErrNoServer) {
				t.Errorf("after RemoveServerInfo: %v, want ErrNoServer", err)
			}
			state.RemoveServerInfo(dir) // removing nothing is fine
		})
	}
}

func TestReadServerInfo(t *testing.T) {
	tests := []struct {
		name string
		// setup writes dir's server.json, or not.
		setup func(t *testing.T, dir string)
		// noServer: the error is ErrNoServer; else want is in the error.
		noServer bool
		want     string
	}{
		{"no record", func(*testing.T, string) {}, true, ""},
		{"PID 0", func(t *testing.T, dir string) { writeInfo(t, dir, 0) }, true, ""},
		{"negative PID", func(t *testing.T, dir string) { writeInfo(t, dir, -1) }, true, ""},
		{"process gone", func(t *testing.T, dir string) { writeInfo(t, dir, exitedPID(t)) }, true, ""},
		{"not JSON", func(t *testing.T, dir string) {
			writeFile(t, filepath.Join(dir, "server.json"), "{half", 0o600)
		}, false, "server.json: "},
		{"unreadable", func(t *testing.T, dir string) {
			if err := os.Mkdir(filepath.Join(dir, "server.json"), 0o755); err != nil {
				t.Fatal(err)
			}
		}, false, "state: "},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			tc.setup(t, dir)
			_, err := state.ReadServerInfo(dir)
			if tc.noServer {
				if !errors.Is(err, state.ErrNoServer) {
					t.Errorf("ReadServerInfo: %v, want ErrNoServer", err)
				}
				return
			}
			if err == nil || errors.Is(err, state.ErrNoServer) || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("ReadServerInfo: %v, want an error containing %q that is not ErrNoServer", err, tc.want)
			}
		})
	}
}

func TestWriteServerInfoNoDir(t *testing.T) {
	err := state.WriteServerInfo(filepath.Join(t.TempDir(), "missing"), state.ServerInfo{PID: 1})
	if !errors.Is(err, os.ErrNotExist) || !strings.HasPrefix(err.Error(), "state: ") {
		t.Errorf("WriteServerInfo into a missing directory: %v", err)
	}
}

// writeInfo writes a record for pid with WriteServerInfo.
func writeInfo(t *testing.T, dir string, pid int) {
	t.Helper()
	if err := state.WriteServerInfo(dir, state.ServerInfo{PID: pid, Admin: "http://127.0.0.1:1", Token: "x"}); err != nil {
		t.Fatal(err)
	}
}

// exitedPID returns the PID of a process that has exited and been reaped.
func exitedPID(t *testing.T) int {
	t.Helper()
	self, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(self, "-test.run=^$")
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("%v\n%s", err, out)
	}
	return cmd.ProcessState.Pid()
}

func writeFile(t *testing.T, path, content string, mode os.FileMode) {
	t.Helper()
	if err := os.WriteFile(path, []byte(content), mode); err != nil {
		t.Fatal(err)
	}
	if err := os.Chmod(path, mode); err != nil { // past the umask
		t.Fatal(err)
	}
}

// names lists dir's entries.
func names(t *testing.T, dir string) []string {
	t.Helper()
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, e := range entries {
		out = append(out, e.Name())
	}
	return out
}

// withServerJSON returns the sorted names of entries plus server.json.
func withServerJSON(entries []os.DirEntry) []string {
	out := []string{"server.json"}
	for _, e := range entries {
		if e.Name() != "server.json" {
			out = append(out, e.Name())
		}
	}
	slices.Sort(out)
	return out
}

// TestGCRunsUntilClose: the value-log GC the state starts runs while it is
// open (a short interval, with writes that make garbage) and stops at
// Close, which waits for it; closing twice is fine.
func TestGCRunsUntilClose(t *testing.T) {
	for _, every := range []time.Duration{time.Millisecond, -1} {
		st, err := state.Open(t.TempDir(), state.Options{GCInterval: every})
		if err != nil {
			t.Fatal(err)
		}
		ns := st.KV("gc")
		for i := range 50 {
			if err := ns.Put(context.Background(), "k", bytes.Repeat([]byte{byte(i)}, 8<<10), kv.PutOptions{}); err != nil {
				t.Fatal(err)
			}
		}
		time.Sleep(20 * time.Millisecond)
		if err := st.Close(); err != nil {
			t.Fatalf("GCInterval %v: Close: %v", every, err)
		}
		if err := st.Close(); err != nil {
			t.Errorf("second Close: %v", err)
		}
		if !st.DB().IsClosed() {
			t.Error("DB open after Close")
		}
	}
}
