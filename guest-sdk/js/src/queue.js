// Bindery JavaScript Worker runtime: Cloudflare Queues and cron triggers,
// with workerd's API (src/workerd/api/queue.c++, scheduled.h) over
// bindery:queue (wit/deps/queue/queue.wit) and bindery:scheduled
// (wit/deps/scheduled/scheduled.wit).
//
// - A producer binding (env.QUEUE) is a WorkerQueue: send(body,
//   {contentType, delaySeconds}) and sendBatch(messages, {delaySeconds}).
//   The default content type is "v8", the structured-value encoding
//   (structured.js), which every Bindery SDK reads.
// - The Worker's default export's queue(batch, env, ctx) (or a
//   WorkerEntrypoint class's queue(batch): entrypoint.js) serves the
//   bindery:queue/consumer export (serveQueue): the SDK records what the
//   handler calls (ack, retry, ackAll, retryAll) with workerd's rules and
//   warnings, and returns them as the outcome; the host applies it.
// - Its scheduled(controller, env, ctx) serves bindery:scheduled/handler
//   (serveScheduled).
// - A service worker (no default export) gets a QueueEvent or a
//   ScheduledEvent in its "queue" and "scheduled" listeners instead
//   (addEventListener, web/events.js).
//
// The module imports no host interface: runtime.js lends it the host's
// queue resource and the event machinery (installQueues), so that it runs
// under node too (test/queue.test.mjs).
import { BindingError } from './errors.js';
import { serialize, deserialize, refuseClone } from './structured.js';
import { listenersOf } from './web/events.js';
import { handlerMethod, isModuleWorker } from './entrypoint.js';

const encoder = new TextEncoder();
const decoder = new TextDecoder();
const U32_MAX = 2 ** 32 - 1;

// deps are what runtime.js lends (installQueues).
let deps;

/**
 * installQueues gives this module what it shares with runtime.js: env,
 * failureReason(e) (what the host logs for a thrown value), isTrap(e),
 * started() (run when an event begins), afterEvent() (run when it ends),
 * and warn(message) (console.warn).
 */
export function installQueues(d) {
  deps = d;
}

// CONTENT_TYPES are the content types a message may have, as the WIT
// enum spells them.
const CONTENT_TYPES = new Set(['text', 'bytes', 'json', 'v8']);

// validContentType is contentType, lowercased, when it is one of
// CONTENT_TYPES (workerd's validateContentType), else a TypeError.
function validContentType(contentType) {
  const t = String(contentType).toLowerCase();
  if (!CONTENT_TYPES.has(t)) throw new TypeError(`Unsupported queue message content type: ${contentType}`);
  return t;
}

const isArrayBuffer = (v) => Object.prototype.toString.call(v) === '[object ArrayBuffer]';

// encodeBody is body as the bytes of a message of content type type, or
// the TypeError workerd throws for a body the type cannot carry.
function encodeBody(body, type) {
  if (body === undefined) throw new TypeError('Message body cannot be undefined');
  switch (type) {
    case 'text':
      if (typeof body !== 'string') throw new TypeError(`Content Type "text" requires a value of type string, but received: ${typeof body}`);
      return encoder.encode(body);
    case 'bytes':
      // A copy: the caller may reuse its buffer once send returns.
      if (ArrayBuffer.isView(body)) return new Uint8Array(body.buffer, body.byteOffset, body.byteLength).slice();
      if (isArrayBuffer(body)) return new Uint8Array(body).slice();
      throw new TypeError(`Content Type "bytes" requires a value of type ArrayBufferView, but received: ${typeof body}`);
    case 'json': {
      const s = JSON.stringify(body);
      if (s === undefined) throw new TypeError(`Content Type "json" requires a value JSON can represent, but received: ${typeof body}`);
      return encoder.encode(s);
    }
    default:
      return serialize(body);
  }
}

// delayOf is a delaySeconds option as the WIT's option<u32>.
function delayOf(v, what = 'delaySeconds') {
  if (v == null) return undefined;
  if (!Number.isInteger(v) || v < 0 || v > U32_MAX) {
    throw new BindingError('invalid-argument', `${what} ${String(v)} is not an integer from 0 to ${U32_MAX}`);
  }
  return v;
}

