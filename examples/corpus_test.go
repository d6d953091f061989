package examples_test

import (
	"bytes"
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"io"
	"math/big"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/bindery-run/bindery/internal/testutil"
)

// The corpus (examples/corpus) is a set of Workers written as Cloudflare
// users write them — plain JavaScript, TypeScript with npm packages, the
// frameworks people use — each with the wrangler config such a user has.
// TestCorpus copies each project, installs its npm packages at the versions
// its package-lock.json pins (from the npm registry), serves it with
// `bindery dev` exactly as it is, and drives it as its users would.

// corpusStep is one request to a corpus Worker and what it must answer.
type corpusStep struct {
	name         string
	method, path string
	header       http.Header
	body         string
	status       int
	want         string            // a substring of the body
	wantBody     string            // the exact body
	wantRe       string            // a regexp the body matches
	wantHeader   map[string]string // exact header values
	save         string            // keeps a group of wantRe as {name} for later paths
	saveHeader   map[string]string // keeps a header's value as {name}
	noRedirect   bool
}

// corpusProject is one corpus Worker and its steps; setup may change the
// copy before it is served (a .dev.vars with a test key).
type corpusProject struct {
	dir   string
	setup func(t *testing.T, dir string) map[string]string // returns values for {name} in later steps
	steps []corpusStep
}

func TestCorpus(t *testing.T) {
	if testing.Short() {
		t.Skip("installs npm packages and runs the CLI")
	}
	if _, err := testutil.ProbeNode(); err != nil {
		testutil.NeedToolchain(t, err)
	}
	bin := testutil.BuildCLI(t)
	for _, p := range corpusProjects() {
		t.Run(p.dir, func(t *testing.T) {
			dir := copyProject(t, filepath.Join("corpus", p.dir))
			vals := map[string]string{}
			if p.setup != nil {
				vals = p.setup(t, dir)
			}
			if _, err := os.Stat(filepath.Join(dir, "package.json")); err == nil {
				npmInstall(t, dir)
			}
			base, _ := startDev(t, bin, dir)
			for _, s := range p.steps {
				runCorpusStep(t, base, s, vals)
			}
		})
	}
}

