// Package state opens a Bindery data directory, the one `bindery dev`
// keeps its data in (.bindery/state beside the config by default), so
// that a Go program can serve Workers over the same data:
//
//	<dir>/kv/          the Badger database: every KV namespace, the R2 index, the Cache API index
//	<dir>/r2/          R2 object bytes (see docs/r2-storage.md)
//	<dir>/cache/       Cache API bodies (opened by the cache module, bindings/cache/cachemodule)
//	<dir>/server.json  written by a running `bindery dev`: its PID and admin API
//
// Open opens the directory, its Badger database and its R2 store, and
// runs Badger's value-log garbage collection in the background until
// Close:
//
//	st, err := state.Open(dir, state.Options{Logger: log})
//	if err != nil { ... }
//	defer st.Close()
//	b := kv.NewBinding(map[string]*kv.Namespace{"STORE": st.KV("store")})
//
// # Notes
//
// Badger allows one process per directory: a second Open of a directory
// in use fails with a [*LockedError]. A running dev server owns its
// directory, and the CLI talks to it through its admin API (the address is
// in server.json, see [ReadServerInfo]); when no server runs, the CLI
// opens the directory itself. A State is safe for concurrent use.
// See docs/state.md for the layout as a user-facing format.
package state

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"sync"
	"syscall"
	"time"

	"github.com/bindery-run/bindery/bindings/durable"
	"github.com/bindery-run/bindery/bindings/kv"
	"github.com/bindery-run/bindery/bindings/kv/badgerkv"
	"github.com/bindery-run/bindery/bindings/r2"
	"github.com/bindery-run/bindery/internal/badgerdb"
	"github.com/dgraph-io/badger/v4"
)

// LockedError is the error of Open when another process (or another Open
// in this process) holds the directory's Badger lock.
type LockedError = badgerdb.LockedError

// DefaultGCInterval is how often the value-log garbage collection runs
// when Options.GCInterval is zero.
const DefaultGCInterval = badgerdb.DefaultGCInterval

// Options configure Open. The zero value is what bindery dev uses.
type Options struct {
	// Logger receives Badger's warnings and errors and those of background
	// work (file deletions that failed); nil discards them.
	Logger *slog.Logger
	// GCInterval is how often Badger's value-log garbage collection runs;
	// 0 means DefaultGCInterval, and a negative value turns it off.
	GCInterval time.Duration
	// R2 configures the R2 store; its Logger defaults to Logger.
	R2 r2.Options
}

// State is an open data directory. It is safe for concurrent use.
type State struct {
	dir    string
	db     *badger.DB
	r2     *r2.Store
	stopGC context.CancelFunc
	gcDone chan struct{}
	close  sync.Once
	err    error
}

