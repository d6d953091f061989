// The Web API Worker: the Web APIs real Cloudflare Workers rely on, each
// driven end to end through a JavaScript module Worker built with
// guest-sdk/js and served by host.Worker (conformance/jsweb_test.go).
//
//   bindery dev conformance/jsweb/worker.js   (or bindery build: it bundles it)
//
// Routes that answer JSON checks answer an object of check name → "" (it
// held) or what happened instead; the test holds every check to "".
export default {
  async fetch(request, env, ctx) {
    const url = new URL(request.url);
    const p = url.pathname;
    const q = url.searchParams;
    try {
      switch (p) {
        case '/form/echo': return new Response(await request.formData());
        case '/form/manifest': return Response.json(await manifest(await request.formData()));
        case '/form/chunked': return new Response(await rechunk(request, Number(q.get('size'))).formData());
        case '/form/upload': return upload(request, env, q.get('key'));
        case '/form/js': return Response.json(await formChecks());
        case '/clone/request': return cloneRequest(request, q.get('order'));
        case '/clone/request-r2': return cloneRequestR2(request, env);
        case '/clone/response': return cloneResponse(Number(q.get('size')));
        case '/clone/r2': return cloneR2(env, q.get('key'));
        case '/clone/checks': return Response.json(await cloneChecks());
        case '/response-error': return Response.error();
        case '/fetch': return Response.json(await fetchCaught(q.get('url')));
        case '/fetch-uncaught': return fetch(q.get('url'));
        case '/streams/fixed': return fixed(Number(q.get('n')), Number(q.get('write')));
        case '/streams/identity': return new Response(request.body.pipeThrough(new IdentityTransformStream()));
        case '/streams/text': return new Response(rechunk(request, 1).body
          .pipeThrough(new TextDecoderStream()).pipeThrough(new TextEncoderStream()));
        case '/streams/checks': return Response.json(await streamChecks());
        case '/urlpattern': return Response.json(urlPatternChecks());
        case '/globals': return Response.json(await globalChecks(request));
        case '/cf': return Response.json(request.cf);
        case '/realm': return Response.json(await realmChecks(request, env));
      }
      if (p.startsWith('/r2/')) {
        const obj = await env.FILES.get(p.slice(4));
        return obj === null ? new Response('not found', { status: 404 }) : new Response(obj.body, { headers: { 'content-type': obj.httpMetadata.contentType ?? '' } });
      }
      if (p.startsWith('/kv/')) {
        const v = await env.STORE.get(p.slice(4), 'arrayBuffer');
        return v === null ? new Response('not found', { status: 404 }) : new Response(v);
      }
    } catch (e) {
      // What a Worker would answer for a form it cannot parse: the error's
      // class and message, for the test to check.
      if (e instanceof TypeError) return new Response(`${e.name}: ${e.message}`, { status: 400 });
      throw e;
    }
    return new Response('no route', { status: 404 });
  },
};

// --- helpers ---------------------------------------------------------------

const enc = new TextEncoder();

// bytesOf gives n bytes 0, 1, …, 255, 0, 1, … (all 256 values when n ≥ 256).
function bytesOf(n, start = 0) {
  const b = new Uint8Array(n);
  for (let i = 0; i < n; i++) b[i] = (start + i) & 0xff;
  return b;
}

const equalBytes = (a, b) => a.length === b.length && a.every((x, i) => x === b[i]);
const show = (b) => `${b.length} bytes [${Array.from(b.subarray(0, 12)).join(',')}${b.length > 12 ? ',…' : ''}]`;

// checker returns [checks, check]: check(name, fn) runs fn (which may be
// async) and records "" when it returns nothing, what it returned, or what
// it threw.
function checker() {
  const out = {};
  const check = async (name, fn) => {
    try {
      const r = await fn();
      out[name] = r === undefined ? '' : String(r);
    } catch (e) {
      out[name] = `threw ${e && e.name}: ${e && e.message}`;
    }
  };
  return [out, check];
}

