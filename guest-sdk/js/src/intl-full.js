// Intl for Bindery Workers. The bundler adds this module to a Worker that
// names Intl or a toLocale…String method (internal/jsbuild): it costs
// start-up time, which a Worker that never formats should not pay.
//
// What computes what (docs/design.md says why):
//
//   - Intl.getCanonicalLocales, Intl.Locale, Intl.PluralRules,
//     Intl.NumberFormat (and Number's and BigInt's toLocaleString),
//     Intl.RelativeTimeFormat, Intl.ListFormat and Intl.DisplayNames are
//     formatjs's polyfills (npm, pinned by package.json), in JavaScript;
//     their CLDR data comes from the host (locale-data), one locale at a
//     time, when a formatter first asks for it. English is loaded here, so
//     it is in the Worker's snapshot.
//   - Intl.DateTimeFormat (and Date's toLocaleString, toLocaleDateString,
//     toLocaleTimeString) is the host's: it picks the pattern and formats
//     in Go (formatjs's in an interpreter takes seconds per locale).
//   - Intl.Collator and Intl.Segmenter are the host's (x/text's collation,
//     UAX #29 segmentation).
import * as host from 'bindery:intl/text@0.1.0';
import { requestedLocales, getOption, toOptions, resolveCollator, compareWith } from './intl.js';
import '@formatjs/intl-getcanonicallocales/polyfill-force.js';
import '@formatjs/intl-locale/polyfill-force.js';
import '@formatjs/intl-pluralrules/polyfill-force.js';
import '@formatjs/intl-numberformat/polyfill-force.js';
import '@formatjs/intl-relativetimeformat/polyfill-force.js';
import '@formatjs/intl-listformat/polyfill-force.js';
import '@formatjs/intl-displaynames/polyfill-force.js';

const define = (obj, name, value) => Object.defineProperty(obj, name, { value, writable: true, configurable: true, enumerable: false });

// --- locale data ------------------------------------------------------------------

// The locales the host has data for, and what each polyfill needs.
const available = new Set(host.locales());
const NEEDS = {
  PluralRules: ['pluralrules'],
  NumberFormat: ['numberformat', 'pluralrules'],
  RelativeTimeFormat: ['relativetimeformat', 'numberformat', 'pluralrules'],
  ListFormat: ['listformat'],
  DisplayNames: ['displaynames'],
};
const CTOR = { pluralrules: 'PluralRules', numberformat: 'NumberFormat', relativetimeformat: 'RelativeTimeFormat', listformat: 'ListFormat', displaynames: 'DisplayNames' };
const loaded = new Set(); // "kind/locale"

/** dataLocale returns the locale the host has data for that serves tag ("de-LU" → "de"), or undefined. */
export function dataLocale(tag) {
  const [lang, ...rest] = tag.split('-u-')[0].split('-x-')[0].split('-');
  const l = lang.toLowerCase();
  let script;
  let region;
  for (const p of rest) {
    if (p.length === 4 && /^[a-z]+$/i.test(p)) script = p[0].toUpperCase() + p.slice(1).toLowerCase();
    else if (/^([a-z]{2}|\d{3})$/i.test(p)) region = p.toUpperCase();
  }
  const candidates = [];
  if (script && region) candidates.push(`${l}-${script}-${region}`);
  if (region) candidates.push(`${l}-${region}`);
  if (script) candidates.push(`${l}-${script}`);
  if (l === 'zh' && script !== 'Hans' && ['TW', 'HK', 'MO'].includes(region)) candidates.push('zh-Hant');
  if (l === 'es' && region && region !== 'ES') candidates.push('es-419');
  if (l === 'en' && region && region !== 'US') candidates.push('en-GB');
  if (l === 'pt' && region && region !== 'BR') candidates.push('pt-PT');
  candidates.push(l);
  return candidates.find((c) => available.has(c));
}

// load adds one kind of data for one locale (and its language's, which a
// region may lack) to its polyfill.
function load(kind, locale) {
  for (const l of locale.includes('-') ? [locale.split('-')[0], locale] : [locale]) {
    const k = `${kind}/${l}`;
    if (loaded.has(k)) continue;
    loaded.add(k);
    const json = host.localeData(kind, l);
    if (json === undefined) continue;
    const d = JSON.parse(json);
    if (kind === 'pluralrules') d.data.fn = (0, eval)(`(${d.data.fn})`);
    Intl[CTOR[kind]].__addLocaleData(d);
  }
}

