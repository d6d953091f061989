// Web Crypto for Bindery Workers: crypto.subtle as Cloudflare Workers have
// it, computed by the host (bindery:crypto/subtle, Go's crypto packages).
// Importing this module installs it (runtime.js does).
//
// StarlingMonkey's own SubtleCrypto has digest, importKey, sign and verify,
// and an RSA or EC JWK kills the request. Rather than replace the globals,
// this module puts its methods on the engine's SubtleCrypto.prototype and
// its accessors on CryptoKey.prototype: `crypto.subtle` taken before it
// ran, `instanceof CryptoKey` and `SubtleCrypto` all keep working.
//
// The host keeps no keys. A CryptoKey holds the key's material (a secret
// key's bytes, SPKI or PKCS #8 DER) in a WeakMap this module alone reads,
// and passes it to the host with every operation. This module checks what
// the WebCrypto API adds to the algorithms: names and parameters, usages,
// extractability, JWK use / key_ops / ext. The host checks the rest and
// its errors arrive as DOMExceptions with WebCrypto's names.
import * as host from 'bindery:crypto/subtle@0.1.0';

const encoder = new TextEncoder();
const decoder = new TextDecoder();
const dispose = Symbol.dispose || Symbol.for('dispose');

// --- errors ----------------------------------------------------------------

const ERROR_NAMES = {
  'not-supported': 'NotSupportedError',
  syntax: 'SyntaxError',
  'invalid-access': 'InvalidAccessError',
  data: 'DataError',
  operation: 'OperationError',
};

const fail = (name, message) => new DOMException(message, name);

// call runs a host call and turns its error variant into the DOMException.
function call(f) {
  try {
    return f();
  } catch (e) {
    const p = e && e.payload;
    if (p && typeof p === 'object' && ERROR_NAMES[p.tag]) throw fail(ERROR_NAMES[p.tag], p.val);
    throw e;
  }
}

// --- values ----------------------------------------------------------------

// bytes returns a BufferSource as a Uint8Array over the same memory.
function bytes(v, what) {
  if (v instanceof ArrayBuffer) return new Uint8Array(v);
  if (ArrayBuffer.isView(v)) return new Uint8Array(v.buffer, v.byteOffset, v.byteLength);
  throw new TypeError(`${what} is not an ArrayBuffer or an ArrayBufferView`);
}

// buffer returns a Uint8Array's bytes as an ArrayBuffer of their own.
function buffer(u8) {
  return u8.byteOffset === 0 && u8.byteLength === u8.buffer.byteLength ? u8.buffer : u8.slice().buffer;
}

// integer converts v as WebIDL's [EnforceRange] integers do.
function integer(v, what, max) {
  const n = Number(v);
  if (!Number.isInteger(n) || n < 0 || n > max) throw new TypeError(`${what} is not an integer from 0 to ${max}`);
  return n;
}

const U32 = 2 ** 32 - 1;

function required(alg, member) {
  if (alg[member] === undefined) throw new TypeError(`${alg.name}: the algorithm has no ${member}`);
  return alg[member];
}

// --- algorithms ------------------------------------------------------------

const HASHES = { 'SHA-1': 'sha1', 'SHA-256': 'sha256', 'SHA-384': 'sha384', 'SHA-512': 'sha512', MD5: 'md5' };
const CURVES = { 'P-256': 'p256', 'P-384': 'p384', 'P-521': 'p521' };
const CURVE_NAMES = { p256: 'P-256', p384: 'P-384', p521: 'P-521' };

