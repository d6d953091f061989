// node:diagnostics_channel: named channels that publish messages to their
// subscribers, and tracing channels (start, end, asyncStart, asyncEnd,
// error) around sync, promise and callback calls. Channels live as long as
// the instance.
import { register } from './builtins.js';

const channels = new Map();

/** Channel is a named channel. */
export class Channel {
  #subscribers = [];
  #stores = new Map();

  constructor(name) {
    this.name = name;
  }

  get hasSubscribers() {
    return this.#subscribers.length > 0 || this.#stores.size > 0;
  }

  subscribe(fn) {
    if (typeof fn !== 'function') throw new TypeError('The "subscription" argument must be of type function');
    this.#subscribers.push(fn);
  }

  unsubscribe(fn) {
    const i = this.#subscribers.indexOf(fn);
    if (i < 0) return false;
    this.#subscribers.splice(i, 1);
    return true;
  }

  publish(message) {
    for (const fn of [...this.#subscribers]) {
      try {
        fn(message, this.name);
      } catch (e) {
        queueMicrotask(() => {
          throw e;
        });
      }
    }
  }

  bindStore(store, transform) {
    this.#stores.set(store, transform);
  }

  unbindStore(store) {
    return this.#stores.delete(store);
  }

  runStores(data, fn, thisArg, ...args) {
    let run = () => Reflect.apply(fn, thisArg, args);
    for (const [store, transform] of this.#stores) {
      const inner = run;
      run = () => store.run(transform ? transform(data) : data, inner);
    }
    this.publish(data);
    return run();
  }
}

/** channel returns the channel named name, making it on first use. */
export function channel(name) {
  let c = channels.get(name);
  if (!c) {
    c = new Channel(name);
    channels.set(name, c);
  }
  return c;
}

export const hasSubscribers = (name) => channels.has(name) && channels.get(name).hasSubscribers;
export const subscribe = (name, fn) => channel(name).subscribe(fn);
export const unsubscribe = (name, fn) => channel(name).unsubscribe(fn);

const EVENTS = ['start', 'end', 'asyncStart', 'asyncEnd', 'error'];

/** TracingChannel groups the five channels of a traced operation. */
class TracingChannel {
  constructor(nameOrChannels) {
    for (const e of EVENTS) {
      this[e] = typeof nameOrChannels === 'string' ? channel(`tracing:${nameOrChannels}:${e}`) : nameOrChannels[e];
    }
  }

  get hasSubscribers() {
    return EVENTS.some((e) => this[e].hasSubscribers);
  }

  subscribe(handlers) {
    for (const e of EVENTS) if (handlers[e]) this[e].subscribe(handlers[e]);
  }

  unsubscribe(handlers) {
    let ok = true;
    for (const e of EVENTS) if (handlers[e]) ok = this[e].unsubscribe(handlers[e]) && ok;
    return ok;
  }

  traceSync(fn, context = {}, thisArg, ...args) {
    return this.start.runStores(context, () => {
      try {
        context.result = Reflect.apply(fn, thisArg, args);
        return context.result;
      } catch (err) {
        context.error = err;
        this.error.publish(context);
        throw err;
      } finally {
        this.end.publish(context);
      }
    });
  }

  tracePromise(fn, context = {}, thisArg, ...args) {
    return this.start.runStores(context, () => {
      try {
        const p = Reflect.apply(fn, thisArg, args);
        return Promise.resolve(p).then((result) => {
          context.result = result;
          this.asyncStart.publish(context);
          this.asyncEnd.publish(context);
          return result;
        }, (err) => {
          context.error = err;
          this.error.publish(context);
          this.asyncStart.publish(context);
          this.asyncEnd.publish(context);
          throw err;
        });
      } catch (err) {
        context.error = err;
        this.error.publish(context);
        throw err;
      } finally {
        this.end.publish(context);
      }
    });
  }

  traceCallback(fn, position = -1, context = {}, thisArg, ...args) {
    const i = position < 0 ? args.length + position : position;
    const callback = args[i];
    args[i] = (err, result) => {
      if (err) {
        context.error = err;
        this.error.publish(context);
      } else {
        context.result = result;
      }
      this.asyncStart.publish(context);
      try {
        return callback(err, result);
      } finally {
        this.asyncEnd.publish(context);
      }
    };
    return this.traceSync(fn, context, thisArg, ...args);
  }
}

export const tracingChannel = (nameOrChannels) => new TracingChannel(nameOrChannels);

export default register('diagnostics_channel', { channel, hasSubscribers, subscribe, unsubscribe, tracingChannel, Channel });