// sendRequest is a message for the WIT: body, content type, delay.
function sendRequest(body, contentType, delaySeconds) {
  const type = contentType === undefined ? 'v8' : validContentType(contentType);
  return { body: encodeBody(body, type), contentType: type, delaySeconds: delayOf(delaySeconds) };
}

// call runs a host call and turns the WIT error into a BindingError whose
// code is the case and whose message carries the host's text.
function call(f) {
  try {
    return f();
  } catch (e) {
    const p = e && e.payload;
    if (p && typeof p === 'object' && 'tag' in p) {
      throw new BindingError(p.tag, typeof p.val === 'string' ? p.val : undefined);
    }
    throw e;
  }
}

/**
 * WorkerQueue is a queue producer binding (env.QUEUE): Cloudflare's Queue.
 * Both methods resolve once the host has stored the messages.
 */
export class WorkerQueue {
  #queue;
  /** queue is the host's queue handle (the WIT's queue resource). */
  constructor(queue) {
    this.#queue = queue;
  }
  /**
   * send sends body as one message: contentType "v8" (the default: a
   * structured value), "json" (JSON.stringify), "text" (a string) or
   * "bytes" (an ArrayBuffer or view); delaySeconds holds it back.
   */
  async send(body, options) {
    const req = sendRequest(body, options?.contentType, options?.delaySeconds);
    call(() => this.#queue.send(req));
  }
  /**
   * sendBatch sends messages ({body, contentType, delaySeconds} each) at
   * once, all or none; options.delaySeconds applies to each message
   * without its own.
   */
  async sendBatch(messages, options) {
    if (messages == null || typeof messages[Symbol.iterator] !== 'function') {
      throw new TypeError('sendBatch() requires an iterable of messages');
    }
    const reqs = [];
    for (const m of messages) {
      if (m == null || typeof m !== 'object') throw new TypeError('sendBatch(): each message must be an object with a body');
      reqs.push(sendRequest(m.body, m.contentType, m.delaySeconds));
    }
    if (reqs.length === 0) throw new TypeError('sendBatch() requires at least one message');
    const delay = delayOf(options?.delaySeconds);
    call(() => this.#queue.sendBatch(reqs, delay));
  }
}

refuseClone(WorkerQueue);

/**
 * openQueue returns the producer binding name, or undefined when the
 * Worker has no queue of that name. open(name) is the WIT's queue.open.
 */
export function openQueue(name, open) {
  try {
    return new WorkerQueue(open(name));
  } catch {
    return undefined;
  }
}

// --- the consumer -----------------------------------------------------------

// decodeBody is a delivered body as workerd gives it: text a string,
// bytes a Uint8Array, json the parsed value, v8 the structured value.
function decodeBody(body, type) {
  switch (type) {
    case 'text': return decoder.decode(body);
    case 'bytes': return new Uint8Array(body);
    case 'json': return JSON.parse(decoder.decode(body));
    default: return deserialize(body);
  }
}

/**
 * BatchResult is what a queue handler decided, recorded with workerd's
 * rules: on a message the first of ack() and retry() wins, ackAll() and
 * retryAll() exclude each other, and a call that has no effect logs
 * workerd's warning.
 */
export class BatchResult {
  constructor(warn) {
    this.warn = warn;
    this.ackAll = false;
    this.retryAll = false;
    this.retryAllDelay = undefined;
    this.acks = new Set(); // indexes
    this.retries = new Map(); // index → delay seconds or undefined
  }
  ack(index, id) {
    if (this.ackAll) return;
    if (this.retryAll) {
      this.warn(`Received a call to ack() on message ${id} after retryAll() was already called. Calling ack() on a message after calling retryAll() has no effect.`);
      return;
    }
    if (this.retries.has(index)) {
      this.warn(`Received a call to ack() on message ${id} after retry() was already called. Calling ack() on a message after calling retry() has no effect.`);
      return;
    }
    this.acks.add(index);
  }
  retry(index, id, delay) {
    if (this.ackAll) {
      this.warn(`Received a call to retry() on message ${id} after ackAll() was already called. Calling retry() on a message after calling ackAll() has no effect.`);
      return;
    }
    if (this.acks.has(index)) {
      this.warn(`Received a call to retry() on message ${id} after ack() was already called. Calling retry() on a message after calling ack() has no effect.`);
      return;
    }
    // As workerd: a second retry() keeps the message retried, with the
    // delay it names, if any.
    const prev = this.retries.get(index);
    this.retries.set(index, delay ?? prev);
  }
  doRetryAll(delay) {
    if (this.ackAll) {
      this.warn('Received a call to retryAll() after ackAll() was already called. Calling retryAll() after calling ackAll() has no effect.');
      return;
    }
    this.retryAll = true;
    if (delay !== undefined) this.retryAllDelay = delay;
  }
  doAckAll() {
    if (this.retryAll) {
      this.warn('Received a call to ackAll() after retryAll() was already called. Calling ackAll() after calling retryAll() has no effect.');
      return;
    }
    this.ackAll = true;
  }
  /** outcome is the WIT outcome, with error (a string) or none. */
  outcome(error) {
    return {
      acked: [...this.acks].sort((a, b) => a - b),
      retried: [...this.retries].sort((a, b) => a[0] - b[0]).map(([index, delaySeconds]) => ({ index, delaySeconds })),
      ackAll: this.ackAll,
      retryAll: this.retryAll,
      retryAllDelay: this.retryAllDelay,
      error,
    };
  }
}

/**
 * Message is one delivered message: id, timestamp (a Date), body (decoded
 * by its content type), attempts (1 on the first delivery), ack() and
 * retry({delaySeconds}).
 */
export class Message {
  #m;
  #index;
  #body;
  #result;
  constructor(m, index, result) {
    this.#m = m;
    this.#index = index;
    this.#result = result;
    this.#body = decodeBody(m.body, m.contentType);
  }
  get id() { return this.#m.id; }
  get timestamp() { return new Date(Number(this.#m.timestamp)); }
  get body() { return this.#body; }
  get attempts() { return this.#m.attempts; }
  /** ack acknowledges the message: it is not delivered again. */
  ack() { this.#result.ack(this.#index, this.#m.id); }
  /** retry has the message delivered again, after options.delaySeconds. */
  retry(options) { this.#result.retry(this.#index, this.#m.id, delayOf(options?.delaySeconds)); }
}

/**
 * MessageBatch is what a queue handler gets: queue (the queue's name),
 * messages, ackAll() and retryAll({delaySeconds}).
 */
export class MessageBatch {
  #queue;
  #messages;
  #result;
  constructor(queue, messages, result) {
    this.#queue = queue;
    this.#result = result;
    this.#messages = Array.from(messages, (m, i) => new Message(m, i, result));
  }
  get queue() { return this.#queue; }
  /** messages is a new array of the batch's messages on each read, as workerd's MessageBatch (QueueController). */
  get messages() { return this.#messages.slice(); }
  /** ackAll acknowledges every message not retried explicitly. */
  ackAll() { this.#result.doAckAll(); }
  /** retryAll retries every message not acked explicitly, after options.delaySeconds. */
  retryAll(options) { this.#result.doRetryAll(delayOf(options?.delaySeconds)); }
}

refuseClone(Message, MessageBatch);

// NO_QUEUE and NO_SCHEDULED are the errors of an event the Worker has no
// handler for (workerd's words after Bindery's).
const NO_QUEUE = 'no queue handler: Handler does not export a queue() function.';
const NO_SCHEDULED = 'no scheduled handler: Handler does not export a scheduled() function.';

// handlerOf is what runs an event of type ("queue" or "scheduled") in
// worker (a module namespace): its default export's handler
// (entrypoint.js: an object's method(arg, env, ctx), or a class's on a new
// instance); for a service worker (isModuleWorker false) with listeners of
// type, a dispatch of event(arg, ctx.waitUntil) to them; else undefined.
function handlerOf(worker, type, event) {
  if (isModuleWorker(worker)) return handlerMethod(worker.default, type, deps.env);
  if (listenersOf(type).length === 0) return undefined;
  return (arg, ctx) => dispatch(listenersOf(type), event(arg, ctx.waitUntil));
}

// stopped marks the events whose stopImmediatePropagation() was called.
const stopped = new WeakSet();

// dispatch calls listeners with event, in order, until one stops it.
function dispatch(listeners, event) {
  for (const l of listeners) {
    if (typeof l === 'function') l.call(globalThis, event);
    else l.handleEvent(event);
    if (stopped.has(event)) break;
  }
}

// runEvent runs fn(ctx) as an event: ctx.waitUntil's promises are awaited
// before it returns, the event's host handles released after.
async function runEvent(fn) {
  deps.started();
  const waits = [];
  const ctx = { waitUntil: (p) => { waits.push(Promise.resolve(p)); }, passThroughOnException() {} };
  try {
    return await fn(ctx);
  } finally {
    await Promise.allSettled(waits);
    deps.afterEvent();
  }
}

/**
 * QueueEvent is what a service worker's "queue" listeners get: queue,
 * messages, ackAll(), retryAll({delaySeconds}) and waitUntil(promise).
 */
export class QueueEvent extends Event {
  #batch;
  #messages;
  #waitUntil;
  constructor(batch, waitUntil) {
    super('queue');
    this.#batch = batch;
    this.#waitUntil = waitUntil;
  }
  get queue() { return this.#batch.queue; }
  /** messages is one array, read once (workerd's QueueEvent has a lazy property). */
  get messages() { return (this.#messages ??= this.#batch.messages); }
  ackAll() { this.#batch.ackAll(); }
  retryAll(options) { this.#batch.retryAll(options); }
  /** waitUntil keeps the event running until promise settles. */
  waitUntil(promise) { this.#waitUntil(promise); }
  stopImmediatePropagation() {
    stopped.add(this);
    super.stopImmediatePropagation();
  }
}

/**
 * serveQueue returns the bindery:queue/consumer export for a Worker, given
 * its module namespace: its default export's queue(batch, env, ctx), or a
 * service worker's "queue" listeners.
 */
export function serveQueue(worker) {
  return {
    async queue(name, messages) {
      const queue = handlerOf(worker, 'queue', (batch, waitUntil) => new QueueEvent(batch, waitUntil));
      const result = new BatchResult(deps.warn);
      if (queue === undefined) return result.outcome(NO_QUEUE);
      try {
        await runEvent(async (ctx) => queue(new MessageBatch(name, messages, result), ctx));
      } catch (e) {
        if (deps.isTrap(e)) throw e;
        return result.outcome(deps.failureReason(e));
      }
      return result.outcome(undefined);
    },
  };
}

/**
 * ScheduledController is what a scheduled handler gets: cron (the
 * expression that fired), scheduledTime (ms since the epoch), type
 * ("scheduled") and noRetry() (accepted; Bindery never retries a
 * scheduled event).
 */
export class ScheduledController {
  #cron;
  #time;
  constructor(cron, time) {
    this.#cron = cron;
    this.#time = time;
  }
  get cron() { return this.#cron; }
  get scheduledTime() { return this.#time; }
  get type() { return 'scheduled'; }
  noRetry() {}
}

/**
 * ScheduledEvent is what a service worker's "scheduled" listeners get:
 * cron, scheduledTime, noRetry() and waitUntil(promise).
 */
export class ScheduledEvent extends Event {
  #controller;
  #waitUntil;
  constructor(controller, waitUntil) {
    super('scheduled');
    this.#controller = controller;
    this.#waitUntil = waitUntil;
  }
  get cron() { return this.#controller.cron; }
  get scheduledTime() { return this.#controller.scheduledTime; }
  noRetry() {}
  /** waitUntil keeps the event running until promise settles. */
  waitUntil(promise) { this.#waitUntil(promise); }
  stopImmediatePropagation() {
    stopped.add(this);
    super.stopImmediatePropagation();
  }
}

refuseClone(ScheduledController, QueueEvent, ScheduledEvent);

/**
 * serveScheduled returns the bindery:scheduled/handler export for a
 * Worker, given its module namespace: its default export's
 * scheduled(controller, env, ctx), or a service worker's "scheduled"
 * listeners.
 */
export function serveScheduled(worker) {
  return {
    async scheduled(c) {
      const scheduled = handlerOf(worker, 'scheduled', (controller, waitUntil) => new ScheduledEvent(controller, waitUntil));
      if (scheduled === undefined) return { tag: 'err', val: NO_SCHEDULED };
      try {
        await runEvent(async (ctx) => scheduled(new ScheduledController(c.cron, Number(c.scheduledTime)), ctx));
      } catch (e) {
        if (deps.isTrap(e)) throw e;
        return { tag: 'err', val: deps.failureReason(e) };
      }
      return { tag: 'ok', val: undefined };
    },
  };
}
