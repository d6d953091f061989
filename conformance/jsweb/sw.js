// The Web API Worker in service-worker syntax (conformance/jsweb_test.go):
// no exports, a fetch listener, and the bindings as globals (GREETING,
// API_TOKEN, STORE, FILES), as Cloudflare runs such a script.
//
//   bindery dev conformance/jsweb/sw.js   (or bindery build: it bundles it)

addEventListener('fetch', (event) => {
  const url = new URL(event.request.url);
  if (url.pathname === '/no-respond') return; // nobody calls respondWith
  if (url.pathname === '/respond-twice') {
    event.respondWith(new Response('first'));
    try {
      event.respondWith(new Response('second'));
    } catch (e) {
      twice = `${e.name}`;
    }
    return;
  }
  if (url.pathname === '/respond-late') {
    // respondWith after the listener returned is too late.
    Promise.resolve().then(() => event.respondWith(new Response('late')));
    return;
  }
  event.respondWith(handle(event, url));
});

// A second listener sees the same event; it answers nothing.
addEventListener('fetch', (event) => {
  seen.push(event.request.method);
});

let twice = '';
const seen = [];

async function handle(event, url) {
  const p = url.pathname;
  const m = event.request.method;
  switch (p) {
    case '/hello': return new Response('hello from sw');
    case '/vars':
      return Response.json({
        greeting: GREETING,
        secret: typeof API_TOKEN === 'string' && API_TOKEN.length > 0,
        viaSelf: self.GREETING === GREETING && globalThis.STORE === STORE,
        missing: typeof NOT_A_BINDING,
      });
    case '/event':
      return Response.json({
        isFetchEvent: event instanceof FetchEvent,
        isEvent: event instanceof Event,
        type: event.type,
        isRequest: event.request instanceof Request,
        colo: event.request.cf && event.request.cf.colo,
        twice,
        seen: seen.length > 0,
      });
    case '/wait-until': {
      const key = url.searchParams.get('key');
      // The response goes out first; the put finishes before the request ends.
      event.waitUntil(scheduler.wait(20).then(() => STORE.put(key, 'done')));
      return new Response('accepted', { status: 202 });
    }
    case '/pass-through':
      event.passThroughOnException(); // no origin to pass to: a no-op
      throw new Error('SWFailure: thrown after passThroughOnException');
  }
  if (p.startsWith('/kv/')) {
    const key = p.slice(4);
    if (m === 'PUT') {
      await STORE.put(key, await event.request.arrayBuffer());
      return new Response(null, { status: 204 });
    }
    const v = await STORE.get(key);
    return v === null ? new Response('not found', { status: 404 }) : new Response(v);
  }
  if (p.startsWith('/r2/')) {
    const key = p.slice(4);
    if (m === 'PUT') {
      const obj = await FILES.put(key, event.request.body);
      return Response.json({ size: obj.size }, { status: 201 });
    }
    const obj = await FILES.get(key);
    return obj === null ? new Response('not found', { status: 404 }) : new Response(obj.body);
  }
  return new Response('no route', { status: 404 });
}
