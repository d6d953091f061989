// The JavaScript SDK's Durable Objects cases (durable_test.go): the class
// Tester, bound as OBJECTS (SQLite-backed), and a Worker whose /cases runs
// the Worker's side and the object's side and answers {case: "" or what
// went wrong}. /ws/<name> passes a WebSocket to the object.
import { DurableObject } from 'cloudflare:workers';

// check runs the cases of table (name → function, sync or async) and
// records "" or the failure of each in out.
async function check(out, table) {
  for (const [name, f] of Object.entries(table)) {
    try {
      const r = await f();
      out[name] = r === true ? '' : `got ${describe(r)}`;
    } catch (e) {
      out[name] = `threw ${e && e.name}: ${e && e.message}`;
    }
  }
  return out;
}

function describe(v) {
  try {
    return JSON.stringify(v, (_, x) => (typeof x === 'bigint' ? `${x}n` : x instanceof Map ? [...x] : x));
  } catch {
    return String(v);
  }
}

const same = (a, b) => describe(a) === describe(b);

// throws says whether f throws (or rejects) an error of class C whose
// message matches re.
async function throws(f, C, re) {
  try {
    await f();
  } catch (e) {
    return e instanceof C && re.test(e.message) ? true : `${e && e.name}: ${e && e.message}`;
  }
  return 'no error';
}

export class Tester extends DurableObject {
  events = 0;

  constructor(ctx, env) {
    super(ctx, env);
    if (ctx.id.name === 'broken') throw new RangeError('constructor failed');
    ctx.blockConcurrencyWhile(async () => {
      this.loaded = (await ctx.storage.get('loaded')) ?? 0;
      await ctx.storage.put('loaded', this.loaded + 1);
    });
  }

  /** memory counts the calls this instance has seen. */
  memory() { return ++this.events; }

  whoami() { return { name: this.ctx.id.name ?? null, id: this.ctx.id.toString() }; }

  failBlock() { return this.ctx.blockConcurrencyWhile(async () => { throw new RangeError('block failed'); }); }

  abortMe() { this.ctx.abort('on purpose'); }

  async memClosed() { return (await this.ctx.storage.get('memClosed')) ?? null; }

  callSelf() { return this.env.OBJECTS.getByName(this.ctx.id.name).memory(); }

  range() { throw new RangeError('out of range'); }

  str() { throw 'a string'; }

