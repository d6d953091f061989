// The conformance Worker in JavaScript: the contract every language
// implements (see conformance/harness_test.go), written as a module
// Worker with guest-sdk/js.
//
//   bindery dev conformance/js/worker.js   (or bindery build: it bundles it)
import { BindingError, trap } from '@bindery/worker';
import { doRoute } from './durable.js';
import { queueRoute, queue, scheduled } from './queues.js';

export { Conformance } from './durable.js';

const text = (body, status = 200) => new Response(body, { status, headers: { 'content-type': 'text/plain; charset=utf-8' } });

export default {
  async fetch(request, env) {
    const url = new URL(request.url);
    const p = url.pathname;
    const m = request.method;
    if (p === '/hello' && m === 'GET') return text('hello from js');
    if (p.startsWith('/kv/')) return kv(request, env, decodeURIComponent(p.slice(4)));
    if (p === '/vars' && m === 'GET') {
      return Response.json({ greeting: env.GREETING, secret_set: typeof env.API_TOKEN === 'string' && env.API_TOKEN.length > 0 });
    }
    if (p === '/kv-too-long' && m === 'PUT') {
      try {
        await env.STORE.put('k'.repeat(513), 'x');
      } catch (e) {
        return text(String(e.message), 400);
      }
      return text('a 513-byte key was accepted', 500);
    }
    if (p === '/echo' && m === 'POST') {
      // Through JS, chunk by chunk (not a host splice).
      return new Response(request.body.pipeThrough(new TransformStream()), { headers: { 'content-type': 'application/octet-stream' } });
    }
    if (p.startsWith('/r2/')) return r2(request, env, decodeURIComponent(p.slice(4)));
    if (p.startsWith('/r2x/')) {
      try {
        return await r2x(request, env, url);
      } catch (e) {
        if (e instanceof BindingError) return text(e.message, bindingStatus[e.code] || 500);
        throw e;
      }
    }
    if (p === '/trap') trap('conformance: trap');
    // An uncaught exception: the SDK fails the request through the host.
    if (p === '/fail') throw new Error(FAILURE);
    if (p === '/fail-stream') return failStream();
    if (p === '/kv-not-utf8' && m === 'PUT') {
      try {
        await env.STORE.put('a\uD800b', 'x');
      } catch (e) {
        if (e instanceof BindingError && e.code === 'invalid-key') return text(e.message, 400);
        return text(`want BindingError invalid-key, got ${e}`, 500);
      }
      return text('a key with a lone surrogate was accepted', 500);
    }
    if (p === '/sdk-errors') return Response.json(await sdkErrors(env));
    if (p.startsWith('/d1/')) return d1(request, env.DB, p.slice(4));
    if (p.startsWith('/do/')) return doRoute(request, env, p);
    if (p.startsWith('/queue/') || p.startsWith('/cron/')) return (await queueRoute(request, env, url)) ?? text('not found', 404);
    return text('not found', 404);
  },
  queue,
  scheduled,
};

async function kv(request, env, key) {
  switch (request.method) {
    case 'PUT':
      try {
        await env.STORE.put(key, await request.arrayBuffer());
      } catch (e) {
        return text(e.message, 400);
      }
      return new Response(null, { status: 204 });
    case 'GET': {
      const v = await env.STORE.get(key, 'arrayBuffer');
      return v === null ? text('not found', 404) : new Response(v);
    }
    case 'DELETE':
      await env.STORE.delete(key);
      return new Response(null, { status: 204 });
  }
  return text('method not allowed', 405);
}

async function r2(request, env, key) {
  switch (request.method) {
    case 'PUT': {
      let obj;
      try {
        obj = await env.FILES.put(key, request.body); // moves inside the host
      } catch (e) {
        return text(e.message, 400);
      }
      return new Response(JSON.stringify({ etag: obj.etag, size: obj.size }), { status: 201, headers: { 'content-type': 'application/json' } });
    }
    case 'GET': {
      const obj = await env.FILES.get(key);
      if (obj === null) return text('not found', 404);
      return new Response(obj.body); // spliced inside the host
    }
  }
  return text('method not allowed', 405);
}

// --- /r2x: the rest of the R2 API (conformance/r2ext_js_rust_test.go) ---

const bindingStatus = {
  'bad-digest': 400, 'invalid-argument': 400, 'invalid-key': 400, 'invalid-part': 400,
  'invalid-part-order': 400, 'entity-too-small': 400, 'no-such-upload': 404, 'invalid-range': 416,
};

const json = (v, status = 200) => Response.json(v, { status });
const fromHex = (s) => new Uint8Array(s.match(/../g).map((b) => parseInt(b, 16))).buffer;

