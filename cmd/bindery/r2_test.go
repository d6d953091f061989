package main

import (
	"bytes"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"math/rand/v2"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/bindery-run/bindery/internal/testutil"
)

// errRuntime stands for any error that is neither usage nor help.
var errRuntime = errors.New("a runtime error")

func TestR2Usage(t *testing.T) {
	tests := []struct {
		args    []string
		wantErr error
		want    string // in stdout+stderr
	}{
		{[]string{"r2"}, errUsage, "bindery r2 object put"},
		{[]string{"r2", "--help"}, nil, "bindery r2 object put"},
		{[]string{"r2", "object"}, errUsage, "bindery r2 object put"},
		{[]string{"r2", "object", "--help"}, nil, "bindery r2 object list"},
		{[]string{"r2", "bucket", "list"}, errUsage, "Usage:"},
		{[]string{"r2", "object", "zap"}, errUsage, `unknown command "zap"`},
		{[]string{"r2", "object", "put", "--help"}, flag.ErrHelp, "--content-disposition VALUE"},
		{[]string{"r2", "object", "get", "--help"}, flag.ErrHelp, "--range"},
		{[]string{"r2", "object", "list", "--help"}, flag.ErrHelp, "--delimiter"},
		{[]string{"r2", "object", "delete", "--help"}, flag.ErrHelp, "--persist-to DIR"},
		{[]string{"r2", "object", "get"}, errUsage, "wrong number of arguments"},
		{[]string{"r2", "object", "get", "a/b", "c/d"}, errUsage, "wrong number of arguments"},
		{[]string{"r2", "object", "get", "files"}, errUsage, `"files" has no key`},
		{[]string{"r2", "object", "get", "files/"}, errUsage, `"files/" has no key`},
		{[]string{"r2", "object", "get", "/key"}, errUsage, "no bucket name"},
		{[]string{"r2", "object", "get", "files/dir/"}, errUsage, "no last segment"},
		{[]string{"r2", "object", "get", "files/k", "--file", "x", "--pipe"}, errUsage, "not both"},
		{[]string{"r2", "object", "get", "files/k", "--range", "bytes=9-1"}, errUsage, "--range"},
		{[]string{"r2", "object", "put", "files/k"}, errUsage, "give --file PATH or --pipe"},
		{[]string{"r2", "object", "put", "files/k", "--pipe", "-f", "x"}, errUsage, "not both"},
		{[]string{"r2", "object", "put", "files/k", "--pipe", "--metadata", "novalue"}, errUsage, "want NAME=VALUE"},
		{[]string{"r2", "object", "put", "files/k", "--pipe", "--metadata", "a=1", "--metadata", "a=2"}, errUsage, "given twice"},
		{[]string{"r2", "object", "put", "files/k", "--pipe", "--expires", "soon"}, errUsage, "--expires"},
		{[]string{"r2", "object", "put", "files/k", "--bogus"}, errUsage, "flag provided but not defined"},
		{[]string{"r2", "object", "list"}, errUsage, "want BUCKET"},
		{[]string{"r2", "object", "list", "files/p", "--prefix", "q"}, errUsage, "not both"},
		{[]string{"r2", "object", "list", "files", "--limit", "-1"}, errUsage, "--limit"},
		{[]string{"r2", "object", "list", "files", "--include-metadata"}, errUsage, "needs --json"},
		{[]string{"r2", "object", "put", "files/k", "--file", "/does/not/exist"}, errRuntime, "/does/not/exist"},
	}
	for _, tc := range tests {
		t.Run(strings.Join(tc.args, " "), func(t *testing.T) {
			out, errOut, err := runCLI(t, t.TempDir(), tc.args...)
			switch {
			case tc.wantErr == errRuntime:
				if err == nil || errors.Is(err, errUsage) || errors.Is(err, flag.ErrHelp) {
					t.Errorf("err = %v, want a runtime error", err)
				} else {
					out += err.Error() // main prints it
				}
			case !errors.Is(err, tc.wantErr):
				t.Errorf("err = %v, want %v", err, tc.wantErr)
			}
			if !strings.Contains(out+errOut, tc.want) {
				t.Errorf("output lacks %q:\n%s%s", tc.want, out, errOut)
			}
		})
	}
}

