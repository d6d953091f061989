package conformance_test

import (
	"context"
	"errors"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/bindery-run/bindery/bindings/kv"
	"github.com/bindery-run/bindery/bindings/queue"
	"github.com/bindery-run/bindery/host"
	"github.com/bindery-run/bindery/host/queuehost"
	"github.com/bindery-run/bindery/internal/badgerdb"
	"github.com/bindery-run/bindery/internal/testutil"
)

// The Workers of TestCZigQueueRules: POST /send sends the body as one text
// message; the queue handler runs each message's body, a comma-separated
// script of calls, on its first delivery, and records in KV
// "n:<script>" the attempts and id of every delivery.
const czigRulesC = `#include <stdio.h>
#include <string.h>

#include "bindery.h"

static void handle(bindery_request *req, bindery_response *res) {
  bindery_queue *q;
  bindery_bytes body;
  if (bindery_queue_open("Q", &q) != BINDERY_OK || bindery_request_read_all(req, &body) != BINDERY_OK) {
    bindery_response_text(res, 500, bindery_errmsg());
    return;
  }
  bindery_queue_send_request m = {.content_type = BINDERY_QUEUE_TEXT, .body = body.data, .len = body.len};
  bindery_status st = bindery_queue_send(q, &m);
  bindery_bytes_free(&body);
  bindery_response_text(res, st == BINDERY_OK ? 200 : 500, st == BINDERY_OK ? "ok" : bindery_errmsg());
}
BINDERY_HANDLER(handle)

static void consume(bindery_batch *b) {
  for (size_t i = 0; i < bindery_batch_len(b); i++) {
    bindery_message *m = bindery_batch_message(b, i);
    const char *script = (const char *)bindery_message_body(m, NULL);
    char rec[64], key[300], ops[256];
    snprintf(rec, sizeof rec, "%u %s", (unsigned)bindery_message_attempts(m), bindery_message_id(m));
    snprintf(key, sizeof key, "n:%s", script);
    if (bindery_kv_put("STORE", key, rec, strlen(rec)) != BINDERY_OK || bindery_message_attempts(m) > 1) {
      continue;
    }
    snprintf(ops, sizeof ops, "%s", script);
    for (char *op = strtok(ops, ","); op; op = strtok(NULL, ",")) {
      if (strcmp(op, "ack") == 0) {
        bindery_message_ack(m);
      } else if (strcmp(op, "retry") == 0) {
        bindery_message_retry(m, NULL);
      } else if (strcmp(op, "ackAll") == 0) {
        bindery_batch_ack_all(b);
      } else if (strcmp(op, "retryAll") == 0) {
        bindery_batch_retry_all(b, NULL);
      } else if (strcmp(op, "fail") == 0) {
        bindery_batch_fail(b, "failed on purpose");
      } else if (strcmp(op, "retry30") == 0) {
        bindery_message_retry(m, &(bindery_queue_options){.has_delay = true, .delay_seconds = 30});
      } else if (strcmp(op, "retryAll30") == 0) {
        bindery_batch_retry_all(b, &(bindery_queue_options){.has_delay = true, .delay_seconds = 30});
      }
    }
  }
}
BINDERY_QUEUE_HANDLER(consume)
`