async function r2x(request, env, url) {
  const p = url.pathname;
  const q = url.searchParams;
  const m = request.method;
  const bucket = env.FILES;
  if (p.startsWith('/r2x/obj/')) {
    const key = decodeURIComponent(p.slice('/r2x/obj/'.length));
    if (m === 'PUT') {
      const h = request.headers;
      const onlyIf = {};
      if (h.has('if-match')) onlyIf.etagMatches = h.get('if-match');
      if (h.has('if-none-match')) onlyIf.etagDoesNotMatch = h.get('if-none-match');
      const obj = await bucket.put(key, request.body, {
        httpMetadata: h, // a Headers: content-type, cache-control, …
        customMetadata: h.has('x-owner') ? { owner: h.get('x-owner') } : undefined,
        md5: h.get('x-md5') ?? undefined, // hex
        sha256: h.has('x-sha256') ? fromHex(h.get('x-sha256')) : undefined, // ArrayBuffer
        onlyIf, // an R2Conditional
      });
      if (obj === null) return text('precondition failed', 412);
      return json({ etag: obj.etag, size: obj.size }, 201);
    }
    if (m === 'GET') {
      const obj = await bucket.get(key, { onlyIf: request.headers, range: request.headers });
      if (obj === null) return text('not found', 404);
      const headers = new Headers({ etag: obj.httpEtag });
      obj.writeHttpMetadata(headers);
      if (!('body' in obj)) return new Response(null, { status: 412, headers });
      if (request.headers.has('range')) {
        const r = obj.range;
        headers.set('content-range', `bytes ${r.offset}-${r.offset + r.length - 1}/${obj.size}`);
        return new Response(await obj.arrayBuffer(), { status: 206, headers });
      }
      return new Response(obj.body, { headers });
    }
  }
  if (p.startsWith('/r2x/head/') && m === 'GET') {
    const obj = await bucket.head(decodeURIComponent(p.slice('/r2x/head/'.length)));
    if (obj === null) return text('not found', 404);
    return json({
      key: obj.key, size: obj.size, etag: obj.etag, httpEtag: obj.httpEtag, uploaded: obj.uploaded.getTime(),
      contentType: obj.httpMetadata.contentType ?? '', cacheControl: obj.httpMetadata.cacheControl ?? '',
      customMetadata: obj.customMetadata, md5: obj.checksums.toJSON().md5 ?? '',
    });
  }
  if (p === '/r2x/list' && m === 'GET') {
    const opts = { prefix: q.get('prefix') ?? undefined, delimiter: q.get('delimiter') ?? undefined, cursor: q.get('cursor') ?? undefined };
    if (q.has('limit')) opts.limit = Number(q.get('limit'));
    const r = await bucket.list(opts);
    return json({ keys: r.objects.map((o) => o.key), prefixes: r.delimitedPrefixes, truncated: r.truncated, cursor: r.cursor ?? '' });
  }
  if (p === '/r2x/delete' && m === 'POST') {
    await bucket.delete((await request.text()).split('\n').filter(Boolean));
    return new Response(null, { status: 204 });
  }
  if (p.startsWith('/r2x/mpu/')) {
    const key = decodeURIComponent(p.slice('/r2x/mpu/'.length));
    const action = q.get('action');
    if (m === 'POST' && action === 'create') {
      const h = request.headers;
      const u = await bucket.createMultipartUpload(key, { httpMetadata: h, customMetadata: h.has('x-owner') ? { owner: h.get('x-owner') } : {} });
      return text(u.uploadId);
    }
    const u = bucket.resumeMultipartUpload(key, q.get('uploadId'));
    if (m === 'PUT' && action === 'part') {
      // via=writer: a stream that is not the host's, so it goes through part-writer.
      const body = q.get('via') === 'writer' ? request.body.pipeThrough(new TransformStream()) : request.body;
      const part = await u.uploadPart(Number(q.get('part')), body);
      return json({ partNumber: part.partNumber, etag: part.etag });
    }
    if (m === 'POST' && action === 'complete') {
      const parts = (await request.text()).split(',').map((s) => {
        const [n, etag] = s.split(':');
        return { partNumber: Number(n), etag };
      });
      const obj = await u.complete(parts);
      return json({ etag: obj.etag, size: obj.size });
    }
    if (m === 'DELETE') {
      await u.abort();
      return new Response(null, { status: 204 });
    }
  }
  return text('no route', 404);
}

// --- /d1: D1 (conformance/d1_test.go) ---
//
// Integers answer as decimal text (a BigInt beyond 2^53), reals as
// numbers, blobs (D1 returns them as arrays of bytes) as hex.

const d1Hex = (bytes) => bytes.map((b) => b.toString(16).padStart(2, '0')).join('');
const d1Message = async (f) => {
  try {
    await f();
  } catch (e) {
    return e.message;
  }
  return 'succeeded';
};

