package kv_test

import (
	"testing"
	"time"

	"github.com/bindery-run/bindery/bindings/kv"
	"github.com/bindery-run/bindery/bindings/kv/kvtest"
)

func TestMemory(t *testing.T) {
	kvtest.Run(t, func(t *testing.T, now func() time.Time) kv.Backend {
		return kv.NewMemory(now)
	})
}
