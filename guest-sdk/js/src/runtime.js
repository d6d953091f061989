// Bindery JavaScript Worker runtime: implements the bindery:http/handler
// export on top of the Bindery imports and calls a Cloudflare-style module
// Worker, `export default { async fetch(request, env, ctx) { ... } }`.
//
// bindery bundles this file with the user's module into one entry
// (internal/jsbuild):
//
//   import { serve } from "<this file>";
//   import * as worker from "<user module>";
//   export const handler = serve(worker);
//
// A service worker (`addEventListener("fetch", …)`, no default export) runs
// too, with its bindings as globals.
//
// Request, Response, Headers, URL, ReadableStream, TextEncoder,
// crypto.getRandomValues, console and Date are StarlingMonkey's own;
// web/install.js adds what Workers have on Cloudflare and the engine lacks
// or gets wrong (FormData parsing, Response.clone, URLPattern, …). It is
// imported first so that all of it is in place before the Worker's module
// runs.
import './web/install.js';
import { ownBytes } from './web/bytes.js';
import { isErrorResponse, setCf } from './web/body.js';
import { dispatchFetch, exposeGlobals, hasFetchListener, hasListener } from './web/events.js';
import { localCf } from './web/globals.js';
import { fixedLengthOf } from './web/streams.js';
import { Namespace } from 'bindery:kv/store@0.1.0';
import { Bucket } from 'bindery:r2/bucket@0.1.0';
import * as vars from 'bindery:config/vars@0.1.0';
import { formatError, installConsole } from './console.js';
import { BindingError } from './errors.js';
import { openD1, releaseD1Sessions, D1Database, D1DatabaseSession, D1PreparedStatement } from './d1.js';
import { refuseClone } from './structured.js';
import { installDurable, openNamespace, forwardWebSocket, releaseStubs } from './durable.js';
import { Queue as HostQueue } from 'bindery:queue/producer@0.1.0';
import { installQueues, openQueue } from './queue.js';
import { handlerMethod, isModuleWorker } from './entrypoint.js';
import { webSocketOf } from './web/body.js';

installConsole();
import './crypto.js'; // crypto.subtle, CryptoKey, crypto.DigestStream on the host's crypto
import { installCaches } from './cache.js';
import { requestStarted } from './htmlrewriter.js'; // installs globalThis.HTMLRewriter
import { hostStreams, bodySenders } from './bodies.js';
import './intl.js'; // String.prototype.normalize, \p{…} in new RegExp, localeCompare, toLocaleUpperCase on the host's intl

const encoder = new TextEncoder();
const decoder = new TextDecoder();
const dispose = Symbol.dispose || Symbol.for('dispose');
const CHUNK = 64 << 10;
const SPLICE_ALL = 1n << 62n;

// Streams backed by a host input-stream (hostStreams, bodies.js): a response
// body or an R2 put value that is one of these moves inside the host
// (splice), not through JS.

export { BindingError };
export { D1Database, D1DatabaseSession, D1PreparedStatement, D1Error } from './d1.js';
export { serialize, deserialize } from './structured.js';
// serveObjects makes the Worker's bindery:durable/object export from its
// exported classes (internal/jsbuild's entry calls it).
export {
  serveObjects, DurableObject, DurableObjectId, DurableObjectNamespace, DurableObjectStub, DurableObjectState,
  DurableObjectStorage, DurableObjectTransaction, SqlStorage, SqlStorageCursor,
  WebSocket, WebSocketPair, WebSocketRequestResponsePair,
} from './durable.js';
// serveQueue and serveScheduled make the Worker's bindery:queue/consumer
// and bindery:scheduled/handler exports from its default export's queue
// and scheduled (internal/jsbuild's entry calls them).
export { serveQueue, serveScheduled, WorkerQueue, MessageBatch, Message, ScheduledController } from './queue.js';
export { WorkerEntrypoint } from './entrypoint.js';

installCaches({ hostStreams, inputStreamToReadable, toBytes, BindingError }); // caches, Cache, CacheStorage

// --- what the host could not take ------------------------------------------
//
// Strings reach the host as UTF-8. A JS string is UTF-16 and may hold a lone
// surrogate, which UTF-8 cannot carry: the lowering would send U+FFFD in its
// place, so "a\uD800" and "a\uDC00" would silently be the same key. The SDK
// refuses such strings instead, as it refuses numbers the WIT's unsigned
// types cannot hold (the lowering would wrap -1 to 2^64 - 1).

