// Tests of src/queue.js under node (node --test): what send and sendBatch
// hand the host for each content type and the errors they throw; the
// consumer's recording of ack/retry/ackAll/retryAll with workerd's rules
// and warnings; bodies decoded per content type; the outcome of a handler
// that throws, that has waitUntil promises, or that is missing; the
// scheduled handler. Run by queue_test.go (go test ./guest-sdk/js -run
// TestQueueNode).

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { installQueues, openQueue, serveQueue, serveScheduled, WorkerQueue, ScheduledController, QueueEvent, ScheduledEvent } from '../src/queue.js';
import { installEvents } from '../src/web/events.js';
import { WorkerEntrypoint } from '../src/entrypoint.js';
import { serialize, deserialize } from '../src/structured.js';
import { BindingError } from '../src/errors.js';

class Trap extends Error {}

const warnings = [];
const env = { NAME: 'env' };
const events = { started: 0, ended: 0 };
installQueues({
  env,
  failureReason: (e) => 'Uncaught ' + (e instanceof Error ? `${e.name}: ${e.message}` : String(e)),
  isTrap: (e) => e instanceof Trap,
  started: () => { events.started++; },
  afterEvent: () => { events.ended++; },
  warn: (m) => warnings.push(m),
});

// fakeQueue records what the SDK sends; fail makes its calls fail as the host does.
function fakeQueue(fail) {
  const sent = [];
  const hostError = () => Object.assign(new Error('host error'), { payload: fail });
  return {
    sent,
    send(req) { if (fail) throw hostError(); sent.push({ ...req }); },
    sendBatch(reqs, delay) { if (fail) throw hostError(); sent.push({ batch: reqs.map((r) => ({ ...r })), delay }); },
  };
}

const utf8 = (b) => new TextDecoder().decode(b);

test('openQueue: a name the host refuses is no queue', () => {
  assert.equal(openQueue('NOPE', () => { throw Object.assign(new Error('x'), { payload: { tag: 'no-such-queue', val: 'no' } }); }), undefined);
  assert.ok(openQueue('Q', () => fakeQueue()) instanceof WorkerQueue);
});

test('send: content types', async (t) => {
  const cases = [
    { name: 'default is v8', body: { a: 1, b: new Uint8Array([1, 2]) }, opts: undefined, type: 'v8', check: (b) => assert.deepEqual(deserialize(b), { a: 1, b: new Uint8Array([1, 2]) }) },
    { name: 'v8 explicit', body: new Map([[1, 'x']]), opts: { contentType: 'v8' }, type: 'v8', check: (b) => assert.deepEqual(b, serialize(new Map([[1, 'x']]))) },
    { name: 'json', body: { k: 'v', n: [1, 2] }, opts: { contentType: 'json' }, type: 'json', check: (b) => assert.equal(utf8(b), '{"k":"v","n":[1,2]}') },
    { name: 'json string', body: 'hi', opts: { contentType: 'json' }, type: 'json', check: (b) => assert.equal(utf8(b), '"hi"') },
    { name: 'text', body: 'héllo', opts: { contentType: 'text' }, type: 'text', check: (b) => assert.equal(utf8(b), 'héllo') },
    { name: 'text, any case', body: 'x', opts: { contentType: 'TEXT' }, type: 'text', check: (b) => assert.equal(utf8(b), 'x') },
    { name: 'bytes Uint8Array', body: new Uint8Array([0, 1, 255]), opts: { contentType: 'bytes' }, type: 'bytes', check: (b) => assert.deepEqual([...b], [0, 1, 255]) },
    { name: 'bytes view of part', body: new Uint8Array([9, 1, 2, 9]).subarray(1, 3), opts: { contentType: 'bytes' }, type: 'bytes', check: (b) => assert.deepEqual([...b], [1, 2]) },
    { name: 'bytes DataView', body: new DataView(new Uint8Array([7, 8]).buffer), opts: { contentType: 'bytes' }, type: 'bytes', check: (b) => assert.deepEqual([...b], [7, 8]) },
    { name: 'bytes ArrayBuffer', body: new Uint8Array([5]).buffer, opts: { contentType: 'bytes' }, type: 'bytes', check: (b) => assert.deepEqual([...b], [5]) },
  ];
  for (const c of cases) {
    await t.test(c.name, async () => {
      const h = fakeQueue();
      const q = new WorkerQueue(h);
      assert.equal(await q.send(c.body, c.opts), undefined);
      assert.equal(h.sent.length, 1);
      assert.equal(h.sent[0].contentType, c.type);
      assert.equal(h.sent[0].delaySeconds, undefined);
      c.check(h.sent[0].body);
    });
  }
});

