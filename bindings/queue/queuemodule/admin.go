package queuemodule

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"time"

	"github.com/bindery-run/bindery/bindings"
	"github.com/bindery-run/bindery/bindings/queue"
	"github.com/bindery-run/bindery/internal/admin"
)

// The Queues routes of the admin API (JSON errors {"error"}):
//
//	GET    /api/queues                          {"queues": [Info]}
//	GET    /api/queues/{queue}                  Info
//	GET    /api/queues/{queue}/messages?limit=N {"messages": [Message]}: pending, in flight, dead-lettered
//	POST   /api/queues/{queue}/messages         {"messages": [{"body": base64, "contentType", "delaySeconds"}]} → {"sent": n}
//	DELETE /api/queues/{queue}/messages         {"purged": n}: the pending messages
//	PUT    /api/queues/{queue}/retention        {"seconds": n} (0: the default)

// Store is what the routes serve and `bindery queues` works on: a
// *queue.Broker (a running dev server's, or one opened on the data
// directory) or a dev server through its admin API (Client).
type Store interface {
	Queues(ctx context.Context) ([]queue.Info, error)
	Info(ctx context.Context, name string) (queue.Info, error)
	Peek(ctx context.Context, name string, limit int) ([]queue.Peeked, error)
	Send(ctx context.Context, name string, msgs []queue.SendRequest) error
	Purge(ctx context.Context, name string) (int, error)
	SetRetention(ctx context.Context, name string, d time.Duration) error
}

var (
	_ Store = (*queue.Broker)(nil)
	_ Store = (*Client)(nil)
)

// Info is a queue.Info on the wire.
type Info struct {
	Name             string `json:"name"`
	Ready            int    `json:"ready"`
	Delayed          int    `json:"delayed"`
	InFlight         int    `json:"inFlight"`
	DeadLettered     int    `json:"deadLettered"`
	RetentionSeconds int64  `json:"retentionSeconds"`
	Consumers        int    `json:"consumers"`
}

func toInfo(in queue.Info) Info {
	return Info{in.Name, in.Ready, in.Delayed, in.InFlight, in.DeadLettered, int64(in.Retention / time.Second), in.Consumers}
}

func (in Info) info() queue.Info {
	return queue.Info{Name: in.Name, Ready: in.Ready, Delayed: in.Delayed, InFlight: in.InFlight, DeadLettered: in.DeadLettered,
		Retention: time.Duration(in.RetentionSeconds) * time.Second, Consumers: in.Consumers}
}

// Message is a queue.Peeked on the wire; times are milliseconds since the
// epoch.
type Message struct {
	ID          string `json:"id"`
	Queue       string `json:"queue"`
	State       string `json:"state"`
	Timestamp   int64  `json:"timestamp"`
	Due         int64  `json:"due,omitempty"`
	Attempts    int    `json:"attempts"`
	ContentType string `json:"contentType"`
	Body        []byte `json:"body"`
}

func toMessage(p queue.Peeked) Message {
	m := Message{ID: p.ID, Queue: p.Queue, State: string(p.State), Timestamp: p.Timestamp.UnixMilli(), Attempts: p.Attempts,
		ContentType: p.ContentType.String(), Body: p.Body}
	if !p.Due.IsZero() {
		m.Due = p.Due.UnixMilli()
	}
	return m
}

func (m Message) peeked() (queue.Peeked, error) {
	ct, err := queue.ParseContentType(m.ContentType)
	p := queue.Peeked{Message: queue.Message{ID: m.ID, Timestamp: time.UnixMilli(m.Timestamp).UTC(), Body: m.Body, ContentType: ct, Attempts: m.Attempts},
		State: queue.State(m.State), Queue: m.Queue}
	if m.Due != 0 {
		p.Due = time.UnixMilli(m.Due).UTC()
	}
	return p, err
}

// SendRequest is a queue.SendRequest on the wire.
type SendRequest struct {
	Body         []byte `json:"body"`
	ContentType  string `json:"contentType"`
	DelaySeconds int64  `json:"delaySeconds,omitempty"`
}

