// The conformance Worker in AssemblyScript: the contract every language
// implements (see conformance/harness_test.go), written with
// guest-sdk/assemblyscript, the /r2x routes of conformance/r2ext_test.go and
// the /d1 routes of conformance/d1_test.go, the Durable Objects section
// of conformance/durable_test.go (durable.ts) and the Queues and cron
// section of conformance/queues_test.go (queues.ts).
//
//   guest-sdk/assemblyscript/build.sh -o as.wasm conformance/assemblyscript/index.ts

import {
  BinderyError,
  Body,
  BodyProducer,
  BodyWriter,
  Checksums,
  D1Database,
  D1DatabaseSession,
  D1ExecResult,
  D1Result,
  D1Row,
  D1Type,
  D1Value,
  Env,
  ErrorCode,
  KVPutOptions,
  R2Conditional,
  R2GetOptions,
  R2HTTPMetadata,
  R2ListOptions,
  R2MultipartOptions,
  R2MultipartUpload,
  R2Object,
  R2ObjectBody,
  R2ObjectWriter,
  R2Objects,
  R2PutOptions,
  R2Range,
  R2UploadedPart,
  Request,
  Result,
  Response,
  quote,
  serve,
} from "../../guest-sdk/assemblyscript";
import { doRoute } from "./durable";
import { queueRoute } from "./queues";

const KV = "STORE";
const R2 = "FILES";
const D1 = "DB";

function kv(req: Request, key: string): Response {
  const store = Env.kv(KV);
  if (req.method == "PUT") {
    const e = store.put(key, req.bytes());
    if (e != null) return Response.text(e.message, 400);
    return new Response(204);
  }
  if (req.method == "GET") {
    const r = store.get(key);
    if (r.isErr) return Response.text(r.error.message, 500);
    const v = r.value;
    if (v == null) return Response.text("not found", 404);
    return Response.bytes(v);
  }
  if (req.method == "DELETE") {
    const e = store.delete(key);
    if (e != null) return Response.text(e.message, 500);
    return new Response(204);
  }
  return Response.text("method not allowed", 405);
}

function vars(): Response {
  const greeting = Env.var("GREETING");
  const secretSet = Env.secret("API_TOKEN") != null;
  return Response.json("{\"greeting\":" + quote(greeting != null ? greeting : "") + ",\"secret_set\":" + (secretSet ? "true" : "false") + "}");
}

function kvTooLong(): Response {
  const e = Env.kv(KV).putText("k".repeat(513), "x");
  if (e == null) return Response.text("a 513-byte key was accepted", 500);
  return Response.text(e.message, 400);
}

// Echo streams the request body back through the Worker's memory.
class Echo extends BodyProducer {
  constructor(private body: Body) {
    super();
  }

  produce(w: BodyWriter): void {
    for (;;) {
      const chunk = this.body.read();
      if (chunk == null) return;
      if (w.write(chunk) != null) return;
    }
  }
}

function r2(req: Request, key: string): Response {
  const bucket = Env.r2(R2);
  if (req.method == "PUT") {
    const r = bucket.putBody(key, req.body); // streamed inside the host
    if (r.isErr) return Response.text(r.error.message, 400);
    return Response.json("{\"etag\":" + quote(r.value.etag) + ",\"size\":" + r.value.size.toString() + "}", 201);
  }
  if (req.method == "GET") {
    const r = bucket.get(key);
    if (r.isErr) return Response.text(r.error.message, 500);
    const obj = r.value;
    if (obj == null) return Response.text("not found", 404);
    return Response.stream(obj.body).header("content-type", "application/octet-stream"); // splice
  }
  return Response.text("method not allowed", 405);
}

function fetch(req: Request): Response {
  const p = req.path;
  if (req.method == "GET" && p == "/hello") return Response.text("hello from assemblyscript");
  if (p.startsWith("/kv/")) return kv(req, p.substring(4));
  if (req.method == "GET" && p == "/vars") return vars();
  if (req.method == "PUT" && p == "/kv-too-long") return kvTooLong();
  if (req.method == "POST" && p == "/echo") {
    return Response.streaming(new Echo(req.body)).header("content-type", "application/octet-stream");
  }
  if (p.startsWith("/r2/")) return r2(req, p.substring(4));
  if (req.method == "GET" && p == "/trap") unreachable();
  // AssemblyScript has no exceptions: the Worker fails the request explicitly.
  if (req.method == "GET" && p == "/fail") return Response.fail(FAILURE);
  if (req.method == "GET" && p == "/fail-stream") {
    return Response.streaming(new FailStream()).header("content-type", "application/octet-stream");
  }
  if (req.method == "PUT" && p == "/kv-not-utf8") return kvNotUtf8();
  if (req.method == "GET" && p == "/sdk-errors") return sdkErrors();
  // throw is abort: its message goes to stderr, then the instance traps.
  if (req.method == "GET" && p == "/abort") throw new Error("ConformanceAbort: aborted on purpose");
  if (p.startsWith("/r2x/")) return r2x(req, p);
  if (p.startsWith("/d1/")) return d1(req, p);
  if (p.startsWith("/do/")) return doRoute(req, p);
  if (p.startsWith("/queue/") || p.startsWith("/cron/")) return queueRoute(req, p);
  return Response.text("not found", 404);
}

