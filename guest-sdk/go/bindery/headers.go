package bindery

import (
	"net/http"
	"strings"
)

// The host sends header names in lower case; net/http wants them
// canonical. Map lookups cost ~0.7 µs each in Go-on-Wasm (ten times native:
// the hash runs without AES instructions), so the common names are found by
// binary search in two parallel sorted tables instead. Lower-casing a
// canonical name keeps the order (the two forms of two names first differ
// at the same position, both at a word start or both not), so one order
// serves both directions.

// canonNames are common header names in canonical form, sorted.
var canonNames = [...]string{
	"Accept", "Accept-Encoding", "Accept-Language", "Authorization", "Cache-Control",
	"Cf-Connecting-Ip", "Connection", "Content-Encoding", "Content-Length", "Content-Type",
	"Cookie", "Host", "If-Match", "If-Modified-Since", "If-None-Match", "Origin", "Range",
	"Referer", "Te", "Upgrade", "User-Agent", "X-Forwarded-For", "X-Forwarded-Proto",
	"X-Request-Id",
}

// lowerNames are canonNames in lower case, in the same (sorted) order.
var lowerNames = func() (l [len(canonNames)]string) {
	for i, k := range canonNames {
		l[i] = strings.ToLower(k)
	}
	return l
}()

// find returns the index of name in the sorted table, or -1.
func find(table *[len(canonNames)]string, name string) int {
	lo, hi := 0, len(table)
	for lo < hi {
		m := int(uint(lo+hi) >> 1)
		switch c := table[m]; {
		case c == name:
			return m
		case c < name:
			lo = m + 1
		default:
			hi = m
		}
	}
	return -1
}

// canonicalKey returns the canonical form of a lower-case header name.
func canonicalKey(lower string) string {
	if i := find(&lowerNames, lower); i >= 0 {
		return canonNames[i]
	}
	return http.CanonicalHeaderKey(lower)
}

// lowerKey returns the lower-case form of a canonical header name.
func lowerKey(k string) string {
	if i := find(&canonNames, k); i >= 0 {
		return lowerNames[i]
	}
	return strings.ToLower(k)
}
