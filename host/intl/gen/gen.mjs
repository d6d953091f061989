// gen.mjs writes ../localedata.zip: for each locale Bindery ships, the
// CLDR data of formatjs's locale-data files (what each polyfill's
// __addLocaleData takes), as JSON, and the list of IANA time zones.
//
//   cd host/intl/gen && npm install && node gen.mjs
//
// Entries: KIND/LOCALE.json for KIND numberformat, pluralrules (its rule
// function as source text, "fn"), relativetimeformat, listformat,
// displaynames (what the SDK's polyfills load through locale-data; a
// region without a file of its own has none), and
// datetime (the host's Intl.DateTimeFormat: gregorian formats, names and
// time zone names only); locales.txt; zones.txt (each IANA name and the
// one V8 resolves it to);
// versions.json (the formatjs versions, which must be the SDK's).
import fs from 'node:fs';
import { createRequire } from 'node:module';
import zlib from 'node:zlib';
import { execSync } from 'node:child_process';

const require = createRequire(import.meta.url);

// LOCALES are the locales Bindery ships: the common ones, and the regional
// variants whose formats differ from their language's.
export const LOCALES = [
  'ar', 'cs', 'da', 'de', 'de-AT', 'de-CH', 'el', 'en', 'en-AU', 'en-CA', 'en-GB', 'en-IN',
  'es', 'es-419', 'es-MX', 'fi', 'fr', 'fr-CA', 'he', 'hi', 'hu', 'id', 'it', 'ja', 'ko',
  'nb', 'nl', 'pl', 'pt', 'pt-PT', 'ro', 'ru', 'sv', 'th', 'tr', 'uk', 'vi', 'zh', 'zh-Hant',
];

const KINDS = {
  numberformat: ['@formatjs/intl-numberformat', 'NumberFormat'],
  pluralrules: ['@formatjs/intl-pluralrules', 'PluralRules'],
  relativetimeformat: ['@formatjs/intl-relativetimeformat', 'RelativeTimeFormat'],
  listformat: ['@formatjs/intl-listformat', 'ListFormat'],
  displaynames: ['@formatjs/intl-displaynames', 'DisplayNames'],
  datetime: ['@formatjs/intl-datetimeformat', 'DateTimeFormat'],
};

// load runs a locale-data file with a stand-in Intl and returns what it
// passed to __addLocaleData.
function load(pkg, ctor, locale) {
  let file;
  try {
    file = require.resolve(`${pkg}/locale-data/${locale}.js`);
  } catch {
    return undefined; // none for this region: its language's serves
  }
  let got;
  const Intl = { [ctor]: { __addLocaleData: (d) => (got = d) } };
  new Function('Intl', fs.readFileSync(file, 'utf8'))(Intl);
  if (!got) throw new Error(`${file} added no data`);
  return got;
}

// datetime keeps what the host's formatter reads.
function datetime(d) {
  const keep = ['am', 'pm', 'dayPeriods', 'dayPeriodRules', 'weekday', 'weekdayStandalone', 'era', 'month', 'monthStandalone',
    'timeZoneName', 'gmtFormat', 'hourFormat', 'dateFormat', 'timeFormat', 'dateTimeFormat', 'dateTimeFormatAtTime',
    'hourCycle', 'hourCycle12', 'hourCycle24'];
  const data = {};
  for (const k of keep) if (k in d.data) data[k] = d.data[k];
  data.formats = d.data.formats.gregory;
  return { locale: d.locale, data };
}

