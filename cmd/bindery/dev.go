package main

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"flag"
	"fmt"
	"io"
	"io/fs"
	"log/slog"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"runtime/debug"
	"strconv"
	"strings"
	"time"

	"github.com/bindery-run/bindery/bindings"
	"github.com/bindery-run/bindery/bindings/config"
	"github.com/bindery-run/bindery/bindings/state"
	"github.com/bindery-run/bindery/host"
	"github.com/bindery-run/bindery/internal/admin"
	"github.com/bindery-run/bindery/internal/wrangler"
)

const devUsage = `Usage: bindery dev [flags] [MAIN]

Serves a Worker locally, like "wrangler dev": the config's [build] command
runs first (unless --no-build), then the Worker (main, or MAIN) serves on
http://127.0.0.1:8787 with the bindings the config declares, its data kept
in --persist-to. MAIN is a .wasm module, or a JavaScript or TypeScript
file (.js, .mjs, .cjs, .ts, .mts, .jsx, .tsx) that bindery bundles with
its npm dependencies as wrangler does. One log line per request at info
level (--log-level warn hides them). Stop it with Ctrl-C.

Several Workers in one process, as wrangler's multi-config dev: give
--config once for each (-c api/wrangler.toml -c objects/wrangler.toml).
The first is served on the port; the others run beside it, reachable
through its bindings (a Durable Object class of another Worker:
script_name), each with its own bindings and the first one's data
directory.
`

// devFlags are the flags of bindery dev.
type devFlags struct {
	config, env, ip, persistTo, cacheDir, adminAddr string
	// more are the configs after the first (-c given several times):
	// Workers served beside the first.
	more                  []string
	port, maxInstances    int
	timeout               time.Duration
	memoryMiB, operations int64
	logLevel              slog.Level
	noBuild               bool
	vars                  repeated
	// servers are the addresses of the modules' extra servers, by flag
	// (--s3-addr): "" for the default, "off" for none.
	servers map[string]*string
	// modFlags are the values of the modules' Flags, by name.
	modFlags map[string]*string
	// set holds the names of the flags given.
	set map[string]bool
}

// flagValues returns the values of the modules' flags, by name.
func (f *devFlags) flagValues() map[string]string {
	out := make(map[string]string, len(f.modFlags))
	for name, v := range f.modFlags {
		out[name] = *v
	}
	return out
}

// Bounds of bindery dev's limits.
const (
	// maxRequestTimeout is the longest --request-timeout.
	maxRequestTimeout = 24 * time.Hour
	// maxInstancesBound is the largest --max-instances: far more than a
	// development machine serves at once (each instance reserves its
	// memory limit of address space).
	maxInstancesBound = 1024
	// maxMemoryMiB is the largest --memory-limit: a wasm32 memory holds at
	// most 2^16 pages of 64 KiB, 4 GiB.
	maxMemoryMiB = 4096
)

