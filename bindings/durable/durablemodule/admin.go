package durablemodule

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/dgraph-io/badger/v4"

	"github.com/bindery-run/bindery/bindings"
	"github.com/bindery-run/bindery/bindings/durable"
	"github.com/bindery-run/bindery/bindings/durable/alarms"
	"github.com/bindery-run/bindery/bindings/durable/storage"
	"github.com/bindery-run/bindery/host/durablehost"
	"github.com/bindery-run/bindery/internal/admin"
)

// The Durable Objects routes of the admin API (JSON errors {"error"}).
// OBJECT is an object's id (64 hex digits) or its name (idFromName).
//
//	GET    /api/do/classes                                   {"classes": [{"name", "sqlite", "objects"}]}
//	GET    /api/do/classes/{class}/objects                   {"objects": [id, ...]}: those with storage
//	GET    /api/do/classes/{class}/objects/{object}/keys?prefix=&start=&end=&reverse=&limit=
//	                                                          {"id", "entries": [{"key", "value": base64}]}
//	GET    /api/do/classes/{class}/objects/{object}/values/{key}   the encoded value; 404 when missing
//	PUT    /api/do/classes/{class}/objects/{object}/values/{key}   store the encoded value of the body
//	DELETE /api/do/classes/{class}/objects/{object}/values/{key}   {"deleted": bool}
//	GET    /api/do/classes/{class}/objects/{object}/alarm    {"alarm": ms since the epoch, or null}
//	POST   /api/do/classes/{class}/objects/{object}/alarm    run the alarm now
//
// A write goes through the object, between its events, and drops its
// memory: its next event reads what was written.

// Store is what the admin routes serve and bindery do works on: the data
// of a running dev server (local over its Host), the data directory
// itself (local over the files), or a dev server through its admin API
// (Client). OBJECT is an object's id or name.
type Store interface {
	Classes(ctx context.Context) ([]ClassInfo, error)
	Objects(ctx context.Context, class string) ([]string, error)
	List(ctx context.Context, class, object string, q url.Values) (ListResult, error)
	Get(ctx context.Context, class, object, key string) ([]byte, bool, error)
	Put(ctx context.Context, class, object, key string, v []byte) (string, error)
	Delete(ctx context.Context, class, object, key string) (bool, error)
	Alarm(ctx context.Context, class, object string) (*int64, error)
	TriggerAlarm(ctx context.Context, class, object string) error
}

// local is a Store over the data itself.
type local struct {
	worker  string // the Worker whose classes these are
	classes Classes
	db      *badger.DB
	dir     string
	// objectID resolves OBJECT (an id or a name) for class.
	objectID func(ctx context.Context, class, object string) (durable.ID, error)
	// do runs fn on the object's storage; write marks a change.
	do func(ctx context.Context, class string, id durable.ID, write bool, fn func(ctx context.Context, s storage.Storage) error) error
	// alarms reads and sets the alarms.
	alarms func() (*alarms.Scheduler, error)
}

// hostLocal is the Store of a dev server's Host: writes go through the
// object, between its events, and drop its memory.
func hostLocal(h *durablehost.Host, worker string, classes Classes, db *badger.DB, dir string, sched *alarms.Scheduler) *local {
	return &local{worker: worker, classes: classes, db: db, dir: dir, objectID: h.ObjectID, do: h.Storage,
		alarms: func() (*alarms.Scheduler, error) { return sched, nil }}
}

func (l *local) class(name string) (Class, error) {
	cl, ok := l.classes[name]
	if !ok {
		return Class{}, fmt.Errorf("%w %q (the config has %q)", errNoClass, name, l.classes.Names())
	}
	return cl, nil
}

func (l *local) Classes(ctx context.Context) ([]ClassInfo, error) {
	out := []ClassInfo{}
	for _, name := range l.classes.Names() {
		ids, err := objectIDs(l.db, l.dir, l.classes[name], l.worker)
		if err != nil {
			return nil, err
		}
		out = append(out, ClassInfo{Name: name, SQLite: l.classes[name].SQLite, Objects: len(ids)})
	}
	return out, nil
}

func (l *local) Objects(ctx context.Context, class string) ([]string, error) {
	cl, err := l.class(class)
	if err != nil {
		return nil, err
	}
	ids, err := objectIDs(l.db, l.dir, cl, l.worker)
	return orEmpty(ids), err
}

