package wrangler

import (
	"path/filepath"
	"reflect"
	"strings"
	"testing"
)

func TestLoadSecretsPrecedence(t *testing.T) {
	tests := []struct {
		name      string
		files     map[string]string
		env       string
		want      map[string]string
		wantFiles []string
	}{
		{
			name: "no files",
			want: map[string]string{},
		},
		{
			name:      ".dev.vars",
			files:     map[string]string{".dev.vars": "A=dev-vars"},
			want:      map[string]string{"A": "dev-vars"},
			wantFiles: []string{".dev.vars"},
		},
		{
			name:      ".dev.vars.<env> wins over .dev.vars and is not merged with it",
			files:     map[string]string{".dev.vars": "A=base\nB=base", ".dev.vars.staging": "A=staging"},
			env:       "staging",
			want:      map[string]string{"A": "staging"},
			wantFiles: []string{".dev.vars.staging"},
		},
		{
			name:      ".dev.vars when .dev.vars.<env> is missing",
			files:     map[string]string{".dev.vars": "A=base", ".dev.vars.production": "A=prod"},
			env:       "staging",
			want:      map[string]string{"A": "base"},
			wantFiles: []string{".dev.vars"},
		},
		{
			name:      ".dev.vars.<env> is ignored without an env",
			files:     map[string]string{".dev.vars.staging": "A=staging"},
			want:      map[string]string{},
			wantFiles: nil,
		},
		{
			name:      ".env files are not read when a .dev.vars file exists",
			files:     map[string]string{".dev.vars": "A=dev-vars", ".env": "A=env\nB=env"},
			want:      map[string]string{"A": "dev-vars"},
			wantFiles: []string{".dev.vars"},
		},
		{
			name:      ".env files are not read when .dev.vars.<env> exists",
			files:     map[string]string{".dev.vars.staging": "A=dev-vars", ".env.staging": "B=env"},
			env:       "staging",
			want:      map[string]string{"A": "dev-vars"},
			wantFiles: []string{".dev.vars.staging"},
		},
		{
			name:      ".env alone",
			files:     map[string]string{".env": "A=env"},
			want:      map[string]string{"A": "env"},
			wantFiles: []string{".env"},
		},
		{
			name: ".env files merge, later ones override",
			files: map[string]string{
				".env":                "A=env\nB=env\nC=env\nD=env",
				".env.local":          "B=local",
				".env.staging":        "C=staging\nE=staging",
				".env.staging.local":  "D=staging-local",
				".env.production":     "A=production",
				".env.other-ignored":  "Z=1",
				".dev.vars.unrelated": "Y=1",
			},
			env:       "staging",
			want:      map[string]string{"A": "env", "B": "local", "C": "staging", "D": "staging-local", "E": "staging"},
			wantFiles: []string{".env", ".env.local", ".env.staging", ".env.staging.local"},
		},
		{
			name:      ".env.<env> only with env",
			files:     map[string]string{".env": "A=env", ".env.staging": "A=staging"},
			want:      map[string]string{"A": "env"},
			wantFiles: []string{".env"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := t.TempDir()
			for n, c := range tt.files {
				writeFile(t, filepath.Join(dir, n), c)
			}
			got, files, err := loadSecrets(dir, tt.env)
			if err != nil {
				t.Fatalf("loadSecrets: %v", err)
			}
			if !reflect.DeepEqual(got, tt.want) {
				t.Errorf("secrets = %v, want %v", got, tt.want)
			}
			var wantFiles []string
			for _, f := range tt.wantFiles {
				wantFiles = append(wantFiles, filepath.Join(dir, f))
			}
			if !reflect.DeepEqual(files, wantFiles) {
				t.Errorf("files = %q, want %q", files, wantFiles)
			}
			pub, err := LoadSecrets(dir, tt.env)
			if err != nil || !reflect.DeepEqual(pub, tt.want) {
				t.Errorf("LoadSecrets = %v, %v", pub, err)
			}
		})
	}
}

func TestLoadSecretsErrors(t *testing.T) {
	dir := t.TempDir()
	writeFile(t, filepath.Join(dir, ".dev.vars"), "OK=1\n\nthis line is broken\n")
	_, err := LoadSecrets(dir, "")
	want := filepath.Join(dir, ".dev.vars") + ":3:1: "
	if err == nil || !strings.HasPrefix(err.Error(), want) {
		t.Errorf("error = %v, want prefix %q", err, want)
	}

	for _, env := range []string{"../x", `a\b`, ".."} {
		if _, err := LoadSecrets(dir, env); err == nil {
			t.Errorf("LoadSecrets(env %q) succeeded", env)
		}
	}
}

