package webcrypto

import (
	"crypto/ecdh"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"math/big"

	"github.com/bindery-run/bindery/abi"
	"github.com/bindery-run/bindery/host/webcrypto/cryptowit"
)

// Limits on what the host computes, so that one call cannot hold the host
// for minutes (a host call runs to its end whatever the Worker's deadline).
const (
	// MaxRSABits is the largest RSA modulus the host imports.
	MaxRSABits = 16384
	// MinRSABits is the smallest: Go's crypto/rsa refuses smaller keys.
	MinRSABits = 1024
	// MaxRSAGenerateBits is the largest RSA modulus generateKey makes
	// (a 4096-bit key takes about a second; 8192 bits, tens of seconds).
	MaxRSAGenerateBits = 4096
	// MaxPBKDF2Iterations is Cloudflare's limit on PBKDF2 iterations.
	MaxPBKDF2Iterations = 100_000
	// MaxPBKDF2Blocks bounds the PBKDF2 output at the most iterations:
	// output blocks (of the hash's size) times iterations stay under
	// MaxPBKDF2Blocks * MaxPBKDF2Iterations.
	MaxPBKDF2Blocks = 64
)

// key is a key in its Go form: the material of a cryptowit.Key, parsed.
type key struct {
	alg    cryptowit.AlgorithmName
	info   algorithmInfo
	kind   cryptowit.KeyType
	hash   hashInfo // HMAC and RSA keys
	secret []byte   // secret keys
	// pub is *rsa.PublicKey, *ecdsa.PublicKey (ECDSA and ECDH),
	// ed25519.PublicKey or *ecdh.PublicKey (X25519); priv the private
	// counterpart. A private key's pub is its public half.
	pub  any
	priv any
}

// parseKey turns the key a guest passed back into its Go form. Material
// that does not parse, or does not fit the algorithm, is a DataError.
func parseKey(k cryptowit.Key) (*key, error) {
	info, err := lookupAlgorithm(k.Algorithm)
	if err != nil {
		return nil, err
	}
	out := &key{alg: k.Algorithm, info: info, kind: k.Kind}
	switch info.fam {
	case famAES, famHMAC, famKDF:
		if k.Kind != cryptowit.KeyTypeSecret {
			return nil, dataError("%s keys are secret keys, not %s", info.name, kindName(k.Kind))
		}
		out.secret = k.Material
		switch info.fam {
		case famAES:
			if err := aesKeyLength(len(k.Material), info.name); err != nil {
				return nil, err
			}
		case famHMAC:
			if out.hash, err = optionalKeyHash(k.Hash, info.name); err != nil {
				return nil, err
			}
			if len(k.Material) == 0 {
				return nil, dataError("HMAC: the key is empty")
			}
		}
		return out, nil
	case famRSA:
		if out.hash, err = optionalKeyHash(k.Hash, info.name); err != nil {
			return nil, err
		}
	}
	switch k.Kind {
	case cryptowit.KeyTypePublic:
		pub, err := x509.ParsePKIXPublicKey(k.Material)
		if err != nil {
			return nil, dataError("%s: the public key is not DER SubjectPublicKeyInfo: %w", info.name, err)
		}
		if err := out.setPublic(pub); err != nil {
			return nil, err
		}
	case cryptowit.KeyTypePrivate:
		priv, err := x509.ParsePKCS8PrivateKey(k.Material)
		if err != nil {
			return nil, dataError("%s: the private key is not DER PKCS #8: %w", info.name, err)
		}
		if err := out.setPrivate(priv); err != nil {
			return nil, err
		}
	default:
		return nil, dataError("%s keys are public or private, not %s", info.name, kindName(k.Kind))
	}
	return out, nil
}

// aesKeyLength checks an AES key's length in bytes.
func aesKeyLength(n int, name string) error {
	if n != 16 && n != 24 && n != 32 {
		return dataError("%s: a key of %d bits; AES keys have 128, 192 or 256", name, n*8)
	}
	return nil
}

