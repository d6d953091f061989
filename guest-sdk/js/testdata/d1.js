// The D1 test Worker of the JavaScript SDK (d1_test.go): GET /cases runs
// every case against env.DB (a fresh database) and answers a JSON object,
// for each case "" or what went wrong. SQLite itself says what arrived
// (typeof and quote of the bound value), so a case fails when a value
// reached the database as anything else than workerd's conversion makes it.
// GET /keep and GET /reuse use one session over two requests.
import { BindingError, D1Database, D1DatabaseSession, D1Error, D1PreparedStatement } from '@bindery/worker';

// eq says whether a and b are the same JSON-ish value (BigInts by value).
function eq(a, b) {
  if (typeof a !== typeof b) return false;
  if (Array.isArray(a)) return Array.isArray(b) && a.length === b.length && a.every((x, i) => eq(x, b[i]));
  if (a !== null && typeof a === 'object') {
    const ka = Object.keys(a), kb = Object.keys(b);
    return eq(ka, kb) && ka.every((k) => eq(a[k], b[k]));
  }
  return Object.is(a, b) || a === b;
}

const show = (v) => {
  try {
    return JSON.stringify(v, (_, x) => (typeof x === 'bigint' ? `${x}n` : x));
  } catch {
    return String(v);
  }
};

// thrown returns what f threw (synchronously or as a rejection), or
// undefined when it did not.
async function thrown(f) {
  try {
    await f();
  } catch (e) {
    return e;
  }
  return undefined;
}

// Bound values and what SQLite got: typeof(?1) and quote(?1).
const binds = [
  ['null', null, 'null', 'NULL'],
  ['integer', 42, 'integer', '42'],
  ['negative zero', -0, 'integer', '0'],
  ['real', 1.5, 'real', '1.5'],
  ['integral number 2^53', 2 ** 53, 'integer', '9007199254740992'],
  ['integral number 2^62', 2 ** 62, 'integer', '4611686018427387904'],
  ['number 2^63 (past 64 bits)', 2 ** 63, 'real', '9.2233720368547758e+18'],
  ['number 1e300', 1e300, 'real', '1.0e+300'],
  ['NaN (SQLite stores NULL)', NaN, 'null', 'NULL'],
  ['BigInt 2^53+1', 9007199254740993n, 'integer', '9007199254740993'],
  ['BigInt -2^63', -(2n ** 63n), 'integer', '-9223372036854775808'],
  ['BigInt 2^63-1', 2n ** 63n - 1n, 'integer', '9223372036854775807'],
  ['true', true, 'integer', '1'],
  ['false', false, 'integer', '0'],
  ['text', 'héllo', 'text', "'héllo'"],
  ['empty text', '', 'text', "''"],
  ['Uint8Array', new Uint8Array([0, 1, 255]), 'blob', "X'0001FF'"],
  ['subarray', new Uint8Array([9, 0, 1, 255, 9]).subarray(1, 4), 'blob', "X'0001FF'"],
  ['Uint16Array (its bytes)', new Uint16Array([0x0100]), 'blob', "X'0001'"],
  ['DataView', new DataView(new Uint8Array([7, 0xab, 0xcd, 7]).buffer, 1, 2), 'blob', "X'ABCD'"],
  ['ArrayBuffer', new Uint8Array([0xca, 0xfe]).buffer, 'blob', "X'CAFE'"],
  ['Array of bytes', [0, 1, 255], 'blob', "X'0001FF'"],
  ['empty Array', [], 'blob', "X''"],
];

