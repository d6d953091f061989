//go:build wasip1

// Command cron-report is a Worker with a cron trigger: every minute
// (crons = ["* * * * *"]) its scheduled handler appends a line to KV, one
// key per run (run:<scheduled time>), and
//
//	GET /runs   lists the runs, oldest first: [{"cron", "scheduledTime"}]
//
// bindery dev fires the trigger on schedule; `bindery trigger cron` or
// /__scheduled?cron=... fire it at once.
package main

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"time"

	"github.com/bindery-run/bindery/guest-sdk/go/bindery"
	"github.com/bindery-run/bindery/guest-sdk/go/bindery/cron"
)

func init() {
	bindery.Serve(http.HandlerFunc(serve))
	cron.Handle(scheduled)
}

func main() {}

// run is one line of the report.
type run struct {
	Cron          string `json:"cron"`
	ScheduledTime string `json:"scheduledTime"`
}

// scheduled appends the run: its key sorts by time (milliseconds since
// the epoch, zero-padded), so that the list is in order.
func scheduled(ctx context.Context, c *cron.Controller) error {
	store, err := bindery.KV("STORE")
	if err != nil {
		return err
	}
	line, err := json.Marshal(run{Cron: c.Cron, ScheduledTime: c.ScheduledTime.UTC().Format(time.RFC3339)})
	if err != nil {
		return err
	}
	return store.Put(fmt.Sprintf("run:%015d:%s", c.ScheduledTime.UnixMilli(), c.Cron), line, nil)
}

func serve(w http.ResponseWriter, r *http.Request) {
	if r.URL.Path != "/runs" {
		http.NotFound(w, r)
		return
	}
	store, err := bindery.KV("STORE")
	if err != nil {
		http.Error(w, err.Error(), http.StatusInternalServerError)
		return
	}
	runs := []json.RawMessage{}
	cursor := ""
	for {
		page, err := store.List(bindery.ListOptions{Prefix: "run:", Cursor: cursor})
		if err != nil {
			http.Error(w, err.Error(), http.StatusInternalServerError)
			return
		}
		for _, k := range page.Keys {
			v, err := store.Get(k.Name)
			if err != nil {
				continue // deleted since the list
			}
			runs = append(runs, v)
		}
		if page.ListComplete {
			break
		}
		cursor = page.Cursor
	}
	w.Header().Set("Content-Type", "application/json")
	json.NewEncoder(w).Encode(runs)
}
