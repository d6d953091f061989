// Runs the AssemblyScript structured-value tests (build.sh --test builds
// structured_test.ts with asc's ESM bindings first):
//
//   node structured_test.mjs <bindings .js> <structured-values.json>
//
// It passes the shared vectors to the module's run with every number of a
// "number" or "date" value as the hex of its float64 bits (so the module
// needs no float parser), prints both reports, and exits 1 on a failure.
import { readFileSync } from "node:fs";
import { pathToFileURL } from "node:url";

const [bindings, vectorsPath] = process.argv.slice(2);
const mod = await import(pathToFileURL(bindings).href);

const special = { NaN: NaN, Infinity: Infinity, "-Infinity": -Infinity, "-0": -0 };

function bits(x) {
  const n = typeof x === "number" ? x : special[x];
  if (n === undefined) throw new Error(`not a number: ${JSON.stringify(x)}`);
  const view = new DataView(new ArrayBuffer(8));
  view.setFloat64(0, n);
  return view.getBigUint64(0).toString(16).padStart(16, "0");
}

// numbers replaces the numbers of typed values (objects with one key) in v.
function numbers(v) {
  if (Array.isArray(v)) return v.map(numbers);
  if (v === null || typeof v !== "object") return v;
  const out = {};
  for (const [k, x] of Object.entries(v)) out[k] = k === "number" || k === "date" ? bits(x) : numbers(x);
  return out;
}

const vectors = numbers(JSON.parse(readFileSync(vectorsPath, "utf8")));
let failed = false;
for (const [name, result] of [["vectors", mod.run(JSON.stringify(vectors))], ["self test", mod.selfTest()]]) {
  console.log(`${name}:\n${result}`);
  if (!/ checks, 0 failed$/.test(result) || /^0 checks/m.test(result)) failed = true;
}
process.exit(failed ? 1 : 0);
