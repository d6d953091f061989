package webcrypto_test

import (
	"bytes"
	"context"
	"crypto/aes"
	"crypto/cipher"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"strings"
	"testing"

	"github.com/bindery-run/bindery/abi"
	"github.com/bindery-run/bindery/host/webcrypto"
	"github.com/bindery-run/bindery/host/webcrypto/cryptowit"
)

var ctx = context.Background()

func unhex(t testing.TB, s string) []byte {
	t.Helper()
	b, err := hex.DecodeString(strings.ReplaceAll(s, " ", ""))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func b64(b []byte) string { return base64.RawURLEncoding.EncodeToString(b) }

var (
	sha1   = abi.Some(cryptowit.HashSha1)
	sha256 = abi.Some(cryptowit.HashSha256)
	sha384 = abi.Some(cryptowit.HashSha384)
	sha512 = abi.Some(cryptowit.HashSha512)
	none   = abi.Option[cryptowit.Hash]{}
)

// importKey imports or fails the test.
func importKey(t testing.TB, format cryptowit.KeyFormat, data []byte, alg cryptowit.AlgorithmName, h abi.Option[cryptowit.Hash], p cryptowit.KeyParams) cryptowit.Key {
	t.Helper()
	k, e := webcrypto.New().ImportKey(ctx, format, data, alg, h, p)
	if e != nil {
		t.Fatalf("import %v: %v", alg, e)
	}
	return k.Key
}

func rawKey(t testing.TB, alg cryptowit.AlgorithmName, h abi.Option[cryptowit.Hash], key []byte) cryptowit.Key {
	t.Helper()
	return importKey(t, cryptowit.KeyFormatRaw, key, alg, h, cryptowit.KeyParams{})
}

func TestDigest(t *testing.T) {
	tests := []struct {
		hash cryptowit.Hash
		want string
	}{
		{cryptowit.HashMd5, "900150983cd24fb0d6963f7d28e17f72"},
		{cryptowit.HashSha1, "a9993e364706816aba3e25717850c26c9cd0d89d"},
		{cryptowit.HashSha256, "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"},
		{cryptowit.HashSha384, "cb00753f45a35e8bb5a03d699ac65007272c32ab0eded1631a8b605a43ff5bed8086072ba1e7cc2358baeca134c825a7"},
		{cryptowit.HashSha512, "ddaf35a193617abacc417349ae20413112e6fa4e89a97ea20a9eeee64b55d39a2192992a274fc1a836ba3c23a3feebbd454d4423643ce80e2a9ac94fa54ca49f"},
	}
	s := webcrypto.New()
	for _, tt := range tests {
		t.Run(tt.want[:8], func(t *testing.T) {
			got, e := s.Digest(ctx, tt.hash, []byte("abc"))
			if e != nil || hex.EncodeToString(got) != tt.want {
				t.Errorf("digest: %x, %v; want %s", got, e, tt.want)
			}
			// The streaming hasher agrees, and starts over after finish.
			h := s.HasherStart(ctx, tt.hash)
			for range 2 {
				h.Write(ctx, []byte("a"))
				h.Write(ctx, []byte("bc"))
				if got := hex.EncodeToString(h.Finish(ctx)); got != tt.want {
					t.Errorf("hasher: %s, want %s", got, tt.want)
				}
			}
		})
	}
}

// TestHMAC checks RFC 4231 (SHA-2) and RFC 2202 (SHA-1) vectors, through
// raw and JWK imports.
func TestHMAC(t *testing.T) {
	key1 := bytes.Repeat([]byte{0x0b}, 20)
	tests := []struct {
		name string
		hash abi.Option[cryptowit.Hash]
		key  []byte
		data string
		want string
	}{
		{"rfc2202-1/sha1", sha1, key1, "Hi There", "b617318655057264e28bc0b6fb378c8ef146be00"},
		{"rfc4231-1/sha256", sha256, key1, "Hi There", "b0344c61d8db38535ca8afceaf0bf12b881dc200c9833da726e9376c2e32cff7"},
		{"rfc4231-1/sha384", sha384, key1, "Hi There", "afd03944d84895626b0825f4ab46907f15f9dadbe4101ec682aa034c7cebc59cfaea9ea9076ede7f4af152e8b2fa9cb6"},
		{"rfc4231-1/sha512", sha512, key1, "Hi There", "87aa7cdea5ef619d4ff0b4241a1d6cb02379f4e2ce4ec2787ad0b30545e17cdedaa833b7d6b8a702038b274eaea3f4e4be9d914eeb61f1702e696c203a126854"},
		{"rfc4231-2/sha256", sha256, []byte("Jefe"), "what do ya want for nothing?", "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843"},
	}
	s := webcrypto.New()
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			want := unhex(t, tt.want)
			alg := "HS" + map[cryptowit.Hash]string{cryptowit.HashSha1: "1", cryptowit.HashSha256: "256", cryptowit.HashSha384: "384", cryptowit.HashSha512: "512"}[tt.hash.Value]
			jwk := `{"kty":"oct","alg":"` + alg + `","k":"` + b64(tt.key) + `","ext":true,"key_ops":["sign"]}`
			for _, k := range []cryptowit.Key{
				rawKey(t, cryptowit.AlgorithmNameHmac, tt.hash, tt.key),
				importKey(t, cryptowit.KeyFormatJwk, []byte(jwk), cryptowit.AlgorithmNameHmac, tt.hash, cryptowit.KeyParams{}),
			} {
				mac, e := s.Sign(ctx, cryptowit.SignParams{Tag: cryptowit.SignParamsHmac}, k, []byte(tt.data))
				if e != nil || !bytes.Equal(mac, want) {
					t.Fatalf("sign: %x, %v", mac, e)
				}
				ok, e := s.Verify(ctx, cryptowit.SignParams{Tag: cryptowit.SignParamsHmac}, k, want, []byte(tt.data))
				if e != nil || !ok {
					t.Fatalf("verify: %v, %v", ok, e)
				}
				ok, _ = s.Verify(ctx, cryptowit.SignParams{Tag: cryptowit.SignParamsHmac}, k, want[:len(want)-1], []byte(tt.data))
				if ok {
					t.Fatal("a truncated MAC verified")
				}
			}
		})
	}
}

