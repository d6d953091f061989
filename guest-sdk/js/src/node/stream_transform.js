// node:_stream_transform: stream.Transform.
import { Transform } from './stream.js';

export default Transform;
