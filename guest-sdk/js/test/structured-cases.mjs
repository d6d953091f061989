// The cases of src/structured.js, engine-neutral (no node modules), so
// that they run both under node (structured.test.mjs) and in the engine
// Workers run in (testdata/structured.js, structured_test.go): checkVector
// runs one vector of the shared file
// wit/deps/durable/testdata/structured-values.json, and cases are
// JavaScript's own mappings, refusals and errors, as [name, f] pairs whose
// f throws what went wrong.

import { serialize, deserialize, refuseClone } from '../src/structured.js';

/** @type {Array<[string, () => void]>} */
export const cases = [];

// assert is the part of node:assert the cases use.
const assert = {
  fail(message) {
    throw new Error(message);
  },
  ok(v, message = 'not true') {
    if (!v) assert.fail(message);
  },
  equal(got, want, message = '') {
    if (!Object.is(got, want)) assert.fail(`${message ? `${message}: ` : ''}got ${inspect(got)}, want ${inspect(want)}`);
  },
  notEqual(got, other, message = 'equal') {
    if (Object.is(got, other)) assert.fail(message);
  },
  deepEqual(got, want, message = '') {
    assert.equal(JSON.stringify(got), JSON.stringify(want), message);
  },
  throws(f, check) {
    try {
      f();
    } catch (e) {
      if (typeof check === 'function' && check.prototype === undefined) check(e);
      else if (check && !(e instanceof check)) assert.fail(`threw ${e}, not a ${check.name}`);
      return;
    }
    assert.fail('did not throw');
  },
};

const hasFloat16 = typeof globalThis.Float16Array === 'function';
const ERRORS = { Error, EvalError, RangeError, ReferenceError, SyntaxError, TypeError, URIError };

const toHex = (b) => Array.from(b, (x) => x.toString(16).padStart(2, '0')).join('');
const fromHex = (h) => new Uint8Array(h.match(/../g)?.map((x) => parseInt(x, 16)) ?? []);

// Unsupported is thrown by build for a value this engine cannot hold.
class Unsupported extends Error {}

// build makes the JavaScript value of a vector's typed JSON value.
function build(v) {
  const [kind] = Object.keys(v);
  const x = v[kind];
  switch (kind) {
    case 'undefined': return undefined;
    case 'null': return null;
    case 'bool': return x;
    case 'number': return typeof x === 'string' ? (x === '-0' ? -0 : Number(x)) : x;
    case 'bigint': return BigInt(x);
    case 'string': return x;
    case 'bytes': return fromHex(x).buffer;
    case 'typed': {
      const b = fromHex(v.bytes);
      if (x === 'Float16Array' && !hasFloat16) throw new Unsupported('no Float16Array in this engine');
      return new globalThis[x](b.buffer);
    }
    case 'array': return x.map(build);
    case 'object': {
      const o = {};
      for (const [k, e] of x) Object.defineProperty(o, k, { value: build(e), writable: true, enumerable: true, configurable: true });
      return o;
    }
    case 'map': return new Map(x.map(([k, e]) => [build(k), build(e)]));
    case 'set': return new Set(x.map(build));
    case 'date': return new Date(x === 'NaN' ? NaN : x);
    case 'error': {
      const e = 'cause' in x ? new ERRORS[x.name](x.message, { cause: build(x.cause) }) : new ERRORS[x.name](x.message);
      Object.defineProperty(e, 'stack', { value: x.stack, writable: true, configurable: true });
      return e;
    }
  }
  throw new Error(`unknown kind ${kind}`);
}

const tagOf = (x) => Object.prototype.toString.call(x);