// Each key algorithm: its WIT name, the usages of each key type, the JWK
// "use" it takes (none: any), and how its KeyAlgorithm dictionary looks.
const ALGORITHMS = {
  'AES-GCM': { wit: 'aes-gcm', kind: 'aes', usages: { secret: ['encrypt', 'decrypt', 'wrapKey', 'unwrapKey'] }, use: 'enc' },
  'AES-CBC': { wit: 'aes-cbc', kind: 'aes', usages: { secret: ['encrypt', 'decrypt', 'wrapKey', 'unwrapKey'] }, use: 'enc' },
  'AES-CTR': { wit: 'aes-ctr', kind: 'aes', usages: { secret: ['encrypt', 'decrypt', 'wrapKey', 'unwrapKey'] }, use: 'enc' },
  'AES-KW': { wit: 'aes-kw', kind: 'aes', usages: { secret: ['wrapKey', 'unwrapKey'] }, use: 'enc' },
  HMAC: { wit: 'hmac', kind: 'hmac', usages: { secret: ['sign', 'verify'] }, use: 'sig' },
  'RSASSA-PKCS1-v1_5': { wit: 'rsassa-pkcs1', kind: 'rsa', usages: { public: ['verify'], private: ['sign'] }, use: 'sig' },
  'RSA-PSS': { wit: 'rsa-pss', kind: 'rsa', usages: { public: ['verify'], private: ['sign'] }, use: 'sig' },
  'RSA-OAEP': { wit: 'rsa-oaep', kind: 'rsa', usages: { public: ['encrypt', 'wrapKey'], private: ['decrypt', 'unwrapKey'] }, use: 'enc' },
  ECDSA: { wit: 'ecdsa', kind: 'ec', usages: { public: ['verify'], private: ['sign'] }, use: 'sig' },
  ECDH: { wit: 'ecdh', kind: 'ec', usages: { public: [], private: ['deriveKey', 'deriveBits'] }, use: 'enc' },
  Ed25519: { wit: 'ed25519', kind: 'okp', usages: { public: ['verify'], private: ['sign'] }, use: 'sig' },
  // Cloudflare's name for Ed25519 from before WebCrypto had it.
  'NODE-ED25519': { wit: 'ed25519', kind: 'okp', usages: { public: ['verify'], private: ['sign'] }, use: 'sig' },
  X25519: { wit: 'x25519', kind: 'okp', usages: { public: [], private: ['deriveKey', 'deriveBits'] }, use: 'enc' },
  PBKDF2: { wit: 'pbkdf2', kind: 'kdf', usages: { secret: ['deriveKey', 'deriveBits'] } },
  HKDF: { wit: 'hkdf', kind: 'kdf', usages: { secret: ['deriveKey', 'deriveBits'] } },
};

// The algorithm names each operation takes.
const OPERATIONS = {
  digest: Object.keys(HASHES),
  sign: ['HMAC', 'RSASSA-PKCS1-v1_5', 'RSA-PSS', 'ECDSA', 'Ed25519', 'NODE-ED25519'],
  encrypt: ['AES-GCM', 'AES-CBC', 'AES-CTR', 'RSA-OAEP'],
  wrapKey: ['AES-KW'],
  generateKey: Object.keys(ALGORITHMS).filter((n) => ALGORITHMS[n].kind !== 'kdf'),
  importKey: Object.keys(ALGORITHMS),
  deriveBits: ['ECDH', 'X25519', 'PBKDF2', 'HKDF'],
  getKeyLength: ['AES-GCM', 'AES-CBC', 'AES-CTR', 'AES-KW', 'HMAC', 'PBKDF2', 'HKDF'],
};
OPERATIONS.verify = OPERATIONS.sign;
OPERATIONS.decrypt = OPERATIONS.encrypt;
OPERATIONS.unwrapKey = OPERATIONS.wrapKey;

const CANONICAL = new Map([...Object.keys(HASHES), ...Object.keys(ALGORITHMS)].map((n) => [n.toUpperCase(), n]));

// normalize is WebCrypto's "normalize an algorithm": a name (any case) or
// an object with one; the result has the canonical name.
function normalize(op, alg) {
  if (typeof alg === 'string') alg = { name: alg };
  if (alg === null || typeof alg !== 'object') throw new TypeError(`${op}: the algorithm is not a string or an object`);
  if (alg.name === undefined) throw new TypeError(`${op}: the algorithm has no name`);
  const given = String(alg.name);
  const name = CANONICAL.get(given.toUpperCase());
  if (!name || !OPERATIONS[op].includes(name)) throw fail('NotSupportedError', `${op}: unrecognized or unsupported algorithm ${given}`);
  return { ...alg, name };
}

// hashName is the canonical name of alg's hash (a string or an object
// with a name): SHA-1 to SHA-512, as MD5 is only for digest.
function hashName(alg) {
  const h = normalize('digest', required(alg, 'hash')).name;
  if (h === 'MD5') throw fail('NotSupportedError', `${alg.name}: MD5 is only for digest`);
  return h;
}

