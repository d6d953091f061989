// Package bindings describes a binding as one module: a value that brings
// everything a host needs to offer one kind of binding to Workers (think
// Caddy modules or Spin factors, but without a global registry). A module
// brings:
//
//   - its name and a one-line description;
//   - the WIT interfaces it serves, so a host can deny them to Workers
//     that import them without being granted them;
//   - the wrangler config keys it reads (kv_namespaces, r2_buckets, ...)
//     and the parser of those keys, which reports problems with file:line
//     positions through package [config];
//   - how it opens its state for one Worker from an [Env] (the shared data
//     directory, a logger, the Worker's parsed config), giving an
//     [Opened]: the Worker's bindings, background jobs, admin API routes,
//     extra servers and a Close;
//   - optionally, its `bindery` CLI subcommand.
//
// Modules are plain values: a program lists the ones it compiles in (the
// bindery command has one list, one line per module, in
// cmd/bindery/modules.go) and hands that list to whatever needs it.
// Nothing registers itself. docs/adding-a-binding.md walks through adding
// one, with KV as the example.
//
// The modules of the bindings in this repository are in the sub-packages
// named <binding>module: kv/kvmodule, r2/r2module, vars/varsmodule and
// cache/cachemodule.
package bindings

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"path/filepath"
	"sort"
	"sync"
	"time"

	"github.com/bindery-run/bindery/abi"
	"github.com/bindery-run/bindery/bindings/config"
	"github.com/bindery-run/bindery/bindings/state"
	"github.com/bindery-run/bindery/host/clock"
)

// Binding is what a Worker is granted: a value that brings its WIT
// interface. It has the method set of host.Binding, so every Binding is a
// host.Binding (bindings do not import host).
type Binding interface {
	// WIT returns the interface the binding serves.
	WIT() abi.Interface
}

// Module is one kind of binding, as a value. Name, Doc and Open are
// required; the rest is optional.
type Module struct {
	// Name is the module's short name ("kv"); it names the module in
	// messages, in `bindery modules` and in Config.Bindings of the config
	// loader.
	Name string
	// Doc is a one-line description ("Workers KV namespaces").
	Doc string
	// Interfaces are the WIT interfaces the module's bindings serve. A
	// host denies them to a Worker that imports them ungranted.
	Interfaces []abi.Interface
	// Config are the top-level wrangler config keys the module reads.
	Config []string
	// ParseConfig decodes the Config keys of one Worker's config,
	// reporting every problem on r (with its position), and returns what
	// Open gets as Env.Config: nil when the config has none of them.
	ParseConfig func(r config.Reader) any
	// Describe lists the bindings env gives a Worker, for a start-up
	// line: "env.STORE (KV store)".
	Describe func(env Env) []string
	// Servers are the extra HTTP servers the module may run beside the
	// Worker (R2's S3-compatible API); Open's result serves them.
	Servers []Server
	// Flags are `bindery dev` flags the module adds (D1's
	// --d1-max-size); Open reads their values in Env.Flags.
	Flags []Flag
	// Open opens the module's state for one Worker.
	Open func(ctx context.Context, env Env) (*Opened, error)
	// Command is the module's `bindery` subcommand, if any.
	Command *Command
}

// Parser returns the module's config parser for the config loader.
func (m Module) Parser() config.Parser {
	return config.Parser{Module: m.Name, Keys: m.Config, Parse: m.ParseConfig}
}

// Env is what a module opens with, for one Worker.
type Env struct {
	// Worker is the Worker's name.
	Worker string
	// State is the open data directory the module keeps its data in: the
	// shared Badger database and a directory of files.
	State *state.State
	// Logger receives the module's logs; never nil when Open is called by
	// a host that follows [Open].
	Logger *slog.Logger
	// Config is what the module's ParseConfig returned for the Worker's
	// config (nil when the config has none of its keys).
	Config any
	// Vars are the Worker's plain values: the config's [vars], its
	// secrets and values given on the command line, by name. The vars
	// module serves them.
	Vars map[string]Var
	// Flags are the values of the modules' Flags by name, each the
	// default when not given; nil outside bindery dev, where a module
	// uses its defaults.
	Flags map[string]string
	// Peers are the Workers served together with this one by the same
	// host (bindery dev -c a/wrangler.toml -c b/wrangler.toml), for a
	// module whose bindings reach another Worker's part of it (a Durable
	// Object class defined by another Worker: script_name). nil when the
	// Worker is served alone.
	Peers *Peers
	// Clock is the host's one clock, which every time-dependent binding
	// reads (KV expirations; later alarms, queue delays and cron): a
	// test passes a clock.Manual and advances it instead of sleeping.
	// nil means the real clock; never nil when Open is called by a host
	// that follows [Open]. Give the Worker the same clock
	// (host.WorkerConfig.Clock) so that its Date.now() agrees.
	Clock clock.Clock
}