// setPublic sets k's public key after checking that it is one of k's family.
func (k *key) setPublic(pub any) error {
	ok := false
	switch p := pub.(type) {
	case *rsa.PublicKey:
		if ok = k.info.fam == famRSA; ok {
			if err := checkRSA(p); err != nil {
				return err
			}
		}
	case *ecdsa.PublicKey:
		if ok = k.info.fam == famEC; ok {
			if _, known := curveOf(p.Curve); !known {
				return notSupported("%s: the curve %s is not P-256, P-384 or P-521", k.info.name, p.Curve.Params().Name)
			}
		}
	case ed25519.PublicKey:
		ok = k.info.fam == famEd25519 && len(p) == ed25519.PublicKeySize
	case *ecdh.PublicKey:
		ok = k.info.fam == famX25519 && p.Curve() == ecdh.X25519()
	}
	if !ok {
		return dataError("%s: the key data is a key for %s", k.info.name, describeKey(pub))
	}
	k.pub = pub
	return nil
}

// setPrivate sets k's private key (and its public half) after checking
// that it is one of k's family.
func (k *key) setPrivate(priv any) error {
	var pub any
	switch p := priv.(type) {
	case *rsa.PrivateKey:
		pub = &p.PublicKey
	case *ecdsa.PrivateKey:
		pub = &p.PublicKey
	case ed25519.PrivateKey:
		pub = p.Public()
	case *ecdh.PrivateKey:
		pub = p.PublicKey()
	default:
		return dataError("%s: the key data is a key for %s", k.info.name, describeKey(priv))
	}
	if err := k.setPublic(pub); err != nil {
		return err
	}
	k.priv = priv
	return nil
}

// checkRSA refuses RSA keys Go cannot use or that would hold the host too long.
func checkRSA(p *rsa.PublicKey) error {
	if p.N == nil || p.N.Sign() <= 0 || p.N.Bit(0) == 0 {
		return dataError("RSA: the modulus is not a positive odd number")
	}
	if n := p.N.BitLen(); n < MinRSABits || n > MaxRSABits {
		return notSupported("RSA: a %d-bit modulus; this host takes %d to %d bits (Go refuses smaller keys)", n, MinRSABits, MaxRSABits)
	}
	if p.E < 3 || p.E&1 == 0 {
		return dataError("RSA: the public exponent %d is not an odd number of at least 3", p.E)
	}
	return nil
}

// describeKey names the kind of a parsed key, for messages.
func describeKey(k any) string {
	switch p := k.(type) {
	case *rsa.PublicKey, *rsa.PrivateKey:
		return "RSA"
	case *ecdsa.PublicKey:
		return "EC " + p.Curve.Params().Name
	case *ecdsa.PrivateKey:
		return "EC " + p.Curve.Params().Name
	case ed25519.PublicKey, ed25519.PrivateKey:
		return "Ed25519"
	case *ecdh.PublicKey:
		return ecdhName(p.Curve())
	case *ecdh.PrivateKey:
		return ecdhName(p.Curve())
	}
	return "another algorithm"
}

func ecdhName(c ecdh.Curve) string {
	if c == ecdh.X25519() {
		return "X25519"
	}
	return "ECDH"
}

// wit returns k as the guest keeps it: a secret key's bytes, a public key
// as SPKI, a private key as PKCS #8.
func (k *key) wit() (cryptowit.Key, error) {
	out := cryptowit.Key{Algorithm: k.alg, Kind: k.kind}
	if k.info.fam == famHMAC || k.info.fam == famRSA {
		out.Hash = abi.Some(cryptowit.Hash(hashIndex(k.hash)))
	}
	var err error
	switch k.kind {
	case cryptowit.KeyTypeSecret:
		out.Material = k.secret
	case cryptowit.KeyTypePublic:
		out.Material, err = x509.MarshalPKIXPublicKey(k.pub)
	default:
		out.Material, err = x509.MarshalPKCS8PrivateKey(k.priv)
	}
	if err != nil {
		return cryptowit.Key{}, opError("%s: encoding the key: %w", k.info.name, err)
	}
	return out, nil
}

// hashIndex is the WIT case of a hash.
func hashIndex(h hashInfo) int {
	for i, hi := range hashes {
		if hi.h == h.h {
			return i
		}
	}
	return 0
}

// params returns what k's CryptoKey algorithm shows beyond name and hash.
// An HMAC key's length is its material's unless the import said otherwise.
func (k *key) params() cryptowit.KeyParams {
	var p cryptowit.KeyParams
	switch k.info.fam {
	case famAES, famHMAC:
		p.Length = abi.Some(uint32(len(k.secret) * 8))
	case famRSA:
		pub := k.pub.(*rsa.PublicKey)
		p.ModulusLength = abi.Some(uint32(pub.N.BitLen()))
		p.PublicExponent = abi.Some(big.NewInt(int64(pub.E)).Bytes())
	case famEC:
		c, _ := curveOf(k.pub.(*ecdsa.PublicKey).Curve)
		p.NamedCurve = abi.Some(c)
	}
	return p
}

