// Package admin is the dev server's admin API and its client: the CLI
// reaches the data of a running `bindery dev` through it, because Badger
// lets only one process open a data directory.
//
// Routes (JSON errors {"error": "..."}; bearer token required):
//
//	GET    /api/ping
//	GET    /api/kv/namespaces                         {"namespaces": [{"id"}]} (when the store is a KVRegistry)
//	PUT    /api/kv/namespaces/{id}                    create the namespace (when the store is a KVRegistry)
//	GET    /api/kv/namespaces/{id}/keys?prefix=&limit=&cursor=
//	GET    /api/kv/namespaces/{id}/values/{key}       value bytes; metadata in X-Bindery-Metadata
//	PUT    /api/kv/namespaces/{id}/values/{key}?expiration=&expiration_ttl=&metadata=
//	DELETE /api/kv/namespaces/{id}/values/{key}
//
//	GET    /api/r2/buckets                            {"buckets": [{"name", "creation_date"}]}
//	PUT    /api/r2/buckets/{bucket}                   create the bucket (when the store is an R2BucketCreator)
//	GET    /api/r2/buckets/{bucket}/objects?prefix=&delimiter=&cursor=&start_after=&limit=&include=
//	                                                  a page in the JSON shape of R2's list result
//	GET    /api/r2/buckets/{bucket}/objects/{key...}  object bytes (Range: bytes=... answers 206)
//	HEAD   /api/r2/buckets/{bucket}/objects/{key...}
//	PUT    /api/r2/buckets/{bucket}/objects/{key...}  body streamed into the object; answers its JSON
//	DELETE /api/r2/buckets/{bucket}/objects/{key...}
//
// R2 object bodies stream in both directions. GET and HEAD answer with the
// object's HTTP metadata as headers (Content-Type, ETag, ...) and all its
// metadata as JSON in X-Bindery-R2-Object; PUT takes HTTP metadata from
// the standard headers (Expires as RFC 3339 or an HTTP date), custom
// metadata as a JSON object in X-Bindery-Custom-Metadata and the storage
// class in X-Bindery-Storage-Class. R2 errors carry a code ("NoSuchKey",
// ...) in the JSON body and in X-Bindery-Error-Code, with status 404 for a
// missing bucket or key, 400 for an invalid key or argument, 413 for an
// object over the size limit and 416 for an unsatisfiable range.
package admin

import (
	"bytes"
	"context"
	"crypto/subtle"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"

	"github.com/bindery-run/bindery/bindings/kv"
)

// KVStore resolves a namespace ID to its namespace.
type KVStore interface {
	KV(namespaceID string) *kv.Namespace
}

// KVRegistry is what a KVStore may also be: a list of the namespaces a
// data directory knows, which can be added to. Without it the routes
// that list and create namespaces answer 501.
type KVRegistry interface {
	// KVNamespaces returns the IDs of the namespaces, sorted.
	KVNamespaces(ctx context.Context) ([]string, error)
	// CreateKVNamespace adds a namespace; adding one that exists does nothing.
	CreateKVNamespace(ctx context.Context, namespaceID string) error
}

// KVNamespaceInfo is one namespace in the answer of GET /api/kv/namespaces.
type KVNamespaceInfo struct {
	ID string `json:"id"`
}

