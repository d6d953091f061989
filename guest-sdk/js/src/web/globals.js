// Globals Workers have on Cloudflare that StarlingMonkey (componentize-js
// 0.23) lacks or that must not reach the engine: URLPattern and fetch.
import { URLPattern } from './urlpattern.js';

/**
 * fetch rejects every request with a TypeError the Worker can catch: the
 * host grants no outgoing HTTP yet. StarlingMonkey's own fetch would call
 * wasi:http, which the host does not serve, and trap (an uncatchable 500
 * that costs the instance).
 */
async function fetch(input, init) {
  let target;
  try {
    target = input instanceof Request ? input.url : String(input instanceof URL ? input.href : input);
  } catch {
    target = '(a URL that cannot be shown)';
  }
  throw new TypeError(`outbound fetch is not available yet in bindery: ${target}`);
}

export function installGlobals() {
  const define = (name, value) => Object.defineProperty(globalThis, name, { value, writable: true, configurable: true });
  define('fetch', fetch);
  if (typeof globalThis.URLPattern !== 'function') define('URLPattern', URLPattern);
}
