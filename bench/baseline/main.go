// Command baseline is the no-Wasm reference for bench/run-http.sh: Go
// net/http serving the same routes as the example Workers, with KV kept
// directly in Badger, opened with the same options bindery dev uses
// (internal/badgerdb). Bindery's HTTP numbers are reported as ratios to it.
//
//	GET /hello      -> 200 "hello"           (examples/hello)
//	GET /kv/{key}   -> 200 value, or 404     (examples/kv-rest)
//	PUT /kv/{key}   -> 204, body stored      (examples/kv-rest)
//
//	go run ./bench/baseline -addr 127.0.0.1:8790 -dir /tmp/baseline-state
package main

import (
	"errors"
	"flag"
	"io"
	"log"
	"net/http"
	"os"
	"os/signal"
	"syscall"
	"time"

	"github.com/bindery-run/bindery/internal/badgerdb"
	"github.com/dgraph-io/badger/v4"
)

// maxValue is Workers KV's value limit, as kv-rest enforces it.
const maxValue = 25 << 20

func main() {
	addr := flag.String("addr", "127.0.0.1:8790", "listen address (loopback)")
	dir := flag.String("dir", "", "Badger directory (default: a temporary one, removed on exit)")
	flag.Parse()
	d := *dir
	if d == "" {
		var err error
		if d, err = os.MkdirTemp("", "bindery-baseline-"); err != nil {
			log.Fatal(err)
		}
		defer os.RemoveAll(d)
	}
	db, err := badgerdb.Open(d, nil)
	if err != nil {
		log.Fatal(err)
	}
	defer db.Close()

	mux := http.NewServeMux()
	mux.HandleFunc("GET /hello", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		io.WriteString(w, "hello")
	})
	mux.HandleFunc("GET /kv/{key}", func(w http.ResponseWriter, r *http.Request) {
		var v []byte
		err := db.View(func(txn *badger.Txn) error {
			it, err := txn.Get([]byte(r.PathValue("key")))
			if err != nil {
				return err
			}
			v, err = it.ValueCopy(nil)
			return err
		})
		switch {
		case errors.Is(err, badger.ErrKeyNotFound):
			http.Error(w, "not found", http.StatusNotFound)
		case err != nil:
			http.Error(w, err.Error(), http.StatusInternalServerError)
		default:
			w.Header().Set("Content-Type", "application/octet-stream")
			w.Write(v)
		}
	})
	mux.HandleFunc("PUT /kv/{key}", func(w http.ResponseWriter, r *http.Request) {
		body, err := io.ReadAll(io.LimitReader(r.Body, maxValue+1))
		if err != nil {
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
		if len(body) > maxValue {
			http.Error(w, "value too large", http.StatusRequestEntityTooLarge)
			return
		}
		if err := db.Update(func(txn *badger.Txn) error {
			return txn.Set([]byte(r.PathValue("key")), body)
		}); err != nil {
			http.Error(w, err.Error(), http.StatusInternalServerError)
			return
		}
		w.WriteHeader(http.StatusNoContent)
	})

	srv := &http.Server{Addr: *addr, Handler: mux, ReadHeaderTimeout: 10 * time.Second}
	go func() {
		ch := make(chan os.Signal, 1)
		signal.Notify(ch, syscall.SIGTERM, syscall.SIGINT)
		<-ch
		srv.Close()
	}()
	log.SetFlags(0)
	log.Printf("baseline: Ready on http://%s (state %s)", *addr, d)
	if err := srv.ListenAndServe(); err != nil && !errors.Is(err, http.ErrServerClosed) {
		log.Fatal(err)
	}
}
