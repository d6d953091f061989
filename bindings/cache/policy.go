package cache

import (
	"fmt"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"
)

// What a put decides before it reads the body: refuse (an error), skip
// (store nothing) or store, for how long and with which fields. The rules
// are Cloudflare's for a shared cache (docs/sdk-js.md#cache lists them):
//
//   - refused, as workerd throws: a method other than GET, a 206, Vary: *;
//   - skipped: a 304 (workerd drops it silently), Cache-Control no-store,
//     private, no-cache (a Cache API lookup never revalidates, so such an
//     entry could never be matched), no-cache=<fields> naming a field the
//     response has, a request with Authorization unless public, s-maxage
//     or must-revalidate allow it, a Set-Cookie not named by private=, a
//     TTL of 0 or less;
//   - the TTL: s-maxage, else max-age, else Expires (against Date when
//     the response has one), else Cloudflare's default edge TTL of the
//     status (200, 206, 301: 2 h; 302, 303: 20 min; 404, 410: 3 min;
//     any other status is not stored), less the response's Age.

// decision is what put decided.
type decision struct {
	store   bool
	ttl     time.Duration
	header  Header // what is stored
	variant string
}

// The messages of workerd's TypeErrors, which an SDK shows as they are.
const (
	msgNotGET  = "Cannot cache response to non-GET request."
	msg206     = "Cannot cache response to a range request (206 Partial Content)."
	msgVaryAll = "Cannot cache response with 'Vary: *' header."
)

// defaultTTL is Cloudflare's edge TTL of a status when the response says
// nothing about freshness; 0 for a status it does not cache.
func defaultTTL(status int) time.Duration {
	switch status {
	case 200, 206, 301:
		return 120 * time.Minute
	case 302, 303:
		return 20 * time.Minute
	case 404, 410:
		return 3 * time.Minute
	}
	return 0
}

// decide applies the rules above to a put of resp for req at now.
func decide(now time.Time, req Request, resp ResponseHead, l Limits) (decision, error) {
	if req.Method != http.MethodGet {
		return decision{}, fmt.Errorf("%w: %s", ErrRefused, msgNotGET)
	}
	if resp.Status < 200 || resp.Status > 599 {
		return decision{}, fmt.Errorf("%w: status %d is not 200 to 599", ErrInvalidArgument, resp.Status)
	}
	if resp.Status == http.StatusPartialContent {
		return decision{}, fmt.Errorf("%w: %s", ErrRefused, msg206)
	}
	vary := resp.Header.Values("vary")
	for _, v := range vary {
		if strings.Contains(v, "*") {
			return decision{}, fmt.Errorf("%w: %s", ErrRefused, msgVaryAll)
		}
	}
	size := 0
	for _, f := range resp.Header {
		size += len(f.Name) + len(f.Value)
	}
	if size > l.MaxHeaderBytes {
		return decision{}, fmt.Errorf("%w: the response's header fields are %d bytes, the limit is %d", ErrInvalidArgument, size, l.MaxHeaderBytes)
	}
	if resp.Status == http.StatusNotModified {
		return decision{}, nil
	}
	cc := parseCacheControl(resp.Header.Values("cache-control"))
	if cc.has("no-store") {
		return decision{}, nil
	}
	private, named := cc.get("private")
	if private && !named.set {
		return decision{}, nil
	}
	if nc, v := cc.get("no-cache"); nc {
		if !v.set {
			return decision{}, nil
		}
		for _, name := range fieldNames(v.value) {
			if resp.Header.Has(name) {
				return decision{}, nil
			}
		}
	}
	if req.Header.Has("authorization") && !cc.has("public") && !cc.has("s-maxage") && !cc.has("must-revalidate") {
		return decision{}, nil
	}
	var strip []string
	if named.set {
		strip = fieldNames(named.value)
	}
	header := resp.Header.without(func(name string) bool {
		return slices.Contains(strip, name) || name == "content-length" || name == "transfer-encoding" || name == "cf-cache-status"
	})
	if header.Has("set-cookie") {
		return decision{}, nil
	}
	ttl := freshness(now, cc, resp)
	if age, ok := deltaSeconds(first(resp.Header.Values("age"))); ok {
		ttl -= age
	}
	if ttl <= 0 {
		return decision{}, nil
	}
	d := decision{store: true, ttl: ttl, header: header}
	if varies(vary, "accept-encoding") {
		d.variant = acceptEncodingVariant(req.Header)
	}
	return d, nil
}

// freshness is the response's freshness lifetime (before its Age).
func freshness(now time.Time, cc directives, resp ResponseHead) time.Duration {
	for _, name := range []string{"s-maxage", "max-age"} {
		if ok, v := cc.get(name); ok {
			d, valid := deltaSeconds(v.value)
			if !valid {
				return 0 // RFC 9111 §4.2.1: an invalid value means stale
			}
			return d
		}
	}
	if exp, ok := resp.Header.Get("expires"); ok {
		t, err := http.ParseTime(strings.TrimSpace(exp))
		if err != nil {
			return 0 // RFC 9111 §5.3: an invalid Expires is in the past
		}
		base := now
		if date, ok := resp.Header.Get("date"); ok {
			if d, err := http.ParseTime(strings.TrimSpace(date)); err == nil {
				base = d
			}
		}
		return t.Sub(base)
	}
	return defaultTTL(resp.Status)
}

