package webcrypto_test

import (
	"bytes"
	"crypto"
	"crypto/ecdh"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	gosha256 "crypto/sha256"
	"crypto/x509"
	"encoding/json"
	"math/big"
	"testing"

	"github.com/bindery-run/bindery/abi"
	"github.com/bindery-run/bindery/host/webcrypto"
	"github.com/bindery-run/bindery/host/webcrypto/cryptowit"
)

func sha256Sum(b []byte) []byte { h := gosha256.Sum256(b); return h[:] }

// mustDER returns a function that returns b or fails the test on err.
func mustDER(t testing.TB) func(b []byte, err error) []byte {
	return func(b []byte, err error) []byte {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
		return b
	}
}

// TestInteropRSA signs and encrypts with Go's crypto/rsa on one side and
// the host on the other, with a key Go made.
func TestInteropRSA(t *testing.T) {
	goKey, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	pkcs8 := mustDER(t)(x509.MarshalPKCS8PrivateKey(goKey))
	spki := mustDER(t)(x509.MarshalPKIXPublicKey(&goKey.PublicKey))
	s := webcrypto.New()
	data := []byte("the message")
	digest := sha256Sum(data)
	imp := func(alg cryptowit.AlgorithmName, f cryptowit.KeyFormat, der []byte) cryptowit.Key {
		return importKey(t, f, der, alg, sha256, cryptowit.KeyParams{})
	}

	t.Run("RSASSA-PKCS1-v1_5", func(t *testing.T) {
		p := cryptowit.SignParams{Tag: cryptowit.SignParamsRsassaPkcs1}
		sig, e := s.Sign(ctx, p, imp(cryptowit.AlgorithmNameRsassaPkcs1, cryptowit.KeyFormatPkcs8, pkcs8), data)
		if e != nil || rsa.VerifyPKCS1v15(&goKey.PublicKey, crypto.SHA256, digest, sig) != nil {
			t.Fatalf("host signature does not verify in Go: %v", e)
		}
		goSig, _ := rsa.SignPKCS1v15(nil, goKey, crypto.SHA256, digest)
		if ok, e := s.Verify(ctx, p, imp(cryptowit.AlgorithmNameRsassaPkcs1, cryptowit.KeyFormatSpki, spki), goSig, data); !ok || e != nil {
			t.Fatalf("Go signature does not verify on the host: %v, %v", ok, e)
		}
	})

	t.Run("RSA-PSS", func(t *testing.T) {
		pub := imp(cryptowit.AlgorithmNameRsaPss, cryptowit.KeyFormatSpki, spki)
		priv := imp(cryptowit.AlgorithmNameRsaPss, cryptowit.KeyFormatPkcs8, pkcs8)
		pss := func(salt uint32) cryptowit.SignParams {
			return cryptowit.SignParams{Tag: cryptowit.SignParamsRsaPss, RsaPss: salt}
		}
		sig, e := s.Sign(ctx, pss(32), priv, data)
		if e != nil || rsa.VerifyPSS(&goKey.PublicKey, crypto.SHA256, digest, sig, &rsa.PSSOptions{SaltLength: 32}) != nil {
			t.Fatalf("host signature does not verify in Go: %v", e)
		}
		goSig, _ := rsa.SignPSS(rand.Reader, goKey, crypto.SHA256, digest, &rsa.PSSOptions{SaltLength: 32})
		if ok, e := s.Verify(ctx, pss(32), pub, goSig, data); !ok || e != nil {
			t.Fatalf("Go signature does not verify on the host: %v, %v", ok, e)
		}
		if ok, _ := s.Verify(ctx, pss(20), pub, goSig, data); ok {
			t.Fatal("a signature with a 32-byte salt verified with saltLength 20")
		}
		// Salt length 0: Go cannot sign it, so the test does (EMSA-PSS by hand).
		noSalt := signPSSNoSalt(goKey, digest)
		if ok, e := s.Verify(ctx, pss(0), pub, noSalt, data); !ok || e != nil {
			t.Fatalf("a signature without salt does not verify with saltLength 0: %v, %v", ok, e)
		}
		if rsa.VerifyPSS(&goKey.PublicKey, crypto.SHA256, digest, noSalt, nil) != nil {
			t.Fatal("Go does not verify the test's signature without salt")
		}
		if ok, _ := s.Verify(ctx, pss(0), pub, goSig, data); ok {
			t.Fatal("a signature with a 32-byte salt verified with saltLength 0")
		}
		if _, e := s.Sign(ctx, pss(0), priv, data); e == nil || e.Tag != cryptowit.ErrorNotSupported {
			t.Fatalf("sign with saltLength 0: %v, want NotSupportedError", e)
		}
	})

	t.Run("RSA-OAEP", func(t *testing.T) {
		label := []byte("label")
		p := cryptowit.CipherParams{Tag: cryptowit.CipherParamsRsaOaep, RsaOaep: label}
		ct, e := s.Encrypt(ctx, p, imp(cryptowit.AlgorithmNameRsaOaep, cryptowit.KeyFormatSpki, spki), data)
		if e != nil {
			t.Fatal(e)
		}
		if pt, err := rsa.DecryptOAEP(gosha256.New(), nil, goKey, ct, label); err != nil || !bytes.Equal(pt, data) {
			t.Fatalf("Go decrypt: %q, %v", pt, err)
		}
		goCT, _ := rsa.EncryptOAEP(gosha256.New(), rand.Reader, &goKey.PublicKey, data, label)
		if pt, e := s.Decrypt(ctx, p, imp(cryptowit.AlgorithmNameRsaOaep, cryptowit.KeyFormatPkcs8, pkcs8), goCT); e != nil || !bytes.Equal(pt, data) {
			t.Fatalf("host decrypt: %q, %v", pt, e)
		}
	})

	t.Run("jwk", func(t *testing.T) {
		priv := imp(cryptowit.AlgorithmNameRsassaPkcs1, cryptowit.KeyFormatPkcs8, pkcs8)
		j, e := s.ExportKey(ctx, cryptowit.KeyFormatJwk, priv)
		if e != nil {
			t.Fatal(e)
		}
		var got map[string]string
		if err := json.Unmarshal(j, &got); err != nil {
			t.Fatal(err)
		}
		want := map[string]string{"kty": "RSA", "alg": "RS256", "n": b64(goKey.N.Bytes()), "e": "AQAB", "d": b64(goKey.D.Bytes()),
			"p": b64(goKey.Primes[0].Bytes()), "q": b64(goKey.Primes[1].Bytes()),
			"dp": b64(goKey.Precomputed.Dp.Bytes()), "dq": b64(goKey.Precomputed.Dq.Bytes()), "qi": b64(goKey.Precomputed.Qinv.Bytes())}
		for k, v := range want {
			if got[k] != v {
				t.Errorf("jwk %s = %q, want %q", k, got[k], v)
			}
		}
		back := importKey(t, cryptowit.KeyFormatJwk, j, cryptowit.AlgorithmNameRsassaPkcs1, sha256, cryptowit.KeyParams{})
		if !bytes.Equal(back.Material, priv.Material) {
			t.Error("the JWK imports as another key")
		}
	})
}