  async cases() {
    const st = this.ctx.storage;
    const sql = st.sql;
    await st.deleteAll();
    return check({}, {
      'get missing': async () => (await st.get('nope')) === undefined,
      'values': async () => {
        const v = { m: new Map([[1, 'a']]), s: new Set(['x']), d: new Date(1e12), big: 2n ** 70n, u8: new Uint8Array([1, 2]), f: 1.5 };
        await st.put('v', v);
        const g = await st.get('v');
        return g.m instanceof Map && g.m.get(1) === 'a' && g.s.has('x') && g.d.getTime() === 1e12 && g.big === 2n ** 70n &&
          g.u8 instanceof Uint8Array && g.u8[1] === 2 && g.f === 1.5;
      },
      'put entries, get many': async () => {
        await st.put({ b: 2, a: 1, c: 3 });
        const m = await st.get(['c', 'zz', 'a']);
        return m instanceof Map && same([...m], [['a', 1], ['c', 3]]);
      },
      'delete many': async () => (await st.delete(['a', 'zz', 'b'])) === 2 && (await st.delete('c')) === true && (await st.delete('c')) === false,
      'list options': async () => {
        await st.put({ k1: 1, k2: 2, k3: 3, k4: 4, l: 5 });
        const keys = async (o) => [...(await st.list(o)).keys()];
        return same(await keys({ prefix: 'k' }), ['k1', 'k2', 'k3', 'k4']) &&
          same(await keys({ start: 'k2', end: 'k4' }), ['k2', 'k3']) &&
          same(await keys({ startAfter: 'k2', prefix: 'k' }), ['k3', 'k4']) &&
          same(await keys({ prefix: 'k', reverse: true, limit: 2 }), ['k4', 'k3']);
      },
      'list start and startAfter': () => throws(() => st.list({ start: 'a', startAfter: 'b' }), TypeError, /start/),
      'transaction returns, txn.rollback': async () => {
        const r = await st.transaction(async (txn) => {
          await txn.put('t', 1);
          txn.rollback();
          return 'value';
        });
        return r === 'value' && (await st.get('t')) === undefined;
      },
      'nested transaction': async () => {
        await st.transaction(async (txn) => {
          await txn.put('outer', 1);
          await st.transaction(async (inner) => { await inner.put('inner', 1); throw new Error('inner'); }).catch(() => {});
        });
        return (await st.get('outer')) === 1 && (await st.get('inner')) === undefined;
      },
      'transactionSync rolls back': async () => {
        sql.exec('CREATE TABLE IF NOT EXISTS s (x)');
        try {
          st.transactionSync(() => {
            sql.exec('INSERT INTO s VALUES (1)');
            throw new Error('no');
          });
        } catch (e) {
          if (e.message !== 'no') throw e;
        }
        return st.transactionSync(() => sql.exec('SELECT count(*) AS n FROM s').one().n) === 0;
      },
      'sql values': () => {
        sql.exec('CREATE TABLE v (i INTEGER, r REAL, t TEXT, b BLOB, n)');
        const c = sql.exec('INSERT INTO v VALUES (?, ?, ?, ?, ?)', 2n ** 60n, 0.5, 'héllo', new Uint8Array([0, 255]), null);
        const row = sql.exec('SELECT * FROM v').one();
        return c.rowsWritten === 1 && row.i === 2n ** 60n && row.r === 0.5 && row.t === 'héllo' &&
          row.b instanceof ArrayBuffer && new Uint8Array(row.b)[1] === 255 && row.n === null;
      },
      'sql raw, columnNames, iterate': () => {
        sql.exec('CREATE TABLE w (a, b)');
        sql.exec('WITH RECURSIVE c(x) AS (SELECT 0 UNION ALL SELECT x + 1 FROM c WHERE x < 299) INSERT INTO w SELECT x, -x FROM c');
        const c = sql.exec('SELECT a, b FROM w ORDER BY a');
        let n = 0;
        for (const row of c) n += row.a;
        const raw = sql.exec('SELECT a, b FROM w WHERE a < 2 ORDER BY a').raw().toArray();
        return n === 299 * 150 && same(c.columnNames, ['a', 'b']) && same(raw, [[0, 0], [1, -1]]) && c.rowsRead >= 300;
      },
      'sql one of none': () => throws(() => sql.exec('SELECT 1 WHERE 0').one(), Error, /no results/),
      'sql error': () => throws(() => sql.exec('SELECT * FROM nope'), Error, /no such table/),
      'databaseSize': () => sql.databaseSize > 0,
      'alarm': async () => {
        const none = await st.getAlarm();
        const t = Date.now() + 3_600_000;
        await st.setAlarm(new Date(t));
        const set = await st.getAlarm();
        await st.deleteAlarm();
        return none === null && set === t && (await st.getAlarm()) === null;
      },
      'loaded in blockConcurrencyWhile': () => this.loaded >= 0,
    });
  }

  async fetch(request) {
    if (request.headers.get('upgrade') !== 'websocket') return new Response('no upgrade', { status: 426 });
    const pair = new WebSocketPair();
    const [client, server] = Object.values(pair);
    if (new URL(request.url).searchParams.has('mem')) {
      // Without hibernation: listeners, and state in a closure.
      server.accept();
      let n = 0;
      server.addEventListener('message', (e) => server.send(`mem ${++n} ${e.data}`));
      server.addEventListener('close', async (e) => { await this.ctx.storage.put('memClosed', e.code); });
      return new Response(null, { status: 101, webSocket: client });
    }
    this.ctx.acceptWebSocket(server, ['t1', 't2']);
    server.serializeAttachment({ n: this.ctx.getWebSockets().length });
    this.ctx.setWebSocketAutoResponse(new WebSocketRequestResponsePair('ping', 'pong'));
    return new Response(null, { status: 101, webSocket: client });
  }

  webSocketMessage(ws, message) {
    if (message === 'info') {
      const auto = this.ctx.getWebSocketAutoResponse();
      ws.send(JSON.stringify({
        tags: this.ctx.getTags(ws), attachment: ws.deserializeAttachment(), t1: this.ctx.getWebSockets('t1').length,
        same: this.ctx.getWebSockets().includes(ws), auto: auto && [auto.request, auto.response],
        autoAt: this.ctx.getWebSocketAutoResponseTimestamp(ws) !== null,
      }));
      return;
    }
    if (message === 'bye') {
      ws.close(4000, 'asked');
      return;
    }
    ws.send(message instanceof ArrayBuffer ? new Uint8Array(message).reverse() : message.toUpperCase());
  }
}

