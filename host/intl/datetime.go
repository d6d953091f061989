package intl

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"math"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/bindery-run/bindery/host/intl/intlwit"
	"golang.org/x/text/language"
)

// dateData is one locale's CLDR data for dates (localedata.zip's
// datetime/LOCALE.json), as the formatter reads it.
type dateData struct {
	Am, Pm         string
	DayPeriods     map[string]map[string]string
	DayPeriodRules []struct {
		Name         string
		From, Before *int64
		At           *int64
	}
	Weekday, WeekdayStandalone map[string][]string
	Era                        map[string]map[string]string
	Month, MonthStandalone     map[string][]string
	TimeZoneName               map[string]struct {
		Long, Short               []string
		LongGeneric, ShortGeneric string
	}
	GmtFormat, HourFormat                                        string
	DateFormat, TimeFormat, DateTimeFormat, DateTimeFormatAtTime map[string]string
	HourCycle                                                    string
	// Formats are CLDR's availableFormats, skeleton and pattern, in
	// CLDR's order (the first of equally good matches wins).
	Formats []format `json:"-"`
	// Decimal is the decimal separator (fractional seconds).
	Decimal string `json:"-"`
}

type format struct {
	skeleton fields
	pattern  string
	// specified says the skeleton is an availableFormats key (ICU's
	// specifiedSkeleton), not one derived from the pattern.
	specified bool
}

// location is a loaded time zone.
type location struct {
	loc  *time.Location
	name string // as V8 names it
}

// maxCached bounds each cache of parsed locale data and zones.
const maxCached = 256

// dates returns the date data of a locale in localedata.zip.
func (t *Text) dates(locale string) (*dateData, error) {
	if err := t.init(); err != nil {
		return nil, err
	}
	t.mu.Lock()
	d, ok := t.dateData[locale]
	t.mu.Unlock()
	if ok {
		return d, nil
	}
	b, err := t.file("datetime/" + locale + ".json")
	if err != nil {
		return nil, err
	}
	var raw struct {
		Data struct {
			dateData
			Formats json.RawMessage
		}
	}
	if err := json.Unmarshal(b, &raw); err != nil {
		return nil, fmt.Errorf("intl: datetime/%s.json: %w", locale, err)
	}
	d = &raw.Data.dateData
	dec := json.NewDecoder(bytes.NewReader(raw.Data.Formats))
	if _, err := dec.Token(); err != nil {
		return nil, fmt.Errorf("intl: datetime/%s.json formats: %w", locale, err)
	}
	var available []format
	for dec.More() {
		var k, v string
		tk, err := dec.Token()
		if err != nil {
			return nil, fmt.Errorf("intl: datetime/%s.json formats: %w", locale, err)
		}
		k, _ = tk.(string)
		if err := dec.Decode(&v); err != nil {
			return nil, fmt.Errorf("intl: datetime/%s.json formats: %w", locale, err)
		}
		if sk, ok := parseSkeleton(k); ok {
			available = append(available, format{skeleton: sk, pattern: v})
		}
	}
	d.buildCandidates(available)
	d.Decimal = "."
	if nb, err := t.file("numberformat/" + locale + ".json"); err == nil {
		var nf struct {
			Data struct {
				Numbers struct {
					Symbols map[string]struct{ Decimal string }
				}
			}
		}
		if json.Unmarshal(nb, &nf) == nil && nf.Data.Numbers.Symbols["latn"].Decimal != "" {
			d.Decimal = nf.Data.Numbers.Symbols["latn"].Decimal
		}
	}
	t.mu.Lock()
	if len(t.dateData) >= maxCached {
		clear(t.dateData)
	}
	t.dateData[locale] = d
	t.mu.Unlock()
	return d, nil
}

// dataLocale returns the locale in localedata.zip that serves tag
// ("de-LU" → "de", "zh-TW" → "zh-Hant"), or "".
func (t *Text) dataLocale(tag language.Tag) string {
	have := t.haveLocale
	base, script, region := tag.Raw()
	candidates := []string{}
	if script.String() != "Zzzz" && region.String() != "ZZ" {
		candidates = append(candidates, base.String()+"-"+script.String()+"-"+region.String())
	}
	if region.String() != "ZZ" {
		candidates = append(candidates, base.String()+"-"+region.String())
	}
	if script.String() != "Zzzz" {
		candidates = append(candidates, base.String()+"-"+script.String())
	}
	if base.String() == "zh" && script.String() != "Hans" {
		switch region.String() {
		case "TW", "HK", "MO":
			candidates = append(candidates, "zh-Hant")
		}
	}
	if base.String() == "es" && region.String() != "ZZ" && region.String() != "ES" {
		candidates = append(candidates, "es-419") // CLDR's parent of Latin American Spanish
	}
	if base.String() == "en" && region.String() != "ZZ" && region.String() != "US" {
		candidates = append(candidates, "en-GB") // CLDR's parent (en-001) writes dates as en-GB does
	}
	if base.String() == "pt" && region.String() != "ZZ" && region.String() != "BR" {
		candidates = append(candidates, "pt-PT")
	}
	candidates = append(candidates, base.String())
	for _, c := range candidates {
		if have[c] {
			return c
		}
	}
	return ""
}

