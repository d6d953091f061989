// Form bodies: request.formData() / response.formData() for
// multipart/form-data and application/x-www-form-urlencoded, and the
// multipart serializer behind new Response(formData) and
// new Request(url, { body: formData }).
//
// Why not StarlingMonkey's own (componentize-js 0.23):
// - its multipart parser builds each file part with `File(bytes, …)` where
//   it means `File([bytes], …)`: the Uint8Array is taken as a sequence of
//   numbers, each turned into its decimal digits, so the bytes [104,105,10]
//   come back as the text "10410510" (a 658-byte PNG became 1,666 digits);
//   and it refuses well-formed bodies (Go's mime/multipart ones, LF-only
//   delimiters, a quoted boundary);
// - its serializer writes the boundary unquoted with base64 characters
//   ("/"), which RFC 2045 parsers such as Go's mime.ParseMediaType refuse
//   about one time in five.
//
// The parser here reads the body stream chunk by chunk and finds
// delimiters wherever chunks split them; what it keeps between chunks is
// the current part and at most a delimiter's length. Its errors are
// TypeErrors with workerd's messages, and it follows workerd where the
// specs leave room: a file part without Content-Type gets type "", CR is
// optional before LF, nothing is normalised. See docs/sdk-js.md.
import { byteView, concatBytes } from './bytes.js';

const LF = 10, CR = 13, DASH = 45, SP = 32, TAB = 9;
const EMPTY = new Uint8Array(0);
// A part's header block larger than this is an error, not a reason to buffer.
const MAX_HEADER_BYTES = 16 << 10;

const encoder = new TextEncoder();

/** parseMimeType splits a Content-Type into its lower-case essence and parameters. */
export function parseMimeType(s) {
  const i = s.indexOf(';');
  const essence = (i < 0 ? s : s.slice(0, i)).trim().toLowerCase();
  const params = new Map();
  let rest = i < 0 ? '' : s.slice(i + 1);
  while (rest.length) {
    const m = /^\s*([^=;\s]+)\s*(?:=\s*("(?:[^"\\]|\\.)*"|[^;]*))?\s*(?:;|$)/.exec(rest);
    if (!m) break;
    rest = rest.slice(m[0].length);
    const name = m[1].toLowerCase();
    let v = m[2] ?? '';
    if (v.startsWith('"')) v = v.slice(1, -1).replace(/\\(.)/g, '$1');
    else v = v.trim();
    if (!params.has(name)) params.set(name, v);
  }
  return { essence, params };
}

/**
 * readFormData parses body (a ReadableStream or null) as the form that
 * contentType (a Content-Type value or null) says it is.
 */
export async function readFormData(body, contentType) {
  if (contentType == null) throw new TypeError('Parsing a Body as FormData requires a Content-Type header.');
  const { essence, params } = parseMimeType(contentType);
  if (essence === 'multipart/form-data') {
    const boundary = params.get('boundary');
    if (!boundary) {
      throw new TypeError('No boundary string in Content-Type header. The multipart/form-data MIME type requires a boundary parameter, ' +
        `e.g. 'Content-Type: multipart/form-data; boundary="abcd"'. See RFC 7578, section 4.`);
    }
    return parseMultipart(body, boundary);
  }
  if (essence === 'application/x-www-form-urlencoded') {
    const fd = new FormData();
    const text = body === null ? '' : await new Response(body).text();
    for (const [k, v] of new URLSearchParams(text)) fd.append(k, v);
    return fd;
  }
  throw new TypeError('Unrecognized Content-Type header value. FormData can only parse the following MIME types: multipart/form-data, application/x-www-form-urlencoded');
}

