// The Durable Objects section (conformance/durable_test.go): the Worker's
// routes under /do/ and the class Conformance.

import { BinderyError, D1Value, Request, Response, Result, quote } from "../../guest-sdk/assemblyscript";
import {
  AlarmInfo,
  DurableObject,
  DurableObjectState,
  DurableWebSocket,
  RpcError,
  StorageListOptions,
  WebSocketMessage,
  defineClass,
  namespace,
  now,
  rpcError,
  rpcOk,
} from "../../guest-sdk/assemblyscript/durable";
import { Kind, SV } from "../../guest-sdk/assemblyscript/structured";

/** Conformance is the class the section's requests reach. */
class Conformance extends DurableObject {
  fetches: i32 = 0;
  /** messages counts web socket messages while the object is in memory. */
  messages: i32 = 0;

  fetch(req: Request): Response {
    const up = req.headers.get("upgrade");
    if (up != null && up.toLowerCase() == "websocket" && req.path.endsWith("/ws-mem")) {
      const r = this.ctx.acceptWebSocketInMemory(req);
      if (r.isErr) return Response.text(r.error.message, 500);
      return new Response(101);
    }
    if (up != null && up.toLowerCase() == "websocket") {
      const r = this.ctx.acceptWebSocket(req, ["conf"]);
      if (r.isErr) return Response.text(r.error.message, 500);
      return new Response(101);
    }
    this.fetches++;
    const body = req.text();
    const name = this.ctx.id.name;
    return Response.json(
      "{" +
        '"name":' + (name != null ? quote(name) : "null") +
        ',"id":' + quote(this.ctx.id.hex) +
        ',"method":' + quote(req.method) +
        ',"body":' + quote(body) +
        ',"fetches":' + this.fetches.toString() +
        "}",
    );
  }

  call(method: string, args: Array<SV>): Result<SV, SV> {
    if (method == "add" && args.length == 2) return rpcOk(SV.number(args[0].asNumber() + args[1].asNumber()));
    if (method == "echo" && args.length == 1) return rpcOk(args[0]);
    if (method == "incr") return this.incr();
    if (method == "storage") return this.storage();
    if (method == "txn") return this.txn();
    if (method == "sql") return this.sql();
    if (method == "boom" && args.length == 1) return rpcError("TypeError", "boom: " + args[0].asString());
    if (method == "setAlarm") return this.setAlarm();
    if (method == "alarmed") return this.alarmed();
    if (method == "nest" && args.length == 3) return this.nest(<i32>args[0].asNumber(), args[1].asString(), args[2].asString());
    return super.call(method, args);
  }

  /**
   * nest calls nest(depth - 1) on object b (odd depth) or a (even), so
   * that a → b → a → b: the third call reaches a while its first event
   * waits, nested on its instance (TestAssemblyScriptDurableNested). It
   * returns the names of the objects on the way.
   */
  nest(depth: i32, a: string, b: string): Result<SV, SV> {
    const me = this.ctx.id.name;
    const path = SV.array([SV.string(me != null ? me : "?")]);
    if (depth == 0) return rpcOk(path);
    const s = namespace("OBJECTS").getByName(depth % 2 == 1 ? b : a);
    if (s.isErr) return fail(s.error);
    const r = s.value.call("nest", [SV.number(depth - 1), SV.string(a), SV.string(b)]);
    s.value.close();
    if (r.isErr) return fail(r.error);
    for (let i = 0; i < r.value.length; i++) path.push(r.value.at(i));
    return rpcOk(path);
  }

  incr(): Result<SV, SV> {
    const st = this.ctx.storage;
    const got = st.get("count");
    if (got.isErr) return fail(got.error);
    const v = got.value;
    const n = (v != null ? v.asNumber() : 0) + 1;
    const e = st.put("count", SV.number(n));
    if (e != null) return fail(e);
    return rpcOk(SV.number(n));
  }