export default {
  async fetch(request, env) {
    const url = new URL(request.url);
    const ns = env.OBJECTS;
    if (url.pathname.startsWith('/ws/')) return ns.getByName(url.pathname.slice(4)).fetch(request);
    // A stub kept across requests: its host handle is given back when a
    // request ends and opened again when it is used.
    if (url.pathname === '/keep') {
      globalThis.kept = ns.getByName('kept');
      return Response.json({ n: await globalThis.kept.memory() });
    }
    if (url.pathname.startsWith('/memclosed/')) return Response.json(await ns.getByName(url.pathname.slice(11)).memClosed());
    if (url.pathname === '/reuse') return Response.json({ n: await globalThis.kept.memory() });
    if (url.pathname !== '/cases') return new Response('not found', { status: 404 });
    const out = {};
    const stub = ns.getByName('cases');
    await check(out, {
      'no such binding': () => env.NOPE === undefined,
      'ids': () => {
        const a = ns.idFromName('a');
        const u = ns.newUniqueId({ jurisdiction: 'eu' });
        return a.name === 'a' && u.name === undefined && /^[0-9a-f]{64}$/.test(u.toString()) && !u.equals(a) &&
          ns.idFromString(a.toString()).equals(a) && ns.idFromString(a.toString()).name === undefined;
      },
      'idFromString of another class': () => throws(() => ns.idFromString('0'.repeat(64)), TypeError, /./),
      'get(idFromName) sees the name': async () => (await ns.get(ns.idFromName('n1')).whoami()).name === 'n1',
      'get(idFromString) has no name': async () => {
        const id = ns.newUniqueId();
        const who = await ns.get(ns.idFromString(id.toString())).whoami();
        return who.name === null && who.id === id.toString();
      },
      'stub id and name': () => stub.name === 'cases' && stub.id.equals(ns.idFromName('cases')),
      'a stub is no thenable': async () => (await Promise.resolve(stub)) === stub,
      'memory kept': async () => (await stub.memory()) + 1 === (await stub.memory()),
      'RangeError rethrown': () => throws(() => stub.range(), RangeError, /^out of range$/),
      'a thrown string': async () => {
        try {
          await stub.str();
        } catch (e) {
          return e === 'a string';
        }
        return 'no error';
      },
      'a function argument': async () => {
        try {
          await stub.memory(() => 1);
        } catch (e) {
          return e.name === 'DataCloneError';
        }
        return 'no error';
      },
      'no such method': () => throws(() => stub.nope(), TypeError, /nope/),
      'handlers are no RPC methods': () => throws(() => ns.getByName('cases2').alarm(), TypeError, /alarm/),
      'blockConcurrencyWhile throws: reset': async () => {
        const o = ns.getByName('reset1');
        await o.memory();
        await o.memory();
        const failed = await throws(() => o.failBlock(), Error, /./);
        return failed === true && (await o.memory()) === 1;
      },
      'abort: reset': async () => {
        const o = ns.getByName('reset2');
        await o.memory();
        const failed = await throws(() => o.abortMe(), Error, /on purpose/);
        return failed === true && (await o.memory()) === 1;
      },
      'a constructor that throws fails each event': async () => {
        const o = ns.getByName('broken');
        return (await throws(() => o.memory(), RangeError, /^constructor failed$/)) === true &&
          (await throws(() => o.memory(), RangeError, /^constructor failed$/));
      },
      'a call to itself fails at once': async () => {
        try {
          await ns.getByName('self').callSelf();
        } catch (e) {
          // The object's own call threw BindingError object-failed; it
          // reaches here as what the RPC method threw: an Error.
          return /^object-failed: .*waiting on this call/.test(e.message) || `${e.name}: ${e.message}`;
        }
        return 'no error';
      },
      'stub.fetch without upgrade': async () => {
        const r = await stub.fetch('http://do/x', { method: 'POST', body: 'b' });
        return r.status === 426 && (await r.text()) === 'no upgrade';
      },
    });
    Object.assign(out, await stub.cases());
    return Response.json(out);
  },
};
