package host

import (
	"context"
	"log/slog"

	"github.com/bindery-run/bindery/host/internal/logwit"
)

// console is a Worker's bindery:log/console: one record per call, in the
// Worker's log, with positions mapped (WorkerConfig.MapText).
type console struct{ w *Worker }

var _ logwit.ConsoleHost = console{}

// Log implements logwit.ConsoleHost.
func (c console) Log(ctx context.Context, level logwit.Level, message string) {
	lv := slog.LevelInfo
	switch level {
	case logwit.LevelDebug:
		lv = slog.LevelDebug
	case logwit.LevelWarn:
		lv = slog.LevelWarn
	case logwit.LevelError:
		lv = slog.LevelError
	}
	c.w.log.Log(ctx, lv, c.w.mapText(message), "stream", "console")
}

// mapText applies WorkerConfig.MapText, if any.
func (w *Worker) mapText(s string) string {
	if w.mapper == nil || s == "" {
		return s
	}
	return w.mapper(s)
}