// ---- /r2x: the rest of R2 (conformance/r2ext_test.go) -----------------------------

/** r2Error answers an R2 error with its HTTP status and the host's message. */
function r2Error(e: BinderyError): Response {
  let status: u16 = 500;
  switch (e.code) {
    case ErrorCode.NoSuchUpload:
      status = 404;
      break;
    case ErrorCode.Invalid:
    case ErrorCode.InvalidPart:
      status = 400;
      break;
    case ErrorCode.TooLarge:
      status = 413;
      break;
    case ErrorCode.Precondition:
      status = 412;
      break;
    case ErrorCode.InvalidRange:
      status = 416;
      break;
  }
  return Response.text(e.code.toString() + ": " + e.message, status);
}

/** describe is "size=N etag=E ct=CT cc=CC meta=k:v,...". */
function describe(o: R2Object): string {
  const ct = o.httpMetadata.contentType;
  const cc = o.httpMetadata.cacheControl;
  let out = "size=" + o.size.toString() + " etag=" + o.etag + " ct=" + (ct != null ? ct : "-") + " cc=" + (cc != null ? cc : "-") + " meta=";
  const keys = o.customMetadata.keys().sort();
  for (let i = 0; i < keys.length; i++) out += (i > 0 ? "," : "") + keys[i] + ":" + o.customMetadata.get(keys[i]);
  return out;
}

function r2xPut(req: Request, key: string): Response {
  const opts = new R2PutOptions();
  const http = new R2HTTPMetadata();
  http.contentType = req.headers.get("content-type");
  http.cacheControl = "max-age=60";
  opts.httpMetadata = http;
  const meta = new Map<string, string>();
  meta.set("a", "1");
  meta.set("b", "two");
  opts.customMetadata = meta;
  const hex = req.headers.get("x-md5");
  if (hex != null) {
    if (hex.length != 32) return Response.text("bad x-md5", 400);
    const sum = new Uint8Array(16);
    for (let i = 0; i < 16; i++) sum[i] = <u8>I32.parseInt(hex.substr(2 * i, 2), 16);
    const c = new Checksums();
    c.md5 = sum;
    opts.checksums = c;
  }
  const etag = req.headers.get("x-if-match");
  if (etag != null) opts.onlyIf = R2Conditional.etagMatches(etag);
  const r = Env.r2(R2).putBody(key, req.body, opts);
  if (r.isErr) return r2Error(r.error);
  return Response.text(r.value.etag, 201);
}

/** r2xWriter stores the body through a writer, 1000 bytes at a time. */
function r2xWriter(req: Request, key: string): Response {
  const opts = new R2PutOptions();
  const http = new R2HTTPMetadata();
  http.contentType = "text/x-writer";
  opts.httpMetadata = http;
  const w = Env.r2(R2).writer(key, opts);
  if (w.isErr) return r2Error(w.error);
  for (;;) {
    const chunk = req.body.read(1000);
    if (chunk == null) break;
    const e = w.value.write(chunk);
    if (e != null) {
      w.value.abort();
      return r2Error(e);
    }
  }
  const r = w.value.finish();
  if (r.isErr) return r2Error(r.error);
  return Response.text(r.value.etag, 201);
}

function r2xGet(req: Request, key: string): Response {
  const opts = new R2GetOptions();
  const etag = req.headers.get("x-if-none-match");
  if (etag != null) opts.onlyIf = R2Conditional.etagDoesNotMatch(etag);
  const rg = req.headers.get("x-range");
  const sfx = req.headers.get("x-suffix");
  if (rg != null) {
    const parts = rg.split(",");
    if (parts.length != 2) return Response.text("bad x-range", 400);
    opts.range = R2Range.bytes(U64.parseInt(parts[0]), U64.parseInt(parts[1]));
  } else if (sfx != null) {
    opts.range = R2Range.last(U64.parseInt(sfx));
  }
  const r = Env.r2(R2).get(key, opts);
  if (r.isErr) return r2Error(r.error);
  const got = r.value;
  if (got == null) return Response.text("not found", 404);
  if (!got.hasBody) return new Response(304).header("x-etag", got.object.etag);
  const res = Response.stream(got.body); // spliced inside the host
  got.object.writeHttpMetadata(res.headers);
  const or = got.object.range;
  if (or != null) res.header("x-range", or.offset.toString() + "," + or.length.toString());
  return res;
}

