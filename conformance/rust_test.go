package conformance_test

import (
	"errors"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/bindery-run/bindery/host"
	"github.com/bindery-run/bindery/internal/testutil"
)

// The Rust Worker (conformance/rust) builds with guest-sdk/rust/cargo-wasm:
// Debian's rustc-web 1.96 unpacked by guest-sdk/rust/install-toolchain.sh
// ($BINDERY_RUSTWEB, default ~/.cache/bindery/rustweb) with -Zbuild-std, or
// else a cargo whose rustc has a wasm32-wasip1 std (rustup target add
// wasm32-wasip1). Without either the language is skipped with the reason.
// wit-bindgen comes from crates.io at the version conformance/rust/Cargo.lock
// pins.
func init() {
	languages = append(languages, language{name: "rust", build: buildRust})
}

func buildRust(t *testing.T, dir string) (string, error) {
	return buildRustCrate(t, "conformance/rust", dir)
}

// buildRustCrate builds the Worker crate in crate (relative to the
// repository) into dir.
func buildRustCrate(t *testing.T, crate, dir string) (string, error) {
	root := testutil.RepoRoot(t)
	script := filepath.Join(root, "guest-sdk", "rust", "cargo-wasm")
	if err := probeToolchain(script); err != nil {
		return "", err
	}
	// Cargo's target folder outlives the test: compiling std and
	// wit-bindgen takes a minute the first time, seconds after.
	cache, err := os.UserCacheDir()
	if err != nil {
		cache = os.TempDir()
	}
	wasm := filepath.Join(dir, filepath.Base(crate)+".wasm")
	cmd := exec.Command("bash", script, "-o", wasm)
	cmd.Dir = filepath.Join(root, filepath.FromSlash(crate))
	cmd.Env = append(os.Environ(), "CARGO_TARGET_DIR="+filepath.Join(cache, "bindery-test", "rust-target"))
	if out, err := cmd.CombinedOutput(); err != nil {
		return "", errors.New(err.Error() + "\n" + string(out))
	}
	return wasm, nil
}

// TestRustSDKUnit runs the Rust SDK's unit tests (cargo test in
// guest-sdk/rust, on the build machine: D1's value conversions and row
// deserialization need no host).
func TestRustSDKUnit(t *testing.T) {
	root := testutil.RepoRoot(t)
	script := filepath.Join(root, "guest-sdk", "rust", "cargo-wasm")
	if err := probeToolchain(script); err != nil {
		if se := (*skipError)(nil); errors.As(err, &se) && !required("rust") {
			t.Skipf("rust: %s", se.reason)
		}
		t.Fatal(err)
	}
	cache, err := os.UserCacheDir()
	if err != nil {
		cache = os.TempDir()
	}
	cmd := exec.Command("bash", script, "--test")
	cmd.Dir = filepath.Join(root, "guest-sdk", "rust")
	cmd.Env = append(os.Environ(), "CARGO_TARGET_DIR="+filepath.Join(cache, "bindery-test", "rust-host-target"))
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("cargo test: %v\n%s", err, out)
	}
	if !strings.Contains(string(out), "test result: ok") {
		t.Fatalf("cargo test ran no tests:\n%s", out)
	}
}

