package kvmodule

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"github.com/bindery-run/bindery/bindings"
	"github.com/bindery-run/bindery/bindings/kv"
	"github.com/bindery-run/bindery/bindings/state"
	"github.com/bindery-run/bindery/internal/admin"
	"github.com/bindery-run/bindery/internal/cli"
)

const kvUsage = `Usage: bindery kv key COMMAND ARGS [flags]

Reads and writes the keys of KV namespaces, like "wrangler kv key":

  bindery kv key put KEY [VALUE] (--binding NAME | --namespace-id ID)   write a key
  bindery kv key get KEY (--binding NAME | --namespace-id ID)           print a value
  bindery kv key delete KEY (--binding NAME | --namespace-id ID)        delete a key
  bindery kv key list (--binding NAME | --namespace-id ID)              list keys as JSON

--binding names a [[kv_namespaces]] entry of the config; --namespace-id
gives the namespace id itself. An id that is neither in the data directory
(made by "bindery dev" for its config, or by "put --create", or holding
keys) nor declared by the config is an error that lists the known ones.
Works on the data of a running "bindery dev" (through its admin API), or
on the data directory itself when no dev server runs on it.

Run "bindery kv key COMMAND --help" for a command's flags.
`

// kvOpHelp returns the head of the help of "bindery kv key OP", and whether OP is one.
func kvOpHelp(op string) (string, bool) {
	switch op {
	case "put":
		return `Usage: bindery kv key put KEY [VALUE] (--binding NAME | --namespace-id ID [--create]) [flags]

Writes VALUE (or the file --path names; --path - reads standard input) to
KEY, with Workers KV's limits: keys up to 512 bytes, values up to 25 MiB.
A namespace the data directory does not know is an error unless the config
declares it or --create is given.
`, true
	case "get":
		return `Usage: bindery kv key get KEY (--binding NAME | --namespace-id ID) [--text]

Prints the value of KEY to standard output, as it is (--text adds a
newline). A missing key is an error.
`, true
	case "delete":
		return `Usage: bindery kv key delete KEY (--binding NAME | --namespace-id ID)

Deletes KEY.
`, true
	case "list":
		return `Usage: bindery kv key list (--binding NAME | --namespace-id ID) [--prefix PREFIX]

Prints the keys (with their expiration and metadata) as a JSON array, in
key order.
`, true
	}
	return "", false
}

// kvStore is what the kv commands need, served by a dev server's admin API
// or by the data directory opened directly.
type kvStore interface {
	KVNamespaces(ctx context.Context) ([]string, error)
	CreateKVNamespace(ctx context.Context, id string) error
	KVGet(ctx context.Context, id, key string) (kv.Value, bool, error)
	KVPut(ctx context.Context, id, key string, value []byte, o kv.PutOptions) error
	KVDelete(ctx context.Context, id, key string) error
	KVList(ctx context.Context, id string, o kv.ListOptions) (kv.ListResult, error)
}

// direct serves kvStore from an open data directory.
type direct struct{ st *state.State }

func (d direct) KVNamespaces(ctx context.Context) ([]string, error) {
	return d.st.KVNamespaces(ctx)
}
func (d direct) CreateKVNamespace(ctx context.Context, id string) error {
	return d.st.CreateKVNamespace(ctx, id)
}
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

// command is the module's bindery subcommand, bindery kv.
func command() *bindings.Command {
	return &bindings.Command{Name: "kv", Usage: "kv key put|get|delete|list: read and write KV namespaces", Run: runKV}
}

func runKV(ctx context.Context, args []string, env bindings.CommandEnv) error {
	stdout, stderr := env.Out, env.Err
	op, rest, err := cli.Subcommand(args, "kv", "key", kvUsage, kvOpHelp, stdout, stderr)
	if op == "" {
		return err
	}
	return runKVKey(ctx, op, rest, env)
}

// kvKeyFlags are the flags of "bindery kv key".
type kvKeyFlags struct {
	cli.ConfigFlags
	binding, nsID string
	// put
	path, metadata  string
	ttl, expiration int64
	create          bool
	// get
	text bool
	// list
	prefix string
}

