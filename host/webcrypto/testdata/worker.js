// A test Worker for host/webcrypto's TestJSWorker: WebCrypto as real
// Workers use it. Each route takes JSON (hex for bytes) and answers JSON.
// The test builds it as bindery dev does (internal/jsbuild/jstest);
// nothing is committed.

// Taken before the SDK installs its crypto.subtle (the Worker's module is
// evaluated first): the engine's object, whose methods the SDK replaced.
const subtle = crypto.subtle;
const enc = new TextEncoder();
const dec = new TextDecoder();

const hex = (b) => Array.from(new Uint8Array(b), (x) => x.toString(16).padStart(2, '0')).join('');
const unhex = (s) => new Uint8Array(s.match(/../g)?.map((x) => parseInt(x, 16)) ?? []);
const b64url = (b) => btoa(String.fromCharCode(...new Uint8Array(b))).replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '');
const unb64url = (s) => Uint8Array.from(atob(s.replace(/-/g, '+').replace(/_/g, '/')), (c) => c.charCodeAt(0));

const JWT_ALGS = {
  RS256: { importAlg: { name: 'RSASSA-PKCS1-v1_5', hash: 'SHA-256' }, verifyAlg: 'RSASSA-PKCS1-v1_5' },
  PS256: { importAlg: { name: 'RSA-PSS', hash: { name: 'SHA-256' } }, verifyAlg: { name: 'RSA-PSS', saltLength: 32 } },
  ES256: { importAlg: { name: 'ECDSA', namedCurve: 'P-256' }, verifyAlg: { name: 'ECDSA', hash: 'SHA-256' } },
  EdDSA: { importAlg: { name: 'Ed25519' }, verifyAlg: 'Ed25519' },
  'NODE-ED25519': { importAlg: { name: 'NODE-ED25519', namedCurve: 'NODE-ED25519' }, verifyAlg: { name: 'NODE-ED25519' } },
  HS256: { importAlg: { name: 'HMAC', hash: 'SHA-256' }, verifyAlg: 'HMAC' },
};

// verifyJWT checks a compact JWS the way JWT libraries for Workers do.
async function verifyJWT({ jwk, token, alg }) {
  const a = JWT_ALGS[alg];
  const key = await subtle.importKey('jwk', jwk, a.importAlg, false, ['verify']);
  const [h, p, s] = token.split('.');
  const valid = await subtle.verify(a.verifyAlg, key, unb64url(s), enc.encode(`${h}.${p}`));
  return {
    valid, payload: JSON.parse(dec.decode(unb64url(p))),
    key: { type: key.type, extractable: key.extractable, algorithm: key.algorithm, usages: key.usages, isCryptoKey: key instanceof CryptoKey },
  };
}

async function aesGcm({ key, iv, aad, ciphertext, plaintext }) {
  const k = await crypto.subtle.importKey('raw', unhex(key), 'AES-GCM', true, ['encrypt', 'decrypt']);
  const alg = { name: 'AES-GCM', iv: unhex(iv), additionalData: unhex(aad) };
  const decrypted = await crypto.subtle.decrypt(alg, k, unhex(ciphertext));
  const encrypted = await crypto.subtle.encrypt(alg, k, unhex(plaintext));
  let tampered;
  try {
    const bad = unhex(ciphertext);
    bad[0] ^= 1;
    await crypto.subtle.decrypt(alg, k, bad);
    tampered = 'decrypted';
  } catch (e) {
    tampered = e.name;
  }
  return { decrypted: hex(decrypted), encrypted: hex(encrypted), tampered, algorithm: k.algorithm };
}