// Open opens (creating it if needed) the data directory dir: its Badger
// database and its R2 store. It starts the value-log garbage collection,
// which runs until Close.
func Open(dir string, opts Options) (*State, error) {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, fmt.Errorf("state: %w", err)
	}
	db, err := badgerdb.Open(filepath.Join(dir, "kv"), opts.Logger)
	if err != nil {
		return nil, fmt.Errorf("state: %w", err)
	}
	ro := opts.R2
	if ro.Logger == nil {
		ro.Logger = opts.Logger
	}
	objects, err := r2.Open(filepath.Join(dir, "r2"), db, ro)
	if err != nil {
		db.Close()
		return nil, fmt.Errorf("state: %w", err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	s := &State{dir: dir, db: db, r2: objects, stopGC: cancel, gcDone: make(chan struct{})}
	go func() {
		defer close(s.gcDone)
		if opts.GCInterval >= 0 {
			badgerdb.RunGC(ctx, db, opts.GCInterval)
		}
	}()
	return s, nil
}

// Dir returns the directory.
func (s *State) Dir() string { return s.dir }

// DB returns the Badger database, for stores that keep their index in it
// (each under its own key prefix: "kv/", "r2/", "cache/"). It is closed by
// Close.
func (s *State) DB() *badger.DB { return s.db }

// KV returns the namespace with the given ID (wrangler's kv_namespaces id)
// with Cloudflare's limits, checking expirations against the host's
// clock.
func (s *State) KV(namespaceID string) *kv.Namespace {
	return s.KVWithClock(namespaceID, nil)
}

// KVWithClock is KV with expirations computed and checked against now
// (nil means time.Now): pass the Now of the host's clock
// (bindings.Env.Clock) so that a test that advances a manual clock sees
// keys expire. A clock ahead of the host's is fine; one behind it is
// not, since Badger hides a key once the host's clock passes its
// expiration, whatever now says (see package badgerkv).
func (s *State) KVWithClock(namespaceID string, now func() time.Time) *kv.Namespace {
	return kv.NewNamespace(badgerkv.New(s.db, namespaceID, now), kv.DefaultLimits(), now)
}

// KVNamespaces returns the IDs of the KV namespaces the directory knows,
// sorted: those created with CreateKVNamespace and those holding keys.
func (s *State) KVNamespaces(ctx context.Context) ([]string, error) {
	return badgerkv.Namespaces(ctx, s.db)
}

// CreateKVNamespace records the KV namespace namespaceID, so that
// KVNamespaces lists it while it holds no keys. bindery dev creates the
// namespaces its config declares; creating one that exists does nothing.
func (s *State) CreateKVNamespace(ctx context.Context, namespaceID string) error {
	return badgerkv.CreateNamespace(ctx, s.db, namespaceID)
}

// DurableKeys returns the Durable Object namespace keys kept in the
// directory's Badger database (under "durable/keys/"): what
// durable.OpenNamespace makes each class's ids with.
func (s *State) DurableKeys() durable.KeyStore { return durable.NewBadgerKeys(s.db) }

// R2 returns the object store of every R2 bucket.
func (s *State) R2() *r2.Store { return s.r2 }

// Close stops the garbage collection, then flushes and closes the
// directory. Close it after the last use of what it handed out; closing
// twice returns the first result.
func (s *State) Close() error {
	s.close.Do(func() {
		s.stopGC()
		<-s.gcDone
		s.err = errors.Join(s.r2.Close(), s.db.Close())
	})
	return s.err
}

// ServerInfo is what a running dev server writes to server.json.
type ServerInfo struct {
	PID     int       `json:"pid"`
	Admin   string    `json:"admin"` // base URL of the admin API
	Token   string    `json:"token"` // bearer token for the admin API
	Worker  string    `json:"worker"`
	Started time.Time `json:"started"`
}

const serverFile = "server.json"

// WriteServerInfo records a running server in dir (mode 0600: it holds the
// token). It writes a new temporary file and renames it over server.json,
// so a reader sees the old record or the new one, never a part, and the
// mode is 0600 whatever a file left behind had.
func WriteServerInfo(dir string, info ServerInfo) error {
	b, err := json.MarshalIndent(info, "", "  ")
	if err != nil {
		return fmt.Errorf("state: %w", err)
	}
	f, err := os.CreateTemp(dir, serverFile+".*.tmp") // mode 0600
	if err != nil {
		return fmt.Errorf("state: %w", err)
	}
	_, err = f.Write(b)
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Rename(f.Name(), filepath.Join(dir, serverFile))
	}
	if err != nil {
		os.Remove(f.Name())
		return fmt.Errorf("state: %w", err)
	}
	return nil
}

// RemoveServerInfo removes the record.
func RemoveServerInfo(dir string) { os.Remove(filepath.Join(dir, serverFile)) }

// ErrNoServer means no dev server runs on the directory.
var ErrNoServer = errors.New("state: no running server")

// ReadServerInfo returns the running server's record, or ErrNoServer when
// there is none or its process is gone.
func ReadServerInfo(dir string) (ServerInfo, error) {
	var info ServerInfo
	b, err := os.ReadFile(filepath.Join(dir, serverFile))
	if errors.Is(err, os.ErrNotExist) {
		return info, ErrNoServer
	}
	if err != nil {
		return info, fmt.Errorf("state: %w", err)
	}
	if err := json.Unmarshal(b, &info); err != nil {
		return info, fmt.Errorf("state: %s: %w", filepath.Join(dir, serverFile), err)
	}
	if info.PID <= 0 || syscall.Kill(info.PID, 0) != nil {
		return info, ErrNoServer
	}
	return info, nil
}