// Routes returns the admin routes over store.
func Routes(store Store) []bindings.Route {
	return []bindings.Route{
		{Pattern: "GET /api/queues", Handler: func(w http.ResponseWriter, r *http.Request) {
			qs, err := store.Queues(r.Context())
			out := []Info{}
			for _, q := range qs {
				out = append(out, toInfo(q))
			}
			reply(w, map[string][]Info{"queues": out}, err)
		}},
		{Pattern: "GET /api/queues/{queue}", Handler: func(w http.ResponseWriter, r *http.Request) {
			in, err := store.Info(r.Context(), r.PathValue("queue"))
			reply(w, toInfo(in), err)
		}},
		{Pattern: "GET /api/queues/{queue}/messages", Handler: func(w http.ResponseWriter, r *http.Request) {
			limit := 100
			if l := r.URL.Query().Get("limit"); l != "" {
				n, err := strconv.Atoi(l)
				if err != nil || n < 1 {
					reply(w, nil, badRequest{fmt.Errorf("limit %q is not a positive number", l)})
					return
				}
				limit = n
			}
			ps, err := store.Peek(r.Context(), r.PathValue("queue"), limit)
			out := []Message{}
			for _, p := range ps {
				out = append(out, toMessage(p))
			}
			reply(w, map[string][]Message{"messages": out}, err)
		}},
		{Pattern: "POST /api/queues/{queue}/messages", Handler: func(w http.ResponseWriter, r *http.Request) {
			var in struct{ Messages []SendRequest }
			if err := json.NewDecoder(io.LimitReader(r.Body, 4<<20)).Decode(&in); err != nil {
				reply(w, nil, badRequest{fmt.Errorf("the body is not {\"messages\": [...]}: %w", err)})
				return
			}
			reqs := make([]queue.SendRequest, len(in.Messages))
			for i, m := range in.Messages {
				ct, err := queue.ParseContentType(m.ContentType)
				if err != nil {
					reply(w, nil, badRequest{err})
					return
				}
				reqs[i] = queue.SendRequest{Body: m.Body, ContentType: ct, Delay: time.Duration(m.DelaySeconds) * time.Second}
			}
			err := store.Send(r.Context(), r.PathValue("queue"), reqs)
			reply(w, map[string]int{"sent": len(reqs)}, err)
		}},
		{Pattern: "DELETE /api/queues/{queue}/messages", Handler: func(w http.ResponseWriter, r *http.Request) {
			n, err := store.Purge(r.Context(), r.PathValue("queue"))
			reply(w, map[string]int{"purged": n}, err)
		}},
		{Pattern: "PUT /api/queues/{queue}/retention", Handler: func(w http.ResponseWriter, r *http.Request) {
			var in struct{ Seconds int64 }
			if err := json.NewDecoder(io.LimitReader(r.Body, 1<<10)).Decode(&in); err != nil {
				reply(w, nil, badRequest{fmt.Errorf("the body is not {\"seconds\": n}: %w", err)})
				return
			}
			err := store.SetRetention(r.Context(), r.PathValue("queue"), time.Duration(in.Seconds)*time.Second)
			reply(w, map[string]int64{"seconds": in.Seconds}, err)
		}},
	}
}

// badRequest marks an error of the request, not of the store.
type badRequest struct{ error }

// reply writes v, or err: 400 for a bad request or a send over a limit.
func reply(w http.ResponseWriter, v any, err error) {
	if err == nil {
		admin.WriteJSON(w, http.StatusOK, v)
		return
	}
	status := http.StatusInternalServerError
	var br badRequest
	var le *queue.LimitError
	if errors.As(err, &br) || errors.As(err, &le) {
		status = http.StatusBadRequest
	}
	admin.WriteJSON(w, status, map[string]string{"error": err.Error()})
}

// Client calls the Queues routes of a dev server's admin API.
type Client struct{ c *admin.Client }

// NewClient returns a client of the admin API at url with the bearer
// token; hc nil means a default HTTP client.
func NewClient(url, token string, hc *http.Client) *Client {
	return &Client{c: &admin.Client{URL: url, Token: token, HTTP: hc}}
}

// call sends a request with a JSON body (nil for none) and decodes its
// JSON answer into v.
func (c *Client) call(ctx context.Context, method, path string, q url.Values, body, v any) error {
	var rd io.Reader
	var n int64
	if body != nil {
		b, err := json.Marshal(body)
		if err != nil {
			return err
		}
		rd, n = bytes.NewReader(b), int64(len(b))
	}
	resp, err := c.c.Request(ctx, method, path, q, nil, rd, n)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return admin.ReadError(resp, nil)
	}
	return json.NewDecoder(resp.Body).Decode(v)
}

func queuePath(name string, parts ...string) string {
	p := "/api/queues/" + admin.EscapeKey(name)
	for _, s := range parts {
		p += "/" + s
	}
	return p
}

// Queues lists the queues.
func (c *Client) Queues(ctx context.Context) ([]queue.Info, error) {
	var out struct{ Queues []Info }
	err := c.call(ctx, "GET", "/api/queues", nil, nil, &out)
	var qs []queue.Info
	for _, in := range out.Queues {
		qs = append(qs, in.info())
	}
	return qs, err
}

// Info describes a queue.
func (c *Client) Info(ctx context.Context, name string) (queue.Info, error) {
	var in Info
	err := c.call(ctx, "GET", queuePath(name), nil, nil, &in)
	return in.info(), err
}

// Peek returns up to limit of a queue's messages.
func (c *Client) Peek(ctx context.Context, name string, limit int) ([]queue.Peeked, error) {
	var out struct{ Messages []Message }
	if err := c.call(ctx, "GET", queuePath(name, "messages"), url.Values{"limit": {strconv.Itoa(limit)}}, nil, &out); err != nil {
		return nil, err
	}
	var ps []queue.Peeked
	for _, m := range out.Messages {
		p, err := m.peeked()
		if err != nil {
			return nil, err
		}
		ps = append(ps, p)
	}
	return ps, nil
}

// Send sends messages.
func (c *Client) Send(ctx context.Context, name string, msgs []queue.SendRequest) error {
	in := struct {
		Messages []SendRequest `json:"messages"`
	}{}
	for _, m := range msgs {
		in.Messages = append(in.Messages, SendRequest{Body: m.Body, ContentType: m.ContentType.String(), DelaySeconds: int64(m.Delay / time.Second)})
	}
	var out struct{ Sent int }
	return c.call(ctx, "POST", queuePath(name, "messages"), nil, in, &out)
}

// Purge deletes a queue's pending messages.
func (c *Client) Purge(ctx context.Context, name string) (int, error) {
	var out struct{ Purged int }
	err := c.call(ctx, "DELETE", queuePath(name, "messages"), nil, nil, &out)
	return out.Purged, err
}

// SetRetention sets a queue's message retention.
func (c *Client) SetRetention(ctx context.Context, name string, d time.Duration) error {
	var out struct{ Seconds int64 }
	return c.call(ctx, "PUT", queuePath(name, "retention"), nil, map[string]int64{"seconds": int64(d / time.Second)}, &out)
}