// zone resolves a time zone name as V8 does (case-insensitively, to its
// canonical name; "UTC", "Etc/GMT" and the like to "UTC"; an offset
// "+05:30" to itself).
func (t *Text) zone(name string) (*location, error) {
	if err := t.init(); err != nil {
		return nil, err
	}
	if off, ok := parseOffset(name); ok {
		return &location{loc: time.FixedZone(name, off), name: formatOffset(off)}, nil
	}
	canon, ok := t.zones[strings.ToUpper(name)]
	if !ok {
		return nil, fmt.Errorf("Invalid time zone specified: %s", name)
	}
	t.mu.Lock()
	l, ok := t.locations[canon]
	t.mu.Unlock()
	if ok {
		return l, nil
	}
	loc, err := time.LoadLocation(canon)
	if err != nil {
		if loc, err = time.LoadLocation(name); err != nil {
			return nil, fmt.Errorf("Invalid time zone specified: %s", name)
		}
	}
	l = &location{loc: loc, name: canon}
	t.mu.Lock()
	if len(t.locations) >= maxCached {
		clear(t.locations)
	}
	t.locations[canon] = l
	t.mu.Unlock()
	return l, nil
}

// parseOffset reads an offset time zone: ±HH, ±HHMM or ±HH:MM.
func parseOffset(s string) (int, bool) {
	if len(s) < 3 || s[0] != '+' && s[0] != '-' {
		return 0, false
	}
	digits := strings.ReplaceAll(s[1:], ":", "")
	if len(digits) != 2 && len(digits) != 4 || strings.Count(s, ":") > 1 || len(s) == 6 && s[3] != ':' {
		return 0, false
	}
	n, err := strconv.Atoi(digits)
	if err != nil {
		return 0, false
	}
	h, m := n, 0
	if len(digits) == 4 {
		h, m = n/100, n%100
	}
	if h > 23 || m > 59 {
		return 0, false
	}
	off := (h*60 + m) * 60
	if s[0] == '-' {
		off = -off
	}
	return off, true
}

func formatOffset(off int) string {
	sign := '+'
	if off < 0 {
		sign, off = '-', -off
	}
	return fmt.Sprintf("%c%02d:%02d", sign, off/3600, off/60%60)
}

// --- skeletons ---------------------------------------------------------------

// A field type of a pattern (ICU's date time pattern generator's types).
const (
	fEra = iota
	fYear
	fMonth
	fWeekday
	fDay
	fDayPeriod
	fHour
	fMinute
	fSecond
	fFraction
	fZone
	nFields
)

// fields holds, per field type, its pattern letter and length (0: none).
type fields [nFields]struct {
	c byte
	n int
}

// fieldType maps a pattern letter to its field type, or -1.
func fieldType(c byte) int {
	switch c {
	case 'G':
		return fEra
	case 'y', 'Y', 'u':
		return fYear
	case 'M', 'L':
		return fMonth
	case 'E', 'c', 'e':
		return fWeekday
	case 'd':
		return fDay
	case 'a', 'b', 'B':
		return fDayPeriod
	case 'h', 'H', 'K', 'k':
		return fHour
	case 'm':
		return fMinute
	case 's':
		return fSecond
	case 'S':
		return fFraction
	case 'z', 'v', 'O', 'V', 'Z', 'X', 'x':
		return fZone
	}
	return -1
}

// parseSkeleton reads an availableFormats key; false for keys with
// fields the formatter does not use (weeks, quarters, "-count-…").
func parseSkeleton(s string) (fields, bool) {
	var f fields
	if s == "" {
		return f, false
	}
	for i := 0; i < len(s); {
		c := s[i]
		j := i
		for j < len(s) && s[j] == c {
			j++
		}
		ft := fieldType(c)
		if ft < 0 || f[ft].n != 0 {
			return f, false
		}
		f[ft].c, f[ft].n = c, j-i
		i = j
	}
	return f, true
}

// patternFields reads the fields of a pattern (outside quotes).
func patternFields(p string) fields {
	var f fields
	forTokens(p, func(c byte, n int, lit string) {
		if c == 0 {
			return
		}
		if ft := fieldType(c); ft >= 0 && !(ft == fDayPeriod && c == 'a') {
			f[ft].c, f[ft].n = c, n
		}
	})
	return f
}

