// The Cache API in a JavaScript Worker for Bindery: caches.default in
// front of an "upstream" the Worker makes itself, a named cache for large
// streamed bodies, and the calls put, match and delete as Workers use them.
// bindery dev bundles and serves it (main = "worker.js"). Routes go by prefix;
// examples/cachejs_test.go drives each of them.
//
//   GET  /page?...        cache-aside: a hit (with the request's Range and
//                         If-None-Match applied) or the upstream response,
//                         stored for next time (?cc= its Cache-Control,
//                         ?cookie= a Set-Cookie, ?n= its size in lines)
//   GET  /stream?size=N   N bytes made by a ReadableStream, stored in the
//                         cache "big" chunk by chunk, answered from it
//   PUT  /store/...       the request body, stored as it streams in
//   GET  /store/...       what PUT stored, or 404
//   GET  /match?key=URL&method=M&ignoreMethod=1   status of a match, or 404
//   GET  /delete?key=URL&method=M&ignoreMethod=1  {"deleted":true|false}
//   GET  /refused?kind=post|206|vary|name         the TypeError put throws
//   ?cache=NAME on any route uses caches.open(NAME) instead of the default.

const LAST_MODIFIED = 'Tue, 01 Dec 2026 10:00:00 GMT';

// upstream is what an origin would answer for url.
function upstream(url) {
  const n = Number(url.searchParams.get('n') ?? 1);
  const headers = new Headers({
    'content-type': 'text/plain; charset=utf-8',
    'cache-control': url.searchParams.get('cc') ?? 'public, max-age=60',
    etag: '"v1"',
    'last-modified': LAST_MODIFIED,
  });
  if (url.searchParams.has('cookie')) headers.set('set-cookie', url.searchParams.get('cookie'));
  return new Response(`upstream ${url.pathname}${url.search}\n`.repeat(n), { headers });
}

// generated is a body of size bytes ('a' to 'z' over and over) in 64 KiB chunks.
function generated(size) {
  let sent = 0;
  return new ReadableStream({
    pull(controller) {
      if (sent >= size) {
        controller.close();
        return;
      }
      const n = Math.min(64 << 10, size - sent);
      const chunk = new Uint8Array(n);
      for (let i = 0; i < n; i++) chunk[i] = 97 + ((sent + i) % 26);
      sent += n;
      controller.enqueue(chunk);
    },
  });
}

export default {
  async fetch(request, env, ctx) {
    const url = new URL(request.url);
    const q = url.searchParams;
    const cache = q.has('cache') ? await caches.open(q.get('cache')) : caches.default;
    const p = url.pathname;

    if (p.startsWith('/page')) {
      const hit = await cache.match(request);
      if (hit) return hit;
      await cache.put(request, upstream(url));
      const miss = upstream(url);
      miss.headers.set('x-cache', 'MISS');
      return miss;
    }
    if (p.startsWith('/stream')) {
      const big = await caches.open('big');
      const size = Number(q.get('size'));
      await big.put(request, new Response(generated(size), { headers: { 'cache-control': 'max-age=600' } }));
      return (await big.match(request)) ?? new Response('not stored\n', { status: 500 });
    }
    if (p.startsWith('/store')) {
      if (request.method === 'PUT') {
        const key = new Request(request.url); // a GET of the same URL
        await cache.put(key, new Response(request.body, { headers: { 'cache-control': 'max-age=60', 'content-type': 'application/octet-stream' } }));
        return new Response(null, { status: 204 });
      }
      return (await cache.match(request)) ?? new Response('miss\n', { status: 404 });
    }
    if (p.startsWith('/match') || p.startsWith('/delete')) {
      const key = new Request(q.get('key'), { method: q.get('method') ?? 'GET' });
      const options = { ignoreMethod: q.has('ignoreMethod') };
      if (p.startsWith('/delete')) return Response.json({ deleted: await cache.delete(key, options) });
      const hit = await cache.match(key, options);
      return hit ? new Response(`${hit.status}\n`) : new Response('miss\n', { status: 404 });
    }
    if (p.startsWith('/refused')) {
      try {
        switch (q.get('kind')) {
          case 'post':
            await cache.put(new Request(url.href, { method: 'POST' }), new Response('x'));
            break;
          case '206':
            await cache.put(url.href, new Response('x', { status: 206 }));
            break;
          case 'vary':
            await cache.put(url.href, new Response('x', { headers: { vary: 'Accept-Encoding, *' } }));
            break;
          case 'name':
            await caches.open('n'.repeat(1024));
            break;
        }
      } catch (e) {
        return new Response(`${e.name}: ${e.message}\n`, { status: 400 });
      }
      return new Response('not refused\n');
    }
    return new Response('not found\n', { status: 404 });
  },
};
