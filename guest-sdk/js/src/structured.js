// Bindery JavaScript Worker runtime: the structured-value encoding
// (docs/durable-objects.md, "The structured-value encoding"), the bytes in
// which Durable Object storage values, RPC arguments and results, socket
// attachments and thrown values cross the ABI. It is a subset of CBOR
// (RFC 8949) behind the prefix d9 d9 f7, written and read identically by
// every Bindery SDK, for the values JavaScript's structured clone moves.
//
// serialize(value) and deserialize(bytes) fail as structuredClone does,
// with a DataCloneError (a DOMException when the engine has one): the
// encoder's message names where in the value the fault is (e.g.
// `value.a[2]`), the decoder's the byte offset (also its `offset`).
//
// The engine is assumed little-endian, as Wasm memory (and so every engine
// a Worker runs in) is: a typed array's bytes are written as they lie.

const PREFIX = [0xd9, 0xd9, 0xf7];
const MAX_DEPTH = 256;
const MAX_SAFE = Number.MAX_SAFE_INTEGER;
const TWO32 = 2 ** 32;

// ERRORS are the constructors of the Error names the encoding keeps; any
// other name is written and read as "Error".
const ERRORS = { Error, EvalError, RangeError, ReferenceError, SyntaxError, TypeError, URIError };

// TYPED maps a typed array's name to its RFC 8746 tag and back.
const TYPED = {
  Uint8Array: 64, Uint8ClampedArray: 68, Int8Array: 72, Uint16Array: 69, Uint32Array: 70,
  BigUint64Array: 71, Int16Array: 77, Int32Array: 78, BigInt64Array: 79, Float16Array: 84,
  Float32Array: 85, Float64Array: 86,
};
const TYPED_BY_TAG = new Map(Object.entries(TYPED).map(([name, tag]) => [tag, name]));

// typedArrayName is %TypedArray%.prototype[Symbol.toStringTag]: the kind
// of a typed array (from its internal slot, so not spoofable), else undefined.
const typedArrayName = Object.getOwnPropertyDescriptor(
  Object.getPrototypeOf(Uint8Array.prototype), Symbol.toStringTag).get;

// HOST_CLASSES are the globals whose instances are refused as host objects
// (besides any class implemented natively by the engine): the ones the
// SDK implements in JavaScript, and the engine's, named in case the engine
// does not show them as native code.
const HOST_CLASSES = [
  'Request', 'Response', 'Headers', 'ReadableStream', 'WritableStream', 'TransformStream',
  'ReadableStreamDefaultReader', 'ReadableStreamBYOBReader', 'WritableStreamDefaultWriter',
  'WebSocket', 'WebSocketPair', 'CryptoKey', 'Blob', 'File', 'FormData', 'URL', 'URLSearchParams',
  'URLPattern', 'AbortController', 'AbortSignal', 'EventTarget', 'Event', 'TextEncoder',
  'TextDecoder', 'HTMLRewriter', 'Cache', 'CacheStorage', 'SharedArrayBuffer',
];

// refused holds the prototypes registered with refuseClone.
const refused = new WeakSet();

/**
 * refuseClone marks classes whose instances serialize refuses as host
 * objects (a binding's classes, Durable Object stubs), as it refuses
 * Request or WebSocket; instances of their subclasses too.
 * @param {...Function} classes
 */
export function refuseClone(...classes) {
  for (const c of classes) refused.add(c.prototype);
}

/**
 * dataCloneError makes the error serialize and deserialize throw: a
 * DOMException named "DataCloneError", or an Error of that name when the
 * engine has no DOMException.
 * @param {string} message
 * @returns {Error}
 */
export function dataCloneError(message) {
  if (typeof DOMException === 'function') return new DOMException(message, 'DataCloneError');
  const e = new Error(message);
  e.name = 'DataCloneError';
  return e;
}

// Writer is a growing byte buffer.
class Writer {
  constructor() {
    this.buf = new Uint8Array(64);
    this.len = 0;
    this.view = new DataView(this.buf.buffer);
  }

  reserve(n) {
    if (this.len + n <= this.buf.length) return;
    let size = this.buf.length * 2;
    while (size < this.len + n) size *= 2;
    const next = new Uint8Array(size);
    next.set(this.buf.subarray(0, this.len));
    this.buf = next;
    this.view = new DataView(next.buffer);
  }

  byte(b) {
    this.reserve(1);
    this.buf[this.len++] = b;
  }