// parseDevFlags parses and checks bindery dev's arguments: the flags and
// at most one MAIN. It reads and creates nothing, so a bad value
// stops bindery dev before anything happens.
func parseDevFlags(args []string, stdout, stderr io.Writer) (devFlags, []string, error) {
	var f devFlags
	logLevel := "info"
	fs := flag.NewFlagSet("bindery dev", flag.ContinueOnError)
	var configs repeated
	fs.Var(&configs, "config", "the wrangler.toml or wrangler.json(c) `FILE` to use (default: the one in the current directory); repeat it to serve several Workers")
	alias(fs, "c", "config")
	fs.StringVar(&f.env, "env", "", "use the [env.`NAME`] section of the config")
	alias(fs, "e", "env")
	fs.StringVar(&f.ip, "ip", "", "listen on `IP` (default [dev] ip, else 127.0.0.1)")
	fs.IntVar(&f.port, "port", 0, "listen on `PORT`, 0 to 65535; 0 picks a free one (default [dev] port, else 8787)")
	fs.StringVar(&f.persistTo, "persist-to", "", "keep the data in `DIR` (default .bindery/state beside the config)")
	fs.StringVar(&f.cacheDir, "cache-dir", "", "keep compiled Workers in `DIR` (default bindery/wazero in the user cache directory)")
	fs.StringVar(&f.adminAddr, "admin-addr", "127.0.0.1:0", "`HOST:PORT` of the admin API that \"bindery kv\" and \"bindery r2\" use")
	f.servers, f.modFlags = map[string]*string{}, map[string]*string{}
	for _, m := range modules() {
		for _, sv := range m.Servers {
			f.servers[sv.Flag] = fs.String(sv.Flag, "", sv.Usage)
		}
		for _, mf := range m.Flags {
			v := new(string)
			*v = mf.Default
			if mf.Bool {
				*v = "false"
				fs.BoolFunc(mf.Name, mf.Usage, func(s string) error {
					b, err := strconv.ParseBool(s)
					*v = strconv.FormatBool(b)
					return err
				})
			} else {
				fs.StringVar(v, mf.Name, mf.Default, mf.Usage)
			}
			f.modFlags[mf.Name] = v
		}
	}
	fs.StringVar(&logLevel, "log-level", logLevel, "log `LEVEL`: debug, info (a line per request), warn or error")
	fs.IntVar(&f.maxInstances, "max-instances", 0, fmt.Sprintf("at most `N` Worker instances at once, 1 to %d (default 2×CPUs+2)", maxInstancesBound))
	fs.DurationVar(&f.timeout, "request-timeout", host.DefaultRequestTimeout, "wall-clock limit of one request, a `DURATION` such as 30s or 2m, at most 24h")
	fs.Int64Var(&f.operations, "operations-limit", host.DefaultWorkerOperations, "most host calls through each binding in one request, as Cloudflare limits operations per invocation; `N` 0 for no limit")
	fs.Int64Var(&f.memoryMiB, "memory-limit", host.DefaultMemoryLimit>>20, fmt.Sprintf("memory limit of one instance, in `MiB`, 1 to %d", maxMemoryMiB))
	fs.BoolVar(&f.noBuild, "no-build", false, "skip the [build] command")
	fs.Var(&f.vars, "var", "`KEY:VALUE` variable to add or override (repeatable)")
	pos, err := parse(fs, devUsage, args, stdout, stderr)
	if err != nil {
		return f, nil, err
	}
	f.set = map[string]bool{}
	fs.Visit(func(fl *flag.Flag) { f.set[fl.Name] = true })
	if len(configs) > 0 {
		f.config, f.more = configs[0], configs[1:]
	}
	if len(pos) > 1 {
		fmt.Fprintf(stderr, "bindery dev: at most one main, got %q\n", pos)
		return f, nil, errUsage
	}
	bad := func(format string, a ...any) (devFlags, []string, error) {
		fmt.Fprintf(stderr, "bindery dev: "+format+"\nRun \"bindery dev --help\" for usage.\n", a...)
		return f, nil, errUsage
	}
	if err := f.logLevel.UnmarshalText([]byte(logLevel)); err != nil {
		return bad("--log-level %q: want debug, info, warn or error", logLevel)
	}
	if f.timeout <= 0 || f.timeout > maxRequestTimeout {
		return bad("--request-timeout %s: want more than 0s and at most 24h", f.timeout)
	}
	if f.set["max-instances"] && (f.maxInstances < 1 || f.maxInstances > maxInstancesBound) {
		return bad("--max-instances %d: want 1 to %d", f.maxInstances, maxInstancesBound)
	}
	if f.operations < 0 {
		return bad("--operations-limit %d: want 0 (no limit) or more", f.operations)
	}
	if f.memoryMiB < 1 || f.memoryMiB > maxMemoryMiB {
		return bad("--memory-limit %d: want 1 to %d (MiB; a wasm32 memory is at most 4 GiB)", f.memoryMiB, maxMemoryMiB)
	}
	if f.port < 0 || f.port > 65535 {
		return bad("--port %d: want 0 to 65535 (0 picks a free port)", f.port)
	}
	for _, m := range modules() {
		for _, mf := range m.Flags {
			if v := *f.modFlags[mf.Name]; mf.Check != nil {
				if err := mf.Check(v); err != nil {
					return bad("--%s %q: %v", mf.Name, v, err)
				}
			}
		}
	}
	for _, kvp := range f.vars {
		if k, _, ok := strings.Cut(kvp, ":"); !ok || k == "" {
			return bad("--var %q: want KEY:VALUE", kvp)
		}
	}
	return f, pos, nil
}

