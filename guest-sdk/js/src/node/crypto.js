// node:crypto over the host's crypto (bindery:crypto/subtle, Go's crypto
// packages), the same one crypto.subtle uses: createHash and createHmac
// (MD5, SHA-1, SHA-256, SHA-384, SHA-512; streamed to the host, so any
// length), hash(), randomBytes/randomFill/randomInt/randomUUID,
// timingSafeEqual, pbkdf2 and hkdf, AES-GCM/CBC/CTR ciphers, KeyObject
// (secret keys; RSA, EC, Ed25519 and X25519 keys from PEM, DER or JWK),
// sign/verify (RSA PKCS #1 v1.5 and PSS, ECDSA, Ed25519), and webcrypto.
import * as host from 'bindery:crypto/subtle@0.1.0';
import { Buffer } from './buffer.js';
import { notImplemented } from './stub.js';
import { register } from './builtins.js';

const dispose = Symbol.dispose || Symbol.for('dispose');

// --- errors and values --------------------------------------------------------------------

function nodeError(Type, code, message) {
  const e = new Type(message);
  e.code = code;
  return e;
}

// call runs a host call; the host's error becomes an Error with its message.
function call(f, what) {
  try {
    return f();
  } catch (e) {
    const p = e && e.payload;
    if (p && typeof p === 'object' && 'tag' in p) throw nodeError(Error, 'ERR_CRYPTO_OPERATION_FAILED', `${what}: ${p.val}`);
    throw e;
  }
}

// bytes returns data (a string in encoding, a Buffer, a typed array, a
// DataView or an ArrayBuffer) as a Uint8Array.
function bytes(data, encoding, name = 'data') {
  if (typeof data === 'string') return Buffer.from(data, encoding || 'utf8');
  if (data instanceof Uint8Array) return data;
  if (ArrayBuffer.isView(data)) return new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
  if (data instanceof ArrayBuffer || (typeof SharedArrayBuffer === 'function' && data instanceof SharedArrayBuffer)) return new Uint8Array(data);
  throw nodeError(TypeError, 'ERR_INVALID_ARG_TYPE', `The "${name}" argument must be of type string or an instance of Buffer, TypedArray, DataView, or ArrayBuffer`);
}

// output returns a result as a Buffer, or as a string in encoding.
function output(u8, encoding) {
  const b = Buffer.from(u8.buffer, u8.byteOffset, u8.byteLength);
  return encoding && encoding !== 'buffer' ? b.toString(encoding) : b;
}

// --- hashes ------------------------------------------------------------------------------------

// HASHES maps Node's digest names (lowercased) to the host's.
const HASHES = {
  md5: 'md5', 'rsa-md5': 'md5',
  sha1: 'sha1', 'sha-1': 'sha1', 'rsa-sha1': 'sha1', sha1withrsaencryption: 'sha1',
  sha256: 'sha256', 'sha-256': 'sha256', 'rsa-sha256': 'sha256', sha256withrsaencryption: 'sha256',
  sha384: 'sha384', 'sha-384': 'sha384', 'rsa-sha384': 'sha384', sha384withrsaencryption: 'sha384',
  sha512: 'sha512', 'sha-512': 'sha512', 'rsa-sha512': 'sha512', sha512withrsaencryption: 'sha512',
};
const BLOCK = { md5: 64, sha1: 64, sha256: 64, sha384: 128, sha512: 128 };
const SIZE = { md5: 16, sha1: 20, sha256: 32, sha384: 48, sha512: 64 };

function hashName(algorithm) {
  const h = HASHES[String(algorithm).toLowerCase()];
  if (!h) throw nodeError(Error, 'ERR_CRYPTO_INVALID_DIGEST', `Digest method not supported: ${algorithm} (Bindery's node:crypto has md5, sha1, sha256, sha384, sha512)`);
  return h;
}

const finalized = () => nodeError(Error, 'ERR_CRYPTO_HASH_FINALIZED', 'Digest already called');

/** Hash is createHash's: update() any number of times, then digest() once. */
export class Hash {
  #h;
  #done = false;

  constructor(algorithm, options) {
    void options;
    this.#h = host.Hasher.start(hashName(algorithm));
  }

