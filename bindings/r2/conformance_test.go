package r2_test

import (
	"testing"

	"github.com/bindery-run/bindery/bindings/r2"
	"github.com/bindery-run/bindery/bindings/r2/r2test"
)

func TestConformance(t *testing.T) {
	r2test.Run(t, func(t *testing.T, opts r2.Options) *r2.Store { return r2.OpenTestStore(t, opts) })
}
