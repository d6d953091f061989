// bench/run-http.sh serves this JavaScript Worker for the bindery-js rows: the
// same code as bench/miniflare/worker.mjs, the Miniflare peer, for a like-for-like row.
export default {
  async fetch(request, env) {
    const path = new URL(request.url).pathname;
    if (path === "/hello") {
      return new Response("hello", { headers: { "content-type": "text/plain; charset=utf-8" } });
    }
    if (path.startsWith("/kv/")) {
      const key = decodeURIComponent(path.slice(4));
      if (request.method === "GET") {
        const v = await env.STORE.get(key, "arrayBuffer");
        if (v === null) return new Response("not found\n", { status: 404 });
        return new Response(v, { headers: { "content-type": "application/octet-stream" } });
      }
      if (request.method === "PUT") {
        await env.STORE.put(key, await request.arrayBuffer());
        return new Response(null, { status: 204 });
      }
      return new Response("method not allowed\n", { status: 405 });
    }
    return new Response("not found\n", { status: 404 });
  },
};
