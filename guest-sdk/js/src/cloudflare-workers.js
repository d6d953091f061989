// Bindery JavaScript Worker runtime: the module "cloudflare:workers", as
// workerd provides it, for what Bindery has of it: the Durable Object base
// class, the WorkerEntrypoint base class (a default export's class form),
// env (the Worker's bindings, also outside a request) and the WebSocket
// classes. internal/jsbuild resolves the import to this file.
export { env } from './runtime.js';
export { DurableObject, WebSocketRequestResponsePair, WebSocketPair, WebSocket } from './durable.js';
export { WorkerEntrypoint } from './entrypoint.js';
