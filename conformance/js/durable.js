// The Durable Objects section of the JavaScript conformance Worker
// (conformance/durable_test.go): the Worker's routes under /do/ and the
// class Conformance, written with Cloudflare's API.
import { DurableObject } from 'cloudflare:workers';

/** Conformance is the section's Durable Object class. */
export class Conformance extends DurableObject {
  fetches = 0;

  async fetch(request) {
    if (request.headers.get('upgrade') === 'websocket') {
      const pair = new WebSocketPair();
      this.ctx.acceptWebSocket(pair[1], ['conf']);
      return new Response(null, { status: 101, webSocket: pair[0] });
    }
    this.fetches++;
    // The event runs on after its response is complete: the object keeps
    // its memory (fetches) however soon the Worker's request ends.
    this.ctx.waitUntil(new Promise((resolve) => setTimeout(resolve, 20)));
    return Response.json({
      name: this.ctx.id.name, id: this.ctx.id.toString(), method: request.method,
      body: await request.text(), fetches: this.fetches,
    });
  }

  add(a, b) { return a + b; }

  echo(v) { return v; }

  async incr() {
    const n = ((await this.ctx.storage.get('count')) ?? 0) + 1;
    await this.ctx.storage.put('count', n);
    return n;
  }

  async storage() {
    const st = this.ctx.storage;
    await st.put({ k1: 1, k2: 'two', k3: [1, 2] });
    const deleted = await st.delete('k1');
    const deletedAgain = await st.delete('k1');
    const keys = [...(await st.list({ prefix: 'k' })).keys()];
    const last = [...(await st.list({ reverse: true, limit: 1 })).keys()];
    return { deleted, deletedAgain, keys, last, k2: await st.get('k2'), missing: (await st.get('nope')) === undefined };
  }

  async txn() {
    const st = this.ctx.storage;
    await st.put('t', 1);
    try {
      await st.transaction(async (txn) => {
        await txn.put('t', 2);
        throw new Error('roll back');
      });
    } catch (e) {
      if (e.message !== 'roll back') throw e;
    }
    const afterRollback = await st.get('t');
    await st.transaction(async (txn) => { await txn.put('t', 3); });
    return { afterRollback, afterCommit: await st.get('t') };
  }

  sql() {
    const sql = this.ctx.storage.sql;
    sql.exec('CREATE TABLE IF NOT EXISTS r (id INTEGER PRIMARY KEY, v TEXT)');
    const written = sql.exec('INSERT INTO r (v) VALUES (?)', 'x').rowsWritten;
    const c = sql.exec('SELECT id, v FROM r ORDER BY id');
    const columns = c.columnNames;
    const rows = c.raw().toArray();
    let error = '';
    try {
      sql.exec('SELECT * FROM nope');
    } catch (e) {
      error = e.message;
    }
    return { columns, rows, written, error };
  }

  boom(n) { throw new TypeError('boom: ' + n); }

  async setAlarm() {
    await this.ctx.storage.setAlarm(Date.now() + 100);
    return (await this.ctx.storage.getAlarm()) !== null;
  }

  async alarm(info) {
    await this.ctx.storage.put('alarm', { retryCount: info.retryCount });
  }

  async alarmed() {
    return (await this.ctx.storage.get('alarm')) ?? null;
  }

  webSocketMessage(ws, message) {
    if (message === 'ping') ws.send(`pong ${this.ctx.getWebSockets('conf').length}`);
    else ws.send(message);
  }
}

const hex = (b) => Array.from(new Uint8Array(b), (x) => x.toString(16).padStart(2, '0')).join('');

// jsonOf renders a decoded value as the suite's JSON: bytes as hex, a
// bigint as its decimal text.
function jsonOf(v) {
  if (typeof v === 'bigint') return v.toString();
  if (v instanceof ArrayBuffer || ArrayBuffer.isView(v)) return hex(v instanceof ArrayBuffer ? v : v.buffer.slice(v.byteOffset, v.byteOffset + v.byteLength));
  if (Array.isArray(v)) return v.map(jsonOf);
  if (v !== null && typeof v === 'object') return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, jsonOf(x)]));
  return v === undefined ? null : v;
}

/** doRoute serves /do/...: the Worker's side. */
export async function doRoute(request, env, p) {
  const ns = env.OBJECTS;
  if (p === '/do/ids') {
    const named = ns.idFromName('a');
    let invalid = '';
    try {
      ns.idFromString('not-an-id');
    } catch (e) {
      invalid = e.message;
    }
    return Response.json({
      named: named.toString(), same: named.equals(ns.idFromName('a')), other: !named.equals(ns.idFromName('b')),
      unique: ns.newUniqueId().toString(), parsed: ns.idFromString(named.toString()).equals(named), invalid,
    });
  }
  const [name, op] = p.slice('/do/'.length).split('/');
  const stub = ns.getByName(name);
  switch (op) {
    case 'fetch':
    case 'ws':
      return stub.fetch(request);
    case 'rpc': {
      const sum = await stub.add(2, 3.5);
      const echo = await stub.echo({ s: 'héllo', n: 1.5, i: -7, t: true, z: null, l: [1, 2, 3], b: new Uint8Array([0, 1, 0xff]), big: 2n ** 60n });
      return Response.json({ sum, echo: jsonOf(echo) });
    }
    case 'storage': case 'txn': case 'sql': case 'incr': case 'alarmed':
      return Response.json(jsonOf(await stub[op]()));
    case 'alarm':
      return Response.json(await stub.setAlarm());
    case 'throw':
      try {
        await stub.boom(name);
      } catch (e) {
        if (!(e instanceof TypeError)) return new Response(`boom threw ${e}, not a TypeError`, { status: 500 });
        return Response.json({ name: e.name, message: e.message });
      }
      return new Response('boom returned', { status: 500 });
    case 'missing':
      try {
        await stub.noSuchMethod();
      } catch (e) {
        return Response.json({ error: e.message });
      }
      return new Response('noSuchMethod returned', { status: 500 });
  }
  return new Response('not found', { status: 404 });
}
