// node:process: the process object as Workers have it (and the global
// `process` with nodejs_compat v2). process.env holds the Worker's vars and
// secrets when the compatibility date and flags say so
// (nodejs_compat_populate_process_env): text as it is, JSON that is a
// string as that string, other JSON as its text. Values written to it are
// strings; it is one object for the life of the instance.
import * as vars from 'bindery:config/vars@0.1.0';
import { populateProcessEnv } from 'bindery-node:config';
import { trap } from '../runtime.js';
import EventEmitter from './events.js';
import { lookup, register } from './builtins.js';

/** NODE_VERSION is the Node.js version process.version reports. */
const NODE_VERSION = '22.14.0';

// --- env ---------------------------------------------------------------------------

function varValue(name) {
  if (!populateProcessEnv || !name.isWellFormed()) return undefined;
  const x = vars.get(name);
  if (x === undefined) return undefined;
  if (x.tag !== 'json') return x.val;
  try {
    const v = JSON.parse(x.val);
    return typeof v === 'string' ? v : x.val;
  } catch {
    return x.val;
  }
}

function makeEnv() {
  const written = Object.create(null);
  const removed = new Set();
  const cache = new Map();
  const base = (name) => {
    if (removed.has(name)) return undefined;
    if (!cache.has(name)) cache.set(name, varValue(name));
    return cache.get(name);
  };
  const get = (name) => (typeof name !== 'string' ? undefined : name in written ? written[name] : base(name));
  return new Proxy(written, {
    get(_, name) {
      return get(name);
    },
    set(_, name, value) {
      if (typeof name === 'symbol') throw new TypeError('Cannot convert a Symbol value to a string');
      written[name] = String(value);
      removed.delete(name);
      return true;
    },
    defineProperty(_, name, desc) {
      if (!('value' in desc)) throw new TypeError("'process.env' only accepts a configurable, writable, and enumerable data descriptor");
      written[name] = String(desc.value);
      removed.delete(name);
      return true;
    },
    has(_, name) {
      return get(name) !== undefined;
    },
    deleteProperty(_, name) {
      delete written[name];
      removed.add(name);
      return true;
    },
    ownKeys() {
      const keys = new Set(Object.keys(written));
      if (populateProcessEnv) {
        for (const n of vars.names()) if (!removed.has(n) && base(n) !== undefined) keys.add(n);
      }
      return [...keys];
    },
    getOwnPropertyDescriptor(_, name) {
      const value = get(name);
      return value === undefined ? undefined : { value, writable: true, enumerable: true, configurable: true };
    },
  });
}

// --- the process ---------------------------------------------------------------------

// The engine's performance clock starts when the Worker serves (not while
// the host pre-initialises it): uptime counts from its first use.
let start;
const now = () => {
  const t = performance.now();
  if (start === undefined) start = t;
  return t;
};

/** hrtime returns [seconds, nanoseconds] since an arbitrary time, or since prev. */
function hrtime(prev) {
  const ns = BigInt(Math.round(performance.now() * 1e6));
  let s = Number(ns / 1000000000n);
  let n = Number(ns % 1000000000n);
  if (prev) {
    s -= prev[0];
    n -= prev[1];
    if (n < 0) {
      s--;
      n += 1e9;
    }
  }
  return [s, n];
}
hrtime.bigint = () => BigInt(Math.round(performance.now() * 1e6));

// A stream-like writer to the Worker's log (process.stdout, process.stderr).
function writer(fd, log) {
  const w = new EventEmitter();
  let pending = '';
  Object.assign(w, {
    fd,
    isTTY: false,
    writable: true,
    columns: 80,
    write(chunk, encoding, callback) {
      if (typeof encoding === 'function') callback = encoding;
      pending += typeof chunk === 'string' ? chunk : new TextDecoder().decode(chunk);
      // One log record a line, as the host's log is by records.
      let i;
      while ((i = pending.indexOf('\n')) >= 0) {
        log(pending.slice(0, i));
        pending = pending.slice(i + 1);
      }
      if (typeof callback === 'function') queueMicrotask(callback);
      return true;
    },
    end(chunk, encoding, callback) {
      if (chunk != null && typeof chunk !== 'function') w.write(chunk, encoding);
      if (pending) log(pending);
      pending = '';
      const cb = [chunk, encoding, callback].find((f) => typeof f === 'function');
      if (cb) queueMicrotask(cb);
      return w;
    },
    hasColors: () => false,
    getColorDepth: () => 1,
  });
  return w;
}

function unsupported(name) {
  return () => {
    throw new Error(`[bindery] process.${name} is not supported in a Worker`);
  };
}

class Process extends EventEmitter {
  get [Symbol.toStringTag]() {
    return 'process';
  }
}

