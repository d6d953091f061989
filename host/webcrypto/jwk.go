package webcrypto

import (
	"bytes"
	"crypto/ecdh"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/rsa"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"math/big"
	"strings"

	"github.com/bindery-run/bindery/host/webcrypto/cryptowit"
)

// jwkIn is a JSON Web Key as read: a field is nil when absent. Fields the
// host does not check (use, key_ops, ext) are the guest's.
type jwkIn struct {
	Kty *string         `json:"kty"`
	Alg *string         `json:"alg"`
	Crv *string         `json:"crv"`
	K   *string         `json:"k"`
	N   *string         `json:"n"`
	E   *string         `json:"e"`
	D   *string         `json:"d"`
	P   *string         `json:"p"`
	Q   *string         `json:"q"`
	DP  *string         `json:"dp"`
	DQ  *string         `json:"dq"`
	QI  *string         `json:"qi"`
	X   *string         `json:"x"`
	Y   *string         `json:"y"`
	Oth json.RawMessage `json:"oth"`
}

// jwkOut is a JSON Web Key as written, without key_ops and ext (the guest
// adds them).
type jwkOut struct {
	Kty string `json:"kty"`
	Crv string `json:"crv,omitempty"`
	Alg string `json:"alg,omitempty"`
	K   string `json:"k,omitempty"`
	N   string `json:"n,omitempty"`
	E   string `json:"e,omitempty"`
	X   string `json:"x,omitempty"`
	Y   string `json:"y,omitempty"`
	D   string `json:"d,omitempty"`
	P   string `json:"p,omitempty"`
	Q   string `json:"q,omitempty"`
	DP  string `json:"dp,omitempty"`
	DQ  string `json:"dq,omitempty"`
	QI  string `json:"qi,omitempty"`
}

// b64 encodes base64url without padding, as JWKs do.
func b64(b []byte) string { return base64.RawURLEncoding.EncodeToString(b) }

// field decodes a base64url member; padding is tolerated.
func (k *key) field(name string, v *string) ([]byte, error) {
	if v == nil {
		return nil, dataError("%s: the JWK has no %q", k.info.name, name)
	}
	b, err := base64.RawURLEncoding.DecodeString(strings.TrimRight(*v, "="))
	if err != nil {
		return nil, dataError("%s: the JWK's %q is not base64url: %w", k.info.name, name, err)
	}
	return b, nil
}

// fixedField decodes a member that must be exactly n bytes.
func (k *key) fixedField(name string, v *string, n int) ([]byte, error) {
	b, err := k.field(name, v)
	if err != nil {
		return nil, err
	}
	if len(b) != n {
		return nil, dataError("%s: the JWK's %q has %d bytes, not %d", k.info.name, name, len(b), n)
	}
	return b, nil
}

// intField decodes a member that is a big-endian unsigned integer.
func (k *key) intField(name string, v *string) (*big.Int, error) {
	b, err := k.field(name, v)
	if err != nil {
		return nil, err
	}
	if len(b) == 0 {
		return nil, dataError("%s: the JWK's %q is empty", k.info.name, name)
	}
	return new(big.Int).SetBytes(b), nil
}

// importJWK reads a JWK (JSON text) as a key of k's algorithm.
func (k *key) importJWK(data []byte, curve curveInfo) error {
	var j jwkIn
	d := json.NewDecoder(bytes.NewReader(data))
	if err := d.Decode(&j); err != nil {
		var te *json.UnmarshalTypeError
		if errors.As(err, &te) && te.Field != "" {
			return dataError("%s: the JWK's %q is a JSON %s, not a string", k.info.name, te.Field, te.Value)
		}
		return dataError("%s: the JWK is not a JSON object: %w", k.info.name, err)
	}
	if d.More() {
		return dataError("%s: the JWK has data after its JSON object", k.info.name)
	}
	wantKty := map[family]string{famAES: "oct", famHMAC: "oct", famRSA: "RSA", famEC: "EC", famEd25519: "OKP", famX25519: "OKP"}[k.info.fam]
	if wantKty == "" {
		return notSupported("%s: keys cannot be imported as jwk", k.info.name)
	}
	if j.Kty == nil || *j.Kty != wantKty {
		got := "no kty"
		if j.Kty != nil {
			got = fmt.Sprintf("kty %q", *j.Kty)
		}
		return dataError("%s: the JWK has %s, not %q", k.info.name, got, wantKty)
	}
	switch k.info.fam {
	case famAES, famHMAC:
		return k.importOctJWK(&j)
	case famRSA:
		return k.importRSAJWK(&j)
	case famEC:
		return k.importECJWK(&j, curve)
	default:
		return k.importOKPJWK(&j)
	}
}

