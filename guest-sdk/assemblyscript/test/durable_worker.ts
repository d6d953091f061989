// A Worker that checks the Durable Objects API of the SDK (durable.ts)
// inside the host: the class Conformance (binding OBJECTS) runs checks of
// its state in an RPC call, and the Worker checks the client side.
// conformance TestAssemblyScriptDurableAPI drives it: GET /checks answers
// a JSON object with, for each check, "" when it held. It also compiles
// every part of the API (asc compiles only what is used).

import { BinderyError, D1Value, ErrorCode, Request, Response, Result, quote, serve } from "../index";
import {
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
  rpcThrow,
} from "../durable";
import { Kind, SV } from "../structured";

/** Checks collects the outcome of each check. */
class Checks {
  out: SV = SV.object();

  want(name: string, ok: bool, got: string): void {
    this.out.set(name, SV.string(ok ? "" : "got " + got));
  }

  /** code checks that e is an error with code and a message holding part. */
  code(name: string, e: BinderyError | null, code: ErrorCode, part: string): void {
    if (e == null) this.want(name, false, "no error");
    else this.want(name, e.code == code && e.message.includes(part), e.message + " (code " + e.code.toString() + ")");
  }

  ok(name: string, e: BinderyError | null): void {
    this.want(name, e == null, e != null ? e.message : "");
  }
}

function errOf<T>(r: Result<T, BinderyError>): BinderyError | null {
  return r.isErr ? r.error : null;
}

class Conformance extends DurableObject {
  fetches: i32 = 0;

  fetch(req: Request): Response {
    this.fetches++;
    return Response.text(req.method + " " + req.path + " " + req.text() + " " + this.fetches.toString());
  }

  call(method: string, args: Array<SV>): Result<SV, SV> {
    if (method == "checks") return rpcOk(this.checks().out);
    if (method == "abortMe") {
      this.ctx.abort("aborted on purpose");
      return rpcOk(SV.undefined());
    }
    if (method == "plain") return rpcThrow(SV.string("a plain value"));
    return super.call(method, args);
  }

  checks(): Checks {
    const c = new Checks();
    const s = this.ctx.storage;
    // Keys and values.
    c.ok("putMultiple", s.putMultiple(["b", "a", "c"], [SV.int(2), SV.string("one"), SV.bytes(new Uint8Array(3))]));
    const m = s.getMultiple(["a", "b", "zz"]);
    c.want("getMultiple", m.isOk && m.value.size == 2 && m.value.get("a").asString() == "one" && m.value.get("b").asNumber() == 2, m.isOk ? m.value.size.toString() : m.error.message);
    const n = s.deleteMultiple(["a", "zz"]);
    c.want("deleteMultiple", n.isOk && n.value == 1, n.isOk ? n.value.toString() : n.error.message);
    const after = new StorageListOptions();
    after.startAfter = "b";
    const l = s.list(after);
    c.want("list startAfter", l.isOk && l.value.size == 1 && l.value.has("c") && l.value.get("c").kind == Kind.Bytes, l.isOk ? l.value.size.toString() : l.error.message);
    c.code("lone surrogate key", errOf(s.get("a\uD800")), ErrorCode.Invalid, "lone surrogate");
    c.code("lone surrogate value", s.put("k", SV.string("a\uD800")), ErrorCode.Invalid, "lone surrogate");
    const both = new StorageListOptions();
    both.start = "a";
    both.startAfter = "a";
    c.code("start and startAfter", errOf(s.list(both)), ErrorCode.Invalid, "");
    c.ok("deleteAll", s.deleteAll());
    const none = s.list();
    c.want("empty after deleteAll", none.isOk && none.value.size == 0, none.isOk ? none.value.size.toString() : none.error.message);
    // Nested transactions: the inner one rolled back, the outer committed.
    const t1 = s.transaction();
    c.ok("begin", errOf(t1));
    if (t1.isOk) {
      s.put("x", SV.int(1));
      const t2 = s.transaction();
      c.ok("begin nested", errOf(t2));
      if (t2.isOk) {
        s.put("x", SV.int(2));
        c.ok("rollback nested", t2.value.rollback());
      }
      c.ok("commit", t1.value.commit());
    }
    const x = s.get("x");
    c.want("transactions", x.isOk && x.value != null && x.value!.asNumber() == 1, x.isOk && x.value != null ? x.value!.toString() : "none");
    // The alarm.
    const at = now() + 3600000;
    c.ok("setAlarm", s.setAlarm(at));
    const got = s.getAlarm();
    c.want("getAlarm", got.isOk && got.value == at, got.isOk ? got.value.toString() : got.error.message);
    c.ok("deleteAlarm", s.deleteAlarm());
    const gone = s.getAlarm();
    c.want("getAlarm after delete", gone.isOk && gone.value == -1, gone.isOk ? gone.value.toString() : gone.error.message);
    // SQL.
    const q = s.sql;
    const cr = q.exec("CREATE TABLE t (n INTEGER, s TEXT, b BLOB); INSERT INTO t VALUES (1, 'a', x'00ff'), (2, 'b', NULL), (9007199254740993, 'c', NULL)");
    c.ok("exec two statements", errOf(cr));
    if (cr.isOk) cr.value.close();
    const all = q.exec("SELECT n, s, b FROM t WHERE n > ?", [D1Value.int(0)]);
    if (all.isOk) {
      const rows = all.value.toArray();
      c.want("toArray", rows.length == 3 && rows[2].get("n")!.asInt() == 9007199254740993 && rows[0].get("b")!.asBytes()![1] == 0xff, rows.length.toString());
      c.want("rowsRead", all.value.rowsRead >= 3, all.value.rowsRead.toString());
      all.value.close();
    } else c.ok("select", all.error);
    const one = q.exec("SELECT count(*) AS c FROM t");
    if (one.isOk) {
      const r = one.value.one();
      c.want("one", r.isOk && r.value[0].asInt() == 3, r.isOk ? r.value[0].toString() : r.error.message);
    } else c.ok("count", one.error);
    const many = q.exec("SELECT n FROM t");
    if (many.isOk) c.code("one of many", errOf(many.value.one()), ErrorCode.SQL, "multiple results");
    c.code("sql error", errOf(q.exec("SELEKT 1")), ErrorCode.SQL, "syntax error");
    c.code("sql refused", errOf(q.exec("BEGIN")), ErrorCode.Refused, "");
    const size = q.databaseSize();
    c.want("databaseSize", size.isOk && size.value > 0, size.isOk ? size.value.toString() : size.error.message);
    // blockConcurrency, the auto-response and the event timeout.
    const g = this.ctx.blockConcurrency();
    c.want("blockConcurrency", g.isOk && g.value.remainingMs() > 0, g.isOk ? g.value.remainingMs().toString() : g.error.message);
    if (g.isOk) g.value.end();
    c.ok("setWebSocketAutoResponse", this.ctx.setWebSocketAutoResponse("ping", "pong"));
    const ar = this.ctx.getWebSocketAutoResponse();
    c.want("getWebSocketAutoResponse", ar != null && ar.f0 == "ping" && ar.f1 == "pong", ar != null ? ar.f0 + ar.f1 : "null");
    c.ok("clearWebSocketAutoResponse", this.ctx.clearWebSocketAutoResponse());
    c.want("cleared", this.ctx.getWebSocketAutoResponse() == null, "a pair");
    c.ok("setHibernatableWebSocketEventTimeout", this.ctx.setHibernatableWebSocketEventTimeout(5000));
    c.want("getHibernatableWebSocketEventTimeout", this.ctx.getHibernatableWebSocketEventTimeout() == 5000, this.ctx.getHibernatableWebSocketEventTimeout().toString());
    c.want("getWebSockets", this.ctx.getWebSockets().length == 0, this.ctx.getWebSockets().length.toString());
    return c;
  }

