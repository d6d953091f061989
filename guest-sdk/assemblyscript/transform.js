// transform.js is an asc transform that gives the Worker's wasm exports
// their WIT names ("bindery:http/handler@0.1.0#handle"), which an
// AssemblyScript identifier cannot spell. generated/exports.js (written by
// bindery-bindgen) lists them; generated/exports.ts must be an entry.
//
// A Worker that imports the SDK's durable.ts (Durable Objects) is a Worker
// of world worker-with-objects: the transform adds
// generated-durable/exports.ts (the object events) to its entries and
// names those exports too (generated-durable/exports.js). Any other
// Worker compiles exactly as before.
import { readFileSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { Transform } from "assemblyscript/transform";
import names from "./generated/exports.js";
import durableNames from "./generated-durable/exports.js";

const sdk = path.dirname(fileURLToPath(import.meta.url));

export default class BinderyExports extends Transform {
  durable = false;

  afterParse(parser) {
    const base = path.resolve(this.baseDir);
    const rel = (f) => path.relative(base, path.join(sdk, f)).split(path.sep).join("/");
    const durable = rel("durable.ts");
    if (!parser.sources.some((s) => s.normalizedPath == durable)) return;
    this.durable = true;
    const entry = rel("generated-durable/exports.ts");
    parser.parseFile(readFileSync(path.join(sdk, "generated-durable/exports.ts"), "utf8"), entry, true);
  }

  afterCompile(module) {
    const all = this.durable ? { ...names, ...durableNames } : names;
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
