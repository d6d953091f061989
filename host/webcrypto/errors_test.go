package webcrypto_test

import (
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"strings"
	"testing"

	"github.com/bindery-run/bindery/abi"
	"github.com/bindery-run/bindery/host/webcrypto"
	"github.com/bindery-run/bindery/host/webcrypto/cryptowit"
)

// TestErrors holds WebCrypto's error names: each bad call fails with the
// DOMException WebCrypto throws for it, and a message.
func TestErrors(t *testing.T) {
	s := webcrypto.New()
	p256 := cryptowit.KeyParams{NamedCurve: abi.Some(cryptowit.NamedCurveP256)}
	p384 := cryptowit.KeyParams{NamedCurve: abi.Some(cryptowit.NamedCurveP384)}
	ecGen := func(alg cryptowit.AlgorithmName, p cryptowit.KeyParams) cryptowit.KeyPair {
		g, e := s.GenerateKey(ctx, alg, none, p)
		if e != nil {
			t.Fatal(e)
		}
		return g.Pair
	}
	ecdsaPair, ecdhPair, ecdh384 := ecGen(cryptowit.AlgorithmNameEcdsa, p256), ecGen(cryptowit.AlgorithmNameEcdh, p256), ecGen(cryptowit.AlgorithmNameEcdh, p384)
	x25519 := ecGen(cryptowit.AlgorithmNameX25519, cryptowit.KeyParams{})
	p384Key, _ := ecdsa.GenerateKey(elliptic.P384(), rand.Reader)
	p384SPKI, _ := x509.MarshalPKIXPublicKey(&p384Key.PublicKey)
	_, edPriv, _ := ed25519.GenerateKey(rand.Reader)
	edPKCS8, _ := x509.MarshalPKCS8PrivateKey(edPriv)
	rsaKey, _ := rsa.GenerateKey(rand.Reader, 1024)
	rsaJWK := `{"kty":"RSA","n":"` + b64(rsaKey.N.Bytes()) + `","e":"AQAB","d":"` + b64(rsaKey.D.Bytes()) + `","p":"` + b64(rsaKey.Primes[0].Bytes()) + `","q":"` + b64(rsaKey.Primes[1].Bytes())
	aes := rawKey(t, cryptowit.AlgorithmNameAesGcm, none, make([]byte, 16))
	pbkdf2 := rawKey(t, cryptowit.AlgorithmNamePbkdf2, none, []byte("password"))
	hkdf := rawKey(t, cryptowit.AlgorithmNameHkdf, none, []byte("ikm"))
	gcm := func(iv []byte, tag uint8) cryptowit.CipherParams { return gcmParams(iv, nil, tag) }
	pbkdf2P := func(iter uint32) cryptowit.DeriveParams {
		return cryptowit.DeriveParams{Tag: cryptowit.DeriveParamsPbkdf2, Pbkdf2: cryptowit.Pbkdf2Params{Hash: cryptowit.HashSha256, Salt: []byte("s"), Iterations: iter}}
	}
	hkdfP := cryptowit.DeriveParams{Tag: cryptowit.DeriveParamsHkdf, Hkdf: cryptowit.HkdfParams{Hash: cryptowit.HashSha256}}
	bits := func(n uint32) abi.Option[uint32] { return abi.Some(n) }
	imp := func(f cryptowit.KeyFormat, data string, alg cryptowit.AlgorithmName, h abi.Option[cryptowit.Hash], p cryptowit.KeyParams) func() *cryptowit.Error {
		return func() *cryptowit.Error { _, e := s.ImportKey(ctx, f, []byte(data), alg, h, p); return e }
	}
	exp := func(f cryptowit.KeyFormat, k cryptowit.Key) func() *cryptowit.Error {
		return func() *cryptowit.Error { _, e := s.ExportKey(ctx, f, k); return e }
	}
	gen := func(alg cryptowit.AlgorithmName, h abi.Option[cryptowit.Hash], p cryptowit.KeyParams) func() *cryptowit.Error {
		return func() *cryptowit.Error { _, e := s.GenerateKey(ctx, alg, h, p); return e }
	}
	enc := func(p cryptowit.CipherParams, k cryptowit.Key, data []byte) func() *cryptowit.Error {
		return func() *cryptowit.Error { _, e := s.Encrypt(ctx, p, k, data); return e }
	}
	dec := func(p cryptowit.CipherParams, k cryptowit.Key, data []byte) func() *cryptowit.Error {
		return func() *cryptowit.Error { _, e := s.Decrypt(ctx, p, k, data); return e }
	}
	sig := func(p cryptowit.SignParams, k cryptowit.Key) func() *cryptowit.Error {
		return func() *cryptowit.Error { _, e := s.Sign(ctx, p, k, nil); return e }
	}
	der := func(p cryptowit.DeriveParams, k cryptowit.Key, n abi.Option[uint32]) func() *cryptowit.Error {
		return func() *cryptowit.Error { _, e := s.DeriveBits(ctx, p, k, n); return e }
	}
	ecdhWith := func(peer cryptowit.Key) cryptowit.DeriveParams {
		return cryptowit.DeriveParams{Tag: cryptowit.DeriveParamsEcdh, Ecdh: peer}
	}
	garbage := cryptowit.Key{Algorithm: cryptowit.AlgorithmNameEcdsa, Kind: cryptowit.KeyTypePublic, Material: []byte{0x30, 3, 1, 2}}
	ecdsaSign := cryptowit.SignParams{Tag: cryptowit.SignParamsEcdsa, Ecdsa: cryptowit.HashSha256}
	NS, DE, IA, OE := cryptowit.ErrorNotSupported, cryptowit.ErrorData, cryptowit.ErrorInvalidAccess, cryptowit.ErrorOperation

	tests := []struct {
		name string
		call func() *cryptowit.Error
		want cryptowit.ErrorTag
		msg  string
	}{
		{"hmac with md5", imp(cryptowit.KeyFormatRaw, "k", cryptowit.AlgorithmNameHmac, abi.Some(cryptowit.HashMd5), cryptowit.KeyParams{}), NS, "MD5 is only for digest"},
		{"hmac without a hash", imp(cryptowit.KeyFormatRaw, "k", cryptowit.AlgorithmNameHmac, none, cryptowit.KeyParams{}), NS, "a hash is required"},
		{"hmac empty", imp(cryptowit.KeyFormatRaw, "", cryptowit.AlgorithmNameHmac, sha256, cryptowit.KeyParams{}), DE, "empty"},
		{"hmac length over the data", imp(cryptowit.KeyFormatRaw, "k", cryptowit.AlgorithmNameHmac, sha256, cryptowit.KeyParams{Length: bits(9)}), DE, "length of 9 bits"},
		{"aes 15 bytes", imp(cryptowit.KeyFormatRaw, "123456789012345", cryptowit.AlgorithmNameAesGcm, none, cryptowit.KeyParams{}), DE, "120 bits"},
		{"aes spki", imp(cryptowit.KeyFormatSpki, "x", cryptowit.AlgorithmNameAesCbc, none, cryptowit.KeyParams{}), NS, "cannot be imported as spki"},
		{"rsa raw", imp(cryptowit.KeyFormatRaw, "x", cryptowit.AlgorithmNameRsaPss, sha256, cryptowit.KeyParams{}), NS, "cannot be imported as raw"},
		{"pbkdf2 jwk", imp(cryptowit.KeyFormatJwk, "{}", cryptowit.AlgorithmNamePbkdf2, none, cryptowit.KeyParams{}), NS, "jwk"},
		{"ec without a curve", imp(cryptowit.KeyFormatRaw, "x", cryptowit.AlgorithmNameEcdsa, none, cryptowit.KeyParams{}), NS, "named curve"},
		{"ec spki on another curve", imp(cryptowit.KeyFormatSpki, string(p384SPKI), cryptowit.AlgorithmNameEcdsa, none, p256), DE, "P-384, not P-256"},
		{"ed25519 pkcs8 as ecdsa", imp(cryptowit.KeyFormatPkcs8, string(edPKCS8), cryptowit.AlgorithmNameEcdsa, none, p256), DE, "a key for Ed25519"},
		{"not der", imp(cryptowit.KeyFormatSpki, "not der", cryptowit.AlgorithmNameEd25519, none, cryptowit.KeyParams{}), DE, "SubjectPublicKeyInfo"},
		{"jwk not json", imp(cryptowit.KeyFormatJwk, "{", cryptowit.AlgorithmNameHmac, sha256, cryptowit.KeyParams{}), DE, "not a JSON object"},
		{"jwk trailing data", imp(cryptowit.KeyFormatJwk, `{"kty":"oct","k":"AA"} {}`, cryptowit.AlgorithmNameHmac, sha256, cryptowit.KeyParams{}), DE, "after its JSON"},
		{"jwk kty", imp(cryptowit.KeyFormatJwk, `{"kty":"RSA","k":"AA"}`, cryptowit.AlgorithmNameHmac, sha256, cryptowit.KeyParams{}), DE, `kty "RSA", not "oct"`},
		{"jwk alg", imp(cryptowit.KeyFormatJwk, `{"kty":"oct","alg":"HS256","k":"AA"}`, cryptowit.AlgorithmNameHmac, sha512, cryptowit.KeyParams{}), DE, `"HS256" is not HS512`},
		{"jwk aes alg", imp(cryptowit.KeyFormatJwk, `{"kty":"oct","alg":"A128CBC","k":"AAAAAAAAAAAAAAAAAAAAAA"}`, cryptowit.AlgorithmNameAesGcm, none, cryptowit.KeyParams{}), DE, "A128GCM"},
		{"jwk not base64url", imp(cryptowit.KeyFormatJwk, `{"kty":"oct","k":"a+b/"}`, cryptowit.AlgorithmNameHmac, sha256, cryptowit.KeyParams{}), DE, "base64url"},
		{"jwk number", imp(cryptowit.KeyFormatJwk, `{"kty":"oct","k":5}`, cryptowit.AlgorithmNameHmac, sha256, cryptowit.KeyParams{}), DE, `"k" is a JSON number, not a string`},
		{"jwk crv", imp(cryptowit.KeyFormatJwk, `{"kty":"EC","crv":"P-384","x":"","y":""}`, cryptowit.AlgorithmNameEcdsa, none, p256), DE, `crv is not "P-256"`},
		{"jwk short x", imp(cryptowit.KeyFormatJwk, `{"kty":"EC","crv":"P-256","x":"AA","y":"AA"}`, cryptowit.AlgorithmNameEcdh, none, p256), DE, `"x" has 1 bytes, not 32`},
		{"jwk es alg", imp(cryptowit.KeyFormatJwk, `{"kty":"EC","crv":"P-256","alg":"ES384"}`, cryptowit.AlgorithmNameEcdsa, none, p256), DE, "ES256"},
		{"jwk okp crv", imp(cryptowit.KeyFormatJwk, `{"kty":"OKP","crv":"X25519","x":"AA"}`, cryptowit.AlgorithmNameEd25519, none, cryptowit.KeyParams{}), DE, `crv is not "Ed25519"`},
		{"jwk rsa without dp", imp(cryptowit.KeyFormatJwk, rsaJWK+`"}`, cryptowit.AlgorithmNameRsaOaep, sha256, cryptowit.KeyParams{}), DE, `no "dp"`},
		{"jwk rsa oth", imp(cryptowit.KeyFormatJwk, rsaJWK+`","oth":[]}`, cryptowit.AlgorithmNameRsaOaep, sha256, cryptowit.KeyParams{}), NS, "multi-prime"},
		{"jwk rsa small", imp(cryptowit.KeyFormatJwk, `{"kty":"RSA","n":"AQAB","e":"AQAB"}`, cryptowit.AlgorithmNameRsaPss, sha256, cryptowit.KeyParams{}), NS, "17-bit modulus"},
		{"export private as spki", exp(cryptowit.KeyFormatSpki, ecdsaPair.PrivateKey.Key), IA, "only a public key"},
		{"export public as pkcs8", exp(cryptowit.KeyFormatPkcs8, ecdsaPair.PublicKey.Key), IA, "only a private key"},
		{"export private as raw", exp(cryptowit.KeyFormatRaw, ecdsaPair.PrivateKey.Key), IA, "only a public key"},
		{"export aes as spki", exp(cryptowit.KeyFormatSpki, aes), NS, "cannot be exported as spki"},
		{"export pbkdf2", exp(cryptowit.KeyFormatRaw, pbkdf2), NS, "cannot be exported"},
		{"garbage material", exp(cryptowit.KeyFormatSpki, garbage), DE, "SubjectPublicKeyInfo"},
		{"secret kind for ecdsa", exp(cryptowit.KeyFormatJwk, cryptowit.Key{Algorithm: cryptowit.AlgorithmNameEcdsa}), DE, "not secret"},
		{"generate aes 100", gen(cryptowit.AlgorithmNameAesCtr, none, cryptowit.KeyParams{Length: bits(100)}), OE, "128, 192 or 256"},
		{"generate hmac 0", gen(cryptowit.AlgorithmNameHmac, sha1, cryptowit.KeyParams{Length: bits(0)}), OE, "zero"},
		{"generate rsa e=3", gen(cryptowit.AlgorithmNameRsaOaep, sha256, cryptowit.KeyParams{ModulusLength: bits(2048), PublicExponent: abi.Some([]byte{3})}), NS, "65537"},
		{"generate rsa 512", gen(cryptowit.AlgorithmNameRsaOaep, sha256, cryptowit.KeyParams{ModulusLength: bits(512), PublicExponent: abi.Some([]byte{1, 0, 1})}), NS, "512-bit"},
		{"generate pbkdf2", gen(cryptowit.AlgorithmNamePbkdf2, none, cryptowit.KeyParams{}), NS, "cannot be generated"},
		{"gcm empty iv", enc(gcm(nil, 128), aes, nil), OE, "iv is empty"},
		{"gcm tag 100", enc(gcm(make([]byte, 12), 100), aes, nil), OE, "tagLength of 100"},
		{"gcm short data", dec(gcm(make([]byte, 12), 128), aes, make([]byte, 15)), OE, "shorter than the 16-byte tag"},
		{"cbc with a gcm key", enc(cryptowit.CipherParams{Tag: cryptowit.CipherParamsAesCbc, AesCbc: make([]byte, 16)}, aes, nil), IA, "the key is for AES-GCM"},
		{"oaep decrypt with a public key", dec(cryptowit.CipherParams{Tag: cryptowit.CipherParamsRsaOaep}, func() cryptowit.Key {
			der, _ := x509.MarshalPKIXPublicKey(&rsaKey.PublicKey)
			return importKey(t, cryptowit.KeyFormatSpki, der, cryptowit.AlgorithmNameRsaOaep, sha1, cryptowit.KeyParams{})
		}(), nil), IA, "needs a private key"},
		{"sign with a public key", sig(ecdsaSign, ecdsaPair.PublicKey.Key), IA, "sign needs a private key"},
		{"sign hmac with aes", sig(cryptowit.SignParams{Tag: cryptowit.SignParamsHmac}, aes), IA, "the key is for AES-GCM"},
		{"ecdsa with md5", sig(cryptowit.SignParams{Tag: cryptowit.SignParamsEcdsa, Ecdsa: cryptowit.HashMd5}, ecdsaPair.PrivateKey.Key), NS, "MD5"},
		{"hmac key with another kind", sig(cryptowit.SignParams{Tag: cryptowit.SignParamsHmac}, cryptowit.Key{Algorithm: cryptowit.AlgorithmNameHmac, Kind: cryptowit.KeyTypePrivate, Hash: sha256}), DE, "secret keys"},
		{"pbkdf2 0 iterations", der(pbkdf2P(0), pbkdf2, bits(256)), OE, "iterations is zero"},
		{"pbkdf2 too many iterations", der(pbkdf2P(100_001), pbkdf2, bits(256)), NS, "at most 100000"},
		{"pbkdf2 too much output", der(pbkdf2P(100_000), pbkdf2, bits(1<<20)), NS, "more work"},
		{"pbkdf2 no length", der(pbkdf2P(1), pbkdf2, abi.Option[uint32]{}), OE, "multiple of 8"},
		{"pbkdf2 7 bits", der(pbkdf2P(1), pbkdf2, bits(7)), OE, "multiple of 8"},
		{"hkdf too long", der(hkdfP, hkdf, bits(256*32*8)), OE, "255 times"},
		{"hkdf with a pbkdf2 key", der(hkdfP, pbkdf2, bits(8)), IA, "for PBKDF2"},
		{"ecdh with a public key", der(ecdhWith(ecdhPair.PublicKey.Key), ecdhPair.PublicKey.Key, bits(8)), IA, "needs a private key"},
		{"ecdh with a private peer", der(ecdhWith(ecdhPair.PrivateKey.Key), ecdhPair.PrivateKey.Key, bits(8)), IA, "not a public one"},
		{"ecdh with an ecdsa peer", der(ecdhWith(ecdsaPair.PublicKey.Key), ecdhPair.PrivateKey.Key, bits(8)), IA, "for ECDSA"},
		{"ecdh across curves", der(ecdhWith(ecdh384.PublicKey.Key), ecdhPair.PrivateKey.Key, bits(8)), IA, "P-256 and P-384"},
		{"ecdh with an x25519 peer", der(ecdhWith(x25519.PublicKey.Key), ecdhPair.PrivateKey.Key, bits(8)), IA, "for X25519"},
		{"hmac sign with md5 key", sig(cryptowit.SignParams{Tag: cryptowit.SignParamsHmac}, cryptowit.Key{Algorithm: cryptowit.AlgorithmNameHmac, Hash: abi.Some(cryptowit.HashMd5), Material: []byte("k")}), NS, "MD5"},
		{"unknown algorithm", gen(cryptowit.AlgorithmName(99), none, cryptowit.KeyParams{}), NS, "not one this host knows"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := tt.call()
			if e == nil {
				t.Fatalf("no error; want %d (%s)", tt.want, tt.msg)
			}
			if e.Tag != tt.want || !strings.Contains(e.Error(), tt.msg) {
				t.Fatalf("%v; want case %d with %q", e, tt.want, tt.msg)
			}
			t.Log(e)
			if strings.Contains(e.Error(), "webcrypto:") {
				t.Errorf("%v: the guest's message repeats the Go prefix", e)
			}
		})
	}
}
