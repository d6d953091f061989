//go:build wasip1

package bindery

import (
	"encoding/json"
	"fmt"

	"github.com/bindery-run/bindery/guest-sdk/go/internal/cabi"
	"github.com/bindery-run/bindery/guest-sdk/go/internal/wit/varswit"
)

// Var returns the text of the variable or secret name from the Worker's
// config ([vars], .dev.vars). A JSON variable comes back as its JSON text.
// The bool is false when the config has no such name.
func Var(name string) (string, bool) {
	v := getVar(name)
	if !v.Some {
		return "", false
	}
	switch v.Value.Tag {
	case varswit.ValueText:
		return v.Value.Text, true
	case varswit.ValueJSON:
		return v.Value.JSON, true
	}
	return v.Value.Secret, true
}

// VarJSON decodes the JSON variable name into out.
func VarJSON(name string, out any) error {
	v := getVar(name)
	if !v.Some {
		return fmt.Errorf("bindery: no variable %q in the config", name)
	}
	if v.Value.Tag != varswit.ValueJSON {
		return fmt.Errorf("bindery: variable %q is text, not JSON", name)
	}
	return json.Unmarshal([]byte(v.Value.JSON), out)
}

// Secret returns the secret name; unlike Var, it is false for a plain variable.
func Secret(name string) (string, bool) {
	v := getVar(name)
	if !v.Some || v.Value.Tag != varswit.ValueSecret {
		return "", false
	}
	return v.Value.Secret, true
}

// Vars returns the names of every variable and secret, sorted.
func Vars() []string { return varswit.Names() }

// getVar asks the host for name; a name that is not valid UTF-8 (which
// could not cross) names no variable.
func getVar(name string) cabi.Option[varswit.Value] {
	if _, bad := badUTF8(name); bad {
		return cabi.Option[varswit.Value]{}
	}
	return varswit.Get(name)
}