func gcmParams(iv, ad []byte, tagBits uint8) cryptowit.CipherParams {
	return cryptowit.CipherParams{Tag: cryptowit.CipherParamsAesGcm, AesGcm: cryptowit.AesGcmParams{Iv: iv, AdditionalData: ad, TagLength: tagBits}}
}

// TestAESGCM checks the GCM specification's test cases 2, 3, 4 and 6
// (a 60-byte IV), with full and truncated tags.
func TestAESGCM(t *testing.T) {
	k3 := "feffe9928665731c6d6a8f9467308308"
	p3 := "d9313225f88406e5a55909c5aff5269a86a7a9531534f7da2e4c303d8a318a721c3c0c95956809532fcf0e2449a6b525b16aedf5aa0de657ba637b391aafd255"
	c3 := "42831ec2217774244b7221b784d0d49ce3aa212f2c02a4e035c17e2329aca12e21d514b25466931c7d8f6a5aac84aa051ba30b396a0aac973d58e091473f5985"
	ad := "feedfacedeadbeeffeedfacedeadbeefabaddad2"
	tests := []struct {
		name                string
		key, iv, ad, pt, ct string
		tag                 string
	}{
		{"tc2", "00000000000000000000000000000000", "000000000000000000000000", "", "00000000000000000000000000000000", "0388dace60b6a392f328c2b971b2fe78", "ab6e47d42cec13bdf53a67b21257bddf"},
		{"tc3", k3, "cafebabefacedbaddecaf888", "", p3, c3, "4d5c2af327cd64a62cf35abd2ba6fab4"},
		{"tc4", k3, "cafebabefacedbaddecaf888", ad, p3[:120], c3[:120], "5bc94fbc3221a5db94fae95ae7121a47"},
		{"tc6", k3, "9313225df88406e555909c5aff5269aa6a7a9538534f7da1e4c303d2a318a728c3c0c95156809539fcf0e2429a6b525416aedbf5a0de6a57a637b39b", ad, p3[:120],
			"8ce24998625615b603a033aca13fb894be9112a5c3a211a8ba262a3cca7e2ca701e4a9a4fba43c90ccdcb281d48c7c6fd62875d2aca417034c34aee5", "619cc5aefffe0bfa462af43c1699d050"},
	}
	s := webcrypto.New()
	for _, tt := range tests {
		for _, tagBits := range []uint8{128, 96, 32} {
			t.Run(fmt.Sprintf("%s/tag%d", tt.name, tagBits), func(t *testing.T) {
				k := rawKey(t, cryptowit.AlgorithmNameAesGcm, none, unhex(t, tt.key))
				p := gcmParams(unhex(t, tt.iv), unhex(t, tt.ad), tagBits)
				want := append(unhex(t, tt.ct), unhex(t, tt.tag)[:tagBits/8]...)
				got, e := s.Encrypt(ctx, p, k, unhex(t, tt.pt))
				if e != nil || !bytes.Equal(got, want) {
					t.Fatalf("encrypt: %x, %v\nwant %x", got, e, want)
				}
				pt, e := s.Decrypt(ctx, p, k, want)
				if e != nil || !bytes.Equal(pt, unhex(t, tt.pt)) {
					t.Fatalf("decrypt: %x, %v", pt, e)
				}
				bad := bytes.Clone(want)
				bad[len(bad)-1] ^= 1
				if _, e := s.Decrypt(ctx, p, k, bad); e == nil || e.Tag != cryptowit.ErrorOperation {
					t.Fatalf("decrypt of a bad tag: %v, want an OperationError", e)
				}
			})
		}
	}
}

