package main

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/bindery-run/bindery/internal/testutil"
)

// kvStep is one in-process CLI run and what it must do.
type kvStep struct {
	args    []string
	wantErr []string // in the error (or stderr); none: it must succeed
	wantOut string   // exact stdout, unless empty
	usage   bool     // a usage error
}

func runKVSteps(t *testing.T, dir string, steps []kvStep) {
	t.Helper()
	for _, s := range steps {
		args := append([]string{"kv", "key"}, s.args...)
		out, errOut, err := runCLI(t, dir, args...)
		switch {
		case len(s.wantErr) == 0 && err != nil:
			t.Errorf("%q: %v\n%s", s.args, err, errOut)
		case len(s.wantErr) > 0 && err == nil:
			t.Errorf("%q succeeded, want an error with %q", s.args, s.wantErr)
		case s.usage != errors.Is(err, errUsage):
			t.Errorf("%q: err = %v, usage error %v", s.args, err, s.usage)
		}
		if err != nil {
			msg := err.Error() + errOut
			for _, w := range s.wantErr {
				if !strings.Contains(msg, w) {
					t.Errorf("%q: error %q lacks %q", s.args, msg, w)
				}
			}
		}
		if s.wantOut != "" && out != s.wantOut {
			t.Errorf("%q: stdout %q, want %q", s.args, out, s.wantOut)
		}
	}
}

// kvProject writes a project whose config declares the namespace
// "store-id" as STORE; main is the wasm given (which only bindery dev reads).
func kvProject(t *testing.T, wasm string) string {
	t.Helper()
	dir := t.TempDir()
	toml := fmt.Sprintf("name = \"kv-test\"\nmain = %q\n\n[[kv_namespaces]]\nbinding = \"STORE\"\nid = \"store-id\"\n", wasm)
	if err := os.WriteFile(filepath.Join(dir, "wrangler.toml"), []byte(toml), 0o644); err != nil {
		t.Fatal(err)
	}
	return dir
}

// TestKVNamespaceCheck gives kv key mistyped namespace ids, with no server:
// each is an error naming the id and the known namespaces, and makes no
// namespace; one the config declares, or put --create, makes it.
func TestKVNamespaceCheck(t *testing.T) {
	dir := kvProject(t, "kv-test.wasm")
	state := filepath.Join(dir, ".bindery", "state")
	runKVSteps(t, dir, []kvStep{
		{args: []string{"put", "k", "v", "--namespace-id", "typo"}, wantErr: []string{`no KV namespace "typo" in ` + state, "(it has none yet; the config declares store-id)", "add --create"}},
		{args: []string{"get", "k", "--namespace-id", "typo"}, wantErr: []string{`no KV namespace "typo"`, "check --namespace-id"}},
		{args: []string{"get", "k", "--namespace-id", "typo", "--create"}, usage: true, wantErr: []string{"-create"}},
	})
	if _, err := os.Stat(filepath.Join(dir, ".bindery")); !os.IsNotExist(err) {
		t.Errorf("refused commands made .bindery (%v)", err)
	}
	runKVSteps(t, dir, []kvStep{
		{args: []string{"put", "k", "v", "--binding", "STORE"}},
		{args: []string{"put", "k", "v", "--namespace-id", "stor-id"}, wantErr: []string{`no KV namespace "stor-id"`, "(it has store-id)"}},
		{args: []string{"list", "--namespace-id", "store-id"}, wantOut: "[\n  {\n    \"name\": \"k\"\n  }\n]\n"},
		{args: []string{"put", "a", "1", "--namespace-id", "extra", "--create"}},
		{args: []string{"delete", "a", "--namespace-id", "extra"}},
		{args: []string{"list", "--namespace-id", "extra"}, wantOut: "[]\n"}, // still there, empty
		{args: []string{"list", "--namespace-id", "typo", "--persist-to", state}, wantErr: []string{`no KV namespace "typo"`, "(it has extra, store-id)"}},
		{args: []string{"delete", "k", "--namespace-id", "typo", "--persist-to", state}, wantErr: []string{`no KV namespace "typo"`}},
	})
	// A namespace the config declares is known before anything is put in it.
	other := kvProject(t, "kv-test.wasm")
	runKVSteps(t, other, []kvStep{
		{args: []string{"list", "--namespace-id", "store-id"}, wantOut: "[]\n"},
		{args: []string{"list", "--namespace-id", "nope"}, wantErr: []string{"(it has store-id)"}},
	})
}

// TestKVNamespaceCheckDevServer checks namespace ids through a running dev
// server's admin API, which knows the namespaces its config declares.
func TestKVNamespaceCheckDevServer(t *testing.T) {
	if testing.Short() {
		t.Skip("builds a Worker")
	}
	dir := kvProject(t, testutil.BuildGoGuest(t, "examples/kv-rest"))
	state := filepath.Join(dir, ".bindery", "state")
	serveDev(t, dir, "--log-level", "warn")
	runKVSteps(t, dir, []kvStep{
		{args: []string{"put", "k", "v", "--namespace-id", "typo", "--persist-to", state}, wantErr: []string{`no KV namespace "typo" in the dev server on ` + state, "(it has store-id)", "--create"}},
		{args: []string{"list", "--namespace-id", "store-id", "--persist-to", state}, wantOut: "[]\n"},
		{args: []string{"put", "k", "v", "--namespace-id", "new-ns", "--create", "--persist-to", state}},
		{args: []string{"delete", "k", "--namespace-id", "new-ns", "--persist-to", state}},
		{args: []string{"list", "--namespace-id", "typo", "--persist-to", state}, wantErr: []string{"(it has new-ns, store-id)"}},
	})
}