// ensure loads what a polyfill needs for the locales a Worker asked for.
function ensure(ctor, locales) {
  let tags;
  try {
    tags = Intl.getCanonicalLocales(locales);
  } catch {
    return; // the polyfill throws the same error
  }
  for (const tag of tags) {
    const l = dataLocale(tag);
    if (l) for (const kind of NEEDS[ctor]) load(kind, l);
  }
}

// Each polyfill's constructor and supportedLocalesOf load data first; the
// constructor stays the polyfill's (instanceof, prototype, subclasses).
for (const name of Object.keys(NEEDS)) {
  const Ctor = Intl[name];
  const supportedLocalesOf = Ctor.supportedLocalesOf;
  define(Ctor, 'supportedLocalesOf', function (locales, options) {
    ensure(name, locales);
    return Reflect.apply(supportedLocalesOf, this, [locales, options]);
  });
  const proxy = new Proxy(Ctor, {
    construct(target, args, newTarget) {
      ensure(name, args[0]);
      return Reflect.construct(target, args, newTarget === proxy ? target : newTarget);
    },
    apply(target, self, args) {
      ensure(name, args[0]);
      return Reflect.apply(target, self, args);
    },
  });
  define(Intl, name, proxy);
  for (const kind of NEEDS[name]) load(kind, 'en'); // in the snapshot
  if ('__defaultLocale' in Ctor) {
    try {
      Ctor.__defaultLocale = 'en-US'; // Workers' default locale
    } catch {}
  }
}
// Number's and BigInt's toLocaleString keep the formatters they make, by
// locales and options (formatjs makes one per call, ~1 ms in the engine).
const numberFormatters = new Map();
function numberFormatter(locales, options) {
  let key;
  if ((locales === undefined || typeof locales === 'string') && (options === undefined || (typeof options === 'object' && options !== null && Object.getPrototypeOf(options) === Object.prototype))) {
    try {
      key = `${locales ?? ''}\u0000${options === undefined ? '' : JSON.stringify(options)}`;
    } catch {
      key = undefined;
    }
  }
  let f = key === undefined ? undefined : numberFormatters.get(key);
  if (f === undefined) {
    f = new Intl.NumberFormat(locales, options);
    if (key !== undefined) {
      if (numberFormatters.size >= 64) numberFormatters.clear();
      numberFormatters.set(key, f);
    }
  }
  return f;
}
const numberValue = Number.prototype.valueOf;
define(Number.prototype, 'toLocaleString', {
  toLocaleString() {
    const [locales, options] = arguments;
    return numberFormatter(locales, options).format(Reflect.apply(numberValue, this, []));
  },
}.toLocaleString);
if (typeof BigInt === 'function') {
  const bigintValue = BigInt.prototype.valueOf;
  define(BigInt.prototype, 'toLocaleString', {
    toLocaleString() {
      const [locales, options] = arguments;
      return numberFormatter(locales, options).format(Reflect.apply(bigintValue, this, []));
    },
  }.toLocaleString);
}

// Array's and typed arrays' toLocaleString pass the locales and options on
// to each element, as ECMA-402 says (the engine's pass neither).
for (const proto of [Array.prototype, Object.getPrototypeOf(Int8Array.prototype)]) {
  define(proto, 'toLocaleString', {
    toLocaleString() {
      const [locales, options] = arguments;
      const o = Object(this);
      const len = Number(o.length) || 0;
      let out = '';
      for (let i = 0; i < len; i++) {
        if (i > 0) out += ',';
        const v = o[i];
        if (v !== undefined && v !== null) out += String(v.toLocaleString(locales, options));
      }
      return out;
    },
  }.toLocaleString);
}
Object.defineProperty(Intl, Symbol.toStringTag, { value: 'Intl', configurable: true });

// --- internal slots ------------------------------------------------------------------

const slots = new WeakMap();
const slot = (obj, ctor, method) => {
  const s = slots.get(obj);
  if (!s || s.ctor !== ctor) throw new TypeError(`Method Intl.${ctor}.prototype.${method} called on incompatible receiver ${String(obj)}`);
  return s;
};

// --- Intl.DateTimeFormat ------------------------------------------------------------

const COMPONENTS = [
  ['weekday', ['narrow', 'short', 'long']],
  ['era', ['narrow', 'short', 'long']],
  ['year', ['2-digit', 'numeric']],
  ['month', ['2-digit', 'numeric', 'narrow', 'short', 'long']],
  ['day', ['2-digit', 'numeric']],
  ['dayPeriod', ['narrow', 'short', 'long']],
  ['hour', ['2-digit', 'numeric']],
  ['minute', ['2-digit', 'numeric']],
  ['second', ['2-digit', 'numeric']],
  ['fractionalSecondDigits'],
  ['timeZoneName', ['short', 'long', 'shortOffset', 'longOffset', 'shortGeneric', 'longGeneric']],
];
const STYLES = ['full', 'long', 'medium', 'short'];
const RESOLVED = ['locale', 'calendar', 'numberingSystem', 'timeZone', 'hourCycle', 'hour12', 'weekday', 'era', 'year', 'month', 'day', 'dayPeriod', 'hour', 'minute', 'second', 'fractionalSecondDigits', 'timeZoneName', 'dateStyle', 'timeStyle'];