// signPSSNoSalt makes an RSA-PSS signature with an empty salt (RFC 8017
// §9.1.1), which crypto/rsa cannot.
func signPSSNoSalt(k *rsa.PrivateKey, mHash []byte) []byte {
	emBits := k.N.BitLen() - 1
	emLen := (emBits + 7) / 8
	h := gosha256.New()
	h.Write(make([]byte, 8))
	h.Write(mHash)
	hh := h.Sum(nil)
	db := make([]byte, emLen-len(hh)-1)
	db[len(db)-1] = 1
	var mask []byte
	for c := uint32(0); len(mask) < len(db); c++ {
		m := gosha256.New()
		m.Write(hh)
		m.Write([]byte{byte(c >> 24), byte(c >> 16), byte(c >> 8), byte(c)})
		mask = m.Sum(mask)
	}
	for i := range db {
		db[i] ^= mask[i]
	}
	db[0] &= 0xff >> (8*emLen - emBits)
	em := append(append(db, hh...), 0xbc)
	s := new(big.Int).Exp(new(big.Int).SetBytes(em), k.D, k.N)
	return s.FillBytes(make([]byte, k.Size()))
}

// TestInteropECDSA signs with Go's crypto/ecdsa and the host on each
// curve, keys imported as JWK and PKCS #8; and agrees ECDH secrets.
func TestInteropECDSA(t *testing.T) {
	tests := []struct {
		curve elliptic.Curve
		wit   cryptowit.NamedCurve
		hash  cryptowit.Hash
		h     crypto.Hash
	}{
		{elliptic.P256(), cryptowit.NamedCurveP256, cryptowit.HashSha256, crypto.SHA256},
		{elliptic.P384(), cryptowit.NamedCurveP384, cryptowit.HashSha384, crypto.SHA384},
		{elliptic.P521(), cryptowit.NamedCurveP521, cryptowit.HashSha512, crypto.SHA512},
	}
	s := webcrypto.New()
	data := []byte("the message")
	for _, tt := range tests {
		t.Run(tt.curve.Params().Name, func(t *testing.T) {
			goKey, _ := ecdsa.GenerateKey(tt.curve, rand.Reader)
			params := cryptowit.KeyParams{NamedCurve: abi.Some(tt.wit)}
			n := (tt.curve.Params().BitSize + 7) / 8
			d, _ := goKey.Bytes()
			pt, _ := goKey.PublicKey.Bytes()
			jwk := `{"kty":"EC","crv":"` + tt.curve.Params().Name + `","x":"` + b64(pt[1:1+n]) + `","y":"` + b64(pt[1+n:]) + `","d":"` + b64(d) + `"}`
			priv := importKey(t, cryptowit.KeyFormatJwk, []byte(jwk), cryptowit.AlgorithmNameEcdsa, none, params)
			if pk8 := mustDER(t)(x509.MarshalPKCS8PrivateKey(goKey)); !bytes.Equal(importKey(t, cryptowit.KeyFormatPkcs8, pk8, cryptowit.AlgorithmNameEcdsa, none, params).Material, priv.Material) {
				t.Fatal("the PKCS #8 and JWK imports differ")
			}
			pub := importKey(t, cryptowit.KeyFormatRaw, pt, cryptowit.AlgorithmNameEcdsa, none, params)
			p := cryptowit.SignParams{Tag: cryptowit.SignParamsEcdsa, Ecdsa: tt.hash}
			hd := tt.h.New()
			hd.Write(data)
			digest := hd.Sum(nil)

			sig, e := s.Sign(ctx, p, priv, data)
			if e != nil || len(sig) != 2*n {
				t.Fatalf("sign: %d bytes, %v", len(sig), e)
			}
			r, ss := new(big.Int).SetBytes(sig[:n]), new(big.Int).SetBytes(sig[n:])
			if !ecdsa.Verify(&goKey.PublicKey, digest, r, ss) {
				t.Fatal("host signature does not verify in Go")
			}
			gr, gs, _ := ecdsa.Sign(rand.Reader, goKey, digest)
			goSig := append(gr.FillBytes(make([]byte, n)), gs.FillBytes(make([]byte, n))...)
			if ok, e := s.Verify(ctx, p, pub, goSig, data); !ok || e != nil {
				t.Fatalf("Go signature does not verify on the host: %v, %v", ok, e)
			}
			if ok, e := s.Verify(ctx, p, pub, goSig[1:], data); ok || e != nil {
				t.Fatalf("a short signature: %v, %v; want false", ok, e)
			}

			// ECDH: the host's secret with Go's public key is Go's with the host's.
			ecdhPriv := importKey(t, cryptowit.KeyFormatJwk, []byte(jwk), cryptowit.AlgorithmNameEcdh, none, params)
			g, e := s.GenerateKey(ctx, cryptowit.AlgorithmNameEcdh, none, params)
			if e != nil {
				t.Fatal(e)
			}
			peerSPKI, _ := s.ExportKey(ctx, cryptowit.KeyFormatSpki, g.Pair.PublicKey.Key)
			peer, err := x509.ParsePKIXPublicKey(peerSPKI)
			if err != nil {
				t.Fatal(err)
			}
			goECDH, _ := goKey.ECDH()
			peerECDH, _ := peer.(*ecdsa.PublicKey).ECDH()
			want, _ := goECDH.ECDH(peerECDH)
			dp := cryptowit.DeriveParams{Tag: cryptowit.DeriveParamsEcdh, Ecdh: g.Pair.PublicKey.Key}
			if got, e := s.DeriveBits(ctx, dp, ecdhPriv, abi.Option[uint32]{}); e != nil || !bytes.Equal(got, want) {
				t.Fatalf("ECDH: %x, %v\nwant %x", got, e, want)
			}
			dp.Ecdh = importKey(t, cryptowit.KeyFormatRaw, pt, cryptowit.AlgorithmNameEcdh, none, params)
			if got, e := s.DeriveBits(ctx, dp, g.Pair.PrivateKey.Key, abi.Option[uint32]{}); e != nil || !bytes.Equal(got, want) {
				t.Fatalf("ECDH the other way: %x, %v", got, e)
			}
		})
	}
}

