// durable-counter-js: examples/durable-counter in JavaScript, with
// Cloudflare's Durable Objects API. One object per counter name, so
// increments of one name never race, and the value is in the object's
// storage:
//
//   POST /counter/{name}/increment  -> 200 {"value":N}, the new value
//   GET  /counter/{name}            -> 200 {"value":N}
//   GET  /counter/{name}/ws         -> a WebSocket: every message
//                                      increments; the new value comes back
//
//   cd examples/durable-counter-js && bindery dev
import { DurableObject } from 'cloudflare:workers';

/** Counter is the Durable Object class: one counter. */
export class Counter extends DurableObject {
  constructor(ctx, env) {
    super(ctx, env);
    // Load the value before the object's first event runs.
    ctx.blockConcurrencyWhile(async () => {
      this.value = (await ctx.storage.get('value')) ?? 0;
    });
  }

  /** increment adds one and returns the new value, once it is stored. */
  async increment() {
    await this.ctx.storage.put('value', this.value + 1);
    return ++this.value;
  }

  /** get returns the value. */
  get() {
    return this.value;
  }

  // fetch accepts a WebSocket (hibernation API): the object may leave
  // memory while the socket stays open.
  async fetch(request) {
    if (request.headers.get('upgrade') !== 'websocket') return new Response('expected a WebSocket upgrade', { status: 426 });
    const pair = new WebSocketPair();
    this.ctx.acceptWebSocket(pair[1]);
    return new Response(null, { status: 101, webSocket: pair[0] });
  }

  async webSocketMessage(ws) {
    ws.send(JSON.stringify({ value: await this.increment() }));
  }
}

export default {
  async fetch(request, env) {
    const url = new URL(request.url);
    const m = /^\/counter\/([^/]+)(\/increment|\/ws)?$/.exec(url.pathname);
    if (!m) return new Response('not found', { status: 404 });
    const stub = env.COUNTER.getByName(decodeURIComponent(m[1]));
    if (m[2] === '/ws') return stub.fetch(request);
    if (m[2] === '/increment' && request.method === 'POST') return Response.json({ value: await stub.increment() });
    if (!m[2] && request.method === 'GET') return Response.json({ value: await stub.get() });
    return new Response('method not allowed', { status: 405 });
  },
};
