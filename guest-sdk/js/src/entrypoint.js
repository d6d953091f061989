// Bindery JavaScript Worker runtime: the two forms of a module Worker's
// default export, as workerd takes them. An object's handlers are called
// as handler(arg, env, ctx) (`export default { async fetch(request, env,
// ctx) { … } }`); a class's (`export default class extends
// WorkerEntrypoint { async fetch(request) { … } }`) on a new instance per
// event, made with new Class(ctx, env), as handler(arg), with this.env and
// this.ctx. cloudflare-workers.js exports WorkerEntrypoint.

/**
 * WorkerEntrypoint is the base class of a Worker whose default export is
 * a class: each event gets a new instance, with ctx and env.
 */
export class WorkerEntrypoint {
  constructor(ctx, env) {
    this.ctx = ctx;
    this.env = env;
  }
}

/**
 * handlerMethod returns how to call the handler name ("fetch", "queue",
 * "scheduled") of a Worker whose default export is def, as f(arg, ctx);
 * undefined when def has no such handler.
 */
export function handlerMethod(def, name, env) {
  // A class: the method is on its prototype. (A function with the method
  // as its own property, as some frameworks' app objects are, is an
  // object here.)
  if (typeof def === 'function' && typeof def.prototype?.[name] === 'function') {
    return (arg, ctx) => new def(ctx, env)[name](arg);
  }
  if (def != null && typeof def[name] === 'function') return (arg, ctx) => def[name](arg, env, ctx);
  return undefined;
}

/**
 * isModuleWorker says whether worker (a module namespace) is a module
 * Worker: its default export (an object or a class) has fetch, queue or
 * scheduled. Else it is a service worker (esbuild gives a script without
 * exports a default export too: its empty module.exports).
 */
export function isModuleWorker(worker) {
  return ['fetch', 'queue', 'scheduled'].some((k) => handlerMethod(worker?.default, k) !== undefined);
}