// forTokens calls fn for each field (letter, length) and literal text
// (c == 0) of a pattern.
func forTokens(p string, fn func(c byte, n int, lit string)) {
	var lit strings.Builder
	flush := func() {
		if lit.Len() > 0 {
			fn(0, 0, lit.String())
			lit.Reset()
		}
	}
	for i := 0; i < len(p); {
		c := p[i]
		switch {
		case c == '\'':
			if i+1 < len(p) && p[i+1] == '\'' {
				lit.WriteByte('\'')
				i += 2
				continue
			}
			j := i + 1
			for j < len(p) {
				if p[j] == '\'' {
					if j+1 < len(p) && p[j+1] == '\'' {
						lit.WriteByte('\'')
						j += 2
						continue
					}
					break
				}
				lit.WriteByte(p[j])
				j++
			}
			i = j + 1
		case c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z':
			flush()
			j := i
			for j < len(p) && p[j] == c {
				j++
			}
			fn(c, j-i, "")
			i = j
		default:
			lit.WriteByte(c)
			i++
		}
	}
	flush()
}

// widthClass says how a field of this letter and length shows: 1 or 2
// digits, or 3 (short), 4 (long), 5 (narrow) for text.
func widthClass(c byte, n int) int {
	switch fieldType(c) {
	case fMonth:
		if n > 5 {
			return 5
		}
		return n
	case fWeekday:
		if c != 'E' && n <= 2 {
			return n
		}
		switch n {
		case 4:
			return 4
		case 5:
			return 5
		}
		return 3
	case fEra, fDayPeriod:
		switch n {
		case 4:
			return 4
		case 5:
			return 5
		}
		return 3
	case fZone:
		if n >= 4 {
			return 4
		}
		return 3
	}
	if n > 2 {
		return 2
	}
	return n
}

// ICU's date time pattern generator's type values (dtTypes): numeric
// fields count their length, text widths are negative, and letters of
// one field differ by multiples of dtDelta.
const (
	dtNarrow  = -0x101
	dtShorter = -0x102
	dtShort   = -0x103
	dtLong    = -0x104
	dtNumeric = 0x100
	dtDelta   = 0x10
)

// typeValue is ICU's value of a field (0: none).
func typeValue(c byte, n int) int {
	text := func(base int) int {
		switch {
		case n == 4:
			return dtLong + base
		case n == 5:
			return dtNarrow + base
		case n >= 6:
			return dtShorter + base
		}
		return dtShort + base
	}
	switch c {
	case 0:
		return 0
	case 'G':
		return text(0)
	case 'y', 'u':
		return dtNumeric + n
	case 'Y':
		return dtNumeric + dtDelta + n
	case 'M':
		if n <= 2 {
			return dtNumeric + n
		}
		return text(0)
	case 'L':
		if n <= 2 {
			return dtNumeric + dtDelta + n
		}
		return text(-dtDelta)
	case 'E':
		return text(0)
	case 'c', 'e':
		if n <= 2 {
			return dtNumeric + 2*dtDelta + n
		}
		return text(-2 * dtDelta)
	case 'd':
		return dtNumeric + n
	case 'a':
		return text(0)
	case 'b':
		return text(-dtDelta)
	case 'B':
		return text(-3 * dtDelta)
	case 'h':
		return dtNumeric + 10*dtDelta + n
	case 'H':
		return dtNumeric + 11*dtDelta + n
	case 'K':
		return dtNumeric + 12*dtDelta + n
	case 'k':
		return dtNumeric + 13*dtDelta + n
	case 'm', 's':
		return dtNumeric + n
	case 'S':
		return dtNumeric + dtDelta + n
	case 'z':
		if n >= 4 {
			return dtLong
		}
		return dtShort
	case 'O':
		if n >= 4 {
			return dtLong - dtDelta
		}
		return dtShort - dtDelta
	case 'v':
		if n >= 4 {
			return dtLong - 2*dtDelta
		}
		return dtShort - 2*dtDelta
	}
	return dtShort - 5*dtDelta
}

// normalizeDayPeriod does what ICU's matcher does to a skeleton: a
// 12-hour hour without a day period gets "a"; a 24-hour one loses its day
// period.
func normalizeDayPeriod(f fields) fields {
	switch f[fHour].c {
	case 'h', 'K':
		if f[fDayPeriod].n == 0 {
			f[fDayPeriod].c, f[fDayPeriod].n = 'a', 1
		}
	case 'H', 'k':
		f[fDayPeriod].c, f[fDayPeriod].n = 0, 0
	}
	return f
}

