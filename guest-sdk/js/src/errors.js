// Bindery JavaScript Worker runtime: the error the bindings throw. It is
// its own module so that every binding's module (runtime.js, d1.js) throws
// the one class; runtime.js re-exports it as `@bindery/worker`'s
// BindingError.

/** Error is a Bindery binding's error: `code` is the WIT case (e.g. "invalid-key"). */
export class BindingError extends Error {
  constructor(code, message) {
    super(message ? `${code}: ${message}` : code);
    this.name = 'BindingError';
    this.code = code;
  }
}