// TestAESCBCCTR checks NIST SP 800-38A F.2.1 (CBC) and F.5.1 (CTR).
func TestAESCBCCTR(t *testing.T) {
	s := webcrypto.New()
	key := unhex(t, "2b7e151628aed2a6abf7158809cf4f3c")
	pt := unhex(t, "6bc1bee22e409f96e93d7e117393172a ae2d8a571e03ac9c9eb76fac45af8e51")

	cbcKey := rawKey(t, cryptowit.AlgorithmNameAesCbc, none, key)
	cbcP := cryptowit.CipherParams{Tag: cryptowit.CipherParamsAesCbc, AesCbc: unhex(t, "000102030405060708090a0b0c0d0e0f")}
	ct, e := s.Encrypt(ctx, cbcP, cbcKey, pt)
	if e != nil || len(ct) != 48 || !bytes.Equal(ct[:32], unhex(t, "7649abac8119b246cee98e9b12e9197d 5086cb9b507219ee95db113a917678b2")) {
		t.Fatalf("CBC encrypt: %x, %v", ct, e)
	}
	if got, e := s.Decrypt(ctx, cbcP, cbcKey, ct); e != nil || !bytes.Equal(got, pt) {
		t.Fatalf("CBC decrypt: %x, %v", got, e)
	}
	if _, e := s.Decrypt(ctx, cbcP, cbcKey, ct[:32]); e == nil || e.Tag != cryptowit.ErrorOperation {
		t.Fatalf("CBC decrypt without the padding block: %v, want an OperationError", e)
	}

	ctrKey := rawKey(t, cryptowit.AlgorithmNameAesCtr, none, key)
	counter := unhex(t, "f0f1f2f3f4f5f6f7f8f9fafbfcfdfeff")
	want := unhex(t, "874d6191b620e3261bef6864990db6ce 9806f66b7970fdff8617187bb9fffdff")
	for _, bits := range []uint8{128, 64, 16} {
		p := cryptowit.CipherParams{Tag: cryptowit.CipherParamsAesCtr, AesCtr: cryptowit.AesCtrParams{Counter: counter, Length: bits}}
		if got, e := s.Encrypt(ctx, p, ctrKey, pt); e != nil || !bytes.Equal(got, want) {
			t.Errorf("CTR length %d: %x, %v", bits, got, e)
		}
	}
	// With 8 counter bits the low byte wraps from ff to 00 without a carry:
	// the second block is the encryption of ...fdfe00, not ...fdff00.
	p8 := cryptowit.CipherParams{Tag: cryptowit.CipherParamsAesCtr, AesCtr: cryptowit.AesCtrParams{Counter: counter, Length: 8}}
	got, e := s.Encrypt(ctx, p8, ctrKey, pt)
	wrapped := cryptowit.CipherParams{Tag: cryptowit.CipherParamsAesCtr, AesCtr: cryptowit.AesCtrParams{Counter: unhex(t, "f0f1f2f3f4f5f6f7f8f9fafbfcfdfe00"), Length: 128}}
	second, _ := s.Encrypt(ctx, wrapped, ctrKey, pt[16:])
	if e != nil || !bytes.Equal(got[:16], want[:16]) || !bytes.Equal(got[16:], second) {
		t.Errorf("CTR length 8: %x, %v; second block want %x", got, e, second)
	}
	p1 := cryptowit.CipherParams{Tag: cryptowit.CipherParamsAesCtr, AesCtr: cryptowit.AesCtrParams{Counter: counter, Length: 1}}
	if _, e := s.Encrypt(ctx, p1, ctrKey, make([]byte, 33)); e == nil || e.Tag != cryptowit.ErrorOperation {
		t.Errorf("3 blocks with a 1-bit counter: %v, want an OperationError", e)
	}
}