// distance is ICU's distance from a requested skeleton to an available
// one: -1 when it has a field the request lacks (ICU's extra field);
// each missing field weighs 0x1000, other differences their type values'.
func distance(req, have fields) int {
	d := 0
	for ft := range nFields {
		r, h := typeValue(req[ft].c, req[ft].n), typeValue(have[ft].c, have[ft].n)
		switch {
		case r == h:
		case r == 0:
			return -1
		case h == 0:
			d += 0x1000
		default:
			d += abs(r - h)
		}
	}
	return d
}

func abs(x int) int {
	if x < 0 {
		return -x
	}
	return x
}

// skeletonKey writes fields in canonical order (ICU's skeleton).
func skeletonKey(f fields) string {
	var b strings.Builder
	for ft := range nFields {
		b.WriteString(strings.Repeat(string(f[ft].c), f[ft].n))
	}
	return b.String()
}

// candidates builds the patterns the matcher chooses from, in ICU's
// order: canonical single fields, the date and time style patterns, then
// availableFormats (which replace an entry of the same skeleton in
// place), grouped by the skeleton's first letter (upper case first).
func (d *dateData) buildCandidates(available []format) {
	var list []format
	index := map[string]int{}
	add := func(f format, override bool) {
		f.skeleton = normalizeDayPeriod(f.skeleton)
		k := skeletonKey(f.skeleton)
		if k == "" {
			return
		}
		if i, ok := index[k]; ok {
			if override {
				list[i] = f
			}
			return
		}
		index[k] = len(list)
		list = append(list, f)
	}
	for _, p := range []string{"G", "y", "M", "E", "d", "a", "H", "m", "s", "S", "v"} {
		add(format{skeleton: patternFields(p), pattern: p}, false)
	}
	for _, styles := range []map[string]string{d.DateFormat, d.TimeFormat} {
		for _, st := range []string{"full", "long", "medium", "short"} {
			if p := styles[st]; p != "" {
				add(format{skeleton: patternFieldsAll(p), pattern: p}, false)
			}
		}
	}
	for _, f := range available {
		f.specified = true
		add(f, true)
	}
	slices.SortStableFunc(list, func(a, b format) int {
		return int(skeletonKey(a.skeleton)[0]) - int(skeletonKey(b.skeleton)[0])
	})
	d.Formats = list
}

// patternFieldsAll reads the fields of a pattern, its day period too.
func patternFieldsAll(p string) fields {
	var f fields
	forTokens(p, func(c byte, n int, lit string) {
		if ft := fieldType(c); c != 0 && ft >= 0 {
			f[ft].c, f[ft].n = c, n
		}
	})
	return f
}

// best returns the available pattern closest to req, adjusted to its
// widths, and the fields it lacks.
func (d *dateData) best(req fields) (string, fields) {
	req = normalizeDayPeriod(req)
	bestD, bestI := math.MaxInt, -1
	for i, f := range d.Formats {
		if dist := distance(req, f.skeleton); dist >= 0 && dist < bestD {
			bestD, bestI = dist, i
		}
	}
	var missing fields
	if bestI < 0 {
		return "", req
	}
	have := d.Formats[bestI].skeleton
	for ft := range nFields {
		if req[ft].n != 0 && have[ft].n == 0 {
			missing[ft] = req[ft]
		}
	}
	return adjust(d.Formats[bestI], req), missing
}

// adjust gives a pattern's fields the requested widths as ICU's
// adjustFieldTypes does for V8 (which asks for the hour's length):
// minutes and seconds keep the pattern's; a field of an availableFormat
// whose skeleton already had the requested length (or digits where text
// was asked, or text for digits) keeps the pattern's; others take the
// request's. Month and weekday keep the pattern's letter (L, c), the
// others take the request's.
func adjust(f format, req fields) string {
	var b strings.Builder
	forTokens(f.pattern, func(c byte, n int, lit string) {
		if c == 0 {
			writeLiteral(&b, lit)
			return
		}
		ft := fieldType(c)
		if ft < 0 || req[ft].n == 0 || ft == fFraction {
			b.WriteString(strings.Repeat(string(c), n))
			return
		}
		r := req[ft]
		length := r.n
		switch {
		case ft == fMinute || ft == fSecond:
			length = n
		case f.specified && c != 'c' && c != 'e':
			sk := f.skeleton[ft]
			patNum := typeValue(c, n) > 0
			skelNum := typeValue(sk.c, sk.n) > 0
			if sk.n == r.n || patNum != skelNum {
				length = n
			}
		}
		if ft != fHour && ft != fMonth && ft != fWeekday && (ft != fYear || r.c == 'Y') {
			c = r.c
		}
		b.WriteString(strings.Repeat(string(c), length))
	})
	return b.String()
}

// writeLiteral writes literal text quoted where it holds letters.
func writeLiteral(b *strings.Builder, lit string) {
	if strings.IndexFunc(lit, func(r rune) bool { return r < 128 && (r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r == '\'') }) < 0 {
		b.WriteString(lit)
		return
	}
	b.WriteByte('\'')
	b.WriteString(strings.ReplaceAll(lit, "'", "''"))
	b.WriteByte('\'')
}

