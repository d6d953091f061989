// transform.js is an asc transform that gives the Worker's wasm exports
// their WIT names ("bindery:http/handler@0.1.0#handle"), which an
// AssemblyScript identifier cannot spell. generated/exports.js (written by
// bindery-bindgen) lists them; generated/exports.ts must be an entry.
import { Transform } from "assemblyscript/transform";
import names from "./generated/exports.js";

export default class BinderyExports extends Transform {
  afterCompile(module) {
    for (const [as, wit] of Object.entries(names)) {
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
