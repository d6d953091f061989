#!/usr/bin/env node
// splice.mjs: makes the JavaScript engine of Bindery's JS Workers, once per
// toolchain and WIT world. componentize-js's splicer adds the world's
// imports and exports to StarlingMonkey; the result, with the glue the
// engine evaluates before a Worker's script (initializer.js) and the
// descriptors of the spliced functions (meta.json), is what the host
// pre-initialises with each Worker's bundle (docs/sdk-js.md, "How a JS
// Worker runs"). The script never sees the Worker: its output depends only
// on the toolchain, the WIT and the features.
//
// Every JavaScript Worker runs the one engine, spliced for world
// worker-with-objects: a Worker that defines no Durable Object classes
// exports the object interface too, and its describe lists no class
// (the host serves bindery:durable/client and /state to every Worker);
// likewise every Worker exports bindery:queue/consumer and
// bindery:scheduled/handler, and the SDK answers an event the Worker has
// no handler for with an error (internal/jsbuild's entry binds them).
//
//   node splice.mjs --wit DIR --out DIR [--world worker-with-objects] [--features stdio,random,clocks]
import { readFile, writeFile, mkdir, rename } from 'node:fs/promises';
import { join, resolve } from 'node:path';

const args = process.argv.slice(2);
const opt = (name, def) => {
  const i = args.indexOf(name);
  return i >= 0 ? args[i + 1] : def;
};
const wit = opt('--wit');
const out = opt('--out');
const world = opt('--world', 'worker-with-objects');
const features = opt('--features', 'stdio,random,clocks').split(',');
if (!wit || !out) {
  console.error('usage: splice.mjs --wit DIR --out DIR [--world NAME] [--features a,b]');
  process.exit(2);
}
// componentize-js comes from the node_modules in the working directory.
const pkg = join(process.cwd(), 'node_modules', '@bytecodealliance', 'componentize-js');
const { splicer } = await import(join(pkg, 'lib', 'spidermonkey-embedding-splicer.js'));
const engine = await readFile(join(pkg, 'lib', 'starlingmonkey_embedding.wasm'));
const { wasm, jsBindings, exports, imports } = splicer.spliceBindings(engine, features, undefined, resolve(wit), world, false);
await mkdir(out, { recursive: true });
// Written under temporary names and renamed, meta.json last: a directory
// with meta.json is complete.
for (const [name, data] of [['engine.wasm', Buffer.from(wasm)], ['initializer.js', jsBindings]]) {
  await writeFile(join(out, name + '.tmp'), data);
  await rename(join(out, name + '.tmp'), join(out, name));
}
const meta = { world, features, exports, imports, componentizeJS: JSON.parse(await readFile(join(pkg, 'package.json'), 'utf8')).version };
await writeFile(join(out, 'meta.json.tmp'), JSON.stringify(meta, null, 1));
await rename(join(out, 'meta.json.tmp'), join(out, 'meta.json'));