// fieldPattern is one field alone.
func fieldPattern(f fields, ft int) string {
	return strings.Repeat(string(f[ft].c), f[ft].n)
}

// bestAppended is best, with the fields no pattern has appended (as
// CLDR's appendItems do: "{0} {1}").
func (d *dateData) bestAppended(req fields) string {
	p, missing := d.best(req)
	for ft := range nFields {
		if missing[ft].n == 0 || ft == fFraction {
			continue
		}
		if p == "" {
			p = fieldPattern(missing, ft)
		} else {
			p += " " + fieldPattern(missing, ft)
		}
	}
	return p
}

// pattern returns the pattern for requested fields: one availableFormat
// when one has them all, else the best date pattern and the best time
// pattern joined by the locale's date-time glue for the date's width.
func (d *dateData) pattern(req fields) string {
	p, missing := d.best(req)
	if missing == (fields{}) {
		return withFraction(p, req, d.Decimal)
	}
	req = normalizeDayPeriod(req)
	var date, tm fields
	for ft := range nFields {
		if ft <= fDay {
			date[ft] = req[ft]
		} else {
			tm[ft] = req[ft]
		}
	}
	if date == (fields{}) || tm == (fields{}) {
		return withFraction(d.bestAppended(req), req, d.Decimal)
	}
	style := "short"
	switch {
	case date[fMonth].n == 4 && date[fWeekday].n > 0:
		style = "full"
	case date[fMonth].n == 4:
		style = "long"
	case date[fMonth].n == 3:
		style = "medium"
	}
	return withFraction(glue(d, style, d.bestAppended(date), d.bestAppended(tm)), req, d.Decimal)
}

// glue joins a date and a time pattern with the locale's pattern for
// style ("{1} 'at' {0}").
func glue(d *dateData, style, date, tm string) string {
	g := d.DateTimeFormatAtTime[style]
	if g == "" {
		g = d.DateTimeFormat[style]
	}
	if g == "" {
		g = "{1} {0}"
	}
	return strings.ReplaceAll(strings.ReplaceAll(g, "{1}", date), "{0}", tm)
}

// withFraction adds fractional seconds after the seconds (or alone).
func withFraction(p string, req fields, decimal string) string {
	n := req[fFraction].n
	if n == 0 {
		return p
	}
	frac := strings.Repeat("S", n)
	var b strings.Builder
	done := false
	forTokens(p, func(c byte, k int, lit string) {
		if c == 0 {
			writeLiteral(&b, lit)
			return
		}
		b.WriteString(strings.Repeat(string(c), k))
		if c == 's' && !done {
			writeLiteral(&b, decimal)
			b.WriteString(frac)
			done = true
		}
	})
	if !done {
		if p != "" {
			b.WriteString(" ")
		}
		b.WriteString(frac)
	}
	return b.String()
}

// --- resolve -------------------------------------------------------------------

// DateTimeResolve implements date-time-resolve.
func (t *Text) DateTimeResolve(ctx context.Context, locales []string, options []intlwit.Field) (out []intlwit.Field, e *string) {
	defer func() {
		if r := recover(); r != nil {
			msg := fmt.Sprintf("internal error: %v", r)
			out, e = nil, &msg
		}
	}()
	res, err := t.resolveDateTime(locales, options)
	if err != nil {
		msg := err.Error()
		return nil, &msg
	}
	return res, nil
}