// same reports whether two algorithm names are one algorithm (Ed25519 is
// also NODE-ED25519).
const same = (a, b) => a === b || (ALGORITHMS[a].wit === 'ed25519' && ALGORITHMS[b].wit === 'ed25519');

// --- CryptoKey ---------------------------------------------------------------

const USAGES = ['encrypt', 'decrypt', 'sign', 'verify', 'deriveKey', 'deriveBits', 'wrapKey', 'unwrapKey'];

// slots holds each CryptoKey's internals: { wit, type, extractable,
// algorithm, usages, name, hash } (wit is what the host gets back).
const slots = new WeakMap();

function slot(key, what) {
  const s = key !== null && typeof key === 'object' ? slots.get(key) : undefined;
  if (!s) throw new TypeError(`${what} is not a CryptoKey`);
  return s;
}

/** CryptoKey is a WebCrypto key; only SubtleCrypto makes them. */
class CryptoKey {
  constructor() {
    throw new TypeError('Illegal constructor');
  }
  get type() { return slot(this, 'this').type; }
  get extractable() { return slot(this, 'this').extractable; }
  get algorithm() { return slot(this, 'this').algorithm; }
  get usages() { return slot(this, 'this').usages; }
}

let keyPrototype = CryptoKey.prototype;

// newKey makes a CryptoKey from the host's crypto-key record.
function newKey(ck, alg, extractable, usages) {
  const info = ALGORITHMS[alg.name];
  const p = ck.params;
  let algorithm = { name: alg.name };
  switch (info.kind) {
    case 'aes': algorithm.length = p.length; break;
    case 'hmac': algorithm.hash = { name: hashName(alg) }; algorithm.length = p.length; break;
    case 'rsa':
      algorithm.modulusLength = p.modulusLength;
      algorithm.publicExponent = new Uint8Array(p.publicExponent);
      algorithm.hash = { name: hashName(alg) };
      break;
    case 'ec': algorithm.namedCurve = CURVE_NAMES[p.namedCurve]; break;
  }
  if (alg.name === 'NODE-ED25519') algorithm.namedCurve = 'NODE-ED25519';
  const key = Object.create(keyPrototype);
  slots.set(key, {
    wit: ck.key, type: ck.key.kind, extractable, algorithm, usages: [...usages],
    internalUsages: usages, name: alg.name,
  });
  return key;
}

// usageList is a sequence<KeyUsage>, deduplicated, in WebCrypto's order.
function usageList(usages) {
  if (usages === null || typeof usages !== 'object' || typeof usages[Symbol.iterator] !== 'function') {
    throw new TypeError('keyUsages is not a sequence');
  }
  const set = new Set();
  for (const u of usages) {
    if (!USAGES.includes(u)) throw new TypeError(`${String(u)} is not a KeyUsage`);
    set.add(u);
  }
  return USAGES.filter((u) => set.has(u));
}

// checkUsages throws SyntaxError when a key of type may not have a usage.
function checkUsages(name, type, usages) {
  const allowed = ALGORITHMS[name].usages[type] || [];
  const bad = usages.filter((u) => !allowed.includes(u));
  if (bad.length) throw fail('SyntaxError', `${name}: a ${type} key cannot be used to ${bad.join(', ')}`);
  if (usages.length === 0 && type !== 'public') throw fail('SyntaxError', `${name}: usages cannot be empty for a ${type} key`);
}

// useKey checks that key is a CryptoKey of alg's algorithm with usage.
function useKey(key, alg, usage, what = 'key') {
  const s = slot(key, what);
  if (!same(s.name, alg.name)) throw fail('InvalidAccessError', `${alg.name}: the key is for ${s.name}`);
  if (!s.internalUsages.includes(usage)) throw fail('InvalidAccessError', `${alg.name}: the key's usages do not include ${usage}`);
  return s;
}

// --- operations ---------------------------------------------------------------

function signParams(alg) {
  switch (alg.name) {
    case 'HMAC': return { tag: 'hmac' };
    case 'RSASSA-PKCS1-v1_5': return { tag: 'rsassa-pkcs1' };
    case 'RSA-PSS': return { tag: 'rsa-pss', val: integer(required(alg, 'saltLength'), 'saltLength', U32) };
    case 'ECDSA': return { tag: 'ecdsa', val: HASHES[hashName(alg)] };
    default: return { tag: 'ed25519' };
  }
}

