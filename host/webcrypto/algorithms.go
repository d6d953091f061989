package webcrypto

import (
	"crypto"
	"crypto/ecdh"
	"crypto/elliptic"
	"crypto/md5"
	"crypto/sha1"
	"crypto/sha256"
	"crypto/sha512"
	"hash"

	"github.com/bindery-run/bindery/abi"
	"github.com/bindery-run/bindery/host/webcrypto/cryptowit"
)

// family groups the algorithms that share a kind of key.
type family uint8

const (
	famAES family = iota
	famHMAC
	famKDF
	famRSA
	famEC
	famEd25519
	famX25519
)

// algorithmInfo is what the package knows of one algorithm name.
type algorithmInfo struct {
	name string // WebCrypto's spelling, for messages
	fam  family
}

var algorithms = [...]algorithmInfo{
	cryptowit.AlgorithmNameAesGcm:      {"AES-GCM", famAES},
	cryptowit.AlgorithmNameAesCbc:      {"AES-CBC", famAES},
	cryptowit.AlgorithmNameAesCtr:      {"AES-CTR", famAES},
	cryptowit.AlgorithmNameAesKw:       {"AES-KW", famAES},
	cryptowit.AlgorithmNameHmac:        {"HMAC", famHMAC},
	cryptowit.AlgorithmNameRsassaPkcs1: {"RSASSA-PKCS1-v1_5", famRSA},
	cryptowit.AlgorithmNameRsaPss:      {"RSA-PSS", famRSA},
	cryptowit.AlgorithmNameRsaOaep:     {"RSA-OAEP", famRSA},
	cryptowit.AlgorithmNameEcdsa:       {"ECDSA", famEC},
	cryptowit.AlgorithmNameEcdh:        {"ECDH", famEC},
	cryptowit.AlgorithmNameEd25519:     {"Ed25519", famEd25519},
	cryptowit.AlgorithmNameX25519:      {"X25519", famX25519},
	cryptowit.AlgorithmNamePbkdf2:      {"PBKDF2", famKDF},
	cryptowit.AlgorithmNameHkdf:        {"HKDF", famKDF},
}

// lookupAlgorithm returns what the package knows of a; an out-of-range
// value (only a Go caller can pass one) is NotSupportedError.
func lookupAlgorithm(a cryptowit.AlgorithmName) (algorithmInfo, error) {
	if int(a) >= len(algorithms) {
		return algorithmInfo{}, notSupported("algorithm %d is not one this host knows", a)
	}
	return algorithms[a], nil
}

// algName is a's WebCrypto name, for messages.
func algName(a cryptowit.AlgorithmName) string {
	if int(a) >= len(algorithms) {
		return "an unknown algorithm"
	}
	return algorithms[a].name
}

// hashInfo is one hash function.
type hashInfo struct {
	name string // WebCrypto's spelling
	jwk  string // the suffix of JWK alg names: "256" in HS256, "1" in RS1
	h    crypto.Hash
	new  func() hash.Hash
}

var hashes = [...]hashInfo{
	cryptowit.HashMd5:    {"MD5", "", crypto.MD5, md5.New},
	cryptowit.HashSha1:   {"SHA-1", "1", crypto.SHA1, sha1.New},
	cryptowit.HashSha256: {"SHA-256", "256", crypto.SHA256, sha256.New},
	cryptowit.HashSha384: {"SHA-384", "384", crypto.SHA384, sha512.New384},
	cryptowit.HashSha512: {"SHA-512", "512", crypto.SHA512, sha512.New},
}

// lookupHash returns a hash any operation may use (MD5 included).
func lookupHash(h cryptowit.Hash) (hashInfo, error) {
	if int(h) >= len(hashes) {
		return hashInfo{}, notSupported("hash %d is not one this host knows", h)
	}
	return hashes[h], nil
}

// keyHash returns the hash of an HMAC or RSA key, a signature or a key
// derivation: SHA-1 to SHA-512. MD5 is for digest only, as in Workers.
func keyHash(h cryptowit.Hash, what string) (hashInfo, error) {
	hi, err := lookupHash(h)
	if err != nil {
		return hashInfo{}, err
	}
	if hi.h == crypto.MD5 {
		return hashInfo{}, notSupported("%s: MD5 is only for digest", what)
	}
	return hi, nil
}

// optionalKeyHash is keyHash for a hash the key must have.
func optionalKeyHash(h abi.Option[cryptowit.Hash], what string) (hashInfo, error) {
	if !h.Some {
		return hashInfo{}, dataError("%s: the key has no hash", what)
	}
	return keyHash(h.Value, what)
}

// sum returns the hash of data.
func (hi hashInfo) sum(data []byte) []byte {
	h := hi.new()
	h.Write(data)
	return h.Sum(nil)
}

// curveInfo is one named curve.
type curveInfo struct {
	name  string // "P-256"
	jwk   string // the ES alg of ECDSA JWKs: "ES256"
	curve elliptic.Curve
	ecdh  ecdh.Curve
	size  int // bytes in a coordinate or a scalar
}

var curves = [...]curveInfo{
	cryptowit.NamedCurveP256: {"P-256", "ES256", elliptic.P256(), ecdh.P256(), 32},
	cryptowit.NamedCurveP384: {"P-384", "ES384", elliptic.P384(), ecdh.P384(), 48},
	cryptowit.NamedCurveP521: {"P-521", "ES512", elliptic.P521(), ecdh.P521(), 66},
}

// lookupCurve returns what the package knows of c.
func lookupCurve(c cryptowit.NamedCurve) (curveInfo, error) {
	if int(c) >= len(curves) {
		return curveInfo{}, notSupported("named curve %d is not one this host knows", c)
	}
	return curves[c], nil
}

// curveOf returns the named curve of an elliptic.Curve, false for others (P-224).
func curveOf(c elliptic.Curve) (cryptowit.NamedCurve, bool) {
	for i, ci := range curves {
		if ci.curve == c {
			return cryptowit.NamedCurve(i), true
		}
	}
	return 0, false
}

var kindNames = [...]string{cryptowit.KeyTypeSecret: "secret", cryptowit.KeyTypePublic: "public", cryptowit.KeyTypePrivate: "private"}

// kindName is a key type's WebCrypto spelling.
func kindName(k cryptowit.KeyType) string {
	if int(k) >= len(kindNames) {
		return "unknown"
	}
	return kindNames[k]
}

var formatNames = [...]string{cryptowit.KeyFormatRaw: "raw", cryptowit.KeyFormatPkcs8: "pkcs8", cryptowit.KeyFormatSpki: "spki", cryptowit.KeyFormatJwk: "jwk"}

// formatName is a key format's WebCrypto spelling.
func formatName(f cryptowit.KeyFormat) string {
	if int(f) >= len(formatNames) {
		return "unknown"
	}
	return formatNames[f]
}