  storage(): Result<SV, SV> {
    const st = this.ctx.storage;
    const e = st.putMultiple(["k1", "k2", "k3"], [SV.int(1), SV.string("two"), SV.array([SV.int(1), SV.int(2)])]);
    if (e != null) return fail(e);
    const deleted = st.delete("k1");
    if (deleted.isErr) return fail(deleted.error);
    const again = st.delete("k1");
    if (again.isErr) return fail(again.error);
    const byPrefix = new StorageListOptions();
    byPrefix.prefix = "k";
    const all = st.list(byPrefix);
    if (all.isErr) return fail(all.error);
    const lastOne = new StorageListOptions();
    lastOne.reverse = true;
    lastOne.limit = 1;
    const last = st.list(lastOne);
    if (last.isErr) return fail(last.error);
    const k2 = st.get("k2");
    if (k2.isErr || k2.value == null) return rpcError("Error", "k2 is missing");
    const none = st.get("nope");
    if (none.isErr) return fail(none.error);
    return rpcOk(
      SV.object()
        .set("deleted", SV.bool(deleted.value))
        .set("deletedAgain", SV.bool(again.value))
        .set("keys", keysOf(all.value))
        .set("last", keysOf(last.value))
        .set("k2", k2.value!)
        .set("missing", SV.bool(none.value == null)),
    );
  }

  txn(): Result<SV, SV> {
    const st = this.ctx.storage;
    let e = st.put("t", SV.int(1));
    if (e != null) return fail(e);
    // A transaction that fails part way is rolled back.
    const t1 = st.transaction();
    if (t1.isErr) return fail(t1.error);
    e = st.put("t", SV.int(2));
    if (e != null) return fail(e);
    e = t1.value.rollback();
    if (e != null) return fail(e);
    const a = st.get("t");
    if (a.isErr) return fail(a.error);
    const t2 = st.transaction();
    if (t2.isErr) return fail(t2.error);
    e = st.put("t", SV.int(3));
    if (e != null) return fail(e);
    e = t2.value.commit();
    if (e != null) return fail(e);
    const b = st.get("t");
    if (b.isErr) return fail(b.error);
    return rpcOk(SV.object().set("afterRollback", a.value!).set("afterCommit", b.value!));
  }

  sql(): Result<SV, SV> {
    const q = this.ctx.storage.sql;
    const c = q.exec("CREATE TABLE IF NOT EXISTS r (id INTEGER PRIMARY KEY, v TEXT)");
    if (c.isErr) return fail(c.error);
    c.value.close();
    const ins = q.exec("INSERT INTO r (v) VALUES (?)", [D1Value.text("x")]);
    if (ins.isErr) return fail(ins.error);
    const written = ins.value.rowsWritten;
    ins.value.close();
    const sel = q.exec("SELECT id, v FROM r ORDER BY id");
    if (sel.isErr) return fail(sel.error);
    const cur = sel.value;
    const rows = SV.array();
    for (;;) {
      const row = cur.next();
      if (row == null) break;
      const r = SV.array();
      for (let i = 0; i < row.length; i++) {
        const v = row[i];
        const t = v.asText();
        r.push(t != null ? SV.string(t) : SV.int(v.asInt()));
      }
      rows.push(r);
    }
    const cols = SV.array();
    for (let i = 0; i < cur.columnNames.length; i++) cols.push(SV.string(cur.columnNames[i]));
    cur.close();
    const bad = q.exec("SELECT * FROM nope");
    const msg = bad.isErr ? bad.error.message : "";
    return rpcOk(SV.object().set("columns", cols).set("rows", rows).set("written", SV.uint(written)).set("error", SV.string(msg)));
  }

  setAlarm(): Result<SV, SV> {
    const st = this.ctx.storage;
    const e = st.setAlarm(now() + 100);
    if (e != null) return fail(e);
    const at = st.getAlarm();
    if (at.isErr) return fail(at.error);
    return rpcOk(SV.bool(at.value >= 0));
  }

