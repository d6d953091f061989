package sockets

import (
	"bufio"
	"context"
	"crypto/rand"
	"encoding/base64"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/bindery-run/bindery/host/clock"
	"github.com/coder/websocket"
)

// rig is a Hub behind an httptest server: GET /?object=O&tag=T&tag=U
// accepts a socket for object O with those tags.
type rig struct {
	t   testing.TB
	hub *Hub
	srv *httptest.Server
	url string

	mu        sync.Mutex
	accepted  []*Socket
	acceptErr []error
}

func newRig(t testing.TB, opts Options) *rig {
	t.Helper()
	if opts.Logger == nil {
		opts.Logger = slog.New(slog.DiscardHandler)
	}
	h, err := NewHub(opts)
	if err != nil {
		t.Fatal(err)
	}
	r := &rig{t: t, hub: h}
	r.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		s, err := h.Accept(w, req, req.URL.Query().Get("object"), req.URL.Query()["tag"])
		r.mu.Lock()
		defer r.mu.Unlock()
		if err != nil {
			r.acceptErr = append(r.acceptErr, err)
			var le *LimitError
			var ae *ArgumentError
			if errors.As(err, &le) || errors.As(err, &ae) {
				http.Error(w, err.Error(), http.StatusBadRequest)
			}
			return
		}
		r.accepted = append(r.accepted, s)
	}))
	r.url = "ws" + strings.TrimPrefix(r.srv.URL, "http")
	t.Cleanup(func() {
		h.Close()
		r.srv.Close()
	})
	return r
}

// dial connects a client to object with tags, and waits for the Hub to
// have accepted it (the client may see the 101 first).
func (r *rig) dial(object string, tags ...string) *websocket.Conn {
	r.t.Helper()
	r.mu.Lock()
	before := len(r.accepted)
	r.mu.Unlock()
	c, err := r.tryDial(object, tags...)
	if err != nil {
		r.t.Fatal(err)
	}
	for i := 0; ; i++ {
		r.mu.Lock()
		n := len(r.accepted)
		r.mu.Unlock()
		if n > before {
			break
		}
		if i == 1000 {
			r.t.Fatal("the hub did not accept the socket")
		}
		time.Sleep(5 * time.Millisecond)
	}
	return c
}

func (r *rig) tryDial(object string, tags ...string) (*websocket.Conn, error) {
	q := "?object=" + object
	for _, t := range tags {
		q += "&tag=" + t
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	c, _, err := websocket.Dial(ctx, r.url+q, nil)
	if err != nil {
		return nil, err
	}
	c.SetReadLimit(-1)
	r.t.Cleanup(func() { c.CloseNow() })
	return c, nil
}

// recorder is a fake object's event log.
type recorder struct {
	mu     sync.Mutex
	events []recorded
	ch     chan recorded
}

type recorded struct {
	object string
	ws     *Socket
	ev     Event
}

func newRecorder() *recorder { return &recorder{ch: make(chan recorded, 10000)} }

func (rc *recorder) deliver(ctx context.Context, object string, ws *Socket, ev Event) error {
	rc.mu.Lock()
	rc.events = append(rc.events, recorded{object, ws, ev})
	rc.mu.Unlock()
	rc.ch <- recorded{object, ws, ev}
	return nil
}

func (rc *recorder) next(t *testing.T) recorded {
	t.Helper()
	select {
	case e := <-rc.ch:
		return e
	case <-time.After(10 * time.Second):
		t.Fatal("no event delivered")
	}
	panic("unreachable")
}

func (rc *recorder) none(t *testing.T, d time.Duration) {
	t.Helper()
	select {
	case e := <-rc.ch:
		t.Fatalf("unexpected event %+v", e.ev)
	case <-time.After(d):
	}
}

func write(t *testing.T, c *websocket.Conn, s string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := c.Write(ctx, websocket.MessageText, []byte(s)); err != nil {
		t.Fatal(err)
	}
}

func read(t *testing.T, c *websocket.Conn) (websocket.MessageType, string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	typ, b, err := c.Read(ctx)
	if err != nil {
		t.Fatal(err)
	}
	return typ, string(b)
}

// readErr reads until the connection ends and returns the error.
func readErr(t *testing.T, c *websocket.Conn) error {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	for {
		if _, _, err := c.Read(ctx); err != nil {
			return err
		}
	}
}

// waitFor polls cond for up to 10 s.
func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	for i := 0; i < 1000; i++ {
		if cond() {
			return
		}
		time.Sleep(10 * time.Millisecond)
	}
	t.Fatalf("timed out waiting for %s", what)
}

