package webcrypto_test

import (
	"strings"
	"testing"

	"github.com/bindery-run/bindery/abi"
	"github.com/bindery-run/bindery/host/webcrypto"
	"github.com/bindery-run/bindery/host/webcrypto/cryptowit"
)

// fuzzSeeds are key data of every family in every format: generated
// keys exported by the host, plus hand-written JWKs.
func fuzzSeeds(f *testing.F) (seeds [][]byte) {
	s := webcrypto.New()
	for _, g := range []struct {
		alg cryptowit.AlgorithmName
		h   abi.Option[cryptowit.Hash]
		p   cryptowit.KeyParams
	}{
		{cryptowit.AlgorithmNameAesGcm, none, cryptowit.KeyParams{Length: abi.Some[uint32](128)}},
		{cryptowit.AlgorithmNameHmac, sha256, cryptowit.KeyParams{}},
		{cryptowit.AlgorithmNameRsassaPkcs1, sha256, cryptowit.KeyParams{ModulusLength: abi.Some[uint32](1024), PublicExponent: abi.Some([]byte{1, 0, 1})}},
		{cryptowit.AlgorithmNameEcdsa, none, cryptowit.KeyParams{NamedCurve: abi.Some(cryptowit.NamedCurveP256)}},
		{cryptowit.AlgorithmNameEcdh, none, cryptowit.KeyParams{NamedCurve: abi.Some(cryptowit.NamedCurveP521)}},
		{cryptowit.AlgorithmNameEd25519, none, cryptowit.KeyParams{}},
		{cryptowit.AlgorithmNameX25519, none, cryptowit.KeyParams{}},
	} {
		gk, e := s.GenerateKey(ctx, g.alg, g.h, g.p)
		if e != nil {
			f.Fatal(e)
		}
		for _, k := range []cryptowit.CryptoKey{gk.Secret, gk.Pair.PublicKey, gk.Pair.PrivateKey} {
			for f := range cryptowit.KeyFormat(4) {
				if b, e := s.ExportKey(ctx, f, k.Key); e == nil {
					seeds = append(seeds, b)
				}
			}
		}
	}
	return append(seeds, []byte(`{"kty":"oct","k":"AAAA","alg":"HS256","ext":true,"key_ops":["sign"]}`),
		[]byte(`{"kty":"RSA","n":"AQAB","e":"AQAB","d":"","oth":null}`), []byte(`{"kty":"EC","crv":"P-256","x":"AA==","y":""}`),
		[]byte(`{"kty":"OKP","crv":"Ed25519","x":"11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo"}`), []byte{0x30, 0x80}, nil)
}

// noInternalError fails the fuzz run on a recovered panic: the host turns
// a panic into an OperationError saying "internal error".
func noInternalError(t *testing.T, what string, e *cryptowit.Error) {
	if e != nil && strings.Contains(e.Error(), "internal error") {
		t.Fatalf("%s: %v", what, e)
	}
}

// FuzzImportKey imports arbitrary data (JWK JSON, SPKI and PKCS #8 DER,
// raw) as every algorithm: bad data is an error, never a panic; a key
// that imports also exports and signs or encrypts without one.
func FuzzImportKey(f *testing.F) {
	for _, b := range fuzzSeeds(f) {
		for format := range uint8(4) {
			f.Add(b, format, uint8(0), uint8(2), uint8(0))
		}
	}
	s := webcrypto.New()
	f.Fuzz(func(t *testing.T, data []byte, format, alg, hash, curve uint8) {
		a := cryptowit.AlgorithmName(alg % 14)
		p := cryptowit.KeyParams{NamedCurve: abi.Some(cryptowit.NamedCurve(curve % 3))}
		if curve&0x80 != 0 {
			p.Length = abi.Some(uint32(curve&0x7f) * 8)
		}
		ck, e := s.ImportKey(ctx, cryptowit.KeyFormat(format%4), data, a, abi.Some(cryptowit.Hash(hash%5)), p)
		noInternalError(t, "import", e)
		if e != nil {
			return
		}
		useKey(t, s, ck.Key)
	})
}

// FuzzKeyMaterial passes arbitrary material back as a key, as a guest
// could: every operation fails with an error or works, never panics.
func FuzzKeyMaterial(f *testing.F) {
	for _, b := range fuzzSeeds(f) {
		for kind := range uint8(3) {
			f.Add(b, kind, uint8(8))
		}
	}
	s := webcrypto.New()
	f.Fuzz(func(t *testing.T, material []byte, kind, alg uint8) {
		k := cryptowit.Key{Algorithm: cryptowit.AlgorithmName(alg % 14), Kind: cryptowit.KeyType(kind % 3), Hash: sha256, Material: material}
		useKey(t, s, k)
	})
}

// useKey exports k in every format and runs every operation with it.
func useKey(t *testing.T, s *webcrypto.Subtle, k cryptowit.Key) {
	for f := range cryptowit.KeyFormat(4) {
		_, e := s.ExportKey(ctx, f, k)
		noInternalError(t, "export", e)
	}
	data := []byte("data")
	for tag := range cryptowit.SignParamsTag(5) {
		p := cryptowit.SignParams{Tag: tag, RsaPss: 32, Ecdsa: cryptowit.HashSha256}
		sig, e := s.Sign(ctx, p, k, data)
		noInternalError(t, "sign", e)
		_, e = s.Verify(ctx, p, k, sig, data)
		noInternalError(t, "verify", e)
	}
	for tag := range cryptowit.CipherParamsTag(5) {
		p := cryptowit.CipherParams{Tag: tag, AesGcm: cryptowit.AesGcmParams{Iv: make([]byte, 12), TagLength: 96},
			AesCbc: make([]byte, 16), AesCtr: cryptowit.AesCtrParams{Counter: make([]byte, 16), Length: 64}}
		ct, e := s.Encrypt(ctx, p, k, make([]byte, 16))
		noInternalError(t, "encrypt", e)
		_, e = s.Decrypt(ctx, p, k, ct)
		noInternalError(t, "decrypt", e)
	}
	for tag := range cryptowit.DeriveParamsTag(4) {
		p := cryptowit.DeriveParams{Tag: tag, Ecdh: k, X25519: k, Pbkdf2: cryptowit.Pbkdf2Params{Hash: cryptowit.HashSha1, Iterations: 1}, Hkdf: cryptowit.HkdfParams{Hash: cryptowit.HashSha1}}
		_, e := s.DeriveBits(ctx, p, k, abi.Some[uint32](64))
		noInternalError(t, "deriveBits", e)
	}
}
