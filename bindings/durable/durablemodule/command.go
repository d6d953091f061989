package durablemodule

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"net/url"
	"os"
	"path/filepath"
	"strconv"
	"text/tabwriter"
	"time"

	"github.com/bindery-run/bindery/bindings"
	"github.com/bindery-run/bindery/bindings/durable"
	"github.com/bindery-run/bindery/bindings/durable/alarms"
	"github.com/bindery-run/bindery/bindings/durable/storage"
	"github.com/bindery-run/bindery/bindings/durable/structured"
	bstate "github.com/bindery-run/bindery/bindings/state"
	"github.com/bindery-run/bindery/internal/admin"
	"github.com/bindery-run/bindery/internal/cli"
)

const doUsage = `Usage: bindery do COMMAND [ARGS] [flags]

Reads and edits the Durable Objects of a config's Worker:

  bindery do classes                              the classes, and how many objects have storage
  bindery do objects CLASS                        the ids of the class's objects that have storage
  bindery do storage list CLASS OBJECT            an object's keys and values
  bindery do storage get CLASS OBJECT KEY         print a value
  bindery do storage put CLASS OBJECT KEY JSON    store a value
  bindery do storage delete CLASS OBJECT KEY      delete a key
  bindery do alarm get CLASS OBJECT               print the object's alarm
  bindery do alarm trigger CLASS OBJECT           run the object's alarm now

OBJECT is an object's id (64 hex digits) or its name (the id idFromName
gives). Values are shown as JavaScript shows them (--json: as JSON); put
stores a JSON value as JSON.parse would read it. Works on the data of a
running "bindery dev" (through its admin API: a write then goes through
the object, between its events, and drops its memory, so its next event
reads what was written), or on the data directory itself when no dev
server runs on it (an alarm triggered then runs when bindery dev starts).

Run "bindery do COMMAND --help" for a command's flags.
`

// doOps are the commands: their help head and their arguments.
var doOps = map[string]struct {
	head  string
	nargs int
}{
	"classes":        {"Usage: bindery do classes [flags]\n\nLists the config's Durable Object classes: name, kind, and how many\nobjects have storage.\n", 0},
	"objects":        {"Usage: bindery do objects CLASS [flags]\n\nLists the ids of the objects of CLASS that have storage.\n", 1},
	"storage list":   {"Usage: bindery do storage list CLASS OBJECT [flags]\n\nLists an object's keys and values, in key order.\n", 2},
	"storage get":    {"Usage: bindery do storage get CLASS OBJECT KEY [flags]\n\nPrints the value of KEY as JavaScript shows it (--json: as JSON; --raw:\nits encoded bytes). A missing key is an error.\n", 3},
	"storage put":    {"Usage: bindery do storage put CLASS OBJECT KEY [JSON] [flags]\n\nStores JSON (a JSON value, e.g. '{\"n\": 1}'; or the file --path names, - for\nstandard input) as the value of KEY, as JSON.parse reads it. With --raw the\nfile's bytes are stored as they are (the structured-value encoding).\n", 3},
	"storage delete": {"Usage: bindery do storage delete CLASS OBJECT KEY [flags]\n\nDeletes KEY.\n", 3},
	"alarm get":      {"Usage: bindery do alarm get CLASS OBJECT [flags]\n\nPrints the time of the object's alarm (RFC 3339), or \"none\".\n", 2},
	"alarm trigger":  {"Usage: bindery do alarm trigger CLASS OBJECT [flags]\n\nSets the object's alarm to now: its handler runs at once (with no dev\nserver running, when bindery dev next starts).\n", 2},
}

func command() *bindings.Command {
	return &bindings.Command{Name: "do", Usage: "do classes|objects|storage|alarm: read and edit Durable Objects", Run: runDo}
}

// doFlags are the flags of bindery do.
type doFlags struct {
	cli.ConfigFlags
	json, raw, reverse bool
	prefix, start, end string
	limit              int
	path               string
}

