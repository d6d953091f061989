//go:build wasip1

package durable

import (
	"errors"
	"fmt"
	"net/http"
	"reflect"
	"runtime/debug"
	"sort"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/bindery-run/bindery/guest-sdk/go/bindery"
	"github.com/bindery-run/bindery/guest-sdk/go/bindery/structured"
	"github.com/bindery-run/bindery/guest-sdk/go/internal/bridge"
	"github.com/bindery-run/bindery/guest-sdk/go/internal/wit/durablewit"
	"github.com/bindery-run/bindery/guest-sdk/go/internal/wit/httpwit"
	"github.com/bindery-run/bindery/guest-sdk/go/internal/wit/stream"
)

// The SDK's Worker handler must exist for a Worker that only defines
// classes, so package bindery is always linked in.
var _ = bindery.ErrNotFound

// Constructor makes an object's in-memory instance on its first event
// after a start or an eviction (Cloudflare's class constructor). It may
// use state's storage (inside BlockConcurrencyWhile, to load what it
// needs before the object's first event runs).
type Constructor func(state *State) any

// classes are the defined classes, by name.
var classes = map[string]Constructor{}

// Define defines the Durable Object class name (the config's class_name)
// with its constructor. Call it from an init function.
//
// What the constructor returns handles the object's events through the
// methods it has:
//
//   - ServeHTTP (an http.Handler): requests sent with Stub.Fetch;
//   - Alarm(AlarmInfo) error: the alarm set with Storage.SetAlarm; an
//     error retries it, up to 6 times with exponential backoff;
//   - WebSocketMessage(*WebSocket, Message) error,
//     WebSocketClose(ws *WebSocket, code int, reason string, wasClean bool) error,
//     WebSocketError(*WebSocket, error) error: events of the web sockets
//     accepted with State.AcceptWebSocket, delivered even after the
//     object was evicted;
//   - any other exported method: an RPC method (Stub.Call), called by its
//     name with a lower-case first letter or as it is ("increment" or
//     "Increment"); its arguments and result are decoded and encoded in
//     the structured-value encoding, and a returned error is thrown to
//     the caller.
func Define(name string, new Constructor) {
	if new == nil {
		panic("durable.Define: nil constructor for class " + name)
	}
	classes[name] = new
}

// AlarmInfo is what an alarm handler is told about its attempt.
type AlarmInfo struct {
	// RetryCount is how many times the alarm was retried before: 0 for
	// the first attempt.
	RetryCount int
	// IsRetry reports a retry.
	IsRetry bool
}

// live is an object in memory.
type live struct {
	state *State
	obj   any
}

// objects are the live objects, by class and id.
var objects = map[string]*live{}

func init() {
	e := &durablewit.ObjectExports
	e.Describe = describe
	e.Fetch = fetch
	e.Call = call
	e.Alarm = alarm
	e.WebSocketMessage = webSocketMessage
	e.WebSocketClose = webSocketClose
	e.WebSocketError = webSocketError
	e.Evict = evict
}

func describe() durablewit.ModuleInfo {
	names := make([]string, 0, len(classes))
	for n := range classes {
		names = append(names, n)
	}
	sort.Strings(names)
	// The SDK keeps each event's state apart, so events may nest.
	return durablewit.ModuleInfo{Classes: names, Reentrant: true}
}

// object returns the object of info, constructing it on its first event.
func object(info durablewit.ObjectInfo) (*live, error) {
	key := info.ClassName + "\x00" + info.ID
	if l := objects[key]; l != nil {
		return l, nil
	}
	ctor := classes[info.ClassName]
	if ctor == nil {
		return nil, fmt.Errorf("durable: the Worker defines no class %q (call durable.Define in an init function)", info.ClassName)
	}
	st := &State{ID: ID{hex: info.ID, name: info.Name.Value, set: info.Name.Some}, Storage: &Storage{}, class: info.ClassName, sockets: map[uint64]*WebSocket{}}
	l := &live{state: st}
	objects[key] = l // before the constructor: its calls may nest events
	l.obj = ctor(st)
	return l, nil
}

func evict(info durablewit.ObjectInfo) {
	delete(objects, info.ClassName+"\x00"+info.ID)
}

func fetch(info durablewit.ObjectInfo, req httpwit.Request, body stream.InputStream, out httpwit.ResponseOutparam) {
	var h http.Handler
	l, err := object(info)
	switch {
	case err != nil:
		h = failHandler(err.Error())
	default:
		var ok bool
		if h, ok = l.obj.(http.Handler); !ok {
			h = failHandler(fmt.Sprintf("durable: class %s has no fetch handler (a ServeHTTP method)", info.ClassName))
		}
	}
	bridge.Serve(h, req, body, out)
}

// failHandler answers 500 with msg, and logs it.
type failHandler string

func (f failHandler) ServeHTTP(w http.ResponseWriter, r *http.Request) { panic(string(f)) }

// guard runs fn, turning a panic into a thrown error.
func guard(fn func() error) (err error) {
	defer func() {
		if p := recover(); p != nil {
			err = &structured.Error{Name: "Error", Message: fmt.Sprintf("panic: %v", p), Stack: string(debug.Stack())}
		}
	}()
	return fn()
}

func call(info durablewit.ObjectInfo, method string, args []byte) (res []byte, thrown *durablewit.Thrown) {
	err := guard(func() error {
		l, err := object(info)
		if err != nil {
			return err
		}
		res, err = invoke(l.obj, method, args)
		return err
	})
	if err != nil {
		return nil, thrownOf(err)
	}
	return res, nil
}