// throwsType runs fn and returns "" when it throws (or rejects with) a
// TypeError, else what happened.
async function throwsType(fn, want = TypeError) {
  try {
    await fn();
  } catch (e) {
    return e instanceof want ? undefined : `threw ${e && e.name}: ${e && e.message}, want ${want.name}`;
  }
  return `did not throw, want ${want.name}`;
}

// rechunk is request with its body cut into size-byte chunks, so a
// multipart delimiter (or a UTF-8 sequence) straddles chunk boundaries.
function rechunk(request, size) {
  const reader = request.body.getReader();
  let buf = new Uint8Array(0);
  const body = new ReadableStream({
    async pull(c) {
      while (buf.length < size) {
        const { done, value } = await reader.read();
        if (done) break;
        const b = new Uint8Array(buf.length + value.length);
        b.set(buf);
        b.set(value, buf.length);
        buf = b;
      }
      if (buf.length === 0) {
        c.close();
        return;
      }
      c.enqueue(buf.slice(0, size));
      buf = buf.subarray(Math.min(size, buf.length));
    },
  });
  return new Request(request.url, { method: 'POST', headers: request.headers, body, duplex: 'half' });
}

// --- FormData --------------------------------------------------------------

async function manifest(fd) {
  const out = [];
  for (const [name, v] of fd) {
    if (typeof v === 'string') {
      out.push({ name, kind: 'string', value: v });
      continue;
    }
    const bytes = new Uint8Array(await v.arrayBuffer());
    out.push({
      name, kind: v instanceof File ? 'file' : 'blob', filename: v.name, type: v.type, size: v.size,
      bytes: bytes.length, isBlob: v instanceof Blob, lastModified: typeof v.lastModified,
    });
  }
  return out;
}

// upload stores the form's "file" in R2 (with its type) and KV, as an
// upload handler would: the bytes must be the file's, not its digits.
async function upload(request, env, key) {
  const file = (await request.formData()).get('file');
  if (!(file instanceof File)) return new Response(`"file" is ${Object.prototype.toString.call(file)}`, { status: 400 });
  await env.FILES.put(key, file, { httpMetadata: { contentType: file.type } });
  await env.STORE.put(key, await file.arrayBuffer());
  return Response.json({ name: file.name, type: file.type, size: file.size });
}

