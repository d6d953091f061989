package sockets

import (
	"context"
	"sync"
	"testing"
	"time"

	"github.com/coder/websocket"
)

// BenchmarkBroadcast100 measures a chat room: one client sends, the
// object broadcasts each message to the room's 100 sockets (the sender
// included), and every client reads every message. An op is one message
// in; deliveries/s counts the messages out.
func BenchmarkBroadcast100(b *testing.B) {
	const n = 100
	var r *rig
	r = newRig(b, Options{Deliver: func(ctx context.Context, object string, ws *Socket, ev Event) error {
		if ev.Kind != EventMessage {
			return nil
		}
		for _, peer := range r.hub.GetWebSockets(object, "") {
			if err := peer.Send(ev.Message); err != nil {
				return err
			}
		}
		return nil
	}})
	clients := make([]*websocket.Conn, n)
	for i := range clients {
		c, err := r.tryDial("room")
		if err != nil {
			b.Fatal(err)
		}
		clients[i] = c
	}
	for len(r.hub.GetWebSockets("room", "")) < n {
		time.Sleep(time.Millisecond)
	}
	msg := []byte(`{"from":"alice","text":"hello, room"}`)
	// The sender keeps at most window messages in flight, as a client
	// that waits for its own echo would (an unbounded burst would fill
	// the slowest client's outbound queue and close it).
	const window = 32
	inFlight := make(chan struct{}, window)
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	b.ResetTimer()
	var wg sync.WaitGroup
	for i, c := range clients {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for range b.N {
				if _, _, err := c.Read(ctx); err != nil {
					b.Error(err)
					cancel()
					return
				}
				if i == 0 {
					<-inFlight
				}
			}
		}()
	}
	start := time.Now()
	for range b.N {
		select {
		case inFlight <- struct{}{}:
		case <-ctx.Done():
		}
		if err := clients[0].Write(ctx, websocket.MessageText, msg); err != nil {
			b.Error(err)
			break
		}
	}
	wg.Wait()
	el := time.Since(start).Seconds()
	b.ReportMetric(float64(b.N)/el, "msgs/s")
	b.ReportMetric(float64(b.N*n)/el, "deliveries/s")
}
