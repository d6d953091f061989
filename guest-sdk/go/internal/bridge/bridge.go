//go:build wasip1

// Package bridge lets package durable reach the request machinery of
// package bindery without making it public: bindery sets these in its
// init, and durable (which imports bindery) calls them.
package bridge

import (
	"io"
	"net/http"

	"github.com/bindery-run/bindery/guest-sdk/go/internal/wit/httpwit"
	"github.com/bindery-run/bindery/guest-sdk/go/internal/wit/stream"
)

var (
	// Serve runs h on a request the host passed in (a Durable Object's
	// fetch event), as bindery serves the Worker's own requests.
	Serve func(h http.Handler, req httpwit.Request, body stream.InputStream, out httpwit.ResponseOutparam)
	// TakeOutparam returns the response-outparam behind w, a
	// ResponseWriter bindery gave a handler, and marks the response as
	// answered through it (a web socket accepted or forwarded); false
	// when w is not bindery's or has begun its response. With move, the
	// handle moves to the caller (a host call that takes it owned), and
	// bindery no longer drops it.
	TakeOutparam func(w http.ResponseWriter, move bool) (httpwit.ResponseOutparam, bool)
	// HostStream returns the host stream behind r when r is a request
	// body bindery made and none of it was read: it can then move to the
	// host whole (the reader is used up).
	HostStream func(r io.Reader) (stream.InputStream, bool)
	// NewBody returns a reader over a host stream, as a request body.
	NewBody func(s stream.InputStream) io.ReadCloser
	// SQLParams converts bound Go values as D1's Bind does: the result
	// is a []bindery.D1Value.
	SQLParams func(args []any) (any, error)
)