  alarm(info: AlarmInfo): SV | null {
    const e = this.ctx.storage.put("alarm", SV.object().set("retryCount", SV.uint(info.retryCount)));
    return e != null ? SV.error("Error", e.message) : null;
  }

  alarmed(): Result<SV, SV> {
    const v = this.ctx.storage.get("alarm");
    if (v.isErr) return fail(v.error);
    return rpcOk(v.value != null ? v.value! : SV.null());
  }

  webSocketMessage(ws: DurableWebSocket, m: WebSocketMessage): SV | null {
    let e: BinderyError | null;
    this.messages++;
    if (m.isBinary) e = ws.sendBytes(m.bytes);
    else if (m.text == "count") e = ws.send("count " + this.messages.toString() + " tags " + ws.tags().length.toString());
    else if (m.text == "ping") e = ws.send("pong " + this.ctx.getWebSockets("conf").length.toString());
    else e = ws.send(m.text);
    return e != null ? SV.error("Error", e.message) : null;
  }
}

defineClass("Conformance", (ctx: DurableObjectState): DurableObject => new Conformance(ctx));

/** fail throws e's message to the caller. */
function fail(e: BinderyError): Result<SV, SV> {
  return rpcError("Error", e.message);
}

function keysOf(m: Map<string, SV>): SV {
  const out = SV.array();
  const ks = m.keys();
  for (let i = 0; i < ks.length; i++) out.push(SV.string(ks[i]));
  return out;
}

/** doRoute serves /do/...: the Worker's side. */
export function doRoute(req: Request, p: string): Response {
  const ns = namespace("OBJECTS");
  if (p == "/do/ids") {
    const named = ns.idFromName("a");
    const again = ns.idFromName("a");
    const other = ns.idFromName("b");
    const unique = ns.newUniqueId();
    if (named.isErr || again.isErr || other.isErr || unique.isErr) return Response.text("ids failed", 500);
    const parsed = ns.idFromString(named.value.hex);
    const bad = ns.idFromString("not-an-id");
    return Response.json(
      "{" +
        '"named":' + quote(named.value.hex) +
        ',"same":' + (named.value.equals(again.value) ? "true" : "false") +
        ',"other":' + (!named.value.equals(other.value) ? "true" : "false") +
        ',"unique":' + quote(unique.value.hex) +
        ',"parsed":' + (parsed.isOk && parsed.value.equals(named.value) ? "true" : "false") +
        ',"invalid":' + quote(bad.isErr ? bad.error.message : "") +
        "}",
    );
  }
  const rest = p.substring(4);
  const slash = rest.indexOf("/");
  if (slash < 0) return Response.text("not found", 404);
  const name = rest.substring(0, slash);
  const op = rest.substring(slash + 1);
  const s = ns.getByName(name);
  if (s.isErr) return Response.text(s.error.message, 500);
  const stub = s.value;
  let res: Response;
  if (op == "fetch" || op == "ws" || op == "ws-mem") {
    const r = stub.fetch(req);
    res = r.isErr ? Response.text(r.error.message, 500) : r.value.toResponse();
  } else if (op == "rpc") {
    const sum = stub.call("add", [SV.number(2), SV.number(3.5)]);
    const v = SV.object()
      .set("s", SV.string("héllo"))
      .set("n", SV.number(1.5))
      .set("i", SV.int(-7))
      .set("t", SV.bool(true))
      .set("z", SV.null())
      .set("l", SV.array([SV.int(1), SV.int(2), SV.int(3)]))
      .set("b", SV.bytes(bytes([0, 1, 0xff])))
      .set("big", SV.uint(<u64>1 << 60));
    const echo = stub.call("echo", [v]);
    if (sum.isErr) res = Response.text(sum.error.message, 500);
    else if (echo.isErr) res = Response.text(echo.error.message, 500);
    else res = Response.json('{"sum":' + jsonOf(sum.value) + ',"echo":' + jsonOf(echo.value) + "}");
  } else if (op == "nest") {
    const r = stub.call("nest", [SV.number(3), SV.string(name), SV.string(name + "-peer")]);
    res = r.isErr ? Response.text(r.error.message, 500) : Response.json(jsonOf(r.value));
  } else if (op == "storage" || op == "txn" || op == "sql" || op == "incr" || op == "alarmed" || op == "alarm") {
    const r = stub.call(op == "alarm" ? "setAlarm" : op);
    res = r.isErr ? Response.text(r.error.message, 500) : Response.json(jsonOf(r.value));
  } else if (op == "throw") {
    const r = stub.call("boom", [SV.string(name)]);
    if (r.isOk || !(r.error instanceof RpcError)) res = Response.text("boom returned " + (r.isOk ? r.value.toString() : r.error.message), 500);
    else {
      const t = <RpcError>r.error;
      res = Response.json('{"name":' + quote(t.name) + ',"message":' + quote(t.message) + "}");
    }
  } else if (op == "missing") {
    const r = stub.call("noSuchMethod");
    res = Response.json('{"error":' + quote(r.isErr ? r.error.message : "") + "}");
  } else {
    res = Response.text("not found", 404);
  }
  stub.close();
  return res;
}

