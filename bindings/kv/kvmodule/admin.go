package kvmodule

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"

	"github.com/bindery-run/bindery/bindings"
	"github.com/bindery-run/bindery/bindings/kv"
	"github.com/bindery-run/bindery/internal/admin"
)

// The KV routes of the admin API (JSON errors {"error": "..."}):
//
//	GET    /api/kv/namespaces                         {"namespaces": [{"id"}]} (when the store is a KVRegistry)
//	PUT    /api/kv/namespaces/{id}                    create the namespace (when the store is a KVRegistry)
//	GET    /api/kv/namespaces/{id}/keys?prefix=&limit=&cursor=
//	GET    /api/kv/namespaces/{id}/values/{key}       value bytes; metadata in X-Bindery-Metadata
//	PUT    /api/kv/namespaces/{id}/values/{key}?expiration=&expiration_ttl=&metadata=
//	DELETE /api/kv/namespaces/{id}/values/{key}

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

// routes collects admin routes.
type routes []bindings.Route

func (rs *routes) handle(pattern string, h http.HandlerFunc) {
	*rs = append(*rs, bindings.Route{Pattern: pattern, Handler: h})
}

// Routes returns the KV routes of the admin API over store.
func Routes(store KVStore) []bindings.Route {
	mux := &routes{}
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
		admin.WriteJSON(w, http.StatusOK, toWire(res))
	})
	mux.handle("GET /api/kv/namespaces/{id}/values/{key...}", func(w http.ResponseWriter, r *http.Request) {
		v, ok, err := store.KV(r.PathValue("id")).GetWithMetadata(r.Context(), r.PathValue("key"))
		if err != nil {
			writeErr(w, err)
			return
		}
		if !ok {
			admin.WriteJSON(w, http.StatusNotFound, map[string]string{"error": "key not found"})
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
		admin.WriteJSON(w, http.StatusOK, map[string]bool{"ok": true})
	})
	mux.handle("DELETE /api/kv/namespaces/{id}/values/{key...}", func(w http.ResponseWriter, r *http.Request) {
		if err := store.KV(r.PathValue("id")).Delete(r.Context(), r.PathValue("key")); err != nil {
			writeErr(w, err)
			return
		}
		admin.WriteJSON(w, http.StatusOK, map[string]bool{"ok": true})
	})
	return *mux
}

// kvRegistryRoutes adds the routes that list and create namespaces: they
// answer 501 unless store is a KVRegistry.
func kvRegistryRoutes(mux *routes, store KVStore) {
	reg, ok := store.(KVRegistry)
	if !ok {
		none := func(w http.ResponseWriter, r *http.Request) {
			admin.WriteJSON(w, http.StatusNotImplemented, map[string]string{"error": "this dev server does not list KV namespaces"})
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
		admin.WriteJSON(w, http.StatusOK, out)
	})
	mux.handle("PUT /api/kv/namespaces/{id}", func(w http.ResponseWriter, r *http.Request) {
		if err := reg.CreateKVNamespace(r.Context(), r.PathValue("id")); err != nil {
			writeErr(w, err)
			return
		}
		admin.WriteJSON(w, http.StatusOK, map[string]bool{"ok": true})
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

func writeErr(w http.ResponseWriter, err error) {
	status := http.StatusInternalServerError
	for _, e := range []error{kv.ErrInvalidKey, kv.ErrInvalidArgument, kv.ErrTooLarge} {
		if errors.Is(err, e) {
			status = http.StatusBadRequest
		}
	}
	admin.WriteJSON(w, status, map[string]string{"error": err.Error()})
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

// Client calls the KV routes of a dev server's admin API.
type Client struct{ c *admin.Client }

// NewClient returns a client of the admin API at url (e.g.
// "http://127.0.0.1:43211") with the bearer token; hc nil means a default
// HTTP client.
func NewClient(url, token string, hc *http.Client) *Client {
	return &Client{c: &admin.Client{URL: url, Token: token, HTTP: hc}}
}

// Ping checks that the server answers and accepts the token.
func (c *Client) Ping(ctx context.Context) error { return c.c.Ping(ctx) }

func (c *Client) do(ctx context.Context, method, path string, q url.Values, body []byte) (*http.Response, error) {
	if body == nil {
		return c.c.Request(ctx, method, path, q, nil, nil, 0)
	}
	return c.c.Request(ctx, method, path, q, nil, bytes.NewReader(body), int64(len(body)))
}

func kvPath(id string, parts ...string) string {
	p := "/api/kv/namespaces/" + admin.EscapeKey(id)
	for _, s := range parts {
		p += "/" + admin.EscapeKey(s)
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
		return admin.ReadError(resp, nil)
	}
	return nil
}

// KVNamespaces returns the IDs of the namespaces the server's data
// directory knows, sorted.
func (c *Client) KVNamespaces(ctx context.Context) ([]string, error) {
	resp, err := c.do(ctx, "GET", "/api/kv/namespaces", nil, nil)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return nil, admin.ReadError(resp, nil)
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
	return v, false, admin.ReadError(resp, nil)
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
		return kv.ListResult{}, admin.ReadError(resp, nil)
	}
	if err := json.NewDecoder(resp.Body).Decode(&res); err != nil {
		return kv.ListResult{}, fmt.Errorf("admin API: %w", err)
	}
	return FromWire(res), nil
}
