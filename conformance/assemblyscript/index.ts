// The conformance Worker in AssemblyScript: the contract every language
// implements (see conformance/harness_test.go), written with
// guest-sdk/assemblyscript, and the /r2x routes of conformance/r2ext_test.go.
//
//   guest-sdk/assemblyscript/build.sh -o as.wasm conformance/assemblyscript/index.ts

import {
  BinderyError,
  Body,
  BodyProducer,
  BodyWriter,
  Checksums,
  Env,
  ErrorCode,
  R2Conditional,
  R2GetOptions,
  R2HTTPMetadata,
  R2ListOptions,
  R2MultipartOptions,
  R2MultipartUpload,
  R2Object,
  R2PutOptions,
  R2Range,
  R2UploadedPart,
  Request,
  Result,
  Response,
  quote,
  serve,
} from "../../guest-sdk/assemblyscript";

const KV = "STORE";
const R2 = "FILES";

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
  if (p.startsWith("/r2x/")) return r2x(req, p);
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

serve(fetch);
