package webcrypto

import (
	"crypto/aes"
	"crypto/cipher"
	"crypto/rand"
	"crypto/rsa"
	"crypto/subtle"
	"encoding/binary"

	"github.com/bindery-run/bindery/host/webcrypto/cryptowit"
)

// cipherAlgorithm is the key algorithm each case of cipher-params needs.
var cipherAlgorithm = [...]cryptowit.AlgorithmName{
	cryptowit.CipherParamsAesGcm:  cryptowit.AlgorithmNameAesGcm,
	cryptowit.CipherParamsAesCbc:  cryptowit.AlgorithmNameAesCbc,
	cryptowit.CipherParamsAesCtr:  cryptowit.AlgorithmNameAesCtr,
	cryptowit.CipherParamsAesKw:   cryptowit.AlgorithmNameAesKw,
	cryptowit.CipherParamsRsaOaep: cryptowit.AlgorithmNameRsaOaep,
}

// crypt encrypts (or decrypts) data with k.
func crypt(p cryptowit.CipherParams, k cryptowit.Key, data []byte, encrypt bool) ([]byte, error) {
	if int(p.Tag) >= len(cipherAlgorithm) {
		return nil, notSupported("cipher %d is not one this host knows", p.Tag)
	}
	want := cipherAlgorithm[p.Tag]
	if k.Algorithm != want {
		return nil, invalidAccess("%s: the key is for %s", algName(want), algName(k.Algorithm))
	}
	pk, err := parseKey(k)
	if err != nil {
		return nil, err
	}
	if p.Tag == cryptowit.CipherParamsRsaOaep {
		return oaep(pk, p.RsaOaep, data, encrypt)
	}
	block, err := aes.NewCipher(pk.secret)
	if err != nil {
		return nil, dataError("%s: %w", pk.info.name, err)
	}
	switch p.Tag {
	case cryptowit.CipherParamsAesGcm:
		return gcm(block, p.AesGcm, data, encrypt)
	case cryptowit.CipherParamsAesCbc:
		return cbc(block, p.AesCbc, data, encrypt)
	case cryptowit.CipherParamsAesCtr:
		return ctr(block, p.AesCtr, data)
	default:
		if encrypt {
			return kwWrap(block, data)
		}
		return kwUnwrap(block, data)
	}
}

// oaep is RSA-OAEP with the key's hash (MGF1 with the same hash).
func oaep(pk *key, label, data []byte, encrypt bool) ([]byte, error) {
	if encrypt {
		if pk.kind != cryptowit.KeyTypePublic {
			return nil, invalidAccess("RSA-OAEP: encrypt needs a public key, not a %s one", kindName(pk.kind))
		}
		out, err := rsa.EncryptOAEP(pk.hash.new(), rand.Reader, pk.pub.(*rsa.PublicKey), data, label)
		if err != nil {
			return nil, opError("RSA-OAEP: %w", err)
		}
		return out, nil
	}
	if pk.kind != cryptowit.KeyTypePrivate {
		return nil, invalidAccess("RSA-OAEP: decrypt needs a private key, not a %s one", kindName(pk.kind))
	}
	out, err := rsa.DecryptOAEP(pk.hash.new(), rand.Reader, pk.priv.(*rsa.PrivateKey), data, label)
	if err != nil {
		return nil, opError("RSA-OAEP: %w", err)
	}
	return out, nil
}

// gcm is AES-GCM with any IV length and tag lengths of 32 to 128 bits.
// Go's AEAD makes 16-byte tags (and 12 to 16 bytes when the nonce is 12);
// a shorter tag is the full tag cut short, as NIST SP 800-38D defines it.
func gcm(block cipher.Block, p cryptowit.AesGcmParams, data []byte, encrypt bool) ([]byte, error) {
	switch p.TagLength {
	case 32, 64, 96, 104, 112, 120, 128:
	default:
		return nil, opError("AES-GCM: a tagLength of %d bits; it must be 32, 64, 96, 104, 112, 120 or 128", p.TagLength)
	}
	if len(p.Iv) == 0 {
		return nil, opError("AES-GCM: the iv is empty")
	}
	var aead cipher.AEAD
	var err error
	if len(p.Iv) == 12 {
		aead, err = cipher.NewGCM(block)
	} else {
		aead, err = cipher.NewGCMWithNonceSize(block, len(p.Iv))
	}
	if err != nil {
		return nil, opError("AES-GCM: %w", err)
	}
	t := int(p.TagLength) / 8
	if encrypt {
		return aead.Seal(nil, p.Iv, data, p.AdditionalData)[:len(data)+t], nil
	}
	if len(data) < t {
		return nil, opError("AES-GCM: %d bytes of data are shorter than the %d-byte tag", len(data), t)
	}
	if t == aead.Overhead() {
		out, err := aead.Open(nil, p.Iv, data, p.AdditionalData)
		if err != nil {
			return nil, opError("AES-GCM: the data does not authenticate (wrong key, iv, additionalData or tag)")
		}
		return out, nil
	}
	// A short tag: the key stream is the encryption of zeros; decrypt
	// with it, encrypt the result again and compare the tags.
	ct, tag := data[:len(data)-t], data[len(data)-t:]
	pt := aead.Seal(nil, p.Iv, make([]byte, len(ct)), nil)[:len(ct)]
	subtle.XORBytes(pt, pt, ct)
	full := aead.Seal(nil, p.Iv, pt, p.AdditionalData)
	if subtle.ConstantTimeCompare(full[len(ct):len(ct)+t], tag) != 1 {
		return nil, opError("AES-GCM: the data does not authenticate (wrong key, iv, additionalData or tag)")
	}
	return pt, nil
}

