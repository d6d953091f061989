//go:build wasip1

package cron

import (
	"context"
	"time"

	"github.com/bindery-run/bindery/guest-sdk/go/internal/cabi"
	"github.com/bindery-run/bindery/guest-sdk/go/internal/gcnet"
	"github.com/bindery-run/bindery/guest-sdk/go/internal/wit/scheduledwit"
)

// The scheduled handler is exported only by a Worker that imports this
// package: the host calls it only for a Worker whose config has cron
// triggers.
func init() {
	scheduledwit.HandlerExports.Scheduled = scheduled
	scheduledwit.HandlerExports.PostScheduled = afterEvent
}

// afterEvent runs after the host has read the result: it releases what
// the host lowered, and collects garbage once enough has been allocated.
func afterEvent() {
	cabi.ResetAll()
	gcnet.Check()
}

// scheduled runs the Worker's handler on an event the host fired.
func scheduled(c scheduledwit.Controller) *string {
	return run(context.Background(), handler, &Controller{Cron: c.Cron, ScheduledTime: time.UnixMilli(c.ScheduledTime).UTC()})
}
