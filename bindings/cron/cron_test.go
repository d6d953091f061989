package cron

import (
	"errors"
	"math/rand/v2"
	"strings"
	"testing"
	"time"
)

// at parses "2006-01-02 15:04" or "2006-01-02 15:04:05" as UTC.
func at(t testing.TB, s string) time.Time {
	t.Helper()
	layout := "2006-01-02 15:04"
	if strings.Count(s, ":") == 2 {
		layout = "2006-01-02 15:04:05"
	}
	v, err := time.Parse(layout, s)
	if err != nil {
		t.Fatal(err)
	}
	return v
}

func TestNext(t *testing.T) {
	tests := []struct {
		name, expr, after, want string
	}{
		// Plain fields, truncation to the minute, strictly after.
		{"every minute", "* * * * *", "2026-12-08 12:00", "2026-12-08 12:01"},
		{"seconds truncated", "* * * * *", "2026-12-08 12:00:30", "2026-12-08 12:01"},
		{"strictly after a match", "30 9 * * *", "2026-12-08 09:30", "2026-12-09 09:30"},
		{"step", "*/5 * * * *", "2026-12-08 12:03", "2026-12-08 12:05"},
		{"step from a value", "5/15 * * * *", "2026-12-08 12:36", "2026-12-08 12:50"},
		{"step from a value, next hour", "5/15 * * * *", "2026-12-08 12:50", "2026-12-08 13:05"},
		{"step on a range", "10-30/10 * * * *", "2026-12-08 12:31", "2026-12-08 13:10"},
		{"list", "1,31,59 * * * *", "2026-12-08 12:31", "2026-12-08 12:59"},
		{"hour step, day rollover", "0 */6 * * *", "2026-12-08 19:00", "2026-12-09 00:00"},
		{"hour range", "15 9-17 * * *", "2026-12-08 17:15", "2026-12-09 09:15"},
		{"year rollover", "30 9 * * *", "2026-12-31 10:00", "2027-01-01 09:30"},
		{"new year's eve", "59 23 31 12 *", "2026-12-31 23:59", "2027-12-31 23:59"},
		{"new year", "0 0 1 1 *", "2026-06-01 00:00", "2027-01-01 00:00"},
		{"month step by name", "0 12 1 JAN/3 *", "2026-12-08 00:00", "2027-01-01 12:00"},
		{"month step by name, after january", "0 12 1 jan/3 *", "2027-01-01 12:00", "2027-04-01 12:00"},
		{"month range by name", "0 0 1 aug-sep *", "2026-12-08 00:00", "2027-08-01 00:00"},
		{"day 31 skips short months", "0 0 31 * *", "2026-04-01 00:00", "2026-05-31 00:00"},
		// Days of the week: 1 is Sunday, 7 Saturday.
		{"sunday by name", "0 17 * * sun", "2026-12-08 00:00", "2026-12-13 17:00"},
		{"sunday is 1", "0 17 * * 1", "2026-12-08 00:00", "2026-12-13 17:00"},
		{"saturday is 7", "0 0 * * 7", "2026-12-08 00:00", "2026-12-12 00:00"},
		{"L alone is saturday", "0 0 * * L", "2026-12-08 00:00", "2026-12-12 00:00"},
		{"weekdays by name", "10 7 * * mon-fri", "2026-12-11 08:00", "2026-12-14 07:10"},
		{"weekdays by number", "10 7 * * 2-6", "2026-12-11 08:00", "2026-12-14 07:10"},
		{"weekday list", "0 0 * * MON,WED,FRI", "2026-12-08 00:00", "2026-12-09 00:00"},
		{"weekday step", "0 0 * * 1/2", "2026-12-08 00:00", "2026-12-10 00:00"}, // SUN, TUE, THU, SAT
		// L in day-of-month.
		{"L in a leap february", "0 0 L * *", "2024-02-01 00:00", "2024-02-29 00:00"},
		{"L in february", "0 0 L * *", "2023-02-01 00:00", "2023-02-28 00:00"},
		{"L in a 30-day month", "0 0 L * *", "2026-04-05 00:00", "2026-04-30 00:00"},
		{"L in a 31-day month", "0 0 L * *", "2026-01-05 00:00", "2026-01-31 00:00"},
		{"L after the last day", "0 0 L * *", "2026-01-31 00:00", "2026-02-28 00:00"},
		{"L with days", "0 0 1,15,L * *", "2026-12-15 00:00", "2026-12-31 00:00"},
		// February 29.
		{"feb 29 from a leap year", "0 0 29 2 *", "2024-03-01 00:00", "2028-02-29 00:00"},
		{"feb 29 before it", "0 0 29 2 *", "2023-01-01 00:00", "2024-02-29 00:00"},
		// W: the weekday nearest a day, never in another month.
		{"1W on a saturday is monday the 3rd", "0 0 1W * *", "2021-12-15 00:00", "2022-01-03 00:00"},
		{"1W on a sunday is monday the 2nd", "0 0 1W * *", "2026-10-15 00:00", "2026-11-02 00:00"},
		{"31W on a sunday is friday the 29th", "0 0 31W * *", "2022-07-01 00:00", "2022-07-29 00:00"},
		{"15W on a saturday is friday", "0 0 15W * *", "2026-08-01 00:00", "2026-08-14 00:00"},
		{"16W on a sunday is monday", "0 0 16W * *", "2026-08-01 00:00", "2026-08-17 00:00"},
		{"15W on a weekday is that day", "0 0 15w * *", "2026-12-01 00:00", "2026-12-15 00:00"},
		{"31W skips 30-day months", "0 0 31W * *", "2026-04-01 00:00", "2026-05-29 00:00"},
		{"LW, month ending on a saturday", "59 23 LW * *", "2023-09-01 00:00", "2023-09-29 23:59"},
		{"LW, month ending on a sunday", "59 23 LW * *", "2022-07-01 00:00", "2022-07-29 23:59"},
		{"LW, month ending on a weekday", "59 23 lw * *", "2026-12-01 00:00", "2026-12-31 23:59"},
		// nL and #.
		{"6L last friday", "0 18 * * 6L", "2026-12-08 00:00", "2026-12-25 18:00"},
		{"friL last friday", "0 18 * * friL", "2026-12-08 00:00", "2026-12-25 18:00"},
		{"1L last sunday on the last day", "0 0 * * 1L", "2025-11-01 00:00", "2025-11-30 00:00"},
		{"FRI#3", "0 10 * * FRI#3", "2026-12-08 00:00", "2026-12-18 10:00"},
		{"6#3", "0 10 * * 6#3", "2026-12-08 00:00", "2026-12-18 10:00"},
		{"mon#2", "0 10 * * mon#2", "2026-12-08 00:00", "2026-12-14 10:00"},
		{"#5 skips months without one", "0 0 * * MON#5", "2026-12-01 00:00", "2027-03-29 00:00"},
		{"#5 of february: a leap year's monday 29th", "0 0 * 2 MON#5", "2026-12-01 00:00", "2044-02-29 00:00"},
		// Both day fields restricted: either matches.
		{"13th or friday: friday first", "0 0 13 * FRI", "2026-12-08 00:00", "2026-12-11 00:00"},
		{"13th or friday: the 13th", "0 0 13 * FRI", "2026-12-11 00:00", "2026-12-13 00:00"},
		{"L or first monday: L", "0 0 L * MON#1", "2026-12-08 00:00", "2026-12-31 00:00"},
		{"L or first monday: monday", "0 0 L * MON#1", "2026-12-31 00:00", "2027-01-04 00:00"},
		{"feb 30 or a friday in february", "0 0 30 2 FRI", "2026-12-08 00:00", "2027-02-05 00:00"},
		// A day field beginning with '*' does not widen the other: both match.
		{"odd days that are fridays", "0 0 */2 * FRI", "2026-12-12 00:00", "2026-12-25 00:00"},
		{"odd days or fridays", "0 0 1/2 * FRI", "2026-12-12 00:00", "2026-12-13 00:00"}, // 1/2 is restricted: OR
		{"day of month alone", "0 0 13 * *", "2026-12-08 00:00", "2026-12-13 00:00"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e, err := Parse(tt.expr)
			if err != nil {
				t.Fatal(err)
			}
			got := e.Next(at(t, tt.after))
			if want := at(t, tt.want); !got.Equal(want) || got.Location() != time.UTC {
				t.Errorf("%q.Next(%s) = %v, want %v", tt.expr, tt.after, got, want)
			}
			if !matches(e, got) {
				t.Errorf("%q does not match its Next %v by the reference matcher", tt.expr, got)
			}
		})
	}
}

