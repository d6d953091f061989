package embedplugins_test

import (
	"bytes"
	"context"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/bindery-run/bindery/abi"
	embedplugins "github.com/bindery-run/bindery/examples/embed-plugins"
	"github.com/bindery-run/bindery/examples/embed-plugins/imagefilter"
	"github.com/bindery-run/bindery/host"
	"github.com/bindery-run/bindery/internal/testutil"
)

// logBuffer is a concurrency-safe log sink.
type logBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *logBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *logBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

// post sends body to /plugins/name?query and returns the status and body.
func post(t *testing.T, srv *httptest.Server, name, query string, body []byte) (int, string) {
	t.Helper()
	url := srv.URL + "/plugins/" + name
	if query != "" {
		url += "?" + query
	}
	resp, err := http.Post(url, "application/octet-stream", bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return resp.StatusCode, string(b)
}

// TestService is the end-to-end test: the service loads the built
// plugins with their manifests and serves them over HTTP; each case is
// one request, and every plugin failure is that request's alone.
func TestService(t *testing.T) {
	var logs logBuffer
	svc, _ := newService(t, embedplugins.Config{Logger: slog.New(slog.NewTextHandler(&logs, nil))})
	srv := httptest.NewServer(svc)
	defer srv.Close()

	filtered := string([]byte{255, 165, 15})
	cases := []struct {
		name, plugin, query, body string
		status                    int
		want                      string // the body, or a substring of the error
		log                       string // a substring of the service's log after the request
		needC                     bool
	}{
		{name: "go filter", plugin: "invert", query: "invert=true&brightness=10", body: "\x00\x64\xfa", status: 200, want: filtered, log: `msg="invert: 3 bytes, invert=true, brightness=10" plugin=invert`},
		{name: "c filter", plugin: "brighten", query: "invert=true&brightness=10", body: "\x00\x64\xfa", status: 200, want: filtered, log: `msg="brighten: 3 bytes, invert=true, brightness=10" plugin=brighten`, needC: true},
		{name: "filter error", plugin: "invert", body: "", status: 422, want: "bad-image: empty image"},
		{name: "bad params", plugin: "invert", query: "brightness=x", body: "a", status: 400, want: "brightness"},
		{name: "no such plugin", plugin: "nope", body: "a", status: 404},

		// Granted and not granted: the same probe.wasm, two manifests.
		{name: "log granted", plugin: "probe", body: "log granted hello", status: 200, want: "logged", log: `msg="granted hello" plugin=probe`},
		{name: "log not granted", plugin: "jail", body: "log denied hello", status: 500, want: "no host implementation of example:plugins/log@0.1.0#log granted"},
		{name: "env granted", plugin: "probe", body: "env GREETING", status: 200, want: "hello"},
		{name: "env not granted", plugin: "jail", body: "env GREETING", status: 200, want: ""},
		{name: "fixed clock granted", plugin: "probe", body: "clock", status: 200, want: "2000-01-01T00:00:00Z"},
		{name: "fake clock by default", plugin: "jail", body: "clock", status: 200, want: "2022-01-01T00:00:00Z"},
		{name: "directory granted", plugin: "probe", body: "read /data/hello.txt", status: 200, want: "hello from a granted directory"},
		{name: "directory not granted", plugin: "jail", body: "read /data/hello.txt", status: 422, want: "bad-image: open /data/hello.txt"},

		// Limits: each failure ends that call only.
		{name: "loop forever", plugin: "probe", body: "loop", status: 504, want: "deadline exceeded"},
		{name: "serves after the loop", plugin: "probe", body: "log still here", status: 200, want: "logged"},
		{name: "over the operations quota", plugin: "probe", body: "spam 1000", status: 429, want: "more than 100 operations through example:plugins/log@0.1.0"},
		{name: "within the quota", plugin: "probe", body: "spam 100", status: 200, want: "logged 100"},
		{name: "over the memory limit", plugin: "probe", body: "grow 128", status: 500, want: "memory limit reached"},
		{name: "serves after the memory bomb", plugin: "probe", body: "env GREETING", status: 200, want: "hello"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			if c.needC && cMissing != "" {
				testutil.NeedToolchain(t, &testutil.MissingError{Toolchain: "c", Reason: cMissing})
			}
			start := time.Now()
			status, body := post(t, srv, c.plugin, c.query, []byte(c.body))
			if status != c.status {
				t.Fatalf("status %d, want %d; body %q", status, c.status, body)
			}
			if c.status == 200 && body != c.want || c.status != 200 && !strings.Contains(body, c.want) {
				t.Errorf("body %q, want %q", body, c.want)
			}
			if c.log != "" && !strings.Contains(logs.String(), c.log) {
				t.Errorf("log lacks %q:\n%s", c.log, logs.String())
			}
			if c.status == 504 && time.Since(start) > 5*time.Second {
				t.Errorf("the deadline of 300ms took %v", time.Since(start))
			}
		})
	}
	if st := svc.Plugin("probe").Stats(); st.Failed < 3 || st.Discarded < 3 {
		t.Errorf("probe stats %+v: want the loop, the quota and the memory bomb failed and their instances discarded", st)
	}
}

