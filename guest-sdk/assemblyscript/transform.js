// transform.js is an asc transform that gives the Worker's wasm exports
// their WIT names ("bindery:http/handler@0.1.0#handle"), which an
// AssemblyScript identifier cannot spell. generated/exports.js (written by
// bindery-bindgen) lists them; generated/exports.ts must be an entry.
//
// Some exports only a Worker that uses them gets: the transform adds the
// generated file of those exports to the entries of a Worker that imports
// the SDK file that defines them, and names those exports too:
//
//   - durable.ts (Durable Objects): a Worker of world worker-with-objects,
//     with generated-durable/exports.ts (the object events);
//   - queue.ts (a queue handler): generated/exports_queue_consumer.ts
//     (bindery:queue/consumer#queue);
//   - scheduled.ts (a scheduled handler):
//     generated/exports_scheduled_handler.ts
//     (bindery:scheduled/handler#scheduled).
//
// The host looks for the queue and scheduled exports only when the Worker
// consumes a queue or has cron triggers. Any other Worker compiles exactly
// as before.
import { readFileSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { Transform } from "assemblyscript/transform";
import names from "./generated/exports.js";
import durableNames from "./generated-durable/exports.js";
import queueNames from "./generated/exports_queue_consumer.js";
import scheduledNames from "./generated/exports_scheduled_handler.js";

const sdk = path.dirname(fileURLToPath(import.meta.url));

/** optional lists the SDK files that bring exports, with the exports' entry file and names. */
const optional = [
  { use: "durable.ts", entry: "generated-durable/exports.ts", names: durableNames },
  { use: "queue.ts", entry: "generated/exports_queue_consumer.ts", names: queueNames },
  { use: "scheduled.ts", entry: "generated/exports_scheduled_handler.ts", names: scheduledNames },
];

export default class BinderyExports extends Transform {
  /** used holds the entries of optional the Worker imports. */
  used = [];

  afterParse(parser) {
    const base = path.resolve(this.baseDir);
    const rel = (f) => path.relative(base, path.join(sdk, f)).split(path.sep).join("/");
    for (const o of optional) {
      const use = rel(o.use);
      if (!parser.sources.some((s) => s.normalizedPath == use)) continue;
      this.used.push(o);
      parser.parseFile(readFileSync(path.join(sdk, o.entry), "utf8"), rel(o.entry), true);
    }
  }

  afterCompile(module) {
    const all = Object.assign({}, names, ...this.used.map((o) => o.names));
    for (const [as, wit] of Object.entries(all)) {
      const ref = module.getExport(as);
      if (!ref) {
        throw new Error(`bindery: the module does not export ${as}: list guest-sdk/assemblyscript/generated/exports.ts first in the asc entries (build.sh does)`);
      }
      const info = this.binaryen.getExportInfo(ref);
      module.removeExport(as);
      module.addFunctionExport(info.value, wit);
    }
  }
}
