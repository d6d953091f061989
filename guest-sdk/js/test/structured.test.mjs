// Tests of src/structured.js under node (node --test): every vector of the
// shared file wit/deps/durable/testdata/structured-values.json (or the
// file STRUCTURED_VECTORS names), then JavaScript's own cases
// (structured-cases.mjs). Run by structured_test.go
// (go test ./guest-sdk/js -run TestStructured).

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { cases, checkVector } from './structured-cases.mjs';

const vectorsPath = process.env.STRUCTURED_VECTORS
  || fileURLToPath(new URL('../../../wit/deps/durable/testdata/structured-values.json', import.meta.url));
const { vectors } = JSON.parse(readFileSync(vectorsPath, 'utf8'));

test('vectors', async (t) => {
  assert.ok(vectors.length > 100, `only ${vectors.length} vectors`);
  for (const v of vectors) await t.test(v.name, () => checkVector(v));
});

for (const [name, f] of cases) test(name, f);
