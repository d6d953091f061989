// Serves worker.mjs with Miniflare (which spawns workerd) on 127.0.0.1 only,
// for bench/run-http.sh. bench/run-http.sh copies this file next to the
// node_modules it installs (a cache dir) and runs it from there.
// Env: PORT (8787), KV_PERSIST (a directory; required), WORKER (path of worker.mjs).
// No network: cf:false (no fetch of the cf object), no inspector; wrangler
// (telemetry, update checks) is not involved.
import { Miniflare, Log, LogLevel } from "miniflare";

const mf = new Miniflare({
  modules: true,
  scriptPath: process.env.WORKER,
  compatibilityDate: "2025-01-01",
  kvNamespaces: ["STORE"],
  kvPersist: process.env.KV_PERSIST,
  host: "127.0.0.1",
  port: Number(process.env.PORT || 8787),
  cf: false,
  log: new Log(LogLevel.WARN),
});
const url = await mf.ready;
console.log(`READY ${url.href}`);
const stop = async () => {
  try { await mf.dispose(); } finally { process.exit(0); }
};
process.on("SIGTERM", stop);
process.on("SIGINT", stop);
