// queue_handler.c: the queue handler (bindery_serve_queue, bindery_batch_*,
// bindery_message_*), which implements the export of
// bindery:queue/consumer (generated-queue-consumer/). build.sh compiles
// both only into a Worker that uses them, so that no other Worker exports
// a queue handler. See bindery.h.
//
// The SDK records what the handler asks for, with workerd's rules (the
// first of ack and retry on a message wins; ackAll and retryAll exclude
// each other; each refusal logs a warning), and hands the record to the
// host as the outcome, which the host applies.

#include "bindery.h"
#include "bindery_internal.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "generated-queue-consumer/queue_consumer.h"
#include "generated/log_console.h"

// decision is what the handler asked for one message.
typedef enum decision { UNDECIDED, ACKED, RETRIED } decision;

struct bindery_message {
  bindery_batch *batch;
  char *id;
  int64_t timestamp;
  uint8_t *body; // len bytes and a NUL
  size_t len;
  bindery_queue_content_type content_type;
  uint32_t attempts;
  decision decided;
  bindery_queue_options retry;
};

struct bindery_batch {
  char *queue;
  bindery_message *messages;
  size_t len;
  bool ack_all, retry_all;
  bindery_queue_options retry_all_delay;
  char *error; // the first bindery_batch_fail reason, or NULL
};

static bindery_queue_handler handler;

void bindery_serve_queue(bindery_queue_handler fn) { handler = fn; }

// warn logs a console warning, as workerd's logWarning.
static void warn(const char *format, ...) __attribute__((format(printf, 1, 2)));
static void warn(const char *format, ...) {
  char msg[256];
  va_list ap;
  va_start(ap, format);
  int n = vsnprintf(msg, sizeof msg, format, ap);
  va_end(ap);
  if (n < 0) {
    return;
  }
  size_t len = (size_t)n < sizeof msg ? (size_t)n : sizeof msg - 1;
  log_console_log(LOG_CONSOLE_LEVEL_WARN, (bindery_string_t){(uint8_t *)msg, len});
}

// copy returns a malloc'd copy of len bytes at p with a NUL after them.
static void *copy(const uint8_t *p, size_t len) {
  uint8_t *c = malloc(len + 1);
  if (!c) {
    abort();
  }
  if (len > 0) {
    memcpy(c, p, len);
  }
  c[len] = 0;
  return c;
}

const char *bindery_batch_queue(const bindery_batch *b) { return b->queue; }

size_t bindery_batch_len(const bindery_batch *b) { return b->len; }

bindery_message *bindery_batch_message(bindery_batch *b, size_t i) { return i < b->len ? &b->messages[i] : NULL; }

void bindery_batch_ack_all(bindery_batch *b) {
  if (b->retry_all) {
    warn("Received a call to ackAll() after retryAll() was already called. "
         "Calling ackAll() after calling retryAll() has no effect.");
    return;
  }
  b->ack_all = true;
}

void bindery_batch_retry_all(bindery_batch *b, const bindery_queue_options *opts) {
  if (b->ack_all) {
    warn("Received a call to retryAll() after ackAll() was already called. "
         "Calling retryAll() after calling ackAll() has no effect.");
    return;
  }
  b->retry_all = true;
  if (opts && opts->has_delay) {
    b->retry_all_delay = *opts;
  }
}

void bindery_batch_fail(bindery_batch *b, const char *reason) {
  if (b->error) {
    return;
  }
  if (!reason) {
    reason = "the queue handler failed";
  }
  // The host logs the text: make it UTF-8.
  bindery_string_t s = bindery__utf8_copy(reason, strlen(reason));
  b->error = copy(s.ptr, s.len);
  bindery_string_free(&s);
}

void bindery_batch_failf(bindery_batch *b, const char *format, ...) {
  char msg[1024];
  va_list ap;
  va_start(ap, format);
  vsnprintf(msg, sizeof msg, format, ap);
  va_end(ap);
  bindery_batch_fail(b, msg);
}

const char *bindery_message_id(const bindery_message *m) { return m->id; }

int64_t bindery_message_timestamp(const bindery_message *m) { return m->timestamp; }

uint32_t bindery_message_attempts(const bindery_message *m) { return m->attempts; }

bindery_queue_content_type bindery_message_content_type(const bindery_message *m) { return m->content_type; }