// same asserts that got is want as the encoding sees values: kinds, key
// and entry order, -0 and NaN included. path names the place, for messages.
function same(got, want, path = 'value') {
  const fail = (why) => assert.fail(`${path}: ${why}: got ${inspect(got)}, want ${inspect(want)}`);
  if (typeof got !== typeof want) fail('different types');
  if (typeof want !== 'object' || want === null) {
    if (!Object.is(got, want)) fail('different values');
    return;
  }
  if (got === null || tagOf(got) !== tagOf(want)) fail('different kinds');
  if (want instanceof ArrayBuffer || ArrayBuffer.isView(want)) {
    const bytes = (x) => toHex(x instanceof ArrayBuffer ? new Uint8Array(x) : new Uint8Array(x.buffer, x.byteOffset, x.byteLength));
    if (bytes(got) !== bytes(want)) fail('different bytes');
    return;
  }
  if (want instanceof Date) {
    if (!Object.is(got.getTime(), want.getTime())) fail('different times');
    return;
  }
  if (want instanceof Error) {
    for (const k of ['name', 'message', 'stack']) same(got[k], want[k], `${path}.${k}`);
    if (Object.hasOwn(got, 'cause') !== Object.hasOwn(want, 'cause')) fail('cause present in one only');
    if (Object.hasOwn(want, 'cause')) same(got.cause, want.cause, `${path}.cause`);
    return;
  }
  if (want instanceof Map || want instanceof Set) {
    const g = [...got.entries()];
    const w = [...want.entries()];
    if (g.length !== w.length) fail('different sizes');
    w.forEach(([k, v], i) => { same(g[i][0], k, `${path}.<key ${i}>`); same(g[i][1], v, `${path}.<value ${i}>`); });
    return;
  }
  if (Array.isArray(want)) {
    if (got.length !== want.length) fail('different lengths');
    want.forEach((v, i) => same(got[i], v, `${path}[${i}]`));
    return;
  }
  if (Object.getPrototypeOf(got) !== Object.prototype) fail('not a plain object');
  assert.deepEqual(Object.keys(got), Object.keys(want), `${path}: keys`);
  for (const k of Object.keys(want)) same(got[k], want[k], `${path}.${k}`);
}

function inspect(x) {
  try {
    return typeof x === 'bigint' ? `${x}n` : JSON.stringify(x, (_, v) => (typeof v === 'bigint' ? `${v}n` : v))?.slice(0, 200) ?? String(x);
  } catch {
    return String(x);
  }
}

// dataCloneError asserts that f throws a DataCloneError whose message
// includes each of parts, and returns it.
function dataCloneError(f, ...parts) {
  let err;
  assert.throws(f, (e) => { err = e; return true; });
  assert.equal(err.name, 'DataCloneError', String(err));
  if (typeof DOMException === 'function') assert.ok(err instanceof DOMException, 'a DOMException');
  for (const p of parts) assert.ok(err.message.includes(p), `${JSON.stringify(err.message)} does not say ${JSON.stringify(p)}`);
  return err;
}

/**
 * checkVector runs one vector of the shared file: decode (and, unless
 * decodeOnly, encode and round trip), or the decoder's refusal. It throws
 * what went wrong.
 */
export function checkVector(v) {
  const bytes = fromHex(v.hex);
  if (v.error !== undefined) {
    const e = dataCloneError(() => deserialize(bytes), 'at byte');
    assert.equal(typeof e.offset, 'number');
    assert.ok(e.offset >= 0 && e.offset <= bytes.length, `offset ${e.offset} outside the input`);
    return;
  }
  let want;
  try {
    want = build(v.value);
  } catch (e) {
    if (!(e instanceof Unsupported)) throw e;
    // Without Float16Array, tag 84 reads as a Float32Array of the values.
    const b = new DataView(fromHex(v.value.bytes).buffer);
    const f = new Float32Array(b.byteLength / 2);
    for (let i = 0; i < f.length; i++) f[i] = halfForTest(b.getUint16(i * 2, true));
    same(deserialize(bytes), f);
    return;
  }
  const got = deserialize(bytes);
  same(got, want);
  if (!v.decodeOnly) {
    assert.equal(toHex(serialize(want)), v.hex, 'serialize(value)');
    assert.equal(toHex(serialize(got)), v.hex, 'serialize(deserialize(hex))');
  }
}

// halfForTest decodes half-precision bits independently of the module:
// through a float32's bits.
function halfForTest(h) {
  const dv = new DataView(new ArrayBuffer(4));
  const sign = (h & 0x8000) << 16;
  const exp = (h >> 10) & 0x1f;
  const frac = h & 0x3ff;
  if (exp === 0) return (h & 0x8000 ? -1 : 1) * frac * 2 ** -24;
  dv.setUint32(0, sign | (exp === 31 ? 0x7f800000 : (exp - 15 + 127) << 23) | (frac << 13));
  return dv.getFloat32(0);
}

cases.push(['Float16Array', () => {
  const bytes = fromHex('d9d9f7d85444003c00c0'); // [1, -2]
  const got = deserialize(bytes);
  if (hasFloat16) {
    assert.equal(tagOf(got), '[object Float16Array]');
    assert.equal(toHex(serialize(got)), toHex(bytes));
  } else {
    assert.ok(got instanceof Float32Array);
    assert.deepEqual([...got], [1, -2]);
  }
}]);

