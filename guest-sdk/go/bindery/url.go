package bindery

import (
	"net/url"
	"strings"
)

// parseURL fills u from the absolute URL the host sends
// ("http://host:port/path?query") and returns the request URI. The common
// case is a single pass over the bytes; url.Parse, whose general machinery
// costs ~17 µs per request in Wasm (see docs/benchmarks.md), handles
// anything else: another scheme, escapes, a fragment, userinfo, an IPv6
// host, bytes a path would have to escape. Both give the same URL
// (FuzzParseURL).
func parseURL(u *url.URL, raw string) (string, error) {
	var scheme, rest string
	switch {
	case strings.HasPrefix(raw, "http://"):
		scheme, rest = "http", raw[len("http://"):]
	case strings.HasPrefix(raw, "https://"):
		scheme, rest = "https", raw[len("https://"):]
	default:
		return parseURLSlow(u, raw)
	}
	port := false
	i := 0
	for ; i < len(rest) && rest[i] != '/'; i++ {
		switch c := rest[i]; {
		case c == ':' && !port:
			port = true
		case port && '0' <= c && c <= '9', !port && urlBytes[c]&hostByte != 0:
		default:
			return parseURLSlow(u, raw)
		}
	}
	if i == 0 || i == len(rest) {
		return parseURLSlow(u, raw)
	}
	host, uri := rest[:i], rest[i:]
	query := -1
	for j := 0; j < len(uri); j++ {
		c := uri[j]
		if query < 0 && c == '?' {
			query = j
			continue
		}
		if query < 0 && urlBytes[c]&pathByte == 0 || query >= 0 && urlBytes[c]&queryByte == 0 {
			return parseURLSlow(u, raw)
		}
	}
	u.Scheme, u.Host = scheme, host
	if query < 0 {
		u.Path = uri
	} else {
		u.Path, u.RawQuery = uri[:query], uri[query+1:]
		u.ForceQuery = u.RawQuery == ""
	}
	return uri, nil
}

func parseURLSlow(u *url.URL, raw string) (string, error) {
	p, err := url.Parse(raw)
	if err != nil {
		return "", err
	}
	*u = *p
	return u.RequestURI(), nil
}

// Byte classes of parseURL's fast path.
const (
	hostByte  = 1 << iota // in a host name
	pathByte              // in a path that needs no escaping
	queryByte             // in a query
)

var urlBytes = func() (t [256]uint8) {
	for c := 0x21; c < 0x7f; c++ {
		if c != '#' {
			t[c] |= queryByte
		}
	}
	for c := range 256 {
		if 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' || c == '-' || c == '.' {
			t[c] |= hostByte | pathByte
		}
	}
	for _, c := range []byte("_~/$&+,;=:@") {
		t[c] |= pathByte
	}
	return t
}()
