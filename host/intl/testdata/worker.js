// The Worker of host/intl's TestJSWorker: GET / answers every case of
// cases.js as JSON (the test builds it; nothing is committed).
import { run } from './cases.js';

export default {
  async fetch() {
    return new Response(JSON.stringify(run()), { headers: { 'content-type': 'application/json' } });
  },
};
