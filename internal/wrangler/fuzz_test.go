package wrangler

import (
	"strings"
	"testing"
)

// FuzzParse checks that Parse never panics on TOML or JSONC input, and that
// every error it returns starts with the file name.
func FuzzParse(f *testing.F) {
	for _, s := range []string{fullTOML, envTOML, "", "[[a]]\n[a.b]\n[[a]]\n", "a = 1\na = 2\n", "[vars]\nX = 1979-05-27T07:32:00Z\n"} {
		f.Add([]byte(s), false, "")
		f.Add([]byte(s), false, "staging")
	}
	for _, s := range []string{fullJSONC, envJSONC, "{}", "{\"a\":1,\"a\":2,}", "[1]", "{\"env\": {\"staging\": 1}}"} {
		f.Add([]byte(s), true, "")
		f.Add([]byte(s), true, "staging")
	}
	f.Fuzz(func(t *testing.T, data []byte, jsonc bool, env string) {
		name := "wrangler.toml"
		if jsonc {
			name = "wrangler.jsonc"
		}
		c, err := Parse(name, data, env, testParsers()...)
		if err != nil {
			if c != nil {
				t.Errorf("Parse returned both a config and an error")
			}
			if !strings.HasPrefix(err.Error(), name) {
				t.Errorf("error does not name the file: %v", err)
			}
			return
		}
		if c == nil {
			t.Fatal("Parse returned neither a config nor an error")
		}
		_ = c.String()
	})
}

// FuzzParseDotenv checks that the dotenv parser never panics.
func FuzzParseDotenv(f *testing.F) {
	for _, s := range []string{"A=1\n", "export A=\"x\\n\"\n", "A='multi\nline'\n", "A=\"unterminated", "# c\n\nB=x # y\n"} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		_, err := parseDotenv(".dev.vars", data)
		if err != nil && !strings.HasPrefix(err.Error(), ".dev.vars:") {
			t.Errorf("error does not name the file and line: %v", err)
		}
	})
}