// TestRustABI runs guest-sdk/rust/abi-check, a Worker whose bindings
// wit-bindgen generated from wit/ independently of cmd/bindery-bindgen, with
// values that cover the WIT's shapes, and compares what came back through
// the host with what the host stored: a check of the host's Canonical ABI
// against upstream's.
func TestRustABI(t *testing.T) {
	wasm := buildOrSkip(t, "rust", func() (string, error) { return buildRustCrate(t, "guest-sdk/rust/abi-check", t.TempDir()) })
	w, _ := newWorker(t, "rust-abi", wasm, func(c *host.WorkerConfig) {
		_, b := d1DB(t, t.TempDir())
		c.Bindings = append(c.Bindings, b)
	})
	want := map[string]string{
		"/kv": `gwm value=[118, 49] metadata=Some("{\"a\":1}")
many [Some(([118, 49], Some("{\"a\":1}"))), None, Some(([0, 255], None))]
list1 n=1 name=m1 exp_some=true meta=Some("{\"a\":1}") complete=false cursor_some=true
list2 name=m2 exp=None complete=true
ttl invalid-argument kv: invalid argument: expirationTtl is 1 s, the minimum is 60 s
kv no-such-namespace no KV binding named NOPE in the worker's config
`,
		"/r2": `put key=o size=5 etag=5d41402abc4b2a76b9719d911017c592 uploaded_pos=true class=Standard
head ct=Some("text/x-abi") cc=Some("max-age=5") exp=Some(1700000000000) cm=[("k2", "v2"), ("owner", "ann")] md5=5d41402abc4b2a76b9719d911017c592 range=None version_len=32
range off=Some(1) len=Some(3) body=ell
onlyif body_none=true etag=5d41402abc4b2a76b9719d911017c592
put precondition-failed
put bad-digest
get invalid-range
writer size=300000
list keys=[("o", 2)] prefixes=["d/"] truncated=false
multipart key=mp part1=1 size=5242884 etag_suffix=2
deleted head_none=true
put invalid-key
`,
		"/d1": `exec count=2
insert changes=1 last_row_id=1 rows_read=0 rows_written=1 changed_db=true size_pos=true
select columns=["i", "r", "t", "b", "z", "big", "big"] rows=[[Integer(-9223372036854775808), Real(-0.5), Text("é😀"), Blob([0, 255]), Null, Integer(9223372036854775807), Integer(9007199254740992)]]
batch [(1, [], []), (0, ["x", "c"], [[Integer(7), Real(2.5)]])]
session before=None n=Some(1) after_len=Some(16)
error Some(Sql("D1_ERROR: no such table: nope: SQLITE_ERROR"))
error Some(Sql("D1_ERROR: not authorized: ATTACH is not allowed in D1"))
error Some(TooLarge("D1_ERROR: bound parameters limit exceeded: 101 > 100"))
error Some(InvalidArgument("D1_ERROR: named parameters are not supported: :x (D1 binds ? and ?NNN only)"))
error Some(InvalidArgument("D1_ERROR: invalid bookmark: \"bogus\""))
error Some(NoSuchBinding("no D1 binding named NOPE in the worker's config"))
wit error Some(Error::Refused("D1_ERROR: not authorized: ATTACH is not allowed in D1"))
`,
		"/vars": `API_TOKEN=Some(Value::Secret("s3cret"))
GREETING=Some(Value::Text("hello"))
`,
		"/headers?a=1&b+c=d%20e": `x-raw=fe207a
query=Some("a=1&b+c=d%20e") param=Some("d e") body=body
`,
	}
	for _, path := range []string{"/kv", "/r2", "/d1", "/vars", "/headers?a=1&b+c=d%20e"} {
		rec := httptest.NewRecorder()
		req := httptest.NewRequest("POST", path, strings.NewReader("body"))
		req.Header.Set("X-Raw", "\xfe z")
		w.ServeHTTP(rec, req)
		wantStatus := 200
		if strings.HasPrefix(path, "/headers") {
			wantStatus = 299
			if got := rec.Header().Get("X-Raw"); got != "\xff a" {
				t.Errorf("%s: response header X-Raw = %q, want %q", path, got, "\xff a")
			}
		}
		if rec.Code != wantStatus || rec.Body.String() != want[path] {
			t.Errorf("%s: got %d\n%s\nwant %d\n%s", path, rec.Code, rec.Body.String(), wantStatus, want[path])
		}
	}
	rec := httptest.NewRecorder()
	w.ServeHTTP(rec, httptest.NewRequest("GET", "/badheader", nil))
	if rec.Code != 500 || !strings.Contains(rec.Body.String(), "x-bad") {
		t.Errorf("/badheader: got %d %q, want 500 naming the header", rec.Code, rec.Body.String())
	}
}
