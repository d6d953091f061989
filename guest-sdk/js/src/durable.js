// Bindery JavaScript Worker runtime: Durable Objects, with Cloudflare's
// API over bindery:durable (wit/deps/durable/durable.wit,
// docs/durable-objects.md).
//
// - A Worker's side: env.NAME is a DurableObjectNamespace (idFromName,
//   newUniqueId, idFromString, get, getByName); a stub sends the object
//   requests (stub.fetch) and RPC calls (any other method: a Proxy), with
//   arguments and results in the structured-value encoding (structured.js)
//   and an error the method threw rethrown with its class.
// - An object's side: the Worker's exported classes (`export class Counter
//   extends DurableObject`) serve the object export. The SDK keeps one
//   instance per class and id, made by `new Class(ctx, env)` on the
//   object's first event after a start or an eviction, and gives it
//   ctx.storage (get/put/delete/list/deleteAll, transactions, alarms, sql),
//   blockConcurrencyWhile, abort and the hibernatable WebSocket API.
//
// StarlingMonkey cannot take an event while one is in progress
// (docs/durable-objects.md, "What the spike found"): describe says
// reentrant false, and the host gives each object an instance of its own.
// So one event at a time runs in the engine, and the event in progress is
// the module's `current`.
import { Namespace as HostNamespace } from 'bindery:durable/client@0.1.0';
import * as state from 'bindery:durable/state@0.1.0';
import { BindingError } from './errors.js';
import { serialize, deserialize, refuseClone } from './structured.js';
import { webSocketOf } from './web/body.js';

const encoder = new TextEncoder();
const decoder = new TextDecoder();
const dispose = Symbol.dispose || Symbol.for('dispose');

// ERRORS are the Error classes a thrown value is rethrown as, by name.
const ERRORS = { Error, EvalError, RangeError, ReferenceError, SyntaxError, TypeError, URIError };

// deps are what runtime.js lends: the Worker's env and its request and
// response machinery (installDurable).
let deps;

/**
 * installDurable gives this module what it shares with runtime.js: env,
 * requestOf(req, body) (a WIT request as a Request), sendResponse(out,
 * response), dropOut(out), inputStreamToReadable, hostStreams, failureReason(e),
 * isTrap(e), started() (run when an event begins) and afterEvent() (run
 * when it ends).
 */
export function installDurable(d) {
  deps = d;
}

// wellFormed throws a TypeError when s is not well-formed Unicode (UTF-8
// cannot carry a lone surrogate), and returns s.
function wellFormed(s, what) {
  if (!s.isWellFormed()) throw new TypeError(`${what} ${JSON.stringify(s)} is not well-formed Unicode (a lone surrogate), so it cannot be sent as UTF-8`);
  return s;
}

// call runs a host call and turns the WIT error into what Cloudflare
// throws: a TypeError for a malformed id or argument, the thrown value
// for an RPC method's error, else a BindingError with the case as code.
function call(f) {
  try {
    return f();
  } catch (e) {
    throw errorOf(e);
  }
}

function errorOf(e) {
  const p = e && e.payload;
  if (!p || typeof p !== 'object' || !('tag' in p)) return e;
  switch (p.tag) {
    case 'thrown': return rethrown(p.val);
    case 'invalid-id': case 'invalid-argument': {
      const t = new TypeError(p.val);
      t.code = p.tag;
      return t;
    }
  }
  return new BindingError(p.tag, typeof p.val === 'string' ? p.val : undefined);
}

// rethrown is the value an object's method threw, as its caller throws it:
// the encoded value when it decodes, else an error of its class.
function rethrown(t) {
  if (t.value !== undefined) {
    try {
      return deserialize(t.value);
    } catch {
      // fall through to name and message
    }
  }
  const e = new (ERRORS[t.name] || Error)(t.message);
  if (!ERRORS[t.name]) e.name = t.name;
  return e;
}

// thrownOf is what an object's event threw, as the WIT's thrown.
function thrownOf(e) {
  let value;
  try {
    value = serialize(e);
  } catch {
    value = undefined;
  }
  const isError = e instanceof Error;
  let message;
  try {
    message = isError ? String(e.message) : String(e);
  } catch {
    message = Object.prototype.toString.call(e);
  }
  return { name: isError ? String(e.name) : 'Error', message: message.toWellFormed(), value };
}

// --- ids, namespaces, stubs (a Worker's side) ------------------------------

