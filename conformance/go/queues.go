//go:build wasip1

package main

import (
	"context"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"

	"github.com/bindery-run/bindery/guest-sdk/go/bindery"
	"github.com/bindery-run/bindery/guest-sdk/go/bindery/cron"
	"github.com/bindery-run/bindery/guest-sdk/go/bindery/queue"
	"github.com/bindery-run/bindery/guest-sdk/go/bindery/structured"
)

// The Queues and cron triggers section (conformance/queues_test.go): the
// routes under /queue/ and /cron/, the queue handler and the scheduled
// handler.

func init() {
	queue.Handle(consume)
	cron.Handle(scheduled)
}

// queueRoute answers the routes under /queue/ and /cron/.
func queueRoute(w http.ResponseWriter, r *http.Request, p string) {
	switch {
	case p == "/queue/send" && r.Method == "POST":
		body, err := io.ReadAll(r.Body)
		if err == nil {
			err = sendOne(r.URL.Query().Get("type"), r.URL.Query().Get("key"), body)
		}
		sendResult(w, err)
	case p == "/queue/batch" && r.Method == "POST":
		var texts []string
		err := json.NewDecoder(r.Body).Decode(&texts)
		if err == nil {
			err = sendBatch(texts, nil)
		}
		sendResult(w, err)
	case p == "/queue/limits" && r.Method == "GET":
		q, err := queue.Get("QUEUE")
		if err != nil {
			http.Error(w, err.Error(), 500)
			return
		}
		many := make([]queue.MessageRequest, 101)
		for i := range many {
			many[i] = queue.MessageRequest{Body: "x", ContentType: queue.Text}
		}
		writeJSON(w, map[string]any{
			"large": errOrNull(q.SendText(strings.Repeat("x", 131072))),
			"many":  errOrNull(q.SendBatch(many, nil)),
			"delay": errOrNull(q.Send("x", &queue.SendOptions{ContentType: queue.Text, DelaySeconds: 86401})),
		})
	case strings.HasPrefix(p, "/queue/seen/") && r.Method == "GET":
		kvJSON(w, "seen:"+strings.TrimPrefix(p, "/queue/seen/"))
	case strings.HasPrefix(p, "/queue/dead/") && r.Method == "GET":
		kvJSON(w, "dead:"+strings.TrimPrefix(p, "/queue/dead/"))
	case p == "/cron/last" && r.Method == "GET":
		kvJSON(w, "cron:"+r.URL.Query().Get("cron"))
	default:
		http.NotFound(w, r)
	}
}

// sendOne sends body as one message of content type typ (v8: the
// structured value of key).
func sendOne(typ, key string, body []byte) error {
	q, err := queue.Get("QUEUE")
	if err != nil {
		return err
	}
	switch typ {
	case "text":
		return q.SendText(string(body))
	case "bytes":
		return q.SendBytes(body)
	case "json":
		return q.Send(json.RawMessage(body), &queue.SendOptions{ContentType: queue.JSON})
	case "v8":
		return q.Send(structured.Object{{Key: "key", Value: key}, {Key: "n", Value: 1.5}, {Key: "b", Value: []byte{0, 1, 0xff}}}, nil)
	}
	return fmt.Errorf("unknown type %q", typ)
}

// sendBatch sends texts as one batch of text messages.
func sendBatch(texts []string, o *queue.BatchOptions) error {
	q, err := queue.Get("QUEUE")
	if err != nil {
		return err
	}
	msgs := make([]queue.MessageRequest, len(texts))
	for i, s := range texts {
		msgs[i] = queue.MessageRequest{Body: s, ContentType: queue.Text}
	}
	return q.SendBatch(msgs, o)
}

// sendResult answers {"ok":true}, or the send's error.
func sendResult(w http.ResponseWriter, err error) {
	if err != nil {
		writeJSON(w, map[string]any{"error": err.Error()})
		return
	}
	writeJSON(w, map[string]any{"ok": true})
}

// errOrNull is err's message, or nil.
func errOrNull(err error) any {
	if err == nil {
		return nil
	}
	return err.Error()
}

