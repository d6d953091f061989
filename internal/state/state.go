// Package state forwards to the public package bindings/state. It is kept
// only so that test files outside this change's reach (host/*_test.go)
// keep building; import github.com/bindery-run/bindery/bindings/state
// instead. Delete it once nothing imports it.
package state

import (
	"log/slog"

	bstate "github.com/bindery-run/bindery/bindings/state"
)

// State is bindings/state.State.
type State = bstate.State

// Open is bindings/state.Open with only a logger.
//
// Deprecated: use bindings/state.Open.
func Open(dir string, log *slog.Logger) (*State, error) {
	return bstate.Open(dir, bstate.Options{Logger: log})
}
