package alarms_test

import (
	"context"
	"fmt"
	"log"
	"os"
	"time"

	"github.com/bindery-run/bindery/bindings/durable/alarms"
	"github.com/bindery-run/bindery/bindings/state"
)

func Example() {
	dir, _ := os.MkdirTemp("", "alarms")
	defer os.RemoveAll(dir)
	st, err := state.Open(dir, state.Options{}) // the data directory
	if err != nil {
		log.Fatal(err)
	}
	defer st.Close()

	fired := make(chan string, 1)
	s, err := alarms.New(st.DB(), alarms.Options{
		// The object manager's Deliver runs the object's alarm event.
		Deliver: func(ctx context.Context, class, id string, info alarms.Info) error {
			fired <- fmt.Sprintf("%s %s retryCount=%d", class, id, info.RetryCount)
			return nil
		},
	})
	if err != nil {
		log.Fatal(err)
	}
	defer s.Close()
	if err := s.Start(); err != nil {
		log.Fatal(err)
	}

	ctx := context.Background()
	if err := s.Set(ctx, "Counter", "a1b2", time.Now().Add(20*time.Millisecond)); err != nil {
		log.Fatal(err)
	}
	fmt.Println(<-fired)
	_, ok, _ := s.Get(ctx, "Counter", "a1b2")
	fmt.Println("still set:", ok)
	// Output:
	// Counter a1b2 retryCount=0
	// still set: false
}
