// Unicode for Bindery Workers, on the host's bindery:intl/text. The engine
// (StarlingMonkey) is built without ICU: it has no String.prototype.normalize,
// refuses every \p{…} property escape, and compares and cases strings by
// code unit. Importing this module (runtime.js does) installs, at a cost of
// a few KiB:
//
//   - String.prototype.normalize (NFC, NFD, NFKC, NFKD, all of Unicode);
//   - a RegExp that expands \p{…} and \P{…} (u and v flags) before the
//     engine sees the pattern (literals are expanded when the Worker is
//     bundled; this is for new RegExp(...) and the v-flag literals esbuild
//     turns into calls);
//   - String.prototype.localeCompare and Intl.Collator's comparison;
//   - String.prototype.toLocaleUpperCase / toLocaleLowerCase with the rules
//     of Turkish, Azeri, Lithuanian and Greek.
//
// Intl itself (NumberFormat, DateTimeFormat, …) is intl-full.js, which the
// bundler adds only to Workers that use it: it costs start-up time.
import * as host from 'bindery:intl/text@0.1.0';

const NativeRegExp = RegExp;
const define = (obj, name, value) => Object.defineProperty(obj, name, { value, writable: true, configurable: true, enumerable: false });
const ASCII = /^[\x00-\x7f]*$/;

// --- locales -----------------------------------------------------------------

// A BCP 47 tag, loosely: what the host's parser takes.
const TAG = /^[a-zA-Z]{2,8}(-[a-zA-Z0-9]{1,8})*$/;

/**
 * requestedLocales is ECMA-402's CanonicalizeLocaleList, without the
 * canonicalization the host does: undefined is [], a string or an Intl.Locale
 * is one tag, else a list; a malformed tag is a RangeError.
 */
export function requestedLocales(locales) {
  if (locales === undefined) return [];
  const list = typeof locales === 'string' || (typeof locales === 'object' && locales !== null && typeof locales.baseName === 'string' && !Array.isArray(locales)) ? [locales] : Array.from(Object(locales));
  const out = [];
  for (const l of list) {
    if (typeof l !== 'string' && (typeof l !== 'object' || l === null)) throw new TypeError('Language ID should be string or object.');
    const tag = String(l);
    if (!TAG.test(tag)) throw new RangeError(`Incorrect locale information provided`);
    if (!out.includes(tag)) out.push(tag);
  }
  return out;
}

// --- options ----------------------------------------------------------------

/** getOption is ECMA-402's GetOption for a string (values) or boolean option. */
export function getOption(options, name, type, values, fallback, ctor) {
  let v = options[name];
  if (v === undefined) return fallback;
  if (type === 'boolean') return Boolean(v);
  v = String(v);
  if (values && !values.includes(v)) throw new RangeError(`Value ${v} out of range for ${ctor} options property ${name}`);
  return v;
}

/** toOptions is ECMA-402's CoerceOptionsToObject (undefined is {}). */
export function toOptions(options) {
  if (options === undefined) return Object.create(null);
  if (options === null) throw new TypeError('Cannot convert undefined or null to object');
  return Object(options);
}

// --- normalize ---------------------------------------------------------------

const FORMS = { NFC: 'nfc', NFD: 'nfd', NFKC: 'nfkc', NFKD: 'nfkd' };

define(String.prototype, 'normalize', {
  normalize(form = 'NFC') {
    if (this == null) throw new TypeError('String.prototype.normalize called on null or undefined');
    const s = String(this);
    const f = FORMS[String(form)];
    if (!f) throw new RangeError('The normalization form should be one of NFC, NFD, NFKC, NFKD.');
    if (ASCII.test(s)) return s; // ASCII is the same in every form
    if (s.isWellFormed()) return host.normalize(s, f);
    // A lone surrogate stays itself (UTF-8 cannot carry it to the host);
    // the text around it is normalized.
    let out = '';
    let start = 0;
    for (let i = 0; i < s.length; i++) {
      const c = s.charCodeAt(i);
      if (c < 0xd800 || c > 0xdfff) continue;
      if (c <= 0xdbff && i + 1 < s.length && (s.charCodeAt(i + 1) & 0xfc00) === 0xdc00) {
        i++;
        continue;
      }
      out += host.normalize(s.slice(start, i), f) + s[i];
      start = i + 1;
    }
    return out + host.normalize(s.slice(start), f);
  },
}.normalize);

// --- RegExp ------------------------------------------------------------------

// Expanded patterns, by flags and pattern: a pattern made in a loop asks
// the host once.
const expanded = new Map();
const MAX_EXPANDED = 256;

/** expandPattern returns pattern with its \p{…} escapes expanded (for flags u or v). */
export function expandPattern(pattern, flags) {
  if (!/[uv]/.test(flags) || (!pattern.includes('\\p{') && !pattern.includes('\\P{'))) return pattern;
  const key = `${flags}/${pattern}`;
  let out = expanded.get(key);
  if (out === undefined) {
    try {
      out = host.expandRegexp(pattern, flags);
    } catch (e) {
      throw new SyntaxError(`Invalid regular expression: /${pattern}/${flags}: Invalid property name`);
    }
    if (expanded.size >= MAX_EXPANDED) expanded.clear();
    expanded.set(key, out);
  }
  return out;
}

