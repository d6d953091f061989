// gen.mjs writes ../props.bin: for every Unicode property a JavaScript
// regular expression may name in \p{…} (General_Category, Script,
// Script_Extensions and the binary properties of ECMA-262's tables), its
// code points, as the running node's V8 (ICU) matches them; and every
// spelling V8 accepts for it. internal/jsregexp expands \p escapes with it.
//
//   cd internal/jsregexp/gen && npm install && node gen.mjs
//
// Format (all integers unsigned LEB128): "BRXP1\n"; the Unicode version
// as a length-prefixed string; the number of sets; each set as its number
// of ranges and, per range, lo - (previous hi + 1) and hi - lo; the number
// of names; each name as a length-prefixed string and its set's index.
import fs from 'node:fs';
import propAliases from 'unicode-property-aliases-ecmascript';
import valueAliases from 'unicode-property-value-aliases-ecmascript';

const accepts = (spelling) => {
  try {
    new RegExp(`\\p{${spelling}}`, 'u');
    return true;
  } catch {
    return false;
  }
};

// Every code point but the surrogates in one string, and where each starts.
const cps = [];
let text;
for (let cp = 0; cp <= 0x10ffff; cp++) {
  if (cp >= 0xd800 && cp <= 0xdfff) continue;
  cps.push(cp);
}
{
  const parts = [];
  for (let i = 0; i < cps.length; i += 4096) parts.push(String.fromCodePoint(...cps.slice(i, i + 4096)));
  text = parts.join('');
}
const cpAt = new Int32Array(text.length);
for (let i = 0, k = 0; i < text.length; k++) {
  cpAt[i] = cps[k];
  i += cps[k] > 0xffff ? 2 : 1;
}

// ranges returns the code points \p{spelling} matches as [lo, hi] pairs.
function ranges(spelling) {
  const out = [];
  const add = (lo, hi) => {
    const last = out[out.length - 1];
    if (last && last[1] + 1 >= lo) last[1] = Math.max(last[1], hi);
    else out.push([lo, hi]);
  };
  const re = new RegExp(`\\p{${spelling}}+`, 'gu');
  const surr = new RegExp(`^\\p{${spelling}}$`, 'u');
  const all = [];
  for (const m of text.matchAll(re)) {
    const lo = cpAt[m.index];
    const end = m.index + m[0].length; // the index after the run
    const trail = m[0].charCodeAt(m[0].length - 1);
    const last = trail >= 0xdc00 && trail <= 0xdfff ? end - 2 : end - 1; // text has no lone surrogates
    all.push([lo, cpAt[last]]);
  }
  for (let cp = 0xd800; cp <= 0xdfff; cp++) if (surr.test(String.fromCharCode(cp))) all.push([cp, cp]);
  all.sort((a, b) => a[0] - b[0]);
  for (const [lo, hi] of all) add(lo, hi);
  return out;
}

const sets = [];
const setIndex = new Map(); // JSON of ranges -> index
const names = new Map(); // spelling -> set index
function define(canonical, spellings) {
  if (!accepts(canonical)) {
    console.warn(`node does not accept \\p{${canonical}}: skipped`);
    return;
  }
  const r = ranges(canonical);
  const key = JSON.stringify(r);
  let i = setIndex.get(key);
  if (i === undefined) {
    i = sets.length;
    sets.push(r);
    setIndex.set(key, i);
  }
  for (const s of spellings) if (accepts(s)) names.set(s, i);
}

// Binary properties: the names of ECMA-262's table, their aliases, and
// ASCII, Any and Assigned (which have none).
const nonBinary = new Set(['General_Category', 'Script', 'Script_Extensions']);
const binary = new Map([['ASCII', ['ASCII']], ['Any', ['Any']], ['Assigned', ['Assigned']]]);
for (const [alias, name] of propAliases) {
  if (nonBinary.has(name)) continue;
  if (!binary.has(name)) binary.set(name, [name]);
  binary.get(name).push(alias);
}
for (const [name, spellings] of binary) define(name, [...new Set(spellings)]);

// General_Category: bare values and gc=/General_Category= with each alias.
// Script and Script_Extensions: sc=/Script= and scx=/Script_Extensions=.
const forms = { General_Category: ['General_Category', 'gc'], Script: ['Script', 'sc'], Script_Extensions: ['Script_Extensions', 'scx'] };
for (const [prop, props] of Object.entries(forms)) {
  const values = new Map(); // canonical value -> its aliases
  for (const [alias, value] of valueAliases.get(prop === 'Script_Extensions' ? 'Script' : prop)) {
    if (!values.has(value)) values.set(value, new Set([value]));
    values.get(value).add(alias);
  }
  for (const [value, aliases] of values) {
    const spellings = [];
    for (const a of aliases) {
      for (const p of props) spellings.push(`${p}=${a}`);
      if (prop === 'General_Category') spellings.push(a);
    }
    define(`${props[0]}=${value}`, spellings);
  }
}

const out = [];
const uv = (n) => {
  do {
    let b = n & 0x7f;
    n = Math.floor(n / 128);
    if (n) b |= 0x80;
    out.push(b);
  } while (n);
};
const str = (s) => {
  const b = Buffer.from(s, 'utf8');
  uv(b.length);
  for (const x of b) out.push(x);
};
for (const c of Buffer.from('BRXP1\n')) out.push(c);
str(process.versions.unicode);
uv(sets.length);
for (const r of sets) {
  uv(r.length);
  let next = 0;
  for (const [lo, hi] of r) {
    uv(lo - next);
    uv(hi - lo);
    next = hi + 1;
  }
}
const sorted = [...names].sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0));
uv(sorted.length);
for (const [s, i] of sorted) {
  str(s);
  uv(i);
}
fs.writeFileSync(new URL('../props.bin', import.meta.url), Buffer.from(out));
console.log(`props.bin: Unicode ${process.versions.unicode}, ${sets.length} sets, ${sorted.length} names, ${out.length} bytes`);