func runDev(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	f, pos, err := parseDevFlags(args, stdout, stderr)
	if err != nil {
		return err
	}
	log := slog.New(slog.NewTextHandler(stderr, &slog.HandlerOptions{Level: f.logLevel}))
	p, err := loadProject(ctx, &f, pos, log, stderr)
	if err != nil {
		return err
	}
	names := map[string]string{p.cfg.Name: p.cfg.Path}
	for _, path := range f.more {
		af := f
		af.config = path
		a, err := loadProject(ctx, &af, nil, log, stderr)
		if err != nil {
			return err
		}
		if prev, dup := names[a.cfg.Name]; dup {
			return fmt.Errorf("%s and %s both name their Worker %q: each Worker served together needs a name of its own", prev, a.cfg.Path, a.cfg.Name)
		}
		names[a.cfg.Name] = a.cfg.Path
		p.peers = append(p.peers, a)
	}
	d, err := startDevServer(ctx, &f, p, log)
	if err != nil {
		return err
	}
	defer d.close()
	fmt.Fprintf(stdout, "bindery %s: %s with bindings %s\n", version, p.cfg.Name, describeBindings(p))
	for _, a := range p.peers {
		fmt.Fprintf(stdout, "beside it: %s with bindings %s\n", a.cfg.Name, describeBindings(a))
	}
	fmt.Fprintf(stdout, "state: %s\n%sReady on http://%s\n", d.dir, d.banners, d.ln.Addr())
	// Compiling left tens of MiB of garbage (decoding, the data image):
	// hand it back to the OS rather than carry it as idle RSS, off the
	// start-up path.
	go debug.FreeOSMemory()
	return d.serve(ctx, stdout)
}

// devProject is what bindery dev serves: the config, the Worker's bytes,
// its vars and the modules, everything that is checked before any state
// is made.
type devProject struct {
	cfg    *wrangler.Config
	worker *worker
	vars   map[string]bindings.Var
	mods   []bindings.Module
	// peers are the Workers served beside this one (-c given again).
	peers []*devProject
}

// loadProject reads the config, runs its [build] command and reads the
// Worker. It creates nothing but what the build command writes.
func loadProject(ctx context.Context, f *devFlags, pos []string, log *slog.Logger, stderr io.Writer) (*devProject, error) {
	cfg, err := loadConfig(f.config, f.env, len(pos) == 1)
	if err != nil {
		return nil, err
	}
	for _, w := range cfg.Warnings {
		log.Warn(w)
	}
	vs := workerVars(cfg, f.vars)
	mods := modules()
	if err := bindings.Check(mods); err != nil {
		return nil, err
	}
	if !f.noBuild && cfg.Build.Command != "" {
		if err := build(ctx, cfg, stderr); err != nil {
			return nil, err
		}
	}
	main := cfg.Main
	if len(pos) == 1 {
		if main, err = filepath.Abs(pos[0]); err != nil {
			return nil, err
		}
	}
	if main == "" {
		return nil, fmt.Errorf("no Worker to serve: set main in %s or pass it (a .wasm, .js, .ts, …) on the command line", cfg.Path)
	}
	w, err := loadMain(ctx, cfg, main, stderr, true)
	if err != nil {
		return nil, err
	}
	return &devProject{cfg: cfg, worker: w, vars: vs, mods: mods}, nil
}

