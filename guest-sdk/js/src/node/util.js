// node:util: format, inspect (src/node/inspect.js), promisify and
// callbackify, inherits, deprecate, debuglog, isDeepStrictEqual, types,
// TextEncoder/TextDecoder, and the small helpers Node has kept.
import { customInspect, format, formatWithOptions, inspect } from './inspect.js';
import { isDeepStrictEqual } from './deep_equal.js';
import * as typesNS from './util_types.js';
import { register } from './builtins.js';

export { format, formatWithOptions, inspect, isDeepStrictEqual };
export const types = typesNS.default;

const kCustomPromisify = Symbol.for('nodejs.util.promisify.custom');

/**
 * promisify turns a function taking a Node-style callback (err, value)
 * into one returning a promise (fn[util.promisify.custom] when it has one).
 */
export function promisify(original) {
  if (typeof original !== 'function') throw new TypeError('The "original" argument must be of type function');
  if (original[kCustomPromisify]) {
    const fn = original[kCustomPromisify];
    if (typeof fn !== 'function') throw new TypeError('The "util.promisify.custom" argument must be of type function');
    return Object.defineProperty(fn, kCustomPromisify, { value: fn, enumerable: false, writable: false, configurable: true });
  }
  function fn(...args) {
    return new Promise((resolve, reject) => {
      Reflect.apply(original, this, [...args, (err, ...values) => {
        if (err) reject(err);
        else resolve(values[0]);
      }]);
    });
  }
  Object.setPrototypeOf(fn, Object.getPrototypeOf(original));
  Object.defineProperty(fn, kCustomPromisify, { value: fn, enumerable: false, writable: false, configurable: true });
  return Object.defineProperties(fn, Object.getOwnPropertyDescriptors(original));
}
promisify.custom = kCustomPromisify;

/** callbackify turns an async function into one taking a Node-style callback last. */
export function callbackify(original) {
  if (typeof original !== 'function') throw new TypeError('The "original" argument must be of type function');
  function callbackified(...args) {
    const cb = args.pop();
    if (typeof cb !== 'function') throw new TypeError('The last argument must be of type function');
    Reflect.apply(original, this, args).then(
      (value) => queueMicrotask(() => cb(null, value)),
      (reason) => {
        if (!reason) {
          const e = new Error('Promise was rejected with a falsy value');
          e.code = 'ERR_FALSY_VALUE_REJECTION';
          e.reason = reason;
          reason = e;
        }
        queueMicrotask(() => cb(reason));
      },
    );
  }
  Object.defineProperties(callbackified, Object.getOwnPropertyDescriptors(original));
  return callbackified;
}

/** inherits sets ctor's prototype to inherit from superCtor's (and ctor.super_). */
export function inherits(ctor, superCtor) {
  if (typeof ctor !== 'function') throw new TypeError('The "ctor" argument must be of type function');
  if (typeof superCtor !== 'function') throw new TypeError('The "superCtor" argument must be of type function');
  if (superCtor.prototype === undefined) throw new TypeError('The "superCtor.prototype" property must be of type object');
  Object.defineProperty(ctor, 'super_', { value: superCtor, writable: true, configurable: true });
  Object.setPrototypeOf(ctor.prototype, superCtor.prototype);
}

const warned = new Set();

/** deprecate wraps fn so that its first call logs a DeprecationWarning. */
export function deprecate(fn, msg, code) {
  if (typeof fn !== 'function') throw new TypeError('The "fn" argument must be of type function');
  function deprecated(...args) {
    const key = code || msg;
    if (!warned.has(key)) {
      warned.add(key);
      const p = globalThis.process;
      if (p && typeof p.emitWarning === 'function') p.emitWarning(msg, 'DeprecationWarning', code);
      else console.warn(`(node) ${code ? `[${code}] ` : ''}DeprecationWarning: ${msg}`);
    }
    return new.target ? Reflect.construct(fn, args, new.target) : Reflect.apply(fn, this, args);
  }
  Object.setPrototypeOf(deprecated, fn);
  if (fn.prototype) deprecated.prototype = fn.prototype;
  return deprecated;
}

/**
 * debuglog returns a logger for section that logs when NODE_DEBUG (in
 * process.env) names it.
 */