function r2xList(req: Request): Response {
  const opts = new R2ListOptions();
  const limit = req.headers.get("x-limit");
  if (limit != null) opts.limit = U32.parseInt(limit);
  opts.prefix = req.headers.get("x-prefix");
  opts.cursor = req.headers.get("x-cursor");
  opts.delimiter = req.headers.get("x-delimiter");
  opts.startAfter = req.headers.get("x-start-after");
  if (req.headers.has("x-include")) opts.include = ["httpMetadata", "customMetadata"];
  const r = Env.r2(R2).list(opts);
  if (r.isErr) return r2Error(r.error);
  const page = r.value;
  let out = "";
  for (let i = 0; i < page.objects.length; i++) {
    const o = page.objects[i];
    const ct = o.httpMetadata.contentType;
    out += "o " + o.key + " " + o.size.toString() + " ct=" + (ct != null ? ct : "-") + " meta=" + o.customMetadata.size.toString() + "\n";
  }
  for (let i = 0; i < page.delimitedPrefixes.length; i++) out += "p " + page.delimitedPrefixes[i] + "\n";
  const cursor = page.cursor;
  out += "truncated=" + (page.truncated ? "true" : "false") + " cursor=" + (cursor != null ? cursor : "-") + "\n";
  return Response.text(out);
}

function lines(s: string): Array<string> {
  const out = new Array<string>();
  const all = s.split("\n");
  for (let i = 0; i < all.length; i++) if (all[i].length > 0) out.push(all[i]);
  return out;
}

/** resume resumes the upload named by the x-upload-id header, or null. */
function resume(req: Request, key: string): R2MultipartUpload | null {
  const id = req.headers.get("x-upload-id");
  if (id == null) return null;
  const r = Env.r2(R2).resumeMultipartUpload(key, id);
  return r.isErr ? null : r.value;
}

function r2xUpload(req: Request, key: string): Response {
  if (req.method == "POST") {
    const opts = new R2MultipartOptions();
    const http = new R2HTTPMetadata();
    http.contentType = "application/x-mpu";
    opts.httpMetadata = http;
    const meta = new Map<string, string>();
    meta.set("mp", "yes");
    opts.customMetadata = meta;
    const r = Env.r2(R2).createMultipartUpload(key, opts);
    if (r.isErr) return r2Error(r.error);
    r.value.close();
    return Response.text(r.value.uploadId);
  }
  const up = resume(req, key);
  if (up == null) return Response.text("no x-upload-id", 400);
  if (req.method == "PUT") {
    const n = U32.parseInt(req.headers.get("x-part") || "0");
    // From bytes in the Worker's memory, or streamed inside the host.
    let r: Result<R2UploadedPart, BinderyError>;
    if (req.headers.has("x-writer")) {
      // Piece by piece through a part writer.
      const pw = up.partWriter(n);
      if (pw.isErr) {
        up.close();
        return r2Error(pw.error);
      }
      for (;;) {
        const chunk = req.body.read();
        if (chunk == null) break;
        const e = pw.value.write(chunk);
        if (e != null) {
          pw.value.abort();
          up.close();
          return r2Error(e);
        }
      }
      r = pw.value.finish();
    } else {
      r = req.headers.has("x-bytes") ? up.uploadPart(n, req.bytes()) : up.uploadPartBody(n, req.body);
    }
    up.close();
    if (r.isErr) return r2Error(r.error);
    return Response.text(r.value.partNumber.toString() + " " + r.value.etag);
  }
  if (req.method == "DELETE") {
    const e = up.abort();
    up.close();
    if (e != null) return r2Error(e);
    return new Response(204);
  }
  up.close();
  return Response.text("method not allowed", 405);
}

function r2xComplete(req: Request, key: string): Response {
  const up = resume(req, key);
  if (up == null) return Response.text("no x-upload-id", 400);
  const parts = new Array<R2UploadedPart>();
  const ls = lines(req.text());
  for (let i = 0; i < ls.length; i++) {
    const sp = ls[i].indexOf(" ");
    if (sp < 0) continue;
    parts.push(new R2UploadedPart(U32.parseInt(ls[i].substring(0, sp)), ls[i].substring(sp + 1)));
  }
  const r = up.complete(parts);
  up.close();
  if (r.isErr) return r2Error(r.error);
  return Response.text(r.value.etag + " " + r.value.size.toString());
}

function r2x(req: Request, p: string): Response {
  const m = req.method;
  if (m == "PUT" && p.startsWith("/r2x/obj/")) return r2xPut(req, p.substring(9));
  if (m == "PUT" && p.startsWith("/r2x/writer/")) return r2xWriter(req, p.substring(12));
  if (m == "GET" && p.startsWith("/r2x/head/")) {
    const r = Env.r2(R2).head(p.substring(10));
    if (r.isErr) return r2Error(r.error);
    const o = r.value;
    if (o == null) return Response.text("not found", 404);
    return Response.text(describe(o));
  }
  if (m == "GET" && p.startsWith("/r2x/get/")) return r2xGet(req, p.substring(9));
  if (m == "GET" && p == "/r2x/list") return r2xList(req);
  if (m == "POST" && p == "/r2x/delete") {
    const e = Env.r2(R2).deleteMany(lines(req.text()));
    if (e != null) return r2Error(e);
    return new Response(204);
  }
  if (p.startsWith("/r2x/mpu/")) return r2xUpload(req, p.substring(9));
  if (m == "POST" && p.startsWith("/r2x/mpu-complete/")) return r2xComplete(req, p.substring(18));
  return Response.text("not found", 404);
}