async function derive({ password, salt, iterations, ikm, info }) {
  const pw = await crypto.subtle.importKey('raw', enc.encode(password), 'PBKDF2', false, ['deriveBits', 'deriveKey']);
  const pbkdf2 = { name: 'PBKDF2', hash: 'SHA-256', salt: enc.encode(salt), iterations };
  const bits = await crypto.subtle.deriveBits(pbkdf2, pw, 256);
  const aes = await crypto.subtle.deriveKey(pbkdf2, pw, { name: 'AES-GCM', length: 128 }, true, ['encrypt']);
  const hk = await crypto.subtle.importKey('raw', unhex(ikm), 'HKDF', false, ['deriveBits', 'deriveKey']);
  const hkdf = { name: 'HKDF', hash: 'SHA-256', salt: enc.encode(salt), info: enc.encode(info) };
  const hbits = await crypto.subtle.deriveBits(hkdf, hk, 336);
  const hmac = await crypto.subtle.deriveKey(hkdf, hk, { name: 'HMAC', hash: 'SHA-256' }, true, ['sign']);
  return {
    pbkdf2: hex(bits), aesKey: hex(await crypto.subtle.exportKey('raw', aes)), aesAlgorithm: aes.algorithm,
    hkdf: hex(hbits), hmacKey: hex(await crypto.subtle.exportKey('raw', hmac)), hmacAlgorithm: hmac.algorithm,
  };
}

// generate makes a key pair of each kind, signs a message with it and
// exports the public key (spki, jwk, raw) and the private key (pkcs8, jwk).
async function generate() {
  const msg = enc.encode('signed in JS');
  const kinds = {
    RS256: [{ name: 'RSASSA-PKCS1-v1_5', modulusLength: 2048, publicExponent: new Uint8Array([1, 0, 1]), hash: 'SHA-256' }, 'RSASSA-PKCS1-v1_5'],
    PS384: [{ name: 'RSA-PSS', modulusLength: 2048, publicExponent: new Uint8Array([1, 0, 1]), hash: 'SHA-384' }, { name: 'RSA-PSS', saltLength: 48 }],
    ES256: [{ name: 'ECDSA', namedCurve: 'P-256' }, { name: 'ECDSA', hash: 'SHA-256' }],
    ES384: [{ name: 'ECDSA', namedCurve: 'P-384' }, { name: 'ECDSA', hash: 'SHA-384' }],
    EdDSA: [{ name: 'Ed25519' }, 'Ed25519'],
  };
  const out = {};
  for (const [name, [alg, signAlg]] of Object.entries(kinds)) {
    const { publicKey, privateKey } = await crypto.subtle.generateKey(alg, true, ['sign', 'verify']);
    const sig = await crypto.subtle.sign(signAlg, privateKey, msg);
    const r = {
      signature: hex(sig),
      spki: hex(await crypto.subtle.exportKey('spki', publicKey)),
      pkcs8: hex(await crypto.subtle.exportKey('pkcs8', privateKey)),
      publicJwk: await crypto.subtle.exportKey('jwk', publicKey),
      privateJwk: await crypto.subtle.exportKey('jwk', privateKey),
      verifies: await crypto.subtle.verify(signAlg, publicKey, sig, msg),
      publicUsages: publicKey.usages, privateUsages: privateKey.usages, algorithm: privateKey.algorithm,
    };
    if (alg.name !== 'RSASSA-PKCS1-v1_5' && alg.name !== 'RSA-PSS') r.raw = hex(await crypto.subtle.exportKey('raw', publicKey));
    out[name] = r;
  }
  const aes = await crypto.subtle.generateKey({ name: 'AES-GCM', length: 256 }, true, ['encrypt', 'decrypt']);
  out.aes = { jwk: await crypto.subtle.exportKey('jwk', aes), algorithm: aes.algorithm };
  const hmac = await crypto.subtle.generateKey({ name: 'HMAC', hash: 'SHA-512' }, true, ['sign']);
  out.hmac = { algorithm: hmac.algorithm, bytes: (await crypto.subtle.exportKey('raw', hmac)).byteLength };
  return out;
}

// attempt runs f and reports the name of what it threw ("ok" if nothing).
async function attempt(f) {
  try {
    await f();
    return 'ok';
  } catch (e) {
    return e instanceof DOMException ? e.name : e.constructor.name;
  }
}

