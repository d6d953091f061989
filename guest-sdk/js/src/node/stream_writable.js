// node:_stream_writable: stream.Writable.
import { Writable } from './stream.js';

export default Writable;