  bytes(src) {
    this.reserve(src.length);
    this.buf.set(src, this.len);
    this.len += src.length;
  }

  // head writes an item's initial byte and its argument n (a non-negative
  // integer Number up to 2^64 − 1, exact up to 2^53) in shortest form.
  head(major, n) {
    const m = major << 5;
    if (n < 24) this.byte(m | n);
    else if (n < 0x100) { this.reserve(2); this.buf[this.len++] = m | 24; this.buf[this.len++] = n; }
    else if (n < 0x10000) { this.reserve(3); this.buf[this.len] = m | 25; this.view.setUint16(this.len + 1, n); this.len += 3; }
    else if (n < TWO32) { this.reserve(5); this.buf[this.len] = m | 26; this.view.setUint32(this.len + 1, n); this.len += 5; }
    else {
      this.reserve(9);
      this.buf[this.len] = m | 27;
      this.view.setUint32(this.len + 1, Math.floor(n / TWO32));
      this.view.setUint32(this.len + 5, n % TWO32);
      this.len += 9;
    }
  }

  float64(x) {
    this.reserve(9);
    this.buf[this.len] = 0xfb;
    if (Number.isNaN(x)) this.buf.set([0x7f, 0xf8, 0, 0, 0, 0, 0, 0], this.len + 1);
    else this.view.setFloat64(this.len + 1, x);
    this.len += 9;
  }

  result() {
    return this.buf.slice(0, this.len);
  }
}

const encoder = new TextEncoder();

// loneSurrogate returns the index of the first lone surrogate in s, or −1.
function loneSurrogate(s) {
  if (typeof s.isWellFormed === 'function' && s.isWellFormed()) return -1;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c < 0xd800 || c > 0xdfff) continue;
    if (c <= 0xdbff && i + 1 < s.length) {
      const d = s.charCodeAt(i + 1);
      if (d >= 0xdc00 && d <= 0xdfff) { i++; continue; }
    }
    return i;
  }
  return -1;
}

// isNative reports whether f is implemented by the engine.
function isNative(f) {
  try {
    return /\{\s*\[native code\]\s*\}\s*$/.test(Function.prototype.toString.call(f));
  } catch {
    return false;
  }
}

// hostClass returns the name of the host class x is an instance of, or ""
// for an object of an ordinary class (encoded as a plain object).
function hostClass(x) {
  for (let p = Object.getPrototypeOf(x); p !== null && p !== Object.prototype; p = Object.getPrototypeOf(p)) {
    const c = Object.getOwnPropertyDescriptor(p, 'constructor')?.value;
    const name = (typeof c === 'function' && typeof c.name === 'string' && c.name) || 'object';
    if (refused.has(p) || (typeof c === 'function' && isNative(c))) return name;
    for (const g of HOST_CLASSES) {
      if (typeof globalThis[g] === 'function' && globalThis[g].prototype === p) return g;
    }
  }
  return '';
}

// Encoder walks one value. path names the value being written, for
// errors; stack holds the objects being written (the current path), to
// refuse cycles while a value shared in two places is written twice.
class Encoder {
  constructor() {
    this.w = new Writer();
    this.path = ['value'];
    this.stack = [];
    this.depth = 0;
  }

  fail(what) {
    const p = this.path;
    const where = p.length > 16 ? `${p.slice(0, 8).join('')}…${p.slice(-7).join('')}` : p.join('');
    return dataCloneError(`serialize: ${where} ${what}`);
  }

  // enter opens n levels of nesting (arrays, maps, tags) for object x.
  enter(x, n) {
    if (this.stack.includes(x)) throw this.fail('contains itself (a cycle): it cannot be cloned');
    if (this.depth + n > MAX_DEPTH) throw this.fail(`nests deeper than ${MAX_DEPTH} arrays, maps and tags`);
    this.depth += n;
    this.stack.push(x);
  }

  leave(n) {
    this.depth -= n;
    this.stack.pop();
  }

  // tag checks that a tag over a leaf (a bigint, typed array or Date) is
  // within the nesting limit: one level, left as soon as it is written.
  tag() {
    if (this.depth + 1 > MAX_DEPTH) throw this.fail(`nests deeper than ${MAX_DEPTH} arrays, maps and tags`);
  }

  // at writes v, named by the path step step (e.g. "[3]" or ".key").
  at(step, v) {
    this.path.push(step);
    this.value(v);
    this.path.pop();
  }

