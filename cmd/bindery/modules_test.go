package main

import (
	"errors"
	"flag"
	"strings"
	"testing"

	"github.com/bindery-run/bindery/bindings"
)

// TestModuleList: the compiled-in modules are consistent (no name, key,
// interface, flag or command twice) and are the five bindings, each
// with what bindery dev needs of it.
func TestModuleList(t *testing.T) {
	mods := modules()
	if err := bindings.Check(mods); err != nil {
		t.Fatal(err)
	}
	want := map[string]struct {
		keys    string
		command string
	}{
		"kv":      {"kv_namespaces", "kv"},
		"r2":      {"r2_buckets", "r2"},
		"vars":    {"", ""},
		"cache":   {"", ""},
		"d1":      {"d1_databases", "d1"},
		"durable": {"durable_objects,migrations", "do"},
		"queues":  {"queues", "queues"},
		"cron":    {"triggers", "trigger"},
	}
	if len(mods) != len(want) {
		t.Errorf("%d modules, want %d", len(mods), len(want))
	}
	for _, m := range mods {
		w, ok := want[m.Name]
		if !ok {
			t.Errorf("unexpected module %q", m.Name)
			continue
		}
		if got := strings.Join(m.Config, ","); got != w.keys {
			t.Errorf("%s: config keys %q, want %q", m.Name, got, w.keys)
		}
		cmd := ""
		if m.Command != nil {
			cmd = m.Command.Name
		}
		if cmd != w.command {
			t.Errorf("%s: command %q, want %q", m.Name, cmd, w.command)
		}
		// cron triggers grant the guest nothing to import: they attach.
		if (len(m.Interfaces) == 0 || m.Interfaces[0].Deny == nil) != (m.Name == "cron") {
			t.Errorf("%s: interfaces %v, want one with a Deny (none for cron)", m.Name, m.Interfaces)
		}
	}
	// Every config key is read by exactly one parser.
	if ps := parsers(mods); len(ps) != 6 {
		t.Errorf("%d parsers, want 6 (kv, r2, d1, durable, queues, cron)", len(ps))
	}
}

// TestModulesCommand runs "bindery modules": one line per module with
// its name, config keys, interfaces and doc.
func TestModulesCommand(t *testing.T) {
	out, errOut, err := runCLI(t, t.TempDir(), "modules")
	if err != nil || errOut != "" {
		t.Fatalf("err %v, stderr %q", err, errOut)
	}
	lines := strings.Split(strings.TrimSpace(out), "\n")
	if len(lines) != len(modules())+1 || !strings.HasPrefix(lines[0], "NAME") {
		t.Fatalf("output:\n%s", out)
	}
	for i, m := range modules() {
		line := lines[i+1]
		want := append([]string{m.Name + " ", m.Doc}, m.Config...)
		for _, iface := range m.Interfaces {
			want = append(want, iface.Name)
		}
		for _, want := range want {
			if !strings.Contains(line, want) {
				t.Errorf("line %q lacks %q", line, want)
			}
		}
	}
	if !strings.Contains(out, "bindery kv") || !strings.Contains(out, "bindery r2") || !strings.Contains(out, "bindery d1") {
		t.Errorf("commands missing:\n%s", out)
	}

	// --help prints the usage; an argument is a usage error.
	out, _, err = runCLI(t, t.TempDir(), "modules", "--help")
	if !errors.Is(err, flag.ErrHelp) || !strings.Contains(out, "Usage: bindery modules") {
		t.Errorf("--help: %v\n%s", err, out)
	}
	if _, errOut, err := runCLI(t, t.TempDir(), "modules", "extra"); !errors.Is(err, errUsage) || !strings.Contains(errOut, "takes no arguments") {
		t.Errorf("modules extra: %v, %q", err, errOut)
	}
}
