package queue_test

import (
	"context"
	"fmt"
	"log"
	"os"
	"time"

	"github.com/bindery-run/bindery/bindings/queue"
	"github.com/bindery-run/bindery/bindings/state"
)

func Example() {
	dir, _ := os.MkdirTemp("", "queue")
	defer os.RemoveAll(dir)
	st, err := state.Open(dir, state.Options{}) // the data directory
	if err != nil {
		log.Fatal(err)
	}
	defer st.Close()
	b, err := queue.Open(st.DB(), queue.Options{})
	if err != nil {
		log.Fatal(err)
	}
	defer b.Close()

	done := make(chan struct{})
	// host/queuehost's Handler calls the Worker's queue handler.
	_, err = b.Consume("jobs", queue.ConsumerConfig{MaxBatchSize: 2, MaxBatchTimeout: 50 * time.Millisecond},
		func(ctx context.Context, name string, batch []queue.Message) queue.Outcome {
			for _, m := range batch {
				fmt.Printf("%s: %s (%s, attempt %d)\n", name, m.Body, m.ContentType, m.Attempts)
			}
			if batch[0].Attempts == 1 {
				return queue.Outcome{Retried: []queue.Retry{{Index: 0}}} // once more, at once
			}
			close(done)
			return queue.Outcome{}
		})
	if err != nil {
		log.Fatal(err)
	}
	err = b.Send(context.Background(), "jobs", []queue.SendRequest{
		{Body: []byte("first"), ContentType: queue.Text},
		{Body: []byte(`{"n":2}`), ContentType: queue.JSON},
	})
	if err != nil {
		log.Fatal(err)
	}
	<-done
	// Output:
	// jobs: first (text, attempt 1)
	// jobs: {"n":2} (json, attempt 1)
	// jobs: first (text, attempt 2)
}