async function errors() {
  const hmac = await crypto.subtle.importKey('raw', new Uint8Array(16), { name: 'HMAC', hash: 'SHA-256' }, false, ['verify']);
  const aes = await crypto.subtle.generateKey({ name: 'AES-GCM', length: 128 }, true, ['encrypt', 'decrypt']);
  const ec = await crypto.subtle.generateKey({ name: 'ECDSA', namedCurve: 'P-256' }, false, ['sign', 'verify']);
  const s = crypto.subtle;
  return {
    badJwk: await attempt(() => s.importKey('jwk', { kty: 'RSA', n: 'AQAB', e: 'AQAB' }, { name: 'RSA-PSS', hash: 'SHA-256' }, true, ['verify'])),
    ecJwkWrongCurve: await attempt(() => s.importKey('jwk', { kty: 'EC', crv: 'P-384', x: 'AA', y: 'AA' }, { name: 'ECDSA', namedCurve: 'P-256' }, true, ['verify'])),
    jwkKeyOps: await attempt(() => s.importKey('jwk', { kty: 'oct', k: 'AAAA', key_ops: ['verify'] }, { name: 'HMAC', hash: 'SHA-256' }, true, ['sign'])),
    jwkExt: await attempt(() => s.importKey('jwk', { kty: 'oct', k: 'AAAA', ext: false }, { name: 'HMAC', hash: 'SHA-256' }, true, ['sign'])),
    signWithVerifyKey: await attempt(() => s.sign('HMAC', hmac, new Uint8Array(1))),
    signWithWrongAlgorithm: await attempt(() => s.sign({ name: 'ECDSA', hash: 'SHA-256' }, hmac, new Uint8Array(1))),
    noUsages: await attempt(() => s.generateKey({ name: 'AES-GCM', length: 128 }, true, [])),
    wrongUsage: await attempt(() => s.generateKey({ name: 'ECDSA', namedCurve: 'P-256' }, true, ['encrypt'])),
    unknownAlgorithm: await attempt(() => s.digest('SHA-3', new Uint8Array(1))),
    md5Hmac: await attempt(() => s.importKey('raw', new Uint8Array(4), { name: 'HMAC', hash: 'MD5' }, true, ['sign'])),
    badTag: await attempt(() => s.decrypt({ name: 'AES-GCM', iv: new Uint8Array(12) }, aes, new Uint8Array(32))),
    emptyIv: await attempt(() => s.encrypt({ name: 'AES-GCM', iv: new Uint8Array(0) }, aes, new Uint8Array(1))),
    exportNonExtractable: await attempt(() => s.exportKey('pkcs8', ec.privateKey)),
    exportPrivateAsSpki: await attempt(async () => {
      const k = await s.generateKey({ name: 'Ed25519' }, true, ['sign']);
      return s.exportKey('spki', k.privateKey);
    }),
    pbkdf2Extractable: await attempt(() => s.importKey('raw', new Uint8Array(4), 'PBKDF2', true, ['deriveBits'])),
    pbkdf2Iterations: await attempt(async () => {
      const k = await s.importKey('raw', new Uint8Array(4), 'PBKDF2', false, ['deriveBits']);
      return s.deriveBits({ name: 'PBKDF2', hash: 'SHA-256', salt: new Uint8Array(1), iterations: 100001 }, k, 256);
    }),
    missingIv: await attempt(() => s.encrypt({ name: 'AES-GCM' }, aes, new Uint8Array(1))),
    notAKey: await attempt(() => s.sign('HMAC', {}, new Uint8Array(1))),
    constructKey: await attempt(() => new CryptoKey()),
    badFormat: await attempt(() => s.importKey('pem', new Uint8Array(1), 'AES-GCM', true, ['encrypt'])),
    timingSafeEqualLengths: await attempt(() => s.timingSafeEqual(new Uint8Array(1), new Uint8Array(2))),
  };
}

