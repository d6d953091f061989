// Package cronhost fires a Worker's cron triggers: it calls the Worker's
// scheduled handler (the export bindery:scheduled/handler) when one of
// the config's crons ([triggers] crons) comes due on the host's clock, and
// when one is fired by hand ([Host.Trigger]: bindery trigger cron, the
// admin API and /__scheduled). docs/cron.md.
//
// A Host is granted to one Worker (Host.Bindings to host.NewWorker): its
// binding serves no interface and attaches to the Worker, checking that
// it exports a scheduled handler, and starting the schedule.
package cronhost

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"time"

	"github.com/bindery-run/bindery/abi"
	"github.com/bindery-run/bindery/bindings/cron"
	"github.com/bindery-run/bindery/host"
	"github.com/bindery-run/bindery/host/clock"
	"github.com/bindery-run/bindery/host/internal/scheduledwit"
)

// Config configures a Host.
type Config struct {
	// Crons are the Worker's cron triggers, as written in its config.
	Crons []string
	// Schedule fires the triggers on schedule; without it they fire only
	// by hand (bindery dev --no-crons).
	Schedule bool
	// Clock is the time the triggers follow; nil means the real clock.
	Clock clock.Clock
	// Logger receives each run's failure; nil discards.
	Logger *slog.Logger
}

// Host is one Worker's cron triggers.
type Host struct {
	cfg   Config
	exprs []*cron.Expr
	clock clock.Clock
	log   *slog.Logger

	mu   sync.Mutex
	w    *host.Worker
	stop func()
	runs sync.WaitGroup
}

// New parses cfg's crons; a bad one is an error naming it.
func New(cfg Config) (*Host, error) {
	h := &Host{cfg: cfg, clock: clock.Or(cfg.Clock), log: cfg.Logger}
	if h.log == nil {
		h.log = slog.New(slog.DiscardHandler)
	}
	for _, c := range cfg.Crons {
		e, err := cron.Parse(c)
		if err != nil {
			return nil, err
		}
		h.exprs = append(h.exprs, e)
	}
	return h, nil
}

// Bindings returns what to grant the Worker: a binding with no
// interface, which attaches the Host to it.
func (h *Host) Bindings() []host.Binding { return []host.Binding{binding{h}} }

// binding attaches a Host to its Worker.
type binding struct{ h *Host }

// WIT returns no interface: the binding only attaches.
func (binding) WIT() abi.Interface { return abi.Interface{} }

// Attach implements host.Attacher.
func (b binding) Attach(ctx context.Context, w *host.Worker) (func(context.Context) error, error) {
	return b.h.attach(ctx, w)
}

// attach checks that w has a scheduled handler when there are crons, and
// starts the schedule.
func (h *Host) attach(ctx context.Context, w *host.Worker) (func(context.Context) error, error) {
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.w != nil {
		return nil, errors.New("cronhost: the Host is attached to a Worker already")
	}
	if len(h.exprs) > 0 {
		if err := w.Guest().Call(ctx, func(ctx context.Context, inst *abi.Instance) error {
			_, err := exports(inst)
			return err
		}); err != nil {
			return nil, fmt.Errorf("the config has cron triggers (%q), but the Worker has no scheduled handler: %w", h.cfg.Crons[0], err)
		}
	}
	h.w = w
	if h.cfg.Schedule && len(h.exprs) > 0 {
		h.stop = cron.Start(h.clock, h.exprs, func(e *cron.Expr, at time.Time) {
			if err := h.run(context.Background(), e.String(), at); err != nil {
				h.log.Warn("scheduled handler failed", "worker", w.Name(), "cron", e.String(), "scheduledTime", at.UTC().Format(time.RFC3339), "err", err)
			}
		})
	}
	return h.detach, nil
}

// detach stops the schedule and waits for the runs in progress.
func (h *Host) detach(ctx context.Context) error {
	h.mu.Lock()
	stop := h.stop
	h.stop, h.w = nil, nil
	h.mu.Unlock()
	if stop != nil {
		stop()
	}
	done := make(chan struct{})
	go func() { h.runs.Wait(); close(done) }()
	select {
	case <-done:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// Crons returns the Worker's cron triggers, as written.
func (h *Host) Crons() []string { return h.cfg.Crons }

// Trigger runs the Worker's scheduled handler now, with cron (any text:
// wrangler's /__scheduled passes what it is given) and scheduled time at
// (the zero time means now), and returns what the handler threw.
func (h *Host) Trigger(ctx context.Context, cronText string, at time.Time) error {
	if at.IsZero() {
		at = h.clock.Now()
	}
	return h.run(ctx, cronText, at)
}

// run calls the scheduled handler.
func (h *Host) run(ctx context.Context, cronText string, at time.Time) error {
	h.mu.Lock()
	w := h.w
	if w != nil {
		h.runs.Add(1)
	}
	h.mu.Unlock()
	if w == nil {
		return errors.New("cronhost: no Worker attached")
	}
	defer h.runs.Done()
	var gerr *string
	err := w.Guest().Call(ctx, func(ctx context.Context, inst *abi.Instance) error {
		ex, err := exports(inst)
		if err != nil {
			return fmt.Errorf("the Worker has no scheduled handler: %w", err)
		}
		gerr, err = ex.Scheduled(ctx, inst, scheduledwit.Controller{Cron: cronText, ScheduledTime: at.UnixMilli()})
		return err
	})
	if err != nil {
		return err
	}
	if gerr != nil {
		return &HandlerError{Msg: *gerr}
	}
	return nil
}

// HandlerError is what a scheduled handler threw.
type HandlerError struct{ Msg string }

func (e *HandlerError) Error() string { return "scheduled handler threw: " + e.Msg }

// exports returns the scheduled handler of the instance.
func exports(inst *abi.Instance) (*scheduledwit.HandlerExports, error) {
	v, err := inst.Memo(scheduledwit.HandlerInterface, func() (any, error) {
		return scheduledwit.NewHandlerExports(inst.Lookup())
	})
	if err != nil {
		return nil, err
	}
	return v.(*scheduledwit.HandlerExports), nil
}
