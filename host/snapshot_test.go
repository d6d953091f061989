package host_test

import (
	"context"
	"strings"
	"testing"

	"github.com/bindery-run/bindery/host"
)

// TestInit: a Worker with Init runs the init function once, with its
// standard input, and every instance starts from the snapshot of memory
// and globals (the counter is 11 + the instance's requests), never from
// _initialize again.
func TestInit(t *testing.T) {
	rt, _ := newRuntime(t)
	w := newWorker(t, rt, "preinit", func(c *host.WorkerConfig) {
		c.Init = &host.InitConfig{Func: "init", Check: "check", Stdin: []byte("from stdin ")}
		c.MaxInstances = 1
	})
	for i, step := range []struct {
		method string
		status int
		body   string
	}{
		{"GET", 200, "from stdin 2"}, // 11 + 1
		{"GET", 200, "from stdin 3"}, // the same instance
		{"POST", 500, ""},            // traps: the instance is discarded
		{"GET", 200, "from stdin 2"}, // a new instance, from the snapshot
	} {
		rec := do(w, step.method, "/", nil)
		if rec.Code != step.status || (step.body != "" && rec.Body.String() != step.body) {
			t.Fatalf("step %d: %s: %d %q, want %d %q", i, step.method, rec.Code, rec.Body, step.status, step.body)
		}
	}
	if n := w.Stats().Instantiated; n != 2 {
		t.Errorf("instantiated %d, want 2", n)
	}
}

// TestInitErrors: a failing init, a failing check and a missing function
// are start-up errors that name the function.
func TestInitErrors(t *testing.T) {
	rt, _ := newRuntime(t)
	tests := []struct {
		name string
		init host.InitConfig
		want string
	}{
		{"missing function", host.InitConfig{Func: "nope"}, `does not export "nope"`},
		{"check fails", host.InitConfig{Func: "_initialize", Check: "check", CheckMessage: "the script threw"}, "check returned 1: the script threw"},
		{"trap", host.InitConfig{Func: "bindery:http/handler@0.1.0#handle"}, "initialise"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			init := tc.init
			_, err := rt.NewWorker(context.Background(), host.WorkerConfig{Name: "preinit", Wasm: fixture(t, "preinit.wasm"), Init: &init})
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("err = %v, want it to contain %q", err, tc.want)
			}
		})
	}
}
