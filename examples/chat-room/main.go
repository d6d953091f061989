//go:build wasip1

// Command chat-room is a Worker whose chat rooms are Durable Objects that
// use the hibernation API: the host keeps the rooms' web sockets open
// while a room sleeps, and a message wakes it.
//
//	GET /room/{name}         upgrades to a web socket in the room: every text
//	                         message a client sends goes to every socket of the
//	                         room, the sender's included
//	GET /room/{name}/count   200 {"sockets":N}
package main

import (
	"encoding/json"
	"net/http"

	"github.com/bindery-run/bindery/guest-sdk/go/bindery"
	"github.com/bindery-run/bindery/guest-sdk/go/bindery/durable"
)

// Room is the Durable Object class: one chat room. It keeps nothing in
// memory, so it may sleep between messages.
type Room struct{ state *durable.State }

// ServeHTTP accepts a client's web socket, or answers the count.
func (r *Room) ServeHTTP(w http.ResponseWriter, req *http.Request) {
	if req.Header.Get("Upgrade") != "websocket" {
		w.Header().Set("Content-Type", "application/json")
		json.NewEncoder(w).Encode(map[string]int{"sockets": len(r.state.GetWebSockets(""))})
		return
	}
	if _, err := r.state.AcceptWebSocket(w); err != nil {
		http.Error(w, err.Error(), http.StatusBadRequest)
	}
}

// WebSocketMessage sends a text message to every socket of the room.
func (r *Room) WebSocketMessage(from *durable.WebSocket, m durable.Message) error {
	if m.Binary {
		return nil
	}
	for _, ws := range r.state.GetWebSockets("") {
		ws.Send(m.Text()) // a socket that closed meanwhile is skipped
	}
	return nil
}

func init() {
	durable.Define("Room", func(s *durable.State) any { return &Room{state: s} })
	mux := http.NewServeMux()
	room := func(w http.ResponseWriter, r *http.Request) {
		ns, err := durable.Get("ROOMS")
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
		resp, err := stub.Fetch(r)
		if err != nil {
			http.Error(w, err.Error(), http.StatusBadGateway)
			return
		}
		durable.WriteResponse(w, resp)
	}
	mux.HandleFunc("GET /room/{name}", room)
	mux.HandleFunc("GET /room/{name}/count", room)
	bindery.Serve(mux)
}

func main() {}