async function misc() {
  const s = crypto.subtle;
  const ds = new crypto.DigestStream('SHA-256');
  const w = ds.getWriter();
  await w.write(enc.encode('a'));
  await w.write(enc.encode('bc'));
  await w.close();

  const kek = await s.generateKey({ name: 'AES-KW', length: 256 }, false, ['wrapKey', 'unwrapKey']);
  const inner = await s.generateKey({ name: 'AES-CBC', length: 128 }, true, ['encrypt', 'decrypt']);
  const wrapped = await s.wrapKey('raw', inner, kek, 'AES-KW');
  const unwrapped = await s.unwrapKey('raw', wrapped, kek, 'AES-KW', 'AES-CBC', true, ['decrypt']);
  const gcmKek = await s.generateKey({ name: 'AES-GCM', length: 128 }, false, ['wrapKey', 'unwrapKey']);
  const ed = await s.generateKey({ name: 'Ed25519' }, true, ['sign', 'verify']);
  const iv = crypto.getRandomValues(new Uint8Array(12));
  const wrappedJwk = await s.wrapKey('jwk', ed.privateKey, gcmKek, { name: 'AES-GCM', iv });
  const edBack = await s.unwrapKey('jwk', wrappedJwk, gcmKek, { name: 'AES-GCM', iv }, 'Ed25519', false, ['sign']);
  const edSig = await s.sign('Ed25519', edBack, enc.encode('m'));

  const a = await s.generateKey({ name: 'ECDH', namedCurve: 'P-384' }, false, ['deriveBits']);
  const b = await s.generateKey({ name: 'ECDH', namedCurve: 'P-384' }, false, ['deriveBits']);
  const ab = await s.deriveBits({ name: 'ECDH', public: b.publicKey }, a.privateKey, 384);
  const ba = await s.deriveBits({ name: 'ECDH', public: a.publicKey }, b.privateKey, null);
  const x = await s.generateKey({ name: 'X25519' }, false, ['deriveKey']);
  const y = await s.generateKey({ name: 'X25519' }, false, ['deriveKey']);
  const xy = await s.deriveKey({ name: 'X25519', public: y.publicKey }, x.privateKey, { name: 'HMAC', hash: 'SHA-256', length: 256 }, true, ['sign']);
  const yx = await s.deriveKey({ name: 'X25519', public: x.publicKey }, y.privateKey, { name: 'HMAC', hash: 'SHA-256', length: 256 }, true, ['sign']);

  const oaep = await s.generateKey({ name: 'RSA-OAEP', modulusLength: 2048, publicExponent: new Uint8Array([1, 0, 1]), hash: 'SHA-256' }, false, ['encrypt', 'decrypt']);
  const ct = await s.encrypt({ name: 'RSA-OAEP', label: enc.encode('l') }, oaep.publicKey, enc.encode('secret'));
  const pt = await s.decrypt({ name: 'RSA-OAEP', label: enc.encode('l') }, oaep.privateKey, ct);

  const ctrKey = await s.importKey('raw', new Uint8Array(16), 'AES-CTR', false, ['encrypt', 'decrypt']);
  const ctr = { name: 'AES-CTR', counter: new Uint8Array(16), length: 64 };
  const ctrBack = await s.decrypt(ctr, ctrKey, await s.encrypt(ctr, ctrKey, enc.encode('ctr text')));

  return {
    sha256: hex(await s.digest('SHA-256', enc.encode('abc'))),
    md5: hex(await s.digest({ name: 'md5' }, enc.encode('abc'))),
    digestStream: hex(await ds.digest),
    timingSafeEqual: [s.timingSafeEqual(enc.encode('abc'), enc.encode('abc')), s.timingSafeEqual(enc.encode('abc'), enc.encode('abd'))],
    uuid: crypto.randomUUID(),
    subtleIsEngines: subtle === crypto.subtle && crypto.subtle instanceof SubtleCrypto,
    aesKw: hex(await s.exportKey('raw', unwrapped)) === hex(await s.exportKey('raw', inner)) && wrapped.byteLength === 24,
    wrappedJwk: await s.verify('Ed25519', ed.publicKey, edSig, enc.encode('m')),
    ecdh: ab.byteLength === 48 && hex(ab) === hex(ba),
    x25519: hex(await s.exportKey('raw', xy)) === hex(await s.exportKey('raw', yx)),
    rsaOaep: dec.decode(pt),
    aesCtr: dec.decode(ctrBack),
  };
}

const routes = { '/jwt': verifyJWT, '/aes-gcm': aesGcm, '/derive': derive, '/generate': generate, '/errors': errors, '/misc': misc };

export default {
  async fetch(request) {
    const route = routes[new URL(request.url).pathname];
    if (!route) return new Response('not found\n', { status: 404 });
    const input = request.method === 'POST' ? await request.json() : {};
    return Response.json(await route(input));
  },
};
