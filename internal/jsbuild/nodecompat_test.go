package jsbuild_test

import (
	"bytes"
	"context"
	"crypto"
	"crypto/aes"
	"crypto/cipher"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/hkdf"
	"crypto/hmac"
	"crypto/md5"
	"crypto/pbkdf2"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha1"
	"crypto/sha256"
	"crypto/sha512"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"encoding/pem"
	"fmt"
	"hash"
	"io/fs"
	"math/big"
	mrand "math/rand/v2"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/bindery-run/bindery/bindings/vars"
	"github.com/bindery-run/bindery/host"
	"github.com/bindery-run/bindery/internal/jsbuild"
	"github.com/bindery-run/bindery/internal/testutil"
	"github.com/bindery-run/bindery/internal/wrangler"
)

// nodeProject copies testdata/nodecompat into a project directory with
// the vendored npm packages (testdata/nodecompat/npm) in node_modules, as
// npm install would leave them.
func nodeProject(t *testing.T) string {
	t.Helper()
	dir := t.TempDir()
	src := filepath.Join("testdata", "nodecompat")
	err := filepath.WalkDir(src, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(src, p)
		if first, _, _ := strings.Cut(filepath.ToSlash(rel), "/"); first == "npm" {
			rel = filepath.Join("node_modules", strings.TrimPrefix(rel, "npm"+string(filepath.Separator)))
			if d.IsDir() && filepath.Base(p) == "npm" {
				rel = "node_modules"
			}
		}
		target := filepath.Join(dir, rel)
		if d.IsDir() {
			return os.MkdirAll(target, 0o755)
		}
		b, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		return os.WriteFile(target, b, 0o644)
	})
	if err != nil {
		t.Fatal(err)
	}
	return dir
}

// nodeWorker builds testdata/nodecompat/worker.js with nodejs_compat (v2,
// vars and secrets on process.env) and serves it.
func nodeWorker(t *testing.T) (*host.Worker, *testutil.SyncBuffer) {
	t.Helper()
	tc := toolchain(t)
	ctx := context.Background()
	dir := nodeProject(t)
	w, err := tc.Build(ctx, jsbuild.Options{
		Entry:      filepath.Join(dir, "worker.js"),
		NodeCompat: wrangler.NodeCompat{Mode: wrangler.NodeV2, PopulateProcessEnv: true},
		Dev:        true,
	})
	if err != nil {
		t.Fatal(err)
	}
	logs := &testutil.SyncBuffer{}
	rt := runtime(t, logs)
	v, err := vars.New(map[string]vars.Var{
		"GREETING":    {Kind: vars.Text, Value: "howdy"},
		"CONF":        {Kind: vars.JSON, Value: `{"a":1}`},
		"STRING_JSON": {Kind: vars.JSON, Value: `"str"`},
		"SECRET":      {Kind: vars.Text, Value: "shh"},
	})
	if err != nil {
		t.Fatal(err)
	}
	hw, err := rt.NewWorker(ctx, host.WorkerConfig{Name: "nodecompat", Wasm: w.Wasm, Init: w.Init, MapText: w.MapText, Bindings: []host.Binding{v}})
	if err != nil {
		t.Fatalf("%v\nlogs:\n%s", err, logs)
	}
	t.Cleanup(func() { hw.Close(ctx) })
	return hw, logs
}

// callJSON sends body (GET when nil) to path and decodes the JSON answer.
func callJSON(t *testing.T, w *host.Worker, logs *testutil.SyncBuffer, path string, body []byte, out any) {
	t.Helper()
	method := "GET"
	if body != nil {
		method = "POST"
	}
	rec := httptest.NewRecorder()
	w.ServeHTTP(rec, httptest.NewRequest(method, path, bytes.NewReader(body)))
	if rec.Code != 200 {
		t.Fatalf("%s %s: %d %s\nlogs:\n%s", method, path, rec.Code, rec.Body, logs)
	}
	if err := json.Unmarshal(rec.Body.Bytes(), out); err != nil {
		t.Fatalf("%s %s: %v\n%s", method, path, err, rec.Body)
	}
}