const uint8_t *bindery_message_body(const bindery_message *m, size_t *len) {
  if (len) {
    *len = m->len;
  }
  return m->body;
}

void bindery_message_ack(bindery_message *m) {
  if (m->batch->ack_all) {
    return;
  }
  if (m->batch->retry_all) {
    warn("Received a call to ack() on message %s after retryAll() was already called. "
         "Calling ack() on a message after calling retryAll() has no effect.",
         m->id);
    return;
  }
  if (m->decided == RETRIED) {
    warn("Received a call to ack() on message %s after retry() was already called. "
         "Calling ack() on a message after calling retry() has no effect.",
         m->id);
    return;
  }
  m->decided = ACKED;
}

void bindery_message_retry(bindery_message *m, const bindery_queue_options *opts) {
  if (m->batch->ack_all) {
    warn("Received a call to retry() on message %s after ackAll() was already called. "
         "Calling retry() on a message after calling ackAll() has no effect.",
         m->id);
    return;
  }
  if (m->decided == ACKED) {
    warn("Received a call to retry() on message %s after ack() was already called. "
         "Calling retry() on a message after calling ack() has no effect.",
         m->id);
    return;
  }
  m->decided = RETRIED;
  if (opts && opts->has_delay) {
    m->retry = *opts;
  }
}

// outcome turns what the handler asked for into the host's record (malloc'd:
// the bindings free it after the host has read it).
static queue_consumer_outcome_t outcome(const bindery_batch *b) {
  queue_consumer_outcome_t o;
  memset(&o, 0, sizeof o);
  size_t acked = 0, retried = 0;
  for (size_t i = 0; i < b->len; i++) {
    acked += b->messages[i].decided == ACKED;
    retried += b->messages[i].decided == RETRIED;
  }
  if (acked > 0) {
    o.acked.ptr = malloc(acked * sizeof *o.acked.ptr);
    if (!o.acked.ptr) {
      abort();
    }
  }
  if (retried > 0) {
    o.retried.ptr = malloc(retried * sizeof *o.retried.ptr);
    if (!o.retried.ptr) {
      abort();
    }
  }
  for (size_t i = 0; i < b->len; i++) {
    const bindery_message *m = &b->messages[i];
    if (m->decided == ACKED) {
      o.acked.ptr[o.acked.len++] = (uint32_t)i;
    } else if (m->decided == RETRIED) {
      o.retried.ptr[o.retried.len++] = (queue_consumer_retry_request_t){
          .index = (uint32_t)i, .delay_seconds = {m->retry.has_delay, m->retry.delay_seconds}};
    }
  }
  o.ack_all = b->ack_all;
  o.retry_all = b->retry_all;
  o.retry_all_delay = (queue_consumer_option_u32_t){b->retry_all_delay.has_delay, b->retry_all_delay.delay_seconds};
  if (b->error) {
    size_t n = strlen(b->error);
    o.error.is_some = true;
    o.error.val = (bindery_string_t){copy((const uint8_t *)b->error, n), n};
  }
  return o;
}

queue_consumer_outcome_t exports_queue_consumer_queue(bindery_string_t queue, queue_consumer_list_message_t messages) {
  bindery_batch b;
  memset(&b, 0, sizeof b);
  b.queue = copy(queue.ptr, queue.len);
  b.len = messages.len;
  if (b.len > 0) {
    b.messages = calloc(b.len, sizeof *b.messages);
    if (!b.messages) {
      abort();
    }
  }
  for (size_t i = 0; i < b.len; i++) {
    const queue_consumer_message_t *in = &messages.ptr[i];
    bindery_message *m = &b.messages[i];
    m->batch = &b;
    m->id = copy(in->id.ptr, in->id.len);
    m->timestamp = in->timestamp;
    m->body = copy(in->body.ptr, in->body.len);
    m->len = in->body.len;
    m->content_type = (bindery_queue_content_type)in->content_type;
    m->attempts = in->attempts;
  }
  bindery_string_free(&queue);
  queue_consumer_list_message_free(&messages);

  if (handler) {
    handler(&b);
  } else {
    bindery_batch_fail(&b, "no queue handler");
  }
  queue_consumer_outcome_t o = outcome(&b);

  for (size_t i = 0; i < b.len; i++) {
    free(b.messages[i].id);
    free(b.messages[i].body);
  }
  free(b.messages);
  free(b.queue);
  free(b.error);
  return o;
}