func TestParseDotenv(t *testing.T) {
	tests := []struct {
		name string
		src  string
		want map[string]string
	}{
		{"simple", "A=1\nB=two words\n", map[string]string{"A": "1", "B": "two words"}},
		{"blank lines and comments", "\n# comment\n   # indented comment\n\nA=1\n\n", map[string]string{"A": "1"}},
		{"spaces around", "  A  =  padded value  \n", map[string]string{"A": "padded value"}},
		{"empty value", "A=\nB=   \nC= # only a comment\n", map[string]string{"A": "", "B": "", "C": ""}},
		{"export", "export A=1\nexport\tB=2\nexported=3\n", map[string]string{"A": "1", "B": "2", "exported": "3"}},
		{"inline comment", "A=value # comment\nB=value\t# tab comment\n", map[string]string{"A": "value", "B": "value"}},
		{"hash without space is data", "A=abc#def\nURL=https://x.test/#frag\nC=#lead\n", map[string]string{"A": "abc#def", "URL": "https://x.test/#frag", "C": "#lead"}},
		{"double quoted escapes", `A="line1\nline2\ttab \"q\" back\\slash \x"`, map[string]string{"A": "line1\nline2\ttab \"q\" back\\slash \\x"}},
		{"double quoted keeps spaces and hash", `A="  # not a comment  " # comment`, map[string]string{"A": "  # not a comment  "}},
		{"single quoted literal", `A='raw \n $HOME "x"' # c`, map[string]string{"A": `raw \n $HOME "x"`}},
		{"backtick quoted", "A=`it's \"fine\"`", map[string]string{"A": `it's "fine"`}},
		{"multi-line double quoted", "A=\"first\nsecond\"\nB=1", map[string]string{"A": "first\nsecond", "B": "1"}},
		{"multi-line single quoted", "KEY='-----BEGIN-----\nabc\n-----END-----'\n", map[string]string{"KEY": "-----BEGIN-----\nabc\n-----END-----"}},
		{"crlf", "A=1\r\nB=\"x\"\r\n", map[string]string{"A": "1", "B": "x"}},
		{"bom", "\xef\xbb\xbfA=1", map[string]string{"A": "1"}},
		{"dots and dashes in keys", "my.key-1=x", map[string]string{"my.key-1": "x"}},
		{"last value wins", "A=1\nA=2", map[string]string{"A": "2"}},
		{"equals in value", "A=b=c==", map[string]string{"A": "b=c=="}},
		{"quote inside unquoted", `A=it's`, map[string]string{"A": "it's"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := parseDotenv(".dev.vars", []byte(tt.src))
			if err != nil {
				t.Fatalf("parseDotenv: %v", err)
			}
			if !reflect.DeepEqual(got, tt.want) {
				t.Errorf("got %q, want %q", got, tt.want)
			}
		})
	}
}

func TestParseDotenvErrors(t *testing.T) {
	tests := []struct {
		name, src, want string
	}{
		{"no equals", "A=1\nJUSTAKEY\n", `.dev.vars:2:1: expected KEY=value: no "=" after the key`},
		{"space in key", "MY KEY=1", `.dev.vars:1:1: expected KEY=value: no "=" after the key`},
		{"no key", "=value", ".dev.vars:1:1: expected KEY=value"},
		{"bad key char", "  $X=1", ".dev.vars:1:3: expected KEY=value"},
		{"colon syntax", "A: 1", `.dev.vars:1:1: expected KEY=value: no "=" after the key`},
		{"unterminated double", "A=1\nB=\"open\nmore\n", ".dev.vars:2:3: B: unterminated quoted value (missing closing \")"},
		{"unterminated single", "B='open", ".dev.vars:1:3: B: unterminated quoted value (missing closing ')"},
		{"text after quote", `A="x" y`, ".dev.vars:1:3: A: unexpected text after the closing quote"},
		{"text after multi-line quote", "A=\"x\ny\" z", ".dev.vars:2: A: unexpected text after the closing quote"},
		{"export only", "export", `.dev.vars:1:1: expected KEY=value: no "=" after the key`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := parseDotenv(".dev.vars", []byte(tt.src))
			if err == nil || err.Error() != tt.want {
				t.Errorf("error = %v, want %q", err, tt.want)
			}
		})
	}
}

// TestDotenvErrorsDoNotLeakValues guards against secrets in error text.
func TestDotenvErrorsDoNotLeakValues(t *testing.T) {
	for _, src := range []string{
		"sk_live_SECRETVALUE",
		"A=\"sk_live_SECRETVALUE",
		"A=\"x\" sk_live_SECRETVALUE",
		"A sk_live_SECRETVALUE",
	} {
		_, err := parseDotenv(".dev.vars", []byte(src))
		if err == nil {
			t.Errorf("%q: want error", src)
			continue
		}
		if strings.Contains(err.Error(), "SECRETVALUE") {
			t.Errorf("error leaks the value: %v", err)
		}
	}
}
