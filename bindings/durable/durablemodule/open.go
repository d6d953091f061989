package durablemodule

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"slices"

	"github.com/dgraph-io/badger/v4"

	"github.com/bindery-run/bindery/bindings"
	"github.com/bindery-run/bindery/bindings/durable"
	"github.com/bindery-run/bindery/bindings/durable/alarms"
	"github.com/bindery-run/bindery/bindings/durable/storage"
	"github.com/bindery-run/bindery/host/durablehost"
)

// StorageName returns the name the data of the class of worker is kept
// under: the Worker's name and the name the class was created with, so
// that a class renamed by a migration keeps its ids, objects and alarms
// where they are (docs/design.md), and two Workers' classes of one name
// (served together, sharing the data directory) keep theirs apart. A
// class transferred from another Worker keeps that Worker's data. Both
// names are path-escaped: the name is a relative path.
func (c Class) StorageName(worker string) string {
	name := c.Name
	if len(c.RenamedFrom) > 0 {
		name = c.RenamedFrom[0]
	}
	if c.Transfer != nil {
		worker, name = c.Transfer.FromScript, c.Transfer.From
	}
	return storageName(worker, name)
}

// storageName is the storage name of the class created as class by
// worker.
func storageName(worker, class string) string {
	return url.PathEscape(worker) + "/" + url.PathEscape(class)
}

// Dir returns the directory of a SQLite-backed class's object files in the
// data directory dir: dir/durable/<storage name>.
func Dir(dir, storageName string) string { return filepath.Join(dir, "durable", storageName) }

// open serves the Worker's namespaces and classes.
func open(ctx context.Context, env bindings.Env) (*bindings.Opened, error) {
	c := Parsed(env.Config)
	if c == nil {
		return &bindings.Opened{}, nil
	}
	for _, b := range c.Bindings {
		if !b.Local() && env.Peers == nil {
			return nil, fmt.Errorf("durable_objects binding %s: script_name %q: a class of another Worker needs that Worker served by the same host (bindery dev -c this/wrangler.toml -c %s/wrangler.toml)", b.Name, b.ScriptName, b.ScriptName)
		}
	}
	classes := Classes{}
	for name, cl := range c.Classes {
		classes[name] = cl
	}
	for _, b := range c.Bindings {
		if _, ok := classes[b.ClassName]; !ok && b.Local() {
			// As wrangler dev: a class no migration creates is KV-backed
			// (the config warned).
			classes[b.ClassName] = Class{Name: b.ClassName}
		}
	}
	if err := applyDeletions(ctx, env, c.Migrations); err != nil {
		return nil, err
	}
	db, dir := env.State.DB(), env.State.Dir()
	hc := durablehost.Config{
		Namespaces: map[string]string{},
		Remote:     map[string]durablehost.Remote{},
		Peer: func(script string) (*durablehost.Host, bool) {
			if p, ok := env.Peers.Get("durable", script); ok {
				return p.(*peer).h, true
			}
			return nil, false
		},
		Classes: map[string]durablehost.Class{},
		Keys:    env.State.DurableKeys(),
		Clock:   env.Clock,
		Logger:  env.Logger,
	}
	for _, b := range c.Bindings {
		if b.Local() {
			hc.Namespaces[b.Name] = b.ClassName
		} else {
			hc.Remote[b.Name] = durablehost.Remote{Script: b.ScriptName, Class: b.ClassName}
		}
	}
	for name, cl := range classes {
		hc.Classes[name] = durablehost.Class{SQLite: cl.SQLite, Storage: cl.StorageName(env.Worker)}
	}
	hc.OpenStorage = func(class string, id durable.ID) (storage.Storage, error) {
		cl := hc.Classes[class]
		if cl.SQLite {
			return storage.NewSQLite(filepath.Join(Dir(dir, cl.Storage), id.String()+".sqlite"), storage.SQLiteOptions{}), nil
		}
		return storage.NewBadger(db, cl.Storage, id.String()), nil
	}
	var h *durablehost.Host
	sched, err := alarms.New(db, alarms.Options{
		Clock:  env.Clock,
		Logger: env.Logger,
		Deliver: func(ctx context.Context, class, id string, info alarms.Info) error {
			return h.DeliverAlarm(ctx, class, id, info)
		},
	})
	if err != nil {
		return nil, err
	}
	hc.Alarms = sched
	if h, err = durablehost.New(hc); err != nil {
		sched.Close()
		return nil, err
	}
	self := &peer{h: h, store: hostLocal(h, env.Worker, classes, db, dir, sched)}
	if env.Peers != nil {
		env.Peers.Set("durable", env.Worker, self)
	}
	var grants []bindings.Binding
	for _, b := range h.Bindings() {
		grants = append(grants, b)
	}
	return &bindings.Opened{
		Bindings: grants,
		Routes:   Routes(peerStore{self: self, peers: env.Peers}),
		Close:    func() error { return h.Close(context.Background()) },
	}, nil
}

// peer is what the module keeps of a Worker for the others served with
// it: its Host, for their script_name bindings, and its Store, for the
// admin routes.
type peer struct {
	h     *durablehost.Host
	store *local
}

// peerStore is the Store of the admin routes: the Worker's own classes
// and those of the Workers served with it (bindery dev -c a -c b), a
// class found in the first Worker that has it.
type peerStore struct {
	self  *peer
	peers *bindings.Peers
}

