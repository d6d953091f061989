package main

import (
	"errors"
	"flag"
	"regexp"
	"slices"
	"strings"
	"testing"
)

// TestHelp asks every command and subcommand for help, as --help, -h and
// (where a subcommand is expected) help: each prints its own usage to
// stdout, nothing to stderr, and succeeds (exit 0).
func TestHelp(t *testing.T) {
	tests := []struct {
		args []string
		want string // in stdout
	}{
		{[]string{"--help"}, "bindery kv key put|get|delete|list"},
		{[]string{"-h"}, "bindery kv key put|get|delete|list"},
		{[]string{"help"}, "bindery kv key put|get|delete|list"},
		{[]string{"help", "dev"}, "Usage: bindery dev"},
		{[]string{"help", "kv", "key", "put"}, "Usage: bindery kv key put KEY"},
		{[]string{"dev", "--help"}, "Usage: bindery dev"},
		{[]string{"dev", "-h"}, "Usage: bindery dev"},
		{[]string{"build", "--help"}, "Usage: bindery build"},
		{[]string{"build", "-h"}, "Usage: bindery build"},
		{[]string{"init", "--help"}, "Usage: bindery init"},
		{[]string{"init", "-h"}, "Usage: bindery init"},
		{[]string{"kv", "--help"}, "Usage: bindery kv key"},
		{[]string{"kv", "-h"}, "Usage: bindery kv key"},
		{[]string{"kv", "help"}, "Usage: bindery kv key"},
		{[]string{"kv", "key", "--help"}, "Usage: bindery kv key"},
		{[]string{"kv", "key", "-h"}, "Usage: bindery kv key"},
		{[]string{"kv", "key", "help"}, "Usage: bindery kv key"},
		{[]string{"kv", "key", "put", "--help"}, "Usage: bindery kv key put KEY"},
		{[]string{"kv", "key", "put", "-h"}, "Usage: bindery kv key put KEY"},
		{[]string{"kv", "key", "get", "-h"}, "Usage: bindery kv key get KEY"},
		{[]string{"kv", "key", "delete", "-h"}, "Usage: bindery kv key delete KEY"},
		{[]string{"kv", "key", "list", "--help"}, "Usage: bindery kv key list"},
		{[]string{"kv", "key", "get", "k", "--binding", "STORE", "--help"}, "Usage: bindery kv key get KEY"},
		{[]string{"r2", "--help"}, "Usage: bindery r2 object"},
		{[]string{"r2", "-h"}, "Usage: bindery r2 object"},
		{[]string{"r2", "help"}, "Usage: bindery r2 object"},
		{[]string{"r2", "object", "--help"}, "Usage: bindery r2 object"},
		{[]string{"r2", "object", "-h"}, "Usage: bindery r2 object"},
		{[]string{"r2", "object", "help"}, "Usage: bindery r2 object"},
		{[]string{"r2", "object", "put", "--help"}, "Usage: bindery r2 object put BUCKET/KEY"},
		{[]string{"r2", "object", "get", "-h"}, "Usage: bindery r2 object get BUCKET/KEY"},
		{[]string{"r2", "object", "delete", "-h"}, "Usage: bindery r2 object delete BUCKET/KEY"},
		{[]string{"r2", "object", "list", "-h"}, "Usage: bindery r2 object list BUCKET"},
		{[]string{"--help"}, "bindery d1 COMMAND DATABASE"},
		{[]string{"help", "d1", "migrations", "apply"}, "Usage: bindery d1 migrations apply DATABASE"},
		{[]string{"d1", "--help"}, "Usage: bindery d1 COMMAND"},
		{[]string{"d1", "help"}, "Usage: bindery d1 COMMAND"},
		{[]string{"d1", "migrations", "help"}, "Usage: bindery d1 migrations"},
		{[]string{"d1", "execute", "-h"}, "Usage: bindery d1 execute DATABASE"},
		{[]string{"d1", "migrations", "create", "--help"}, "Usage: bindery d1 migrations create DATABASE NAME"},
		{[]string{"d1", "migrations", "list", "-h"}, "Usage: bindery d1 migrations list DATABASE"},
		{[]string{"d1", "export", "-h"}, "Usage: bindery d1 export DATABASE"},
		{[]string{"d1", "info", "--help"}, "Usage: bindery d1 info DATABASE"},
	}
	for _, tc := range tests {
		t.Run(strings.Join(tc.args, " "), func(t *testing.T) {
			out, errOut, err := runCLI(t, t.TempDir(), tc.args...)
			if err != nil && !errors.Is(err, flag.ErrHelp) {
				t.Errorf("err = %v, want success (exit 0)", err)
			}
			if !strings.Contains(out, tc.want) {
				t.Errorf("stdout lacks %q:\n%s", tc.want, out)
			}
			if errOut != "" {
				t.Errorf("stderr = %q, want nothing", errOut)
			}
		})
	}
}