// runKVKey implements "bindery kv key OP".
func runKVKey(ctx context.Context, op string, args []string, env bindings.CommandEnv) error {
	stdin, stdout, stderr := env.In, env.Out, env.Err
	head, ok := kvOpHelp(op)
	if !ok {
		fmt.Fprintf(stderr, "bindery kv key: unknown command %q\n\n%s", op, kvUsage)
		return cli.ErrUsage
	}
	var f kvKeyFlags
	fs := flag.NewFlagSet("bindery kv key "+op, flag.ContinueOnError)
	fs.StringVar(&f.binding, "binding", "", "the namespace of the config's [[kv_namespaces]] entry with binding `NAME`")
	fs.StringVar(&f.nsID, "namespace-id", "", "the namespace with this `ID` (instead of --binding); it must exist, see --create")
	f.ConfigFlags.Register(fs)
	switch op {
	case "put":
		fs.StringVar(&f.path, "path", "", "read the value from `FILE` (- for standard input)")
		fs.Int64Var(&f.ttl, "ttl", 0, "expire after `SECONDS` (at least 60)")
		fs.Int64Var(&f.expiration, "expiration", 0, "expire at `UNIX` time, in seconds")
		fs.StringVar(&f.metadata, "metadata", "", "the key's metadata, as `JSON` (at most 1024 bytes)")
		fs.BoolVar(&f.create, "create", false, "create the --namespace-id namespace if the data directory does not know it")
	case "get":
		fs.BoolVar(&f.text, "text", false, "print the value as text followed by a newline")
	case "list":
		fs.StringVar(&f.prefix, "prefix", "", "only keys that start with `PREFIX`")
	}
	pos, err := cli.Parse(fs, head, args, stdout, stderr)
	if err != nil {
		return err
	}
	want := map[string][2]int{"put": {1, 2}, "get": {1, 1}, "delete": {1, 1}, "list": {0, 0}}[op]
	if len(pos) < want[0] || len(pos) > want[1] {
		fmt.Fprintf(stderr, "bindery kv key %s: wrong number of arguments %q\n\n%s", op, pos, head)
		return cli.ErrUsage
	}
	if (f.binding == "") == (f.nsID == "") {
		fmt.Fprintf(stderr, "bindery kv key %s: give exactly one of --binding and --namespace-id\n", op)
		return cli.ErrUsage
	}
	var value []byte
	if op == "put" {
		// Before the data is reached: a bad VALUE or --path changes nothing.
		if value, err = putValue(&f, pos, stdin, stderr); err != nil {
			return err
		}
	}
	dir, declared, err := kvTarget(&f, env.LoadConfig)
	if err != nil {
		return err
	}
	create := slices.Contains(declared, f.nsID) || f.create
	if _, err := os.Stat(dir); errors.Is(err, os.ErrNotExist) && !create {
		// Nothing there, so no namespace: say so without making the directory.
		return unknownNamespace(f.nsID, dir, nil, declared, op == "put")
	}
	store, where, closeFn, err := openKV(ctx, dir)
	if err != nil {
		return err
	}
	defer closeFn()
	known, ok, err := ensureNamespace(ctx, store, f.nsID, create, where)
	if err != nil {
		return err
	}
	if !ok {
		return unknownNamespace(f.nsID, where, known, declared, op == "put")
	}

	switch op {
	case "put":
		o := kv.PutOptions{ExpirationTTL: f.ttl, Expiration: f.expiration}
		if f.metadata != "" {
			o.Metadata = []byte(f.metadata)
		}
		if err := store.KVPut(ctx, f.nsID, pos[0], value, o); err != nil {
			return err
		}
		fmt.Fprintf(stderr, "Wrote key %q to namespace %s\n", pos[0], f.nsID)
	case "get":
		v, ok, err := store.KVGet(ctx, f.nsID, pos[0])
		if err != nil {
			return err
		}
		if !ok {
			return fmt.Errorf("key %q not found in namespace %s", pos[0], f.nsID)
		}
		stdout.Write(v.Value)
		if f.text {
			fmt.Fprintln(stdout)
		}
	case "delete":
		if err := store.KVDelete(ctx, f.nsID, pos[0]); err != nil {
			return err
		}
		fmt.Fprintf(stderr, "Deleted key %q from namespace %s\n", pos[0], f.nsID)
	case "list":
		return kvList(ctx, store, f.nsID, f.prefix, stdout)
	}
	return nil
}

// putValue reads the value of a put: VALUE, or the file --path names (-
// for standard input).
func putValue(f *kvKeyFlags, pos []string, stdin io.Reader, stderr io.Writer) ([]byte, error) {
	switch {
	case f.path != "" && len(pos) == 2:
		fmt.Fprintln(stderr, "bindery kv key put: give a VALUE or --path, not both")
		return nil, cli.ErrUsage
	case f.path == "-":
		return io.ReadAll(stdin)
	case f.path != "":
		return os.ReadFile(f.path)
	case len(pos) == 2:
		return []byte(pos[1]), nil
	}
	fmt.Fprintln(stderr, "bindery kv key put: give a VALUE or --path FILE")
	return nil, cli.ErrUsage
}

