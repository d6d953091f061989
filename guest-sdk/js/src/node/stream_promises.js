// node:stream/promises: pipeline and finished returning promises.
import Stream from './stream.js';
import { register } from './builtins.js';

export const { pipeline, finished } = Stream.promises;

export default register('stream/promises', { pipeline, finished });
