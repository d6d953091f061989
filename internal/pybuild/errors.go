package pybuild

import (
	"errors"
	"fmt"
)

var (
	// ErrNoPython is returned when no Python interpreter can run
	// componentize-py: none on PATH (python3, python), or Options.Python is
	// missing or older than 3.9.
	ErrNoPython = errors.New("pybuild: no python3 (3.9 or later) to run componentize-py")
	// ErrNoPip is returned when componentize-py must be installed and the
	// interpreter has no pip.
	ErrNoPip = errors.New("pybuild: python3 has no pip to install componentize-py")
	// ErrToolchainMissing is returned when componentize-py is not installed
	// and Options.NoInstall forbids installing it.
	ErrToolchainMissing = errors.New("pybuild: componentize-py " + Version + " is not installed")
)

// BuildError is componentize-py failing to build a Worker: the Worker's
// module (or one it imports) raised or has a syntax error when it was
// imported, imports a module that cannot be found, or does not define a
// fetch handler.
type BuildError struct {
	// Entry is the Worker's entry file, as given to Build.
	Entry string
	// Output is what componentize-py printed, reduced to the Worker's
	// traceback when there is one (file names are those on disk), at most
	// 16 KiB.
	Output string
	// Err is how the command ended (an *exec.ExitError).
	Err error
}

// Error implements error.
func (e *BuildError) Error() string {
	return fmt.Sprintf("pybuild: componentize-py could not build %s (%v):\n%s", e.Entry, e.Err, e.Output)
}

// Unwrap returns Err.
func (e *BuildError) Unwrap() error { return e.Err }
