// A Bindery Worker in AssemblyScript: GET / greets, and /count counts
// visits in KV.
//
//   bindery dev        (runs [build] from wrangler.toml, then serves)

import { Env, Request, Response, serve } from "../../guest-sdk/assemblyscript";

function fetch(req: Request): Response {
  if (req.path == "/count") {
    const store = Env.kv("STORE");
    const got = store.getText("count");
    if (got.isErr) return Response.text(got.error.message, 500);
    const old = got.value;
    const n = (old != null ? I32.parseInt(old) : 0) + 1;
    const e = store.putText("count", n.toString());
    if (e != null) return Response.text(e.message, 500);
    return Response.text("visits: " + n.toString() + "\n");
  }
  const greeting = Env.var("GREETING");
  return Response.text((greeting != null ? greeting : "hi") + " from AssemblyScript (" + req.method + " " + req.path + ")\n");
}

serve(fetch);