cases.push(['refused values name the value and where it is', () => {
  class Widget { constructor() { this.x = 1; } }
  refuseClone(Widget);
  class SubWidget extends Widget {}
  const cases = [
    [() => 1, 'is a function'],
    [{ a: [function named() {}] }, 'value.a[0] is a function (named)'],
    [Symbol('s'), 'is a symbol'],
    [new WeakMap(), 'WeakMap'],
    [new WeakSet(), 'WeakSet'],
    [new WeakRef({}), 'WeakRef'],
    [Promise.resolve(1), 'Promise'],
    [new DataView(new ArrayBuffer(2)), 'DataView'],
    [new Number(1), 'boxed number'],
    [new String('s'), 'boxed string'],
    [new Boolean(false), 'boxed boolean'],
    [Object(1n), 'boxed bigint'],
    [Object(Symbol('x')), 'boxed symbol'],
    [/re/g, 'RegExp'],
    [new Request('http://example.com/'), 'Request, a host object'],
    [new Response('x'), 'Response, a host object'],
    [new Headers(), 'Headers, a host object'],
    [new ReadableStream(), 'ReadableStream, a host object'],
    [new AbortController().signal, 'host object'],
    [new Widget(), 'Widget, a host object'],
    [[new SubWidget()], 'value[0] is a Widget'],
    ['a\ud800', 'lone surrogate (U+D800 at index 1)'],
    ['\udc00b', 'lone surrogate (U+DC00 at index 0)'],
    [{ '\ud83d': 1 }, 'lone surrogate'],
    [new Map([[1, { k: () => 1 }]]), 'value.<value 0>.k is a function'],
    [new Set([Symbol.iterator]), 'value.<element 0> is a symbol'],
    [new Error('m', { cause: () => 1 }), 'value.cause is a function'],
  ];
  for (const [v, part] of cases) dataCloneError(() => serialize(v), 'serialize: ', part);
}]);

cases.push(['cycles are refused, shared values written twice', () => {
  const o = { a: 1 };
  o.self = o;
  dataCloneError(() => serialize(o), 'value.self contains itself');
  const a = [1];
  a.push([a]);
  dataCloneError(() => serialize(a), 'value[1][0] contains itself');
  const m = new Map();
  m.set('m', m);
  dataCloneError(() => serialize(m), 'contains itself');
  const s = new Set();
  s.add(s);
  dataCloneError(() => serialize(s), 'contains itself');
  const e = new Error('m');
  e.cause = e;
  dataCloneError(() => serialize(e), 'value.cause contains itself');

  const shared = { x: 1 };
  const bytes = serialize({ a: shared, b: [shared, shared] });
  assert.equal(toHex(bytes), 'd9d9f7a26161a1617801616282a1617801a1617801');
  const got = deserialize(bytes);
  same(got, { a: { x: 1 }, b: [{ x: 1 }, { x: 1 }] });
  assert.notEqual(got.a, got.b[0]);
}]);

cases.push(['nesting deeper than 256 is refused when written', () => {
  let v = 0;
  for (let i = 0; i < 256; i++) v = [v];
  deserialize(serialize(v));
  dataCloneError(() => serialize([v]), 'nests deeper than 256');
  let bi = 1n;
  for (let i = 0; i < 255; i++) bi = [bi];
  deserialize(serialize(bi));
  dataCloneError(() => serialize([bi]), 'nests deeper than 256');
  let m = 0;
  for (let i = 0; i < 128; i++) m = new Map([[1, m]]);
  deserialize(serialize(m));
  dataCloneError(() => serialize([m]), 'nests deeper than 256');
}]);