// devServer is a started bindery dev: its listeners, data directory,
// Worker and servers.
type devServer struct {
	dir      string // the data directory
	ln, aln  net.Listener
	banners  string // the start-up lines of the modules' servers
	srv, adm *http.Server
	errc     chan error // the servers' Serve results
	// closers undo start-up, last first.
	closers []func()
}

// onClose adds fn to what close does, before what was added earlier.
func (d *devServer) onClose(fn func()) { d.closers = append(d.closers, fn) }

// close releases what start-up made, in reverse order.
func (d *devServer) close() {
	for i := len(d.closers) - 1; i >= 0; i-- {
		d.closers[i]()
	}
	d.closers = nil
}

// startDevServer listens, opens the data directory, starts the Worker and serves
// it and the admin (and S3) API. It takes the ports before it opens the
// data directory, and a data directory it had to create is removed again
// when start-up fails after all, so a failed start leaves nothing behind.
func startDevServer(ctx context.Context, f *devFlags, p *devProject, log *slog.Logger) (_ *devServer, err error) {
	d := &devServer{dir: f.persistTo, errc: make(chan error, 2)}
	if d.dir == "" {
		d.dir = filepath.Join(configDir(p.cfg), ".bindery", "state")
	}
	defer func() {
		if err != nil {
			d.close()
		}
	}()

	ip, port := first(f.ip, p.cfg.Dev.IP, "127.0.0.1"), firstInt(p.cfg.Dev.Port, 8787)
	if f.set["port"] {
		port = f.port // 0 picks a free port
	}
	if d.ln, err = net.Listen("tcp", net.JoinHostPort(ip, strconv.Itoa(port))); err != nil {
		return nil, fmt.Errorf("listen: %w", err)
	}
	d.onClose(func() { d.ln.Close() })
	if d.aln, err = net.Listen("tcp", f.adminAddr); err != nil {
		return nil, fmt.Errorf("admin API (--admin-addr): listen: %w", err)
	}
	d.onClose(func() { d.aln.Close() })
	servers, err := listenServers(f, ip, d.ln, p, log)
	if err != nil {
		return nil, err
	}
	for _, sv := range servers {
		d.onClose(func() { sv.ln.Close() })
	}

	t0 := time.Now()
	rt, err := host.NewRuntime(ctx, host.RuntimeConfig{CacheDir: f.cacheDir, // "": the user cache dir
		Interfaces: bindings.Interfaces(p.mods), Logger: log})
	if err != nil {
		return nil, err
	}
	d.onClose(func() { rt.Close(context.Background()) })
	log.Debug("runtime ready", "took", time.Since(t0))

	st, created, err := openState(d.dir, log)
	if err != nil {
		return nil, err
	}
	if created != "" {
		// Undo the directory this start-up made, should it fail after all
		// (err is startDevServer's result, nil once it has returned d),
		// once the data directory is closed.
		d.onClose(func() {
			if err != nil {
				os.RemoveAll(created)
			}
		})
	}
	d.onClose(func() { st.Close() })

	var peers *bindings.Peers
	if len(p.peers) > 0 {
		peers = bindings.NewPeers()
	}
	opened, err := bindings.Open(ctx, p.mods, bindings.Env{Worker: p.cfg.Name, State: st, Logger: log, Vars: p.vars, Flags: f.flagValues(), Peers: peers}, p.cfg.Bindings)
	if err != nil {
		return nil, err
	}
	var grants []host.Binding
	var routes []admin.Route
	intercepts := map[string]http.Handler{}
	for i, o := range opened {
		if o.Close != nil {
			name := p.mods[i].Name
			d.onClose(func() {
				if err := o.Close(); err != nil {
					log.Warn("close failed", "module", name, "err", err)
				}
			})
		}
		for _, b := range o.Bindings {
			grants = append(grants, b)
		}
		for _, r := range o.Routes {
			routes = append(routes, admin.Route{Pattern: r.Pattern, Handler: r.Handler})
		}
		for _, ic := range o.Intercepts {
			intercepts[ic.Path] = ic.Handler
		}
	}
	jobCtx, stopJobs := context.WithCancel(context.Background())
	d.onClose(stopJobs) // before the modules close
	for _, o := range opened {
		for _, j := range o.Jobs {
			go bindings.RunJob(jobCtx, j, log)
		}
	}

	t0 = time.Now()
	w, err := rt.NewWorker(ctx, host.WorkerConfig{
		Name: p.cfg.Name, Wasm: p.worker.wasm, Init: p.worker.init, MapText: p.worker.mapText, Bindings: grants,
		RequestTimeout: f.timeout, MemoryLimit: uint64(f.memoryMiB) << 20, MaxInstances: f.maxInstances,
		Operations: operations(f.operations),
	})
	if err != nil {
		return nil, err
	}
	d.onClose(func() { w.Close(context.Background()) })
	log.Debug("worker ready", "main", p.worker.path, "took", time.Since(t0))
	for _, a := range p.peers {
		if err := d.startPeer(ctx, f, rt, st, peers, a, jobCtx, log); err != nil {
			return nil, err
		}
	}

	for _, sv := range servers {
		srv, line, err := sv.start(opened)
		if err != nil {
			return nil, err
		}
		d.onClose(func() { srv.Close() })
		d.banners += line + "\n"
	}
	token := randomToken()
	d.srv = &http.Server{Handler: accessLog(intercept(w, intercepts), log, p.cfg.Name), ReadHeaderTimeout: 10 * time.Second}
	d.adm = &http.Server{Handler: admin.Handler(routes, token), ReadHeaderTimeout: 10 * time.Second}
	go func() { d.errc <- d.srv.Serve(d.ln) }()
	go func() { d.errc <- d.adm.Serve(d.aln) }()
	d.onClose(func() { d.srv.Close(); d.adm.Close() })
	info := state.ServerInfo{PID: os.Getpid(), Admin: "http://" + d.aln.Addr().String(), Token: token, Worker: p.cfg.Name, Started: time.Now()}
	if err := state.WriteServerInfo(d.dir, info); err != nil {
		return nil, err
	}
	d.onClose(func() { state.RemoveServerInfo(d.dir) })
	return d, nil
}