// Peers is what the modules of Workers served together share: each
// module keeps, under its name and a Worker's name, what the other
// Workers' bindings need of it (the Durable Objects module, its Host).
// It is safe for concurrent use.
type Peers struct {
	mu sync.Mutex
	m  map[[2]string]any
}

// NewPeers returns an empty Peers.
func NewPeers() *Peers { return &Peers{m: map[[2]string]any{}} }

// Set keeps v as module's value for worker.
func (p *Peers) Set(module, worker string, v any) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.m[[2]string{module, worker}] = v
}

// Get returns module's value for worker, and false if the Worker is not
// served here (or the module kept nothing for it).
func (p *Peers) Get(module, worker string) (any, bool) {
	if p == nil {
		return nil, false
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	v, ok := p.m[[2]string{module, worker}]
	return v, ok
}

// Workers returns the Workers module has kept a value for, sorted.
func (p *Peers) Workers(module string) []string {
	if p == nil {
		return nil
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	var out []string
	for k := range p.m {
		if k[0] == module {
			out = append(out, k[1])
		}
	}
	sort.Strings(out)
	return out
}

// Flag is a `bindery dev` flag a module adds.
type Flag struct {
	// Name is the flag without its dashes ("d1-max-size").
	Name string
	// Usage is its help text; a `NAME` in back quotes names the value.
	Usage string
	// Default is its value when not given.
	Default string
	// Check, when set, reports a bad value before bindery dev opens
	// anything; the error says what is wrong with it.
	Check func(value string) error
	// Bool makes it a switch (--no-crons): given alone its value is
	// "true", and Default is "false".
	Bool bool
}

// Var is one of a Worker's plain values.
type Var struct {
	// Text is the value of a text variable or a secret.
	Text string
	// JSON is the value of a JSON variable (a [vars] entry that is not a
	// string), compactly encoded; nil for text and secrets.
	JSON json.RawMessage
	// Secret marks a secret: a text value that must never be logged.
	Secret bool
}

// Opened is a module opened for one Worker.
type Opened struct {
	// Bindings are granted to the Worker.
	Bindings []Binding
	// Jobs run in the background until the host stops them, before
	// Close.
	Jobs []Job
	// Routes are the module's routes of the host's admin API (the
	// bindery CLI reaches a running dev server's data through them).
	Routes []Route
	// Servers are the handlers of the module's Servers, by Flag.
	Servers map[string]ServerHandler
	// Intercepts are paths served on the Worker's own address in front
	// of the Worker (wrangler's /__scheduled): a request for one of them
	// never reaches the Worker. Keep them few and __-prefixed.
	Intercepts []Intercept
	// Close releases what Open made; nil when there is nothing to close.
	Close func() error
}

// Intercept is one path a module serves on the Worker's address.
type Intercept struct {
	// Path is the request path, exactly ("/__scheduled").
	Path string
	// Handler serves it.
	Handler http.Handler
}

// Job is a periodic background job, such as a sweep of expired data.
type Job struct {
	// Name names the job in logs ("r2 sweep").
	Name string
	// Every is the time between two runs; the first run is one Every
	// after the start.
	Every time.Duration
	// Run runs the job once; its error is logged, and the job runs again
	// after Every.
	Run func(ctx context.Context) error
}

// RunJob runs j every j.Every until ctx is done, logging failures to log.
func RunJob(ctx context.Context, j Job, log *slog.Logger) {
	t := time.NewTicker(j.Every)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
			if err := j.Run(ctx); err != nil && ctx.Err() == nil {
				log.Warn(j.Name+" failed", "err", err)
			}
		}
	}
}

// Route is one route of a host's admin API.
type Route struct {
	// Pattern is "METHOD /path/{name}/{rest...}", as internal/admin's
	// router takes it: segments are matched on the escaped path, and a
	// last "{name...}" takes the rest.
	Pattern string
	// Handler serves the route; r.PathValue gives the wildcards.
	Handler http.HandlerFunc
}

// Server is an extra HTTP server a module may run beside the Worker.
type Server struct {
	// Name names the server in messages ("S3 API").
	Name string
	// Flag is the `bindery dev` flag that sets its HOST:PORT ("s3-addr");
	// "off" turns the server off, and without the flag it listens on the
	// Worker's IP and the port after the Worker's (a free one when that is
	// taken).
	Flag string
	// Usage is the flag's help text.
	Usage string
	// Want reports whether a Worker with this config (Env.Config) needs
	// the server when the flag is not given.
	Want func(cfg any) bool
}

