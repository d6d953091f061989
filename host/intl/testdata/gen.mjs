// gen.mjs writes the expectations of the Go tests (node's V8 and ICU are
// the reference, as Workers run V8): datetime.json, text.json, and
// js.json (cases.js's answers, for TestJSWorker). Workers run in UTC with
// the locale en-US, so node must too:
//
//   cd host/intl/testdata && TZ=UTC LANG=en_US.UTF-8 node gen.mjs
import fs from 'node:fs';
import { run } from './cases.js';

if (new Date(0).getTimezoneOffset() !== 0 || new Intl.NumberFormat().resolvedOptions().locale !== 'en-US') {
  throw new Error('run with TZ=UTC LANG=en_US.UTF-8');
}
fs.writeFileSync('js.json', JSON.stringify({ node: process.version, icu: process.versions.icu, answers: run() }, null, 1) + '\n');

const instants = [Date.UTC(2024, 2, 5, 14, 7, 9, 45), Date.UTC(1999, 11, 31, 23, 59, 59, 999), Date.UTC(2024, 6, 4, 0, 30, 0, 0)];
const locales = ['en', 'en-GB', 'de', 'fr', 'es', 'it', 'pt', 'nl', 'ja', 'zh', 'ko', 'ru', 'ar', 'hi', 'pl', 'sv', 'tr'];
const options = [
  { dateStyle: 'full' }, { dateStyle: 'long' }, { dateStyle: 'medium' }, { dateStyle: 'short' },
  { timeStyle: 'full', timeZone: 'America/New_York' }, { timeStyle: 'long', timeZone: 'Europe/Berlin' }, { timeStyle: 'medium' }, { timeStyle: 'short' },
  { dateStyle: 'full', timeStyle: 'long', timeZone: 'Asia/Tokyo' }, { dateStyle: 'medium', timeStyle: 'short' }, { dateStyle: 'short', timeStyle: 'short', timeZone: 'America/Los_Angeles' },
  { year: 'numeric', month: 'numeric', day: 'numeric' },
  { year: 'numeric', month: '2-digit', day: '2-digit' },
  { year: '2-digit', month: '2-digit', day: '2-digit' },
  { year: 'numeric', month: 'long', day: 'numeric' },
  { year: 'numeric', month: 'short', day: 'numeric' },
  { weekday: 'long', year: 'numeric', month: 'long', day: 'numeric' },
  { weekday: 'short', month: 'short', day: 'numeric' },
  { month: 'long', year: 'numeric' },
  { month: 'long' }, { weekday: 'long' }, { weekday: 'short' }, { year: 'numeric' },
  { hour: 'numeric', minute: 'numeric' },
  { hour: '2-digit', minute: '2-digit' },
  { hour: 'numeric', minute: '2-digit', second: '2-digit' },
  { hour: 'numeric', minute: 'numeric', hour12: false },
  { hour: 'numeric', minute: 'numeric', hourCycle: 'h23' },
  { hour: 'numeric', minute: 'numeric', hour12: true },
  { year: 'numeric', month: 'numeric', day: 'numeric', hour: 'numeric', minute: 'numeric', second: 'numeric' },
  { weekday: 'long', year: 'numeric', month: 'long', day: 'numeric', hour: 'numeric', minute: 'numeric' },
  { month: 'short', day: 'numeric', hour: 'numeric', minute: '2-digit', timeZoneName: 'short', timeZone: 'Europe/Paris' },
  { hour: 'numeric', minute: '2-digit', timeZoneName: 'short', timeZone: 'America/New_York' },
  { hour: 'numeric', minute: '2-digit', timeZoneName: 'long', timeZone: 'America/Los_Angeles' },
  { year: 'numeric', month: 'numeric', day: 'numeric', timeZoneName: 'longOffset', timeZone: 'Asia/Kolkata' },
  { year: 'numeric', month: 'numeric', day: 'numeric', timeZoneName: 'shortOffset', timeZone: 'Australia/Adelaide' },
  { hour: 'numeric', timeZoneName: 'shortGeneric', timeZone: 'America/Chicago' },
  { hour: 'numeric', minute: 'numeric', second: 'numeric', fractionalSecondDigits: 3 },
  { era: 'short', year: 'numeric' }, { era: 'long', year: 'numeric', month: 'long', day: 'numeric' },
  { hour: 'numeric', dayPeriod: 'long' }, { hour: 'numeric', dayPeriod: 'short' },
  { minute: '2-digit', second: '2-digit' },
  { month: 'numeric', day: 'numeric' },
];
const cases = [];
for (const l of locales) {
  for (const o of options) {
    for (const t of instants.slice(0, l === 'en' || l === 'de' ? 3 : 1)) {
      const f = new Intl.DateTimeFormat(l, { timeZone: 'UTC', ...o });
      cases.push({ locale: l, options: Object.fromEntries(Object.entries(o).map(([k, v]) => [k, String(v)])), epochMs: t, parts: f.formatToParts(t), resolved: f.resolvedOptions() });
    }
  }
}
fs.writeFileSync('datetime.json', `{"node": ${JSON.stringify(process.version)}, "icu": ${JSON.stringify(process.versions.icu)}, "cases": [\n${cases.map((c) => JSON.stringify(c)).join(',\n')}\n]}\n`);