// TestInteropOKP checks Ed25519 signatures and X25519 secrets against Go's.
func TestInteropOKP(t *testing.T) {
	s := webcrypto.New()
	goPub, goPriv, _ := ed25519.GenerateKey(rand.Reader)
	priv := importKey(t, cryptowit.KeyFormatPkcs8, mustDER(t)(x509.MarshalPKCS8PrivateKey(goPriv)), cryptowit.AlgorithmNameEd25519, none, cryptowit.KeyParams{})
	sig, e := s.Sign(ctx, cryptowit.SignParams{Tag: cryptowit.SignParamsEd25519}, priv, []byte("m"))
	if e != nil || !bytes.Equal(sig, ed25519.Sign(goPriv, []byte("m"))) || !ed25519.Verify(goPub, []byte("m"), sig) {
		t.Fatalf("Ed25519: %x, %v", sig, e)
	}

	goX, _ := ecdh.X25519().GenerateKey(rand.Reader)
	g, e := s.GenerateKey(ctx, cryptowit.AlgorithmNameX25519, none, cryptowit.KeyParams{})
	if e != nil {
		t.Fatal(e)
	}
	raw, _ := s.ExportKey(ctx, cryptowit.KeyFormatRaw, g.Pair.PublicKey.Key)
	hostPub, _ := ecdh.X25519().NewPublicKey(raw)
	want, _ := goX.ECDH(hostPub)
	p := cryptowit.DeriveParams{Tag: cryptowit.DeriveParamsX25519, X25519: rawKey(t, cryptowit.AlgorithmNameX25519, none, goX.PublicKey().Bytes())}
	if got, e := s.DeriveBits(ctx, p, g.Pair.PrivateKey.Key, abi.Option[uint32]{}); e != nil || !bytes.Equal(got, want) {
		t.Fatalf("X25519: %x, %v\nwant %x", got, e, want)
	}
}
