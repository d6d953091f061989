// The Queues and cron Worker of queue_test.go (TestQueueEngine): the SDK's
// queue API in the engine, through the host's broker. POST /send sends
// one message of each content type (and a batch); the queue handler
// records, per message, what the body is in this realm (its class, its
// value) under "got:<key>", and acts on the body's "mode"; the scheduled
// handler records its controller.

const hex = (b) => Array.from(new Uint8Array(b.buffer ?? b, b.byteOffset ?? 0, b.byteLength), (x) => x.toString(16).padStart(2, '0')).join('');

// describe is a decoded body as JSON can show it, with the classes (of
// this realm) of its parts.
function describe(v) {
  if (v instanceof Uint8Array) return { class: 'Uint8Array', hex: hex(v) };
  if (v instanceof ArrayBuffer) return { class: 'ArrayBuffer', hex: hex(new Uint8Array(v)) };
  if (v instanceof Date) return { class: 'Date', ms: v.getTime() };
  if (v instanceof Map) return { class: 'Map', entries: [...v].map(([k, x]) => [describe(k), describe(x)]) };
  if (typeof v === 'bigint') return { class: 'BigInt', value: String(v) };
  if (Array.isArray(v)) return { class: 'Array', items: v.map(describe) };
  if (v !== null && typeof v === 'object') return { class: 'Object', fields: Object.fromEntries(Object.entries(v).map(([k, x]) => [k, describe(x)])) };
  return { class: typeof v, value: v };
}

export default {
  async fetch(request, env) {
    const url = new URL(request.url);
    try {
      if (url.pathname === '/send') {
        await env.JOBS.send('t1', { contentType: 'text' });
        await env.JOBS.send(new Uint8Array([0xb1, 0x00, 0xff]), { contentType: 'bytes' });
        await env.JOBS.send({ key: 'j1', list: [1, 'two'] }, { contentType: 'json' });
        await env.JOBS.send({ key: 'v1', big: 2n ** 70n, when: new Date(1234), map: new Map([['k', new Uint8Array([7])]]) });
        await env.JOBS.sendBatch([
          { body: { key: 'r1', mode: 'retry' }, contentType: 'json' },
          { body: { key: 'a1', mode: 'ack-then-retry' }, contentType: 'json' },
        ]);
        return Response.json({ ok: true });
      }
      if (url.pathname === '/errors') {
        const out = {};
        for (const [name, f] of Object.entries({
          type: () => env.JOBS.send('x', { contentType: 'yaml' }),
          large: () => env.JOBS.send('x'.repeat(131072), { contentType: 'text' }),
          delay: () => env.JOBS.send('x', { delaySeconds: 86401 }),
          empty: () => env.JOBS.sendBatch([]),
          clone: () => env.JOBS.send({ f() {} }),
        })) {
          try {
            await f();
            out[name] = 'no error';
          } catch (e) {
            out[name] = `${e.name}${e.code ? ' ' + e.code : ''}: ${e.message}`;
          }
        }
        out.missing = String(env.NO_SUCH_BINDING);
        return Response.json(out);
      }
      if (url.pathname.startsWith('/get/')) {
        return new Response((await env.STORE.get(decodeURIComponent(url.pathname.slice(5)))) ?? 'null');
      }
    } catch (e) {
      return new Response(String(e && e.stack), { status: 500 });
    }
    return new Response('not found', { status: 404 });
  },

  async queue(batch, env, ctx) {
    for (const m of batch.messages) {
      const b = m.body;
      const key = typeof b === 'string' ? b : b instanceof Uint8Array ? hex(b) : b.key;
      const got = {
        queue: batch.queue, id: m.id, timestampIsDate: m.timestamp instanceof Date, age: Date.now() - m.timestamp.getTime(),
        attempts: m.attempts, body: describe(b),
      };
      // The last attempt's record wins; the attempts are counted.
      ctx.waitUntil(env.STORE.put(`got:${key}`, JSON.stringify(got)));
      switch (b.mode) {
        case 'retry': if (m.attempts < 2) m.retry(); break;
        case 'ack-then-retry': m.ack(); m.retry(); break;
      }
    }
  },

  async scheduled(controller, env, ctx) {
    ctx.waitUntil(new Promise((r) => setTimeout(r, 5)).then(() => env.STORE.put(`cron:${controller.cron}`, JSON.stringify({
      cron: controller.cron, scheduledTime: controller.scheduledTime, type: controller.type, noRetry: controller.noRetry(),
      isNumber: typeof controller.scheduledTime === 'number',
    }))));
    if (controller.cron === 'fail') throw new RangeError('scheduled failed on purpose');
  },
};