func TestNextInUTC(t *testing.T) {
	e := MustParse("0 22 * * *")
	after := time.Date(2026, 12, 8, 23, 30, 0, 0, time.FixedZone("UTC+2", 2*3600)) // 21:30 UTC
	got := e.Next(after)
	if want := time.Date(2026, 12, 8, 22, 0, 0, 0, time.UTC); !got.Equal(want) || got.Location() != time.UTC {
		t.Errorf("Next(%v) = %v, want %v", after, got, want)
	}
}

// matches is a reference matcher, written apart from Expr.days: whether e
// matches t (to the minute, UTC).
func matches(e *Expr, t time.Time) bool {
	t = t.UTC()
	if e.minutes&(1<<t.Minute()) == 0 || e.hours&(1<<t.Hour()) == 0 || e.months&(1<<t.Month()) == 0 {
		return false
	}
	y, m, d := t.Date()
	n := time.Date(y, m+1, 0, 0, 0, 0, 0, time.UTC).Day()
	weekend := func(day int) bool {
		w := time.Date(y, m, day, 0, 0, 0, 0, time.UTC).Weekday()
		return w == time.Saturday || w == time.Sunday
	}
	dom := e.dom&(1<<d) != 0 || e.domLast && d == n
	if e.domLastWd {
		last := n
		for weekend(last) {
			last--
		}
		dom = dom || d == last
	}
	for k := 1; k <= n; k++ {
		if e.domNearest&(1<<k) == 0 {
			continue
		}
		// The weekday nearest k in the month: try k, then k-1 and k+1
		// (k-1 first: a Saturday's nearest is Friday), then k+2 and k-2.
		for _, c := range []int{k, k - 1, k + 1, k + 2, k - 2} {
			if c >= 1 && c <= n && !weekend(c) {
				dom = dom || d == c
				break
			}
		}
	}
	w := t.Weekday()
	dow := e.dow&(1<<w) != 0 || e.dowLast&(1<<w) != 0 && d+7 > n || e.dowNth[w]&(1<<((d-1)/7+1)) != 0
	if e.domStar || e.dowStar {
		return dom && dow
	}
	return dom || dow
}

