// Package intl serves the WIT interface "bindery:intl/text@0.1.0": the
// Unicode and locale services Bindery's JavaScript engine lacks (it is
// built without ICU), computed by the host. The JavaScript SDK's
// String.prototype.normalize, localeCompare, toLocaleUpperCase and
// toLocaleLowerCase, Intl.Collator, Intl.Segmenter, Intl.DateTimeFormat,
// Date's toLocale*String and the RegExp constructor's \p{…} escapes are
// built on it (guest-sdk/js/src/intl.js); any guest may call it.
//
//	rt, err := host.NewRuntime(ctx, host.RuntimeConfig{}) // serves intl.WIT() to every Worker
//
// # What computes what
//
//   - normalize: golang.org/x/text/unicode/norm (all of Unicode).
//   - to-upper-case, to-lower-case: golang.org/x/text/cases, with the
//     rules of Turkish, Azeri, Lithuanian and Greek.
//   - collator-resolve, compare, sort-key: golang.org/x/text/collate
//     (CLDR's tailorings; sensitivity, numeric and ignorePunctuation as
//     BCP 47 collation keywords; sort keys so that a guest sorting asks
//     once per string).
//   - segment-text: github.com/rivo/uniseg (UAX #29 graphemes, words and
//     sentences; no dictionary for Thai, Chinese or Japanese words).
//   - expand-regexp: internal/jsregexp (V8's property tables).
//   - date-time-resolve, format-date, format-date-text: ECMA-402's DateTimeFormat for the
//     Gregorian calendar, from CLDR data (formatjs's, in localedata.zip)
//     and Go's time zones (time/tzdata is linked in, so every IANA zone
//     works whatever the machine has).
//   - locale-data: the CLDR data the SDK's formatjs polyfills take, for
//     the locales in localedata.zip (gen/gen.mjs makes it).
//
// # State
//
// A [Text] holds caches only (collators, parsed locale data, loaded time
// zones), each bounded; one value serves every Worker and is safe for
// concurrent use.
package intl
