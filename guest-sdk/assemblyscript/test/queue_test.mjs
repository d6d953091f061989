// Runs the AssemblyScript queue tests (build.sh --test builds
// queue_test.ts with asc's raw bindings first):
//
//   node queue_test.mjs <bindings .js> <module .wasm>
//
// It serves bindery:log/console (printing each warning and counting it
// for the module's "test" "warnings"), prints the report, and exits 1 on
// a failure.
import { readFileSync } from "node:fs";
import { pathToFileURL } from "node:url";

const [bindings, wasm] = process.argv.slice(2);
const { instantiate } = await import(pathToFileURL(bindings).href);

let mod = null;
let warnings = 0;
const levels = ["debug", "info", "warn", "error"];
mod = await instantiate(await WebAssembly.compile(readFileSync(wasm)), {
  test: { warnings: () => warnings },
  "bindery:log/console@0.1.0": {
    log(level, ptr, len) {
      const text = new TextDecoder().decode(new Uint8Array(mod.memory.buffer, ptr >>> 0, len >>> 0));
      if (level === 2) warnings++;
      console.log(`  console.${levels[level]}: ${text}`);
    },
  },
});
const result = mod.run();
console.log(`queue:\n${result}`);
process.exit(/ checks, 0 failed$/.test(result) && !/^0 checks/m.test(result) ? 0 : 1);
