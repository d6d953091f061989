// Package cron is Cloudflare's cron dialect for Cron Triggers, and a
// scheduler that fires them on the host's clock (docs/cron.md).
//
// [Parse] reads an expression of five fields — minute, hour, day of
// month, month, day of week — in UTC, with Cloudflare's Quartz-like
// extensions: month names JAN-DEC, days of the week 1-7 (1 is Sunday) or
// SUN-SAT, L (the last day of the month; nL the last weekday n of the
// month), W (the weekday nearest a day; LW the last weekday of the
// month) and # (FRI#3, the third Friday). [Expr.Next] finds the next
// time an expression matches, skipping by month, day and hour. [Start]
// arms one timer per expression on a [clock.Clock] and calls a function
// at each occurrence; occurrences missed while nothing ran are not
// replayed.
package cron

import (
	"errors"
	"fmt"
	"math/bits"
	"strconv"
	"strings"
	"time"
)

// ErrNeverFires is the error of a [ParseError] for an expression that is
// well formed but matches no time at all, such as "0 0 30 2 *".
var ErrNeverFires = errors.New("never fires")

// ParseError is the error of [Parse]: the expression, the field at fault
// ("minute", "hour", "day-of-month", "month", "day-of-week"; empty when
// the fault is the expression as a whole) and what is wrong.
type ParseError struct {
	// Expr is the expression as given to Parse.
	Expr string
	// Field names the field at fault, or is empty.
	Field string
	// Err says what is wrong.
	Err error
}

// Error returns `cron "EXPR": FIELD: what is wrong`.
func (e *ParseError) Error() string {
	if e.Field == "" {
		return fmt.Sprintf("cron %q: %v", e.Expr, e.Err)
	}
	return fmt.Sprintf("cron %q: %s: %v", e.Expr, e.Field, e.Err)
}

// Unwrap returns what is wrong ([ErrNeverFires], for one).
func (e *ParseError) Unwrap() error { return e.Err }

// Expr is a parsed cron expression. It is immutable and safe for
// concurrent use.
type Expr struct {
	src string

	minutes uint64 // bit m: minute m (0-59)
	hours   uint32 // bit h: hour h (0-23)
	months  uint16 // bit m: month m (1-12)

	// Day of month.
	dom        uint32 // bit d: day d (1-31)
	domLast    bool   // L: the last day of the month
	domLastWd  bool   // LW: the last weekday (Monday-Friday) of the month
	domNearest uint32 // bit d: dW, the weekday nearest day d
	domStar    bool   // the field begins with '*'

	// Day of week, as time.Weekday (0 is Sunday).
	dow     uint8    // bit w: every weekday w
	dowLast uint8    // bit w: wL, the last weekday w of the month
	dowNth  [7]uint8 // bit k of dowNth[w]: w#k, the k-th weekday w (k 1-5)
	dowStar bool     // the field begins with '*'
}

// The fields, in order, with their ranges.
var fields = [5]struct {
	name     string
	min, max int
	names    []string // names[i] is the value min+i
}{
	{name: "minute", min: 0, max: 59},
	{name: "hour", min: 0, max: 23},
	{name: "day-of-month", min: 1, max: 31},
	{name: "month", min: 1, max: 12, names: []string{"JAN", "FEB", "MAR", "APR", "MAY", "JUN", "JUL", "AUG", "SEP", "OCT", "NOV", "DEC"}},
	{name: "day-of-week", min: 1, max: 7, names: []string{"SUN", "MON", "TUE", "WED", "THU", "FRI", "SAT"}},
}

const (
	fMinute = iota
	fHour
	fDOM
	fMonth
	fDOW
)

// Parse parses a Cloudflare cron expression: five fields separated by
// white space (minute 0-59, hour 0-23, day-of-month 1-31, month 1-12
// or JAN-DEC, day-of-week 1-7 or SUN-SAT where 1 is Sunday), each a
// comma-separated list of `*`, a value, a range a-b, any of those with a
// step /n (a/n is a-max/n), and in day-of-month L, LW and nW, in
// day-of-week L (Saturday), nL and n#k. Names and letters are
// case-insensitive. Times are UTC. When both day fields are restricted
// (neither begins with `*`) a day matches either of them, as in standard
// cron; otherwise it must match both.
//
// The error is a *[ParseError]; an expression that matches no time ever
// is one too, wrapping [ErrNeverFires].
func Parse(expr string) (*Expr, error) {
	parts := strings.Fields(expr)
	if len(parts) != 5 {
		return nil, &ParseError{Expr: expr, Err: fmt.Errorf("want 5 fields (minute hour day-of-month month day-of-week), got %d", len(parts))}
	}
	e := &Expr{src: expr}
	for i, p := range parts {
		if err := e.parseField(i, p); err != nil {
			return nil, &ParseError{Expr: expr, Field: fields[i].name, Err: err}
		}
	}
	e.domStar = strings.HasPrefix(parts[fDOM], "*")
	e.dowStar = strings.HasPrefix(parts[fDOW], "*")
	// The calendar repeats every 400 years, weekdays included, so one
	// search from any time finds an occurrence if there is one.
	if e.Next(time.Date(2000, 1, 1, 0, 0, 0, 0, time.UTC)).IsZero() {
		return nil, &ParseError{Expr: expr, Err: ErrNeverFires}
	}
	return e, nil
}

