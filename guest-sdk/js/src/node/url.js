// node:url: the WHATWG URL and URLSearchParams (the engine's), file URL
// helpers, and the legacy API: url.parse into Url objects whose fields
// are Node's (null when absent, the host lowercased, the query parsed on
// request), url.format of those, URL objects and strings, and url.resolve,
// which resolves as WHATWG URLs do (with a relative base kept relative).
import * as querystring from './querystring.js';
import { register } from './builtins.js';

export const URL = globalThis.URL;
export const URLSearchParams = globalThis.URLSearchParams;

const slashedProtocol = new Set(['http', 'http:', 'https', 'https:', 'ftp', 'ftp:', 'gopher', 'gopher:', 'file', 'file:', 'ws', 'ws:', 'wss', 'wss:']);
const hostlessProtocol = new Set(['javascript', 'javascript:']);
const unsafeProtocol = hostlessProtocol;
const autoEscape = ['{', '}', '|', '\\', '^', '`', "'", '<', '>', '"', ' ', '\r', '\n', '\t'];
// A host ends at the first of these (after the auth).
const nonHostChars = new Set(['%', '/', '?', ';', '#', ...autoEscape]);
const hostEndingChars = ['/', '?', '#'];

/** Url is what url.parse returns: every field null unless the URL has it. */
export class Url {
  constructor() {
    this.protocol = null;
    this.slashes = null;
    this.auth = null;
    this.host = null;
    this.port = null;
    this.hostname = null;
    this.hash = null;
    this.search = null;
    this.query = null;
    this.pathname = null;
    this.path = null;
    this.href = null;
  }

