// Command bindery-bindgen generates the Go host glue and the Go guest
// bindings from the WIT packages in wit/. Run it from the repository root
// (go generate ./... does):
//
//	go run ./cmd/bindery-bindgen          # write the files
//	go run ./cmd/bindery-bindgen -check   # fail if a generated file is stale
//
// The WIT is the single source of truth for the guest ABI; never edit a
// *_gen.go file by hand.
package main

import (
	"bytes"
	"flag"
	"fmt"
	"os"
	"path/filepath"

	"github.com/bindery-run/bindery/abi/bindgen"
	"go.bytecodealliance.org/wit"
)

func main() {
	root := flag.String("root", ".", "repository root")
	check := flag.Bool("check", false, "compare instead of writing; exit 1 if any file is stale")
	flag.Parse()
	if err := run(*root, *check); err != nil {
		fmt.Fprintln(os.Stderr, "bindery-bindgen:", err)
		os.Exit(1)
	}
}

func run(root string, check bool) error {
	files, err := Generate(root)
	if err != nil {
		return err
	}
	stale := 0
	for _, f := range files {
		path := filepath.Join(root, f.Path)
		old, _ := os.ReadFile(path)
		if bytes.Equal(old, f.Data) {
			continue
		}
		if check {
			fmt.Fprintf(os.Stderr, "stale: %s (run go generate ./...)\n", f.Path)
			stale++
			continue
		}
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			return err
		}
		if err := os.WriteFile(path, f.Data, 0o644); err != nil {
			return err
		}
		fmt.Println("wrote", f.Path)
	}
	if stale > 0 {
		return fmt.Errorf("%d generated file(s) are stale", stale)
	}
	return nil
}

// Generate loads root/wit and returns every generated file.
func Generate(root string) ([]bindgen.File, error) {
	res, err := wit.LoadWIT(filepath.Join(root, "wit"))
	if err != nil {
		return nil, fmt.Errorf("load wit: %w", err)
	}
	return bindgen.Generate(res, Targets)
}

// Targets says where each WIT interface's Go code goes.
var Targets = bindgen.Config{
	Module:         "github.com/bindery-run/bindery",
	GuestModule:    "github.com/bindery-run/bindery/guest-sdk/go",
	GuestModuleDir: "guest-sdk/go",
	World:          "worker",
	// A Worker that defines Durable Object classes (Config.Worlds): Go
	// code, and C and AssemblyScript code in folders of their own that
	// guest-sdk/c/build.sh and guest-sdk/assemblyscript/transform.js
	// compile only into a Worker that uses Durable Objects.
	Worlds:      []string{"worker-with-objects"},
	WorldCDirs:  map[string]string{"worker-with-objects": "guest-sdk/c/generated-durable"},
	WorldASDirs: map[string]string{"worker-with-objects": "guest-sdk/assemblyscript/generated-durable"},
	CDir:        "guest-sdk/c/generated",
	ASDir:       "guest-sdk/assemblyscript/generated",
	// World's optional exports: an AssemblyScript Worker that defines no
	// queue or scheduled handler does not export them
	// (guest-sdk/assemblyscript/transform.js compiles their
	// exports_<file>.ts only into a Worker that uses queue.ts or
	// scheduled.ts).
	ASOptionalExports: []string{"bindery:queue/consumer", "bindery:scheduled/handler"},
	Targets: []bindgen.Target{
		{Interface: "bindery:io/streams", HostDir: "abi/stream", GuestDir: "guest-sdk/go/internal/wit/stream"},
		{Interface: "bindery:http/types", HostDir: "host/internal/httpwit", GuestDir: "guest-sdk/go/internal/wit/httpwit"},
		{Interface: "bindery:http/handler", HostDir: "host/internal/httpwit", GuestDir: "guest-sdk/go/internal/wit/httpwit"},
		{Interface: "bindery:kv/store", HostDir: "bindings/kv/kvwit", GuestDir: "guest-sdk/go/internal/wit/kvwit"},
		{Interface: "bindery:config/vars", HostDir: "bindings/vars/varswit", GuestDir: "guest-sdk/go/internal/wit/varswit"},
		{Interface: "bindery:r2/bucket", HostDir: "bindings/r2/r2wit", GuestDir: "guest-sdk/go/internal/wit/r2wit"},
		{Interface: "bindery:d1/database", HostDir: "bindings/d1/d1wit", GuestDir: "guest-sdk/go/internal/wit/d1wit"},
		{Interface: "bindery:log/console", HostDir: "host/internal/logwit", GuestDir: "guest-sdk/go/internal/wit/logwit"},
		{Interface: "bindery:crypto/subtle", HostDir: "host/webcrypto/cryptowit", GuestDir: "guest-sdk/go/internal/wit/cryptowit"},
		{Interface: "bindery:cache/cache", HostDir: "bindings/cache/cachewit", GuestDir: "guest-sdk/go/internal/wit/cachewit"},
		{Interface: "bindery:html/rewriter", HostDir: "host/htmlrewriter/htmlwit", GuestDir: "guest-sdk/go/internal/wit/htmlwit"},
		{Interface: "bindery:intl/text", HostDir: "host/intl/intlwit", GuestDir: "guest-sdk/go/internal/wit/intlwit"},
		// Durable Objects. The host glue is under host/ because the
		// interfaces use bindery:http/types (host/internal/httpwit).
		{Interface: "bindery:durable/types", HostDir: "host/internal/durablewit", GuestDir: "guest-sdk/go/internal/wit/durablewit"},
		{Interface: "bindery:durable/client", HostDir: "host/internal/durablewit", GuestDir: "guest-sdk/go/internal/wit/durablewit"},
		{Interface: "bindery:durable/state", HostDir: "host/internal/durablewit", GuestDir: "guest-sdk/go/internal/wit/durablewit"},
		{Interface: "bindery:durable/object", HostDir: "host/internal/durablewit", GuestDir: "guest-sdk/go/internal/wit/durablewit"},
		// Queues and cron triggers. The consumer and the scheduled
		// handler are exports: each has a guest package of its own, so
		// that only a Go Worker that defines the handler exports it, and
		// a C folder of its own, which guest-sdk/c/build.sh and
		// guest-sdk/zig/build.sh compile only into a Worker that defines
		// the handler.
		{Interface: "bindery:queue/types", HostDir: "host/internal/queuewit", GuestDir: "guest-sdk/go/internal/wit/queuewit"},
		{Interface: "bindery:queue/producer", HostDir: "host/internal/queuewit", GuestDir: "guest-sdk/go/internal/wit/queuewit"},
		{Interface: "bindery:queue/consumer", HostDir: "host/internal/queuewit", GuestDir: "guest-sdk/go/internal/wit/queueconsumerwit", CDir: "guest-sdk/c/generated-queue-consumer"},
		{Interface: "bindery:scheduled/handler", HostDir: "host/internal/scheduledwit", GuestDir: "guest-sdk/go/internal/wit/scheduledwit", CDir: "guest-sdk/c/generated-scheduled"},
	},
}
