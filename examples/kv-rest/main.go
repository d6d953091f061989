//go:build wasip1

// Command kv-rest is a Worker that exposes its KV binding STORE as a small
// REST API:
//
//	GET    /kv/<key>                      the value, or 404
//	PUT    /kv/<key>[?ttl=SECONDS]        store the request body
//	DELETE /kv/<key>                      delete
//	GET    /kv?prefix=&limit=&cursor=     list keys as Workers KV's JSON
//	GET    /vars                          the GREETING variable (and whether API_TOKEN is set)
//	GET    /whoami                        the client's address (CF-Connecting-IP)
package main

import (
	"encoding/json"
	"errors"
	"io"
	"math"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/bindery-run/bindery/guest-sdk/go/bindery"
)

func init() { bindery.Serve(http.HandlerFunc(serve)) }

func main() {}

func serve(w http.ResponseWriter, r *http.Request) {
	switch {
	case r.URL.Path == "/vars":
		greeting, _ := bindery.Var("GREETING")
		_, hasToken := bindery.Secret("API_TOKEN")
		writeJSON(w, http.StatusOK, map[string]any{"greeting": greeting, "api_token_set": hasToken})
	case r.URL.Path == "/whoami":
		w.Write([]byte(r.RemoteAddr))
	case r.URL.Path == "/kv":
		list(w, r)
	case strings.HasPrefix(r.URL.Path, "/kv/"):
		// The rest of the path is the key, as sent ("/kv/" is the empty
		// key, which KV refuses): keys are opaque, never cleaned.
		key(w, r, strings.TrimPrefix(r.URL.Path, "/kv/"))
	default:
		http.NotFound(w, r)
	}
}

func store(w http.ResponseWriter) *bindery.KVNamespace {
	ns, err := bindery.KV("STORE")
	if err != nil {
		http.Error(w, err.Error(), http.StatusInternalServerError)
		return nil
	}
	return ns
}

func key(w http.ResponseWriter, r *http.Request, k string) {
	ns := store(w)
	if ns == nil {
		return
	}
	switch r.Method {
	case http.MethodGet:
		v, err := ns.Get(k)
		if errors.Is(err, bindery.ErrNotFound) {
			http.Error(w, "not found", http.StatusNotFound)
			return
		}
		if err != nil {
			kvError(w, err)
			return
		}
		w.Header().Set("Content-Type", "application/octet-stream")
		w.Write(v)
	case http.MethodPut:
		body, err := io.ReadAll(r.Body)
		if err != nil {
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
		var opts bindery.PutOptions
		if ttl := r.URL.Query().Get("ttl"); ttl != "" {
			// Range-checked here: a TTL beyond time.Duration's ~292 years
			// would wrap around when multiplied.
			s, err := strconv.ParseInt(ttl, 10, 64)
			if err != nil || s > math.MaxInt64/int64(time.Second) {
				http.Error(w, "ttl must be a number of seconds", http.StatusBadRequest)
				return
			}
			opts.ExpirationTTL = time.Duration(s) * time.Second
		}
		if err := ns.Put(k, body, &opts); err != nil {
			kvError(w, err)
			return
		}
		w.WriteHeader(http.StatusNoContent)
	case http.MethodDelete:
		if err := ns.Delete(k); err != nil {
			kvError(w, err)
			return
		}
		w.WriteHeader(http.StatusNoContent)
	default:
		w.Header().Set("Allow", "GET, PUT, DELETE")
		http.Error(w, "method not allowed", http.StatusMethodNotAllowed)
	}
}

func list(w http.ResponseWriter, r *http.Request) {
	ns := store(w)
	if ns == nil {
		return
	}
	if r.Method != http.MethodGet {
		w.Header().Set("Allow", "GET")
		http.Error(w, "method not allowed", http.StatusMethodNotAllowed)
		return
	}
	q := r.URL.Query()
	opts := bindery.ListOptions{Prefix: q.Get("prefix"), Cursor: q.Get("cursor")}
	if l := q.Get("limit"); l != "" {
		n, err := strconv.Atoi(l)
		if err != nil {
			http.Error(w, "limit must be a number", http.StatusBadRequest)
			return
		}
		opts.Limit = n
	}
	res, err := ns.List(opts)
	if err != nil {
		kvError(w, err)
		return
	}
	writeJSON(w, http.StatusOK, res)
}

// kvError maps KV errors: limits and bad input are the client's fault.
func kvError(w http.ResponseWriter, err error) {
	status := http.StatusInternalServerError
	if errors.Is(err, bindery.ErrInvalidKey) || errors.Is(err, bindery.ErrInvalidArgument) {
		status = http.StatusBadRequest
	} else if errors.Is(err, bindery.ErrTooLarge) {
		status = http.StatusRequestEntityTooLarge
	}
	http.Error(w, err.Error(), status)
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	json.NewEncoder(w).Encode(v)
}
