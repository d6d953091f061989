// console: Workers' console methods over bindery:log/console. Each call is
// one record in the host's log, at its level, never split by lines: an
// error and its stack stay together. Arguments are formatted as Node and
// workerd do (printf-style %s %d %i %f %j %o %O %c in a leading string;
// objects inspected; errors as "Name: message" and their stack, one
// "    at fn (file:line:col)" a frame). The host maps the positions in the
// bundle back to the Worker's sources through the source map.
import { log } from 'bindery:log/console@0.1.0';

const MAX_RECORD = 64 << 10;

/** formatError is an error as V8 prints it: "Name: message", then its stack. */
export function formatError(e, seen = new Set()) {
  let s;
  try {
    s = `${e.name ?? 'Error'}: ${e.message ?? ''}`;
  } catch {
    s = 'Error';
  }
  const stack = typeof e.stack === 'string' ? e.stack : '';
  for (const frame of stack.split('\n')) {
    if (!frame) continue;
    // SpiderMonkey: "fn@file:line:col" ("@file…" for anonymous code).
    const at = frame.lastIndexOf('@');
    const fn = at > 0 ? frame.slice(0, at) : '<anonymous>';
    s += `\n    at ${fn} (${at >= 0 ? frame.slice(at + 1) : frame})`;
  }
  if (e.cause !== undefined && !seen.has(e.cause)) {
    seen.add(e);
    s += '\n  [cause]: ' + (e.cause instanceof Error ? formatError(e.cause, seen) : inspect(e.cause));
  }
  return s;
}

/** inspect formats any value for the log, as util.inspect does in outline. */
export function inspect(v, depth = 2, seen = new Set()) {
  switch (typeof v) {
    case 'string':
      return depth === 2 ? v : JSON.stringify(v);
    case 'number':
      return Object.is(v, -0) ? '-0' : String(v);
    case 'bigint':
      return `${v}n`;
    case 'undefined':
    case 'boolean':
      return String(v);
    case 'symbol':
      return v.toString();
    case 'function':
      return v.name ? `[Function: ${v.name}]` : '[Function (anonymous)]';
  }
  if (v === null) return 'null';
  if (v instanceof Error) return formatError(v);
  if (seen.has(v)) return '[Circular]';
  if (v instanceof Date) return isNaN(v) ? 'Invalid Date' : v.toISOString();
  if (v instanceof RegExp) return String(v);
  if (depth < 0) return Array.isArray(v) ? '[Array]' : '[Object]';
  seen.add(v);
  try {
    const inner = (x) => inspect(x, depth - 1, seen);
    if (Array.isArray(v)) {
      const items = v.slice(0, 100).map(inner);
      if (v.length > 100) items.push(`... ${v.length - 100} more items`);
      return `[ ${items.join(', ')} ]`.replace('[  ]', '[]');
    }
    if (ArrayBuffer.isView(v) && !(v instanceof DataView)) {
      const items = Array.from(v.slice(0, 50), String);
      if (v.length > 50) items.push(`... ${v.length - 50} more items`);
      return `${v.constructor.name}(${v.length}) [ ${items.join(', ')} ]`;
    }
    if (v instanceof Map) return `Map(${v.size}) { ${[...v].map(([k, x]) => `${inner(k)} => ${inner(x)}`).join(', ')} }`;
    if (v instanceof Set) return `Set(${v.size}) { ${[...v].map(inner).join(', ')} }`;
    if (typeof Promise !== 'undefined' && v instanceof Promise) return 'Promise { <pending> }';
    const name = v.constructor && v.constructor !== Object && typeof v.constructor.name === 'string' ? v.constructor.name + ' ' : '';
    const keys = Object.keys(v);
    if (keys.length === 0) return name + '{}';
    const props = keys.slice(0, 100).map((k) => `${/^[A-Za-z_$][\w$]*$/.test(k) ? k : JSON.stringify(k)}: ${inner(v[k])}`);
    if (keys.length > 100) props.push(`... ${keys.length - 100} more properties`);
    return `${name}{ ${props.join(', ')} }`;
  } catch {
    return Object.prototype.toString.call(v);
  } finally {
    seen.delete(v);
  }
}

/** format joins console arguments into one record's text. */
export function format(args) {
  let i = 0;
  let out = '';
  if (typeof args[0] === 'string' && args.length > 1) {
    i = 1;
    out = args[0].replace(/%[sdifjoOc%]/g, (m) => {
      if (m === '%%') return '%';
      if (i >= args.length) return m;
      const a = args[i++];
      switch (m) {
        case '%s':
          return typeof a === 'string' ? a : inspect(a, 1);
        case '%d':
        case '%i':
          return typeof a === 'bigint' ? `${a}n` : String(m === '%i' ? parseInt(a) : Number(a));
        case '%f':
          return String(parseFloat(a));
        case '%j':
          try {
            return JSON.stringify(a);
          } catch {
            return '[Circular]';
          }
        case '%c':
          return '';
        default:
          return inspect(a, 4);
      }
    });
  } else if (args.length > 0) {
    out = inspect(args[0]);
    i = 1;
  }
  for (; i < args.length; i++) out += ' ' + inspect(args[i]);
  return out.length > MAX_RECORD ? out.slice(0, MAX_RECORD) + '…' : out;
}

/** installConsole routes the console's logging methods to the host's log. */
export function installConsole(c = globalThis.console) {
  const levels = { debug: 'debug', trace: 'debug', log: 'info', info: 'info', warn: 'warn', error: 'error' };
  for (const [method, level] of Object.entries(levels)) {
    c[method] = (...args) => {
      let text = format(args);
      if (method === 'trace') text = 'Trace: ' + text + '\n' + formatError(new Error('trace')).split('\n').slice(2).join('\n');
      try {
        log(level, text.isWellFormed?.() === false ? text.toWellFormed() : text);
      } catch {
        // A log must never fail the request.
      }
    };
  }
  c.assert = (cond, ...args) => {
    if (!cond) c.error(args.length ? 'Assertion failed: ' + format(args) : 'Assertion failed');
  };
}