// ---- /d1: D1 (conformance/d1_test.go) -------------------------------------------------

/** jsonValue renders a value as the suite wants: an integer as its decimal text, a real as a number, a blob as hex. */
function jsonValue(v: D1Value): string {
  switch (v.type) {
    case D1Type.Integer:
      return quote(v.toString());
    case D1Type.Real:
      return v.asReal().toString();
    case D1Type.Text:
      return quote(v.asText()!);
    case D1Type.Blob:
      return quote(v.toString());
  }
  return "null";
}

/** jsonRow renders a row as an object (or null). */
function jsonRow(r: D1Row | null): string {
  if (r == null) return "null";
  let out = "{";
  for (let i = 0; i < r.columns.length; i++) out += (i > 0 ? "," : "") + quote(r.columns[i]) + ":" + jsonValue(r.values[i]);
  return out + "}";
}

/** jsonOpt renders a value that may be absent (no row) as null. */
function jsonOpt(v: D1Value | null): string {
  return v != null ? jsonValue(v) : "null";
}

/** d1Fail answers an unexpected error. */
function d1Fail(what: string, e: BinderyError): Response {
  return Response.text(what + ": " + e.message, 500);
}

function d1Count(db: D1Database): Result<D1Value | null, BinderyError> {
  return db.prepare("SELECT count(*) AS c FROM t").firstValue("c");
}

function d1(req: Request, p: string): Response {
  const db = Env.d1(D1);
  const m = req.method;
  if (m == "POST" && p == "/d1/setup") {
    const r = db.exec("DROP TABLE IF EXISTS t; CREATE TABLE t (id INTEGER PRIMARY KEY, name TEXT NOT NULL, n INTEGER, r REAL, b BLOB)");
    if (r.isErr) return d1Fail("exec", r.error);
    return Response.json("{\"count\":" + r.value.count.toString() + "}");
  }
  if (m == "POST" && p == "/d1/insert") {
    const b = new Uint8Array(3);
    b[0] = 0x00;
    b[1] = 0x01;
    b[2] = 0xff;
    const r = db
      .prepare("INSERT INTO t (name, n, r, b) VALUES (?1, ?2, ?3, ?4)")
      .bind([D1Value.text("héllo"), D1Value.int(9007199254740993), D1Value.real(1.5), D1Value.bytes(b)])
      .run();
    if (r.isErr) return d1Fail("insert", r.error);
    const meta = r.value.meta;
    return Response.json(
      "{\"success\":" + (r.value.success ? "true" : "false") +
        ",\"changes\":" + meta.changes.toString() +
        ",\"last_row_id\":" + meta.last_row_id.toString() +
        ",\"rows_written\":" + meta.rows_written.toString() +
        ",\"changed_db\":" + (meta.changed_db ? "true" : "false") + "}",
    );
  }
  if (m == "GET" && p == "/d1/row") {
    const r = db.prepare("SELECT id, name, n, r, b, NULL AS z FROM t WHERE id = ?").bind([D1Value.int(1)]).first();
    if (r.isErr) return d1Fail("first", r.error);
    return Response.json(jsonRow(r.value));
  }
  if (m == "GET" && p == "/d1/first") {
    const name = db.prepare("SELECT name FROM t WHERE id = 1").firstValue("name");
    if (name.isErr) return d1Fail("first(name)", name.error);
    const none = db.prepare("SELECT * FROM t WHERE id = 999").first();
    if (none.isErr) return d1Fail("first()", none.error);
    return Response.json("{\"name\":" + jsonOpt(name.value) + ",\"none\":" + jsonRow(none.value) + "}");
  }
  if (m == "GET" && p == "/d1/raw") {
    const r = db.prepare("SELECT id, name FROM t ORDER BY id").raw(true);
    if (r.isErr) return d1Fail("raw", r.error);
    let out = "[";
    for (let i = 0; i < r.value.length; i++) {
      const row = r.value[i];
      out += (i > 0 ? "," : "") + "[";
      for (let j = 0; j < row.length; j++) out += (j > 0 ? "," : "") + jsonValue(row[j]);
      out += "]";
    }
    return Response.json(out + "]");
  }
  if (m == "POST" && p == "/d1/batch") {
    const ins = db.prepare("INSERT INTO t (name) VALUES (?)");
    const r = db.batch([ins.bind([D1Value.text("a")]), ins.bind([D1Value.text("b")]), db.prepare("SELECT count(*) AS c FROM t")]);
    if (r.isErr) return d1Fail("batch", r.error);
    const rows = r.value[2].results;
    const c = rows.length > 0 ? rows[0].get("c") : null;
    return Response.json("{\"results\":" + r.value.length.toString() + ",\"count\":" + jsonOpt(c) + "}");
  }
  if (m == "POST" && p == "/d1/batch-fail") {
    const r = db.batch([db.prepare("INSERT INTO t (id, name) VALUES (10, 'x')"), db.prepare("INSERT INTO t (id, name) VALUES (1, 'dup')")]);
    if (!r.isErr) return Response.text("the batch with a duplicate id succeeded", 500);
    const c = d1Count(db);
    if (c.isErr) return d1Fail("count", c.error);
    return Response.json("{\"error\":" + quote(r.error.message) + ",\"count\":" + jsonOpt(c.value) + "}");
  }
  if (m == "GET" && p == "/d1/errors") {
    const sql = db.prepare("SELECT * FROM nope").all();
    const refused = db.prepare("ATTACH DATABASE 'x.db' AS x").run();
    let q = "SELECT ?";
    const params = new Array<D1Value>();
    params.push(D1Value.int(0));
    for (let i = 1; i < 101; i++) {
      q += ",?";
      params.push(D1Value.int(i));
    }
    const many = db.prepare(q).bind(params).all();
    if (!sql.isErr || !refused.isErr || !many.isErr) return Response.text("a statement D1 refuses succeeded", 500);
    return Response.json("{\"sql\":" + quote(sql.error.message) + ",\"refused\":" + quote(refused.error.message) + ",\"params\":" + quote(many.error.message) + "}");
  }
  if (m == "GET" && p == "/d1/session") {
    const s = db.withSession("first-primary");
    if (s.isErr) return d1Fail("withSession", s.error);
    const session: D1DatabaseSession = s.value;
    const c = session.prepare("SELECT count(*) AS c FROM t").firstValue("c");
    const bookmark = session.getBookmark();
    session.close();
    if (c.isErr) return d1Fail("session first", c.error);
    return Response.json("{\"count\":" + jsonOpt(c.value) + ",\"bookmark\":" + (bookmark != null ? quote(bookmark) : "null") + "}");
  }
  if (m == "GET" && p == "/d1/sdk") return d1SDK(db);
  return Response.text("not found", 404);
}

