//go:build wasip1

// Command go is the conformance Worker in Go: the contract every language
// implements (see conformance/harness_test.go), written with guest-sdk/go.
//
//	cd conformance/go && GOOS=wasip1 GOARCH=wasm go build -buildmode=c-shared -o go.wasm .
package main

import (
	"bytes"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"

	"github.com/bindery-run/bindery/guest-sdk/go/bindery"
)

func init() {
	bindery.Serve(http.HandlerFunc(serve))
}

func serve(w http.ResponseWriter, r *http.Request) {
	p := r.URL.Path
	switch {
	case p == "/hello" && r.Method == "GET":
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		io.WriteString(w, "hello from go")
	case strings.HasPrefix(p, "/kv/"):
		kv(w, r, strings.TrimPrefix(p, "/kv/"))
	case p == "/vars" && r.Method == "GET":
		greeting, _ := bindery.Var("GREETING")
		_, secret := bindery.Secret("API_TOKEN")
		b, _ := json.Marshal(struct {
			Greeting  string `json:"greeting"`
			SecretSet bool   `json:"secret_set"`
		}{greeting, secret})
		w.Header().Set("Content-Type", "application/json")
		w.Write(b)
	case p == "/kv-too-long" && r.Method == "PUT":
		store, err := bindery.KV("STORE")
		if err == nil {
			err = store.Put(strings.Repeat("k", 513), []byte("x"), nil)
		}
		if err == nil {
			http.Error(w, "a 513-byte key was accepted", 500)
			return
		}
		http.Error(w, err.Error(), 400)
	case p == "/echo" && r.Method == "POST":
		w.Header().Set("Content-Type", "application/octet-stream")
		buf := make([]byte, 64<<10)
		io.CopyBuffer(struct{ io.Writer }{w}, r.Body, buf) // read and write, not splice
	case strings.HasPrefix(p, "/r2/"):
		r2(w, r, strings.TrimPrefix(p, "/r2/"))
	case strings.HasPrefix(p, "/d1/"):
		d1(w, r, p)
	case strings.HasPrefix(p, "/do/"):
		doRoute(w, r, p)
	case strings.HasPrefix(p, "/queue/"), strings.HasPrefix(p, "/cron/"):
		queueRoute(w, r, p)
	case p == "/trap":
		// The SDK recovers a handler's panic (a 500, no trap); a panic on
		// another goroutine cannot be recovered: the runtime exits, which
		// ends the instance as a trap does.
		block := make(chan struct{})
		go func() { panic("conformance: trap") }()
		<-block
	case p == "/fail":
		// The SDK recovers the panic and fails the request through the host.
		panic(failure)
	case p == "/fail-stream":
		w.Header().Set("Content-Type", "application/octet-stream")
		w.Write(bytes.Repeat([]byte("x"), 128<<10))
		w.(http.Flusher).Flush()
		panic(failure + " mid-stream")
	case p == "/kv-not-utf8" && r.Method == "PUT":
		// The SDK refuses the key before it reaches the host.
		store, err := bindery.KV("STORE")
		if err == nil {
			err = store.Put("\xff\xfe", []byte("x"), nil)
		}
		if !errors.Is(err, bindery.ErrInvalidKey) {
			http.Error(w, fmt.Sprintf("want an invalid-key error, got %v", err), 500)
			return
		}
		http.Error(w, err.Error(), 400)
	default:
		http.NotFound(w, r)
	}
}

// failure is the reason /fail and /fail-stream give: the host logs it,
// the client never sees it.
const failure = "ConformanceFailure: failed on purpose"

func kv(w http.ResponseWriter, r *http.Request, key string) {
	store, err := bindery.KV("STORE")
	if err != nil {
		http.Error(w, err.Error(), 500)
		return
	}
	switch r.Method {
	case "PUT":
		body, _ := io.ReadAll(r.Body)
		if err := store.Put(key, body, nil); err != nil {
			http.Error(w, err.Error(), 400)
			return
		}
		w.WriteHeader(204)
	case "GET":
		v, err := store.Get(key)
		if errors.Is(err, bindery.ErrNotFound) {
			http.Error(w, "not found", 404)
			return
		} else if err != nil {
			http.Error(w, err.Error(), 500)
			return
		}
		w.Write(v)
	case "DELETE":
		if err := store.Delete(key); err != nil {
			http.Error(w, err.Error(), 500)
			return
		}
		w.WriteHeader(204)
	default:
		http.Error(w, "method not allowed", 405)
	}
}

func r2(w http.ResponseWriter, r *http.Request, key string) {
	b, err := bindery.R2("FILES")
	if err != nil {
		http.Error(w, err.Error(), 500)
		return
	}
	switch r.Method {
	case "PUT":
		obj, err := b.Put(key, r.Body, nil)
		if err != nil {
			http.Error(w, err.Error(), 400)
			return
		}
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(201)
		fmt.Fprintf(w, `{"etag":%q,"size":%d}`, obj.ETag, obj.Size)
	case "GET":
		obj, err := b.Get(key, nil)
		if errors.Is(err, bindery.ErrNotFound) {
			http.Error(w, "not found", 404)
			return
		} else if err != nil {
			http.Error(w, err.Error(), 500)
			return
		}
		defer obj.Body.Close()
		io.Copy(w, obj.Body) // splices inside the host
	default:
		http.Error(w, "method not allowed", 405)
	}
}