// cryptoKey is k with its params, for the guest.
func (k *key) cryptoKey() (cryptowit.CryptoKey, error) {
	w, err := k.wit()
	if err != nil {
		return cryptowit.CryptoKey{}, err
	}
	return cryptowit.CryptoKey{Key: w, Params: k.params()}, nil
}

// newKey starts a key of algorithm a with its hash (HMAC and RSA).
func newKey(a cryptowit.AlgorithmName, h abi.Option[cryptowit.Hash], kind cryptowit.KeyType) (*key, error) {
	info, err := lookupAlgorithm(a)
	if err != nil {
		return nil, err
	}
	k := &key{alg: a, info: info, kind: kind}
	if info.fam == famHMAC || info.fam == famRSA {
		if !h.Some {
			return nil, notSupported("%s: a hash is required", info.name)
		}
		if k.hash, err = keyHash(h.Value, info.name); err != nil {
			return nil, err
		}
	}
	return k, nil
}

// importKey parses data in format as a key of algorithm a.
func importKey(format cryptowit.KeyFormat, data []byte, a cryptowit.AlgorithmName, h abi.Option[cryptowit.Hash], p cryptowit.KeyParams) (cryptowit.CryptoKey, error) {
	k, err := newKey(a, h, cryptowit.KeyTypeSecret)
	if err != nil {
		return cryptowit.CryptoKey{}, err
	}
	var curve curveInfo
	if k.info.fam == famEC {
		if !p.NamedCurve.Some {
			return cryptowit.CryptoKey{}, notSupported("%s: a named curve is required", k.info.name)
		}
		if curve, err = lookupCurve(p.NamedCurve.Value); err != nil {
			return cryptowit.CryptoKey{}, err
		}
	}
	switch format {
	case cryptowit.KeyFormatRaw:
		err = k.importRaw(data, curve)
	case cryptowit.KeyFormatSpki:
		err = k.importDER(data, false, curve)
	case cryptowit.KeyFormatPkcs8:
		err = k.importDER(data, true, curve)
	case cryptowit.KeyFormatJwk:
		err = k.importJWK(data, curve)
	default:
		err = notSupported("%s: key format %d is not one this host knows", k.info.name, format)
	}
	if err != nil {
		return cryptowit.CryptoKey{}, err
	}
	if k.info.fam == famHMAC {
		if err := hmacLength(len(k.secret), p.Length); err != nil {
			return cryptowit.CryptoKey{}, err
		}
	}
	ck, err := k.cryptoKey()
	if err != nil {
		return cryptowit.CryptoKey{}, err
	}
	if k.info.fam == famHMAC && p.Length.Some {
		ck.Params.Length = p.Length
	}
	return ck, nil
}

// hmacLength checks the length an HMAC import asks for against the data:
// WebCrypto allows dropping up to 7 bits of the last byte.
func hmacLength(n int, length abi.Option[uint32]) error {
	if n == 0 {
		return dataError("HMAC: the key data is empty")
	}
	if !length.Some {
		return nil
	}
	bits := uint64(n) * 8
	if l := uint64(length.Value); l > bits || l+8 <= bits {
		return dataError("HMAC: a length of %d bits for %d bytes of key data", length.Value, n)
	}
	return nil
}

// importRaw reads a secret key's bytes, or a public key as an EC point
// (uncompressed) or 32 bytes (Ed25519, X25519).
func (k *key) importRaw(data []byte, curve curveInfo) error {
	k.kind = cryptowit.KeyTypePublic
	switch k.info.fam {
	case famAES, famHMAC, famKDF:
		k.kind = cryptowit.KeyTypeSecret
		if k.info.fam == famAES {
			if err := aesKeyLength(len(data), k.info.name); err != nil {
				return err
			}
		}
		k.secret = data
		return nil
	case famEC:
		pub, err := ecdsa.ParseUncompressedPublicKey(curve.curve, data)
		if err != nil {
			return dataError("%s: raw key data is not an uncompressed %s point: %w", k.info.name, curve.name, err)
		}
		return k.setPublic(pub)
	case famEd25519:
		if len(data) != ed25519.PublicKeySize {
			return dataError("Ed25519: raw key data of %d bytes; a public key has 32", len(data))
		}
		return k.setPublic(ed25519.PublicKey(data))
	case famX25519:
		pub, err := ecdh.X25519().NewPublicKey(data)
		if err != nil {
			return dataError("X25519: raw key data of %d bytes; a public key has 32", len(data))
		}
		return k.setPublic(pub)
	}
	return notSupported("%s: keys cannot be imported as raw", k.info.name)
}

