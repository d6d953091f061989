package webcrypto_test

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"testing"

	"github.com/bindery-run/bindery/abi"
	"github.com/bindery-run/bindery/host/webcrypto"
	"github.com/bindery-run/bindery/host/webcrypto/cryptowit"
)

// BenchmarkVerify measures a JWT check on the host: the key parsed from
// its material, the signature verified (what every call costs, since the
// host keeps no keys).
func BenchmarkVerify(b *testing.B) {
	rsaKey, _ := rsa.GenerateKey(rand.Reader, 2048)
	ecKey, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	s := webcrypto.New()
	data := []byte("header.payload")
	for _, bb := range []struct {
		name string
		alg  cryptowit.AlgorithmName
		pub  any
		priv any
		p    cryptowit.SignParams
		ps   cryptowit.KeyParams
	}{
		{"RS256", cryptowit.AlgorithmNameRsassaPkcs1, &rsaKey.PublicKey, rsaKey, cryptowit.SignParams{Tag: cryptowit.SignParamsRsassaPkcs1}, cryptowit.KeyParams{}},
		{"ES256", cryptowit.AlgorithmNameEcdsa, &ecKey.PublicKey, ecKey, cryptowit.SignParams{Tag: cryptowit.SignParamsEcdsa, Ecdsa: cryptowit.HashSha256},
			cryptowit.KeyParams{NamedCurve: abi.Some(cryptowit.NamedCurveP256)}},
	} {
		spki, _ := x509.MarshalPKIXPublicKey(bb.pub)
		pkcs8, _ := x509.MarshalPKCS8PrivateKey(bb.priv)
		pub := importKey(b, cryptowit.KeyFormatSpki, spki, bb.alg, sha256, bb.ps)
		priv := importKey(b, cryptowit.KeyFormatPkcs8, pkcs8, bb.alg, sha256, bb.ps)
		sig, e := s.Sign(ctx, bb.p, priv, data)
		if e != nil {
			b.Fatal(e)
		}
		b.Run(bb.name+"/verify", func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				if ok, e := s.Verify(ctx, bb.p, pub, sig, data); !ok || e != nil {
					b.Fatal(ok, e)
				}
			}
		})
		b.Run(bb.name+"/sign", func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				if _, e := s.Sign(ctx, bb.p, priv, data); e != nil {
					b.Fatal(e)
				}
			}
		})
	}
}
