package conformance_test

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/bindery-run/bindery/bindings/queue"
	"github.com/bindery-run/bindery/bindings/state"
	"github.com/bindery-run/bindery/host"
	"github.com/bindery-run/bindery/host/clock"
	"github.com/bindery-run/bindery/host/cronhost"
	"github.com/bindery-run/bindery/host/queuehost"
)

// # The Queues and cron section of the conformance Worker
//
// Grants: producer binding QUEUE of queue "conf-queue"; the Worker
// consumes "conf-queue" (max_batch_size 10, max_batch_timeout 100 ms,
// max_retries 2, dead_letter_queue "conf-dlq", retry_delay 0) and
// "conf-dlq" (max_retries 0); cron triggers "*/5 * * * *" and
// "59 23 31 12 *" on a manual clock.
//
//	POST /queue/send?type=T   sends the body as one message of content type T
//	                          (text: the body as text; bytes: its bytes; json:
//	                          the JSON value it holds): {"ok":true}, or
//	                          {"error": the SDK's message}
//	POST /queue/send?type=v8&key=K
//	                          sends the structured value {"key": K, "n": 1.5,
//	                          "b": bytes 00 01 ff} with content type v8
//	POST /queue/batch         the body is a JSON array of strings: one
//	                          sendBatch of them as text messages
//	GET  /queue/limits        {"large": the error of sending 131072 bytes of
//	                          text, "many": of a sendBatch of 101 messages,
//	                          "delay": of a delay of 86401 s}
//	GET  /queue/seen/<key>    KV "seen:<key>" as stored, or null
//	GET  /queue/dead/<key>    KV "dead:<key>" as stored, or null
//	GET  /cron/last?cron=C    KV "cron:<C>" as stored, or null
//
// The queue handler, for each message of a "conf-queue" batch, decodes
// the body and takes its key (the text; the bytes in lowercase hex; the
// "key" field of a json or v8 value), puts KV "seen:<key>" = {"queue",
// "id", "timestamp" (ms), "attempts", "batchSize", "body"} (the body
// rendered as JSON: text as a string, bytes as hex, a json value as it is,
// a v8 value with its bytes as hex), then acts on the value's "mode":
// "ack", "retry", "ack-then-retry" (ack wins), "retry-all",
// "ack-all-then-retry-all" (ackAll wins), or "throw" (after the loop:
// the error "boom <key>"). For "conf-dlq" it puts "dead:<key>" =
// {"queue", "attempts", "body"}. The scheduled handler puts
// "cron:<cron>" = {"cron", "scheduledTime" (ms)}, and throws "cron boom"
// for "59 23 31 12 *".

// queueSetup is what queueGrant made, for the section's checks.
type queueSetup struct {
	broker *queue.Broker
	crons  *cronhost.Host
	clock  *clock.Manual
}

// queueGrant is a newWorker mutation granting the section's queues and
// crons, with the broker in the Worker's own data directory.
func queueGrant(t testing.TB, qs *queueSetup) func(*host.WorkerConfig) {
	return func(c *host.WorkerConfig) {
		st := openState(t)
		b, err := queue.Open(st.DB(), queue.Options{Logger: slog.New(slog.DiscardHandler)})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { b.Close() })
		two, none := 2, 0
		qh, err := queuehost.New(queuehost.Config{
			Broker:    b,
			Producers: map[string]queuehost.Producer{"QUEUE": {Queue: "conf-queue"}},
			Consumers: []queuehost.Consumer{
				{Queue: "conf-queue", Config: queue.ConsumerConfig{MaxBatchSize: 10, MaxBatchTimeout: 100 * time.Millisecond, MaxRetries: &two, DeadLetterQueue: "conf-dlq"}},
				{Queue: "conf-dlq", Config: queue.ConsumerConfig{MaxBatchTimeout: 100 * time.Millisecond, MaxRetries: &none}},
			},
		})
		if err != nil {
			t.Fatal(err)
		}
		mc := clock.NewManual(time.Date(2026, 12, 8, 10, 2, 30, 0, time.UTC))
		ch, err := cronhost.New(cronhost.Config{Crons: []string{"*/5 * * * *", "59 23 31 12 *"}, Schedule: true, Clock: mc})
		if err != nil {
			t.Fatal(err)
		}
		*qs = queueSetup{broker: b, crons: ch, clock: mc}
		c.Bindings = append(c.Bindings, qh.Bindings()...)
		c.Bindings = append(c.Bindings, ch.Bindings()...)
	}
}

// queueStep sends one message (or batch) and waits for what the handlers
// stored.
type queueStep struct {
	name, path, body string
	// seen and dead are the keys whose records must appear, and what they
	// must hold (compared by value; id and timestamp checked apart).
	seen, dead map[string]string
	// settled: once the queues are idle, seen still holds these records
	// and dead has none of these keys.
	settled []string
}

