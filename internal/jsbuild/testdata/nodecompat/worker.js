// A Worker that uses Node.js's built-in modules as nodejs_compat gives
// them (TestNodeCompatWorker, TestNodeCompatMatchesNode): Node-style
// imports (node:*, bare names, require-style default imports) and the
// globals of nodejs_compat v2.
import bufferModule, { Buffer as NodeBuffer } from 'node:buffer';
import EventEmitter, { once, on } from 'node:events';
import util from 'node:util';
import { promisify } from 'util';
import { Readable, Writable, Transform, PassThrough, pipeline } from 'node:stream';
import { pipeline as pipelinePromise } from 'node:stream/promises';
import crypto from 'node:crypto';
import { createHash, createHmac, randomBytes, randomUUID, timingSafeEqual, randomInt, randomFillSync } from 'crypto';
import { AsyncLocalStorage, AsyncResource } from 'node:async_hooks';
import path from 'node:path';
import assert from 'node:assert';
import { StringDecoder } from 'node:string_decoder';
import url from 'node:url';
import querystring from 'node:querystring';
import { setTimeout as sleep } from 'node:timers/promises';
import { setImmediate as setImmediateNode } from 'node:timers';
import processModule from 'node:process';
import * as fs from 'node:fs';
import { readFileSync } from 'fs';
import os from 'node:os';
import { createRequire, isBuiltin } from 'node:module';
import diagnostics from 'node:diagnostics_channel';
import { performance as perf } from 'node:perf_hooks';
import { Console } from 'node:console';
import strict from 'node:assert/strict';
import { isDate } from 'node:util/types';
import { text as streamText } from 'node:stream/consumers';
import { ReadableStream as WebReadable } from 'node:stream/web';
import { AsyncLocalStorage as ALSAgain } from 'async_hooks';
import { cases, asyncCases } from './cases.js';
// Real npm packages (CommonJS) from the project's node_modules.
import etag from 'etag';
import { sign as signCookie, unsign as unsignCookie } from 'cookie-signature';

// process.env is there while the module is evaluated (the host
// pre-initialises the Worker with its vars), as in workerd.
const envAtTop = process.env.GREETING;

const json = (v) => new Response(JSON.stringify(v), { headers: { 'content-type': 'application/json' } });
const hex = (b) => NodeBuffer.from(b).toString('hex');
const HASHES = ['md5', 'sha1', 'sha256', 'sha384', 'sha512'];

function globalsCheck() {
  return {
    Buffer: typeof Buffer === 'function' && Buffer === NodeBuffer,
    process: typeof process === 'object' && process === processModule,
    global: typeof global === 'object' && global === globalThis,
    setImmediate: typeof setImmediate === 'function',
    clearImmediate: typeof clearImmediate === 'function',
  };
}