// d1 answers the D1 section (conformance/d1_test.go).
func d1(w http.ResponseWriter, r *http.Request, path string) {
	db, err := bindery.D1("DB")
	if err != nil {
		http.Error(w, err.Error(), 500)
		return
	}
	var out any
	switch path {
	case "/d1/setup":
		res, err := db.Exec("DROP TABLE IF EXISTS t; CREATE TABLE t (id INTEGER PRIMARY KEY, name TEXT NOT NULL, n INTEGER, r REAL, b BLOB)")
		if err != nil {
			http.Error(w, err.Error(), 500)
			return
		}
		out = map[string]any{"count": res.Count}
	case "/d1/insert":
		res, err := db.Prepare("INSERT INTO t (name, n, r, b) VALUES (?1, ?2, ?3, ?4)").
			Bind("héllo", int64(9007199254740993), 1.5, []byte{0, 1, 0xff}).Run()
		if err != nil {
			http.Error(w, err.Error(), 500)
			return
		}
		out = map[string]any{"success": res.Success, "changes": res.Meta.Changes, "last_row_id": res.Meta.LastRowID,
			"rows_written": res.Meta.RowsWritten, "changed_db": res.Meta.ChangedDB}
	case "/d1/row":
		row, ok, err := db.Prepare("SELECT id, name, n, r, b, NULL AS z FROM t WHERE id = ?").Bind(1).First()
		if err != nil || !ok {
			http.Error(w, fmt.Sprintf("no row: %v", err), 500)
			return
		}
		m := map[string]any{}
		for i, c := range row.Columns {
			m[c] = d1JSON(row.Values[i])
		}
		out = m
	case "/d1/first":
		name, err := db.Prepare("SELECT name FROM t WHERE id = 1").FirstValue("name")
		if err != nil {
			http.Error(w, err.Error(), 500)
			return
		}
		_, found, err := db.Prepare("SELECT * FROM t WHERE id = 999").First()
		if err != nil {
			http.Error(w, err.Error(), 500)
			return
		}
		var none any
		if found {
			none = "a row"
		}
		out = map[string]any{"name": d1JSON(name), "none": none}
	case "/d1/raw":
		rows, err := db.Prepare("SELECT id, name FROM t ORDER BY id").Raw(true)
		if err != nil {
			http.Error(w, err.Error(), 500)
			return
		}
		arr := make([][]any, len(rows))
		for i, row := range rows {
			arr[i] = make([]any, len(row))
			for j, v := range row {
				arr[i][j] = d1JSON(v)
			}
		}
		out = arr
	case "/d1/batch":
		ins := db.Prepare("INSERT INTO t (name) VALUES (?)")
		res, err := db.Batch(ins.Bind("a"), ins.Bind("b"), db.Prepare("SELECT count(*) AS c FROM t"))
		if err != nil {
			http.Error(w, err.Error(), 500)
			return
		}
		c, _ := res[2].Row(0).Get("c")
		out = map[string]any{"results": len(res), "count": d1JSON(c)}
	case "/d1/batch-fail":
		_, err := db.Batch(db.Prepare("INSERT INTO t (id, name) VALUES (10, 'x')"), db.Prepare("INSERT INTO t (id, name) VALUES (1, 'dup')"))
		if err == nil {
			http.Error(w, "the batch succeeded", 500)
			return
		}
		c, cerr := db.Prepare("SELECT count(*) AS c FROM t").FirstValue("c")
		if cerr != nil {
			http.Error(w, cerr.Error(), 500)
			return
		}
		out = map[string]any{"error": err.Error(), "count": d1JSON(c)}
	case "/d1/errors":
		msg := func(err error) string {
			if err == nil {
				return "no error"
			}
			return err.Error()
		}
		_, sqlErr := db.Prepare("SELECT * FROM nope").All()
		_, refused := db.Prepare("ATTACH DATABASE 'x.db' AS x").Run()
		params := make([]any, 101)
		for i := range params {
			params[i] = i
		}
		_, tooMany := db.Prepare("SELECT ?" + strings.Repeat(",?", 100)).Bind(params...).All()
		out = map[string]any{"sql": msg(sqlErr), "refused": msg(refused), "params": msg(tooMany)}
	case "/d1/session":
		s, err := db.WithSession("first-primary")
		if err != nil {
			http.Error(w, err.Error(), 500)
			return
		}
		defer s.Close()
		c, err := s.Prepare("SELECT count(*) AS c FROM t").FirstValue("c")
		if err != nil {
			http.Error(w, err.Error(), 500)
			return
		}
		var bookmark any
		if b, ok := s.Bookmark(); ok {
			bookmark = b
		}
		out = map[string]any{"count": d1JSON(c), "bookmark": bookmark}
	default:
		http.NotFound(w, r)
		return
	}
	w.Header().Set("Content-Type", "application/json")
	json.NewEncoder(w).Encode(out)
}

// d1JSON renders a value as the D1 section compares it: an integer as
// its decimal text, a real as a number, text as a string, a blob as
// lower-case hex, NULL as null.
func d1JSON(v bindery.D1Value) any {
	switch v.Kind() {
	case bindery.D1Integer:
		return v.String()
	case bindery.D1Blob:
		b, _ := v.Blob()
		return hex.EncodeToString(b)
	}
	return v.Any()
}

func main() {}
