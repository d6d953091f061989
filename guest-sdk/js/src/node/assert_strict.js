// node:assert/strict: assert's strict mode.
import assert from './assert.js';
import { register } from './builtins.js';

const { strict } = assert;
export const {
  ok, equal, notEqual, deepEqual, notDeepEqual, strictEqual, notStrictEqual, deepStrictEqual, notDeepStrictEqual,
  throws, doesNotThrow, rejects, doesNotReject, fail, ifError, match, doesNotMatch, AssertionError,
} = strict;
export { strict };

export default register('assert/strict', strict);
