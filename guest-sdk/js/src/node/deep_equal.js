// Deep equality as Node's assert.deepStrictEqual and assert.deepEqual
// compare (util.isDeepStrictEqual is the strict one). Internal to src/node.
import * as types from './util_types.js';

const STRICT = true;
const LOOSE = false;

function primitiveEqual(a, b, strict) {
  if (strict) return Object.is(a, b);
  // eslint-disable-next-line eqeqeq
  return a == b || (Number.isNaN(a) && Number.isNaN(b));
}

function enumerableKeys(v, strict) {
  const keys = Object.keys(v);
  if (strict) {
    for (const s of Object.getOwnPropertySymbols(v)) {
      if (Object.prototype.propertyIsEnumerable.call(v, s)) keys.push(s);
    }
  }
  return keys;
}

function bytesOf(v) {
  if (v instanceof ArrayBuffer || types.isAnyArrayBuffer(v)) return new Uint8Array(v);
  return new Uint8Array(v.buffer, v.byteOffset, v.byteLength);
}

function sameBytes(a, b) {
  const x = bytesOf(a);
  const y = bytesOf(b);
  if (x.length !== y.length) return false;
  for (let i = 0; i < x.length; i++) if (x[i] !== y[i]) return false;
  return true;
}

// memo holds the pairs being compared, so cycles compare equal when they
// have the same shape.
function equal(a, b, strict, memo) {
  if (a === b) return a !== 0 || !strict || Object.is(a, b);
  if (typeof a !== 'object' || a === null || typeof b !== 'object' || b === null) {
    if (typeof a === 'function' || typeof b === 'function') return false;
    if ((typeof a === 'object' && a !== null) || (typeof b === 'object' && b !== null)) return false;
    return primitiveEqual(a, b, strict);
  }
  const ta = Object.prototype.toString.call(a);
  if (ta !== Object.prototype.toString.call(b)) return false;
  if (strict && Object.getPrototypeOf(a) !== Object.getPrototypeOf(b)) return false;
  if (Array.isArray(a) !== Array.isArray(b)) return false;
  if (Array.isArray(a) && a.length !== b.length) return false;

  if (types.isDate(a)) {
    if (!types.isDate(b) || a.getTime() !== b.getTime()) return false;
  } else if (types.isRegExp(a)) {
    if (!types.isRegExp(b) || a.source !== b.source || a.flags !== b.flags || a.lastIndex !== b.lastIndex) return false;
  } else if (types.isNativeError(a) || a instanceof Error) {
    if (!(b instanceof Error || types.isNativeError(b)) || a.message !== b.message || a.name !== b.name) return false;
  } else if (ArrayBuffer.isView(a)) {
    if (!ArrayBuffer.isView(b)) return false;
    if (strict && Object.prototype.toString.call(a) !== Object.prototype.toString.call(b)) return false;
    if (types.isFloat32Array(a) || types.isFloat64Array(a)) {
      if (a.length !== b.length) return false;
      for (let i = 0; i < a.length; i++) if (!primitiveEqual(a[i], b[i], strict)) return false;
    } else if (!sameBytes(a, b)) {
      return false;
    }
    // The indices are compared; other own keys below.
    return keysEqual(a, b, strict, memo, (k) => typeof k === 'symbol' || !/^\d+$/.test(k));
  } else if (types.isAnyArrayBuffer(a)) {
    if (!types.isAnyArrayBuffer(b) || !sameBytes(a, b)) return false;
  } else if (types.isBoxedPrimitive(a)) {
    if (!types.isBoxedPrimitive(b) || !Object.is(a.valueOf(), b.valueOf())) return false;
  } else if (types.isBoxedPrimitive(b)) {
    return false;
  }

  const pair = memo.get(a);
  if (pair !== undefined && pair.has(b)) return true;
  if (pair === undefined) memo.set(a, new Set([b]));
  else pair.add(b);

  if (types.isSet(a)) {
    if (!types.isSet(b) || !setEqual(a, b, strict, memo)) return false;
  } else if (types.isMap(a)) {
    if (!types.isMap(b) || !mapEqual(a, b, strict, memo)) return false;
  } else if (types.isSet(b) || types.isMap(b)) {
    return false;
  }
  return keysEqual(a, b, strict, memo);
}

function keysEqual(a, b, strict, memo, filter = () => true) {
  const ka = enumerableKeys(a, strict).filter(filter);
  const kb = enumerableKeys(b, strict).filter(filter);
  if (ka.length !== kb.length) return false;
  const has = new Set(kb);
  for (const k of ka) if (!has.has(k)) return false;
  for (const k of ka) if (!equal(a[k], b[k], strict, memo)) return false;
  // Errors' message and name are own but not enumerable: compared above.
  return true;
}

function setEqual(a, b, strict, memo) {
  if (a.size !== b.size) return false;
  const rest = [];
  for (const x of a) {
    if (typeof x === 'object' && x !== null) rest.push(x);
    else if (!b.has(x)) {
      if (strict) return false;
      // Loose: 1 and '1' are the same item.
      let found = false;
      for (const y of b) {
        if ((typeof y !== 'object' || y === null) && primitiveEqual(x, y, false)) {
          found = true;
          break;
        }
      }
      if (!found) return false;
    }
  }
  if (rest.length === 0) return true;
  const candidates = [...b].filter((y) => typeof y === 'object' && y !== null);
  for (const x of rest) {
    const i = candidates.findIndex((y) => equal(x, y, strict, memo));
    if (i < 0) return false;
    candidates.splice(i, 1);
  }
  return true;
}

function mapEqual(a, b, strict, memo) {
  if (a.size !== b.size) return false;
  const rest = [];
  for (const [k, v] of a) {
    if (typeof k === 'object' && k !== null) rest.push([k, v]);
    else if (!b.has(k) || !equal(v, b.get(k), strict, memo)) return false;
  }
  if (rest.length === 0) return true;
  const candidates = [...b].filter(([k]) => typeof k === 'object' && k !== null);
  for (const [k, v] of rest) {
    const i = candidates.findIndex(([k2, v2]) => equal(k, k2, strict, memo) && equal(v, v2, strict, memo));
    if (i < 0) return false;
    candidates.splice(i, 1);
  }
  return true;
}

/** isDeepStrictEqual is util.isDeepStrictEqual. */
export function isDeepStrictEqual(a, b) {
  return equal(a, b, STRICT, new Map());
}

/** isDeepEqual is assert.deepEqual's comparison (loose). */
export function isDeepEqual(a, b) {
  return equal(a, b, LOOSE, new Map());
}