// TestHelpFlags reads the flag list of every command's help: each flag
// once, as "-c, --config FILE" (shorthands beside the long name, a value
// name in capitals, nothing from the usage text leaking into it), and no
// backquote left in any description.
func TestHelpFlags(t *testing.T) {
	flagLine := regexp.MustCompile(`^  (-[a-z], |    )--[a-z0-9-]+(, --[a-z0-9-]+)*( [A-Z][A-Za-z0-9_.:=/-]*)?$`)
	tests := []struct {
		args []string
		want []string // flag lines that must be there
	}{
		{[]string{"dev"}, []string{"      --admin-addr HOST:PORT", "  -c, --config FILE", "      --request-timeout DURATION", "      --var KEY:VALUE", "      --no-build"}},
		{[]string{"build"}, []string{"  -e, --env NAME"}},
		{[]string{"init"}, []string{"  -l, --lang LANG", "      --force"}},
		{[]string{"kv", "key", "put"}, []string{"      --ttl SECONDS", "      --namespace-id ID", "  -e, --env NAME"}},
		{[]string{"kv", "key", "get"}, []string{"      --text"}},
		{[]string{"kv", "key", "delete"}, []string{"      --binding NAME"}},
		{[]string{"kv", "key", "list"}, []string{"      --prefix PREFIX"}},
		{[]string{"r2", "object", "put"}, []string{"      --content-type, --ct TYPE", "  -p, --pipe", "      --metadata NAME=VALUE"}},
		{[]string{"r2", "object", "get"}, []string{"  -f, --file PATH", "      --range RANGE"}},
		{[]string{"r2", "object", "delete"}, []string{"      --persist-to DIR"}},
		{[]string{"r2", "object", "list"}, []string{"      --limit N", "      --include-metadata"}},
		{[]string{"d1", "execute"}, []string{"      --command SQL", "      --file PATH", "      --json", "  -c, --config FILE", "      --local"}},
		{[]string{"d1", "migrations", "apply"}, []string{"      --persist-to DIR", "  -e, --env NAME"}},
		{[]string{"d1", "export"}, []string{"      --output PATH", "      --no-data", "      --table NAME"}},
		{[]string{"d1", "info"}, []string{"      --json"}},
	}
	for _, tc := range tests {
		t.Run(strings.Join(tc.args, " "), func(t *testing.T) {
			out, _, err := runCLI(t, t.TempDir(), append(tc.args, "--help")...)
			if !errors.Is(err, flag.ErrHelp) {
				t.Fatalf("err = %v, want flag.ErrHelp", err)
			}
			_, list, ok := strings.Cut(out, "\nFlags:\n")
			if !ok {
				t.Fatalf("no Flags: section:\n%s", out)
			}
			lines := strings.Split(strings.TrimSuffix(list, "\n"), "\n")
			if len(lines)%2 != 0 {
				t.Fatalf("flag list is not name/description pairs:\n%s", list)
			}
			for i := 0; i < len(lines); i += 2 {
				if !flagLine.MatchString(lines[i]) {
					t.Errorf("flag line %q does not read like \"  -c, --config FILE\"", lines[i])
				}
				if d := lines[i+1]; !strings.HasPrefix(d, "        ") || strings.ContainsAny(d, "`") || strings.Contains(d, "shorthand for") {
					t.Errorf("description of %q reads %q", lines[i], d)
				}
			}
			for _, w := range tc.want {
				if !slices.Contains(lines, w) {
					t.Errorf("no flag line %q in:\n%s", w, list)
				}
			}
		})
	}
}