/** bytes returns the bytes b. */
export function bytes(b: Array<u8>): Uint8Array {
  const out = new Uint8Array(b.length);
  for (let i = 0; i < b.length; i++) out[i] = b[i];
  return out;
}

/** hex returns b in lowercase hex. */
export function hex(b: Uint8Array): string {
  const digits = "0123456789abcdef";
  let out = "";
  for (let i = 0; i < b.length; i++) out += digits.charAt(b[i] >> 4) + digits.charAt(b[i] & 15);
  return out;
}

/** decimal returns a big-endian magnitude's decimal digits. */
function decimal(mag: Uint8Array): string {
  const n = new Uint8Array(mag.length);
  n.set(mag);
  let out = "";
  for (;;) {
    let zero = true;
    let rem: u32 = 0;
    for (let i = 0; i < n.length; i++) {
      const cur = (rem << 8) | n[i];
      n[i] = <u8>(cur / 10);
      rem = cur % 10;
      if (n[i] != 0) zero = false;
    }
    out = String.fromCharCode(48 + rem) + out;
    if (zero) break;
  }
  return out;
}

/** jsonOf renders a structured value as the suite's JSON: bytes as hex, a bigint as its decimal text. */
export function jsonOf(v: SV): string {
  switch (v.kind) {
    case Kind.Undefined:
    case Kind.Null:
      return "null";
    case Kind.Bool:
      return v.asBool() ? "true" : "false";
    case Kind.Number:
    case Kind.Date: {
      const n = v.asNumber();
      // JSON's integers without AssemblyScript's ".0".
      return Math.trunc(n) == n && Math.abs(n) < 9007199254740992 ? (<i64>n).toString() : n.toString();
    }
    case Kind.String:
      return quote(v.asString());
    case Kind.Bytes:
    case Kind.TypedArray:
      return quote(hex(v.asBytes()));
    case Kind.BigInt:
      return quote((v.negative ? "-" : "") + decimal(v.asBytes()));
    case Kind.Error:
      return '{"name":' + quote(v.errorName) + ',"message":' + quote(v.asString()) + "}";
  }
  const parts = new Array<string>();
  for (let i = 0; i < v.length; i++) {
    if (v.kind == Kind.Object) parts.push(quote(v.keyAt(i)) + ":" + jsonOf(v.at(i)));
    else if (v.kind == Kind.Map) parts.push(quote(v.mapKeyAt(i).toString()) + ":" + jsonOf(v.at(i)));
    else parts.push(jsonOf(v.at(i)));
  }
  if (v.kind == Kind.Object || v.kind == Kind.Map) return "{" + parts.join(",") + "}";
  return "[" + parts.join(",") + "]";
}