// createDateTimeFormat is ECMA-402's CreateDateTimeFormat: the options as
// fields for the host, with the defaults (required: date, time or any;
// defaults: date, time or all) applied.
function createDateTimeFormat(obj, locales, options, required, defaults) {
  const requested = requestedLocales(locales);
  const o = toOptions(options);
  const C = 'Intl.DateTimeFormat';
  const fields = [];
  const set = (name, v) => v !== undefined && fields.push({ name, value: String(v) });
  getOption(o, 'localeMatcher', 'string', ['lookup', 'best fit'], 'best fit', C);
  const calendar = getOption(o, 'calendar', 'string', undefined, undefined, C);
  if (calendar !== undefined && !/^[a-z0-9]{3,8}(-[a-z0-9]{3,8})*$/i.test(calendar)) throw new RangeError(`Invalid calendar : ${calendar}`);
  const nu = getOption(o, 'numberingSystem', 'string', undefined, undefined, C);
  if (nu !== undefined && !/^[a-z0-9]{3,8}(-[a-z0-9]{3,8})*$/i.test(nu)) throw new RangeError(`Invalid numberingSystem : ${nu}`);
  set('hour12', getOption(o, 'hour12', 'boolean'));
  set('hourCycle', getOption(o, 'hourCycle', 'string', ['h11', 'h12', 'h23', 'h24'], undefined, C));
  const tz = o.timeZone;
  if (tz !== undefined) set('timeZone', String(tz));
  const comp = {};
  for (const [name, values] of COMPONENTS) {
    if (name === 'fractionalSecondDigits') {
      const v = o[name];
      if (v !== undefined) {
        const n = Math.floor(Number(v));
        if (!(n >= 1 && n <= 3)) throw new RangeError(`${name} value is out of range.`);
        comp[name] = n;
      }
      continue;
    }
    comp[name] = getOption(o, name, 'string', values, undefined, C);
  }
  getOption(o, 'formatMatcher', 'string', ['basic', 'best fit'], 'best fit', C);
  const dateStyle = getOption(o, 'dateStyle', 'string', STYLES, undefined, C);
  const timeStyle = getOption(o, 'timeStyle', 'string', STYLES, undefined, C);
  if (dateStyle !== undefined || timeStyle !== undefined) {
    for (const [name] of COMPONENTS) {
      if (comp[name] !== undefined) throw new TypeError(`Can't set option ${name} when ${dateStyle !== undefined ? 'dateStyle' : 'timeStyle'} is used`);
    }
    if (required === 'date' && timeStyle !== undefined && dateStyle === undefined) throw new TypeError("Invalid option : timeStyle");
    if (required === 'time' && dateStyle !== undefined && timeStyle === undefined) throw new TypeError("Invalid option : dateStyle");
    set('dateStyle', dateStyle);
    set('timeStyle', timeStyle);
  } else {
    let needDefaults = true;
    if ((required === 'date' || required === 'any') && ['weekday', 'year', 'month', 'day'].some((k) => comp[k] !== undefined)) needDefaults = false;
    if ((required === 'time' || required === 'any') && ['dayPeriod', 'hour', 'minute', 'second', 'fractionalSecondDigits'].some((k) => comp[k] !== undefined)) needDefaults = false;
    if (needDefaults && (defaults === 'date' || defaults === 'all')) comp.year = comp.month = comp.day = 'numeric';
    if (needDefaults && (defaults === 'time' || defaults === 'all')) comp.hour = comp.minute = comp.second = 'numeric';
    for (const [name] of COMPONENTS) set(name, comp[name]);
  }
  let res;
  try {
    res = host.dateTimeResolve(requested, fields);
  } catch (e) {
    throw new RangeError(typeof e?.payload === 'string' ? e.payload : String(e));
  }
  const r = {};
  for (const { name, value } of res) r[name] = value;
  slots.set(obj, { ctor: 'DateTimeFormat', r });
  return obj;
}

