package intl

import (
	"context"
	"slices"
	"strings"
	"sync"
	"unicode"
	"unicode/utf16"
	"unicode/utf8"

	"github.com/bindery-run/bindery/host/intl/intlwit"
	"github.com/rivo/uniseg"
	"golang.org/x/text/cases"
	"golang.org/x/text/collate"
	"golang.org/x/text/language"
	"golang.org/x/text/unicode/norm"
)

// Normalize implements normalize.
func (t *Text) Normalize(ctx context.Context, s string, form intlwit.NormalizationForm) string {
	switch form {
	case intlwit.NormalizationFormNfd:
		return norm.NFD.String(s)
	case intlwit.NormalizationFormNfkc:
		return norm.NFKC.String(s)
	case intlwit.NormalizationFormNfkd:
		return norm.NFKD.String(s)
	default:
		return norm.NFC.String(s)
	}
}

// caseTag is the language whose case rules apply to locale (the first
// of a list), or und.
func caseTag(locale string) language.Tag {
	tag, err := language.Parse(locale)
	if err != nil {
		return language.Und
	}
	return tag
}

// ToUpperCase implements to-upper-case.
func (t *Text) ToUpperCase(ctx context.Context, s, locale string) string {
	return cases.Upper(caseTag(locale)).String(s)
}

// ToLowerCase implements to-lower-case.
func (t *Text) ToLowerCase(ctx context.Context, s, locale string) string {
	return cases.Lower(caseTag(locale)).String(s)
}

// maxCollators bounds the collators kept (each key is a locale and its
// options; a Worker uses a few).
const maxCollators = 64

// CollatorResolve implements collator-resolve.
func (t *Text) CollatorResolve(ctx context.Context, locales []string, options []intlwit.Field) []intlwit.Field {
	opt := map[string]string{}
	for _, f := range options {
		opt[f.Name] = f.Value
	}
	tag, base := language.AmericanEnglish, "en-US"
	if t.init() == nil {
		for _, l := range locales {
			tg, err := language.Parse(l)
			if err != nil {
				continue
			}
			if _, _, conf := t.collateMatcher.Match(tg); conf != language.No {
				tag, base = tg, stripExtensions(tg)
				break
			}
		}
	}
	// Keywords of the locale (-u-kn-true, -u-kf-upper) count unless an
	// option says otherwise, as ECMA-402 resolves them.
	if v := tag.TypeForKey("kn"); v != "" && opt["numeric"] == "" {
		opt["numeric"] = boolWord(v == "true")
	}
	if v := tag.TypeForKey("kf"); v != "" && opt["caseFirst"] == "" {
		opt["caseFirst"] = v
	}
	usage := orDefault(opt["usage"], "sort")
	sensitivity := orDefault(opt["sensitivity"], "variant")
	numeric := opt["numeric"] == "true"
	caseFirst := orDefault(opt["caseFirst"], "false")
	ignorePunct := opt["ignorePunctuation"] == "true"
	if opt["ignorePunctuation"] == "" && tag != language.Und {
		if b, _ := tag.Base(); b.String() == "th" {
			ignorePunct = true // CLDR's default for Thai, as in V8
		}
	}
	// The collator's key: the locale and the options as BCP 47 collation
	// keywords, which x/text reads (OptionsFromTag), but for ka and kc,
	// which Compare does itself.
	key := base + "-u"
	if numeric {
		key += "-kn-true"
	}
	switch sensitivity {
	case "base":
		key += "-ks-level1"
	case "case":
		key += "-kc-true-ks-level1"
	case "accent":
		key += "-ks-level2"
	default:
		key += "-ks-level3"
	}
	if ignorePunct {
		key += "-ka-shifted"
	}
	resolvedLocale := base
	if numeric && tag.TypeForKey("kn") != "" {
		resolvedLocale += "-u-kn"
	}
	return []intlwit.Field{
		{Name: "locale", Value: resolvedLocale},
		{Name: "usage", Value: usage},
		{Name: "sensitivity", Value: sensitivity},
		{Name: "ignorePunctuation", Value: boolWord(ignorePunct)},
		{Name: "collation", Value: "default"},
		{Name: "numeric", Value: boolWord(numeric)},
		{Name: "caseFirst", Value: caseFirst},
		{Name: "key", Value: key},
	}
}

func boolWord(b bool) string {
	if b {
		return "true"
	}
	return "false"
}

func orDefault(v, d string) string {
	if v == "" {
		return d
	}
	return v
}

// stripExtensions returns tag without its -u- and -x- parts.
func stripExtensions(tag language.Tag) string {
	s := tag.String()
	if i := strings.Index(s, "-u-"); i >= 0 {
		s = s[:i]
	}
	if i := strings.Index(s, "-x-"); i >= 0 {
		s = s[:i]
	}
	return s
}

// Compare implements compare. Two options x/text does not do as ICU
// does are done here: ignorePunctuation ("-ka-shifted") leaves out
// spaces and punctuation before comparing, and sensitivity "case"
// ("-kc-true" at level 1) compares the letters without their accents
// when their bases are equal.
func (t *Text) Compare(ctx context.Context, key, a, b string) int32 {
	if k, ok := strings.CutSuffix(key, "-ka-shifted"); ok || strings.Contains(key, "-ka-shifted-") {
		if !ok {
			k = strings.Replace(key, "-ka-shifted", "", 1)
		}
		key, a, b = k, dropPunctuation(a), dropPunctuation(b)
	}
	if k, ok := strings.CutSuffix(key, "-kc-true-ks-level1"); ok {
		if r := t.compare(k+"-ks-level1", a, b); r != 0 {
			return r
		}
		return t.compare(k+"-ks-level3", dropMarks(a), dropMarks(b))
	}
	return t.compare(key, a, b)
}

