package queuemodule

import (
	"context"
	"encoding/hex"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"text/tabwriter"
	"time"
	"unicode/utf8"

	"github.com/bindery-run/bindery/bindings"
	"github.com/bindery-run/bindery/bindings/queue"
	bstate "github.com/bindery-run/bindery/bindings/state"
	"github.com/bindery-run/bindery/internal/admin"
	"github.com/bindery-run/bindery/internal/cli"
)

const queuesUsage = `Usage: bindery queues COMMAND [ARGS] [flags]

Reads and changes the queues of a data directory:

  bindery queues list                 the queues and how many messages each holds, by state
  bindery queues info QUEUE           one queue
  bindery queues peek QUEUE           its pending, in-flight and dead-lettered messages,
                                      without consuming them
  bindery queues send QUEUE [BODY]    send a message (BODY, or --path FILE, - for standard input)
  bindery queues purge QUEUE          delete its pending messages
  bindery queues update QUEUE --message-retention-period-secs N
                                      keep its messages N seconds (at most 14 days)

Works on a running "bindery dev" (through its admin API: a message sent is
delivered at once), or on the data directory itself when no dev server runs
on it (a message sent then waits for bindery dev).

Run "bindery queues COMMAND --help" for a command's flags.
`

// queuesOps are the commands: their help head and their arguments.
var queuesOps = map[string]struct {
	head  string
	nargs int
}{
	"list":   {"Usage: bindery queues list [flags]\n\nLists the queues: ready, delayed, in-flight and dead-lettered messages, and\nretention.\n", 0},
	"info":   {"Usage: bindery queues info QUEUE [flags]\n\nDescribes QUEUE.\n", 1},
	"peek":   {"Usage: bindery queues peek QUEUE [flags]\n\nShows QUEUE's pending (ready or delayed), in-flight and dead-lettered\nmessages (those moved to its dead-letter queue), without consuming them.\n", 1},
	"send":   {"Usage: bindery queues send QUEUE [BODY] [flags]\n\nSends BODY (or the file --path names, - for standard input) to QUEUE.\n", 2},
	"purge":  {"Usage: bindery queues purge QUEUE [flags]\n\nDeletes QUEUE's pending messages (not those in flight).\n", 1},
	"update": {"Usage: bindery queues update QUEUE --message-retention-period-secs N [flags]\n\nSets how long QUEUE keeps a message (at most 1209600 s, 14 days; 0 for\nthe default of 4 days).\n", 1},
}

func command() *bindings.Command {
	return &bindings.Command{Name: "queues", Usage: "queues list|info|peek|send|purge|update: read and change Queues", Run: runQueues}
}

// queuesFlags are the flags of bindery queues.
type queuesFlags struct {
	cli.ConfigFlags
	json        bool
	limit       int
	path        string
	contentType string
	delay       int64
	retention   int64
}

func runQueues(ctx context.Context, args []string, env bindings.CommandEnv) error {
	stdout, stderr := env.Out, env.Err
	if len(args) == 0 || cli.IsHelp(args[0]) {
		if len(args) == 0 {
			fmt.Fprint(stderr, queuesUsage)
			return cli.ErrUsage
		}
		fmt.Fprint(stdout, queuesUsage)
		return nil
	}
	op, rest := args[0], args[1:]
	spec, ok := queuesOps[op]
	if !ok {
		fmt.Fprintf(stderr, "bindery queues: unknown command %q\n\n%s", op, queuesUsage)
		return cli.ErrUsage
	}
	var f queuesFlags
	fs := flag.NewFlagSet("bindery queues "+op, flag.ContinueOnError)
	f.ConfigFlags.Register(fs)
	switch op {
	case "list", "info", "peek":
		fs.BoolVar(&f.json, "json", false, "print JSON")
	}
	switch op {
	case "peek":
		fs.IntVar(&f.limit, "limit", 100, "at most `N` messages")
	case "send":
		fs.StringVar(&f.path, "path", "", "read the body from `FILE` (- for standard input)")
		fs.StringVar(&f.contentType, "content-type", "text", "the body's content `TYPE`: text, bytes or json")
		fs.Int64Var(&f.delay, "delay-seconds", 0, "deliver it after `N` seconds (at most 86400)")
	case "update":
		fs.Int64Var(&f.retention, "message-retention-period-secs", -1, "keep messages `N` seconds")
	}
	pos, err := cli.Parse(fs, spec.head, rest, stdout, stderr)
	if err != nil {
		return err
	}
	nargs := spec.nargs
	if op == "send" && f.path != "" {
		nargs--
	}
	if len(pos) != nargs {
		fmt.Fprintf(stderr, "bindery queues %s: wrong number of arguments %q\n\n%s", op, pos, spec.head)
		return cli.ErrUsage
	}
	var send queue.SendRequest
	if op == "send" {
		// Before the data is reached: a bad message changes nothing.
		if send, err = sendRequest(&f, pos, env.In); err != nil {
			return err
		}
	}
	if op == "update" && f.retention < 0 {
		fmt.Fprintf(stderr, "bindery queues update: give --message-retention-period-secs\n\n%s", spec.head)
		return cli.ErrUsage
	}
	cfgFile, err := env.LoadConfig(f.Config, f.Env, true)
	if err != nil {
		return err
	}
	dir := f.PersistTo
	if dir == "" {
		dir = filepath.Join(cfgFile.Dir(), ".bindery", "state")
	}
	store, closeStore, err := openStore(ctx, dir)
	if err != nil {
		return err
	}
	defer closeStore()
	return queuesOp(ctx, store, op, pos, &f, send, stdout, stderr)
}

