package embedplugins_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"

	embedplugins "github.com/bindery-run/bindery/examples/embed-plugins"
	"github.com/bindery-run/bindery/examples/embed-plugins/imagefilter"
	"github.com/bindery-run/bindery/host"
)

// A service that serves the plugins of a directory over HTTP: here the
// Go plugin invert inverts three bytes and adds 10.
func Example() {
	ctx := context.Background()
	rt, err := embedplugins.NewRuntime(ctx, "")
	if err != nil {
		panic(err)
	}
	defer rt.Close(ctx)
	svc, err := embedplugins.Load(ctx, rt, embedplugins.Config{Dir: pluginDir})
	if err != nil {
		panic(err)
	}
	defer svc.Close(ctx)
	srv := httptest.NewServer(svc)
	defer srv.Close()

	resp, err := http.Post(srv.URL+"/plugins/invert?invert=true&brightness=10", "application/octet-stream", bytes.NewReader([]byte{0, 100, 250}))
	if err != nil {
		panic(err)
	}
	defer resp.Body.Close()
	out, _ := io.ReadAll(resp.Body)
	fmt.Println(resp.Status, out)
	// Output: 200 OK [255 165 15]
}

// A plugin's failures are typed: its own error variant
// (imagefilter.Error), or the sandbox's (host.ErrDeadline,
// host.ErrQuota, host.ErrTrap, host.ErrMemoryLimit) for that call only.
func ExamplePlugin_Apply() {
	ctx := context.Background()
	rt, err := embedplugins.NewRuntime(ctx, "")
	if err != nil {
		panic(err)
	}
	defer rt.Close(ctx)
	svc, err := embedplugins.Load(ctx, rt, embedplugins.Config{Dir: pluginDir})
	if err != nil {
		panic(err)
	}
	defer svc.Close(ctx)
	probe := svc.Plugin("probe") // the tests' plugin: it does what its input says

	for _, in := range []string{"env GREETING", "what?", "loop", "spam 1000"} {
		out, err := probe.Apply(ctx, []byte(in), imagefilter.Params{})
		var ferr imagefilter.Error
		switch {
		case errors.As(err, &ferr):
			fmt.Printf("%s: the plugin says %s\n", in, ferr)
		case errors.Is(err, host.ErrDeadline):
			fmt.Printf("%s: deadline\n", in)
		case errors.Is(err, host.ErrQuota):
			fmt.Printf("%s: quota\n", in)
		case err != nil:
			fmt.Printf("%s: %v\n", in, err)
		default:
			fmt.Printf("%s: %q\n", in, out)
		}
	}
	// Output:
	// env GREETING: "hello"
	// what?: the plugin says bad-image: unknown command "what?"
	// loop: deadline
	// spam 1000: quota
}

// A manifest grants a plugin what it may use; everything else is denied.
func ExampleReadManifest() {
	dir, err := os.MkdirTemp("", "manifest")
	if err != nil {
		panic(err)
	}
	defer os.RemoveAll(dir)
	for name, text := range map[string]string{
		"good.json": `{"imports": ["log"], "wasi": {"wall_clock": "coarse"}, "limits": {"timeout": "1s", "operations": 100}}`,
		"typo.json": `{"import": ["log"]}`,
		"kv.json":   `{"imports": ["kv"]}`,
	} {
		os.WriteFile(filepath.Join(dir, name), []byte(text), 0o644)
	}
	for _, name := range []string{"good.json", "typo.json", "kv.json"} {
		m, err := embedplugins.ReadManifest(filepath.Join(dir, name))
		if err != nil {
			fmt.Println(name+":", errors.Unwrap(err))
			continue
		}
		fmt.Println(name+": log granted:", m.Granted("log"))
	}
	// Output:
	// good.json: log granted: true
	// typo.json: json: unknown field "import"
	// kv.json: imports: unknown import "kv" (world image-filter imports log)
}
