package webcrypto

import (
	"context"
	"crypto/subtle"
	"fmt"
	"hash"

	"github.com/bindery-run/bindery/abi"
	"github.com/bindery-run/bindery/host/webcrypto/cryptowit"
)

// WIT returns the host side of bindery:crypto/subtle for a host.Runtime.
// Every Worker gets the same implementation: it grants nothing.
func WIT() abi.Interface {
	return abi.Interface{Name: cryptowit.SubtleInterface, Define: cryptowit.DefineSubtle, Deny: New()}
}

// Subtle implements bindery:crypto/subtle with Go's crypto packages. It
// holds no state (keys travel with every call), so one value serves every
// Worker, and it is safe for concurrent use.
//
// Randomness is crypto/rand's: since Go 1.26 the crypto packages ignore a
// caller's reader.
type Subtle struct{}

// New returns the implementation every Worker gets.
func New() *Subtle { return &Subtle{} }

var _ cryptowit.SubtleHost = (*Subtle)(nil)

// recoverTo turns a panic in an operation into an OperationError, so that
// a bug in the host's crypto, or in Go's, fails the call instead of the
// guest (a panic in a host function traps).
func recoverTo(e **cryptowit.Error) {
	if r := recover(); r != nil {
		*e = witError(opError("internal error: %v", r))
	}
}

// Digest implements digest: MD5, SHA-1, SHA-256, SHA-384 or SHA-512 of data.
func (s *Subtle) Digest(ctx context.Context, algorithm cryptowit.Hash, data []byte) (out []byte, e *cryptowit.Error) {
	defer recoverTo(&e)
	hi, err := lookupHash(algorithm)
	if err != nil {
		return nil, witError(err)
	}
	return hi.sum(data), nil
}

// GenerateKey implements generate-key.
func (s *Subtle) GenerateKey(ctx context.Context, algorithm cryptowit.AlgorithmName, hash abi.Option[cryptowit.Hash], params cryptowit.KeyParams) (out cryptowit.GeneratedKey, e *cryptowit.Error) {
	defer recoverTo(&e)
	out, err := generateKey(algorithm, hash, params)
	return out, witError(err)
}

// ImportKey implements import-key.
func (s *Subtle) ImportKey(ctx context.Context, format cryptowit.KeyFormat, data []byte, algorithm cryptowit.AlgorithmName, hash abi.Option[cryptowit.Hash], params cryptowit.KeyParams) (out cryptowit.CryptoKey, e *cryptowit.Error) {
	defer recoverTo(&e)
	out, err := importKey(format, data, algorithm, hash, params)
	return out, witError(err)
}

// ExportKey implements export-key.
func (s *Subtle) ExportKey(ctx context.Context, format cryptowit.KeyFormat, k cryptowit.Key) (out []byte, e *cryptowit.Error) {
	defer recoverTo(&e)
	pk, err := parseKey(k)
	if err != nil {
		return nil, witError(err)
	}
	out, err = exportKey(format, pk)
	return out, witError(err)
}

// Sign implements sign.
func (s *Subtle) Sign(ctx context.Context, algorithm cryptowit.SignParams, k cryptowit.Key, data []byte) (out []byte, e *cryptowit.Error) {
	defer recoverTo(&e)
	out, err := sign(algorithm, k, data)
	return out, witError(err)
}

// Verify implements verify.
func (s *Subtle) Verify(ctx context.Context, algorithm cryptowit.SignParams, k cryptowit.Key, signature []byte, data []byte) (ok bool, e *cryptowit.Error) {
	defer recoverTo(&e)
	ok, err := verify(algorithm, k, signature, data)
	return ok, witError(err)
}

// Encrypt implements encrypt.
func (s *Subtle) Encrypt(ctx context.Context, algorithm cryptowit.CipherParams, k cryptowit.Key, data []byte) (out []byte, e *cryptowit.Error) {
	defer recoverTo(&e)
	out, err := crypt(algorithm, k, data, true)
	return out, witError(err)
}

// Decrypt implements decrypt.
func (s *Subtle) Decrypt(ctx context.Context, algorithm cryptowit.CipherParams, k cryptowit.Key, data []byte) (out []byte, e *cryptowit.Error) {
	defer recoverTo(&e)
	out, err := crypt(algorithm, k, data, false)
	return out, witError(err)
}

// DeriveBits implements derive-bits.
func (s *Subtle) DeriveBits(ctx context.Context, algorithm cryptowit.DeriveParams, k cryptowit.Key, length abi.Option[uint32]) (out []byte, e *cryptowit.Error) {
	defer recoverTo(&e)
	out, err := deriveBits(algorithm, k, length)
	return out, witError(err)
}

// TimingSafeEqual implements timing-safe-equal.
func (s *Subtle) TimingSafeEqual(ctx context.Context, a []byte, b []byte) bool {
	return subtle.ConstantTimeCompare(a, b) == 1
}

// HasherStart implements [static]hasher.start.
func (s *Subtle) HasherStart(ctx context.Context, algorithm cryptowit.Hash) cryptowit.Hasher {
	hi, err := lookupHash(algorithm)
	if err != nil { // only a Go caller can pass an unknown hash
		panic(fmt.Sprintf("webcrypto: %v", err))
	}
	return &hasher{h: hi.new()}
}

// hasher is the representation of a hasher resource. It is not safe for
// concurrent use (a guest calls it from its one thread).
type hasher struct{ h hash.Hash }

var _ cryptowit.Hasher = (*hasher)(nil)

// Write implements [method]hasher.write.
func (h *hasher) Write(ctx context.Context, data []byte) { h.h.Write(data) }

// Finish implements [method]hasher.finish.
func (h *hasher) Finish(ctx context.Context) []byte {
	sum := h.h.Sum(nil)
	h.h.Reset()
	return sum
}