  /** update adds data (a string in inputEncoding, utf8 by default). */
  update(data, inputEncoding) {
    if (this.#done) throw finalized();
    this.#h.write(bytes(data, inputEncoding));
    return this;
  }

  /** digest returns the hash, as a Buffer or a string in encoding. */
  digest(encoding) {
    if (this.#done) throw finalized();
    this.#done = true;
    const out = this.#h.finish();
    this.#h[dispose]();
    return output(out, encoding);
  }

  /** copy is not supported (the host's hash state cannot be duplicated). */
  copy() {
    throw notImplemented('crypto.Hash.prototype.copy');
  }
}

/** createHash returns a Hash of algorithm (md5, sha1, sha256, sha384 or sha512). */
export function createHash(algorithm, options) {
  return new Hash(algorithm, options);
}

/** hash returns the digest of data in one call (hex by default). */
export function hash(algorithm, data, outputEncoding = 'hex') {
  return output(call(() => host.digest(hashName(algorithm), bytes(data)), 'hash'), outputEncoding);
}

/** Hmac is createHmac's: HMAC (RFC 2104) over the host's streamed hash, so keys of any length work. */
export class Hmac {
  #inner;
  #outer;
  #hash;
  #done = false;

  constructor(algorithm, key, options) {
    void options;
    this.#hash = hashName(algorithm);
    let k = keyBytes(key, 'key');
    const block = BLOCK[this.#hash];
    if (k.length > block) k = call(() => host.digest(this.#hash, k), 'hmac');
    const pad = new Uint8Array(block);
    pad.set(k);
    this.#outer = pad.map((b) => b ^ 0x5c);
    this.#inner = host.Hasher.start(this.#hash);
    this.#inner.write(pad.map((b) => b ^ 0x36));
  }

  update(data, inputEncoding) {
    if (this.#done) throw finalized();
    this.#inner.write(bytes(data, inputEncoding));
    return this;
  }

  digest(encoding) {
    if (this.#done) throw finalized();
    this.#done = true;
    const inner = this.#inner.finish();
    this.#inner[dispose]();
    const h = host.Hasher.start(this.#hash);
    h.write(this.#outer);
    h.write(inner);
    const out = h.finish();
    h[dispose]();
    return output(out, encoding);
  }
}

/** createHmac returns an Hmac of algorithm keyed with key. */
export function createHmac(algorithm, key, options) {
  return new Hmac(algorithm, key, options);
}

export const getHashes = () => ['md5', 'sha1', 'sha256', 'sha384', 'sha512', 'RSA-MD5', 'RSA-SHA1', 'RSA-SHA256', 'RSA-SHA384', 'RSA-SHA512'];

// --- randomness --------------------------------------------------------------------------------

const webcrypto_ = globalThis.crypto;

function fillRandom(u8) {
  for (let i = 0; i < u8.length; i += 65536) webcrypto_.getRandomValues(u8.subarray(i, Math.min(u8.length, i + 65536)));
  return u8;
}

function checkSize(size, name = 'size') {
  if (typeof size !== 'number' || !Number.isInteger(size) || size < 0 || size > 2 ** 31 - 1) {
    throw nodeError(RangeError, 'ERR_OUT_OF_RANGE', `The value of "${name}" is out of range. It must be >= 0 && <= ${2 ** 31 - 1}. Received ${size}`);
  }
  return size;
}

/** randomBytes returns size random bytes (from the host's crypto/rand), or passes them to callback. */
export function randomBytes(size, callback) {
  const b = fillRandom(Buffer.alloc(checkSize(size)));
  if (typeof callback === 'function') {
    queueMicrotask(() => callback(null, b));
    return undefined;
  }
  return b;
}
export const pseudoRandomBytes = randomBytes;
export const prng = randomBytes;
export const rng = randomBytes;

/** randomFillSync fills buf (from offset, size bytes) with random bytes and returns it. */
export function randomFillSync(buf, offset = 0, size) {
  const u8 = bytes(buf, undefined, 'buf');
  const end = size === undefined ? u8.length : offset + size;
  if (offset < 0 || end > u8.length) throw nodeError(RangeError, 'ERR_OUT_OF_RANGE', 'The value of "offset + size" is out of range');
  fillRandom(u8.subarray(offset, end));
  return buf;
}

/** randomFill is randomFillSync with a callback. */
export function randomFill(buf, offset, size, callback) {
  if (typeof offset === 'function') [callback, offset, size] = [offset, 0, undefined];
  else if (typeof size === 'function') [callback, size] = [size, undefined];
  let err = null;
  try {
    randomFillSync(buf, offset, size);
  } catch (e) {
    err = e;
  }
  queueMicrotask(() => callback(err, buf));
}

/** randomInt returns a uniformly random integer in [min, max). */
export function randomInt(min, max, callback) {
  if (typeof max === 'function' || max === undefined) [callback, max, min] = [max, min, 0];
  if (!Number.isSafeInteger(min) || !Number.isSafeInteger(max) || max <= min || max - min > 2 ** 48) {
    throw nodeError(RangeError, 'ERR_OUT_OF_RANGE', `The range "max - min" must be a safe integer <= 2^48 and max > min. Received min ${min}, max ${max}`);
  }
  const range = max - min;
  const limit = 2 ** 48 - (2 ** 48 % range);
  const b = new Uint8Array(6);
  let x;
  do {
    fillRandom(b);
    x = b.reduce((acc, v) => acc * 256 + v, 0);
  } while (x >= limit);
  const n = min + (x % range);
  if (typeof callback === 'function') {
    queueMicrotask(() => callback(null, n));
    return undefined;
  }
  return n;
}

/** randomUUID returns a random version 4 UUID. */
export function randomUUID() {
  return webcrypto_.randomUUID();
}

/** getRandomValues is webcrypto's. */
export function getRandomValues(typedArray) {
  return webcrypto_.getRandomValues(typedArray);
}

// --- comparisons and derivations -----------------------------------------------------------------------

/** timingSafeEqual compares two buffers of the same length in constant time (in the host). */
export function timingSafeEqual(a, b) {
  const x = bytes(a, undefined, 'buf1');
  const y = bytes(b, undefined, 'buf2');
  if (x.byteLength !== y.byteLength) throw nodeError(RangeError, 'ERR_CRYPTO_TIMING_SAFE_EQUAL_LENGTH', 'Input buffers must have the same byte length');
  return host.timingSafeEqual(x, y);
}

function secretKey(material) {
  return { algorithm: 'pbkdf2', kind: 'secret', hash: undefined, material };
}

/** pbkdf2Sync derives keylen bytes from password and salt (the host takes at most 100,000 iterations, as Workers do). */
export function pbkdf2Sync(password, salt, iterations, keylen, digest) {
  const h = hashName(digest);
  if (h === 'md5') throw nodeError(TypeError, 'ERR_CRYPTO_INVALID_DIGEST', 'Invalid digest: md5 (the host derives with SHA-1 to SHA-512)');
  checkSize(keylen, 'keylen');
  if (!Number.isInteger(iterations) || iterations < 1) throw nodeError(RangeError, 'ERR_OUT_OF_RANGE', `The value of "iterations" is out of range. It must be >= 1. Received ${iterations}`);
  if (keylen === 0) return Buffer.alloc(0);
  const params = { tag: 'pbkdf2', val: { hash: h, salt: bytes(salt, undefined, 'salt'), iterations } };
  return output(call(() => host.deriveBits(params, secretKey(keyBytes(password, 'password')), keylen * 8), 'pbkdf2'));
}

/** pbkdf2 is pbkdf2Sync with a callback. */
export function pbkdf2(password, salt, iterations, keylen, digest, callback) {
  let r, err = null;
  try {
    r = pbkdf2Sync(password, salt, iterations, keylen, digest);
  } catch (e) {
    err = e;
  }
  queueMicrotask(() => callback(err, r));
}

/** hkdfSync derives keylen bytes (an ArrayBuffer) with HKDF. */
export function hkdfSync(digest, ikm, salt, info, keylen) {
  const h = hashName(digest);
  checkSize(keylen, 'keylen');
  if (keylen > 255 * SIZE[h]) throw nodeError(RangeError, 'ERR_CRYPTO_INVALID_KEYLEN', 'Invalid key length');
  if (keylen === 0) return new ArrayBuffer(0);
  const params = { tag: 'hkdf', val: { hash: h, salt: bytes(salt, undefined, 'salt'), info: bytes(info, undefined, 'info') } };
  const out = call(() => host.deriveBits(params, { ...secretKey(keyBytes(ikm, 'ikm')), algorithm: 'hkdf' }, keylen * 8), 'hkdf');
  return out.buffer.slice(out.byteOffset, out.byteOffset + out.byteLength);
}

/** hkdf is hkdfSync with a callback. */
export function hkdf(digest, ikm, salt, info, keylen, callback) {
  let r, err = null;
  try {
    r = hkdfSync(digest, ikm, salt, info, keylen);
  } catch (e) {
    err = e;
  }
  queueMicrotask(() => callback(err, r));
}

export function scryptSync() {
  throw notImplemented('crypto.scryptSync');
}

export function scrypt() {
  throw notImplemented('crypto.scrypt');
}

// --- ciphers --------------------------------------------------------------------------------------

const CIPHERS = {};
for (const bits of [128, 192, 256]) {
  for (const mode of ['gcm', 'cbc', 'ctr']) CIPHERS[`aes-${bits}-${mode}`] = { bits, mode };
  CIPHERS[`id-aes${bits}-gcm`] = { bits, mode: 'gcm' };
  CIPHERS[`aes${bits}`] = { bits, mode: 'cbc' };
}

function cipherSpec(name, key, iv, options = {}) {
  const spec = CIPHERS[String(name).toLowerCase()];
  if (!spec) throw nodeError(TypeError, 'ERR_CRYPTO_UNKNOWN_CIPHER', `Unknown cipher: ${name} (Bindery's node:crypto has aes-128/192/256-gcm, -cbc and -ctr)`);
  const k = keyBytes(key, 'key');
  if (k.length * 8 !== spec.bits) throw nodeError(RangeError, 'ERR_CRYPTO_INVALID_KEYLEN', 'Invalid key length');
  const v = bytes(iv, undefined, 'iv');
  if (spec.mode === 'gcm' ? v.length === 0 : v.length !== 16) throw nodeError(TypeError, 'ERR_CRYPTO_INVALID_IV', 'Invalid initialization vector');
  const tagLength = options.authTagLength === undefined ? 16 : options.authTagLength;
  if (spec.mode === 'gcm' && ![4, 8, 12, 13, 14, 15, 16].includes(tagLength)) throw nodeError(TypeError, 'ERR_CRYPTO_INVALID_AUTH_TAG', `Invalid authentication tag length: ${tagLength}`);
  return { ...spec, key: k, iv: v.slice(), tagLength };
}

// Cipher buffers what update() is given and encrypts or decrypts it in
// final() (the host's AES is one call): update returns an empty result,
// final everything; together they are what Node returns.
class CipherBase {
  #spec;
  #encrypt;
  #parts = [];
  #aad = new Uint8Array(0);
  #tag = null;
  #done = false;
  #padding = true;

  constructor(spec, encrypt) {
    this.#spec = spec;
    this.#encrypt = encrypt;
  }

  update(data, inputEncoding, outputEncoding) {
    if (this.#done) throw nodeError(Error, 'ERR_CRYPTO_INVALID_STATE', 'Invalid state for operation update');
    this.#parts.push(bytes(data, inputEncoding).slice());
    return output(new Uint8Array(0), outputEncoding);
  }

  final(outputEncoding) {
    if (this.#done) throw nodeError(Error, 'ERR_CRYPTO_INVALID_STATE', 'Invalid state for operation final');
    this.#done = true;
    const s = this.#spec;
    let data = Buffer.concat(this.#parts);
    if (!this.#padding && s.mode === 'cbc') throw notImplemented('crypto.Cipher.setAutoPadding(false)');
    let params;
    switch (s.mode) {
      case 'gcm':
        params = { tag: 'aes-gcm', val: { iv: s.iv, additionalData: this.#aad, tagLength: s.tagLength * 8 } };
        if (!this.#encrypt) {
          if (!this.#tag) throw nodeError(Error, 'ERR_CRYPTO_INVALID_STATE', 'Unsupported state or unable to authenticate data');
          data = Buffer.concat([data, this.#tag]);
        }
        break;
      case 'cbc':
        params = { tag: 'aes-cbc', val: s.iv };
        break;
      default:
        params = { tag: 'aes-ctr', val: { counter: s.iv, length: 128 } };
    }
    const key = { algorithm: `aes-${s.mode}`, kind: 'secret', hash: undefined, material: s.key };
    let out;
    try {
      out = (this.#encrypt ? host.encrypt : host.decrypt)(params, key, data);
    } catch (e) {
      if (e && e.payload && 'tag' in e.payload) {
        throw nodeError(Error, 'ERR_CRYPTO_OPERATION_FAILED', s.mode === 'gcm' ? 'Unsupported state or unable to authenticate data' : 'bad decrypt');
      }
      throw e;
    }
    if (s.mode === 'gcm' && this.#encrypt) {
      this.#tag = Buffer.from(out.slice(out.length - s.tagLength));
      out = out.subarray(0, out.length - s.tagLength);
    }
    return output(out, outputEncoding);
  }

  setAAD(buffer) {
    if (this.#spec.mode !== 'gcm') throw nodeError(Error, 'ERR_CRYPTO_INVALID_STATE', 'Invalid state for operation setAAD');
    this.#aad = bytes(buffer, undefined, 'buffer').slice();
    return this;
  }

  setAutoPadding(autoPadding = true) {
    this.#padding = !!autoPadding;
    return this;
  }

  /** getAuthTag returns GCM's tag, after final(). */
  getAuthTag() {
    if (!this.#encrypt || !this.#done || !this.#tag) throw nodeError(Error, 'ERR_CRYPTO_INVALID_STATE', 'Invalid state for operation getAuthTag');
    return this.#tag;
  }

  /** setAuthTag gives GCM's tag to check, before final(). */
  setAuthTag(tag) {
    if (this.#encrypt || this.#done || this.#spec.mode !== 'gcm') throw nodeError(Error, 'ERR_CRYPTO_INVALID_STATE', 'Invalid state for operation setAuthTag');
    const t = bytes(tag, undefined, 'buffer');
    if (t.length !== this.#spec.tagLength) throw nodeError(TypeError, 'ERR_CRYPTO_INVALID_AUTH_TAG', `Invalid authentication tag length: ${t.length}`);
    this.#tag = t.slice();
    return this;
  }
}

export class Cipheriv extends CipherBase {
  constructor(algorithm, key, iv, options) {
    super(cipherSpec(algorithm, key, iv, options), true);
  }
}

export class Decipheriv extends CipherBase {
  constructor(algorithm, key, iv, options) {
    super(cipherSpec(algorithm, key, iv, options), false);
  }
}

/** createCipheriv returns an AES cipher (aes-128/192/256-gcm, -cbc, -ctr). */
export function createCipheriv(algorithm, key, iv, options) {
  return new Cipheriv(algorithm, key, iv, options);
}

/** createDecipheriv returns an AES decipher. */
export function createDecipheriv(algorithm, key, iv, options) {
  return new Decipheriv(algorithm, key, iv, options);
}

export const getCiphers = () => Object.keys(CIPHERS).filter((n) => n.startsWith('aes-'));
export const getCurves = () => ['prime256v1', 'secp384r1', 'secp521r1'];

// --- keys -------------------------------------------------------------------------------------

// keyBytes returns a secret: a string (utf8), a buffer, or a secret KeyObject.
function keyBytes(key, name) {
  if (key instanceof KeyObject) {
    if (key.type !== 'secret') throw nodeError(TypeError, 'ERR_CRYPTO_INVALID_KEY_OBJECT_TYPE', `Invalid key object type ${key.type}, expected secret`);
    return KeyObject.material(key);
  }
  if (typeof CryptoKey === 'function' && key instanceof CryptoKey) throw notImplemented('a CryptoKey as a node:crypto key (use KeyObject.from)');
  return bytes(key, undefined, name);
}

const keyBrand = Symbol.for('bindery.node.KeyObject');

/** KeyObject is a key: 'secret', or an asymmetric 'public' or 'private' key. */
export class KeyObject {
  #type;
  #material; // secret bytes, SPKI DER or PKCS #8 DER
  #info; // { asymmetricKeyType, namedCurve }

  constructor(type, material, info) {
    if (!['secret', 'public', 'private'].includes(type)) throw new TypeError(`Invalid KeyObject type: ${type}`);
    this.#type = type;
    this.#material = material;
    this.#info = info || {};
    Object.defineProperty(this, keyBrand, { value: true });
  }

  static material(k) {
    return k.#material;
  }

  static info(k) {
    return k.#info;
  }

  /** from returns the KeyObject of a CryptoKey (an extractable one). */
  static from(key) {
    void key;
    throw notImplemented('crypto.KeyObject.from');
  }

  get type() {
    return this.#type;
  }

  get symmetricKeySize() {
    return this.#type === 'secret' ? this.#material.length : undefined;
  }

  get asymmetricKeyType() {
    return this.#type === 'secret' ? undefined : this.#info.asymmetricKeyType;
  }

  get asymmetricKeyDetails() {
    if (this.#type === 'secret') return undefined;
    return this.#info.namedCurve ? { namedCurve: this.#info.namedCurve } : {};
  }

  /** export returns the key: a secret's bytes (or JWK); an asymmetric key as PEM, DER or JWK. */
  export(options = {}) {
    const format = options.format || (this.#type === 'secret' ? 'buffer' : undefined);
    if (this.#type === 'secret') {
      if (format === 'jwk') return { kty: 'oct', k: Buffer.from(this.#material).toString('base64url') };
      return Buffer.from(this.#material);
    }
    if (format === 'jwk') {
      const fmt = this.#type === 'public' ? 'spki' : 'pkcs8';
      const alg = hostAlgorithm(this.#info, 'export');
      const jwk = call(() => host.exportKey('jwk', { algorithm: alg, kind: this.#type, hash: alg.startsWith('rs') ? 'sha256' : undefined, material: this.#material }), `export ${fmt} as jwk`);
      const o = JSON.parse(new TextDecoder().decode(jwk));
      delete o.alg;
      delete o.key_ops;
      delete o.ext;
      return o;
    }
    const type = options.type || (this.#type === 'public' ? 'spki' : 'pkcs8');
    if ((this.#type === 'public' && type !== 'spki') || (this.#type === 'private' && type !== 'pkcs8')) {
      throw notImplemented(`KeyObject.export type ${type} (spki and pkcs8 are supported)`);
    }
    if (options.cipher) throw notImplemented('KeyObject.export with a cipher');
    if (format === 'der') return Buffer.from(this.#material);
    if (format !== 'pem') throw nodeError(TypeError, 'ERR_INVALID_ARG_VALUE', `The property 'options.format' must be one of: 'pem', 'der', 'jwk'. Received ${format}`);
    return pem(this.#type === 'public' ? 'PUBLIC KEY' : 'PRIVATE KEY', this.#material);
  }

  equals(other) {
    if (!(other instanceof KeyObject) || other.type !== this.#type) return false;
    const a = this.#material;
    const b = KeyObject.material(other);
    return a.length === b.length && host.timingSafeEqual(a, b);
  }
}

function pem(label, der) {
  const b64 = Buffer.from(der).toString('base64').replace(/.{64}/g, '$&\n').replace(/\n$/, '');
  return `-----BEGIN ${label}-----\n${b64}\n-----END ${label}-----\n`;
}

/** createSecretKey returns a secret KeyObject. */
export function createSecretKey(key, encoding) {
  return new KeyObject('secret', bytes(key, encoding, 'key').slice());
}

// --- DER, just enough for keys ---------------------------------------------------------------------

// readTLV reads one DER element at offset i of b.
function readTLV(b, i) {
  const tag = b[i];
  let len = b[i + 1];
  let p = i + 2;
  if (len & 0x80) {
    const n = len & 0x7f;
    len = 0;
    for (let j = 0; j < n; j++) len = len * 256 + b[p + j];
    p += n;
  }
  if (p + len > b.length) throw nodeError(Error, 'ERR_OSSL_ASN1_TOO_LONG', 'the key is not valid DER');
  return { tag, start: i, body: p, end: p + len };
}

function children(b, el) {
  const out = [];
  for (let i = el.body; i < el.end;) {
    const c = readTLV(b, i);
    out.push(c);
    i = c.end;
  }
  return out;
}

function derLength(n) {
  if (n < 0x80) return [n];
  const out = [];
  for (; n > 0; n = Math.floor(n / 256)) out.unshift(n & 0xff);
  return [0x80 | out.length, ...out];
}

function der(tag, ...parts) {
  const body = Buffer.concat(parts.map((p) => (p instanceof Uint8Array ? p : Uint8Array.from(p))));
  return Buffer.concat([Uint8Array.from([tag, ...derLength(body.length)]), body]);
}

const OIDS = {
  '2a864886f70d010101': { asymmetricKeyType: 'rsa' },
  '2a864886f70d01010a': { asymmetricKeyType: 'rsa-pss' },
  '2a8648ce3d0201': { asymmetricKeyType: 'ec' },
  '2b6570': { asymmetricKeyType: 'ed25519' },
  '2b656e': { asymmetricKeyType: 'x25519' },
};
const CURVE_OIDS = { '2a8648ce3d030107': 'prime256v1', '2b81040022': 'secp384r1', '2b81040023': 'secp521r1' };
const RSA_ALG = Buffer.from('300d06092a864886f70d0101010500', 'hex'); // AlgorithmIdentifier { rsaEncryption, NULL }
const EC_OID = Buffer.from('06072a8648ce3d0201', 'hex');

const hexOf = (b, el) => Buffer.from(b.subarray(el.body, el.end)).toString('hex');

// keyInfo reads the algorithm of an SPKI or PKCS #8 key.
function keyInfo(b, kind) {
  const top = children(b, readTLV(b, 0));
  const algId = kind === 'public' ? top[0] : top[1];
  if (!algId || algId.tag !== 0x30) throw nodeError(Error, 'ERR_OSSL_UNSUPPORTED', 'the key is not SPKI or PKCS #8 DER');
  const [oid, param] = children(b, algId);
  const info = OIDS[hexOf(b, oid)];
  if (!info) throw nodeError(Error, 'ERR_OSSL_UNSUPPORTED', 'unsupported key algorithm');
  const out = { ...info };
  if (out.asymmetricKeyType === 'ec') {
    out.namedCurve = param && CURVE_OIDS[hexOf(b, param)];
    if (!out.namedCurve) throw nodeError(Error, 'ERR_OSSL_UNSUPPORTED', 'unsupported EC curve (P-256, P-384 and P-521 are)');
  }
  return out;
}

// asDER turns a PEM or DER key of any common kind into SPKI or PKCS #8 DER.
function asDER(input, kind, format, type) {
  if (typeof input === 'string' || (format !== 'der' && format !== 'jwk' && isPEM(input))) {
    const text = typeof input === 'string' ? input : new TextDecoder().decode(bytes(input));
    const m = /-----BEGIN ([A-Z0-9 ]+)-----([\s\S]*?)-----END \1-----/.exec(text);
    if (!m) throw nodeError(TypeError, 'ERR_INVALID_ARG_VALUE', 'the key is not a PEM key');
    const body = Buffer.from(m[2].replace(/\s+/g, ''), 'base64');
    switch (m[1]) {
      case 'PUBLIC KEY':
        return { der: body, kind: 'public' };
      case 'PRIVATE KEY':
        return { der: body, kind: 'private' };
      case 'RSA PUBLIC KEY':
        return { der: der(0x30, RSA_ALG, der(0x03, [0], body)), kind: 'public' };
      case 'RSA PRIVATE KEY':
        return { der: der(0x30, [2, 1, 0], RSA_ALG, der(0x04, body)), kind: 'private' };
      case 'EC PRIVATE KEY':
        return { der: sec1ToPKCS8(body), kind: 'private' };
      case 'CERTIFICATE':
        return { der: certificateSPKI(body), kind: 'public' };
      case 'ENCRYPTED PRIVATE KEY':
        throw notImplemented('encrypted private keys');
    }
    throw nodeError(TypeError, 'ERR_INVALID_ARG_VALUE', `unsupported PEM type ${m[1]}`);
  }
  const b = bytes(input, undefined, 'key');
  if (type === 'pkcs1') return kind === 'public' ? { der: der(0x30, RSA_ALG, der(0x03, [0], b)), kind } : { der: der(0x30, [2, 1, 0], RSA_ALG, der(0x04, b)), kind };
  if (type === 'sec1') return { der: sec1ToPKCS8(b), kind: 'private' };
  return { der: b, kind: type === 'spki' ? 'public' : type === 'pkcs8' ? 'private' : kind };
}

function isPEM(input) {
  const b = bytes(input, undefined, 'key');
  return b.length > 10 && String.fromCharCode(...b.subarray(0, 10)) === '-----BEGIN';
}

function sec1ToPKCS8(b) {
  const parts = children(b, readTLV(b, 0));
  const params = parts.find((p) => p.tag === 0xa0);
  if (!params) throw nodeError(Error, 'ERR_OSSL_UNSUPPORTED', 'an EC private key without its curve');
  const curve = b.subarray(params.body, params.end);
  return der(0x30, [2, 1, 0], der(0x30, EC_OID, curve), der(0x04, b));
}

function certificateSPKI(b) {
  const tbs = children(b, readTLV(b, 0))[0];
  const fields = children(b, tbs);
  const i = fields[0].tag === 0xa0 ? 6 : 5; // [0] version is optional
  const spki = fields[i];
  return b.slice(spki.start, spki.end);
}

function jwkKey(jwk, kind) {
  if (jwk.kty === 'oct') return createSecretKey(Buffer.from(jwk.k, 'base64url'));
  const alg = { RSA: 'rsassa-pkcs1', EC: 'ecdsa', OKP: jwk.crv === 'X25519' ? 'x25519' : 'ed25519' }[jwk.kty];
  if (!alg) throw nodeError(TypeError, 'ERR_CRYPTO_INVALID_JWK', 'Invalid JWK data');
  const isPrivate = kind === 'private' && jwk.d !== undefined;
  if (kind === 'private' && !isPrivate) throw nodeError(TypeError, 'ERR_CRYPTO_INVALID_JWK', 'Invalid JWK private key');
  const params = { length: undefined, namedCurve: jwk.kty === 'EC' ? curveOfJWK(jwk) : undefined, modulusLength: undefined, publicExponent: undefined };
  const clean = { ...jwk };
  delete clean.alg;
  delete clean.use;
  delete clean.key_ops;
  const k = call(() => host.importKey('jwk', new TextEncoder().encode(JSON.stringify(clean)), alg, alg === 'rsassa-pkcs1' ? 'sha256' : undefined, params), 'import jwk');
  const type = isPrivate ? 'private' : 'public';
  const material = kind === 'public' && isPrivate ? publicOf(k.key) : k.key.material;
  return new KeyObject(type === 'private' && kind === 'public' ? 'public' : type, material, keyInfo(material, kind === 'public' ? 'public' : type));
}

// publicOf returns the SPKI of a private key (through its JWK, which has both halves).
function publicOf(key) {
  const jwk = JSON.parse(new TextDecoder().decode(call(() => host.exportKey('jwk', key), 'export jwk')));
  for (const k of ['d', 'p', 'q', 'dp', 'dq', 'qi']) delete jwk[k];
  delete jwk.alg;
  const pub = call(() => host.importKey('jwk', new TextEncoder().encode(JSON.stringify(jwk)), key.algorithm, key.hash, { length: undefined, namedCurve: key.algorithm === 'ecdsa' ? curveOfJWK(jwk) : undefined, modulusLength: undefined, publicExponent: undefined }), 'import jwk');
  return call(() => host.exportKey('spki', pub.key), 'export spki');
}

function curveOfJWK(jwk) {
  return { 'P-256': 'p256', 'P-384': 'p384', 'P-521': 'p521' }[jwk.crv];
}

function makeKey(key, kind) {
  if (key instanceof KeyObject) {
    if (kind === 'public' && key.type === 'private') {
      const alg = hostAlgorithm(KeyObject.info(key), 'public');
      const spki = publicOf({ algorithm: alg, kind: 'private', hash: alg === 'rsassa-pkcs1' ? 'sha256' : undefined, material: KeyObject.material(key) });
      return new KeyObject('public', spki, KeyObject.info(key));
    }
    return key;
  }
  let input = key;
  let format;
  let type;
  if (key && typeof key === 'object' && !ArrayBuffer.isView(key) && !(key instanceof ArrayBuffer)) {
    if (key.format === 'jwk') return jwkKey(key.key, kind);
    ({ key: input, format, type } = key);
    if (input instanceof KeyObject) return makeKey(input, kind);
    if (key.passphrase !== undefined) throw notImplemented('encrypted private keys');
  }
  let { der: d, kind: k } = asDER(input, kind, format, type);
  const info = keyInfo(d, k);
  if (kind === 'public' && k === 'private') {
    const alg = hostAlgorithm(info, 'public');
    d = publicOf({ algorithm: alg, kind: 'private', hash: alg === 'rsassa-pkcs1' ? 'sha256' : undefined, material: d });
    k = 'public';
  }
  if (kind === 'private' && k !== 'private') throw nodeError(TypeError, 'ERR_INVALID_ARG_VALUE', 'the key is not a private key');
  return new KeyObject(k, d, info);
}

/** createPublicKey returns a public KeyObject (from a public or a private key: PEM, DER or JWK). */
export function createPublicKey(key) {
  return makeKey(key, 'public');
}

/** createPrivateKey returns a private KeyObject (PEM, DER or JWK). */
export function createPrivateKey(key) {
  return makeKey(key, 'private');
}

function hostAlgorithm(info, op) {
  switch (info.asymmetricKeyType) {
    case 'rsa':
      return 'rsassa-pkcs1';
    case 'ec':
      return 'ecdsa';
    case 'ed25519':
      return 'ed25519';
    case 'x25519':
      return 'x25519';
  }
  throw notImplemented(`crypto ${op} with ${info.asymmetricKeyType} keys`);
}

// --- sign and verify -----------------------------------------------------------------------------

const CURVE_SIZE = { prime256v1: 32, secp384r1: 48, secp521r1: 66 };

function derToRaw(sig, size) {
  const seq = readTLV(sig, 0);
  const [r, s] = children(sig, seq);
  const out = new Uint8Array(size * 2);
  const put = (el, at) => {
    let v = sig.subarray(el.body, el.end);
    while (v.length > size && v[0] === 0) v = v.subarray(1);
    if (v.length > size) throw nodeError(Error, 'ERR_OSSL_ASN1', 'bad signature');
    out.set(v, at + size - v.length);
  };
  put(r, 0);
  put(s, size);
  return out;
}

function rawToDer(raw) {
  const size = raw.length / 2;
  const int = (v) => {
    let i = 0;
    while (i < v.length - 1 && v[i] === 0) i++;
    v = v.subarray(i);
    return der(0x02, v[0] & 0x80 ? Uint8Array.from([0, ...v]) : v);
  };
  return der(0x30, int(raw.subarray(0, size)), int(raw.subarray(size)));
}

// signing works out the host's parameters for a sign or verify.
function signing(algorithm, key, kind) {
  const options = key && typeof key === 'object' && !(key instanceof KeyObject) && !ArrayBuffer.isView(key) ? key : {};
  const k = makeKey(key, kind);
  const info = KeyObject.info(k);
  const digest = algorithm === null || algorithm === undefined ? undefined : hashName(algorithm);
  let params;
  let alg;
  switch (info.asymmetricKeyType) {
    case 'rsa': {
      const pss = options.padding === 6; // RSA_PKCS1_PSS_PADDING
      alg = pss ? 'rsa-pss' : 'rsassa-pkcs1';
      let saltLength = options.saltLength;
      if (saltLength === undefined || saltLength === -1) saltLength = SIZE[digest || 'sha256']; // RSA_PSS_SALTLEN_DIGEST
      params = pss ? { tag: 'rsa-pss', val: saltLength } : { tag: 'rsassa-pkcs1' };
      break;
    }
    case 'ec':
      alg = 'ecdsa';
      params = { tag: 'ecdsa', val: digest || 'sha256' };
      break;
    case 'ed25519':
      alg = 'ed25519';
      params = { tag: 'ed25519' };
      break;
    default:
      throw notImplemented(`crypto.sign with ${info.asymmetricKeyType} keys`);
  }
  if (digest === 'md5') throw nodeError(Error, 'ERR_CRYPTO_INVALID_DIGEST', 'Invalid digest: md5');
  const hostKey = { algorithm: alg, kind: k.type, hash: alg.startsWith('rs') ? digest || 'sha256' : undefined, material: KeyObject.material(k) };
  const p1363 = options.dsaEncoding === 'ieee-p1363';
  return { params, hostKey, info, p1363 };
}

/** sign signs data with a private key (algorithm: the digest, null for Ed25519); ECDSA signatures are DER unless dsaEncoding is 'ieee-p1363'. */
export function sign(algorithm, data, key, callback) {
  const { params, hostKey, info, p1363 } = signing(algorithm, key, 'private');
  let sig = call(() => host.sign(params, hostKey, bytes(data)), 'sign');
  if (info.asymmetricKeyType === 'ec' && !p1363) sig = rawToDer(sig);
  const out = Buffer.from(sig);
  if (typeof callback === 'function') {
    queueMicrotask(() => callback(null, out));
    return undefined;
  }
  return out;
}

/** verify checks a signature of data with a public (or private) key. */
export function verify(algorithm, data, key, signature, callback) {
  const { params, hostKey, info, p1363 } = signing(algorithm, key, 'public');
  let sig = bytes(signature, undefined, 'signature');
  let ok;
  try {
    if (info.asymmetricKeyType === 'ec' && !p1363) sig = derToRaw(sig, CURVE_SIZE[info.namedCurve]);
    ok = call(() => host.verify(params, hostKey, sig, bytes(data)), 'verify');
  } catch (e) {
    if (e.code !== 'ERR_OSSL_ASN1') throw e;
    ok = false;
  }
  if (typeof callback === 'function') {
    queueMicrotask(() => callback(null, ok));
    return undefined;
  }
  return ok;
}

// Sign and Verify collect data (update) and sign or verify it at the end.
class Collect {
  #algorithm;
  #parts = [];

  constructor(algorithm) {
    this.#algorithm = algorithm;
    hashName(algorithm);
  }

  update(data, inputEncoding) {
    this.#parts.push(bytes(data, inputEncoding).slice());
    return this;
  }

  data() {
    return [this.#algorithm, Buffer.concat(this.#parts)];
  }
}

export class Sign extends Collect {
  /** sign returns the signature (a Buffer, or a string in outputEncoding). */
  sign(privateKey, outputEncoding) {
    const [alg, data] = this.data();
    return output(sign(alg, data, privateKey), outputEncoding);
  }
}

export class Verify extends Collect {
  /** verify checks signature (a buffer, or a string in signatureEncoding). */
  verify(publicKey, signature, signatureEncoding) {
    const [alg, data] = this.data();
    return verify(alg, data, publicKey, typeof signature === 'string' ? Buffer.from(signature, signatureEncoding) : signature);
  }
}

/** createSign returns a Sign for the digest algorithm ('sha256', 'RSA-SHA256', …). */
export function createSign(algorithm) {
  return new Sign(algorithm);
}

/** createVerify returns a Verify for the digest algorithm. */
export function createVerify(algorithm) {
  return new Verify(algorithm);
}

// --- what is not there ------------------------------------------------------------------------------

function missing(name) {
  return () => {
    throw notImplemented(`crypto.${name}`);
  };
}

export const generateKeyPair = missing('generateKeyPair');
export const generateKeyPairSync = missing('generateKeyPairSync');
export const generateKey = missing('generateKey');
export const generateKeySync = missing('generateKeySync');
export const createDiffieHellman = missing('createDiffieHellman');
export const createECDH = missing('createECDH');
export const diffieHellman = missing('diffieHellman');
export const publicEncrypt = missing('publicEncrypt');
export const privateDecrypt = missing('privateDecrypt');
export const privateEncrypt = missing('privateEncrypt');
export const publicDecrypt = missing('publicDecrypt');
export const getDiffieHellman = missing('getDiffieHellman');
export const generatePrime = missing('generatePrime');
export const generatePrimeSync = missing('generatePrimeSync');
export const checkPrime = missing('checkPrime');
export const checkPrimeSync = missing('checkPrimeSync');
export const X509Certificate = missing('X509Certificate');
export const Certificate = missing('Certificate');
export const setEngine = missing('setEngine');

export const getFips = () => 0;
export const setFips = missing('setFips');
export const secureHeapUsed = () => ({ total: 0, min: 0, used: 0, utilization: 0 });

export const constants = Object.freeze({
  RSA_PKCS1_PADDING: 1, RSA_NO_PADDING: 3, RSA_PKCS1_OAEP_PADDING: 4, RSA_PKCS1_PSS_PADDING: 6,
  RSA_PSS_SALTLEN_DIGEST: -1, RSA_PSS_SALTLEN_MAX_SIGN: -2, RSA_PSS_SALTLEN_AUTO: -2,
});

export const webcrypto = webcrypto_;
export const subtle = webcrypto_.subtle;

export default register('crypto', {
  Hash, Hmac, createHash, createHmac, hash, getHashes, randomBytes, pseudoRandomBytes, prng, rng, randomFillSync,
  randomFill, randomInt, randomUUID, getRandomValues, timingSafeEqual, pbkdf2Sync, pbkdf2, hkdfSync, hkdf, scryptSync,
  scrypt, Cipheriv, Decipheriv, createCipheriv, createDecipheriv, getCiphers, getCurves, KeyObject, createSecretKey,
  createPublicKey, createPrivateKey, sign, verify, Sign, Verify, createSign, createVerify, generateKeyPair,
  generateKeyPairSync, generateKey, generateKeySync, createDiffieHellman, createECDH, diffieHellman, publicEncrypt,
  privateDecrypt, privateEncrypt, publicDecrypt, getDiffieHellman, generatePrime, generatePrimeSync, checkPrime,
  checkPrimeSync, X509Certificate, Certificate, setEngine, getFips, setFips, secureHeapUsed, constants, webcrypto, subtle,
});
