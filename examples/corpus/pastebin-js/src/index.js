// A KV pastebin: the kind of Worker people write first.
const ALPHABET = 'abcdefghijkmnpqrstuvwxyz23456789';

function newId() {
  const bytes = crypto.getRandomValues(new Uint8Array(8));
  return Array.from(bytes, (b) => ALPHABET[b % ALPHABET.length]).join('');
}

export default {
  async fetch(request, env) {
    const url = new URL(request.url);
    const [, id, sub] = url.pathname.split('/');
    if (request.method === 'POST' && !id) {
      const text = await request.text();
      if (!text) return new Response('empty paste\n', { status: 400 });
      if (new TextEncoder().encode(text).length > env.MAX_PASTE_BYTES) {
        return new Response('paste too large\n', { status: 413 });
      }
      const pasteId = newId();
      await env.PASTES.put(pasteId, text, {
        expirationTtl: env.TTL_SECONDS,
        metadata: { created: new Date().toISOString(), size: text.length },
      });
      return Response.json({ id: pasteId, url: `${url.origin}/${pasteId}` }, { status: 201 });
    }
    if (!id) return new Response('POST a paste to /\n');
    if (request.method === 'DELETE') {
      await env.PASTES.delete(id);
      return new Response(null, { status: 204 });
    }
    const { value, metadata } = await env.PASTES.getWithMetadata(id);
    if (value === null) return new Response('no such paste\n', { status: 404 });
    if (sub === 'meta') {
      const listed = await env.PASTES.list({ prefix: id });
      return Response.json({ ...metadata, expiration: listed.keys[0]?.expiration ?? null });
    }
    return new Response(value, { headers: { 'content-type': 'text/plain; charset=utf-8' } });
  },
};
