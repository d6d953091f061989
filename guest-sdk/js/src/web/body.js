// Request and Response where StarlingMonkey's (componentize-js 0.23) fall
// short of what Workers use:
//
// - formData() on both, and FormData bodies in both constructors: see
//   formdata.js;
// - Response.prototype.clone (missing): tees the body; the original reads
//   from one branch, the clone from the other;
// - Response.error (missing): a network error, type "error", status 0;
// - bytes() on both (missing);
// - request.cf: the incoming request's (localCf in globals.js), kept by
//   clone() and by new Request(request); a Request the Worker makes has
//   none unless its init gives one.
// - request.headers keeps Upgrade and Connection (the engine drops them
//   as hop-by-hop headers): a Worker checks `Upgrade: websocket` and
//   passes the request on to a Durable Object with stub.fetch, as on
//   Cloudflare. A Request whose init headers (or whose Request input)
//   have them reads them through a Headers of its own, made on first use
//   from the engine's and kept, so that its changes stay;
// - a 101 Response with a webSocket (`new Response(null, {status: 101,
//   webSocket})`, Cloudflare's answer to a WebSocket upgrade): the engine
//   takes statuses 200 to 599 only, so it is made as a 200 whose status
//   reads 101 and whose webSocket property is the socket (null on every
//   other Response).
//
// The constructors stay the engine's: globalThis.Request and .Response
// become Proxies whose construct trap only rewrites a FormData body (and
// carries a Request's cf over), so instanceof, subclassing and the static
// methods work as before, for objects the engine makes (request.clone())
// too.
import { encodeFormData, readFormData } from './formdata.js';

const NativeRequest = globalThis.Request;
const NativeResponse = globalThis.Response;

// Responses that clone() teed: the original reads from `stream` from then
// on (the engine's own body is locked by the tee).
const teed = new WeakMap();
// Responses made by Response.error().
const errors = new WeakSet();
// request.cf of each Request that has one.
const cfs = new WeakMap();
// The webSocket of each 101 Response.
const sockets = new WeakMap();
// The Upgrade and Connection headers of each Request that had them, and
// the Headers that request.headers returns for it.
const hops = new WeakMap();
const hopHeaders = new WeakMap();
const HOP = new Set(['upgrade', 'connection']);

// hopOf returns the Upgrade and Connection headers of h (what a Request's
// init takes as headers), or undefined when it has neither.
function hopOf(h) {
  if (h == null || typeof h !== 'object') return undefined;
  const out = [];
  const add = (k, v) => {
    k = String(k).toLowerCase();
    if (HOP.has(k)) out.push([k, String(v)]);
  };
  if (typeof h[Symbol.iterator] === 'function') for (const [k, v] of h) add(k, v);
  else for (const k of Object.keys(h)) add(k, h[k]);
  return out.length ? out : undefined;
}

const getter = (proto, name) => Object.getOwnPropertyDescriptor(proto, name).get;
const method = (proto, name, value) => Object.defineProperty(proto, name, { value, writable: true, configurable: true });
const accessor = (proto, name, get) => Object.defineProperty(proto, name, { get, configurable: true });

/** isErrorResponse says whether r came from Response.error(). */
export const isErrorResponse = (r) => errors.has(r);

/** webSocketOf returns the webSocket of a 101 Response, else undefined. */
export const webSocketOf = (r) => sockets.get(r);

/** setCf gives request its cf object (the incoming request's). */
export const setCf = (request, cf) => cfs.set(request, cf);