test('send: bytes are copied', async () => {
  const h = fakeQueue();
  const b = new Uint8Array([1]);
  await new WorkerQueue(h).send(b, { contentType: 'bytes' });
  b[0] = 2;
  assert.deepEqual([...h.sent[0].body], [1]);
});

test('send: delaySeconds', async () => {
  const h = fakeQueue();
  await new WorkerQueue(h).send('x', { contentType: 'text', delaySeconds: 30 });
  assert.equal(h.sent[0].delaySeconds, 30);
});

test('send: errors', async (t) => {
  const cases = [
    { name: 'unsupported type', body: 'x', opts: { contentType: 'xml' }, err: { name: 'TypeError', message: 'Unsupported queue message content type: xml' } },
    { name: 'undefined body', body: undefined, opts: undefined, err: { name: 'TypeError', message: 'Message body cannot be undefined' } },
    { name: 'text of a number', body: 1, opts: { contentType: 'text' }, err: { name: 'TypeError', message: 'Content Type "text" requires a value of type string, but received: number' } },
    { name: 'bytes of a string', body: 's', opts: { contentType: 'bytes' }, err: { name: 'TypeError', message: 'Content Type "bytes" requires a value of type ArrayBufferView, but received: string' } },
    { name: 'json of a function', body: () => 1, opts: { contentType: 'json' }, err: { name: 'TypeError' } },
    { name: 'v8 of a function', body: () => 1, opts: undefined, err: { name: 'DataCloneError' } },
    { name: 'negative delay', body: 'x', opts: { contentType: 'text', delaySeconds: -1 }, err: { name: 'BindingError', code: 'invalid-argument' } },
    { name: 'fractional delay', body: 'x', opts: { contentType: 'text', delaySeconds: 1.5 }, err: { name: 'BindingError', code: 'invalid-argument' } },
  ];
  for (const c of cases) {
    await t.test(c.name, async () => {
      const h = fakeQueue();
      const p = new WorkerQueue(h).send(c.body, c.opts);
      assert.ok(p instanceof Promise, 'send returns a promise, even when it fails');
      await assert.rejects(p, c.err);
      assert.equal(h.sent.length, 0);
    });
  }
  await t.test('the host\'s error', async () => {
    const h = fakeQueue({ tag: 'too-large', val: 'message of 131072 bytes is over 128 KB' });
    await assert.rejects(new WorkerQueue(h).send('x'), (e) => {
      assert.ok(e instanceof BindingError);
      assert.ok(e instanceof Error);
      assert.equal(e.code, 'too-large');
      assert.equal(e.message, 'too-large: message of 131072 bytes is over 128 KB');
      return true;
    });
  });
});