// formChecks builds forms in JS and reads them back through the
// serializer (new Response(fd), new Request(url, {body: fd})) and the parser.
async function formChecks() {
  const [out, check] = checker();
  const roundTrips = {
    response: async (fd) => new Response(fd).formData(),
    request: async (fd) => new Request('http://worker/', { method: 'POST', body: fd }).formData(),
  };
  for (const [via, rt] of Object.entries(roundTrips)) {
    await check(`bytes 104,105,10 via ${via}`, async () => {
      const fd = new FormData();
      fd.append('f', new Blob([new Uint8Array([104, 105, 10])]), 'a.bin');
      const f = (await rt(fd)).get('f');
      const got = new Uint8Array(await f.arrayBuffer());
      if (!equalBytes(got, new Uint8Array([104, 105, 10]))) return show(got);
    });
    await check(`all 256 byte values via ${via}`, async () => {
      const want = bytesOf(256 * 3);
      const fd = new FormData();
      fd.append('all', new File([want], 'all.bin', { type: 'application/octet-stream' }));
      const f = (await rt(fd)).get('all');
      const got = new Uint8Array(await f.arrayBuffer());
      if (!(f instanceof File) || f.name !== 'all.bin' || f.type !== 'application/octet-stream') return `${f} ${f.name} ${f.type}`;
      if (!equalBytes(got, want)) return show(got);
    });
    await check(`fields, UTF-8 names and several files via ${via}`, async () => {
      const fd = new FormData();
      fd.append('text', 'line one\r\nline two\nthree');
      fd.append('ünïcode', 'значение ✓ 😀');
      fd.append('empty', '');
      fd.append('files', new File([enc.encode('first\r\n--not-a-boundary\r\n')], 'résumé 😀.txt', { type: 'text/plain' }));
      fd.append('files', new File([bytesOf(70000, 7)], 'two.bin'));
      fd.append('files', new File([], 'empty.bin'));
      fd.append('blob', new Blob(['x']));
      const got = await rt(fd);
      const want = [
        ['text', 'line one\r\nline two\nthree'], ['ünïcode', 'значение ✓ 😀'], ['empty', ''],
        ['files', 'résumé 😀.txt', 'text/plain', enc.encode('first\r\n--not-a-boundary\r\n')],
        ['files', 'two.bin', 'application/octet-stream', bytesOf(70000, 7)],
        ['files', 'empty.bin', 'application/octet-stream', new Uint8Array(0)],
        ['blob', 'blob', 'application/octet-stream', enc.encode('x')],
      ];
      const entries = [...got];
      if (entries.length !== want.length) return `${entries.length} entries, want ${want.length}`;
      for (let i = 0; i < want.length; i++) {
        const [name, v] = entries[i];
        const w = want[i];
        if (name !== w[0]) return `entry ${i} is named ${name}, want ${w[0]}`;
        if (w.length === 2) {
          if (v !== w[1]) return `${name} = ${JSON.stringify(v)}, want ${JSON.stringify(w[1])}`;
          continue;
        }
        if (!(v instanceof File)) return `${name} #${i} is ${typeof v}, want a File`;
        const b = new Uint8Array(await v.arrayBuffer());
        // A file without a type is sent as application/octet-stream.
        if (v.name !== w[1] || v.type !== w[2] || !equalBytes(b, w[3])) return `${name} #${i}: ${v.name} ${v.type} ${show(b)}`;
      }
    });
  }
  await check('the boundary is a token or quoted (RFC 2045)', async () => {
    for (let i = 0; i < 40; i++) {
      const fd = new FormData();
      fd.append('a', 'b');
      const ct = new Response(fd).headers.get('content-type');
      const m = /^multipart\/form-data; boundary=(?:"[^"]+"|[!#$%&'*+.^_`|~0-9A-Za-z-]+)$/.exec(ct);
      if (!m) return ct;
    }
  });
  await check('urlencoded body', async () => {
    const fd = await new Response(new URLSearchParams('a=1&b=%C3%A9+x&a=2&empty=&plus=a%2Bb')).formData();
    const got = JSON.stringify([...fd]);
    if (got !== '[["a","1"],["b","é x"],["a","2"],["empty",""],["plus","a+b"]]') return got;
  });
  await check('urlencoded with charset', async () => {
    const r = new Request('http://worker/', { method: 'POST', body: 'k=v%20w', headers: { 'content-type': 'application/x-www-form-urlencoded;charset=UTF-8' } });
    const got = JSON.stringify([...await r.formData()]);
    if (got !== '[["k","v w"]]') return got;
  });
  const multipart = (body, ct = 'multipart/form-data; boundary=B') => new Response(body, { headers: { 'content-type': ct } });
  await check('LF-only delimiters and a quoted boundary', async () => {
    const fd = await multipart('--B\nContent-Disposition: form-data; name="a"\n\nx\n--B\nContent-Disposition: form-data; name="f"; filename="f.txt"\n\ny\r\n--B--', 'multipart/form-data; boundary="B"').formData();
    const f = fd.get('f');
    const got = JSON.stringify([fd.get('a'), f.name, f.type, await f.text()]);
    // A part without Content-Type gives a File whose type is "" (as on Cloudflare).
    if (got !== '["x","f.txt","","y"]') return got;
  });
  await check('preamble, epilogue and escaped names', async () => {
    const fd = await multipart('preamble\r\n--B\r\nContent-Disposition: form-data; name="q%22uote"; filename="a%0Ab\\"c.txt"\r\nContent-Type: Text/Plain\r\n\r\nv\r\n--B--\r\nepilogue').formData();
    const f = fd.get('q"uote');
    const got = JSON.stringify([f && f.name, f && f.type]);
    if (got !== '["a\\nb\\"c.txt","text/plain"]') return got;
  });
  await check('no content-type', () => throwsType(() => new Response('x').formData()));
  await check('not a form', () => throwsType(() => multipart('x', 'text/plain').formData()));
  await check('no boundary', () => throwsType(() => multipart('--B--', 'multipart/form-data').formData()));
  await check('no delimiter', () => throwsType(() => multipart('no delimiter here').formData()));
  await check('truncated part', () => throwsType(() => multipart('--B\r\nContent-Disposition: form-data; name="a"\r\n\r\nxyz').formData()));
  await check('no name', () => throwsType(() => multipart('--B\r\nContent-Disposition: form-data\r\n\r\nx\r\n--B--').formData()));
  await check('body used', async () => {
    const r = multipart('--B--');
    await r.text();
    return throwsType(() => r.formData());
  });
  return out;
}

