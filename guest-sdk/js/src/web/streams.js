// The streams Workers have that StarlingMonkey (componentize-js 0.23) does
// not: IdentityTransformStream and FixedLengthStream (Cloudflare's),
// TextEncoderStream / TextDecoderStream (the Encoding standard's), and
// async iteration of a ReadableStream with ReadableStream.from (the
// Streams standard's).
import { byteView } from './bytes.js';

// The readable side of each FixedLengthStream → its length: a Response
// whose body is one is sent with that Content-Length (see runtime.js).
const fixedLengths = new WeakMap();

/** fixedLengthOf is the length of the FixedLengthStream whose readable is rs, or undefined. */
export const fixedLengthOf = (rs) => fixedLengths.get(rs);

// byteReadable is source (a ReadableStream of Uint8Arrays) as a readable
// byte stream, so BYOB readers work on it.
function byteReadable(source) {
  const reader = source.getReader();
  return new ReadableStream({
    type: 'bytes',
    async pull(c) {
      for (;;) {
        const { done, value } = await reader.read();
        if (done) {
          c.close();
          if (c.byobRequest) c.byobRequest.respond(0);
          return;
        }
        if (value.byteLength) {
          c.enqueue(value);
          return;
        }
      }
    },
    cancel(reason) { return reader.cancel(reason); },
  });
}

// Per-instance state of an IdentityTransformStream: bytes written, and the
// expected length of a FixedLengthStream.
const identityState = new WeakMap();

/**
 * IdentityTransformStream passes bytes through unchanged: its writable
 * takes ArrayBuffers and views (anything else is a TypeError), its readable
 * is a byte stream (BYOB reads work). A write waits until the bytes are
 * read.
 */