function cipherParams(alg) {
  switch (alg.name) {
    case 'AES-GCM': return {
      tag: 'aes-gcm',
      val: {
        iv: bytes(required(alg, 'iv'), 'iv'),
        additionalData: alg.additionalData === undefined ? new Uint8Array(0) : bytes(alg.additionalData, 'additionalData'),
        tagLength: alg.tagLength === undefined ? 128 : integer(alg.tagLength, 'tagLength', 255),
      },
    };
    case 'AES-CBC': return { tag: 'aes-cbc', val: bytes(required(alg, 'iv'), 'iv') };
    case 'AES-CTR': return {
      tag: 'aes-ctr',
      val: { counter: bytes(required(alg, 'counter'), 'counter'), length: integer(required(alg, 'length'), 'length', 255) },
    };
    case 'AES-KW': return { tag: 'aes-kw' };
    default: return { tag: 'rsa-oaep', val: alg.label === undefined ? new Uint8Array(0) : bytes(alg.label, 'label') };
  }
}

function encrypt(alg, key, data, usage) {
  const s = useKey(key, alg, usage);
  const f = usage === 'encrypt' || usage === 'wrapKey' ? host.encrypt : host.decrypt;
  return call(() => f(cipherParams(alg), s.wit, data));
}

function deriveBits(alg, baseKey, length, usage) {
  const s = useKey(baseKey, alg, usage, 'baseKey');
  let params;
  switch (alg.name) {
    case 'ECDH':
    case 'X25519': {
      const pub = slot(required(alg, 'public'), 'public');
      if (pub.type !== 'public') throw fail('InvalidAccessError', `${alg.name}: the public key is a ${pub.type} key`);
      if (pub.name !== s.name) throw fail('InvalidAccessError', `${alg.name}: the public key is for ${pub.name}`);
      params = { tag: alg.name === 'ECDH' ? 'ecdh' : 'x25519', val: pub.wit };
      break;
    }
    case 'PBKDF2':
      params = {
        tag: 'pbkdf2',
        val: { hash: HASHES[hashName(alg)], salt: bytes(required(alg, 'salt'), 'salt'), iterations: integer(required(alg, 'iterations'), 'iterations', U32) },
      };
      break;
    default:
      params = { tag: 'hkdf', val: { hash: HASHES[hashName(alg)], salt: bytes(required(alg, 'salt'), 'salt'), info: bytes(required(alg, 'info'), 'info') } };
  }
  const n = length === undefined || length === null ? undefined : integer(length, 'length', U32);
  return call(() => host.deriveBits(params, s.wit, n));
}

// keyLength is WebCrypto's "get key length" of a derived key's algorithm.
function keyLength(alg) {
  switch (alg.name) {
    case 'HMAC': {
      if (alg.length !== undefined) {
        const n = integer(alg.length, 'length', U32);
        if (n === 0) throw new TypeError('HMAC: the length is zero');
        return n;
      }
      return hashName(alg) === 'SHA-384' || hashName(alg) === 'SHA-512' ? 1024 : 512;
    }
    case 'PBKDF2':
    case 'HKDF':
      return null;
    default: {
      const n = integer(required(alg, 'length'), 'length', 65535);
      if (n !== 128 && n !== 192 && n !== 256) throw fail('OperationError', `${alg.name}: the length must be 128, 192 or 256 bits`);
      return n;
    }
  }
}

// keyParams is what import-key and generate-key take besides name and hash.
function keyParams(alg, op) {
  const p = { length: undefined, namedCurve: undefined, modulusLength: undefined, publicExponent: undefined };
  switch (ALGORITHMS[alg.name].kind) {
    case 'aes':
      if (op === 'generateKey') p.length = integer(required(alg, 'length'), 'length', 65535);
      break;
    case 'hmac':
      if (alg.length !== undefined) p.length = integer(alg.length, 'length', U32);
      break;
    case 'rsa':
      if (op === 'generateKey') {
        p.modulusLength = integer(required(alg, 'modulusLength'), 'modulusLength', U32);
        p.publicExponent = bytes(required(alg, 'publicExponent'), 'publicExponent');
      }
      break;
    case 'ec': {
      const c = String(required(alg, 'namedCurve'));
      if (!CURVES[c]) throw fail('NotSupportedError', `${alg.name}: the named curve ${c} is not P-256, P-384 or P-521`);
      p.namedCurve = CURVES[c];
      break;
    }
  }
  return p;
}