  webSocketMessage(ws: DurableWebSocket, m: WebSocketMessage): SV | null {
    // Compiled for the API's sake; no socket reaches this class here.
    const e = ws.serializeAttachment(SV.string(m.text));
    if (e != null) return SV.error("Error", e.message);
    const a = ws.deserializeAttachment();
    if (a.isErr) return SV.error("Error", a.error.message);
    if (ws.autoResponseTimestamp() < 0) ws.close(1000, "bye");
    return null;
  }
}

defineClass("Conformance", (ctx: DurableObjectState): DurableObject => new Conformance(ctx));

function fetch(req: Request): Response {
  if (req.path != "/checks") return Response.text("not found", 404);
  const c = new Checks();
  c.code("no such namespace", errOf(namespace("NOPE").idFromName("x")), ErrorCode.NoSuchBinding, "NOPE");
  const ns = namespace("OBJECTS");
  c.code("invalid id", errOf(ns.idFromString("0".repeat(64))), ErrorCode.Invalid, "");
  const id = ns.newUniqueId("eu");
  if (id.isErr) return Response.fail(id.error.message);
  c.want("unique id has no name", id.value.name == null, "a name");
  const parsed = ns.idFromString(id.value.hex);
  c.want("idFromString", parsed.isOk && parsed.value.equals(id.value) && parsed.value.name == null, parsed.isOk ? parsed.value.hex : parsed.error.message);
  const s = ns.get(id.value);
  if (s.isErr) return Response.fail(s.error.message);
  const stub = s.value;
  c.want("stub id", stub.id.equals(id.value), stub.id.hex);
  const f = stub.fetchURL("http://do.invalid/path?q", "PUT", Uint8Array.wrap(String.UTF8.encode("body")));
  c.want("fetchURL", f.isOk && f.value.status == 200 && f.value.text() == "PUT /path body 1", f.isOk ? f.value.status.toString() : f.error.message);
  const checks = stub.call("checks");
  if (checks.isErr) return Response.fail(checks.error.message);
  const missing = stub.call("nope", [SV.int(1)]);
  c.want("missing method", missing.isErr && missing.error instanceof RpcError && (<RpcError>missing.error).name == "TypeError", missing.isErr ? missing.error.message : "ok");
  const plain = stub.call("plain");
  c.want("a plain thrown value", plain.isErr && plain.error instanceof RpcError && (<RpcError>plain.error).value.kind == Kind.String, plain.isErr ? plain.error.message : "ok");
  c.code("abort", errOf(stub.call("abortMe")), ErrorCode.ObjectFailed, "");
  // After abort the object starts afresh: its fetch count is 1 again.
  const again = stub.fetchURL("http://do.invalid/again");
  c.want("fresh after abort", again.isOk && again.value.text() == "GET /again  1", again.isOk ? again.value.text() : again.error.message);
  stub.close();
  // The object's checks, then the Worker's.
  const o = checks.value;
  let json = "{";
  for (let i = 0; i < o.length; i++) json += (i > 0 ? "," : "") + quote("object " + o.keyAt(i)) + ":" + quote(o.at(i).asString());
  for (let i = 0; i < c.out.length; i++) json += "," + quote(c.out.keyAt(i)) + ":" + quote(c.out.at(i).asString());
  return Response.json(json + "}");
}

serve(fetch);