// ChunkReader is a body stream read into one growing buffer.
class ChunkReader {
  #reader;
  #done = false;
  buf = EMPTY;
  constructor(stream) { this.#reader = stream === null ? null : stream.getReader(); }
  // more reads one more chunk onto buf; false at the end of the body.
  async more() {
    if (this.#done || this.#reader === null) return false;
    for (;;) {
      const { done, value } = await this.#reader.read();
      if (done) {
        this.#done = true;
        return false;
      }
      const b = byteView(value, 'a body chunk');
      if (b.length) {
        this.buf = concatBytes(this.buf, b);
        return true;
      }
    }
  }
  // need reads until buf holds n bytes; false if the body ends first.
  async need(n) {
    while (this.buf.length < n) if (!(await this.more())) return false;
    return true;
  }
  consume(n) { this.buf = this.buf.subarray(n); }
  // stop releases the rest of the body unread (an epilogue nobody needs).
  stop() {
    if (!this.#done && this.#reader !== null) this.#reader.cancel().catch(() => {});
    this.#done = true;
  }
}

// indexOfBytes finds needle in hay from `from`, searching for its first
// byte with the native indexOf (a multipart delimiter starts with "\n" or
// "-"), so a part of binary data costs one scan.
function indexOfBytes(hay, needle, from = 0) {
  const first = needle[0];
  const last = hay.length - needle.length;
  for (let i = hay.indexOf(first, from); i >= 0 && i <= last; i = hay.indexOf(first, i + 1)) {
    let j = 1;
    while (j < needle.length && hay[i + j] === needle[j]) j++;
    if (j === needle.length) return i;
  }
  return -1;
}

async function parseMultipart(stream, boundary) {
  const fd = new FormData();
  const r = new ChunkReader(stream);
  // The first delimiter needs no line break before it; later ones need a
  // LF (the CR before it is optional, as on Cloudflare).
  const first = encoder.encode('--' + boundary);
  const delimiter = encoder.encode('\n--' + boundary);
  const decoder = new TextDecoder('utf-8', { ignoreBOM: true });

  // Skip the preamble up to the first delimiter (anywhere, as workerd does).
  for (;;) {
    const i = indexOfBytes(r.buf, first);
    if (i >= 0) {
      r.consume(i + first.length);
      break;
    }
    r.consume(Math.max(0, r.buf.length - first.length));
    if (!(await r.more())) throw new TypeError('No initial boundary string (or you have a truncated message).');
  }

  for (;;) {
    // After a delimiter: "--" ends the form; else optional padding and a line break.
    if (!(await r.need(2))) throw new TypeError('No subsequent boundary string after multipart message.');
    if (r.buf[0] === DASH && r.buf[1] === DASH) {
      r.stop();
      return fd;
    }
    let k = 0;
    for (;;) {
      if (!(await r.need(k + 1))) throw new TypeError('No subsequent boundary string after multipart message.');
      if (r.buf[k] === SP || r.buf[k] === TAB) k++;
      else break;
    }
    if (r.buf[k] === CR) {
      if (!(await r.need(k + 2))) throw new TypeError('No subsequent boundary string after multipart message.');
      k++;
    }
    if (r.buf[k] !== LF) throw new TypeError("Boundary string was not succeeded by CRLF, LF, or '--'.");
    r.consume(k + 1);

    // The part's headers, up to an empty line.
    let headerEnd, bodyStart;
    for (let from = 0; ;) {
      const i = r.buf.indexOf(LF, from);
      if (i >= 0) {
        if (i === 0 || (i === 1 && r.buf[0] === CR)) {
          headerEnd = 0;
          bodyStart = i + 1;
          break;
        }
        if (i + 1 < r.buf.length && r.buf[i + 1] === LF) {
          headerEnd = i;
          bodyStart = i + 2;
          break;
        }
        if (i + 2 < r.buf.length && r.buf[i + 1] === CR && r.buf[i + 2] === LF) {
          headerEnd = i;
          bodyStart = i + 3;
          break;
        }
        if (i + 2 >= r.buf.length) {
          // The line break may be the start of the empty line: read more.
          if (!(await r.more())) throw new TypeError('No multipart message header termination found.');
          continue;
        }
        from = i + 1;
        continue;
      }
      if (r.buf.length > MAX_HEADER_BYTES) throw new TypeError(`FormData part had invalid headers (more than ${MAX_HEADER_BYTES} bytes).`);
      from = r.buf.length;
      if (!(await r.more())) throw new TypeError('No multipart message header termination found.');
    }
    if (headerEnd > MAX_HEADER_BYTES) throw new TypeError(`FormData part had invalid headers (more than ${MAX_HEADER_BYTES} bytes).`);
    const { name, filename, type } = partHeaders(decoder.decode(r.buf.subarray(0, headerEnd)));
    r.consume(bodyStart);

    // The part's data, up to the next delimiter; everything but what could
    // be the start of a delimiter (and the CR before it) is set aside.
    const pieces = [];
    for (;;) {
      const i = indexOfBytes(r.buf, delimiter);
      if (i >= 0) {
        const end = i > 0 && r.buf[i - 1] === CR ? i - 1 : i;
        if (end > 0) pieces.push(r.buf.subarray(0, end));
        r.consume(i + delimiter.length);
        break;
      }
      const keep = delimiter.length + 1;
      if (r.buf.length > keep) {
        pieces.push(r.buf.subarray(0, r.buf.length - keep));
        r.consume(r.buf.length - keep);
      }
      if (!(await r.more())) throw new TypeError('No subsequent boundary string after multipart message.');
    }

    if (filename === undefined) {
      fd.append(name, decoder.decode(joinPieces(pieces)));
    } else {
      fd.append(name, new File(pieces, filename, { type }));
    }
  }
}

function joinPieces(pieces) {
  if (pieces.length === 1) return pieces[0];
  let n = 0;
  for (const p of pieces) n += p.length;
  const out = new Uint8Array(n);
  n = 0;
  for (const p of pieces) {
    out.set(p, n);
    n += p.length;
  }
  return out;
}

// partHeaders reads a part's header block: its name and filename from
// Content-Disposition (quoted-strings with backslash escapes; %0A, %0D and
// %22 decoded as the fetch spec says), and its Content-Type ("" when none).
function partHeaders(text) {
  let disposition, type = '';
  for (const line of text.split(/\r?\n/)) {
    const c = line.indexOf(':');
    if (c <= 0) continue;
    const h = line.slice(0, c).trim().toLowerCase();
    const v = line.slice(c + 1).trim();
    if (h === 'content-disposition' && disposition === undefined) disposition = v;
    else if (h === 'content-type') type = v;
  }
  if (disposition === undefined) throw new TypeError('No valid Content-Disposition header found in FormData part.');
  const { essence, params } = parseDisposition(disposition);
  if (essence !== 'form-data') {
    throw new TypeError(`Content-Disposition header for FormData part must have the value "form-data", possibly followed by parameters. Got: "${essence}"`);
  }
  const name = params.get('name');
  if (name === undefined) throw new TypeError('Content-Disposition header in FormData part is missing a name.');
  const filename = params.get('filename');
  return { name: unescapeName(name), filename: filename === undefined ? undefined : unescapeName(filename), type };
}

function parseDisposition(s) {
  const i = s.indexOf(';');
  const essence = (i < 0 ? s : s.slice(0, i)).trim().toLowerCase();
  const params = new Map();
  const re = /;\s*([^=;\s]+)\s*=\s*("(?:[^"\\]|\\.)*"|[^;]*)/g;
  for (let m; (m = re.exec(s)) !== null;) {
    const k = m[1].toLowerCase();
    let v = m[2];
    if (v.startsWith('"')) v = v.slice(1, -1).replace(/\\(.)/g, '$1');
    else v = v.trim();
    if (!params.has(k)) params.set(k, v);
  }
  return { essence, params };
}

const unescapeName = (s) => s.replace(/%0A/gi, '\n').replace(/%0D/gi, '\r').replace(/%22/g, '"');
const escapeName = (s) => String(s).replace(/\r/g, '%0D').replace(/\n/g, '%0A').replace(/"/g, '%22');

/**
 * encodeFormData serializes fd as multipart/form-data: a Blob whose type is
 * the Content-Type, with a boundary of lower-case letters, digits and
 * dashes (a token: no quoting needed, and Blob's lower-casing of its type
 * cannot change it). Names and filenames escape CR, LF and '"' as %0D, %0A
 * and %22 (as browsers do); values are sent as they are.
 */
export function encodeFormData(fd) {
  const boundary = 'bindery-form-boundary-' + randomHex(12);
  const parts = [];
  for (const [name, value] of fd) {
    if (typeof value === 'string') {
      parts.push(`--${boundary}\r\nContent-Disposition: form-data; name="${escapeName(name)}"\r\n\r\n`, value, '\r\n');
    } else {
      parts.push(`--${boundary}\r\nContent-Disposition: form-data; name="${escapeName(name)}"; filename="${escapeName(value.name)}"\r\n` +
        `Content-Type: ${value.type || 'application/octet-stream'}\r\n\r\n`, value, '\r\n');
    }
  }
  parts.push(`--${boundary}--\r\n`);
  return new Blob(parts, { type: `multipart/form-data; boundary=${boundary}` });
}

function randomHex(n) {
  const b = new Uint8Array(n);
  try {
    crypto.getRandomValues(b);
  } catch {
    for (let i = 0; i < n; i++) b[i] = Math.floor(Math.random() * 256);
  }
  return Array.from(b, (x) => x.toString(16).padStart(2, '0')).join('');
}
