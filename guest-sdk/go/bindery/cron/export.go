//go:build wasip1

package cron

import (
	"context"
	"time"

	"github.com/bindery-run/bindery/guest-sdk/go/internal/cabi"
	"github.com/bindery-run/bindery/guest-sdk/go/internal/wit/scheduledwit"
)

// The scheduled handler is exported only by a Worker that imports this
// package: the host calls it only for a Worker whose config has cron
// triggers.
func init() {
	scheduledwit.HandlerExports.Scheduled = scheduled
	scheduledwit.HandlerExports.PostScheduled = cabi.ResetAll
}

// scheduled runs the Worker's handler on an event the host fired.
func scheduled(c scheduledwit.Controller) *string {
	return run(context.Background(), handler, &Controller{Cron: c.Cron, ScheduledTime: time.UnixMilli(c.ScheduledTime).UTC()})
}