// TestAESKW checks RFC 3394 §4.1 and §4.6.
func TestAESKW(t *testing.T) {
	tests := []struct{ kek, data, want string }{
		{"000102030405060708090A0B0C0D0E0F", "00112233445566778899AABBCCDDEEFF", "1FA68B0A8112B447AEF34BD8FB5A7B829D3E862371D2CFE5"},
		{"000102030405060708090A0B0C0D0E0F101112131415161718191A1B1C1D1E1F", "00112233445566778899AABBCCDDEEFF000102030405060708090A0B0C0D0E0F",
			"28C9F404C4B810F4CBCCB35CFB87F8263F5786E2D80ED326CBC7F0E71A99F43BFB988B9B7A02DD21"},
	}
	s := webcrypto.New()
	p := cryptowit.CipherParams{Tag: cryptowit.CipherParamsAesKw}
	for _, tt := range tests {
		t.Run(tt.want[:8], func(t *testing.T) {
			k := rawKey(t, cryptowit.AlgorithmNameAesKw, none, unhex(t, tt.kek))
			got, e := s.Encrypt(ctx, p, k, unhex(t, tt.data))
			if e != nil || !bytes.Equal(got, unhex(t, tt.want)) {
				t.Fatalf("wrap: %X, %v", got, e)
			}
			back, e := s.Decrypt(ctx, p, k, got)
			if e != nil || !bytes.Equal(back, unhex(t, tt.data)) {
				t.Fatalf("unwrap: %X, %v", back, e)
			}
			got[3] ^= 1
			if _, e := s.Decrypt(ctx, p, k, got); e == nil || e.Tag != cryptowit.ErrorOperation {
				t.Fatalf("unwrap of altered data: %v, want an OperationError", e)
			}
		})
	}
}

func derive(t *testing.T, alg cryptowit.AlgorithmName, p cryptowit.DeriveParams, secret []byte, bits uint32) ([]byte, *cryptowit.Error) {
	t.Helper()
	return webcrypto.New().DeriveBits(ctx, p, rawKey(t, alg, none, secret), abi.Some(bits))
}

// TestPBKDF2 checks RFC 6070 (SHA-1) and RFC 7914 §11 (SHA-256).
func TestPBKDF2(t *testing.T) {
	tests := []struct {
		hash       cryptowit.Hash
		pass, salt string
		iter       uint32
		want       string
	}{
		{cryptowit.HashSha1, "password", "salt", 1, "0c60c80f961f0e71f3a9b524af6012062fe037a6"},
		{cryptowit.HashSha1, "password", "salt", 2, "ea6c014dc72d6f8ccd1ed92ace1d41f0d8de8957"},
		{cryptowit.HashSha1, "password", "salt", 4096, "4b007901b765489abead49d926f721d065a429c1"},
		{cryptowit.HashSha1, "passwordPASSWORDpassword", "saltSALTsaltSALTsaltSALTsaltSALTsalt", 4096, "3d2eec4fe41c849b80c8d83662c0e44a8b291a964cf2f07038"},
		{cryptowit.HashSha1, "pass\x00word", "sa\x00lt", 4096, "56fa6aa75548099dcc37d7f03425e0c3"},
		{cryptowit.HashSha256, "passwd", "salt", 1, "55ac046e56e3089fec1691c22544b605f94185216dde0465e68b9d57c20dacbc49ca9cccf179b645991664b39d77ef317c71b845b1e30bd509112041d3a19783"},
		{cryptowit.HashSha256, "Password", "NaCl", 80000, "4ddcd8f60b98be21830cee5ef22701f9641a4418d04c0414aeff08876b34ab56a1d425a1225833549adb841b51c9b3176a272bdebba1d078478f62b397f33c8d"},
	}
	for _, tt := range tests {
		t.Run(tt.want[:8], func(t *testing.T) {
			want := unhex(t, tt.want)
			p := cryptowit.DeriveParams{Tag: cryptowit.DeriveParamsPbkdf2, Pbkdf2: cryptowit.Pbkdf2Params{Hash: tt.hash, Salt: []byte(tt.salt), Iterations: tt.iter}}
			got, e := derive(t, cryptowit.AlgorithmNamePbkdf2, p, []byte(tt.pass), uint32(len(want)*8))
			if e != nil || !bytes.Equal(got, want) {
				t.Fatalf("%x, %v", got, e)
			}
		})
	}
}