// --- clone -----------------------------------------------------------------

const concat = (a, b) => {
  const c = new Uint8Array(a.byteLength + b.byteLength);
  c.set(new Uint8Array(a));
  c.set(new Uint8Array(b), a.byteLength);
  return c;
};

// cloneRequest reads the request's body and its clone's, in the order
// given, and answers both, one after the other.
async function cloneRequest(request, order) {
  const c = request.clone();
  let a, b;
  switch (order) {
    case 'original-first': a = await request.arrayBuffer(); b = await c.arrayBuffer(); break;
    case 'clone-first': b = await c.arrayBuffer(); a = await request.arrayBuffer(); break;
    default: [a, b] = await Promise.all([request.arrayBuffer(), c.arrayBuffer()]);
  }
  return new Response(concat(a, b));
}

// cloneRequestR2 stores the clone's body in R2 and answers the original's.
async function cloneRequestR2(request, env) {
  const c = request.clone();
  await env.FILES.put('cloned', c.body);
  return new Response(request.body);
}

// cloneResponse answers a streamed response of size bytes after reading
// its clone in full: the original must still be whole.
async function cloneResponse(size) {
  let sent = 0;
  const r = new Response(new ReadableStream({
    pull(c) {
      if (sent >= size) return c.close();
      const n = Math.min(10000, size - sent);
      c.enqueue(bytesOf(n, sent));
      sent += n;
    },
  }), { status: 203, headers: { 'x-kind': 'streamed' } });
  const c = r.clone();
  const got = new Uint8Array(await c.arrayBuffer());
  if (!equalBytes(got, bytesOf(size))) return new Response(`the clone read ${show(got)}`, { status: 500 });
  return r;
}

// cloneR2 answers an R2 object's body through a clone and the original.
async function cloneR2(env, key) {
  const obj = await env.FILES.get(key);
  const r = new Response(obj.body);
  const c = r.clone();
  return new Response(concat(await r.arrayBuffer(), await c.arrayBuffer()));
}

