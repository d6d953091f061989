package cronmodule

import (
	"context"
	"flag"
	"fmt"
	"net/url"
	"path/filepath"
	"strconv"
	"time"

	"github.com/bindery-run/bindery/bindings"
	"github.com/bindery-run/bindery/internal/admin"
	"github.com/bindery-run/bindery/internal/cli"
)

const triggerUsage = `Usage: bindery trigger cron [EXPR] [flags]

Runs the scheduled handler of a running "bindery dev" now, with EXPR as
controller.cron (default ""; any text, as wrangler's /__scheduled takes),
as the dev server's /__scheduled?cron=EXPR does.
`

func command() *bindings.Command {
	return &bindings.Command{Name: "trigger", Usage: "trigger cron [EXPR]: run the Worker's scheduled handler now", Run: runTrigger}
}

func runTrigger(ctx context.Context, args []string, env bindings.CommandEnv) error {
	stdout, stderr := env.Out, env.Err
	switch {
	case len(args) == 0:
		fmt.Fprint(stderr, triggerUsage)
		return cli.ErrUsage
	case cli.IsHelp(args[0]):
		fmt.Fprint(stdout, triggerUsage)
		return nil
	case args[0] != "cron":
		fmt.Fprintf(stderr, "bindery trigger: unknown event %q (only cron)\n\n%s", args[0], triggerUsage)
		return cli.ErrUsage
	}
	var cf cli.ConfigFlags
	var worker, at string
	fs := flag.NewFlagSet("bindery trigger cron", flag.ContinueOnError)
	cf.Register(fs)
	fs.StringVar(&worker, "worker", "", "the `NAME` of the Worker, when bindery dev serves several (default the first)")
	fs.StringVar(&at, "time", "", "controller.scheduledTime: an RFC 3339 `TIME` (default now)")
	pos, err := cli.Parse(fs, triggerUsage, args[1:], stdout, stderr)
	if err != nil {
		return err
	}
	if len(pos) > 1 {
		fmt.Fprintf(stderr, "bindery trigger cron: give one expression, quoted (got %q)\n\n%s", pos, triggerUsage)
		return cli.ErrUsage
	}
	q := url.Values{}
	if len(pos) == 1 {
		q.Set("cron", pos[0])
	}
	if worker != "" {
		q.Set("worker", worker)
	}
	if at != "" {
		t, err := time.Parse(time.RFC3339, at)
		if err != nil {
			return fmt.Errorf("--time %q: want an RFC 3339 time such as 2026-12-08T12:00:00Z", at)
		}
		q.Set("time", strconv.FormatInt(t.UnixMilli(), 10))
	}
	cfgFile, err := env.LoadConfig(cf.Config, cf.Env, true)
	if err != nil {
		return err
	}
	dir := cf.PersistTo
	if dir == "" {
		dir = filepath.Join(cfgFile.Dir(), ".bindery", "state")
	}
	info, running, err := admin.Running(ctx, dir)
	if err != nil {
		return err
	}
	if !running {
		return fmt.Errorf("no bindery dev runs on %s: start it first (a scheduled handler runs in the dev server)", dir)
	}
	c := &admin.Client{URL: info.Admin, Token: info.Token}
	resp, err := c.Request(ctx, "POST", "/api/cron/trigger", q, nil, nil, 0)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	if resp.StatusCode != 200 {
		return admin.ReadError(resp, nil)
	}
	fmt.Fprintf(stderr, "Ran the scheduled handler with cron %q\n", q.Get("cron"))
	return nil
}
