package main

import (
	"errors"
	"flag"
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
		{[]string{"--help"}, "bindery kv key put"},
		{[]string{"-h"}, "bindery kv key put"},
		{[]string{"help"}, "bindery kv key put"},
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
