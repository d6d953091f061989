//go:build wasip1

// Command d1-todo is a Worker that keeps a todo list in its D1 database DB
// through database/sql, as a JSON API:
//
//	POST   /todos       {"title":"..."}  -> 201 {"id":N,"title":"...","done":false}
//	GET    /todos                        -> 200 every todo, in id order
//	GET    /todos/{id}                   -> 200 the todo, or 404
//	PATCH  /todos/{id}  {"done":true}    -> 200 the updated todo (title too), or 404
//	DELETE /todos/{id}                   -> 204, or 404
//
// Errors are JSON too: {"error":"..."} with a 400 for a bad body or id.
// The table comes from migrations/0001_init.sql: run
// `bindery d1 migrations apply DB` before `bindery dev`.
package main

import (
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strconv"

	"github.com/bindery-run/bindery/guest-sdk/go/bindery"
	_ "github.com/bindery-run/bindery/guest-sdk/go/bindery/d1sql" // the "d1" driver
)

// db is the D1 binding DB; sql.Open only records the name, the first
// query opens it.
var db *sql.DB

func init() {
	var err error
	if db, err = sql.Open("d1", "DB"); err != nil {
		panic(err) // only for a driver that is not registered
	}
	mux := http.NewServeMux()
	mux.HandleFunc("POST /todos", create)
	mux.HandleFunc("GET /todos", list)
	mux.HandleFunc("GET /todos/{id}", get)
	mux.HandleFunc("PATCH /todos/{id}", update)
	mux.HandleFunc("DELETE /todos/{id}", remove)
	bindery.Serve(mux)
}

func main() {}

// Todo is one todo as the API shows it.
type Todo struct {
	ID    int64  `json:"id"`
	Title string `json:"title"`
	Done  bool   `json:"done"`
}

func create(w http.ResponseWriter, r *http.Request) {
	var in struct {
		Title *string `json:"title"`
	}
	if !decode(w, r, &in) {
		return
	}
	if in.Title == nil || *in.Title == "" {
		fail(w, http.StatusBadRequest, `"title" is required and must not be empty`)
		return
	}
	res, err := db.ExecContext(r.Context(), "INSERT INTO todos (title) VALUES (?)", *in.Title)
	if err != nil {
		fail(w, http.StatusInternalServerError, err.Error())
		return
	}
	id, _ := res.LastInsertId() // D1's meta.last_row_id
	writeJSON(w, http.StatusCreated, Todo{ID: id, Title: *in.Title})
}

func list(w http.ResponseWriter, r *http.Request) {
	rows, err := db.QueryContext(r.Context(), "SELECT id, title, done FROM todos ORDER BY id")
	if err != nil {
		fail(w, http.StatusInternalServerError, err.Error())
		return
	}
	defer rows.Close()
	todos := []Todo{}
	for rows.Next() {
		var t Todo
		if err := rows.Scan(&t.ID, &t.Title, &t.Done); err != nil {
			fail(w, http.StatusInternalServerError, err.Error())
			return
		}
		todos = append(todos, t)
	}
	if err := rows.Err(); err != nil {
		fail(w, http.StatusInternalServerError, err.Error())
		return
	}
	writeJSON(w, http.StatusOK, todos)
}

func get(w http.ResponseWriter, r *http.Request) {
	id, ok := todoID(w, r)
	if !ok {
		return
	}
	t, err := scanTodo(db.QueryRowContext(r.Context(), "SELECT id, title, done FROM todos WHERE id = ?", id))
	reply(w, id, t, err)
}

func update(w http.ResponseWriter, r *http.Request) {
	id, ok := todoID(w, r)
	if !ok {
		return
	}
	var in struct {
		Title *string `json:"title"`
		Done  *bool   `json:"done"`
	}
	if !decode(w, r, &in) {
		return
	}
	if in.Title == nil && in.Done == nil {
		fail(w, http.StatusBadRequest, `nothing to change: send "done" (true or false) and/or "title"`)
		return
	}
	if in.Title != nil && *in.Title == "" {
		fail(w, http.StatusBadRequest, `"title" must not be empty`)
		return
	}
	// A nil pointer binds NULL, which coalesce leaves as it was; a bool
	// binds 1 or 0. ?NNN lets a parameter be used in any order.
	t, err := scanTodo(db.QueryRowContext(r.Context(),
		"UPDATE todos SET title = coalesce(?1, title), done = coalesce(?2, done) WHERE id = ?3 RETURNING id, title, done",
		in.Title, in.Done, id))
	reply(w, id, t, err)
}

func remove(w http.ResponseWriter, r *http.Request) {
	id, ok := todoID(w, r)
	if !ok {
		return
	}
	res, err := db.ExecContext(r.Context(), "DELETE FROM todos WHERE id = ?", id)
	if err != nil {
		fail(w, http.StatusInternalServerError, err.Error())
		return
	}
	if n, _ := res.RowsAffected(); n == 0 { // D1's meta.changes
		fail(w, http.StatusNotFound, fmt.Sprintf("todo %d not found", id))
		return
	}
	w.WriteHeader(http.StatusNoContent)
}

// scanTodo reads one todo: done is an INTEGER 0 or 1, which Scan turns
// into a bool.
func scanTodo(row *sql.Row) (Todo, error) {
	var t Todo
	err := row.Scan(&t.ID, &t.Title, &t.Done)
	return t, err
}

// reply answers a single todo: 200, 404 when there was no row, or 500.
func reply(w http.ResponseWriter, id int64, t Todo, err error) {
	switch {
	case errors.Is(err, sql.ErrNoRows):
		fail(w, http.StatusNotFound, fmt.Sprintf("todo %d not found", id))
	case err != nil:
		fail(w, http.StatusInternalServerError, err.Error())
	default:
		writeJSON(w, http.StatusOK, t)
	}
}

// todoID is the {id} of the path, or a 400.
func todoID(w http.ResponseWriter, r *http.Request) (int64, bool) {
	id, err := strconv.ParseInt(r.PathValue("id"), 10, 64)
	if err != nil {
		fail(w, http.StatusBadRequest, fmt.Sprintf("todo id %q is not an integer", r.PathValue("id")))
		return 0, false
	}
	return id, true
}

// maxBody is the largest request body read (a title is short).
const maxBody = 64 << 10

// decode reads the JSON body into v, or answers 400 saying what is wrong.
func decode(w http.ResponseWriter, r *http.Request, v any) bool {
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, maxBody))
	if err != nil {
		fail(w, http.StatusBadRequest, fmt.Sprintf("reading the body: %v", err))
		return false
	}
	if err := json.Unmarshal(body, v); err != nil {
		fail(w, http.StatusBadRequest, fmt.Sprintf("the body is not the JSON object expected: %v", err))
		return false
	}
	return true
}

func fail(w http.ResponseWriter, status int, msg string) {
	writeJSON(w, status, map[string]string{"error": msg})
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	json.NewEncoder(w).Encode(v)
}
