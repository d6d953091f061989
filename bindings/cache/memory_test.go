package cache_test

import (
	"testing"
	"time"

	"github.com/bindery-run/bindery/bindings/cache"
	"github.com/bindery-run/bindery/bindings/cache/cachetest"
)

func TestMemoryConformance(t *testing.T) {
	cachetest.Run(t, func(t *testing.T, now func() time.Time) cache.Backend {
		return cache.NewMemory(now)
	})
}
