// Bindery JavaScript Worker runtime: the Cache API of Cloudflare Workers
// (`caches.default`, `await caches.open(name)`, `Cache`, `CacheStorage`)
// over bindery:cache/cache. The host applies every HTTP rule (what may be
// stored and for how long, Range, If-None-Match, If-Modified-Since,
// cf-cache-status); this module only turns Requests and Responses into the
// WIT records and back. docs/sdk-js.md#cache says what differs from
// Cloudflare.
//
// runtime.js installs it: installCaches({ hostStreams, inputStreamToReadable,
// toBytes, BindingError }) sets the globals. Bodies stream both ways: a
// response whose body is an unread host stream (a request body, an R2 or
// cached body) moves into the cache inside the host; any other body is
// written chunk by chunk; a matched body is a host stream, so returning
// the matched Response sends it without passing it through JS.
import { Cache as HostCache } from 'bindery:cache/cache@0.1.0';

const encoder = new TextEncoder();
const decoder = new TextDecoder();
const dispose = Symbol.dispose || Symbol.for('dispose');

// MAX_NAME is the longest cache name in UTF-8 bytes: workerd refuses 1024
// and more ("Cache name is too long.").
const MAX_NAME = 1023;

// token guards the constructors: like workerd's, they are not for Workers.
const token = Symbol('bindery cache');

let rt; // what runtime.js hands over in installCaches

function headerList(headers) {
  const out = [];
  for (const [k, v] of headers) out.push([k, encoder.encode(v)]);
  return out;
}

// toRequest coerces what put, match and delete take (a Request, a URL or
// a string) as Request.coerce does in workerd.
function toRequest(r) {
  return r instanceof Request ? r : new Request(String(r));
}

function requestRecord(req) {
  return { method: req.method, url: req.url, headers: headerList(req.headers) };
}

// hostCall runs a call on the host cache and turns its WIT errors into
// what workerd throws: a TypeError for a refused put, a URL that is not a
// key or an argument out of range; a BindingError for the rest. A body
// over the limit is returned as 'too-large' (Cloudflare's 413, which put
// does not throw).
function hostCall(f) {
  try {
    return f();
  } catch (e) {
    const p = e && e.payload;
    if (!p || typeof p !== 'object' || !('tag' in p)) throw e;
    switch (p.tag) {
      case 'refused':
      case 'invalid-key':
      case 'invalid-argument':
        throw new TypeError(p.val);
      case 'too-large':
        return 'too-large';
    }
    throw new rt.BindingError(p.tag, typeof p.val === 'string' ? p.val : undefined);
  }
}

/** Cache is one of the Worker's caches: put, match and delete, as on Cloudflare. */
export class Cache {
  #name;
  #handle;
  constructor(t, name) {
    if (t !== token) throw new TypeError('Illegal constructor: use caches.default or caches.open(name)');
    this.#name = name;
  }

  // The host cache, opened on first use: never while the engine's
  // snapshot is being taken at build time.
  #host() {
    if (this.#handle === undefined) this.#handle = hostCall(() => HostCache.open(this.#name));
    return this.#handle;
  }

  /** put stores response for request (a GET); it resolves whether or not the cache stored it. */
  async put(request, response) {
    const req = toRequest(request);
    if (!(response instanceof Response)) throw new TypeError('Cache.put: the response must be a Response');
    if (response.type === 'error') throw new TypeError('Cache is unable to store an error response');
    if (response.bodyUsed) throw new TypeError('Cache.put: the response body has already been used');
    const r = requestRecord(req);
    const head = { status: response.status, headers: headerList(response.headers) };
    const h = this.#host();
    const body = response.body;
    if (body == null) {
      hostCall(() => h.put(r, head, { tag: 'bytes', val: new Uint8Array(0) }));
      return;
    }
    const hs = rt.hostStreams.get(body);
    if (hs && hs.available()) {
      // Moved inside the host: the guest never sees the bytes.
      const input = hs.take();
      try {
        hostCall(() => h.put(r, head, { tag: 'stream', val: input }));
      } finally {
        body.cancel().catch(() => {}); // the body is used, as on Cloudflare
      }
      return;
    }
    const w = hostCall(() => h.putWriter(r, head));
    const reader = body.getReader();
    if (w === undefined) {
      await reader.cancel(); // not stored: the body is used all the same
      return;
    }
    try {
      for (;;) {
        const { done, value } = await reader.read();
        if (done) break;
        const bytes = await rt.toBytes(value);
        if (bytes.byteLength && hostCall(() => w.write(bytes)) === 'too-large') {
          await reader.cancel();
          return;
        }
      }
      hostCall(() => w.finish());
    } catch (e) {
      reader.cancel(e).catch(() => {});
      throw e;
    } finally {
      w[dispose]();
    }
  }

  /** match resolves to the stored Response for request, or undefined. */
  async match(request, options) {
    const req = toRequest(request);
    const r = hostCall(() => this.#host().match(requestRecord(req), { ignoreMethod: !!(options && options.ignoreMethod) }));
    if (r === undefined) return undefined;
    const headers = new Headers();
    for (const [k, v] of r.headers) headers.append(k, decoder.decode(v));
    const body = r.body === undefined ? null : rt.inputStreamToReadable(r.body);
    return new Response(body, { status: r.status, headers });
  }

  /** delete resolves to whether a fresh response was stored for request. */
  async delete(request, options) {
    const req = toRequest(request);
    return hostCall(() => this.#host().delete(requestRecord(req), { ignoreMethod: !!(options && options.ignoreMethod) }));
  }

  add() { return unimplemented('Cache.add'); }
  addAll() { return unimplemented('Cache.addAll'); }
  matchAll() { return unimplemented('Cache.matchAll'); }
  keys() { return unimplemented('Cache.keys'); }
}

function unimplemented(what) {
  return Promise.reject(new TypeError(`${what} is not implemented (nor is it in Cloudflare Workers)`));
}

/** CacheStorage is the `caches` global: the default cache and named ones. */
export class CacheStorage {
  #default;
  #named = new Map();
  constructor(t) {
    if (t !== token) throw new TypeError('Illegal constructor: use the caches global');
  }

  /** default is the Worker's default cache. */
  get default() {
    if (this.#default === undefined) this.#default = new Cache(token, undefined);
    return this.#default;
  }

  /** open resolves to the cache called name, made on first use. */
  async open(name) {
    name = String(name);
    if (!name.isWellFormed()) {
      throw new TypeError(`cache name ${JSON.stringify(name)} is not well-formed Unicode (a lone surrogate)`);
    }
    if (encoder.encode(name).length > MAX_NAME) throw new TypeError('Cache name is too long.');
    let c = this.#named.get(name);
    if (c === undefined) {
      c = new Cache(token, name);
      this.#named.set(name, c);
    }
    return c;
  }

  match() { return unimplemented('CacheStorage.match'); }
  has() { return unimplemented('CacheStorage.has'); }
  delete() { return unimplemented('CacheStorage.delete'); }
  keys() { return unimplemented('CacheStorage.keys'); }
}

/**
 * installCaches sets the globals `caches`, `Cache` and `CacheStorage`.
 * runtime gives the helpers shared with the rest of the runtime:
 * hostStreams, inputStreamToReadable, toBytes and BindingError.
 */
export function installCaches(runtime) {
  rt = runtime;
  globalThis.caches = new CacheStorage(token);
  globalThis.Cache = Cache;
  globalThis.CacheStorage = CacheStorage;
}