test('sendBatch', async () => {
  const h = fakeQueue();
  const q = new WorkerQueue(h);
  await q.sendBatch([{ body: 'a', contentType: 'text' }, { body: { n: 1 }, contentType: 'json', delaySeconds: 5 }, { body: [1] }], { delaySeconds: 9 });
  const [{ batch, delay }] = h.sent;
  assert.equal(delay, 9);
  assert.deepEqual(batch.map((r) => [r.contentType, r.delaySeconds]), [['text', undefined], ['json', 5], ['v8', undefined]]);
  assert.equal(utf8(batch[1].body), '{"n":1}');
  assert.deepEqual(deserialize(batch[2].body), [1]);
  await q.sendBatch(new Set([{ body: 'it' }])); // any iterable
  assert.equal(h.sent[1].delay, undefined);
  await assert.rejects(q.sendBatch([]), { name: 'TypeError', message: 'sendBatch() requires at least one message' });
  await assert.rejects(q.sendBatch([{ body: 'x', contentType: 'nope' }]), { name: 'TypeError', message: 'Unsupported queue message content type: nope' });
  await assert.rejects(q.sendBatch([{ body: undefined }]), { name: 'TypeError', message: 'Message body cannot be undefined' });
  await assert.rejects(q.sendBatch(undefined), TypeError);
  await assert.rejects(new WorkerQueue(fakeQueue({ tag: 'too-large', val: 'a batch of 101 messages' })).sendBatch([{ body: 1 }]), { code: 'too-large', message: 'too-large: a batch of 101 messages' });
  assert.equal(h.sent.length, 2);
});

// delivered is a WIT message.
const delivered = (i, body, contentType = 'text') => ({
  id: i.toString(16).padStart(32, '0'), timestamp: 1700000000000n + BigInt(i), contentType, attempts: i + 1,
  body: typeof body === 'string' ? new TextEncoder().encode(body) : body,
});

test('queue: messages as workerd gives them', async () => {
  let seen;
  const consumer = serveQueue({ default: { async queue(batch, e, ctx) { seen = { batch, e, ctx, self: this }; } } });
  const msgs = [
    delivered(0, 'héllo'),
    delivered(1, new Uint8Array([0, 1, 255]), 'bytes'),
    delivered(2, '{"k":[1,"x"]}', 'json'),
    delivered(3, serialize({ key: 'v', b: new Uint8Array([1]), d: new Date(5) }), 'v8'),
  ];
  const out = await consumer.queue('jobs', msgs);
  assert.deepEqual(out, { acked: [], retried: [], ackAll: false, retryAll: false, retryAllDelay: undefined, error: undefined });
  const { batch } = seen;
  assert.equal(seen.e, env);
  assert.equal(typeof seen.ctx.waitUntil, 'function');
  assert.equal(batch.queue, 'jobs');
  assert.equal(batch.messages.length, 4);
  const [t0, b1, j2, v3] = batch.messages;
  assert.equal(t0.id, '00000000000000000000000000000000');
  assert.ok(t0.timestamp instanceof Date);
  assert.equal(t0.timestamp.getTime(), 1700000000000);
  assert.equal(t0.attempts, 1);
  assert.equal(t0.body, 'héllo');
  assert.ok(b1.body instanceof Uint8Array);
  assert.deepEqual([...b1.body], [0, 1, 255]);
  assert.deepEqual(j2.body, { k: [1, 'x'] });
  assert.deepEqual(v3.body, { key: 'v', b: new Uint8Array([1]), d: new Date(5) });
  assert.equal(v3.attempts, 4);
  // Each read is a new array of the same messages, as workerd's.
  batch.messages.reverse();
  assert.equal(batch.messages[0], t0);
  assert.notEqual(batch.messages, batch.messages);
});

