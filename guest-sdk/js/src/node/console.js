// node:console: the Worker's console, and Console, which writes formatted
// lines to the streams it is given.
import { formatWithOptions } from './inspect.js';
import { register } from './builtins.js';

const global = globalThis.console;

/** Console writes util.format'ed lines to stdout (log, info, debug) and stderr (warn, error). */
export class Console {
  #out;
  #err;
  #opts;
  #counts = new Map();
  #timers = new Map();
  #indent = '';

  constructor(stdout, stderr, ignoreErrors) {
    void ignoreErrors;
    if (stdout && typeof stdout.write !== 'function' && stdout.stdout) ({ stdout, stderr } = stdout);
    if (!stdout || typeof stdout.write !== 'function') throw new TypeError('The "stdout" argument must have a write method');
    this.#out = stdout;
    this.#err = stderr || stdout;
    this.#opts = {};
    for (const m of Object.getOwnPropertyNames(Console.prototype)) {
      if (m !== 'constructor' && typeof this[m] === 'function') this[m] = this[m].bind(this);
    }
  }

  #write(stream, args) {
    const text = formatWithOptions(this.#opts, ...args);
    stream.write(this.#indent + text.replace(/\n/g, `\n${this.#indent}`) + '\n');
  }

  log(...args) { this.#write(this.#out, args); }
  info(...args) { this.#write(this.#out, args); }
  debug(...args) { this.#write(this.#out, args); }
  warn(...args) { this.#write(this.#err, args); }
  error(...args) { this.#write(this.#err, args); }
  trace(...args) { this.#write(this.#err, ['Trace:', ...args]); }
  dir(v, options) { this.#out.write(formatWithOptions({ ...options }, v) + '\n'); }
  assert(cond, ...args) { if (!cond) this.warn('Assertion failed' + (args.length ? ':' : ''), ...args); }
  count(label = 'default') { const n = (this.#counts.get(label) || 0) + 1; this.#counts.set(label, n); this.log(`${label}: ${n}`); }
  countReset(label = 'default') { this.#counts.delete(label); }
  group(...args) { if (args.length) this.log(...args); this.#indent += '  '; }
  groupEnd() { this.#indent = this.#indent.slice(2); }
  time(label = 'default') { this.#timers.set(label, performance.now()); }
  timeEnd(label = 'default') { this.timeLog(label); this.#timers.delete(label); }
  timeLog(label = 'default', ...args) { const t = this.#timers.get(label); if (t !== undefined) this.log(`${label}: ${(performance.now() - t).toFixed(3)}ms`, ...args); }
  table(data) { this.log(data); }
}
Console.prototype.groupCollapsed = Console.prototype.group;
Console.prototype.dirxml = Console.prototype.log;

export default register('console', Object.assign(global, { Console }));