// on resolves the object and runs fn on its storage.
func (l *local) on(ctx context.Context, class, object string, write bool, fn func(ctx context.Context, s storage.Storage) error) (durable.ID, error) {
	if _, err := l.class(class); err != nil {
		return durable.ID{}, err
	}
	id, err := l.objectID(ctx, class, object)
	if err != nil {
		return id, err
	}
	if cl := l.classes[class]; !write && cl.SQLite {
		// A read of an object that has no database finds nothing, and
		// makes none.
		if _, err := os.Stat(filepath.Join(Dir(l.dir, cl.StorageName(l.worker)), id.String()+".sqlite")); errors.Is(err, os.ErrNotExist) {
			return id, nil
		}
	}
	return id, l.do(ctx, class, id, write, fn)
}

func (l *local) List(ctx context.Context, class, object string, q url.Values) (ListResult, error) {
	o, err := listOptions(q)
	if err != nil {
		return ListResult{}, err
	}
	var es []storage.Entry
	id, err := l.on(ctx, class, object, false, func(ctx context.Context, s storage.Storage) (err error) {
		es, err = s.List(ctx, o)
		return err
	})
	out := ListResult{ID: id.String(), Entries: []WireEntry{}}
	for _, e := range es {
		out.Entries = append(out.Entries, WireEntry{Key: e.Key, Value: e.Value})
	}
	return out, err
}

func (l *local) Get(ctx context.Context, class, object, key string) ([]byte, bool, error) {
	var es []storage.Entry
	_, err := l.on(ctx, class, object, false, func(ctx context.Context, s storage.Storage) (err error) {
		es, err = s.Get(ctx, []string{key})
		return err
	})
	if err != nil || len(es) == 0 {
		return nil, false, err
	}
	return es[0].Value, true, nil
}

func (l *local) Put(ctx context.Context, class, object, key string, v []byte) (string, error) {
	id, err := l.on(ctx, class, object, true, func(ctx context.Context, s storage.Storage) error {
		return s.Put(ctx, []storage.Entry{{Key: key, Value: v}})
	})
	return id.String(), err
}

func (l *local) Delete(ctx context.Context, class, object, key string) (bool, error) {
	var n int
	_, err := l.on(ctx, class, object, true, func(ctx context.Context, s storage.Storage) (err error) {
		n, err = s.Delete(ctx, []string{key})
		return err
	})
	return n > 0, err
}

func (l *local) Alarm(ctx context.Context, class, object string) (*int64, error) {
	cl, err := l.class(class)
	if err != nil {
		return nil, err
	}
	id, err := l.objectID(ctx, class, object)
	if err != nil {
		return nil, err
	}
	sched, err := l.alarms()
	if err != nil {
		return nil, err
	}
	t, ok, err := sched.Get(ctx, cl.StorageName(l.worker), id.String())
	if err != nil || !ok {
		return nil, err
	}
	ms := t.UnixMilli()
	return &ms, nil
}

func (l *local) TriggerAlarm(ctx context.Context, class, object string) error {
	cl, err := l.class(class)
	if err != nil {
		return err
	}
	id, err := l.objectID(ctx, class, object)
	if err != nil {
		return err
	}
	sched, err := l.alarms()
	if err != nil {
		return err
	}
	return sched.Set(ctx, cl.StorageName(l.worker), id.String(), time.Now())
}

// objectIDs lists the objects of a class that have storage: the SQLite
// files of a SQLite-backed class, the Badger prefixes of a KV-backed one.
func objectIDs(db *badger.DB, dir string, cl Class, worker string) ([]string, error) {
	var out []string
	if cl.SQLite {
		ents, err := os.ReadDir(Dir(dir, cl.StorageName(worker)))
		if err != nil && !errors.Is(err, os.ErrNotExist) {
			return nil, err
		}
		for _, e := range ents {
			if id, ok := strings.CutSuffix(e.Name(), ".sqlite"); ok && len(id) == 2*durable.IDSize {
				out = append(out, id)
			}
		}
		return out, nil
	}
	prefix := storage.NamespacePrefix(cl.StorageName(worker))
	err := db.View(func(txn *badger.Txn) error {
		it := txn.NewIterator(badger.IteratorOptions{Prefix: prefix})
		defer it.Close()
		for it.Rewind(); it.Valid(); {
			rest := it.Item().Key()[len(prefix):]
			_, after, ok := bytes.Cut(rest, []byte(":"))
			if !ok || len(after) < 2*durable.IDSize {
				it.Next()
				continue
			}
			id := string(after[:2*durable.IDSize])
			out = append(out, id)
			it.Seek(append(storage.ObjectPrefix(cl.StorageName(worker), id), 0xff))
		}
		return nil
	})
	return out, err
}