// maxDelta is where delta-seconds saturate (RFC 9111 §1.2.2).
const maxDelta = 1<<31 - 1

// deltaSeconds parses delta-seconds (digits only, saturating at 2^31-1).
func deltaSeconds(s string) (time.Duration, bool) {
	s = strings.TrimSpace(s)
	if s == "" {
		return 0, false
	}
	n := 0
	for _, c := range []byte(s) {
		if c < '0' || c > '9' {
			return 0, false
		}
		n = min(n*10+int(c-'0'), maxDelta)
	}
	return time.Duration(n) * time.Second, true
}

func first(vs []string) string {
	if len(vs) == 0 {
		return ""
	}
	return vs[0]
}

// directive is the argument of a Cache-Control directive.
type directive struct {
	value string
	set   bool // the directive had "=value"
}

// directives are the Cache-Control directives of a response, by lower-case
// name; the first of a repeated directive wins.
type directives map[string]directive

func (d directives) has(name string) bool { _, ok := d[name]; return ok }

func (d directives) get(name string) (bool, directive) {
	v, ok := d[name]
	return ok, v
}

// parseCacheControl parses Cache-Control field values: directives
// separated by commas, each a token with an optional =token or
// ="quoted string" (whose commas do not separate).
func parseCacheControl(values []string) directives {
	d := directives{}
	for _, v := range values {
		for _, item := range splitList(v) {
			name, arg, hasArg := strings.Cut(item, "=")
			name = strings.ToLower(strings.TrimSpace(name))
			if name == "" || d.has(name) {
				continue
			}
			d[name] = directive{value: unquote(strings.TrimSpace(arg)), set: hasArg}
		}
	}
	return d
}

// splitList splits a comma-separated field value, keeping commas inside
// quoted strings, and drops empty elements.
func splitList(v string) []string {
	var out []string
	start, quoted := 0, false
	for i := 0; i < len(v); i++ {
		switch c := v[i]; {
		case c == '\\' && quoted:
			i++
		case c == '"':
			quoted = !quoted
		case c == ',' && !quoted:
			if s := strings.TrimSpace(v[start:i]); s != "" {
				out = append(out, s)
			}
			start = i + 1
		}
	}
	if s := strings.TrimSpace(v[start:]); s != "" {
		out = append(out, s)
	}
	return out
}

// unquote returns a quoted string's content (backslash escapes undone), or
// s as it is when it is not quoted.
func unquote(s string) string {
	if len(s) < 2 || s[0] != '"' || s[len(s)-1] != '"' {
		return s
	}
	var b strings.Builder
	for i := 1; i < len(s)-1; i++ {
		if s[i] == '\\' && i+1 < len(s)-1 {
			i++
		}
		b.WriteByte(s[i])
	}
	return b.String()
}

// fieldNames splits the field names of private="a, b" or no-cache=a,
// lower-cased.
func fieldNames(v string) []string {
	var out []string
	for _, n := range strings.Split(v, ",") {
		if n = strings.ToLower(strings.TrimSpace(n)); n != "" {
			out = append(out, n)
		}
	}
	return out
}

// varies reports whether the Vary field values name the field name.
func varies(vary []string, name string) bool {
	for _, v := range vary {
		for _, n := range strings.Split(v, ",") {
			if strings.EqualFold(strings.TrimSpace(n), name) {
				return true
			}
		}
	}
	return false
}

// acceptEncodingVariant is the variant of a response that varies on
// Accept-Encoding, stored for or looked up by a request with header h:
// "accept-encoding=" and the codings the request accepts (q > 0),
// lower-cased, sorted and without duplicates, so "gzip, br" and
// "br;q=1.0, gzip" find the same entry.
func acceptEncodingVariant(h Header) string {
	var codings []string
	for _, v := range h.Values("accept-encoding") {
		for _, item := range splitList(v) {
			coding, params, _ := strings.Cut(item, ";")
			coding = strings.ToLower(strings.TrimSpace(coding))
			if coding == "" || zeroQ(params) {
				continue
			}
			codings = append(codings, coding)
		}
	}
	slices.Sort(codings)
	return "accept-encoding=" + strings.Join(slices.Compact(codings), ",")
}

// zeroQ reports whether the parameters of an Accept-Encoding element give
// q=0 ("not acceptable").
func zeroQ(params string) bool {
	for _, p := range strings.Split(params, ";") {
		k, v, _ := strings.Cut(strings.TrimSpace(p), "=")
		if strings.EqualFold(strings.TrimSpace(k), "q") {
			q, err := strconv.ParseFloat(strings.TrimSpace(v), 64)
			return err == nil && q == 0
		}
	}
	return false
}
