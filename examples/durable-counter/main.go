//go:build wasip1

// Command durable-counter is a Worker with a Durable Object class,
// Counter: one object per counter name, so increments of one name never
// race, and the value is in the object's storage.
//
//	POST /counter/{name}/increment  -> 200 {"value":N}, the new value
//	GET  /counter/{name}            -> 200 {"value":N}
//
// The Worker calls the object's RPC methods (Increment, Value) through a
// stub; the object keeps its value in its SQLite-backed storage and in
// memory between events.
package main

import (
	"encoding/json"
	"net/http"

	"github.com/bindery-run/bindery/guest-sdk/go/bindery"
	"github.com/bindery-run/bindery/guest-sdk/go/bindery/durable"
)

// Counter is the Durable Object class: one counter.
type Counter struct {
	state *durable.State
	value int64
}

// newCounter constructs a counter when it comes into memory: its value is
// loaded before its first event runs.
func newCounter(s *durable.State) any {
	c := &Counter{state: s}
	s.BlockConcurrencyWhile(func() error {
		_, err := s.Storage.Get("value", &c.value)
		return err
	})
	return c
}

// Increment adds one and returns the new value, once it is stored.
func (c *Counter) Increment() (int64, error) {
	if err := c.state.Storage.Put("value", c.value+1); err != nil {
		return 0, err
	}
	c.value++
	return c.value, nil
}

// Value returns the value.
func (c *Counter) Value() int64 { return c.value }

func init() {
	durable.Define("Counter", newCounter)
	mux := http.NewServeMux()
	mux.HandleFunc("POST /counter/{name}/increment", func(w http.ResponseWriter, r *http.Request) {
		call(w, r.PathValue("name"), "increment")
	})
	mux.HandleFunc("GET /counter/{name}", func(w http.ResponseWriter, r *http.Request) {
		call(w, r.PathValue("name"), "value")
	})
	bindery.Serve(mux)
}

// call calls method on the counter called name and answers its value.
func call(w http.ResponseWriter, name, method string) {
	ns, err := durable.Get("COUNTER")
	if err != nil {
		http.Error(w, err.Error(), http.StatusInternalServerError)
		return
	}
	stub, err := ns.GetByName(name)
	if err != nil {
		http.Error(w, err.Error(), http.StatusInternalServerError)
		return
	}
	defer stub.Close()
	var v int64
	if err := stub.Call(method, &v); err != nil {
		http.Error(w, err.Error(), http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "application/json")
	json.NewEncoder(w).Encode(map[string]int64{"value": v})
}

func main() {}
