// The globals nodejs_compat v2 gives a Worker, as workerd defines them:
// Buffer, process, global, setImmediate and clearImmediate. internal/jsbuild
// imports this module after the runtime and before the Worker.
import { Buffer } from './buffer.js';
import process from './process.js';
import { setImmediate, clearImmediate } from './timers.js';

for (const [name, value] of Object.entries({ Buffer, process, global: globalThis, setImmediate, clearImmediate })) {
  if (!(name in globalThis)) {
    Object.defineProperty(globalThis, name, { value, writable: true, configurable: true, enumerable: false });
  }
}