async function cloneChecks() {
  const [out, check] = checker();
  await check('status, statusText and headers are copied', async () => {
    const r = new Response('body', { status: 201, statusText: 'Made', headers: { 'x-a': '1' } });
    const c = r.clone();
    if (c.status !== 201 || c.statusText !== 'Made' || c.headers.get('x-a') !== '1') return `${c.status} ${c.statusText} ${c.headers.get('x-a')}`;
    if (!(c instanceof Response)) return 'the clone is not a Response';
    const got = [await r.text(), await c.text()].join('|');
    if (got !== 'body|body') return got;
  });
  await check('a null body stays null', async () => {
    const c = new Response(null, { status: 204 }).clone();
    if (c.body !== null || c.status !== 204) return `${c.body} ${c.status}`;
  });
  await check('bodyUsed after reading each', async () => {
    const r = new Response('x');
    const c = r.clone();
    if (r.bodyUsed || c.bodyUsed) return 'used before reading';
    await c.text();
    if (!c.bodyUsed || r.bodyUsed) return `after reading the clone: clone ${c.bodyUsed}, original ${r.bodyUsed}`;
    await r.text();
    if (!r.bodyUsed) return 'the original is not used after reading it';
  });
  await check('clone of a used body', async () => {
    const r = new Response('x');
    await r.text();
    return throwsType(() => r.clone());
  });
  await check('clone of a locked body', async () => {
    const r = new Response('x');
    r.body.getReader();
    return throwsType(() => r.clone());
  });
  await check('a clone of a clone', async () => {
    const r = new Response('abc');
    const c2 = r.clone().clone();
    const got = [await c2.text(), await r.text()].join('|');
    if (got !== 'abc|abc') return got;
  });
  await check('json, blob, bytes and formData on a clone', async () => {
    const r = Response.json({ a: 1 });
    const got = JSON.stringify([await r.clone().json(), await (await r.clone().blob()).text(), Array.from(await r.clone().bytes())]);
    if (got !== '[{"a":1},"{\\"a\\":1}",[123,34,97,34,58,49,125]]') return got;
    const fd = new FormData();
    fd.append('k', 'v');
    if ((await new Response(fd).clone().formData()).get('k') !== 'v') return 'formData on a clone';
  });
  await check('Request.clone', async () => {
    const r = new Request('http://worker/x', { method: 'PUT', body: 'payload', headers: { 'x-b': '2' } });
    const c = r.clone();
    const got = [c.method, c.url, c.headers.get('x-b'), await c.text(), await r.text()].join('|');
    if (got !== 'PUT|http://worker/x|2|payload|payload') return got;
  });
  await check('Response.error()', async () => {
    const e = Response.error();
    const got = JSON.stringify([e instanceof Response, e.type, e.status, e.ok, e.statusText, [...e.headers].length, e.body]);
    if (got !== '[true,"error",0,false,"",0,null]') return got;
    const c = e.clone();
    if (c.type !== 'error' || c.status !== 0) return `its clone: ${c.type} ${c.status}`;
  });
  await check('Response.redirect and Response.json still work', async () => {
    const r = Response.redirect('http://worker/next', 302);
    if (r.status !== 302 || r.headers.get('location') !== 'http://worker/next') return `${r.status} ${r.headers.get('location')}`;
    if (Response.json([1]).headers.get('content-type') !== 'application/json') return Response.json([1]).headers.get('content-type');
  });
  await check('a subclass of Response', async () => {
    class Mine extends Response {}
    const m = new Mine('m');
    if (!(m instanceof Mine) || !(m instanceof Response) || (await m.text()) !== 'm') return 'not a working subclass';
  });
  return out;
}

// --- fetch -----------------------------------------------------------------

async function fetchCaught(target) {
  try {
    const r = await fetch(target);
    return { caught: false, status: r.status };
  } catch (e) {
    return { caught: true, name: e.name, isTypeError: e instanceof TypeError, message: e.message };
  }
}

// --- streams ---------------------------------------------------------------

// fixed answers write bytes through a FixedLengthStream(n).
function fixed(n, write) {
  const { readable, writable } = new FixedLengthStream(n);
  (async () => {
    const w = writable.getWriter();
    try {
      for (let i = 0; i < write; i += 1000) await w.write(bytesOf(Math.min(1000, write - i), i));
      await w.close();
    } catch {
      // the readable side errors too: the response is cut
    }
  })();
  return new Response(readable);
}