// startPeer opens the modules of a Worker served beside the first one
// and starts it: its bindings and jobs, not its admin routes or servers
// (the first Worker's are the dev server's).
func (d *devServer) startPeer(ctx context.Context, f *devFlags, rt *host.Runtime, st *state.State, peers *bindings.Peers, a *devProject, jobCtx context.Context, log *slog.Logger) error {
	log = log.With("worker", a.cfg.Name)
	opened, err := bindings.Open(ctx, a.mods, bindings.Env{Worker: a.cfg.Name, State: st, Logger: log, Vars: a.vars, Flags: f.flagValues(), Peers: peers}, a.cfg.Bindings)
	if err != nil {
		return fmt.Errorf("%s: %w", a.cfg.Name, err)
	}
	var grants []host.Binding
	for i, o := range opened {
		if o.Close != nil {
			name := a.mods[i].Name
			d.onClose(func() {
				if err := o.Close(); err != nil {
					log.Warn("close failed", "module", name, "err", err)
				}
			})
		}
		for _, b := range o.Bindings {
			grants = append(grants, b)
		}
		for _, j := range o.Jobs {
			go bindings.RunJob(jobCtx, j, log)
		}
	}
	w, err := rt.NewWorker(ctx, host.WorkerConfig{
		Name: a.cfg.Name, Wasm: a.worker.wasm, Init: a.worker.init, MapText: a.worker.mapText, Bindings: grants,
		RequestTimeout: f.timeout, MemoryLimit: uint64(f.memoryMiB) << 20, MaxInstances: f.maxInstances,
		Operations: operations(f.operations),
	})
	if err != nil {
		return err
	}
	d.onClose(func() { w.Close(context.Background()) })
	return nil
}