// TestNextAgainstReference checks Next, minute by minute, against the
// reference matcher for random times.
func TestNextAgainstReference(t *testing.T) {
	exprs := []string{
		"*/7 */5 * * *", "0 0 L * *", "0 0 LW * *", "0 12 1W,15W,31W * *", "0 0 * * 2L,5#2",
		"0 0 13 * FRI", "0 0 */2 * FRI", "30 6 * 2 *", "0 0 * * 1#5,7L", "45 23 L * 6L",
	}
	r := rand.New(rand.NewPCG(1, 2))
	for _, s := range exprs {
		e := MustParse(s)
		for range 20 {
			after := time.Date(2020, 1, 1, 0, 0, 0, 0, time.UTC).Add(time.Duration(r.Int64N(int64(10 * 365 * 24 * time.Hour))))
			got := e.Next(after)
			if !matches(e, got) {
				t.Fatalf("%q.Next(%v) = %v, which does not match", s, after, got)
			}
			// Nothing in between matches (bounded walk).
			for m := after.Truncate(time.Minute).Add(time.Minute); m.Before(got) && m.Before(after.Add(62*24*time.Hour)); m = m.Add(time.Minute) {
				if matches(e, m) {
					t.Fatalf("%q.Next(%v) = %v, but %v matches", s, after, got, m)
				}
			}
		}
	}
}

