//go:build wasip1

// Command objects is the test Worker of host/durablehost: classes whose
// RPC methods exercise the execution model (memory across events and
// evictions, traps, abort, nesting, deadlocks, alarms, limits).
//
//	POST /rpc/<class>/<name>/<method>[?arg=X]  calls method on the object <name> of
//	                                           <class>'s binding: 200 the JSON result,
//	                                           500 the error's text
package main

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"time"

	"github.com/bindery-run/bindery/guest-sdk/go/bindery"
	"github.com/bindery-run/bindery/guest-sdk/go/bindery/durable"
	"github.com/bindery-run/bindery/guest-sdk/go/bindery/structured"
)

// Mem keeps a count in memory and one in storage.
type Mem struct {
	s   *durable.State
	mem int
}

// Hit counts in memory and in storage.
func (m *Mem) Hit() (map[string]int, error) {
	m.mem++
	var stored int
	if _, err := m.s.Storage.Get("n", &stored); err != nil {
		return nil, err
	}
	stored++
	return map[string]int{"mem": m.mem, "stored": stored}, m.s.Storage.Put("n", stored)
}

// Trap ends the instance: a panic on another goroutine cannot be
// recovered.
func (m *Mem) Trap() {
	block := make(chan struct{})
	go func() { panic("objects: trap") }()
	<-block
}

// Abort resets the object.
func (m *Mem) Abort() error {
	m.s.Abort("asked to")
	return nil
}

// Big stores a value over the limit.
func (m *Mem) Big() error { return m.s.Storage.Put("big", strings.Repeat("x", 3<<20)) }

// Call calls method on the object called name, and returns its result.
func (m *Mem) Call(name, method string) (any, error) {
	ns, err := durable.Get("MEM")
	if err != nil {
		return nil, err
	}
	stub, err := ns.GetByName(name)
	if err != nil {
		return nil, err
	}
	defer stub.Close()
	var out any
	err = stub.Call(method, &out)
	return out, err
}

// Blocked calls itself inside blockConcurrencyWhile: a deadlock the host
// refuses.
func (m *Mem) Blocked() (any, error) {
	var out any
	err := m.s.BlockConcurrencyWhile(func() error {
		name, _ := m.s.ID.Name()
		var err error
		out, err = m.Call(name, "hit")
		return err
	})
	return out, err
}

// FailAlarm sets an alarm whose handler always fails.
func (m *Mem) FailAlarm() error { return m.s.Storage.SetAlarm(time.Now()) }

// Attempts returns how many times the alarm ran.
func (m *Mem) Attempts() (int, error) {
	var n int
	_, err := m.s.Storage.Get("attempts", &n)
	return n, err
}

// Alarm counts its attempts and fails.
func (m *Mem) Alarm(info durable.AlarmInfo) error {
	var n int
	m.s.Storage.Get("attempts", &n)
	m.s.Storage.Put("attempts", n+1)
	return errors.New("the alarm fails on purpose")
}

// Echo accepts web sockets and answers each message with its text and
// how many messages it has seen since it came into memory.
type Echo struct {
	s    *durable.State
	seen int
}

// ServeHTTP accepts a web socket.
func (e *Echo) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	accept := e.s.AcceptWebSocket
	if r.URL.Query().Get("mem") != "" {
		accept = func(w http.ResponseWriter, _ ...string) (*durable.WebSocket, error) {
			return e.s.AcceptWebSocketInMemory(w)
		}
	}
	if _, err := accept(w); err != nil {
		http.Error(w, err.Error(), 400)
	}
}

// WebSocketMessage answers "<text> <seen>".
func (e *Echo) WebSocketMessage(ws *durable.WebSocket, m durable.Message) error {
	e.seen++
	return ws.Send(fmt.Sprintf("%s %d", m.Text(), e.seen))
}

// TxAlarm sets the alarm inside transactions: one rolled back, one
// committed.
func (m *Mem) TxAlarm() (map[string]bool, error) {
	st := m.s.Storage
	if err := st.DeleteAlarm(); err != nil {
		return nil, err
	}
	var inside bool
	st.Transaction(func(tx *durable.Storage) error {
		if err := tx.SetAlarm(time.Now().Add(time.Hour)); err != nil {
			return err
		}
		_, inside, _ = tx.GetAlarm()
		return durable.ErrRollback
	})
	_, afterRollback, err := st.GetAlarm()
	if err != nil {
		return nil, err
	}
	if err := st.Transaction(func(tx *durable.Storage) error { return tx.SetAlarm(time.Now().Add(time.Hour)) }); err != nil {
		return nil, err
	}
	_, afterCommit, err := st.GetAlarm()
	if err != nil {
		return nil, err
	}
	if err := st.DeleteAll(); err != nil {
		return nil, err
	}
	_, afterDeleteAll, err := st.GetAlarm()
	return map[string]bool{"inside": inside, "afterRollback": afterRollback, "afterCommit": afterCommit, "afterDeleteAll": afterDeleteAll}, err
}

