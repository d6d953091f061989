// Bindery JavaScript Worker runtime: implements the bindery:http/handler
// export on top of the Bindery imports and calls a Cloudflare-style module
// Worker, `export default { async fetch(request, env, ctx) { ... } }`.
//
// build.mjs bundles this file with the user's module into one entry:
//
//   import worker from "<user module>";
//   import { serve } from "<this file>";
//   export const handler = serve(worker);
//
// Request, Response, Headers, URL, ReadableStream, TextEncoder,
// crypto.getRandomValues, console and Date are StarlingMonkey's own.
import { Namespace } from 'bindery:kv/store@0.1.0';
import { Bucket } from 'bindery:r2/bucket@0.1.0';
import * as vars from 'bindery:config/vars@0.1.0';

const encoder = new TextEncoder();
const decoder = new TextDecoder();
const dispose = Symbol.dispose || Symbol.for('dispose');
const CHUNK = 64 << 10;
const SPLICE_ALL = 1n << 62n;

// Streams backed by a host input-stream: a response body or an R2 put value
// that is one of these moves inside the host (splice), not through JS.
const hostStreams = new WeakMap();

/** Error is a Bindery binding's error: `code` is the WIT case (e.g. "invalid-key"). */
export class BindingError extends Error {
  constructor(code, message) {
    super(message ? `${code}: ${message}` : code);
    this.name = 'BindingError';
    this.code = code;
  }
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
      controller.enqueue(chunk);
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
    const v = call(() => this.#ns.get(key));
    return v === undefined ? null : decode(v, type);
  }
  async getWithMetadata(key, options) {
    const type = typeof options === 'string' ? options : options && options.type;
    const v = call(() => this.#ns.getWithMetadata(key));
    if (v === undefined) return { value: null, metadata: null };
    return { value: decode(v.value, type), metadata: v.metadata === undefined ? null : JSON.parse(v.metadata) };
  }
  async put(key, value, options = {}) {
    const bytes = await toBytes(value);
    call(() => this.#ns.put(key, bytes, {
      expiration: options.expiration == null ? undefined : BigInt(options.expiration),
      expirationTtl: options.expirationTtl == null ? undefined : BigInt(options.expirationTtl),
      metadata: options.metadata == null ? undefined : JSON.stringify(options.metadata),
    }));
  }
  async delete(key) {
    call(() => this.#ns.delete(key));
  }
  async list(options = {}) {
    const r = call(() => this.#ns.listKeys({ prefix: options.prefix, limit: options.limit, cursor: options.cursor }));
    const out = {
      keys: r.keys.map((k) => {
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

const noChecksums = () => ({ md5: undefined, sha1: undefined, sha256: undefined, sha384: undefined, sha512: undefined });
const hex = (b) => Array.from(b, (x) => x.toString(16).padStart(2, '0')).join('');

function r2Object(o) {
  const m = o.httpMetadata;
  const httpMetadata = {};
  for (const k of ['contentType', 'contentLanguage', 'contentDisposition', 'contentEncoding', 'cacheControl']) {
    if (m[k] !== undefined) httpMetadata[k] = m[k];
  }
  if (m.cacheExpiry !== undefined) httpMetadata.cacheExpiry = new Date(Number(m.cacheExpiry));
  const checksums = {};
  for (const k of ['md5', 'sha1', 'sha256', 'sha384', 'sha512']) {
    if (o.checksums[k] !== undefined) checksums[k] = o.checksums[k].buffer;
  }
  return {
    key: o.key,
    version: o.version,
    size: Number(o.size),
    etag: o.etag,
    httpEtag: `"${o.etag}"`,
    uploaded: new Date(Number(o.uploaded)),
    httpMetadata,
    customMetadata: Object.fromEntries(o.customMetadata),
    checksums,
    storageClass: o.storageClass,
    range: o.range,
    writeHttpMetadata(headers) {
      if (httpMetadata.contentType) headers.set('content-type', httpMetadata.contentType);
      if (httpMetadata.contentLanguage) headers.set('content-language', httpMetadata.contentLanguage);
      if (httpMetadata.contentDisposition) headers.set('content-disposition', httpMetadata.contentDisposition);
      if (httpMetadata.contentEncoding) headers.set('content-encoding', httpMetadata.contentEncoding);
      if (httpMetadata.cacheControl) headers.set('cache-control', httpMetadata.cacheControl);
    },
  };
}

function r2ObjectBody(o, input) {
  const obj = r2Object(o);
  const body = input ? inputStreamToReadable(input) : new Response('').body;
  obj.body = body;
  Object.defineProperty(obj, 'bodyUsed', { get: () => body.locked });
  obj.arrayBuffer = () => new Response(body).arrayBuffer();
  obj.text = () => new Response(body).text();
  obj.json = () => new Response(body).json();
  obj.bytes = async () => new Uint8Array(await obj.arrayBuffer());
  return obj;
}

function httpMetadataOption(h) {
  if (h == null) return undefined;
  if (h instanceof Headers) {
    h = {
      contentType: h.get('content-type') ?? undefined, contentLanguage: h.get('content-language') ?? undefined,
      contentDisposition: h.get('content-disposition') ?? undefined, contentEncoding: h.get('content-encoding') ?? undefined,
      cacheControl: h.get('cache-control') ?? undefined,
    };
  }
  return {
    contentType: h.contentType, contentLanguage: h.contentLanguage, contentDisposition: h.contentDisposition,
    contentEncoding: h.contentEncoding, cacheControl: h.cacheControl,
    cacheExpiry: h.cacheExpiry == null ? undefined : BigInt(new Date(h.cacheExpiry).getTime()),
  };
}

class R2Bucket {
  #b;
  constructor(b) { this.#b = b; }
  async head(key) {
    const o = call(() => this.#b.head(key));
    return o === undefined ? null : r2Object(o);
  }
  async get(key, options = {}) {
    const range = options.range;
    const r = call(() => this.#b.get(key, {
      onlyIf: undefined,
      range: range == null ? undefined : {
        offset: range.offset == null ? undefined : BigInt(range.offset),
        length: range.length == null ? undefined : BigInt(range.length),
        suffix: range.suffix == null ? undefined : BigInt(range.suffix),
      },
    }));
    if (r === undefined) return null;
    return r2ObjectBody(r.object, r.body);
  }
  async put(key, value, options = {}) {
    const checksums = noChecksums();
    if (options.md5) checksums.md5 = typeof options.md5 === 'string' ? unhex(options.md5) : await toBytes(options.md5);
    const opts = {
      httpMetadata: httpMetadataOption(options.httpMetadata),
      customMetadata: Object.entries(options.customMetadata || {}),
      checksums,
      onlyIf: undefined,
      storageClass: options.storageClass,
    };
    let body;
    const hs = value instanceof ReadableStream ? hostStreams.get(value) : undefined;
    if (hs && hs.available()) {
      body = { tag: 'stream', val: hs.take() }; // the host moves the bytes
    } else if (value instanceof ReadableStream) {
      const w = call(() => this.#b.putWriter(key, opts));
      const reader = value.getReader();
      for (;;) {
        const { done, value: chunk } = await reader.read();
        if (done) break;
        const bytes = await toBytes(chunk);
        call(() => w.write(bytes));
      }
      const o = call(() => w.finish());
      w[dispose]();
      return o === undefined ? null : r2Object(o);
    } else {
      body = { tag: 'bytes', val: await toBytes(value) };
    }
    const o = call(() => this.#b.put(key, body, opts));
    return o === undefined ? null : r2Object(o);
  }
  async delete(keys) {
    call(() => this.#b.delete(Array.isArray(keys) ? keys : [keys]));
  }
  async list(options = {}) {
    const include = options.include || [];
    const r = call(() => this.#b.listObjects({
      limit: options.limit, prefix: options.prefix, cursor: options.cursor,
      delimiter: options.delimiter, startAfter: options.startAfter,
      includeHttpMetadata: include.includes('httpMetadata'),
      includeCustomMetadata: include.includes('customMetadata'),
    }));
    const out = { objects: r.objects.map(r2Object), truncated: r.truncated, delimitedPrefixes: r.delimitedPrefixes };
    if (r.cursor !== undefined) out.cursor = r.cursor;
    return out;
  }
}

function unhex(s) {
  const b = new Uint8Array(s.length / 2);
  for (let i = 0; i < b.length; i++) b[i] = parseInt(s.substr(i * 2, 2), 16);
  return b;
}

// --- env -----------------------------------------------------------------

// The WIT has no list of a Worker's KV and R2 bindings: a name resolves,
// on first use, to a variable, else a KV namespace, else an R2 bucket.
const bindings = new Map();

function lookup(name) {
  if (bindings.has(name)) return bindings.get(name);
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
        v = undefined;
      }
    }
  }
  bindings.set(name, v);
  return v;
}

/** env is the Worker's bindings: vars and secrets, KV namespaces, R2 buckets. */
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
 * and replaces the instance. Use it for invariants, not for errors.
 */
export function trap(message) {
  throw new TrapError(message);
}

class TrapError extends Error {}

function headerList(headers) {
  const out = [];
  for (const [k, v] of headers) out.push([k, encoder.encode(v)]);
  return out;
}

async function sendResponse(out, resp) {
  if (!(resp instanceof Response)) {
    throw new TypeError('fetch must return a Response, got ' + Object.prototype.toString.call(resp));
  }
  const headers = headerList(resp.headers);
  const body = resp.body;
  if (body == null) {
    out.sendFull(resp.status, headers, new Uint8Array(0));
    return;
  }
  const hs = hostStreams.get(body);
  if (hs && hs.available()) {
    const input = hs.take();
    const os = out.send(resp.status, headers);
    while (os.splice(input, SPLICE_ALL) === SPLICE_ALL);
    os[dispose]();
    input[dispose]();
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

/** serve returns the bindery:http/handler export for a module Worker. */
export function serve(worker) {
  if (!worker || typeof worker.fetch !== 'function') {
    throw new TypeError('the Worker module must `export default { fetch(request, env, ctx) { ... } }`');
  }
  return {
    async handle(req, body, out) {
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
      const waits = [];
      const ctx = { waitUntil: (p) => waits.push(p), passThroughOnException() {} };
      let resp;
      try {
        resp = await worker.fetch(request, env, ctx);
      } catch (e) {
        if (e instanceof TrapError) throw e;
        console.error('Worker threw: ' + (e && e.stack ? `${e}\n${e.stack}` : e));
        resp = new Response('Internal Server Error\n', { status: 500, headers: { 'content-type': 'text/plain' } });
      }
      await sendResponse(out, resp);
      out[dispose]();
      await Promise.allSettled(waits);
    },
  };
}