// checkAlg refuses a JWK whose alg is present and none of want.
func (k *key) checkAlg(j *jwkIn, want ...string) error {
	if j.Alg == nil {
		return nil
	}
	for _, w := range want {
		if *j.Alg == w {
			return nil
		}
	}
	return dataError("%s: the JWK's alg %q is not %s", k.info.name, *j.Alg, strings.Join(want, " or "))
}

// jwkAlg is the JWK alg of k; "" when k's JWKs carry none.
func (k *key) jwkAlg() string {
	switch k.alg {
	case cryptowit.AlgorithmNameHmac:
		return "HS" + k.hash.jwk
	case cryptowit.AlgorithmNameAesGcm, cryptowit.AlgorithmNameAesCbc, cryptowit.AlgorithmNameAesCtr, cryptowit.AlgorithmNameAesKw:
		return fmt.Sprintf("A%d%s", len(k.secret)*8, strings.TrimPrefix(k.info.name, "AES-"))
	case cryptowit.AlgorithmNameRsassaPkcs1:
		return "RS" + k.hash.jwk
	case cryptowit.AlgorithmNameRsaPss:
		return "PS" + k.hash.jwk
	case cryptowit.AlgorithmNameRsaOaep:
		if k.hash.jwk == "1" {
			return "RSA-OAEP"
		}
		return "RSA-OAEP-" + k.hash.jwk
	}
	return ""
}

func (k *key) importOctJWK(j *jwkIn) error {
	b, err := k.field("k", j.K)
	if err != nil {
		return err
	}
	k.kind, k.secret = cryptowit.KeyTypeSecret, b
	if k.info.fam == famAES {
		if err := aesKeyLength(len(b), k.info.name); err != nil {
			return err
		}
	} else if len(b) == 0 {
		return dataError("HMAC: the JWK's \"k\" is empty")
	}
	return k.checkAlg(j, k.jwkAlg())
}

func (k *key) importRSAJWK(j *jwkIn) error {
	if err := k.checkAlg(j, k.jwkAlg()); err != nil {
		return err
	}
	n, err := k.intField("n", j.N)
	if err != nil {
		return err
	}
	e, err := k.intField("e", j.E)
	if err != nil {
		return err
	}
	if !e.IsInt64() || e.Int64() > 1<<31-1 {
		return dataError("%s: the JWK's public exponent is too large", k.info.name)
	}
	pub := &rsa.PublicKey{N: n, E: int(e.Int64())}
	if err := checkRSA(pub); err != nil {
		return err
	}
	if j.D == nil {
		k.kind = cryptowit.KeyTypePublic
		return k.setPublic(pub)
	}
	if j.Oth != nil && string(j.Oth) != "null" {
		return notSupported("%s: multi-prime RSA keys (oth) are not supported", k.info.name)
	}
	var ints [6]*big.Int
	for i, f := range []struct {
		name string
		v    *string
	}{{"d", j.D}, {"p", j.P}, {"q", j.Q}, {"dp", j.DP}, {"dq", j.DQ}, {"qi", j.QI}} {
		if f.v == nil {
			return dataError("%s: the private JWK has no %q (this host needs d, p, q, dp, dq and qi)", k.info.name, f.name)
		}
		if ints[i], err = k.intField(f.name, f.v); err != nil {
			return err
		}
	}
	priv := &rsa.PrivateKey{PublicKey: *pub, D: ints[0], Primes: []*big.Int{ints[1], ints[2]}}
	if err := priv.Validate(); err != nil {
		return dataError("%s: the private JWK is not a consistent RSA key: %w", k.info.name, err)
	}
	priv.Precompute()
	pc := priv.Precomputed
	if pc.Dp == nil || pc.Dp.Cmp(ints[3]) != 0 || pc.Dq.Cmp(ints[4]) != 0 || pc.Qinv.Cmp(ints[5]) != 0 {
		return dataError("%s: the private JWK's dp, dq or qi do not match its primes", k.info.name)
	}
	k.kind = cryptowit.KeyTypePrivate
	return k.setPrivate(priv)
}

func (k *key) importECJWK(j *jwkIn, curve curveInfo) error {
	if j.Crv == nil || *j.Crv != curve.name {
		return dataError("%s: the JWK's crv is not %q", k.info.name, curve.name)
	}
	if k.alg == cryptowit.AlgorithmNameEcdsa {
		if err := k.checkAlg(j, curve.jwk); err != nil {
			return err
		}
	}
	x, err := k.fixedField("x", j.X, curve.size)
	if err != nil {
		return err
	}
	y, err := k.fixedField("y", j.Y, curve.size)
	if err != nil {
		return err
	}
	point := append(append([]byte{4}, x...), y...)
	pub, err := ecdsa.ParseUncompressedPublicKey(curve.curve, point)
	if err != nil {
		return dataError("%s: the JWK's x and y are not a point of %s: %w", k.info.name, curve.name, err)
	}
	if j.D == nil {
		k.kind = cryptowit.KeyTypePublic
		return k.setPublic(pub)
	}
	d, err := k.fixedField("d", j.D, curve.size)
	if err != nil {
		return err
	}
	priv, err := ecdsa.ParseRawPrivateKey(curve.curve, d)
	if err != nil {
		return dataError("%s: the JWK's d is not a %s private key: %w", k.info.name, curve.name, err)
	}
	if !priv.PublicKey.Equal(pub) {
		return dataError("%s: the JWK's x and y are not the public key of its d", k.info.name)
	}
	k.kind = cryptowit.KeyTypePrivate
	return k.setPrivate(priv)
}