func TestBroadcastRoom(t *testing.T) {
	const n = 100
	var r *rig
	r = newRig(t, Options{Deliver: func(ctx context.Context, object string, ws *Socket, ev Event) error {
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
		clients[i] = r.dial("room")
	}
	waitFor(t, "all sockets accepted", func() bool { return len(r.hub.GetWebSockets("room", "")) == n })
	for i, c := range clients {
		write(t, c, fmt.Sprintf("m%d", i))
	}
	var wg sync.WaitGroup
	errs := make(chan error, n)
	for i, c := range clients {
		wg.Add(1)
		go func() {
			defer wg.Done()
			seen := map[string]bool{}
			ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
			defer cancel()
			for len(seen) < n {
				_, b, err := c.Read(ctx)
				if err != nil {
					errs <- fmt.Errorf("client %d after %d messages: %w", i, len(seen), err)
					return
				}
				if seen[string(b)] {
					errs <- fmt.Errorf("client %d got %q twice", i, b)
					return
				}
				seen[string(b)] = true
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
}

func TestTags(t *testing.T) {
	rc := newRecorder()
	r := newRig(t, Options{Deliver: rc.deliver})
	r.dial("o", "red")
	r.dial("o", "red", "blue", "red")
	r.dial("o")
	r.dial("other", "red")
	waitFor(t, "accepts", func() bool { return len(r.hub.GetWebSockets("o", "")) == 3 })
	all := r.hub.GetWebSockets("o", "")
	for i := 1; i < len(all); i++ {
		if all[i-1].Key() >= all[i].Key() {
			t.Errorf("GetWebSockets not in accept order: %d then %d", all[i-1].Key(), all[i].Key())
		}
	}
	for _, tc := range []struct {
		tag  string
		want int
	}{{"red", 2}, {"blue", 1}, {"green", 0}} {
		if got := len(r.hub.GetWebSockets("o", tc.tag)); got != tc.want {
			t.Errorf("GetWebSockets(o, %q): %d sockets, want %d", tc.tag, got, tc.want)
		}
	}
	if got := strings.Join(all[1].Tags(), ","); got != "red,blue" {
		t.Errorf("Tags = %q, want red,blue (duplicates dropped)", got)
	}
	if r.hub.Socket(all[0].Key()) != all[0] {
		t.Error("Socket(Key()) is not the socket")
	}
}

func TestCheckTags(t *testing.T) {
	long := strings.Repeat("x", MaxTagLength)
	ten := make([]string, 10)
	for i := range ten {
		ten[i] = fmt.Sprint(i)
	}
	for _, tc := range []struct {
		name string
		tags []string
		want string // "" for ok, else a substring of the error
		n    int
	}{
		{"none", nil, "", 0},
		{"ten", ten, "", 10},
		{"eleven", append(ten[:10:10], "10"), "more than 10 tags", 0},
		{"ten and a duplicate", append(ten[:10:10], "0"), "more than 10 tags", 0}, // as workerd counts
		{"duplicates", []string{"a", "a", "b"}, "", 2},
		{"256 chars", []string{long}, "", 1},
		{"257 chars", []string{long + "x"}, "longer than 256", 0},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, err := CheckTags(tc.tags)
			if tc.want == "" {
				if err != nil || len(got) != tc.n {
					t.Fatalf("CheckTags = %v, %v; want %d tags", got, err, tc.n)
				}
				return
			}
			var ae *ArgumentError
			if !errors.As(err, &ae) || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("CheckTags error = %v, want an ArgumentError with %q", err, tc.want)
			}
		})
	}
}

func TestAcceptRefuses(t *testing.T) {
	rc := newRecorder()
	r := newRig(t, Options{Deliver: rc.deliver, MaxSockets: 2})
	r.dial("o")
	r.dial("o")
	if _, err := r.tryDial("o"); err == nil {
		t.Fatal("third socket accepted over MaxSockets 2")
	}
	if _, err := r.tryDial("o", strings.Repeat("t", 300)); err == nil {
		t.Fatal("tag over 256 characters accepted")
	}
	r.dial("p") // another object has its own count
	r.mu.Lock()
	errs := r.acceptErr
	r.mu.Unlock()
	if len(errs) != 2 {
		t.Fatalf("accept errors %v, want 2", errs)
	}
	var le *LimitError
	var ae *ArgumentError
	if !errors.As(errs[0], &le) || !errors.As(errs[1], &ae) {
		t.Fatalf("accept errors %v: want a LimitError then an ArgumentError", errs)
	}
	// A plain request is no upgrade.
	resp, err := http.Get(r.srv.URL + "?object=q")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode/100 == 1 || resp.StatusCode == 200 {
		t.Fatalf("plain GET answered %d", resp.StatusCode)
	}
}

// counterObject is a fake object that keeps nothing in memory: a new one
// is made for every event, as after hibernation, and its state is the
// socket's attachment.
type counterObject struct{}

func (counterObject) webSocketMessage(ws *Socket, m Message) error {
	n := 0
	if a := ws.DeserializeAttachment(); a != nil {
		fmt.Sscan(string(a), &n)
	}
	n++
	if err := ws.SerializeAttachment([]byte(fmt.Sprint(n))); err != nil {
		return err
	}
	return ws.Send(Text(fmt.Sprintf("%s #%d", m.Data, n)))
}

func TestAttachmentSurvivesHibernation(t *testing.T) {
	var made atomic.Int32
	r := newRig(t, Options{Deliver: func(ctx context.Context, object string, ws *Socket, ev Event) error {
		made.Add(1)
		if ev.Kind == EventMessage {
			return counterObject{}.webSocketMessage(ws, ev.Message)
		}
		return nil
	}})
	a, b := r.dial("o"), r.dial("o")
	for i := 1; i <= 3; i++ {
		write(t, a, "a")
		if _, got := read(t, a); got != fmt.Sprintf("a #%d", i) {
			t.Fatalf("a got %q", got)
		}
	}
	write(t, b, "b")
	if _, got := read(t, b); got != "b #1" {
		t.Fatalf("b got %q (attachments are per socket)", got)
	}
	if made.Load() != 4 {
		t.Fatalf("%d objects made, want 4", made.Load())
	}
	ws := r.hub.GetWebSockets("o", "")[0]
	if err := ws.SerializeAttachment(make([]byte, MaxAttachment)); err != nil {
		t.Fatalf("attachment of %d bytes: %v", MaxAttachment, err)
	}
	var le *LimitError
	if err := ws.SerializeAttachment(make([]byte, MaxAttachment+1)); !errors.As(err, &le) {
		t.Fatalf("attachment over the limit: %v, want a LimitError", err)
	}
	if len(ws.DeserializeAttachment()) != MaxAttachment {
		t.Fatal("a refused attachment replaced the one kept")
	}
}

func TestAutoResponse(t *testing.T) {
	rc := newRecorder()
	clk := clock.NewManual(time.Date(2026, 1, 2, 3, 4, 5, 6e6, time.UTC))
	r := newRig(t, Options{Deliver: rc.deliver, Clock: clk})
	if err := r.hub.SetAutoResponse("o", &AutoResponse{Request: "ping", Response: "pong"}); err != nil {
		t.Fatal(err)
	}
	if got := r.hub.AutoResponse("o"); got == nil || *got != (AutoResponse{"ping", "pong"}) {
		t.Fatalf("AutoResponse = %v", got)
	}
	c := r.dial("o")
	waitFor(t, "accept", func() bool { return len(r.hub.GetWebSockets("o", "")) == 1 })
	ws := r.hub.GetWebSockets("o", "")[0]
	if _, ok := ws.AutoResponseTimestamp(); ok {
		t.Fatal("a timestamp before any auto-response")
	}
	for range 3 {
		write(t, c, "ping")
		if typ, got := read(t, c); got != "pong" || typ != websocket.MessageText {
			t.Fatalf("auto-response %v %q", typ, got)
		}
	}
	rc.none(t, 50*time.Millisecond)
	if ts, ok := ws.AutoResponseTimestamp(); !ok || !ts.Equal(clk.Now()) {
		t.Fatalf("AutoResponseTimestamp = %v, %v; want %v", ts, ok, clk.Now())
	}
	// Binary "ping" and other text go to the object.
	ctx := context.Background()
	c.Write(ctx, websocket.MessageBinary, []byte("ping"))
	write(t, c, "ping!")
	if e := rc.next(t); !e.ev.Message.Binary || string(e.ev.Message.Data) != "ping" {
		t.Fatalf("got %+v", e.ev)
	}
	if e := rc.next(t); string(e.ev.Message.Data) != "ping!" {
		t.Fatalf("got %+v", e.ev)
	}
	var le *LimitError
	if err := r.hub.SetAutoResponse("o", &AutoResponse{Request: strings.Repeat("x", 2049)}); !errors.As(err, &le) {
		t.Fatalf("request of 2049 bytes: %v", err)
	}
	r.hub.SetAutoResponse("o", nil)
	write(t, c, "ping")
	if e := rc.next(t); string(e.ev.Message.Data) != "ping" {
		t.Fatalf("after clearing, got %+v", e.ev)
	}
}

func TestOrdering(t *testing.T) {
	const clients, each = 8, 200
	var inFlight atomic.Int32
	var mu sync.Mutex
	got := map[uint64][]string{}
	total := make(chan struct{}, clients*each)
	r := newRig(t, Options{Deliver: func(ctx context.Context, object string, ws *Socket, ev Event) error {
		if inFlight.Add(1) != 1 {
			t.Error("two events of one object at once")
		}
		defer inFlight.Add(-1)
		if ev.Kind == EventMessage {
			mu.Lock()
			got[ws.Key()] = append(got[ws.Key()], string(ev.Message.Data))
			mu.Unlock()
			total <- struct{}{}
		}
		return nil
	}, InboundMessages: 2})
	var wg sync.WaitGroup
	for i := range clients {
		c := r.dial("o")
		wg.Add(1)
		go func() {
			defer wg.Done()
			for j := range each {
				if err := c.Write(context.Background(), websocket.MessageText, []byte(fmt.Sprintf("%d:%d", i, j))); err != nil {
					t.Error(err)
					return
				}
			}
		}()
	}
	wg.Wait()
	for range clients * each {
		select {
		case <-total:
		case <-time.After(20 * time.Second):
			t.Fatal("not every message delivered")
		}
	}
	mu.Lock()
	defer mu.Unlock()
	for key, msgs := range got {
		var prefix string
		for j, m := range msgs {
			p, n, _ := strings.Cut(m, ":")
			if j == 0 {
				prefix = p
			}
			if p != prefix || n != fmt.Sprint(j) {
				t.Fatalf("socket %d: message %d is %q", key, j, m)
			}
		}
	}
}

func TestFloodIsBounded(t *testing.T) {
	gate := make(chan struct{})
	var delivered atomic.Int32
	const inbound = 4
	r := newRig(t, Options{Deliver: func(ctx context.Context, object string, ws *Socket, ev Event) error {
		<-gate
		if ev.Kind == EventMessage {
			delivered.Add(1)
		}
		return nil
	}, InboundMessages: inbound, InboundBytes: 1 << 30})
	c := r.dial("o")
	payload := strings.Repeat("f", 64<<10)
	// The client writes until TCP pushes back (the hub stopped reading).
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Second)
	sent := 0
	for sent < 10000 {
		if err := c.Write(ctx, websocket.MessageText, []byte(payload)); err != nil {
			break
		}
		sent++
	}
	cancel()
	if sent == 10000 {
		t.Fatal("the hub read 10000 messages of 64 KiB ahead of a blocked object")
	}
	r.hub.mu.Lock()
	ws := r.hub.onlySocket("o")
	pending := ws.pendingIn
	r.hub.mu.Unlock()
	if pending > inbound {
		t.Fatalf("%d messages wait for delivery, bound %d", pending, inbound)
	}
	close(gate)
	t.Logf("client wrote %d messages of 64 KiB before being held back", sent)
}

func TestFloodBytesBounded(t *testing.T) {
	gate := make(chan struct{})
	r := newRig(t, Options{Deliver: func(ctx context.Context, object string, ws *Socket, ev Event) error {
		<-gate
		return nil
	}, InboundMessages: 1000, InboundBytes: 256 << 10})
	c := r.dial("o")
	go func() {
		for {
			if c.Write(context.Background(), websocket.MessageBinary, make([]byte, 32<<10)) != nil {
				return
			}
		}
	}()
	time.Sleep(300 * time.Millisecond)
	r.hub.mu.Lock()
	ws := r.hub.onlySocket("o")
	bytes := ws.pendingBytes
	r.hub.mu.Unlock()
	if bytes > 256<<10+32<<10 {
		t.Fatalf("%d bytes wait for delivery, bound 256 KiB + one message", bytes)
	}
	close(gate)
}

// onlySocket returns the one socket of object; h.mu is held.
func (h *Hub) onlySocket(object string) *Socket {
	for _, s := range h.objects[object].sockets {
		return s
	}
	return nil
}

// rawUpgrade opens a TCP connection and upgrades it by hand, so a test
// can write broken frames.
func rawUpgrade(t *testing.T, r *rig, object string) net.Conn {
	t.Helper()
	conn, err := net.Dial("tcp", strings.TrimPrefix(r.srv.URL, "http://"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { conn.Close() })
	key := make([]byte, 16)
	rand.Read(key)
	fmt.Fprintf(conn, "GET /?object=%s HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: %s\r\nSec-WebSocket-Version: 13\r\n\r\n",
		object, base64.StdEncoding.EncodeToString(key))
	resp, err := http.ReadResponse(bufio.NewReader(conn), nil)
	if err != nil {
		t.Fatal(err)
	}
	if resp.StatusCode != http.StatusSwitchingProtocols {
		t.Fatalf("upgrade answered %d", resp.StatusCode)
	}
	return conn
}

func TestMidMessageDisconnect(t *testing.T) {
	rc := newRecorder()
	r := newRig(t, Options{Deliver: rc.deliver})
	conn := rawUpgrade(t, r, "o")
	waitFor(t, "accept", func() bool { return len(r.hub.GetWebSockets("o", "")) == 1 })
	// A masked text frame that says 1000 bytes, then 10 of them, then gone.
	frame := []byte{0x81, 0x80 | 126, 0x03, 0xE8, 1, 2, 3, 4}
	frame = append(frame, make([]byte, 10)...)
	conn.Write(frame)
	conn.Close()
	e := rc.next(t)
	if e.ev.Kind != EventClose || e.ev.Code != CodeAbnormal || e.ev.WasClean {
		t.Fatalf("event %+v, want close 1006 not clean", e.ev)
	}
	waitFor(t, "the socket to leave", func() bool { return len(r.hub.GetWebSockets("o", "")) == 0 })
	waitFor(t, "the object to be forgotten", func() bool {
		r.hub.mu.Lock()
		defer r.hub.mu.Unlock()
		return len(r.hub.objects) == 0 && len(r.hub.sockets) == 0
	})
	if !errors.Is(e.ws.Send(Text("x")), ErrClosed) {
		t.Fatal("Send on a lost socket did not fail with ErrClosed")
	}
}

func TestProtocolErrorIsErrorEvent(t *testing.T) {
	rc := newRecorder()
	r := newRig(t, Options{Deliver: rc.deliver})
	conn := rawUpgrade(t, r, "o")
	conn.Write([]byte{0x81, 0x02, 'h', 'i'}) // unmasked: a client must mask
	e := rc.next(t)
	if e.ev.Kind != EventError {
		t.Fatalf("event %+v, want an error", e.ev)
	}
	waitFor(t, "the socket to leave", func() bool { return len(r.hub.GetWebSockets("o", "")) == 0 })
}

func TestMessageTooBig(t *testing.T) {
	rc := newRecorder()
	r := newRig(t, Options{Deliver: rc.deliver, MaxMessageSize: 1024})
	c := r.dial("o")
	write(t, c, strings.Repeat("x", 1024))
	if e := rc.next(t); len(e.ev.Message.Data) != 1024 {
		t.Fatalf("message of 1024 bytes: %+v", e.ev.Kind)
	}
	c.Write(context.Background(), websocket.MessageText, []byte(strings.Repeat("x", 1025)))
	if err := readErr(t, c); websocket.CloseStatus(err) != websocket.StatusMessageTooBig {
		t.Fatalf("client saw %v, want close 1009", err)
	}
	if e := rc.next(t); e.ev.Kind != EventError || !strings.Contains(e.ev.Err, "too large") {
		t.Fatalf("event %+v, want an error event", e.ev)
	}
	waitFor(t, "the socket to leave", func() bool { return len(r.hub.GetWebSockets("o", "")) == 0 })
}

func TestClientNeverReads(t *testing.T) {
	rc := newRecorder()
	r := newRig(t, Options{Deliver: rc.deliver, OutboundMessages: 100000, OutboundBytes: 1 << 20, WriteTimeout: 200 * time.Millisecond})
	r.dial("o") // never reads
	waitFor(t, "accept", func() bool { return len(r.hub.GetWebSockets("o", "")) == 1 })
	ws := r.hub.GetWebSockets("o", "")[0]
	msg := Binary(make([]byte, 64<<10))
	var err error
	for i := 0; i < 100000 && err == nil; i++ {
		err = ws.Send(msg)
	}
	if !errors.Is(err, ErrClosed) {
		t.Fatalf("Send to a client that never reads: %v, want ErrClosed", err)
	}
	e := rc.next(t)
	if e.ev.Kind != EventClose || e.ev.WasClean {
		t.Fatalf("event %+v, want an unclean close", e.ev)
	}
	waitFor(t, "the socket to leave", func() bool { return len(r.hub.GetWebSockets("o", "")) == 0 })
}

func TestDeliverFailsOrHangs(t *testing.T) {
	var calls atomic.Int32
	results := make(chan error, 10)
	r := newRig(t, Options{Deliver: func(ctx context.Context, object string, ws *Socket, ev Event) error {
		switch calls.Add(1) {
		case 1:
			results <- nil
			return errors.New("the object threw")
		case 2:
			<-ctx.Done() // hangs until the event timeout
			results <- ctx.Err()
			return ctx.Err()
		default:
			results <- nil
			return ws.Send(ev.Message)
		}
	}})
	if err := r.hub.SetEventTimeout("o", 50*time.Millisecond); err != nil {
		t.Fatal(err)
	}
	if got := r.hub.EventTimeout("o"); got != 50*time.Millisecond {
		t.Fatalf("EventTimeout = %v", got)
	}
	c := r.dial("o")
	write(t, c, "1")
	write(t, c, "2")
	write(t, c, "3")
	<-results
	if err := <-results; !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("hung event's context: %v", err)
	}
	if _, got := read(t, c); got != "3" {
		t.Fatalf("after a failed and a timed-out event the socket answered %q", got)
	}
	var ae *ArgumentError
	if err := r.hub.SetEventTimeout("o", MaxEventTimeout+time.Millisecond); !errors.As(err, &ae) {
		t.Fatalf("timeout over 7 days: %v", err)
	}
	r.hub.SetEventTimeout("o", 0)
	if got := r.hub.EventTimeout("o"); got != 0 {
		t.Fatalf("cleared EventTimeout = %v", got)
	}
}

func TestClientClose(t *testing.T) {
	rc := newRecorder()
	r := newRig(t, Options{Deliver: rc.deliver})
	c := r.dial("o", "t")
	write(t, c, "last")
	if err := c.Close(4000, "bye"); err != nil {
		t.Fatalf("client close: %v", err)
	}
	if e := rc.next(t); string(e.ev.Message.Data) != "last" {
		t.Fatalf("got %+v", e.ev)
	}
	e := rc.next(t)
	if e.ev.Kind != EventClose || e.ev.Code != 4000 || e.ev.Reason != "bye" || !e.ev.WasClean {
		t.Fatalf("close event %+v", e.ev)
	}
	if got := e.ws.Tags(); len(got) != 1 || got[0] != "t" {
		t.Fatalf("closed socket's tags %v", got)
	}
	waitFor(t, "the socket to leave", func() bool { return len(r.hub.GetWebSockets("o", "t")) == 0 })
}

func TestObjectClose(t *testing.T) {
	rc := newRecorder()
	r := newRig(t, Options{Deliver: rc.deliver})
	c := r.dial("o")
	waitFor(t, "accept", func() bool { return len(r.hub.GetWebSockets("o", "")) == 1 })
	ws := r.hub.GetWebSockets("o", "")[0]
	for _, tc := range []struct {
		code   uint16
		reason string
	}{{999, ""}, {1001, ""}, {2999, ""}, {5000, ""}, {0, "why"}, {1000, strings.Repeat("r", 124)}} {
		var ae *ArgumentError
		if err := ws.Close(tc.code, tc.reason); !errors.As(err, &ae) {
			t.Errorf("Close(%d, %d bytes) = %v, want an ArgumentError", tc.code, len(tc.reason), err)
		}
	}
	ws.Send(Text("before"))
	if err := ws.Close(4001, "done"); err != nil {
		t.Fatal(err)
	}
	if err := ws.Send(Text("after")); !errors.Is(err, ErrClosed) {
		t.Fatalf("Send after Close: %v", err)
	}
	if err := ws.Close(1000, ""); !errors.Is(err, ErrClosed) {
		t.Fatalf("Close twice: %v", err)
	}
	if _, got := read(t, c); got != "before" {
		t.Fatalf("got %q", got)
	}
	if err := readErr(t, c); websocket.CloseStatus(err) != 4001 {
		t.Fatalf("client saw %v, want 4001", err)
	}
	rc.none(t, 100*time.Millisecond)
	waitFor(t, "the socket to leave", func() bool { return len(r.hub.GetWebSockets("o", "")) == 0 })
}

func TestObjectCloseNoCode(t *testing.T) {
	rc := newRecorder()
	r := newRig(t, Options{Deliver: rc.deliver})
	c := r.dial("o")
	waitFor(t, "accept", func() bool { return len(r.hub.GetWebSockets("o", "")) == 1 })
	r.hub.GetWebSockets("o", "")[0].Close(0, "")
	if err := readErr(t, c); websocket.CloseStatus(err) != websocket.StatusNoStatusRcvd {
		t.Fatalf("client saw %v, want a close without code", err)
	}
}

func TestHubClose(t *testing.T) {
	rc := newRecorder()
	r := newRig(t, Options{Deliver: rc.deliver})
	c := r.dial("o")
	waitFor(t, "accept", func() bool { return len(r.hub.GetWebSockets("o", "")) == 1 })
	done := make(chan error, 1)
	go func() { done <- readErr(t, c) }()
	r.hub.Close()
	if err := <-done; websocket.CloseStatus(err) != websocket.StatusGoingAway {
		t.Fatalf("client saw %v, want 1001", err)
	}
	rc.none(t, 50*time.Millisecond)
	if _, err := r.tryDial("o"); err == nil {
		t.Fatal("a closed hub accepted")
	}
}

func TestNewHubNeedsDeliver(t *testing.T) {
	if _, err := NewHub(Options{}); err == nil {
		t.Fatal("NewHub without Deliver")
	}
}

func TestObjectCloseDropsQueued(t *testing.T) {
	gate := make(chan struct{})
	got := make(chan string, 10)
	r := newRig(t, Options{Deliver: func(ctx context.Context, object string, ws *Socket, ev Event) error {
		got <- string(ev.Message.Data)
		if string(ev.Message.Data) == "1" {
			<-gate
		}
		return nil
	}})
	c := r.dial("o")
	write(t, c, "1")
	if m := <-got; m != "1" {
		t.Fatalf("first event %q", m)
	}
	write(t, c, "2")
	write(t, c, "3")
	ws := r.hub.GetWebSockets("o", "")[0]
	waitFor(t, "two queued", func() bool {
		r.hub.mu.Lock()
		defer r.hub.mu.Unlock()
		return ws.pendingIn == 3
	})
	if err := ws.Close(1000, ""); err != nil {
		t.Fatal(err)
	}
	close(gate)
	readErr(t, c)
	waitFor(t, "the socket to leave", func() bool { return len(r.hub.GetWebSockets("o", "")) == 0 })
	select {
	case m := <-got:
		t.Fatalf("event %q delivered after the object closed the socket", m)
	default:
	}
}