// SortKey implements sort-key: the collation key's bytes, each as the
// code point 0x100 + byte, so that code point order (and so UTF-16 order)
// is byte order; Compare's emulations are keys too (for "case", the base
// key, U+0000, and the key of the letters without their accents).
func (t *Text) SortKey(ctx context.Context, key, s string) string {
	if k, ok := strings.CutSuffix(key, "-ka-shifted"); ok || strings.Contains(key, "-ka-shifted-") {
		if !ok {
			k = strings.Replace(key, "-ka-shifted", "", 1)
		}
		key, s = k, dropPunctuation(s)
	}
	var b strings.Builder
	if k, ok := strings.CutSuffix(key, "-kc-true-ks-level1"); ok {
		t.writeKey(&b, k+"-ks-level1", s)
		b.WriteByte(0)
		t.writeKey(&b, k+"-ks-level3", dropMarks(s))
		return b.String()
	}
	t.writeKey(&b, key, s)
	return b.String()
}

func (t *Text) writeKey(b *strings.Builder, key, s string) {
	p := t.collator(key)
	c := p.Get().(*collate.Collator)
	defer p.Put(c)
	var buf collate.Buffer
	for _, x := range c.KeyFromString(&buf, s) {
		b.WriteRune(0x100 + rune(x))
	}
}

func (t *Text) compare(key, a, b string) int32 {
	p := t.collator(key)
	c := p.Get().(*collate.Collator)
	defer p.Put(c)
	return int32(c.CompareString(a, b))
}

// dropPunctuation removes spaces and punctuation (what ICU's "shifted"
// alternate handling ignores).
func dropPunctuation(s string) string {
	return strings.Map(func(r rune) rune {
		if unicode.IsPunct(r) || unicode.IsSpace(r) {
			return -1
		}
		return r
	}, s)
}

// dropMarks removes the combining marks of s's canonical decomposition.
func dropMarks(s string) string {
	return strings.Map(func(r rune) rune {
		if unicode.Is(unicode.Mn, r) {
			return -1
		}
		return r
	}, norm.NFD.String(s))
}

// collator returns the pool of collators for key (a collate.Collator is
// not safe for concurrent use).
func (t *Text) collator(key string) *sync.Pool {
	t.mu.Lock()
	defer t.mu.Unlock()
	if p, ok := t.collators[key]; ok {
		return p
	}
	if len(t.collators) >= maxCollators {
		clear(t.collators)
	}
	tag, err := language.Parse(key)
	if err != nil {
		tag = language.Und
	}
	p := &sync.Pool{New: func() any { return collate.New(tag, collate.OptionsFromTag(tag)) }}
	t.collators[key] = p
	return p
}

// SegmentText implements segment-text.
func (t *Text) SegmentText(ctx context.Context, s string, granularity intlwit.Granularity) []intlwit.Segment {
	var out []intlwit.Segment
	end := uint32(0)
	state := -1
	prev := ""
	for len(s) > 0 {
		var seg string
		switch granularity {
		case intlwit.GranularityWord:
			seg, s, state = uniseg.FirstWordInString(s, state)
		case intlwit.GranularitySentence:
			seg, s, state = uniseg.FirstSentenceInString(s, state)
		default:
			seg, s, _, state = uniseg.FirstGraphemeClusterInString(s, state)
		}
		end += utf16Len(seg)
		word := granularity == intlwit.GranularityWord && wordLike(seg)
		// ICU finds the words of Chinese, Japanese and Thai with
		// dictionaries; without them, a run of one of these scripts is
		// one word (日本語を勉強 → 日本語, を, 勉強).
		if n := len(out); word && n > 0 && out[n-1].WordLike {
			if sc := noSpaceScript(seg); sc != nil && noSpaceScript(prev) == sc {
				out[n-1].End = end
				continue
			}
		}
		prev = seg
		out = append(out, intlwit.Segment{End: end, WordLike: word})
	}
	return out
}

// noSpaceScript is the script of a segment written without spaces
// between words (Han, Hiragana, Katakana, Thai, Lao, Khmer, Myanmar), or
// nil.
func noSpaceScript(seg string) *unicode.RangeTable {
	for _, sc := range []*unicode.RangeTable{unicode.Han, unicode.Hiragana, unicode.Katakana, unicode.Thai, unicode.Lao, unicode.Khmer, unicode.Myanmar} {
		if strings.IndexFunc(seg, func(r rune) bool { return !unicode.Is(sc, r) && !unicode.Is(unicode.Mn, r) }) < 0 {
			return sc
		}
	}
	return nil
}

// utf16Len is the length of s in UTF-16 code units.
func utf16Len(s string) uint32 {
	n := uint32(0)
	for _, r := range s {
		n += uint32(utf16.RuneLen(r))
	}
	return n
}

// wordLike says whether a word segment holds a letter, a digit or an
// ideograph, as ICU's word rules give a status to such words.
func wordLike(seg string) bool {
	return slices.ContainsFunc([]rune(seg), func(r rune) bool {
		return unicode.IsLetter(r) || unicode.IsDigit(r) || unicode.In(r, unicode.Nl, unicode.No) && r != utf8.RuneError
	})
}