// ---- /d1/sdk: the SDK's own D1 checks (assemblyscript_test.go) ----------------------------

/** Problems collects /d1/sdk's answer: for each check "" when it held, else what happened. */
class Problems {
  out: string = "";

  add(name: string, problem: string): void {
    this.out += (this.out.length == 0 ? "{" : ",") + quote(name) + ":" + quote(problem);
  }

  want(name: string, ok: bool, got: string): void {
    this.add(name, ok ? "" : "got " + got);
  }

  /** code checks that r failed with code and a message holding part. */
  code(name: string, e: BinderyError | null, code: ErrorCode, part: string): void {
    if (e == null) this.add(name, "succeeded, want an error");
    else if (e.code != code || !e.message.includes(part)) this.add(name, "got " + e.message + " (code " + e.code.toString() + "), want code " + code.toString() + " and " + quote(part));
    else this.add(name, "");
  }

  json(): string {
    return this.out + "}";
  }
}

/** roundTrip selects v back with its SQLite type and checks both. */
function roundTrip(c: Problems, db: D1Database, name: string, v: D1Value, sqlType: string): void {
  const r = db.prepare("SELECT ?1 AS v, typeof(?1) AS t").bind([v]).first();
  if (r.isErr) return c.add(name, r.error.message);
  const row = r.value;
  if (row == null) return c.add(name, "no row");
  const got = row.get("v")!;
  const t = row.get("t")!.asText();
  c.want(name, got.equals(v) && t == sqlType, got.toJSON() + " (" + (t != null ? t : "?") + "), want " + v.toJSON() + " (" + sqlType + ")");
}