func runDo(ctx context.Context, args []string, env bindings.CommandEnv) error {
	stdout, stderr := env.Out, env.Err
	if len(args) == 0 || cli.IsHelp(args[0]) {
		w := stderr
		if len(args) > 0 {
			w = stdout
		}
		fmt.Fprint(w, doUsage)
		if len(args) == 0 {
			return cli.ErrUsage
		}
		return nil
	}
	op, rest := args[0], args[1:]
	if op == "storage" || op == "alarm" {
		if len(rest) == 0 || cli.IsHelp(rest[0]) {
			fmt.Fprintf(stderr, "bindery do %s: missing command\n\n%s", op, doUsage)
			return cli.ErrUsage
		}
		op, rest = op+" "+rest[0], rest[1:]
	}
	spec, ok := doOps[op]
	if !ok {
		fmt.Fprintf(stderr, "bindery do: unknown command %q\n\n%s", op, doUsage)
		return cli.ErrUsage
	}
	var f doFlags
	fs := flag.NewFlagSet("bindery do "+op, flag.ContinueOnError)
	f.ConfigFlags.Register(fs)
	switch op {
	case "storage list":
		fs.StringVar(&f.prefix, "prefix", "", "only keys that start with `PREFIX`")
		fs.StringVar(&f.start, "start", "", "the first `KEY` (inclusive)")
		fs.StringVar(&f.end, "end", "", "stop before `KEY`")
		fs.BoolVar(&f.reverse, "reverse", false, "in descending order")
		fs.IntVar(&f.limit, "limit", 0, "at most `N` entries")
		fs.BoolVar(&f.json, "json", false, "print [{\"key\", \"value\"}] as JSON")
	case "storage get":
		fs.BoolVar(&f.json, "json", false, "print the value as JSON")
		fs.BoolVar(&f.raw, "raw", false, "print the value's encoded bytes")
	case "storage put":
		fs.StringVar(&f.path, "path", "", "read the value from `FILE` (- for standard input)")
		fs.BoolVar(&f.raw, "raw", false, "store the bytes of --path as they are (already encoded)")
	case "classes", "objects":
		fs.BoolVar(&f.json, "json", false, "print JSON")
	}
	pos, err := cli.Parse(fs, spec.head, rest, stdout, stderr)
	if err != nil {
		return err
	}
	nargs := spec.nargs
	if op == "storage put" && f.path == "" {
		nargs++
	}
	if len(pos) != nargs {
		fmt.Fprintf(stderr, "bindery do %s: wrong number of arguments %q\n\n%s", op, pos, spec.head)
		return cli.ErrUsage
	}
	if f.json && f.raw {
		fmt.Fprintf(stderr, "bindery do %s: give --json or --raw, not both\n", op)
		return cli.ErrUsage
	}
	var value []byte
	if op == "storage put" {
		// Before the data is reached: a bad value changes nothing.
		if value, err = putValue(&f, pos, env.In); err != nil {
			return err
		}
	}
	cfgFile, err := env.LoadConfig(f.Config, f.Env, false)
	if err != nil {
		return err
	}
	c := Parsed(cfgFile.Bindings["durable"])
	if c == nil {
		return fmt.Errorf("%s declares no Durable Objects (durable_objects, migrations)", cfgFile.Path)
	}
	dir := f.PersistTo
	if dir == "" {
		dir = filepath.Join(cfgFile.Dir(), ".bindery", "state")
	}
	store, closeStore, err := openStore(ctx, dir, cfgFile.Name, localClasses(c))
	if err != nil {
		return err
	}
	defer closeStore()
	return doOp(ctx, store, op, pos, &f, value, stdout, stderr)
}