// timeValue is the instant a date argument names (ECMA-402's
// ToDateTimeFormattable for Date and numbers), or a RangeError.
function timeValue(date) {
  const x = date === undefined ? Date.now() : Number(date);
  if (!Number.isFinite(x) || Math.abs(x) > 8.64e15) throw new RangeError('Invalid time value');
  return x;
}

function formatParts(s, date) {
  return host.formatDate(s.r.dataLocale, s.r.pattern, s.r.timeZone, timeValue(date)).map(({ name, value }) => ({ type: name, value }));
}

// The string forms have U+202F (CLDR's narrow no-break space, before AM
// and PM) as a plain space, as V8 has them for the web's sake;
// formatToParts keeps it. The host joins them (one string to lift, not a
// list).
const formatString = (s, date) => host.formatDateText(s.r.dataLocale, s.r.pattern, s.r.timeZone, timeValue(date));

/** DateTimeFormat is Intl.DateTimeFormat, computed by the host (Gregorian calendar, Latin digits). */
export function DateTimeFormat(locales, options) {
  if (!new.target) return new DateTimeFormat(locales, options);
  createDateTimeFormat(this, locales, options, 'any', 'date');
}
Object.defineProperty(DateTimeFormat.prototype, 'format', {
  configurable: true,
  get() {
    const s = slot(this, 'DateTimeFormat', 'format');
    if (!s.format) s.format = (date) => formatString(s, date);
    return s.format;
  },
});
define(DateTimeFormat.prototype, 'formatToParts', function formatToParts(date) {
  return formatParts(slot(this, 'DateTimeFormat', 'formatToParts'), date);
});
define(DateTimeFormat.prototype, 'resolvedOptions', function resolvedOptions() {
  const { r } = slot(this, 'DateTimeFormat', 'resolvedOptions');
  const out = {};
  for (const k of RESOLVED) {
    if (r[k] === undefined) continue;
    out[k] = k === 'hour12' ? r[k] === 'true' : k === 'fractionalSecondDigits' ? Number(r[k]) : r[k];
  }
  return out;
});
// formatRange: the two dates joined with the locale's range separator, or
// one when they format the same (CLDR's interval patterns, which also
// share the fields both dates have, are not used).
define(DateTimeFormat.prototype, 'formatRangeToParts', function formatRangeToParts(start, end) {
  const s = slot(this, 'DateTimeFormat', 'formatRangeToParts');
  if (start === undefined || end === undefined) throw new TypeError('startDate/endDate cannot be undefined');
  const a = formatParts(s, start);
  const b = formatParts(s, end);
  const same = a.length === b.length && a.every((p, i) => p.value === b[i].value);
  if (same) return a.map((p) => ({ ...p, source: 'shared' }));
  return [...a.map((p) => ({ ...p, source: 'startRange' })), { type: 'literal', value: ' – ', source: 'shared' }, ...b.map((p) => ({ ...p, source: 'endRange' }))];
});
define(DateTimeFormat.prototype, 'formatRange', function formatRange(start, end) {
  return this.formatRangeToParts(start, end).map((p) => p.value).join('').replace(/\u202f/g, ' ');
});
define(DateTimeFormat, 'supportedLocalesOf', function supportedLocalesOf(locales) {
  return requestedLocales(locales).filter((l) => dataLocale(l) !== undefined);
});
Object.defineProperty(DateTimeFormat.prototype, Symbol.toStringTag, { value: 'Intl.DateTimeFormat', configurable: true });
Object.defineProperty(DateTimeFormat, 'length', { value: 0, configurable: true });
define(Intl, 'DateTimeFormat', DateTimeFormat);

// Date's toLocale…String, with a cache of the formatters made without
// options (date.toLocaleString() in a loop makes one).
const dateFormatters = new Map();
function dateFormatter(locales, options, required, defaults) {
  const cacheable = options === undefined && (locales === undefined || typeof locales === 'string');
  const key = `${required}/${locales ?? ''}`;
  if (cacheable && dateFormatters.has(key)) return dateFormatters.get(key);
  const f = createDateTimeFormat(Object.create(DateTimeFormat.prototype), locales, options, required, defaults);
  if (cacheable) {
    if (dateFormatters.size >= 64) dateFormatters.clear();
    dateFormatters.set(key, f);
  }
  return f;
}
const dateValue = Date.prototype.valueOf;
for (const [name, required, defaults] of [['toLocaleString', 'any', 'all'], ['toLocaleDateString', 'date', 'date'], ['toLocaleTimeString', 'time', 'time']]) {
  define(Date.prototype, name, {
    [name]() {
      const [locales, options] = arguments;
      const t = Reflect.apply(dateValue, this, []);
      if (Number.isNaN(t)) return 'Invalid Date';
      return formatString(slots.get(dateFormatter(locales, options, required, defaults)), t);
    },
  }[name]);
}