const czigRulesZig = `const std = @import("std");
const bindery = @import("bindery");

pub fn fetch(req: *bindery.Request, res: *bindery.Response) !void {
    const q = try bindery.queue.open("Q");
    try q.sendText(try req.body.readAll(req.arena, 1024), .{});
    try res.text(200, "ok");
}

pub fn queue(batch: *bindery.queue.Batch) !void {
    const store = try bindery.kv.open("STORE");
    for (batch.messages) |*m| {
        try store.put(try std.fmt.allocPrint(batch.arena, "n:{s}", .{m.body}), try std.fmt.allocPrint(batch.arena, "{d} {s}", .{ m.attempts, m.id }));
        if (m.attempts > 1) continue;
        var ops = std.mem.splitScalar(u8, m.body, ',');
        while (ops.next()) |op| {
            if (std.mem.eql(u8, op, "ack")) {
                m.ack();
            } else if (std.mem.eql(u8, op, "retry")) {
                m.retry(.{});
            } else if (std.mem.eql(u8, op, "ackAll")) {
                batch.ackAll();
            } else if (std.mem.eql(u8, op, "retryAll")) {
                batch.retryAll(.{});
            } else if (std.mem.eql(u8, op, "fail")) {
                batch.fail("failed on purpose");
            } else if (std.mem.eql(u8, op, "retry30")) {
                m.retry(.{ .delay_seconds = 30 });
            } else if (std.mem.eql(u8, op, "retryAll30")) {
                batch.retryAll(.{ .delay_seconds = 30 });
            }
        }
    }
}
`