async function streamChecks() {
  const [out, check] = checker();
  const readAll = async (rs) => new Uint8Array(await new Response(rs).arrayBuffer());
  await check('FixedLengthStream: exact length', async () => {
    const { readable, writable } = new FixedLengthStream(5);
    const w = writable.getWriter();
    w.write(enc.encode('ab'));
    w.write(enc.encode('cde'));
    w.close();
    const got = new TextDecoder().decode(await readAll(readable));
    if (got !== 'abcde') return got;
  });
  await check('FixedLengthStream: too many bytes', async () => {
    const { readable, writable } = new FixedLengthStream(3);
    const w = writable.getWriter();
    const r = readAll(readable).catch((e) => e);
    const res = await throwsType(() => w.write(enc.encode('abcd')));
    if (res) return res;
    if (!((await r) instanceof TypeError)) return 'the readable did not error';
  });
  await check('FixedLengthStream: too few bytes', async () => {
    const { readable, writable } = new FixedLengthStream(3);
    const w = writable.getWriter();
    readAll(readable).catch(() => {});
    await w.write(enc.encode('ab'));
    return throwsType(() => w.close());
  });
  await check('FixedLengthStream: a bigint length, a bad length', async () => {
    if (!(new FixedLengthStream(2n).writable instanceof WritableStream)) return 'no writable';
    return throwsType(() => new FixedLengthStream(-1));
  });
  await check('IdentityTransformStream: BYOB reads', async () => {
    const { readable, writable } = new IdentityTransformStream();
    const w = writable.getWriter();
    w.write(enc.encode('hello world'));
    w.close();
    const reader = readable.getReader({ mode: 'byob' });
    const parts = [];
    for (;;) {
      const { done, value } = await reader.read(new Uint8Array(4));
      if (done) break;
      parts.push(new TextDecoder().decode(value));
    }
    if (parts.join('|') !== 'hell|o wo|rld') return parts.join('|');
  });
  await check('IdentityTransformStream: strings are refused', async () => {
    const { readable, writable } = new IdentityTransformStream();
    readable.getReader().read().catch(() => {});
    return throwsType(() => writable.getWriter().write('text'));
  });
  await check('TextEncoderStream: a surrogate pair split across chunks', async () => {
    const ts = new TextEncoderStream();
    const w = ts.writable.getWriter();
    w.write('a\uD83D');
    w.write('\uDE00b');
    w.write('\uD800'); // a lone surrogate at the end
    w.close();
    const got = Array.from(await readAll(ts.readable)).join(',');
    if (got !== '97,240,159,152,128,98,239,191,189') return got;
    if (ts.encoding !== 'utf-8') return ts.encoding;
  });
  await check('TextDecoderStream: sequences split across chunks', async () => {
    const ts = new TextDecoderStream();
    const w = ts.writable.getWriter();
    const bytes = enc.encode('é😀x');
    for (const b of bytes) w.write(new Uint8Array([b]));
    w.close();
    const chunks = [];
    for (const reader = ts.readable.getReader(); ;) {
      const { done, value } = await reader.read();
      if (done) break;
      if (typeof value !== 'string') return `a chunk of type ${typeof value}`;
      chunks.push(value);
    }
    if (chunks.join('') !== 'é😀x') return JSON.stringify(chunks);
    if (ts.encoding !== 'utf-8' || ts.fatal !== false || ts.ignoreBOM !== false) return `${ts.encoding} ${ts.fatal} ${ts.ignoreBOM}`;
  });
  await check('TextDecoderStream: fatal, and an incomplete sequence at the end', async () => {
    const ts = new TextDecoderStream('utf-8', { fatal: true });
    const w = ts.writable.getWriter();
    w.write(new Uint8Array([0xc3]));
    w.close().catch(() => {});
    return throwsType(() => readAll(ts.readable));
  });
  await check('for await over a ReadableStream', async () => {
    const got = [];
    for await (const chunk of new Response('abc').body) got.push(new TextDecoder().decode(chunk));
    if (got.join('') !== 'abc') return JSON.stringify(got);
  });
  await check('leaving for await early cancels the stream', async () => {
    let cancelled = false;
    const rs = new ReadableStream({ pull(c) { c.enqueue(new Uint8Array([1])); }, cancel() { cancelled = true; } });
    for await (const chunk of rs) break; // eslint-disable-line no-unused-vars
    if (!cancelled || rs.locked) return `cancelled ${cancelled}, locked ${rs.locked}`;
  });
  await check('ReadableStream.from', async () => {
    async function* gen() { yield enc.encode('a'); yield enc.encode('b'); }
    const got = new TextDecoder().decode(await readAll(ReadableStream.from(gen())));
    const got2 = new TextDecoder().decode(await readAll(ReadableStream.from([enc.encode('c')])));
    if (got + got2 !== 'abc') return got + got2;
  });
  await check('TextDecoderStream: an unknown label', () => throwsType(() => new TextDecoderStream('no-such-encoding'), RangeError));
  return out;
}