// Routes returns the admin routes over store.
func Routes(store Store) []bindings.Route {
	var rs []bindings.Route
	handle := func(pattern string, fn func(w http.ResponseWriter, r *http.Request) (any, error)) {
		rs = append(rs, bindings.Route{Pattern: pattern, Handler: func(w http.ResponseWriter, r *http.Request) {
			v, err := fn(w, r)
			switch {
			case err != nil:
				writeErr(w, err)
			case v != nil:
				admin.WriteJSON(w, http.StatusOK, v)
			}
		}})
	}
	cls, obj, key := func(r *http.Request) string { return r.PathValue("class") },
		func(r *http.Request) string { return r.PathValue("object") },
		func(r *http.Request) string { return r.PathValue("key") }
	handle("GET /api/do/classes", func(w http.ResponseWriter, r *http.Request) (any, error) {
		cs, err := store.Classes(r.Context())
		return map[string]any{"classes": cs}, err
	})
	handle("GET /api/do/classes/{class}/objects", func(w http.ResponseWriter, r *http.Request) (any, error) {
		ids, err := store.Objects(r.Context(), cls(r))
		return map[string]any{"objects": ids}, err
	})
	handle("GET /api/do/classes/{class}/objects/{object}/keys", func(w http.ResponseWriter, r *http.Request) (any, error) {
		return store.List(r.Context(), cls(r), obj(r), r.URL.Query())
	})
	handle("GET /api/do/classes/{class}/objects/{object}/values/{key...}", func(w http.ResponseWriter, r *http.Request) (any, error) {
		v, ok, err := store.Get(r.Context(), cls(r), obj(r), key(r))
		switch {
		case err != nil:
			return nil, err
		case !ok:
			admin.WriteJSON(w, http.StatusNotFound, map[string]string{"error": fmt.Sprintf("no key %q in %s object %s", key(r), cls(r), obj(r))})
		default:
			w.Header().Set("Content-Type", "application/cbor")
			w.Write(v)
		}
		return nil, nil
	})
	handle("PUT /api/do/classes/{class}/objects/{object}/values/{key...}", func(w http.ResponseWriter, r *http.Request) (any, error) {
		v, err := io.ReadAll(io.LimitReader(r.Body, storage.MaxSQLiteEntrySize+1))
		if err != nil {
			return nil, err
		}
		id, err := store.Put(r.Context(), cls(r), obj(r), key(r), v)
		return map[string]string{"id": id}, err
	})
	handle("DELETE /api/do/classes/{class}/objects/{object}/values/{key...}", func(w http.ResponseWriter, r *http.Request) (any, error) {
		ok, err := store.Delete(r.Context(), cls(r), obj(r), key(r))
		return map[string]bool{"deleted": ok}, err
	})
	handle("GET /api/do/classes/{class}/objects/{object}/alarm", func(w http.ResponseWriter, r *http.Request) (any, error) {
		ms, err := store.Alarm(r.Context(), cls(r), obj(r))
		return map[string]any{"alarm": ms}, err
	})
	handle("POST /api/do/classes/{class}/objects/{object}/alarm", func(w http.ResponseWriter, r *http.Request) (any, error) {
		return map[string]bool{"triggered": true}, store.TriggerAlarm(r.Context(), cls(r), obj(r))
	})
	return rs
}

// errNoClass is the error of a class the config does not have.
var errNoClass = errors.New("no Durable Object class")

// ClassInfo is one class in GET /api/do/classes.
type ClassInfo struct {
	Name    string `json:"name"`
	SQLite  bool   `json:"sqlite"`
	Objects int    `json:"objects"`
}

// WireEntry is one key and its encoded value (base64 in JSON).
type WireEntry struct {
	Key   string `json:"key"`
	Value []byte `json:"value"`
}

// ListResult is the answer of the keys route.
type ListResult struct {
	ID      string      `json:"id"`
	Entries []WireEntry `json:"entries"`
}

func orEmpty(s []string) []string {
	if s == nil {
		return []string{}
	}
	sort.Strings(s)
	return s
}

// listOptions reads the keys route's query.
func listOptions(q url.Values) (storage.ListOptions, error) {
	o := storage.ListOptions{Prefix: q.Get("prefix"), Reverse: q.Get("reverse") == "true"}
	if q.Has("start") {
		v := q.Get("start")
		o.Start = &v
	}
	if q.Has("end") {
		v := q.Get("end")
		o.End = &v
	}
	if l := q.Get("limit"); l != "" {
		n, err := strconv.Atoi(l)
		if err != nil || n < 0 {
			return o, fmt.Errorf("%w: limit %q is not a positive number", storage.ErrBadLimit, l)
		}
		o.Limit = n
	}
	return o, nil
}