// TestHKDF checks RFC 5869 test cases 1, 3 and 4.
func TestHKDF(t *testing.T) {
	tests := []struct {
		name                  string
		hash                  cryptowit.Hash
		ikm, salt, info, want string
	}{
		{"tc1", cryptowit.HashSha256, strings.Repeat("0b", 22), "000102030405060708090a0b0c", "f0f1f2f3f4f5f6f7f8f9",
			"3cb25f25faacd57a90434f64d0362f2a2d2d0a90cf1a5a4c5db02d56ecc4c5bf34007208d5b887185865"},
		{"tc3", cryptowit.HashSha256, strings.Repeat("0b", 22), "", "",
			"8da4e775a563c18f715f802a063c5a31b8a11f5c5ee1879ec3454e5f3c738d2d9d201395faa4b61a96c8"},
		{"tc4", cryptowit.HashSha1, strings.Repeat("0b", 11), "000102030405060708090a0b0c", "f0f1f2f3f4f5f6f7f8f9",
			"085a01ea1b10f36933068b56efa5ad81a4f14b822f5b091568a9cdd4f155fda2c22e422478d305f3f896"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			want := unhex(t, tt.want)
			p := cryptowit.DeriveParams{Tag: cryptowit.DeriveParamsHkdf, Hkdf: cryptowit.HkdfParams{Hash: tt.hash, Salt: unhex(t, tt.salt), Info: unhex(t, tt.info)}}
			got, e := derive(t, cryptowit.AlgorithmNameHkdf, p, unhex(t, tt.ikm), uint32(len(want)*8))
			if e != nil || !bytes.Equal(got, want) {
				t.Fatalf("%x, %v", got, e)
			}
		})
	}
}

// TestEd25519 checks RFC 8032 §7.1 tests 1 and 2, with keys imported as
// JWK, raw (public) and through PKCS #8 and SPKI exports.
func TestEd25519(t *testing.T) {
	tests := []struct{ secret, public, msg, sig string }{
		{"9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60", "d75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a", "",
			"e5564300c360ac729086e2cc806e828a84877f1eb8e5d974d873e065224901555fb8821590a33bacc61e39701cf9b46bd25bf5f0595bbe24655141438e7a100b"},
		{"4ccd089b28ff96da9db6c346ec114e0f5b8a319f35aba624da8cf6ed4fb8a6fb", "3d4017c3e843895a92b70aa74d1b7ebc9c982ccf2ec4968cc0cd55f12af4660c", "72",
			"92a009a9f0d4cab8720e820b5f642540a2b27b5416503f8fb3762223ebdb69da085ac1e43e15996e458f3613d0f11d8c387b2eaeb4302aeeb00d291612bb0c00"},
	}
	s := webcrypto.New()
	ed := cryptowit.SignParams{Tag: cryptowit.SignParamsEd25519}
	for _, tt := range tests {
		t.Run(tt.public[:8], func(t *testing.T) {
			jwk := `{"kty":"OKP","crv":"Ed25519","alg":"EdDSA","x":"` + b64(unhex(t, tt.public)) + `","d":"` + b64(unhex(t, tt.secret)) + `"}`
			priv := importKey(t, cryptowit.KeyFormatJwk, []byte(jwk), cryptowit.AlgorithmNameEd25519, none, cryptowit.KeyParams{})
			pkcs8, e := s.ExportKey(ctx, cryptowit.KeyFormatPkcs8, priv)
			if e != nil {
				t.Fatal(e)
			}
			priv = importKey(t, cryptowit.KeyFormatPkcs8, pkcs8, cryptowit.AlgorithmNameEd25519, none, cryptowit.KeyParams{})
			sig, e := s.Sign(ctx, ed, priv, unhex(t, tt.msg))
			if e != nil || hex.EncodeToString(sig) != tt.sig {
				t.Fatalf("sign: %x, %v", sig, e)
			}
			pub := rawKey(t, cryptowit.AlgorithmNameEd25519, none, unhex(t, tt.public))
			spki, _ := s.ExportKey(ctx, cryptowit.KeyFormatSpki, pub)
			for _, k := range []cryptowit.Key{pub, importKey(t, cryptowit.KeyFormatSpki, spki, cryptowit.AlgorithmNameEd25519, none, cryptowit.KeyParams{})} {
				if ok, e := s.Verify(ctx, ed, k, sig, unhex(t, tt.msg)); !ok || e != nil {
					t.Fatalf("verify: %v, %v", ok, e)
				}
				if ok, _ := s.Verify(ctx, ed, k, sig, []byte("other")); ok {
					t.Fatal("a signature of another message verified")
				}
			}
		})
	}
}