// LongBlock sleeps inside blockConcurrencyWhile.
func (m *Mem) LongBlock() error {
	return m.s.BlockConcurrencyWhile(func() error {
		time.Sleep(5 * time.Second)
		return nil
	})
}

// Nap sleeps 300 ms, then counts a hit.
func (m *Mem) Nap() (map[string]int, error) {
	time.Sleep(300 * time.Millisecond)
	return m.Hit()
}

// Noop does nothing: the cost of an RPC call.
func (m *Mem) Noop() {}

// Puts stores n values, one call each, and returns n.
func (m *Mem) Puts(n int) (int, error) {
	for i := range n {
		if err := m.s.Storage.Put(fmt.Sprintf("k%d", i%100), i); err != nil {
			return 0, err
		}
	}
	return n, nil
}

// Gets reads n values, one call each, and returns how many it found.
func (m *Mem) Gets(n int) (int, error) {
	found := 0
	for i := range n {
		var v int
		ok, err := m.s.Storage.Get(fmt.Sprintf("k%d", i%100), &v)
		if err != nil {
			return 0, err
		}
		if ok {
			found++
		}
	}
	return found, nil
}

// Room broadcasts every message to every socket of the object.
type Room struct{ s *durable.State }

// ServeHTTP accepts a web socket.
func (r *Room) ServeHTTP(w http.ResponseWriter, req *http.Request) {
	if _, err := r.s.AcceptWebSocket(w); err != nil {
		http.Error(w, err.Error(), 400)
	}
}

// WebSocketMessage sends m to every socket.
func (r *Room) WebSocketMessage(ws *durable.WebSocket, m durable.Message) error {
	for _, s := range r.s.GetWebSockets("") {
		s.Send(m.Text())
	}
	return nil
}

// BadCtor's constructor traps.
type BadCtor struct{}

// Hit is never reached.
func (BadCtor) Hit() int { return 1 }

func init() {
	durable.Define("Mem", func(s *durable.State) any { return &Mem{s: s} })
	durable.Define("KVMem", func(s *durable.State) any { return &Mem{s: s} })
	durable.Define("Room", func(s *durable.State) any { return &Room{s: s} })
	durable.Define("Echo", func(s *durable.State) any { return &Echo{s: s} })
	durable.Define("BadCtor", func(s *durable.State) any {
		block := make(chan struct{})
		go func() { panic("objects: constructor trap") }()
		<-block
		return nil
	})
	bindery.Serve(http.HandlerFunc(serve))
}

var bindingOf = map[string]string{"Mem": "MEM", "KVMem": "KVMEM", "BadCtor": "BAD"}

func serve(w http.ResponseWriter, r *http.Request) {
	if r.URL.Path == "/hello" {
		w.Write([]byte("hello"))
		return
	}
	if name, ok := strings.CutPrefix(r.URL.Path, "/ws/"); ok {
		binding := "ECHO"
		if strings.HasPrefix(name, "room-") {
			binding = "ROOM"
		}
		ns, _ := durable.Get(binding)
		stub, err := ns.GetByName(name)
		if err != nil {
			http.Error(w, err.Error(), 500)
			return
		}
		defer stub.Close()
		resp, err := stub.Fetch(r)
		if err != nil {
			http.Error(w, err.Error(), 500)
			return
		}
		durable.WriteResponse(w, resp)
		return
	}
	parts := strings.Split(strings.TrimPrefix(r.URL.Path, "/rpc/"), "/")
	if len(parts) != 3 {
		http.NotFound(w, r)
		return
	}
	ns, err := durable.Get(bindingOf[parts[0]])
	if err != nil {
		http.Error(w, err.Error(), 500)
		return
	}
	stub, err := ns.GetByName(parts[1])
	if err != nil {
		http.Error(w, err.Error(), 500)
		return
	}
	defer stub.Close()
	var args []any
	for _, a := range r.URL.Query()["arg"] {
		args = append(args, a)
	}
	if n := r.URL.Query().Get("n"); n != "" {
		var k int
		fmt.Sscan(n, &k)
		args = append(args, k)
	}
	var out any
	if err := stub.Call(parts[2], &out, args...); err != nil {
		http.Error(w, err.Error(), 500)
		return
	}
	json.NewEncoder(w).Encode(plain(out))
}

// plain turns a decoded object into a map, for encoding/json.
func plain(v any) any {
	if o, ok := v.(structured.Object); ok {
		m := map[string]any{}
		for _, e := range o {
			m[e.Key] = plain(e.Value)
		}
		return m
	}
	return v
}

func main() {}