// ServerHandler makes the handler of one of a module's Servers, once its
// listener is at addr, and the start-up line that tells clients where it
// is (and how to reach it). It is called only when the server runs.
type ServerHandler func(addr net.Addr) (h http.Handler, banner string, err error)

// Command is a module's `bindery` subcommand.
type Command struct {
	// Name is the subcommand ("kv" for `bindery kv ...`).
	Name string
	// Usage is a one-line summary for bindery's usage.
	Usage string
	// Run runs `bindery NAME args...`. It returns ErrUsage (wrapped) for
	// a usage error whose message it has printed to env.Err.
	Run func(ctx context.Context, args []string, env CommandEnv) error
}

// CommandEnv is what the bindery CLI gives a module's command.
type CommandEnv struct {
	// In, Out and Err are the standard streams.
	In       io.Reader
	Out, Err io.Writer
	// LoadConfig reads a Worker's config: the file at path, or the one in
	// the current directory when path is "", for the environment env
	// ("" for the top level). With optional, no config file at all gives
	// an empty config. Its errors name the file and line at fault.
	LoadConfig func(path, env string, optional bool) (*ConfigFile, error)
}

// ConfigFile is a Worker's config, as a command reads it.
type ConfigFile struct {
	// Path is the absolute path of the config file (where it would be,
	// for an optional config that does not exist).
	Path string
	// Name is the Worker's name (the config's name).
	Name string
	// Bindings holds what each module's ParseConfig returned, by module
	// name.
	Bindings map[string]any
}

// Dir is the directory of the config file, where `bindery dev` keeps its
// data by default (in .bindery/state).
func (c *ConfigFile) Dir() string { return filepath.Dir(c.Path) }

// Open opens every module for one Worker, in order. cfg gives each
// module's parsed config by module name (the config loader's
// Config.Bindings). When one fails, those opened are closed again. The
// result lists what each module opened, in the order of mods.
func Open(ctx context.Context, mods []Module, env Env, cfg map[string]any) ([]*Opened, error) {
	if env.Logger == nil {
		env.Logger = slog.New(slog.DiscardHandler)
	}
	env.Clock = clock.Or(env.Clock)
	var out []*Opened
	for _, m := range mods {
		e := env
		e.Config = cfg[m.Name]
		e.Logger = env.Logger.With("module", m.Name)
		o, err := m.Open(ctx, e)
		if err != nil {
			for i := len(out) - 1; i >= 0; i-- {
				out[i].close()
			}
			return nil, fmt.Errorf("%s: %w", m.Name, err)
		}
		if o == nil {
			o = &Opened{}
		}
		out = append(out, o)
	}
	return out, nil
}

// close runs o.Close if there is one.
func (o *Opened) close() error {
	if o.Close == nil {
		return nil
	}
	return o.Close()
}

// Interfaces returns the WIT interfaces of every module, in order.
func Interfaces(mods []Module) []abi.Interface {
	var out []abi.Interface
	for _, m := range mods {
		out = append(out, m.Interfaces...)
	}
	return out
}

// Check reports the first problem with a list of modules: a module
// without a Name, Doc or Open, two modules with one name, config key,
// interface, server flag or command.
func Check(mods []Module) error {
	seen := map[string]string{}
	claim := func(kind, key, mod string) error {
		if prev, ok := seen[kind+" "+key]; ok {
			return fmt.Errorf("bindings: modules %s and %s both have the %s %q", prev, mod, kind, key)
		}
		seen[kind+" "+key] = mod
		return nil
	}
	for i, m := range mods {
		if m.Name == "" || m.Doc == "" || m.Open == nil {
			return fmt.Errorf("bindings: module %d (%q) needs a Name, a Doc and an Open", i, m.Name)
		}
		if len(m.Config) > 0 && m.ParseConfig == nil {
			return fmt.Errorf("bindings: module %s reads config keys %q but has no ParseConfig", m.Name, m.Config)
		}
		if err := claim("name", m.Name, m.Name); err != nil {
			return err
		}
		for _, k := range m.Config {
			if err := claim("config key", k, m.Name); err != nil {
				return err
			}
		}
		for _, in := range m.Interfaces {
			if err := claim("interface", in.Name, m.Name); err != nil {
				return err
			}
		}
		for _, s := range m.Servers {
			if err := claim("flag", s.Flag, m.Name); err != nil {
				return err
			}
		}
		for _, f := range m.Flags {
			if err := claim("flag", f.Name, m.Name); err != nil {
				return err
			}
		}
		if m.Command != nil {
			if err := claim("command", m.Command.Name, m.Name); err != nil {
				return err
			}
		}
	}
	return nil
}

// ErrUsage marks a usage error of a Command, whose message the command
// has already printed (bindery exits with status 2).
var ErrUsage = errors.New("usage")
