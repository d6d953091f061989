// Package cronmodule is cron triggers as a module (see package bindings):
// it reads wrangler's [triggers] crons, checks each expression at start-up,
// and fires them on schedule with package cronhost (unless bindery dev
// runs with --no-crons). A trigger also fires by hand: `bindery trigger
// cron EXPR` (through the admin API) and wrangler's /__scheduled?cron=EXPR
// (also /cdn-cgi/handler/scheduled and Miniflare's /cdn-cgi/mf/scheduled)
// on the Worker's own address (docs/cron.md).
//
//	[triggers]
//	crons = ["*/5 * * * *", "0 12 * * MON-FRI"]
package cronmodule

import (
	"context"
	"fmt"
	"net/http"
	"strconv"
	"time"

	"github.com/bindery-run/bindery/bindings"
	"github.com/bindery-run/bindery/bindings/config"
	"github.com/bindery-run/bindery/bindings/cron"
	"github.com/bindery-run/bindery/host/cronhost"
	"github.com/bindery-run/bindery/internal/admin"
)

// Key is the wrangler config key the module reads.
const Key = "triggers"

// NoCronsFlag is the bindery dev switch that stops triggers firing on
// schedule (they still fire by hand).
const NoCronsFlag = "no-crons"

// Config is what the module decodes: the crons as written.
type Config struct {
	Crons []string
}

// Parsed returns the module's config in a parsed Worker config, nil when
// it has none.
func Parsed(cfg any) *Config {
	c, _ := cfg.(*Config)
	return c
}

// Module returns the cron triggers module.
func Module() bindings.Module {
	return bindings.Module{
		Name:        "cron",
		Doc:         "cron triggers: the Worker's scheduled handler, fired on schedule and by hand",
		Config:      []string{Key},
		ParseConfig: parse,
		Describe:    describe,
		Flags: []bindings.Flag{{
			Name:  NoCronsFlag,
			Usage: "do not fire [triggers] crons on schedule (bindery trigger cron and /__scheduled still fire them)",
			Bool:  true,
		}},
		Open:    open,
		Command: command(),
	}
}

// parse decodes [triggers] crons, checking each expression.
func parse(r config.Reader) any {
	v, p, ok := r.Lookup(Key)
	if !ok {
		return nil
	}
	m, ok := config.Table(r, v, p)
	if !ok {
		return nil
	}
	config.CheckFields(r, m, p, []string{"crons"}, nil)
	cv, ok := m["crons"]
	if !ok {
		return nil
	}
	cp := p.Key("crons")
	arr, ok := cv.([]any)
	if !ok {
		r.Errorf(cp, "expected an array, found %s", config.TypeName(r, cv))
		return nil
	}
	c := &Config{}
	seen := map[string]bool{}
	for i, e := range arr {
		s, ok := config.String(r, e, cp.Index(i))
		if !ok {
			continue
		}
		if _, err := cron.Parse(s); err != nil {
			r.Errorf(cp.Index(i), "%v", err)
			continue
		}
		if seen[s] {
			r.Errorf(cp.Index(i), "cron %q is listed twice", s)
			continue
		}
		seen[s] = true
		c.Crons = append(c.Crons, s)
	}
	if len(c.Crons) == 0 {
		return nil
	}
	return c
}

func describe(env bindings.Env) []string {
	c := Parsed(env.Config)
	if c == nil {
		return nil
	}
	var out []string
	for _, s := range c.Crons {
		out = append(out, "cron "+strconv.Quote(s))
	}
	return out
}

// peerModule is the module's name in bindings.Peers.
const peerModule = "cron"

// open grants the Worker its triggers, and serves the routes that fire
// one by hand (for every Worker served together, by name).
func open(ctx context.Context, env bindings.Env) (*bindings.Opened, error) {
	var crons []string
	if c := Parsed(env.Config); c != nil {
		crons = c.Crons
	}
	h, err := cronhost.New(cronhost.Config{Crons: crons, Schedule: env.Flags[NoCronsFlag] != "true", Clock: env.Clock, Logger: env.Logger})
	if err != nil {
		return nil, err
	}
	if env.Peers != nil {
		env.Peers.Set(peerModule, env.Worker, h)
	}
	find := func(worker string) (*cronhost.Host, error) {
		if worker == "" || worker == env.Worker {
			return h, nil
		}
		if v, ok := env.Peers.Get(peerModule, worker); ok {
			return v.(*cronhost.Host), nil
		}
		return nil, fmt.Errorf("no Worker %q is served here", worker)
	}
	out := &bindings.Opened{
		Routes: []bindings.Route{{Pattern: "POST /api/cron/trigger", Handler: func(w http.ResponseWriter, r *http.Request) {
			status, msg := fire(r, find)
			if status != http.StatusOK {
				admin.WriteJSON(w, status, map[string]string{"error": msg})
				return
			}
			admin.WriteJSON(w, status, map[string]string{"ran": msg})
		}}},
	}
	scheduled := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		status, msg := fire(r, find)
		if status == http.StatusOK {
			msg = "Ran scheduled event"
		}
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		w.WriteHeader(status)
		fmt.Fprintln(w, msg)
	})
	// wrangler's (--test-scheduled: the first, and wrangler 4's) and
	// Miniflare's paths.
	for _, p := range []string{"/__scheduled", "/cdn-cgi/handler/scheduled", "/cdn-cgi/mf/scheduled"} {
		out.Intercepts = append(out.Intercepts, bindings.Intercept{Path: p, Handler: scheduled})
	}
	for _, b := range h.Bindings() {
		out.Bindings = append(out.Bindings, b)
	}
	return out, nil
}

// fire runs the scheduled handler of the Worker r's query names
// (?worker=, default the first Worker) with ?cron= (default "", as
// Miniflare's) and ?time= (milliseconds since the epoch, default now):
// 200 and the cron, or an error status and message.
func fire(r *http.Request, find func(string) (*cronhost.Host, error)) (int, string) {
	q := r.URL.Query()
	h, err := find(q.Get("worker"))
	if err != nil {
		return http.StatusNotFound, err.Error()
	}
	c := q.Get("cron")
	var at time.Time
	if t := q.Get("time"); t != "" {
		ms, err := strconv.ParseInt(t, 10, 64)
		if err != nil {
			return http.StatusBadRequest, fmt.Sprintf("time %q is not milliseconds since the epoch", t)
		}
		at = time.UnixMilli(ms)
	}
	if err := h.Trigger(r.Context(), c, at); err != nil {
		return http.StatusInternalServerError, err.Error()
	}
	return http.StatusOK, c
}