// kvJSON answers the JSON text stored under key in STORE, or null.
func kvJSON(w http.ResponseWriter, key string) {
	store, err := bindery.KV("STORE")
	if err != nil {
		http.Error(w, err.Error(), 500)
		return
	}
	v, err := store.Get(key)
	switch {
	case errors.Is(err, bindery.ErrNotFound):
		v = []byte("null")
	case err != nil:
		http.Error(w, err.Error(), 500)
		return
	}
	w.Header().Set("Content-Type", "application/json")
	w.Write(v)
}

// fields are what the handler reads of a json or v8 message.
type fields struct {
	key, mode string
}

// decoded returns m's key, its body as the suite's JSON (R), and its
// key and mode fields.
func decoded(m *queue.Message) (key string, body any, f fields, err error) {
	switch m.ContentType {
	case queue.Text:
		return m.Text(), m.Text(), f, nil
	case queue.Bytes:
		h := hex.EncodeToString(m.Body)
		return h, h, f, nil
	case queue.JSON:
		var raw json.RawMessage
		var v struct {
			Key  any    `json:"key"`
			Mode string `json:"mode"`
		}
		if err := m.JSON(&raw); err != nil {
			return "", nil, f, err
		}
		if err := json.Unmarshal(raw, &v); err != nil {
			return "", nil, f, fmt.Errorf("message %s: %w", m.ID, err)
		}
		f = fields{key: keyText(v.Key), mode: v.Mode}
		return f.key, raw, f, nil
	}
	var v any
	if err := m.Value(&v); err != nil {
		return "", nil, f, err
	}
	if o, ok := v.(structured.Object); ok {
		for _, e := range o {
			switch e.Key {
			case "key":
				f.key = keyText(e.Value)
			case "mode":
				f.mode, _ = e.Value.(string)
			}
		}
	}
	return f.key, jsonOf(v), f, nil
}

// keyText is a key field as text.
func keyText(v any) string {
	if s, ok := v.(string); ok {
		return s
	}
	return fmt.Sprint(v)
}

// consume is the queue handler.
func consume(ctx context.Context, b *queue.Batch) error {
	store, err := bindery.KV("STORE")
	if err != nil {
		return err
	}
	var thrown string
	for _, m := range b.Messages {
		key, body, f, err := decoded(m)
		if err != nil {
			return err
		}
		var rec any
		var kvKey string
		switch b.Queue {
		case "conf-queue":
			kvKey = "seen:" + key
			rec = map[string]any{"queue": b.Queue, "id": m.ID, "timestamp": m.Timestamp.UnixMilli(), "attempts": m.Attempts, "batchSize": len(b.Messages), "body": body}
		case "conf-dlq":
			kvKey = "dead:" + key
			rec = map[string]any{"queue": b.Queue, "attempts": m.Attempts, "body": body}
		default:
			return fmt.Errorf("conformance: a batch of an unexpected queue %q", b.Queue)
		}
		v, err := json.Marshal(rec)
		if err != nil {
			return err
		}
		if err := store.Put(kvKey, v, nil); err != nil {
			return err
		}
		if b.Queue != "conf-queue" {
			continue
		}
		switch f.mode {
		case "ack":
			m.Ack()
		case "retry":
			m.Retry(nil)
		case "ack-then-retry":
			m.Ack()
			m.Retry(nil)
		case "retry-all":
			b.RetryAll(nil)
		case "ack-all-then-retry-all":
			b.AckAll()
			b.RetryAll(nil)
		case "throw":
			if thrown == "" {
				thrown = key
			}
		}
	}
	if thrown != "" {
		return errors.New("boom " + thrown)
	}
	return nil
}

// scheduled is the scheduled handler.
func scheduled(ctx context.Context, c *cron.Controller) error {
	store, err := bindery.KV("STORE")
	if err != nil {
		return err
	}
	v, err := json.Marshal(map[string]any{"cron": c.Cron, "scheduledTime": c.ScheduledTime.UnixMilli()})
	if err != nil {
		return err
	}
	if err := store.Put("cron:"+c.Cron, v, nil); err != nil {
		return err
	}
	if c.Cron == "59 23 31 12 *" {
		return errors.New("cron boom")
	}
	return nil
}
