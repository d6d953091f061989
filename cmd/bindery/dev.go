package main

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
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

	"github.com/bindery-run/bindery/abi"
	"github.com/bindery-run/bindery/bindings/cache"
	"github.com/bindery-run/bindery/bindings/cache/diskcache"
	"github.com/bindery-run/bindery/bindings/kv"
	"github.com/bindery-run/bindery/bindings/r2"
	"github.com/bindery-run/bindery/bindings/r2/s3"
	"github.com/bindery-run/bindery/bindings/vars"
	"github.com/bindery-run/bindery/host"
	"github.com/bindery-run/bindery/internal/admin"
	"github.com/bindery-run/bindery/internal/badgerdb"
	"github.com/bindery-run/bindery/internal/state"
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
`

// devFlags are the flags of bindery dev.
type devFlags struct {
	config, env, ip, persistTo, cacheDir, adminAddr, s3Addr string
	port, maxInstances                                      int
	timeout                                                 time.Duration
	memoryMiB                                               int64
	logLevel                                                slog.Level
	noBuild                                                 bool
	vars                                                    repeated
	// set holds the names of the flags given.
	set map[string]bool
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
	fs.StringVar(&f.config, "config", "", "the wrangler.toml or wrangler.json(c) `FILE` to use (default: the one in the current directory)")
	alias(fs, "c", "config")
	fs.StringVar(&f.env, "env", "", "use the [env.`NAME`] section of the config")
	alias(fs, "e", "env")
	fs.StringVar(&f.ip, "ip", "", "listen on `IP` (default [dev] ip, else 127.0.0.1)")
	fs.IntVar(&f.port, "port", 0, "listen on `PORT`, 0 to 65535; 0 picks a free one (default [dev] port, else 8787)")
	fs.StringVar(&f.persistTo, "persist-to", "", "keep the data in `DIR` (default .bindery/state beside the config)")
	fs.StringVar(&f.cacheDir, "cache-dir", "", "keep compiled Workers in `DIR` (default bindery/wazero in the user cache directory)")
	fs.StringVar(&f.adminAddr, "admin-addr", "127.0.0.1:0", "`HOST:PORT` of the admin API that \"bindery kv\" and \"bindery r2\" use")
	fs.StringVar(&f.s3Addr, "s3-addr", "", "`HOST:PORT` of the S3-compatible API of the R2 buckets (default: the Worker's port + 1; \"off\" disables it)")
	fs.StringVar(&logLevel, "log-level", logLevel, "log `LEVEL`: debug, info (a line per request), warn or error")
	fs.IntVar(&f.maxInstances, "max-instances", 0, fmt.Sprintf("at most `N` Worker instances at once, 1 to %d (default 2×CPUs+2)", maxInstancesBound))
	fs.DurationVar(&f.timeout, "request-timeout", host.DefaultRequestTimeout, "wall-clock limit of one request, a `DURATION` such as 30s or 2m, at most 24h")
	fs.Int64Var(&f.memoryMiB, "memory-limit", host.DefaultMemoryLimit>>20, fmt.Sprintf("memory limit of one instance, in `MiB`, 1 to %d", maxMemoryMiB))
	fs.BoolVar(&f.noBuild, "no-build", false, "skip the [build] command")
	fs.Var(&f.vars, "var", "`KEY:VALUE` variable to add or override (repeatable)")
	pos, err := parse(fs, devUsage, args, stdout, stderr)
	if err != nil {
		return f, nil, err
	}
	f.set = map[string]bool{}
	fs.Visit(func(fl *flag.Flag) { f.set[fl.Name] = true })
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
	if f.memoryMiB < 1 || f.memoryMiB > maxMemoryMiB {
		return bad("--memory-limit %d: want 1 to %d (MiB; a wasm32 memory is at most 4 GiB)", f.memoryMiB, maxMemoryMiB)
	}
	if f.port < 0 || f.port > 65535 {
		return bad("--port %d: want 0 to 65535 (0 picks a free port)", f.port)
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
	d, err := startDevServer(ctx, &f, p, log)
	if err != nil {
		return err
	}
	defer d.close()
	fmt.Fprintf(stdout, "bindery %s: %s with bindings %s\nstate: %s\n%sReady on http://%s\n", version, p.cfg.Name, describeBindings(p.cfg), d.dir, d.s3line, d.ln.Addr())
	// Compiling left tens of MiB of garbage (decoding, the data image):
	// hand it back to the OS rather than carry it as idle RSS, off the
	// start-up path.
	go debug.FreeOSMemory()
	return d.serve(ctx, stdout)
}

// devProject is what bindery dev serves: the config, the Worker's bytes
// and its vars, everything that is checked before any state is made.
type devProject struct {
	cfg    *wrangler.Config
	worker *worker
	vars   host.Binding
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
	vs, err := varsBinding(cfg, f.vars)
	if err != nil {
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
	return &devProject{cfg: cfg, worker: w, vars: vs}, nil
}

// devServer is a started bindery dev: its listeners, data directory,
// Worker and servers.
type devServer struct {
	dir      string // the data directory
	ln, aln  net.Listener
	s3line   string // the start-up line of the S3 API ("" when off)
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
	s3ln, err := listenS3(f.s3Addr, ip, d.ln, p.cfg, log)
	if err != nil {
		return nil, err
	}
	if s3ln != nil {
		d.onClose(func() { s3ln.Close() })
	}

	cacheDir := f.cacheDir
	if cacheDir == "" {
		if c, err := os.UserCacheDir(); err == nil {
			cacheDir = filepath.Join(c, "bindery", "wazero")
		}
	}
	t0 := time.Now()
	rt, err := host.NewRuntime(ctx, host.RuntimeConfig{CacheDir: cacheDir, Interfaces: []abi.Interface{kv.WIT(), vars.WIT(), r2.WIT(), cache.WIT()}, Logger: log})
	if err != nil {
		return nil, err
	}
	d.onClose(func() { rt.Close(context.Background()) })
	log.Debug("runtime ready", "took", time.Since(t0))

	st, err := openState(d.dir, log)
	if err != nil {
		return nil, err
	}
	if created := st.created; created != "" {
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
	gcCtx, stopGC := context.WithCancel(context.Background())
	d.onClose(stopGC)
	go badgerdb.RunGC(gcCtx, st.DB(), 0)
	go sweepR2(gcCtx, st.R2(), log)

	bindings, err := dataBindings(ctx, p.cfg, st.State)
	if err != nil {
		return nil, err
	}
	caches, err := openCaches(st.State, log)
	if err != nil {
		return nil, err
	}
	d.onClose(func() { caches.Close() })
	sweepCtx, stopSweep := context.WithCancel(context.Background())
	d.onClose(stopSweep) // before the store closes
	go sweepCaches(sweepCtx, caches, log)
	bindings = append(bindings, cache.NewBinding(caches.Storage(p.cfg.Name), cache.Options{}))
	t0 = time.Now()
	w, err := rt.NewWorker(ctx, host.WorkerConfig{
		Name: p.cfg.Name, Wasm: p.worker.wasm, Init: p.worker.init, MapText: p.worker.mapText, Bindings: append(bindings, p.vars),
		RequestTimeout: f.timeout, MemoryLimit: uint64(f.memoryMiB) << 20, MaxInstances: f.maxInstances,
	})
	if err != nil {
		return nil, err
	}
	d.onClose(func() { w.Close(context.Background()) })
	log.Debug("worker ready", "main", p.worker.path, "took", time.Since(t0))

	if s3ln != nil {
		srv, line, err := serveS3(s3ln, st.State, log)
		if err != nil {
			return nil, err
		}
		d.onClose(func() { srv.Close() })
		d.s3line = line
	}
	token := randomToken()
	d.srv = &http.Server{Handler: accessLog(w, log, p.cfg.Name), ReadHeaderTimeout: 10 * time.Second}
	d.adm = &http.Server{Handler: admin.Handler(st, st.R2(), token), ReadHeaderTimeout: 10 * time.Second}
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

// openedState is a data directory opened by bindery dev, with the
// directory its opening created ("" when dir existed): removing that one
// undoes the creation and nothing else.
type openedState struct {
	*state.State
	created string
}

// openState opens (creating it if needed) the data directory dir.
func openState(dir string, log *slog.Logger) (openedState, error) {
	created := missingRoot(dir)
	t0 := time.Now()
	st, err := state.Open(dir, log)
	if err != nil {
		if created != "" {
			os.RemoveAll(created)
		}
		return openedState{}, err
	}
	log.Debug("state open", "dir", dir, "took", time.Since(t0))
	return openedState{State: st, created: created}, nil
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
	return wrangler.Load(path, env)
}

// dataBindings are the config's KV and R2 bindings on the data directory
// st; the KV namespaces and R2 buckets the config declares are created.
func dataBindings(ctx context.Context, cfg *wrangler.Config, st *state.State) ([]host.Binding, error) {
	nss := map[string]*kv.Namespace{}
	for i, n := range cfg.KVNamespaces {
		if err := st.CreateKVNamespace(ctx, namespaceID(n)); err != nil {
			return nil, fmt.Errorf("%s: kv_namespaces[%d] (binding %s): %w", cfg.Path, i, n.Binding, err)
		}
		nss[n.Binding] = st.KV(namespaceID(n))
	}
	bks := map[string]*r2.Bucket{}
	for i, b := range cfg.R2Buckets {
		name := bucketName(b)
		if err := st.R2().CreateBucket(ctx, name); err != nil {
			return nil, fmt.Errorf("%s: r2_buckets[%d] (binding %s): %w", cfg.Path, i, b.Binding, err)
		}
		bk, err := st.R2().Bucket(ctx, name)
		if err != nil {
			return nil, fmt.Errorf("%s: r2_buckets[%d] (binding %s): %w", cfg.Path, i, b.Binding, err)
		}
		bks[b.Binding] = bk
	}
	return []host.Binding{kv.NewBinding(nss), r2.NewBinding(bks)}, nil
}

// varsBinding is the binding of the config's [vars], its secrets and the
// --var values (KEY:VALUE, checked by parseDevFlags) over them.
func varsBinding(cfg *wrangler.Config, extra []string) (host.Binding, error) {
	vs := map[string]vars.Var{}
	for name, v := range cfg.Vars {
		if v.JSON != nil {
			vs[name] = vars.Var{Kind: vars.JSON, Value: string(v.JSON)}
		} else {
			vs[name] = vars.Var{Kind: vars.Text, Value: v.Text}
		}
	}
	for name, s := range cfg.Secrets {
		vs[name] = vars.Var{Kind: vars.Secret, Value: s}
	}
	for _, kvp := range extra {
		k, v, ok := strings.Cut(kvp, ":")
		if !ok || k == "" {
			return nil, fmt.Errorf("--var %q: want KEY:VALUE", kvp)
		}
		vs[k] = vars.Var{Kind: vars.Text, Value: v}
	}
	v, err := vars.New(vs)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", cfg.Path, err)
	}
	return v, nil
}

// bucketName is where an R2 binding's objects live locally: its
// bucket_name, or the binding name when the config gives none.
func bucketName(b wrangler.R2Bucket) string {
	if b.BucketName != "" {
		return b.BucketName
	}
	return b.Binding
}

// sweepInterval is how often the dev server removes expired multipart
// uploads and leftover files.
const sweepInterval = 10 * time.Minute

func sweepR2(ctx context.Context, st *r2.Store, log *slog.Logger) {
	t := time.NewTicker(sweepInterval)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
			if err := st.Sweep(ctx); err != nil && ctx.Err() == nil {
				log.Warn("r2 sweep failed", "err", err)
			}
		}
	}
}

// cacheSweepInterval is how often the dev server removes expired Cache API
// entries (a lookup removes the one it meets before that).
const cacheSweepInterval = time.Minute

// openCaches opens the Cache API store of the data directory: the caches
// of every Worker (caches.default and caches.open), bodies under cache/.
func openCaches(st *state.State, log *slog.Logger) (*diskcache.Store, error) {
	cs, err := diskcache.Open(filepath.Join(st.Dir(), "cache"), st.DB(), diskcache.Options{Logger: log})
	if err != nil {
		return nil, fmt.Errorf("open the Cache API store: %w", err)
	}
	return cs, nil
}

func sweepCaches(ctx context.Context, cs *diskcache.Store, log *slog.Logger) {
	t := time.NewTicker(cacheSweepInterval)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
			if _, err := cs.Sweep(ctx); err != nil && ctx.Err() == nil {
				log.Warn("cache sweep failed", "err", err)
			}
		}
	}
}

// listenS3 takes the address of the S3-compatible API of the R2 buckets
// when the config has any (or --s3-addr asks for it); nil when it is off.
func listenS3(addr, ip string, worker net.Listener, cfg *wrangler.Config, log *slog.Logger) (net.Listener, error) {
	if addr == "off" || (addr == "" && len(cfg.R2Buckets) == 0) {
		return nil, nil
	}
	var ln net.Listener
	var err error
	if addr == "" {
		port := worker.Addr().(*net.TCPAddr).Port + 1
		if ln, err = net.Listen("tcp", net.JoinHostPort(ip, strconv.Itoa(port))); err != nil {
			log.Warn("S3 API: the port after the Worker's is taken; using a free one (set --s3-addr to choose)", "port", port)
			ln, err = net.Listen("tcp", net.JoinHostPort(ip, "0"))
		}
	} else {
		ln, err = net.Listen("tcp", addr)
	}
	if err != nil {
		return nil, fmt.Errorf("S3 API (--s3-addr): listen: %w", err)
	}
	return ln, nil
}

// serveS3 serves the S3-compatible API of the R2 buckets on ln, and
// returns the start-up line that tells clients where and with which
// credentials. The credentials are made once per data directory and kept
// in it, so clients stay configured across restarts.
func serveS3(ln net.Listener, st *state.State, log *slog.Logger) (*http.Server, string, error) {
	creds, err := s3Credentials(st.Dir())
	if err != nil {
		return nil, "", err
	}
	srv := &http.Server{Handler: s3.NewHandler(st.R2(), s3.Options{Credentials: []s3.Credentials{creds}, Logger: log}), ReadHeaderTimeout: 10 * time.Second}
	go srv.Serve(ln)
	line := fmt.Sprintf("S3 API on http://%s (path-style, region auto): access key %s, secret %s\n", ln.Addr(), creds.AccessKeyID, creds.SecretAccessKey)
	return srv, line, nil
}

// s3Credentials reads the data directory's S3 credentials, making them
// the first time.
func s3Credentials(dir string) (s3.Credentials, error) {
	path := filepath.Join(dir, "s3-credentials.json")
	var c s3.Credentials
	b, err := os.ReadFile(path)
	if err == nil {
		if err := json.Unmarshal(b, &c); err != nil || c.AccessKeyID == "" || c.SecretAccessKey == "" {
			return c, fmt.Errorf("%s is damaged (delete it to make new credentials): %v", path, err)
		}
		return c, nil
	}
	if !errors.Is(err, os.ErrNotExist) {
		return c, fmt.Errorf("S3 credentials: %w", err)
	}
	if c, err = s3.NewCredentials(); err != nil {
		return c, err
	}
	b, _ = json.MarshalIndent(c, "", "  ")
	if err := os.WriteFile(path, b, 0o600); err != nil {
		return c, fmt.Errorf("S3 credentials: %w", err)
	}
	return c, nil
}

// namespaceID is where a KV binding's data lives locally: its id, or the
// binding name when the config gives no id (as wrangler does for local dev).
func namespaceID(n wrangler.KVNamespace) string {
	if n.ID != "" {
		return n.ID
	}
	return n.Binding
}

func describeBindings(cfg *wrangler.Config) string {
	var parts []string
	for _, n := range cfg.KVNamespaces {
		parts = append(parts, "env."+n.Binding+" (KV "+namespaceID(n)+")")
	}
	for _, b := range cfg.R2Buckets {
		parts = append(parts, "env."+b.Binding+" (R2 "+bucketName(b)+")")
	}
	if len(cfg.Vars) > 0 {
		parts = append(parts, fmt.Sprintf("%d vars", len(cfg.Vars)))
	}
	if len(cfg.Secrets) > 0 {
		parts = append(parts, fmt.Sprintf("%d secrets", len(cfg.Secrets)))
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
