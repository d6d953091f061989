// node:_stream_duplex: stream.Duplex.
import { Duplex } from './stream.js';

export default Duplex;
