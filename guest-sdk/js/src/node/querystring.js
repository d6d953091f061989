// node:querystring: Node's query string parse and stringify (a
// null-prototype object; repeated keys become arrays; '+' is a space),
// escape and unescape (malformed %-sequences are kept as they are).
import { register } from './builtins.js';

const decoder = new TextDecoder();

const hexValue = (c) => {
  if (c >= 48 && c <= 57) return c - 48;
  if (c >= 65 && c <= 70) return c - 55;
  if (c >= 97 && c <= 102) return c - 87;
  return -1;
};

/** unescapeBuffer decodes the %XX sequences of s (and '+' as space when decodeSpaces) into bytes. */
export function unescapeBuffer(s, decodeSpaces) {
  const utf8 = new TextEncoder().encode(String(s));
  const out = new Uint8Array(utf8.length);
  let n = 0;
  for (let i = 0; i < utf8.length; i++) {
    const c = utf8[i];
    if (c === 43 /* + */ && decodeSpaces) {
      out[n++] = 32;
    } else if (c === 37 /* % */ && i + 2 < utf8.length && hexValue(utf8[i + 1]) >= 0 && hexValue(utf8[i + 2]) >= 0) {
      out[n++] = (hexValue(utf8[i + 1]) << 4) | hexValue(utf8[i + 2]);
      i += 2;
    } else {
      out[n++] = c;
    }
  }
  // A Buffer where the Worker has one (nodejs_compat v2), as in Node.
  const B = globalThis.Buffer;
  return B ? B.from(out.buffer, 0, n) : out.subarray(0, n);
}

/** unescape is decodeURIComponent, falling back to unescapeBuffer for malformed input. */
export function unescape(s, decodeSpaces) {
  try {
    return decodeURIComponent(s);
  } catch {
    return decoder.decode(unescapeBuffer(s, decodeSpaces));
  }
}

/** escape is encodeURIComponent (a lone surrogate throws URIError). */
export function escape(s) {
  if (typeof s !== 'string') {
    if (typeof s === 'object') s = String(s);
    else s += '';
  }
  return encodeURIComponent(s);
}

function primitive(v) {
  switch (typeof v) {
    case 'string':
      return v;
    case 'number':
      return Number.isFinite(v) ? String(v) : '';
    case 'bigint':
      return String(v);
    case 'boolean':
      return v ? 'true' : 'false';
  }
  return '';
}

/** stringify serialises obj's own enumerable properties (arrays repeat the key). */
export function stringify(obj, sep = '&', eq = '=', options) {
  sep = sep || '&';
  eq = eq || '=';
  const encode = options && typeof options.encodeURIComponent === 'function' ? options.encodeURIComponent : escape;
  if (obj === null || typeof obj !== 'object') return '';
  const parts = [];
  for (const k of Object.keys(obj)) {
    const v = obj[k];
    const key = encode(primitive(k)) + eq;
    if (Array.isArray(v)) {
      for (const x of v) parts.push(key + encode(primitive(x)));
    } else {
      parts.push(key + encode(primitive(v)));
    }
  }
  return parts.join(sep);
}

/** parse parses a query string into a null-prototype object. */
export function parse(qs, sep = '&', eq = '=', options) {
  const obj = Object.create(null);
  if (typeof qs !== 'string' || qs.length === 0) return obj;
  sep = sep ? String(sep) : '&';
  eq = eq ? String(eq) : '=';
  let maxKeys = 1000;
  if (options && typeof options.maxKeys === 'number') maxKeys = options.maxKeys;
  const decode = options && typeof options.decodeURIComponent === 'function' ? options.decodeURIComponent : unescape;
  const dec = (s) => {
    s = s.replace(/\+/g, ' ');
    try {
      return decode(s, true);
    } catch {
      return unescape(s, true);
    }
  };
  let pairs = qs.split(sep);
  if (maxKeys > 0 && pairs.length > maxKeys) pairs = pairs.slice(0, maxKeys);
  for (const pair of pairs) {
    if (pair.length === 0) continue;
    const i = pair.indexOf(eq);
    const k = dec(i >= 0 ? pair.slice(0, i) : pair);
    const v = i >= 0 ? dec(pair.slice(i + eq.length)) : '';
    if (!(k in obj)) obj[k] = v;
    else if (Array.isArray(obj[k])) obj[k].push(v);
    else obj[k] = [obj[k], v];
  }
  return obj;
}

export { parse as decode, stringify as encode };

export default register('querystring', { parse, stringify, decode: parse, encode: stringify, escape, unescape, unescapeBuffer });
