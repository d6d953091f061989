//go:build wasip1

package main

import (
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math/big"
	"net/http"
	"strings"
	"time"

	"github.com/bindery-run/bindery/guest-sdk/go/bindery/durable"
	"github.com/bindery-run/bindery/guest-sdk/go/bindery/structured"
)

// The Durable Objects section (conformance/durable_test.go): the Worker's
// routes under /do/ and the class Conformance.

func init() {
	durable.Define("Conformance", func(s *durable.State) any { return &object{s: s} })
}

// object is the Conformance class.
type object struct {
	s       *durable.State
	fetches int
	count   int
}

// ServeHTTP answers a request sent with stub.fetch, or accepts a web
// socket.
func (o *object) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if r.Header.Get("Upgrade") == "websocket" {
		if _, err := o.s.AcceptWebSocket(w, "conf"); err != nil {
			http.Error(w, err.Error(), 500)
		}
		return
	}
	o.fetches++
	body, _ := io.ReadAll(r.Body)
	name, _ := o.s.ID.Name()
	writeJSON(w, map[string]any{"name": name, "id": o.s.ID.String(), "method": r.Method, "body": string(body), "fetches": o.fetches})
}

// Add returns a + b.
func (o *object) Add(a, b float64) float64 { return a + b }

// Echo returns its argument.
func (o *object) Echo(v any) any { return v }

// Incr adds one to the stored count and returns it.
func (o *object) Incr() (int, error) {
	if _, err := o.s.Storage.Get("count", &o.count); err != nil {
		return 0, err
	}
	o.count++
	return o.count, o.s.Storage.Put("count", o.count)
}

// Storage exercises the key-value API.
func (o *object) Storage() (map[string]any, error) {
	st := o.s.Storage
	if err := st.PutMultiple(map[string]any{"k1": 1, "k2": "two", "k3": []int{1, 2}}); err != nil {
		return nil, err
	}
	deleted, err := st.Delete("k1")
	if err != nil {
		return nil, err
	}
	again, _ := st.Delete("k1")
	all, err := st.List(durable.ListOptions{Prefix: "k"})
	if err != nil {
		return nil, err
	}
	last, err := st.List(durable.ListOptions{Reverse: true, Limit: 1})
	if err != nil {
		return nil, err
	}
	var k2 string
	st.Get("k2", &k2)
	var none any
	found, _ := st.Get("nope", &none)
	return map[string]any{"deleted": deleted, "deletedAgain": again, "keys": keys(all), "last": keys(last), "k2": k2, "missing": !found}, nil
}

func keys(es []durable.Entry) []string {
	out := []string{}
	for _, e := range es {
		out = append(out, e.Key)
	}
	return out
}

// Txn checks a rolled-back and a committed transaction.
func (o *object) Txn() (map[string]any, error) {
	st := o.s.Storage
	if err := st.Put("t", 1); err != nil {
		return nil, err
	}
	err := st.Transaction(func(tx *durable.Storage) error {
		if err := tx.Put("t", 2); err != nil {
			return err
		}
		return errors.New("roll back")
	})
	if err == nil || err.Error() != "roll back" {
		return nil, fmt.Errorf("the transaction returned %v", err)
	}
	var a, b int
	st.Get("t", &a)
	if err := st.Transaction(func(tx *durable.Storage) error { return tx.Put("t", 3) }); err != nil {
		return nil, err
	}
	st.Get("t", &b)
	return map[string]any{"afterRollback": a, "afterCommit": b}, nil
}

// SQL checks sql.exec.
func (o *object) SQL() (map[string]any, error) {
	q := o.s.Storage.SQL()
	if _, err := q.Exec("CREATE TABLE IF NOT EXISTS r (id INTEGER PRIMARY KEY, v TEXT)"); err != nil {
		return nil, err
	}
	ins, err := q.Exec("INSERT INTO r (v) VALUES (?)", "x")
	if err != nil {
		return nil, err
	}
	written := ins.RowsWritten()
	c, err := q.Exec("SELECT id, v FROM r ORDER BY id")
	if err != nil {
		return nil, err
	}
	rows := [][]any{}
	for c.Next() {
		row := []any{}
		for _, v := range c.Row() {
			row = append(row, v.Any())
		}
		rows = append(rows, row)
	}
	_, serr := q.Exec("SELECT * FROM nope")
	return map[string]any{"columns": c.Columns(), "rows": rows, "written": written, "error": serr.Error()}, nil
}

// Boom throws a TypeError.
func (o *object) Boom(msg string) error {
	return &structured.Error{Name: "TypeError", Message: "boom: " + msg}
}

// SetAlarm sets the alarm to 100 ms from now.
func (o *object) SetAlarm() (bool, error) {
	if err := o.s.Storage.SetAlarm(time.Now().Add(100 * time.Millisecond)); err != nil {
		return false, err
	}
	_, set, err := o.s.Storage.GetAlarm()
	return set, err
}

// Alarm records the attempt.
func (o *object) Alarm(info durable.AlarmInfo) error {
	return o.s.Storage.Put("alarm", map[string]any{"retryCount": info.RetryCount})
}