// Handler serves the admin API for store and buckets, requiring token.
// buckets may be nil: the R2 routes then answer 501.
func Handler(store KVStore, buckets R2Buckets, token string) http.Handler {
	mux := &router{}
	r2Routes(mux, buckets)
	mux.handle("GET /api/ping", func(w http.ResponseWriter, r *http.Request) {
		writeJSON(w, http.StatusOK, map[string]bool{"ok": true})
	})
	kvRegistryRoutes(mux, store)
	mux.handle("GET /api/kv/namespaces/{id}/keys", func(w http.ResponseWriter, r *http.Request) {
		q := r.URL.Query()
		o := kv.ListOptions{Prefix: q.Get("prefix"), Cursor: q.Get("cursor")}
		if l := q.Get("limit"); l != "" {
			n, err := strconv.Atoi(l)
			if err != nil {
				writeErr(w, fmt.Errorf("%w: limit %q is not a number", kv.ErrInvalidArgument, l))
				return
			}
			o.Limit = n
		}
		res, err := store.KV(r.PathValue("id")).List(r.Context(), o)
		if err != nil {
			writeErr(w, err)
			return
		}
		writeJSON(w, http.StatusOK, toWire(res))
	})
	mux.handle("GET /api/kv/namespaces/{id}/values/{key...}", func(w http.ResponseWriter, r *http.Request) {
		v, ok, err := store.KV(r.PathValue("id")).GetWithMetadata(r.Context(), r.PathValue("key"))
		if err != nil {
			writeErr(w, err)
			return
		}
		if !ok {
			writeJSON(w, http.StatusNotFound, map[string]string{"error": "key not found"})
			return
		}
		if v.Metadata != nil {
			w.Header().Set("X-Bindery-Metadata", string(v.Metadata))
		}
		w.Header().Set("Content-Type", "application/octet-stream")
		w.Write(v.Value)
	})
	mux.handle("PUT /api/kv/namespaces/{id}/values/{key...}", func(w http.ResponseWriter, r *http.Request) {
		ns := store.KV(r.PathValue("id"))
		value, err := io.ReadAll(io.LimitReader(r.Body, int64(ns.Limits().MaxValueBytes)+1))
		if err != nil {
			writeErr(w, err)
			return
		}
		q := r.URL.Query()
		var o kv.PutOptions
		if o.Expiration, err = intParam(q, "expiration"); err == nil {
			o.ExpirationTTL, err = intParam(q, "expiration_ttl")
		}
		if err != nil {
			writeErr(w, err)
			return
		}
		if m := q.Get("metadata"); m != "" {
			o.Metadata = []byte(m)
		}
		if err := ns.Put(r.Context(), r.PathValue("key"), value, o); err != nil {
			writeErr(w, err)
			return
		}
		writeJSON(w, http.StatusOK, map[string]bool{"ok": true})
	})
	mux.handle("DELETE /api/kv/namespaces/{id}/values/{key...}", func(w http.ResponseWriter, r *http.Request) {
		if err := store.KV(r.PathValue("id")).Delete(r.Context(), r.PathValue("key")); err != nil {
			writeErr(w, err)
			return
		}
		writeJSON(w, http.StatusOK, map[string]bool{"ok": true})
	})
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		want := "Bearer " + token
		if subtle.ConstantTimeCompare([]byte(r.Header.Get("Authorization")), []byte(want)) != 1 {
			writeJSON(w, http.StatusUnauthorized, map[string]string{"error": "missing or wrong admin token"})
			return
		}
		mux.ServeHTTP(w, r)
	})
}

// kvRegistryRoutes adds the routes that list and create namespaces: they
// answer 501 unless store is a KVRegistry.
func kvRegistryRoutes(mux *router, store KVStore) {
	reg, ok := store.(KVRegistry)
	if !ok {
		none := func(w http.ResponseWriter, r *http.Request) {
			writeJSON(w, http.StatusNotImplemented, map[string]string{"error": "this dev server does not list KV namespaces"})
		}
		mux.handle("GET /api/kv/namespaces", none)
		mux.handle("PUT /api/kv/namespaces/{id}", none)
		return
	}
	mux.handle("GET /api/kv/namespaces", func(w http.ResponseWriter, r *http.Request) {
		ids, err := reg.KVNamespaces(r.Context())
		if err != nil {
			writeErr(w, err)
			return
		}
		out := struct {
			Namespaces []KVNamespaceInfo `json:"namespaces"`
		}{Namespaces: make([]KVNamespaceInfo, len(ids))}
		for i, id := range ids {
			out.Namespaces[i].ID = id
		}
		writeJSON(w, http.StatusOK, out)
	})
	mux.handle("PUT /api/kv/namespaces/{id}", func(w http.ResponseWriter, r *http.Request) {
		if err := reg.CreateKVNamespace(r.Context(), r.PathValue("id")); err != nil {
			writeErr(w, err)
			return
		}
		writeJSON(w, http.StatusOK, map[string]bool{"ok": true})
	})
}

func intParam(q url.Values, name string) (int64, error) {
	s := q.Get(name)
	if s == "" {
		return 0, nil
	}
	n, err := strconv.ParseInt(s, 10, 64)
	if err != nil {
		return 0, fmt.Errorf("%w: %s %q is not a number", kv.ErrInvalidArgument, name, s)
	}
	return n, nil
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	json.NewEncoder(w).Encode(v)
}

func writeErr(w http.ResponseWriter, err error) {
	status := http.StatusInternalServerError
	for _, e := range []error{kv.ErrInvalidKey, kv.ErrInvalidArgument, kv.ErrTooLarge} {
		if errors.Is(err, e) {
			status = http.StatusBadRequest
		}
	}
	writeJSON(w, status, map[string]string{"error": err.Error()})
}

// KeyInfo is one key in a list, in the JSON shape of Workers KV.
type KeyInfo struct {
	Name       string          `json:"name"`
	Expiration int64           `json:"expiration,omitempty"`
	Metadata   json.RawMessage `json:"metadata,omitempty"`
}

// ListResult is one page of keys, in the JSON shape of Workers KV.
type ListResult struct {
	Keys         []KeyInfo `json:"keys"`
	ListComplete bool      `json:"list_complete"`
	Cursor       string    `json:"cursor,omitempty"`
}

func toWire(r kv.ListResult) ListResult {
	out := ListResult{Keys: make([]KeyInfo, len(r.Keys)), ListComplete: r.Complete, Cursor: r.Cursor}
	for i, k := range r.Keys {
		out.Keys[i] = KeyInfo{Name: k.Name, Expiration: k.Expiration, Metadata: json.RawMessage(k.Metadata)}
	}
	return out
}

