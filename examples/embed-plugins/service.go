package embedplugins

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"sync"

	"github.com/bindery-run/bindery/abi"
	"github.com/bindery-run/bindery/examples/embed-plugins/imagefilter"
	"github.com/bindery-run/bindery/host"
)

// MaxImage is the largest request body (image) the service accepts.
const MaxImage = 8 << 20

// Config configures a Service.
type Config struct {
	// Dir is the plugin directory: each <name>.wasm there is a plugin,
	// granted what <name>.json says (no manifest: nothing granted).
	Dir string
	// Limits are the defaults of every plugin's limits; the zero value
	// is the host's defaults (30 s, 128 MiB, no quotas).
	Limits host.Limits
	// Logger receives the service's log and the plugins' (each record
	// with plugin=<name>); nil discards them.
	Logger *slog.Logger
}

// Plugin is one loaded plugin: its sandbox and the typed caller of its
// exports.
type Plugin struct {
	// Name is the plugin's file name without .wasm.
	Name string
	// Manifest is what the plugin was granted.
	Manifest Manifest
	guest    *host.Guest
	filter   *imagefilter.ImageFilter
}

// Apply runs the plugin's apply export. A filter error (the WIT error
// variant) is an imagefilter.Error (errors.As); a failure of the
// plugin (deadline, quota, trap, memory) is a *host.CallError matching
// host.ErrDeadline, host.ErrQuota, host.ErrTrap, host.ErrMemoryLimit.
func (p *Plugin) Apply(ctx context.Context, img []byte, params imagefilter.Params) ([]byte, error) {
	return p.filter.Apply(ctx, img, params)
}

// Stats returns a copy of the plugin's counters.
func (p *Plugin) Stats() host.Stats { return p.guest.Stats() }

// Service loads the plugins of a directory and serves them over HTTP:
// POST /plugins/{name}?brightness=N&invert=true with the image as the
// body answers the filtered image. It is safe for concurrent use.
type Service struct {
	log     *slog.Logger
	plugins map[string]*Plugin
	mux     *http.ServeMux
	closeMu sync.Once
}

// logHost is the log import as the service serves it to one plugin.
type logHost struct{ log *slog.Logger }

// Log writes msg to the service's log.
func (h logHost) Log(ctx context.Context, msg string) { h.log.InfoContext(ctx, msg) }

// NewRuntime returns a Runtime for image-filter plugins: every plugin
// may import log, and one not granted it gets a denying stand-in, so
// whether it was granted decides what its call does (it traps), not the
// order in which plugins were loaded. cacheDir is the compilation cache
// ("" = the host's default).
func NewRuntime(ctx context.Context, cacheDir string) (*host.Runtime, error) {
	return host.NewRuntime(ctx, host.RuntimeConfig{
		CacheDir:   cacheDir,
		Interfaces: []abi.Interface{imagefilter.LogBinding{}.WIT()},
	})
}

// Load loads every plugin in cfg.Dir into rt (see NewRuntime). An error
// names the plugin at fault; no plugin is left loaded then.
func Load(ctx context.Context, rt *host.Runtime, cfg Config) (*Service, error) {
	logger := cfg.Logger
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}
	wasms, err := filepath.Glob(filepath.Join(cfg.Dir, "*.wasm"))
	if err != nil {
		return nil, fmt.Errorf("plugins %s: %w", cfg.Dir, err)
	}
	sort.Strings(wasms)
	s := &Service{log: logger, plugins: map[string]*Plugin{}, mux: http.NewServeMux()}
	for _, path := range wasms {
		p, err := loadPlugin(ctx, rt, cfg, logger, path)
		if err != nil {
			s.Close(ctx)
			return nil, err
		}
		s.plugins[p.Name] = p
	}
	s.mux.HandleFunc("POST /plugins/{name}", s.apply)
	s.mux.HandleFunc("GET /plugins", s.list)
	return s, nil
}