func TestParseErrors(t *testing.T) {
	tests := []struct {
		expr, field, want string
	}{
		{"", "", `cron "": want 5 fields (minute hour day-of-month month day-of-week), got 0`},
		{"* * * *", "", `cron "* * * *": want 5 fields (minute hour day-of-month month day-of-week), got 4`},
		{"0 * * * * *", "", `cron "0 * * * * *": want 5 fields (minute hour day-of-month month day-of-week), got 6`},
		{"@daily", "", `cron "@daily": want 5 fields (minute hour day-of-month month day-of-week), got 1`},
		{"60 * * * *", "minute", `cron "60 * * * *": minute: value 60 out of range 0-59`},
		{"* 24 * * *", "hour", `cron "* 24 * * *": hour: value 24 out of range 0-23`},
		{"* * 0 * *", "day-of-month", `cron "* * 0 * *": day-of-month: value 0 out of range 1-31`},
		{"* * 32 * *", "day-of-month", `cron "* * 32 * *": day-of-month: value 32 out of range 1-31`},
		{"* * * 13 *", "month", `cron "* * * 13 *": month: value 13 out of range 1-12`},
		{"* * * 0 *", "month", `cron "* * * 0 *": month: value 0 out of range 1-12`},
		{"0 0 * * 0", "day-of-week", `cron "0 0 * * 0": day-of-week: value 0 out of range 1-7 (1 is Sunday, 7 is Saturday)`},
		{"0 0 * * 8", "day-of-week", `cron "0 0 * * 8": day-of-week: value 8 out of range 1-7 (1 is Sunday, 7 is Saturday)`},
		{"0 0 * * 0-6", "day-of-week", `cron "0 0 * * 0-6": day-of-week: value 0 out of range 1-7 (1 is Sunday, 7 is Saturday)`},
		{"0 12 * * MOX", "day-of-week", `cron "0 12 * * MOX": day-of-week: unknown name "MOX"`},
		{"0 12 * * JAN", "day-of-week", `cron "0 12 * * JAN": day-of-week: unknown name "JAN"`},
		{"0 12 * FOO *", "month", `cron "0 12 * FOO *": month: unknown name "FOO"`},
		{"0 12 * MON *", "month", `cron "0 12 * MON *": month: unknown name "MON"`},
		{"a * * * *", "minute", `cron "a * * * *": minute: invalid value "a"`},
		{"99999999999999999999 * * * *", "minute", `cron "99999999999999999999 * * * *": minute: value 99999999999999999999 out of range 0-59`},
		{"*/0 * * * *", "minute", `cron "*/0 * * * *": minute: "*/0": step 0 out of range 1-59`},
		{"*/60 * * * *", "minute", `cron "*/60 * * * *": minute: "*/60": step 60 out of range 1-59`},
		{"*/x * * * *", "minute", `cron "*/x * * * *": minute: "*/x": step "x" is not a number`},
		{"*/ * * * *", "minute", `cron "*/ * * * *": minute: "*/": step "" is not a number`},
		{"5-2 * * * *", "minute", `cron "5-2 * * * *": minute: range "5-2" is backwards`},
		{"0 0 * * FRI-MON", "day-of-week", `cron "0 0 * * FRI-MON": day-of-week: range "FRI-MON" is backwards`},
		{"1,,2 * * * *", "minute", `cron "1,,2 * * * *": minute: empty list item in "1,,2"`},
		{"1, * * * *", "minute", `cron "1, * * * *": minute: empty list item in "1,"`},
		{"-5 * * * *", "minute", `cron "-5 * * * *": minute: "-5": missing value`},
		{"* * ? * *", "day-of-month", `cron "* * ? * *": day-of-month: "?": ? is not supported (use *)`},
		{"* * * * ?", "day-of-week", `cron "* * * * ?": day-of-week: "?": ? is not supported (use *)`},
		{"* * * * FRI#6", "day-of-week", `cron "* * * * FRI#6": day-of-week: "FRI#6": occurrence 6 out of range 1-5`},
		{"* * * * 6#0", "day-of-week", `cron "* * * * 6#0": day-of-week: "6#0": occurrence 0 out of range 1-5`},
		{"* * * * FRI#x", "day-of-week", `cron "* * * * FRI#x": day-of-week: "FRI#x": occurrence "x" is not a number`},
		{"* * * * #3", "day-of-week", `cron "* * * * #3": day-of-week: "#3": missing value`},
		{"* * * * 0L", "day-of-week", `cron "* * * * 0L": day-of-week: value 0 out of range 1-7 (1 is Sunday, 7 is Saturday)`},
		{"* * 5L * *", "day-of-month", `cron "* * 5L * *": day-of-month: invalid value "5L"`},
		{"* * L-3 * *", "day-of-month", `cron "* * L-3 * *": day-of-month: invalid value "L"`},
		{"* * W * *", "day-of-month", `cron "* * W * *": day-of-month: "W": missing value`},
		{"* * 32W * *", "day-of-month", `cron "* * 32W * *": day-of-month: value 32 out of range 1-31`},
		{"* * 1-5W * *", "day-of-month", `cron "* * 1-5W * *": day-of-month: invalid value "1-5"`},
		{"* * * * 5W", "day-of-week", `cron "* * * * 5W": day-of-week: unknown name "5W"`},
		{"L * * * *", "minute", `cron "L * * * *": minute: invalid value "L"`},
		{"0 0 * * ſun", "day-of-week", `cron "0 0 * * ſun": day-of-week: unknown name "ſun"`},
		{"* * * L *", "month", `cron "* * * L *": month: unknown name "L"`},
		{"* * L/2 * *", "day-of-month", `cron "* * L/2 * *": day-of-month: invalid value "L"`},
		// Well formed, never fires.
		{"0 0 30 2 *", "", `cron "0 0 30 2 *": never fires`},
		{"0 0 31 4,6,9,11 *", "", `cron "0 0 31 4,6,9,11 *": never fires`},
		{"0 0 31W FEB *", "", `cron "0 0 31W FEB *": never fires`},
		{"0 0 */3 2 MON#5", "", `cron "0 0 */3 2 MON#5": never fires`}, // days 1, 4, ..., 28 AND the fifth monday of february (the 29th)
	}
	for _, tt := range tests {
		t.Run(tt.expr, func(t *testing.T) {
			e, err := Parse(tt.expr)
			if err == nil {
				t.Fatalf("Parse(%q) = %v, want an error", tt.expr, e)
			}
			if err.Error() != tt.want {
				t.Errorf("Parse(%q) error:\n got %s\nwant %s", tt.expr, err, tt.want)
			}
			var pe *ParseError
			if !errors.As(err, &pe) || pe.Expr != tt.expr || pe.Field != tt.field {
				t.Errorf("Parse(%q) error %#v, want a *ParseError of field %q", tt.expr, err, tt.field)
			}
			if never := strings.HasSuffix(tt.want, "never fires"); errors.Is(err, ErrNeverFires) != never {
				t.Errorf("errors.Is(%v, ErrNeverFires) = %v, want %v", err, !never, never)
			}
		})
	}
}

