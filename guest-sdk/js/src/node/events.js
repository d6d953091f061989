// node:events: EventEmitter from the events npm package (Node's own, as
// browserify ships it, pinned in guest-sdk/js/package.json), with what
// later Node versions added: errorMonitor, on(), getEventListeners,
// setMaxListeners, addAbortListener.
import EventEmitter from 'events/events.js';

export { EventEmitter };
export const once = EventEmitter.once;

/** errorMonitor listeners see 'error' events before the 'error' listeners do, and do not handle them. */
export const errorMonitor = Symbol('events.errorMonitor');
export const captureRejectionSymbol = Symbol.for('nodejs.rejection');

const emit = EventEmitter.prototype.emit;
EventEmitter.prototype.emit = function emit_(type, ...args) {
  if (type === 'error' && this._events !== undefined && this._events[errorMonitor] !== undefined) {
    Reflect.apply(emit, this, [errorMonitor, ...args]);
  }
  return Reflect.apply(emit, this, [type, ...args]);
};
Object.defineProperty(EventEmitter.prototype.emit, 'name', { value: 'emit' });

function abortError(signal) {
  const e = new Error('The operation was aborted', { cause: signal && signal.reason });
  e.name = 'AbortError';
  e.code = 'ABORT_ERR';
  return e;
}

/**
 * on returns an async iterator of the arguments of each `event` the
 * emitter emits; an 'error' event ends it by throwing.
 */
export function on(emitter, event, options = {}) {
  const signal = options.signal;
  if (signal && signal.aborted) throw abortError(signal);
  const events = [];
  const waiting = [];
  let error = null;
  let done = false;
  const listener = (...args) => {
    const w = waiting.shift();
    if (w) w.resolve({ value: args, done: false });
    else events.push(args);
  };
  const errorListener = (err) => {
    done = true;
    const w = waiting.shift();
    if (w) w.reject(err);
    else error = err;
    iterator.return();
  };
  const onAbort = () => errorListener(abortError(signal));
  const cleanup = () => {
    emitter.removeListener(event, listener);
    emitter.removeListener('error', errorListener);
    if (signal) signal.removeEventListener('abort', onAbort);
  };
  const iterator = {
    next() {
      if (events.length) return Promise.resolve({ value: events.shift(), done: false });
      if (error) {
        const p = Promise.reject(error);
        error = null;
        return p;
      }
      if (done) return Promise.resolve({ value: undefined, done: true });
      return new Promise((resolve, reject) => waiting.push({ resolve, reject }));
    },
    return() {
      cleanup();
      done = true;
      for (const w of waiting.splice(0)) w.resolve({ value: undefined, done: true });
      return Promise.resolve({ value: undefined, done: true });
    },
    throw(err) {
      errorListener(err);
      return Promise.reject(err);
    },
    [Symbol.asyncIterator]() {
      return this;
    },
  };
  emitter.on(event, listener);
  if (event !== 'error') emitter.on('error', errorListener);
  if (signal) signal.addEventListener('abort', onAbort, { once: true });
  return iterator;
}

/** getEventListeners returns a copy of the emitter's listeners for name (none for an EventTarget). */
export function getEventListeners(emitter, name) {
  return typeof emitter.listeners === 'function' ? emitter.listeners(name) : [];
}

/** getMaxListeners returns the emitter's listener limit. */
export function getMaxListeners(emitter) {
  return typeof emitter.getMaxListeners === 'function' ? emitter.getMaxListeners() : EventEmitter.defaultMaxListeners;
}

/** setMaxListeners sets the limit of the emitters given, or the default when none is. */
export function setMaxListeners(n = EventEmitter.defaultMaxListeners, ...targets) {
  if (targets.length === 0) EventEmitter.defaultMaxListeners = n;
  for (const t of targets) if (typeof t.setMaxListeners === 'function') t.setMaxListeners(n);
}

/** addAbortListener calls listener once when signal aborts; dispose the result to stop. */
export function addAbortListener(signal, listener) {
  if (signal.aborted) {
    queueMicrotask(() => listener());
  } else {
    signal.addEventListener('abort', listener, { once: true });
  }
  return { [Symbol.dispose || Symbol.for('dispose')]() { signal.removeEventListener('abort', listener); } };
}

export const listenerCount = EventEmitter.listenerCount;
// defaultMaxListeners is the default at load time; EventEmitter.defaultMaxListeners is live.
export const defaultMaxListeners = EventEmitter.defaultMaxListeners;
export const usingDomains = false;

/** EventEmitterAsyncResource is an EventEmitter (its async resource is not tracked). */
export class EventEmitterAsyncResource extends EventEmitter {}

Object.assign(EventEmitter, {
  errorMonitor, captureRejectionSymbol, captureRejections: false, on, getEventListeners, getMaxListeners,
  setMaxListeners, addAbortListener, usingDomains, EventEmitterAsyncResource,
});

export default EventEmitter;
