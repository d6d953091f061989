// A Worker that runs the structured-value encoding inside the host, built
// with the SDK's own config; conformance TestAssemblyScriptStructured
// drives it. POST /structured: the body decoded and encoded again, then a
// value built with the SDK's builders (through index.ts's structured
// namespace too), as hex lines (or the decode error).

import { Request, Response, serve, structured } from "../index";
import { SV, decode, encode } from "../structured";

function hex(b: Uint8Array): string {
  let t = "";
  for (let i = 0; i < b.length; i++) t += (<u32>b[i] + 0x100).toString(16).substring(1);
  return t;
}

function fetch(req: Request): Response {
  const v = decode(req.bytes());
  if (v.isErr) return Response.text(v.error.message);
  const again = encode(v.value);
  if (again.isErr) return Response.fail(again.error.message);
  const tags = SV.array().push(SV.string("a"));
  // index.ts's namespace and the module itself are one.
  const built = structured.encode(SV.object().set("id", structured.SV.uint(1 << 60)).set("name", SV.string("as")).set("tags", tags).set("none", SV.null()));
  if (built.isErr) return Response.fail(built.error.message);
  return Response.text(hex(again.value) + "\n" + hex(built.value));
}

serve(fetch);
