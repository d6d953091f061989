// node:assert: Node's assertions (ok, equal, strictEqual, deepEqual,
// deepStrictEqual and their opposites, throws, rejects, match, fail,
// ifError) throwing AssertionError (code ERR_ASSERTION, actual, expected,
// operator). Messages say what differed in one or two lines; Node's
// line-by-line diffs are not reproduced. assert.strict is the strict mode.
import { inspect } from './inspect.js';
import { isDeepEqual, isDeepStrictEqual } from './deep_equal.js';
import { register } from './builtins.js';

const MESSAGES = {
  deepStrictEqual: 'Expected values to be strictly deep-equal:',
  strictEqual: 'Expected values to be strictly equal:',
  deepEqual: 'Expected values to be loosely deep-equal:',
  equal: 'Expected values to be loosely equal:',
  notDeepStrictEqual: 'Expected "actual" not to be strictly deep-equal to:',
  notStrictEqual: 'Expected "actual" to be strictly unequal to:',
  notDeepEqual: 'Expected "actual" not to be loosely deep-equal to:',
  notEqual: 'Expected "actual" to be loosely unequal to:',
};

const show = (v) => inspect(v, { depth: 1000, sorted: true, compact: false, customInspect: false, getters: true });

/** AssertionError is the error every failed assertion throws. */
export class AssertionError extends Error {
  constructor(options) {
    if (options === null || typeof options !== 'object') throw new TypeError('The "options" argument must be of type object');
    const { message, actual, expected, operator } = options;
    let text = message;
    if (text === undefined || text === null) {
      const head = MESSAGES[operator];
      if (head && operator.startsWith('not')) text = `${head}\n\n${show(expected)}\n`;
      else if (head) text = `${head}\n\n${show(actual)} ${operator.includes('trict') ? '!==' : '!='} ${show(expected)}\n`;
      else text = `${inspect(actual)} ${operator} ${inspect(expected)}`;
    }
    super(String(text));
    this.generatedMessage = message === undefined || message === null;
    this.code = 'ERR_ASSERTION';
    this.actual = actual;
    this.expected = expected;
    this.operator = operator;
  }

  get name() {
    return 'AssertionError';
  }

  toString() {
    return `${this.name} [${this.code}]: ${this.message}`;
  }
}

function fail_(actual, expected, message, operator, stackStart) {
  if (message instanceof Error) throw message;
  const e = new AssertionError({ actual, expected, message, operator, stackStartFn: stackStart });
  throw e;
}

function innerOk(fn, argLen, value, message) {
  if (!value) {
    let generated = false;
    if (argLen === 0) {
      message = 'No value argument passed to `assert.ok()`';
      generated = true;
    } else if (message === undefined || message === null) {
      message = 'The expression evaluated to a falsy value:\n\n  assert.ok(' + inspect(value) + ')\n';
      generated = true;
    } else if (message instanceof Error) {
      throw message;
    }
    const e = new AssertionError({ actual: value, expected: true, message, operator: '==' });
    e.generatedMessage = generated;
    throw e;
  }
}

/** ok throws unless value is truthy. */
export function ok(...args) {
  innerOk(ok, args.length, ...args);
}

/** fail throws an AssertionError with message. */
export function fail(message = 'Failed') {
  if (message instanceof Error) throw message;
  const e = new AssertionError({ message, operator: 'fail' });
  e.generatedMessage = message === 'Failed';
  throw e;
}

// eslint-disable-next-line eqeqeq
const looseEqual = (a, b) => a == b || (Number.isNaN(a) && Number.isNaN(b));

export function equal(actual, expected, message) {
  if (!looseEqual(actual, expected)) fail_(actual, expected, message, '==', equal);
}

export function notEqual(actual, expected, message) {
  if (looseEqual(actual, expected)) fail_(actual, expected, message, '!=', notEqual);
}

export function strictEqual(actual, expected, message) {
  if (!Object.is(actual, expected)) fail_(actual, expected, message, 'strictEqual', strictEqual);
}