// TestCZigQueueRules holds the C and Zig queue handlers to workerd's
// rules end to end, through the broker, one message per batch: which
// calls ack a message (one delivery) and which retry it (a second), the
// warning each refused call logs ("<id>" stands for the message's id),
// and the delays of retry and retryAll.
func TestCZigQueueRules(t *testing.T) {
	const (
		retryAfterAck       = "Received a call to retry() on message <id> after ack() was already called. Calling retry() on a message after calling ack() has no effect."
		ackAfterRetry       = "Received a call to ack() on message <id> after retry() was already called. Calling ack() on a message after calling retry() has no effect."
		retryAfterAckAll    = "Received a call to retry() on message <id> after ackAll() was already called. Calling retry() on a message after calling ackAll() has no effect."
		ackAfterRetryAll    = "Received a call to ack() on message <id> after retryAll() was already called. Calling ack() on a message after calling retryAll() has no effect."
		retryAllAfterAckAll = "Received a call to retryAll() after ackAll() was already called. Calling retryAll() after calling ackAll() has no effect."
		ackAllAfterRetryAll = "Received a call to ackAll() after retryAll() was already called. Calling ackAll() after calling retryAll() has no effect."
	)
	steps := []struct {
		script   string
		attempts int
		warning  string
	}{
		{"none", 1, ""},
		{"ack", 1, ""},
		{"retry", 2, ""},
		{"ack,retry", 1, retryAfterAck},
		{"retry,ack", 2, ackAfterRetry},
		{"ack,ack", 1, ""},
		{"retry,retry", 2, ""},
		{"ackAll", 1, ""},
		{"retryAll", 2, ""},
		{"ackAll,retry", 1, retryAfterAckAll},
		{"ackAll,ack", 1, ""},
		{"retryAll,ack", 2, ackAfterRetryAll},
		{"retryAll,retry", 2, ""},
		{"ackAll,retryAll", 1, retryAllAfterAckAll},
		{"retryAll,ackAll", 2, ackAllAfterRetryAll},
		{"fail", 2, ""},
		{"ack,fail", 1, ""},
		{"retry,ackAll", 2, ""},
		{"ack,retryAll", 1, ""},
	}
	root := testutil.RepoRoot(t)
	for _, lang := range []string{"c", "zig"} {
		t.Run(lang, func(t *testing.T) {
			src, code := filepath.Join(t.TempDir(), "rules.c"), czigRulesC
			script := filepath.Join(root, "guest-sdk", "c", "build.sh")
			if lang == "zig" {
				src, code = filepath.Join(t.TempDir(), "rules.zig"), czigRulesZig
				script = filepath.Join(root, "guest-sdk", "zig", "build.sh")
			}
			if err := os.WriteFile(src, []byte(code), 0o644); err != nil {
				t.Fatal(err)
			}
			wasm := buildOrSkip(t, lang, func() (string, error) {
				if err := probeToolchain(script); err != nil {
					return "", err
				}
				out := filepath.Join(t.TempDir(), "w.wasm")
				if b, err := exec.Command("bash", script, "-o", out, src).CombinedOutput(); err != nil {
					return "", errors.New(err.Error() + "\n" + string(b))
				}
				return out, nil
			})
			one := 1
			qh, b := czigQueues(t, "Q", "rules", queue.ConsumerConfig{MaxBatchSize: 1, MaxBatchTimeout: 10 * time.Millisecond, MaxRetries: &one})
			logs := &testutil.SyncBuffer{}
			w, st := newWorker(t, "queue-rules-"+lang, wasm, func(c *host.WorkerConfig) {
				c.Bindings = append(c.Bindings, qh.Bindings()...)
			}, logTo(t, logs))
			for _, s := range steps {
				rec := httptest.NewRecorder()
				w.ServeHTTP(rec, httptest.NewRequest("POST", "/send", strings.NewReader(s.script)))
				if rec.Code != 200 {
					t.Fatalf("send %s: %d %s", s.script, rec.Code, rec.Body)
				}
			}
			ctx := context.Background()
			for deadline := time.Now().Add(20 * time.Second); ; time.Sleep(20 * time.Millisecond) {
				in, err := b.Info(ctx, "rules")
				if err != nil {
					t.Fatal(err)
				}
				if in.Ready+in.Delayed+in.InFlight == 0 {
					break
				}
				if time.Now().After(deadline) {
					t.Fatalf("queue not idle after 20s: %+v", in)
				}
			}
			for _, s := range steps {
				v, ok, err := st.KV("store").Get(ctx, "n:"+s.script)
				attempts, id, _ := strings.Cut(string(v), " ")
				if err != nil || !ok || attempts != strconv.Itoa(s.attempts) {
					t.Errorf("%s: delivered %q times (%v %v), want %d", s.script, attempts, ok, err, s.attempts)
				}
				if s.warning != "" && !strings.Contains(logs.String(), strings.ReplaceAll(s.warning, "<id>", id)) {
					t.Errorf("%s: no warning %q", s.script, strings.ReplaceAll(s.warning, "<id>", id))
				}
			}
			// One warning per refused call, and none else.
			want := 0
			for _, s := range steps {
				if s.warning != "" {
					want++
				}
			}
			if got := strings.Count(logs.String(), "Received a call to "); got != want {
				t.Errorf("%d warnings, want %d:\n%s", got, want, logs.String())
			}
			// A retry's delay and retryAll's reach the broker: both
			// messages wait, delivered once.
			for _, script := range []string{"retry30", "retryAll30"} {
				rec := httptest.NewRecorder()
				w.ServeHTTP(rec, httptest.NewRequest("POST", "/send", strings.NewReader(script)))
				if rec.Code != 200 {
					t.Fatalf("send %s: %d %s", script, rec.Code, rec.Body)
				}
			}
			for deadline := time.Now().Add(20 * time.Second); ; time.Sleep(20 * time.Millisecond) {
				in, err := b.Info(ctx, "rules")
				if err != nil {
					t.Fatal(err)
				}
				if in.Delayed == 2 && in.Ready+in.InFlight == 0 {
					break
				}
				if time.Now().After(deadline) {
					t.Fatalf("the delayed retries: %+v, want 2 delayed", in)
				}
			}
			for _, script := range []string{"retry30", "retryAll30"} {
				if v, _, err := st.KV("store").Get(ctx, "n:"+script); err != nil || !strings.HasPrefix(string(v), "1 ") {
					t.Errorf("%s: %q %v, want one delivery", script, v, err)
				}
			}
		})
	}
}