var queueSteps = []queueStep{
	{name: "text", path: "/queue/send?type=text", body: "hello",
		seen: map[string]string{"hello": `{"queue":"conf-queue","attempts":1,"batchSize":1,"body":"hello"}`}},
	{name: "bytes", path: "/queue/send?type=bytes", body: "\x00\x01\xff",
		seen: map[string]string{"0001ff": `{"queue":"conf-queue","attempts":1,"batchSize":1,"body":"0001ff"}`}},
	{name: "json", path: "/queue/send?type=json", body: `{"key":"j1","n":[1,2]}`,
		seen: map[string]string{"j1": `{"queue":"conf-queue","attempts":1,"batchSize":1,"body":{"key":"j1","n":[1,2]}}`}},
	{name: "v8", path: "/queue/send?type=v8&key=v1",
		seen: map[string]string{"v1": `{"queue":"conf-queue","attempts":1,"batchSize":1,"body":{"key":"v1","n":1.5,"b":"0001ff"}}`}},
	{name: "batch", path: "/queue/batch", body: `["b1","b2","b3"]`, seen: map[string]string{
		"b1": `{"queue":"conf-queue","attempts":1,"batchSize":3,"body":"b1"}`,
		"b2": `{"queue":"conf-queue","attempts":1,"batchSize":3,"body":"b2"}`,
		"b3": `{"queue":"conf-queue","attempts":1,"batchSize":3,"body":"b3"}`}},
	{name: "retry", path: "/queue/send?type=json", body: `{"key":"r","mode":"retry"}`,
		seen: map[string]string{"r": `{"queue":"conf-queue","attempts":3,"batchSize":1,"body":{"key":"r","mode":"retry"}}`},
		dead: map[string]string{"r": `{"queue":"conf-dlq","attempts":1,"body":{"key":"r","mode":"retry"}}`}},
	{name: "throw", path: "/queue/send?type=json", body: `{"key":"t","mode":"throw"}`,
		seen: map[string]string{"t": `{"queue":"conf-queue","attempts":3,"batchSize":1,"body":{"key":"t","mode":"throw"}}`},
		dead: map[string]string{"t": `{"queue":"conf-dlq","attempts":1,"body":{"key":"t","mode":"throw"}}`}},
	{name: "retry all", path: "/queue/send?type=json", body: `{"key":"ra","mode":"retry-all"}`,
		dead: map[string]string{"ra": `{"queue":"conf-dlq","attempts":1,"body":{"key":"ra","mode":"retry-all"}}`}},
	{name: "ack wins", path: "/queue/send?type=json", body: `{"key":"a","mode":"ack-then-retry"}`,
		seen:    map[string]string{"a": `{"queue":"conf-queue","attempts":1,"batchSize":1,"body":{"key":"a","mode":"ack-then-retry"}}`},
		settled: []string{"a"}},
	{name: "ackAll wins", path: "/queue/send?type=json", body: `{"key":"aa","mode":"ack-all-then-retry-all"}`,
		seen:    map[string]string{"aa": `{"queue":"conf-queue","attempts":1,"batchSize":1,"body":{"key":"aa","mode":"ack-all-then-retry-all"}}`},
		settled: []string{"aa"}},
}

// runQueues runs the section on w.
func runQueues(t *testing.T, w *host.Worker, qs queueSetup) {
	get := func(path string) string {
		rec := httptest.NewRecorder()
		w.ServeHTTP(rec, httptest.NewRequest("GET", path, nil))
		if rec.Code != 200 {
			t.Errorf("queues: GET %s: status %d: %s", path, rec.Code, rec.Body)
		}
		return strings.TrimSpace(rec.Body.String())
	}
	// waitFor polls path until it answers other than null.
	waitFor := func(step, path string) string {
		deadline := time.Now().Add(20 * time.Second)
		for {
			if b := get(path); b != "null" && b != "" {
				return b
			}
			if time.Now().After(deadline) {
				t.Errorf("queues %s: %s still null after 20s", step, path)
				return ""
			}
			time.Sleep(10 * time.Millisecond)
		}
	}
	for _, s := range queueSteps {
		idle(t, qs.broker, "conf-queue", "conf-dlq")
		start := time.Now()
		rec := httptest.NewRecorder()
		w.ServeHTTP(rec, httptest.NewRequest("POST", s.path, strings.NewReader(s.body)))
		if rec.Code != 200 || strings.TrimSpace(rec.Body.String()) != `{"ok":true}` {
			t.Errorf("queues %s: POST %s: %d %s", s.name, s.path, rec.Code, rec.Body)
			continue
		}
		for key, want := range s.dead {
			if got := waitFor(s.name, "/queue/dead/"+url.PathEscape(key)); got != "" {
				checkJSON(t, "queues "+s.name+" dead:"+key, []byte(got), want, nil)
			}
		}
		for key, want := range s.seen {
			got := waitFor(s.name, "/queue/seen/"+url.PathEscape(key))
			if got == "" {
				continue
			}
			checkSeen(t, "queues "+s.name+" seen:"+key, got, want, start)
		}
		if len(s.settled) > 0 {
			idle(t, qs.broker, "conf-queue", "conf-dlq")
			for _, key := range s.settled {
				checkSeen(t, "queues "+s.name+" settled seen:"+key, get("/queue/seen/"+url.PathEscape(key)), s.seen[key], start)
				if d := get("/queue/dead/" + url.PathEscape(key)); d != "null" {
					t.Errorf("queues %s: %s was dead-lettered: %s", s.name, key, d)
				}
			}
		}
	}
	var lim map[string]string
	if err := json.Unmarshal([]byte(get("/queue/limits")), &lim); err != nil {
		t.Errorf("queues limits: %v", err)
	}
	for k, want := range map[string]string{"large": "128 KB", "many": "101", "delay": "86401"} {
		if !strings.Contains(lim[k], want) {
			t.Errorf("queues limits: %s = %q, want it to contain %q", k, lim[k], want)
		}
	}
	runCron(t, get, qs)
}

