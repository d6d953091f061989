package bindings_test

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/bindery-run/bindery/abi"
	"github.com/bindery-run/bindery/bindings"
	"github.com/bindery-run/bindery/bindings/config"
)

// fake returns a module that opens with a Close noting its name in log.
func fake(name string, log *[]string, fail bool) bindings.Module {
	return bindings.Module{
		Name: name, Doc: "a test module",
		Interfaces: []abi.Interface{{Name: "test:" + name + "/x@0.1.0"}},
		Open: func(ctx context.Context, env bindings.Env) (*bindings.Opened, error) {
			if fail {
				return nil, errors.New("cannot open")
			}
			*log = append(*log, "open "+name+" with "+env.Config.(string))
			return &bindings.Opened{Close: func() error { *log = append(*log, "close "+name); return nil }}, nil
		},
	}
}

func TestOpen(t *testing.T) {
	var log []string
	mods := []bindings.Module{fake("a", &log, false), fake("b", &log, false)}
	cfg := map[string]any{"a": "ca", "b": "cb"}
	opened, err := bindings.Open(context.Background(), mods, bindings.Env{}, cfg)
	if err != nil || len(opened) != 2 {
		t.Fatalf("Open = %v, %v", opened, err)
	}
	if got := strings.Join(log, "; "); got != "open a with ca; open b with cb" {
		t.Errorf("log = %q", got)
	}

	// A module that fails closes those opened before it, last first.
	log = nil
	mods = append(mods, fake("c", &log, true))
	if _, err := bindings.Open(context.Background(), mods, bindings.Env{}, cfg); err == nil || !strings.Contains(err.Error(), "c: cannot open") {
		t.Errorf("Open err = %v, want one naming module c", err)
	}
	if got := strings.Join(log, "; "); got != "open a with ca; open b with cb; close b; close a" {
		t.Errorf("log = %q", got)
	}
}

func TestCheck(t *testing.T) {
	var log []string
	parse := func(config.Reader) any { return nil }
	tests := []struct {
		name string
		mods []bindings.Module
		want string // "" for no error
	}{
		{"fine", []bindings.Module{fake("a", &log, false), fake("b", &log, false)}, ""},
		{"same name", []bindings.Module{fake("a", &log, false), fake("a", &log, false)}, `modules a and a both have the name "a"`},
		{"no doc", []bindings.Module{{Name: "x", Open: fake("x", &log, false).Open}}, `needs a Name, a Doc and an Open`},
		{"same key", []bindings.Module{
			{Name: "x", Doc: "d", Open: fake("x", &log, false).Open, Config: []string{"k"}, ParseConfig: parse},
			{Name: "y", Doc: "d", Open: fake("y", &log, false).Open, Config: []string{"k"}, ParseConfig: parse},
		}, `modules x and y both have the config key "k"`},
		{"flag taken by a server", []bindings.Module{
			{Name: "x", Doc: "d", Open: fake("x", &log, false).Open, Servers: []bindings.Server{{Name: "S", Flag: "x-addr"}}},
			{Name: "y", Doc: "d", Open: fake("y", &log, false).Open, Flags: []bindings.Flag{{Name: "x-addr"}}},
		}, `modules x and y both have the flag "x-addr"`},
		{"key without parser", []bindings.Module{{Name: "x", Doc: "d", Open: fake("x", &log, false).Open, Config: []string{"k"}}}, "no ParseConfig"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := bindings.Check(tt.mods)
			switch {
			case tt.want == "" && err != nil:
				t.Errorf("Check = %v", err)
			case tt.want != "" && (err == nil || !strings.Contains(err.Error(), tt.want)):
				t.Errorf("Check = %v, want %q", err, tt.want)
			}
		})
	}
}

func TestInterfaces(t *testing.T) {
	var log []string
	got := bindings.Interfaces([]bindings.Module{fake("a", &log, false), fake("b", &log, false)})
	if len(got) != 2 || got[0].Name != "test:a/x@0.1.0" || got[1].Name != "test:b/x@0.1.0" {
		t.Errorf("Interfaces = %v", got)
	}
}