func TestMustParsePanics(t *testing.T) {
	defer func() {
		if recover() == nil {
			t.Error("MustParse of a bad expression did not panic")
		}
	}()
	MustParse("0 0 * * 0")
}

func TestString(t *testing.T) {
	for _, s := range []string{
		"*/5 * * * *", "59 23 31 12 *", "0 17 * * sun", "10 7 * * mon-fri", "0 18 * * friL",
		"59 23 LW * *", "0 10 * * FRI#3", "  0  12\t* * *  ", "0 0 1,15,L JAN-jun/2 *",
	} {
		e, err := Parse(s)
		if err != nil {
			t.Fatal(err)
		}
		if e.String() != s {
			t.Errorf("Parse(%q).String() = %q", s, e.String())
		}
	}
}

// Every documented example of Cloudflare's parses.
func TestCloudflareExamples(t *testing.T) {
	for _, s := range []string{
		"* * * * *", "*/30 * * * *", "45 * * * *", "0 17 * * sun", "0 17 * * 1",
		"10 7 * * mon-fri", "10 7 * * 2-6", "0 15 1 * *", "0 18 * * 6L", "0 18 * * friL",
		"59 23 LW * *", "*/3 * * * *", "0 0 * JAN-JUN FRI", "0 0 LW JUL-DEC *",
	} {
		if _, err := Parse(s); err != nil {
			t.Error(err)
		}
	}
}

