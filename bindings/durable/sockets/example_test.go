package sockets_test

import (
	"context"
	"log"
	"net/http"

	"github.com/bindery-run/bindery/bindings/durable/sockets"
)

// A chat room: the object manager's Deliver wakes the object; here the
// "object" broadcasts each message to every socket of its room, and
// answers "ping" without waking at all.
func Example() {
	var hub *sockets.Hub
	hub, err := sockets.NewHub(sockets.Options{
		Deliver: func(ctx context.Context, object string, ws *sockets.Socket, ev sockets.Event) error {
			if ev.Kind != sockets.EventMessage {
				return nil // a close or an error: the socket leaves the room
			}
			for _, peer := range hub.GetWebSockets(object, "") {
				peer.Send(ev.Message)
			}
			return nil
		},
	})
	if err != nil {
		log.Fatal(err)
	}
	defer hub.Close()
	hub.SetAutoResponse("room-1", &sockets.AutoResponse{Request: "ping", Response: "pong"})
	mux := http.NewServeMux()
	mux.HandleFunc("/chat", func(w http.ResponseWriter, r *http.Request) {
		if _, err := hub.Accept(w, r, "room-1", []string{"chat"}); err != nil {
			log.Print(err)
		}
	})
	_ = http.Server{Handler: mux}
}