// cbc is AES-CBC with PKCS #7 padding.
func cbc(block cipher.Block, iv, data []byte, encrypt bool) ([]byte, error) {
	if len(iv) != aes.BlockSize {
		return nil, opError("AES-CBC: the iv has %d bytes, not 16", len(iv))
	}
	if encrypt {
		pad := aes.BlockSize - len(data)%aes.BlockSize
		out := make([]byte, len(data)+pad)
		copy(out, data)
		for i := len(data); i < len(out); i++ {
			out[i] = byte(pad)
		}
		cipher.NewCBCEncrypter(block, iv).CryptBlocks(out, out)
		return out, nil
	}
	if len(data) == 0 || len(data)%aes.BlockSize != 0 {
		return nil, opError("AES-CBC: %d bytes of data are not a whole number of 16-byte blocks", len(data))
	}
	out := make([]byte, len(data))
	cipher.NewCBCDecrypter(block, iv).CryptBlocks(out, data)
	// Check the padding without branching on its bytes.
	pad := int(out[len(out)-1])
	good := subtle.ConstantTimeLessOrEq(1, pad) & subtle.ConstantTimeLessOrEq(pad, aes.BlockSize)
	for i := 1; i <= aes.BlockSize; i++ {
		inPad := subtle.ConstantTimeLessOrEq(i, pad)
		same := subtle.ConstantTimeByteEq(out[len(out)-i], byte(pad))
		good &= subtle.ConstantTimeSelect(inPad, same, 1)
	}
	if good != 1 {
		return nil, opError("AES-CBC: the padding does not check (wrong key or iv, or not CBC data)")
	}
	return out[:len(out)-pad], nil
}

// ctr is AES-CTR where only the rightmost p.Length bits of the counter
// block count: they wrap without carrying into the rest.
func ctr(block cipher.Block, p cryptowit.AesCtrParams, data []byte) ([]byte, error) {
	if len(p.Counter) != aes.BlockSize {
		return nil, opError("AES-CTR: the counter has %d bytes, not 16", len(p.Counter))
	}
	if p.Length == 0 || p.Length > 128 {
		return nil, opError("AES-CTR: a length of %d bits; it must be 1 to 128", p.Length)
	}
	blocks := (uint64(len(data)) + aes.BlockSize - 1) / aes.BlockSize
	if p.Length < 64 && blocks > 1<<p.Length {
		return nil, opError("AES-CTR: %d blocks of data would reuse the %d-bit counter", blocks, p.Length)
	}
	counter := append([]byte(nil), p.Counter...)
	out := make([]byte, len(data))
	var ks [aes.BlockSize]byte
	for off := 0; off < len(data); off += aes.BlockSize {
		block.Encrypt(ks[:], counter)
		subtle.XORBytes(out[off:], data[off:], ks[:])
		incCounter(counter, int(p.Length))
	}
	return out, nil
}

// incCounter adds one to the rightmost bits of c, modulo 2^bits.
func incCounter(c []byte, bits int) {
	for i := len(c) - 1; i >= 0 && bits > 0; i-- {
		if bits < 8 {
			mask := byte(1)<<bits - 1
			c[i] = c[i]&^mask | (c[i]+1)&mask
			return
		}
		c[i]++
		bits -= 8
		if c[i] != 0 {
			return
		}
	}
}

// kwIV is RFC 3394's default initial value.
const kwIV = 0xA6A6A6A6A6A6A6A6

// kwWrap is the AES key wrap of RFC 3394 §2.2.1.
func kwWrap(block cipher.Block, data []byte) ([]byte, error) {
	if len(data) < 16 || len(data)%8 != 0 {
		return nil, opError("AES-KW: %d bytes to wrap; it takes a multiple of 8 bytes, at least 16", len(data))
	}
	n := len(data) / 8
	out := make([]byte, len(data)+8)
	copy(out[8:], data)
	a := uint64(kwIV)
	var b [16]byte
	for j := range 6 {
		for i := 1; i <= n; i++ {
			binary.BigEndian.PutUint64(b[:8], a)
			copy(b[8:], out[i*8:i*8+8])
			block.Encrypt(b[:], b[:])
			a = binary.BigEndian.Uint64(b[:8]) ^ uint64(n*j+i)
			copy(out[i*8:], b[8:])
		}
	}
	binary.BigEndian.PutUint64(out[:8], a)
	return out, nil
}

// kwUnwrap is the AES key unwrap of RFC 3394 §2.2.2.
func kwUnwrap(block cipher.Block, data []byte) ([]byte, error) {
	if len(data) < 24 || len(data)%8 != 0 {
		return nil, opError("AES-KW: %d bytes to unwrap; wrapped data is a multiple of 8 bytes, at least 24", len(data))
	}
	n := len(data)/8 - 1
	r := append([]byte(nil), data[8:]...)
	a := binary.BigEndian.Uint64(data[:8])
	var b [16]byte
	for j := 5; j >= 0; j-- {
		for i := n; i >= 1; i-- {
			binary.BigEndian.PutUint64(b[:8], a^uint64(n*j+i))
			copy(b[8:], r[(i-1)*8:i*8])
			block.Decrypt(b[:], b[:])
			a = binary.BigEndian.Uint64(b[:8])
			copy(r[(i-1)*8:], b[8:])
		}
	}
	var got, want [8]byte
	binary.BigEndian.PutUint64(got[:], a)
	binary.BigEndian.PutUint64(want[:], kwIV)
	if subtle.ConstantTimeCompare(got[:], want[:]) != 1 {
		return nil, opError("AES-KW: the data does not unwrap with this key")
	}
	return r, nil
}
