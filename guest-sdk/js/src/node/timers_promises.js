// node:timers/promises: promise forms of the timers, with AbortSignal
// support, and scheduler.wait / scheduler.yield.
import { register } from './builtins.js';

function abortError(signal) {
  const e = new Error('The operation was aborted', { cause: signal.reason });
  e.name = 'AbortError';
  e.code = 'ABORT_ERR';
  return e;
}

function delayed(schedule, cancel, value, options = {}) {
  const { signal } = options;
  if (signal && signal.aborted) return Promise.reject(abortError(signal));
  return new Promise((resolve, reject) => {
    const onAbort = () => {
      cancel(id);
      reject(abortError(signal));
    };
    const id = schedule(() => {
      if (signal) signal.removeEventListener('abort', onAbort);
      resolve(value);
    });
    if (signal) signal.addEventListener('abort', onAbort, { once: true });
  });
}

/** setTimeout resolves to value after delay milliseconds. */
export function setTimeout(delay, value, options) {
  return delayed((f) => globalThis.setTimeout(f, delay), (id) => globalThis.clearTimeout(id), value, options);
}

/** setImmediate resolves to value after the current I/O. */
export function setImmediate(value, options) {
  return delayed((f) => globalThis.setTimeout(f, 0), (id) => globalThis.clearTimeout(id), value, options);
}

/** setInterval is an async iterator yielding value every delay milliseconds. */
export async function* setInterval(delay, value, options = {}) {
  const { signal } = options;
  if (signal && signal.aborted) throw abortError(signal);
  let ticks = 0;
  let wake = null;
  const id = globalThis.setInterval(() => {
    ticks++;
    if (wake) wake();
  }, delay);
  const onAbort = () => wake && wake();
  if (signal) signal.addEventListener('abort', onAbort);
  try {
    for (;;) {
      if (signal && signal.aborted) throw abortError(signal);
      if (ticks === 0) await new Promise((r) => (wake = r));
      wake = null;
      if (signal && signal.aborted) throw abortError(signal);
      if (ticks > 0) {
        ticks--;
        yield value;
      }
    }
  } finally {
    globalThis.clearInterval(id);
    if (signal) signal.removeEventListener('abort', onAbort);
  }
}

/** scheduler is Node's experimental scheduler: wait(delay) and yield(). */
export const scheduler = {
  wait: (delay, options) => setTimeout(delay, undefined, options),
  yield: () => setImmediate(),
};

export default register('timers/promises', { setTimeout, setImmediate, setInterval, scheduler });