// TestX25519 checks RFC 7748 §6.1 both ways, with bit lengths.
func TestX25519(t *testing.T) {
	alicePriv := unhex(t, "77076d0a7318a57d3c16c17251b26645df4c2f87ebc0992ab177fba51db92c2a")
	alicePub := unhex(t, "8520f0098930a754748b7ddcb43ef75a0dbf3a0d26381af4eba4a98eaa9b4e6a")
	bobPriv := unhex(t, "5dab087e624a8a4b79e17f8b83800ee66f3bb1292618b6fd1c2f8b27ff88e0eb")
	bobPub := unhex(t, "de9edb7d7b7dc1b4d35b61c2ece435373f8343c85b78674dadfc7e146f882b4f")
	shared := "4a5d9d5ba4ce2de1728e3bf480350f25e07e21c947d19e3376f09b3c1e161742"
	s := webcrypto.New()
	jwk := func(x, d []byte) []byte {
		return []byte(`{"kty":"OKP","crv":"X25519","x":"` + b64(x) + `","d":"` + b64(d) + `"}`)
	}
	alice := importKey(t, cryptowit.KeyFormatJwk, jwk(alicePub, alicePriv), cryptowit.AlgorithmNameX25519, none, cryptowit.KeyParams{})
	bob := importKey(t, cryptowit.KeyFormatJwk, jwk(bobPub, bobPriv), cryptowit.AlgorithmNameX25519, none, cryptowit.KeyParams{})
	for _, c := range []struct {
		priv cryptowit.Key
		peer []byte
	}{{alice, bobPub}, {bob, alicePub}} {
		p := cryptowit.DeriveParams{Tag: cryptowit.DeriveParamsX25519, X25519: rawKey(t, cryptowit.AlgorithmNameX25519, none, c.peer)}
		got, e := s.DeriveBits(ctx, p, c.priv, abi.Option[uint32]{})
		if e != nil || hex.EncodeToString(got) != shared {
			t.Fatalf("derive: %x, %v", got, e)
		}
		got, e = s.DeriveBits(ctx, p, c.priv, abi.Some[uint32](12))
		if e != nil || hex.EncodeToString(got) != "4a50" {
			t.Fatalf("derive 12 bits: %x, %v", got, e)
		}
		if _, e := s.DeriveBits(ctx, p, c.priv, abi.Some[uint32](264)); e == nil || e.Tag != cryptowit.ErrorOperation {
			t.Fatalf("derive 264 bits: %v, want an OperationError", e)
		}
	}
	// A JWK whose x is not the public key of its d.
	if _, e := s.ImportKey(ctx, cryptowit.KeyFormatJwk, jwk(bobPub, alicePriv), cryptowit.AlgorithmNameX25519, none, cryptowit.KeyParams{}); e == nil || e.Tag != cryptowit.ErrorData {
		t.Fatalf("mismatched JWK: %v, want a DataError", e)
	}
}

