//go:build wasip1

// Command worker is a Go Worker with a queue handler and a scheduled
// handler (packages queue and cron) and no fetch handler, for
// host/internal/queuewit's test of the Go SDK through the ABI. Each
// message's text is a list of commands, separated by spaces, that the
// handler runs in order; what the handler sees it reports by sending text
// messages to the producer binding OUT.
package main

import (
	"context"
	"encoding/hex"
	"errors"
	"fmt"
	"strconv"
	"strings"

	"github.com/bindery-run/bindery/guest-sdk/go/bindery/cron"
	"github.com/bindery-run/bindery/guest-sdk/go/bindery/queue"
	"github.com/bindery-run/bindery/guest-sdk/go/bindery/structured"
)

func init() {
	queue.Handle(consume)
	cron.Handle(func(ctx context.Context, c *cron.Controller) error {
		c.NoRetry()
		switch c.Cron {
		case "fail":
			return errors.New("cron failed")
		case "panic":
			panic("cron panicked")
		}
		return report(fmt.Sprintf("cron %s %d %s", c.Cron, c.ScheduledTime.UnixMilli(), c.Type()))
	})
}

// report sends text to OUT.
func report(text string) error {
	out, err := queue.Get("OUT")
	if err != nil {
		return err
	}
	return out.SendText(text)
}

// describe is a message as the handler sees it.
func describe(b *queue.Batch, m *queue.Message) (string, error) {
	var body string
	switch m.ContentType {
	case queue.Text:
		body = m.Text()
	case queue.Bytes:
		body = hex.EncodeToString(m.Body)
	case queue.JSON:
		var v map[string]any
		if err := m.JSON(&v); err != nil {
			return "", err
		}
		body = fmt.Sprint(v)
	case queue.V8:
		var v any
		if err := m.Value(&v); err != nil {
			return "", err
		}
		body = fmt.Sprintf("%#v", v)
	}
	return fmt.Sprintf("%s %s %d %d %s %s", b.Queue, m.ID, m.Timestamp.UnixMilli(), m.Attempts, m.ContentType, body), nil
}

// delay is the delay of a command's argument: none when it has none.
func delay(arg string) *queue.RetryOptions {
	if arg == "" {
		return nil
	}
	n, _ := strconv.Atoi(arg)
	return &queue.RetryOptions{DelaySeconds: n}
}

func consume(ctx context.Context, b *queue.Batch) error {
	var fail error
	for _, m := range b.Messages {
		if m.ContentType != queue.Text {
			d, err := describe(b, m)
			if err != nil {
				return err
			}
			if err := report(d); err != nil {
				return err
			}
			continue
		}
		for _, cmd := range strings.Fields(m.Text()) {
			name, arg, _ := strings.Cut(cmd, ":")
			var err error
			switch name {
			case "ack":
				m.Ack()
			case "retry":
				m.Retry(delay(arg))
			case "ack-all":
				b.AckAll()
			case "retry-all":
				b.RetryAll(delay(arg))
			case "describe":
				var d string
				if d, err = describe(b, m); err == nil {
					err = report(d)
				}
			case "error":
				fail = errors.New("failed on purpose: " + arg)
			case "panic":
				panic("panicked on purpose")
			case "send":
				err = send(arg)
			case "open":
				_, err = queue.Get(arg)
			}
			if err != nil {
				return fmt.Errorf("%s: %w", cmd, err)
			}
		}
	}
	return fail
}

// send sends to OUT what arg names.
func send(arg string) error {
	out, err := queue.Get("OUT")
	if err != nil {
		return err
	}
	switch arg {
	case "text":
		return out.Send("héllo", &queue.SendOptions{ContentType: queue.Text, DelaySeconds: 5})
	case "bytes":
		return out.SendBytes([]byte{0, 1, 0xff})
	case "json":
		return out.SendJSON(map[string]any{"a": 1})
	case "v8":
		return out.Send(structured.Object{{Key: "key", Value: "k"}, {Key: "b", Value: []byte{0, 1, 0xff}}}, &queue.SendOptions{DelaySeconds: queue.NoDelay})
	case "batch":
		return out.SendBatch([]queue.MessageRequest{
			{Body: "one", ContentType: queue.Text},
			{Body: []byte{2}, ContentType: queue.Bytes, DelaySeconds: 7},
			{Body: 1.5, DelaySeconds: queue.NoDelay},
		}, &queue.BatchOptions{DelaySeconds: 30})
	case "bad-text":
		return out.Send(42, &queue.SendOptions{ContentType: queue.Text})
	case "too-large":
		err := out.SendText(strings.Repeat("x", 200))
		var qe *queue.Error
		if errors.As(err, &qe) && errors.Is(err, queue.ErrTooLarge) {
			return fmt.Errorf("kind too-large: %w", err)
		}
		return err
	}
	return fmt.Errorf("unknown send %q", arg)
}

func main() {}
