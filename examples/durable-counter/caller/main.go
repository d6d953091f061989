//go:build wasip1

// Command caller is a Worker that increments the counters of another
// Worker, durable-counter, whose class Counter it binds with script_name:
//
//	POST /hit/{name}  -> 200 {"value":N}, the counter's new value
package main

import (
	"encoding/json"
	"net/http"

	"github.com/bindery-run/bindery/guest-sdk/go/bindery"
	"github.com/bindery-run/bindery/guest-sdk/go/bindery/durable"
)

func init() {
	mux := http.NewServeMux()
	mux.HandleFunc("POST /hit/{name}", func(w http.ResponseWriter, r *http.Request) {
		ns, err := durable.Get("COUNTER")
		if err != nil {
			http.Error(w, err.Error(), http.StatusInternalServerError)
			return
		}
		stub, err := ns.GetByName(r.PathValue("name"))
		if err != nil {
			http.Error(w, err.Error(), http.StatusInternalServerError)
			return
		}
		defer stub.Close()
		var v int64
		if err := stub.Call("increment", &v); err != nil {
			http.Error(w, err.Error(), http.StatusInternalServerError)
			return
		}
		w.Header().Set("Content-Type", "application/json")
		json.NewEncoder(w).Encode(map[string]int64{"value": v})
	})
	bindery.Serve(mux)
}

func main() {}