func corpusProjects() []corpusProject {
	return []corpusProject{
		{dir: "pastebin-js", steps: []corpusStep{
			{name: "index", method: "GET", path: "/", status: 200, want: "POST a paste"},
			{name: "empty", method: "POST", path: "/", status: 400, want: "empty paste"},
			{name: "create", method: "POST", path: "/", body: "héllo, paste\n", status: 201, wantRe: `"id":"([a-z2-9]{8})"`, save: "id"},
			{name: "read", method: "GET", path: "/{id}", status: 200, want: "héllo, paste\n", wantHeader: map[string]string{"Content-Type": "text/plain; charset=utf-8"}},
			{name: "meta", method: "GET", path: "/{id}/meta", status: 200, wantRe: `"created":"20\d\d-.*"size":13.*"expiration":\d{10}`},
			{name: "too large", method: "POST", path: "/", body: strings.Repeat("x", 65537), status: 413},
			{name: "delete", method: "DELETE", path: "/{id}", status: 204},
			{name: "gone", method: "GET", path: "/{id}", status: 404},
		}},
		{dir: "shortener-itty", steps: []corpusStep{
			{name: "create", method: "POST", path: "/links", body: `{"url":"https://example.com/a/long/path?q=1","slug":"ex"}`, status: 201, want: `"slug":"ex"`},
			{name: "taken", method: "POST", path: "/links", body: `{"url":"https://example.com/","slug":"ex"}`, status: 409, want: "taken"},
			{name: "not a URL", method: "POST", path: "/links", body: `{"url":"nope"}`, status: 400},
			{name: "list", method: "GET", path: "/links", status: 200, want: `["ex"]`},
			{name: "follow", method: "GET", path: "/ex", status: 302, noRedirect: true, wantHeader: map[string]string{"Location": "https://example.com/a/long/path?q=1"}},
			{name: "missing", method: "GET", path: "/nope", status: 404},
		}},
		{dir: "service-worker", steps: []corpusStep{
			{name: "greeting", method: "GET", path: "/", status: 200, want: "hello from a service worker"},
			{name: "count", method: "GET", path: "/count", status: 200, want: "1\n"},
			{name: "count again", method: "GET", path: "/count", status: 200, want: "2\n"},
			{name: "missing", method: "GET", path: "/x", status: 404},
		}},
		{dir: "hono-uploader", steps: []corpusStep{
			{name: "upload", method: "POST", path: "/upload", header: http.Header{"Content-Type": {"multipart/form-data; boundary=XyZ"}},
				body: multipartBody("XyZ", "a title", "pixel.png", "image/png", pngPixel), status: 201, wantRe: `"key":"(\d+-pixel\.png)","size":` + itoa(len(pngPixel)), save: "key"},
			{name: "not an image", method: "POST", path: "/upload", header: http.Header{"Content-Type": {"multipart/form-data; boundary=XyZ"}},
				body: multipartBody("XyZ", "t", "a.txt", "text/plain", "hello"), status: 400, want: "not an image"},
			{name: "no title", method: "POST", path: "/upload", header: http.Header{"Content-Type": {"multipart/form-data; boundary=XyZ"}},
				body: multipartBody("XyZ", "", "p.png", "image/png", pngPixel), status: 400},
			{name: "list", method: "GET", path: "/images", status: 200, wantRe: `\[\{"key":"\d+-pixel\.png","size":` + itoa(len(pngPixel)) + `\}\]`},
			{name: "download", method: "GET", path: "/images/{key}", status: 200, wantBody: pngPixel,
				wantHeader: map[string]string{"Content-Type": "image/png", "X-Title": "a title", "Cache-Control": "public, max-age=3600"}},
			{name: "download, from the cache", method: "GET", path: "/images/{key}", status: 200, wantBody: pngPixel,
				wantHeader: map[string]string{"Content-Type": "image/png", "Cf-Cache-Status": "HIT"}},
			{name: "missing", method: "GET", path: "/images/nope", status: 404},
		}},
		{dir: "python-kv", steps: []corpusStep{
			{name: "greeting", method: "GET", path: "/", status: 200, want: "hello from Python"},
			{name: "put", method: "PUT", path: "/notes/todo", body: "buy milk", status: 204},
			{name: "get", method: "GET", path: "/notes/todo", status: 200, want: `{"name":"todo","note":"buy milk"}`},
			{name: "list", method: "GET", path: "/notes", status: 200, want: `["todo"]`},
			{name: "missing", method: "GET", path: "/notes/none", status: 404},
		}},
		{dir: "r2-files-ts", steps: []corpusStep{
			{name: "put", method: "PUT", path: "/docs/a%20b.txt", header: http.Header{"Content-Type": {"text/plain"}}, body: "0123456789abcdef", status: 201, want: "stored docs/a b.txt (16 bytes)"},
			{name: "get, a miss", method: "GET", path: "/docs/a%20b.txt", status: 200, wantBody: "0123456789abcdef",
				wantHeader: map[string]string{"Content-Type": "text/plain", "Cf-Cache-Status": "", "Accept-Ranges": "bytes"}, saveHeader: map[string]string{"etag": "ETag"}},
			{name: "get, a hit", method: "GET", path: "/docs/a%20b.txt", status: 200, wantBody: "0123456789abcdef",
				wantHeader: map[string]string{"Cf-Cache-Status": "HIT"}},
			{name: "range", method: "GET", path: "/docs/a%20b.txt", header: http.Header{"Range": {"bytes=4-7"}}, status: 206, wantBody: "4567",
				wantHeader: map[string]string{"Content-Range": "bytes 4-7/16"}},
			{name: "suffix range", method: "GET", path: "/docs/a%20b.txt", header: http.Header{"Range": {"bytes=-3"}}, status: 206, wantBody: "def"},
			{name: "not modified", method: "GET", path: "/docs/a%20b.txt", header: http.Header{"If-None-Match": {"{etag}"}}, status: 304},
			{name: "replace purges", method: "PUT", path: "/docs/a%20b.txt", body: "new", status: 201},
			{name: "fresh after purge", method: "GET", path: "/docs/a%20b.txt", status: 200, wantBody: "new"},
			{name: "delete", method: "DELETE", path: "/docs/a%20b.txt", status: 204},
			{name: "gone", method: "GET", path: "/docs/a%20b.txt", status: 404},
		}},
		{dir: "html-rewriter", steps: []corpusStep{
			{name: "store the page", method: "PUT", path: "/about", status: 204,
				body: `<!doctype html><html><head><title>About</title><script src="https://cdn.test/tracker.js"></script></head>` +
					`<body><h1>Hello, world</h1><a href="https://old.example.com/docs">docs</a> <a href="/x">x</a></body></html>`},
			{name: "rewritten", method: "GET", path: "/about", status: 200,
				wantBody: `<!doctype html><html><head><title>Bindery · About</title></head>` +
					`<body><div class="banner">Served by Bindery</div><h1>Hello, world (12)</h1><a href="https://new.example.com/docs">docs</a> <a href="/x">x</a></body></html>`,
				wantHeader: map[string]string{"Content-Type": "text/html; charset=utf-8"}},
			{name: "missing", method: "GET", path: "/nope", status: 404},
		}},
		{dir: "jwt-verify", setup: jwtSetup, steps: []corpusStep{
			{name: "no token", method: "GET", path: "/", status: 401, want: "missing bearer token"},
			{name: "RS256", method: "GET", path: "/", header: http.Header{"Authorization": {"Bearer {rs256}"}}, status: 200, want: `{"sub":"alice","alg":"RS256"}`},
			{name: "ES256", method: "GET", path: "/", header: http.Header{"Authorization": {"Bearer {es256}"}}, status: 200, want: `{"sub":"bob","alg":"ES256"}`},
			{name: "tampered", method: "GET", path: "/", header: http.Header{"Authorization": {"Bearer {tampered}"}}, status: 401, want: "invalid token"},
			{name: "wrong issuer", method: "GET", path: "/", header: http.Header{"Authorization": {"Bearer {otherissuer}"}}, status: 401, want: "iss"},
		}},
	}
}

