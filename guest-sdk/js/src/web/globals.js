// Globals Workers have on Cloudflare that StarlingMonkey (componentize-js
// 0.23) lacks or that must not reach the engine: navigator, scheduler,
// URLPattern, fetch, and the cf object of incoming requests.
import { URLPattern } from './urlpattern.js';

/** Navigator is Cloudflare's navigator: userAgent "Cloudflare-Workers". */
class Navigator {
  get userAgent() { return 'Cloudflare-Workers'; }
  get hardwareConcurrency() { return 1; }
}

/** Scheduler is Cloudflare's scheduler: wait(ms, { signal }). */
class Scheduler {
  wait(delay = 0, options = undefined) {
    const signal = options && options.signal;
    return new Promise((resolve, reject) => {
      const abort = () => reject(signal.reason !== undefined ? signal.reason : new DOMException('The operation was aborted.', 'AbortError'));
      if (signal && signal.aborted) {
        abort();
        return;
      }
      const onAbort = () => {
        clearTimeout(id);
        abort();
      };
      const id = setTimeout(() => {
        if (signal) signal.removeEventListener('abort', onAbort);
        resolve();
      }, Math.max(0, Number(delay) || 0));
      if (signal) signal.addEventListener('abort', onAbort, { once: true });
    });
  }
}

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

/**
 * localCf is request.cf for a request Bindery serves: where Cloudflare
 * puts what its edge knows of the client, a local server knows nothing, so
 * the values say so (colo "LOCAL", country "XX", Cloudflare's own code for
 * an unknown country) and keep the shape workers-types declares, so code
 * that reads request.cf.botManagement.score or .tlsClientAuth does not
 * throw. A new object for each request.
 */
export function localCf() {
  return {
    asn: 0, asOrganization: '', colo: 'LOCAL', country: 'XX', city: '', continent: '', region: '', regionCode: '',
    metroCode: '', postalCode: '', timezone: 'UTC', latitude: '', longitude: '',
    clientTcpRtt: 0, httpProtocol: 'HTTP/1.1', requestPriority: '', tlsCipher: '', tlsVersion: '',
    edgeRequestKeepAliveStatus: 1, clientTrustScore: 99,
    botManagement: { corporateProxy: false, verifiedBot: false, ja3Hash: '', staticResource: false, detectionIds: [], score: 99 },
    tlsClientAuth: {
      certPresented: '0', certVerified: 'NONE', certRevoked: '0', certIssuerDN: '', certSubjectDN: '', certIssuerDNRFC2253: '',
      certSubjectDNRFC2253: '', certIssuerDNLegacy: '', certSubjectDNLegacy: '', certSerial: '', certIssuerSerial: '', certSKI: '',
      certIssuerSKI: '', certFingerprintSHA1: '', certFingerprintSHA256: '', certNotBefore: '', certNotAfter: '',
    },
  };
}

export function installGlobals() {
  const define = (name, value) => Object.defineProperty(globalThis, name, { value, writable: true, configurable: true });
  define('navigator', new Navigator());
  define('Navigator', Navigator);
  define('scheduler', new Scheduler());
  define('fetch', fetch);
  if (typeof globalThis.URLPattern !== 'function') define('URLPattern', URLPattern);
}