// r2Project writes a project whose config declares the bucket "files" as
// FILES; main is the wasm given (which only bindery dev reads).
func r2Project(t *testing.T, wasm string) string {
	t.Helper()
	dir := t.TempDir()
	toml := fmt.Sprintf("name = \"r2-test\"\nmain = %q\n\n[[r2_buckets]]\nbinding = \"FILES\"\nbucket_name = \"files\"\n", wasm)
	if err := os.WriteFile(filepath.Join(dir, "wrangler.toml"), []byte(toml), 0o644); err != nil {
		t.Fatal(err)
	}
	return dir
}

// cliResult is what one run of the built binary did.
type cliResult struct {
	stdout, stderr string
	code           int
}

// binCLI runs the built binary in dir with stdin.
func binCLI(t *testing.T, bin, dir string, stdin []byte, args ...string) cliResult {
	t.Helper()
	cmd := exec.Command(bin, args...)
	cmd.Dir = dir
	cmd.Stdin = bytes.NewReader(stdin)
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	err := cmd.Run()
	var exit *exec.ExitError
	if err != nil && !errors.As(err, &exit) {
		t.Fatalf("run %v: %v", args, err)
	}
	return cliResult{out.String(), errb.String(), cmd.ProcessState.ExitCode()}
}

// r2Step is one CLI run and what it must do.
type r2Step struct {
	args       []string
	stdin      string
	code       int
	wantOut    string // exact stdout, unless empty
	wantStderr string // substring of stderr
}

func runR2Steps(t *testing.T, bin, dir string, steps []r2Step) {
	t.Helper()
	for _, s := range steps {
		r := binCLI(t, bin, dir, []byte(s.stdin), append([]string{"r2", "object"}, s.args...)...)
		if r.code != s.code || (s.wantOut != "" && r.stdout != s.wantOut) || !strings.Contains(r.stderr, s.wantStderr) {
			t.Errorf("%v: exit %d, stdout %q, stderr %q; want exit %d, stdout %q, stderr containing %q",
				s.args, r.code, r.stdout, r.stderr, s.code, s.wantOut, s.wantStderr)
		}
	}
}

// listJSON runs list --json and decodes it.
func listJSON(t *testing.T, bin, dir string, args ...string) (keys, prefixes []string, truncated bool, cursor string) {
	t.Helper()
	r := binCLI(t, bin, dir, nil, append([]string{"r2", "object", "list", "--json"}, args...)...)
	var res struct {
		Objects []struct {
			Key            string
			Size           int64
			CustomMetadata map[string]string
		}
		DelimitedPrefixes []string
		Truncated         bool
		Cursor            string
	}
	if r.code != 0 {
		t.Fatalf("list %v: exit %d: %s", args, r.code, r.stderr)
	}
	if err := json.Unmarshal([]byte(r.stdout), &res); err != nil {
		t.Fatalf("list %v: %v\n%s", args, err, r.stdout)
	}
	for _, o := range res.Objects {
		keys = append(keys, o.Key)
	}
	return keys, res.DelimitedPrefixes, res.Truncated, res.Cursor
}