// stores returns the Stores, the Worker's own first.
func (p peerStore) stores() []*local {
	out := []*local{p.self.store}
	for _, w := range p.peers.Workers("durable") {
		if v, ok := p.peers.Get("durable", w); ok && v.(*peer) != p.self {
			out = append(out, v.(*peer).store)
		}
	}
	return out
}

// of returns the Store that has class (the Worker's own when none has:
// its error names the class).
func (p peerStore) of(class string) *local {
	for _, l := range p.stores() {
		if _, ok := l.classes[class]; ok {
			return l
		}
	}
	return p.self.store
}

func (p peerStore) Classes(ctx context.Context) ([]ClassInfo, error) {
	var out []ClassInfo
	seen := map[string]bool{}
	for _, l := range p.stores() {
		cs, err := l.Classes(ctx)
		if err != nil {
			return nil, err
		}
		for _, c := range cs {
			if !seen[c.Name] {
				seen[c.Name] = true
				out = append(out, c)
			}
		}
	}
	if out == nil {
		out = []ClassInfo{}
	}
	return out, nil
}

func (p peerStore) Objects(ctx context.Context, class string) ([]string, error) {
	return p.of(class).Objects(ctx, class)
}

func (p peerStore) List(ctx context.Context, class, object string, q url.Values) (ListResult, error) {
	return p.of(class).List(ctx, class, object, q)
}

func (p peerStore) Get(ctx context.Context, class, object, key string) ([]byte, bool, error) {
	return p.of(class).Get(ctx, class, object, key)
}

func (p peerStore) Put(ctx context.Context, class, object, key string, v []byte) (string, error) {
	return p.of(class).Put(ctx, class, object, key, v)
}

func (p peerStore) Delete(ctx context.Context, class, object, key string) (bool, error) {
	return p.of(class).Delete(ctx, class, object, key)
}

func (p peerStore) Alarm(ctx context.Context, class, object string) (*int64, error) {
	return p.of(class).Alarm(ctx, class, object)
}

func (p peerStore) TriggerAlarm(ctx context.Context, class, object string) error {
	return p.of(class).TriggerAlarm(ctx, class, object)
}

// appliedKey is the Badger key of the migration tags whose deletions a
// Worker's data has had.
func appliedKey(worker string) []byte { return []byte("durable/migrations/" + worker) }

// applyDeletions deletes the data of the classes that migrations not seen
// before delete (their ids' key, objects and alarms), and records the
// migrations as applied, as a deploy applies them on Cloudflare. A class
// deleted and made again in later migrations starts empty.
func applyDeletions(ctx context.Context, env bindings.Env, ms []Migration) error {
	db := env.State.DB()
	var applied []string
	err := db.View(func(txn *badger.Txn) error {
		it, err := txn.Get(appliedKey(env.Worker))
		if errors.Is(err, badger.ErrKeyNotFound) {
			return nil
		}
		if err != nil {
			return err
		}
		return it.Value(func(v []byte) error { return json.Unmarshal(v, &applied) })
	})
	if err != nil {
		return fmt.Errorf("reading the applied migrations: %w", err)
	}
	storageOf := map[string]string{} // live class → storage name
	var tags []string
	for _, m := range ms {
		tags = append(tags, m.Tag)
		done := slices.Contains(applied, m.Tag)
		for _, cl := range m.DeletedClasses {
			sn := storageOf[cl]
			if sn == "" {
				sn = storageName(env.Worker, cl)
			}
			delete(storageOf, cl)
			if done {
				continue
			}
			if err := deleteClassData(ctx, env, sn); err != nil {
				return fmt.Errorf("migration %q: deleting class %q: %w", m.Tag, cl, err)
			}
			env.Logger.Info("deleted a Durable Object class's data", "class", cl, "migration", m.Tag)
		}
		for _, r := range m.RenamedClasses {
			sn := storageOf[r.From]
			if sn == "" {
				sn = storageName(env.Worker, r.From)
			}
			delete(storageOf, r.From)
			storageOf[r.To] = sn
		}
		for _, cl := range slices.Concat(m.NewClasses, m.NewSQLiteClasses) {
			storageOf[cl] = storageName(env.Worker, cl)
		}
		for _, t := range m.TransferredClasses {
			storageOf[t.To] = storageName(t.FromScript, t.From)
		}
	}
	if slices.Equal(tags, applied) {
		return nil
	}
	b, _ := json.Marshal(tags)
	if err := db.Update(func(txn *badger.Txn) error { return txn.Set(appliedKey(env.Worker), b) }); err != nil {
		return fmt.Errorf("recording the applied migrations: %w", err)
	}
	return db.Sync()
}

// deleteClassData deletes a class's ids' key, its KV-backed and
// SQLite-backed objects and its alarms.
func deleteClassData(ctx context.Context, env bindings.Env, storageName string) error {
	db := env.State.DB()
	if err := env.State.DurableKeys().DeleteKey(ctx, storageName); err != nil {
		return err
	}
	if err := db.DropPrefix(storage.NamespacePrefix(storageName)); err != nil {
		return err
	}
	sched, err := alarms.New(db, alarms.Options{Deliver: func(context.Context, string, string, alarms.Info) error { return nil }})
	if err != nil {
		return err
	}
	_, err = sched.DeleteClass(ctx, storageName)
	sched.Close()
	if err != nil {
		return err
	}
	return os.RemoveAll(Dir(env.State.Dir(), storageName))
}
