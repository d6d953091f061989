package cron

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"
)

// The handler's error or panic is the event's error; nil is success.
func TestRun(t *testing.T) {
	at := time.Date(2026, 12, 31, 23, 59, 0, 0, time.UTC)
	for _, tt := range []struct {
		name   string
		h      Handler
		want   string // the error's text, or its prefix for a panic; "" for none
		prefix bool
	}{
		{name: "ok", h: func(context.Context, *Controller) error { return nil }},
		{name: "error", h: func(context.Context, *Controller) error { return errors.New("cron boom") }, want: "cron boom"},
		{name: "empty error", h: func(context.Context, *Controller) error { return errors.New("") }, want: "scheduled handler failed"},
		{name: "not UTF-8", h: func(context.Context, *Controller) error { return errors.New("a\xffb") }, want: "a\uFFFDb"},
		{name: "panic", h: func(context.Context, *Controller) error { panic("kaboom") }, want: "panic in the scheduled handler (cron \"59 23 31 12 *\"): kaboom\ngoroutine", prefix: true},
		{name: "no handler", want: "no scheduled handler: call cron.Handle in an init function"},
		{name: "controller", h: func(_ context.Context, c *Controller) error {
			c.NoRetry()
			if c.Cron != "59 23 31 12 *" || !c.ScheduledTime.Equal(at) || c.Type() != "scheduled" {
				return errors.New("wrong controller")
			}
			return nil
		}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			got := run(context.Background(), tt.h, &Controller{Cron: "59 23 31 12 *", ScheduledTime: at})
			switch {
			case tt.want == "" && got != nil:
				t.Errorf("error %q, want none", *got)
			case tt.want == "":
			case got == nil:
				t.Errorf("no error, want %q", tt.want)
			case tt.prefix && !strings.HasPrefix(*got, tt.want), !tt.prefix && *got != tt.want:
				t.Errorf("error %q, want %q", *got, tt.want)
			}
		})
	}
}

func TestHandleNil(t *testing.T) {
	defer func() {
		if recover() == nil {
			t.Error("Handle(nil) did not panic")
		}
	}()
	Handle(nil)
}
