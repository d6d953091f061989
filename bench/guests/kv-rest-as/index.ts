// kv-rest-as serves bench/run-http.sh's routes from an AssemblyScript
// Worker, so the HTTP harness can put the AssemblyScript SDK next to the Go
// one (examples/hello and examples/kv-rest):
//
//   GET /hello       "hello"
//   GET /kv/<key>    the value, or 404
//   PUT /kv/<key>    store the request body
//
//   ../../../guest-sdk/assemblyscript/build.sh -o kv-rest-as.wasm index.ts

import { Env, Request, Response, serve } from "../../../guest-sdk/assemblyscript";

function fetch(req: Request): Response {
  if (req.path == "/hello") return Response.text("hello");
  if (!req.path.startsWith("/kv/") || req.path.length == 4) return Response.text("not found\n", 404);
  const key = req.path.substring(4);
  const store = Env.kv("STORE");
  if (req.method == "GET") {
    const got = store.get(key);
    if (got.isErr) return Response.text(got.error.message, 500);
    const v = got.value;
    if (v == null) return Response.text("not found\n", 404);
    return Response.bytes(v).header("content-type", "application/octet-stream");
  }
  if (req.method == "PUT") {
    const e = store.put(key, req.bytes());
    if (e != null) return Response.text(e.message, 400);
    return Response.text("", 204);
  }
  return Response.text("method not allowed\n", 405);
}

serve(fetch);