// r2RoundTrip is the part of the CLI tests that is the same with and
// without a dev server: a binary file with metadata in and out, lists,
// deletes and the errors. where names the data's place in the missing
// bucket message.
func r2RoundTrip(t *testing.T, bin, dir, where string) {
	t.Helper()
	data := make([]byte, 300<<10)
	for i := range data {
		data[i] = byte(rand.IntN(256))
	}
	src := filepath.Join(t.TempDir(), "src.bin")
	if err := os.WriteFile(src, data, 0o644); err != nil {
		t.Fatal(err)
	}
	runR2Steps(t, bin, dir, []r2Step{
		{args: []string{"put", "files/docs/a b.bin", "--file", src, "--ct", "application/x-test", "--cache-control", "no-cache",
			"--metadata", "owner=me", "--metadata", "eq=x=y", "--expires", "Wed, 01 Jan 2031 00:00:00 GMT"}, wantStderr: `Created object "docs/a b.bin" in bucket "files" (307200 bytes`},
		{args: []string{"put", "files/docs/sub/b.txt", "--pipe"}, stdin: "piped text", wantStderr: "Created object"},
		{args: []string{"put", "--binding", "FILES", "c.txt", "-p"}, stdin: "c", wantStderr: "Created object"},
		{args: []string{"put", "files/empty", "--pipe"}, stdin: "", wantStderr: "(0 bytes"},
		{args: []string{"get", "files/docs/a b.bin"}, wantStderr: "application/x-test"},
		{args: []string{"get", "files/docs/sub/b.txt", "--pipe"}, wantOut: "piped text"},
		{args: []string{"get", "files/docs/sub/b.txt", "-p", "--range", "bytes=1-3"}, wantOut: "ipe"},
		{args: []string{"get", "files/docs/sub/b.txt", "-p", "--range", "bytes=-4"}, wantOut: "text"},
		{args: []string{"get", "files/docs/sub/b.txt", "-p", "--range", "bytes=100-"}, code: 1, wantStderr: "range"},
		{args: []string{"get", "files/c.txt", "--file", "out/c-copy.txt"}, code: 1, wantStderr: "out"}, // no such directory
		{args: []string{"get", "--binding", "FILES", "c.txt", "--file", "c-copy.txt"}, wantStderr: "to c-copy.txt"},
		{args: []string{"get", "files/empty", "--pipe"}},
		{args: []string{"get", "files/nope"}, code: 1, wantStderr: `no such key "nope" in bucket "files"`},
		{args: []string{"get", "nob/x"}, code: 1, wantStderr: `no such bucket "nob" in ` + where},
		{args: []string{"get", "Bad_Name/x"}, code: 1, wantStderr: "it has files"},
		{args: []string{"put", "files/" + strings.Repeat("k", 1025), "--pipe"}, stdin: "x", code: 1, wantStderr: "invalid key"},
		{args: []string{"put", "files/x", "--pipe", "--metadata", "a=" + strings.Repeat("v", 9000)}, stdin: "x", code: 1, wantStderr: "metadata too large"},
		{args: []string{"put", "files/x", "--pipe", "--storage-class", "Glacier"}, stdin: "x", code: 1, wantStderr: "Glacier"},
		{args: []string{"get", "files"}, code: 2, wantStderr: "has no key"},
		{args: []string{"list", "--binding", "NOPE"}, code: 1, wantStderr: `no r2_buckets entry with binding "NOPE" (it has FILES)`},
	})
	got, err := os.ReadFile(filepath.Join(dir, "a b.bin"))
	if err != nil || !bytes.Equal(got, data) {
		t.Errorf("get wrote %d bytes (%v), want the %d put", len(got), err, len(data))
	}
	if got, err := os.ReadFile(filepath.Join(dir, "c-copy.txt")); err != nil || string(got) != "c" {
		t.Errorf("get --file wrote %q, %v", got, err)
	}
	if leftovers, _ := filepath.Glob(filepath.Join(dir, ".*.bindery-*")); len(leftovers) > 0 {
		t.Errorf("temp files left behind: %v", leftovers)
	}

	// Metadata round trip, through list --include-metadata.
	r := binCLI(t, bin, dir, nil, "r2", "object", "list", "files", "--prefix", "docs/a", "--json", "--include-metadata")
	for _, want := range []string{`"contentType": "application/x-test"`, `"cacheControl": "no-cache"`, `"cacheExpiry": "2031-01-01T00:00:00Z"`, `"owner": "me"`, `"eq": "x=y"`, `"size": 307200`} {
		if !strings.Contains(r.stdout, want) {
			t.Errorf("list --include-metadata lacks %s:\n%s", want, r.stdout)
		}
	}

	// Lists.
	keys, prefixes, _, _ := listJSON(t, bin, dir, "files")
	if want := []string{"c.txt", "docs/a b.bin", "docs/sub/b.txt", "empty"}; fmt.Sprint(keys) != fmt.Sprint(want) || len(prefixes) != 0 {
		t.Errorf("list = %q %q, want %q", keys, prefixes, want)
	}
	for _, args := range [][]string{{"files", "--prefix", "docs/", "--delimiter", "/"}, {"files/docs/", "--delimiter", "/"}} {
		keys, prefixes, _, _ = listJSON(t, bin, dir, args...)
		if fmt.Sprint(keys) != "[docs/a b.bin]" || fmt.Sprint(prefixes) != "[docs/sub/]" {
			t.Errorf("list %v = %q %q", args, keys, prefixes)
		}
	}
	keys, prefixes, _, _ = listJSON(t, bin, dir, "files", "--delimiter", "/")
	if fmt.Sprint(keys) != "[c.txt empty]" || fmt.Sprint(prefixes) != "[docs/]" {
		t.Errorf("list --delimiter / = %q %q", keys, prefixes)
	}
	var paged []string
	keys, _, truncated, cursor := listJSON(t, bin, dir, "files", "--limit", "3")
	paged = append(paged, keys...)
	if !truncated || cursor == "" || len(keys) != 3 {
		t.Errorf("list --limit 3 = %q, truncated %v, cursor %q", keys, truncated, cursor)
	}
	keys, _, truncated, _ = listJSON(t, bin, dir, "files", "--limit", "3", "--cursor", cursor)
	paged = append(paged, keys...)
	if truncated || fmt.Sprint(paged) != "[c.txt docs/a b.bin docs/sub/b.txt empty]" {
		t.Errorf("paged list = %q, truncated %v", paged, truncated)
	}
	r = binCLI(t, bin, dir, nil, "r2", "object", "list", "files", "--delimiter", "/", "--limit", "2")
	if r.code != 0 || !strings.HasPrefix(r.stdout, "KEY") || !strings.Contains(r.stdout, "c.txt") || !strings.Contains(r.stdout, "docs/") ||
		strings.Contains(r.stdout, "empty") || !strings.Contains(r.stderr, "--cursor") {
		t.Errorf("table list: exit %d\n%s%s", r.code, r.stdout, r.stderr)
	}

	runR2Steps(t, bin, dir, []r2Step{
		{args: []string{"delete", "files/c.txt"}, wantStderr: `Deleted object "c.txt" from bucket "files"`},
		{args: []string{"get", "files/c.txt", "--pipe"}, code: 1, wantStderr: "no such key"},
		{args: []string{"delete", "files/c.txt"}, wantStderr: "nothing to delete"},
		{args: []string{"delete", "nob/c.txt"}, code: 1, wantStderr: `no such bucket "nob"`},
		{args: []string{"list", "files", "--prefix", "zzz"}, wantStderr: `No objects in bucket "files" with prefix "zzz"`},
		// A mistyped bucket makes nothing; put --create makes a new one.
		{args: []string{"put", "filez/k", "--pipe"}, stdin: "x", code: 1, wantStderr: `no such bucket "filez" in ` + where},
		{args: []string{"put", "filez/k", "--pipe"}, stdin: "x", code: 1, wantStderr: "(it has files): check the bucket name, or add --create"},
		{args: []string{"get", "filez/k", "--create"}, code: 2, wantStderr: "-create"},
		{args: []string{"put", "Bad_Name/k", "--pipe", "--create"}, stdin: "x", code: 1, wantStderr: "invalid bucket name"},
		{args: []string{"put", "more/k", "--pipe", "--create"}, stdin: "more", wantStderr: `Created object "k" in bucket "more"`},
		{args: []string{"get", "more/k", "--pipe"}, wantOut: "more"},
		{args: []string{"get", "nob/k"}, code: 1, wantStderr: "(it has files, more)"},
	})
}

