//go:build wasip1

package queue

import (
	"context"
	"time"

	"github.com/bindery-run/bindery/guest-sdk/go/internal/cabi"
	"github.com/bindery-run/bindery/guest-sdk/go/internal/gcnet"
	"github.com/bindery-run/bindery/guest-sdk/go/internal/wit/logwit"
	"github.com/bindery-run/bindery/guest-sdk/go/internal/wit/queueconsumerwit"
	"github.com/bindery-run/bindery/guest-sdk/go/internal/wit/queuewit"
)

// The queue handler is exported only by a Worker that imports this
// package: the host calls it only for a Worker whose config consumes a
// queue.
func init() {
	queueconsumerwit.ConsumerExports.Queue = consume
	queueconsumerwit.ConsumerExports.PostQueue = afterBatch
}

// afterBatch runs after the host has read the outcome: it releases what
// the host lowered the batch into, and collects the batch's garbage once
// enough has been allocated (a batch is up to 100 messages of 128 KB,
// which the Go GC of a reactor would otherwise keep for many batches).
func afterBatch() {
	cabi.ResetAll()
	gcnet.Check()
}

// consume runs the Worker's handler on a batch the host delivered.
func consume(name string, msgs []queueconsumerwit.Message) queueconsumerwit.Outcome {
	ms := make([]Message, len(msgs))
	ps := make([]*Message, len(msgs))
	for i, m := range msgs {
		ms[i] = Message{
			ID:          m.ID,
			Timestamp:   time.UnixMilli(m.Timestamp).UTC(),
			Attempts:    int(m.Attempts),
			Body:        m.Body,
			ContentType: contentType(m.ContentType),
		}
		ps[i] = &ms[i]
	}
	out := newBatch(name, ps, warn).run(context.Background(), handler)
	res := queueconsumerwit.Outcome{
		Acked:         out.acked,
		Retried:       make([]queueconsumerwit.RetryRequest, len(out.retried)),
		AckAll:        out.ackAll,
		RetryAll:      out.retryAll,
		RetryAllDelay: cabi.Option[uint32]{Some: out.retryAllDelay.set, Value: out.retryAllDelay.secs},
		Error:         cabi.Option[string]{Some: out.err != "", Value: out.err},
	}
	for i, r := range out.retried {
		res.Retried[i] = queueconsumerwit.RetryRequest{Index: r.index, DelaySeconds: cabi.Option[uint32]{Some: r.delay.set, Value: r.delay.secs}}
	}
	return res
}

// warn logs msg as console.warn does.
func warn(msg string) { logwit.Log(logwit.LevelWarn, msg) }

// contentType is the WIT enum as a ContentType.
func contentType(ct queuewit.ContentType) ContentType {
	switch ct {
	case queuewit.ContentTypeText:
		return Text
	case queuewit.ContentTypeBytes:
		return Bytes
	case queuewit.ContentTypeJSON:
		return JSON
	}
	return V8
}