// witHash is the hash of an HMAC or RSA key's algorithm; none for others.
function witHash(alg) {
  const kind = ALGORITHMS[alg.name].kind;
  return kind === 'hmac' || kind === 'rsa' ? HASHES[hashName(alg)] : undefined;
}

// The formats each kind of key imports from.
const IMPORT_FORMATS = {
  aes: ['raw', 'jwk'], hmac: ['raw', 'jwk'], kdf: ['raw'],
  rsa: ['spki', 'pkcs8', 'jwk'], ec: ['raw', 'spki', 'pkcs8', 'jwk'], okp: ['raw', 'spki', 'pkcs8', 'jwk'],
};

const FORMATS = ['raw', 'pkcs8', 'spki', 'jwk'];

function format(f) {
  if (!FORMATS.includes(f)) throw new TypeError(`${String(f)} is not a KeyFormat`);
  return f;
}

function importKey(fmt, keyData, alg, extractable, usages) {
  const info = ALGORITHMS[alg.name];
  const kind = info.kind;
  if (!IMPORT_FORMATS[kind].includes(fmt)) throw fail('NotSupportedError', `${alg.name}: keys cannot be imported as ${fmt}`);
  const hash = witHash(alg);
  let data, type;
  if (fmt === 'jwk') {
    if (keyData === null || typeof keyData !== 'object' || keyData instanceof ArrayBuffer || ArrayBuffer.isView(keyData)) {
      throw new TypeError('importKey: jwk key data is not a JsonWebKey object');
    }
    type = kind === 'aes' || kind === 'hmac' || kind === 'kdf' ? 'secret' : keyData.d === undefined ? 'public' : 'private';
    checkUsages(alg.name, type, usages);
    checkJWK(keyData, alg.name, info, extractable, usages);
    data = encoder.encode(JSON.stringify(keyData));
  } else {
    data = bytes(keyData, 'keyData');
    type = fmt === 'pkcs8' ? 'private' : fmt === 'spki' ? 'public' : kind === 'aes' || kind === 'hmac' || kind === 'kdf' ? 'secret' : 'public';
    checkUsages(alg.name, type, usages);
  }
  if (kind === 'kdf' && extractable) throw fail('SyntaxError', `${alg.name}: keys cannot be extractable`);
  const params = keyParams(alg, 'importKey');
  const ck = call(() => host.importKey(fmt, data, info.wit, hash, params));
  if (ck.key.kind !== type) throw fail('DataError', `${alg.name}: the key data is a ${ck.key.kind} key, not a ${type} one`);
  return newKey(ck, alg, !!extractable, usages);
}

// checkJWK holds a JWK to what WebCrypto checks before parsing it: use,
// key_ops and ext (the host checks kty, alg, crv and the key).
function checkJWK(jwk, name, info, extractable, usages) {
  if (usages.length && jwk.use !== undefined && info.use && jwk.use !== info.use) {
    throw fail('DataError', `${name}: the JWK's use is ${JSON.stringify(jwk.use)}, not "${info.use}"`);
  }
  if (jwk.key_ops !== undefined) {
    const ops = jwk.key_ops;
    if (!Array.isArray(ops) || ops.some((o) => typeof o !== 'string') || new Set(ops).size !== ops.length) {
      throw fail('DataError', `${name}: the JWK's key_ops is not a list of distinct strings`);
    }
    const missing = usages.filter((u) => !ops.includes(u));
    if (missing.length) throw fail('DataError', `${name}: the JWK's key_ops does not allow ${missing.join(', ')}`);
  }
  if (jwk.ext === false && extractable) throw fail('DataError', `${name}: the JWK is not extractable (ext is false)`);
}

function exportKey(fmt, key) {
  const s = slot(key, 'key');
  if (!s.extractable) throw fail('InvalidAccessError', `${s.name}: the key is not extractable`);
  const out = call(() => host.exportKey(fmt, s.wit));
  if (fmt !== 'jwk') return buffer(out);
  const jwk = JSON.parse(decoder.decode(out));
  jwk.key_ops = [...s.internalUsages];
  jwk.ext = s.extractable;
  return jwk;
}

// --- SubtleCrypto ----------------------------------------------------------------

