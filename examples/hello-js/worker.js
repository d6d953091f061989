// A JavaScript Worker for Bindery: a Cloudflare-style module Worker.
// bindery dev bundles and serves it (main = "worker.js" in wrangler.toml).

export default {
  async fetch(request, env, ctx) {
    const url = new URL(request.url);
    if (url.pathname === '/hello') {
      const bytes = new Uint8Array(4);
      crypto.getRandomValues(bytes);
      console.log(`hello-js: ${request.method} ${url.pathname} at ${new Date(Date.now()).toISOString()}`);
      return new Response(`${env.GREETING ?? 'hello'} from js\n`, { headers: { 'content-type': 'text/plain' } });
    }
    if (url.pathname.startsWith('/kv/')) {
      const key = decodeURIComponent(url.pathname.slice(4));
      if (request.method === 'PUT') {
        await env.STORE.put(key, await request.text());
        return new Response(null, { status: 204 });
      }
      const v = await env.STORE.get(key);
      return v === null ? new Response('not found\n', { status: 404 }) : new Response(v);
    }
    if (url.pathname === '/random') {
      const bytes = new Uint8Array(16);
      crypto.getRandomValues(bytes);
      return Response.json({ now: Date.now(), random: Array.from(bytes, (b) => b.toString(16).padStart(2, '0')).join('') });
    }
    return new Response('not found\n', { status: 404 });
  },
};
