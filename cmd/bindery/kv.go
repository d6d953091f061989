package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"strings"

	"github.com/bindery-run/bindery/bindings/kv"
	"github.com/bindery-run/bindery/internal/admin"
	"github.com/bindery-run/bindery/internal/state"
	"github.com/bindery-run/bindery/internal/wrangler"
)

const kvUsage = `Usage: bindery kv key COMMAND ARGS [flags]

Reads and writes the keys of KV namespaces, like "wrangler kv key":

  bindery kv key put KEY [VALUE] (--binding NAME | --namespace-id ID)   write a key
  bindery kv key get KEY (--binding NAME | --namespace-id ID)           print a value
  bindery kv key delete KEY (--binding NAME | --namespace-id ID)        delete a key
  bindery kv key list (--binding NAME | --namespace-id ID)              list keys as JSON

--binding names a [[kv_namespaces]] entry of the config; --namespace-id
gives the namespace id itself. Works on the data of a running "bindery dev"
(through its admin API), or on the data directory itself when no dev server
runs on it.

Run "bindery kv key COMMAND --help" for a command's flags.
`

// kvOps are the heads of the help of each "bindery kv key" operation.
var kvOps = map[string]string{
	"put": `Usage: bindery kv key put KEY [VALUE] (--binding NAME | --namespace-id ID) [flags]

Writes VALUE (or the file --path names; --path - reads standard input) to
KEY, with Workers KV's limits: keys up to 512 bytes, values up to 25 MiB.
`,
	"get": `Usage: bindery kv key get KEY (--binding NAME | --namespace-id ID) [--text]

Prints the value of KEY to standard output, as it is (--text adds a
newline). A missing key is an error.
`,
	"delete": `Usage: bindery kv key delete KEY (--binding NAME | --namespace-id ID)

Deletes KEY.
`,
	"list": `Usage: bindery kv key list (--binding NAME | --namespace-id ID) [--prefix PREFIX]

Prints the keys (with their expiration and metadata) as a JSON array, in
key order.
`,
}

// kvStore is what the kv commands need, served by a dev server's admin API
// or by the data directory opened directly.
type kvStore interface {
	KVGet(ctx context.Context, id, key string) (kv.Value, bool, error)
	KVPut(ctx context.Context, id, key string, value []byte, o kv.PutOptions) error
	KVDelete(ctx context.Context, id, key string) error
	KVList(ctx context.Context, id string, o kv.ListOptions) (kv.ListResult, error)
}

// direct serves kvStore from an open data directory.
type direct struct{ st *state.State }

func (d direct) KVGet(ctx context.Context, id, key string) (kv.Value, bool, error) {
	return d.st.KV(id).GetWithMetadata(ctx, key)
}
func (d direct) KVPut(ctx context.Context, id, key string, v []byte, o kv.PutOptions) error {
	return d.st.KV(id).Put(ctx, key, v, o)
}
func (d direct) KVDelete(ctx context.Context, id, key string) error {
	return d.st.KV(id).Delete(ctx, key)
}
func (d direct) KVList(ctx context.Context, id string, o kv.ListOptions) (kv.ListResult, error) {
	return d.st.KV(id).List(ctx, o)
}

func runKV(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer) error {
	switch {
	case len(args) == 0:
		fmt.Fprint(stderr, kvUsage)
		return errUsage
	case isHelp(args[0]):
		fmt.Fprint(stdout, kvUsage)
		return nil
	case args[0] != "key":
		hint := ""
		if _, ok := kvOps[args[0]]; ok {
			hint = fmt.Sprintf(` (did you mean "bindery kv key %s"?)`, args[0])
		}
		fmt.Fprintf(stderr, "bindery kv: unknown command %q%s\n\n%s", args[0], hint, kvUsage)
		return errUsage
	case len(args) == 1:
		fmt.Fprintf(stderr, "bindery kv key: missing command\n\n%s", kvUsage)
		return errUsage
	case isHelp(args[1]):
		fmt.Fprint(stdout, kvUsage)
		return nil
	}
	return runKVKey(ctx, args[1], args[2:], stdin, stdout, stderr)
}

