// node:timers: setTimeout, setInterval and setImmediate returning Node's
// Timeout and Immediate objects (ref, unref, hasRef, refresh, and a
// number when converted), over the engine's timers. The globals stay the
// engine's; nodejs_compat v2 adds setImmediate and clearImmediate.
import { register } from './builtins.js';
import promises from './timers_promises.js';

// The engine's timers are looked up at each call, so that what wraps them
// later (node:async_hooks) is used.
const g = globalThis;

/** Timeout is a scheduled setTimeout or setInterval callback. */
export class Timeout {
  #id;
  #callback;
  #delay;
  #repeat;
  #args;
  #ref = true;

  constructor(callback, delay, args, repeat) {
    if (typeof callback !== 'function') throw new TypeError('The "callback" argument must be of type function');
    this.#callback = callback;
    this.#delay = Number.isFinite(Number(delay)) && delay >= 1 ? Number(delay) : 1;
    this.#args = args;
    this.#repeat = repeat;
    this.#start();
  }

  #start() {
    const run = () => Reflect.apply(this.#callback, this, this.#args);
    this.#id = this.#repeat ? g.setInterval(run, this.#delay) : g.setTimeout(run, this.#delay);
  }

  /** refresh restarts the timer with its delay. */
  refresh() {
    this.close();
    this.#start();
    return this;
  }

  /** close cancels the timer. */
  close() {
    (this.#repeat ? g.clearInterval : g.clearTimeout)(this.#id);
    return this;
  }

  ref() {
    this.#ref = true;
    return this;
  }

  unref() {
    this.#ref = false;
    return this;
  }

  hasRef() {
    return this.#ref;
  }

  [Symbol.toPrimitive]() {
    return this.#id;
  }

  [Symbol.dispose || Symbol.for('dispose')]() {
    this.close();
  }
}

/** Immediate is a scheduled setImmediate callback. */
export class Immediate {
  #id;
  #ref = true;

  constructor(callback, args) {
    if (typeof callback !== 'function') throw new TypeError('The "callback" argument must be of type function');
    this.#id = g.setTimeout(() => Reflect.apply(callback, this, args), 0);
  }

  ref() {
    this.#ref = true;
    return this;
  }

  unref() {
    this.#ref = false;
    return this;
  }

  hasRef() {
    return this.#ref;
  }

  [Symbol.toPrimitive]() {
    return this.#id;
  }

  [Symbol.dispose || Symbol.for('dispose')]() {
    clearImmediate(this);
  }

  /** id is the engine's timer id (for clearImmediate). */
  static id(immediate) {
    return immediate.#id;
  }
}

export function setTimeout(callback, delay, ...args) {
  return new Timeout(callback, delay, args, false);
}

export function setInterval(callback, delay, ...args) {
  return new Timeout(callback, delay, args, true);
}

/** setImmediate calls callback(...args) after the current I/O (a zero-delay timer). */
export function setImmediate(callback, ...args) {
  return new Immediate(callback, args);
}

function clear(t, engineClear) {
  if (t == null) return;
  if (t instanceof Timeout) t.close();
  else if (t instanceof Immediate) g.clearTimeout(Immediate.id(t));
  else engineClear(Number(t));
}

export function clearTimeout(t) {
  clear(t, (id) => g.clearTimeout(id));
}

export function clearInterval(t) {
  clear(t, (id) => g.clearInterval(id));
}

export function clearImmediate(t) {
  clear(t, (id) => g.clearTimeout(id));
}

export { promises };

export default register('timers', { setTimeout, clearTimeout, setInterval, clearInterval, setImmediate, clearImmediate, promises });