// checkSeen checks a seen record: its id and timestamp, then the rest by
// value.
func checkSeen(t *testing.T, name, got, want string, start time.Time) {
	t.Helper()
	var m map[string]any
	if err := json.Unmarshal([]byte(got), &m); err != nil {
		t.Errorf("%s: %q is not JSON: %v", name, got, err)
		return
	}
	id, _ := m["id"].(string)
	if len(id) != 32 || strings.Trim(id, "0123456789abcdef") != "" {
		t.Errorf("%s: id %q is not 32 hex digits", name, m["id"])
	}
	ts, _ := m["timestamp"].(float64)
	if ms := int64(ts); ms < start.Add(-time.Second).UnixMilli() || ms > time.Now().UnixMilli()+1000 {
		t.Errorf("%s: timestamp %v is not the time of the send (%d)", name, m["timestamp"], start.UnixMilli())
	}
	delete(m, "id")
	delete(m, "timestamp")
	b, _ := json.Marshal(m)
	checkJSON(t, name, b, want, nil)
}

// idle waits until the queues hold no message ready, delayed or in
// flight.
func idle(t *testing.T, b *queue.Broker, queues ...string) {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for _, q := range queues {
		for {
			in, err := b.Info(context.Background(), q)
			if err != nil {
				t.Fatalf("queue info %s: %v", q, err)
			}
			if in.Ready+in.Delayed+in.InFlight == 0 {
				break
			}
			if time.Now().After(deadline) {
				t.Fatalf("queue %s not idle after 20s: %+v", q, in)
			}
			time.Sleep(10 * time.Millisecond)
		}
	}
}

// runCron fires the section's crons by hand and on the manual clock.
func runCron(t *testing.T, get func(string) string, qs queueSetup) {
	ctx := context.Background()
	last := func(c string) string { return get("/cron/last?cron=" + url.QueryEscape(c)) }
	at := time.Date(2026, 1, 2, 3, 4, 0, 0, time.UTC)
	if err := qs.crons.Trigger(ctx, "*/5 * * * *", at); err != nil {
		t.Errorf("cron trigger: %v", err)
	}
	checkJSON(t, "cron trigger", []byte(last("*/5 * * * *")), fmt.Sprintf(`{"cron":"*/5 * * * *","scheduledTime":%d}`, at.UnixMilli()), nil)
	err := qs.crons.Trigger(ctx, "59 23 31 12 *", at)
	if err == nil || !strings.Contains(err.Error(), "cron boom") {
		t.Errorf("cron trigger that throws: err %v, want it to say cron boom", err)
	}
	// On schedule: the clock stands at 10:02:30; at 10:05 the trigger fires
	// with that minute as its scheduled time.
	due := time.Date(2026, 12, 8, 10, 5, 0, 0, time.UTC)
	qs.clock.Advance(due.Sub(qs.clock.Now()))
	want := fmt.Sprintf(`{"cron":"*/5 * * * *","scheduledTime":%d}`, due.UnixMilli())
	deadline := time.Now().Add(20 * time.Second)
	for {
		got := last("*/5 * * * *")
		var m map[string]any
		json.Unmarshal([]byte(got), &m)
		if st, _ := m["scheduledTime"].(float64); int64(st) == due.UnixMilli() {
			checkJSON(t, "cron on schedule", []byte(got), want, nil)
			break
		}
		if time.Now().After(deadline) {
			t.Errorf("cron on schedule: %s, want %s", got, want)
			break
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// openState opens a data directory of the test's own.
func openState(t testing.TB) *state.State {
	st, err := state.Open(t.TempDir(), state.Options{Logger: slog.New(slog.DiscardHandler)})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	return st
}