cases.push(['JavaScript mappings', () => {
  const hex = (v) => toHex(serialize(v));
  // Arrays: holes as undefined; properties other than indices not written.
  // eslint-disable-next-line no-sparse-arrays
  const holey = [1, , 3];
  holey.extra = 'x';
  assert.equal(hex(holey), 'd9d9f78301f703');
  assert.equal(hex(new Array(2)), 'd9d9f782f7f7');
  // Objects of other classes: their own enumerable string-keyed properties.
  class Point {
    constructor() { this.x = 1; this.y = 2; }
    get norm() { return 3; }
  }
  const p = new Point();
  Object.defineProperty(p, 'hidden', { value: 1, enumerable: false });
  p[Symbol('s')] = 1;
  assert.equal(hex(p), 'd9d9f7a2617801617902');
  same(deserialize(serialize(p)), { x: 1, y: 2 });
  assert.equal(hex(Object.create(null)), 'd9d9f7a0');
  // Object.keys order: integer keys first, as JavaScript lists them.
  assert.equal(hex({ b: 1, 2: 2, 1: 3 }), 'd9d9f7a3613103613202616201');
  // Numbers: integers as integers, the rest as float64.
  assert.equal(hex(2 ** 53), 'd9d9f7fb4340000000000000');
  assert.equal(hex(-(2 ** 53 - 1)), 'd9d9f73b001ffffffffffffe');
  assert.equal(hex(1e21), 'd9d9f7fb444b1ae4d6e2ef50');
  assert.equal(hex(-0), 'd9d9f7fb8000000000000000');
  // Typed arrays: only the viewed bytes; Buffer is a Uint8Array.
  const u16 = new Uint16Array([1, 2, 3]).subarray(1, 2);
  assert.equal(hex(u16), 'd9d9f7d845420200');
  if (typeof Buffer === 'function') assert.equal(hex(Buffer.from('ab')), 'd9d9f7d840426162');
  const ta = deserialize(serialize(new Float64Array([0.5, -0])));
  assert.ok(ta instanceof Float64Array);
  assert.ok(Object.is(ta[1], -0));
  // Strings are kept byte for byte: a BOM is not stripped.
  assert.equal(deserialize(serialize('\ufeffa')), '\ufeffa');
  assert.equal(hex('\ud83d\ude00'), 'd9d9f764f09f9880');
  // Dates.
  assert.equal(hex(new Date(-1)), 'd9d9f7c1fbbf50624dd2f1a9fc');
  assert.equal(hex(new Date(NaN)), 'd9d9f7c1fb7ff8000000000000');
}]);

cases.push(['Errors', () => {
  class AppError extends TypeError {
    constructor(m) { super(m); this.name = 'AppError'; this.code = 7; }
  }
  // A name outside the seven is written as Error (as V8 does); other
  // properties are not written.
  const e = new AppError('bad');
  const got = deserialize(serialize(e));
  assert.ok(got instanceof Error && !(got instanceof TypeError));
  assert.equal(got.name, 'Error');
  assert.equal(got.message, 'bad');
  assert.equal(got.stack, e.stack);
  assert.equal(got.code, undefined);
  // A subclass of a named Error keeps its class's name.
  class Sub extends RangeError {}
  assert.ok(deserialize(serialize(new Sub('x'))) instanceof RangeError);
  // The stack is written; an Error read without one has none.
  const plain = deserialize(fromHex('d9d9f7d81b82654572726f72a2646e616d656a52616e67654572726f72676d657373616765616d'));
  assert.ok(plain instanceof RangeError);
  assert.equal(plain.stack, undefined);
  assert.ok(!Object.hasOwn(plain, 'cause'));
  assert.equal(toHex(serialize(plain)), 'd9d9f7d81b82654572726f72a2646e616d656a52616e67654572726f72676d657373616765616d');
  // A cause of undefined is a cause.
  const withCause = deserialize(serialize(new Error('m', { cause: undefined })));
  assert.ok(Object.hasOwn(withCause, 'cause'));
  // An Error with no own message writes "".
  const noMessage = new TypeError();
  assert.ok(!Object.hasOwn(noMessage, 'message'));
  assert.equal(deserialize(serialize(noMessage)).message, '');
}]);

cases.push(['deserialize', () => {
  // Any view of the bytes, at any offset.
  const inner = fromHex('00d9d9f7820102ff').subarray(1, 7);
  same(deserialize(inner), [1, 2]);
  same(deserialize(inner.slice().buffer), [1, 2]);
  same(deserialize(new DataView(inner.buffer, 1, 6)), [1, 2]);
  assert.throws(() => deserialize('d9d9f700'), TypeError);
  // Byte strings are copies (they do not alias the input).
  const bytes = fromHex('d9d9f7420102');
  const ab = deserialize(bytes);
  bytes[4] = 9;
  assert.equal(toHex(new Uint8Array(ab)), '0102');
  // "__proto__" is an own key, not the prototype.
  const o = deserialize(fromHex('d9d9f7a1695f5f70726f746f5f5fa0'));
  assert.equal(Object.getPrototypeOf(o), Object.prototype);
  assert.deepEqual(Object.keys(o), ['__proto__']);
  // The offset is the byte at fault.
  assert.equal(dataCloneError(() => deserialize(fromHex('d9d9f78181811c'))).offset, 6);
  assert.equal(dataCloneError(() => deserialize(fromHex('d9d9f7a2616101616102')), 'the key "a" twice').offset, 7);
  assert.equal(dataCloneError(() => deserialize(fromHex('d9d9f70000')), 'after the value').offset, 4);
}]);
