// Package webcrypto serves the WIT interface "bindery:crypto/subtle@0.1.0":
// Web Crypto's SubtleCrypto as Cloudflare Workers have it, computed with
// Go's standard crypto packages. The JavaScript SDK's crypto.subtle
// (guest-sdk/js/src/crypto.js) is built on it; any guest may call it.
//
//	rt, err := host.NewRuntime(ctx, host.RuntimeConfig{}) // serves webcrypto.WIT() to every Worker
//
// # Keys
//
// The host keeps no keys. A key is a cryptowit.Key: its algorithm, its
// type, the hash an HMAC or RSA key is bound to, and its material (a
// secret key's bytes, a public key as DER SubjectPublicKeyInfo, a private
// key as DER PKCS #8). import-key and generate-key return it, the guest
// keeps it inside its CryptoKey and passes it back with every operation,
// and the host parses it again (a P-256 private key in ~20 µs, an RSA-2048
// one in ~140 µs, next to its ~900 µs signature). So a key survives
// anything the guest's memory survives (a snapshot of an initialised
// engine, an instance reused across requests) and needs no handle to
// drop; docs/design.md says why. Usages and extractability are rules of
// the JS API, enforced by the guest.
//
// # Algorithms
//
// digest (MD5 too, as in Workers) and the streaming hasher; HMAC;
// AES-GCM (tags of 32 to 128 bits, any IV length), AES-CBC, AES-CTR (the
// counter's low bits wrap), AES-KW (RFC 3394); RSASSA-PKCS1-v1_5,
// RSA-PSS, RSA-OAEP; ECDSA and ECDH on P-256, P-384 and P-521; Ed25519
// and X25519; PBKDF2 and HKDF. Formats: raw, spki, pkcs8 and jwk, as
// WebCrypto allows each algorithm.
//
// # Errors
//
// Every failure is an error wrapping one of [ErrNotSupported],
// [ErrSyntax], [ErrInvalidAccess], [ErrData] or [ErrOperation], which the
// guest sees as the error case of the same DOMException name. A panic in
// an operation becomes an OperationError: nothing the guest passes traps
// (the glue still traps on ABI violations, such as an enum value out of
// range).
//
// # Limits
//
// RSA keys of [MinRSABits] to [MaxRSABits] bits (Go refuses smaller
// ones), generated up to [MaxRSAGenerateBits] with the exponent 65537
// only; PBKDF2 up to [MaxPBKDF2Iterations] iterations (Cloudflare's limit)
// and [MaxPBKDF2Blocks] hash blocks of output at that count; HMAC keys
// generated up to 65536 bits. RSA-PSS cannot sign with a saltLength of 0
// (Go's crypto/rsa reads 0 as "longest"), though it verifies such
// signatures. A host call runs to its end whatever the Worker's deadline,
// which is what these limits bound.
package webcrypto
