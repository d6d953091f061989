// Package vars serves a Worker's variables and secrets (wrangler's [vars]
// and .dev.vars) through bindery:config/vars.
//
// Text variables come back as text, JSON variables as their JSON text, and
// secrets as their value. The host never logs a secret: Vars has no String
// method that would print values, and errors name variables, never values.
package vars

import (
	"context"
	"encoding/json"
	"fmt"
	"sort"

	"github.com/bindery-run/bindery/abi"
	"github.com/bindery-run/bindery/bindings/vars/varswit"
)

// Limits Cloudflare puts on variables, enforced by New.
const (
	// MaxVars is the most variables and secrets a Worker may have.
	MaxVars = 128
	// MaxValueBytes is the largest value of one variable.
	MaxValueBytes = 5 << 10
)

// WIT returns the host side of bindery:config/vars for a host.Runtime.
func WIT() abi.Interface {
	return abi.Interface{Name: varswit.VarsInterface, Define: varswit.DefineVars, Deny: &Vars{}}
}

// Kind says how a variable is stored.
type Kind uint8

// The kinds of variable.
const (
	Text Kind = iota
	JSON
	Secret
)

// Var is one variable.
type Var struct {
	Kind  Kind
	Value string
}

// Vars is one Worker's variables and secrets. It satisfies host.Binding and
// is safe for concurrent use (it is read-only).
type Vars struct {
	vars  map[string]Var
	names []string
}

// New checks the variables against Cloudflare's limits: at most MaxVars,
// each at most MaxValueBytes, JSON ones valid JSON.
func New(vars map[string]Var) (*Vars, error) {
	if len(vars) > MaxVars {
		return nil, fmt.Errorf("vars: %d variables and secrets, the limit is %d", len(vars), MaxVars)
	}
	v := &Vars{vars: vars}
	for name, x := range vars {
		if name == "" {
			return nil, fmt.Errorf("vars: a variable has an empty name")
		}
		if len(x.Value) > MaxValueBytes {
			return nil, fmt.Errorf("vars: %s is %d bytes, the limit is %d", name, len(x.Value), MaxValueBytes)
		}
		if x.Kind == JSON && !json.Valid([]byte(x.Value)) {
			return nil, fmt.Errorf("vars: %s is not valid JSON", name)
		}
		v.names = append(v.names, name)
	}
	sort.Strings(v.names)
	return v, nil
}

// Interface returns the WIT interface the binding implements.
func (v *Vars) Interface() string { return varswit.VarsInterface }

// Get implements get.
func (v *Vars) Get(ctx context.Context, name string) abi.Option[varswit.Value] {
	x, ok := v.vars[name]
	if !ok {
		return abi.Option[varswit.Value]{}
	}
	switch x.Kind {
	case JSON:
		return abi.Some(varswit.Value{Tag: varswit.ValueJSON, JSON: x.Value})
	case Secret:
		return abi.Some(varswit.Value{Tag: varswit.ValueSecret, Secret: x.Value})
	}
	return abi.Some(varswit.Value{Tag: varswit.ValueText, Text: x.Value})
}

// Names implements names.
func (v *Vars) Names(ctx context.Context) []string { return append([]string(nil), v.names...) }

var _ varswit.VarsHost = (*Vars)(nil)
