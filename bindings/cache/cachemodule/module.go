// Package cachemodule is the Cache API as a module (see package
// bindings): every Worker gets caches.default and caches.open over the
// data directory's Cache API store (bodies under <dir>/cache/, the index
// in the shared Badger database), swept of expired entries every
// SweepInterval. It reads no config key: wrangler has none for the Cache
// API.
package cachemodule

import (
	"context"
	"fmt"
	"path/filepath"
	"time"

	"github.com/bindery-run/bindery/abi"
	"github.com/bindery-run/bindery/bindings"
	"github.com/bindery-run/bindery/bindings/cache"
	"github.com/bindery-run/bindery/bindings/cache/diskcache"
	"github.com/bindery-run/bindery/host/clock"
)

// SweepInterval is how often the module removes expired Cache API entries
// (a lookup removes the one it meets before that).
const SweepInterval = time.Minute

// Module returns the Cache API module.
func Module() bindings.Module {
	return bindings.Module{
		Name:       "cache",
		Doc:        "the Cache API (caches.default, caches.open), on disk in the data directory",
		Interfaces: []abi.Interface{cache.WIT()},
		Open:       open,
	}
}

// open opens the store of the data directory's caches; freshness and
// expiry read env.Clock.
func open(_ context.Context, env bindings.Env) (*bindings.Opened, error) {
	now := clock.Or(env.Clock).Now
	cs, err := diskcache.Open(filepath.Join(env.State.Dir(), "cache"), env.State.DB(), diskcache.Options{Logger: env.Logger, Now: now})
	if err != nil {
		return nil, fmt.Errorf("open the Cache API store: %w", err)
	}
	return &bindings.Opened{
		Bindings: []bindings.Binding{cache.NewBinding(cs.Storage(env.Worker), cache.Options{Now: now})},
		Jobs: []bindings.Job{{Name: "cache sweep", Every: SweepInterval, Run: func(ctx context.Context) error {
			_, err := cs.Sweep(ctx)
			return err
		}}},
		Close: cs.Close,
	}, nil
}