function d1SDK(db: D1Database): Response {
  const c = new Problems();
  // Values cross both ways whole.
  roundTrip(c, db, "int 0", D1Value.int(0), "integer");
  roundTrip(c, db, "int -1", D1Value.int(-1), "integer");
  roundTrip(c, db, "int 2^53+1", D1Value.int(9007199254740993), "integer");
  roundTrip(c, db, "int max", D1Value.int(i64.MAX_VALUE), "integer");
  roundTrip(c, db, "int min", D1Value.int(i64.MIN_VALUE), "integer");
  roundTrip(c, db, "bool", D1Value.bool(true), "integer");
  roundTrip(c, db, "real", D1Value.real(1.5), "real");
  roundTrip(c, db, "real small", D1Value.real(0.1), "real");
  roundTrip(c, db, "real large", D1Value.real(-1e308), "real");
  roundTrip(c, db, "real integral", D1Value.real(3.0), "real");
  roundTrip(c, db, "text", D1Value.text("héllo"), "text");
  roundTrip(c, db, "text empty", D1Value.text(""), "text");
  roundTrip(c, db, "text pair", D1Value.text("a\uD83D\uDE00b"), "text");
  const b = new Uint8Array(3);
  b[0] = 0x00;
  b[1] = 0x01;
  b[2] = 0xff;
  roundTrip(c, db, "blob", D1Value.bytes(b), "blob");
  roundTrip(c, db, "blob buffer", D1Value.blob(b.slice(1).buffer), "blob");
  roundTrip(c, db, "blob empty", D1Value.bytes(new Uint8Array(0)), "blob");
  roundTrip(c, db, "null", D1Value.null(), "null");
  const bv = D1Value.bytes(b);
  b[0] = 7; // bytes copied
  c.want("bytes copies", bv.asBytes()![0] == 0, bv.toString());

  // Accessors and renderings.
  const big = D1Value.int(i64.MAX_VALUE);
  c.want("int toString", big.toString() == "9223372036854775807", big.toString());
  c.want("int toJSON", big.toJSON() == "9223372036854775807", big.toJSON());
  c.want("int asReal", D1Value.int(3).asReal() == 3.0, D1Value.int(3).asReal().toString());
  c.want("real asInt", D1Value.real(-2.7).asInt() == -2, D1Value.real(-2.7).asInt().toString());
  c.want("real toJSON NaN", D1Value.real(NaN).toJSON() == "null", D1Value.real(NaN).toJSON());
  c.want("text toJSON", D1Value.text("a\"b").toJSON() == "\"a\\\"b\"", D1Value.text("a\"b").toJSON());
  c.want("blob toJSON", D1Value.bytes(bv.asBytes()!).toJSON() == "[0,1,255]", bv.toJSON());
  c.want("blob toString", bv.toString() == "0001ff", bv.toString());
  c.want("isNull", D1Value.null().isNull && D1Value.null().toJSON() == "null" && !D1Value.int(0).isNull, "");
  c.want("asText of int", D1Value.int(1).asText() == null, "not null");
  c.want("asBlob of text", D1Value.text("x").asBlob() == null, "not null");
  c.want("type", D1Value.real(1).type == D1Type.Real && D1Value.text("").type == D1Type.Text, "");
  c.want("equals", !D1Value.int(1).equals(D1Value.real(1)) && D1Value.text("a").equals(D1Value.text("a")), "");

  // Statements: bind returns a new statement; first, firstValue, raw, results.
  const one = db.prepare("SELECT ?1 AS a, ?1 + 1 AS b");
  const two = one.bind([D1Value.int(1)]);
  const three = two.bind([D1Value.int(2)]);
  const r2 = three.first();
  c.want("bind replaces", !r2.isErr && r2.value != null && r2.value!.get("a")!.asInt() == 2, r2.isErr ? r2.error.message : "");
  const r1 = two.firstValue("b");
  c.want("bind is a copy", !r1.isErr && r1.value != null && r1.value!.asInt() == 2, r1.isErr ? r1.error.message : "");
  c.code("first column not found", errOf<D1Value | null>(two.firstValue("nope")), ErrorCode.Invalid, "D1_COLUMN_NOTFOUND: Column not found (nope)");
  const none = db.prepare("SELECT 1 AS a WHERE 0").firstValue("nope");
  c.want("first of no rows", !none.isErr && none.value == null, none.isErr ? none.error.message : "a value");
  const nullCol = db.prepare("SELECT NULL AS z").firstValue("z");
  c.want("first of NULL", !nullCol.isErr && nullCol.value != null && nullCol.value!.isNull, nullCol.isErr ? nullCol.error.message : "null");
  const raw = db.prepare("SELECT 1 AS a, 'x' AS b UNION ALL SELECT 2, 'y'").raw();
  c.want("raw", !raw.isErr && raw.value.length == 2 && raw.value[1][1].asText() == "y", raw.isErr ? raw.error.message : raw.value.length.toString());
  const all = db.prepare("SELECT 1 AS a, 2 AS a").all();
  if (all.isErr) c.add("all", all.error.message);
  else {
    const res = all.value;
    const rows = res.results;
    c.want("all", res.success && res.columns.length == 2 && rows.length == 1 && rows[0].has("a") && !rows[0].has("b") && rows[0].get("a")!.asInt() == 1 && rows[0].get("b") == null, res.columns.join(","));
  }

  // exec, run's meta and batch.
  const ex = db.exec("CREATE TABLE IF NOT EXISTS sdk (k TEXT PRIMARY KEY, v); DELETE FROM sdk");
  c.want("exec", !ex.isErr && ex.value.count == 2 && ex.value.duration >= 0, ex.isErr ? ex.error.message : ex.value.count.toString());
  const ins = db.prepare("INSERT INTO sdk (k, v) VALUES (?, ?)");
  const run = ins.bind([D1Value.text("a"), D1Value.int(1)]).run();
  c.want("run meta", !run.isErr && run.value.meta.changes == 1 && run.value.meta.changed_db && run.value.meta.last_row_id > 0 && run.value.meta.size_after > 0, run.isErr ? run.error.message : "");
  const batch = db.batch([ins.bind([D1Value.text("b"), D1Value.int(2)]), db.prepare("UPDATE sdk SET v = v + 10"), db.prepare("SELECT sum(v) AS s FROM sdk")]);
  if (batch.isErr) c.add("batch", batch.error.message);
  else {
    const rs = batch.value;
    c.want("batch", rs.length == 3 && rs[1].meta.changes == 2 && rs[2].rows[0][0].asInt() == 23, rs.length.toString());
  }
  const failed = db.batch([ins.bind([D1Value.text("c"), D1Value.int(3)]), ins.bind([D1Value.text("a"), D1Value.int(4)])]);
  c.code("batch fails", errOf<Array<D1Result>>(failed), ErrorCode.SQL, "UNIQUE constraint failed");
  const count = db.prepare("SELECT count(*) AS n FROM sdk").firstValue("n");
  c.want("batch rolled back", !count.isErr && count.value != null && count.value!.asInt() == 2, count.isErr ? count.error.message : "");

  // Errors carry the host's message with the SDK's codes.
  c.code("no such binding", errOf<D1ExecResult>(Env.d1("NOPE").exec("SELECT 1")), ErrorCode.NoSuchBinding, "NOPE");
  c.code("sql", errOf<D1Result>(db.prepare("SELECT * FROM nope").all()), ErrorCode.SQL, "no such table: nope");
  c.code("refused", errOf<D1Result>(db.prepare("ATTACH DATABASE 'x.db' AS x").run()), ErrorCode.Refused, "ATTACH");
  c.code("named parameter", errOf<D1Result>(db.prepare("SELECT :x").bind([D1Value.int(1)]).all()), ErrorCode.Invalid, "");
  const params = new Array<D1Value>();
  let q = "SELECT ?";
  params.push(D1Value.int(0));
  for (let i = 1; i < 101; i++) {
    q += ",?";
    params.push(D1Value.int(i));
  }
  c.code("too many parameters", errOf<D1Result>(db.prepare(q).bind(params).all()), ErrorCode.Limit, "100");
  c.code("bad bookmark", errOf<D1DatabaseSession>(db.withSession("bogus")), ErrorCode.Invalid, "");

  // Sessions: no bookmark before the first query; a bookmark starts another session.
  const s = db.withSession();
  if (s.isErr) c.add("session", s.error.message);
  else {
    const session = s.value;
    c.want("bookmark before a query", session.getBookmark() == null, "a bookmark");
    const n = session.prepare("SELECT count(*) AS n FROM sdk").firstValue("n");
    const bm = session.getBookmark();
    c.want("session query", !n.isErr && n.value!.asInt() == 2 && bm != null && bm.length == 16, n.isErr ? n.error.message : (bm != null ? bm : "no bookmark"));
    const sb = session.batch([session.prepare("SELECT 1")]);
    c.want("session batch", !sb.isErr && sb.value.length == 1, sb.isErr ? sb.error.message : "");
    session.close();
    c.code("closed session", errOf<D1Result>(session.prepare("SELECT 1").all()), ErrorCode.Closed, "closed");
    c.want("closed bookmark", session.getBookmark() == null, "a bookmark");
    if (bm != null) {
      const again = db.withSession(bm);
      c.want("session from bookmark", !again.isErr, again.isErr ? again.error.message : "");
      if (!again.isErr) again.value.close();
    }
  }
  return Response.json(c.json());
}

