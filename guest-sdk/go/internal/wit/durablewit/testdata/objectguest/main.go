//go:build wasip1

// Command objectguest is a guest of world worker-with-objects on the
// generated bindings alone, for host/internal/durablewit's test of the
// generated glue: each export calls the state and client imports with
// what it was given and answers with what they returned, so that every
// value crosses the ABI both ways.
package main

import (
	"github.com/bindery-run/bindery/guest-sdk/go/internal/cabi"
	"github.com/bindery-run/bindery/guest-sdk/go/internal/wit/durablewit"
	"github.com/bindery-run/bindery/guest-sdk/go/internal/wit/httpwit"
	"github.com/bindery-run/bindery/guest-sdk/go/internal/wit/stream"
)

func thrown(name, msg string) *durablewit.Thrown {
	return &durablewit.Thrown{Name: name, Message: msg}
}

// fromError turns a host error into a thrown one naming its case.
func fromError(e *durablewit.Error) *durablewit.Thrown {
	if e.Tag == durablewit.ErrorThrown {
		return &e.Thrown
	}
	return thrown("HostError", e.Error())
}

func init() {
	x := &durablewit.ObjectExports
	x.Describe = func() durablewit.ModuleInfo {
		return durablewit.ModuleInfo{Classes: []string{"Counter", "Room"}, Reentrant: true}
	}
	// call: "store" puts args under the object's id and returns what get
	// reads back for it and a missing key; "sql" runs args as a query
	// with one parameter of each kind and returns the rows' count and
	// the first row's text; "stub" calls method args on the object named
	// by the object's name; anything else throws a TypeError.
	x.Call = func(o durablewit.ObjectInfo, method string, args []byte) ([]byte, *durablewit.Thrown) {
		switch method {
		case "store":
			if e := durablewit.Put([]durablewit.Entry{{Key: o.ID, Value: args}}); e != nil {
				return nil, fromError(e)
			}
			got, e := durablewit.Get([]string{"missing", o.ID})
			if e != nil {
				return nil, fromError(e)
			}
			if len(got) != 2 || got[0].Some || !got[1].Some {
				return nil, thrown("Error", "get returned the wrong shape")
			}
			return got[1].Value, nil
		case "sql":
			params := []durablewit.SQLValue{
				{Tag: durablewit.SQLValueNull},
				{Tag: durablewit.SQLValueInteger, Integer: -1 << 63},
				{Tag: durablewit.SQLValueReal, Real: 1.5},
				{Tag: durablewit.SQLValueText, Text: "t"},
				{Tag: durablewit.SQLValueBlob, Blob: []byte{0, 255}},
			}
			c, e := durablewit.SQLExec(string(args), params)
			if e != nil {
				return nil, fromError(e)
			}
			defer c.Drop()
			var out []byte
			for {
				rows := c.Next(2)
				if len(rows) == 0 {
					break
				}
				for _, r := range rows {
					out = append(out, byte(len(r)))
					for _, v := range r {
						out = append(out, byte(v.Tag))
					}
				}
			}
			return append(out, []byte(c.ColumnNames()[0])...), nil
		case "stub":
			ns, e := durablewit.NamespaceOpen("COUNTER")
			if e != nil {
				return nil, fromError(e)
			}
			defer ns.Drop()
			st, e := ns.GetByName(o.Name.Value)
			if e != nil {
				return nil, fromError(e)
			}
			defer st.Drop()
			res, e := st.Call(string(args), []byte(st.ID()))
			if e != nil {
				return nil, fromError(e)
			}
			return res, nil
		}
		return nil, &durablewit.Thrown{Name: "TypeError", Message: "no method " + method, Value: cabi.Option[[]byte]{Some: true, Value: args}}
	}
	x.Alarm = func(o durablewit.ObjectInfo, info durablewit.AlarmInfo) *durablewit.Thrown {
		if info.IsRetry {
			return thrown("Error", "retry "+string(rune('0'+info.RetryCount)))
		}
		tx, e := durablewit.BeginTransaction()
		if e != nil {
			return fromError(e)
		}
		if e := durablewit.SetAlarm(-1); e != nil {
			return fromError(e)
		}
		if e := tx.Commit(); e != nil {
			return fromError(e)
		}
		tx.Drop()
		return nil
	}
	// fetch accepts a web socket tagged with the request's URL and sends
	// the object's class on it.
	x.Fetch = func(o durablewit.ObjectInfo, req httpwit.Request, body stream.InputStream, out httpwit.ResponseOutparam) {
		body.Drop()
		defer out.Drop()
		ws, e := durablewit.AcceptWebSocket(out, []string{req.URL, req.Method})
		if e != nil {
			out.Fail(e.Error())
			return
		}
		defer ws.Drop()
		ws.Send(durablewit.Message{Tag: durablewit.MessageText, Text: o.ClassName})
	}
	// web-socket-message echoes the message with the socket's tags and
	// key in front, and keeps the message as the attachment.
	x.WebSocketMessage = func(o durablewit.ObjectInfo, ws durablewit.WebSocket, m durablewit.Message) *durablewit.Thrown {
		defer ws.Drop()
		if m.Tag == durablewit.MessageText && m.Text == "throw" {
			return thrown("RangeError", "asked to")
		}
		tags := ws.Tags()
		reply := m
		if m.Tag == durablewit.MessageText {
			reply.Text = tags[0] + ":" + m.Text
		} else {
			reply.Binary = append([]byte{byte(ws.Key())}, m.Binary...)
		}
		if e := ws.Send(reply); e != nil {
			return fromError(e)
		}
		if e := ws.SerializeAttachment(append(m.Binary, m.Text...)); e != nil {
			return fromError(e)
		}
		return nil
	}
	x.WebSocketClose = func(o durablewit.ObjectInfo, ws durablewit.WebSocket, code uint16, reason string, wasClean bool) *durablewit.Thrown {
		defer ws.Drop()
		if e := ws.Close(cabi.Option[uint16]{Some: true, Value: code}, reason); e != nil {
			return fromError(e)
		}
		return nil
	}
	x.WebSocketError = func(o durablewit.ObjectInfo, ws durablewit.WebSocket, reason string) *durablewit.Thrown {
		ws.Drop()
		return thrown("Error", reason)
	}
	x.Evict = func(o durablewit.ObjectInfo) {
		durablewit.Abort("evicted " + o.ID)
	}
}

func main() {}
