// Byte helpers for body chunks.

/**
 * byteView returns a BufferSource (an ArrayBuffer or any view) as a
 * Uint8Array over the same bytes, and throws a TypeError for anything else.
 */
export function byteView(chunk, what = 'chunk') {
  if (chunk instanceof Uint8Array) return chunk;
  if (chunk instanceof ArrayBuffer || Object.prototype.toString.call(chunk) === '[object ArrayBuffer]') return new Uint8Array(chunk);
  if (ArrayBuffer.isView(chunk)) return new Uint8Array(chunk.buffer, chunk.byteOffset, chunk.byteLength);
  throw new TypeError(`${what} must be an ArrayBuffer or an ArrayBufferView, got ${Object.prototype.toString.call(chunk)}`);
}

/** concatBytes joins a and b (either may be empty) into one Uint8Array. */
export function concatBytes(a, b) {
  if (a.length === 0) return b;
  if (b.length === 0) return a;
  const c = new Uint8Array(a.length + b.length);
  c.set(a);
  c.set(b, a.length);
  return c;
}
