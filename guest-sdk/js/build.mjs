#!/usr/bin/env node
// bindery-js-build: builds a JavaScript module Worker into a core module
// that Bindery runs.
//
//   node guest-sdk/js/build.mjs worker.js -o worker.wasm [--wit DIR] [--component out.component.wasm]
//
// 1. rolldown bundles the Worker (and whatever it imports) with
//    src/runtime.js into one ES module whose export `handler` implements
//    bindery:http/handler on top of the Bindery imports.
// 2. componentize-js (StarlingMonkey, without --aot) turns that into a
//    component of world "worker" (WIT from --wit, default the repository's
//    wit/), with the http and fetch-event features disabled: the Worker
//    speaks Bindery's HTTP interface, not wasi:http.
// 3. The component's main core module is extracted as it is (see
//    extractCore below for why running it alone is sound) and written to -o.
import { componentize } from '@bytecodealliance/componentize-js';
import { rolldown } from 'rolldown';
import { createHash } from 'node:crypto';
import { mkdir, mkdtemp, readdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { basename, dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));

function usage(msg) {
  if (msg) console.error('bindery-js-build: ' + msg);
  console.error('usage: bindery-js-build WORKER.js -o OUT.wasm [--wit DIR] [--component OUT.component.wasm] [--cache-dir DIR]');
  process.exit(2);
}

function parseArgs(argv) {
  const a = { wit: resolve(here, '..', '..', 'wit') };
  for (let i = 0; i < argv.length; i++) {
    const v = argv[i];
    if (v === '-o' || v === '--out') a.out = argv[++i];
    else if (v === '--wit') a.wit = argv[++i];
    else if (v === '--component') a.component = argv[++i];
    else if (v === '--cache-dir') a.cacheDir = argv[++i];
    else if (v.startsWith('-')) usage('unknown flag ' + v);
    else if (!a.src) a.src = v;
    else usage('more than one source');
  }
  if (!a.src || !a.out) usage();
  return a;
}

// --- component section walker -------------------------------------------

function uleb(b, p) {
  let v = 0, shift = 0;
  for (;;) {
    const x = b[p++];
    if (x === undefined) throw new Error('truncated LEB128');
    v += (x & 0x7f) * 2 ** shift;
    if (!(x & 0x80)) return [v, p];
    shift += 7;
  }
}

function name(b, p) {
  const [n, q] = uleb(b, p);
  return [new TextDecoder().decode(b.subarray(q, q + n)), q + n];
}

// sections yields [id, body] for each section of a module or component.
function* sections(b) {
  let p = 8;
  while (p < b.length) {
    const id = b[p];
    const [size, q] = uleb(b, p + 1);
    yield [id, b.subarray(q, q + size)];
    p = q + size;
  }
}

// coreImportsExports lists a core module's imports (module, name) and export names.
function coreImportsExports(m) {
  const imports = [], exports = [];
  for (const [id, body] of sections(m)) {
    if (id === 2) {
      let [n, p] = uleb(body, 0);
      for (let i = 0; i < n; i++) {
        let mod, nm;
        [mod, p] = name(body, p);
        [nm, p] = name(body, p);
        const kind = body[p++];
        switch (kind) {
          case 0: [, p] = uleb(body, p); break; // func type index
          case 1: p++; p = skipLimits(body, p); break; // table: reftype, limits
          case 2: p = skipLimits(body, p); break; // memory
          case 3: p += 2; break; // global: valtype, mut
          case 4: p++; [, p] = uleb(body, p); break; // tag
          default: throw new Error('unknown import kind ' + kind);
        }
        imports.push({ module: mod, name: nm, kind });
      }
    } else if (id === 7) {
      let [n, p] = uleb(body, 0);
      for (let i = 0; i < n; i++) {
        let nm;
        [nm, p] = name(body, p);
        p++;
        [, p] = uleb(body, p);
        exports.push(nm);
      }
    }
  }
  return { imports, exports };
}

function skipLimits(b, p) {
  const flags = b[p++];
  [, p] = uleb(b, p);
  if (flags & 1) [, p] = uleb(b, p);
  return p;
}

// The preview1 functions StarlingMonkey's main module imports. In the
// component they come from the wasi_snapshot_preview1 adapter (implemented
// on top of WASI 0.2 stdout/stderr and clocks); the host serves the same
// functions natively (wazero's wasi_snapshot_preview1), stdout and stderr
// to the Worker's log.
const preview1Allowed = new Set(['fd_write', 'clock_time_get', 'fd_fdstat_get', 'random_get', 'environ_get',
  'environ_sizes_get', 'proc_exit', 'clock_res_get', 'sched_yield', 'args_get', 'args_sizes_get']);

