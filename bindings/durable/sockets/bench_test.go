package sockets

import (
	"bufio"
	"context"
	"fmt"
	"net"
	"net/http"
	"net/http/httptest"
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/coder/websocket"
)

const roomSize = 100

// BenchmarkBroadcast100 measures a chat room through the Hub: one client
// sends, the object (Deliver) broadcasts each message to the room's 100
// sockets, the sender included, and every client reads every message. An
// op is one message in; deliveries/s counts the messages out.
func BenchmarkBroadcast100(b *testing.B) {
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
	clients := make([]*websocket.Conn, roomSize)
	for i := range clients {
		c, err := r.tryDial("room")
		if err != nil {
			b.Fatal(err)
		}
		clients[i] = c
	}
	for len(r.hub.GetWebSockets("room", "")) < roomSize {
		time.Sleep(time.Millisecond)
	}
	runRoom(b, clients)
}

// BenchmarkBroadcast100Direct is the baseline: the same room served by
// coder/websocket alone, the handler's read loop writing each message to
// every connection in turn (no queues, no object).
func BenchmarkBroadcast100Direct(b *testing.B) {
	var mu sync.Mutex
	var room []*websocket.Conn
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		c, err := websocket.Accept(w, req, nil)
		if err != nil {
			return
		}
		mu.Lock()
		room = append(room, c)
		mu.Unlock()
		ctx := context.Background()
		for {
			typ, data, err := c.Read(ctx)
			if err != nil {
				c.CloseNow()
				return
			}
			mu.Lock()
			for _, peer := range room {
				peer.Write(ctx, typ, data)
			}
			mu.Unlock()
		}
	}))
	b.Cleanup(srv.Close)
	url := "ws" + strings.TrimPrefix(srv.URL, "http")
	clients := make([]*websocket.Conn, roomSize)
	for i := range clients {
		c, _, err := websocket.Dial(context.Background(), url, nil)
		if err != nil {
			b.Fatal(err)
		}
		b.Cleanup(func() { c.CloseNow() })
		clients[i] = c
	}
	for {
		mu.Lock()
		n := len(room)
		mu.Unlock()
		if n == roomSize {
			break
		}
		time.Sleep(time.Millisecond)
	}
	runRoom(b, clients)
	mu.Lock()
	for _, c := range room {
		c.CloseNow()
	}
	mu.Unlock()
}

// runRoom has clients[0] send b.N messages, keeping at most a window of
// them in flight (as a client that waits for its own echo would; an
// unbounded burst would fill the slowest client's outbound queue and
// close it), and every client read b.N messages.
func runRoom(b *testing.B, clients []*websocket.Conn) {
	const window = 32
	msg := []byte(`{"from":"alice","text":"hello, room"}`)
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
	b.ReportMetric(float64(b.N*len(clients))/el, "deliveries/s")
}

// BenchmarkHibernatedSocketMemory opens 2,000 sockets to one object that
// is never woken and reports the memory each takes on the host (Go heap
// and goroutine stacks; the client side is a bare TCP connection after a
// hand-made handshake, so it adds little).
func BenchmarkHibernatedSocketMemory(b *testing.B) {
	const n = 2000
	for b.Loop() {
		r := newRig(b, Options{Deliver: func(context.Context, string, *Socket, Event) error { return nil }})
		addr := strings.TrimPrefix(r.srv.URL, "http://")
		runtime.GC()
		var before, after runtime.MemStats
		runtime.ReadMemStats(&before)
		conns := make([]net.Conn, n)
		for i := range conns {
			c, err := net.Dial("tcp", addr)
			if err != nil {
				b.Fatal(err)
			}
			fmt.Fprintf(c, "GET /?object=room HTTP/1.1\r\nHost: %s\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Version: 13\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n\r\n", addr)
			resp, err := http.ReadResponse(bufio.NewReader(c), nil)
			if err != nil || resp.StatusCode != http.StatusSwitchingProtocols {
				b.Fatalf("handshake %d: %v %v", i, resp, err)
			}
			conns[i] = c
		}
		for len(r.hub.GetWebSockets("room", "")) < n {
			time.Sleep(time.Millisecond)
		}
		runtime.GC()
		runtime.ReadMemStats(&after)
		used := int64(after.HeapInuse+after.StackInuse) - int64(before.HeapInuse+before.StackInuse)
		b.ReportMetric(float64(used)/n, "bytes/socket")
		for _, c := range conns {
			c.Close()
		}
	}
}
