// node:async_hooks: AsyncLocalStorage and AsyncResource, as Workers have
// them (createHook and the async ids are inert).
//
// The engine (SpiderMonkey in StarlingMonkey) has no async hooks and no
// continuation data a script could reach, so the context travels with
// what schedules a continuation:
//
// - Promise.prototype.then (and so catch, finally, Promise.all, …)
//   captures the current context and restores it around its callbacks;
// - await goes through then because, when this module is in a bundle,
//   bindery has esbuild turn async functions and generators into
//   generators driven by promises (internal/jsbuild);
// - setTimeout, setInterval, queueMicrotask (and so process.nextTick and
//   setImmediate) restore the context of the call that scheduled them.
//
// So a store set by run() is seen after any number of awaits, in callbacks
// of promises made inside it, and in timers it set, and two run()s whose
// promise chains interleave each see their own. It is not seen in
// callbacks the engine schedules by itself (a ReadableStream's pull,
// an event listener), which Node would follow: bind them
// (AsyncLocalStorage.bind, AsyncResource.bind) to carry it.
// See docs/design.md, "Why AsyncLocalStorage follows then".

// A context is a Map from AsyncLocalStorage to its store; ROOT is the
// empty one. Contexts never change: run() makes a new one.
const ROOT = new Map();
let current = ROOT;
// entered: enterWith has been called, so even callbacks scheduled at
// ROOT restore ROOT (the context enterWith set lasts until the current
// synchronous execution ends: a microtask puts ROOT back).
let entered = false;
const queueMicrotask = globalThis.queueMicrotask;
const toRoot = () => {
  current = ROOT;
};

// within runs f with context ctx, restoring the previous one after.
function within(ctx, f, self, args) {
  const prev = current;
  current = ctx;
  try {
    return Reflect.apply(f, self, args);
  } finally {
    current = prev;
  }
}

// capture wraps f so that it runs in the current context.
function capture(f) {
  if (typeof f !== 'function') return f;
  const ctx = current;
  if (ctx === ROOT && !entered) return f;
  return function (...args) {
    return within(ctx, f, this, args);
  };
}

// captureReaction is capture for a promise reaction (one argument, no
// this): the hot path of every await in a bundle that uses this module.
function captureReaction(f) {
  if (typeof f !== 'function') return f;
  const ctx = current;
  if (ctx === ROOT && !entered) return f;
  return (value) => {
    const prev = current;
    current = ctx;
    try {
      return f(value);
    } finally {
      current = prev;
    }
  };
}

// install patches what schedules continuations, once per global.
function install(g) {
  const key = Symbol.for('bindery.asyncContext');
  if (g[key]) return;
  Object.defineProperty(g, key, { value: true });
  const then = g.Promise.prototype.then;
  Object.defineProperty(g.Promise.prototype, 'then', {
    configurable: true,
    writable: true,
    value: function then_(onFulfilled, onRejected) {
      return then.call(this, captureReaction(onFulfilled), captureReaction(onRejected));
    },
  });
  Object.defineProperty(g.Promise.prototype.then, 'name', { value: 'then' });
  for (const name of ['setTimeout', 'setInterval']) {
    const orig = g[name];
    if (typeof orig !== 'function') continue;
    g[name] = function (callback, ...rest) {
      return Reflect.apply(orig, this, [capture(callback), ...rest]);
    };
  }
  if (typeof g.queueMicrotask === 'function') {
    const orig = g.queueMicrotask;
    g.queueMicrotask = function queueMicrotask(callback) {
      return Reflect.apply(orig, this, [capture(callback)]);
    };
  }
}

install(globalThis);

/** AsyncLocalStorage holds a store for the duration of run() and everything it schedules. */
export class AsyncLocalStorage {
  #enabled = true;

  /** bind returns fn, bound to the current context. */
  static bind(fn) {
    if (typeof fn !== 'function') throw new TypeError('The "fn" argument must be of type function');
    const ctx = current;
    return function (...args) {
      return within(ctx, fn, this, args);
    };
  }

  /** snapshot returns a function that runs its argument in the current context. */
  static snapshot() {
    const ctx = current;
    return (fn, ...args) => within(ctx, fn, undefined, args);
  }

  /** run calls callback with store as this storage's store, and returns what it returns. */
  run(store, callback, ...args) {
    this.#enabled = true;
    const ctx = new Map(current);
    ctx.set(this, store);
    return within(ctx, callback, undefined, args);
  }

  /** exit calls callback outside this storage's store. */
  exit(callback, ...args) {
    const ctx = new Map(current);
    ctx.delete(this);
    return within(ctx.size ? ctx : ROOT, callback, undefined, args);
  }

  /** getStore returns the current store (undefined outside run). */
  getStore() {
    return this.#enabled ? current.get(this) : undefined;
  }

  /**
   * enterWith makes store the current store for the rest of the current
   * synchronous execution and for what it schedules.
   */
  enterWith(store) {
    this.#enabled = true;
    const ctx = new Map(current);
    ctx.set(this, store);
    current = ctx;
    entered = true;
    queueMicrotask(toRoot);
  }

  /** disable makes getStore return undefined until the next run or enterWith. */
  disable() {
    this.#enabled = false;
  }

  get name() {
    return '';
  }
}

let nextId = 1;

/** AsyncResource carries the context it was made in to the callbacks it runs. */
export class AsyncResource {
  #ctx = current;
  #type;
  #id = nextId++;

  constructor(type, options) {
    if (typeof type !== 'string') throw new TypeError('The "type" argument must be of type string');
    this.#type = type;
    void options;
  }

  /** bind returns fn bound to a new resource's context (and thisArg). */
  static bind(fn, type, thisArg) {
    return new AsyncResource(type || fn.name || 'bound-anonymous-fn').bind(fn, thisArg);
  }

  /** runInAsyncScope calls fn in the resource's context. */
  runInAsyncScope(fn, thisArg, ...args) {
    return within(this.#ctx, fn, thisArg, args);
  }

  /** bind returns fn bound to the resource's context. */
  bind(fn, thisArg) {
    if (typeof fn !== 'function') throw new TypeError('The "fn" argument must be of type function');
    const resource = this;
    const bound = thisArg === undefined
      ? function (...args) { return resource.runInAsyncScope(fn, this, ...args); }
      : (...args) => resource.runInAsyncScope(fn, thisArg, ...args);
    Object.defineProperty(bound, 'asyncResource', { value: this, configurable: true, enumerable: true, writable: true });
    return bound;
  }

  emitDestroy() {
    return this;
  }

  asyncId() {
    return this.#id;
  }

  triggerAsyncId() {
    return 0;
  }

  get type() {
    return this.#type;
  }
}

/** createHook returns a hook that is never called (Workers have none). */
export function createHook(callbacks) {
  void callbacks;
  return {
    enable() {
      return this;
    },
    disable() {
      return this;
    },
  };
}

export const executionAsyncId = () => 0;
export const triggerAsyncId = () => 0;
export const executionAsyncResource = () => ({});
export const asyncWrapProviders = Object.freeze({});

export default { AsyncLocalStorage, AsyncResource, createHook, executionAsyncId, triggerAsyncId, executionAsyncResource, asyncWrapProviders };
