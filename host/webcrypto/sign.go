package webcrypto

import (
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/hmac"
	"crypto/rand"
	"crypto/rsa"
	"crypto/subtle"
	"math/big"

	"github.com/bindery-run/bindery/host/webcrypto/cryptowit"
)

// signAlgorithm is the key algorithm each case of sign-params needs.
var signAlgorithm = [...]cryptowit.AlgorithmName{
	cryptowit.SignParamsHmac:        cryptowit.AlgorithmNameHmac,
	cryptowit.SignParamsRsassaPkcs1: cryptowit.AlgorithmNameRsassaPkcs1,
	cryptowit.SignParamsRsaPss:      cryptowit.AlgorithmNameRsaPss,
	cryptowit.SignParamsEcdsa:       cryptowit.AlgorithmNameEcdsa,
	cryptowit.SignParamsEd25519:     cryptowit.AlgorithmNameEd25519,
}

// signingKey parses k and checks that it fits p and the direction: a
// private key signs, a public key verifies (HMAC: the secret key does both).
func signingKey(p cryptowit.SignParams, k cryptowit.Key, signing bool) (*key, error) {
	if int(p.Tag) >= len(signAlgorithm) {
		return nil, notSupported("sign algorithm %d is not one this host knows", p.Tag)
	}
	want := signAlgorithm[p.Tag]
	if k.Algorithm != want {
		return nil, invalidAccess("%s: the key is for %s", algName(want), algName(k.Algorithm))
	}
	pk, err := parseKey(k)
	if err != nil {
		return nil, err
	}
	need := cryptowit.KeyTypePublic
	if signing {
		need = cryptowit.KeyTypePrivate
	}
	if pk.info.fam != famHMAC && pk.kind != need {
		return nil, invalidAccess("%s: %s needs a %s key, not a %s one", pk.info.name, map[bool]string{true: "sign", false: "verify"}[signing], kindName(need), kindName(pk.kind))
	}
	return pk, nil
}

// sign signs data with k.
func sign(p cryptowit.SignParams, k cryptowit.Key, data []byte) ([]byte, error) {
	pk, err := signingKey(p, k, true)
	if err != nil {
		return nil, err
	}
	switch p.Tag {
	case cryptowit.SignParamsHmac:
		m := hmac.New(pk.hash.new, pk.secret)
		m.Write(data)
		return m.Sum(nil), nil
	case cryptowit.SignParamsRsassaPkcs1:
		sig, err := rsa.SignPKCS1v15(nil, pk.priv.(*rsa.PrivateKey), pk.hash.h, pk.hash.sum(data))
		if err != nil {
			return nil, opError("%s: %w", pk.info.name, err)
		}
		return sig, nil
	case cryptowit.SignParamsRsaPss:
		if p.RsaPss == 0 {
			// Go's crypto/rsa reads a salt length of 0 as "as long as
			// possible"; it cannot make a PSS signature without salt.
			return nil, notSupported("RSA-PSS: this host cannot sign with a saltLength of 0")
		}
		priv := pk.priv.(*rsa.PrivateKey)
		if int64(p.RsaPss) > int64(priv.Size()) {
			return nil, opError("RSA-PSS: a saltLength of %d bytes does not fit a %d-bit key", p.RsaPss, priv.N.BitLen())
		}
		sig, err := rsa.SignPSS(rand.Reader, priv, pk.hash.h, pk.hash.sum(data), &rsa.PSSOptions{SaltLength: int(p.RsaPss)})
		if err != nil {
			return nil, opError("RSA-PSS: %w", err)
		}
		return sig, nil
	case cryptowit.SignParamsEcdsa:
		hi, err := keyHash(p.Ecdsa, "ECDSA")
		if err != nil {
			return nil, err
		}
		priv := pk.priv.(*ecdsa.PrivateKey)
		r, s, err := ecdsa.Sign(rand.Reader, priv, hi.sum(data))
		if err != nil {
			return nil, opError("ECDSA: %w", err)
		}
		n := scalarSize(&priv.PublicKey)
		sig := make([]byte, 2*n)
		r.FillBytes(sig[:n])
		s.FillBytes(sig[n:])
		return sig, nil
	default:
		return ed25519.Sign(pk.priv.(ed25519.PrivateKey), data), nil
	}
}

// scalarSize is the byte length of r and s in a WebCrypto ECDSA signature.
func scalarSize(pub *ecdsa.PublicKey) int { return (pub.Curve.Params().N.BitLen() + 7) / 8 }