// TestR2ObjectDirect works on a data directory with no server: the bucket
// the config declares is created on first use.
func TestR2ObjectDirect(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the CLI")
	}
	bin := testutil.BuildCLI(t)
	dir := r2Project(t, "worker.wasm")
	r2RoundTrip(t, bin, dir, filepath.Join(dir, ".bindery", "state"))

	// Without a config that declares it, a bucket is not made up.
	other := t.TempDir()
	runR2Steps(t, bin, other, []r2Step{
		{args: []string{"put", "files/k", "--pipe", "--persist-to", "state"}, stdin: "x", code: 1, wantStderr: `no such bucket "files" in state (it has no buckets`},
	})
	if _, err := os.Stat(filepath.Join(other, "state")); !os.IsNotExist(err) {
		t.Errorf("a refused put made the data directory (%v)", err)
	}
	runR2Steps(t, bin, other, []r2Step{
		{args: []string{"put", "files/k", "--pipe", "--persist-to", "state", "--create"}, stdin: "x", wantStderr: `Created object "k" in bucket "files"`},
		{args: []string{"get", "files/k", "--pipe", "--persist-to", "state"}, wantOut: "x"},
	})
}

// freePort returns a TCP port that was free a moment ago.
func freePort(t *testing.T) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return strconv.Itoa(l.Addr().(*net.TCPAddr).Port)
}

