package host

import (
	"context"
	"log/slog"

	"github.com/bindery-run/bindery/host/internal/logwit"
)

// console is a guest's bindery:log/console: one record per call, in the
// guest's log, with positions mapped (GuestConfig.MapText).
type console struct{ g *Guest }

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
	c.g.log.Log(ctx, lv, c.g.mapText(message), "stream", "console")
}
