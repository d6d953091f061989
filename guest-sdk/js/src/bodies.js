// Bodies that move inside the host instead of through JavaScript.
//
// componentize-js never frees the buffers that host calls return to
// JavaScript (bytecodealliance/ComponentizeJS#330), so every byte read into
// JS stays in the guest's memory until the instance is replaced; and the
// interpreter is slow at moving bytes. A body that can skip JS should.

/**
 * hostStreams maps a ReadableStream over a host input-stream (a request or
 * R2 object body) to { available(), take() }: while nothing has read it,
 * take() hands over the input-stream so that the host can move its bytes
 * (splice, or HTMLRewriter's read-from).
 */
export const hostStreams = new WeakMap();

/**
 * bodySenders maps a ReadableStream to { available(), send(os) }: while
 * nothing has read the stream, send(os) writes its bytes to the response's
 * output-stream os inside the host (HTMLRewriter's write-to), taking os
 * over, and resolves when they are all written.
 */
export const bodySenders = new WeakMap();