// FromWire converts a wire page back.
func FromWire(r ListResult) kv.ListResult {
	out := kv.ListResult{Keys: make([]kv.KeyInfo, len(r.Keys)), Complete: r.ListComplete, Cursor: r.Cursor}
	for i, k := range r.Keys {
		out.Keys[i] = kv.KeyInfo{Name: k.Name, Expiration: k.Expiration, Metadata: []byte(k.Metadata)}
	}
	return out
}

// Client calls a dev server's admin API.
type Client struct {
	// URL is the admin API's base URL, e.g. "http://127.0.0.1:43211".
	URL string
	// Token is the bearer token from server.json.
	Token string
	// HTTP is the client to use; nil means http.DefaultClient.
	HTTP *http.Client
}

func (c *Client) do(ctx context.Context, method, path string, q url.Values, body []byte) (*http.Response, error) {
	if body == nil {
		return c.request(ctx, method, path, q, nil, nil, 0)
	}
	return c.request(ctx, method, path, q, nil, bytes.NewReader(body), int64(len(body)))
}

func kvPath(id string, parts ...string) string {
	p := "/api/kv/namespaces/" + escapeKey(id)
	for _, s := range parts {
		p += "/" + escapeKey(s)
	}
	return p
}

// call sends a request whose only answer is success or an error.
func (c *Client) call(ctx context.Context, method, path string, q url.Values, body []byte) error {
	resp, err := c.do(ctx, method, path, q, body)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return apiError(resp)
	}
	return nil
}

// Ping checks that the server answers and accepts the token.
func (c *Client) Ping(ctx context.Context) error { return c.call(ctx, "GET", "/api/ping", nil, nil) }

// KVNamespaces returns the IDs of the namespaces the server's data
// directory knows, sorted.
func (c *Client) KVNamespaces(ctx context.Context) ([]string, error) {
	resp, err := c.do(ctx, "GET", "/api/kv/namespaces", nil, nil)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return nil, apiError(resp)
	}
	var out struct{ Namespaces []KVNamespaceInfo }
	if err := json.NewDecoder(resp.Body).Decode(&out); err != nil {
		return nil, fmt.Errorf("admin API: %w", err)
	}
	ids := make([]string, len(out.Namespaces))
	for i, n := range out.Namespaces {
		ids[i] = n.ID
	}
	return ids, nil
}

// CreateKVNamespace creates a namespace; creating one that exists does
// nothing.
func (c *Client) CreateKVNamespace(ctx context.Context, id string) error {
	return c.call(ctx, "PUT", kvPath(id), nil, nil)
}

// KVGet returns a value and its metadata; found is false for a missing key.
func (c *Client) KVGet(ctx context.Context, id, key string) (v kv.Value, found bool, err error) {
	resp, err := c.do(ctx, "GET", kvPath(id, "values", key), nil, nil)
	if err != nil {
		return v, false, err
	}
	defer resp.Body.Close()
	switch resp.StatusCode {
	case http.StatusOK:
		v.Value, err = io.ReadAll(resp.Body)
		if m := resp.Header.Get("X-Bindery-Metadata"); m != "" {
			v.Metadata = []byte(m)
		}
		return v, true, err
	case http.StatusNotFound:
		return v, false, nil
	}
	return v, false, apiError(resp)
}

// KVPut stores a value.
func (c *Client) KVPut(ctx context.Context, id, key string, value []byte, o kv.PutOptions) error {
	q := url.Values{}
	if o.Expiration != 0 {
		q.Set("expiration", strconv.FormatInt(o.Expiration, 10))
	}
	if o.ExpirationTTL != 0 {
		q.Set("expiration_ttl", strconv.FormatInt(o.ExpirationTTL, 10))
	}
	if o.Metadata != nil {
		q.Set("metadata", string(o.Metadata))
	}
	return c.call(ctx, "PUT", kvPath(id, "values", key), q, value)
}

// KVDelete deletes a key.
func (c *Client) KVDelete(ctx context.Context, id, key string) error {
	return c.call(ctx, "DELETE", kvPath(id, "values", key), nil, nil)
}

// KVList returns one page of keys.
func (c *Client) KVList(ctx context.Context, id string, o kv.ListOptions) (kv.ListResult, error) {
	var res ListResult
	q := url.Values{}
	if o.Prefix != "" {
		q.Set("prefix", o.Prefix)
	}
	if o.Cursor != "" {
		q.Set("cursor", o.Cursor)
	}
	if o.Limit != 0 {
		q.Set("limit", strconv.Itoa(o.Limit))
	}
	resp, err := c.do(ctx, "GET", kvPath(id, "keys"), q, nil)
	if err != nil {
		return kv.ListResult{}, err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return kv.ListResult{}, apiError(resp)
	}
	if err := json.NewDecoder(resp.Body).Decode(&res); err != nil {
		return kv.ListResult{}, fmt.Errorf("admin API: %w", err)
	}
	return FromWire(res), nil
}