// ---- failures and input the host could not take (harness_test.go, sdkerrors_test.go) ----

const FAILURE = "ConformanceFailure: failed on purpose";

/** FailStream writes 128 KiB of 'x' (the head is out by then), then fails the request. */
class FailStream extends BodyProducer {
  produce(w: BodyWriter): void {
    const x = new Uint8Array(64 * 1024);
    x.fill(0x78);
    if (w.write(x) != null || w.write(x) != null || w.flush() != null) return;
    w.fail(FAILURE + " mid-stream");
  }
}

function kvNotUtf8(): Response {
  const e = Env.kv(KV).putText("a\uD800b", "x");
  if (e == null) return Response.text("a key with a lone surrogate was accepted", 500);
  if (e.code != ErrorCode.Invalid) return Response.text("want ErrorCode.Invalid, got " + e.message, 500);
  return Response.text(e.message, 400);
}

/** Checks collects /sdk-errors' answer: for each call "" when it failed with the code wanted (and a message that says UTF-8), else what happened. */
class Checks {
  out: string = "";

  add(name: string, problem: string): void {
    this.out += (this.out.length == 0 ? "{" : ",") + quote(name) + ":" + quote(problem);
  }

  check(name: string, e: BinderyError | null, want: ErrorCode): void {
    if (e == null) this.add(name, "succeeded, want an error");
    else if (e.code != want) this.add(name, "got " + e.message + " (code " + e.code.toString() + "), want code " + want.toString());
    else if (!e.message.includes("UTF-8")) this.add(name, "the message " + e.message + " does not say UTF-8");
    else this.add(name, "");
  }

  json(): string {
    return this.out + "}";
  }
}

/**
 * sdkErrors calls the SDK with strings that hold a lone surrogate wherever
 * it passes a string on (KV, R2 and D1): each must fail with ErrorCode.Invalid
 * (InvalidPart for a part's etag) before it reaches the host, whose
 * lowering would send U+FFFD in its place.
 */