export function installBody() {
  const R = NativeResponse.prototype;
  const bodyGet = getter(R, 'body'), usedGet = getter(R, 'bodyUsed');
  const statusGet = getter(R, 'status'), okGet = getter(R, 'ok'), typeGet = getter(R, 'type'), statusTextGet = getter(R, 'statusText');
  accessor(R, 'body', function () {
    const t = teed.get(this);
    return t ? t.stream : bodyGet.call(this);
  });
  accessor(R, 'bodyUsed', function () {
    const t = teed.get(this);
    return t ? t.used || t.stream.locked : usedGet.call(this);
  });
  accessor(R, 'status', function () { return errors.has(this) ? 0 : sockets.has(this) ? 101 : statusGet.call(this); });
  accessor(R, 'ok', function () { return errors.has(this) || sockets.has(this) ? false : okGet.call(this); });
  accessor(R, 'webSocket', function () { return sockets.get(this) ?? null; });
  accessor(R, 'type', function () { return errors.has(this) ? 'error' : typeGet.call(this); });
  accessor(R, 'statusText', function () { return errors.has(this) ? '' : sockets.has(this) ? 'Switching Protocols' : statusTextGet.call(this); });

  // A teed response's readers take its branch through a fresh Response.
  for (const name of ['arrayBuffer', 'blob', 'json', 'text']) {
    const native = R[name];
    method(R, name, function () {
      const t = teed.get(this);
      if (!t) return native.call(this);
      if (t.used || t.stream.locked) return Promise.reject(new TypeError(`Response.${name}: the body has already been used`));
      t.used = true;
      return native.call(new NativeResponse(t.stream, { headers: this.headers }));
    });
  }

  method(R, 'clone', function clone() {
    if (errors.has(this)) return NativeResponse.error();
    const body = this.body;
    if (this.bodyUsed || (body !== null && body.locked)) throw new TypeError('Response.clone: the body has already been used or is locked');
    let theirs = null;
    if (body !== null) {
      const [mine, other] = body.tee();
      teed.set(this, { stream: mine, used: false });
      theirs = other;
    }
    return new NativeResponse(theirs, { status: this.status, statusText: this.statusText, headers: this.headers });
  });

  method(NativeResponse, 'error', function error() {
    const r = new NativeResponse(null, { status: 200 });
    errors.add(r);
    return r;
  });

  for (const proto of [NativeRequest.prototype, R]) {
    const kind = proto === R ? 'Response' : 'Request';
    method(proto, 'formData', async function formData() {
      if (this.bodyUsed) throw new TypeError(`${kind}.formData: the body has already been used`);
      return readFormData(this.body, this.headers.get('content-type'));
    });
    if (typeof proto.bytes !== 'function') {
      method(proto, 'bytes', async function bytes() { return new Uint8Array(await this.arrayBuffer()); });
    }
  }

  const Q = NativeRequest.prototype;
  accessor(Q, 'cf', function () { return cfs.get(this); });
  const headersGet = getter(Q, 'headers');
  accessor(Q, 'headers', function () {
    const native = headersGet.call(this);
    const hop = hops.get(this);
    if (hop === undefined) return native;
    let h = hopHeaders.get(this);
    if (h === undefined) {
      h = new Headers(native);
      for (const [k, v] of hop) h.append(k, v);
      hopHeaders.set(this, h);
    }
    return h;
  });
  const nativeClone = Q.clone;
  method(Q, 'clone', function clone() {
    const c = nativeClone.call(this);
    if (cfs.has(this)) cfs.set(c, cfs.get(this));
    const hop = hops.has(this) ? hopOf(this.headers) : undefined;
    if (hop !== undefined) hops.set(c, hop);
    return c;
  });

  const formBody = (body) => (body instanceof FormData ? encodeFormData(body) : body);
  const Response = new Proxy(NativeResponse, {
    construct(target, args, newTarget) {
      if (args[0] instanceof FormData) args = [formBody(args[0]), ...args.slice(1)];
      const init = args[1];
      const ws = init != null ? init.webSocket : undefined;
      if (ws != null || (init != null && Number(init.status) === 101)) {
        if (ws == null) throw new RangeError('Response: status 101 needs a webSocket (new Response(null, {status: 101, webSocket}))');
        if (Number(init.status) !== 101) throw new RangeError('Response: a webSocket needs status 101');
        if (args[0] != null) throw new TypeError('Response: a 101 response has no body');
        const r = Reflect.construct(target, [null, { headers: init.headers }], newTarget === Response ? target : newTarget);
        sockets.set(r, ws);
        return r;
      }
      return Reflect.construct(target, args, newTarget === Response ? target : newTarget);
    },
  });
  const Request = new Proxy(NativeRequest, {
    construct(target, args, newTarget) {
      let [input, init] = args;
      if (init != null && init.body instanceof FormData) {
        // Keep the rest of init as it is (it may be a Request, read through getters).
        init = Object.create(init, { body: { value: formBody(init.body), enumerable: true } });
        args = [input, init, ...args.slice(2)];
      }
      const r = Reflect.construct(target, args, newTarget === Request ? target : newTarget);
      const cf = init != null && init.cf !== undefined ? init.cf : input instanceof NativeRequest ? cfs.get(input) : undefined;
      if (cf !== undefined) cfs.set(r, cf);
      const hop = init != null && init.headers !== undefined ? hopOf(init.headers)
        : input instanceof NativeRequest && hops.has(input) ? hopOf(input.headers) : undefined;
      if (hop !== undefined) hops.set(r, hop);
      return r;
    },
  });
  method(R, 'constructor', Response);
  method(Q, 'constructor', Request);
  method(globalThis, 'Response', Response);
  method(globalThis, 'Request', Request);
}