// --- URLPattern --------------------------------------------------------------

function urlPatternChecks() {
  const [out] = checker();
  const cases = [
    // [name, pattern (init or string), baseURL, input, expected: null (no match) or the groups of the named component]
    ['pathname groups', { pathname: '/books/:id' }, undefined, 'https://example.com/books/123', ['pathname', { id: '123' }]],
    ['no match', { pathname: '/books/:id' }, undefined, 'https://example.com/books', null],
    ['wildcard', { pathname: '/files/*' }, undefined, 'https://example.com/files/a/b.txt', ['pathname', { 0: 'a/b.txt' }]],
    ['regexp group', { pathname: '/post/:n(\\d+)' }, undefined, 'https://x/post/42', ['pathname', { n: '42' }]],
    ['regexp group refuses', { pathname: '/post/:n(\\d+)' }, undefined, 'https://x/post/abc', null],
    ['optional group', { pathname: '/a/:b?' }, undefined, 'https://x/a', ['pathname', { b: undefined }]],
    ['repeated group', { pathname: '/a/:rest+' }, undefined, 'https://x/a/b/c', ['pathname', { rest: 'b/c' }]],
    ['string with base URL', '/users/:user', 'https://api.example.com', 'https://api.example.com/users/ada', ['pathname', { user: 'ada' }]],
    ['other host', '/users/:user', 'https://api.example.com', 'https://evil.example.com/users/ada', null],
    ['hostname pattern', { hostname: ':sub.example.com' }, undefined, 'https://shop.example.com/', ['hostname', { sub: 'shop' }]],
    ['search', { search: 'q=:term' }, undefined, 'https://x/?q=cats', ['search', { term: 'cats' }]],
    ['non-ASCII group name', { pathname: '/:café' }, undefined, 'https://x/latte', ['pathname', { café: 'latte' }]],
    ['percent-encoded path', { pathname: '/caf%C3%A9/:x' }, undefined, 'https://x/café/1', ['pathname', { x: '1' }]],
  ];
  for (const [name, pattern, base, input, want] of cases) {
    try {
      const p = base === undefined ? new URLPattern(pattern) : new URLPattern(pattern, base);
      const r = p.exec(input);
      const matched = p.test(input);
      if (want === null) {
        out[name] = r === null && !matched ? '' : `matched: ${JSON.stringify(r)}`;
        continue;
      }
      const got = r && r[want[0]].groups;
      const same = got && JSON.stringify(Object.entries(got).sort()) === JSON.stringify(Object.entries(want[1]).sort()) &&
        Object.keys(want[1]).every((k) => got[k] === want[1][k]);
      out[name] = same && matched ? '' : `got ${JSON.stringify(r && r[want[0]])}, test ${matched}`;
    } catch (e) {
      out[name] = `threw ${e.name}: ${e.message}`;
    }
  }
  try {
    const p = new URLPattern({ pathname: '/Books/:id' }, { ignoreCase: true });
    out['ignoreCase'] = p.test({ pathname: '/books/1' }) && p.pathname === '/Books/:id' ? '' : 'no match';
  } catch (e) {
    out['ignoreCase'] = `threw ${e.name}: ${e.message}`;
  }
  try {
    new URLPattern({ pathname: '/(' });
    out['a bad pattern throws TypeError'] = 'did not throw';
  } catch (e) {
    out['a bad pattern throws TypeError'] = e instanceof TypeError ? '' : `threw ${e.name}`;
  }
  out['URLPattern is a global'] = typeof globalThis.URLPattern === 'function' ? '' : typeof globalThis.URLPattern;
  return out;
}