// Alarmed returns what Alarm stored, or nil.
func (o *object) Alarmed() (any, error) {
	var v any
	found, err := o.s.Storage.Get("alarm", &v)
	if !found {
		return nil, err
	}
	return v, err
}

// WebSocketMessage answers "ping" with "pong <sockets>", and echoes the
// rest.
func (o *object) WebSocketMessage(ws *durable.WebSocket, m durable.Message) error {
	switch {
	case m.Binary:
		return ws.SendBinary(m.Data)
	case m.Text() == "ping":
		return ws.Send(fmt.Sprintf("pong %d", len(o.s.GetWebSockets("conf"))))
	}
	return ws.Send(m.Text())
}

// doRoute serves /do/...: the Worker's side.
func doRoute(w http.ResponseWriter, r *http.Request, p string) {
	ns, err := durable.Get("OBJECTS")
	if err != nil {
		http.Error(w, err.Error(), 500)
		return
	}
	if p == "/do/ids" {
		named, _ := ns.IDFromName("a")
		again, _ := ns.IDFromName("a")
		other, _ := ns.IDFromName("b")
		unique, _ := ns.NewUniqueID("")
		parsed, _ := ns.IDFromString(named.String())
		_, bad := ns.IDFromString("not-an-id")
		writeJSON(w, map[string]any{"named": named.String(), "same": named.Equals(again), "other": !named.Equals(other),
			"unique": unique.String(), "parsed": parsed.Equals(named), "invalid": errText(bad)})
		return
	}
	name, op, _ := strings.Cut(strings.TrimPrefix(p, "/do/"), "/")
	stub, err := ns.GetByName(name)
	if err != nil {
		http.Error(w, err.Error(), 500)
		return
	}
	defer stub.Close()
	rpc := func(method string, args ...any) {
		var res any
		if err := stub.Call(method, &res, args...); err != nil {
			http.Error(w, err.Error(), 500)
			return
		}
		writeJSON(w, jsonOf(res))
	}
	switch op {
	case "fetch", "ws":
		resp, err := stub.Fetch(r)
		if err != nil {
			http.Error(w, err.Error(), 500)
			return
		}
		durable.WriteResponse(w, resp)
	case "rpc":
		var sum float64
		err := stub.Call("add", &sum, 2, 3.5)
		var echo any
		if err == nil {
			err = stub.Call("echo", &echo, structured.Object{
				{Key: "s", Value: "héllo"}, {Key: "n", Value: 1.5}, {Key: "i", Value: -7}, {Key: "t", Value: true},
				{Key: "z", Value: nil}, {Key: "l", Value: []any{1, 2, 3}}, {Key: "b", Value: []byte{0, 1, 0xff}},
				{Key: "big", Value: new(big.Int).Lsh(big.NewInt(1), 60)},
			})
		}
		if err != nil {
			http.Error(w, err.Error(), 500)
			return
		}
		writeJSON(w, map[string]any{"sum": sum, "echo": jsonOf(echo)})
	case "storage", "txn", "sql", "incr", "alarmed":
		rpc(op)
	case "alarm":
		rpc("setAlarm")
	case "throw":
		err := stub.Call("boom", nil, name)
		var se *structured.Error
		if !errors.As(err, &se) {
			http.Error(w, fmt.Sprintf("boom returned %v", err), 500)
			return
		}
		writeJSON(w, map[string]any{"name": se.Name, "message": se.Message})
	case "missing":
		err := stub.Call("noSuchMethod", nil)
		writeJSON(w, map[string]any{"error": errText(err)})
	default:
		http.NotFound(w, r)
	}
}

func errText(err error) string {
	if err == nil {
		return ""
	}
	return err.Error()
}

// jsonOf renders a decoded structured value as the suite's JSON: an
// object's keys in order, bytes as hex, a bigint as its decimal text.
func jsonOf(v any) any {
	switch v := v.(type) {
	case structured.Object:
		m := orderedJSON{}
		for _, e := range v {
			m = append(m, member{e.Key, jsonOf(e.Value)})
		}
		return m
	case []any:
		out := make([]any, len(v))
		for i, e := range v {
			out[i] = jsonOf(e)
		}
		return out
	case []byte:
		return hex.EncodeToString(v)
	case *big.Int:
		return v.String()
	case structured.Undefined:
		return nil
	}
	return v
}

// orderedJSON is a JSON object with its keys in order.
type orderedJSON []member

type member struct {
	k string
	v any
}

// MarshalJSON writes the members in order.
func (o orderedJSON) MarshalJSON() ([]byte, error) {
	var b strings.Builder
	b.WriteByte('{')
	for i, m := range o {
		if i > 0 {
			b.WriteByte(',')
		}
		k, _ := json.Marshal(m.k)
		v, err := json.Marshal(m.v)
		if err != nil {
			return nil, err
		}
		b.Write(k)
		b.WriteByte(':')
		b.Write(v)
	}
	b.WriteByte('}')
	return []byte(b.String()), nil
}

func writeJSON(w http.ResponseWriter, v any) {
	w.Header().Set("Content-Type", "application/json")
	json.NewEncoder(w).Encode(v)
}
