// Command d1-todo-go serves the two routes of bench/guests/d1-todo-c with
// the Go SDK's D1-shaped API and no router or encoding/json, so
// BenchmarkD1 can tell the cost of the SDK's D1 path from that of
// examples/d1-todo's database/sql, ServeMux and encoding/json:
//
//	GET  /todos/<id>              {"id":N,"title":"...","done":false}, or 404
//	POST /todos {"title":"..."}   201 and the new todo
//
// Like the C guest, it reads a title without JSON escapes.
package main

import (
	"bytes"
	"io"
	"net/http"
	"strconv"
	"strings"

	"github.com/bindery-run/bindery/guest-sdk/go/bindery"
)

var (
	db      *bindery.D1Database
	sel     *bindery.D1Statement
	ins     *bindery.D1Statement
	titleKy = []byte(`"title":"`)
)

func init() {
	var err error
	if db, err = bindery.D1("DB"); err != nil {
		panic(err)
	}
	sel = db.Prepare("SELECT id, title, done FROM todos WHERE id = ?")
	ins = db.Prepare("INSERT INTO todos (title) VALUES (?) RETURNING id, title, done")
	bindery.Serve(http.HandlerFunc(serve))
}

func main() {}

func serve(w http.ResponseWriter, r *http.Request) {
	switch {
	case r.Method == "GET" && strings.HasPrefix(r.URL.Path, "/todos/"):
		id, err := strconv.ParseInt(r.URL.Path[len("/todos/"):], 10, 64)
		if err != nil {
			http.Error(w, "bad id", http.StatusBadRequest)
			return
		}
		row, ok, err := sel.Bind(id).First()
		switch {
		case err != nil:
			http.Error(w, err.Error(), http.StatusInternalServerError)
		case !ok:
			http.Error(w, "not found", http.StatusNotFound)
		default:
			todo(w, http.StatusOK, row)
		}
	case r.Method == "POST" && r.URL.Path == "/todos":
		body, _ := io.ReadAll(r.Body)
		i := bytes.Index(body, titleKy)
		if i < 0 {
			http.Error(w, `want {"title":"..."}`, http.StatusBadRequest)
			return
		}
		rest := body[i+len(titleKy):]
		j := bytes.IndexByte(rest, '"')
		if j < 0 {
			http.Error(w, `want {"title":"..."}`, http.StatusBadRequest)
			return
		}
		row, _, err := ins.Bind(string(rest[:j])).First()
		if err != nil {
			http.Error(w, err.Error(), http.StatusInternalServerError)
			return
		}
		todo(w, http.StatusCreated, row)
	default:
		http.Error(w, "not found", http.StatusNotFound)
	}
}

// todo writes a row (id, title, done) as the todo's JSON.
func todo(w http.ResponseWriter, status int, row bindery.D1Row) {
	id, _ := row.Values[0].Int64()
	title, _ := row.Values[1].Text()
	done, _ := row.Values[2].Int64()
	b := make([]byte, 0, 64+len(title))
	b = append(b, `{"id":`...)
	b = strconv.AppendInt(b, id, 10)
	b = append(b, `,"title":"`...)
	b = append(b, title...)
	b = append(b, `","done":`...)
	b = strconv.AppendBool(b, done != 0)
	b = append(b, '}')
	w.Header()["Content-Type"] = []string{"application/json"}
	w.WriteHeader(status)
	w.Write(b)
}
