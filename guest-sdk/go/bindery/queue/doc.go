// Package queue is Cloudflare Queues for Go Workers: the producer side
// (Get a binding, then Send and SendBatch) and the queue handler a
// consumer Worker registers with Handle. Only a Worker that imports this
// package exports the queue handler (bindery:queue/consumer).
//
// A Worker that sends jobs and consumes them:
//
//	type Job struct {
//		URL string `json:"url"`
//	}
//
//	func init() {
//		bindery.Serve(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
//			jobs, err := queue.Get("JOBS") // [[queues.producers]] binding = "JOBS"
//			if err == nil {
//				err = jobs.Send(Job{URL: r.URL.Query().Get("url")}, nil) // a structured value ("v8")
//			}
//			...
//		}))
//		queue.Handle(func(ctx context.Context, b *queue.Batch) error {
//			for _, m := range b.Messages {
//				var job Job
//				if err := m.Value(&job); err != nil {
//					m.Retry(&queue.RetryOptions{DelaySeconds: 30})
//					continue
//				}
//				m.Ack()
//			}
//			return nil // the messages neither acked nor retried are acked
//		})
//	}
//
// The producer's bodies are encoded by content type (SendOptions): Text
// takes a string, Bytes a []byte, JSON any value encoding/json marshals
// (a json.RawMessage as it is), and V8, the default as on Cloudflare, any
// value the structured-value encoding holds (package structured, which
// every Bindery SDK shares, so a JavaScript consumer reads the value a Go
// producer sent).
//
// A handler's decisions follow workerd: on a message the first of Ack and
// Retry wins, and a later call is ignored with a console warning (a later
// Retry replaces the delay); Retry after AckAll is ignored with a warning,
// and so are Ack after RetryAll, AckAll after RetryAll and RetryAll after
// AckAll (Ack after AckAll quietly). When the handler returns, every
// message explicitly acked is acknowledged, every one explicitly retried
// is retried after its delay, and the others are retried when RetryAll
// was called or the handler returned an error (or panicked), else
// acknowledged.
// docs/queues.md has the details.
package queue
