import { AutoRouter, error, json } from 'itty-router';

const router = AutoRouter();

router
  .post('/links', async (request, env) => {
    const { url, slug } = await request.json();
    let target;
    try {
      target = new URL(url);
    } catch {
      return error(400, 'not a URL');
    }
    const key = slug ?? Math.random().toString(36).slice(2, 8);
    if (await env.LINKS.get(key)) return error(409, `slug ${key} is taken`);
    await env.LINKS.put(key, target.href, { metadata: { hits: 0 } });
    return json({ slug: key, url: target.href }, { status: 201 });
  })
  .get('/links', async (request, env) => {
    const { keys } = await env.LINKS.list();
    return keys.map((k) => k.name);
  })
  .get('/:slug', async ({ params }, env) => {
    const target = await env.LINKS.get(params.slug);
    if (!target) return error(404, 'no such link');
    return Response.redirect(target, 302);
  });

export default { ...router };