// intercept serves the modules' Intercepts in front of the Worker.
func intercept(w http.Handler, paths map[string]http.Handler) http.Handler {
	if len(paths) == 0 {
		return w
	}
	return http.HandlerFunc(func(rw http.ResponseWriter, r *http.Request) {
		if h, ok := paths[r.URL.EscapedPath()]; ok {
			h.ServeHTTP(rw, r)
			return
		}
		w.ServeHTTP(rw, r)
	})
}

// accessLog wraps a Worker's handler with the access log: one line per
// request at info level, as wrangler dev prints, with the method, the path
// as the client sent it (escaped, never cleaned; without the query, which
// may carry tokens), the status, the time taken and the Worker's name.
// When the logger does not log info (--log-level warn), it returns next
// itself, so the log costs nothing.
//
// A handler that panics is logged and the panic goes on: the host panics
// with http.ErrAbortHandler to cut a response that failed after its
// headers were sent, and net/http must see that to close the connection.
func accessLog(next http.Handler, log *slog.Logger, worker string) http.Handler {
	if !log.Enabled(context.Background(), slog.LevelInfo) {
		return next
	}
	return &accessLogger{next: next, log: log, worker: worker}
}

// accessLogger is the handler accessLog returns.
type accessLogger struct {
	next   http.Handler
	log    *slog.Logger
	worker string
}

// ServeHTTP serves r with the next handler and logs it.
func (a *accessLogger) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	start := time.Now()
	sw := &statusWriter{ResponseWriter: w}
	defer func() {
		if v := recover(); v != nil {
			a.logRequest(r, sw.status, start, v)
			panic(v)
		}
	}()
	a.next.ServeHTTP(sw, r)
	a.logRequest(r, sw.status, start, nil)
}

// logRequest writes the line of one request; panicked is what the handler
// panicked with, if it did.
func (a *accessLogger) logRequest(r *http.Request, status int, start time.Time, panicked any) {
	took := time.Since(start).Round(time.Microsecond)
	path := r.RequestURI // as sent: net/http neither unescapes nor cleans it
	if path == "" {
		path = r.URL.EscapedPath() // a handler called without a server
	}
	if i := strings.IndexByte(path, '?'); i >= 0 {
		path = path[:i]
	}
	if status == 0 && panicked == nil {
		status = http.StatusOK // what net/http sends for a handler that wrote nothing
	}
	attrs := [...]slog.Attr{
		slog.String("method", r.Method),
		slog.String("path", path),
		slog.Int("status", status),
		slog.Duration("duration", took),
		slog.String("worker", a.worker),
	}
	switch {
	case panicked == nil:
		a.log.LogAttrs(r.Context(), slog.LevelInfo, "request", attrs[:]...)
	case panicked == http.ErrAbortHandler:
		a.log.LogAttrs(r.Context(), slog.LevelInfo, "request", append(attrs[:], slog.String("aborted", "the response was cut short after its headers"))...)
	default:
		a.log.LogAttrs(r.Context(), slog.LevelError, "request", append(attrs[:], slog.Any("panic", panicked))...)
	}
}

// statusWriter is the ResponseWriter the access log hands the Worker: it
// notes the status the handler sends. Unwrap lets
// http.NewResponseController reach the connection's Flush and deadlines,
// which the host uses to stream a body.
type statusWriter struct {
	http.ResponseWriter
	status int // the final status sent; 0 before the headers
}