const process = new Process();
let exitCode;
let workingDir = '/';

Object.assign(process, {
  title: 'node',
  version: `v${NODE_VERSION}`,
  versions: Object.freeze({ node: NODE_VERSION }),
  release: Object.freeze({ name: 'node' }),
  platform: 'linux',
  arch: 'x64',
  argv: ['node'],
  argv0: 'node',
  execArgv: [],
  execPath: '/usr/bin/node',
  pid: 1,
  ppid: 0,
  env: makeEnv(),
  features: Object.freeze({ inspector: false, debug: false, uv: false, ipv6: false, tls_alpn: false, tls_sni: false, tls_ocsp: false, tls: false, cached_builtins: true, typescript: false }),
  config: Object.freeze({ target_defaults: {}, variables: {} }),
  allowedNodeEnvironmentFlags: new Set(),
  noDeprecation: false,
  throwDeprecation: false,
  traceDeprecation: false,
  sourceMapsEnabled: false,
  hrtime,
  stdout: writer(1, (s) => console.log(s)),
  stderr: writer(2, (s) => console.error(s)),
  stdin: Object.assign(new EventEmitter(), { fd: 0, isTTY: false, readable: false, read: () => null }),

  /** nextTick calls fn(...args) after the current operation, before any timer (a microtask, as in workerd). */
  nextTick(fn, ...args) {
    if (typeof fn !== 'function') throw new TypeError('The "callback" argument must be of type function');
    queueMicrotask(() => fn(...args));
  },
  cwd: () => workingDir,
  chdir(dir) {
    workingDir = String(dir);
  },
  umask: () => 0o022,
  getuid: () => 0,
  geteuid: () => 0,
  getgid: () => 0,
  getegid: () => 0,
  getgroups: () => [],
  uptime: () => (now() - start) / 1000,
  memoryUsage: Object.assign(() => ({ rss: 0, heapTotal: 0, heapUsed: 0, external: 0, arrayBuffers: 0 }), { rss: () => 0 }),
  cpuUsage: () => ({ user: 0, system: 0 }),
  resourceUsage: () => ({ userCPUTime: 0, systemCPUTime: 0, maxRSS: 0 }),
  availableMemory: () => 128 << 20,
  constrainedMemory: () => 128 << 20,

  /** emitWarning logs a warning (and emits 'warning'). */
  emitWarning(warning, type, code) {
    if (type && typeof type === 'object') ({ type, code } = type);
    const w = typeof warning === 'string' ? Object.assign(new Error(warning), { name: type || 'Warning' }) : warning;
    if (code !== undefined) w.code = code;
    if (process.noDeprecation && w.name === 'DeprecationWarning') return;
    if (process.throwDeprecation && w.name === 'DeprecationWarning') throw w;
    process.emit('warning', w);
    console.warn(`(node:${process.pid}) ${code ? `[${code}] ` : ''}${w.name}: ${w.message}`);
  },

  /** exit ends the request as a trap (the instance is replaced), as process.exit ends a Worker's isolate. */
  exit(code) {
    trap(`process.exit(${code === undefined ? (exitCode ?? 0) : code}) was called`);
  },
  abort() {
    trap('process.abort() was called');
  },
  reallyExit(code) {
    trap(`process.exit(${code}) was called`);
  },
  get exitCode() {
    return exitCode;
  },
  set exitCode(v) {
    exitCode = v;
  },
  kill: unsupported('kill'),
  binding: unsupported('binding'),
  dlopen: unsupported('dlopen'),
  loadEnvFile: unsupported('loadEnvFile'),
  setUncaughtExceptionCaptureCallback() {},
  hasUncaughtExceptionCaptureCallback: () => false,
  setSourceMapsEnabled() {},
  ref() {},
  unref() {},

  /** getBuiltinModule returns a built-in module the bundle holds (undefined for one it does not). */
  getBuiltinModule: (id) => lookup(id),
});

export default register('process', process);

export const {
  env, nextTick, version, versions, release, platform, arch, argv, argv0, execArgv, execPath, pid, ppid, title,
  features, config, stdout, stderr, stdin, cwd, chdir, umask, getuid, geteuid, getgid, getegid, getgroups,
  uptime, memoryUsage, cpuUsage, resourceUsage, emitWarning, exit, abort, kill, binding, getBuiltinModule,
  allowedNodeEnvironmentFlags, availableMemory, constrainedMemory,
} = process;
export { hrtime };
export const on = process.on.bind(process);
export const once = process.once.bind(process);
export const off = process.off.bind(process);
export const emit = process.emit.bind(process);
export const addListener = process.addListener.bind(process);
export const removeListener = process.removeListener.bind(process);
export const removeAllListeners = process.removeAllListeners.bind(process);
export const listeners = process.listeners.bind(process);