// Values bind refuses, and the message it throws.
const typeErrors = [
  ['undefined', undefined, "D1_TYPE_ERROR: Type 'undefined' not supported for value 'undefined'"],
  ['object', {}, "D1_TYPE_ERROR: Type 'object' not supported for value '[object Object]'"],
  ['symbol', Symbol('s'), "D1_TYPE_ERROR: Type 'symbol' not supported for value 'Symbol(s)'"],
  ['Array with 256', [1, 256], "D1_TYPE_ERROR: Type 'object' not supported for value '1,256'"],
  ['Array with 1.5', [1.5], "D1_TYPE_ERROR: Type 'object' not supported for value '1.5'"],
  ['Array with text', ['a'], "D1_TYPE_ERROR: Type 'object' not supported for value 'a'"],
  ['Date', new Date(0), "D1_TYPE_ERROR: Type 'object' not supported for value '" + String(new Date(0)) + "'"],
  ['BigInt 2^63', 2n ** 63n, "D1_TYPE_ERROR: BigInt 9223372036854775808 is outside SQLite's 64-bit integers"],
  ['BigInt -2^63-1', -(2n ** 63n) - 1n, "D1_TYPE_ERROR: BigInt -9223372036854775809 is outside SQLite's 64-bit integers"],
];

async function cases(db) {
  const out = {};
  const check = async (name, f) => {
    try {
      const problem = await f();
      out[name] = problem ? String(problem) : '';
    } catch (e) {
      out[name] = `threw ${e && e.stack ? e.stack : e}`;
    }
  };
  const want = (what, got, w) => (eq(got, w) ? '' : `${what}: got ${show(got)}, want ${show(w)}`);

  await db.exec('CREATE TABLE t (id INTEGER PRIMARY KEY, name TEXT NOT NULL UNIQUE, b BLOB)');

  for (const [name, v, type, quote] of binds) {
    await check(`bind ${name}`, async () => {
      const r = await db.prepare('SELECT typeof(?1) AS t, quote(?1) AS q').bind(v).first();
      return want('typeof and quote', r, { t: type, q: quote });
    });
  }
  for (const [name, v, msg] of typeErrors) {
    await check(`bind refuses ${name}`, () => {
      let e;
      try {
        db.prepare('SELECT ?').bind(v);
      } catch (x) {
        e = x;
      }
      if (e === undefined) return 'bind took it';
      if (!(e instanceof Error) || !(e instanceof D1Error) || !(e instanceof BindingError)) return `threw ${e}, not a D1Error`;
      if (e.message !== msg) return want('message', e.message, msg);
      if (String(e) !== 'Error: ' + msg) return want('String(e)', String(e), 'Error: ' + msg);
      return want('cause', e.cause && e.cause.message, msg.slice('D1_TYPE_ERROR: '.length));
    });
  }

  await check('integers within 2^53 are Numbers, beyond are BigInts', async () => {
    const r = await db.prepare('SELECT 9007199254740991 AS a, -9007199254740991 AS b, 9007199254740992 AS c, -9007199254740992 AS d, 9223372036854775807 AS e, -9223372036854775808 AS f, 0 AS g').first();
    return want('row', r, { a: 9007199254740991, b: -9007199254740991, c: 9007199254740992n, d: -9007199254740992n, e: 9223372036854775807n, f: -9223372036854775808n, g: 0 });
  });
  await check('a BigInt bound comes back whole', async () => {
    const v = await db.prepare('SELECT ?1 AS v').bind(2n ** 62n + 1n).first('v');
    return want('v', v, 2n ** 62n + 1n);
  });
  await check('reals, text, NULL', async () => {
    const r = await db.prepare("SELECT 1.0 AS a, 0.25 AS b, 'x' AS c, NULL AS d").first();
    return want('row', r, { a: 1, b: 0.25, c: 'x', d: null });
  });
  await check('blobs come back as Arrays of bytes', async () => {
    const r = await db.prepare("SELECT X'0001FF' AS b, X'' AS e").first();
    if (!Array.isArray(r.b) || !Array.isArray(r.e)) return `not this realm's Arrays: ${Object.prototype.toString.call(r.b)}`;
    return want('row', r, { b: [0, 1, 255], e: [] });
  });
  await check('a repeated column name keeps its last value; raw keeps both', async () => {
    const all = await db.prepare('SELECT 1 AS a, 2 AS a').all();
    const raw = await db.prepare('SELECT 1 AS a, 2 AS a').raw({ columnNames: true });
    return want('all', all.results, [{ a: 2 }]) || want('raw', raw, [['a', 'a'], [1, 2]]);
  });
  await check('a column named __proto__ is a column', async () => {
    const r = await db.prepare('SELECT 1 AS __proto__').first();
    return Object.hasOwn(r, '__proto__') && r.__proto__ === 1 ? '' : `got ${show(Object.entries(r))}`;
  });

  await check('run: D1Result of an insert', async () => {
    const r = await db.prepare('INSERT INTO t (name, b) VALUES (?, ?)').bind('one', new Uint8Array([1, 2])).run();
    if (!eq(Object.keys(r), ['success', 'meta', 'results'])) return `keys ${Object.keys(r)}`;
    const m = r.meta;
    for (const k of ['duration', 'size_after', 'rows_read', 'rows_written', 'last_row_id', 'changes']) {
      if (typeof m[k] !== 'number') return `meta.${k} is ${typeof m[k]}`;
    }
    if (m.size_after <= 0) return `size_after ${m.size_after}`;
    return want('result', [r.success, r.results, m.changes, m.last_row_id, m.rows_written, m.changed_db, m.served_by_primary], [true, [], 1, 1, 1, true, true]);
  });
  await check('all: rows as objects', async () => {
    await db.prepare("INSERT INTO t (name) VALUES ('two')").run();
    const r = await db.prepare('SELECT id, name, b FROM t ORDER BY id').all();
    return want('results', r.results, [{ id: 1, name: 'one', b: [1, 2] }, { id: 2, name: 'two', b: null }]) ||
      want('changed_db of a read', r.meta.changed_db, false) || want('rows_read >= 2', r.meta.rows_read >= 2, true);
  });
  await check('raw without column names', async () => {
    return want('raw', await db.prepare('SELECT id, name FROM t ORDER BY id').raw(), [[1, 'one'], [2, 'two']]);
  });
  await check('raw of no rows with column names', async () => {
    return want('raw', await db.prepare('SELECT id, name FROM t WHERE id = 0').raw({ columnNames: true }), [['id', 'name']]);
  });
  await check('first(col)', async () => want('first', await db.prepare('SELECT name FROM t WHERE id = ?').bind(2).first('name'), 'two'));
  await check('first() of no rows is null', async () => want('first', await db.prepare('SELECT * FROM t WHERE id = 0').first(), null));
  await check('first(col) of no rows is null, even for a missing column', async () => {
    return want('first', await db.prepare('SELECT * FROM t WHERE id = 0').first('nope'), null);
  });
  for (const col of ['nope', 'toString', '']) {
    await check(`first(${JSON.stringify(col)}): column not found`, async () => {
      const e = await thrown(() => db.prepare('SELECT id FROM t').first(col));
      const msg = `D1_COLUMN_NOTFOUND: Column not found (${col})`;
      if (!(e instanceof D1Error)) return `threw ${e}`;
      return want('message', e.message, msg);
    });
  }
  await check('first(col) of a NULL is null', async () => want('first', await db.prepare('SELECT b FROM t WHERE id = 2').first('b'), null));

  await check('bind returns a new statement; the prepared one is unchanged', async () => {
    const s = db.prepare('SELECT ?1 AS v');
    const a = s.bind(1);
    const b = s.bind('two');
    if (a === s || b === s || !(a instanceof D1PreparedStatement)) return 'bind returned the same statement';
    const rebound = a.bind(3);
    return want('values', [await s.first('v'), await a.first('v'), await b.first('v'), await rebound.first('v'), await a.first('v')], [null, 1, 'two', 3, 1]);
  });
  await check('a blob is copied when bound', async () => {
    const buf = new Uint8Array([1]);
    const s = db.prepare('SELECT ?1 AS v').bind(buf);
    buf[0] = 2;
    return want('v', await s.first('v'), [1]);
  });
  await check('methods return Promises; errors reject them', async () => {
    const s = db.prepare('SELECT * FROM nope');
    const ps = [s.all(), s.run(), s.first(), s.raw(), db.batch([s]), db.exec('SELECT * FROM nope')];
    const rs = await Promise.allSettled(ps);
    if (!ps.every((p) => p instanceof Promise)) return 'not every method returned a Promise';
    return want('states', rs.map((r) => r.status), Array(6).fill('rejected'));
  });
  await check('a SQL error is an Error with D1\'s message', async () => {
    const e = await thrown(() => db.prepare('SELECT * FROM nope').all());
    if (!(e instanceof Error) || !(e instanceof D1Error)) return `threw ${e}`;
    if (!e.message.startsWith('D1_ERROR: no such table: nope')) return `message ${e.message}`;
    if (e.cause.message.startsWith('D1_ERROR')) return `cause ${e.cause.message}`;
    return want('code', e.code, 'sql');
  });
  await check('a constraint error', async () => {
    const e = await thrown(() => db.prepare("INSERT INTO t (name) VALUES ('one')").run());
    return e && /^D1_ERROR: UNIQUE constraint failed: t\.name/.test(e.message) ? '' : `threw ${e}`;
  });
  await check('a refused statement', async () => {
    const e = await thrown(() => db.prepare('BEGIN').run());
    return e && e.message.startsWith('D1_ERROR: ') && e.code === 'refused' ? '' : `threw ${e} (${e && e.code})`;
  });
  await check('a named parameter', async () => {
    const e = await thrown(() => db.prepare('SELECT :x').bind(1).all());
    return e && e.message.startsWith('D1_ERROR: ') && e.code === 'invalid-argument' ? '' : `threw ${e} (${e && e.code})`;
  });

  await check('batch: D1Results in order', async () => {
    const rs = await db.batch([
      db.prepare("INSERT INTO t (name) VALUES ('three')"),
      db.prepare('SELECT count(*) AS c FROM t'),
    ]);
    return want('results', rs.map((r) => [r.success, r.results, r.meta.changes]), [[true, [], 1], [true, [{ c: 3 }], 0]]);
  });
  await check('batch: all or nothing', async () => {
    const e = await thrown(() => db.batch([
      db.prepare("INSERT INTO t (name) VALUES ('four')"),
      db.prepare("INSERT INTO t (name) VALUES ('one')"),
    ]));
    const c = await db.prepare('SELECT count(*) AS c FROM t').first('c');
    return (e && /UNIQUE constraint failed/.test(e.message) ? '' : `threw ${e}`) || want('count', c, 3);
  });
  await check('batch takes only prepared statements', async () => {
    const e = await thrown(() => db.batch(['SELECT 1']));
    const e2 = await thrown(() => db.batch());
    return e instanceof TypeError && e2 instanceof TypeError ? '' : `threw ${e} and ${e2}`;
  });
  await check('exec: count and duration', async () => {
    const r = await db.exec('CREATE TABLE e (x); INSERT INTO e VALUES (1); INSERT INTO e VALUES (2)');
    return want('count', r.count, 3) || want('keys', Object.keys(r), ['count', 'duration']) || want('duration', typeof r.duration, 'number');
  });
  await check('exec stops at the first error', async () => {
    const e = await thrown(() => db.exec('INSERT INTO e VALUES (3); INSERT INTO nope VALUES (1); INSERT INTO e VALUES (4)'));
    const c = await db.prepare('SELECT count(*) AS c FROM e').first('c');
    return (e && e.message.startsWith('D1_ERROR: ') && /no such table: nope/.test(e.message) ? '' : `threw ${e}`) || want('rows', c, 3);
  });

  await check('withSession(): no bookmark before a query, one after', async () => {
    const s = db.withSession();
    if (!(s instanceof D1DatabaseSession)) return 'not a D1DatabaseSession';
    const before = s.getBookmark();
    const c = await s.prepare('SELECT count(*) AS c FROM t').first('c');
    const after = s.getBookmark();
    return want('before', before, null) || want('count', c, 3) || (/^[0-9a-f]{16}$/.test(after) ? '' : `bookmark ${after}`);
  });
  await check('withSession("first-primary"): null until a query', async () => {
    const s = db.withSession('first-primary');
    const before = s.getBookmark();
    await s.prepare('SELECT 1').run();
    return want('before', before, null) || (typeof s.getBookmark() === 'string' ? '' : `bookmark ${s.getBookmark()}`);
  });
  await check('withSession(bookmark): its bookmark; writes advance it', async () => {
    const s1 = db.withSession('first-primary');
    await s1.prepare('SELECT 1').run();
    const bm = s1.getBookmark();
    const s2 = db.withSession(bm);
    if (s2.getBookmark() !== bm) return `getBookmark ${s2.getBookmark()}, want ${bm}`;
    const rs = await s2.batch([s2.prepare("INSERT INTO t (name) VALUES ('five')"), s2.prepare('SELECT count(*) AS c FROM t')]);
    const after = s2.getBookmark();
    return want('count', rs[1].results[0].c, 4) || (after > bm ? '' : `bookmark ${after} is not after ${bm}`);
  });
  await check('withSession: a malformed bookmark rejects the first query', async () => {
    const s = db.withSession('bogus');
    const e = await thrown(() => s.prepare('SELECT 1').all());
    return e instanceof D1Error && e.message.startsWith('D1_ERROR: ') ? '' : `threw ${e}`;
  });
  await check('withSession takes strings only', async () => {
    const e = await thrown(() => db.withSession(42));
    return e instanceof TypeError ? '' : `threw ${e}`;
  });

  const bad = 'a\uD800b';
  const utf8 = (e) => (e instanceof D1Error && e.code === 'invalid-argument' && e.message.includes('UTF-8') ? '' : `threw ${e}`);
  await check('prepare: lone surrogate', async () => utf8(await thrown(() => db.prepare(`SELECT '${bad}'`))));
  await check('bind: lone surrogate', async () => utf8(await thrown(() => db.prepare('SELECT ?').bind(bad))));
  await check('exec: lone surrogate', async () => utf8(await thrown(() => db.exec(`SELECT '${bad}'`))));
  await check('withSession: lone surrogate', async () => utf8(await thrown(() => db.withSession(bad))));
  await check('session prepare: lone surrogate', async () => utf8(await thrown(() => db.withSession().prepare(bad))));
  await check('prepare takes a string', async () => {
    const e = await thrown(() => db.prepare(42));
    return e instanceof D1Error ? '' : `threw ${e}`;
  });

  await check('constructors are not for Workers', async () => {
    const es = await Promise.all([
      thrown(() => new D1Database()), thrown(() => new D1PreparedStatement()), thrown(() => new D1DatabaseSession()),
    ]);
    return es.every((e) => e instanceof TypeError) ? '' : `threw ${es}`;
  });
  return out;
}

let kept; // a session that outlives its request

export default {
  async fetch(request, env) {
    const p = new URL(request.url).pathname;
    if (p === '/cases') {
      if (!(env.DB instanceof D1Database) || !('DB' in env) || env.NOPE !== undefined) {
        return Response.json({ env: 'env.DB is not a D1Database' });
      }
      return Response.json(await cases(env.DB));
    }
    if (p === '/keep') {
      kept = env.DB.withSession('first-primary');
      await env.DB.exec('CREATE TABLE k (x)');
      await kept.prepare('INSERT INTO k VALUES (1)').run();
      return Response.json({ bookmark: kept.getBookmark() });
    }
    if (p === '/reuse') {
      const c = await kept.prepare('SELECT count(*) AS c FROM k').first('c');
      await kept.prepare('INSERT INTO k VALUES (2)').run();
      return Response.json({ count: c, bookmark: kept.getBookmark() });
    }
    return new Response('not found', { status: 404 });
  },
};