export function debuglog(section, callback) {
  let enabled;
  const test = () => {
    if (enabled === undefined) {
      const p = globalThis.process;
      const names = (p && p.env && p.env.NODE_DEBUG) || '';
      enabled = names.split(/[\s,]+/).some((n) => n !== '' && new RegExp(`^${n.replace(/[|\\{}()[\]^$+?.]/g, '\\$&').replace(/\*/g, '.*')}$`, 'i').test(section));
      if (enabled && callback) callback(logger);
    }
    return enabled;
  };
  function logger(...args) {
    if (test()) console.error('%s %d: %s', section.toUpperCase(), 1, format(...args));
  }
  Object.defineProperty(logger, 'enabled', { get: test, enumerable: true });
  return logger;
}
export const debug = debuglog;

/** stripVTControlCharacters removes ANSI escape codes. */
export function stripVTControlCharacters(s) {
  return String(s).replace(/[\u001B\u009B][[\]()#;?]*(?:(?:(?:(?:;[-a-zA-Z\d/#&.:=?%@~_]+)*|[a-zA-Z\d]+(?:;[-a-zA-Z\d/#&.:=?%@~_]*)*)?\u0007)|(?:(?:\d{1,4}(?:;\d{0,4})*)?[\dA-PR-TZcf-ntqry=><~]))/g, '');
}

/** toUSVString replaces lone surrogates with U+FFFD. */
export function toUSVString(s) {
  return String(s).toWellFormed();
}

/** styleText wraps text in the ANSI codes of format (a util.inspect.colors name, or several). */
export function styleText(fmt, text) {
  let out = String(text);
  for (const f of Array.isArray(fmt) ? fmt : [fmt]) {
    const c = inspect.colors[f];
    if (!c) throw new TypeError(`The argument 'format' must be one of: ${Object.keys(inspect.colors).join(', ')}. Received ${inspect(f)}`);
    out = `\x1b[${c[0]}m${out}\x1b[${c[1]}m`;
  }
  return out;
}

/** aborted resolves when signal aborts. */
export function aborted(signal, resource) {
  void resource;
  if (signal.aborted) return Promise.resolve();
  return new Promise((resolve) => signal.addEventListener('abort', () => resolve(), { once: true }));
}

/** getSystemErrorName is not available (a Worker has no system errors). */
export function getSystemErrorName(code) {
  return `Unknown system error ${code}`;
}

export const TextEncoder = globalThis.TextEncoder;
export const TextDecoder = globalThis.TextDecoder;

// The checks Node still has (deprecated there).
export const isArray = Array.isArray;
export const isBoolean = (v) => typeof v === 'boolean';
export const isBuffer = (v) => v != null && v._isBuffer === true && v.constructor && typeof v.constructor.isBuffer === 'function' && v.constructor.isBuffer(v);
export const isNull = (v) => v === null;
export const isNullOrUndefined = (v) => v == null;
export const isNumber = (v) => typeof v === 'number';
export const isString = (v) => typeof v === 'string';
export const isSymbol = (v) => typeof v === 'symbol';
export const isUndefined = (v) => v === undefined;
export const isRegExp = typesNS.isRegExp;
export const isObject = (v) => v !== null && typeof v === 'object';
export const isDate = typesNS.isDate;
export const isError = (v) => typesNS.isNativeError(v) || v instanceof Error;
export const isFunction = (v) => typeof v === 'function';
export const isPrimitive = (v) => v === null || (typeof v !== 'object' && typeof v !== 'function');

/** _extend copies source's own enumerable properties onto target (deprecated in Node). */
export function _extend(target, source) {
  if (source === null || typeof source !== 'object') return target;
  for (const k of Object.keys(source)) target[k] = source[k];
  return target;
}

/** parseArgs is not implemented. */
export function parseArgs() {
  throw new Error('[bindery] util.parseArgs is not implemented: a Worker has no command line');
}


export default register('util', {
  format, formatWithOptions, inspect, isDeepStrictEqual, types, promisify, callbackify, inherits, deprecate,
  debuglog, debug, stripVTControlCharacters, toUSVString, styleText, aborted, getSystemErrorName, TextEncoder,
  TextDecoder, isArray, isBoolean, isBuffer, isNull, isNullOrUndefined, isNumber, isString, isSymbol, isUndefined,
  isRegExp, isObject, isDate, isError, isFunction, isPrimitive, _extend, parseArgs,
});