const text = { node: process.version, icu: process.versions.icu };
const strings = ['Ångström', 'e\u0301', 'ﬁ', '①', 'Å', 'ḱṷṓn', '가', 'ｶﾞ', 'x²', 'Straße', '\u1e9b\u0323', 'ﷺ'];
text.normalize = strings.flatMap((s) => ['NFC', 'NFD', 'NFKC', 'NFKD'].map((form) => ({ s, form, want: s.normalize(form) })));
const casing = [['istanbul', 'tr'], ['İSTANBUL', 'tr'], ['ıi', 'az'], ['Iİ', 'lt'], ['i̇̀', 'lt'], ['άλφα', 'el'], ['straße', 'de'], ['ǆ', 'en'], ['ΌΣΟΣ', 'el']];
text.upper = casing.map(([s, locale]) => ({ s, locale, want: s.toLocaleUpperCase(locale) }));
text.lower = casing.map(([s, locale]) => ({ s, locale, want: s.toLocaleLowerCase(locale) }));
const pairs = [['a', 'b'], ['a', 'A'], ['a', 'á'], ['ä', 'b'], ['ä', 'z'], ['z', 'ä'], ['item2', 'item10'], ['résumé', 'resume'], ['a-b', 'ab'], ['Ö', 'Z'], ['ch', 'd'], ['x', 'X'], ['', 'a'], ['ß', 'ss'], ['1', 'a'], ['a b', 'ab']];
const collators = [['en', {}], ['de', {}], ['sv', {}], ['es', {}], ['en', { sensitivity: 'base' }], ['en', { sensitivity: 'accent' }], ['en', { sensitivity: 'case' }], ['en', { numeric: true }], ['en', { ignorePunctuation: true }], ['fr', {}]];
text.compare = collators.flatMap(([locale, o]) => pairs.map(([a, b]) => ({ locale, options: Object.fromEntries(Object.entries(o).map(([k, v]) => [k, String(v)])), a, b, want: Math.sign(new Intl.Collator(locale, o).compare(a, b)) })));
const seg = (s, g) => [...new Intl.Segmenter('en', { granularity: g }).segment(s)].map((x) => ({ segment: x.segment, index: x.index, isWordLike: x.isWordLike }));
const texts = ['Hello, world! How are you?', 'e\u0301👨‍👩‍👧🇫🇷a', 'Mr. Smith went home. He slept.', "don't stop 3.14 now", 'a_b c-d', '日本語'];
text.segment = texts.flatMap((s) => ['grapheme', 'word', 'sentence'].map((g) => ({ s, granularity: g, want: seg(s, g) })));
fs.writeFileSync('text.json', JSON.stringify(text, null, 1) + '\n');
console.log(`datetime.json: ${cases.length} cases; text.json`);