// TestR2ObjectDevServer works through a running dev server's admin API,
// on the bucket its Worker serves, then on the same data directly once the
// server is gone.
func TestR2ObjectDevServer(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and runs the CLI")
	}
	bin := testutil.BuildCLI(t)
	dir := r2Project(t, testutil.BuildGoGuest(t, "examples/r2-files"))
	base, cmd, _ := startDevProcess(t, bin, dir, "--port", freePort(t), "--s3-addr", "off", "--log-level", "warn")

	r2RoundTrip(t, bin, dir, "the dev server on")

	// The Worker sees what the CLI wrote, and the CLI what the Worker wrote.
	resp, err := http.Get(base + "/files/docs/a%20b.bin")
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if want, _ := os.ReadFile(filepath.Join(dir, "a b.bin")); resp.StatusCode != 200 || !bytes.Equal(body, want) || resp.Header.Get("Content-Type") != "application/x-test" {
		t.Errorf("worker GET: %d, %d bytes, Content-Type %q", resp.StatusCode, len(body), resp.Header.Get("Content-Type"))
	}
	req, _ := http.NewRequest("PUT", base+"/files/from-worker.txt", strings.NewReader("worker wrote this"))
	if resp, err := http.DefaultClient.Do(req); err != nil || resp.StatusCode/100 != 2 {
		t.Fatalf("worker PUT: %v %v", resp, err)
	}
	// A body larger than any buffer, streamed through the admin API.
	big := bytes.Repeat([]byte("0123456789abcdef"), 1<<19) // 8 MiB
	runR2Steps(t, bin, dir, []r2Step{
		{args: []string{"get", "files/from-worker.txt", "--pipe"}, wantOut: "worker wrote this"},
		{args: []string{"put", "files/big", "--pipe"}, stdin: string(big), wantStderr: "(8388608 bytes"},
	})
	if r := binCLI(t, bin, dir, nil, "r2", "object", "get", "files/big", "--pipe"); r.code != 0 || r.stdout != string(big) {
		t.Errorf("get big: exit %d, %d bytes: %s", r.code, len(r.stdout), r.stderr)
	}

	// Once the server is gone, the CLI opens the data itself.
	cmd.Process.Signal(os.Interrupt)
	cmd.Wait()
	runR2Steps(t, bin, dir, []r2Step{
		{args: []string{"get", "files/from-worker.txt", "--pipe"}, wantOut: "worker wrote this"},
		{args: []string{"get", "nob/x"}, code: 1, wantStderr: `no such bucket "nob" in ` + filepath.Join(dir, ".bindery", "state")},
	})
}