/** SubtleCrypto is crypto.subtle: WebCrypto's operations, and Cloudflare's timingSafeEqual. */
class SubtleCrypto {
  constructor() {
    throw new TypeError('Illegal constructor');
  }

  async digest(algorithm, data) {
    const alg = normalize('digest', algorithm);
    const d = bytes(data, 'data');
    return buffer(call(() => host.digest(HASHES[alg.name], d)));
  }

  async encrypt(algorithm, key, data) {
    return buffer(encrypt(normalize('encrypt', algorithm), key, bytes(data, 'data'), 'encrypt'));
  }

  async decrypt(algorithm, key, data) {
    return buffer(encrypt(normalize('decrypt', algorithm), key, bytes(data, 'data'), 'decrypt'));
  }

  async sign(algorithm, key, data) {
    const alg = normalize('sign', algorithm);
    const d = bytes(data, 'data');
    const s = useKey(key, alg, 'sign');
    return buffer(call(() => host.sign(signParams(alg), s.wit, d)));
  }

  async verify(algorithm, key, signature, data) {
    const alg = normalize('verify', algorithm);
    const sig = bytes(signature, 'signature');
    const d = bytes(data, 'data');
    const s = useKey(key, alg, 'verify');
    return call(() => host.verify(signParams(alg), s.wit, sig, d));
  }

  async generateKey(algorithm, extractable, keyUsages) {
    const alg = normalize('generateKey', algorithm);
    const usages = usageList(keyUsages);
    const info = ALGORITHMS[alg.name];
    const hash = witHash(alg);
    const params = keyParams(alg, 'generateKey');
    const all = [...(info.usages.secret || []), ...(info.usages.public || []), ...(info.usages.private || [])];
    const bad = usages.filter((u) => !all.includes(u));
    if (bad.length) throw fail('SyntaxError', `${alg.name}: keys cannot be used to ${bad.join(', ')}`);
    const g = call(() => host.generateKey(info.wit, hash, params));
    if (g.tag === 'secret') {
      if (!usages.length) throw fail('SyntaxError', `${alg.name}: usages cannot be empty for a secret key`);
      return newKey(g.val, alg, !!extractable, usages);
    }
    const priv = usages.filter((u) => info.usages.private.includes(u));
    if (!priv.length) throw fail('SyntaxError', `${alg.name}: usages cannot be empty for a private key`);
    return {
      publicKey: newKey(g.val.publicKey, alg, true, usages.filter((u) => info.usages.public.includes(u))),
      privateKey: newKey(g.val.privateKey, alg, !!extractable, priv),
    };
  }

  async deriveKey(algorithm, baseKey, derivedKeyType, extractable, keyUsages) {
    const alg = normalize('deriveBits', algorithm);
    const imp = normalize('importKey', derivedKeyType);
    const length = keyLength(normalize('getKeyLength', derivedKeyType));
    const usages = usageList(keyUsages);
    const bits = deriveBits(alg, baseKey, length, 'deriveKey');
    return importKey('raw', bits, imp, extractable, usages);
  }

  async deriveBits(algorithm, baseKey, length) {
    return buffer(deriveBits(normalize('deriveBits', algorithm), baseKey, length, 'deriveBits'));
  }

  async importKey(fmt, keyData, algorithm, extractable, keyUsages) {
    format(fmt);
    const alg = normalize('importKey', algorithm);
    return importKey(fmt, keyData, alg, extractable, usageList(keyUsages));
  }

  async exportKey(fmt, key) {
    return exportKey(format(fmt), key);
  }

  async wrapKey(fmt, key, wrappingKey, wrapAlgorithm) {
    format(fmt);
    const alg = wrapAlgorithmOf('wrapKey', 'encrypt', wrapAlgorithm);
    useKey(wrappingKey, alg, 'wrapKey', 'wrappingKey');
    const exported = exportKey(fmt, key);
    const data = fmt === 'jwk' ? encoder.encode(JSON.stringify(exported)) : new Uint8Array(exported);
    return buffer(encrypt(alg, wrappingKey, data, 'wrapKey'));
  }