// The rules, as workerd's QueueMessage and QueueEvent apply them: each
// case is the calls a handler makes, and the outcome and warnings that
// result.
test('queue: ack and retry rules', async (t) => {
  const id = (i) => i.toString(16).padStart(32, '0');
  const cases = [
    { name: 'nothing', calls: [], out: {} },
    { name: 'ack', calls: [['ack', 0]], out: { acked: [0] } },
    { name: 'ack twice', calls: [['ack', 0], ['ack', 0]], out: { acked: [0] } },
    { name: 'retry with delay', calls: [['retry', 1, { delaySeconds: 7 }]], out: { retried: [{ index: 1, delaySeconds: 7 }] } },
    { name: 'retry, then retry with a delay', calls: [['retry', 0], ['retry', 0, { delaySeconds: 3 }]], out: { retried: [{ index: 0, delaySeconds: 3 }] } },
    { name: 'retry with a delay, then retry', calls: [['retry', 0, { delaySeconds: 3 }], ['retry', 0]], out: { retried: [{ index: 0, delaySeconds: 3 }] } },
    {
      name: 'ack then retry', calls: [['ack', 0], ['retry', 0]], out: { acked: [0] },
      warn: [`Received a call to retry() on message ${id(0)} after ack() was already called. Calling retry() on a message after calling ack() has no effect.`],
    },
    {
      name: 'retry then ack', calls: [['retry', 1], ['ack', 1]], out: { retried: [{ index: 1, delaySeconds: undefined }] },
      warn: [`Received a call to ack() on message ${id(1)} after retry() was already called. Calling ack() on a message after calling retry() has no effect.`],
    },
    { name: 'ack all', calls: [['ackAll']], out: { ackAll: true } },
    { name: 'ack after ackAll: silently nothing', calls: [['ackAll'], ['ack', 0]], out: { ackAll: true } },
    {
      name: 'retry after ackAll', calls: [['ackAll'], ['retry', 0]], out: { ackAll: true },
      warn: [`Received a call to retry() on message ${id(0)} after ackAll() was already called. Calling retry() on a message after calling ackAll() has no effect.`],
    },
    {
      name: 'retryAll after ackAll', calls: [['ackAll'], ['retryAll']], out: { ackAll: true },
      warn: ['Received a call to retryAll() after ackAll() was already called. Calling retryAll() after calling ackAll() has no effect.'],
    },
    { name: 'retryAll with delay', calls: [['retryAll', { delaySeconds: 60 }]], out: { retryAll: true, retryAllDelay: 60 } },
    {
      name: 'ackAll after retryAll', calls: [['retryAll'], ['ackAll']], out: { retryAll: true },
      warn: ['Received a call to ackAll() after retryAll() was already called. Calling ackAll() after calling retryAll() has no effect.'],
    },
    {
      name: 'ack after retryAll', calls: [['retryAll'], ['ack', 1]], out: { retryAll: true },
      warn: [`Received a call to ack() on message ${id(1)} after retryAll() was already called. Calling ack() on a message after calling retryAll() has no effect.`],
    },
    { name: 'retry after retryAll counts', calls: [['retryAll'], ['retry', 1, { delaySeconds: 2 }]], out: { retryAll: true, retried: [{ index: 1, delaySeconds: 2 }] } },
    { name: 'ack before retryAll stays', calls: [['ack', 0], ['retryAll', { delaySeconds: 1 }]], out: { acked: [0], retryAll: true, retryAllDelay: 1 } },
    { name: 'retry before ackAll stays', calls: [['retry', 1], ['ackAll']], out: { ackAll: true, retried: [{ index: 1, delaySeconds: undefined }] } },
    { name: 'acks in index order', calls: [['ack', 1], ['ack', 0]], out: { acked: [0, 1] } },
  ];
  for (const c of cases) {
    await t.test(c.name, async () => {
      warnings.length = 0;
      const consumer = serveQueue({
        default: {
          queue(batch) {
            for (const [op, a, b] of c.calls) {
              if (op === 'ack' || op === 'retry') batch.messages[a][op](b);
              else batch[op](a);
            }
          },
        },
      });
      const out = await consumer.queue('q', [delivered(0, 'a'), delivered(1, 'b')]);
      assert.deepEqual(out, { acked: [], retried: [], ackAll: false, retryAll: false, retryAllDelay: undefined, error: undefined, ...c.out });
      assert.deepEqual(warnings, c.warn ?? []);
    });
  }
});

test('queue: a thrown error is the outcome\'s error; what was recorded stays', async () => {
  const consumer = serveQueue({ default: { async queue(batch) { batch.messages[0].ack(); throw new RangeError('boom k'); } } });
  const out = await consumer.queue('q', [delivered(0, 'a'), delivered(1, 'b')]);
  assert.deepEqual(out.acked, [0]);
  assert.equal(out.error, 'Uncaught RangeError: boom k');
});

test('queue: a body that does not decode fails the batch', async () => {
  let called = false;
  const consumer = serveQueue({ default: { queue() { called = true; } } });
  const out = await consumer.queue('q', [delivered(0, '{nope', 'json')]);
  assert.equal(called, false);
  assert.match(out.error, /^Uncaught SyntaxError/);
});

