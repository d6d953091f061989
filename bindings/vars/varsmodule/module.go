// Package varsmodule is the vars binding as a module (see package
// bindings): it serves a Worker's plain values (Env.Vars: the config's
// [vars], its secrets and values given on the command line) over the
// bindery:vars/store interface. The config loader reads [vars] and the
// secrets files itself (they are not binding lists), so the module reads
// no config key of its own.
package varsmodule

import (
	"context"
	"fmt"
	"sort"

	"github.com/bindery-run/bindery/abi"
	"github.com/bindery-run/bindery/bindings"
	"github.com/bindery-run/bindery/bindings/vars"
)

// Module returns the vars module.
func Module() bindings.Module {
	return bindings.Module{
		Name:       "vars",
		Doc:        "environment variables and secrets ([vars], .dev.vars, --var)",
		Interfaces: []abi.Interface{vars.WIT()},
		Describe:   describe,
		Open:       open,
	}
}

func describe(env bindings.Env) []string {
	var nv, ns int
	for _, v := range env.Vars {
		if v.Secret {
			ns++
		} else {
			nv++
		}
	}
	var out []string
	if nv > 0 {
		out = append(out, fmt.Sprintf("%d vars", nv))
	}
	if ns > 0 {
		out = append(out, fmt.Sprintf("%d secrets", ns))
	}
	return out
}

// Binding returns the vars binding of vs.
func Binding(vs map[string]bindings.Var) (*vars.Vars, error) {
	m := make(map[string]vars.Var, len(vs))
	names := make([]string, 0, len(vs))
	for name := range vs {
		names = append(names, name)
	}
	sort.Strings(names)
	for _, name := range names {
		v := vs[name]
		switch {
		case v.Secret:
			m[name] = vars.Var{Kind: vars.Secret, Value: v.Text}
		case v.JSON != nil:
			m[name] = vars.Var{Kind: vars.JSON, Value: string(v.JSON)}
		default:
			m[name] = vars.Var{Kind: vars.Text, Value: v.Text}
		}
	}
	return vars.New(m)
}

func open(_ context.Context, env bindings.Env) (*bindings.Opened, error) {
	b, err := Binding(env.Vars)
	if err != nil {
		return nil, err
	}
	return &bindings.Opened{Bindings: []bindings.Binding{b}}, nil
}