// --- Intl.Collator ----------------------------------------------------------------------

/** Collator is Intl.Collator, compared by the host (x/text's collation). */
export function Collator(locales, options) {
  if (!new.target) return new Collator(locales, options);
  slots.set(this, { ctor: 'Collator', r: resolveCollator(locales, options) });
}
Object.defineProperty(Collator.prototype, 'compare', {
  configurable: true,
  get() {
    const s = slot(this, 'Collator', 'compare');
    if (!s.compare) s.compare = (a, b) => compareWith(s.r.key, String(a), String(b));
    return s.compare;
  },
});
define(Collator.prototype, 'resolvedOptions', function resolvedOptions() {
  const { r } = slot(this, 'Collator', 'resolvedOptions');
  return {
    locale: r.locale,
    usage: r.usage,
    sensitivity: r.sensitivity,
    ignorePunctuation: r.ignorePunctuation === 'true',
    collation: r.collation,
    numeric: r.numeric === 'true',
    caseFirst: r.caseFirst,
  };
});
define(Collator, 'supportedLocalesOf', function supportedLocalesOf(locales) {
  return requestedLocales(locales);
});
Object.defineProperty(Collator.prototype, Symbol.toStringTag, { value: 'Intl.Collator', configurable: true });
Object.defineProperty(Collator, 'length', { value: 0, configurable: true });
define(Intl, 'Collator', Collator);

// --- Intl.Segmenter ----------------------------------------------------------------------

/** Segmenter is Intl.Segmenter, broken by the host (UAX #29). */
export class Segmenter {
  constructor(locales, options) {
    const requested = requestedLocales(locales);
    const o = toOptions(options);
    getOption(o, 'localeMatcher', 'string', ['lookup', 'best fit'], 'best fit', 'Intl.Segmenter');
    const granularity = getOption(o, 'granularity', 'string', ['grapheme', 'word', 'sentence'], 'grapheme', 'Intl.Segmenter');
    let locale = 'en-US';
    for (const tag of Intl.getCanonicalLocales(requested)) {
      if (dataLocale(tag)) {
        locale = tag.split('-u-')[0];
        break;
      }
    }
    slots.set(this, { ctor: 'Segmenter', locale, granularity });
  }

  segment(input) {
    const s = slot(this, 'Segmenter', 'segment');
    return new Segments(s.granularity, String(input));
  }

  resolvedOptions() {
    const s = slot(this, 'Segmenter', 'resolvedOptions');
    return { locale: s.locale, granularity: s.granularity };
  }

  static supportedLocalesOf(locales) {
    return Intl.getCanonicalLocales(requestedLocales(locales)).filter((l) => dataLocale(l) !== undefined);
  }
}
Object.defineProperty(Segmenter.prototype, Symbol.toStringTag, { value: 'Intl.Segmenter', configurable: true });
Object.defineProperty(Segmenter, 'length', { value: 0, configurable: true });

const GRANULARITY = { grapheme: 'grapheme', word: 'word', sentence: 'sentence' };

// Segments is what Segmenter.prototype.segment returns: iterable, with
// containing(index). The host breaks the string once, when first asked.
class Segments {
  #granularity;
  #input;
  #ends;
  #wordLike;
  constructor(granularity, input) {
    this.#granularity = granularity;
    this.#input = input;
  }

  #breaks() {
    if (!this.#ends) {
      const segs = this.#input === '' ? [] : host.segmentText(this.#input, GRANULARITY[this.#granularity]);
      this.#ends = segs.map((s) => s.end);
      this.#wordLike = segs.map((s) => s.wordLike);
    }
  }

  #data(i) {
    const start = i === 0 ? 0 : this.#ends[i - 1];
    const d = { segment: this.#input.slice(start, this.#ends[i]), index: start, input: this.#input };
    if (this.#granularity === 'word') d.isWordLike = this.#wordLike[i];
    return d;
  }

  containing(index) {
    this.#breaks();
    let n = Math.trunc(Number(index));
    if (Number.isNaN(n)) n = 0;
    if (n < 0 || n >= this.#input.length) return undefined;
    let lo = 0;
    let hi = this.#ends.length - 1;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (this.#ends[mid] <= n) lo = mid + 1;
      else hi = mid;
    }
    return this.#data(lo);
  }

  *[Symbol.iterator]() {
    this.#breaks();
    for (let i = 0; i < this.#ends.length; i++) yield this.#data(i);
  }
}
define(Intl, 'Segmenter', Segmenter);