test('queue: waitUntil is awaited before the outcome', async () => {
  let done = false;
  const before = events.ended;
  const consumer = serveQueue({
    default: {
      queue(batch, e, ctx) {
        ctx.waitUntil(new Promise((r) => setTimeout(r, 20)).then(() => { done = true; batch.messages[0].retry({ delaySeconds: 4 }); }));
        ctx.waitUntil(Promise.reject(new Error('ignored')));
      },
    },
  });
  const out = await consumer.queue('q', [delivered(0, 'a')]);
  assert.equal(done, true);
  assert.deepEqual(out.retried, [{ index: 0, delaySeconds: 4 }]);
  assert.equal(out.error, undefined);
  assert.equal(events.ended, before + 1);
});

test('queue: a trap is not caught', async () => {
  const consumer = serveQueue({ default: { queue() { throw new Trap('t'); } } });
  await assert.rejects(consumer.queue('q', []), Trap);
});

test('queue: no handler', async () => {
  for (const worker of [{}, { default: { fetch() {} } }, { queue() {} }]) {
    const out = await serveQueue(worker).queue('q', [delivered(0, 'a')]);
    assert.equal(out.error, 'no queue handler: Handler does not export a queue() function.');
    assert.deepEqual([out.acked, out.retried, out.ackAll, out.retryAll], [[], [], false, false]);
  }
});

test('scheduled', async (t) => {
  await t.test('controller', async () => {
    let seen;
    const h = serveScheduled({ default: { async scheduled(c, e, ctx) { seen = { c, e, ctx }; c.noRetry(); } } });
    assert.deepEqual(await h.scheduled({ cron: '*/5 * * * *', scheduledTime: 1700000100000n }), { tag: 'ok', val: undefined });
    assert.ok(seen.c instanceof ScheduledController);
    assert.equal(seen.c.cron, '*/5 * * * *');
    assert.equal(seen.c.scheduledTime, 1700000100000);
    assert.equal(typeof seen.c.scheduledTime, 'number');
    assert.equal(seen.c.type, 'scheduled');
    assert.equal(seen.e, env);
    assert.equal(typeof seen.ctx.waitUntil, 'function');
  });
  await t.test('thrown', async () => {
    const h = serveScheduled({ default: { scheduled() { throw new Error('cron boom'); } } });
    assert.deepEqual(await h.scheduled({ cron: 'c', scheduledTime: 0n }), { tag: 'err', val: 'Uncaught Error: cron boom' });
  });
  await t.test('waitUntil', async () => {
    let done = false;
    const h = serveScheduled({ default: { scheduled(c, e, ctx) { ctx.waitUntil(new Promise((r) => setTimeout(r, 10)).then(() => { done = true; })); } } });
    await h.scheduled({ cron: 'c', scheduledTime: 0n });
    assert.equal(done, true);
  });
  await t.test('no handler', async () => {
    const h = serveScheduled({ default: { fetch() {} } });
    assert.deepEqual(await h.scheduled({ cron: 'c', scheduledTime: 0n }), { tag: 'err', val: 'no scheduled handler: Handler does not export a scheduled() function.' });
  });
  await t.test('trap', async () => {
    const h = serveScheduled({ default: { scheduled() { throw new Trap('t'); } } });
    await assert.rejects(h.scheduled({ cron: 'c', scheduledTime: 0n }), Trap);
  });
});