// importDER reads SPKI (public) or PKCS #8 (private) DER.
func (k *key) importDER(data []byte, private bool, curve curveInfo) error {
	format := "spki"
	if private {
		format = "pkcs8"
	}
	switch k.info.fam {
	case famAES, famHMAC, famKDF:
		return notSupported("%s: keys cannot be imported as %s", k.info.name, format)
	}
	var err error
	if private {
		k.kind = cryptowit.KeyTypePrivate
		var priv any
		if priv, err = x509.ParsePKCS8PrivateKey(data); err != nil {
			return dataError("%s: the key data is not DER PKCS #8: %w", k.info.name, err)
		}
		err = k.setPrivate(priv)
	} else {
		k.kind = cryptowit.KeyTypePublic
		var pub any
		if pub, err = x509.ParsePKIXPublicKey(data); err != nil {
			return dataError("%s: the key data is not DER SubjectPublicKeyInfo: %w", k.info.name, err)
		}
		err = k.setPublic(pub)
	}
	if err != nil {
		return err
	}
	return k.checkCurve(curve)
}

// checkCurve refuses an EC key that is not on the curve the import named.
func (k *key) checkCurve(curve curveInfo) error {
	if k.info.fam != famEC {
		return nil
	}
	if c := k.pub.(*ecdsa.PublicKey).Curve; c != curve.curve {
		return dataError("%s: the key is on %s, not %s", k.info.name, c.Params().Name, curve.name)
	}
	return nil
}

// exportKey returns k in format.
func exportKey(format cryptowit.KeyFormat, k *key) ([]byte, error) {
	if k.info.fam == famKDF {
		return nil, notSupported("%s keys cannot be exported", k.info.name)
	}
	switch format {
	case cryptowit.KeyFormatRaw:
		switch {
		case k.kind == cryptowit.KeyTypeSecret:
			return k.secret, nil
		case k.info.fam == famRSA:
			return nil, notSupported("%s keys cannot be exported as raw", k.info.name)
		case k.kind != cryptowit.KeyTypePublic:
			return nil, invalidAccess("%s: only a public key can be exported as raw", k.info.name)
		}
		switch p := k.pub.(type) {
		case *ecdsa.PublicKey:
			b, err := p.Bytes()
			if err != nil {
				return nil, opError("%s: %w", k.info.name, err)
			}
			return b, nil
		case ed25519.PublicKey:
			return []byte(p), nil
		case *ecdh.PublicKey:
			return p.Bytes(), nil
		}
	case cryptowit.KeyFormatSpki, cryptowit.KeyFormatPkcs8:
		private := format == cryptowit.KeyFormatPkcs8
		switch {
		case k.kind == cryptowit.KeyTypeSecret:
			return nil, notSupported("%s keys cannot be exported as %s", k.info.name, formatName(format))
		case private && k.kind != cryptowit.KeyTypePrivate:
			return nil, invalidAccess("%s: only a private key can be exported as pkcs8", k.info.name)
		case !private && k.kind != cryptowit.KeyTypePublic:
			return nil, invalidAccess("%s: only a public key can be exported as spki", k.info.name)
		}
		w, err := k.wit()
		if err != nil {
			return nil, err
		}
		return w.Material, nil
	case cryptowit.KeyFormatJwk:
		return k.exportJWK()
	}
	return nil, notSupported("%s: key format %d is not one this host knows", k.info.name, format)
}