// MustParse is Parse that panics on an error: for expressions written in
// code.
func MustParse(expr string) *Expr {
	e, err := Parse(expr)
	if err != nil {
		panic(err)
	}
	return e
}

// String returns the expression as it was given to Parse.
func (e *Expr) String() string { return e.src }

// parseField parses field i's text into e.
func (e *Expr) parseField(i int, text string) error {
	for item := range strings.SplitSeq(text, ",") {
		if item == "" {
			return fmt.Errorf("empty list item in %q", text)
		}
		if err := e.parseItem(i, item); err != nil {
			return err
		}
	}
	return nil
}

// parseItem parses one list item of field i.
func (e *Expr) parseItem(i int, item string) error {
	f := fields[i]
	up := upper(item)
	if strings.Contains(up, "?") {
		return fmt.Errorf("%q: ? is not supported (use *)", item)
	}
	switch {
	case i == fDOM && (up == "L" || up == "LW"):
		if up == "L" {
			e.domLast = true
		} else {
			e.domLastWd = true
		}
		return nil
	case i == fDOM && strings.HasSuffix(up, "W"):
		d, err := value(i, item[:len(item)-1], item)
		if err != nil {
			return err
		}
		e.domNearest |= 1 << d
		return nil
	case i == fDOW && up == "L":
		e.dow |= 1 << time.Saturday // "L" alone is Saturday, as in Quartz
		return nil
	case i == fDOW && strings.HasSuffix(up, "L"):
		w, err := value(i, item[:len(item)-1], item)
		if err != nil {
			return err
		}
		e.dowLast |= 1 << (w - 1)
		return nil
	case i == fDOW && strings.Contains(up, "#"):
		day, nth, _ := strings.Cut(item, "#")
		w, err := value(i, day, item)
		if err != nil {
			return err
		}
		if !isDigits(nth) {
			return fmt.Errorf("%q: occurrence %q is not a number", item, nth)
		}
		k, err := strconv.Atoi(nth)
		if err != nil || k < 1 || k > 5 {
			return fmt.Errorf("%q: occurrence %s out of range 1-5", item, nth)
		}
		e.dowNth[w-1] |= 1 << k
		return nil
	}

	// [*|a|a-b][/step]
	base, stepText, hasStep := strings.Cut(item, "/")
	lo, hi := f.min, f.max
	switch {
	case base == "*":
	case strings.Contains(base, "-"):
		a, b, _ := strings.Cut(base, "-")
		var err error
		if lo, err = value(i, a, item); err != nil {
			return err
		}
		if hi, err = value(i, b, item); err != nil {
			return err
		}
		if lo > hi {
			return fmt.Errorf("range %q is backwards", base)
		}
	default:
		v, err := value(i, base, item)
		if err != nil {
			return err
		}
		lo = v
		if !hasStep {
			hi = v
		}
	}
	step := 1
	if hasStep {
		if !isDigits(stepText) {
			return fmt.Errorf("%q: step %q is not a number", item, stepText)
		}
		n, err := strconv.Atoi(stepText)
		if err != nil || n < 1 || n > f.max {
			return fmt.Errorf("%q: step %s out of range 1-%d", item, stepText, f.max)
		}
		step = n
	}
	for v := lo; v <= hi; v += step {
		e.set(i, v)
	}
	return nil
}

// set adds value v of field i.
func (e *Expr) set(i, v int) {
	switch i {
	case fMinute:
		e.minutes |= 1 << v
	case fHour:
		e.hours |= 1 << v
	case fDOM:
		e.dom |= 1 << v
	case fMonth:
		e.months |= 1 << v
	case fDOW:
		e.dow |= 1 << (v - 1)
	}
}

// value parses a number or name of field i; item is the list item it is
// part of, for the error.
func value(i int, s, item string) (int, error) {
	f := fields[i]
	if s == "" {
		return 0, fmt.Errorf("%q: missing value", item)
	}
	if isDigits(s) {
		v, err := strconv.Atoi(s)
		if err != nil || v < f.min || v > f.max {
			if i == fDOW {
				return 0, fmt.Errorf("value %s out of range 1-7 (1 is Sunday, 7 is Saturday)", s)
			}
			return 0, fmt.Errorf("value %s out of range %d-%d", s, f.min, f.max)
		}
		return v, nil
	}
	up := upper(s)
	for j, n := range f.names {
		if up == n {
			return f.min + j, nil
		}
	}
	if len(f.names) == 0 {
		return 0, fmt.Errorf("invalid value %q", s)
	}
	return 0, fmt.Errorf("unknown name %q", s)
}

