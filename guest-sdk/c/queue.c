// queue.c: the queue producer (bindery_queue_*), over the generated
// bindings of bindery:queue/producer. Every Worker compiles it; a Worker
// that sends nothing imports nothing of it. See bindery.h.

#include "bindery.h"
#include "bindery_internal.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "generated/queue_producer.h"

struct bindery_queue {
  queue_producer_queue_t h;
  char *name;
  struct bindery_queue *next;
};

// opened holds the queues opened so far, for the life of the instance.
static bindery_queue *opened;

static bindery_status queue_fail(queue_producer_error_t *e) {
  bindery_status st = BINDERY_ERR_FAILED;
  switch (e->tag) {
  case QUEUE_PRODUCER_ERROR_NO_SUCH_QUEUE:
    st = BINDERY_ERR_NO_SUCH_BINDING;
    break;
  case QUEUE_PRODUCER_ERROR_TOO_LARGE:
    st = BINDERY_ERR_TOO_LARGE;
    break;
  case QUEUE_PRODUCER_ERROR_INVALID_ARGUMENT:
    st = BINDERY_ERR_INVALID;
    break;
  }
  // Every case carries its message as the same string member.
  bindery__fail(st, e->val.internal.ptr, e->val.internal.len);
  queue_producer_error_free(e);
  return st;
}

static bindery_status queue_refuse(bindery_status st, const char *msg) {
  return bindery__fail(st, (const uint8_t *)msg, strlen(msg));
}

bindery_status bindery_queue_open(const char *binding, bindery_queue **q) {
  *q = NULL;
  if (!binding) {
    return queue_refuse(BINDERY_ERR_INVALID, "queue: no binding name");
  }
  for (bindery_queue *o = opened; o; o = o->next) {
    if (strcmp(o->name, binding) == 0) {
      *q = o;
      return BINDERY_OK;
    }
  }
  size_t n = strlen(binding);
  if (bindery__not_utf8_n("queue: binding name", binding, n)) {
    return BINDERY_ERR_INVALID;
  }
  queue_producer_queue_t h;
  queue_producer_error_t err;
  if (!queue_producer_queue_open((bindery_string_t){(uint8_t *)binding, n}, &h, &err)) {
    return queue_fail(&err);
  }
  bindery_queue *o = malloc(sizeof *o);
  char *name = malloc(n + 1);
  if (!o || !name) {
    abort();
  }
  memcpy(name, binding, n + 1);
  o->h = h;
  o->name = name;
  o->next = opened;
  opened = o;
  *q = o;
  return BINDERY_OK;
}

// request_refused checks what the host cannot take or would misread: a
// missing body, an unknown content type, text or JSON that is not UTF-8,
// a structured value the reader refuses. what names the message.
static bool request_refused(const char *what, const bindery_queue_send_request *m) {
  if (m->len > 0 && !m->body) {
    queue_refuse(BINDERY_ERR_INVALID, "queue: a message body is NULL");
    return true;
  }
  switch (m->content_type) {
  case BINDERY_QUEUE_TEXT:
  case BINDERY_QUEUE_JSON:
    return bindery__not_utf8_n(what, (const char *)m->body, m->len);
  case BINDERY_QUEUE_BYTES:
    return false;
  case BINDERY_QUEUE_V8: {
    bindery_sv_reader r;
    if (bindery_sv_reader_init(&r, m->body, m->len) != BINDERY_OK) {
      char msg[220];
      size_t n = (size_t)snprintf(msg, sizeof msg, "queue: a v8 body is not a structured value: %s",
                                  bindery_sv_reader_errmsg(&r, NULL));
      bindery__fail(BINDERY_ERR_INVALID, (const uint8_t *)msg, n < sizeof msg ? n : sizeof msg - 1);
      return true;
    }
    return false;
  }
  }
  queue_refuse(BINDERY_ERR_INVALID, "queue: unknown content type");
  return true;
}

static queue_producer_send_request_t wit_request(const bindery_queue_send_request *m) {
  return (queue_producer_send_request_t){
      .body = {(uint8_t *)(uintptr_t)m->body, m->len},
      .content_type = (queue_types_content_type_t)m->content_type,
      .delay_seconds = {m->has_delay, m->delay_seconds},
  };
}

bindery_status bindery_queue_send(bindery_queue *q, const bindery_queue_send_request *msg) {
  if (!q || !msg) {
    return queue_refuse(BINDERY_ERR_INVALID, "queue: NULL queue or message");
  }
  if (request_refused("queue: message body", msg)) {
    return BINDERY_ERR_INVALID;
  }
  queue_producer_error_t err;
  if (!queue_producer_queue_send(q->h, wit_request(msg), &err)) {
    return queue_fail(&err);
  }
  return BINDERY_OK;
}

// send sends len bytes of type with opts' delay.
static bindery_status send_one(bindery_queue *q, bindery_queue_content_type type, const void *data, size_t len,
                           const bindery_queue_options *opts) {
  bindery_queue_send_request m = {.content_type = type, .body = data, .len = len};
  if (opts && opts->has_delay) {
    m.has_delay = true;
    m.delay_seconds = opts->delay_seconds;
  }
  return bindery_queue_send(q, &m);
}

bindery_status bindery_queue_send_text(bindery_queue *q, const char *text, const bindery_queue_options *opts) {
  if (!text) {
    return queue_refuse(BINDERY_ERR_INVALID, "queue: NULL text");
  }
  return send_one(q, BINDERY_QUEUE_TEXT, text, strlen(text), opts);
}

bindery_status bindery_queue_send_bytes(bindery_queue *q, const void *data, size_t len,
                                        const bindery_queue_options *opts) {
  return send_one(q, BINDERY_QUEUE_BYTES, data, len, opts);
}

bindery_status bindery_queue_send_json(bindery_queue *q, const char *json, const bindery_queue_options *opts) {
  if (!json) {
    return queue_refuse(BINDERY_ERR_INVALID, "queue: NULL JSON");
  }
  return send_one(q, BINDERY_QUEUE_JSON, json, strlen(json), opts);
}

bindery_status bindery_queue_send_value(bindery_queue *q, const void *encoded, size_t len,
                                        const bindery_queue_options *opts) {
  return send_one(q, BINDERY_QUEUE_V8, encoded, len, opts);
}

bindery_status bindery_queue_send_batch(bindery_queue *q, const bindery_queue_send_request *msgs, size_t n,
                                        const bindery_queue_options *opts) {
  if (!q || (n > 0 && !msgs)) {
    return queue_refuse(BINDERY_ERR_INVALID, "queue: NULL queue or messages");
  }
  queue_producer_send_request_t *reqs = NULL;
  if (n > 0) {
    reqs = malloc(n * sizeof *reqs);
    if (!reqs) {
      abort();
    }
  }
  for (size_t i = 0; i < n; i++) {
    char what[64];
    snprintf(what, sizeof what, "queue: message %zu's body", i);
    if (request_refused(what, &msgs[i])) {
      free(reqs);
      return BINDERY_ERR_INVALID;
    }
    reqs[i] = wit_request(&msgs[i]);
  }
  queue_producer_option_u32_t delay = {false, 0};
  if (opts && opts->has_delay) {
    delay = (queue_producer_option_u32_t){true, opts->delay_seconds};
  }
  queue_producer_error_t err;
  bool ok = queue_producer_queue_send_batch(q->h, (queue_producer_list_send_request_t){reqs, n}, delay, &err);
  free(reqs);
  if (!ok) {
    return queue_fail(&err);
  }
  return BINDERY_OK;
}
