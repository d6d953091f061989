package bindgen

import (
	"strings"
)

var initialisms = map[string]string{"id": "ID", "url": "URL", "http": "HTTP", "json": "JSON", "ttl": "TTL", "uri": "URI", "sql": "SQL", "io": "IO", "api": "API", "utf8": "UTF8"}

// goName maps a WIT kebab-case name to an exported Go CamelCase name.
func goName(s string) string {
	var b strings.Builder
	for _, part := range strings.Split(strings.TrimPrefix(s, "%"), "-") {
		if part == "" {
			continue
		}
		if v, ok := initialisms[part]; ok {
			b.WriteString(v)
			continue
		}
		b.WriteString(strings.ToUpper(part[:1]) + part[1:])
	}
	return b.String()
}

// localName maps a WIT name to an unexported Go identifier.
func localName(s string) string {
	n := goName(s)
	if n == "" {
		return "_"
	}
	for k, v := range initialisms {
		if strings.HasPrefix(n, v) {
			return k + n[len(v):]
		}
	}
	n = strings.ToLower(n[:1]) + n[1:]
	switch n {
	case "type", "func", "var", "range", "map", "chan", "go", "select", "case", "default", "len", "string", "error":
		return n + "_"
	}
	return n
}