// verify reports whether sig is k's signature of data. A signature of the
// wrong length is false, not an error, as in WebCrypto.
func verify(p cryptowit.SignParams, k cryptowit.Key, sig, data []byte) (bool, error) {
	pk, err := signingKey(p, k, false)
	if err != nil {
		return false, err
	}
	switch p.Tag {
	case cryptowit.SignParamsHmac:
		m := hmac.New(pk.hash.new, pk.secret)
		m.Write(data)
		return hmac.Equal(m.Sum(nil), sig), nil
	case cryptowit.SignParamsRsassaPkcs1:
		return rsa.VerifyPKCS1v15(pk.pub.(*rsa.PublicKey), pk.hash.h, pk.hash.sum(data), sig) == nil, nil
	case cryptowit.SignParamsRsaPss:
		pub := pk.pub.(*rsa.PublicKey)
		if p.RsaPss == 0 {
			return verifyPSSNoSalt(pub, pk.hash, pk.hash.sum(data), sig), nil
		}
		if int64(p.RsaPss) > int64(pub.Size()) {
			return false, nil
		}
		return rsa.VerifyPSS(pub, pk.hash.h, pk.hash.sum(data), sig, &rsa.PSSOptions{SaltLength: int(p.RsaPss)}) == nil, nil
	case cryptowit.SignParamsEcdsa:
		hi, err := keyHash(p.Ecdsa, "ECDSA")
		if err != nil {
			return false, err
		}
		pub := pk.pub.(*ecdsa.PublicKey)
		n := scalarSize(pub)
		if len(sig) != 2*n {
			return false, nil
		}
		r, s := new(big.Int).SetBytes(sig[:n]), new(big.Int).SetBytes(sig[n:])
		return ecdsa.Verify(pub, hi.sum(data), r, s), nil
	default:
		if len(sig) != ed25519.SignatureSize {
			return false, nil
		}
		return ed25519.Verify(pk.pub.(ed25519.PublicKey), data, sig), nil
	}
}

// verifyPSSNoSalt is EMSA-PSS-VERIFY (RFC 8017 §9.1.2) with a salt
// length of 0, which Go's rsa.VerifyPSS reads as "any length". Only the
// public key is used, so math/big's variable time is no concern.
func verifyPSSNoSalt(pub *rsa.PublicKey, hi hashInfo, mHash, sig []byte) bool {
	k := pub.Size()
	if len(sig) != k {
		return false
	}
	s := new(big.Int).SetBytes(sig)
	if s.Cmp(pub.N) >= 0 {
		return false
	}
	m := new(big.Int).Exp(s, big.NewInt(int64(pub.E)), pub.N)
	emBits := pub.N.BitLen() - 1
	emLen := (emBits + 7) / 8
	if m.BitLen() > emLen*8 {
		return false
	}
	em := m.FillBytes(make([]byte, emLen))
	hLen := len(mHash)
	if emLen < hLen+2 || em[emLen-1] != 0xbc {
		return false
	}
	db, h := em[:emLen-hLen-1], em[emLen-hLen-1:emLen-1]
	if em[0]&^(0xff>>(8*emLen-emBits)) != 0 {
		return false
	}
	mask := mgf1(hi, h, len(db))
	for i := range db {
		db[i] ^= mask[i]
	}
	db[0] &= 0xff >> (8*emLen - emBits)
	// With no salt, DB is PS (zeros) followed by 0x01.
	for _, b := range db[:len(db)-1] {
		if b != 0 {
			return false
		}
	}
	if db[len(db)-1] != 1 {
		return false
	}
	hh := hi.new()
	hh.Write(make([]byte, 8))
	hh.Write(mHash)
	return subtle.ConstantTimeCompare(hh.Sum(nil), h) == 1
}

// mgf1 is MGF1 (RFC 8017 §B.2.1) with hash hi.
func mgf1(hi hashInfo, seed []byte, n int) []byte {
	out := make([]byte, 0, n+hi.h.Size())
	var c [4]byte
	for i := uint32(0); len(out) < n; i++ {
		c[0], c[1], c[2], c[3] = byte(i>>24), byte(i>>16), byte(i>>8), byte(i)
		h := hi.new()
		h.Write(seed)
		h.Write(c[:])
		out = h.Sum(out)
	}
	return out[:n]
}