export function notStrictEqual(actual, expected, message) {
  if (Object.is(actual, expected)) fail_(actual, expected, message, 'notStrictEqual', notStrictEqual);
}

export function deepEqual(actual, expected, message) {
  if (!isDeepEqual(actual, expected)) fail_(actual, expected, message, 'deepEqual', deepEqual);
}

export function notDeepEqual(actual, expected, message) {
  if (isDeepEqual(actual, expected)) fail_(actual, expected, message, 'notDeepEqual', notDeepEqual);
}

export function deepStrictEqual(actual, expected, message) {
  if (!isDeepStrictEqual(actual, expected)) fail_(actual, expected, message, 'deepStrictEqual', deepStrictEqual);
}

export function notDeepStrictEqual(actual, expected, message) {
  if (isDeepStrictEqual(actual, expected)) fail_(actual, expected, message, 'notDeepStrictEqual', notDeepStrictEqual);
}

/** ifError throws value unless it is null or undefined. */
export function ifError(value) {
  if (value === null || value === undefined) return;
  let message = 'ifError got unwanted exception: ';
  message += typeof value === 'object' && typeof value.message === 'string' ? value.message || value.constructor.name : inspect(value);
  const e = new AssertionError({ actual: value, expected: null, operator: 'ifError', message });
  e.generatedMessage = false;
  e.origin = value;
  throw e;
}

export function match(string, regexp, message) {
  if (typeof string !== 'string' || !regexp.test(string)) {
    fail_(string, regexp, message ?? (typeof string !== 'string'
      ? `The "string" argument must be of type string. Received type ${typeof string} (${inspect(string)})`
      : `The input did not match the regular expression ${inspect(regexp)}. Input:\n\n${inspect(string)}\n`), 'match', match);
  }
}

export function doesNotMatch(string, regexp, message) {
  if (typeof string !== 'string' || regexp.test(string)) {
    fail_(string, regexp, message ?? (typeof string !== 'string'
      ? `The "string" argument must be of type string. Received type ${typeof string} (${inspect(string)})`
      : `The input was expected to not match the regular expression ${inspect(regexp)}. Input:\n\n${inspect(string)}\n`), 'doesNotMatch', doesNotMatch);
  }
}

// --- throws and rejects -------------------------------------------------------------------

const NO_EXCEPTION = Symbol('no exception');

// matches checks a thrown value against what throws/rejects expect: a
// class, a RegExp (on its string), a validation function, or an object
// whose properties must be deep-equal (RegExps test strings).
function checkThrown(actual, expected, message, fn) {
  if (expected === undefined) return;
  if (typeof expected === 'function') {
    if (expected.prototype !== undefined && actual instanceof expected) return;
    if (Error.isPrototypeOf(expected) || expected === Error) {
      if (actual instanceof Error) throw actual;
      fail_(actual, expected, message ?? `The error is expected to be an instance of "${expected.name}". Received "${inspect(actual)}"`, fn.name, fn);
    }
    if (expected.prototype !== undefined && expected.prototype !== null && /^class\b/.test(Function.prototype.toString.call(expected))) {
      throw actual;
    }
    if (expected.call({}, actual) === true) return;
    fail_(actual, expected, message ?? `The ${fn.name === 'rejects' ? 'rejection' : 'error'} validation function is expected to return "true". Received ${inspect(false)}`, fn.name, fn);
  }
  if (expected instanceof RegExp) {
    if (expected.test(String(actual))) return;
    fail_(actual, expected, message ?? `The input did not match the regular expression ${inspect(expected)}. Input:\n\n${inspect(String(actual))}\n`, fn.name, fn);
  }
  if (typeof expected === 'object' && expected !== null) {
    const keys = Object.keys(expected);
    if (expected instanceof Error) keys.push('name', 'message');
    for (const k of keys) {
      const want = expected[k];
      const got = actual == null ? undefined : actual[k];
      if (want instanceof RegExp && typeof got === 'string' ? want.test(got) : isDeepStrictEqual(got, want)) continue;
      fail_(actual, expected, message ?? `Expected values to be strictly deep-equal:\n\n${k}: ${show(got)} !== ${show(want)}\n`, fn.name, fn);
    }
    return;
  }
  throw new TypeError('The "expected" argument must be of type function or an instance of Error, RegExp, or Object');
}