  value(v) {
    const w = this.w;
    switch (typeof v) {
      case 'undefined': w.byte(0xf7); return;
      case 'boolean': w.byte(v ? 0xf5 : 0xf4); return;
      case 'number': this.number(v); return;
      case 'bigint': this.bigint(v); return;
      case 'string': this.string(v); return;
      case 'symbol': throw this.fail(`is a symbol (${String(v)}): symbols cannot be cloned`);
      case 'function': throw this.fail(`is a function${v.name ? ` (${v.name})` : ''}: functions cannot be cloned`);
    }
    if (v === null) { w.byte(0xf6); return; }
    this.object(v);
  }

  number(n) {
    if (Number.isInteger(n) && Math.abs(n) <= MAX_SAFE && !Object.is(n, -0)) {
      if (n >= 0) this.w.head(0, n);
      else this.w.head(1, -1 - n);
      return;
    }
    this.w.float64(n);
  }

  bigint(n) {
    this.tag();
    const neg = n < 0n;
    const mag = neg ? -1n - n : n;
    this.w.head(6, neg ? 3 : 2);
    let hex = mag === 0n ? '' : mag.toString(16);
    if (hex.length % 2) hex = '0' + hex;
    const b = new Uint8Array(hex.length / 2);
    for (let i = 0; i < b.length; i++) b[i] = parseInt(hex.slice(i * 2, i * 2 + 2), 16);
    this.w.head(2, b.length);
    this.w.bytes(b);
  }

  string(s) {
    const i = loneSurrogate(s);
    if (i >= 0) {
      throw this.fail(`has a lone surrogate (U+${s.charCodeAt(i).toString(16).toUpperCase()} at index ${i}): the encoding holds only UTF-8 strings`);
    }
    const b = encoder.encode(s);
    this.w.head(3, b.length);
    this.w.bytes(b);
  }

  // taggedBytes writes tag over the byte string b.
  taggedBytes(tag, b) {
    this.tag();
    this.w.head(6, tag);
    this.w.head(2, b.length);
    this.w.bytes(b);
  }

  object(x) {
    const proto = Object.getPrototypeOf(x);
    if (proto === Object.prototype || proto === null) { this.plain(x); return; }
    if (Array.isArray(x)) { this.array(x); return; }
    if (ArrayBuffer.isView(x)) {
      const name = typedArrayName.call(x);
      if (name === undefined) throw this.fail('is a DataView: DataViews cannot be cloned');
      this.taggedBytes(TYPED[name], new Uint8Array(x.buffer, x.byteOffset, x.byteLength));
      return;
    }
    if (x instanceof ArrayBuffer) {
      const b = new Uint8Array(x);
      this.w.head(2, b.length);
      this.w.bytes(b);
      return;
    }
    if (x instanceof Map) { this.map(x); return; }
    if (x instanceof Set) { this.set(x); return; }
    if (x instanceof Date) { this.date(x); return; }
    if (x instanceof Error) { this.error(x); return; }
    const refusedKind = kindOf(x);
    if (refusedKind) throw this.fail(`is ${refusedKind}: it cannot be cloned`);
    const host = hostClass(x);
    if (host) throw this.fail(`is a ${host}, a host object: it cannot be cloned`);
    this.plain(x); // another class's object: its own enumerable properties
  }

  plain(x) {
    const keys = Object.keys(x);
    this.enter(x, 1);
    this.w.head(5, keys.length);
    for (const k of keys) {
      this.string(k);
      this.at(/^[A-Za-z_$][\w$]*$/.test(k) ? `.${k}` : `[${JSON.stringify(k)}]`, x[k]);
    }
    this.leave(1);
  }

  array(a) {
    const n = a.length;
    this.enter(a, 1);
    this.w.head(4, n);
    for (let i = 0; i < n; i++) this.at(`[${i}]`, Object.prototype.hasOwnProperty.call(a, i) ? a[i] : undefined);
    this.leave(1);
  }

  map(m) {
    this.enter(m, 2);
    this.w.head(6, 259);
    this.w.head(5, m.size);
    let i = 0;
    for (const [k, v] of m) {
      this.at(`.<key ${i}>`, k);
      this.at(`.<value ${i}>`, v);
      i++;
    }
    this.leave(2);
  }