// --- globals -------------------------------------------------------------------

async function globalChecks(request) {
  const [out, check] = checker();
  await check('navigator.userAgent', () => {
    if (navigator.userAgent !== 'Cloudflare-Workers') return navigator.userAgent;
  });
  await check('scheduler.wait', async () => {
    const start = Date.now();
    const r = await scheduler.wait(30);
    const took = Date.now() - start;
    if (r !== undefined || took < 30) return `resolved to ${r} after ${took} ms`;
  });
  await check('scheduler.wait with an aborted signal', async () => {
    const ac = new AbortController();
    const p = scheduler.wait(10000, { signal: ac.signal });
    ac.abort();
    try {
      await p;
      return 'resolved';
    } catch (e) {
      if (e.name !== 'AbortError') return `rejected with ${e.name}`;
    }
  });
  await check('request.cf', () => {
    const cf = request.cf;
    if (!cf || cf.colo !== 'LOCAL' || cf.country !== 'XX' || typeof cf.asn !== 'number' || cf.httpProtocol !== 'HTTP/1.1') return JSON.stringify(cf);
  });
  await check('request.cf survives clone and new Request', () => {
    const a = request.clone().cf;
    const b = new Request(request).cf;
    if (!a || a.colo !== 'LOCAL' || !b || b.colo !== 'LOCAL') return `${JSON.stringify(a)} ${JSON.stringify(b)}`;
  });
  await check('a Request made by the Worker has no cf', () => {
    const cf = new Request('http://worker/').cf;
    if (cf !== undefined) return JSON.stringify(cf);
  });
  return out;
}

// --- realms --------------------------------------------------------------------
//
// Values the SDK hands over from the host (body chunks, KV and R2 values,
// lists) must be this realm's: instanceof Uint8Array / ArrayBuffer / Array.

async function realmChecks(request, env) {
  const [out, check] = checker();
  const chunkOf = async (rs) => (await rs.getReader().read()).value;
  const isU8 = (v) => (v instanceof Uint8Array && v.buffer instanceof ArrayBuffer ? undefined : `${Object.prototype.toString.call(v)}, instanceof Uint8Array ${v instanceof Uint8Array}`);
  await check('request body chunk', async () => isU8(await chunkOf(request.body)));
  await env.STORE.put('realm', 'value');
  await env.FILES.put('realm/a', 'value');
  await check('KV stream chunk', async () => isU8(await chunkOf(await env.STORE.get('realm', 'stream'))));
  await check('KV arrayBuffer', async () => ((await env.STORE.get('realm', 'arrayBuffer')) instanceof ArrayBuffer ? undefined : 'not an ArrayBuffer'));
  await check('KV list keys', async () => ((await env.STORE.list()).keys instanceof Array ? undefined : 'not an Array'));
  await check('R2 body chunk', async () => isU8(await chunkOf((await env.FILES.get('realm/a')).body)));
  await check('R2 bytes', async () => isU8(await (await env.FILES.get('realm/a')).bytes()));
  await check('R2 checksums', async () => ((await env.FILES.head('realm/a')).checksums.md5 instanceof ArrayBuffer ? undefined : 'not an ArrayBuffer'));
  await check('R2 list', async () => {
    const l = await env.FILES.list({ prefix: 'realm', delimiter: '/' });
    if (!(l.objects instanceof Array) || !(l.delimitedPrefixes instanceof Array)) return `objects ${l.objects instanceof Array}, prefixes ${l.delimitedPrefixes instanceof Array}`;
  });
  return out;
}