// sendRequest reads the message bindery queues send sends.
func sendRequest(f *queuesFlags, pos []string, in io.Reader) (queue.SendRequest, error) {
	ct, err := queue.ParseContentType(f.contentType)
	if err != nil || ct == queue.V8 {
		return queue.SendRequest{}, fmt.Errorf("--content-type %q: want text, bytes or json", f.contentType)
	}
	var body []byte
	switch f.path {
	case "":
		body = []byte(pos[1])
	case "-":
		body, err = io.ReadAll(in)
	default:
		body, err = os.ReadFile(f.path)
	}
	if err != nil {
		return queue.SendRequest{}, err
	}
	switch {
	case ct == queue.JSON && !json.Valid(body):
		return queue.SendRequest{}, errors.New("--content-type json: the body is not JSON")
	case ct == queue.Text && !utf8.Valid(body):
		return queue.SendRequest{}, errors.New("--content-type text: the body is not UTF-8 (use --content-type bytes)")
	case f.delay < 0:
		return queue.SendRequest{}, fmt.Errorf("--delay-seconds %d is negative", f.delay)
	}
	return queue.SendRequest{Body: body, ContentType: ct, Delay: time.Duration(f.delay) * time.Second}, nil
}

// openStore returns the running dev server's queues, or the data
// directory's.
func openStore(ctx context.Context, dir string) (Store, func(), error) {
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
	b, err := queue.Open(st.DB(), queue.Options{})
	if err != nil {
		st.Close()
		return nil, nil, err
	}
	return b, func() { b.Close(); st.Close() }, nil
}

// queuesOp runs one command on store.
func queuesOp(ctx context.Context, store Store, op string, pos []string, f *queuesFlags, send queue.SendRequest, stdout, stderr io.Writer) error {
	switch op {
	case "list", "info":
		var qs []queue.Info
		if op == "list" {
			var err error
			if qs, err = store.Queues(ctx); err != nil {
				return err
			}
		} else {
			in, err := store.Info(ctx, pos[0])
			if err != nil {
				return err
			}
			qs = []queue.Info{in}
		}
		if f.json {
			out := []Info{}
			for _, q := range qs {
				out = append(out, toInfo(q))
			}
			if op == "info" {
				return printJSON(stdout, out[0])
			}
			return printJSON(stdout, out)
		}
		tw := tabwriter.NewWriter(stdout, 0, 4, 2, ' ', 0)
		fmt.Fprintln(tw, "QUEUE\tREADY\tDELAYED\tIN FLIGHT\tDEAD-LETTERED\tRETENTION\tCONSUMERS")
		for _, q := range qs {
			fmt.Fprintf(tw, "%s\t%d\t%d\t%d\t%d\t%s\t%d\n", q.Name, q.Ready, q.Delayed, q.InFlight, q.DeadLettered, q.Retention, q.Consumers)
		}
		return tw.Flush()
	case "peek":
		ps, err := store.Peek(ctx, pos[0], f.limit)
		if err != nil {
			return err
		}
		if f.json {
			out := []Message{}
			for _, p := range ps {
				out = append(out, toMessage(p))
			}
			return printJSON(stdout, out)
		}
		tw := tabwriter.NewWriter(stdout, 0, 4, 2, ' ', 0)
		fmt.Fprintln(tw, "ID\tSTATE\tQUEUE\tSENT\tDUE\tATTEMPTS\tTYPE\tBODY")
		for _, p := range ps {
			due := ""
			if !p.Due.IsZero() {
				due = p.Due.UTC().Format(time.RFC3339)
			}
			fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%d\t%s\t%s\n", p.ID, p.State, p.Queue, p.Timestamp.UTC().Format(time.RFC3339), due, p.Attempts, p.ContentType, showBody(p.Message))
		}
		return tw.Flush()
	case "send":
		if err := store.Send(ctx, pos[0], []queue.SendRequest{send}); err != nil {
			return err
		}
		fmt.Fprintf(stderr, "Sent a message of %d bytes to queue %q\n", len(send.Body), pos[0])
		return nil
	case "purge":
		n, err := store.Purge(ctx, pos[0])
		if err == nil {
			fmt.Fprintf(stderr, "Purged %d messages from queue %q\n", n, pos[0])
		}
		return err
	case "update":
		d := time.Duration(f.retention) * time.Second
		if err := store.SetRetention(ctx, pos[0], d); err != nil {
			return err
		}
		fmt.Fprintf(stderr, "Queue %q keeps its messages %s\n", pos[0], d)
		return nil
	}
	return fmt.Errorf("bindery queues: unknown command %q", op)
}

// showBody renders a body for a table cell: text and JSON as quoted text
// (at most 60 bytes), anything else as hex.
func showBody(m queue.Message) string {
	b := m.Body
	cut := ""
	if len(b) > 60 {
		b, cut = b[:60], "…"
	}
	if (m.ContentType == queue.Text || m.ContentType == queue.JSON) && utf8.Valid(b) {
		return strconv.Quote(string(b)) + cut
	}
	return hex.EncodeToString(b) + cut
}

// printJSON prints v as indented JSON.
func printJSON(w io.Writer, v any) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(v)
}