func (t *Text) resolveDateTime(locales []string, options []intlwit.Field) ([]intlwit.Field, error) {
	if err := t.init(); err != nil {
		return nil, err
	}
	opt := map[string]string{}
	for _, f := range options {
		opt[f.Name] = f.Value
	}
	// The locale: the first requested that has data, as requested; else
	// en-US, Workers' default.
	tag, dl := language.AmericanEnglish, "en"
	for _, l := range locales {
		tg, err := language.Parse(l)
		if err != nil {
			continue
		}
		if c := t.dataLocale(tg); c != "" {
			tag, dl = tg, c
			break
		}
	}
	d, err := t.dates(dl)
	if err != nil {
		return nil, err
	}
	locale := stripExtensions(tag)
	zoneName := orDefault(opt["timeZone"], "UTC")
	z, err := t.zone(zoneName)
	if err != nil {
		return nil, err
	}
	// The hour cycle: hour12, else hourCycle, else the locale's -u-hc-,
	// else the locale's own.
	hcDefault := orDefault(d.HourCycle, "h23")
	hc := hcDefault
	hcKey := tag.TypeForKey("hc")
	switch {
	case opt["hour12"] == "true":
		hc = "h12"
		if hcDefault == "h11" || hcDefault == "h23" {
			hc = "h11"
		}
	case opt["hour12"] == "false":
		hc = "h24"
		if hcDefault == "h11" || hcDefault == "h23" {
			hc = "h23"
		}
	case opt["hourCycle"] != "":
		hc = opt["hourCycle"]
	case hcKey == "h11" || hcKey == "h12" || hcKey == "h23" || hcKey == "h24":
		hc = hcKey
		locale += "-u-hc-" + hcKey
	}
	hourChar := map[string]byte{"h11": 'K', "h12": 'h', "h23": 'H', "h24": 'k'}[hc]

	var pattern string
	ds, ts := opt["dateStyle"], opt["timeStyle"]
	if ds != "" || ts != "" {
		var dp, tp string
		if ds != "" {
			dp = d.DateFormat[ds]
		}
		if ts != "" {
			tp = d.TimeFormat[ts]
			pf := patternFields(tp)
			if c := pf[fHour].c; c != 0 && c != hourChar {
				// Another hour cycle: find the time pattern for the style's
				// fields with the cycle's hour.
				pf[fHour].c = hourChar
				tp = d.pattern(pf)
			}
		}
		switch {
		case dp != "" && tp != "":
			pattern = glue(d, ds, dp, tp)
		case dp != "":
			pattern = dp
		default:
			pattern = tp
		}
	} else {
		var req fields
		set := func(ft int, c byte, n int) { req[ft].c, req[ft].n = c, n }
		width := map[string]int{"numeric": 1, "2-digit": 2, "short": 3, "long": 4, "narrow": 5}
		if w := width[opt["weekday"]]; w >= 3 {
			set(fWeekday, 'E', w)
		}
		if w := width[opt["era"]]; w >= 3 {
			set(fEra, 'G', map[int]int{3: 1, 4: 4, 5: 5}[w])
		}
		if w := width[opt["year"]]; w > 0 {
			set(fYear, 'y', w)
		}
		if w := width[opt["month"]]; w > 0 {
			set(fMonth, 'M', w)
		}
		if w := width[opt["day"]]; w > 0 {
			set(fDay, 'd', w)
		}
		if w := width[opt["dayPeriod"]]; w >= 3 {
			set(fDayPeriod, 'B', map[int]int{3: 1, 4: 4, 5: 5}[w])
		}
		if w := width[opt["hour"]]; w > 0 {
			set(fHour, hourChar, w)
		}
		if w := width[opt["minute"]]; w > 0 {
			set(fMinute, 'm', w)
		}
		if w := width[opt["second"]]; w > 0 {
			set(fSecond, 's', w)
		}
		if n, err := strconv.Atoi(opt["fractionalSecondDigits"]); err == nil && n >= 1 && n <= 3 {
			set(fFraction, 'S', n)
		}
		switch opt["timeZoneName"] {
		case "short":
			set(fZone, 'z', 1)
		case "long":
			set(fZone, 'z', 4)
		case "shortOffset":
			set(fZone, 'O', 1)
		case "longOffset":
			set(fZone, 'O', 4)
		case "shortGeneric":
			set(fZone, 'v', 1)
		case "longGeneric":
			set(fZone, 'v', 4)
		}
		if req == (fields{}) {
			return nil, fmt.Errorf("no date or time fields")
		}
		pattern = d.pattern(req)
	}
	// A hour field takes the cycle's letter.
	pattern = withHour(pattern, hourChar)

	out := []intlwit.Field{
		{Name: "locale", Value: locale},
		{Name: "calendar", Value: "gregory"},
		{Name: "numberingSystem", Value: "latn"},
		{Name: "timeZone", Value: z.name},
	}
	pf := patternFields(pattern)
	if pf[fHour].n > 0 {
		out = append(out, intlwit.Field{Name: "hourCycle", Value: hc}, intlwit.Field{Name: "hour12", Value: boolWord(hc == "h11" || hc == "h12")})
	}
	if ds != "" || ts != "" {
		if ds != "" {
			out = append(out, intlwit.Field{Name: "dateStyle", Value: ds})
		}
		if ts != "" {
			out = append(out, intlwit.Field{Name: "timeStyle", Value: ts})
		}
	} else {
		names := map[int]string{3: "short", 4: "long", 5: "narrow", 1: "numeric", 2: "2-digit"}
		add := func(name string, ft int) {
			if pf[ft].n > 0 {
				out = append(out, intlwit.Field{Name: name, Value: names[widthClass(pf[ft].c, pf[ft].n)]})
			}
		}
		add("weekday", fWeekday)
		add("era", fEra)
		if pf[fYear].n > 0 {
			out = append(out, intlwit.Field{Name: "year", Value: map[bool]string{true: "2-digit", false: "numeric"}[pf[fYear].n == 2]})
		}
		add("month", fMonth)
		add("day", fDay)
		if pf[fDayPeriod].c == 'B' || pf[fDayPeriod].c == 'b' {
			add("dayPeriod", fDayPeriod)
		}
		add("hour", fHour)
		add("minute", fMinute)
		add("second", fSecond)
		if pf[fFraction].n > 0 {
			out = append(out, intlwit.Field{Name: "fractionalSecondDigits", Value: strconv.Itoa(pf[fFraction].n)})
		}
		if opt["timeZoneName"] != "" && pf[fZone].n > 0 {
			out = append(out, intlwit.Field{Name: "timeZoneName", Value: opt["timeZoneName"]})
		}
	}
	out = append(out, intlwit.Field{Name: "pattern", Value: pattern}, intlwit.Field{Name: "dataLocale", Value: dl})
	return out, nil
}

