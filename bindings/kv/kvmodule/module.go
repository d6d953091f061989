// Package kvmodule is the KV binding as a module (see package bindings):
// the wrangler key kv_namespaces, the namespaces in the data directory's
// Badger database, the bindery:kv/store interface, the KV routes of the
// admin API and their client.
//
// A config declares namespaces as wrangler does:
//
//	[[kv_namespaces]]
//	binding = "STORE"   # env.STORE in the Worker
//	id = "store"        # where the data lives locally (default: the binding name)
package kvmodule

import (
	"context"
	"fmt"
	"time"

	"github.com/bindery-run/bindery/abi"
	"github.com/bindery-run/bindery/bindings"
	"github.com/bindery-run/bindery/bindings/config"
	"github.com/bindery-run/bindery/bindings/kv"
	"github.com/bindery-run/bindery/bindings/state"
	"github.com/bindery-run/bindery/host/clock"
)

// Key is the wrangler config key the module reads.
const Key = "kv_namespaces"

// Namespace is one [[kv_namespaces]] entry.
type Namespace struct {
	// Binding is the name the Worker reaches it by (env.NAME).
	Binding string
	// ID is the namespace's id: where its data lives locally.
	ID string
	// PreviewID is wrangler's preview_id, read and unused.
	PreviewID string
}

// LocalID is where the namespace's data lives locally: its id, or the
// binding name when the config gives no id (as wrangler does for local
// dev).
func (n Namespace) LocalID() string {
	if n.ID != "" {
		return n.ID
	}
	return n.Binding
}

// Namespaces returns the namespaces a parsed config declares (cfg is
// Config.Bindings["kv"] of the config loader, or Env.Config).
func Namespaces(cfg any) []Namespace {
	ns, _ := cfg.([]Namespace)
	return ns
}

// Module returns the KV module.
func Module() bindings.Module {
	return bindings.Module{
		Name:        "kv",
		Doc:         "Workers KV namespaces, kept in the data directory's Badger database",
		Interfaces:  []abi.Interface{kv.WIT()},
		Config:      []string{Key},
		ParseConfig: parse,
		Describe:    describe,
		Open:        open,
		Command:     command(),
	}
}

// parse decodes kv_namespaces.
func parse(r config.Reader) any {
	ms, ps := config.Entries(r, Key)
	var out []Namespace
	for i, m := range ms {
		p := ps[i]
		config.CheckFields(r, m, p, []string{"binding", "id", "preview_id"}, map[string]string{"remote": "bindery dev always uses local storage"})
		name, ok := config.BindingName(r, m, p)
		n := Namespace{Binding: name, ID: config.OptString(r, m, p, "id"), PreviewID: config.OptString(r, m, p, "preview_id")}
		if ok {
			out = append(out, n)
		}
	}
	if out == nil {
		return nil
	}
	return out
}

func describe(env bindings.Env) []string {
	var out []string
	for _, n := range Namespaces(env.Config) {
		out = append(out, "env."+n.Binding+" (KV "+n.LocalID()+")")
	}
	return out
}

// open creates the namespaces the config declares and binds them, their
// expirations on env.Clock.
func open(ctx context.Context, env bindings.Env) (*bindings.Opened, error) {
	store := clockedState{State: env.State, now: clock.Or(env.Clock).Now}
	nss := map[string]*kv.Namespace{}
	for i, n := range Namespaces(env.Config) {
		if err := env.State.CreateKVNamespace(ctx, n.LocalID()); err != nil {
			return nil, fmt.Errorf("%s[%d] (binding %s): %w", Key, i, n.Binding, err)
		}
		nss[n.Binding] = store.KV(n.LocalID())
	}
	return &bindings.Opened{
		Bindings: []bindings.Binding{kv.NewBinding(nss)},
		Routes:   Routes(store),
	}, nil
}

// clockedState is a data directory's KV (a [KVStore] and [KVRegistry])
// whose namespaces read the host's clock, so the admin API sees the
// expirations the Worker sees.
type clockedState struct {
	*state.State
	now func() time.Time
}

// KV returns the namespace namespaceID on the clock.
func (s clockedState) KV(namespaceID string) *kv.Namespace {
	return s.KVWithClock(namespaceID, s.now)
}
