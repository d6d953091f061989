// node:buffer: Buffer from the buffer npm package (feross/buffer, what
// browserify and webpack ship, pinned in guest-sdk/js/package.json), with
// its string conversions done by the engine (below), and what it lacks of
// Node's: the base64url encoding, Buffer.copyBytesFrom, isUtf8, isAscii,
// and the module's other exports.
import * as npm from 'buffer/index.js';

export const Buffer = npm.Buffer;
export const SlowBuffer = npm.SlowBuffer;
export const kMaxLength = npm.kMaxLength;
export const kStringMaxLength = 2 ** 29 - 24; // SpiderMonkey's longest string
export const constants = Object.freeze({ MAX_LENGTH: kMaxLength, MAX_STRING_LENGTH: kStringMaxLength });
export const INSPECT_MAX_BYTES = npm.INSPECT_MAX_BYTES;

// --- encodings ------------------------------------------------------------------
// The package converts strings byte by byte in JavaScript, which the
// engine (an interpreter) runs at ~1 MB/s. These replace its conversions
// with the engine's own: TextEncoder/TextDecoder for UTF-8,
// Uint8Array.fromBase64/toBase64/fromHex/toHex, String.fromCharCode over
// chunks; and add base64url. Results are Node's: UTF-8 decoding replaces
// each maximal invalid subpart with one U+FFFD, base64 decoding skips
// characters outside both alphabets and stops at the first "=", hex stops
// at the first invalid pair, and byteLength of base64 is Node's estimate.

const ENCODINGS = {
  utf8: 'utf8', 'utf-8': 'utf8', ucs2: 'utf16le', 'ucs-2': 'utf16le', utf16le: 'utf16le', 'utf-16le': 'utf16le',
  latin1: 'latin1', binary: 'latin1', ascii: 'ascii', base64: 'base64', base64url: 'base64url', hex: 'hex',
};

// encodingOf returns the canonical name of encoding (utf8 when absent) or
// throws Node's error for an unknown one.
function encodingOf(encoding) {
  if (encoding === undefined || encoding === null || encoding === '') return 'utf8';
  const e = ENCODINGS[encoding] || ENCODINGS[String(encoding).toLowerCase()];
  if (!e) {
    const err = new TypeError(`Unknown encoding: ${encoding}`);
    err.code = 'ERR_UNKNOWN_ENCODING';
    throw err;
  }
  return e;
}

const encoder = new TextEncoder();
const utf8 = new TextDecoder('utf-8', { ignoreBOM: true });
const CHUNK = 0x8000;

function latin1String(b) {
  let s = '';
  for (let i = 0; i < b.length; i += CHUNK) s += String.fromCharCode.apply(null, b.subarray(i, i + CHUNK));
  return s;
}

function latin1Bytes(s) {
  if (/^[\x00-\x7f]*$/.test(s)) return encoder.encode(s);
  const b = new Uint8Array(s.length);
  for (let i = 0; i < s.length; i++) b[i] = s.charCodeAt(i);
  return b;
}

function utf16String(b) {
  const n = b.length >>> 1;
  const units = b.byteOffset % 2 === 0 ? new Uint16Array(b.buffer, b.byteOffset, n) : new Uint16Array(b.slice(0, n * 2).buffer);
  let s = '';
  for (let i = 0; i < n; i += CHUNK) s += String.fromCharCode.apply(null, units.subarray(i, i + CHUNK));
  return s;
}

function utf16Bytes(s) {
  const b = new Uint8Array(s.length * 2);
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    b[i * 2] = c & 0xff;
    b[i * 2 + 1] = c >>> 8;
  }
  return b;
}

function base64Bytes(s) {
  const eq = s.indexOf('=');
  let clean = (eq < 0 ? s : s.slice(0, eq)).replace(/[^A-Za-z0-9+/_-]/g, '').replace(/[-_]/g, (c) => (c === '-' ? '+' : '/'));
  if (clean.length % 4 === 1) clean = clean.slice(0, -1);
  return Uint8Array.fromBase64(clean, { lastChunkHandling: 'loose' });
}

function hexBytes(s) {
  return Uint8Array.fromHex(/^(?:[0-9a-fA-F]{2})*/.exec(s)[0]);
}

// bytesOf encodes string in encoding (canonical).
function bytesOf(string, encoding) {
  switch (encoding) {
    case 'utf8':
      return encoder.encode(string);
    case 'latin1':
    case 'ascii':
      return latin1Bytes(string);
    case 'base64':
    case 'base64url':
      return base64Bytes(string);
    case 'hex':
      return hexBytes(string);
    default:
      return utf16Bytes(string);
  }
}

// stringOf decodes bytes in encoding (canonical).
function stringOf(b, encoding) {
  switch (encoding) {
    case 'utf8':
      return utf8.decode(b);
    case 'latin1':
      return latin1String(b);
    case 'ascii': {
      const s = latin1String(b);
      return /[\x80-\xff]/.test(s) ? s.replace(/[\x80-\xff]/g, (c) => String.fromCharCode(c.charCodeAt(0) & 0x7f)) : s;
    }
    case 'base64':
      return b.toBase64();
    case 'base64url':
      return b.toBase64({ alphabet: 'base64url', omitPadding: true });
    case 'hex':
      return b.toHex();
    default:
      return utf16String(b);
  }
}