  set(s) {
    this.enter(s, 2);
    this.w.head(6, 258);
    this.w.head(4, s.size);
    let i = 0;
    for (const v of s) this.at(`.<element ${i++}>`, v);
    this.leave(2);
  }

  date(d) {
    this.tag();
    const ms = Date.prototype.getTime.call(d);
    this.w.head(6, 1);
    if (Number.isNaN(ms)) this.w.float64(NaN);
    else if (ms % 1000 === 0) this.number(ms / 1000 + 0); // + 0 turns −0 into 0
    else this.w.float64(ms / 1000);
  }

  // error writes e as Error tag 27 does, reading it as V8's serializer
  // does: its name through the prototype chain (one of the seven, else
  // "Error"), its own message (else ""), its stack when that is a string,
  // its own cause when it has one.
  error(e) {
    const name = String(e.name);
    const own = (k) => {
      const d = Object.getOwnPropertyDescriptor(e, k);
      return d && 'value' in d ? d : undefined;
    };
    const message = own('message');
    const stack = e.stack;
    const cause = own('cause');
    const n = 2 + (typeof stack === 'string' ? 1 : 0) + (cause ? 1 : 0);
    this.enter(e, 3);
    this.w.head(6, 27);
    this.w.head(4, 2);
    this.string('Error');
    this.w.head(5, n);
    this.string('name');
    this.string(Object.hasOwn(ERRORS, name) ? name : 'Error');
    this.string('message');
    this.path.push('.message');
    this.string(message ? String(message.value) : '');
    this.path.pop();
    if (typeof stack === 'string') {
      this.string('stack');
      this.path.push('.stack');
      this.string(stack);
      this.path.pop();
    }
    if (cause) {
      this.string('cause');
      this.at('.cause', cause.value);
    }
    this.leave(3);
  }
}

// kindOf names the kinds of object the encoding refuses by name (with an
// article), or returns "".
function kindOf(x) {
  const is = (name) => typeof globalThis[name] === 'function' && x instanceof globalThis[name];
  for (const name of ['WeakMap', 'WeakSet', 'WeakRef', 'FinalizationRegistry', 'Promise', 'RegExp']) {
    if (is(name)) return `a ${name}`;
  }
  for (const name of ['Number', 'String', 'Boolean', 'BigInt', 'Symbol']) {
    if (is(name)) return `a boxed ${name.toLowerCase()} (new ${name}(…))`;
  }
  return '';
}

/**
 * serialize encodes value in the structured-value encoding. It throws a
 * DataCloneError for what structured clone refuses (functions, symbols,
 * cycles, WeakMap, WeakSet, WeakRef, Promise, DataView, boxed primitives,
 * RegExp, host objects such as Request or WebSocket, and classes given to
 * refuseClone) and for strings with lone surrogates, naming where in the
 * value it is.
 * @param {*} value
 * @returns {Uint8Array}
 */
export function serialize(value) {
  const e = new Encoder();
  e.w.bytes(PREFIX);
  e.value(value);
  return e.w.result();
}

const decoder = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });

// half returns the IEEE 754 half-precision number with bits h.
function half(h) {
  const exp = (h >> 10) & 0x1f;
  const frac = h & 0x3ff;
  const sign = h & 0x8000 ? -1 : 1;
  if (exp === 0) return sign * frac * 2 ** -24;
  if (exp === 31) return frac ? NaN : sign * Infinity;
  return sign * (1024 + frac) * 2 ** (exp - 25);
}

// Decoder reads one encoded value.
class Decoder {
  constructor(bytes) {
    this.b = bytes;
    this.view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    this.pos = 0;
    this.depth = 0;
  }

  fail(at, what) {
    const e = dataCloneError(`deserialize: at byte ${at}: ${what}`);
    e.offset = at;
    return e;
  }

  need(at, n) {
    if (this.b.length - this.pos < n) throw this.fail(at, `the input ends inside an item (${n} more bytes wanted at byte ${this.pos})`);
  }

