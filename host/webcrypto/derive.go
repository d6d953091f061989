package webcrypto

import (
	"crypto/ecdh"
	"crypto/ecdsa"
	"crypto/hkdf"
	"crypto/pbkdf2"

	"github.com/bindery-run/bindery/abi"
	"github.com/bindery-run/bindery/host/webcrypto/cryptowit"
)

// deriveAlgorithm is the key algorithm each case of derive-params needs.
var deriveAlgorithm = [...]cryptowit.AlgorithmName{
	cryptowit.DeriveParamsEcdh:   cryptowit.AlgorithmNameEcdh,
	cryptowit.DeriveParamsX25519: cryptowit.AlgorithmNameX25519,
	cryptowit.DeriveParamsPbkdf2: cryptowit.AlgorithmNamePbkdf2,
	cryptowit.DeriveParamsHkdf:   cryptowit.AlgorithmNameHkdf,
}

// deriveBits derives length bits from k.
func deriveBits(p cryptowit.DeriveParams, k cryptowit.Key, length abi.Option[uint32]) ([]byte, error) {
	if int(p.Tag) >= len(deriveAlgorithm) {
		return nil, notSupported("derivation %d is not one this host knows", p.Tag)
	}
	want := deriveAlgorithm[p.Tag]
	if k.Algorithm != want {
		return nil, invalidAccess("%s: the key is for %s", algName(want), algName(k.Algorithm))
	}
	pk, err := parseKey(k)
	if err != nil {
		return nil, err
	}
	switch p.Tag {
	case cryptowit.DeriveParamsEcdh:
		return agree(pk, p.Ecdh, length)
	case cryptowit.DeriveParamsX25519:
		return agree(pk, p.X25519, length)
	}
	name := pk.info.name
	if !length.Some || length.Value%8 != 0 {
		return nil, opError("%s: the length must be a multiple of 8 bits", name)
	}
	n := int(length.Value / 8)
	if n == 0 {
		return []byte{}, nil
	}
	if p.Tag == cryptowit.DeriveParamsPbkdf2 {
		pp := p.Pbkdf2
		hi, err := keyHash(pp.Hash, name)
		if err != nil {
			return nil, err
		}
		if pp.Iterations == 0 {
			return nil, opError("PBKDF2: iterations is zero")
		}
		if pp.Iterations > MaxPBKDF2Iterations {
			return nil, notSupported("PBKDF2: %d iterations; Workers allow at most %d", pp.Iterations, MaxPBKDF2Iterations)
		}
		if blocks := (n + hi.h.Size() - 1) / hi.h.Size(); uint64(blocks)*uint64(pp.Iterations) > MaxPBKDF2Blocks*MaxPBKDF2Iterations {
			return nil, notSupported("PBKDF2: %d bytes at %d iterations is more work than this host does in one call", n, pp.Iterations)
		}
		out, err := pbkdf2.Key(hi.new, string(pk.secret), pp.Salt, int(pp.Iterations), n)
		if err != nil {
			return nil, opError("PBKDF2: %w", err)
		}
		return out, nil
	}
	hp := p.Hkdf
	hi, err := keyHash(hp.Hash, name)
	if err != nil {
		return nil, err
	}
	if n > 255*hi.h.Size() {
		return nil, opError("HKDF: %d bytes is more than 255 times the hash's %d", n, hi.h.Size())
	}
	out, err := hkdf.Key(hi.new, pk.secret, hp.Salt, string(hp.Info), n)
	if err != nil {
		return nil, opError("HKDF: %w", err)
	}
	return out, nil
}

// agree is ECDH or X25519 between pk (private) and the peer's public
// key, cut to length bits (all of it when none).
func agree(pk *key, peer cryptowit.Key, length abi.Option[uint32]) ([]byte, error) {
	name := pk.info.name
	if pk.kind != cryptowit.KeyTypePrivate {
		return nil, invalidAccess("%s: deriveBits needs a private key, not a %s one", name, kindName(pk.kind))
	}
	if peer.Algorithm != pk.alg {
		return nil, invalidAccess("%s: the public key is for %s", name, algName(peer.Algorithm))
	}
	if peer.Kind != cryptowit.KeyTypePublic {
		return nil, invalidAccess("%s: the peer's key is a %s key, not a public one", name, kindName(peer.Kind))
	}
	pp, err := parseKey(peer)
	if err != nil {
		return nil, err
	}
	var priv *ecdh.PrivateKey
	var pub *ecdh.PublicKey
	if pk.info.fam == famX25519 {
		priv, pub = pk.priv.(*ecdh.PrivateKey), pp.pub.(*ecdh.PublicKey)
	} else {
		mine, theirs := pk.priv.(*ecdsa.PrivateKey), pp.pub.(*ecdsa.PublicKey)
		if mine.Curve != theirs.Curve {
			return nil, invalidAccess("ECDH: the keys are on %s and %s", mine.Curve.Params().Name, theirs.Curve.Params().Name)
		}
		if priv, err = mine.ECDH(); err == nil {
			pub, err = theirs.ECDH()
		}
		if err != nil {
			return nil, opError("ECDH: %w", err)
		}
	}
	secret, err := priv.ECDH(pub)
	if err != nil {
		return nil, opError("%s: %w", name, err)
	}
	if !length.Some {
		return secret, nil
	}
	bits := length.Value
	if uint64(bits) > uint64(len(secret))*8 {
		return nil, opError("%s: %d bits asked for; the shared secret has %d", name, bits, len(secret)*8)
	}
	out := secret[:(bits+7)/8]
	if r := bits % 8; r != 0 {
		out[len(out)-1] &= 0xff << (8 - r)
	}
	return out, nil
}
