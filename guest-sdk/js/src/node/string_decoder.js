// node:string_decoder: StringDecoder decodes bytes to text across chunk
// boundaries (a character split between writes comes out whole) for
// utf8, utf16le (ucs2), base64, base64url, hex, latin1 (binary) and ascii.
// UTF-8 goes through the engine's TextDecoder, whose replacement of
// invalid bytes is Buffer's.
import { register } from './builtins.js';

const ENCODINGS = {
  utf8: 'utf8', 'utf-8': 'utf8', utf16le: 'utf16le', 'utf-16le': 'utf16le', ucs2: 'utf16le', 'ucs-2': 'utf16le',
  base64: 'base64', base64url: 'base64url', hex: 'hex', latin1: 'latin1', binary: 'latin1', ascii: 'ascii',
};

function normalize(enc) {
  if (enc === undefined || enc === null || enc === '') return 'utf8';
  const e = ENCODINGS[String(enc).toLowerCase()];
  if (!e) {
    const err = new TypeError(`Unknown encoding: ${enc}`);
    err.code = 'ERR_UNKNOWN_ENCODING';
    throw err;
  }
  return e;
}

function bytes(buf) {
  if (buf instanceof Uint8Array) return buf;
  if (buf instanceof ArrayBuffer) return new Uint8Array(buf);
  if (ArrayBuffer.isView(buf)) return new Uint8Array(buf.buffer, buf.byteOffset, buf.byteLength);
  throw new TypeError('The "buf" argument must be an instance of Buffer, TypedArray, or DataView');
}

function latin1(b, mask) {
  let s = '';
  for (let i = 0; i < b.length; i += 0x2000) s += String.fromCharCode(...Array.from(b.subarray(i, i + 0x2000), (x) => x & mask));
  return s;
}

function base64(b, url) {
  const s = btoa(latin1(b, 0xff));
  return url ? s.replace(/[+/=]/g, (c) => (c === '+' ? '-' : c === '/' ? '_' : '')) : s;
}

/** StringDecoder is Node's string_decoder.StringDecoder. */
export class StringDecoder {
  #pending = new Uint8Array(0); // bytes of an incomplete unit (utf16le, base64)
  #utf8;

  constructor(encoding) {
    this.encoding = normalize(encoding);
    if (this.encoding === 'utf8') this.#utf8 = new TextDecoder('utf-8', { ignoreBOM: true });
  }

  /** write returns the text of buf's complete characters, keeping the rest for the next write. */
  write(buf) {
    if (typeof buf === 'string') return buf;
    const b = bytes(buf);
    switch (this.encoding) {
      case 'utf8':
        return this.#utf8.decode(b, { stream: true });
      case 'utf16le':
        return this.#units(b, 2, (x) => this.#utf16(x));
      case 'base64':
      case 'base64url':
        return this.#units(b, 3, (x) => base64(x, this.encoding === 'base64url'));
      case 'hex':
        return Array.from(b, (x) => x.toString(16).padStart(2, '0')).join('');
      case 'latin1':
        return latin1(b, 0xff);
      default:
        return latin1(b, 0x7f);
    }
  }

  /** end returns what write(buf) would, and the text of whatever is left over. */
  end(buf) {
    let s = buf === undefined ? '' : this.write(buf);
    const rest = this.#pending;
    this.#pending = new Uint8Array(0);
    switch (this.encoding) {
      case 'utf8':
        s += this.#utf8.decode();
        break;
      case 'utf16le':
        s += this.#utf16(rest.subarray(0, rest.length - (rest.length % 2)), true);
        this.#high = '';
        break;
      case 'base64':
      case 'base64url':
        if (rest.length) s += base64(rest, this.encoding === 'base64url');
        break;
    }
    return s;
  }

  // units decodes the whole units of size n in pending + b with f.
  #units(b, n, f) {
    let all = b;
    if (this.#pending.length) {
      all = new Uint8Array(this.#pending.length + b.length);
      all.set(this.#pending);
      all.set(b, this.#pending.length);
    }
    const whole = all.length - (all.length % n);
    this.#pending = all.slice(whole);
    return whole ? f(all.subarray(0, whole)) : '';
  }

  #high = ''; // a high surrogate waiting for its low one

  #utf16(b, flush = false) {
    let s = this.#high;
    for (let i = 0; i + 1 < b.length; i += 2) s += String.fromCharCode(b[i] | (b[i + 1] << 8));
    this.#high = '';
    const last = s.charCodeAt(s.length - 1);
    if (!flush && last >= 0xd800 && last <= 0xdbff) {
      this.#high = s.slice(-1);
      s = s.slice(0, -1);
    }
    return s;
  }
}

export default register('string_decoder', { StringDecoder });