// TestNodeCompatBundle: how each Node.js compatibility mode resolves
// Node's built-in modules (as wrangler does): an error naming the flag
// without it, node:async_hooks alone with nodejs_als, node:* only in v1,
// bare names and the globals in v2, stubs for what the SDK lacks, the
// config's alias first, and async functions rewritten when
// node:async_hooks is in the bundle.
func TestNodeCompatBundle(t *testing.T) {
	tc := toolchain(t)
	off := wrangler.NodeCompat{}
	als := wrangler.NodeCompat{Mode: wrangler.NodeALS}
	v1 := wrangler.NodeCompat{Mode: wrangler.NodeV1}
	v2 := wrangler.NodeCompat{Mode: wrangler.NodeV2}
	const fetch = "\nexport default { async fetch() { return new Response('ok'); } };\n"
	tests := []struct {
		name    string
		node    wrangler.NodeCompat
		src     string
		files   map[string]string // more files of the project
		alias   map[string]string
		err     string   // what the error says ("" for none)
		has     []string // what the bundle has
		hasNot  []string // what it has not
		imports []string // SDK modules the bundle holds (src/node/…)
		warn    string   // in a warning
	}{
		{name: "off node:", node: off, src: "import { Buffer } from 'node:buffer';", err: `node:buffer is a Node.js built-in module: to use it, add "nodejs_compat" to compatibility_flags`},
		{name: "off bare", node: off, src: "import { EventEmitter } from 'events';", err: `"events" is a Node.js built-in module and no package of that name is installed: to use the built-in, add "nodejs_compat"`},
		{name: "off require", node: off, src: "const c = require('crypto'); globalThis.c = c;", err: `"crypto" is a Node.js built-in module`},
		{name: "off bare installed", node: off, src: "import b from 'buffer'; globalThis.b = b;", files: map[string]string{"node_modules/buffer/package.json": `{"name":"buffer","main":"index.js"}`, "node_modules/buffer/index.js": "module.exports = 'the project buffer';"}, has: []string{"the project buffer"}},
		{name: "off no node", node: off, src: "globalThis.x = 1;", hasNot: []string{"node/globals.js"}},
		{name: "als", node: als, src: "import { AsyncLocalStorage } from 'node:async_hooks'; globalThis.a = new AsyncLocalStorage();", imports: []string{"async_hooks.js"}},
		{name: "als other", node: als, src: "import 'node:buffer';", err: "nodejs_als provides node:async_hooks only"},
		{name: "v1 node:", node: v1, src: "import { Buffer } from 'node:buffer'; globalThis.b = Buffer;", imports: []string{"buffer.js"}, hasNot: []string{"node/globals.js"}},
		{name: "v1 bare", node: v1, src: "import { Buffer } from 'buffer';", err: `import node:buffer, or set a compatibility_date of 2024-09-23 or later`},
		{name: "v2 bare", node: v2, src: "import { Buffer } from 'buffer'; import util from 'util'; globalThis.b = [Buffer, util];", imports: []string{"buffer.js", "util.js", "globals.js"}},
		{name: "v2 globals", node: v2, src: "globalThis.x = 1;", imports: []string{"globals.js", "buffer.js", "process.js", "timers.js"}},
		{name: "v2 stub", node: v2, src: "import { readFileSync } from 'node:fs'; import net from 'net'; globalThis.f = [readFileSync, net];", imports: []string{"stub.js"}, has: []string{`stub("node:fs")`, `stub("node:net")`}},
		{name: "v2 require gets module.exports", node: v2, src: "const EE = require('events'); globalThis.e = new EE();", has: []string{"module.exports = "}, imports: []string{"events.js"}},
		{name: "v2 unknown", node: v2, src: "import 'node:nope';", err: `"node:nope" is not a Node.js built-in module`},
		{name: "v2 prefix only", node: v2, src: "import 'node:test';", imports: []string{"stub.js"}},
		{name: "v2 alias wins", node: v2, src: "import c from 'node:crypto'; globalThis.c = c;", files: map[string]string{"my-crypto.js": "export default 'my own crypto';"}, alias: map[string]string{"node:crypto": "./my-crypto.js"}, has: []string{"my own crypto"}, hasNot: []string{"node/crypto.js"}},
		{name: "async kept", node: v2, src: "globalThis.f = async () => { await null; };", has: []string{"async () =>"}},
		{name: "top-level await with ALS", node: v2, src: "import { AsyncLocalStorage } from 'node:async_hooks'; globalThis.a = new AsyncLocalStorage(); globalThis.v = await Promise.resolve(1);", has: []string{"await Promise.resolve(1)"}, warn: "uses top-level await, so its async functions stay native"},
		{name: "async lowered with ALS", node: v2, src: "import { AsyncLocalStorage } from 'node:async_hooks'; globalThis.a = new AsyncLocalStorage(); globalThis.f = async () => { await null; };", has: []string{"__async("}, hasNot: []string{"async () =>"}},
	}
	for _, tc2 := range tests {
		t.Run(tc2.name, func(t *testing.T) {
			dir := t.TempDir()
			for name, content := range tc2.files {
				os.MkdirAll(filepath.Dir(filepath.Join(dir, name)), 0o755)
				os.WriteFile(filepath.Join(dir, name), []byte(content), 0o644)
			}
			entry := filepath.Join(dir, "index.js")
			os.WriteFile(entry, []byte(tc2.src+fetch), 0o644)
			alias := map[string]string{}
			for k, v := range tc2.alias {
				alias[k] = filepath.Join(dir, v)
			}
			b, err := tc.Bundle(jsbuild.Options{Entry: entry, NodeCompat: tc2.node, Bundle: wrangler.Bundle{Alias: alias}})
			if tc2.err != "" {
				if err == nil || !strings.Contains(err.Error(), tc2.err) {
					t.Fatalf("err %v, want %q", err, tc2.err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if tc2.warn != "" && !strings.Contains(strings.Join(b.Warnings, "\n"), tc2.warn) {
				t.Errorf("warnings %q lack %q", b.Warnings, tc2.warn)
			}
			code := string(b.Code)
			for _, s := range tc2.has {
				if !strings.Contains(code, s) {
					t.Errorf("the bundle lacks %q", s)
				}
			}
			for _, s := range tc2.hasNot {
				if strings.Contains(code, s) {
					t.Errorf("the bundle has %q", s)
				}
			}
			for _, m := range tc2.imports {
				if !slices.ContainsFunc(b.Inputs, func(in string) bool { return strings.HasSuffix(in, filepath.Join("src", "node", m)) }) {
					t.Errorf("the bundle lacks src/node/%s (inputs %q)", m, b.Inputs)
				}
			}
		})
	}
}

// TestNodeCompatMatchesNode runs testdata/nodecompat/cases.js in node with
// Node's own modules and in a Worker with the SDK's, and compares the
// answers: util.inspect and util.format, Buffer's encodings and methods,
// path, querystring, url, string_decoder, assert, events,
// AsyncLocalStorage across awaits, timers and interleaved promise chains,
// and stream pipelines.
func TestNodeCompatMatchesNode(t *testing.T) {
	w, logs := nodeWorker(t)
	node, err := testutil.ProbeNode()
	testutil.NeedToolchain(t, err)
	cmd := exec.Command(node, filepath.Join("testdata", "nodecompat", "node.mjs"))
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("node: %v\n%s", err, stderr.String())
	}
	var want, got map[string]string
	if err := json.Unmarshal(out, &want); err != nil {
		t.Fatal(err)
	}
	callJSON(t, w, logs, "/cases", nil, &got)
	if len(want) < 90 {
		t.Fatalf("node answered %d cases", len(want))
	}
	for _, name := range slices.Sorted(func(yield func(string) bool) {
		for k := range want {
			if !yield(k) {
				return
			}
		}
	}) {
		if got[name] != want[name] {
			t.Errorf("%s:\nnode:    %q\nbindery: %q", name, want[name], got[name])
		}
	}
}

// TestNodeCompatWorker drives node:crypto against Go's crypto on random
// inputs (hashes and HMACs of every byte value and of more than a MiB, fed
// in random pieces; PBKDF2, HKDF, AES-GCM/CBC/CTR both ways; RSA, ECDSA and
// Ed25519 signatures both ways), process.env from vars and secrets,
// process, util.promisify and events, the globals, stubs, and two real npm
// packages (etag, cookie-signature) through one Worker.
func TestNodeCompatWorker(t *testing.T) {
	w, logs := nodeWorker(t)
	rng := mrand.New(mrand.NewPCG(1, 2))

	t.Run("hash", func(t *testing.T) {
		all := make([]byte, 256)
		for i := range all {
			all[i] = byte(i)
		}
		hashes := map[string]func() hash.Hash{"md5": md5.New, "sha1": sha1.New, "sha256": sha256.New, "sha384": sha512.New384, "sha512": sha512.New}
		tests := []struct {
			name string
			data []byte
			key  []byte
		}{
			{"empty", nil, nil},
			{"all bytes", all, []byte("k")},
			{"one block", random(rng, 64), random(rng, 64)},
			{"odd", random(rng, 1001), random(rng, 65)},
			{"long key", random(rng, 300), random(rng, 200)},
			{"large", random(rng, 1<<20+7), random(rng, 129)},
		}
		for _, tc := range tests {
			t.Run(tc.name, func(t *testing.T) {
				var pieces []string
				for left := len(tc.data); left > 0 && len(pieces) < 20; {
					n := rng.IntN(left + 1)
					pieces = append(pieces, fmt.Sprint(n))
					left -= n
				}
				var got struct{ Hash, Hmac, OneShot, Base64 map[string]string }
				callJSON(t, w, logs, "/hash?key="+hex.EncodeToString(tc.key)+"&pieces="+strings.Join(pieces, ","), nonNil(tc.data), &got)
				for name, h := range hashes {
					d := h()
					d.Write(tc.data)
					sum := d.Sum(nil)
					m := hmac.New(h, tc.key)
					m.Write(tc.data)
					b64, ok := got.Base64[name]
					if got.Hash[name] != hex.EncodeToString(sum) || got.OneShot[name] != hex.EncodeToString(sum) || (ok || len(tc.data) <= 65536) && b64 != base64.StdEncoding.EncodeToString(sum) {
						t.Errorf("%s: %s / %s / %s, want %x", name, got.Hash[name], got.OneShot[name], b64, sum)
					}
					if want := hex.EncodeToString(m.Sum(nil)); got.Hmac[name] != want {
						t.Errorf("hmac %s: %s, want %s", name, got.Hmac[name], want)
					}
				}
			})
		}
	})

	t.Run("crypto", func(t *testing.T) {
		var got map[string]json.RawMessage
		callJSON(t, w, logs, "/crypto", nil, &got)
		wantPBKDF2, _ := pbkdf2.Key(sha256.New, "password", []byte("salt"), 1000, 32)
		wantHKDF, _ := hkdf.Key(sha256.New, []byte("key"), []byte("salt"), "info", 42)
		wantAsync, _ := pbkdf2.Key(sha1.New, "pw", []byte("na"), 10, 16)
		want := map[string]string{
			"random":                `[32,true,0,100000]`,
			"randomDiffers":         `true`,
			"randomInt":             `[10,14,5]`,
			"fill":                  `8`,
			"timingSafeEqual":       `[true,false]`,
			"timingSafeEqualLength": `"RangeError:ERR_CRYPTO_TIMING_SAFE_EQUAL_LENGTH"`,
			"unknownHash":           `"Digest method not supported: sha3-256"`,
			"afterDigest":           `"ERR_CRYPTO_HASH_FINALIZED"`,
			"webcrypto":             `true`,
			"getHashes":             `true`,
			"pbkdf2":                fmt.Sprintf("%q", hex.EncodeToString(wantPBKDF2)),
			"hkdf":                  fmt.Sprintf("%q", hex.EncodeToString(wantHKDF)),
			"pbkdf2Async":           fmt.Sprintf("%q", hex.EncodeToString(wantAsync)),
		}
		for k, v := range want {
			if string(got[k]) != v {
				t.Errorf("%s: %s, want %s", k, got[k], v)
			}
		}
		var uuids []string
		json.Unmarshal(got["uuid"], &uuids)
		for _, u := range uuids {
			if len(u) != 36 || u[14] != '4' || !strings.ContainsRune("89ab", rune(u[19])) {
				t.Errorf("uuid %q is not a version 4 UUID", u)
			}
		}
	})

	t.Run("cipher", func(t *testing.T) {
		key, iv12, iv16, aad := random(rng, 32), random(rng, 12), random(rng, 16), random(rng, 20)
		plain := "attack at dawn — every byte: " + string(random(rng, 50))
		plain = strings.ToValidUTF8(plain, "?")
		block, _ := aes.NewCipher(key)
		gcm, _ := cipher.NewGCM(block)
		sealed := gcm.Seal(nil, iv12, []byte(plain), aad)
		goGCM, goTag := sealed[:len(sealed)-16], sealed[len(sealed)-16:]
		padded := pkcs7([]byte(plain))
		goCBC := make([]byte, len(padded))
		cipher.NewCBCEncrypter(block, iv16).CryptBlocks(goCBC, padded)
		goCTR := make([]byte, len(plain))
		cipher.NewCTR(block, iv16).XORKeyStream(goCTR, []byte(plain))
		q, _ := json.Marshal(map[string]any{
			"key": hex.EncodeToString(key), "iv12": hex.EncodeToString(iv12), "iv16": hex.EncodeToString(iv16), "aad": hex.EncodeToString(aad),
			"plain": plain, "goTag": hex.EncodeToString(goTag),
			"goCT": map[string]string{"gcm": hex.EncodeToString(goGCM), "cbc": hex.EncodeToString(goCBC), "ctr": hex.EncodeToString(goCTR)},
		})
		var got map[string]json.RawMessage
		callJSON(t, w, logs, "/cipher", q, &got)
		for mode, want := range map[string]string{"gcm": hex.EncodeToString(goGCM), "cbc": hex.EncodeToString(goCBC), "ctr": hex.EncodeToString(goCTR)} {
			var r struct{ CT, Tag, Plain string }
			json.Unmarshal(got[mode], &r)
			if r.CT != want || r.Plain != plain || (mode == "gcm" && r.Tag != hex.EncodeToString(goTag)) {
				t.Errorf("%s: %+v, want ciphertext %s", mode, r, want)
			}
		}
		if string(got["badTag"]) != `"Unsupported state or unable to authenticate data"` {
			t.Errorf("a wrong GCM tag: %s", got["badTag"])
		}
	})

	t.Run("sign", func(t *testing.T) {
		data := []byte("the data signed, in Go and in the Worker")
		digest := sha256.Sum256(data)
		rsaKey, _ := rsa.GenerateKey(rand.Reader, 2048)
		ecKey, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
		edPub, edPriv, _ := ed25519.GenerateKey(rand.Reader)
		pkcs8 := func(k any) string {
			b, err := x509.MarshalPKCS8PrivateKey(k)
			if err != nil {
				t.Fatal(err)
			}
			return pemText("PRIVATE KEY", b)
		}
		spki := func(k any) string {
			b, err := x509.MarshalPKIXPublicKey(k)
			if err != nil {
				t.Fatal(err)
			}
			return pemText("PUBLIC KEY", b)
		}
		ecDER, _ := x509.MarshalECPrivateKey(ecKey)
		rsaSig, _ := rsa.SignPKCS1v15(rand.Reader, rsaKey, crypto.SHA256, digest[:])
		ecSig, _ := ecdsa.SignASN1(rand.Reader, ecKey, digest[:])
		keys := map[string]map[string]string{
			"rsa-pkcs8":  {"private": pkcs8(rsaKey), "public": spki(&rsaKey.PublicKey), "goSig": b64std(rsaSig)},
			"rsa-pkcs1":  {"private": pemText("RSA PRIVATE KEY", x509.MarshalPKCS1PrivateKey(rsaKey)), "public": pemText("RSA PUBLIC KEY", x509.MarshalPKCS1PublicKey(&rsaKey.PublicKey)), "goSig": b64std(rsaSig)},
			"ec-sec1":    {"private": pemText("EC PRIVATE KEY", ecDER), "public": spki(&ecKey.PublicKey), "goSig": b64std(ecSig)},
			"ed25519-p8": {"private": pkcs8(edPriv), "public": spki(edPub), "goSig": b64std(ed25519.Sign(edPriv, data))},
		}
		tmpl := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "bindery"}, NotBefore: time.Now(), NotAfter: time.Now().Add(time.Hour)}
		certDER, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &ecKey.PublicKey, ecKey)
		if err != nil {
			t.Fatal(err)
		}
		ecPoint, _ := ecKey.PublicKey.Bytes()
		jwk := map[string]string{"kty": "EC", "crv": "P-256", "x": base64.RawURLEncoding.EncodeToString(ecPoint[1:33]), "y": base64.RawURLEncoding.EncodeToString(ecPoint[33:])}
		q, _ := json.Marshal(map[string]any{"data": string(data), "keys": keys, "certificate": pemText("CERTIFICATE", certDER), "jwk": jwk})
		type signed struct {
			Type, Sig, SPKI, JWK                     string
			VerifiesOwn, VerifiesGo, RejectsTampered bool
		}
		var all map[string]json.RawMessage
		callJSON(t, w, logs, "/sign", q, &all)
		got := map[string]signed{}
		for name := range keys {
			var r signed
			json.Unmarshal(all[name], &r)
			got[name] = r
		}
		var extra struct {
			PSS, P1363, Certificate, JWK, Secret string
			PSSVerifies                          bool
		}
		raw, _ := json.Marshal(all)
		json.Unmarshal(raw, &extra)
		pss, _ := base64.StdEncoding.DecodeString(extra.PSS)
		if err := rsa.VerifyPSS(&rsaKey.PublicKey, crypto.SHA256, digest[:], pss, &rsa.PSSOptions{SaltLength: 32}); err != nil || !extra.PSSVerifies {
			t.Errorf("RSA-PSS: %v, the Worker verifies its own: %v", err, extra.PSSVerifies)
		}
		p1363, _ := base64.StdEncoding.DecodeString(extra.P1363)
		if len(p1363) != 64 || !ecdsa.Verify(&ecKey.PublicKey, digest[:], new(big.Int).SetBytes(p1363[:32]), new(big.Int).SetBytes(p1363[32:])) {
			t.Errorf("ECDSA ieee-p1363: %x", p1363)
		}
		if extra.Certificate != "public/ec/prime256v1/true" || extra.JWK != "public/true" || extra.Secret != "k64" {
			t.Errorf("certificate %q, jwk %q, secret %q", extra.Certificate, extra.JWK, extra.Secret)
		}
		for name, r := range got {
			sig, _ := base64.StdEncoding.DecodeString(r.Sig)
			var ok bool
			switch {
			case strings.HasPrefix(name, "rsa"):
				ok = rsa.VerifyPKCS1v15(&rsaKey.PublicKey, crypto.SHA256, digest[:], sig) == nil
			case strings.HasPrefix(name, "ec"):
				ok = ecdsa.VerifyASN1(&ecKey.PublicKey, digest[:], sig)
			default:
				ok = ed25519.Verify(edPub, data, sig)
			}
			if !ok || !r.VerifiesOwn || !r.VerifiesGo || !r.RejectsTampered || !strings.HasPrefix(r.Type, "private/public/") || r.SPKI != "-----BEGIN PUBLIC KEY-----" || r.JWK == "" {
				t.Errorf("%s: Go verifies the Worker's signature: %v; %+v", name, ok, r)
			}
		}
		if len(got) != len(keys) {
			t.Errorf("answers for %d keys, want %d", len(got), len(keys))
		}
	})

	t.Run("env", func(t *testing.T) {
		var got map[string]any
		callJSON(t, w, logs, "/env", nil, &got)
		want := map[string]any{
			"GREETING": "howdy", "CONF": `{"a":1}`, "STRING_JSON": "str", "SECRET": "shh", "missing": true, "has": true,
			"keys": []any{"CONF", "GREETING", "SECRET", "STRING_JSON", "WRITTEN"}, "afterDelete": true,
			"spread":  map[string]any{"CONF": `{"a":1}`, "GREETING": "howdy", "SECRET": "shh", "STRING_JSON": "str"},
			"nodeEnv": "development", "fromEnv": "howdy", "atTop": "howdy",
		}
		assertJSON(t, got, want)
	})

	t.Run("process", func(t *testing.T) {
		var got map[string]any
		callJSON(t, w, logs, "/process", nil, &got)
		// nextTick is a microtask, as in workerd: after the promise queued before it.
		assertJSON(t, got, map[string]any{
			"order": []any{"sync", "promise", "tick:12", "timeout"}, "version": "v22.14.0", "versions": "22.14.0", "platform": "linux",
			"cwd": "/", "hrtime": true, "bigint": "bigint", "emitted": []any{"ev"}, "argv": true, "builtin": true, "uptime": true,
			"toString": "[object process]",
		})
	})

	t.Run("util and events", func(t *testing.T) {
		var got map[string]any
		callJSON(t, w, logs, "/util", nil, &got)
		assertJSON(t, got, map[string]any{"sum": 5.0, "rejected": "negative", "cbd": "null:42", "first": "r", "ticks": []any{1.0, 2.0}, "custom": true, "textEncoder": true})
	})

	t.Run("globals", func(t *testing.T) {
		var got map[string]any
		callJSON(t, w, logs, "/globals", nil, &got)
		assertJSON(t, got, map[string]any{"Buffer": true, "process": true, "global": true, "setImmediate": true, "clearImmediate": true})
	})

	t.Run("stubs", func(t *testing.T) {
		var got map[string]any
		callJSON(t, w, logs, "/stubs", nil, &got)
		assertJSON(t, got, map[string]any{"readFileSync": "ERR_NOT_IMPLEMENTED: [bindery] node", "promises": "[bindery] node", "typeofExists": "function"})
	})

	t.Run("misc", func(t *testing.T) {
		var got map[string]any
		callJSON(t, w, logs, "/misc", nil, &got)
		assertJSON(t, got, map[string]any{
			"require": true, "requireMissing": "MODULE_NOT_FOUND", "isBuiltin": []any{true, true, false}, "os": []any{"\n", "linux", "/tmp"},
			"diagnostics": []any{"bindery:test:1"}, "perf": true, "console": []any{"x=5\n"}, "strict": "ERR_ASSERTION", "isDate": true,
			"consumers": "ab", "web": true, "sameALS": true, "importMeta": "object/undefined",
		})
	})

	t.Run("exit", func(t *testing.T) {
		// process.exit ends the request as a trap; the next request gets a fresh instance.
		logs.Reset()
		rec := httptest.NewRecorder()
		w.ServeHTTP(rec, httptest.NewRequest("GET", "/exit", nil))
		if rec.Code != 500 || !strings.Contains(logs.String(), "process.exit(3) was called") {
			t.Errorf("GET /exit: %d, logs:\n%s", rec.Code, logs)
		}
		var got map[string]any
		callJSON(t, w, logs, "/globals", nil, &got)
	})

	t.Run("npm packages", func(t *testing.T) {
		body := "héllo, npm " + hex.EncodeToString(random(rng, 20))
		var got map[string]any
		callJSON(t, w, logs, "/npm", []byte(body), &got)
		sum := sha1.Sum([]byte(body))
		tag := fmt.Sprintf(`"%x-%s"`, len(body), base64.StdEncoding.EncodeToString(sum[:])[:27])
		m := hmac.New(sha256.New, []byte("keyboard cat"))
		m.Write([]byte(body))
		signed := body + "." + strings.TrimRight(base64.StdEncoding.EncodeToString(m.Sum(nil)), "=")
		assertJSON(t, got, map[string]any{
			"etag": tag, "etagBuffer": tag, "weak": "W/" + tag, "stats": `W/"ff-1000"`,
			"signed": signed, "unsigned": body, "tampered": false,
		})
	})
}

func random(rng *mrand.Rand, n int) []byte {
	b := make([]byte, n)
	for i := range b {
		b[i] = byte(rng.Uint32())
	}
	return b
}

// nonNil makes a POST of an empty body.
func nonNil(b []byte) []byte {
	if b == nil {
		return []byte{}
	}
	return b
}

func pkcs7(b []byte) []byte {
	n := aes.BlockSize - len(b)%aes.BlockSize
	return append(b, bytes.Repeat([]byte{byte(n)}, n)...)
}

func pemText(typ string, der []byte) string {
	return string(pem.EncodeToMemory(&pem.Block{Type: typ, Bytes: der}))
}

func b64std(b []byte) string { return base64.StdEncoding.EncodeToString(b) }

// assertJSON compares a decoded JSON answer with want, key by key.
func assertJSON(t *testing.T, got, want map[string]any) {
	t.Helper()
	for k, v := range want {
		g, _ := json.Marshal(got[k])
		w, _ := json.Marshal(v)
		if !bytes.Equal(g, w) {
			t.Errorf("%s: %s, want %s", k, g, w)
		}
	}
}