func FuzzParse(f *testing.F) {
	for _, s := range []string{
		"* * * * *", "*/5 * * * *", "59 23 31 12 *", "0 18 * * 6L", "59 23 LW * *", "0 0 1W * *",
		"0 10 * * FRI#3", "0 0 13 * FRI", "0 0 */2 * FRI", "0 0 30 2 *", "0 12 * * MOX", "5/15 1-5/2 L,1 jan-mar/2 sun,7L",
		"0 0 * 2 MON#5", "", "* * * *", "*/0 * * * *",
	} {
		f.Add(s, int64(1796711400)) // 2026-12-08
	}
	lo := time.Date(1970, 1, 1, 0, 0, 0, 0, time.UTC).Unix()
	hi := time.Date(2400, 1, 1, 0, 0, 0, 0, time.UTC).Unix()
	f.Fuzz(func(t *testing.T, s string, unix int64) {
		e, err := Parse(s)
		if err != nil {
			var pe *ParseError
			if !errors.As(err, &pe) || pe.Expr != s {
				t.Fatalf("Parse(%q) error %v is not a *ParseError naming the expression", s, err)
			}
			return
		}
		if e.String() != s {
			t.Fatalf("String() = %q, want %q", e.String(), s)
		}
		if unix < lo || unix >= hi {
			unix = lo + (unix%(hi-lo)+(hi-lo))%(hi-lo)
		}
		after := time.Unix(unix, 0).UTC()
		next := e.Next(after)
		if next.IsZero() {
			t.Fatalf("%q.Next(%v) is zero for an accepted expression", s, after)
		}
		if !next.After(after) {
			t.Fatalf("%q.Next(%v) = %v, not after", s, after, next)
		}
		if !matches(e, next) {
			t.Fatalf("%q.Next(%v) = %v, which does not match", s, after, next)
		}
		if next2 := e.Next(next); !next2.After(next) {
			t.Fatalf("%q.Next(%v) = %v, not after", s, next, next2)
		}
	})
}

func BenchmarkNext(b *testing.B) {
	after := time.Date(2026, 12, 8, 3, 17, 0, 0, time.UTC)
	for _, s := range []string{"*/5 * * * *", "59 23 LW * *", "0 18 * * 6L", "0 0 29 2 *", "0 0 * 2 MON#5"} {
		e := MustParse(s)
		b.Run(s, func(b *testing.B) {
			for b.Loop() {
				e.Next(after)
			}
		})
	}
}