// generateKey makes a secret key or a key pair of algorithm a.
func generateKey(a cryptowit.AlgorithmName, h abi.Option[cryptowit.Hash], p cryptowit.KeyParams) (cryptowit.GeneratedKey, error) {
	k, err := newKey(a, h, cryptowit.KeyTypePrivate)
	if err != nil {
		return cryptowit.GeneratedKey{}, err
	}
	switch k.info.fam {
	case famAES:
		k.kind = cryptowit.KeyTypeSecret
		if !p.Length.Some || (p.Length.Value != 128 && p.Length.Value != 192 && p.Length.Value != 256) {
			return cryptowit.GeneratedKey{}, opError("%s: the length must be 128, 192 or 256 bits", k.info.name)
		}
		k.secret = make([]byte, p.Length.Value/8)
		rand.Read(k.secret)
	case famHMAC:
		k.kind = cryptowit.KeyTypeSecret
		bits := uint32(k.hash.new().BlockSize() * 8)
		if p.Length.Some {
			bits = p.Length.Value
		}
		if bits == 0 {
			return cryptowit.GeneratedKey{}, opError("HMAC: the length is zero")
		}
		if bits > 1<<16 {
			return cryptowit.GeneratedKey{}, notSupported("HMAC: a %d-bit key; this host makes at most 65536 bits", bits)
		}
		k.secret = make([]byte, (bits+7)/8)
		rand.Read(k.secret)
		if r := bits % 8; r != 0 {
			k.secret[len(k.secret)-1] &= 0xff << (8 - r)
		}
		ck, err := k.cryptoKey()
		if err != nil {
			return cryptowit.GeneratedKey{}, err
		}
		ck.Params.Length = abi.Some(bits)
		return cryptowit.GeneratedKey{Tag: cryptowit.GeneratedKeySecret, Secret: ck}, nil
	case famRSA:
		if err := generateRSA(k, p); err != nil {
			return cryptowit.GeneratedKey{}, err
		}
	case famEC:
		if !p.NamedCurve.Some {
			return cryptowit.GeneratedKey{}, notSupported("%s: a named curve is required", k.info.name)
		}
		c, err := lookupCurve(p.NamedCurve.Value)
		if err != nil {
			return cryptowit.GeneratedKey{}, err
		}
		priv, err := ecdsa.GenerateKey(c.curve, rand.Reader)
		if err != nil {
			return cryptowit.GeneratedKey{}, opError("%s: %w", k.info.name, err)
		}
		k.priv, k.pub = priv, &priv.PublicKey
	case famEd25519:
		pub, priv, err := ed25519.GenerateKey(rand.Reader)
		if err != nil {
			return cryptowit.GeneratedKey{}, opError("Ed25519: %w", err)
		}
		k.priv, k.pub = priv, pub
	case famX25519:
		priv, err := ecdh.X25519().GenerateKey(rand.Reader)
		if err != nil {
			return cryptowit.GeneratedKey{}, opError("X25519: %w", err)
		}
		k.priv, k.pub = priv, priv.PublicKey()
	default:
		return cryptowit.GeneratedKey{}, notSupported("%s keys cannot be generated", k.info.name)
	}
	if k.kind == cryptowit.KeyTypeSecret {
		ck, err := k.cryptoKey()
		return cryptowit.GeneratedKey{Tag: cryptowit.GeneratedKeySecret, Secret: ck}, err
	}
	priv, err := k.cryptoKey()
	if err != nil {
		return cryptowit.GeneratedKey{}, err
	}
	pubKey := *k
	pubKey.kind, pubKey.priv = cryptowit.KeyTypePublic, nil
	pub, err := pubKey.cryptoKey()
	if err != nil {
		return cryptowit.GeneratedKey{}, err
	}
	return cryptowit.GeneratedKey{Tag: cryptowit.GeneratedKeyPair, Pair: cryptowit.KeyPair{PublicKey: pub, PrivateKey: priv}}, nil
}

// generateRSA makes an RSA key of p's modulus length; Go makes only the
// public exponent 65537.
func generateRSA(k *key, p cryptowit.KeyParams) error {
	if !p.ModulusLength.Some {
		return notSupported("%s: a modulus length is required", k.info.name)
	}
	bits := int(p.ModulusLength.Value)
	if bits < MinRSABits || bits > MaxRSAGenerateBits {
		return notSupported("%s: a %d-bit modulus; this host generates %d to %d bits", k.info.name, bits, MinRSABits, MaxRSAGenerateBits)
	}
	e := new(big.Int).SetBytes(p.PublicExponent.Value)
	if !p.PublicExponent.Some || !e.IsInt64() || e.Int64() != 65537 {
		return notSupported("%s: the public exponent must be 65537 (0x010001)", k.info.name)
	}
	priv, err := rsa.GenerateKey(rand.Reader, bits)
	if err != nil {
		return opError("%s: %w", k.info.name, err)
	}
	k.priv, k.pub = priv, &priv.PublicKey
	return nil
}