// TestTypedErrors: the typed caller's errors, without HTTP: a filter's
// own error variant, and the sandbox's kinds with errors.Is/As.
func TestTypedErrors(t *testing.T) {
	svc, _ := newService(t, embedplugins.Config{})
	ctx := context.Background()
	probe, jail := svc.Plugin("probe"), svc.Plugin("jail")

	_, err := probe.Apply(ctx, []byte("nonsense"), imagefilter.Params{})
	var ferr imagefilter.Error
	if !errors.As(err, &ferr) || ferr.Tag != imagefilter.ErrorBadImage {
		t.Errorf("unknown command: %v, want an *imagefilter.Error bad-image", err)
	}
	_, err = probe.Apply(ctx, []byte("loop"), imagefilter.Params{})
	if !errors.Is(err, host.ErrDeadline) {
		t.Errorf("loop: %v, want host.ErrDeadline", err)
	}
	_, err = probe.Apply(ctx, []byte("spam 101"), imagefilter.Params{})
	var qerr *abi.QuotaError
	if !errors.Is(err, host.ErrQuota) || !errors.As(err, &qerr) || qerr.Limit != "operations" || qerr.Max != 100 {
		t.Errorf("spam: %v, want host.ErrQuota with an *abi.QuotaError of 100 operations", err)
	}
	_, err = jail.Apply(ctx, []byte("log x"), imagefilter.Params{})
	var cerr *host.CallError
	if !errors.Is(err, host.ErrTrap) || !errors.As(err, &cerr) || cerr.Guest != "jail" {
		t.Errorf("ungranted log: %v, want host.ErrTrap from guest jail", err)
	}
	_, err = probe.Apply(ctx, []byte("grow 128"), imagefilter.Params{})
	if !errors.Is(err, host.ErrMemoryLimit) {
		t.Errorf("grow: %v, want host.ErrMemoryLimit", err)
	}
	// A caller's own deadline ends the call too, as ErrDeadline.
	short, cancel := context.WithTimeout(ctx, 50*time.Millisecond)
	defer cancel()
	if _, err = jail.Apply(short, []byte("loop"), imagefilter.Params{}); !errors.Is(err, host.ErrDeadline) {
		t.Errorf("loop under the caller's 50ms: %v, want host.ErrDeadline", err)
	}
}

// TestLoopDoesNotBlockOthers: while a plugin loops until its deadline,
// the others keep serving.
func TestLoopDoesNotBlockOthers(t *testing.T) {
	svc, _ := newService(t, embedplugins.Config{})
	srv := httptest.NewServer(svc)
	defer srv.Close()
	done := make(chan int)
	go func() {
		resp, err := http.Post(srv.URL+"/plugins/probe", "", strings.NewReader("loop"))
		if err != nil {
			done <- 0
			return
		}
		resp.Body.Close()
		done <- resp.StatusCode
	}()
	for range 20 {
		if status, body := post(t, srv, "invert", "invert=true", []byte{1}); status != 200 || body != "\xfe" {
			t.Fatalf("invert during the loop: %d %q", status, body)
		}
	}
	if status := <-done; status != http.StatusGatewayTimeout {
		t.Errorf("loop: status %d, want 504", status)
	}
}

// TestLoadErrors: a bad plugin directory fails Load naming the plugin.
func TestLoadErrors(t *testing.T) {
	cases := []struct {
		name  string
		files map[string]string
		want  string
	}{
		{"not wasm", map[string]string{"bad.wasm": "hello"}, `plugin bad: host: guest "bad": not a WebAssembly module`},
		{"bad manifest", map[string]string{"bad.wasm": "\x00asm\x01\x00\x00\x00", "bad.json": `{"limits": {"timeout": "soon"}}`}, "plugin bad: manifest"},
		{"unknown key", map[string]string{"bad.wasm": "\x00asm\x01\x00\x00\x00", "bad.json": `{"wasi": {"network": true}}`}, `unknown field "network"`},
		{"another world", map[string]string{"empty.wasm": "\x00asm\x01\x00\x00\x00"}, "plugin empty:"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			dir := t.TempDir()
			for name, text := range c.files {
				if err := writeFile(dir, name, text); err != nil {
					t.Fatal(err)
				}
			}
			rt, err := embedplugins.NewRuntime(context.Background(), testCache())
			if err != nil {
				t.Fatal(err)
			}
			defer rt.Close(context.Background())
			_, err = embedplugins.Load(context.Background(), rt, embedplugins.Config{Dir: dir})
			if err == nil || !strings.Contains(err.Error(), c.want) {
				t.Errorf("Load: %v, want an error containing %q", err, c.want)
			}
		})
	}
}

// TestUnservedImport: on a Runtime that does not serve the log interface
// at all (not NewRuntime's, and no plugin granted log before), a plugin
// importing it is refused when it loads, with an error naming the
// import, rather than at its first call. (On such a Runtime, whether an
// ungranted plugin loads would depend on whether one granted log was
// loaded first: NewRuntime lists the interface so that it does not.)
func TestUnservedImport(t *testing.T) {
	ctx := context.Background()
	rt, err := host.NewRuntime(ctx, host.RuntimeConfig{CacheDir: testCache()})
	if err != nil {
		t.Fatal(err)
	}
	defer rt.Close(ctx)
	dir := t.TempDir()
	wasm, err := os.ReadFile(filepath.Join(pluginDir, "jail.wasm"))
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "jail.wasm"), wasm, 0o644); err != nil {
		t.Fatal(err)
	}
	_, err = embedplugins.Load(ctx, rt, embedplugins.Config{Dir: dir})
	want := `imports "example:plugins/log@0.1.0" "log", which this host does not provide`
	if err == nil || !strings.Contains(err.Error(), want) {
		t.Errorf("Load: %v, want an error containing %q", err, want)
	}
}