const U32_MAX = 2 ** 32 - 1;
const U64_MAX = (1n << 64n) - 1n;

// wellFormed throws BindingError(code) when s (what names it, e.g. "key")
// is a string with a lone surrogate, and returns s.
function wellFormed(s, what, code = 'invalid-argument') {
  if (typeof s === 'string' && !s.isWellFormed()) {
    throw new BindingError(code, `${what} ${JSON.stringify(s)} is not well-formed Unicode (a lone surrogate), so it cannot be sent as UTF-8`);
  }
  return s;
}

const checkKey = (key) => wellFormed(key, 'key', 'invalid-key');

// u32 returns v (undefined stays undefined) when it is an integer from 0 to
// 2^32 - 1, else throws BindingError('invalid-argument').
function u32(v, what) {
  if (v == null) return undefined;
  if (!Number.isInteger(v) || v < 0 || v > U32_MAX) {
    throw new BindingError('invalid-argument', `${what} ${String(v)} is not an integer from 0 to ${U32_MAX}`);
  }
  return v;
}

// u64 returns v (a number or a BigInt) as a BigInt from 0 to 2^64 - 1
// (undefined stays undefined), else throws BindingError(code).
function u64(v, what, code = 'invalid-argument') {
  if (v == null) return undefined;
  const ok = typeof v === 'bigint' ? v >= 0n && v <= U64_MAX : Number.isSafeInteger(v) && v >= 0;
  if (!ok) throw new BindingError(code, `${what} ${String(v)} is not an integer from 0 to 2^64 - 1`);
  return BigInt(v);
}

// call runs a binding call and turns a WIT error variant into a BindingError.
function call(f) {
  try {
    return f();
  } catch (e) {
    const p = e && e.payload;
    if (p && typeof p === 'object' && 'tag' in p) {
      throw new BindingError(p.tag, typeof p.val === 'string' ? p.val : undefined);
    }
    throw e;
  }
}

// A ReadableStream over a host input-stream. The stream owns the handle
// until it is read from, or until take() hands the handle to the host
// (only while nothing has been read: highWaterMark 0 makes it pull on
// demand, never ahead).
function inputStreamToReadable(input) {
  let done = false, pulled = false;
  const finish = () => {
    if (!done) {
      done = true;
      input[dispose]();
    }
  };
  const rs = new ReadableStream({
    pull(controller) {
      if (done) {
        controller.close();
        return;
      }
      pulled = true;
      let chunk;
      try {
        chunk = input.read(CHUNK);
      } catch (e) {
        finish();
        if (e && e.payload && e.payload.tag === 'closed') {
          controller.close();
          return;
        }
        controller.error(e);
        return;
      }
      controller.enqueue(ownBytes(chunk));
    },
    cancel() {
      finish();
    },
  }, { highWaterMark: 0 });
  hostStreams.set(rs, {
    available: () => !done && !pulled && !rs.locked,
    take: () => { done = true; return input; },
  });
  return rs;
}

async function toBytes(value) {
  if (value == null) return new Uint8Array(0);
  if (typeof value === 'string') return encoder.encode(value);
  if (value instanceof Uint8Array) return value;
  if (value instanceof ArrayBuffer) return new Uint8Array(value);
  if (ArrayBuffer.isView(value)) return new Uint8Array(value.buffer, value.byteOffset, value.byteLength);
  if (value instanceof ReadableStream || value instanceof Blob) {
    return new Uint8Array(await new Response(value).arrayBuffer());
  }
  throw new TypeError('unsupported value type: ' + Object.prototype.toString.call(value));
}

function decode(bytes, type) {
  switch (type || 'text') {
    case 'text': return decoder.decode(bytes);
    case 'json': return JSON.parse(decoder.decode(bytes));
    case 'arrayBuffer': return bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength);
    case 'stream': return new Response(bytes).body;
  }
  throw new TypeError('unknown type ' + type);
}

// --- KV ------------------------------------------------------------------

