package bindery

import (
	"net/url"
	"testing"
)

// parseURL's fast path must agree with url.Parse on every URL it accepts.
func TestParseURL(t *testing.T) {
	for _, raw := range []string{
		"http://127.0.0.1:8787/hello",
		"https://example.com/kv/a?ttl=60",
		"http://example.com/?",
		"http://example.com/a?b?c",
		"http://example.com/a/b:c@d",
		"http://example.com/%2F?x=%20",
		"http://user:pw@example.com/",
		"http://example.com/a#frag",
		"http://example.com",
		"http://example.com?q",
		"http://[::1]:8787/x",
		"/relative",
		"",
	} {
		t.Run(raw, func(t *testing.T) { checkParseURL(t, raw) })
	}
}

func FuzzParseURL(f *testing.F) {
	f.Add("http://127.0.0.1:8787/kv/a?ttl=60")
	f.Add("http://u@h/p%41?q#f")
	f.Fuzz(checkParseURL)
}

func checkParseURL(t *testing.T, raw string) {
	var u url.URL
	uri, err := parseURL(&u, raw)
	want, wantErr := url.Parse(raw)
	if (err != nil) != (wantErr != nil) {
		t.Fatalf("parseURL(%q) error %v, url.Parse error %v", raw, err, wantErr)
	}
	if err != nil {
		return
	}
	if u.User.String() != want.User.String() {
		t.Fatalf("parseURL(%q): user %q, url.Parse: %q", raw, u.User, want.User)
	}
	u.User, want.User = nil, nil
	if u != *want || uri != want.RequestURI() {
		t.Fatalf("parseURL(%q) = %#v, %q; url.Parse: %#v, %q", raw, u, uri, *want, want.RequestURI())
	}
}
