package cachemodule_test

import (
	"context"
	"testing"
	"time"

	"github.com/bindery-run/bindery/abi"
	"github.com/bindery-run/bindery/bindings"
	"github.com/bindery-run/bindery/bindings/cache"
	"github.com/bindery-run/bindery/bindings/cache/cachemodule"
	"github.com/bindery-run/bindery/bindings/cache/cachewit"
	"github.com/bindery-run/bindery/bindings/state"
	"github.com/bindery-run/bindery/host/clock"
)

// TestClock: a response cached for 60 s through the module's binding
// goes stale when the host's manual clock passes 60 s, with no sleep.
func TestClock(t *testing.T) {
	ctx := context.Background()
	st, err := state.Open(t.TempDir(), state.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	c := clock.NewManual(time.Now())
	opened, err := bindings.Open(ctx, []bindings.Module{cachemodule.Module()}, bindings.Env{Worker: "w", State: st, Clock: c}, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer opened[0].Close()
	caches, werr := opened[0].Bindings[0].(*cache.Binding).CacheOpen(ctx, abi.None[string]())
	if werr != nil {
		t.Fatal(werr)
	}
	req := cachewit.Request{Method: "GET", URL: "https://example.com/x"}
	head := cachewit.ResponseHead{Status: 200, Headers: cachewit.Fields{{F0: "cache-control", F1: []byte("max-age=60")}}}
	if ok, werr := caches.Put(ctx, req, head, cachewit.Body{Tag: cachewit.BodyBytes, Bytes: []byte("x")}); !ok || werr != nil {
		t.Fatalf("put: %v %v", ok, werr)
	}
	hit := func() bool {
		t.Helper()
		r, werr := caches.Match(ctx, req, cachewit.QueryOptions{})
		if werr != nil {
			t.Fatal(werr)
		}
		if r.Some && r.Value.Body.Some {
			r.Value.Body.Value.(abi.Dropper).Drop(ctx)
		}
		return r.Some
	}
	c.Advance(59 * time.Second)
	if !hit() {
		t.Fatal("the response went stale before its max-age")
	}
	c.Advance(2 * time.Second)
	if hit() {
		t.Error("the response still matches once the clock passed its max-age")
	}
}