// WriteHeader notes the final status (not an interim 1xx) and sends it.
func (s *statusWriter) WriteHeader(code int) {
	if s.status == 0 && code >= 200 {
		s.status = code
	}
	s.ResponseWriter.WriteHeader(code)
}

// Write notes the implicit 200 of a body written without WriteHeader.
func (s *statusWriter) Write(b []byte) (int, error) {
	if s.status == 0 {
		s.status = http.StatusOK
	}
	return s.ResponseWriter.Write(b)
}

// Unwrap returns the ResponseWriter underneath, for
// http.NewResponseController.
func (s *statusWriter) Unwrap() http.ResponseWriter { return s.ResponseWriter }

// serve serves until ctx is done (Ctrl-C) or a server fails, then shuts
// the servers down, letting requests in flight finish for up to 5 seconds.
func (d *devServer) serve(ctx context.Context, stdout io.Writer) error {
	var err error
	select {
	case <-ctx.Done():
	case err = <-d.errc:
		if errors.Is(err, http.ErrServerClosed) {
			err = nil
		} else {
			err = fmt.Errorf("serve: %w", err)
		}
	}
	fmt.Fprintln(stdout, "shutting down")
	sctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	d.srv.Shutdown(sctx)
	d.adm.Shutdown(sctx)
	return err
}

// openState opens (creating it if needed) the data directory dir; created
// is the directory its opening created ("" when dir existed): removing
// that one undoes the creation and nothing else. The state runs Badger's
// value-log GC until it is closed.
func openState(dir string, log *slog.Logger) (st *state.State, created string, err error) {
	created = missingRoot(dir)
	t0 := time.Now()
	st, err = state.Open(dir, state.Options{Logger: log})
	if err != nil {
		if created != "" {
			os.RemoveAll(created)
		}
		return nil, "", err
	}
	log.Debug("state open", "dir", dir, "took", time.Since(t0))
	return st, created, nil
}

// missingRoot returns the outermost directory on the way to path that does
// not exist yet, or "" when path exists or that cannot be told.
func missingRoot(path string) string {
	abs, err := filepath.Abs(path)
	if err != nil {
		return ""
	}
	root := ""
	for p := abs; ; p = filepath.Dir(p) {
		_, err := os.Lstat(p)
		switch {
		case err == nil:
			return root
		case !errors.Is(err, fs.ErrNotExist):
			return ""
		}
		root = p
		if filepath.Dir(p) == p {
			return root
		}
	}
}

// loadConfig reads the config at path, or finds one in the current
// directory; with optional true, no config at all yields an empty one.
func loadConfig(path, env string, optional bool) (*wrangler.Config, error) {
	if path == "" {
		p, err := wrangler.Find(".")
		if err != nil {
			if optional {
				wd, _ := os.Getwd()
				return &wrangler.Config{Path: filepath.Join(wd, "wrangler.toml"), Name: "worker"}, nil
			}
			return nil, err
		}
		path = p
	}
	return wrangler.Load(path, env, parsers(modules())...)
}

// parsers are the config parsers of mods.
func parsers(mods []bindings.Module) []config.Parser {
	out := make([]config.Parser, 0, len(mods))
	for _, m := range mods {
		if m.ParseConfig != nil {
			out = append(out, m.Parser())
		}
	}
	return out
}

// workerVars are the Worker's plain values: the config's [vars], its
// secrets and the --var values (KEY:VALUE, checked by parseDevFlags) over
// them.
func workerVars(cfg *wrangler.Config, extra []string) map[string]bindings.Var {
	vs := map[string]bindings.Var{}
	for name, v := range cfg.Vars {
		vs[name] = bindings.Var{Text: v.Text, JSON: v.JSON}
	}
	for name, s := range cfg.Secrets {
		vs[name] = bindings.Var{Text: s, Secret: true}
	}
	for _, kvp := range extra {
		if k, v, ok := strings.Cut(kvp, ":"); ok && k != "" {
			vs[k] = bindings.Var{Text: v}
		}
	}
	return vs
}