async function d1(request, db, route) {
  const m = request.method;
  const count = async () => String(await db.prepare('SELECT count(*) AS c FROM t').first('c'));
  if (route === 'setup' && m === 'POST') {
    const r = await db.exec('DROP TABLE IF EXISTS t; CREATE TABLE t (id INTEGER PRIMARY KEY, name TEXT NOT NULL, n INTEGER, r REAL, b BLOB)');
    return json({ count: r.count });
  }
  if (route === 'insert' && m === 'POST') {
    const r = await db.prepare('INSERT INTO t (name, n, r, b) VALUES (?1, ?2, ?3, ?4)')
      .bind('héllo', 9007199254740993n, 1.5, new Uint8Array([0x00, 0x01, 0xff])).run();
    const { changes, last_row_id, rows_written, changed_db } = r.meta;
    return json({ success: r.success, changes, last_row_id, rows_written, changed_db });
  }
  if (route === 'row' && m === 'GET') {
    const row = await db.prepare('SELECT id, name, n, r, b, NULL AS z FROM t WHERE id = ?').bind(1).first();
    return json({ id: String(row.id), name: row.name, n: String(row.n), r: row.r, b: d1Hex(row.b), z: row.z });
  }
  if (route === 'first' && m === 'GET') {
    return json({
      name: await db.prepare('SELECT name FROM t WHERE id = 1').first('name'),
      none: await db.prepare('SELECT * FROM t WHERE id = 999').first(),
    });
  }
  if (route === 'raw' && m === 'GET') {
    const [names, ...rows] = await db.prepare('SELECT id, name FROM t ORDER BY id').raw({ columnNames: true });
    return json([names, ...rows.map(([id, name]) => [String(id), name])]);
  }
  if (route === 'batch' && m === 'POST') {
    const rs = await db.batch([
      db.prepare("INSERT INTO t (name) VALUES ('a')"),
      db.prepare("INSERT INTO t (name) VALUES ('b')"),
      db.prepare('SELECT count(*) AS c FROM t'),
    ]);
    return json({ results: rs.length, count: String(rs[2].results[0].c) });
  }
  if (route === 'batch-fail' && m === 'POST') {
    const error = await d1Message(() => db.batch([
      db.prepare("INSERT INTO t (id, name) VALUES (10, 'x')"),
      db.prepare("INSERT INTO t (id, name) VALUES (1, 'dup')"),
    ]));
    return json({ error, count: await count() });
  }
  if (route === 'errors' && m === 'GET') {
    const many = Array.from({ length: 101 }, (_, i) => i);
    return json({
      sql: await d1Message(() => db.prepare('SELECT * FROM nope').all()),
      refused: await d1Message(() => db.prepare("ATTACH DATABASE 'x.db' AS x").run()),
      params: await d1Message(() => db.prepare('SELECT ' + many.map(() => '?').join(',')).bind(...many).all()),
    });
  }
  if (route === 'session' && m === 'GET') {
    const s = db.withSession('first-primary');
    const c = await s.prepare('SELECT count(*) AS c FROM t').first('c');
    return json({ count: String(c), bookmark: s.getBookmark() });
  }
  return text('no route', 404);
}

// --- failures and input the host could not take (harness_test.go, sdkerrors_test.go) ---

const FAILURE = 'ConformanceFailure: failed on purpose';

// failStream answers 200 with a body stream that gives 128 KiB of 'x',
// then errors: the head and the first chunks are out by then.
function failStream() {
  let n = 0;
  const body = new ReadableStream({
    pull(controller) {
      if (n++ < 2) controller.enqueue(new Uint8Array(64 << 10).fill(0x78));
      else controller.error(new Error(FAILURE + ' mid-stream'));
    },
  });
  return new Response(body, { headers: { 'content-type': 'application/octet-stream' } });
}

