// Request and Response where StarlingMonkey's (componentize-js 0.23) fall
// short of what Workers use:
//
// - formData() on both, and FormData bodies in both constructors: see
//   formdata.js.
//
// The constructors stay the engine's: globalThis.Request and .Response
// become Proxies whose construct trap only rewrites a FormData body, so
// instanceof, subclassing and the static methods work as before, for
// objects the engine makes (request.clone()) too.
import { encodeFormData, readFormData } from './formdata.js';

const NativeRequest = globalThis.Request;
const NativeResponse = globalThis.Response;

const method = (proto, name, value) => Object.defineProperty(proto, name, { value, writable: true, configurable: true });

export function installBody() {
  const R = NativeResponse.prototype;
  for (const proto of [NativeRequest.prototype, R]) {
    const kind = proto === R ? 'Response' : 'Request';
    method(proto, 'formData', async function formData() {
      if (this.bodyUsed) throw new TypeError(`${kind}.formData: the body has already been used`);
      return readFormData(this.body, this.headers.get('content-type'));
    });
  }

  const formBody = (body) => (body instanceof FormData ? encodeFormData(body) : body);
  const Response = new Proxy(NativeResponse, {
    construct(target, args, newTarget) {
      if (args[0] instanceof FormData) args = [formBody(args[0]), ...args.slice(1)];
      return Reflect.construct(target, args, newTarget === Response ? target : newTarget);
    },
  });
  const Request = new Proxy(NativeRequest, {
    construct(target, args, newTarget) {
      let [input, init] = args;
      if (init != null && init.body instanceof FormData) {
        // Keep the rest of init as it is (it may be a Request, read through getters).
        init = Object.create(init, { body: { value: formBody(init.body), enumerable: true } });
        args = [input, init, ...args.slice(2)];
      }
      return Reflect.construct(target, args, newTarget === Request ? target : newTarget);
    },
  });
  method(R, 'constructor', Response);
  method(NativeRequest.prototype, 'constructor', Request);
  method(globalThis, 'Response', Response);
  method(globalThis, 'Request', Request);
}