// extractCore returns the component's main core module: the one module
// that exports bindery:http/handler@0.1.0#handle.
//
// Why running it alone is sound: a componentize-js component has four core
// modules: the main module (StarlingMonkey and the wizer snapshot of the
// Worker), the wasi_snapshot_preview1 adapter, and two tiny modules that
// only hold an indirect-call table to break the cycle between the two.
// The main module is instantiated with
//   - every bindery:* and wasi:*@0.2.* import lowered with memory = its own
//     "memory", realloc = its own "cabi_realloc", UTF-8 strings: exactly
//     the host's convention for those interfaces;
//   - wasi_snapshot_preview1 functions from the adapter, which implements
//     preview1 on top of WASI 0.2: the host serves preview1 directly.
// Its export is lifted with the same memory and realloc, and post-return
// cabi_post_bindery:http/handler@0.1.0#handle, which the host calls. The
// component has no start function, and the wizer snapshot is already
// initialised, so there is nothing else to run. extractCore checks the
// parts of that it can see: exactly one module exports the handler, and it
// imports nothing else.
export function extractCore(component) {
  const b = component instanceof Uint8Array ? component : new Uint8Array(component);
  if (!(b[0] === 0 && b[1] === 0x61 && b[2] === 0x73 && b[3] === 0x6d)) throw new Error('not a WebAssembly binary');
  if (b[6] !== 1) return b; // already a core module
  const handle = 'bindery:http/handler@0.1.0#handle';
  const mains = [];
  for (const [id, body] of sections(b)) {
    if (id !== 1) continue; // core module
    const ie = coreImportsExports(body);
    if (ie.exports.includes(handle)) mains.push({ body, ...ie });
  }
  if (mains.length !== 1) throw new Error(`expected one core module exporting ${handle}, found ${mains.length}`);
  const main = mains[0];
  const bad = main.imports.filter((i) => {
    if (i.kind !== 0) return true;
    if (i.module.startsWith('bindery:')) return false;
    if (/^wasi:[a-z-]+\/[a-z-]+@0\.2\.\d+$/.test(i.module)) return false;
    return !(i.module === 'wasi_snapshot_preview1' && preview1Allowed.has(i.name));
  });
  if (bad.length) {
    throw new Error('the main module imports what the host cannot serve in place of the component: ' +
      bad.map((i) => `${i.module} ${i.name}`).join(', '));
  }
  return main.body.slice();
}

async function witFiles(dir) {
  const out = [];
  for (const e of await readdir(dir, { withFileTypes: true, recursive: true })) {
    if (e.isFile() && e.name.endsWith('.wit')) out.push(join(e.parentPath ?? e.path, e.name));
  }
  return out.sort();
}

async function main() {
  const a = parseArgs(process.argv.slice(2));
  const src = resolve(a.src);
  const work = await mkdtemp(join(tmpdir(), 'bindery-js-'));
  try {
    const entry = join(work, 'entry.js');
    // The runtime first: it installs globals (HTMLRewriter) that the
    // Worker's module may use as it is evaluated.
    await writeFile(entry, [
      `import { serve } from ${JSON.stringify(join(here, 'src', 'runtime.js'))};`,
      `import worker from ${JSON.stringify(src)};`,
      `export const handler = serve(worker);`,
      '',
    ].join('\n'));
    const bundle = await rolldown({
      input: entry,
      external: [/^bindery:/],
      resolve: { alias: { '@bindery/worker': join(here, 'src', 'runtime.js') } },
      logLevel: 'warn',
    });
    const bundled = join(work, 'worker.bundle.js');
    await bundle.write({ file: bundled, format: 'esm', codeSplitting: false });
    await bundle.close();
    // With --cache-dir, the same bundle, WIT and toolchain give the same
    // core module without running componentize-js (~15 s) again.
    let cached;
    if (a.cacheDir) {
      const h = createHash('sha256');
      // The temp dir's name is random, and rolldown names the entry by a
      // path relative to the working directory (e.g. "../bindery-js-AbC123/entry.js").
      h.update((await readFile(bundled, 'utf8')).replaceAll(work, '').replaceAll(basename(work), ''));
      h.update(await readFile(join(here, 'package-lock.json')));
      for (const f of await witFiles(resolve(a.wit))) h.update(f).update(await readFile(f));
      cached = join(a.cacheDir, h.digest('hex') + '.wasm');
      try {
        await writeFile(a.out, await readFile(cached));
        return;
      } catch {}
    }
    const { component } = await componentize({
      sourcePath: bundled,
      witPath: resolve(a.wit),
      worldName: 'worker',
      disableFeatures: ['http', 'fetch-event'],
    });
    if (a.component) await writeFile(a.component, component);
    const core = extractCore(component);
    await writeFile(a.out, core);
    if (cached && !a.component) {
      await mkdir(a.cacheDir, { recursive: true });
      const tmp = cached + '.' + process.pid;
      await writeFile(tmp, core);
      await rename(tmp, cached);
    }
  } finally {
    await rm(work, { recursive: true, force: true });
  }
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  main().catch((e) => {
    console.error('bindery-js-build: ' + (e && e.message ? e.message : e));
    process.exit(1);
  });
}
