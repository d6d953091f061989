// Package sample is testrun's test subject: tests that pass, fail and
// skip, which testrun_test selects with -run.
package sample

import (
	"fmt"
	"testing"
)

func TestPass(t *testing.T) { t.Log("a passing test's log") }

func TestFail(t *testing.T) {
	t.Log("a failing test's log")
	t.Error("boom")
}

func TestSkip(t *testing.T) { t.Skip("no widget installed") }

func TestParent(t *testing.T) {
	t.Run("ok", func(t *testing.T) { t.Log("ok's log") })
	t.Run("bad", func(t *testing.T) { t.Error("bad broke") })
	t.Run("skipped", func(t *testing.T) { t.Skip("sub reason") })
}

func TestConformanceLine(t *testing.T) {
	fmt.Println("conformance: ran go; skipped rust (no cargo)")
}