  // head reads an item's initial byte and argument: {at, major, ai, n}, n
  // a Number, or a BigInt when it is above 2^53 − 1. ai 31 (indefinite
  // length or break) and 28–30 are refused here.
  head() {
    const at = this.pos;
    this.need(at, 1);
    const ib = this.b[this.pos++];
    const major = ib >> 5;
    const ai = ib & 0x1f;
    let n = ai;
    if (ai === 24) { this.need(at, 1); n = this.b[this.pos]; this.pos += 1; }
    else if (ai === 25) { this.need(at, 2); n = this.view.getUint16(this.pos); this.pos += 2; }
    else if (ai === 26) { this.need(at, 4); n = this.view.getUint32(this.pos); this.pos += 4; }
    else if (ai === 27) {
      this.need(at, 8);
      const hi = this.view.getUint32(this.pos);
      const lo = this.view.getUint32(this.pos + 4);
      this.pos += 8;
      n = hi < 0x200000 ? hi * TWO32 + lo : (BigInt(hi) << 32n) | BigInt(lo);
    } else if (ai >= 28 && ai <= 30) throw this.fail(at, `reserved additional information ${ai}`);
    else if (ai === 31) {
      throw this.fail(at, major === 7 ? 'a break outside an indefinite-length item' : 'an indefinite length');
    }
    return { at, major, ai, n };
  }

  // length checks that n items of at least one byte each can follow.
  length(h) {
    if (typeof h.n === 'bigint' || h.n > this.b.length - this.pos) throw this.fail(h.at, `length ${h.n} runs past the end of the input`);
    return h.n;
  }

  nest(at, n) {
    this.depth += n;
    if (this.depth > MAX_DEPTH) throw this.fail(at, `nesting deeper than ${MAX_DEPTH} arrays, maps and tags`);
  }

  bytes(h) {
    const n = this.length(h);
    const out = this.b.slice(this.pos, this.pos + n);
    this.pos += n;
    return out;
  }

  value() {
    const h = this.head();
    switch (h.major) {
      case 0: return h.n;
      case 1: return typeof h.n === 'number' && h.n < MAX_SAFE ? -1 - h.n : -1n - BigInt(h.n);
      case 2: return this.bytes(h).buffer;
      case 3: {
        const b = this.bytes(h);
        try {
          return decoder.decode(b);
        } catch {
          throw this.fail(h.at, 'a text string that is not UTF-8');
        }
      }
      case 4: {
        const n = this.length(h);
        this.nest(h.at, 1);
        const a = new Array(n);
        for (let i = 0; i < n; i++) a[i] = this.value();
        this.depth--;
        return a;
      }
      case 5: {
        const n = this.length(h);
        this.nest(h.at, 1);
        const o = {};
        for (let i = 0; i < n; i++) {
          const kh = this.pos;
          const k = this.value();
          if (typeof k !== 'string') throw this.fail(kh, 'an object key that is not a text string (a Map is tag 259)');
          if (Object.hasOwn(o, k)) throw this.fail(kh, `the key ${JSON.stringify(k)} twice in one object`);
          Object.defineProperty(o, k, { value: this.value(), writable: true, enumerable: true, configurable: true });
        }
        this.depth--;
        return o;
      }
      case 6: return this.tagged(h);
      default: return this.simple(h);
    }
  }

  simple(h) {
    switch (h.ai) {
      case 20: return false;
      case 21: return true;
      case 22: return null;
      case 23: return undefined;
      case 25: return half(h.n);
      case 26: return this.view.getFloat32(h.at + 1);
      case 27: return this.view.getFloat64(h.at + 1);
    }
    throw this.fail(h.at, `simple value ${h.n} (only false, true, null and undefined are allowed)`);
  }

  // expect reads the head of the item under a tag and checks its major type.
  expect(tag, majors, what) {
    const at = this.pos;
    this.need(at, 1);
    const major = this.b[at] >> 5;
    const ai = this.b[at] & 0x1f;
    const ok = majors.includes(major) || (majors.includes('float') && major === 7 && ai >= 25 && ai <= 27);
    if (!ok) throw this.fail(at, `tag ${tag} over ${what === undefined ? 'the wrong type' : what}`);
  }

