/* global COUNTS, GREETING */
addEventListener('fetch', (event) => {
  event.respondWith(handle(event.request));
});

async function handle(request) {
  const { pathname } = new URL(request.url);
  if (pathname === '/') return new Response(`${GREETING} from a service worker\n`);
  if (pathname === '/count') {
    const n = Number((await COUNTS.get('n')) ?? 0) + 1;
    await COUNTS.put('n', String(n));
    return new Response(`${n}\n`);
  }
  return new Response('not found\n', { status: 404 });
}
