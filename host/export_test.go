package host

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"

	"github.com/bindery-run/bindery/abi"
	"github.com/bindery-run/bindery/host/internal/httpwit"
)

// NestHandle runs w's fetch handler on r nested inside the host call in
// progress in ctx, on the same instance and goroutine (a re-entrant call:
// the spike of docs/durable-objects.md, "Execution model"). The export is
// looked up afresh: a wazero api.Function may not be called while a call
// of it is in progress. It returns the response and the nested call's
// error (a trap poisons the whole instance).
func NestHandle(ctx context.Context, w *Worker, r *http.Request) (*httptest.ResponseRecorder, error) {
	a := abi.Current(ctx)
	if a == nil {
		return nil, errors.New("NestHandle: not inside a host call")
	}
	var inst *instance
	w.g.mu.Lock()
	for i := range w.g.live {
		if i.abi == a {
			inst = i
		}
	}
	w.g.mu.Unlock()
	if inst == nil {
		return nil, errors.New("NestHandle: the calling instance is not the Worker's")
	}
	h, err := httpwit.NewHandlerExports(a.Lookup())
	if err != nil {
		return nil, err
	}
	st := a.Nest()
	defer a.Unnest(st)
	rec := httptest.NewRecorder()
	body := &requestBody{r: r.Body, inst: inst}
	out := &responseOut{rw: rec}
	err = h.Handle(ctx, a, requestHead(r), body, out)
	body.done, out.done = true, true
	if out.stream != nil {
		out.stream.done = true
	}
	if err == nil && out.failed {
		err = errors.New("the nested handler failed: " + out.reason)
	}
	return rec, err
}

// LiveHandles returns how many resource handles w's live instances hold.
func LiveHandles(w *Worker) int {
	w.g.mu.Lock()
	defer w.g.mu.Unlock()
	n := 0
	for i := range w.g.live {
		n += i.abi.Handles.Len()
	}
	return n
}
