// node:_stream_readable: stream.Readable.
import { Readable } from './stream.js';

export default Readable;