func runCorpusStep(t *testing.T, base string, s corpusStep, vals map[string]string) {
	t.Helper()
	expand := func(x string) string {
		for k, v := range vals {
			x = strings.ReplaceAll(x, "{"+k+"}", v)
		}
		return x
	}
	req, err := http.NewRequest(s.method, base+expand(s.path), strings.NewReader(s.body))
	if err != nil {
		t.Fatal(err)
	}
	for k, vs := range s.header {
		for _, v := range vs {
			req.Header.Add(k, expand(v))
		}
	}
	client := http.Client{}
	if s.noRedirect {
		client.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
	}
	resp, err := client.Do(req)
	if err != nil {
		t.Fatalf("%s: %v", s.name, err)
	}
	b, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	body := string(b)
	if resp.StatusCode != s.status {
		t.Errorf("%s: %s %s: status %d, want %d (body %.300q)", s.name, s.method, s.path, resp.StatusCode, s.status, body)
		return
	}
	if s.wantBody != "" && body != s.wantBody {
		t.Errorf("%s: body is %d bytes, want the %d sent (%.60q)", s.name, len(body), len(s.wantBody), body)
	}
	if s.want != "" && !strings.Contains(body, s.want) {
		t.Errorf("%s: body %.300q lacks %q", s.name, body, s.want)
	}
	if s.wantRe != "" {
		m := regexp.MustCompile(s.wantRe).FindStringSubmatch(body)
		if m == nil {
			t.Errorf("%s: body %.300q does not match %s", s.name, body, s.wantRe)
		} else if s.save != "" && len(m) > 1 {
			vals[s.save] = m[1]
		}
	}
	for k, v := range s.wantHeader {
		if got := resp.Header.Get(k); got != v {
			t.Errorf("%s: %s = %q, want %q", s.name, k, got, v)
		}
	}
	for name, h := range s.saveHeader {
		vals[name] = resp.Header.Get(h)
	}
}

// copyProject copies a corpus project (without node_modules or state) to
// a temporary directory.
func copyProject(t *testing.T, src string) string {
	t.Helper()
	dst := t.TempDir()
	err := filepath.WalkDir(src, func(p string, d os.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(src, p)
		if d.IsDir() && (d.Name() == "node_modules" || d.Name() == ".bindery") {
			return filepath.SkipDir
		}
		if d.IsDir() {
			return os.MkdirAll(filepath.Join(dst, rel), 0o755)
		}
		b, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		return os.WriteFile(filepath.Join(dst, rel), b, 0o644)
	})
	if err != nil {
		t.Fatal(err)
	}
	return dst
}

