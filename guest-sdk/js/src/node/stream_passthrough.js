// node:_stream_passthrough: stream.PassThrough.
import { PassThrough } from './stream.js';

export default PassThrough;
