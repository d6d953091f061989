// node:stream/consumers: read a whole Node stream, web stream or async
// iterable as an ArrayBuffer, Blob, Buffer, text or JSON.
import { Buffer } from './buffer.js';
import { register } from './builtins.js';

async function* chunks(stream) {
  if (stream && typeof stream.getReader === 'function' && !stream[Symbol.asyncIterator]) {
    const reader = stream.getReader();
    try {
      for (;;) {
        const { value, done } = await reader.read();
        if (done) return;
        yield value;
      }
    } finally {
      reader.releaseLock();
    }
  }
  yield* stream;
}

async function collect(stream) {
  const parts = [];
  for await (const c of chunks(stream)) parts.push(typeof c === 'string' ? Buffer.from(c) : Buffer.from(c.buffer ? new Uint8Array(c.buffer, c.byteOffset, c.byteLength) : c));
  return Buffer.concat(parts);
}

export async function buffer(stream) {
  return collect(stream);
}

export async function arrayBuffer(stream) {
  const b = await collect(stream);
  return b.buffer.slice(b.byteOffset, b.byteOffset + b.byteLength);
}

export async function blob(stream) {
  return new Blob([await collect(stream)]);
}

export async function text(stream) {
  return new TextDecoder().decode(await collect(stream));
}

export async function json(stream) {
  return JSON.parse(await text(stream));
}

export default register('stream/consumers', { arrayBuffer, blob, buffer, json, text });