// handlerMethods are not RPC methods: they handle the object's events.
var handlerMethods = map[string]bool{"ServeHTTP": true, "Alarm": true, "WebSocketMessage": true, "WebSocketClose": true, "WebSocketError": true}

var errorType = reflect.TypeFor[error]()

// invoke calls the RPC method of obj by reflection.
func invoke(obj any, method string, args []byte) ([]byte, error) {
	v := reflect.ValueOf(obj)
	name := method
	if r, n := utf8.DecodeRuneInString(method); r != utf8.RuneError && unicode.IsLower(r) {
		name = string(unicode.ToUpper(r)) + method[n:]
	}
	m := v.MethodByName(name)
	if !m.IsValid() {
		// Go spells initialisms in capitals: "sql" reaches SQL.
		for i := range v.NumMethod() {
			if n := v.Type().Method(i).Name; strings.EqualFold(n, method) {
				name, m = n, v.Method(i)
				break
			}
		}
	}
	if !m.IsValid() || handlerMethods[name] || strings.HasPrefix(method, "_") {
		return nil, &structured.Error{Name: "TypeError", Message: fmt.Sprintf("The RPC receiver does not implement the method %q.", method)}
	}
	var in []any
	if err := structured.Unmarshal(args, &in); err != nil {
		return nil, &structured.Error{Name: "TypeError", Message: fmt.Sprintf("%s: the arguments are not an encoded array: %v", method, err)}
	}
	mt := m.Type()
	n := mt.NumIn()
	if mt.IsVariadic() {
		n--
	}
	if len(in) < n || (!mt.IsVariadic() && len(in) > n) {
		return nil, &structured.Error{Name: "TypeError", Message: fmt.Sprintf("%s takes %d arguments, got %d", method, n, len(in))}
	}
	vals := make([]reflect.Value, len(in))
	for i, a := range in {
		t := mt.In(min(i, mt.NumIn()-1))
		if mt.IsVariadic() && i >= n {
			t = t.Elem()
		}
		p := reflect.New(t)
		b, err := structured.Marshal(a)
		if err == nil {
			err = structured.Unmarshal(b, p.Interface())
		}
		if err != nil {
			return nil, &structured.Error{Name: "TypeError", Message: fmt.Sprintf("%s: argument %d: %v", method, i+1, err)}
		}
		vals[i] = p.Elem()
	}
	out := m.Call(vals)
	if k := len(out); k > 0 && mt.Out(k-1) == errorType {
		if e := out[k-1]; !e.IsNil() {
			return nil, e.Interface().(error)
		}
		out = out[:k-1]
	}
	var result any = structured.Undefined{}
	if len(out) > 0 {
		result = out[0].Interface()
	}
	b, err := structured.Marshal(result)
	if err != nil {
		return nil, &structured.Error{Name: "DataCloneError", Message: fmt.Sprintf("%s: encoding the result: %v", method, err)}
	}
	return b, nil
}

func alarm(info durablewit.ObjectInfo, ai durablewit.AlarmInfo) *durablewit.Thrown {
	return thrownOf(guard(func() error {
		l, err := object(info)
		if err != nil {
			return err
		}
		a, ok := l.obj.(interface{ Alarm(AlarmInfo) error })
		if !ok {
			return fmt.Errorf("durable: class %s has no alarm handler (an Alarm method)", info.ClassName)
		}
		return a.Alarm(AlarmInfo{RetryCount: int(ai.RetryCount), IsRetry: ai.IsRetry})
	}))
}

// socketEvent runs a web socket event on the object's handler.
func socketEvent(info durablewit.ObjectInfo, h durablewit.WebSocket, fn func(obj any, ws *WebSocket) error) *durablewit.Thrown {
	return thrownOf(guard(func() error {
		l, err := object(info)
		if err != nil {
			h.Drop()
			return err
		}
		return fn(l.obj, l.state.socket(h))
	}))
}

func webSocketMessage(info durablewit.ObjectInfo, h durablewit.WebSocket, m durablewit.Message) *durablewit.Thrown {
	return socketEvent(info, h, func(obj any, ws *WebSocket) error {
		o, ok := obj.(interface {
			WebSocketMessage(*WebSocket, Message) error
		})
		if !ok {
			return errors.New("durable: class " + info.ClassName + " has no WebSocketMessage method")
		}
		msg := Message{Binary: m.Tag == durablewit.MessageBinary, Data: m.Binary}
		if !msg.Binary {
			msg.Data = []byte(m.Text)
		}
		return o.WebSocketMessage(ws, msg)
	})
}

func webSocketClose(info durablewit.ObjectInfo, h durablewit.WebSocket, code uint16, reason string, clean bool) *durablewit.Thrown {
	return socketEvent(info, h, func(obj any, ws *WebSocket) error {
		ws.closed = true
		if o, ok := obj.(interface {
			WebSocketClose(*WebSocket, int, string, bool) error
		}); ok {
			return o.WebSocketClose(ws, int(code), reason, clean)
		}
		return nil
	})
}

func webSocketError(info durablewit.ObjectInfo, h durablewit.WebSocket, reason string) *durablewit.Thrown {
	return socketEvent(info, h, func(obj any, ws *WebSocket) error {
		ws.closed = true
		if o, ok := obj.(interface {
			WebSocketError(*WebSocket, error) error
		}); ok {
			return o.WebSocketError(ws, errors.New(reason))
		}
		return nil
	})
}
