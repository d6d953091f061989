package s3_test

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/bindery-run/bindery/internal/testutil"
)

// TestCurl drives the server with curl's --aws-sigv4, the commands
// docs/s3.md shows. Without curl 7.75 or later it skips, or fails when
// curl is required (BINDERY_CONFORMANCE_REQUIRE, as in CI).
func TestCurl(t *testing.T) {
	curl, err := testutil.LookPath("curl", "curl", "apt-get install curl")
	testutil.NeedToolchain(t, err)
	if out, err := exec.Command(curl, "--help", "all").Output(); err != nil || !bytes.Contains(out, []byte("--aws-sigv4")) {
		testutil.NeedToolchain(t, &testutil.MissingError{Toolchain: "curl", Reason: curl + " has no --aws-sigv4 (needs 7.75 or later)"})
	}
	srv := newServer(t, false)
	file := filepath.Join(t.TempDir(), "hello.txt")
	if err := os.WriteFile(file, []byte("hello from curl\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	run := func(args ...string) (string, int) {
		t.Helper()
		base := []string{"-sS", "-o", "-", "-w", "\n%{http_code}", "--aws-sigv4", "aws:amz:auto:s3", "--user", testCreds.AccessKeyID + ":" + testCreds.SecretAccessKey}
		out, err := exec.CommandContext(t.Context(), curl, append(base, args...)...).Output()
		if err != nil {
			t.Fatalf("curl %v: %v", args, err)
		}
		s := string(out)
		i := strings.LastIndexByte(s, '\n')
		code := 0
		for _, c := range s[i+1:] {
			code = code*10 + int(c-'0')
		}
		return s[:i], code
	}
	u := srv.URL
	steps := []struct {
		name string
		args []string
		code int
		want string // substring of the body
	}{
		{"create bucket", []string{"-X", "PUT", u + "/curl-bucket"}, 200, ""},
		{"upload", []string{"-H", "x-amz-content-sha256: UNSIGNED-PAYLOAD", "-H", "Content-Type: text/plain", "-T", file, u + "/curl-bucket/dir/hello.txt"}, 200, ""},
		{"upload without x-amz-content-sha256 is refused", []string{"-T", file, u + "/curl-bucket/other.txt"}, 400, "x-amz-content-sha256"},
		{"download", []string{u + "/curl-bucket/dir/hello.txt"}, 200, "hello from curl"},
		{"range", []string{"-H", "Range: bytes=0-4", u + "/curl-bucket/dir/hello.txt"}, 206, "hello"},
		{"list", []string{u + "/curl-bucket?list-type=2&prefix=dir/"}, 200, "<Key>dir/hello.txt</Key>"},
		{"list buckets", []string{u + "/"}, 200, "<Name>curl-bucket</Name>"},
		{"wrong secret", []string{"--user", testCreds.AccessKeyID + ":wrong", u + "/"}, 403, "SignatureDoesNotMatch"},
		{"delete", []string{"-X", "DELETE", u + "/curl-bucket/dir/hello.txt"}, 204, ""},
		{"gone", []string{u + "/curl-bucket/dir/hello.txt"}, 404, "NoSuchKey"},
		{"delete bucket", []string{"-X", "DELETE", u + "/curl-bucket"}, 204, ""},
	}
	for _, s := range steps {
		body, code := run(s.args...)
		if code != s.code || !strings.Contains(body, s.want) {
			t.Errorf("%s: %d %q, want %d and %q", s.name, code, body, s.code, s.want)
		}
	}
}
