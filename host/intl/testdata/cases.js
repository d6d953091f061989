// The cases of host/intl's TestJSWorker: each runs in node (gen.mjs writes
// its answer to js.json) and in a real Worker (worker.js), whose answers
// must be node's. Regular expression literals are in the source on
// purpose: the bundler expands them.
const d = new Date(Date.UTC(2024, 2, 5, 14, 7, 9, 45));
const nf = (l, o, x) => new Intl.NumberFormat(l, o).format(x);
const dtf = (l, o, x = d) => new Intl.DateTimeFormat(l, o).format(x);
const parts = (f) => f.map((p) => `${p.type}:${p.value}`).join('|');
const seg = (s, g, l = 'en') => [...new Intl.Segmenter(l, { granularity: g }).segment(s)].map((x) => (g === 'word' ? `${x.segment}${x.isWordLike ? '*' : ''}` : x.segment));
const errorName = (f) => {
  try {
    f();
    return 'no error';
  } catch (e) {
    return e.name;
  }
};

export const cases = {
  // String.prototype.normalize
  'normalize NFC': () => 'e\u0301'.normalize(),
  'normalize NFD length': () => 'é'.normalize('NFD').length,
  'normalize NFKC ligature': () => 'ﬁ①'.normalize('NFKC'),
  'normalize NFKD': () => 'Å'.normalize('NFKD').length,
  'normalize Hangul': () => '\u1100\u1161'.normalize('NFC'),
  'normalize lone surrogate': () => ('e\u0301\ud800x'.normalize() === '\u00e9\ud800x'),
  'normalize bad form': () => errorName(() => 'a'.normalize('NFX')),

  // Unicode property escapes: literals (expanded when bundled) and new RegExp
  'regexp \\p{L}+': () => /\p{L}+/u.exec('42 héllo wörld')[0],
  'regexp Script=Greek': () => /\p{Script=Greek}/u.test('α') && !/\p{Script=Greek}/u.test('a'),
  'regexp sc=Cyrl match': () => 'Привет, мир'.match(/\p{sc=Cyrl}+/gu).join(','),
  'regexp \\P{L}': () => 'a1b2c'.replace(/\P{L}/gu, ''),
  'regexp class': () => 'hello_world 42!'.match(/[\p{L}\p{N}]+/gu).join('|'),
  'regexp negated class': () => 'a1 é!'.replace(/[^\p{L}]/gu, ''),
  'regexp Emoji_Presentation': () => 'hi 😀 there 🎉'.match(/\p{Emoji_Presentation}/gu).join(''),
  'regexp Extended_Pictographic': () => /\p{Extended_Pictographic}/u.test('❤'),
  'regexp punctuation': () => 'a-b, c.d!'.replace(/\p{P}/gu, ''),
  'regexp Lu with i': () => /^\p{Lu}+$/iu.test('abc'),
  'regexp split': () => 'one1two22three'.split(/\p{Nd}+/u).join(','),
  'regexp v flag': () => /[\p{L}--[a-z]]/v.test('é') && !/[\p{L}--[a-z]]/v.test('b'),
  'regexp v flag and': () => /^[\p{L}&&\p{Script=Latin}]+$/v.test('héllo'),
  'regexp new RegExp': () => new RegExp('\\p{Lu}\\p{Ll}+', 'u').exec('hello World')[0],
  'regexp new RegExp class': () => new RegExp('[\\p{Script=Han}\\p{Script=Hiragana}]+', 'gu').exec('日本語のテキスト')[0],
  'regexp RegExp()': () => RegExp('\\p{N}', 'u').test('٣'),
  'regexp unknown property': () => errorName(() => new RegExp('\\p{Foo}', 'u')),
  'regexp no u flag': () => new RegExp('\\p{L}').test('p{L}'),
  'regexp instanceof': () => new RegExp('\\p{L}', 'u') instanceof RegExp && /x/ instanceof RegExp,
  'regexp named group': () => '2024-03'.replace(/(?<y>\p{Nd}{4})-(?<m>\p{Nd}{2})/u, '$<m>/$<y>'),
  'regexp subclass': () => {
    class R extends RegExp {}
    return new R('\\p{L}+', 'u').exec('ab1')[0];
  },
  'regexp in string untouched': () => '/\\p{L}/u'.length,
  'regexp legacy statics': () => {
    /(b)(c)/.exec('abcd');
    return [RegExp.$1, RegExp.$2, RegExp.lastMatch, RegExp['$`']].join(',');
  },
  'regexp species': () => 'a1b2'.split(new RegExp('\\p{Nd}', 'u')).join('|'),

  // Intl.NumberFormat and Number.prototype.toLocaleString
  'number default': () => (1234567.891).toLocaleString(),
  'number de': () => (1234567.891).toLocaleString('de-DE'),
  'number fr': () => (1234567.891).toLocaleString('fr'),
  'number hi lakh': () => (12345678).toLocaleString('hi-IN'),
  'number en-IN': () => (12345678).toLocaleString('en-IN'),
  'number ja': () => nf('ja', {}, 1234.5),
  'number percent': () => nf('en', { style: 'percent' }, 0.256),
  'number percent de': () => nf('de', { style: 'percent', maximumFractionDigits: 1 }, 0.256),
  'number currency USD': () => nf('en-US', { style: 'currency', currency: 'USD' }, 1234.5),
  'number currency EUR de': () => nf('de-DE', { style: 'currency', currency: 'EUR' }, 1234.5),
  'number currency EUR fr': () => nf('fr-FR', { style: 'currency', currency: 'EUR' }, 1234.5),
  'number currency JPY': () => nf('ja-JP', { style: 'currency', currency: 'JPY' }, 1234.5),
  'number currency GBP en-GB': () => nf('en-GB', { style: 'currency', currency: 'GBP' }, -9.99),
  'number currency name': () => nf('en', { style: 'currency', currency: 'EUR', currencyDisplay: 'name' }, 2),
  'number currency code': () => nf('en', { style: 'currency', currency: 'EUR', currencyDisplay: 'code' }, 2),
  'number accounting': () => nf('en', { style: 'currency', currency: 'USD', currencySign: 'accounting' }, -5),
  'number unit': () => nf('en', { style: 'unit', unit: 'kilometer-per-hour' }, 50),
  'number unit long': () => nf('de', { style: 'unit', unit: 'liter', unitDisplay: 'long' }, 2),
  'number unit narrow': () => nf('en', { style: 'unit', unit: 'kilobyte', unitDisplay: 'narrow' }, 512),
  'number compact short': () => nf('en', { notation: 'compact' }, 1234567),
  'number compact long': () => nf('en', { notation: 'compact', compactDisplay: 'long' }, 1234567),
  'number compact de': () => nf('de', { notation: 'compact' }, 1234567),
  'number compact ja': () => nf('ja', { notation: 'compact' }, 123456789),
  'number scientific': () => nf('en', { notation: 'scientific' }, 123456),
  'number engineering': () => nf('en', { notation: 'engineering' }, 123456),
  'number digits': () => nf('en', { minimumFractionDigits: 2, maximumFractionDigits: 2 }, 3.14159),
  'number integer digits': () => nf('en', { minimumIntegerDigits: 3 }, 7),
  'number significant': () => nf('en', { maximumSignificantDigits: 3 }, 123456),
  'number no grouping': () => nf('en', { useGrouping: false }, 1234567),
  'number sign': () => nf('en', { signDisplay: 'always' }, 5),
  'number ar': () => nf('ar', {}, 1234.5),
  'number ru': () => nf('ru', {}, 1234567.5),
  'number bigint': () => (12345678901234567890n).toLocaleString('en'),
  'number formatToParts': () => parts(new Intl.NumberFormat('de', { style: 'currency', currency: 'EUR' }).formatToParts(-1234.5)),
  'number resolvedOptions': () => {
    const r = new Intl.NumberFormat('de-DE', { style: 'currency', currency: 'EUR' }).resolvedOptions();
    return [r.locale, r.numberingSystem, r.style, r.currency, r.minimumFractionDigits, r.maximumFractionDigits].join(',');
  },
  'number array toLocaleString': () => [1234.5, 6789].toLocaleString('de'),

  // Intl.DateTimeFormat and Date.prototype.toLocale*String
  'date toLocaleString': () => d.toLocaleString(),
  'date toLocaleDateString': () => d.toLocaleDateString(),
  'date toLocaleTimeString': () => d.toLocaleTimeString(),
  'date toLocaleString de': () => d.toLocaleString('de-DE'),
  'date toLocaleDateString en-GB': () => d.toLocaleDateString('en-GB'),
  'date toLocaleDateString options': () => d.toLocaleDateString('en-US', { weekday: 'long', year: 'numeric', month: 'long', day: 'numeric' }),
  'date toLocaleTimeString options': () => d.toLocaleTimeString('en-US', { hour: '2-digit', minute: '2-digit' }),
  'date toLocaleString timeZone': () => d.toLocaleString('en-US', { timeZone: 'America/New_York' }),
  'date invalid': () => new Date(NaN).toLocaleString(),
  'date dateStyle full': () => dtf('en', { dateStyle: 'full', timeStyle: 'long', timeZone: 'America/Los_Angeles' }),
  'date dateStyle de': () => dtf('de', { dateStyle: 'full', timeStyle: 'short', timeZone: 'Europe/Berlin' }),
  'date dateStyle fr': () => dtf('fr', { dateStyle: 'long' }),
  'date dateStyle es': () => dtf('es', { dateStyle: 'medium', timeStyle: 'short' }),
  'date dateStyle ja': () => dtf('ja', { dateStyle: 'full', timeStyle: 'short', timeZone: 'Asia/Tokyo' }),
  'date dateStyle zh': () => dtf('zh-CN', { dateStyle: 'full' }),
  'date dateStyle ru': () => dtf('ru', { dateStyle: 'long' }),
  'date dateStyle ar': () => dtf('ar', { dateStyle: 'full' }),
  'date dateStyle it': () => dtf('it', { dateStyle: 'full', timeStyle: 'short' }),
  'date dateStyle nl': () => dtf('nl', { dateStyle: 'long' }),
  'date dateStyle pt-BR': () => dtf('pt-BR', { dateStyle: 'short', timeStyle: 'short' }),
  'date components': () => dtf('en', { month: 'short', day: 'numeric', hour: 'numeric', minute: '2-digit' }),
  'date hour12 false': () => dtf('en-US', { hour: 'numeric', minute: 'numeric', hour12: false }),
  'date hourCycle': () => dtf('en-US', { timeStyle: 'short', hourCycle: 'h23' }),
  'date timeZoneName': () => dtf('en-US', { hour: 'numeric', timeZoneName: 'short', timeZone: 'America/Chicago' }),
  'date timeZoneName long': () => dtf('en-US', { timeZoneName: 'long', timeZone: 'Europe/London' }, new Date(Date.UTC(2024, 6, 1))),
  'date fractional seconds': () => dtf('en', { minute: '2-digit', second: '2-digit', fractionalSecondDigits: 3 }),
  'date formatToParts': () => parts(new Intl.DateTimeFormat('en-US', { dateStyle: 'medium', timeStyle: 'short', timeZone: 'UTC' }).formatToParts(d)),
  'date resolvedOptions': () => JSON.stringify(new Intl.DateTimeFormat('de', { year: 'numeric', month: 'long', day: 'numeric', timeZone: 'Asia/Kolkata' }).resolvedOptions()),
  'date resolvedOptions default': () => JSON.stringify(new Intl.DateTimeFormat('en').resolvedOptions()),
  'date bad time zone': () => errorName(() => new Intl.DateTimeFormat('en', { timeZone: 'Nowhere/Land' })),
  'date bad option': () => errorName(() => new Intl.DateTimeFormat('en', { month: 'huge' })),
  'date style and component': () => errorName(() => new Intl.DateTimeFormat('en', { dateStyle: 'full', month: 'long' })),
  'date format bound': () => [d, d].map(new Intl.DateTimeFormat('en', { month: 'long' }).format).join(','),
  'date DST': () => dtf('en', { hour: 'numeric', minute: 'numeric', timeZone: 'America/New_York', timeZoneName: 'short' }, new Date(Date.UTC(2024, 6, 4, 12))),
  'date year 1999': () => dtf('en', { year: '2-digit', month: '2-digit', day: '2-digit' }, new Date(Date.UTC(1999, 11, 31))),

  // Intl.Collator, localeCompare
  'collator sort de': () => ['Zebra', 'Äpfel', 'Apfel', 'zoo', 'über'].sort(new Intl.Collator('de').compare).join(','),
  'collator sort sv': () => ['ö', 'z', 'a', 'å', 'ä'].sort(new Intl.Collator('sv').compare).join(','),
  'collator numeric': () => ['item10', 'item2', 'item1'].sort(new Intl.Collator('en', { numeric: true }).compare).join(','),
  'collator base': () => new Intl.Collator('en', { sensitivity: 'base' }).compare('a', 'Á'),
  'collator accent': () => new Intl.Collator('en', { sensitivity: 'accent' }).compare('a', 'á'),
  'collator resolvedOptions': () => {
    const r = new Intl.Collator('de', { numeric: true }).resolvedOptions();
    return [r.locale, r.usage, r.sensitivity, r.numeric, r.caseFirst, r.ignorePunctuation].join(',');
  },
  'localeCompare': () => ['b', 'a', 'B', 'á', 'A'].sort((x, y) => x.localeCompare(y)).join(''),
  'localeCompare de': () => 'ä'.localeCompare('z', 'de'),
  'localeCompare options': () => 'a'.localeCompare('A', 'en', { sensitivity: 'base' }),

  // case mapping
  'upper tr': () => 'istanbul'.toLocaleUpperCase('tr'),
  'lower tr': () => 'ISTANBUL'.toLocaleLowerCase('tr-TR'),
  'upper de': () => 'straße'.toLocaleUpperCase('de'),
  'upper el': () => 'άλφα'.toLocaleUpperCase('el'),
  'upper default': () => 'i'.toLocaleUpperCase(),

  // Intl.PluralRules
  'plural en': () => [0, 1, 2, 1.5].map((n) => new Intl.PluralRules('en').select(n)).join(','),
  'plural en ordinal': () => [1, 2, 3, 4, 11, 21, 22, 23].map((n) => new Intl.PluralRules('en', { type: 'ordinal' }).select(n)).join(','),
  'plural ru': () => [1, 2, 5, 21, 1.5].map((n) => new Intl.PluralRules('ru').select(n)).join(','),
  'plural ar': () => [0, 1, 2, 3, 11, 100].map((n) => new Intl.PluralRules('ar').select(n)).join(','),
  'plural fr': () => [0, 1, 2].map((n) => new Intl.PluralRules('fr').select(n)).join(','),
  'plural categories': () => new Intl.PluralRules('pl').resolvedOptions().pluralCategories.join(','),

  // Intl.RelativeTimeFormat
  'relative en': () => new Intl.RelativeTimeFormat('en').format(-1, 'day'),
  'relative auto': () => new Intl.RelativeTimeFormat('en', { numeric: 'auto' }).format(-1, 'day'),
  'relative future': () => new Intl.RelativeTimeFormat('en').format(3, 'hours'),
  'relative de': () => new Intl.RelativeTimeFormat('de', { numeric: 'auto' }).format(1, 'day'),
  'relative fr': () => new Intl.RelativeTimeFormat('fr').format(-2, 'week'),
  'relative es short': () => new Intl.RelativeTimeFormat('es', { style: 'short' }).format(5, 'minute'),
  'relative ja': () => new Intl.RelativeTimeFormat('ja').format(-3, 'month'),
  'relative parts': () => parts(new Intl.RelativeTimeFormat('en').formatToParts(100, 'day')),

  // Intl.ListFormat
  'list en': () => new Intl.ListFormat('en').format(['a', 'b', 'c']),
  'list en or': () => new Intl.ListFormat('en', { type: 'disjunction' }).format(['a', 'b', 'c']),
  'list de': () => new Intl.ListFormat('de').format(['a', 'b', 'c']),
  'list es': () => new Intl.ListFormat('es').format(['a', 'b']),
  'list ja': () => new Intl.ListFormat('ja').format(['a', 'b', 'c']),
  'list unit narrow': () => new Intl.ListFormat('en', { style: 'narrow', type: 'unit' }).format(['3 ft', '7 in']),

  // Intl.Segmenter
  'segment graphemes': () => seg('e\u0301👨‍👩‍👧🇫🇷a', 'grapheme').length,
  'segment words': () => seg("Hello, world! Don't stop.", 'word').join('|'),
  'segment sentences': () => seg('Hello there. How are you? Fine!', 'sentence').join('|'),
  'segment containing': () => new Intl.Segmenter('en', { granularity: 'word' }).segment('hello big world').containing(7).segment,
  'segment resolvedOptions': () => JSON.stringify(new Intl.Segmenter('fr', { granularity: 'word' }).resolvedOptions()),

  // Intl.getCanonicalLocales, Intl.Locale
  'canonical locales': () => Intl.getCanonicalLocales(['EN-us', 'zh-hant-tw', 'en-US']).join(','),
  'canonical bad': () => errorName(() => Intl.getCanonicalLocales('en_US')),
  'locale parts': () => {
    const l = new Intl.Locale('en-Latn-US-u-ca-gregory');
    return [l.language, l.script, l.region, l.calendar, l.baseName].join(',');
  },
  'locale maximize': () => new Intl.Locale('zh-TW').maximize().toString(),
  'locale minimize': () => new Intl.Locale('en-Latn-US').minimize().toString(),

  // Intl.DisplayNames
  'display region': () => new Intl.DisplayNames(['en'], { type: 'region' }).of('DE'),
  'display region de': () => new Intl.DisplayNames(['de'], { type: 'region' }).of('US'),
  'display language': () => new Intl.DisplayNames(['en'], { type: 'language' }).of('fr-CA'),
  'display currency': () => new Intl.DisplayNames(['en'], { type: 'currency' }).of('JPY'),
  'display script': () => new Intl.DisplayNames(['fr'], { type: 'script' }).of('Cyrl'),

  'typeof Intl': () => typeof Intl + ' ' + Object.prototype.toString.call(Intl),
  'function lengths': () => [String.prototype.normalize, String.prototype.localeCompare, String.prototype.toLocaleUpperCase, Number.prototype.toLocaleString, Date.prototype.toLocaleDateString, Intl.DateTimeFormat, Intl.Collator, Intl.Segmenter].map((f) => f.length).join(','),
  'toStringTags': () => [new Intl.DateTimeFormat(), new Intl.Collator(), new Intl.Segmenter(), new Intl.NumberFormat()].map((x) => Object.prototype.toString.call(x)).join(','),
};

/** run runs every case: its answer as a string, or the error's name. */
export function run() {
  const out = {};
  for (const [name, f] of Object.entries(cases)) {
    try {
      const v = f();
      out[name] = typeof v === 'string' ? v : JSON.stringify(v);
    } catch (e) {
      out[name] = `threw ${e && e.name}: ${e && e.message}`;
    }
  }
  return out;
}