// TestJWKRoundTrip generates a key of every kind, exports it in every
// format its type allows, imports each export and exports it again.
func TestJWKRoundTrip(t *testing.T) {
	p256, p521 := abi.Some(cryptowit.NamedCurveP256), abi.Some(cryptowit.NamedCurveP521)
	tests := []struct {
		name   string
		alg    cryptowit.AlgorithmName
		hash   abi.Option[cryptowit.Hash]
		params cryptowit.KeyParams
	}{
		{"aes-gcm", cryptowit.AlgorithmNameAesGcm, none, cryptowit.KeyParams{Length: abi.Some[uint32](256)}},
		{"aes-kw", cryptowit.AlgorithmNameAesKw, none, cryptowit.KeyParams{Length: abi.Some[uint32](128)}},
		{"hmac", cryptowit.AlgorithmNameHmac, sha384, cryptowit.KeyParams{}},
		{"rsa-pss", cryptowit.AlgorithmNameRsaPss, sha256, cryptowit.KeyParams{ModulusLength: abi.Some[uint32](1024), PublicExponent: abi.Some([]byte{1, 0, 1})}},
		{"ecdsa-p256", cryptowit.AlgorithmNameEcdsa, none, cryptowit.KeyParams{NamedCurve: p256}},
		{"ecdh-p521", cryptowit.AlgorithmNameEcdh, none, cryptowit.KeyParams{NamedCurve: p521}},
		{"ed25519", cryptowit.AlgorithmNameEd25519, none, cryptowit.KeyParams{}},
		{"x25519", cryptowit.AlgorithmNameX25519, none, cryptowit.KeyParams{}},
	}
	s := webcrypto.New()
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			g, e := s.GenerateKey(ctx, tt.alg, tt.hash, tt.params)
			if e != nil {
				t.Fatal(e)
			}
			keys := []cryptowit.CryptoKey{g.Secret}
			if g.Tag == cryptowit.GeneratedKeyPair {
				keys = []cryptowit.CryptoKey{g.Pair.PublicKey, g.Pair.PrivateKey}
			}
			for _, ck := range keys {
				formats := map[cryptowit.KeyType][]cryptowit.KeyFormat{
					cryptowit.KeyTypeSecret:  {cryptowit.KeyFormatRaw, cryptowit.KeyFormatJwk},
					cryptowit.KeyTypePublic:  {cryptowit.KeyFormatSpki, cryptowit.KeyFormatJwk, cryptowit.KeyFormatRaw},
					cryptowit.KeyTypePrivate: {cryptowit.KeyFormatPkcs8, cryptowit.KeyFormatJwk},
				}[ck.Key.Kind]
				for _, f := range formats {
					if f == cryptowit.KeyFormatRaw && tt.alg == cryptowit.AlgorithmNameRsaPss {
						continue
					}
					data, e := s.ExportKey(ctx, f, ck.Key)
					if e != nil {
						t.Fatalf("export %v: %v", f, e)
					}
					if f == cryptowit.KeyFormatJwk && !json.Valid(data) {
						t.Fatalf("export jwk: %s", data)
					}
					back, e := s.ImportKey(ctx, f, data, tt.alg, tt.hash, cryptowit.KeyParams{NamedCurve: tt.params.NamedCurve})
					if e != nil {
						t.Fatalf("import %v %s: %v", f, data, e)
					}
					if back.Key.Kind != ck.Key.Kind || !bytes.Equal(back.Key.Material, ck.Key.Material) {
						t.Fatalf("%v round trip: %v %x, want %v %x", f, back.Key.Kind, back.Key.Material, ck.Key.Kind, ck.Key.Material)
					}
					again, _ := s.ExportKey(ctx, f, back.Key)
					if !bytes.Equal(again, data) {
						t.Fatalf("%v exported twice: %s, then %s", f, data, again)
					}
				}
			}
		})
	}
}

var base64URL = base64.RawURLEncoding

// newGCM is Go's AES-GCM with a 12-byte nonce.
func newGCM(t testing.TB, key []byte) cipher.AEAD {
	t.Helper()
	b, err := aes.NewCipher(key)
	if err != nil {
		t.Fatal(err)
	}
	g, err := cipher.NewGCM(b)
	if err != nil {
		t.Fatal(err)
	}
	return g
}
