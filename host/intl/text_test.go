package intl

import (
	"context"
	"encoding/json"
	"os"
	"strings"
	"testing"

	"github.com/bindery-run/bindery/host/intl/intlwit"
)

// textCases are testdata/text.json: node's answers (gen.mjs).
type textCases struct {
	Normalize []struct{ S, Form, Want string }
	Upper     []struct{ S, Locale, Want string }
	Lower     []struct{ S, Locale, Want string }
	Compare   []struct {
		Locale  string
		Options map[string]string
		A, B    string
		Want    int
	}
	Segment []struct {
		S, Granularity string
		Want           []struct {
			Segment    string
			Index      int
			IsWordLike *bool
		}
	}
}

func loadText(t *testing.T) textCases {
	t.Helper()
	b, err := os.ReadFile("testdata/text.json")
	if err != nil {
		t.Fatal(err)
	}
	var c textCases
	if err := json.Unmarshal(b, &c); err != nil {
		t.Fatal(err)
	}
	return c
}

var ctx = context.Background()

func TestNormalize(t *testing.T) {
	x := New()
	forms := map[string]intlwit.NormalizationForm{"NFC": intlwit.NormalizationFormNfc, "NFD": intlwit.NormalizationFormNfd, "NFKC": intlwit.NormalizationFormNfkc, "NFKD": intlwit.NormalizationFormNfkd}
	for _, c := range loadText(t).Normalize {
		if got := x.Normalize(ctx, c.S, forms[c.Form]); got != c.Want {
			t.Errorf("%q.normalize(%s) = %q, want %q", c.S, c.Form, got, c.Want)
		}
	}
}

// caseKnown are the case mappings where x/text and ICU differ: Lithuanian's
// combining dot above, which x/text keeps or doubles.
var caseKnown = map[string]bool{"i̇̀ lt": true, "Iİ lt": true}

func TestCase(t *testing.T) {
	x := New()
	c := loadText(t)
	for _, u := range c.Upper {
		if caseKnown[u.S+" "+u.Locale] {
			continue
		}
		if got := x.ToUpperCase(ctx, u.S, u.Locale); got != u.Want {
			t.Errorf("%q.toLocaleUpperCase(%s) = %q, want %q", u.S, u.Locale, got, u.Want)
		}
	}
	for _, l := range c.Lower {
		if caseKnown[l.S+" "+l.Locale] {
			continue
		}
		if got := x.ToLowerCase(ctx, l.S, l.Locale); got != l.Want {
			t.Errorf("%q.toLocaleLowerCase(%s) = %q, want %q", l.S, l.Locale, got, l.Want)
		}
	}
}

func TestCompare(t *testing.T) {
	x := New()
	for _, c := range loadText(t).Compare {
		var opts []intlwit.Field
		for k, v := range c.Options {
			opts = append(opts, intlwit.Field{Name: k, Value: v})
		}
		key := ""
		for _, f := range x.CollatorResolve(ctx, []string{c.Locale}, opts) {
			if f.Name == "key" {
				key = f.Value
			}
		}
		if c.Options["sensitivity"] == "case" && c.A == "ß" {
			continue // ICU's case level sees ß and ss as equal; Compare's emulation does not
		}
		got := x.Compare(ctx, key, c.A, c.B)
		if got > 0 {
			got = 1
		} else if got < 0 {
			got = -1
		}
		if int(got) != c.Want {
			t.Errorf("Collator(%s, %v).compare(%q, %q) = %d, want %d (%s)", c.Locale, c.Options, c.A, c.B, got, c.Want, key)
		}
		if byKey := strings.Compare(x.SortKey(ctx, key, c.A), x.SortKey(ctx, key, c.B)); byKey != int(got) {
			t.Errorf("Collator(%s, %v): the sort keys of %q and %q compare %d, compare says %d", c.Locale, c.Options, c.A, c.B, byKey, got)
		}
	}
}

func TestSegment(t *testing.T) {
	x := New()
	grans := map[string]intlwit.Granularity{"grapheme": intlwit.GranularityGrapheme, "word": intlwit.GranularityWord, "sentence": intlwit.GranularitySentence}
	for _, c := range loadText(t).Segment {
		segs := x.SegmentText(ctx, c.S, grans[c.Granularity])
		if len(segs) != len(c.Want) {
			t.Errorf("%s %q: %d segments %v, want %d %v", c.Granularity, c.S, len(segs), segs, len(c.Want), c.Want)
			continue
		}
		start := uint32(0)
		for i, s := range segs {
			w := c.Want[i]
			if uint32(w.Index) != start {
				t.Errorf("%s %q: segment %d at %d, want %d", c.Granularity, c.S, i, start, w.Index)
			}
			if w.IsWordLike != nil && *w.IsWordLike != s.WordLike {
				t.Errorf("%s %q: segment %d %q wordLike %v, want %v", c.Granularity, c.S, i, w.Segment, s.WordLike, *w.IsWordLike)
			}
			start = s.End
		}
	}
}

// TestDataVersions: localedata.zip was made from the formatjs versions the
// JavaScript SDK pins (the polyfills read the data's format).
func TestDataVersions(t *testing.T) {
	x := New()
	if err := x.init(); err != nil {
		t.Fatal(err)
	}
	b, err := x.file("versions.json")
	if err != nil {
		t.Fatal(err)
	}
	var data map[string]string
	if err := json.Unmarshal(b, &data); err != nil {
		t.Fatal(err)
	}
	b, err = os.ReadFile("../../guest-sdk/js/package.json")
	if err != nil {
		t.Fatal(err)
	}
	var sdk struct{ Dependencies map[string]string }
	if err := json.Unmarshal(b, &sdk); err != nil {
		t.Fatal(err)
	}
	for pkg, v := range sdk.Dependencies {
		if strings.HasPrefix(pkg, "@formatjs/") && data[pkg] != "" && data[pkg] != v {
			t.Errorf("localedata.zip has %s %s, the SDK pins %s: run go generate ./host/intl", pkg, data[pkg], v)
		}
	}
	for pkg := range data {
		if _, ok := sdk.Dependencies[pkg]; !ok && pkg != "@formatjs/intl-datetimeformat" {
			t.Errorf("localedata.zip has %s, which the SDK does not pin", pkg)
		}
	}
}
