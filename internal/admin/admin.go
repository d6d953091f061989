// Package admin is the dev server's admin API and the base of its clients:
// the CLI reaches the data of a running `bindery dev` through it, because
// Badger lets only one process open a data directory.
//
// The API itself is the routes of the binding modules (each module's
// package documents its routes: bindings/kv/kvmodule, bindings/r2/r2module)
// plus GET /api/ping; every route requires the bearer token, and errors
// are JSON {"error": "...", "code": "..."} (the code, if any, also in
// X-Bindery-Error-Code). This package knows no binding: it routes, checks
// the token, and gives clients the request and error plumbing.
package admin

import (
	"context"
	"crypto/subtle"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"

	"github.com/bindery-run/bindery/bindings/state"
)

// Route is one route of the admin API.
type Route struct {
	// Pattern is "METHOD /literal/{name}/{rest...}", matched on the
	// escaped path, segment by segment, never cleaned (see router).
	Pattern string
	// Handler serves it; r.PathValue gives the wildcards, unescaped.
	Handler http.HandlerFunc
}

// Headers of error answers.
const (
	// HeaderErrorCode carries the code of an error answer (also in the
	// JSON body, which HEAD answers lack).
	HeaderErrorCode = "X-Bindery-Error-Code"
	// HeaderError carries the message of an error answer to HEAD.
	HeaderError = "X-Bindery-Error"
)

// Handler serves the admin API: GET /api/ping and routes, requiring token.
func Handler(routes []Route, token string) http.Handler {
	mux := &router{}
	mux.handle("GET /api/ping", func(w http.ResponseWriter, r *http.Request) {
		WriteJSON(w, http.StatusOK, map[string]bool{"ok": true})
	})
	for _, rt := range routes {
		mux.handle(rt.Pattern, rt.Handler)
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		want := "Bearer " + token
		if subtle.ConstantTimeCompare([]byte(r.Header.Get("Authorization")), []byte(want)) != 1 {
			WriteJSON(w, http.StatusUnauthorized, map[string]string{"error": "missing or wrong admin token"})
			return
		}
		mux.ServeHTTP(w, r)
	})
}

// WriteJSON answers with status and v as JSON.
func WriteJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	json.NewEncoder(w).Encode(v)
}

// WriteError answers with an error: status, and err's message and code
// (if not "") as JSON and in HeaderErrorCode. A HEAD answer has no body,
// so its message goes in HeaderError.
func WriteError(w http.ResponseWriter, r *http.Request, status int, code string, err error) {
	if code != "" {
		w.Header().Set(HeaderErrorCode, code)
	}
	if r.Method == http.MethodHead {
		w.Header().Set(HeaderError, strings.ToValidUTF8(strings.Map(noCTL, err.Error()), "?"))
		w.WriteHeader(status)
		return
	}
	body := map[string]string{"error": err.Error()}
	if code != "" {
		body["code"] = code
	}
	WriteJSON(w, status, body)
}

// noCTL replaces control characters, which a header value cannot hold.
func noCTL(r rune) rune {
	if r < ' ' || r == 0x7f {
		return '?'
	}
	return r
}

// EscapeKey escapes a key into one URL path segment, its slashes and dots
// too: no server, proxy or client on the way can take "x/../y" or "a//b"
// for another path.
func EscapeKey(key string) string {
	return strings.ReplaceAll(url.PathEscape(key), ".", "%2E")
}

// Client calls a dev server's admin API. The binding modules' clients
// build on it.
type Client struct {
	// URL is the admin API's base URL, e.g. "http://127.0.0.1:43211".
	URL string
	// Token is the bearer token from server.json.
	Token string
	// HTTP is the client to use; nil means a default one.
	HTTP *http.Client
}

// Request sends a request to the admin API with the bearer token. It asks
// for the identity encoding, so the transport never decompresses a body
// stored with a Content-Encoding; size is body's length (-1 if unknown).
// It never follows a redirect.
func (c *Client) Request(ctx context.Context, method, path string, q url.Values, h http.Header, body io.Reader, size int64) (*http.Response, error) {
	u := c.URL + path
	if len(q) > 0 {
		u += "?" + q.Encode()
	}
	if body != nil {
		body = io.MultiReader(body) // hide Close: the caller owns body
	}
	req, err := http.NewRequestWithContext(ctx, method, u, body)
	if err != nil {
		return nil, err
	}
	for k, v := range h {
		req.Header[k] = v
	}
	req.Header.Set("Authorization", "Bearer "+c.Token)
	req.Header.Set("Accept-Encoding", "identity")
	if body != nil {
		req.ContentLength = size
		if size != 0 {
			// Let the server refuse (a missing bucket, a bad key) before
			// the body is sent.
			req.Header.Set("Expect", "100-continue")
		} else {
			req.Body = http.NoBody
		}
	}
	hc := http.Client{}
	if c.HTTP != nil {
		hc = *c.HTTP
	}
	// A redirect would act on another path than the one asked for, with
	// the same method (a DELETE follows a 307): never follow one.
	hc.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
	resp, err := hc.Do(req)
	if err != nil {
		return nil, fmt.Errorf("admin API %s: %w", c.URL, err)
	}
	return resp, nil
}

// Call sends a request whose only answer is success (200) or an error,
// which it decodes with codes (see ReadError).
func (c *Client) Call(ctx context.Context, method, path string, q url.Values, body io.Reader, size int64, codes func(code string) error) error {
	resp, err := c.Request(ctx, method, path, q, nil, body, size)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return ReadError(resp, codes)
	}
	return nil
}

// Ping checks that the server answers and accepts the token.
func (c *Client) Ping(ctx context.Context) error {
	return c.Call(ctx, "GET", "/api/ping", nil, nil, 0, nil)
}

// Error is an error answer of the admin API. It wraps the error its code
// names (as the module's client maps codes), so errors.Is(err,
// r2.ErrNoSuchKey) works as on a local store.
type Error struct {
	// Status is the HTTP status.
	Status int
	// Code is the error code, e.g. "NoSuchKey"; "" for errors without one.
	Code string
	// Message is the server's message.
	Message string
	// Err is the error Code names, or nil.
	Err error
}

// Error implements error.
func (e *Error) Error() string { return "dev server: " + e.Message }

// Unwrap returns the error Code names, or nil.
func (e *Error) Unwrap() error { return e.Err }

// ReadError reads an error answer into an *Error; codes (nil for none)
// maps its code to the error it names.
func ReadError(resp *http.Response, codes func(code string) error) error {
	var e struct{ Error, Code string }
	json.NewDecoder(resp.Body).Decode(&e)
	if e.Code == "" {
		e.Code = resp.Header.Get(HeaderErrorCode)
	}
	if e.Error == "" {
		e.Error = resp.Header.Get(HeaderError)
	}
	if e.Error == "" {
		e.Error = resp.Status
	}
	out := &Error{Status: resp.StatusCode, Code: e.Code, Message: e.Error}
	if codes != nil && e.Code != "" {
		out.Err = codes(e.Code)
	}
	return out
}

// Running returns the record of the dev server running on the data
// directory dir, and whether one runs there and answers: false when
// there is no record, or its server is gone (the CLI then opens the
// directory itself).
func Running(ctx context.Context, dir string) (state.ServerInfo, bool, error) {
	info, err := state.ReadServerInfo(dir)
	if errors.Is(err, state.ErrNoServer) {
		return info, false, nil
	}
	if err != nil {
		return info, false, err
	}
	c := &Client{URL: info.Admin, Token: info.Token}
	return info, c.Ping(ctx) == nil, nil
}