// RegExp is the engine's, behind a Proxy that expands the pattern of a
// string (or of an object that is not a RegExp) first: instanceof,
// RegExp.prototype, subclasses (class X extends RegExp) and Symbol.species
// all stay the engine's.
const rewriteArgs = (args) => {
  const [pattern, flags] = args;
  if (pattern === undefined || (typeof pattern === 'object' && pattern !== null && pattern instanceof NativeRegExp && flags === undefined)) return args;
  const src = pattern instanceof NativeRegExp ? pattern.source : String(pattern);
  const f = flags === undefined ? (pattern instanceof NativeRegExp ? pattern.flags : '') : String(flags);
  const out = expandPattern(src, f);
  return out === src ? args : [out, f];
};
const BinderyRegExp = new Proxy(NativeRegExp, {
  construct(target, args, newTarget) {
    return Reflect.construct(target, rewriteArgs(args), newTarget === BinderyRegExp ? target : newTarget);
  },
  apply(target, self, args) {
    const [pattern, flags] = args;
    // RegExp(re) returns re itself when it is one and no flags are given.
    if (flags === undefined && pattern instanceof NativeRegExp && pattern.constructor === BinderyRegExp) return pattern;
    return Reflect.construct(target, rewriteArgs(args));
  },
  // The legacy statics (RegExp.$1, RegExp.lastMatch) check that they are
  // read from the engine's RegExp.
  get: (target, key) => Reflect.get(target, key, target),
  set: (target, key, value) => Reflect.set(target, key, value, target),
});
define(NativeRegExp.prototype, 'constructor', BinderyRegExp);
define(globalThis, 'RegExp', BinderyRegExp);

// --- collation ------------------------------------------------------------------

const COLLATOR_OPTIONS = [
  ['usage', 'string', ['sort', 'search']],
  ['numeric', 'boolean'],
  ['caseFirst', 'string', ['upper', 'lower', 'false']],
  ['sensitivity', 'string', ['base', 'accent', 'case', 'variant']],
  ['ignorePunctuation', 'boolean'],
];

/** resolveCollator asks the host for a collator: its resolved options and key. */
export function resolveCollator(locales, options) {
  const requested = requestedLocales(locales);
  const o = toOptions(options);
  const fields = [];
  getOption(o, 'localeMatcher', 'string', ['lookup', 'best fit'], 'best fit', 'Intl.Collator');
  for (const [name, type, values] of COLLATOR_OPTIONS) {
    const v = getOption(o, name, type, values, undefined, 'Intl.Collator');
    if (v !== undefined) fields.push({ name, value: String(v) });
  }
  const r = {};
  for (const { name, value } of host.collatorResolve(requested, fields)) r[name] = value;
  return r;
}

// Collators localeCompare made, by their locales when no options were
// given (the common call: a.localeCompare(b) or a.localeCompare(b, 'de')).
const collators = new Map();

define(String.prototype, 'localeCompare', {
  localeCompare(that) {
    const [, locales, options] = arguments;
    if (this == null) throw new TypeError('String.prototype.localeCompare called on null or undefined');
    const a = String(this);
    const b = String(that);
    let key;
    if (options === undefined && (locales === undefined || typeof locales === 'string')) {
      const k = locales ?? '';
      key = collators.get(k);
      if (key === undefined) {
        key = resolveCollator(locales, undefined).key;
        if (collators.size >= 64) collators.clear();
        collators.set(k, key);
      }
    } else {
      key = resolveCollator(locales, options).key;
    }
    return compareWith(key, a, b);
  },
}.localeCompare);

// Sort keys, by collator and string: a sort asks the host once per string
// (sort-key), not once per comparison, and compares keys here (their
// UTF-16 order is the collation's). Long strings are compared by the host.
const sortKeys = new Map();
const MAX_KEYS = 4096;
const MAX_KEYED_LENGTH = 1024;

function sortKey(key, s) {
  let m = sortKeys.get(key);
  if (m === undefined) {
    if (sortKeys.size >= 16) sortKeys.clear();
    m = new Map();
    sortKeys.set(key, m);
  }
  let k = m.get(s);
  if (k === undefined) {
    k = host.sortKey(key, s);
    if (m.size >= MAX_KEYS) m.clear();
    m.set(s, k);
  }
  return k;
}

/** compareWith compares two strings with the host's collator key: -1, 0 or 1. */
export function compareWith(key, a, b) {
  if (a === b) return 0;
  if (a.length > MAX_KEYED_LENGTH || b.length > MAX_KEYED_LENGTH) {
    const r = host.compare(key, a, b);
    return r < 0 ? -1 : r > 0 ? 1 : 0;
  }
  const ka = sortKey(key, a);
  const kb = sortKey(key, b);
  return ka < kb ? -1 : ka > kb ? 1 : 0;
}

// --- case mapping ---------------------------------------------------------------

const nativeUpper = String.prototype.toUpperCase;
const nativeLower = String.prototype.toLowerCase;
// The languages whose case rules differ from Unicode's default ones.
const SPECIAL_CASE = new Set(['tr', 'az', 'lt', 'el']);

function caseLocale(locales) {
  const l = requestedLocales(locales)[0];
  if (l === undefined) return undefined;
  const lang = l.split('-')[0].toLowerCase();
  return SPECIAL_CASE.has(lang) ? l : undefined;
}

define(String.prototype, 'toLocaleUpperCase', {
  toLocaleUpperCase() {
    const [locales] = arguments;
    if (this == null) throw new TypeError('String.prototype.toLocaleUpperCase called on null or undefined');
    const s = String(this);
    const l = caseLocale(locales);
    return l === undefined || ASCII.test(s) && !/i/.test(s) ? nativeUpper.call(s) : host.toUpperCase(s, l);
  },
}.toLocaleUpperCase);

define(String.prototype, 'toLocaleLowerCase', {
  toLocaleLowerCase() {
    const [locales] = arguments;
    if (this == null) throw new TypeError('String.prototype.toLocaleLowerCase called on null or undefined');
    const s = String(this);
    const l = caseLocale(locales);
    return l === undefined || ASCII.test(s) && !/I/.test(s) ? nativeLower.call(s) : host.toLowerCase(s, l);
  },
}.toLocaleLowerCase);