// doOp runs one command on store.
func doOp(ctx context.Context, store Store, op string, pos []string, f *doFlags, value []byte, stdout, stderr io.Writer) error {
	switch op {
	case "classes":
		cs, err := store.Classes(ctx)
		if err != nil || f.json {
			return printJSON(stdout, cs, err)
		}
		tw := tabwriter.NewWriter(stdout, 0, 4, 2, ' ', 0)
		fmt.Fprintln(tw, "CLASS\tSTORAGE\tOBJECTS")
		for _, c := range cs {
			kind := "KV-backed"
			if c.SQLite {
				kind = "SQLite"
			}
			fmt.Fprintf(tw, "%s\t%s\t%d\n", c.Name, kind, c.Objects)
		}
		return tw.Flush()
	case "objects":
		ids, err := store.Objects(ctx, pos[0])
		if err != nil || f.json {
			return printJSON(stdout, ids, err)
		}
		for _, id := range ids {
			fmt.Fprintln(stdout, id)
		}
		return nil
	case "storage list":
		q := url.Values{}
		if f.prefix != "" {
			q.Set("prefix", f.prefix)
		}
		if f.start != "" {
			q.Set("start", f.start)
		}
		if f.end != "" {
			q.Set("end", f.end)
		}
		if f.reverse {
			q.Set("reverse", "true")
		}
		if f.limit != 0 {
			q.Set("limit", strconv.Itoa(f.limit))
		}
		res, err := store.List(ctx, pos[0], pos[1], q)
		if err != nil {
			return err
		}
		if f.json {
			out := make([]map[string]json.RawMessage, len(res.Entries))
			for i, e := range res.Entries {
				k, _ := json.Marshal(e.Key)
				out[i] = map[string]json.RawMessage{"key": k, "value": valueJSON(e.Value)}
			}
			return printJSON(stdout, out, nil)
		}
		for _, e := range res.Entries {
			fmt.Fprintf(stdout, "%s\t%s\n", strconv.Quote(e.Key), show(e.Value))
		}
		return nil
	case "storage get":
		v, ok, err := store.Get(ctx, pos[0], pos[1], pos[2])
		switch {
		case err != nil:
			return err
		case !ok:
			return fmt.Errorf("no key %q in %s object %s", pos[2], pos[0], pos[1])
		case f.raw:
			_, err = stdout.Write(v)
			return err
		case f.json:
			_, err = fmt.Fprintf(stdout, "%s\n", valueJSON(v))
			return err
		}
		_, err = fmt.Fprintln(stdout, show(v))
		return err
	case "storage put":
		id, err := store.Put(ctx, pos[0], pos[1], pos[2], value)
		if err == nil {
			fmt.Fprintf(stderr, "Wrote key %q of %s object %s\n", pos[2], pos[0], id)
		}
		return err
	case "storage delete":
		ok, err := store.Delete(ctx, pos[0], pos[1], pos[2])
		if err == nil {
			if !ok {
				return fmt.Errorf("no key %q in %s object %s", pos[2], pos[0], pos[1])
			}
			fmt.Fprintf(stderr, "Deleted key %q of %s object %s\n", pos[2], pos[0], pos[1])
		}
		return err
	case "alarm get":
		ms, err := store.Alarm(ctx, pos[0], pos[1])
		if err != nil {
			return err
		}
		if ms == nil {
			fmt.Fprintln(stdout, "none")
			return nil
		}
		fmt.Fprintln(stdout, time.UnixMilli(*ms).UTC().Format("2006-01-02T15:04:05.000Z07:00"))
		return nil
	case "alarm trigger":
		if err := store.TriggerAlarm(ctx, pos[0], pos[1]); err != nil {
			return err
		}
		fmt.Fprintf(stderr, "Triggered the alarm of %s object %s\n", pos[0], pos[1])
	}
	return nil
}

// show formats an encoded value as JavaScript shows it; bytes that are
// not the encoding are shown as such.
func show(b []byte) string {
	v, err := structured.Decode(b)
	if err != nil {
		return fmt.Sprintf("<%d bytes, not a structured value: %v>", len(b), err)
	}
	return structured.Format(v)
}