  tagged(h) {
    const tag = h.n;
    this.nest(h.at, 1);
    let v;
    if (tag === 1) {
      this.expect(tag, [0, 1, 'float'], 'anything but an integer or float');
      const s = this.value();
      const x = Number(s) * 1000;
      v = new Date(Math.sign(x) * Math.round(Math.abs(x)));
    } else if (tag === 2 || tag === 3) {
      this.expect(tag, [2], 'anything but a byte string');
      const b = this.bytes(this.head());
      let mag = 0n;
      for (const x of b) mag = (mag << 8n) | BigInt(x);
      v = tag === 2 ? mag : -1n - mag;
    } else if (TYPED_BY_TAG.has(tag)) {
      this.expect(tag, [2], 'anything but a byte string');
      v = this.typed(tag, this.head());
    } else if (tag === 258) {
      this.expect(tag, [4], 'anything but an array');
      v = new Set(this.value());
    } else if (tag === 259) {
      this.expect(tag, [5], 'anything but a map');
      const mh = this.head();
      const n = this.length(mh);
      this.nest(mh.at, 1);
      v = new Map();
      for (let i = 0; i < n; i++) {
        const k = this.value();
        v.set(k, this.value());
      }
      this.depth--;
    } else if (tag === 27) {
      v = this.error();
    } else {
      throw this.fail(h.at, `tag ${tag} is not part of the encoding`);
    }
    this.depth--;
    return v;
  }

  typed(tag, h) {
    const name = TYPED_BY_TAG.get(tag);
    const b = this.bytes(h);
    // Without Float16Array (node before 24, older engines) a Float16Array
    // reads as a Float32Array of the same values: every half is exact in
    // single precision, as a float16 number widens to a Number.
    if (name === 'Float16Array' && typeof globalThis.Float16Array !== 'function') {
      if (b.length % 2) throw this.fail(h.at, `a Float16Array of ${b.length} bytes, not a multiple of 2`);
      const dv = new DataView(b.buffer);
      const out = new Float32Array(b.length / 2);
      for (let i = 0; i < out.length; i++) out[i] = half(dv.getUint16(i * 2, true));
      return out;
    }
    const C = globalThis[name];
    if (b.length % C.BYTES_PER_ELEMENT) throw this.fail(h.at, `a ${name} of ${b.length} bytes, not a multiple of ${C.BYTES_PER_ELEMENT}`);
    return new C(b.buffer);
  }

  error() {
    const at = this.pos;
    const bad = () => this.fail(at, 'tag 27 over anything but the array ["Error", {name, message, …}]');
    this.expect(27, [4], 'anything but an array');
    const ah = this.head();
    if (ah.n !== 2) throw bad();
    this.nest(ah.at, 1);
    const kind = this.value();
    if (kind !== 'Error') throw bad();
    this.expect(27, [5], 'anything but the array ["Error", {name, message, …}]');
    const fields = this.value();
    this.depth--;
    for (const k of ['name', 'message', 'stack']) {
      if (Object.hasOwn(fields, k) && typeof fields[k] !== 'string') throw this.fail(at, `tag 27 over an Error whose ${k} is not a string`);
    }
    const name = Object.hasOwn(fields, 'name') && Object.hasOwn(ERRORS, fields.name) ? fields.name : 'Error';
    const message = Object.hasOwn(fields, 'message') ? fields.message : '';
    const e = Object.hasOwn(fields, 'cause') ? new ERRORS[name](message, { cause: fields.cause }) : new ERRORS[name](message);
    // The stack is the one written, or none: not this decoder's.
    const stack = Object.hasOwn(fields, 'stack') ? fields.stack : undefined;
    Object.defineProperty(e, 'stack', { value: stack, writable: true, enumerable: false, configurable: true });
    return e;
  }
}

/**
 * deserialize decodes bytes written in the structured-value encoding
 * (by any Bindery SDK). It throws a DataCloneError naming the byte offset
 * (also its `offset` property) for bytes that are not exactly one valid
 * encoded value. Byte strings read as ArrayBuffers, plain objects as
 * objects, a Float16Array as a Float32Array where the engine has no
 * Float16Array.
 * @param {Uint8Array|ArrayBuffer|ArrayBufferView} bytes
 * @returns {*}
 */
export function deserialize(bytes) {
  let b;
  if (bytes instanceof Uint8Array) b = bytes;
  else if (bytes instanceof ArrayBuffer) b = new Uint8Array(bytes);
  else if (ArrayBuffer.isView(bytes)) b = new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  else throw new TypeError('deserialize: bytes must be a Uint8Array, ArrayBuffer or ArrayBufferView');
  const d = new Decoder(b);
  if (b.length < 3 || b[0] !== PREFIX[0] || b[1] !== PREFIX[1] || b[2] !== PREFIX[2]) {
    throw d.fail(0, 'no d9 d9 f7 prefix: not the structured-value encoding');
  }
  d.pos = 3;
  const v = d.value();
  if (d.pos !== b.length) throw d.fail(d.pos, `${b.length - d.pos} bytes after the value`);
  return v;
}