/** DurableObjectId names one object: 64 hex digits, and the name it came from. */
export class DurableObjectId {
  #hex;
  #name;
  constructor(hex, name) {
    this.#hex = hex;
    this.#name = name;
  }
  /** toString returns the id's 64 lower-case hex digits. */
  toString() { return this.#hex; }
  /** equals says whether other names the same object. */
  equals(other) { return other instanceof DurableObjectId && other.#hex === this.#hex; }
  /** name is the name idFromName made the id from; undefined otherwise. */
  get name() { return this.#name; }
}

/** DurableObjectNamespace is a Durable Object binding (env.COUNTER): the objects of one class. */
export class DurableObjectNamespace {
  #ns;
  constructor(ns) { this.#ns = ns; }
  /** idFromName returns the id of the object called name: the same name, the same id. */
  idFromName(name) {
    name = wellFormed(String(name), 'name');
    return new DurableObjectId(call(() => this.#ns.idFromName(name)), name);
  }
  /** newUniqueId returns a new random id ({jurisdiction: "eu" | "fedramp"} is accepted and ignored). */
  newUniqueId(options) {
    const j = options?.jurisdiction;
    return new DurableObjectId(call(() => this.#ns.newUniqueId(j == null ? undefined : wellFormed(String(j), 'jurisdiction'))));
  }
  /** idFromString parses an id's 64 hex digits; a malformed id, or one of another class, is a TypeError. */
  idFromString(s) {
    return new DurableObjectId(call(() => this.#ns.idFromString(wellFormed(String(s), 'id'))));
  }
  /** get returns a stub for the object id; the object is made on its first request. */
  get(id, _options) {
    if (!(id instanceof DurableObjectId)) throw new TypeError('get: the id must be a DurableObjectId (idFromName, newUniqueId or idFromString)');
    if (id.name !== undefined) return this.getByName(id.name);
    const hex = id.toString();
    return stubOf(() => this.#ns.get(hex), id);
  }
  /** getByName returns a stub for the object called name (the object sees ctx.id.name). */
  getByName(name, _options) {
    name = wellFormed(String(name), 'name');
    const open = () => this.#ns.getByName(name);
    const h = call(open);
    return stubOf(open, new DurableObjectId(h.id(), name), h);
  }
  /** jurisdiction returns the namespace itself: Bindery has one location. */
  jurisdiction(_j) { return this; }
}

/**
 * openNamespace returns the Durable Object binding name, or undefined
 * when the Worker has none of that name.
 */
export function openNamespace(name) {
  try {
    return new DurableObjectNamespace(HostNamespace.open(name));
  } catch {
    return undefined;
  }
}

// The stubs whose host handles are open, given back when the request or
// event ends (releaseStubs): a handle a stub still needs later is opened
// again. stubHandle and releaseStub reach a stub's handle.
const openStubs = new Set();
let stubHandle, releaseStub;

/**
 * releaseStubs gives back the host handles of the stubs used in the
 * request or event that ends (the host's resource table is bounded).
 */
export function releaseStubs() {
  for (const s of openStubs) releaseStub(s);
  openStubs.clear();
}

// NULL_BODY are the statuses whose responses have no body.
const NULL_BODY = new Set([101, 204, 205, 304]);

/**
 * DurableObjectStub is the way to one object: id, name, fetch, and any
 * other method is an RPC call (stubs are Proxies over this class).
 */
export class DurableObjectStub {
  #open;
  #h;
  #id;
  constructor(open, id, h) {
    this.#open = open;
    this.#id = id;
    this.#h = h;
    if (h !== undefined) openStubs.add(this);
    else this.#handle();
  }
  // handle returns the host's stub, opening it again after releaseStubs.
  #handle() {
    if (this.#h === undefined) {
      this.#h = call(this.#open);
      openStubs.add(this);
    }
    return this.#h;
  }
  static {
    stubHandle = (s) => s.#handle();
    releaseStub = (s) => {
      const h = s.#h;
      s.#h = undefined;
      if (h !== undefined) h[dispose]();
    };
  }
  /** id is the object's DurableObjectId. */
  get id() { return this.#id; }
  /** name is the object's name, when the stub came from a name. */
  get name() { return this.#id.name; }
  /**
   * fetch sends the object a request (a Request, or what new Request
   * takes) and resolves with its response once the object has sent the
   * head; the body streams. A 101 response's webSocket is the socket the
   * object accepted: return the response from the Worker's fetch to give
   * it to the client.
   */
  async fetch(input, init) {
    const req = input instanceof Request && init === undefined ? input : new Request(input, init);
    const headers = [];
    for (const [k, v] of req.headers) headers.push([k, encoder.encode(v)]);
    let body;
    const hs = req.body == null ? undefined : deps.hostStreams.get(req.body);
    if (req.body == null) body = { tag: 'bytes', val: new Uint8Array(0) };
    else if (hs && hs.available()) body = { tag: 'stream', val: hs.take() };
    else body = { tag: 'bytes', val: new Uint8Array(await req.arrayBuffer()) };
    const h = this.#handle();
    const r = call(() => h.fetch({ method: req.method, url: wellFormed(req.url, 'url'), headers }, body));
    const rh = new Headers();
    for (const [k, v] of r.headers) rh.append(k, decoder.decode(v));
    if (r.upgrade !== undefined) {
      r.body[dispose]();
      return new Response(null, { status: 101, headers: rh, webSocket: forwardedSocket(r.upgrade) });
    }
    if (NULL_BODY.has(r.status)) {
      r.body[dispose]();
      return new Response(null, { status: r.status, headers: rh });
    }
    return new Response(deps.inputStreamToReadable(r.body), { status: r.status, headers: rh });
  }
}

// rpc calls method on the object of stub with args.
async function rpc(stub, method, args) {
  const enc = serialize(args);
  const h = stubHandle(stub);
  return deserialize(call(() => h.call(wellFormed(method, 'method'), enc)));
}

// stubOf makes a stub whose host stub open() opens (h, when open already):
// a Proxy whose unknown
// properties are RPC methods. `then` is none, so that a stub is not a
// thenable.
function stubOf(open, id, h) {
  const target = new DurableObjectStub(open, id, h);
  return new Proxy(target, {
    get(t, prop) {
      if (typeof prop === 'symbol' || prop in t) {
        const v = Reflect.get(t, prop, t);
        return typeof v === 'function' ? v.bind(t) : v;
      }
      if (prop === 'then') return undefined;
      return (...args) => rpc(t, prop, args);
    },
  });
}

// --- web sockets ------------------------------------------------------------

// The module's access to a WebSocket's private state, set by the class's
// static block (so that none of it is part of the public class):
// forwardedSocket(up) makes the client end of a stub's upgrade, socketPair()
// a WebSocketPair's two ends, bindSocket(ws, obj, h) makes ws an accepted
// socket of obj whose handle in the current event is h, and the rest read
// or mark a socket.
let forwardedSocket, socketPair, bindSocket, peerOf, upgradeOf, isAccepted, markClosed, tagsOf, autoResponseTimestampOf, dispatch;

// MAKE is the constructor's argument that only this module passes.
const MAKE = Symbol('make');

/**
 * WebSocket is Cloudflare's server-side WebSocket: a WebSocketPair's end,
 * a socket an object accepted, or the client end a stub's 101 response
 * carries. An object accepts a socket with ctx.acceptWebSocket (the
 * hibernation API: its events are the class's webSocketMessage, …) or
 * with ws.accept() (its events go to addEventListener's listeners, and
 * the object stays in memory). Outbound `new WebSocket(url)` is not
 * supported.
 */
export class WebSocket {
  static CONNECTING = 0;
  static OPEN = 1;
  static CLOSING = 2;
  static CLOSED = 3;
  #peer;
  #upgrade; // a client end's client.upgrade
  #obj; // an accepted socket's object (ObjectState)
  #handle; // an accepted socket's state.web-socket in the current event
  #gen = -1; // the event #handle belongs to
  #closed = false;
  #listeners; // an accept()ed socket's event listeners, by type
  constructor(how) {
    if (how !== MAKE) {
      throw new TypeError('new WebSocket(url): Bindery has no outbound WebSockets; a Worker passes a client\'s socket to a Durable Object (new WebSocketPair(), ctx.acceptWebSocket)');
    }
  }
  static {
    forwardedSocket = (up) => {
      const ws = new WebSocket(MAKE);
      ws.#upgrade = up;
      return ws;
    };
    socketPair = () => {
      const a = new WebSocket(MAKE), b = new WebSocket(MAKE);
      a.#peer = b;
      b.#peer = a;
      return [a, b];
    };
    bindSocket = (ws, obj, h) => {
      ws.#obj = obj;
      ws.#handle = h;
      ws.#gen = obj.gen;
    };
    peerOf = (ws) => ws.#peer;
    upgradeOf = (ws) => ws.#upgrade;
    isAccepted = (ws) => ws.#obj !== undefined;
    markClosed = (ws) => { ws.#closed = true; };
    tagsOf = (ws) => Array.from(ws.#host().tags());
    autoResponseTimestampOf = (ws) => {
      const t = ws.#host().autoResponseTimestamp();
      return t === undefined ? null : new Date(Number(t));
    };
  }
  #host() {
    if (this.#obj === undefined) throw new TypeError('this WebSocket was not accepted: pass it to ctx.acceptWebSocket first');
    if (this.#closed) throw new BindingError('closed', 'the WebSocket is closed');
    if (this.#gen !== this.#obj.gen) this.#obj.refreshSockets();
    if (this.#gen !== this.#obj.gen) {
      this.#closed = true;
      throw new BindingError('closed', 'the WebSocket is closed');
    }
    return this.#handle;
  }
  /** readyState is OPEN until the socket is closed. */
  get readyState() { return this.#closed ? WebSocket.CLOSED : WebSocket.OPEN; }
  get url() { return null; }
  get protocol() { return ''; }
  get extensions() { return ''; }
  /** send sends a string as a text message, bytes (an ArrayBuffer or a view) as a binary one. */
  send(message) {
    const h = this.#host();
    let m;
    if (typeof message === 'string') m = { tag: 'text', val: wellFormed(message, 'message') };
    else if (message instanceof ArrayBuffer) m = { tag: 'binary', val: new Uint8Array(message) };
    else if (ArrayBuffer.isView(message)) m = { tag: 'binary', val: new Uint8Array(message.buffer, message.byteOffset, message.byteLength) };
    else m = { tag: 'text', val: wellFormed(String(message), 'message') };
    call(() => h.send(m));
  }
  /** close closes the socket with code (1000, or 3000 to 4999) and reason. */
  close(code, reason) {
    const h = this.#host();
    call(() => h.close(code == null ? undefined : code, reason == null ? '' : wellFormed(String(reason), 'reason')));
    this.#closed = true;
  }
  /** serializeAttachment keeps value (at most 16 KiB encoded) with the socket across hibernation. */
  serializeAttachment(value) {
    const h = this.#host();
    const b = serialize(value);
    call(() => h.serializeAttachment(b));
  }
  /** deserializeAttachment returns what serializeAttachment kept, or null. */
  deserializeAttachment() {
    const b = this.#host().deserializeAttachment();
    return b === undefined ? null : deserialize(b);
  }
  /**
   * accept accepts the server end of a WebSocketPair without hibernation,
   * in a Durable Object's fetch handler: its messages, close and errors
   * reach the listeners added with addEventListener, and the object stays
   * in memory while it is open. (A Worker cannot accept a socket itself:
   * it passes the request to an object.)
   */
  accept() {
    const obj = current;
    if (this.#peer === undefined || obj === undefined || obj.out === undefined) {
      throw new TypeError('ws.accept(): a WebSocket can be accepted only in a Durable Object\'s fetch handler (pass the request on with stub.fetch)');
    }
    if (this.#obj !== undefined) throw new TypeError('ws.accept(): this WebSocket was accepted already');
    const h = call(() => state.acceptWebSocketInMemory(obj.out));
    obj.own(h);
    obj.accepted = true;
    this.#listeners = new Map();
    bindSocket(this, obj, h);
    obj.sockets.set(h.key(), this);
  }
  /** addEventListener adds a listener for "message", "close" or "error" of a socket accepted with accept(). */
  addEventListener(type, listener) {
    if (this.#listeners === undefined) {
      throw new TypeError('WebSocket events: call ws.accept() first (or, with ctx.acceptWebSocket, define webSocketMessage, webSocketClose and webSocketError on the class)');
    }
    if (listener == null) return;
    const ls = this.#listeners.get(type) ?? [];
    if (!ls.includes(listener)) ls.push(listener);
    this.#listeners.set(type, ls);
  }
  /** removeEventListener removes a listener addEventListener added. */
  removeEventListener(type, listener) {
    const ls = this.#listeners?.get(type);
    if (ls) this.#listeners.set(type, ls.filter((l) => l !== listener));
  }
  static {
    // dispatch delivers event to the listeners of an accept()ed socket,
    // and the on<type> property, awaiting them; false for a socket of the
    // hibernation API.
    dispatch = async (ws, event) => {
      if (ws.#listeners === undefined) return false;
      event.target = ws;
      const ls = [...(ws.#listeners.get(event.type) ?? [])];
      const prop = ws['on' + event.type];
      if (typeof prop === 'function') ls.push(prop);
      for (const l of ls) await (typeof l === 'function' ? l.call(ws, event) : l.handleEvent(event));
      return true;
    };
  }
}

/** WebSocketPair is two linked WebSockets: [client, server] = Object.values(new WebSocketPair()). */
export class WebSocketPair {
  constructor() {
    const [a, b] = socketPair();
    this[0] = a;
    this[1] = b;
  }
  *[Symbol.iterator]() {
    yield this[0];
    yield this[1];
  }
}

/** WebSocketRequestResponsePair is an auto-response: a message and the reply the host sends without waking the object. */
export class WebSocketRequestResponsePair {
  #request;
  #response;
  constructor(request, response) {
    this.#request = wellFormed(String(request), 'request');
    this.#response = wellFormed(String(response), 'response');
  }
  get request() { return this.#request; }
  get response() { return this.#response; }
}

/**
 * forwardWebSocket answers the Worker's request (out) with ws, the
 * webSocket of the 101 response its fetch returned: the socket an object
 * accepted, which the client joins.
 */
export function forwardWebSocket(ws, out) {
  const up = ws instanceof WebSocket ? upgradeOf(ws) : undefined;
  if (up === undefined) {
    throw new TypeError('a Worker can answer with the webSocket of a Durable Object\'s 101 response only (stub.fetch); a socket it made itself needs ws.accept(), which Bindery lacks');
  }
  call(() => up.forward(out));
}

// --- storage ---------------------------------------------------------------

// compareKeys orders keys as the host does: by their UTF-8 bytes, which is
// code point order.
function compareKeys(a, b) {
  for (let i = 0, j = 0; i < a.length && j < b.length;) {
    const x = a.codePointAt(i), y = b.codePointAt(j);
    if (x !== y) return x < y ? -1 : 1;
    i += x > 0xffff ? 2 : 1;
    j += y > 0xffff ? 2 : 1;
  }
  return a.length === b.length ? 0 : a.length < b.length ? -1 : 1;
}

const checkKey = (k) => wellFormed(typeof k === 'string' ? k : String(k), 'key');

// alarmTime is setAlarm's argument (a Date or milliseconds since the epoch)
// as milliseconds.
function alarmTime(t) {
  const ms = t instanceof Date ? t.getTime() : Number(t);
  if (!Number.isFinite(ms)) throw new TypeError('setAlarm: the time must be a Date or milliseconds since the epoch');
  return BigInt(Math.trunc(ms));
}

// KV is the storage calls of DurableObjectStorage and of a transaction.
const KV = {
  get(keys) {
    if (Array.isArray(keys)) {
      const ks = keys.map(checkKey);
      const vs = call(() => state.get(ks));
      const found = [];
      ks.forEach((k, i) => { if (vs[i] !== undefined) found.push([k, vs[i]]); });
      found.sort((a, b) => compareKeys(a[0], b[0]));
      const m = new Map();
      for (const [k, v] of found) if (!m.has(k)) m.set(k, deserialize(v));
      return m;
    }
    const v = call(() => state.get([checkKey(keys)]))[0];
    return v === undefined ? undefined : deserialize(v);
  },
  put(keyOrEntries, value) {
    let entries;
    if (typeof keyOrEntries === 'object' && keyOrEntries !== null) {
      entries = Object.entries(keyOrEntries).map(([k, v]) => ({ key: checkKey(k), value: serialize(v) }));
    } else {
      entries = [{ key: checkKey(keyOrEntries), value: serialize(value) }];
    }
    call(() => state.put(entries));
  },
  delete(keys) {
    if (Array.isArray(keys)) return call(() => state.delete(keys.map(checkKey)));
    return call(() => state.delete([checkKey(keys)])) > 0;
  },
  list(options = {}) {
    const str = (v) => (v == null ? undefined : checkKey(v));
    const limit = options.limit;
    if (limit != null && (!Number.isInteger(limit) || limit < 1 || limit > 2 ** 32 - 1)) {
      throw new TypeError(`list: limit ${limit} is not a positive integer`);
    }
    const es = call(() => state.list({
      start: str(options.start), startAfter: str(options.startAfter), end: str(options.end),
      prefix: str(options.prefix), reverse: !!options.reverse, limit: limit == null ? undefined : limit,
    }));
    const m = new Map();
    for (const e of es) m.set(e.key, deserialize(e.value));
    return m;
  },
  getAlarm() {
    const t = call(() => state.getAlarm());
    return t === undefined ? null : Number(t);
  },
  setAlarm(t) { call(() => state.setAlarm(alarmTime(t))); },
  deleteAlarm() { call(() => state.deleteAlarm()); },
};

// endTransaction commits (or, when the closure failed, rolls back) a
// transaction unless its rollback() ended it, and releases it.
let endTransaction;

/**
 * DurableObjectTransaction is what transaction(closure) gives the closure:
 * the storage calls, inside the transaction, and rollback().
 */
export class DurableObjectTransaction {
  #tx;
  #done = false;
  constructor(tx) { this.#tx = tx; }
  #open() {
    if (this.#done) throw new BindingError('transaction', 'the transaction has ended (committed or rolled back)');
  }
  async get(keys, _options) { this.#open(); return KV.get(keys); }
  async put(k, v, _options) { this.#open(); KV.put(k, v); }
  async delete(keys, _options) { this.#open(); return KV.delete(keys); }
  async list(options) { this.#open(); return KV.list(options); }
  async getAlarm(_options) { this.#open(); return KV.getAlarm(); }
  async setAlarm(t, _options) { this.#open(); KV.setAlarm(t); }
  async deleteAlarm(_options) { this.#open(); KV.deleteAlarm(); }
  /** rollback undoes the transaction's writes; the closure's end then commits nothing. */
  rollback() {
    this.#open();
    this.#done = true;
    call(() => this.#tx.rollback());
  }
  static {
    endTransaction = (t, commit) => {
      try {
        if (!t.#done) {
          t.#done = true;
          call(() => (commit ? t.#tx.commit() : t.#tx.rollback()));
        }
      } finally {
        t.#tx[dispose]();
      }
    };
  }
}

// runTransaction runs fn(txn) in a transaction: committed when it returns,
// rolled back when it throws.
function runTransaction(fn, sync) {
  const t = new DurableObjectTransaction(call(() => state.beginTransaction()));
  let r;
  try {
    r = fn(t);
  } catch (e) {
    endTransaction(t, false);
    throw e;
  }
  if (sync) {
    endTransaction(t, true);
    return r;
  }
  return Promise.resolve(r).then(
    (v) => { endTransaction(t, true); return v; },
    (e) => { endTransaction(t, false); throw e; },
  );
}

/** DurableObjectStorage is ctx.storage: the object's own transactional storage. */
export class DurableObjectStorage {
  constructor(obj) {
    /** sql is the SQL API of a SQLite-backed class. */
    this.sql = new SqlStorage(obj);
  }
  /** get returns the value of a key (undefined if missing), or a Map of the keys found among up to 128. */
  async get(keys, _options) { return KV.get(keys); }
  /** put stores value under key, or each entry of an object (up to 128). */
  async put(keyOrEntries, value, _options) { KV.put(keyOrEntries, value); }
  /** delete deletes a key (whether it existed), or up to 128 keys (how many existed). */
  async delete(keys, _options) { return KV.delete(keys); }
  /** list returns a Map of the entries options select: start, startAfter, end, prefix, reverse, limit. */
  async list(options) { return KV.list(options); }
  /** deleteAll deletes every key (for a SQLite-backed class, every table) and the alarm. */
  async deleteAll(_options) { call(() => state.deleteAll()); }
  /** transaction runs closure(txn) in a transaction, rolled back if it throws. */
  async transaction(closure) { return runTransaction(closure, false); }
  /** transactionSync runs fn() in a transaction, synchronously, rolled back if it throws. */
  transactionSync(fn) { return runTransaction(() => fn(), true); }
  /** getAlarm returns the alarm's time in milliseconds since the epoch, or null. */
  async getAlarm(_options) { return KV.getAlarm(); }
  /** setAlarm sets the one alarm to a Date or milliseconds since the epoch. */
  async setAlarm(t, _options) { KV.setAlarm(t); }
  /** deleteAlarm deletes the alarm, if one is set. */
  async deleteAlarm(_options) { KV.deleteAlarm(); }
  /** sync resolves once earlier writes are durable: each write is before it returns. */
  async sync() {}
}

// sqlValue is a bound JavaScript value as the WIT's sql-value: null (or
// undefined) NULL; a string text; a number an integer when it is integral
// and within 64 bits, else a real; a bigint an integer; a boolean 1 or 0;
// an ArrayBuffer or a view a blob.
function sqlValue(v) {
  switch (typeof v) {
    case 'string': return { tag: 'text', val: wellFormed(v, 'SQL value') };
    case 'number':
      if (Number.isInteger(v) && Math.abs(v) < 2 ** 63) return { tag: 'integer', val: BigInt(v) };
      return { tag: 'real', val: v };
    case 'bigint':
      if (v < -(2n ** 63n) || v >= 2n ** 63n) throw new RangeError(`SQL value ${v} is outside SQLite's 64-bit integers`);
      return { tag: 'integer', val: v };
    case 'boolean': return { tag: 'integer', val: v ? 1n : 0n };
    case 'undefined': return { tag: 'null' };
    case 'object':
      if (v === null) return { tag: 'null' };
      if (v instanceof ArrayBuffer) return { tag: 'blob', val: new Uint8Array(v.slice(0)) };
      if (ArrayBuffer.isView(v)) return { tag: 'blob', val: new Uint8Array(v.buffer.slice(v.byteOffset, v.byteOffset + v.byteLength)) };
  }
  throw new TypeError(`SQL: a value of type ${typeof v} cannot be bound`);
}

// jsValue is a sql-value as workerd returns it: an integer a number (a
// bigint beyond 2^53), a blob an ArrayBuffer.
function jsValue(v) {
  switch (v.tag) {
    case 'integer': return v.val >= Number.MIN_SAFE_INTEGER && v.val <= Number.MAX_SAFE_INTEGER ? Number(v.val) : v.val;
    case 'real': case 'text': return v.val;
    case 'blob': return v.val.buffer.slice(v.val.byteOffset, v.val.byteOffset + v.val.byteLength);
  }
  return null;
}

/** SqlStorage is ctx.storage.sql (SQLite-backed classes). */
export class SqlStorage {
  #obj;
  constructor(obj) { this.#obj = obj; }
  /** exec runs one or more statements; the last one's rows are the cursor's. */
  exec(query, ...bindings) {
    const params = bindings.map(sqlValue);
    const c = call(() => state.sqlExec(wellFormed(String(query), 'query'), params));
    return new SqlStorageCursor(c, this.#obj);
  }
  /** databaseSize is the database's size in bytes. */
  get databaseSize() { return Number(call(() => state.databaseSize())); }
}

const BATCH = 256;

/** SqlStorageCursor is the rows of sql.exec's last statement: iterate it, or toArray, one, raw. */
export class SqlStorageCursor {
  #c;
  #obj;
  #gen;
  #rows = [];
  #done = false;
  #raw = false;
  constructor(c, obj) {
    this.#c = c;
    this.#obj = obj;
    this.#gen = obj.gen;
    /** columnNames are the result's column names, in order. */
    this.columnNames = Array.from(c.columnNames());
    this.rowsRead = Number(c.rowsRead());
    this.rowsWritten = Number(c.rowsWritten());
    obj.own(c);
  }
  #nextRow() {
    if (!this.#rows.length && !this.#done) {
      if (this.#gen !== this.#obj.gen) throw new TypeError('a SQL cursor can be read only in the event that made it');
      const got = this.#c.next(BATCH);
      if (got.length === 0) this.#done = true;
      else this.#rows = Array.from(got, (r) => Array.from(r, jsValue));
    }
    return this.#rows.shift();
  }
  #object(row) {
    const o = {};
    this.columnNames.forEach((n, i) => { o[n] = row[i]; });
    return o;
  }
  /** next returns the next row, as an object, or done. */
  next() {
    const row = this.#nextRow();
    if (row === undefined) return { done: true, value: undefined };
    return { done: false, value: this.#raw ? row : this.#object(row) };
  }
  [Symbol.iterator]() { return this; }
  /** toArray returns the rows left, as objects (arrays after raw()). */
  toArray() { return Array.from(this); }
  /** one returns the only row; no row, or more than one, is an error. */
  one() {
    const all = this.toArray();
    if (all.length === 0) throw new Error('Expected exactly one result from SQL query, but got no results.');
    if (all.length > 1) throw new Error('Expected exactly one result from SQL query, but got multiple results.');
    return all[0];
  }
  /** raw returns an iterator over the rows left as arrays of values. */
  raw() {
    this.#raw = true;
    return this;
  }
}

// --- the object's state ------------------------------------------------------

/**
 * DurableObjectState is an object's ctx: its id, storage, and the calls
 * that act on the object (blockConcurrencyWhile, abort, web sockets).
 */
export class DurableObjectState {
  #obj;
  constructor(obj, id) {
    this.#obj = obj;
    /** id is the object's DurableObjectId. */
    this.id = id;
    /** storage is the object's storage. */
    this.storage = new DurableObjectStorage(obj);
  }
  /** waitUntil keeps the event running until promise settles. */
  waitUntil(promise) { this.#obj.waits.push(Promise.resolve(promise)); }
  /**
   * blockConcurrencyWhile runs fn and holds the object's other events
   * until it settles; when it throws, the object is reset (abort).
   */
  blockConcurrencyWhile(fn) {
    const b = call(() => state.blockConcurrency());
    const p = (async () => {
      try {
        return await fn();
      } catch (e) {
        state.abort(deps.failureReason(e));
        throw e;
      } finally {
        b[dispose]();
      }
    })();
    this.#obj.blocks.push(p);
    return p;
  }
  /** abort resets the object: the event fails, and the next one makes the object afresh. */
  abort(reason) {
    const msg = reason === undefined ? '' : String(reason).toWellFormed();
    state.abort(msg);
    throw new Error(`the Durable Object was aborted${msg ? ': ' + msg : ''}`);
  }
  /**
   * acceptWebSocket accepts ws, the server end of a WebSocketPair made
   * for the request of this fetch event, with tags (at most 10): the host
   * answers the client and delivers its messages as webSocketMessage
   * events, across hibernation. The fetch handler then returns `new
   * Response(null, {status: 101, webSocket: client})`.
   */
  acceptWebSocket(ws, tags = []) {
    if (!(ws instanceof WebSocket) || peerOf(ws) === undefined) {
      throw new TypeError('acceptWebSocket takes the server end of a new WebSocketPair()');
    }
    if (isAccepted(ws)) throw new TypeError('acceptWebSocket: this WebSocket was accepted already');
    const out = this.#obj.out;
    if (out === undefined) throw new TypeError('acceptWebSocket: a WebSocket can be accepted only in the fetch handler of the request that asks for it');
    const h = call(() => state.acceptWebSocket(out, Array.from(tags, (t) => wellFormed(String(t), 'tag'))));
    this.#obj.own(h);
    this.#obj.accepted = true;
    const key = h.key();
    bindSocket(ws, this.#obj, h);
    this.#obj.sockets.set(key, ws);
  }
  /** getWebSockets returns the object's open sockets (those tagged tag), in the order they were accepted. */
  getWebSockets(tag) {
    return Array.from(state.getWebSockets(tag == null ? undefined : wellFormed(String(tag), 'tag')), (h) => this.#obj.socketOf(h));
  }
  /** getTags returns the tags ws was accepted with. */
  getTags(ws) { return tagsOf(ws); }
  /** setWebSocketAutoResponse sets (or, without a pair, clears) the message the host answers by itself. */
  setWebSocketAutoResponse(pair) {
    if (pair != null && !(pair instanceof WebSocketRequestResponsePair)) throw new TypeError('setWebSocketAutoResponse takes a WebSocketRequestResponsePair');
    call(() => state.setWebSocketAutoResponse(pair == null ? undefined : { request: pair.request, response: pair.response }));
  }
  /** getWebSocketAutoResponse returns the auto-response pair, or null. */
  getWebSocketAutoResponse() {
    const p = state.getWebSocketAutoResponse();
    return p === undefined ? null : new WebSocketRequestResponsePair(p.request, p.response);
  }
  /** getWebSocketAutoResponseTimestamp returns when the host last auto-responded on ws, or null. */
  getWebSocketAutoResponseTimestamp(ws) { return autoResponseTimestampOf(ws); }
  /** setHibernatableWebSocketEventTimeout bounds a socket event's run time (ms; none for no bound). */
  setHibernatableWebSocketEventTimeout(ms) {
    call(() => state.setHibernatableWebSocketEventTimeout(ms == null ? undefined : ms));
  }
  /** getHibernatableWebSocketEventTimeout returns the socket event timeout in ms, or null. */
  getHibernatableWebSocketEventTimeout() {
    const t = state.getHibernatableWebSocketEventTimeout();
    return t === undefined ? null : t;
  }
}

/**
 * DurableObject is the base class of a Durable Object class (import {
 * DurableObject } from "cloudflare:workers"): it keeps ctx and env.
 */
export class DurableObject {
  constructor(ctx, env) {
    this.ctx = ctx;
    this.env = env;
  }
}

// The globals Cloudflare has for web sockets.
// (Named here: the bundler may rename the classes.)
for (const [name, c] of Object.entries({ WebSocket, WebSocketPair, WebSocketRequestResponsePair })) {
  Object.defineProperty(globalThis, name, { value: c, writable: true, configurable: true });
}

refuseClone(DurableObjectNamespace, DurableObjectStub, DurableObjectId, DurableObjectState, DurableObjectStorage,
  DurableObjectTransaction, SqlStorage, SqlStorageCursor, WebSocket, WebSocketPair, WebSocketRequestResponsePair, DurableObject);

// ObjectState is what the SDK keeps for one live object: its instance,
// and the event in progress's handles.
class ObjectState {
  constructor(Class, info) {
    this.gen = 0; // counts events: a socket handle is valid for one
    this.sockets = new Map(); // key → WebSocket
    this.handles = []; // host handles to drop when the event ends
    this.blocks = []; // blockConcurrencyWhile promises the next event waits for
    this.waits = []; // waitUntil promises the event waits for
    this.out = undefined; // a fetch event's response-outparam
    this.accepted = false; // whether the fetch event accepted a socket
    this.ctx = new DurableObjectState(this, new DurableObjectId(info.id, info.name));
    this.instance = new Class(this.ctx, deps.env);
  }
  own(h) { this.handles.push(h); }
  // socketOf returns the WebSocket of host socket h.
  socketOf(h) {
    this.own(h);
    const key = h.key();
    let ws = this.sockets.get(key);
    if (ws === undefined) {
      [ws] = socketPair();
      this.sockets.set(key, ws);
    }
    bindSocket(ws, this, h);
    return ws;
  }
  // refreshSockets gives every open socket a handle for this event.
  refreshSockets() {
    for (const h of state.getWebSockets(undefined)) this.socketOf(h);
  }
  end() {
    for (const h of this.handles) {
      try {
        h[dispose]();
      } catch {
        // dropped already
      }
    }
    this.handles = [];
    this.out = undefined;
    this.gen++;
  }
}

// current is the object whose event is in progress (one at a time: the
// engine takes no event inside another).
let current;

// isClass says whether v is a class the module exports for objects.
const isClass = (v) => typeof v === 'function' && v.prototype !== undefined &&
  (v.prototype instanceof DurableObject || /^class\b/.test(Function.prototype.toString.call(v)));

// NOT_RPC are the names that are no RPC method on any object.
const NOT_RPC = new Set(['constructor', 'fetch', 'alarm', 'webSocketMessage', 'webSocketClose', 'webSocketError']);

/**
 * serveObjects returns the bindery:durable/object export for a Worker,
 * given its module namespace: its exported classes are its Durable
 * Object classes, by their export names.
 */
export function serveObjects(worker) {
  const classes = new Map();
  for (const [name, v] of Object.entries(worker)) {
    if (name !== 'default' && isClass(v)) classes.set(name, v);
  }
  const live = new Map(); // class + "\0" + id → ObjectState
  const keyOf = (info) => info.className + '\0' + info.id;

  // run runs fn(obj) as an event of the object info names, making it first
  // when it is not live.
  async function run(info, fn) {
    deps.started();
    let obj = live.get(keyOf(info));
    try {
      if (obj === undefined) {
        const Class = classes.get(info.className);
        if (Class === undefined) throw new TypeError(`the Worker exports no class ${info.className}`);
        const made = new ObjectState(Class, info); // a constructor that throws fails the event
        live.set(keyOf(info), made);
        obj = made;
      }
      current = obj;
      while (obj.blocks.length) await obj.blocks.shift();
      return await fn(obj);
    } finally {
      if (obj !== undefined) {
        const waits = obj.waits;
        obj.waits = [];
        await Promise.allSettled(waits);
        obj.end();
      }
      current = undefined;
      deps.afterEvent();
    }
  }

  // result runs an event whose WIT result is result<T, thrown>.
  async function result(info, fn) {
    try {
      return { tag: 'ok', val: await run(info, fn) };
    } catch (e) {
      if (deps.isTrap(e)) throw e;
      return { tag: 'err', val: thrownOf(e) };
    }
  }

  const message = (m) => (m.tag === 'text' ? m.val : m.val.buffer.slice(m.val.byteOffset, m.val.byteOffset + m.val.byteLength));

  return {
    describe() {
      return { classes: [...classes.keys()], reentrant: false };
    },
    async fetch(info, req, body, out) {
      try {
        await run(info, async (obj) => {
          const request = deps.requestOf(req, body);
          body = undefined;
          if (typeof obj.instance.fetch !== 'function') throw new TypeError(`the Durable Object class ${info.className} has no fetch method`);
          obj.out = out;
          obj.accepted = false;
          const resp = await obj.instance.fetch(request);
          const ws = resp instanceof Response ? webSocketOf(resp) : undefined;
          if (ws !== undefined) {
            if (!obj.accepted || peerOf(ws) === undefined || !isAccepted(peerOf(ws))) {
              throw new TypeError('a 101 response\'s webSocket must be the client end of a WebSocketPair whose server end this.ctx.acceptWebSocket accepted');
            }
            return;
          }
          await deps.sendResponse(out, resp);
        });
      } catch (e) {
        if (deps.isTrap(e)) throw e;
        out.fail(deps.failureReason(e));
      } finally {
        if (body !== undefined) body[dispose]();
        deps.dropOut(out);
      }
    },
    async call(info, method, args) {
      return result(info, async (obj) => {
        const a = deserialize(args);
        if (!Array.isArray(a)) throw new TypeError('RPC arguments must be an array');
        const inst = obj.instance;
        if (NOT_RPC.has(method) || method in Object.prototype || typeof inst[method] !== 'function') {
          throw new TypeError(`The RPC receiver does not implement the method "${method}".`);
        }
        return serialize(await inst[method](...a));
      });
    },
    async alarm(info, ai) {
      return result(info, async (obj) => {
        if (typeof obj.instance.alarm !== 'function') throw new TypeError(`the Durable Object class ${info.className} has no alarm method`);
        await obj.instance.alarm({ retryCount: ai.retryCount, isRetry: ai.isRetry });
      });
    },
    async webSocketMessage(info, h, m) {
      return result(info, async (obj) => {
        const ws = obj.socketOf(h);
        const data = message(m);
        if (await dispatch(ws, { type: 'message', data })) return;
        if (typeof obj.instance.webSocketMessage === 'function') await obj.instance.webSocketMessage(ws, data);
      });
    },
    async webSocketClose(info, h, code, reason, wasClean) {
      return result(info, async (obj) => {
        const ws = obj.socketOf(h);
        obj.sockets.delete(h.key());
        try {
          if (await dispatch(ws, { type: 'close', code, reason, wasClean })) return;
          if (typeof obj.instance.webSocketClose === 'function') await obj.instance.webSocketClose(ws, code, reason, wasClean);
        } finally {
          markClosed(ws);
        }
      });
    },
    async webSocketError(info, h, reason) {
      return result(info, async (obj) => {
        const ws = obj.socketOf(h);
        obj.sockets.delete(h.key());
        const error = new Error(reason);
        try {
          if (await dispatch(ws, { type: 'error', error, message: reason })) return;
          if (typeof obj.instance.webSocketError === 'function') await obj.instance.webSocketError(ws, error);
        } finally {
          markClosed(ws);
        }
      });
    },
    evict(info) {
      live.delete(keyOf(info));
    },
  };
}