// withHour gives the hour field the letter of the hour cycle, dropping
// the day period of a 12-hour pattern made 24-hour.
func withHour(p string, hour byte) string {
	pf := patternFields(p)
	if pf[fHour].n == 0 || pf[fHour].c == hour {
		return p
	}
	twelve := hour == 'h' || hour == 'K'
	var b strings.Builder
	forTokens(p, func(c byte, n int, lit string) {
		switch {
		case c == 0:
			writeLiteral(&b, lit)
		case fieldType(c) == fHour:
			b.WriteString(strings.Repeat(string(hour), n))
		case c == 'a' && !twelve:
			// dropped with the space before it (below)
		default:
			b.WriteString(strings.Repeat(string(c), n))
		}
	})
	s := b.String()
	if !twelve {
		s = strings.TrimSpace(strings.ReplaceAll(s, "  ", " "))
	}
	return s
}

// --- format ---------------------------------------------------------------------

// FormatDate implements format-date.
func (t *Text) FormatDate(ctx context.Context, locale, pattern, timeZone string, epochMs float64) (out []intlwit.Field) {
	defer func() {
		if r := recover(); r != nil {
			out = []intlwit.Field{{Name: "literal", Value: "Invalid Date"}}
		}
	}()
	d, err := t.dates(locale)
	if err != nil {
		return []intlwit.Field{{Name: "literal", Value: err.Error()}}
	}
	z, err := t.zone(timeZone)
	if err != nil {
		return []intlwit.Field{{Name: "literal", Value: err.Error()}}
	}
	ms := int64(math.Floor(epochMs))
	tm := time.UnixMilli(ms).In(z.loc)
	_, offset := tm.Zone()
	add := func(typ, v string) {
		if n := len(out); n > 0 && typ == "literal" && out[n-1].Name == "literal" {
			out[n-1].Value += v
			return
		}
		out = append(out, intlwit.Field{Name: typ, Value: v})
	}
	num := func(v, n int) string {
		s := strconv.Itoa(v)
		for len(s) < n {
			s = "0" + s
		}
		return s
	}
	forTokens(pattern, func(c byte, n int, lit string) {
		if c == 0 {
			add("literal", lit)
			return
		}
		switch c {
		case 'G':
			era := "AD"
			if tm.Year() <= 0 {
				era = "BC"
			}
			add("era", d.Era[textWidth(n)][era])
		case 'y', 'Y', 'u':
			y := tm.Year()
			if y <= 0 && c == 'y' {
				y = 1 - y
			}
			if n == 2 {
				add("year", num(y%100, 2))
			} else {
				add("year", num(y, n))
			}
		case 'M', 'L':
			names := d.Month
			if c == 'L' && d.MonthStandalone != nil {
				names = d.MonthStandalone
			}
			if n <= 2 {
				add("month", num(int(tm.Month()), n))
			} else {
				add("month", pick(names[textWidth(n)], int(tm.Month())-1))
			}
		case 'd':
			add("day", num(tm.Day(), n))
		case 'E', 'c', 'e':
			names := d.Weekday
			if c == 'c' && d.WeekdayStandalone != nil {
				names = d.WeekdayStandalone
			}
			if c != 'E' && n <= 2 {
				add("weekday", num(int(tm.Weekday())+1, n))
			} else {
				w := textWidth(n)
				if n == 6 {
					w = "short"
				}
				add("weekday", pick(names[w], int(tm.Weekday())))
			}
		case 'a':
			if tm.Hour() < 12 {
				add("dayPeriod", d.Am)
			} else {
				add("dayPeriod", d.Pm)
			}
		case 'b', 'B':
			add("dayPeriod", d.flexiblePeriod(tm, textWidth(n)))
		case 'h':
			h := tm.Hour() % 12
			if h == 0 {
				h = 12
			}
			add("hour", num(h, n))
		case 'H':
			add("hour", num(tm.Hour(), n))
		case 'K':
			add("hour", num(tm.Hour()%12, n))
		case 'k':
			h := tm.Hour()
			if h == 0 {
				h = 24
			}
			add("hour", num(h, n))
		case 'm':
			add("minute", num(tm.Minute(), n))
		case 's':
			add("second", num(tm.Second(), n))
		case 'S':
			frac := num(int(((ms%1000)+1000)%1000), 3)
			for len(frac) < n {
				frac += "0"
			}
			add("fractionalSecond", frac[:n])
		case 'z', 'v', 'O', 'V', 'Z', 'X', 'x':
			add("timeZoneName", d.zoneName(z.name, tm, offset, c, n))
		default:
			add("literal", strings.Repeat(string(c), n))
		}
	})
	return out
}

