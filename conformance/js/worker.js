// The conformance Worker in JavaScript: the contract every language
// implements (see conformance/harness_test.go), written as a module
// Worker with guest-sdk/js.
//
//   node guest-sdk/js/build.mjs conformance/js/worker.js -o js.wasm
import { trap } from '@bindery/worker';

const text = (body, status = 200) => new Response(body, { status, headers: { 'content-type': 'text/plain; charset=utf-8' } });

export default {
  async fetch(request, env) {
    const url = new URL(request.url);
    const p = url.pathname;
    const m = request.method;
    if (p === '/hello' && m === 'GET') return text('hello from js');
    if (p.startsWith('/kv/')) return kv(request, env, decodeURIComponent(p.slice(4)));
    if (p === '/vars' && m === 'GET') {
      return Response.json({ greeting: env.GREETING, secret_set: typeof env.API_TOKEN === 'string' && env.API_TOKEN.length > 0 });
    }
    if (p === '/kv-too-long' && m === 'PUT') {
      try {
        await env.STORE.put('k'.repeat(513), 'x');
      } catch (e) {
        return text(String(e.message), 400);
      }
      return text('a 513-byte key was accepted', 500);
    }
    if (p === '/echo' && m === 'POST') {
      // Through JS, chunk by chunk (not a host splice).
      return new Response(request.body.pipeThrough(new TransformStream()), { headers: { 'content-type': 'application/octet-stream' } });
    }
    if (p.startsWith('/r2/')) return r2(request, env, decodeURIComponent(p.slice(4)));
    if (p === '/trap') trap('conformance: trap');
    return text('not found', 404);
  },
};

async function kv(request, env, key) {
  switch (request.method) {
    case 'PUT':
      try {
        await env.STORE.put(key, await request.arrayBuffer());
      } catch (e) {
        return text(e.message, 400);
      }
      return new Response(null, { status: 204 });
    case 'GET': {
      const v = await env.STORE.get(key, 'arrayBuffer');
      return v === null ? text('not found', 404) : new Response(v);
    }
    case 'DELETE':
      await env.STORE.delete(key);
      return new Response(null, { status: 204 });
  }
  return text('method not allowed', 405);
}

async function r2(request, env, key) {
  switch (request.method) {
    case 'PUT': {
      let obj;
      try {
        obj = await env.FILES.put(key, request.body); // moves inside the host
      } catch (e) {
        return text(e.message, 400);
      }
      return new Response(JSON.stringify({ etag: obj.etag, size: obj.size }), { status: 201, headers: { 'content-type': 'application/json' } });
    }
    case 'GET': {
      const obj = await env.FILES.get(key);
      if (obj === null) return text('not found', 404);
      return new Response(obj.body); // spliced inside the host
    }
  }
  return text('method not allowed', 405);
}
