// The conformance Worker in AssemblyScript: the contract every language
// implements (see conformance/harness_test.go), written with
// guest-sdk/assemblyscript.
//
//   guest-sdk/assemblyscript/build.sh -o as.wasm conformance/assemblyscript/index.ts

import { Body, BodyProducer, BodyWriter, Env, Request, Response, quote, serve } from "../../guest-sdk/assemblyscript";

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
  return Response.text("not found", 404);
}

serve(fetch);