// writeErr answers err: 400 for the caller's mistakes, 404 for a class
// that does not exist, else 500.
func writeErr(w http.ResponseWriter, err error) {
	status := http.StatusInternalServerError
	var le *storage.LimitError
	switch {
	case errors.Is(err, errNoClass):
		status = http.StatusNotFound
	case errors.As(err, &le), errors.Is(err, storage.ErrBadLimit), errors.Is(err, storage.ErrStartAndStartAfter):
		status = http.StatusBadRequest
	}
	admin.WriteJSON(w, status, map[string]string{"error": err.Error()})
}

// Client calls the Durable Objects routes of a dev server's admin API.
type Client struct{ c *admin.Client }

// NewClient returns a client of the admin API at url with the bearer
// token; hc nil means a default HTTP client.
func NewClient(url, token string, hc *http.Client) *Client {
	return &Client{c: &admin.Client{URL: url, Token: token, HTTP: hc}}
}

func objectPath(class, object string, parts ...string) string {
	p := "/api/do/classes/" + admin.EscapeKey(class) + "/objects/" + admin.EscapeKey(object)
	for _, s := range parts {
		p += "/" + s
	}
	return p
}

// getJSON sends a request and decodes its JSON answer into v.
func (c *Client) getJSON(ctx context.Context, method, path string, q url.Values, body []byte, v any) error {
	var rd io.Reader
	if body != nil {
		rd = bytes.NewReader(body)
	}
	resp, err := c.c.Request(ctx, method, path, q, nil, rd, int64(len(body)))
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return admin.ReadError(resp, nil)
	}
	return json.NewDecoder(resp.Body).Decode(v)
}

// Classes returns the classes and their object counts.
func (c *Client) Classes(ctx context.Context) ([]ClassInfo, error) {
	var out struct{ Classes []ClassInfo }
	return out.Classes, c.getJSON(ctx, "GET", "/api/do/classes", nil, nil, &out)
}

// Objects returns the ids of class's objects that have storage.
func (c *Client) Objects(ctx context.Context, class string) ([]string, error) {
	var out struct{ Objects []string }
	return out.Objects, c.getJSON(ctx, "GET", "/api/do/classes/"+admin.EscapeKey(class)+"/objects", nil, nil, &out)
}

// List lists an object's entries.
func (c *Client) List(ctx context.Context, class, object string, q url.Values) (ListResult, error) {
	var out ListResult
	return out, c.getJSON(ctx, "GET", objectPath(class, object, "keys"), q, nil, &out)
}

// Get returns the encoded value of key, and false when it is missing.
func (c *Client) Get(ctx context.Context, class, object, key string) ([]byte, bool, error) {
	resp, err := c.c.Request(ctx, "GET", objectPath(class, object, "values", admin.EscapeKey(key)), nil, nil, nil, 0)
	if err != nil {
		return nil, false, err
	}
	defer resp.Body.Close()
	switch resp.StatusCode {
	case http.StatusOK:
		b, err := io.ReadAll(resp.Body)
		return b, true, err
	case http.StatusNotFound:
		if resp.Header.Get("Content-Type") == "application/json" {
			var e struct{ Error string }
			if json.NewDecoder(resp.Body).Decode(&e) == nil && strings.HasPrefix(e.Error, "no key ") {
				return nil, false, nil
			}
		}
	}
	return nil, false, admin.ReadError(resp, nil)
}

// Put stores the encoded value v under key and returns the object's id.
func (c *Client) Put(ctx context.Context, class, object, key string, v []byte) (string, error) {
	var out struct{ ID string }
	return out.ID, c.getJSON(ctx, "PUT", objectPath(class, object, "values", admin.EscapeKey(key)), nil, v, &out)
}

// Delete deletes key and reports whether it existed.
func (c *Client) Delete(ctx context.Context, class, object, key string) (bool, error) {
	var out struct{ Deleted bool }
	return out.Deleted, c.getJSON(ctx, "DELETE", objectPath(class, object, "values", admin.EscapeKey(key)), nil, nil, &out)
}

// Alarm returns the object's alarm in milliseconds since the epoch, or
// nil.
func (c *Client) Alarm(ctx context.Context, class, object string) (*int64, error) {
	var out struct{ Alarm *int64 }
	return out.Alarm, c.getJSON(ctx, "GET", objectPath(class, object, "alarm"), nil, nil, &out)
}

// TriggerAlarm runs the object's alarm now.
func (c *Client) TriggerAlarm(ctx context.Context, class, object string) error {
	var out struct{ Triggered bool }
	return c.getJSON(ctx, "POST", objectPath(class, object, "alarm"), nil, nil, &out)
}

var _ Store = (*Client)(nil)
var _ Store = (*local)(nil)