// Service-worker syntax: listeners added with addEventListener (the SDK's,
// web/events.js) get a QueueEvent or a ScheduledEvent.
test('service worker: queue and scheduled listeners', async () => {
  installEvents();
  const log = [];
  const first = (e) => {
    log.push(['queue', e instanceof QueueEvent, e.type, e.queue, e.messages.map((m) => m.body), e.messages === e.messages]);
    e.messages[0].ack();
    e.waitUntil(new Promise((r) => setTimeout(r, 10)).then(() => { log.push('waited'); e.retryAll({ delaySeconds: 2 }); }));
  };
  const second = { handleEvent(e) { log.push('second'); e.stopImmediatePropagation(); } };
  const third = () => log.push('third');
  const onScheduled = (e) => {
    log.push(['scheduled', e instanceof ScheduledEvent, e.type, e.cron, e.scheduledTime]);
    e.noRetry();
    e.waitUntil(Promise.resolve().then(() => log.push('waited')));
  };
  addEventListener('queue', first);
  addEventListener('queue', second);
  addEventListener('queue', third);
  addEventListener('scheduled', onScheduled);
  try {
    const out = await serveQueue({}).queue('q', [delivered(0, 'a'), delivered(1, 'b')]);
    assert.deepEqual(out, { acked: [0], retried: [], ackAll: false, retryAll: true, retryAllDelay: 2, error: undefined });
    assert.deepEqual(log, [['queue', true, 'queue', 'q', ['a', 'b'], true], 'second', 'waited']);
    log.length = 0;
    assert.deepEqual(await serveScheduled({}).scheduled({ cron: '0 * * * *', scheduledTime: 60000n }), { tag: 'ok', val: undefined });
    assert.deepEqual(log, [['scheduled', true, 'scheduled', '0 * * * *', 60000], 'waited']);
    // A module Worker's default export decides; listeners are not called.
    log.length = 0;
    const out2 = await serveQueue({ default: { fetch() {} } }).queue('q', [delivered(0, 'a')]);
    assert.equal(out2.error, 'no queue handler: Handler does not export a queue() function.');
    assert.deepEqual(log, []);
    // A listener that throws fails the event.
    removeEventListener('queue', first);
    removeEventListener('queue', second);
    removeEventListener('queue', third);
    const boom = () => { throw new Error('listener boom'); };
    addEventListener('queue', boom);
    assert.equal((await serveQueue({}).queue('q', [delivered(0, 'a')])).error, 'Uncaught Error: listener boom');
    removeEventListener('queue', boom);
    removeEventListener('scheduled', onScheduled);
    assert.equal((await serveQueue({}).queue('q', [])).error, 'no queue handler: Handler does not export a queue() function.');
    assert.equal((await serveScheduled({}).scheduled({ cron: 'c', scheduledTime: 0n })).tag, 'err');
  } finally {
    for (const [t, l] of [['queue', first], ['queue', second], ['queue', third], ['scheduled', onScheduled]]) removeEventListener(t, l);
  }
});

// The class form of the default export: a new instance per event, with
// this.env and this.ctx, the handler called with the event's argument only.
test('WorkerEntrypoint class', async () => {
  const made = [];
  class Worker extends WorkerEntrypoint {
    constructor(ctx, env) {
      super(ctx, env);
      made.push(this);
    }
    async queue(batch) {
      assert.equal(arguments.length, 1);
      assert.equal(this.env, env);
      this.ctx.waitUntil(Promise.resolve().then(() => batch.messages[0].ack()));
    }
    scheduled(controller) {
      assert.equal(arguments.length, 1);
      if (controller.cron === 'x') throw new Error(`${this.env.NAME} ${typeof this.ctx.waitUntil}`);
    }
  }
  const out = await serveQueue({ default: Worker }).queue('q', [delivered(0, 'a')]);
  assert.deepEqual(out.acked, [0]);
  assert.equal(out.error, undefined);
  assert.deepEqual(await serveScheduled({ default: Worker }).scheduled({ cron: 'x', scheduledTime: 0n }), { tag: 'err', val: 'Uncaught Error: env function' });
  assert.equal(made.length, 2);
  assert.notEqual(made[0], made[1]);
  // A class without the handler has none; a function with the handler as
  // its own property (a framework's app) is an object Worker.
  assert.equal((await serveQueue({ default: class extends WorkerEntrypoint { fetch() {} } }).queue('q', [])).error, 'no queue handler: Handler does not export a queue() function.');
  const app = Object.assign(() => {}, { queue(batch, e) { assert.equal(e, env); batch.ackAll(); } });
  assert.equal((await serveQueue({ default: app }).queue('q', [delivered(0, 'a')])).ackAll, true);
});
