package testutil

import (
	"time"

	"github.com/bindery-run/bindery/host/clock"
)

// Clock is a fake clock for tests: the host's manual clock
// ([clock.Manual]), which moves only when Advance or Set is called. Pass
// the method value c.Now as a store's clock, or c itself where a
// clock.Clock is taken.
type Clock = clock.Manual

// NewClock returns a Clock that reads start.
func NewClock(start time.Time) *Clock { return clock.NewManual(start) }
