package main

import (
	"errors"
	"os"
	"strings"
	"testing"
)

// TestDevFlagRanges gives bindery dev out-of-range values: each is a usage
// error naming the flag and what it takes, found before anything else
// (the working directory has no config, which would be the next error).
func TestDevFlagRanges(t *testing.T) {
	tests := []struct {
		args []string
		want string // in stderr
	}{
		{[]string{"--request-timeout", "-1s"}, "--request-timeout -1s: want more than 0s and at most 24h"},
		{[]string{"--request-timeout", "0"}, "--request-timeout 0s: want more than 0s"},
		{[]string{"--request-timeout", "25h"}, "--request-timeout 25h0m0s: want more than 0s and at most 24h"},
		{[]string{"--max-instances", "0"}, "--max-instances 0: want 1 to 1024"},
		{[]string{"--max-instances", "-3"}, "--max-instances -3: want 1 to 1024"},
		{[]string{"--max-instances", "100000"}, "--max-instances 100000: want 1 to 1024"},
		{[]string{"--memory-limit", "0"}, "--memory-limit 0: want 1 to 4096 (MiB"},
		{[]string{"--memory-limit", "-1"}, "--memory-limit -1: want 1 to 4096 (MiB"},
		{[]string{"--memory-limit", "5000"}, "--memory-limit 5000: want 1 to 4096 (MiB"},
		{[]string{"--port", "-1"}, "--port -1: want 0 to 65535"},
		{[]string{"--port", "99999"}, "--port 99999: want 0 to 65535"},
		{[]string{"--log-level", "loud"}, `--log-level "loud": want debug, info, warn or error`},
		{[]string{"--var", "NOVALUE"}, `--var "NOVALUE": want KEY:VALUE`},
		{[]string{"--var", ":v"}, `--var ":v": want KEY:VALUE`},
	}
	for _, tc := range tests {
		t.Run(strings.Join(tc.args, " "), func(t *testing.T) {
			dir := t.TempDir()
			_, errOut, err := runCLI(t, dir, append([]string{"dev", "--no-build"}, tc.args...)...)
			if !errors.Is(err, errUsage) {
				t.Errorf("err = %v, want a usage error", err)
			}
			if !strings.Contains(errOut, tc.want) {
				t.Errorf("stderr %q lacks %q", errOut, tc.want)
			}
			if entries, _ := os.ReadDir(dir); len(entries) > 0 {
				t.Errorf("a rejected start wrote %d entries in %s", len(entries), dir)
			}
		})
	}
}