  /** parse fills the Url from a URL string (see url.parse). */
  parse(url, parseQueryString, slashesDenoteHost) {
    if (typeof url !== 'string') throw new TypeError(`The "url" argument must be of type string. Received ${typeof url}`);
    let rest = url.trim();
    // Backslashes before the query are slashes, as browsers read them.
    const q = rest.search(/[?#]/);
    rest = q < 0 ? rest.replace(/\\/g, '/') : rest.slice(0, q).replace(/\\/g, '/') + rest.slice(q);

    let lowerProto = '';
    const proto = /^[a-z0-9.+-]+:/i.exec(rest);
    if (proto) {
      lowerProto = proto[0].toLowerCase();
      this.protocol = lowerProto;
      rest = rest.slice(proto[0].length);
    }

    let slashes = false;
    if (slashesDenoteHost || proto || /^\/\/[^@/]+@[^@/]+/.test(rest)) {
      slashes = rest.startsWith('//');
      if (slashes && !(proto && hostlessProtocol.has(lowerProto))) {
        rest = rest.slice(2);
        this.slashes = true;
      }
    }

    if (!hostlessProtocol.has(lowerProto) && (slashes || (proto && !slashedProtocol.has(lowerProto)))) {
      let hostEnd = -1;
      for (const c of hostEndingChars) {
        const i = rest.indexOf(c);
        if (i !== -1 && (hostEnd === -1 || i < hostEnd)) hostEnd = i;
      }
      const at = hostEnd === -1 ? rest.lastIndexOf('@') : rest.lastIndexOf('@', hostEnd);
      if (at !== -1) {
        this.auth = decodeURIComponent(rest.slice(0, at));
        rest = rest.slice(at + 1);
      }
      hostEnd = -1;
      for (let i = 0; i < rest.length; i++) {
        if (nonHostChars.has(rest[i])) {
          hostEnd = i;
          break;
        }
      }
      if (hostEnd === -1) hostEnd = rest.length;
      this.host = rest.slice(0, hostEnd);
      rest = rest.slice(hostEnd);
      this.#parseHost();
      let hostname = this.hostname || '';
      const ipv6 = hostname.startsWith('[') && hostname.endsWith(']');
      if (!ipv6) {
        hostname = hostname.length > 255 ? '' : hostname.toLowerCase();
        if (/[^\x00-\x7f]/.test(hostname)) {
          try {
            hostname = new URL(`http://${hostname}`).hostname;
          } catch {
            hostname = '';
          }
        }
      }
      this.hostname = hostname;
      this.host = hostname + (this.port ? `:${this.port}` : '');
      if (ipv6) {
        this.hostname = hostname.slice(1, -1);
        if (rest[0] !== '/') rest = '/' + rest;
      }
    }

    if (!unsafeProtocol.has(lowerProto)) {
      for (const c of autoEscape) {
        if (rest.includes(c)) rest = rest.split(c).join(c === "'" ? '%27' : encodeURIComponent(c));
      }
    }

    const hash = rest.indexOf('#');
    if (hash !== -1) {
      this.hash = rest.slice(hash);
      rest = rest.slice(0, hash);
    }
    const qm = rest.indexOf('?');
    if (qm !== -1) {
      this.search = rest.slice(qm);
      this.query = rest.slice(qm + 1);
      if (parseQueryString) this.query = querystring.parse(this.query);
      rest = rest.slice(0, qm);
    } else if (parseQueryString) {
      this.search = '';
      this.query = Object.create(null);
    }
    if (rest) this.pathname = rest;
    if (slashedProtocol.has(lowerProto) && this.hostname && !this.pathname) this.pathname = '/';
    if (this.pathname || this.search) this.path = (this.pathname || '') + (this.search || '');
    this.href = this.format();
    return this;
  }

  #parseHost() {
    let host = this.host;
    const port = /:[0-9]*$/.exec(host);
    if (port) {
      if (port[0] !== ':') this.port = port[0].slice(1);
      host = host.slice(0, host.length - port[0].length);
    }
    if (host) this.hostname = host;
  }

  /** format returns the URL the fields describe. */
  format() {
    let auth = this.auth || '';
    if (auth) auth = encodeURIComponent(auth).replace(/%3A/i, ':') + '@';
    let protocol = this.protocol || '';
    let pathname = this.pathname || '';
    let hash = this.hash || '';
    let host = '';
    let query = '';
    if (this.host) {
      host = auth + this.host;
    } else if (this.hostname) {
      host = auth + (this.hostname.includes(':') && !(this.hostname.startsWith('[') && this.hostname.endsWith(']')) ? `[${this.hostname}]` : this.hostname);
      if (this.port) host += `:${this.port}`;
    }
    if (this.query !== null && typeof this.query === 'object') query = querystring.stringify(this.query);
    let search = this.search || (query && `?${query}`) || '';
    if (protocol && !protocol.endsWith(':')) protocol += ':';
    pathname = pathname.replace(/[?#]/g, (c) => encodeURIComponent(c));
    search = search.replace(/#/g, '%23');
    if (this.slashes || slashedProtocol.has(protocol)) {
      if (this.slashes || host) {
        if (pathname && pathname[0] !== '/') pathname = '/' + pathname;
        host = '//' + host;
      } else if (protocol.length >= 4 && protocol === 'file:' && pathname[0] === '/') {
        host = '//';
      }
    }
    if (hash && hash[0] !== '#') hash = '#' + hash;
    if (search && search[0] !== '?') search = '?' + search;
    return protocol + host + pathname + search + hash;
  }

  /** resolve resolves relative against this URL. */
  resolve(relative) {
    return resolve(this.format(), relative);
  }
}

/** parse parses a URL string into a Url (parseQueryString: query as an object). */
export function parse(url, parseQueryString, slashesDenoteHost) {
  if (url instanceof Url) return url;
  return new Url().parse(url, parseQueryString, slashesDenoteHost);
}

/** format returns a URL string from a Url-like object, a URL (with options), or a string. */
export function format(urlObject, options) {
  if (typeof urlObject === 'string') return parse(urlObject).format();
  if (urlObject instanceof URL) {
    const o = { auth: true, fragment: true, search: true, unicode: false, ...options };
    const u = new URL(urlObject.href);
    if (!o.auth) {
      u.username = '';
      u.password = '';
    }
    if (!o.fragment) u.hash = '';
    if (!o.search) u.search = '';
    return u.href;
  }
  if (urlObject === null || typeof urlObject !== 'object') {
    throw new TypeError(`The "urlObject" argument must be one of type object or string. Received ${urlObject === null ? 'null' : typeof urlObject}`);
  }
  return Url.prototype.format.call(urlObject);
}

const RELATIVE_BASE = 'http://relative.bindery.invalid';

/** resolve resolves to against from, as a browser resolves a link. */
export function resolve(from, to) {
  try {
    return new URL(to, from).href;
  } catch {
    // from is relative: resolve within a placeholder origin, and drop it.
    const absolute = from.startsWith('/');
    const base = new URL(from, `${RELATIVE_BASE}/${absolute ? '' : '.../'}`);
    const r = new URL(to, base);
    if (r.origin !== RELATIVE_BASE) return r.href;
    let out = r.pathname + r.search + r.hash;
    if (!absolute) out = out.replace(/^\/\.\.\.\//, '');
    return out;
  }
}

/** resolveObject is parse(resolve(source, relative)). */
export function resolveObject(source, relative) {
  return parse(resolve(typeof source === 'string' ? source : format(source), relative));
}

/** fileURLToPath returns the POSIX path of a file: URL. */
export function fileURLToPath(url) {
  const u = typeof url === 'string' ? new URL(url) : url;
  if (u.protocol !== 'file:') {
    const e = new TypeError('The URL must be of scheme file');
    e.code = 'ERR_INVALID_URL_SCHEME';
    throw e;
  }
  if (u.hostname !== '') {
    const e = new TypeError(`File URL host must be "localhost" or empty on linux`);
    e.code = 'ERR_INVALID_FILE_URL_HOST';
    throw e;
  }
  if (/%2f/i.test(u.pathname)) {
    const e = new TypeError('File URL path must not include encoded / characters');
    e.code = 'ERR_INVALID_FILE_URL_PATH';
    throw e;
  }
  return decodeURIComponent(u.pathname);
}

/** pathToFileURL returns the file: URL of an absolute POSIX path (a relative one starts at "/"). */
export function pathToFileURL(path) {
  let p = String(path);
  if (!p.startsWith('/')) p = '/' + p;
  const encoded = p.replace(/%/g, '%25').replace(/\\/g, '%5C').replace(/\n/g, '%0A').replace(/\r/g, '%0D').replace(/\t/g, '%09').replace(/#/g, '%23').replace(/\?/g, '%3F');
  return new URL(`file://${encoded}`);
}

/** urlToHttpOptions returns the options object http.request takes for url. */
export function urlToHttpOptions(url) {
  const options = {
    protocol: url.protocol,
    hostname: url.hostname.startsWith('[') ? url.hostname.slice(1, -1) : url.hostname,
    hash: url.hash,
    search: url.search,
    pathname: url.pathname,
    path: `${url.pathname || ''}${url.search || ''}`,
    href: url.href,
  };
  if (url.port !== '') options.port = Number(url.port);
  if (url.username || url.password) options.auth = `${decodeURIComponent(url.username)}:${decodeURIComponent(url.password)}`;
  return options;
}

/** domainToASCII returns the domain in ASCII (punycode), or '' when it is not valid. */
export function domainToASCII(domain) {
  try {
    return new URL(`http://${domain}`).hostname;
  } catch {
    return '';
  }
}

/** domainToUnicode returns the domain as given when it is ASCII (the engine has no punycode decoder). */
export function domainToUnicode(domain) {
  return String(domain).toLowerCase();
}

export default register('url', {
  URL, URLSearchParams, Url, parse, format, resolve, resolveObject, fileURLToPath, pathToFileURL, urlToHttpOptions,
  domainToASCII, domainToUnicode,
});