// npmInstall installs a project's packages at the versions its lock pins.
func npmInstall(t *testing.T, dir string) {
	t.Helper()
	cmd := exec.Command("npm", "ci", "--no-audit", "--no-fund", "--loglevel=error")
	cmd.Dir = dir
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("npm ci in %s: %v\n%s", dir, err, out)
	}
}

// jwtSetup makes an RSA and an EC key, gives the Worker their public keys
// as the JWKS secret (in .dev.vars, as a user keeps one), and signs the
// tokens the steps send.
func jwtSetup(t *testing.T, dir string) map[string]string {
	t.Helper()
	rsaKey, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	ecKey, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	b64 := func(b []byte) string { return base64.RawURLEncoding.EncodeToString(b) }
	pad := func(n *big.Int, size int) []byte { return n.FillBytes(make([]byte, size)) }
	jwks, _ := json.Marshal(map[string]any{"keys": []map[string]string{
		{"kty": "RSA", "kid": "r1", "alg": "RS256", "use": "sig", "n": b64(rsaKey.N.Bytes()), "e": b64(big.NewInt(int64(rsaKey.E)).Bytes())},
		{"kty": "EC", "kid": "e1", "alg": "ES256", "use": "sig", "crv": "P-256", "x": b64(pad(ecKey.X, 32)), "y": b64(pad(ecKey.Y, 32))},
	}})
	if err := os.WriteFile(filepath.Join(dir, ".dev.vars"), []byte("JWKS="+string(jwks)+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	sign := func(alg, kid, iss, sub string) string {
		head := b64([]byte(`{"alg":"` + alg + `","kid":"` + kid + `","typ":"JWT"}`))
		claims := b64([]byte(`{"iss":"` + iss + `","sub":"` + sub + `","exp":4102444800}`))
		h := sha256.Sum256([]byte(head + "." + claims))
		var sig []byte
		if alg == "RS256" {
			sig, err = rsa.SignPKCS1v15(rand.Reader, rsaKey, crypto.SHA256, h[:])
		} else {
			var r, s *big.Int
			r, s, err = ecdsa.Sign(rand.Reader, ecKey, h[:])
			sig = append(pad(r, 32), pad(s, 32)...)
		}
		if err != nil {
			t.Fatal(err)
		}
		return head + "." + claims + "." + b64(sig)
	}
	rs := sign("RS256", "r1", "https://issuer.example", "alice")
	tampered := []byte(rs)
	tampered[len(tampered)-5] ^= 1
	if bytes.Equal(tampered, []byte(rs)) {
		t.Fatal("tamper")
	}
	return map[string]string{
		"rs256":       rs,
		"es256":       sign("ES256", "e1", "https://issuer.example", "bob"),
		"tampered":    string(tampered),
		"otherissuer": sign("RS256", "r1", "https://elsewhere.example", "mallory"),
	}
}

// pngPixel is a 1×1 PNG: a binary file part, every byte of which must
// arrive.
var pngPixel = string([]byte{
	0x89, 'P', 'N', 'G', '\r', '\n', 0x1a, '\n', 0, 0, 0, 0x0d, 'I', 'H', 'D', 'R', 0, 0, 0, 1, 0, 0, 0, 1,
	8, 6, 0, 0, 0, 0x1f, 0x15, 0xc4, 0x89, 0, 0, 0, 0x0d, 'I', 'D', 'A', 'T', 0x78, 0x9c, 0x63, 0xf8, 0xcf,
	0xc0, 0xf0, 0x1f, 0, 5, 0, 1, 0xff, 0x89, 0x99, 0x3d, 0x1d, 0, 0, 0, 0, 'I', 'E', 'N', 'D', 0xae, 0x42, 0x60, 0x82,
})

// multipartBody is a form with a title field and one file part.
func multipartBody(boundary, title, filename, contentType, data string) string {
	var b strings.Builder
	b.WriteString("--" + boundary + "\r\nContent-Disposition: form-data; name=\"title\"\r\n\r\n" + title + "\r\n")
	b.WriteString("--" + boundary + "\r\nContent-Disposition: form-data; name=\"image\"; filename=\"" + filename + "\"\r\nContent-Type: " + contentType + "\r\n\r\n")
	b.WriteString(data + "\r\n--" + boundary + "--\r\n")
	return b.String()
}

func itoa(n int) string { return strconv.Itoa(n) }