  async unwrapKey(fmt, wrappedKey, unwrappingKey, unwrapAlgorithm, unwrappedKeyAlgorithm, extractable, keyUsages) {
    format(fmt);
    const alg = wrapAlgorithmOf('unwrapKey', 'decrypt', unwrapAlgorithm);
    const imp = normalize('importKey', unwrappedKeyAlgorithm);
    const usages = usageList(keyUsages);
    const data = encrypt(alg, unwrappingKey, bytes(wrappedKey, 'wrappedKey'), 'unwrapKey');
    let keyData = data;
    if (fmt === 'jwk') {
      try {
        keyData = JSON.parse(decoder.decode(data));
      } catch (e) {
        throw fail('DataError', `unwrapKey: the unwrapped data is not JWK JSON: ${e.message}`);
      }
    }
    return importKey(fmt, keyData, imp, extractable, usages);
  }

  /** timingSafeEqual (Cloudflare) compares two buffers of equal length in constant time. */
  timingSafeEqual(a, b) {
    const x = bytes(a, 'a');
    const y = bytes(b, 'b');
    if (x.byteLength !== y.byteLength) throw new TypeError('timingSafeEqual: the buffers differ in length');
    return host.timingSafeEqual(x, y);
  }
}

function wrapAlgorithmOf(op, fallback, algorithm) {
  try {
    return normalize(op, algorithm);
  } catch (e) {
    if (!(e instanceof DOMException) || e.name !== 'NotSupportedError') throw e;
    return normalize(fallback, algorithm);
  }
}

// --- DigestStream ------------------------------------------------------------------

/**
 * DigestStream (Cloudflare) is a WritableStream that hashes what is
 * written; `digest` resolves to the hash (an ArrayBuffer) when it closes.
 */
class DigestStream extends WritableStream {
  constructor(algorithm) {
    const alg = normalize('digest', algorithm);
    const h = host.Hasher.start(HASHES[alg.name]);
    let resolve, reject;
    const digest = new Promise((res, rej) => {
      resolve = res;
      reject = rej;
    });
    digest.catch(() => {}); // an aborted stream's digest need not be awaited
    let done = false;
    const end = () => {
      if (!done) {
        done = true;
        h[dispose]();
      }
    };
    super({
      write(chunk) {
        h.write(typeof chunk === 'string' ? encoder.encode(chunk) : bytes(chunk, 'chunk'));
      },
      close() {
        resolve(buffer(h.finish()));
        end();
      },
      abort(reason) {
        reject(reason);
        end();
      },
    });
    this.digest = digest;
  }
}

// --- install -----------------------------------------------------------------------

function methods(cls) {
  return Object.getOwnPropertyNames(cls.prototype).filter((n) => n !== 'constructor');
}

function define(o, name, desc) {
  Object.defineProperty(o, name, { configurable: true, enumerable: true, ...desc });
}

// install puts this module's SubtleCrypto and CryptoKey on the engine's
// prototypes (or, where the engine has none, defines them), and adds
// crypto.DigestStream and, if missing, crypto.randomUUID.
function install(g) {
  const c = g.crypto;
  if (!c) return;
  const subtle = c.subtle;
  if (subtle && typeof subtle === 'object') {
    const proto = Object.getPrototypeOf(subtle);
    for (const m of methods(SubtleCrypto)) define(proto, m, { value: SubtleCrypto.prototype[m], writable: true });
  } else {
    const own = Object.create(SubtleCrypto.prototype);
    define(c, 'subtle', { get: () => own });
    define(g, 'SubtleCrypto', { value: SubtleCrypto, writable: true, enumerable: false });
  }
  if (typeof g.CryptoKey === 'function' && g.CryptoKey.prototype) {
    keyPrototype = g.CryptoKey.prototype;
    for (const m of methods(CryptoKey)) define(keyPrototype, m, Object.getOwnPropertyDescriptor(CryptoKey.prototype, m));
  } else {
    define(g, 'CryptoKey', { value: CryptoKey, writable: true, enumerable: false });
  }
  define(c, 'DigestStream', { value: DigestStream, writable: true, enumerable: false });
  if (typeof c.randomUUID !== 'function') {
    define(c, 'randomUUID', {
      writable: true,
      value() {
        const b = c.getRandomValues(new Uint8Array(16));
        b[6] = (b[6] & 0x0f) | 0x40;
        b[8] = (b[8] & 0x3f) | 0x80;
        const h = Array.from(b, (x) => x.toString(16).padStart(2, '0')).join('');
        return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20)}`;
      },
    });
  }
}

install(globalThis);