// kvTarget finds the data directory and, for --binding, the namespace id
// (into f.nsID); declared are the namespace ids the config in use declares
// (none when --persist-to and --namespace-id need no config).
func kvTarget(f *kvKeyFlags, loadConfig func(path, env string, optional bool) (*bindings.ConfigFile, error)) (dir string, declared []string, err error) {
	dir = f.PersistTo
	if f.binding == "" && dir != "" {
		return dir, nil, nil
	}
	cfg, err := loadConfig(f.Config, f.Env, f.nsID != "")
	if err != nil {
		return "", nil, err
	}
	if f.binding != "" {
		n, ok := kvNamespace(cfg, f.binding)
		if !ok {
			return "", nil, fmt.Errorf("%s has no kv_namespaces entry with binding %q%s", cfg.Path, f.binding, bindingNames(cfg))
		}
		f.nsID = n.LocalID()
	}
	for _, n := range Namespaces(cfg.Bindings["kv"]) {
		declared = append(declared, n.LocalID())
	}
	if dir == "" {
		dir = filepath.Join(cfg.Dir(), ".bindery", "state")
	}
	return dir, declared, nil
}

// ensureNamespace reports whether the data directory knows the namespace
// id, and which it knows; with create (the config declares the namespace,
// or put --create) it creates the namespace if need be. So a mistyped
// --namespace-id is an error, not a new namespace.
func ensureNamespace(ctx context.Context, store kvStore, id string, create bool, where string) (known []string, ok bool, err error) {
	known, err = store.KVNamespaces(ctx)
	if err != nil {
		return nil, false, fmt.Errorf("KV namespaces of %s: %w", where, err)
	}
	switch {
	case slices.Contains(known, id):
		return known, true, nil
	case create:
		return known, true, store.CreateKVNamespace(ctx, id)
	}
	return known, false, nil
}

// unknownNamespace is the error for a namespace id that is neither in the
// data directory (known) nor declared by the config: it names the id and
// those there are. canCreate says whether the command takes --create.
func unknownNamespace(id, where string, known, declared []string, canCreate bool) error {
	have := "it has none yet"
	if len(known) > 0 {
		have = "it has " + strings.Join(known, ", ")
	}
	switch extra := slices.DeleteFunc(slices.Clone(declared), func(d string) bool { return slices.Contains(known, d) }); {
	case len(extra) > 0:
		have += "; the config declares " + strings.Join(extra, ", ")
	case len(known) == 0:
		have += "; bindery dev creates those its config declares"
	}
	hint := ""
	if canCreate {
		hint = ", or add --create to create it"
	}
	return fmt.Errorf("no KV namespace %q in %s (%s): check --namespace-id%s", id, where, have, hint)
}

// kvList prints every key of a namespace (with prefix) as a JSON array.
func kvList(ctx context.Context, store kvStore, id, prefix string, stdout io.Writer) error {
	keys := []KeyInfo{}
	o := kv.ListOptions{Prefix: prefix}
	for {
		res, err := store.KVList(ctx, id, o)
		if err != nil {
			return err
		}
		for _, k := range res.Keys {
			keys = append(keys, KeyInfo{Name: k.Name, Expiration: k.Expiration, Metadata: json.RawMessage(k.Metadata)})
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

func bindingNames(cfg *bindings.ConfigFile) string {
	var names []string
	for _, n := range Namespaces(cfg.Bindings["kv"]) {
		names = append(names, n.Binding)
	}
	if len(names) == 0 {
		return " (it has none)"
	}
	return " (it has " + strings.Join(names, ", ") + ")"
}

// openKV reaches the data in dir: through a running dev server's admin API,
// or by opening the directory when no server runs. where describes which,
// for messages.
func openKV(ctx context.Context, dir string) (store kvStore, where string, closeFn func(), err error) {
	info, running, err := admin.Running(ctx, dir)
	if err != nil {
		return nil, "", nil, err
	}
	if running {
		return NewClient(info.Admin, info.Token, nil), fmt.Sprintf("the dev server on %s (admin API %s)", dir, info.Admin), func() {}, nil
	}
	st, err := state.Open(dir, state.Options{GCInterval: -1})
	if err != nil {
		return nil, "", nil, err
	}
	return direct{st}, dir, func() { st.Close() }, nil
}

// kvNamespace returns the config's kv_namespaces entry bound as binding.
func kvNamespace(cfg *bindings.ConfigFile, binding string) (Namespace, bool) {
	for _, n := range Namespaces(cfg.Bindings["kv"]) {
		if n.Binding == binding {
			return n, true
		}
	}
	return Namespace{}, false
}