// loadPlugin loads the plugin at path with the grants of its manifest.
func loadPlugin(ctx context.Context, rt *host.Runtime, cfg Config, logger *slog.Logger, path string) (*Plugin, error) {
	name := strings.TrimSuffix(filepath.Base(path), ".wasm")
	var m Manifest
	mpath := strings.TrimSuffix(path, ".wasm") + ".json"
	if _, err := os.Stat(mpath); err == nil {
		if m, err = ReadManifest(mpath); err != nil {
			return nil, fmt.Errorf("plugin %s: %w", name, err)
		}
	}
	wasm, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("plugin %s: %w", name, err)
	}
	plog := logger.With("plugin", name)
	var bindings []host.Binding
	if m.Granted("log") {
		bindings = append(bindings, imagefilter.NewLogBinding(logHost{plog}))
	}
	g, err := rt.NewGuest(ctx, host.GuestConfig{
		Name:     name,
		Wasm:     wasm,
		Bindings: bindings,
		WASI:     m.wasi(cfg.Dir),
		Limits:   m.limits(cfg.Limits),
		Logger:   plog,
		Check:    imagefilter.Check,
	})
	if err != nil {
		return nil, fmt.Errorf("plugin %s: %w", name, err)
	}
	return &Plugin{Name: name, Manifest: m, guest: g, filter: imagefilter.New(g)}, nil
}

// Plugin returns the plugin named name, or nil.
func (s *Service) Plugin(name string) *Plugin { return s.plugins[name] }

// Names returns the names of the loaded plugins, sorted.
func (s *Service) Names() []string {
	names := make([]string, 0, len(s.plugins))
	for n := range s.plugins {
		names = append(names, n)
	}
	sort.Strings(names)
	return names
}

// ServeHTTP serves POST /plugins/{name} and GET /plugins (the names, one
// a line).
func (s *Service) ServeHTTP(w http.ResponseWriter, r *http.Request) { s.mux.ServeHTTP(w, r) }

func (s *Service) list(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	for _, n := range s.Names() {
		fmt.Fprintln(w, n)
	}
}

func (s *Service) apply(w http.ResponseWriter, r *http.Request) {
	name := r.PathValue("name")
	p := s.plugins[name]
	if p == nil {
		http.Error(w, fmt.Sprintf("no plugin %q", name), http.StatusNotFound)
		return
	}
	params, err := queryParams(r)
	if err != nil {
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	}
	img, err := io.ReadAll(http.MaxBytesReader(w, r.Body, MaxImage))
	if err != nil {
		http.Error(w, err.Error(), http.StatusRequestEntityTooLarge)
		return
	}
	out, err := p.Apply(r.Context(), img, params)
	if err != nil {
		code := status(err)
		s.log.WarnContext(r.Context(), "plugin failed", "plugin", name, "status", code, "err", err)
		http.Error(w, err.Error(), code)
		return
	}
	w.Header().Set("Content-Type", "application/octet-stream")
	w.Write(out)
}

// queryParams reads the filter's params from the query string.
func queryParams(r *http.Request) (imagefilter.Params, error) {
	var p imagefilter.Params
	q := r.URL.Query()
	if v := q.Get("brightness"); v != "" {
		n, err := strconv.ParseInt(v, 10, 32)
		if err != nil {
			return p, fmt.Errorf("brightness: %w", err)
		}
		p.Brightness = int32(n)
	}
	if v := q.Get("invert"); v != "" {
		b, err := strconv.ParseBool(v)
		if err != nil {
			return p, fmt.Errorf("invert: %w", err)
		}
		p.Invert = b
	}
	return p, nil
}

// status maps a plugin's failure to an HTTP status: its own error
// variant is the client's fault (422); a deadline 504; a quota 429;
// anything else (a trap, the memory limit) 500.
func status(err error) int {
	var ferr imagefilter.Error
	switch {
	case errors.As(err, &ferr):
		return http.StatusUnprocessableEntity
	case errors.Is(err, host.ErrDeadline):
		return http.StatusGatewayTimeout
	case errors.Is(err, host.ErrQuota):
		return http.StatusTooManyRequests
	case errors.Is(err, host.ErrCanceled):
		return 499 // the client went away (nginx's code); nobody reads it
	}
	return http.StatusInternalServerError
}

// Close closes every plugin, waiting for their calls in flight until ctx
// is done.
func (s *Service) Close(ctx context.Context) error {
	var errs []error
	s.closeMu.Do(func() {
		for _, p := range s.plugins {
			if err := p.guest.Close(ctx); err != nil {
				errs = append(errs, fmt.Errorf("plugin %s: %w", p.Name, err))
			}
		}
	})
	return errors.Join(errs...)
}
