//go:build wasip1

// Command queue-pipeline is a Worker that produces to a queue and
// consumes it:
//
//	POST /enqueue       the body is a JSON message with an "id": sent to
//	                    queue "jobs" (202 {"id"}); {"fail": true} makes
//	                    its processing throw, every time
//	GET  /status/{id}   {"state": "done" | "dead" | "pending"}
//
// The consumer of "jobs" writes each processed message's id to KV key
// done:<id>; a message that fails is retried twice (max_retries = 2),
// then moves to the dead-letter queue "jobs-dlq", whose consumer writes
// dead:<id>.
package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"strings"

	"github.com/bindery-run/bindery/guest-sdk/go/bindery"
	"github.com/bindery-run/bindery/guest-sdk/go/bindery/queue"
)

func init() {
	bindery.Serve(http.HandlerFunc(serve))
	queue.Handle(consume)
}

func main() {}

// job is a message of the pipeline.
type job struct {
	ID   string `json:"id"`
	Fail bool   `json:"fail"`
}

func serve(w http.ResponseWriter, r *http.Request) {
	switch {
	case r.Method == "POST" && r.URL.Path == "/enqueue":
		enqueue(w, r)
	case r.Method == "GET" && strings.HasPrefix(r.URL.Path, "/status/"):
		status(w, strings.TrimPrefix(r.URL.Path, "/status/"))
	default:
		http.NotFound(w, r)
	}
}

func enqueue(w http.ResponseWriter, r *http.Request) {
	body, err := io.ReadAll(r.Body)
	if err != nil {
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	}
	var j job
	if err := json.Unmarshal(body, &j); err != nil || j.ID == "" {
		http.Error(w, `the body must be a JSON object with an "id"`, http.StatusBadRequest)
		return
	}
	jobs, err := queue.Get("JOBS")
	if err == nil {
		// The message as it came: the consumer reads it as JSON.
		err = jobs.Send(json.RawMessage(body), &queue.SendOptions{ContentType: queue.JSON})
	}
	switch {
	case errors.Is(err, queue.ErrTooLarge):
		http.Error(w, err.Error(), http.StatusRequestEntityTooLarge)
	case err != nil:
		http.Error(w, err.Error(), http.StatusInternalServerError)
	default:
		writeJSON(w, http.StatusAccepted, map[string]string{"id": j.ID})
	}
}

func status(w http.ResponseWriter, id string) {
	store, err := bindery.KV("STORE")
	if err != nil {
		http.Error(w, err.Error(), http.StatusInternalServerError)
		return
	}
	state := "pending"
	for _, s := range []string{"done", "dead"} {
		_, err := store.Get(s + ":" + id)
		switch {
		case err == nil:
			state = s
		case !errors.Is(err, bindery.ErrNotFound):
			http.Error(w, err.Error(), http.StatusInternalServerError)
			return
		}
	}
	writeJSON(w, http.StatusOK, map[string]string{"state": state})
}

// consume handles a batch of "jobs" or of its dead-letter queue: each
// message done is acked at once, so that a failing one, which throws
// after the loop, retries only itself.
func consume(ctx context.Context, b *queue.Batch) error {
	store, err := bindery.KV("STORE")
	if err != nil {
		return err
	}
	mark := "done:"
	if b.Queue == "jobs-dlq" {
		mark = "dead:"
	}
	var failed []string
	for _, m := range b.Messages {
		var j job
		if err := m.JSON(&j); err != nil {
			fmt.Fprintf(os.Stderr, "message %s is not a job: %v\n", m.ID, err)
			m.Ack()
			continue
		}
		if j.Fail && b.Queue == "jobs" {
			failed = append(failed, j.ID)
			continue
		}
		if err := store.Put(mark+j.ID, []byte(m.ID), nil); err != nil {
			return err // the whole batch, but what was acked, is retried
		}
		m.Ack()
	}
	if len(failed) > 0 {
		return fmt.Errorf("jobs %q failed", failed)
	}
	return nil
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	json.NewEncoder(w).Encode(v)
}