// upper returns s with ASCII letters in upper case, and nothing else
// changed (names are ASCII: no Unicode folding makes "ſun" Sunday).
func upper(s string) string {
	b := []byte(s)
	for i, c := range b {
		if 'a' <= c && c <= 'z' {
			b[i] = c - 'a' + 'A'
		}
	}
	return string(b)
}

// isDigits reports whether s is a non-empty run of ASCII digits.
func isDigits(s string) bool {
	return s != "" && strings.Trim(s, "0123456789") == ""
}

// maxMonths bounds Next's search: the Gregorian calendar, weekdays
// included, repeats every 400 years, so an expression that matches
// nothing in 400 years and a month matches nothing ever.
const maxMonths = 400*12 + 1

// Next returns the first time strictly after after, truncated to the
// minute, that e matches, in UTC. It never returns the zero time for an
// expression from Parse (which rejects the ones that never fire).
func (e *Expr) Next(after time.Time) time.Time {
	t := after.UTC().Truncate(time.Minute).Add(time.Minute)
	y, mo, d := t.Date()
	h, mi := t.Hour(), t.Minute()
	for range maxMonths {
		if e.months&(1<<mo) != 0 {
			days := e.days(y, mo)
			n := daysIn(y, mo)
			for ; d <= n; d++ {
				if days&(1<<d) != 0 {
					if hh, mm, ok := e.timeOfDay(h, mi); ok {
						return time.Date(y, mo, d, hh, mm, 0, 0, time.UTC)
					}
				}
				h, mi = 0, 0
			}
		}
		if mo++; mo > time.December {
			mo = time.January
			y++
		}
		d, h, mi = 1, 0, 0
	}
	return time.Time{}
}

// timeOfDay returns the first hour and minute at or after h:mi that e
// matches, and false when there is none that day.
func (e *Expr) timeOfDay(h, mi int) (int, int, bool) {
	for hs := e.hours >> h << h; hs != 0; hs &= hs - 1 {
		hh := bits.TrailingZeros32(hs)
		ms := e.minutes
		if hh == h {
			ms = ms >> mi << mi
		}
		if ms != 0 {
			return hh, bits.TrailingZeros64(ms), true
		}
	}
	return 0, 0, false
}

// days returns the days (bit d: day d) of month mo of year y that e's day
// fields match.
func (e *Expr) days(y int, mo time.Month) uint32 {
	n := daysIn(y, mo)
	all := uint32(uint64(1)<<(n+1) - 2) // days 1..n
	first := time.Date(y, mo, 1, 0, 0, 0, 0, time.UTC).Weekday()
	weekday := func(d int) time.Weekday { return (first + time.Weekday(d-1)) % 7 }

	dom := e.dom & all
	if e.domLast {
		dom |= 1 << n
	}
	if e.domLastWd {
		d := n
		switch weekday(n) {
		case time.Saturday:
			d = n - 1
		case time.Sunday:
			d = n - 2
		}
		dom |= 1 << d
	}
	for ds := e.domNearest & all; ds != 0; ds &= ds - 1 {
		d := bits.TrailingZeros32(ds)
		switch weekday(d) {
		case time.Saturday:
			if d > 1 {
				d--
			} else {
				d += 2 // never the previous month: the 1st on a Saturday is Monday the 3rd
			}
		case time.Sunday:
			if d < n {
				d++
			} else {
				d -= 2 // never the next month: the last day on a Sunday is Friday
			}
		}
		dom |= 1 << d
	}

	var dow uint32
	for w := time.Sunday; w <= time.Saturday; w++ {
		// The first day of the month that is weekday w.
		d0 := 1 + int((w-first+7)%7)
		if e.dow&(1<<w) != 0 {
			for d := d0; d <= n; d += 7 {
				dow |= 1 << d
			}
		}
		if e.dowLast&(1<<w) != 0 {
			d := d0 + (n-d0)/7*7
			dow |= 1 << d
		}
		for ks := e.dowNth[w]; ks != 0; ks &= ks - 1 {
			k := bits.TrailingZeros8(ks)
			if d := d0 + 7*(k-1); d <= n {
				dow |= 1 << d
			}
		}
	}

	// Standard (Vixie) cron: a day field that begins with '*' does not
	// widen the other; two restricted ones do.
	if e.domStar || e.dowStar {
		return dom & dow
	}
	return dom | dow
}

// daysIn returns the number of days of month mo of year y.
func daysIn(y int, mo time.Month) int {
	return time.Date(y, mo+1, 0, 0, 0, 0, 0, time.UTC).Day()
}