export default {
  async fetch(request, env) {
    const u = new URL(request.url);
    switch (u.pathname) {
      case '/cases': {
        const m = {
          util, Buffer: NodeBuffer, bufferModule, path, querystring, url, StringDecoder, assert, EventEmitter, AsyncLocalStorage, AsyncResource,
          sleep, Readable, Writable, Transform, PassThrough, pipeline, pipelinePromise,
        };
        return json({ ...cases(m), ...(await asyncCases(m)) });
      }

      case '/hash': {
        // The body is hashed in pieces of the sizes given, to cross chunk boundaries.
        const body = new Uint8Array(await request.arrayBuffer());
        const pieces = (u.searchParams.get('pieces') || '').split(',').filter(Boolean).map(Number);
        const key = NodeBuffer.from(u.searchParams.get('key') || '', 'hex');
        const out = { hash: {}, hmac: {}, oneShot: {}, base64: {} };
        for (const alg of HASHES) {
          const h = createHash(alg);
          const m = createHmac(alg, key);
          let at = 0;
          for (const p of pieces) {
            h.update(body.subarray(at, at + p));
            m.update(body.subarray(at, at + p));
            at += p;
          }
          h.update(body.subarray(at));
          m.update(body.subarray(at));
          out.hash[alg] = h.digest('hex');
          out.hmac[alg] = m.digest().toString('hex');
          out.oneShot[alg] = crypto.hash(alg, body);
          // A latin1 string of random bytes is made a byte at a time: small ones only.
          if (body.length <= 65536) out.base64[alg] = crypto.createHash(alg.toUpperCase()).update(NodeBuffer.from(body).toString('latin1'), 'latin1').digest('base64');
        }
        return json(out);
      }

      case '/crypto': {
        const out = {};
        const r = randomBytes(32);
        out.random = [r.length, NodeBuffer.isBuffer(r), randomBytes(0).length, randomBytes(100000).length];
        out.randomDiffers = !randomBytes(16).equals(randomBytes(16));
        out.uuid = [randomUUID(), crypto.randomUUID()];
        const ints = Array.from({ length: 2000 }, () => randomInt(10, 15));
        out.randomInt = [Math.min(...ints), Math.max(...ints), new Set(ints).size];
        out.fill = randomFillSync(new Uint8Array(8)).length;
        out.timingSafeEqual = [timingSafeEqual(NodeBuffer.from('abc'), NodeBuffer.from('abc')), timingSafeEqual(NodeBuffer.from('abc'), NodeBuffer.from('abd'))];
        try {
          timingSafeEqual(NodeBuffer.from('a'), NodeBuffer.from('ab'));
        } catch (e) {
          out.timingSafeEqualLength = `${e.name}:${e.code}`;
        }
        try {
          createHash('sha3-256');
        } catch (e) {
          out.unknownHash = e.message.split(' (')[0];
        }
        const h = createHash('sha256');
        h.digest();
        try {
          h.update('x');
        } catch (e) {
          out.afterDigest = e.code;
        }
        out.webcrypto = crypto.webcrypto === globalThis.crypto && crypto.subtle === globalThis.crypto.subtle;
        out.getHashes = crypto.getHashes().includes('sha256');
        out.pbkdf2 = crypto.pbkdf2Sync('password', 'salt', 1000, 32, 'sha256').toString('hex');
        out.hkdf = NodeBuffer.from(crypto.hkdfSync('sha256', 'key', 'salt', 'info', 42)).toString('hex');
        out.pbkdf2Async = await promisify(crypto.pbkdf2)('pw', 'na', 10, 16, 'sha1').then((b) => b.toString('hex'));
        return json(out);
      }

      case '/cipher': {
        // Go sends key, iv, aad and plaintext; the Worker encrypts, and decrypts what Go encrypted.
        const q = await request.json();
        const b = (s) => NodeBuffer.from(s, 'hex');
        const out = {};
        for (const mode of ['gcm', 'cbc', 'ctr']) {
          const alg = `aes-256-${mode}`;
          const iv = b(mode === 'gcm' ? q.iv12 : q.iv16);
          const c = crypto.createCipheriv(alg, b(q.key), iv);
          if (mode === 'gcm') c.setAAD(b(q.aad));
          const ct = NodeBuffer.concat([c.update(q.plain, 'utf8'), c.final()]);
          out[mode] = { ct: ct.toString('hex'), tag: mode === 'gcm' ? c.getAuthTag().toString('hex') : '' };
          const d = crypto.createDecipheriv(alg, b(q.key), iv);
          if (mode === 'gcm') {
            d.setAAD(b(q.aad));
            d.setAuthTag(b(q.goTag));
          }
          out[mode].plain = d.update(b(q.goCT[mode])).toString('utf8') + d.final('utf8');
        }
        const bad = crypto.createDecipheriv('aes-256-gcm', b(q.key), b(q.iv12));
        bad.setAuthTag(NodeBuffer.alloc(16));
        bad.update(b(q.goCT.gcm));
        try {
          bad.final();
          out.badTag = 'accepted';
        } catch (e) {
          out.badTag = e.message;
        }
        return json(out);
      }

      case '/sign': {
        // Go sends PEM keys and a signature of its own; the Worker signs with each key and checks Go's.
        const q = await request.json();
        const data = NodeBuffer.from(q.data);
        const out = {};
        for (const [name, k] of Object.entries(q.keys)) {
          const alg = name.startsWith('ed25519') ? null : 'sha256';
          const priv = crypto.createPrivateKey(k.private);
          const pub = crypto.createPublicKey(k.public);
          const fromPriv = crypto.createPublicKey(k.private);
          const sig = alg ? crypto.createSign('RSA-SHA256').update(data).sign(priv, 'base64') : crypto.sign(null, data, priv).toString('base64');
          out[name] = {
            type: `${priv.type}/${pub.type}/${priv.asymmetricKeyType}`,
            sig,
            verifiesOwn: crypto.verify(alg, data, pub, NodeBuffer.from(sig, 'base64')),
            verifiesGo: crypto.verify(alg, data, fromPriv, NodeBuffer.from(k.goSig, 'base64')),
            rejectsTampered: !crypto.verify(alg, NodeBuffer.from('other data'), pub, NodeBuffer.from(k.goSig, 'base64')),
            spki: pub.export({ type: 'spki', format: 'pem' }).split('\n')[0],
            jwk: pub.export({ format: 'jwk' }).kty,
          };
        }
        // RSA-PSS, ECDSA as r||s, a certificate's key and a JWK.
        const rsa = crypto.createPrivateKey(q.keys['rsa-pkcs8'].private);
        const ec = crypto.createPrivateKey(q.keys['ec-sec1'].private);
        out.pss = crypto.sign('sha256', data, { key: rsa, padding: crypto.constants.RSA_PKCS1_PSS_PADDING, saltLength: 32 }).toString('base64');
        out.pssVerifies = crypto.verify('sha256', data, { key: crypto.createPublicKey(rsa), padding: crypto.constants.RSA_PKCS1_PSS_PADDING, saltLength: 32 }, NodeBuffer.from(out.pss, 'base64'));
        out.p1363 = crypto.sign('sha256', data, { key: ec, dsaEncoding: 'ieee-p1363' }).toString('base64');
        const cert = crypto.createPublicKey(q.certificate);
        out.certificate = `${cert.type}/${cert.asymmetricKeyType}/${cert.asymmetricKeyDetails.namedCurve}/${crypto.verify('sha256', data, cert, NodeBuffer.from(q.keys['ec-sec1'].goSig, 'base64'))}`;
        const jwk = crypto.createPublicKey({ key: q.jwk, format: 'jwk' });
        out.jwk = `${jwk.type}/${crypto.verify('sha256', data, jwk, NodeBuffer.from(q.keys['ec-sec1'].goSig, 'base64'))}`;
        out.secret = crypto.createSecretKey(NodeBuffer.from('k')).export().toString() + crypto.createHmac('sha256', crypto.createSecretKey('k', 'utf8')).update('x').digest('hex').length;
        return json(out);
      }

      case '/env': {
        const e = process.env;
        e.WRITTEN = 42;
        const keys = Object.keys(e).sort();
        delete e.WRITTEN;
        return json({ GREETING: e.GREETING, CONF: e.CONF, STRING_JSON: e.STRING_JSON, SECRET: e.SECRET, missing: e.NOPE === undefined, has: 'GREETING' in e, keys, afterDelete: e.WRITTEN === undefined, spread: { ...e }, nodeEnv: process.env.NODE_ENV, fromEnv: env.GREETING, atTop: envAtTop });
      }

      case '/process': {
        const order = [];
        await new Promise((resolve) => {
          setTimeout(() => {
            order.push('timeout');
            resolve();
          }, 0);
          setImmediateNode(() => order.push('immediate'));
          Promise.resolve().then(() => order.push('promise'));
          process.nextTick((a, b) => order.push(`tick:${a}${b}`), 1, 2);
          order.push('sync');
        });
        const [s, ns] = process.hrtime();
        const emitted = [];
        process.once('custom', (v) => emitted.push(v));
        process.emit('custom', 'ev');
        return json({
          order, version: process.version, versions: process.versions.node, platform: process.platform, cwd: process.cwd(),
          hrtime: Number.isInteger(s) && Number.isInteger(ns), bigint: typeof process.hrtime.bigint(), emitted, argv: Array.isArray(process.argv),
          builtin: process.getBuiltinModule('node:path') === path, uptime: process.uptime() >= 0, toString: Object.prototype.toString.call(process),
        });
      }

      case '/util': {
        const cbStyle = (a, b, cb) => setTimeout(() => (a < 0 ? cb(new Error('negative')) : cb(null, a + b)), 1);
        const add = promisify(cbStyle);
        const sum = await add(2, 3);
        let rejected;
        try {
          await add(-1, 0);
        } catch (e) {
          rejected = e.message;
        }
        const cbd = await new Promise((resolve) => util.callbackify(async (x) => x * 2)(21, (err, v) => resolve(`${err}:${v}`)));
        const ee = new EventEmitter();
        setTimeout(() => ee.emit('ready', 'r', 1), 1);
        const [first] = await once(ee, 'ready');
        const iter = on(ee, 'tick');
        setTimeout(() => {
          ee.emit('tick', 1);
          ee.emit('tick', 2);
        }, 1);
        const ticks = [];
        for await (const [t] of iter) {
          ticks.push(t);
          if (ticks.length === 2) break;
        }
        return json({ sum, rejected, cbd, first, ticks, custom: util.promisify.custom === Symbol.for('nodejs.util.promisify.custom'), textEncoder: util.TextEncoder === TextEncoder });
      }

      case '/npm': {
        const body = await request.text();
        const signed = signCookie(body, 'keyboard cat');
        return json({
          etag: etag(body), etagBuffer: etag(Buffer.from(body)), weak: etag(body, { weak: true }),
          stats: etag({ ctime: new Date(0), mtime: new Date(4096), ino: 1, size: 255 }),
          signed, unsigned: unsignCookie(signed, 'keyboard cat'), tampered: unsignCookie(signed.slice(0, -1) + '_', 'keyboard cat'),
        });
      }

      case '/misc': {
        const require = createRequire(import.meta.url);
        const seen = [];
        diagnostics.subscribe('bindery:test', (m, name) => seen.push(`${name}:${m.n}`));
        diagnostics.channel('bindery:test').publish({ n: 1 });
        const lines = [];
        new Console({ stdout: { write: (s) => lines.push(s) } }).log('%s=%d', 'x', 5);
        let requireMissing;
        try {
          require('left-pad');
        } catch (e) {
          requireMissing = e.code;
        }
        return json({
          require: require('node:path') === path, requireMissing, isBuiltin: [isBuiltin('fs'), isBuiltin('node:test'), isBuiltin('left-pad')],
          os: [os.EOL, os.platform(), os.tmpdir()], diagnostics: seen, perf: perf === performance, console: lines,
          strict: (() => { try { strict.equal(1, '1'); return 'passed'; } catch (e) { return e.code; } })(), isDate: isDate(new Date()),
          consumers: await streamText(Readable.from(['a', 'b'])), web: WebReadable === ReadableStream, sameALS: ALSAgain === AsyncLocalStorage,
          importMeta: `${typeof import.meta}/${typeof import.meta.url}`,
        });
      }

      case '/exit':
        process.exit(3);
        return new Response('still here');

      case '/globals':
        return json(globalsCheck());

      case '/stubs': {
        const out = {};
        try {
          readFileSync('/etc/passwd');
        } catch (e) {
          out.readFileSync = `${e.code}: ${e.message.split(':')[0]}`;
        }
        try {
          fs.promises.readFile('/x');
        } catch (e) {
          out.promises = e.message.split(':')[0];
        }
        out.typeofExists = typeof fs.existsSync;
        return json(out);
      }
    }
    return new Response('not found', { status: 404 });
  },
};