const view = (b) => (Object.getPrototypeOf(b) === Uint8Array.prototype ? b : new Uint8Array(b.buffer, b.byteOffset, b.byteLength));

Buffer.isEncoding = function isEncoding(encoding) {
  return typeof encoding === 'string' && encoding !== '' && (ENCODINGS[encoding] || ENCODINGS[encoding.toLowerCase()]) !== undefined;
};

const from = Buffer.from;
Buffer.from = function from_(value, encodingOrOffset, length) {
  if (typeof value === 'string') {
    const b = bytesOf(value, encodingOf(encodingOrOffset));
    return from.call(Buffer, b.buffer, b.byteOffset, b.byteLength);
  }
  return from.call(Buffer, value, encodingOrOffset, length);
};

const byteLength = Buffer.byteLength;
Buffer.byteLength = function byteLength_(string, encoding) {
  if (typeof string !== 'string') return byteLength.call(Buffer, string, encoding);
  switch (ENCODINGS[encoding] || ENCODINGS[String(encoding).toLowerCase()] || 'utf8') {
    case 'utf8':
      return /^[\x00-\x7f]*$/.test(string) ? string.length : encoder.encode(string).length;
    case 'latin1':
    case 'ascii':
      return string.length;
    case 'hex':
      return string.length >>> 1;
    case 'base64':
    case 'base64url': {
      let n = string.length;
      if (string.charCodeAt(n - 1) === 0x3d) n--;
      if (n > 1 && string.charCodeAt(n - 1) === 0x3d) n--;
      return (n * 3) >>> 2;
    }
    default:
      return string.length * 2;
  }
};

Buffer.prototype.toString = function toString(encoding, start, end) {
  const len = this.length;
  const s = start === undefined || start < 0 ? 0 : Math.min(start >>> 0, len);
  const e = end === undefined || end > len ? len : Math.max(end >>> 0, 0);
  const enc = encodingOf(encoding);
  return e <= s ? '' : stringOf(view(this).subarray(s, e), enc);
};
Buffer.prototype.toLocaleString = Buffer.prototype.toString;

// write(string[, offset[, length]][, encoding]) writes what fits (whole
// characters, in UTF-8) and returns the number of bytes written.
Buffer.prototype.write = function write(string, offset, length, encoding) {
  if (typeof offset === 'string') [encoding, offset, length] = [offset, 0, undefined];
  else if (typeof length === 'string') [encoding, length] = [length, undefined];
  offset = offset === undefined ? 0 : offset >>> 0;
  if (offset > this.length) {
    const err = new RangeError(`The value of "offset" is out of range. It must be >= 0 && <= ${this.length}. Received ${offset}`);
    err.code = 'ERR_OUT_OF_RANGE';
    throw err;
  }
  const room = this.length - offset;
  length = length === undefined ? room : Math.min(room, length >>> 0);
  const enc = encodingOf(encoding);
  const target = view(this).subarray(offset, offset + length);
  if (enc === 'utf8') return encoder.encodeInto(string, target).written;
  let b = bytesOf(string, enc);
  if (b.length > length) b = b.subarray(0, enc === 'utf16le' ? length & ~1 : length);
  target.set(b);
  return b.length;
};

// --- newer statics ----------------------------------------------------------------

if (typeof Buffer.copyBytesFrom !== 'function') {
  /** copyBytesFrom copies length elements of view from offset into a new Buffer. */
  Buffer.copyBytesFrom = function copyBytesFrom(view, offset = 0, length) {
    if (!ArrayBuffer.isView(view) || view instanceof DataView) throw new TypeError('The "view" argument must be a TypedArray');
    const end = length === undefined ? view.length : Math.min(view.length, offset + length);
    const part = view.subarray(Math.min(offset, view.length), end);
    return Buffer.from(new Uint8Array(part.buffer, part.byteOffset, part.byteLength));
  };
}

/** isUtf8 reports whether the bytes are valid UTF-8. */
export function isUtf8(input) {
  try {
    new TextDecoder('utf-8', { fatal: true }).decode(input);
    return true;
  } catch {
    return false;
  }
}

/** isAscii reports whether every byte is below 0x80. */
export function isAscii(input) {
  const b = input instanceof ArrayBuffer ? new Uint8Array(input) : new Uint8Array(input.buffer, input.byteOffset, input.byteLength);
  for (let i = 0; i < b.length; i++) if (b[i] > 0x7f) return false;
  return true;
}

/** transcode is not implemented (it needs ICU). */
export function transcode() {
  throw new Error('[bindery] buffer.transcode is not implemented: the engine has no ICU');
}

export const Blob = globalThis.Blob;
export const File = globalThis.File;
export const atob = globalThis.atob;
export const btoa = globalThis.btoa;

/** resolveObjectURL returns undefined: Workers have no blob: URLs. */
export function resolveObjectURL() {
  return undefined;
}

export default {
  Buffer, SlowBuffer, kMaxLength, kStringMaxLength, constants, INSPECT_MAX_BYTES, isUtf8, isAscii, transcode,
  Blob, File, atob, btoa, resolveObjectURL,
};