function run(fn) {
  if (typeof fn !== 'function') throw new TypeError('The "fn" argument must be of type function');
  try {
    fn();
  } catch (e) {
    return e;
  }
  return NO_EXCEPTION;
}

async function settle(promiseFn) {
  let p = promiseFn;
  if (typeof promiseFn === 'function') {
    p = promiseFn();
    if (!p || typeof p.then !== 'function') {
      throw new TypeError('The "promiseFn" argument must return a Promise');
    }
  } else if (!p || typeof p.then !== 'function') {
    throw new TypeError('The "promiseFn" argument must be of type function or an instance of Promise');
  }
  try {
    await p;
  } catch (e) {
    return e;
  }
  return NO_EXCEPTION;
}

function split(error, message) {
  if (typeof error === 'string') return [undefined, error];
  return [error, message];
}

/** throws calls fn and throws unless it throws what error describes. */
export function throws(fn, error, message) {
  [error, message] = split(error, message);
  const actual = run(fn);
  if (actual === NO_EXCEPTION) {
    fail_(undefined, error, `Missing expected exception${error && error.name ? ` (${error.name})` : ''}${message ? `: ${message}` : '.'}`, 'throws', throws);
  }
  checkThrown(actual, error, message, throws);
}

/** doesNotThrow calls fn and throws if it throws. */
export function doesNotThrow(fn, error, message) {
  [error, message] = split(error, message);
  const actual = run(fn);
  if (actual === NO_EXCEPTION) return;
  if (error === undefined || (typeof error === 'function' && actual instanceof error) || (error instanceof RegExp && error.test(String(actual)))) {
    fail_(actual, error, `Got unwanted exception${message ? `: ${message}` : '.'}\nActual message: "${actual && actual.message}"`, 'doesNotThrow', doesNotThrow);
  }
  throw actual;
}

/** rejects awaits the promise (or fn's) and rejects unless it rejects with what error describes. */
export async function rejects(promiseFn, error, message) {
  [error, message] = split(error, message);
  const actual = await settle(promiseFn);
  if (actual === NO_EXCEPTION) {
    fail_(undefined, error, `Missing expected rejection${error && error.name ? ` (${error.name})` : ''}${message ? `: ${message}` : '.'}`, 'rejects', rejects);
  }
  checkThrown(actual, error, message, rejects);
}

/** doesNotReject awaits the promise (or fn's) and rejects if it rejects. */
export async function doesNotReject(promiseFn, error, message) {
  [error, message] = split(error, message);
  const actual = await settle(promiseFn);
  if (actual === NO_EXCEPTION) return;
  if (error === undefined || (typeof error === 'function' && actual instanceof error) || (error instanceof RegExp && error.test(String(actual)))) {
    fail_(actual, error, `Got unwanted rejection${message ? `: ${message}` : '.'}\nActual message: "${actual && actual.message}"`, 'doesNotReject', doesNotReject);
  }
  throw actual;
}

const common = { fail, ifError, match, doesNotMatch, throws, doesNotThrow, rejects, doesNotReject, AssertionError, notStrictEqual, strictEqual, deepStrictEqual, notDeepStrictEqual };

/** assert is ok(), with every assertion as a property (the module's export). */
function assert(...args) {
  innerOk(assert, args.length, ...args);
}
Object.assign(assert, common, { ok, equal, notEqual, deepEqual, notDeepEqual });

/** strict is assert in strict mode: equal is strictEqual, deepEqual is deepStrictEqual. */
export function strict(...args) {
  innerOk(strict, args.length, ...args);
}
Object.assign(strict, common, { ok, equal: strictEqual, notEqual: notStrictEqual, deepEqual: deepStrictEqual, notDeepEqual: notDeepStrictEqual });
strict.strict = strict;
assert.strict = strict;

export default register('assert', assert);