class KVNamespace {
  #ns;
  constructor(ns) { this.#ns = ns; }
  async get(key, options) {
    const type = typeof options === 'string' ? options : options && options.type;
    checkKey(key);
    const v = call(() => this.#ns.get(key));
    return v === undefined ? null : decode(v, type);
  }
  async getWithMetadata(key, options) {
    const type = typeof options === 'string' ? options : options && options.type;
    checkKey(key);
    const v = call(() => this.#ns.getWithMetadata(key));
    if (v === undefined) return { value: null, metadata: null };
    return { value: decode(v.value, type), metadata: v.metadata === undefined ? null : JSON.parse(v.metadata) };
  }
  async put(key, value, options = {}) {
    checkKey(key);
    const opts = {
      expiration: u64(options.expiration, 'expiration'),
      expirationTtl: u64(options.expirationTtl, 'expirationTtl'),
      // JSON.stringify escapes lone surrogates: the text is well-formed.
      metadata: options.metadata == null ? undefined : JSON.stringify(options.metadata),
    };
    const bytes = await toBytes(value);
    call(() => this.#ns.put(key, bytes, opts));
  }
  async delete(key) {
    checkKey(key);
    call(() => this.#ns.delete(key));
  }
  async list(options = {}) {
    const opts = {
      prefix: wellFormed(options.prefix, 'list prefix'),
      limit: u32(options.limit, 'list limit'),
      cursor: wellFormed(options.cursor, 'list cursor'),
    };
    const r = call(() => this.#ns.listKeys(opts));
    const out = {
      keys: Array.from(r.keys, (k) => {
        const o = { name: k.name };
        if (k.expiration !== undefined) o.expiration = Number(k.expiration);
        if (k.metadata !== undefined) o.metadata = JSON.parse(k.metadata);
        return o;
      }),
      list_complete: r.listComplete,
    };
    if (r.cursor !== undefined) out.cursor = r.cursor;
    return out;
  }
}

// --- R2 ------------------------------------------------------------------
//
// The workers-types R2 API over bindery:r2/bucket. Semantics follow the Go
// SDK (guest-sdk/go/bindery/r2.go) and docs/r2.md: a failed onlyIf on get
// gives the object without a body (an R2Object, not an R2ObjectBody), on
// put null.

const CHECKSUMS = ['md5', 'sha1', 'sha256', 'sha384', 'sha512'];
const HTTP_FIELDS = [
  ['contentType', 'content-type'], ['contentLanguage', 'content-language'],
  ['contentDisposition', 'content-disposition'], ['contentEncoding', 'content-encoding'],
  ['cacheControl', 'cache-control'],
];
const hex = (b) => Array.from(b, (x) => x.toString(16).padStart(2, '0')).join('');
const copyBuffer = (u8) => u8.buffer.slice(u8.byteOffset, u8.byteOffset + u8.byteLength);
const num = (v) => (v === undefined ? undefined : Number(v));

/** R2Checksums holds an object's digests as ArrayBuffers; toJSON() gives them as hex. */
class R2Checksums {
  constructor(c) {
    for (const k of CHECKSUMS) if (c && c[k] !== undefined) this[k] = copyBuffer(c[k]);
  }
  toJSON() {
    const o = {};
    for (const k of CHECKSUMS) if (this[k] !== undefined) o[k] = hex(new Uint8Array(this[k]));
    return o;
  }
}

/** R2Object is an object's metadata (head, list, put, a get whose onlyIf failed). */
class R2Object {
  constructor(o) {
    const m = o.httpMetadata;
    const httpMetadata = {};
    for (const [k] of HTTP_FIELDS) if (m[k] !== undefined) httpMetadata[k] = m[k];
    if (m.cacheExpiry !== undefined) httpMetadata.cacheExpiry = new Date(Number(m.cacheExpiry));
    this.key = o.key;
    this.version = o.version;
    this.size = Number(o.size);
    this.etag = o.etag;
    this.httpEtag = `"${o.etag}"`;
    this.uploaded = new Date(Number(o.uploaded));
    this.httpMetadata = httpMetadata;
    this.customMetadata = Object.fromEntries(o.customMetadata);
    this.checksums = new R2Checksums(o.checksums);
    this.storageClass = o.storageClass;
    if (o.range !== undefined) {
      const r = {};
      for (const k of ['offset', 'length', 'suffix']) if (o.range[k] !== undefined) r[k] = num(o.range[k]);
      this.range = r;
    }
  }
  /** writeHttpMetadata sets the stored HTTP headers (Content-Type, …, Expires) on headers. */
  writeHttpMetadata(headers) {
    const m = this.httpMetadata;
    for (const [k, h] of HTTP_FIELDS) if (m[k]) headers.set(h, m[k]);
    if (m.cacheExpiry) headers.set('expires', m.cacheExpiry.toUTCString());
  }
}

/** R2ObjectBody is an object and its bytes: a get whose onlyIf (if any) held. */
class R2ObjectBody extends R2Object {
  #body;
  #used = false;
  constructor(o, input) {
    super(o);
    this.#body = inputStreamToReadable(input);
  }
  get body() { return this.#body; }
  get bodyUsed() { return this.#used || this.#body.locked; }
  #consume() {
    if (this.bodyUsed) throw new TypeError('the body of R2 object ' + this.key + ' was already used');
    this.#used = true;
    return new Response(this.#body);
  }
  async arrayBuffer() { return this.#consume().arrayBuffer(); }
  async bytes() { return new Uint8Array(await this.arrayBuffer()); }
  async text() { return this.#consume().text(); }
  async json() { return this.#consume().json(); }
  async blob() { return this.#consume().blob(); }
}

function httpMetadataOption(h) {
  if (h == null) return undefined;
  if (h instanceof Headers) {
    const m = {};
    for (const [k, name] of HTTP_FIELDS) m[k] = h.get(name) ?? undefined;
    const exp = h.get('expires');
    if (exp != null && !Number.isNaN(Date.parse(exp))) m.cacheExpiry = new Date(Date.parse(exp));
    h = m;
  }
  const out = {};
  for (const [k] of HTTP_FIELDS) out[k] = h[k] == null ? undefined : wellFormed(String(h[k]), `httpMetadata.${k}`);
  out.cacheExpiry = h.cacheExpiry == null ? undefined : millis(h.cacheExpiry, 'cacheExpiry');
  return out;
}

// millis is a Date (or what new Date takes) as u64 milliseconds.
function millis(d, what) {
  const t = new Date(d).getTime();
  if (Number.isNaN(t)) throw new TypeError(`R2: ${what} is not a valid date`);
  return BigInt(Math.max(t, 0));
}

// etagList splits If-Match / If-None-Match values; the host strips quotes.
const etagList = (v) => (v == null ? [] : v.split(',').map((s) => s.trim().replace(/^W\//, '')).filter(Boolean));

// conditionalOption turns onlyIf (an R2Conditional or a Headers with
// If-Match, If-None-Match, If-Modified-Since, If-Unmodified-Since) into
// the WIT record; undefined when it checks nothing.
function conditionalOption(c) {
  if (c == null) return undefined;
  let w;
  if (c instanceof Headers) {
    const date = (v) => {
      const t = v == null ? NaN : Date.parse(v);
      return Number.isNaN(t) ? undefined : BigInt(Math.max(t, 0));
    };
    w = {
      etagMatches: etagList(c.get('if-match')), etagDoesNotMatch: etagList(c.get('if-none-match')),
      uploadedBefore: date(c.get('if-unmodified-since')), uploadedAfter: date(c.get('if-modified-since')),
      secondsGranularity: true,
    };
  } else {
    const list = (v) => (v == null ? [] : (Array.isArray(v) ? v : [v]).map(String));
    w = {
      etagMatches: list(c.etagMatches), etagDoesNotMatch: list(c.etagDoesNotMatch),
      uploadedBefore: c.uploadedBefore == null ? undefined : millis(c.uploadedBefore, 'onlyIf.uploadedBefore'),
      uploadedAfter: c.uploadedAfter == null ? undefined : millis(c.uploadedAfter, 'onlyIf.uploadedAfter'),
      secondsGranularity: !!c.secondsGranularity,
    };
  }
  for (const e of [...w.etagMatches, ...w.etagDoesNotMatch]) wellFormed(e, 'onlyIf etag');
  if (!w.etagMatches.length && !w.etagDoesNotMatch.length && w.uploadedBefore === undefined && w.uploadedAfter === undefined) {
    return undefined;
  }
  return w;
}

// rangeOption turns an R2Range ({offset, length} | {suffix}) or a Headers
// with a Range header ("bytes=0-99", "bytes=100-", "bytes=-100") into the
// WIT record.
function rangeOption(r) {
  if (r == null) return undefined;
  if (r instanceof Headers) {
    const v = r.get('range');
    if (v == null) return undefined;
    const m = /^bytes=(\d*)-(\d*)$/.exec(v.trim());
    if (!m || (m[1] === '' && m[2] === '') || (m[1] !== '' && m[2] !== '' && BigInt(m[2]) < BigInt(m[1]))) {
      throw new BindingError('invalid-range', `unsupported Range header ${JSON.stringify(v)}`);
    }
    const n = (d) => u64(BigInt(d), `Range ${JSON.stringify(v)}`, 'invalid-range');
    if (m[1] === '') return { offset: undefined, length: undefined, suffix: n(m[2]) };
    return { offset: n(m[1]), length: m[2] === '' ? undefined : n(BigInt(m[2]) - BigInt(m[1]) + 1n), suffix: undefined };
  }
  const big = (v, k) => u64(v, `range.${k}`, 'invalid-range');
  return { offset: big(r.offset, 'offset'), length: big(r.length, 'length'), suffix: big(r.suffix, 'suffix') };
}

// checksumsOption reads md5 … sha512 (ArrayBuffer, a view, or hex) from put's options.
async function checksumsOption(options) {
  const c = {};
  for (const k of CHECKSUMS) {
    const v = options[k];
    c[k] = v == null ? undefined : typeof v === 'string' ? unhex(v, k) : await toBytes(v);
  }
  return c;
}

function unhex(s, what) {
  if (!/^(?:[0-9a-fA-F]{2})*$/.test(s)) throw new TypeError(`R2: ${what} ${JSON.stringify(s)} is not hex`);
  const b = new Uint8Array(s.length / 2);
  for (let i = 0; i < b.length; i++) b[i] = parseInt(s.substr(i * 2, 2), 16);
  return b;
}

// sendBody stores value through whole(witBody), or, for a ReadableStream
// that is not an unread host stream, through the writer that openWriter
// returns (write piece by piece, then finish). An unread host stream (the
// request's body, another object's body) moves inside the host.
async function sendBody(value, whole, openWriter) {
  const hs = value instanceof ReadableStream ? hostStreams.get(value) : undefined;
  if (hs && hs.available()) return whole({ tag: 'stream', val: hs.take() });
  if (!(value instanceof ReadableStream)) return whole({ tag: 'bytes', val: await toBytes(value) });
  const w = call(openWriter);
  try {
    const reader = value.getReader();
    for (;;) {
      const { done, value: chunk } = await reader.read();
      if (done) break;
      const bytes = await toBytes(chunk);
      if (bytes.byteLength) call(() => w.write(bytes));
    }
    return call(() => w.finish());
  } finally {
    w[dispose]();
  }
}

// customMetadataOption is customMetadata as the WIT's list of pairs.
function customMetadataOption(m) {
  return Object.entries(m || {}).map(([k, v]) => [wellFormed(k, 'customMetadata key'), wellFormed(String(v), `customMetadata.${k}`)]);
}

/** R2MultipartUpload is an upload in progress: uploadPart, then complete or abort. */
class R2MultipartUpload {
  #u;
  #done = false;
  constructor(key, uploadId, u) {
    this.key = key;
    this.uploadId = uploadId;
    this.#u = u;
  }
  #handle() {
    if (this.#done) throw new BindingError('no-such-upload', `upload ${this.uploadId} of ${this.key} was completed or aborted`);
    return this.#u;
  }
  async uploadPart(partNumber, value, _options) {
    if (!Number.isInteger(partNumber) || partNumber < 1 || partNumber > 10000) {
      throw new BindingError('invalid-argument', `part number ${partNumber} is not 1 to 10000`);
    }
    const u = this.#handle();
    const p = await sendBody(value, (body) => call(() => u.uploadPart(partNumber, body)), () => u.partWriter(partNumber));
    return { partNumber: p.partNumber, etag: p.etag };
  }
  async complete(uploadedParts) {
    const u = this.#handle();
    const parts = (uploadedParts || []).map((p) => {
      if (!Number.isInteger(p.partNumber) || p.partNumber < 1 || p.partNumber > 10000) {
        throw new BindingError('invalid-part', `part number ${p.partNumber} is not 1 to 10000`);
      }
      return { partNumber: p.partNumber, etag: wellFormed(String(p.etag), 'part etag', 'invalid-part') };
    });
    const o = call(() => u.complete(parts));
    this.#finish();
    return new R2Object(o);
  }
  async abort() {
    const u = this.#handle();
    call(() => u.abort());
    this.#finish();
  }
  #finish() {
    this.#done = true;
    this.#u[dispose]();
  }
}

/** R2Bucket is an R2 binding: the workers-types R2Bucket API. */
class R2Bucket {
  #b;
  constructor(b) { this.#b = b; }
  async head(key) {
    checkKey(key);
    const o = call(() => this.#b.head(key));
    return o === undefined ? null : new R2Object(o);
  }
  async get(key, options = {}) {
    checkKey(key);
    const opts = { onlyIf: conditionalOption(options.onlyIf), range: rangeOption(options.range) };
    const r = call(() => this.#b.get(key, opts));
    if (r === undefined) return null;
    return r.body === undefined ? new R2Object(r.object) : new R2ObjectBody(r.object, r.body);
  }
  async put(key, value, options = {}) {
    checkKey(key);
    const opts = {
      httpMetadata: httpMetadataOption(options.httpMetadata),
      customMetadata: customMetadataOption(options.customMetadata),
      checksums: await checksumsOption(options),
      onlyIf: conditionalOption(options.onlyIf),
      storageClass: wellFormed(options.storageClass, 'storageClass'),
    };
    const o = await sendBody(value, (body) => call(() => this.#b.put(key, body, opts)), () => this.#b.putWriter(key, opts));
    return o === undefined ? null : new R2Object(o);
  }
  async delete(keys) {
    const ks = Array.isArray(keys) ? keys : [keys];
    ks.forEach(checkKey);
    call(() => this.#b.delete(ks));
  }
  async list(options = {}) {
    const include = options.include || [];
    for (const i of include) {
      if (i !== 'httpMetadata' && i !== 'customMetadata') {
        throw new BindingError('invalid-argument', `list include ${JSON.stringify(i)} is not httpMetadata or customMetadata`);
      }
    }
    const opts = {
      limit: u32(options.limit, 'list limit'), prefix: wellFormed(options.prefix, 'list prefix'),
      cursor: wellFormed(options.cursor, 'list cursor'), delimiter: wellFormed(options.delimiter, 'list delimiter'),
      startAfter: wellFormed(options.startAfter, 'list startAfter'),
      includeHttpMetadata: include.includes('httpMetadata'),
      includeCustomMetadata: include.includes('customMetadata'),
    };
    const r = call(() => this.#b.listObjects(opts));
    // Array.from: the bindings' arrays are another realm's (web/bytes.js).
    const out = { objects: Array.from(r.objects, (o) => new R2Object(o)), truncated: r.truncated, delimitedPrefixes: Array.from(r.delimitedPrefixes) };
    if (r.cursor !== undefined) out.cursor = r.cursor;
    return out;
  }
  async createMultipartUpload(key, options = {}) {
    checkKey(key);
    const opts = {
      httpMetadata: httpMetadataOption(options.httpMetadata),
      customMetadata: customMetadataOption(options.customMetadata),
      storageClass: wellFormed(options.storageClass, 'storageClass'),
    };
    const u = call(() => this.#b.createMultipartUpload(key, opts));
    return new R2MultipartUpload(key, u.uploadId(), u);
  }
  resumeMultipartUpload(key, uploadId) {
    checkKey(key);
    wellFormed(uploadId, 'uploadId');
    return new R2MultipartUpload(key, uploadId, this.#b.resumeMultipartUpload(key, uploadId));
  }
}

export { R2Object, R2ObjectBody, R2MultipartUpload, R2Checksums };

// The bindings' objects are host objects: the structured-value encoding
// refuses them, as structured clone refuses Cloudflare's.
refuseClone(KVNamespace, R2Bucket, R2Object, R2MultipartUpload, R2Checksums, D1Database, D1DatabaseSession, D1PreparedStatement);

// --- env -----------------------------------------------------------------

// The WIT has no list of a Worker's KV, R2, D1, Durable Object and queue
// bindings: a name resolves, on first use, to a variable, else a KV
// namespace, else an R2 bucket, else a D1 database, else a Durable Object
// namespace, else a queue producer.
const bindings = new Map();

function lookup(name) {
  if (bindings.has(name)) return bindings.get(name);
  // A name UTF-8 cannot carry names no binding (the host would see U+FFFD).
  if (!name.isWellFormed()) return undefined;
  let v;
  const x = vars.get(name);
  if (x !== undefined) {
    v = x.tag === 'json' ? JSON.parse(x.val) : x.val;
  } else {
    try {
      v = new KVNamespace(Namespace.open(name));
    } catch (e) {
      try {
        v = new R2Bucket(Bucket.open(name));
      } catch (e2) {
        v = openD1(name) ?? openNamespace(name) ?? openQueue(name, (n) => HostQueue.open(n));
      }
    }
  }
  bindings.set(name, v);
  return v;
}

/** env is the Worker's bindings: vars and secrets, KV namespaces, R2 buckets, D1 databases, Durable Object namespaces, queues. */
export const env = new Proxy({}, {
  get(_, name) { return typeof name === 'string' ? lookup(name) : undefined; },
  has(_, name) { return typeof name === 'string' && lookup(name) !== undefined; },
  ownKeys() { return vars.names(); },
  getOwnPropertyDescriptor(_, name) {
    const v = typeof name === 'string' ? lookup(name) : undefined;
    return v === undefined ? undefined : { value: v, enumerable: true, configurable: true };
  },
});

// --- the handler -----------------------------------------------------------

/**
 * trap ends the request as a trap: the host answers 500, logs the message,
 * and replaces the instance. Use it for invariants, not for errors: a
 * thrown error fails the request and keeps the instance.
 */
export function trap(message) {
  throw new TrapError(message);
}

class TrapError extends Error {}

// MAX_REASON bounds what a failed request sends to the host's log (UTF-8 bytes).
const MAX_REASON = 16 << 10;

// failureReason is what the host logs for an uncaught exception or a
// rejected promise: "Uncaught " and the error, then its stack, cut to
// MAX_REASON bytes of UTF-8 (the lowering turns lone surrogates into
// U+FFFD, and so does decoding a sequence the cut split).
function failureReason(e) {
  let s;
  try {
    s = 'Uncaught ' + (e instanceof Error ? formatError(e) : String(e));
  } catch {
    s = 'Uncaught exception (it cannot be shown as a string)';
  }
  const b = encoder.encode(s);
  return b.length <= MAX_REASON ? s : decoder.decode(b.subarray(0, MAX_REASON)) + '\n…';
}

function headerList(headers) {
  const out = [];
  for (const [k, v] of headers) out.push([k, encoder.encode(v)]);
  return out;
}

// The response-outparams a forwarded web socket used up: not to drop.
const movedOut = new WeakSet();

// dropOut drops a response-outparam, unless it was used up.
function dropOut(out) {
  if (!movedOut.has(out)) out[dispose]();
}

async function sendResponse(out, resp) {
  if (!(resp instanceof Response)) {
    throw new TypeError('fetch must return a Response, got ' + Object.prototype.toString.call(resp));
  }
  if (isErrorResponse(resp)) {
    throw new TypeError('fetch returned Response.error(), a network error, which is no response to send');
  }
  const ws = webSocketOf(resp);
  if (ws !== undefined) {
    forwardWebSocket(ws, out); // uses out up
    movedOut.add(out);
    return;
  }
  const headers = headerList(resp.headers);
  const body = resp.body;
  // A FixedLengthStream's body goes out with its length, not chunked.
  const fixed = body == null ? undefined : fixedLengthOf(body);
  if (fixed !== undefined && !resp.headers.has('content-length')) headers.push(['content-length', encoder.encode(String(fixed))]);
  if (body == null) {
    out.sendFull(resp.status, headers, new Uint8Array(0));
    return;
  }
  const bs = bodySenders.get(body);
  if (bs && bs.available()) { // an HTMLRewriter body: the host writes it
    await bs.send(out.send(resp.status, headers));
    return;
  }
  const hs = hostStreams.get(body);
  if (hs && hs.available()) {
    const input = hs.take();
    try {
      const os = out.send(resp.status, headers);
      try {
        while (os.splice(input, SPLICE_ALL) === SPLICE_ALL);
      } finally {
        os[dispose]();
      }
    } finally {
      input[dispose]();
    }
    return;
  }
  const reader = body.getReader();
  const first = await reader.read();
  if (first.done) {
    out.sendFull(resp.status, headers, new Uint8Array(0));
    return;
  }
  let chunk = await toBytes(first.value);
  const next = await reader.read();
  if (next.done) {
    out.sendFull(resp.status, headers, chunk);
    return;
  }
  const os = out.send(resp.status, headers);
  try {
    os.write(chunk);
    for (let r = next; !r.done; r = await reader.read()) {
      os.write(await toBytes(r.value));
    }
  } finally {
    os[dispose]();
  }
}

// started marks the start of a request or an object's event.
function started() {
  serving = true;
  requestStarted();
}

// requestOf is the WIT request req, whose body is body, as a Request.
function requestOf(req, body) {
  const headers = new Headers();
  for (const [k, v] of req.headers) headers.append(k, decoder.decode(v));
  const init = { method: req.method, headers };
  if (req.method !== 'GET' && req.method !== 'HEAD') {
    init.body = inputStreamToReadable(body);
    init.duplex = 'half';
  } else {
    body[dispose]();
  }
  const request = new Request(req.url, init);
  setCf(request, localCf());
  return request;
}

installDurable({
  env, requestOf, sendResponse, dropOut, inputStreamToReadable, hostStreams, failureReason, started,
  isTrap: (e) => e instanceof TrapError,
  afterEvent: () => {
    releaseD1Sessions();
    releaseStubs();
  },
});

installQueues({
  env, failureReason, started,
  isTrap: (e) => e instanceof TrapError,
  afterEvent: () => {
    releaseD1Sessions();
    releaseStubs();
  },
  warn: (message) => console.warn(message),
});

// serving turns true with the first request: before it (while
// componentize-js snapshots the initialised Worker) no host call works.
let serving = false;

const NO_HANDLER = 'the Worker has neither a default export with fetch, `export default { fetch(request, env, ctx) { ... } }` ' +
  '(module syntax), nor a fetch listener, `addEventListener("fetch", (event) => event.respondWith(...))` (service-worker syntax)';

/**
 * serve returns the bindery:http/handler export for a Worker, given its
 * module namespace: a module Worker (whose default export, an object or a
 * WorkerEntrypoint class, has fetch; never a named export called fetch),
 * or a service worker (a module that added a
 * fetch listener; its bindings become globals). A default export with
 * queue or scheduled but no fetch, or a service worker with only queue or
 * scheduled listeners, serves requests with an error.
 */
export function serve(worker) {
  let fetch = handlerMethod(worker?.default, 'fetch', env);
  if (fetch !== undefined) {
    // A module Worker: an object's fetch(request, env, ctx), or a
    // WorkerEntrypoint class's fetch(request) (entrypoint.js).
  } else if (hasFetchListener() || (!isModuleWorker(worker) && hasListener())) {
    exposeGlobals(lookup, () => serving);
    fetch = hasFetchListener()
      ? (request, ctx) => dispatchFetch(request, ctx.waitUntil)
      : () => { throw new Error('No event listener registered for fetch events.'); };
  } else if (isModuleWorker(worker)) {
    // A Worker that only consumes a queue or runs on a cron trigger, as
    // Cloudflare allows: its requests fail, as workerd's do.
    fetch = () => { throw new Error('Handler does not export a fetch() function.'); };
  } else {
    throw new TypeError(NO_HANDLER);
  }
  return {
    async handle(req, body, out) {
      started();
      const waits = [];
      const ctx = { waitUntil: (p) => { waits.push(p); }, passThroughOnException() {} };
      try {
        await sendResponse(out, await fetch(requestOf(req, body), ctx));
      } catch (e) {
        if (e instanceof TrapError) throw e;
        // An exception, a rejected promise, or a body stream that errored
        // after the head went out: the host logs the reason once and
        // answers 500, or cuts a response that had started, so the client
        // never takes a truncated body for a complete one. The instance
        // stays in service. A client that went away is no failure to log.
        out.fail(e && e.payload && e.payload.tag === 'closed' ? '' : failureReason(e));
      } finally {
        dropOut(out);
      }
      await Promise.allSettled(waits);
      releaseD1Sessions();
      releaseStubs();
    },
  };
}
