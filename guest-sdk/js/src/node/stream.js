// node:stream: Node's streams from the readable-stream npm package (Node's
// own lib/stream, pinned in guest-sdk/js/package.json): Readable, Writable,
// Duplex, Transform, PassThrough, pipeline, finished, compose,
// addAbortSignal, the stream operators and stream.promises. Added here:
// Readable.fromWeb/toWeb and Writable.fromWeb/toWeb, between Node streams
// and the Worker's web streams.
import Stream from 'readable-stream/lib/stream.js';
import { Buffer } from './buffer.js';
import { register } from './builtins.js';

const { Readable, Writable, Duplex, Transform, PassThrough } = Stream;

function toBytes(chunk, encoding) {
  if (typeof chunk === 'string') return Buffer.from(chunk, encoding);
  if (chunk instanceof Uint8Array) return chunk;
  if (ArrayBuffer.isView(chunk)) return new Uint8Array(chunk.buffer, chunk.byteOffset, chunk.byteLength);
  if (chunk instanceof ArrayBuffer) return new Uint8Array(chunk);
  return chunk;
}

// readable-stream has fromWeb and toWeb that need Node's internals: these
// replace them.
{
  /** fromWeb returns a Readable that reads the web ReadableStream. */
  Readable.fromWeb = function fromWeb(readableStream, options = {}) {
    const reader = readableStream.getReader();
    let reading = false;
    return new Readable({
      objectMode: !!options.objectMode,
      highWaterMark: options.highWaterMark,
      encoding: options.encoding,
      signal: options.signal,
      read() {
        if (reading) return;
        reading = true;
        const pump = () => reader.read().then(({ value, done }) => {
          if (done) {
            this.push(null);
            reading = false;
            return;
          }
          const more = this.push(options.objectMode ? value : toBytes(value));
          if (more) pump();
          else reading = false;
        }, (err) => this.destroy(err));
        pump();
      },
      destroy(err, callback) {
        reader.cancel(err).then(() => callback(err), () => callback(err));
      },
    });
  };

  /** toWeb returns a web ReadableStream of the Readable's chunks. */
  Readable.toWeb = function toWeb(readable) {
    let done = false;
    return new ReadableStream({
      start(controller) {
        readable.on('data', (chunk) => {
          controller.enqueue(readable.readableObjectMode ? chunk : toBytes(chunk));
          if (controller.desiredSize <= 0) readable.pause();
        });
        readable.once('end', () => {
          if (!done) {
            done = true;
            controller.close();
          }
        });
        readable.once('error', (err) => {
          if (!done) {
            done = true;
            controller.error(err);
          }
        });
        readable.pause();
      },
      pull() {
        readable.resume();
      },
      cancel(reason) {
        done = true;
        readable.destroy(reason);
      },
    });
  };
}

{
  /** fromWeb returns a Writable that writes to the web WritableStream. */
  Writable.fromWeb = function fromWeb(writableStream, options = {}) {
    const writer = writableStream.getWriter();
    return new Writable({
      objectMode: !!options.objectMode,
      highWaterMark: options.highWaterMark,
      decodeStrings: options.decodeStrings,
      signal: options.signal,
      write(chunk, encoding, callback) {
        writer.ready.then(() => writer.write(options.objectMode ? chunk : toBytes(chunk, encoding))).then(() => callback(), callback);
      },
      final(callback) {
        writer.close().then(() => callback(), callback);
      },
      destroy(err, callback) {
        writer.abort(err).then(() => callback(err), () => callback(err));
      },
    });
  };

  /** toWeb returns a web WritableStream that writes to the Writable. */
  Writable.toWeb = function toWeb(writable) {
    return new WritableStream({
      write(chunk) {
        return new Promise((resolve, reject) => {
          const onError = (err) => reject(err);
          writable.once('error', onError);
          const ok = writable.write(chunk, (err) => {
            writable.removeListener('error', onError);
            if (err) reject(err);
            else if (ok) resolve();
          });
          if (!ok) writable.once('drain', resolve);
        });
      },
      close() {
        return new Promise((resolve, reject) => {
          writable.end((err) => (err ? reject(err) : resolve()));
        });
      },
      abort(reason) {
        writable.destroy(reason);
      },
    });
  };
}

export { Stream, Readable, Writable, Duplex, Transform, PassThrough };
export const {
  pipeline, finished, compose, addAbortSignal, destroy, isDisturbed, isErrored, isReadable, isDestroyed,
  getDefaultHighWaterMark, setDefaultHighWaterMark, _isUint8Array, _uint8ArrayToBuffer,
} = Stream;
export const promises = Stream.promises;

export default register('stream', Stream);