// zones lists "NAME CANONICAL" for every IANA name Go's time package has
// (its zoneinfo.zip) that V8 accepts, CANONICAL being the name V8's
// resolvedOptions gives ("US/Eastern America/New_York").
function zones() {
  const goroot = execSync('go env GOROOT', { encoding: 'utf8' }).trim();
  const zip = fs.readFileSync(`${goroot}/lib/time/zoneinfo.zip`);
  const names = [];
  for (let i = zip.lastIndexOf(Buffer.from([0x50, 0x4b, 0x05, 0x06])), p = zip.readUInt32LE(i + 16), n = zip.readUInt16LE(i + 10); n > 0; n--) {
    const len = zip.readUInt16LE(p + 28);
    names.push(zip.toString('utf8', p + 46, p + 46 + len));
    p += 46 + len + zip.readUInt16LE(p + 30) + zip.readUInt16LE(p + 32);
  }
  const out = [];
  for (const name of names.sort()) {
    try {
      out.push(`${name} ${new Intl.DateTimeFormat('en', { timeZone: name }).resolvedOptions().timeZone}`);
    } catch {
      // a name V8 does not know
    }
  }
  return out;
}

const files = [];
const add = (name, text) => files.push([name, Buffer.from(text, 'utf8')]);
const versions = {};
for (const [kind, [pkg, ctor]] of Object.entries(KINDS)) {
  versions[pkg] = JSON.parse(fs.readFileSync(new URL(`node_modules/${pkg}/package.json`, import.meta.url), 'utf8')).version;
  for (const locale of LOCALES) {
    let d = load(pkg, ctor, locale);
    if (!d) continue;
    if (kind === 'pluralrules') d = { ...d, data: { ...d.data, fn: d.data.fn.toString() } };
    if (kind === 'datetime') d = datetime(d);
    add(`${kind}/${locale}.json`, JSON.stringify(d));
  }
}
add('locales.txt', LOCALES.join('\n') + '\n');
add('zones.txt', zones().join('\n') + '\n');
add('versions.json', JSON.stringify(versions, null, 2) + '\n');
files.sort((a, b) => (a[0] < b[0] ? -1 : 1));

// A zip of deflated entries, written by hand (node has no zip writer);
// the date is fixed so that the file only changes with its data.
const crcTable = new Int32Array(256).map((_, n) => {
  let c = n;
  for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
  return c;
});
const crc32 = (b) => {
  let c = -1;
  for (const x of b) c = crcTable[(c ^ x) & 0xff] ^ (c >>> 8);
  return (c ^ -1) >>> 0;
};
const parts = [];
const central = [];
let offset = 0;
for (const [name, raw] of files) {
  const data = zlib.deflateRawSync(raw, { level: 9 });
  const nameB = Buffer.from(name);
  const h = Buffer.alloc(30);
  h.writeUInt32LE(0x04034b50, 0);
  h.writeUInt16LE(20, 4);
  h.writeUInt16LE(0x0800, 6); // UTF-8 names
  h.writeUInt16LE(8, 8); // deflate
  h.writeUInt16LE(0, 10);
  h.writeUInt16LE(0x21, 12); // 1980-01-01
  h.writeUInt32LE(crc32(raw), 14);
  h.writeUInt32LE(data.length, 18);
  h.writeUInt32LE(raw.length, 22);
  h.writeUInt16LE(nameB.length, 26);
  h.writeUInt16LE(0, 28);
  const c = Buffer.alloc(46);
  c.writeUInt32LE(0x02014b50, 0);
  c.writeUInt16LE(20, 4);
  c.writeUInt16LE(20, 6);
  h.copy(c, 8, 6, 28);
  c.writeUInt16LE(nameB.length, 28);
  c.writeUInt32LE(offset, 42);
  parts.push(h, nameB, data);
  central.push(c, nameB);
  offset += 30 + nameB.length + data.length;
}
const cd = Buffer.concat(central);
const end = Buffer.alloc(22);
end.writeUInt32LE(0x06054b50, 0);
end.writeUInt16LE(files.length, 8);
end.writeUInt16LE(files.length, 10);
end.writeUInt32LE(cd.length, 12);
end.writeUInt32LE(offset, 16);
const zip = Buffer.concat([...parts, cd, end]);
fs.writeFileSync(new URL('../localedata.zip', import.meta.url), zip);
const raw = files.reduce((n, [, b]) => n + b.length, 0);
console.log(`localedata.zip: ${LOCALES.length} locales, ${files.length} entries, ${raw} bytes of JSON in ${zip.length}`);
