// The Node.js built-in modules the bundle holds, by name, for
// process.getBuiltinModule: each module of src/node/ registers itself when
// it is evaluated (a built-in the Worker never imports is not bundled, and
// getBuiltinModule returns undefined for it).
const loaded = new Map();

/** register records a built-in module's exports under its name (without "node:"). */
export function register(name, exports) {
  loaded.set(name, exports);
  return exports;
}

/** lookup returns a registered module's exports, or undefined. */
export function lookup(id) {
  return loaded.get(String(id).replace(/^node:/, ''));
}
