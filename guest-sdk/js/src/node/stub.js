// A Node.js built-in module the SDK does not implement (node:fs, node:net,
// node:zlib, …), as unenv stubs them: importing it works, so a library
// that only mentions it (a `require('fs')` on a path a Worker never takes)
// bundles and loads; calling or constructing anything in it throws an
// Error saying what is missing. Any property is such a function (and its
// properties are too), so `import { readFileSync } from 'node:fs'` and
// `class X extends require('net').Socket {}` evaluate.

// notImplemented is the error a stub throws.
export function notImplemented(what) {
  const e = new Error(`[bindery] ${what} is not implemented: Bindery's nodejs_compat does not provide it (see docs/sdk-js.md, "Node.js compatibility")`);
  e.code = 'ERR_NOT_IMPLEMENTED';
  return e;
}

// Properties every object answers (valueOf, toString, hasOwnProperty, …)
// and those module loaders probe (__esModule, then) are not stubs.
function passThrough(key) {
  return typeof key === 'symbol' || key === '__esModule' || key === 'then' || key in Object.prototype;
}

// missing is a function that throws when called or constructed, and whose
// properties are more of the same.
function missing(path) {
  const f = function () {};
  return new Proxy(f, {
    get(target, key) {
      if (key === 'prototype' || key in Function.prototype) return Reflect.get(target, key);
      if (passThrough(key)) return Reflect.get(target, key);
      return missing(`${path}.${String(key)}`);
    },
    apply() {
      throw notImplemented(path);
    },
    construct() {
      throw notImplemented(`new ${path}`);
    },
  });
}

/** stub returns module.exports for the built-in module name ("node:fs"). */
export function stub(name) {
  // The exports' prototype answers every name: esbuild's __toESM copies
  // the prototype, so named imports find the stubs there too.
  const proto = new Proxy(Object.create(null), {
    get(_, key) {
      if (key === 'default') return undefined;
      if (passThrough(key)) return Reflect.get(Object.prototype, key);
      return missing(`${name}.${String(key)}`);
    },
  });
  return Object.create(proto);
}