func (k *key) importOKPJWK(j *jwkIn) error {
	if j.Crv == nil || *j.Crv != k.info.name {
		return dataError("%s: the JWK's crv is not %q", k.info.name, k.info.name)
	}
	if k.info.fam == famEd25519 {
		if err := k.checkAlg(j, "EdDSA", "Ed25519"); err != nil {
			return err
		}
	}
	x, err := k.fixedField("x", j.X, 32)
	if err != nil {
		return err
	}
	var d []byte
	if j.D != nil {
		if d, err = k.fixedField("d", j.D, 32); err != nil {
			return err
		}
	}
	if k.info.fam == famEd25519 {
		pub := ed25519.PublicKey(x)
		if d == nil {
			k.kind = cryptowit.KeyTypePublic
			return k.setPublic(pub)
		}
		priv := ed25519.NewKeyFromSeed(d)
		if !pub.Equal(priv.Public()) {
			return dataError("Ed25519: the JWK's x is not the public key of its d")
		}
		k.kind = cryptowit.KeyTypePrivate
		return k.setPrivate(priv)
	}
	pub, err := ecdh.X25519().NewPublicKey(x)
	if err != nil {
		return dataError("X25519: the JWK's x: %w", err)
	}
	if d == nil {
		k.kind = cryptowit.KeyTypePublic
		return k.setPublic(pub)
	}
	priv, err := ecdh.X25519().NewPrivateKey(d)
	if err != nil {
		return dataError("X25519: the JWK's d: %w", err)
	}
	if !pub.Equal(priv.PublicKey()) {
		return dataError("X25519: the JWK's x is not the public key of its d")
	}
	k.kind = cryptowit.KeyTypePrivate
	return k.setPrivate(priv)
}

// exportJWK writes k as JWK JSON, without key_ops and ext.
func (k *key) exportJWK() ([]byte, error) {
	j := jwkOut{Alg: k.jwkAlg()}
	private := k.kind == cryptowit.KeyTypePrivate
	switch p := k.pub.(type) {
	case nil:
		j.Kty, j.K = "oct", b64(k.secret)
	case *rsa.PublicKey:
		j.Kty, j.N, j.E = "RSA", b64(p.N.Bytes()), b64(big.NewInt(int64(p.E)).Bytes())
		if private {
			priv := k.priv.(*rsa.PrivateKey)
			if len(priv.Primes) != 2 {
				return nil, notSupported("%s: multi-prime RSA keys cannot be exported as jwk", k.info.name)
			}
			if priv.Precomputed.Dp == nil {
				priv.Precompute()
			}
			pc := priv.Precomputed
			j.D, j.P, j.Q = b64(priv.D.Bytes()), b64(priv.Primes[0].Bytes()), b64(priv.Primes[1].Bytes())
			j.DP, j.DQ, j.QI = b64(pc.Dp.Bytes()), b64(pc.Dq.Bytes()), b64(pc.Qinv.Bytes())
		}
	case *ecdsa.PublicKey:
		c, _ := curveOf(p.Curve)
		ci := curves[c]
		point, err := p.Bytes()
		if err != nil {
			return nil, opError("%s: %w", k.info.name, err)
		}
		j.Kty, j.Crv = "EC", ci.name
		j.X, j.Y = b64(point[1:1+ci.size]), b64(point[1+ci.size:])
		if private {
			d, err := k.priv.(*ecdsa.PrivateKey).Bytes()
			if err != nil {
				return nil, opError("%s: %w", k.info.name, err)
			}
			j.D = b64(d)
		}
	case ed25519.PublicKey:
		j.Kty, j.Crv, j.X = "OKP", "Ed25519", b64(p)
		if private {
			j.D = b64(k.priv.(ed25519.PrivateKey).Seed())
		}
	case *ecdh.PublicKey:
		j.Kty, j.Crv, j.X = "OKP", "X25519", b64(p.Bytes())
		if private {
			j.D = b64(k.priv.(*ecdh.PrivateKey).Bytes())
		}
	default:
		return nil, opError("%s: cannot export a %s key as jwk", k.info.name, describeKey(p))
	}
	b, err := json.Marshal(j)
	if err != nil {
		return nil, opError("%s: %w", k.info.name, err)
	}
	return b, nil
}
