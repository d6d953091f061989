// Package vars serves a Worker's variables and secrets (wrangler's [vars]
// and .dev.vars) through bindery:config/vars.
//
// Text variables come back as text, JSON variables as their JSON text, and
// secrets as their value. The host never logs a secret: Var and Vars print
// (every fmt verb, slog, encoding/json) without a secret's value, and
// errors name variables, never values.
package vars

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"slices"
	"strconv"
	"strings"

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

// String returns the kind's name: "text", "json" or "secret".
func (k Kind) String() string {
	switch k {
	case Text:
		return "text"
	case JSON:
		return "json"
	case Secret:
		return "secret"
	}
	return "kind(" + strconv.Itoa(int(k)) + ")"
}

// Var is one variable. Printing it never shows a secret's value: see
// [Var.String].
type Var struct {
	Kind  Kind
	Value string
}

// redacted stands for a value that is not printed.
const redacted = "[redacted]"

// String describes x: its kind and, for text and JSON, its value
// (`text "hello"`, `json {"a":1}`); a secret's value, or the value of an
// unknown kind, is never shown (`secret [redacted]`).
func (x Var) String() string {
	switch x.Kind {
	case Text:
		return "text " + strconv.Quote(x.Value)
	case JSON:
		return "json " + x.Value
	}
	return x.Kind.String() + " " + redacted
}

// Format implements fmt.Formatter: every verb (%v, %+v, %#v, %s, %q, %x,
// %d, ...) prints [Var.String], so no verb reaches a secret's value.
func (x Var) Format(f fmt.State, verb rune) { fmt.Fprint(f, x.String()) }

// LogValue implements slog.LogValuer: a logged Var is its [Var.String].
func (x Var) LogValue() slog.Value { return slog.StringValue(x.String()) }

// MarshalJSON encodes x as the JSON string of [Var.String]: slog's JSON
// handler marshals a Var inside a map, slice or struct itself, without
// LogValue, and would otherwise print Value.
func (x Var) MarshalJSON() ([]byte, error) { return json.Marshal(x.String()) }

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
	slices.Sort(v.names)
	return v, nil
}

// WIT returns the host side of the interface the binding implements.
func (v *Vars) WIT() abi.Interface { return WIT() }

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

// String lists the variables' names and kinds, never their values:
// "vars{API_TOKEN:secret GREETING:text}". It has a value receiver, as
// Format and LogValue do, so that a copied Vars prints the same way.
func (v Vars) String() string {
	var b strings.Builder
	b.WriteString("vars{")
	for i, name := range v.names {
		if i > 0 {
			b.WriteByte(' ')
		}
		b.WriteString(name + ":" + v.vars[name].Kind.String())
	}
	b.WriteByte('}')
	return b.String()
}

// Format implements fmt.Formatter: every verb prints [Vars.String]; without
// it %v would print the unexported map, secrets included.
func (v Vars) Format(f fmt.State, verb rune) { fmt.Fprint(f, v.String()) }

// LogValue implements slog.LogValuer: a logged Vars is its [Vars.String].
func (v Vars) LogValue() slog.Value { return slog.StringValue(v.String()) }

// MarshalJSON encodes v as the JSON string of [Vars.String].
func (v Vars) MarshalJSON() ([]byte, error) { return json.Marshal(v.String()) }

var _ varswit.VarsHost = (*Vars)(nil)
