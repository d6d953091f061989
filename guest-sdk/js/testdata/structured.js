// The structured-value test Worker of the JavaScript SDK
// (structured_test.go): POST /run with the shared vectors file as its body
// runs every vector and every case of test/structured-cases.mjs in the
// engine Workers run in, and answers a JSON object, for each vector and
// case "" or what went wrong. GET /sdk checks what @bindery/worker
// exports: serialize and deserialize, and the bindings refused.
import { serialize, deserialize } from '@bindery/worker';
import { cases, checkVector } from '../test/structured-cases.mjs';

// run returns "" when f returns, else what it threw.
function run(f) {
  try {
    f();
    return '';
  } catch (e) {
    return `${e && e.name}: ${e && e.message}`;
  }
}

export default {
  async fetch(request, env) {
    const p = new URL(request.url).pathname;
    if (p === '/run') {
      const { vectors } = await request.json();
      const out = {};
      for (const v of vectors) out[`vector ${v.name}`] = run(() => checkVector(v));
      for (const [name, f] of cases) out[`case ${name}`] = run(f);
      return Response.json(out);
    }
    if (p === '/sdk') {
      const out = {};
      out.roundTrip = run(() => {
        const v = deserialize(serialize({ a: [1n, new Map([[1, new Date(0)]])] }));
        if (v.a[0] !== 1n || v.a[1].get(1).getTime() !== 0) throw new Error(`read back ${JSON.stringify(Object.keys(v))}`);
      });
      out.binding = run(() => {
        let err;
        try {
          serialize({ kv: env.KV });
        } catch (e) {
          err = e;
        }
        if (!err || err.name !== 'DataCloneError' || !err.message.includes('value.kv is a KVNamespace')) throw new Error(`serialize(KV binding): ${err}`);
      });
      return Response.json(out);
    }
    return new Response('not found', { status: 404 });
  },
};
