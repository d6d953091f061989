package webcrypto_test

import (
	"bytes"
	"crypto"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/hkdf"
	"crypto/hmac"
	"crypto/pbkdf2"
	"crypto/rand"
	"crypto/rsa"
	gosha256 "crypto/sha256"
	gosha512 "crypto/sha512"
	"crypto/x509"
	"encoding/hex"
	"encoding/json"
	"log/slog"
	"math/big"
	"net/http/httptest"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/bindery-run/bindery/abi"
	cacheapi "github.com/bindery-run/bindery/bindings/cache"
	"github.com/bindery-run/bindery/bindings/d1"
	"github.com/bindery-run/bindery/bindings/kv"
	"github.com/bindery-run/bindery/bindings/r2"
	"github.com/bindery-run/bindery/bindings/vars"
	"github.com/bindery-run/bindery/host"
	"github.com/bindery-run/bindery/host/durablehost"
	"github.com/bindery-run/bindery/host/queuehost"
	"github.com/bindery-run/bindery/internal/jsbuild/jstest"
	"github.com/bindery-run/bindery/internal/testutil"
)

func userCache() string {
	if d, err := os.UserCacheDir(); err == nil {
		return d
	}
	return os.TempDir()
}

// jsWorker builds testdata/worker.js as bindery dev does and serves it, or
// skips when node is missing (fails when js is required:
// testutil.NeedToolchain).
func jsWorker(t *testing.T) (*host.Worker, *testutil.SyncBuffer) {
	t.Helper()
	js := jstest.Build(t, "testdata/worker.js")
	logs := &testutil.SyncBuffer{}
	rt, err := host.NewRuntime(ctx, host.RuntimeConfig{
		CacheDir:   filepath.Join(userCache(), "bindery-test", "wazero"),
		Interfaces: []abi.Interface{kv.WIT(), vars.WIT(), r2.WIT(), cacheapi.WIT(), d1.WIT(), durablehost.ClientWIT(), durablehost.StateWIT(), queuehost.ProducerWIT()},
		Logger:     slog.New(slog.NewTextHandler(logs, nil)),
	})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { rt.Close(ctx) })
	w, err := rt.NewWorker(ctx, host.WorkerConfig{Name: "crypto-js", Wasm: js.Wasm, Init: js.Init, MapText: js.MapText})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { w.Close(ctx) })
	return w, logs
}

// call sends in (GET when nil) to path and decodes the JSON answer into out.
func call(t *testing.T, w *host.Worker, logs *testutil.SyncBuffer, path string, in, out any) {
	t.Helper()
	method, body := "GET", []byte(nil)
	if in != nil {
		method = "POST"
		body, _ = json.Marshal(in)
	}
	rec := httptest.NewRecorder()
	w.ServeHTTP(rec, httptest.NewRequest(method, path, bytes.NewReader(body)))
	if rec.Code != 200 {
		t.Fatalf("%s %s: %d %s\nlog:\n%s", method, path, rec.Code, rec.Body, logs)
	}
	if os.Getenv("BINDERY_JS_DEBUG") != "" && rec.Body.Len() < 2000 { // the Worker's answers, to read with -v
		t.Logf("%s", rec.Body)
	}
	if err := json.Unmarshal(rec.Body.Bytes(), out); err != nil {
		t.Fatalf("%s %s: %v\n%s", method, path, err, rec.Body)
	}
}

// jwt signs a compact JWS with Go's crypto.
func jwt(t *testing.T, alg string, sign func(signingInput []byte) []byte) string {
	t.Helper()
	h := b64([]byte(`{"alg":"` + alg + `","typ":"JWT"}`))
	p := b64([]byte(`{"sub":"1234567890","name":"Ada","iat":1516239022}`))
	return h + "." + p + "." + b64(sign([]byte(h+"."+p)))
}

func digest(h crypto.Hash, b []byte) []byte {
	d := h.New()
	d.Write(b)
	return d.Sum(nil)
}

