// Package cron is cron triggers for Go Workers: the scheduled handler
// (Cloudflare's scheduled(controller, env, ctx)), which the host calls
// when one of the config's cron triggers fires ([triggers] crons), or when
// one is fired by hand (bindery trigger cron, /__scheduled). Only a Worker
// that imports this package exports the scheduled handler
// (bindery:scheduled/handler).
//
//	func init() {
//		cron.Handle(func(ctx context.Context, c *cron.Controller) error {
//			store, err := bindery.KV("STORE")
//			if err != nil {
//				return err
//			}
//			return store.Put("last-run:"+c.Cron, []byte(c.ScheduledTime.Format(time.RFC3339)), nil)
//		})
//	}
//
// A returned error (or a panic) fails the event: the host logs it. Bindery
// never retries a scheduled event. docs/cron.md has the details.
package cron

import (
	"context"
	"fmt"
	"runtime/debug"
	"strings"
	"time"
)

// Controller is the scheduled event (Cloudflare's ScheduledController).
type Controller struct {
	// Cron is the cron expression that fired, as written in the config.
	Cron string
	// ScheduledTime is when the event was scheduled, to the millisecond
	// (a whole minute for a trigger that fired on schedule).
	ScheduledTime time.Time

	noRetry bool
}

// Type is "scheduled", as Cloudflare's controller.type.
func (c *Controller) Type() string { return "scheduled" }

// NoRetry asks that the event not be retried if it fails (Cloudflare's
// controller.noRetry()). It is accepted and has no effect: Bindery never
// retries a scheduled event.
func (c *Controller) NoRetry() { c.noRetry = true }

// Handler handles a scheduled event. A returned error (or a panic) fails
// the event, as a thrown error does on Cloudflare; the host logs it.
type Handler func(ctx context.Context, c *Controller) error

// handler is the Worker's scheduled handler, set by Handle.
var handler Handler

// Handle makes h the Worker's scheduled handler, which runs for every
// cron trigger of the config; Controller.Cron says which fired. Call it
// from an init function. A Worker that imports this package and has cron
// triggers without calling Handle fails every event ("no scheduled
// handler").
func Handle(h Handler) {
	if h == nil {
		panic("cron.Handle: nil handler")
	}
	handler = h
}

// run runs h on c and returns its error or panic as text (nil when it
// returned nil).
func run(ctx context.Context, h Handler, c *Controller) *string {
	if h == nil {
		s := "no scheduled handler: call cron.Handle in an init function"
		return &s
	}
	if s := guard(ctx, h, c); s != "" {
		return &s
	}
	return nil
}

// maxErrorText bounds the error text sent to the host's log.
const maxErrorText = 16 << 10

// guard runs h, turning a returned error or a panic (with its stack) into
// its text: valid UTF-8 (the only strings the host takes), at most
// maxErrorText bytes, never empty; "" when h returned nil.
func guard(ctx context.Context, h Handler, c *Controller) (text string) {
	defer func() {
		if p := recover(); p != nil {
			text = errorText(fmt.Sprintf("panic in the scheduled handler (cron %q): %v\n%s", c.Cron, p, debug.Stack()))
		}
	}()
	if err := h(ctx, c); err != nil {
		text = errorText(err.Error())
		if text == "" {
			text = "scheduled handler failed" // an error with an empty message still fails the event
		}
	}
	return text
}

// errorText cuts s to maxErrorText bytes of valid UTF-8.
func errorText(s string) string {
	if len(s) > maxErrorText {
		s = s[:maxErrorText] + "\n…"
	}
	return strings.ToValidUTF8(s, "\uFFFD")
}
