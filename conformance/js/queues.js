// The conformance section of Queues and cron triggers (conformance/queues_test.go):
// the /queue and /cron routes, the queue handler and the scheduled
// handler, with Cloudflare's API (env.QUEUE.send, sendBatch; queue(batch),
// scheduled(controller)).

const hex = (b) => Array.from(new Uint8Array(b instanceof ArrayBuffer ? b : b.buffer.slice(b.byteOffset, b.byteOffset + b.byteLength)), (x) => x.toString(16).padStart(2, '0')).join('');
const isBytes = (v) => v instanceof ArrayBuffer || ArrayBuffer.isView(v);

// answer runs f and answers {"ok":true}, or {"error": message} when it throws.
async function answer(f) {
  try {
    await f();
    return Response.json({ ok: true });
  } catch (e) {
    return Response.json({ error: String(e && e.message) });
  }
}

// messageOf is the error message of what f throws, or null.
async function messageOf(f) {
  try {
    await f();
    return null;
  } catch (e) {
    return String(e && e.message);
  }
}

// kvValue answers the KV value of key as it is stored (JSON text), or null.
async function kvValue(env, key) {
  const v = await env.STORE.get(key);
  return new Response(v ?? 'null', { headers: { 'content-type': 'application/json' } });
}

/** queueRoute serves /queue/… and /cron/…; undefined for another path. */
export async function queueRoute(request, env, url) {
  const p = url.pathname;
  const m = request.method;
  if (p === '/queue/send' && m === 'POST') {
    const type = url.searchParams.get('type');
    switch (type) {
      case 'text': { const body = await request.text(); return answer(() => env.QUEUE.send(body, { contentType: 'text' })); }
      case 'bytes': { const body = new Uint8Array(await request.arrayBuffer()); return answer(() => env.QUEUE.send(body, { contentType: 'bytes' })); }
      case 'json': { const body = JSON.parse(await request.text()); return answer(() => env.QUEUE.send(body, { contentType: 'json' })); }
      case 'v8': {
        const body = { key: url.searchParams.get('key'), n: 1.5, b: new Uint8Array([0x00, 0x01, 0xff]) };
        return answer(() => env.QUEUE.send(body)); // v8 is the default
      }
    }
    return Response.json({ error: `unknown type ${type}` }, { status: 400 });
  }
  if (p === '/queue/batch' && m === 'POST') {
    const bodies = await request.json();
    return answer(() => env.QUEUE.sendBatch(bodies.map((body) => ({ body, contentType: 'text' }))));
  }
  if (p === '/queue/limits' && m === 'GET') {
    return Response.json({
      large: await messageOf(() => env.QUEUE.send('x'.repeat(131072), { contentType: 'text' })),
      many: await messageOf(() => env.QUEUE.sendBatch(Array.from({ length: 101 }, () => ({ body: 'x', contentType: 'text' })))),
      delay: await messageOf(() => env.QUEUE.send('x', { contentType: 'text', delaySeconds: 86401 })),
    });
  }
  if (p.startsWith('/queue/seen/') && m === 'GET') return kvValue(env, 'seen:' + decodeURIComponent(p.slice('/queue/seen/'.length)));
  if (p.startsWith('/queue/dead/') && m === 'GET') return kvValue(env, 'dead:' + decodeURIComponent(p.slice('/queue/dead/'.length)));
  if (p === '/cron/last' && m === 'GET') return kvValue(env, 'cron:' + url.searchParams.get('cron'));
  return undefined;
}

// rendered is a decoded body as the section records it: bytes as
// lowercase hex, in a value too.
function rendered(v) {
  if (isBytes(v)) return hex(v);
  if (Array.isArray(v)) return v.map(rendered);
  if (v !== null && typeof v === 'object') return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, rendered(x)]));
  return v;
}

// keyOf is a message's key: the text, the bytes' hex, or the value's key.
const keyOf = (body) => (typeof body === 'string' ? body : isBytes(body) ? hex(body) : body.key);

/** queue is the section's queue handler. */
export async function queue(batch, env) {
  if (batch.queue === 'conf-dlq') {
    for (const m of batch.messages) {
      await env.STORE.put('dead:' + keyOf(m.body), JSON.stringify({ queue: batch.queue, attempts: m.attempts, body: rendered(m.body) }));
    }
    return;
  }
  if (batch.queue !== 'conf-queue') throw new Error(`unexpected queue ${batch.queue}`);
  const thrown = [];
  for (const m of batch.messages) {
    const key = keyOf(m.body);
    await env.STORE.put('seen:' + key, JSON.stringify({
      queue: batch.queue, id: m.id, timestamp: m.timestamp.getTime(), attempts: m.attempts,
      batchSize: batch.messages.length, body: rendered(m.body),
    }));
    const mode = m.body !== null && typeof m.body === 'object' && !isBytes(m.body) ? m.body.mode : undefined;
    switch (mode) {
      case 'ack': m.ack(); break;
      case 'retry': m.retry(); break;
      case 'ack-then-retry': m.ack(); m.retry(); break;
      case 'retry-all': batch.retryAll(); break;
      case 'ack-all-then-retry-all': batch.ackAll(); batch.retryAll(); break;
      case 'throw': thrown.push(key); break;
    }
  }
  if (thrown.length) throw new Error(`boom ${thrown[0]}`);
}

/** scheduled is the section's scheduled handler. */
export async function scheduled(controller, env) {
  await env.STORE.put('cron:' + controller.cron, JSON.stringify({ cron: controller.cron, scheduledTime: controller.scheduledTime }));
  if (controller.cron === '59 23 31 12 *') throw new Error('cron boom');
}
