// node:module: builtinModules, isBuiltin, and createRequire, whose require
// returns the built-in modules the bundle holds (a bundle has no module
// loader: any other require throws; import the module instead).
import { lookup, register as registerBuiltin } from './builtins.js';
import { notImplemented } from './stub.js';

export const builtinModules = Object.freeze([
  '_http_agent', '_http_client', '_http_common', '_http_incoming', '_http_outgoing', '_http_server', '_stream_duplex',
  '_stream_passthrough', '_stream_readable', '_stream_transform', '_stream_wrap', '_stream_writable', '_tls_common',
  '_tls_wrap', 'assert', 'assert/strict', 'async_hooks', 'buffer', 'child_process', 'cluster', 'console', 'constants',
  'crypto', 'dgram', 'diagnostics_channel', 'dns', 'dns/promises', 'domain', 'events', 'fs', 'fs/promises', 'http',
  'http2', 'https', 'inspector', 'inspector/promises', 'module', 'net', 'os', 'path', 'path/posix', 'path/win32',
  'perf_hooks', 'process', 'punycode', 'querystring', 'readline', 'readline/promises', 'repl', 'stream',
  'stream/consumers', 'stream/promises', 'stream/web', 'string_decoder', 'sys', 'timers', 'timers/promises', 'tls',
  'trace_events', 'tty', 'url', 'util', 'util/types', 'v8', 'vm', 'wasi', 'worker_threads', 'zlib',
]);

/** isBuiltin reports whether name is a Node.js built-in module. */
export function isBuiltin(name) {
  const n = String(name);
  return builtinModules.includes(n.replace(/^node:/, '')) || ['node:sea', 'node:sqlite', 'node:test', 'node:test/reporters'].includes(n);
}

/** createRequire returns a require for built-in modules the bundle holds. */
export function createRequire(filename) {
  void filename;
  function require(id) {
    const m = lookup(id);
    if (m !== undefined) return m;
    const e = new Error(`[bindery] require(${JSON.stringify(id)}): a Worker's bundle has no module loader; import ${JSON.stringify(id)} instead`);
    e.code = 'MODULE_NOT_FOUND';
    throw e;
  }
  require.resolve = (id) => {
    if (isBuiltin(id)) return String(id);
    throw notImplemented(`require.resolve(${JSON.stringify(id)})`);
  };
  require.cache = Object.create(null);
  return require;
}

export const findSourceMap = () => undefined;

/** register (module hooks) is not supported: a bundle has no loader. */
export function register() {
  throw notImplemented('module.register');
}

export function syncBuiltinESMExports() {}

/** Module is the CommonJS module class (not usable in a Worker). */
export class Module {
  static builtinModules = builtinModules;
  static isBuiltin = isBuiltin;
  static createRequire = createRequire;
  constructor(id = '') {
    this.id = id;
    this.exports = {};
  }
}

export default registerBuiltin('module', Object.assign(Module, { Module, builtinModules, isBuiltin, createRequire, findSourceMap, register, syncBuiltinESMExports }));