// valueJSON is an encoded value as JSON; null with a note on stderr is
// not possible here, so bytes that are not the encoding are a JSON
// string saying so.
func valueJSON(b []byte) json.RawMessage {
	v, err := structured.Decode(b)
	if err != nil {
		m, _ := json.Marshal(fmt.Sprintf("<%d bytes, not a structured value: %v>", len(b), err))
		return m
	}
	return structured.ToJSON(v)
}

func printJSON(w io.Writer, v any, err error) error {
	if err != nil {
		return err
	}
	b, err := json.MarshalIndent(v, "", "  ")
	if err != nil {
		return err
	}
	_, err = fmt.Fprintf(w, "%s\n", b)
	return err
}

// putValue reads and encodes the value of a put.
func putValue(f *doFlags, pos []string, stdin io.Reader) ([]byte, error) {
	var data []byte
	var err error
	switch {
	case f.path == "-":
		data, err = io.ReadAll(stdin)
	case f.path != "":
		data, err = os.ReadFile(f.path)
	default:
		data = []byte(pos[3])
	}
	if err != nil {
		return nil, fmt.Errorf("reading the value: %w", err)
	}
	if f.raw {
		if _, err := structured.Decode(data); err != nil {
			return nil, fmt.Errorf("--raw: the bytes are not a structured value: %w", err)
		}
		return data, nil
	}
	v, err := structured.EncodeJSON(data)
	if err != nil {
		return nil, fmt.Errorf("the value is not JSON: %w", err)
	}
	return v, nil
}

// localClasses is the class set a Worker's config gives: its migrations'
// classes and, as wrangler dev, a KV-backed one for a local binding no
// migration creates.
func localClasses(c *Config) Classes {
	classes := Classes{}
	for name, cl := range c.Classes {
		classes[name] = cl
	}
	for _, b := range c.Bindings {
		if _, ok := classes[b.ClassName]; !ok && b.Local() {
			classes[b.ClassName] = Class{Name: b.ClassName}
		}
	}
	return classes
}

// openStore reaches the data in dir: through a running dev server's
// admin API, or by opening the directory when no server runs.
func openStore(ctx context.Context, dir, worker string, classes Classes) (Store, func(), error) {
	info, running, err := admin.Running(ctx, dir)
	if err != nil {
		return nil, nil, err
	}
	if running {
		return NewClient(info.Admin, info.Token, nil), func() {}, nil
	}
	if _, err := os.Stat(dir); err != nil {
		return nil, nil, fmt.Errorf("no data directory %s: bindery dev has not run there (or give --persist-to)", dir)
	}
	st, err := bstate.Open(dir, bstate.Options{GCInterval: -1})
	if err != nil {
		return nil, nil, err
	}
	db := st.DB()
	var sched *alarms.Scheduler
	l := &local{worker: worker, classes: classes, db: db, dir: dir,
		objectID: func(ctx context.Context, class, object string) (durable.ID, error) {
			ns, err := durable.OpenNamespace(ctx, st.DurableKeys(), classes[class].StorageName(worker))
			if err != nil {
				return durable.ID{}, err
			}
			if id, err := ns.IDFromString(object); err == nil {
				return id, nil
			}
			return ns.IDFromName(object), nil
		},
		do: func(ctx context.Context, class string, id durable.ID, write bool, fn func(ctx context.Context, s storage.Storage) error) error {
			cl := classes[class]
			var s storage.Storage = storage.NewBadger(db, cl.StorageName(worker), id.String())
			if cl.SQLite {
				s = storage.NewSQLite(filepath.Join(Dir(dir, cl.StorageName(worker)), id.String()+".sqlite"), storage.SQLiteOptions{})
			}
			defer s.Close()
			return fn(ctx, s)
		},
		alarms: func() (*alarms.Scheduler, error) {
			if sched == nil {
				var err error
				// Not started: nothing is delivered here.
				sched, err = alarms.New(db, alarms.Options{Deliver: func(context.Context, string, string, alarms.Info) error { return nil }})
				if err != nil {
					return nil, err
				}
			}
			return sched, nil
		},
	}
	return l, func() {
		if sched != nil {
			sched.Close()
		}
		st.Close()
	}, nil
}