// moduleServer is one of the modules' extra servers, listening.
type moduleServer struct {
	mod  int // index of the module in the project's modules
	spec bindings.Server
	ln   net.Listener
	log  *slog.Logger
}

// start serves the server with the handler its module opened, and
// returns its start-up line.
func (sv moduleServer) start(opened []*bindings.Opened) (*http.Server, string, error) {
	mk, ok := opened[sv.mod].Servers[sv.spec.Flag]
	if !ok {
		return nil, "", fmt.Errorf("%s (--%s): the module serves no handler for it", sv.spec.Name, sv.spec.Flag)
	}
	h, line, err := mk(sv.ln.Addr())
	if err != nil {
		return nil, "", fmt.Errorf("%s: %w", sv.spec.Name, err)
	}
	srv := &http.Server{Handler: h, ReadHeaderTimeout: 10 * time.Second}
	go srv.Serve(sv.ln)
	return srv, line, nil
}

// listenServers takes the addresses of the modules' extra servers (R2's
// S3-compatible API): those whose flag gives an address, and those the
// config wants (Server.Want) when the flag is not given, on the Worker's
// IP and the ports after the Worker's (a free one when taken). A flag
// "off" turns its server off.
func listenServers(f *devFlags, ip string, worker net.Listener, p *devProject, log *slog.Logger) ([]moduleServer, error) {
	var out []moduleServer
	next := worker.Addr().(*net.TCPAddr).Port + 1
	for i, m := range p.mods {
		for _, spec := range m.Servers {
			addr := ""
			if a := f.servers[spec.Flag]; a != nil {
				addr = *a
			}
			if addr == "off" || (addr == "" && (spec.Want == nil || !spec.Want(p.cfg.Bindings[m.Name]))) {
				continue
			}
			var ln net.Listener
			var err error
			if addr == "" {
				port := next
				next++
				if ln, err = net.Listen("tcp", net.JoinHostPort(ip, strconv.Itoa(port))); err != nil {
					log.Warn(spec.Name+": the port after the Worker's is taken; using a free one (set --"+spec.Flag+" to choose)", "port", port)
					ln, err = net.Listen("tcp", net.JoinHostPort(ip, "0"))
				}
			} else {
				ln, err = net.Listen("tcp", addr)
			}
			if err != nil {
				for _, sv := range out {
					sv.ln.Close()
				}
				return nil, fmt.Errorf("%s (--%s): listen: %w", spec.Name, spec.Flag, err)
			}
			out = append(out, moduleServer{mod: i, spec: spec, ln: ln, log: log})
		}
	}
	return out, nil
}

// describeBindings lists the bindings the modules give the Worker, for
// the start-up line.
func describeBindings(p *devProject) string {
	var parts []string
	for _, m := range p.mods {
		if m.Describe != nil {
			parts = append(parts, m.Describe(bindings.Env{Worker: p.cfg.Name, Config: p.cfg.Bindings[m.Name], Vars: p.vars})...)
		}
	}
	if len(parts) == 0 {
		return "(none)"
	}
	return strings.Join(parts, ", ")
}

func randomToken() string {
	b := make([]byte, 16)
	rand.Read(b)
	return hex.EncodeToString(b)
}

func first(ss ...string) string {
	for _, s := range ss {
		if s != "" {
			return s
		}
	}
	return ""
}

func firstInt(ns ...int) int {
	for _, n := range ns {
		if n != 0 {
			return n
		}
	}
	return 0
}

func configDir(cfg *wrangler.Config) string { return filepath.Dir(cfg.Path) }

// operations maps --operations-limit to WorkerConfig.Operations, where 0
// means the default and a negative value no limit.
func operations(n int64) int64 {
	if n == 0 {
		return -1
	}
	return n
}
