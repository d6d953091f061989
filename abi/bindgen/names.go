package bindgen

import (
	"go/token"
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

// reserved are the identifiers that generated code declares or refers to in
// the scopes where it also declares WIT parameters (or fields named after
// WIT functions): the parameters, results and locals of the generated
// functions, the packages they use, and the predeclared names they call.
var reserved = map[string]bool{
	// locals, parameters and results of generated functions
	"ctx": true, "inst": true, "stack": true, "impl": true, "e": true, "v": true,
	"ret": true, "retptr": true, "gerr": true, "result": true, "err": true, "mark": true, "r0": true,
	// packages
	"abi": true, "api": true, "cabi": true, "context": true, "fmt": true, "math": true,
	"runtime": true, "wazero": true,
	// predeclared identifiers
	"len": true, "make": true, "append": true, "string": true, "error": true, "rune": true,
	"bool": true, "uint8": true, "uint16": true, "uint32": true, "uint64": true,
	"int8": true, "int16": true, "int32": true, "int64": true, "float32": true, "float64": true,
	"nil": true, "true": true, "false": true,
}

// isFresh reports whether n has the shape of the generator's fresh names
// (a letter and digits, as in v12 or p3) or of its guest export arguments (arg0).
func isFresh(n string) bool {
	digits := strings.TrimPrefix(n, "arg")
	if digits == n { // not argN: a letter, then the digits
		if len(n) < 2 || n[0] < 'a' || n[0] > 'z' {
			return false
		}
		digits = n[1:]
	}
	if digits == "" {
		return false
	}
	for _, c := range digits {
		if c < '0' || c > '9' {
			return false
		}
	}
	return true
}

// localName maps a WIT name to an unexported Go identifier that is neither
// a Go keyword nor a name the generated code uses (those get a "_" suffix).
func localName(s string) string {
	n := goName(s)
	if n == "" {
		return "_"
	}
	lowered := false
	for k, v := range initialisms {
		if strings.HasPrefix(n, v) {
			n, lowered = k+n[len(v):], true
			break
		}
	}
	if !lowered {
		n = strings.ToLower(n[:1]) + n[1:]
	}
	if token.IsKeyword(n) || reserved[n] || isFresh(n) {
		return n + "_"
	}
	return n
}
