interface Env {
  FILES: R2Bucket;
}

// The parts of workers-types this Worker uses.
interface R2Bucket {
  get(key: string, opts?: { range?: Headers; onlyIf?: Headers }): Promise<R2ObjectBody | R2Object | null>;
  put(key: string, value: ReadableStream | null, opts?: { httpMetadata?: Headers }): Promise<R2Object | null>;
  delete(key: string): Promise<void>;
}
interface R2Object {
  key: string;
  size: number;
  httpEtag: string;
  range?: { offset: number; length: number };
  writeHttpMetadata(h: Headers): void;
}
interface R2ObjectBody extends R2Object {
  body: ReadableStream;
}
interface ExecutionContext {
  waitUntil(p: Promise<unknown>): void;
}
declare const caches: { default: Cache };

export default {
  async fetch(request: Request, env: Env, ctx: ExecutionContext): Promise<Response> {
    const url = new URL(request.url);
    const key = decodeURIComponent(url.pathname.slice(1));
    if (!key) return new Response('no key\n', { status: 400 });
    const cache = caches.default;

    switch (request.method) {
      case 'PUT': {
        const obj = await env.FILES.put(key, request.body, { httpMetadata: request.headers });
        ctx.waitUntil(cache.delete(url.toString()));
        return new Response(`stored ${obj?.key} (${obj?.size} bytes)\n`, { status: 201 });
      }
      case 'DELETE':
        await env.FILES.delete(key);
        ctx.waitUntil(cache.delete(url.toString()));
        return new Response(null, { status: 204 });
      case 'GET':
      case 'HEAD': {
        // Whole-object GETs come from the cache when they can.
        const cacheKey = new Request(url.toString(), { method: 'GET' });
        if (!request.headers.has('range')) {
          const hit = await cache.match(request);
          if (hit) return hit;
        }
        const obj = await env.FILES.get(key, { range: request.headers, onlyIf: request.headers });
        if (obj === null) return new Response('not found\n', { status: 404 });
        const headers = new Headers();
        obj.writeHttpMetadata(headers);
        headers.set('etag', obj.httpEtag);
        headers.set('accept-ranges', 'bytes');
        if (!('body' in obj)) return new Response(null, { status: 304, headers });
        if (obj.range && request.headers.has('range')) {
          headers.set('content-range', `bytes ${obj.range.offset}-${obj.range.offset + obj.range.length - 1}/${obj.size}`);
          return new Response(request.method === 'HEAD' ? null : obj.body, { status: 206, headers });
        }
        headers.set('cache-control', 'public, max-age=3600');
        const response = new Response(request.method === 'HEAD' ? null : obj.body, { headers });
        if (request.method === 'GET') ctx.waitUntil(cache.put(cacheKey, response.clone()));
        return response;
      }
    }
    return new Response('method not allowed\n', { status: 405, headers: { allow: 'GET, HEAD, PUT, DELETE' } });
  },
};
