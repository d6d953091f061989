package wrangler

import (
	"bytes"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
)

// LoadSecrets reads dotenv-format secrets for the config in dir for env (see rules below).
//
// As in wrangler: if env is set and dir/.dev.vars.<env> exists, only that
// file is read; otherwise dir/.dev.vars is read if it exists. If a .dev.vars
// file was found, .env files are not read at all. Otherwise the files .env,
// .env.local, .env.<env> and .env.<env>.local (the last two only when env is
// set) are read in that order if they exist, later files overriding earlier
// ones. No file at all gives an empty map and no error. A malformed line is
// an error naming the file and line; values are never quoted in errors.
func LoadSecrets(dir, env string) (map[string]string, error) {
	s, _, err := loadSecrets(dir, env)
	return s, err
}

// secretFileCandidates returns the .dev.vars candidates (first existing one
// wins) and the .env files (all existing ones merge), relative to dir.
func secretFileCandidates(env string) (devVars, dotEnv []string) {
	if env != "" {
		devVars = append(devVars, ".dev.vars."+env)
	}
	devVars = append(devVars, ".dev.vars")
	dotEnv = []string{".env", ".env.local"}
	if env != "" {
		dotEnv = append(dotEnv, ".env."+env, ".env."+env+".local")
	}
	return devVars, dotEnv
}

func loadSecrets(dir, env string) (map[string]string, []string, error) {
	if strings.ContainsAny(env, "/\\\x00") || env == "." || env == ".." {
		return nil, nil, fmt.Errorf("invalid environment name %q", env)
	}
	if dir == "" {
		dir = "."
	}
	devVars, dotEnv := secretFileCandidates(env)
	for _, n := range devVars {
		p := filepath.Join(dir, n)
		data, ok, err := readOptional(p)
		if err != nil {
			return nil, nil, err
		}
		if !ok {
			continue
		}
		m, err := parseDotenv(p, data)
		if err != nil {
			return nil, nil, err
		}
		return m, []string{p}, nil
	}
	out := map[string]string{}
	var files []string
	for _, n := range dotEnv {
		p := filepath.Join(dir, n)
		data, ok, err := readOptional(p)
		if err != nil {
			return nil, nil, err
		}
		if !ok {
			continue
		}
		m, err := parseDotenv(p, data)
		if err != nil {
			return nil, nil, err
		}
		for k, v := range m {
			out[k] = v
		}
		files = append(files, p)
	}
	return out, files, nil
}

// readOptional reads a file, reporting ok=false if it does not exist.
func readOptional(p string) ([]byte, bool, error) {
	data, err := os.ReadFile(p)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		return nil, false, nil
	case err != nil:
		return nil, false, err
	}
	return data, true, nil
}

// parseDotenv parses dotenv syntax:
//
//	# comment
//	KEY=value            # unquoted; trimmed; " #" or "\t#" starts a comment
//	export KEY=value
//	KEY="a\nb"           # \n \r \t \" \\ are unescaped; may span lines
//	KEY='literal $x \n'  # no escapes; may span lines (also `backticks`)
//
// Keys are made of letters, digits, "_", "." and "-". A repeated key keeps
// the last value. Any other line is an error naming name and the line.
func parseDotenv(name string, data []byte) (map[string]string, error) {
	data = bytes.TrimPrefix(data, []byte("\xef\xbb\xbf"))
	lines := strings.Split(string(data), "\n")
	out := map[string]string{}
	fail := func(line, col int, format string, args ...any) error {
		if col == 0 {
			return fmt.Errorf("%s:%d: %s", name, line, fmt.Sprintf(format, args...))
		}
		return fmt.Errorf("%s:%d:%d: %s", name, line, col, fmt.Sprintf(format, args...))
	}
	for i := 0; i < len(lines); i++ {
		lineNo := i + 1
		line := strings.TrimSuffix(lines[i], "\r")
		s := strings.TrimLeft(line, " \t")
		if s == "" || s[0] == '#' {
			continue
		}
		if rest, ok := strings.CutPrefix(s, "export"); ok && rest != "" && (rest[0] == ' ' || rest[0] == '\t') {
			s = strings.TrimLeft(rest, " \t")
		}
		col := len(line) - len(s) + 1
		j := 0
		for j < len(s) && isDotenvKeyChar(s[j]) {
			j++
		}
		if j == 0 {
			return nil, fail(lineNo, col, "expected KEY=value")
		}
		key := s[:j]
		r := strings.TrimLeft(s[j:], " \t")
		if r == "" || r[0] != '=' {
			// The "key" may be a pasted secret, so it is not quoted back.
			return nil, fail(lineNo, col, "expected KEY=value: no \"=\" after the key")
		}
		r = r[1:]
		v := strings.TrimLeft(r, " \t")
		if v == "" || (v[0] != '"' && v[0] != '\'' && v[0] != '`') {
			out[key] = unquotedValue(r)
			continue
		}
		q := v[0]
		body := v[1:]
		startLine, startCol := lineNo, col+(len(s)-len(v))
		for {
			end := closingQuote(body, q)
			if end >= 0 {
				after := strings.TrimLeft(body[end+1:], " \t")
				if after != "" && after[0] != '#' {
					errCol := 0
					if lineNo == startLine {
						errCol = startCol
					}
					return nil, fail(lineNo, errCol, "%s: unexpected text after the closing quote", key)
				}
				val := body[:end]
				if q == '"' {
					val = unescapeDouble(val)
				}
				out[key] = val
				break
			}
			if i+1 >= len(lines) {
				return nil, fail(startLine, startCol, "%s: unterminated quoted value (missing closing %c)", key, q)
			}
			i++
			lineNo = i + 1
			body += "\n" + strings.TrimSuffix(lines[i], "\r")
		}
	}
	return out, nil
}

func isDotenvKeyChar(c byte) bool {
	return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '_' || c == '.' || c == '-'
}

// unquotedValue cuts an inline comment (a '#' after a space or tab) and
// trims the rest.
func unquotedValue(raw string) string {
	for k := 1; k < len(raw); k++ {
		if raw[k] == '#' && (raw[k-1] == ' ' || raw[k-1] == '\t') {
			raw = raw[:k]
			break
		}
	}
	return strings.TrimSpace(raw)
}

// closingQuote returns the index of the quote q that ends body, or -1.
// Inside double quotes a backslash escapes the next byte.
func closingQuote(body string, q byte) int {
	if q != '"' {
		return strings.IndexByte(body, q)
	}
	for k := 0; k < len(body); k++ {
		switch body[k] {
		case '\\':
			k++
		case '"':
			return k
		}
	}
	return -1
}

func unescapeDouble(s string) string {
	if !strings.Contains(s, `\`) {
		return s
	}
	var b strings.Builder
	for k := 0; k < len(s); k++ {
		c := s[k]
		if c == '\\' && k+1 < len(s) {
			switch s[k+1] {
			case 'n':
				b.WriteByte('\n')
				k++
				continue
			case 'r':
				b.WriteByte('\r')
				k++
				continue
			case 't':
				b.WriteByte('\t')
				k++
				continue
			case '"', '\\':
				b.WriteByte(s[k+1])
				k++
				continue
			}
		}
		b.WriteByte(c)
	}
	return b.String()
}