// TestJSWorker runs WebCrypto through a real JavaScript Worker: JWTs that
// Go signed (RS256, PS256, ES256, EdDSA, NODE-ED25519, HS256) verified
// against JWK public keys, AES-GCM both ways, PBKDF2 and HKDF against Go,
// keys generated and exported in JS imported by Go, and WebCrypto's error
// names, all in one instance that stays in service.
func TestJSWorker(t *testing.T) {
	w, logs := jsWorker(t)

	t.Run("jwt", func(t *testing.T) {
		rsaKey, _ := rsa.GenerateKey(rand.Reader, 2048)
		ecKey, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
		edPub, edPriv, _ := ed25519.GenerateKey(rand.Reader)
		hmacKey := []byte("a shared secret of 32 bytes ....")
		rsaJWK := map[string]any{"kty": "RSA", "n": b64(rsaKey.N.Bytes()), "e": "AQAB", "alg": "RS256", "use": "sig"}
		ecPoint, _ := ecKey.PublicKey.Bytes()
		ecJWK := map[string]any{"kty": "EC", "crv": "P-256", "x": b64(ecPoint[1:33]), "y": b64(ecPoint[33:]), "alg": "ES256", "kid": "k1"}
		edJWK := map[string]any{"kty": "OKP", "crv": "Ed25519", "x": b64(edPub)}
		psJWK := map[string]any{"kty": "RSA", "n": b64(rsaKey.N.Bytes()), "e": "AQAB"}
		tests := []struct {
			alg  string
			jwk  map[string]any
			sign func([]byte) []byte
			want map[string]any // the CryptoKey's algorithm
		}{
			{"RS256", rsaJWK, func(in []byte) []byte {
				s, _ := rsa.SignPKCS1v15(nil, rsaKey, crypto.SHA256, digest(crypto.SHA256, in))
				return s
			}, map[string]any{"name": "RSASSA-PKCS1-v1_5", "modulusLength": 2048.0, "hash": map[string]any{"name": "SHA-256"}}},
			{"PS256", psJWK, func(in []byte) []byte {
				s, _ := rsa.SignPSS(rand.Reader, rsaKey, crypto.SHA256, digest(crypto.SHA256, in), &rsa.PSSOptions{SaltLength: 32})
				return s
			}, map[string]any{"name": "RSA-PSS"}},
			{"ES256", ecJWK, func(in []byte) []byte {
				r, s, _ := ecdsa.Sign(rand.Reader, ecKey, digest(crypto.SHA256, in))
				return append(r.FillBytes(make([]byte, 32)), s.FillBytes(make([]byte, 32))...)
			}, map[string]any{"name": "ECDSA", "namedCurve": "P-256"}},
			{"EdDSA", edJWK, func(in []byte) []byte { return ed25519.Sign(edPriv, in) }, map[string]any{"name": "Ed25519"}},
			{"NODE-ED25519", edJWK, func(in []byte) []byte { return ed25519.Sign(edPriv, in) }, map[string]any{"name": "NODE-ED25519", "namedCurve": "NODE-ED25519"}},
			{"HS256", map[string]any{"kty": "oct", "k": b64(hmacKey)}, func(in []byte) []byte {
				m := hmac.New(gosha256.New, hmacKey)
				m.Write(in)
				return m.Sum(nil)
			}, map[string]any{"name": "HMAC", "length": 256.0}},
		}
		for _, tt := range tests {
			t.Run(tt.alg, func(t *testing.T) {
				token := jwt(t, tt.alg, tt.sign)
				var got struct {
					Valid   bool
					Payload map[string]any
					Key     struct {
						Type        string
						Extractable bool
						Algorithm   map[string]any
						Usages      []string
						IsCryptoKey bool
					}
				}
				call(t, w, logs, "/jwt", map[string]any{"jwk": tt.jwk, "token": token, "alg": tt.alg}, &got)
				if !got.Valid || got.Payload["name"] != "Ada" {
					t.Fatalf("a valid %s token: %+v", tt.alg, got)
				}
				k := got.Key
				if k.Type != "public" && tt.alg != "HS256" || k.Extractable || len(k.Usages) != 1 || k.Usages[0] != "verify" || !k.IsCryptoKey {
					t.Errorf("key: %+v", k)
				}
				for name, v := range tt.want {
					if g, _ := json.Marshal(k.Algorithm[name]); string(g) != string(must(json.Marshal(v))) {
						t.Errorf("key.algorithm.%s = %s, want %v", name, g, v)
					}
				}
				tampered := token[:len(token)-4] + map[bool]string{true: "AAAA", false: "BBBB"}[!strings.HasSuffix(token, "AAAA")]
				call(t, w, logs, "/jwt", map[string]any{"jwk": tt.jwk, "token": tampered, "alg": tt.alg}, &got)
				if got.Valid {
					t.Fatalf("a tampered %s token verified", tt.alg)
				}
			})
		}
	})

	t.Run("aes-gcm", func(t *testing.T) {
		key, iv, aad := make([]byte, 32), make([]byte, 12), []byte("header")
		rand.Read(key)
		rand.Read(iv)
		aead := newGCM(t, key)
		pt := []byte("sealed by Go, opened in JS")
		ct := aead.Seal(nil, iv, pt, aad)
		var got struct {
			Decrypted, Encrypted, Tampered string
			Algorithm                      map[string]any
		}
		call(t, w, logs, "/aes-gcm", map[string]any{"key": hex.EncodeToString(key), "iv": hex.EncodeToString(iv), "aad": hex.EncodeToString(aad),
			"ciphertext": hex.EncodeToString(ct), "plaintext": hex.EncodeToString([]byte("sealed in JS"))}, &got)
		if got.Decrypted != hex.EncodeToString(pt) {
			t.Errorf("JS decrypted %s", got.Decrypted)
		}
		if back, err := aead.Open(nil, iv, unhex(t, got.Encrypted), aad); err != nil || string(back) != "sealed in JS" {
			t.Errorf("Go opens what JS sealed: %q, %v", back, err)
		}
		if got.Tampered != "OperationError" || got.Algorithm["length"] != 256.0 {
			t.Errorf("tampered: %s, algorithm %v", got.Tampered, got.Algorithm)
		}
	})

	t.Run("derive", func(t *testing.T) {
		ikm := []byte("input keying material")
		var got struct {
			PBKDF2, AesKey, HKDF, HmacKey string
			AesAlgorithm, HmacAlgorithm   map[string]any
		}
		call(t, w, logs, "/derive", map[string]any{"password": "hunter2", "salt": "NaCl", "iterations": 1000, "ikm": hex.EncodeToString(ikm), "info": "ctx"}, &got)
		wantP, _ := pbkdf2.Key(gosha256.New, "hunter2", []byte("NaCl"), 1000, 32)
		wantH, _ := hkdf.Key(gosha256.New, ikm, []byte("NaCl"), "ctx", 64)
		if got.PBKDF2 != hex.EncodeToString(wantP) || got.AesKey != hex.EncodeToString(wantP[:16]) {
			t.Errorf("PBKDF2: %s, AES key %s; want %x", got.PBKDF2, got.AesKey, wantP)
		}
		if got.HKDF != hex.EncodeToString(wantH[:42]) || got.HmacKey != hex.EncodeToString(wantH) {
			t.Errorf("HKDF: %s, HMAC key %s; want %x", got.HKDF, got.HmacKey, wantH)
		}
		if got.AesAlgorithm["length"] != 128.0 || got.HmacAlgorithm["length"] != 512.0 {
			t.Errorf("derived algorithms: %v, %v", got.AesAlgorithm, got.HmacAlgorithm)
		}
	})

	t.Run("generate", func(t *testing.T) {
		type exported struct {
			Signature, Spki, Pkcs8, Raw string
			PublicJwk, PrivateJwk       map[string]any
			Verifies                    bool
			PublicUsages, PrivateUsages []string
			Algorithm                   map[string]any
		}
		var got map[string]json.RawMessage
		call(t, w, logs, "/generate", nil, &got)
		msg := []byte("signed in JS")
		for _, name := range []string{"RS256", "PS384", "ES256", "ES384", "EdDSA"} {
			t.Run(name, func(t *testing.T) {
				var e exported
				if err := json.Unmarshal(got[name], &e); err != nil {
					t.Fatal(err)
				}
				if !e.Verifies || len(e.PublicUsages) != 1 || e.PublicUsages[0] != "verify" || len(e.PrivateUsages) != 1 || e.PrivateUsages[0] != "sign" {
					t.Fatalf("%+v", e)
				}
				pub, err := x509.ParsePKIXPublicKey(unhex(t, e.Spki))
				if err != nil {
					t.Fatalf("Go parses the JS SPKI: %v", err)
				}
				priv, err := x509.ParsePKCS8PrivateKey(unhex(t, e.Pkcs8))
				if err != nil {
					t.Fatalf("Go parses the JS PKCS #8: %v", err)
				}
				if !priv.(interface{ Public() crypto.PublicKey }).Public().(interface{ Equal(crypto.PublicKey) bool }).Equal(pub) {
					t.Fatal("the PKCS #8 key's public half is not the SPKI key")
				}
				sig := unhex(t, e.Signature)
				var ok bool
				switch p := pub.(type) {
				case *rsa.PublicKey:
					if name == "RS256" {
						ok = rsa.VerifyPKCS1v15(p, crypto.SHA256, digest(crypto.SHA256, msg), sig) == nil
					} else {
						h := gosha512.Sum384(msg)
						ok = rsa.VerifyPSS(p, crypto.SHA384, h[:], sig, &rsa.PSSOptions{SaltLength: 48}) == nil
					}
					if e.PublicJwk["n"] != b64(p.N.Bytes()) || e.PublicJwk["e"] != "AQAB" || e.PrivateJwk["d"] == nil {
						t.Errorf("JWKs: %v %v", e.PublicJwk, e.PrivateJwk)
					}
				case *ecdsa.PublicKey:
					n := len(sig) / 2
					h := digest(map[int]crypto.Hash{32: crypto.SHA256, 48: crypto.SHA384}[n], msg)
					ok = ecdsa.Verify(p, h, new(big.Int).SetBytes(sig[:n]), new(big.Int).SetBytes(sig[n:]))
					raw, _ := p.Bytes()
					if e.Raw != hex.EncodeToString(raw) || e.PublicJwk["x"] != b64(raw[1:1+n]) {
						t.Errorf("raw %s, JWK %v", e.Raw, e.PublicJwk)
					}
				case ed25519.PublicKey:
					ok = ed25519.Verify(p, msg, sig)
					if e.Raw != hex.EncodeToString(p) || e.PublicJwk["x"] != b64(p) || e.PrivateJwk["d"] != b64(priv.(ed25519.PrivateKey).Seed()) {
						t.Errorf("raw %s, JWKs %v %v", e.Raw, e.PublicJwk, e.PrivateJwk)
					}
				}
				if !ok {
					t.Error("Go does not verify the JS signature")
				}
				if e.PrivateJwk["ext"] != true || !strings.Contains(string(must(json.Marshal(e.PrivateJwk["key_ops"]))), "sign") {
					t.Errorf("private JWK: %v", e.PrivateJwk)
				}
			})
		}
		var aes struct {
			Jwk       map[string]any
			Algorithm map[string]any
		}
		json.Unmarshal(got["aes"], &aes)
		if aes.Jwk["alg"] != "A256GCM" || len(unb64(t, aes.Jwk["k"].(string))) != 32 || aes.Algorithm["length"] != 256.0 {
			t.Errorf("AES: %+v", aes)
		}
		var hm struct {
			Algorithm map[string]any
			Bytes     int
		}
		json.Unmarshal(got["hmac"], &hm)
		if hm.Bytes != 128 || hm.Algorithm["length"] != 1024.0 {
			t.Errorf("HMAC SHA-512: %+v", hm)
		}
	})

	t.Run("errors", func(t *testing.T) {
		var got map[string]string
		call(t, w, logs, "/errors", nil, &got)
		want := map[string]string{
			"badJwk": "NotSupportedError", "ecJwkWrongCurve": "DataError", "jwkKeyOps": "DataError", "jwkExt": "DataError",
			"signWithVerifyKey": "InvalidAccessError", "signWithWrongAlgorithm": "InvalidAccessError",
			"noUsages": "SyntaxError", "wrongUsage": "SyntaxError", "unknownAlgorithm": "NotSupportedError", "md5Hmac": "NotSupportedError",
			"badTag": "OperationError", "emptyIv": "OperationError", "exportNonExtractable": "InvalidAccessError",
			"exportPrivateAsSpki": "InvalidAccessError", "pbkdf2Extractable": "SyntaxError", "pbkdf2Iterations": "NotSupportedError",
			"missingIv": "TypeError", "notAKey": "TypeError", "constructKey": "TypeError", "badFormat": "TypeError",
			"timingSafeEqualLengths": "TypeError",
		}
		for k, v := range want {
			if got[k] != v {
				t.Errorf("%s: %q, want %s", k, got[k], v)
			}
		}
		if len(got) != len(want) {
			t.Errorf("got %d results, want %d: %v", len(got), len(want), got)
		}
	})

	t.Run("misc", func(t *testing.T) {
		var got struct {
			SHA256, MD5, DigestStream          string
			TimingSafeEqual                    []bool
			UUID                               string
			SubtleIsEngines, AesKw, WrappedJwk bool
			ECDH, X25519                       bool
			RsaOaep, AesCtr                    string
		}
		call(t, w, logs, "/misc", nil, &got)
		const abc = "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
		if got.SHA256 != abc || got.DigestStream != abc || got.MD5 != "900150983cd24fb0d6963f7d28e17f72" {
			t.Errorf("digests: %s %s %s", got.SHA256, got.DigestStream, got.MD5)
		}
		if len(got.TimingSafeEqual) != 2 || !got.TimingSafeEqual[0] || got.TimingSafeEqual[1] {
			t.Errorf("timingSafeEqual: %v", got.TimingSafeEqual)
		}
		if !regexp.MustCompile(`^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$`).MatchString(got.UUID) {
			t.Errorf("randomUUID: %q", got.UUID)
		}
		if !got.SubtleIsEngines || !got.AesKw || !got.WrappedJwk || !got.ECDH || !got.X25519 || got.RsaOaep != "secret" || got.AesCtr != "ctr text" {
			t.Errorf("%+v", got)
		}
	})

	if strings.Contains(logs.String(), "level=ERROR") || strings.Contains(logs.String(), "level=WARN") {
		t.Errorf("the Worker logged a failure:\n%s", logs)
	}
}

func must(b []byte, err error) []byte {
	if err != nil {
		panic(err)
	}
	return b
}

func unb64(t *testing.T, s string) []byte {
	t.Helper()
	b, err := base64URL.DecodeString(s)
	if err != nil {
		t.Fatal(err)
	}
	return b
}
