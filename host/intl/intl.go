package intl

import (
	"archive/zip"
	"bytes"
	"context"
	_ "embed"
	"fmt"
	"io"
	"strings"
	"sync"
	_ "time/tzdata" // every IANA zone, whatever the machine has

	"github.com/bindery-run/bindery/abi"
	"github.com/bindery-run/bindery/host/intl/intlwit"
	"github.com/bindery-run/bindery/internal/jsregexp"
	"golang.org/x/text/collate"
	"golang.org/x/text/language"
)

//go:generate sh -c "cd gen && npm install --no-audit --no-fund && node gen.mjs"

//go:embed localedata.zip
var localeZip []byte

// WIT returns the host side of bindery:intl/text for a host.Runtime.
// Every Worker gets the same implementation: it grants nothing.
func WIT() abi.Interface {
	return abi.Interface{Name: intlwit.TextInterface, Define: intlwit.DefineText, Deny: New()}
}

// Text implements bindery:intl/text. Its zero value is not usable: call
// [New]. It is safe for concurrent use.
type Text struct {
	initOnce sync.Once
	initErr  error
	regexps  *jsregexp.Expander
	data     *zip.Reader
	zones    map[string]string // upper-case IANA name -> V8's name
	locales  []string
	// haveLocale says which locales localedata.zip has.
	haveLocale map[string]bool
	// collateMatcher matches locales against those x/text can collate.
	collateMatcher language.Matcher

	mu         sync.Mutex
	collators  map[string]*sync.Pool
	dateData   map[string]*dateData
	locations  map[string]*location
	dataErrors map[string]error
}

// New returns the implementation every Worker gets. What it needs (the
// property table, the locale data's index) is read on first use.
func New() *Text {
	return &Text{collators: map[string]*sync.Pool{}, dateData: map[string]*dateData{},
		locations: map[string]*location{}, dataErrors: map[string]error{}}
}

var _ intlwit.TextHost = (*Text)(nil)

// init reads the embedded tables once.
func (t *Text) init() error {
	t.initOnce.Do(func() {
		if t.regexps, t.initErr = jsregexp.New(); t.initErr != nil {
			return
		}
		if t.data, t.initErr = zip.NewReader(bytes.NewReader(localeZip), int64(len(localeZip))); t.initErr != nil {
			t.initErr = fmt.Errorf("intl: localedata.zip: %w", t.initErr)
			return
		}
		zones, err := t.file("zones.txt")
		if err != nil {
			t.initErr = err
			return
		}
		t.zones = map[string]string{}
		for _, line := range strings.Split(strings.TrimSpace(string(zones)), "\n") {
			name, canon, _ := strings.Cut(line, " ")
			t.zones[strings.ToUpper(name)] = canon
		}
		locales, err := t.file("locales.txt")
		if err != nil {
			t.initErr = err
			return
		}
		t.locales = strings.Fields(string(locales))
		t.haveLocale = map[string]bool{}
		for _, l := range t.locales {
			t.haveLocale[l] = true
		}
		t.collateMatcher = language.NewMatcher(collate.Supported())
	})
	return t.initErr
}

// file reads an entry of localedata.zip.
func (t *Text) file(name string) ([]byte, error) {
	f, err := t.data.Open(name)
	if err != nil {
		return nil, fmt.Errorf("intl: localedata.zip: %w", err)
	}
	defer f.Close()
	b, err := io.ReadAll(f)
	if err != nil {
		return nil, fmt.Errorf("intl: localedata.zip %s: %w", name, err)
	}
	return b, nil
}

// LocaleData implements locale-data: the JSON of KIND/LOCALE.json.
func (t *Text) LocaleData(ctx context.Context, kind, locale string) abi.Option[string] {
	if t.init() != nil || strings.ContainsAny(kind+locale, "/.") || kind == "datetime" {
		return abi.None[string]()
	}
	b, err := t.file(kind + "/" + locale + ".json")
	if err != nil {
		return abi.None[string]()
	}
	return abi.Some(string(b))
}

// Locales implements locales.
func (t *Text) Locales(ctx context.Context) []string {
	if t.init() != nil {
		return nil
	}
	return append([]string(nil), t.locales...)
}

// ExpandRegexp implements expand-regexp.
func (t *Text) ExpandRegexp(ctx context.Context, pattern, flags string) (string, *string) {
	if err := t.init(); err != nil {
		msg := err.Error()
		return "", &msg
	}
	out, err := t.regexps.Expand(pattern, flags)
	if err != nil {
		msg := err.Error()
		return "", &msg
	}
	return out, nil
}