function sdkErrors(): Response {
  const bad = "a\uD800b";
  const c = new Checks();
  const kv = Env.kv(KV);
  const b = Env.r2(R2);
  c.check("kv binding", errOf<Uint8Array | null>(Env.kv(bad).get("k")), ErrorCode.Invalid);
  c.check("kv get", errOf<Uint8Array | null>(kv.get(bad)), ErrorCode.Invalid);
  c.check("kv put", kv.putText(bad, "x"), ErrorCode.Invalid);
  const ko = new KVPutOptions();
  ko.metadata = "\"" + bad + "\"";
  c.check("kv put metadata", kv.putText("k", "x", ko), ErrorCode.Invalid);
  c.check("kv delete", kv.delete(bad), ErrorCode.Invalid);
  c.add("var", Env.var(bad) == null ? "" : "a name with a lone surrogate was found");
  c.check("r2 binding", errOf<R2Object | null>(Env.r2(bad).head("k")), ErrorCode.Invalid);
  c.check("r2 head", errOf<R2Object | null>(b.head(bad)), ErrorCode.Invalid);
  c.check("r2 get", errOf<R2ObjectBody | null>(b.get(bad)), ErrorCode.Invalid);
  const go = new R2GetOptions();
  go.onlyIf = R2Conditional.etagMatches(bad);
  c.check("r2 get onlyIf", errOf<R2ObjectBody | null>(b.get("k", go)), ErrorCode.Invalid);
  c.check("r2 put", errOf<R2Object>(b.putText(bad, "x")), ErrorCode.Invalid);
  const h = new R2HTTPMetadata();
  h.contentType = bad;
  const po = new R2PutOptions();
  po.httpMetadata = h;
  c.check("r2 put http metadata", errOf<R2Object>(b.putText("k", "x", po)), ErrorCode.Invalid);
  const po2 = new R2PutOptions();
  const m = new Map<string, string>();
  m.set("owner", bad);
  po2.customMetadata = m;
  c.check("r2 put custom metadata", errOf<R2Object>(b.putText("k", "x", po2)), ErrorCode.Invalid);
  const po3 = new R2PutOptions();
  po3.storageClass = bad;
  c.check("r2 put storage class", errOf<R2Object>(b.putText("k", "x", po3)), ErrorCode.Invalid);
  const po4 = new R2PutOptions();
  po4.onlyIf = R2Conditional.etagDoesNotMatch(bad);
  c.check("r2 put onlyIf", errOf<R2Object>(b.putText("k", "x", po4)), ErrorCode.Invalid);
  c.check("r2 delete", b.deleteMany(["fine", bad]), ErrorCode.Invalid);
  c.check("r2 writer", errOf<R2ObjectWriter>(b.writer(bad)), ErrorCode.Invalid);
  const lo = new R2ListOptions();
  lo.startAfter = bad;
  c.check("r2 list", errOf<R2Objects>(b.list(lo)), ErrorCode.Invalid);
  c.check("r2 multipart create", errOf<R2MultipartUpload>(b.createMultipartUpload(bad)), ErrorCode.Invalid);
  const mo = new R2MultipartOptions();
  mo.customMetadata = m;
  c.check("r2 multipart options", errOf<R2MultipartUpload>(b.createMultipartUpload("k", mo)), ErrorCode.Invalid);
  c.check("r2 multipart resume", errOf<R2MultipartUpload>(b.resumeMultipartUpload("k", bad)), ErrorCode.Invalid);
  const up = b.createMultipartUpload("mpu-sdk-errors");
  if (up.isErr) return Response.text(up.error.message, 500);
  c.check("r2 complete etag", errOf<R2Object>(up.value.complete([new R2UploadedPart(1, bad)])), ErrorCode.InvalidPart);
  up.value.abort();
  up.value.close();
  // D1 ("DB" is granted here): SQL, bound text, batches, exec and bookmarks.
  const db = Env.d1(D1);
  c.check("d1 binding", errOf<D1ExecResult>(Env.d1(bad).exec("SELECT 1")), ErrorCode.Invalid);
  c.check("d1 sql", errOf<D1Result>(db.prepare(bad).all()), ErrorCode.Invalid);
  c.check("d1 bound text", errOf<D1Result>(db.prepare("SELECT ?1, ?2").bind([D1Value.int(1), D1Value.text(bad)]).run()), ErrorCode.Invalid);
  c.check("d1 batch sql", errOf<Array<D1Result>>(db.batch([db.prepare("SELECT 1"), db.prepare(bad)])), ErrorCode.Invalid);
  c.check("d1 batch bound text", errOf<Array<D1Result>>(db.batch([db.prepare("SELECT ?").bind([D1Value.text(bad)])])), ErrorCode.Invalid);
  c.check("d1 exec", errOf<D1ExecResult>(db.exec(bad)), ErrorCode.Invalid);
  c.check("d1 session bookmark", errOf<D1DatabaseSession>(db.withSession(bad)), ErrorCode.Invalid);
  const started = db.withSession();
  if (started.isErr) return Response.text(started.error.message, 500);
  const session = started.value;
  c.check("d1 session sql", errOf<D1Row | null>(session.prepare(bad).first()), ErrorCode.Invalid);
  c.check("d1 session batch", errOf<Array<D1Result>>(session.batch([session.prepare("SELECT ?").bind([D1Value.text(bad)])])), ErrorCode.Invalid);
  session.close();
  return Response.json(c.json());
}

/** errOf is r's error, or null. */
function errOf<T>(r: Result<T, BinderyError>): BinderyError | null {
  return r.isErr ? r.error : null;
}

serve(fetch);