// runKVKey implements "bindery kv key OP".
func runKVKey(ctx context.Context, op string, args []string, stdin io.Reader, stdout, stderr io.Writer) error {
	head, ok := kvOps[op]
	if !ok {
		fmt.Fprintf(stderr, "bindery kv key: unknown command %q\n\n%s", op, kvUsage)
		return errUsage
	}
	fs := flag.NewFlagSet("bindery kv key "+op, flag.ContinueOnError)
	var (
		binding, nsID, config, env, persistTo, path, metadata, prefix string
		ttl, expiration                                               int64
		text                                                          bool
	)
	fs.StringVar(&binding, "binding", "", "the namespace of the config's [[kv_namespaces]] entry with binding `NAME`")
	fs.StringVar(&nsID, "namespace-id", "", "the namespace with this `ID` (instead of --binding)")
	fs.StringVar(&config, "config", "", "the wrangler.toml or wrangler.json(c) `FILE` to use (default: the one in the current directory)")
	alias(fs, "c", "config")
	fs.StringVar(&env, "env", "", "use the [env.`NAME`] section of the config")
	alias(fs, "e", "env")
	fs.StringVar(&persistTo, "persist-to", "", "the data is in `DIR` (default .bindery/state beside the config)")
	switch op {
	case "put":
		fs.StringVar(&path, "path", "", "read the value from `FILE` (- for standard input)")
		fs.Int64Var(&ttl, "ttl", 0, "expire after `SECONDS` (at least 60)")
		fs.Int64Var(&expiration, "expiration", 0, "expire at `UNIX` time, in seconds")
		fs.StringVar(&metadata, "metadata", "", "the key's metadata, as `JSON` (at most 1024 bytes)")
	case "get":
		fs.BoolVar(&text, "text", false, "print the value as text followed by a newline")
	case "list":
		fs.StringVar(&prefix, "prefix", "", "only keys that start with `PREFIX`")
	}
	pos, err := parse(fs, head, args, stdout, stderr)
	if err != nil {
		return err
	}
	want := map[string][2]int{"put": {1, 2}, "get": {1, 1}, "delete": {1, 1}, "list": {0, 0}}[op]
	if len(pos) < want[0] || len(pos) > want[1] {
		fmt.Fprintf(stderr, "bindery kv key %s: wrong number of arguments %q\n\n%s", op, pos, head)
		return errUsage
	}
	if (binding == "") == (nsID == "") {
		fmt.Fprintf(stderr, "bindery kv key %s: give exactly one of --binding and --namespace-id\n", op)
		return errUsage
	}
	dir := persistTo
	if binding != "" || dir == "" {
		cfg, err := loadConfig(config, env, nsID != "")
		if err != nil {
			return err
		}
		if binding != "" {
			n, ok := cfg.KVNamespace(binding)
			if !ok {
				return fmt.Errorf("%s has no kv_namespaces entry with binding %q%s", cfg.Path, binding, bindingNames(cfg))
			}
			nsID = namespaceID(n)
		}
		if dir == "" {
			dir = filepath.Join(configDir(cfg), ".bindery", "state")
		}
	}
	store, closeFn, err := openKV(ctx, dir)
	if err != nil {
		return err
	}
	defer closeFn()

	switch op {
	case "put":
		var value []byte
		switch {
		case path != "" && len(pos) == 2:
			fmt.Fprintln(stderr, "bindery kv key put: give a VALUE or --path, not both")
			return errUsage
		case path == "-":
			value, err = io.ReadAll(stdin)
		case path != "":
			value, err = os.ReadFile(path)
		case len(pos) == 2:
			value = []byte(pos[1])
		default:
			fmt.Fprintln(stderr, "bindery kv key put: give a VALUE or --path FILE")
			return errUsage
		}
		if err != nil {
			return err
		}
		o := kv.PutOptions{ExpirationTTL: ttl, Expiration: expiration}
		if metadata != "" {
			o.Metadata = []byte(metadata)
		}
		if err := store.KVPut(ctx, nsID, pos[0], value, o); err != nil {
			return err
		}
		fmt.Fprintf(stderr, "Wrote key %q to namespace %s\n", pos[0], nsID)
	case "get":
		v, ok, err := store.KVGet(ctx, nsID, pos[0])
		if err != nil {
			return err
		}
		if !ok {
			return fmt.Errorf("key %q not found in namespace %s", pos[0], nsID)
		}
		stdout.Write(v.Value)
		if text {
			fmt.Fprintln(stdout)
		}
	case "delete":
		if err := store.KVDelete(ctx, nsID, pos[0]); err != nil {
			return err
		}
		fmt.Fprintf(stderr, "Deleted key %q from namespace %s\n", pos[0], nsID)
	case "list":
		keys := []admin.KeyInfo{}
		o := kv.ListOptions{Prefix: prefix}
		for {
			res, err := store.KVList(ctx, nsID, o)
			if err != nil {
				return err
			}
			for _, k := range res.Keys {
				keys = append(keys, admin.KeyInfo{Name: k.Name, Expiration: k.Expiration, Metadata: json.RawMessage(k.Metadata)})
			}
			if res.Complete || res.Cursor == "" {
				break
			}
			o.Cursor = res.Cursor
		}
		enc := json.NewEncoder(stdout)
		enc.SetIndent("", "  ")
		return enc.Encode(keys)
	}
	return nil
}

func bindingNames(cfg *wrangler.Config) string {
	var names []string
	for _, n := range cfg.KVNamespaces {
		names = append(names, n.Binding)
	}
	if len(names) == 0 {
		return " (it has none)"
	}
	return " (it has " + strings.Join(names, ", ") + ")"
}

// openKV reaches the data in dir: through a running dev server's admin API,
// or by opening the directory when no server runs.
func openKV(ctx context.Context, dir string) (kvStore, func(), error) {
	info, err := state.ReadServerInfo(dir)
	if err == nil {
		c := &admin.Client{URL: info.Admin, Token: info.Token}
		if err := c.Ping(ctx); err == nil {
			return c, func() {}, nil
		}
	} else if !errors.Is(err, state.ErrNoServer) {
		return nil, nil, err
	}
	st, err := state.Open(dir, slog.New(slog.DiscardHandler))
	if err != nil {
		return nil, nil, err
	}
	return direct{st}, func() { st.Close() }, nil
}