// czigQueues returns a queuehost over a broker of its own, and the
// broker: the producer binding named binding sends to q, which the Worker
// consumes with cfg.
func czigQueues(t *testing.T, binding, q string, cfg queue.ConsumerConfig) (*queuehost.Host, *queue.Broker) {
	t.Helper()
	db, err := badgerdb.Open(t.TempDir(), nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	b, err := queue.Open(db, queue.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { b.Close() })
	qh, err := queuehost.New(queuehost.Config{
		Broker:    b,
		Producers: map[string]queuehost.Producer{binding: {Queue: q}},
		Consumers: []queuehost.Consumer{{Queue: q, Config: cfg}},
	})
	if err != nil {
		t.Fatal(err)
	}
	return qh, b
}

// TestCZigQueueDocExamples runs the Queues examples of docs/sdk-c.md and
// docs/sdk-zig.md: what the fetch handler sends, the queue handler stores
// in KV (C: the text; Zig: the v8 value's user and the text of the batch,
// while the JSON message is retried in a minute and "hello" is delayed).
func TestCZigQueueDocExamples(t *testing.T) {
	root := testutil.RepoRoot(t)
	tests := []struct {
		lang, doc, fence, script, file, method, path, body string
		want                                               []string
	}{
		{"c", "sdk-c.md", "```c\n", "guest-sdk/c/build.sh", "queues.c", "POST", "/enqueue", "job 1", []string{"job 1"}},
		{"zig", "sdk-zig.md", "```zig\n", "guest-sdk/zig/build.sh", "queues.zig", "GET", "/", "", []string{"a", "ada"}},
	}
	for _, tt := range tests {
		t.Run(tt.lang, func(t *testing.T) {
			doc, err := os.ReadFile(filepath.Join(root, "docs", tt.doc))
			if err != nil {
				t.Fatal(err)
			}
			_, section, _ := strings.Cut(string(doc), "## Queues and cron triggers")
			_, code, ok := strings.Cut(section, tt.fence)
			code, _, ok2 := strings.Cut(code, "```")
			if !ok || !ok2 {
				t.Fatalf("no example in docs/%s's Queues and cron triggers section", tt.doc)
			}
			dir := t.TempDir()
			src := filepath.Join(dir, tt.file)
			if err := os.WriteFile(src, []byte(code), 0o644); err != nil {
				t.Fatal(err)
			}
			script := filepath.Join(root, tt.script)
			wasm := buildOrSkip(t, tt.lang, func() (string, error) {
				if err := probeToolchain(script); err != nil {
					return "", err
				}
				out := filepath.Join(dir, "w.wasm")
				if b, err := exec.Command("bash", script, "-o", out, src).CombinedOutput(); err != nil {
					return "", errors.New(err.Error() + "\n" + string(b))
				}
				return out, nil
			})
			qh, _ := czigQueues(t, "JOBS", "jobs", queue.ConsumerConfig{MaxBatchTimeout: 50 * time.Millisecond})
			w, st := newWorker(t, "queue-doc-"+tt.lang, wasm, func(c *host.WorkerConfig) {
				c.Bindings = append(c.Bindings, qh.Bindings()...)
			})
			rec := httptest.NewRecorder()
			w.ServeHTTP(rec, httptest.NewRequest(tt.method, tt.path, strings.NewReader(tt.body)))
			if rec.Code != 202 {
				t.Fatalf("%s %s: %d %s", tt.method, tt.path, rec.Code, rec.Body)
			}
			ctx := context.Background()
			var got []string
			for deadline := time.Now().Add(10 * time.Second); time.Now().Before(deadline); time.Sleep(20 * time.Millisecond) {
				page, err := st.KV("store").List(ctx, kv.ListOptions{})
				if err != nil {
					t.Fatal(err)
				}
				got = got[:0]
				for _, k := range page.Keys {
					v, _, err := st.KV("store").Get(ctx, k.Name)
					if err != nil {
						t.Fatal(err)
					}
					got = append(got, string(v))
				}
				slices.Sort(got)
				if slices.Equal(got, tt.want) {
					return
				}
			}
			t.Errorf("KV holds %q, want %q", got, tt.want)
		})
	}
}