// sdkErrors calls the SDK with strings UTF-8 cannot carry (a lone
// surrogate) wherever it passes a string on, and with numbers the WIT's
// unsigned types cannot hold: each must throw the BindingError with the
// code given, before the host sees it. It answers, for each call, "" or
// what happened instead.
async function sdkErrors(env) {
  const bad = 'a\uD800b';
  const out = {};
  const check = async (name, code, f) => {
    try {
      await f();
      out[name] = `succeeded, want BindingError ${code}`;
    } catch (e) {
      if (!(e instanceof BindingError) || e.code !== code) out[name] = `got ${e}, want BindingError ${code}`;
      else if (/lone surrogate/.test(name) && !e.message.includes('UTF-8')) out[name] = `the message ${e.message} does not say UTF-8`;
      else out[name] = '';
    }
  };
  const kv = env.STORE;
  const b = env.FILES;
  await check('kv get: lone surrogate', 'invalid-key', () => kv.get(bad));
  await check('kv getWithMetadata: lone surrogate', 'invalid-key', () => kv.getWithMetadata(bad));
  await check('kv put: lone surrogate', 'invalid-key', () => kv.put(bad, 'x'));
  await check('kv delete: lone surrogate', 'invalid-key', () => kv.delete(bad));
  await check('kv list prefix: lone surrogate', 'invalid-argument', () => kv.list({ prefix: bad }));
  await check('kv list cursor: lone surrogate', 'invalid-argument', () => kv.list({ cursor: bad }));
  await check('kv put negative ttl', 'invalid-argument', () => kv.put('k', 'x', { expirationTtl: -60 }));
  await check('kv put fractional expiration', 'invalid-argument', () => kv.put('k', 'x', { expiration: 1.5 }));
  await check('kv put ttl over u64', 'invalid-argument', () => kv.put('k', 'x', { expirationTtl: 1n << 64n }));
  await check('kv list limit over u32', 'invalid-argument', () => kv.list({ limit: 2 ** 32 + 1 }));
  await check('kv list negative limit', 'invalid-argument', () => kv.list({ limit: -1 }));
  await check('r2 head: lone surrogate', 'invalid-key', () => b.head(bad));
  await check('r2 get: lone surrogate', 'invalid-key', () => b.get(bad));
  await check('r2 get onlyIf etag: lone surrogate', 'invalid-argument', () => b.get('k', { onlyIf: { etagMatches: bad } }));
  await check('r2 get negative range', 'invalid-range', () => b.get('k', { range: { offset: -1 } }));
  await check('r2 get Range over u64', 'invalid-range', () => b.get('k', { range: new Headers({ range: 'bytes=99999999999999999999999-' }) }));
  await check('r2 put: lone surrogate', 'invalid-key', () => b.put(bad, 'x'));
  await check('r2 put httpMetadata: lone surrogate', 'invalid-argument', () => b.put('k', 'x', { httpMetadata: { contentType: bad } }));
  await check('r2 put customMetadata: lone surrogate', 'invalid-argument', () => b.put('k', 'x', { customMetadata: { owner: bad } }));
  await check('r2 put customMetadata key: lone surrogate', 'invalid-argument', () => b.put('k', 'x', { customMetadata: { [bad]: 'v' } }));
  await check('r2 put storageClass: lone surrogate', 'invalid-argument', () => b.put('k', 'x', { storageClass: bad }));
  await check('r2 put onlyIf etag: lone surrogate', 'invalid-argument', () => b.put('k', 'x', { onlyIf: { etagDoesNotMatch: [bad] } }));
  await check('r2 delete: lone surrogate', 'invalid-key', () => b.delete(['fine', bad]));
  await check('r2 list prefix: lone surrogate', 'invalid-argument', () => b.list({ prefix: bad }));
  await check('r2 list startAfter: lone surrogate', 'invalid-argument', () => b.list({ startAfter: bad }));
  await check('r2 list negative limit', 'invalid-argument', () => b.list({ limit: -1 }));
  await check('r2 multipart create: lone surrogate', 'invalid-key', () => b.createMultipartUpload(bad));
  await check('r2 multipart options: lone surrogate', 'invalid-argument', () => b.createMultipartUpload('k', { customMetadata: { owner: bad } }));
  await check('r2 multipart resume: lone surrogate', 'invalid-argument', () => b.resumeMultipartUpload('k', bad));
  const up = await b.createMultipartUpload('mpu-sdk-errors');
  await check('r2 complete etag: lone surrogate', 'invalid-part', () => up.complete([{ partNumber: 1, etag: bad }]));
  await check('r2 complete part number over u32', 'invalid-part', () => up.complete([{ partNumber: 2 ** 32 + 1, etag: 'e' }]));
  await up.abort();
  const db = env.DB;
  await check('d1 prepare: lone surrogate', 'invalid-argument', () => db.prepare(`SELECT '${bad}'`));
  await check('d1 bind text: lone surrogate', 'invalid-argument', () => db.prepare('SELECT ?').bind(bad));
  await check('d1 exec: lone surrogate', 'invalid-argument', () => db.exec(`SELECT '${bad}'`));
  await check('d1 withSession bookmark: lone surrogate', 'invalid-argument', () => db.withSession(bad));
  await check('d1 session prepare: lone surrogate', 'invalid-argument', () => db.withSession().prepare(`SELECT '${bad}'`));
  await check('d1 bind BigInt over s64', 'invalid-argument', () => db.prepare('SELECT ?').bind(1n << 63n));
  out['env name: lone surrogate'] = env[bad] === undefined ? '' : 'a binding name with a lone surrogate was found';
  return out;
}
