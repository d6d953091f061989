// Command plugin-server serves the image-filter plugins of a directory
// over HTTP (see package embedplugins):
//
//	go run ./examples/embed-plugins/cmd/plugin-server -dir plugins.d -addr 127.0.0.1:8080
//	curl --data-binary @img.raw '127.0.0.1:8080/plugins/invert?invert=true&brightness=10'
package main

import (
	"context"
	"errors"
	"flag"
	"log/slog"
	"net/http"
	"os"
	"os/signal"
	"syscall"
	"time"

	embedplugins "github.com/bindery-run/bindery/examples/embed-plugins"
)

func main() {
	dir := flag.String("dir", "plugins.d", "the plugin directory: NAME.wasm and its manifest NAME.json")
	addr := flag.String("addr", "127.0.0.1:8080", "the address to serve on")
	flag.Parse()
	logger := slog.New(slog.NewTextHandler(os.Stderr, nil))
	if err := run(*dir, *addr, logger); err != nil {
		logger.Error("plugin-server", "err", err)
		os.Exit(1)
	}
}

func run(dir, addr string, logger *slog.Logger) error {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	rt, err := embedplugins.NewRuntime(ctx, "")
	if err != nil {
		return err
	}
	defer rt.Close(context.Background())
	svc, err := embedplugins.Load(ctx, rt, embedplugins.Config{Dir: dir, Logger: logger})
	if err != nil {
		return err
	}
	srv := &http.Server{Addr: addr, Handler: svc}
	go func() {
		<-ctx.Done()
		sctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		srv.Shutdown(sctx)
		svc.Close(sctx)
	}()
	logger.Info("serving", "addr", addr, "plugins", svc.Names())
	if err := srv.ListenAndServe(); !errors.Is(err, http.ErrServerClosed) {
		return err
	}
	return nil
}