// FormatDateText implements format-date-text.
func (t *Text) FormatDateText(ctx context.Context, locale, pattern, timeZone string, epochMs float64) string {
	var b strings.Builder
	for _, p := range t.FormatDate(ctx, locale, pattern, timeZone, epochMs) {
		b.WriteString(p.Value)
	}
	return strings.ReplaceAll(b.String(), "\u202f", " ")
}

// textWidth maps a text field's length to CLDR's width.
func textWidth(n int) string {
	switch n {
	case 4:
		return "long"
	case 5:
		return "narrow"
	}
	return "short"
}

func pick(names []string, i int) string {
	if i >= 0 && i < len(names) {
		return names[i]
	}
	return ""
}

// flexiblePeriod is the day period (CLDR's dayPeriodRules) of tm.
func (d *dateData) flexiblePeriod(tm time.Time, width string) string {
	msOfDay := int64(tm.Hour()*3600+tm.Minute()*60+tm.Second()) * 1000
	names := d.DayPeriods[width]
	for _, r := range d.DayPeriodRules {
		if r.At != nil && *r.At == msOfDay && names[r.Name] != "" && tm.Nanosecond() == 0 {
			return names[r.Name]
		}
	}
	for _, r := range d.DayPeriodRules {
		if r.From == nil || r.Before == nil {
			continue
		}
		in := *r.From <= msOfDay && msOfDay < *r.Before
		if *r.From > *r.Before { // across midnight
			in = msOfDay >= *r.From || msOfDay < *r.Before
		}
		if in && names[r.Name] != "" {
			return names[r.Name]
		}
	}
	if tm.Hour() < 12 {
		return d.Am
	}
	return d.Pm
}

// zoneName names a zone as field c×n shows it: CLDR's specific or generic
// names where the locale has them, else the GMT format.
func (d *dateData) zoneName(zone string, tm time.Time, offset int, c byte, n int) string {
	names, ok := d.TimeZoneName[zone]
	dst := 0
	if tm.IsDST() {
		dst = 1
	}
	switch c {
	case 'z':
		if n >= 4 {
			if ok && len(names.Long) > dst {
				return names.Long[dst]
			}
			return d.gmt(offset, true)
		}
		if ok && len(names.Short) > dst {
			return names.Short[dst]
		}
	case 'v':
		if n >= 4 {
			if ok && names.LongGeneric != "" {
				return names.LongGeneric
			}
			return d.gmt(offset, true)
		}
		if ok && names.ShortGeneric != "" {
			return names.ShortGeneric
		}
	case 'O':
		return d.gmt(offset, n >= 4)
	case 'V':
		return zone
	}
	return d.gmt(offset, n >= 4)
}

// gmt formats an offset with the locale's GMT format: "GMT-5",
// "GMT+05:30" (long), "GMT" for zero.
func (d *dateData) gmt(offset int, long bool) string {
	f := orDefault(d.GmtFormat, "GMT{0}")
	if offset == 0 {
		return strings.ReplaceAll(f, "{0}", "")
	}
	hf := orDefault(d.HourFormat, "+HH:mm;-HH:mm")
	p, neg, _ := strings.Cut(hf, ";")
	if offset < 0 {
		offset = -offset
		if neg != "" {
			p = neg
		} else {
			p = "-" + strings.TrimLeft(p, "+")
		}
	}
	h, m := offset/3600, offset/60%60
	var s string
	if long {
		s = strings.NewReplacer("HH", fmt.Sprintf("%02d", h), "H", strconv.Itoa(h), "mm", fmt.Sprintf("%02d", m)).Replace(p)
	} else {
		// The short form: the sign as the locale writes it, the hours
		// unpadded, the minutes only when there are some.
		sign, _, _ := strings.Cut(p, "H")
		s = sign + strconv.Itoa(h)
		if m != 0 {
			s += fmt.Sprintf(":%02d", m)
		}
	}
	return strings.ReplaceAll(f, "{0}", s)
}