export class IdentityTransformStream extends TransformStream {
  #readable;
  constructor(options = {}) {
    const state = { written: 0n, expected: undefined };
    super({
      transform(chunk, c) {
        const b = byteView(chunk, 'IdentityTransformStream: a chunk');
        if (state.expected !== undefined) {
          state.written += BigInt(b.byteLength);
          if (state.written > state.expected) {
            throw new TypeError(`FixedLengthStream: more bytes were written than its expected length, ${state.expected}`);
          }
        }
        if (b.byteLength) c.enqueue(b);
      },
      flush() {
        if (state.expected !== undefined && state.written !== state.expected) {
          throw new TypeError(`FixedLengthStream: ${state.written} bytes were written, fewer than its expected length, ${state.expected}`);
        }
      },
    }, undefined, { highWaterMark: options && options.highWaterMark ? Number(options.highWaterMark) : 0 });
    identityState.set(this, state);
  }
  get readable() {
    if (this.#readable === undefined) this.#readable = byteReadable(super.readable);
    return this.#readable;
  }
}

/**
 * FixedLengthStream is an IdentityTransformStream that must carry exactly
 * expectedLength bytes: a write past it, or a close before it, is a
 * TypeError (and errors the readable). A Response whose body is its
 * readable goes out with Content-Length: expectedLength.
 */
export class FixedLengthStream extends IdentityTransformStream {
  constructor(expectedLength, options) {
    const n = typeof expectedLength === 'bigint' ? expectedLength : Number(expectedLength);
    const ok = typeof n === 'bigint' ? n >= 0n && n <= BigInt(Number.MAX_SAFE_INTEGER) : Number.isSafeInteger(n) && n >= 0;
    if (!ok) throw new TypeError(`FixedLengthStream requires an integer expected length from 0 to 2^53 - 1, got ${String(expectedLength)}`);
    super(options);
    identityState.get(this).expected = BigInt(n);
    fixedLengths.set(this.readable, BigInt(n));
  }
}

const REPLACEMENT = new Uint8Array([0xef, 0xbf, 0xbd]);
const isHighSurrogate = (c) => c >= 0xd800 && c <= 0xdbff;

/**
 * TextEncoderStream encodes strings to UTF-8; a surrogate pair split
 * across chunks is joined, and a lone surrogate becomes U+FFFD.
 */
export class TextEncoderStream {
  #ts;
  constructor() {
    const encoder = new TextEncoder();
    let pending = '';
    this.#ts = new TransformStream({
      transform(chunk, c) {
        let s = pending + String(chunk);
        pending = '';
        if (s.length && isHighSurrogate(s.charCodeAt(s.length - 1))) {
          pending = s.slice(-1);
          s = s.slice(0, -1);
        }
        if (s.length) c.enqueue(encoder.encode(s));
      },
      flush(c) {
        if (pending) c.enqueue(REPLACEMENT.slice());
      },
    });
  }
  get encoding() { return 'utf-8'; }
  get readable() { return this.#ts.readable; }
  get writable() { return this.#ts.writable; }
}

/**
 * TextDecoderStream decodes bytes (ArrayBuffers and views) to strings with
 * a TextDecoder(label, options) in streaming mode: a sequence split across
 * chunks is joined; with fatal, invalid input errors the stream.
 */
export class TextDecoderStream {
  #ts;
  #decoder;
  constructor(label = 'utf-8', options = {}) {
    const decoder = new TextDecoder(label, options);
    this.#decoder = decoder;
    this.#ts = new TransformStream({
      transform(chunk, c) {
        const s = decoder.decode(byteView(chunk, 'TextDecoderStream: a chunk'), { stream: true });
        if (s.length) c.enqueue(s);
      },
      flush(c) {
        const s = decoder.decode();
        if (s.length) c.enqueue(s);
      },
    });
  }
  get encoding() { return this.#decoder.encoding; }
  get fatal() { return this.#decoder.fatal; }
  get ignoreBOM() { return this.#decoder.ignoreBOM; }
  get readable() { return this.#ts.readable; }
  get writable() { return this.#ts.writable; }
}

// values is ReadableStream.prototype.values (and [Symbol.asyncIterator]):
// `for await (const chunk of stream)`. Leaving the loop early cancels the
// stream unless preventCancel.
function values(options) {
  const preventCancel = !!(options && options.preventCancel);
  const reader = this.getReader();
  let finished = false;
  const finish = () => {
    finished = true;
    reader.releaseLock();
  };
  return {
    async next() {
      if (finished) return { done: true, value: undefined };
      let r;
      try {
        r = await reader.read();
      } catch (e) {
        finish();
        throw e;
      }
      if (r.done) {
        finish();
        return { done: true, value: undefined };
      }
      return { done: false, value: r.value };
    },
    async return(value) {
      if (!finished) {
        const cancelled = preventCancel ? undefined : reader.cancel(value);
        finish();
        await cancelled;
      }
      return { done: true, value };
    },
    [Symbol.asyncIterator]() { return this; },
  };
}

// from is ReadableStream.from: a stream of what an async (or sync)
// iterable yields.
function from(iterable) {
  const it = typeof iterable[Symbol.asyncIterator] === 'function' ? iterable[Symbol.asyncIterator]() : iterable[Symbol.iterator]();
  return new ReadableStream({
    async pull(c) {
      const r = await it.next();
      if (r.done) c.close();
      else c.enqueue(await r.value);
    },
    async cancel(reason) {
      if (typeof it.return === 'function') await it.return(reason);
    },
  }, { highWaterMark: 0 });
}

export function installStreams() {
  const RS = ReadableStream.prototype;
  if (typeof RS.values !== 'function') Object.defineProperty(RS, 'values', { value: values, writable: true, configurable: true });
  if (typeof RS[Symbol.asyncIterator] !== 'function') {
    Object.defineProperty(RS, Symbol.asyncIterator, { value: RS.values, writable: true, configurable: true });
  }
  if (typeof ReadableStream.from !== 'function') Object.defineProperty(ReadableStream, 'from', { value: from, writable: true, configurable: true });
  const globals = {
    IdentityTransformStream, FixedLengthStream, TextEncoderStream, TextDecoderStream,
  };
  for (const [name, C] of Object.entries(globals)) {
    // The bundler may rename a class that another module's name clashes with.
    Object.defineProperty(C, 'name', { value: name, configurable: true });
    if (typeof globalThis[name] !== 'function') {
      Object.defineProperty(globalThis, name, { value: C, writable: true, configurable: true });
    }
  }
}
