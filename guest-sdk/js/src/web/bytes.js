// Bytes from the host, made this realm's.
//
// componentize-js runs its generated bindings in a global of their own: a
// list<u8> the host returns (a body chunk, a KV value) arrives as that
// global's Uint8Array, so `chunk instanceof Uint8Array` is false in the
// Worker's realm even though the ArrayBuffer under it is the Worker's own
// (the bindings copy out of linear memory with `memory.buffer.slice`).
// Lists (KV keys, R2 objects) are that global's Arrays for the same reason.

/**
 * ownBytes returns v (a Uint8Array, of any realm) as this realm's
 * Uint8Array: a view over the same bytes when its buffer is this realm's,
 * else a copy.
 */
export function ownBytes(v) {
  if (v instanceof Uint8Array && v.buffer instanceof ArrayBuffer) return v;
  if (v.buffer instanceof ArrayBuffer) return new Uint8Array(v.buffer, v.byteOffset, v.byteLength);
  return new Uint8Array(v);
}

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
