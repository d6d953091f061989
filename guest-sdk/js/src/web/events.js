// Service-worker syntax: addEventListener("fetch", (event) => …), the
// FetchEvent, and the bindings as globals; "queue" and "scheduled"
// listeners are kept here too, and dispatched by queue.js.
//
// globalThis.addEventListener keeps the engine's for every other event
// type; "fetch", "queue" and "scheduled" listeners are kept here, because
// the engine's fetch-event feature is off (the Worker speaks bindery:http,
// not wasi:http) and it has no other Workers events.

const listeners = { fetch: [], queue: [], scheduled: [] };
const fetchListeners = listeners.fetch;

/** hasFetchListener says whether the Worker added a fetch listener. */
export const hasFetchListener = () => fetchListeners.length > 0;

/**
 * listenersOf returns the listeners of type ("fetch", "queue" or
 * "scheduled") the Worker added, in order.
 */
export const listenersOf = (type) => listeners[type].slice();

/** hasListener says whether the Worker added a listener of any of Workers' event types. */
export const hasListener = () => Object.values(listeners).some((l) => l.length > 0);

// What the SDK keeps of each FetchEvent while it is dispatched.
const events = new WeakMap();

function invalidState(message) {
  return new DOMException(message, 'InvalidStateError');
}

/**
 * FetchEvent is the event a fetch listener gets: request, respondWith(),
 * waitUntil() and passThroughOnException() (a no-op: there is no origin
 * to pass the request to, so an exception fails the request as usual).
 */
export class FetchEvent extends Event {
  #request;
  constructor(type, init) {
    super(type);
    if (!init || !(init.request instanceof Request)) throw new TypeError('FetchEvent: init.request must be a Request');
    this.#request = init.request;
  }
  get request() { return this.#request; }
  respondWith(response) {
    const e = events.get(this);
    if (!e || !e.dispatching) throw invalidState('FetchEvent.respondWith: called after the fetch listeners returned; call it synchronously in the listener');
    if (e.response !== undefined) throw invalidState('FetchEvent.respondWith: already called for this event');
    e.response = Promise.resolve(response);
  }
  waitUntil(promise) {
    const e = events.get(this);
    if (e) e.waitUntil(promise);
  }
  passThroughOnException() {}
  stopImmediatePropagation() {
    const e = events.get(this);
    if (e) e.stopped = true;
    super.stopImmediatePropagation();
  }
}

/**
 * dispatchFetch runs the fetch listeners with a FetchEvent for request and
 * returns the promise respondWith() was given. A listener that throws
 * fails the request; so does an event no listener answered.
 */
export function dispatchFetch(request, waitUntil) {
  const event = new FetchEvent('fetch', { request });
  const e = { dispatching: true, response: undefined, stopped: false, waitUntil };
  events.set(event, e);
  try {
    for (const l of fetchListeners.slice()) {
      if (typeof l === 'function') l.call(globalThis, event);
      else l.handleEvent(event);
      if (e.stopped) break;
    }
  } finally {
    e.dispatching = false;
  }
  if (e.response === undefined) {
    throw new Error('no fetch listener called event.respondWith() while the fetch event was dispatched ' +
      '(on Cloudflare the request would go on to the origin; Bindery has none)');
  }
  return e.response;
}

export function installEvents() {
  const nativeAdd = globalThis.addEventListener;
  const nativeRemove = globalThis.removeEventListener;
  const define = (name, value) => Object.defineProperty(globalThis, name, { value, writable: true, configurable: true });
  const own = (type) => Object.hasOwn(listeners, type);
  define('addEventListener', function addEventListener(type, listener, options) {
    if (!own(type)) return nativeAdd && nativeAdd.call(globalThis, type, listener, options);
    if (listener == null) return;
    if (typeof listener !== 'function' && typeof listener.handleEvent !== 'function') {
      throw new TypeError('addEventListener: the listener must be a function or have a handleEvent method');
    }
    if (!listeners[type].includes(listener)) listeners[type].push(listener);
  });
  define('removeEventListener', function removeEventListener(type, listener, options) {
    if (!own(type)) return nativeRemove && nativeRemove.call(globalThis, type, listener, options);
    const i = listeners[type].indexOf(listener);
    if (i >= 0) listeners[type].splice(i, 1);
  });
  define('FetchEvent', FetchEvent);
}

/**
 * exposeGlobals makes a service worker's bindings globals: an identifier
 * the global object does not have is looked up with lookup(name) (vars and
 * secrets, then KV namespaces, then R2 buckets), once serving() is true.
 * It puts a Proxy in the global object's prototype chain, so only names
 * that are not found elsewhere reach it. Until the first request (while
 * componentize-js snapshots the initialised Worker) no host call is
 * possible, so a binding read at the top level of the script is undefined.
 */
export function exposeGlobals(lookup, serving) {
  const proto = Object.getPrototypeOf(globalThis);
  const binding = (name) => (typeof name === 'string' && serving() ? lookup(name) : undefined);
  Object.setPrototypeOf(globalThis, new Proxy(proto, {
    has(target, name) {
      return Reflect.has(target, name) || binding(name) !== undefined;
    },
    get(target, name, receiver) {
      if (!Reflect.has(target, name)) {
        const v = binding(name);
        if (v !== undefined) return v;
      }
      return Reflect.get(target, name, receiver);
    },
  }));
}
