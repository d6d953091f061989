// bindery.c: the idiomatic C layer over the generated bindings in
// generated/ (which are the only code here that sees Canonical ABI types).
// See bindery.h for the API and its memory rules.

#include "bindery.h"
#include "bindery_internal.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "generated/config_vars.h"
#include "generated/d1_database.h"
#include "generated/http_handler.h"
#include "generated/http_types.h"
#include "generated/io_streams.h"
#include "generated/kv_store.h"
#include "generated/r2_bucket.h"

// bufferSize is how much of a response body is buffered before the SDK
// starts streaming: a response that fits goes out in one host call.
#define BUFFER_SIZE (64 * 1024)
// readSize is the most one read asks the host for.
#define READ_SIZE (64 * 1024)

// ---- errors ---------------------------------------------------------------

static char *errmsg;

const char *bindery_errmsg(void) { return errmsg ? errmsg : ""; }

const char *bindery_status_name(bindery_status st) {
  switch (st) {
  case BINDERY_OK:
    return "BINDERY_OK";
  case BINDERY_NOT_FOUND:
    return "BINDERY_NOT_FOUND";
  case BINDERY_ERR_NO_SUCH_BINDING:
    return "BINDERY_ERR_NO_SUCH_BINDING";
  case BINDERY_ERR_INVALID:
    return "BINDERY_ERR_INVALID";
  case BINDERY_ERR_TOO_LARGE:
    return "BINDERY_ERR_TOO_LARGE";
  case BINDERY_ERR_PRECONDITION:
    return "BINDERY_ERR_PRECONDITION";
  case BINDERY_ERR_CLOSED:
    return "BINDERY_ERR_CLOSED";
  case BINDERY_ERR_FAILED:
    return "BINDERY_ERR_FAILED";
  case BINDERY_ERR_NO_SUCH_UPLOAD:
    return "BINDERY_ERR_NO_SUCH_UPLOAD";
  case BINDERY_ERR_INVALID_PART:
    return "BINDERY_ERR_INVALID_PART";
  case BINDERY_ERR_INVALID_RANGE:
    return "BINDERY_ERR_INVALID_RANGE";
  case BINDERY_ERR_SQL:
    return "BINDERY_ERR_SQL";
  case BINDERY_ERR_LIMIT:
    return "BINDERY_ERR_LIMIT";
  case BINDERY_ERR_REFUSED:
    return "BINDERY_ERR_REFUSED";
  case BINDERY_ERR_THROWN:
    return "BINDERY_ERR_THROWN";
  case BINDERY_ERR_OBJECT_FAILED:
    return "BINDERY_ERR_OBJECT_FAILED";
  case BINDERY_ERR_TRANSACTION:
    return "BINDERY_ERR_TRANSACTION";
  }
  return "BINDERY_ERR_UNKNOWN";
}

// fail records msg (len bytes) as the last error and returns st.
static bindery_status fail(bindery_status st, const uint8_t *msg, size_t len) {
  free(errmsg);
  errmsg = malloc(len + 1);
  if (errmsg) {
    memcpy(errmsg, msg, len);
    errmsg[len] = 0;
  }
  return st;
}

static bindery_status failc(bindery_status st, const char *msg) {
  return fail(st, (const uint8_t *)msg, strlen(msg));
}

bindery_status bindery__fail(bindery_status st, const uint8_t *msg, size_t len) { return fail(st, msg, len); }

static bindery_status kv_fail(kv_store_error_t *e) {
  bindery_status st = BINDERY_ERR_FAILED;
  switch (e->tag) {
  case KV_STORE_ERROR_NO_SUCH_NAMESPACE:
    st = BINDERY_ERR_NO_SUCH_BINDING;
    break;
  case KV_STORE_ERROR_INVALID_KEY:
  case KV_STORE_ERROR_INVALID_ARGUMENT:
    st = BINDERY_ERR_INVALID;
    break;
  case KV_STORE_ERROR_TOO_LARGE:
    st = BINDERY_ERR_TOO_LARGE;
    break;
  }
  // Every case carries its message as the same string member.
  fail(st, e->val.internal.ptr, e->val.internal.len);
  kv_store_error_free(e);
  return st;
}

static bindery_status r2_fail(r2_bucket_error_t *e) {
  bindery_status st = BINDERY_ERR_FAILED;
  switch (e->tag) {
  case R2_BUCKET_ERROR_NO_SUCH_BUCKET:
    st = BINDERY_ERR_NO_SUCH_BINDING;
    break;
  case R2_BUCKET_ERROR_INVALID_KEY:
  case R2_BUCKET_ERROR_INVALID_ARGUMENT:
  case R2_BUCKET_ERROR_BAD_DIGEST:
    st = BINDERY_ERR_INVALID;
    break;
  case R2_BUCKET_ERROR_INVALID_RANGE:
    st = BINDERY_ERR_INVALID_RANGE;
    break;
  case R2_BUCKET_ERROR_METADATA_TOO_LARGE:
  case R2_BUCKET_ERROR_ENTITY_TOO_LARGE:
    st = BINDERY_ERR_TOO_LARGE;
    break;
  case R2_BUCKET_ERROR_NO_SUCH_UPLOAD:
    st = BINDERY_ERR_NO_SUCH_UPLOAD;
    break;
  case R2_BUCKET_ERROR_INVALID_PART:
  case R2_BUCKET_ERROR_INVALID_PART_ORDER:
  case R2_BUCKET_ERROR_ENTITY_TOO_SMALL:
    st = BINDERY_ERR_INVALID_PART;
    break;
  }
  fail(st, e->val.internal.ptr, e->val.internal.len);
  r2_bucket_error_free(e);
  return st;
}

static bindery_status d1_fail(d1_database_error_t *e) {
  bindery_status st = BINDERY_ERR_FAILED;
  switch (e->tag) {
  case D1_DATABASE_ERROR_NO_SUCH_DATABASE:
    st = BINDERY_ERR_NO_SUCH_BINDING;
    break;
  case D1_DATABASE_ERROR_SQL:
    st = BINDERY_ERR_SQL;
    break;
  case D1_DATABASE_ERROR_LIMIT:
    st = BINDERY_ERR_LIMIT;
    break;
  case D1_DATABASE_ERROR_REFUSED:
    st = BINDERY_ERR_REFUSED;
    break;
  case D1_DATABASE_ERROR_INVALID_ARGUMENT:
    st = BINDERY_ERR_INVALID;
    break;
  }
  // Every case carries its message as the same string member.
  fail(st, e->val.internal.ptr, e->val.internal.len);
  d1_database_error_free(e);
  return st;
}

static bindery_status stream_fail(io_streams_stream_error_t *e) {
  if (e->tag == IO_STREAMS_STREAM_ERROR_CLOSED) {
    return failc(BINDERY_ERR_CLOSED, "stream closed");
  }
  bindery_status st = fail(BINDERY_ERR_FAILED, e->val.failed.ptr, e->val.failed.len);
  io_streams_stream_error_free(e);
  return st;
}

static bindery_status http_fail(http_types_error_t *e) {
  char buf[64];
  switch (e->tag) {
  case HTTP_TYPES_ERROR_ALREADY_SENT:
    return failc(BINDERY_ERR_FAILED, "response already sent");
  case HTTP_TYPES_ERROR_INVALID_STATUS:
    snprintf(buf, sizeof buf, "invalid status %u", (unsigned)e->val.invalid_status);
    return failc(BINDERY_ERR_INVALID, buf);
  case HTTP_TYPES_ERROR_INVALID_HEADER: {
    bindery_status st = fail(BINDERY_ERR_INVALID, e->val.invalid_header.ptr, e->val.invalid_header.len);
    http_types_error_free(e);
    return st;
  }
  }
  return failc(BINDERY_ERR_CLOSED, "client closed the connection");
}

void bindery_bytes_free(bindery_bytes *b) {
  if (b->len > 0) {
    free(b->data);
  }
  b->data = NULL;
  b->len = 0;
}

// cstr copies s into a NUL-terminated malloc'd string.
static char *cstr(const uint8_t *s, size_t len) {
  char *r = malloc(len + 1);
  if (!r) {
    abort();
  }
  memcpy(r, s, len);
  r[len] = 0;
  return r;
}

// ---- UTF-8 ------------------------------------------------------------------
//
// Strings reach the host only as valid UTF-8 (the Canonical ABI's rule; the
// host traps on anything else, which ends the request and discards the
// instance), so the SDK refuses any other string first.

// utf8_len returns the length of the valid UTF-8 sequence at s (n bytes
// left), or 0 if there is none: no overlong forms, no surrogates, nothing
// over U+10FFFF (what Go's utf8.Valid and the host accept).
static size_t utf8_len(const uint8_t *s, size_t n) {
  uint8_t c = s[0];
  if (c < 0x80) {
    return 1;
  }
  size_t len;
  uint8_t lo = 0x80, hi = 0xBF;
  if (c >= 0xC2 && c <= 0xDF) {
    len = 2;
  } else if (c >= 0xE0 && c <= 0xEF) {
    len = 3;
    if (c == 0xE0) {
      lo = 0xA0; // no overlong forms
    } else if (c == 0xED) {
      hi = 0x9F; // no surrogates
    }
  } else if (c >= 0xF0 && c <= 0xF4) {
    len = 4;
    if (c == 0xF0) {
      lo = 0x90;
    } else if (c == 0xF4) {
      hi = 0x8F; // nothing over U+10FFFF
    }
  } else {
    return 0;
  }
  if (n < len || s[1] < lo || s[1] > hi) {
    return 0;
  }
  for (size_t i = 2; i < len; i++) {
    if (s[i] < 0x80 || s[i] > 0xBF) {
      return 0;
    }
  }
  return len;
}

static bool utf8_valid_n(const uint8_t *p, size_t n) {
  while (n > 0) {
    size_t k = utf8_len(p, n);
    if (k == 0) {
      return false;
    }
    p += k;
    n -= k;
  }
  return true;
}

static bool utf8_valid(const char *s) { return utf8_valid_n((const uint8_t *)s, strlen(s)); }

// not_utf8_n refuses the n bytes at s (what names them, e.g. "d1: text
// parameter 1") when they are not valid UTF-8: it records the message and
// returns true.
static bool not_utf8_n(const char *what, const char *s, size_t len) {
  if (utf8_valid_n((const uint8_t *)s, len)) {
    return false;
  }
  char msg[160];
  int n = snprintf(msg, sizeof msg, "%s \"", what);
  const uint8_t *p = (const uint8_t *)s;
  for (size_t i = 0; i < len && n < (int)sizeof msg - 24; i++) {
    n += snprintf(msg + n, sizeof msg - (size_t)n, p[i] >= 0x20 && p[i] < 0x7f && p[i] != '"' && p[i] != '\\' ? "%c" : "\\x%02x", p[i]);
  }
  snprintf(msg + n, sizeof msg - (size_t)n, "\" is not valid UTF-8");
  failc(BINDERY_ERR_INVALID, msg);
  return true;
}

// not_utf8 refuses s (what names it, e.g. "key") when it is not valid
// UTF-8: it records the message and returns true.
static bool not_utf8(const char *what, const char *s) {
  return s && not_utf8_n(what, s, strlen(s));
}

bool bindery__not_utf8_n(const char *what, const char *s, size_t len) { return not_utf8_n(what, s, len); }

bindery_string_t bindery__utf8_copy(const char *s, size_t len) {
  // Each invalid byte becomes U+FFFD: at most three bytes for one.
  uint8_t *buf = malloc(len * 3 + 1);
  if (!buf) {
    abort();
  }
  const uint8_t *p = (const uint8_t *)s;
  size_t n = 0;
  while (len > 0) {
    size_t k = utf8_len(p, len);
    if (k == 0) {
      memcpy(buf + n, "\xEF\xBF\xBD", 3);
      n += 3;
      k = 1;
    } else {
      memcpy(buf + n, p, k);
      n += k;
    }
    p += k;
    len -= k;
  }
  return (bindery_string_t){buf, n};
}

// strings_not_utf8 is not_utf8 for n strings.
static bool strings_not_utf8(const char *what, const char *const *v, size_t n) {
  for (size_t i = 0; i < n; i++) {
    if (not_utf8(what, v[i])) {
      return true;
    }
  }
  return false;
}

// ---- bindings, opened once per instance -----------------------------------

// A binding name and its handle, cached for the life of the instance.
typedef struct opened {
  char *name;
  int32_t handle;
  struct opened *next;
} opened;

static opened *kv_opened, *r2_opened;

static bool find(opened *list, const char *name, int32_t *h) {
  for (; list; list = list->next) {
    if (strcmp(list->name, name) == 0) {
      *h = list->handle;
      return true;
    }
  }
  return false;
}

static void remember(opened **list, const char *name, int32_t h) {
  opened *o = malloc(sizeof *o);
  if (!o) {
    abort();
  }
  o->name = cstr((const uint8_t *)name, strlen(name));
  o->handle = h;
  o->next = *list;
  *list = o;
}

static bindery_status kv_open(const char *binding, kv_store_namespace_t *ns) {
  if (find(kv_opened, binding, ns)) {
    return BINDERY_OK;
  }
  if (not_utf8("kv: binding name", binding)) {
    return BINDERY_ERR_INVALID;
  }
  kv_store_error_t err;
  if (!kv_store_namespace_open(bindery_string_borrow(binding), ns, &err)) {
    return kv_fail(&err);
  }
  remember(&kv_opened, binding, *ns);
  return BINDERY_OK;
}

static bindery_status r2_open(const char *binding, r2_bucket_bucket_t *b) {
  if (find(r2_opened, binding, b)) {
    return BINDERY_OK;
  }
  if (not_utf8("r2: binding name", binding)) {
    return BINDERY_ERR_INVALID;
  }
  r2_bucket_error_t err;
  if (!r2_bucket_bucket_open(bindery_string_borrow(binding), b, &err)) {
    return r2_fail(&err);
  }
  remember(&r2_opened, binding, *b);
  return BINDERY_OK;
}

// ---- streams --------------------------------------------------------------

struct bindery_body {
  io_streams_input_stream_t s;
  bool done;  // the stream ended
  bool given; // ownership moved to the host (an R2 put)
};

long bindery_body_read(bindery_body *body, void *buf, size_t cap) {
  if (body->done || body->given) {
    return 0;
  }
  if (cap == 0) {
    return 0;
  }
  bindery_list_u8_t chunk;
  io_streams_stream_error_t err;
  if (!io_streams_input_stream_read(body->s, cap > READ_SIZE ? READ_SIZE : (uint32_t)cap, &chunk, &err)) {
    if (err.tag == IO_STREAMS_STREAM_ERROR_CLOSED) {
      body->done = true;
      return 0;
    }
    stream_fail(&err);
    return -1;
  }
  memcpy(buf, chunk.ptr, chunk.len);
  long n = (long)chunk.len;
  bindery_list_u8_free(&chunk);
  return n;
}

void bindery_body_close(bindery_body *body) {
  if (!body) {
    return;
  }
  if (!body->given) {
    io_streams_input_stream_drop(body->s);
  }
  free(body);
}

// ---- the request ------------------------------------------------------------

struct bindery_request {
  http_types_request_t head;
  char *method, *url, *path, *query;
  char **values; // NUL-terminated header values, made on first lookup
  bindery_body body;
};

const char *bindery_request_method(const bindery_request *req) { return req->method; }
const char *bindery_request_url(const bindery_request *req) { return req->url; }
const char *bindery_request_path(const bindery_request *req) { return req->path; }
const char *bindery_request_query(const bindery_request *req) { return req->query; }

const char *bindery_request_header(bindery_request *req, const char *name) {
  size_t n = strlen(name);
  http_types_fields_t *h = &req->head.headers;
  for (size_t i = 0; i < h->len; i++) {
    bindery_string_t k = h->ptr[i].f0;
    if (k.len == n && strncasecmp((const char *)k.ptr, name, n) == 0) {
      if (!req->values) {
        req->values = calloc(h->len, sizeof(char *));
        if (!req->values) {
          abort();
        }
      }
      if (!req->values[i]) {
        req->values[i] = cstr(h->ptr[i].f1.ptr, h->ptr[i].f1.len);
      }
      return req->values[i];
    }
  }
  return NULL;
}

long bindery_request_read(bindery_request *req, void *buf, size_t cap) {
  return bindery_body_read(&req->body, buf, cap);
}

bindery_status bindery_request_read_all(bindery_request *req, bindery_bytes *out) {
  size_t cap = 0, len = 0;
  uint8_t *data = NULL;
  for (;;) {
    if (cap - len < READ_SIZE) {
      cap = cap ? cap * 2 : READ_SIZE;
      uint8_t *d = realloc(data, cap);
      if (!d) {
        free(data);
        return failc(BINDERY_ERR_TOO_LARGE, "out of memory reading the request body");
      }
      data = d;
    }
    long n = bindery_request_read(req, data + len, cap - len);
    if (n < 0) {
      free(data);
      return BINDERY_ERR_FAILED;
    }
    if (n == 0) {
      break;
    }
    len += (size_t)n;
  }
  if (len == 0) {
    free(data);
    data = NULL;
  }
  out->data = data;
  out->len = len;
  return BINDERY_OK;
}

// ---- the response -----------------------------------------------------------

struct bindery_response {
  http_types_response_outparam_t out;
  int status;
  http_types_tuple2_string_list_u8_t *headers;
  size_t nheaders, capheaders;
  uint8_t *buf;
  size_t len;
  bool sent;   // the head is out; the body streams through stream
  bool failed; // nothing more can be sent
  bool ended;  // the request failed (response-outparam.fail)
  // handed: the outparam answered the request some other way (a Durable
  // Object's accepted web socket: borrowed, dropped by finish; or a
  // forwarded one: owned by the host now, not dropped).
  bool handed, given;
  io_streams_output_stream_t stream;
};

bool bindery__response_outparam(bindery_response *res, bool give, http_types_response_outparam_t *out) {
  if (res->sent || res->failed || res->ended || res->handed) {
    return false;
  }
  res->handed = true;
  res->given = give;
  res->failed = true; // nothing more goes out through res
  *out = res->out;
  return true;
}

// MAX_REASON bounds what a failed request sends to the host's log.
#define MAX_REASON (16 * 1024)

// end_failed fails the request through the host with reason (len bytes),
// cut to MAX_REASON bytes and made valid UTF-8 (the only strings the host
// takes): invalid bytes become U+FFFD.
static void end_failed(bindery_response *res, const char *reason, size_t len) {
  if (res->ended) {
    return;
  }
  res->ended = true;
  res->failed = true;
  res->len = 0;
  const uint8_t *p = (const uint8_t *)reason;
  uint8_t *buf = malloc(MAX_REASON + 8);
  size_t n = 0;
  if (buf) {
    while (len > 0 && n < MAX_REASON) {
      size_t k = utf8_len(p, len);
      if (k == 0) {
        memcpy(buf + n, "\xEF\xBF\xBD", 3);
        n += 3;
        k = 1;
      } else {
        memcpy(buf + n, p, k);
        n += k;
      }
      p += k;
      len -= k;
    }
  }
  http_types_response_outparam_fail(res->out, (bindery_string_t){buf, n});
  free(buf);
}

void bindery_fail(bindery_response *res, const char *reason) {
  end_failed(res, reason ? reason : "", reason ? strlen(reason) : 0);
}

void bindery_failf(bindery_response *res, const char *format, ...) {
  char *buf = malloc(MAX_REASON + 1);
  if (!buf) {
    end_failed(res, format, strlen(format));
    return;
  }
  va_list ap;
  va_start(ap, format);
  int n = vsnprintf(buf, MAX_REASON + 1, format, ap);
  va_end(ap);
  end_failed(res, buf, n < 0 ? 0 : (size_t)n > MAX_REASON ? MAX_REASON : (size_t)n);
  free(buf);
}

// valid_status says whether the host takes status (100 to 599); the SDK
// never lets an int wrap into another status on its way to a u16.
static bool valid_status(int status) { return status >= 100 && status <= 599; }

void bindery_response_status(bindery_response *res, int status) {
  if (!res->sent) {
    res->status = status;
  }
}

bindery_status bindery_response_header(bindery_response *res, const char *name, const char *value) {
  if (res->sent || res->ended) {
    return failc(BINDERY_ERR_FAILED, "response already sent");
  }
  if (not_utf8("header name", name)) {
    return BINDERY_ERR_INVALID;
  }
  if (res->nheaders == res->capheaders) {
    size_t cap = res->capheaders ? res->capheaders * 2 : 8;
    void *h = realloc(res->headers, cap * sizeof *res->headers);
    if (!h) {
      abort();
    }
    res->headers = h;
    res->capheaders = cap;
  }
  // The host wants lower-case names.
  size_t n = strlen(name);
  char *k = cstr((const uint8_t *)name, n);
  for (size_t i = 0; i < n; i++) {
    if (k[i] >= 'A' && k[i] <= 'Z') {
      k[i] += 'a' - 'A';
    }
  }
  http_types_tuple2_string_list_u8_t *f = &res->headers[res->nheaders++];
  f->f0 = (bindery_string_t){(uint8_t *)k, n};
  f->f1 = (bindery_list_u8_t){(uint8_t *)cstr((const uint8_t *)value, strlen(value)), strlen(value)};
  return BINDERY_OK;
}

static http_types_fields_t fields(bindery_response *res) {
  return (http_types_fields_t){res->headers, res->nheaders};
}

// start sends the head and what is buffered; the rest streams.
static bindery_status start(bindery_response *res) {
  if (res->sent) {
    return BINDERY_OK;
  }
  if (res->failed) {
    return failc(BINDERY_ERR_CLOSED, "response failed");
  }
  if (!valid_status(res->status)) {
    char msg[64];
    snprintf(msg, sizeof msg, "invalid status %d (not 100 to 599)", res->status);
    end_failed(res, msg, strlen(msg));
    return failc(BINDERY_ERR_INVALID, msg);
  }
  http_types_error_t err;
  if (!http_types_response_outparam_send(res->out, (uint16_t)res->status, fields(res), &res->stream, &err)) {
    res->failed = true;
    return http_fail(&err);
  }
  res->sent = true;
  if (res->len > 0) {
    io_streams_stream_error_t serr;
    bool ok = io_streams_output_stream_write(res->stream, bindery_bytes_borrow(res->buf, res->len), &serr);
    res->len = 0;
    if (!ok) {
      res->failed = true;
      return stream_fail(&serr);
    }
  }
  return BINDERY_OK;
}

bindery_status bindery_response_write(bindery_response *res, const void *data, size_t len) {
  if (res->failed) {
    return failc(BINDERY_ERR_CLOSED, "response failed");
  }
  if (!res->sent && res->len + len <= BUFFER_SIZE) {
    if (!res->buf) {
      res->buf = malloc(BUFFER_SIZE);
      if (!res->buf) {
        abort();
      }
    }
    memcpy(res->buf + res->len, data, len);
    res->len += len;
    return BINDERY_OK;
  }
  bindery_status st = start(res);
  if (st != BINDERY_OK) {
    return st;
  }
  const uint8_t *p = data;
  while (len > 0) {
    size_t n = len > BUFFER_SIZE ? BUFFER_SIZE : len;
    io_streams_stream_error_t err;
    if (!io_streams_output_stream_write(res->stream, bindery_bytes_borrow(p, n), &err)) {
      res->failed = true;
      return stream_fail(&err);
    }
    p += n;
    len -= n;
  }
  return BINDERY_OK;
}

bindery_status bindery_response_text(bindery_response *res, int status, const char *text) {
  bindery_response_status(res, status);
  bindery_response_header(res, "content-type", "text/plain; charset=utf-8");
  return bindery_response_write(res, text, strlen(text));
}

bindery_status bindery_response_json(bindery_response *res, int status, const char *json) {
  bindery_response_status(res, status);
  bindery_response_header(res, "content-type", "application/json");
  return bindery_response_write(res, json, strlen(json));
}

bindery_status bindery_response_splice(bindery_response *res, bindery_body *body) {
  if (res->failed) {
    return failc(BINDERY_ERR_CLOSED, "response failed");
  }
  bindery_status st = start(res);
  if (st != BINDERY_OK) {
    return st;
  }
  if (body->done || body->given) {
    return BINDERY_OK;
  }
  const uint64_t all = (uint64_t)1 << 62;
  uint64_t n;
  io_streams_stream_error_t err;
  if (!io_streams_output_stream_splice(res->stream, body->s, all, &n, &err)) {
    body->done = true;
    if (err.tag == IO_STREAMS_STREAM_ERROR_CLOSED) {
      return BINDERY_OK;
    }
    res->failed = true;
    return stream_fail(&err);
  }
  body->done = n < all;
  return BINDERY_OK;
}

bindery_status bindery_response_echo(bindery_response *res, bindery_request *req) {
  return bindery_response_splice(res, &req->body);
}

// finish sends what the handler has not sent and ends the response.
static void finish(bindery_response *res) {
  if (res->handed) {
    for (size_t i = 0; i < res->nheaders; i++) {
      free(res->headers[i].f0.ptr);
      free(res->headers[i].f1.ptr);
    }
    free(res->headers);
    free(res->buf);
    if (!res->given) {
      http_types_response_outparam_drop(res->out);
    }
    return;
  }
  if (!res->sent && !res->failed && !valid_status(res->status)) {
    char msg[64];
    snprintf(msg, sizeof msg, "invalid status %d (not 100 to 599)", res->status);
    end_failed(res, msg, strlen(msg));
  }
  if (!res->sent && !res->failed) {
    http_types_error_t err;
    if (!http_types_response_outparam_send_full(res->out, (uint16_t)res->status, fields(res),
                                                bindery_bytes_borrow(res->buf, res->len), &err)) {
      http_fail(&err);
    }
  } else if (res->sent) {
    if (res->len > 0 && !res->failed) {
      io_streams_stream_error_t err;
      if (!io_streams_output_stream_write(res->stream, bindery_bytes_borrow(res->buf, res->len), &err)) {
        stream_fail(&err);
      }
    }
    io_streams_output_stream_drop(res->stream); // ends the body
  }
  for (size_t i = 0; i < res->nheaders; i++) {
    free(res->headers[i].f0.ptr);
    free(res->headers[i].f1.ptr);
  }
  free(res->headers);
  free(res->buf);
  http_types_response_outparam_drop(res->out);
}

// ---- serving ----------------------------------------------------------------

static bindery_handler handler;

void bindery_serve(bindery_handler fn) { handler = fn; }

// split sets req's path and query from its URL ("http://host/p?q").
static void split(bindery_request *req) {
  const char *u = req->url;
  const char *p = strstr(u, "://");
  p = p ? strchr(p + 3, '/') : u;
  if (!p) {
    p = "/";
  }
  const char *q = strchr(p, '?');
  size_t plen = q ? (size_t)(q - p) : strlen(p);
  req->path = cstr((const uint8_t *)p, plen);
  req->query = q ? cstr((const uint8_t *)q + 1, strlen(q + 1)) : cstr((const uint8_t *)"", 0);
}

// call_handler runs the Worker's fetch handler.
static void call_handler(void *ctx, bindery_request *req, bindery_response *res) {
  (void)ctx;
  if (handler) {
    handler(req, res);
  } else {
    bindery_response_text(res, 500, "no handler: use BINDERY_HANDLER(fn)\n");
  }
}

// exports_http_handler_handle is the Worker's export (generated/http_handler.h).
void exports_http_handler_handle(http_types_request_t head, io_streams_input_stream_t body,
                                 http_types_response_outparam_t out) {
  bindery__serve_request(head, body, out, call_handler, NULL);
}

const http_types_request_t *bindery__request_head(const bindery_request *req) { return &req->head; }

bool bindery__request_take_body(bindery_request *req, io_streams_input_stream_t *s) {
  if (req->body.done || req->body.given) {
    return false;
  }
  req->body.given = true;
  *s = req->body.s;
  return true;
}

bindery_body *bindery__body_new(io_streams_input_stream_t s) {
  bindery_body *b = calloc(1, sizeof *b);
  if (!b) {
    abort();
  }
  b->s = s;
  return b;
}

void bindery__serve_request(http_types_request_t head, io_streams_input_stream_t body,
                            http_types_response_outparam_t out, bindery__serve_fn fn, void *ctx) {
  bindery_request req = {.head = head, .body = {.s = body}};
  req.method = cstr(head.method.ptr, head.method.len);
  req.url = cstr(head.url.ptr, head.url.len);
  split(&req);
  bindery_response res = {.out = out, .status = 200};
  fn(ctx, &req, &res);
  finish(&res);
  if (!req.body.given) {
    io_streams_input_stream_drop(req.body.s);
  }
  if (req.values) {
    for (size_t i = 0; i < head.headers.len; i++) {
      free(req.values[i]);
    }
    free(req.values);
  }
  free(req.method);
  free(req.url);
  free(req.path);
  free(req.query);
  http_types_request_free(&req.head);
}

// ---- KV -------------------------------------------------------------------

bindery_status bindery_kv_get(const char *binding, const char *key, bindery_bytes *value) {
  kv_store_namespace_t ns;
  bindery_status st = kv_open(binding, &ns);
  if (st != BINDERY_OK) {
    return st;
  }
  if (not_utf8("kv: key", key)) {
    return BINDERY_ERR_INVALID;
  }
  kv_store_option_list_u8_t v;
  kv_store_error_t err;
  if (!kv_store_namespace_get(ns, bindery_string_borrow(key), &v, &err)) {
    return kv_fail(&err);
  }
  if (!v.is_some) {
    return BINDERY_NOT_FOUND;
  }
  value->data = v.val.ptr; // malloc'd by cabi_realloc: now the caller's
  value->len = v.val.len;
  return BINDERY_OK;
}

bindery_status bindery_kv_put(const char *binding, const char *key, const void *value, size_t len) {
  return bindery_kv_put_with(binding, key, value, len, NULL);
}

bindery_status bindery_kv_put_with(const char *binding, const char *key, const void *value, size_t len,
                                   const bindery_kv_options *opts) {
  kv_store_namespace_t ns;
  bindery_status st = kv_open(binding, &ns);
  if (st != BINDERY_OK) {
    return st;
  }
  if (not_utf8("kv: key", key) || (opts && not_utf8("kv: metadata", opts->metadata))) {
    return BINDERY_ERR_INVALID;
  }
  kv_store_put_options_t o;
  memset(&o, 0, sizeof o);
  if (opts) {
    o.expiration = (kv_store_option_u64_t){opts->expiration != 0, opts->expiration};
    o.expiration_ttl = (kv_store_option_u64_t){opts->expiration_ttl != 0, opts->expiration_ttl};
    if (opts->metadata) {
      o.metadata = (kv_store_option_string_t){true, bindery_string_borrow(opts->metadata)};
    }
  }
  kv_store_error_t err;
  if (!kv_store_namespace_put(ns, bindery_string_borrow(key), bindery_bytes_borrow(value, len), o, &err)) {
    return kv_fail(&err);
  }
  return BINDERY_OK;
}

bindery_status bindery_kv_delete(const char *binding, const char *key) {
  kv_store_namespace_t ns;
  bindery_status st = kv_open(binding, &ns);
  if (st != BINDERY_OK) {
    return st;
  }
  if (not_utf8("kv: key", key)) {
    return BINDERY_ERR_INVALID;
  }
  kv_store_error_t err;
  if (!kv_store_namespace_delete(ns, bindery_string_borrow(key), &err)) {
    return kv_fail(&err);
  }
  return BINDERY_OK;
}

// ---- vars -------------------------------------------------------------------

// A variable looked up once; vars do not change during an instance's life.
typedef struct var {
  char *name, *value; // value NULL: no such name
  bool secret;
  struct var *next;
} var;

static var *vars;

static var *lookup(const char *name) {
  for (var *v = vars; v; v = v->next) {
    if (strcmp(v->name, name) == 0) {
      return v;
    }
  }
  var *v = calloc(1, sizeof *v);
  if (!v) {
    abort();
  }
  v->name = cstr((const uint8_t *)name, strlen(name));
  // A name that is not valid UTF-8 could not cross to the host: no variable.
  config_vars_option_value_t got = {0};
  if (utf8_valid(name)) {
    got = config_vars_get(bindery_string_borrow(name));
  }
  if (got.is_some) {
    // Every case is a string in the same place.
    v->value = cstr(got.val.val.text.ptr, got.val.val.text.len);
    v->secret = got.val.tag == CONFIG_VARS_VALUE_SECRET;
    config_vars_option_value_free(&got);
  }
  v->next = vars;
  vars = v;
  return v;
}

const char *bindery_var(const char *name) { return lookup(name)->value; }

const char *bindery_secret(const char *name) {
  var *v = lookup(name);
  return v->secret ? v->value : NULL;
}

// ---- R2 -------------------------------------------------------------------

// opt_str is an optional WIT string of s (none when NULL).
static r2_bucket_option_string_t opt_str(const char *s) {
  r2_bucket_option_string_t o = {0};
  if (s) {
    o.is_some = true;
    o.val = bindery_string_borrow(s);
  }
  return o;
}

static r2_bucket_option_u64_t opt_u64(uint64_t v) {
  return (r2_bucket_option_u64_t){v != 0, v};
}

// ostr copies an optional WIT string (NULL when none).
static char *ostr(r2_bucket_option_string_t s) { return s.is_some ? cstr(s.val.ptr, s.val.len) : NULL; }

// The WIT views of the option structs borrow the caller's strings; the
// arrays they need live in a scratch area freed after the call.
typedef struct scratch {
  void *blocks[8];
  int n;
} scratch;

static void *scratch_alloc(scratch *sc, size_t n, size_t size) {
  if (n == 0) {
    return NULL;
  }
  void *p = calloc(n, size);
  if (!p || sc->n == (int)(sizeof sc->blocks / sizeof sc->blocks[0])) {
    abort();
  }
  sc->blocks[sc->n++] = p;
  return p;
}

static void scratch_free(scratch *sc) {
  for (int i = 0; i < sc->n; i++) {
    free(sc->blocks[i]);
  }
  sc->n = 0;
}

static r2_bucket_list_string_t wit_strings(scratch *sc, const char *const *v, size_t n) {
  bindery_string_t *a = scratch_alloc(sc, n, sizeof *a);
  for (size_t i = 0; i < n; i++) {
    a[i] = bindery_string_borrow(v[i]);
  }
  return (r2_bucket_list_string_t){a, n};
}

static r2_bucket_http_metadata_t wit_http(const bindery_r2_http_metadata *m) {
  return (r2_bucket_http_metadata_t){
      .content_type = opt_str(m->content_type),
      .content_language = opt_str(m->content_language),
      .content_disposition = opt_str(m->content_disposition),
      .content_encoding = opt_str(m->content_encoding),
      .cache_control = opt_str(m->cache_control),
      .cache_expiry = opt_u64(m->cache_expiry),
  };
}

static r2_bucket_option_http_metadata_t wit_opt_http(const bindery_r2_http_metadata *m) {
  r2_bucket_option_http_metadata_t o = {0};
  if (m) {
    o.is_some = true;
    o.val = wit_http(m);
  }
  return o;
}

static r2_bucket_list_tuple2_string_string_t wit_pairs(scratch *sc, const bindery_r2_pair *p, size_t n) {
  r2_bucket_tuple2_string_string_t *a = scratch_alloc(sc, n, sizeof *a);
  for (size_t i = 0; i < n; i++) {
    a[i].f0 = bindery_string_borrow(p[i].key);
    a[i].f1 = bindery_string_borrow(p[i].value);
  }
  return (r2_bucket_list_tuple2_string_string_t){a, n};
}

static r2_bucket_option_list_u8_t wit_sum(bool has, const uint8_t *sum, size_t n) {
  r2_bucket_option_list_u8_t o = {0};
  if (has) {
    o.is_some = true;
    o.val = bindery_bytes_borrow(sum, n);
  }
  return o;
}

static r2_bucket_checksums_t wit_checksums(const bindery_r2_checksums *c) {
  return (r2_bucket_checksums_t){
      .md5 = wit_sum(c->has_md5, c->md5, sizeof c->md5),
      .sha1 = wit_sum(c->has_sha1, c->sha1, sizeof c->sha1),
      .sha256 = wit_sum(c->has_sha256, c->sha256, sizeof c->sha256),
      .sha384 = wit_sum(c->has_sha384, c->sha384, sizeof c->sha384),
      .sha512 = wit_sum(c->has_sha512, c->sha512, sizeof c->sha512),
  };
}

static r2_bucket_option_conditional_t wit_conditional(scratch *sc, const bindery_r2_conditional *c) {
  r2_bucket_option_conditional_t o = {0};
  if (c) {
    o.is_some = true;
    o.val.etag_matches = wit_strings(sc, c->etag_matches, c->etag_matches_len);
    o.val.etag_does_not_match = wit_strings(sc, c->etag_does_not_match, c->etag_does_not_match_len);
    o.val.uploaded_before = opt_u64(c->uploaded_before);
    o.val.uploaded_after = opt_u64(c->uploaded_after);
    o.val.seconds_granularity = c->seconds_granularity;
  }
  return o;
}

static r2_bucket_put_options_t wit_put_options(scratch *sc, const bindery_r2_put_options *opts) {
  r2_bucket_put_options_t o;
  memset(&o, 0, sizeof o);
  if (opts) {
    o.http_metadata = wit_opt_http(opts->http_metadata);
    o.custom_metadata = wit_pairs(sc, opts->custom_metadata, opts->custom_metadata_len);
    o.checksums = wit_checksums(&opts->checksums);
    o.only_if = wit_conditional(sc, opts->only_if);
    o.storage_class = opt_str(opts->storage_class);
  }
  return o;
}

// http_not_utf8 refuses HTTP metadata with a string that is not valid UTF-8.
static bool http_not_utf8(const bindery_r2_http_metadata *m) {
  return m && (not_utf8("r2: content type", m->content_type) || not_utf8("r2: content language", m->content_language) ||
               not_utf8("r2: content disposition", m->content_disposition) ||
               not_utf8("r2: content encoding", m->content_encoding) || not_utf8("r2: cache control", m->cache_control));
}

static bool pairs_not_utf8(const bindery_r2_pair *p, size_t n) {
  for (size_t i = 0; i < n; i++) {
    if (not_utf8("r2: custom metadata key", p[i].key) || not_utf8("r2: custom metadata value", p[i].value)) {
      return true;
    }
  }
  return false;
}

static bool conditional_not_utf8(const bindery_r2_conditional *c) {
  return c && (strings_not_utf8("r2: etag", c->etag_matches, c->etag_matches_len) ||
               strings_not_utf8("r2: etag", c->etag_does_not_match, c->etag_does_not_match_len));
}

// put_options_not_utf8 refuses put options with a string that could not
// cross to the host (header values copied from a request may be any bytes).
static bool put_options_not_utf8(const bindery_r2_put_options *o) {
  return o && (http_not_utf8(o->http_metadata) || pairs_not_utf8(o->custom_metadata, o->custom_metadata_len) ||
               conditional_not_utf8(o->only_if) || not_utf8("r2: storage class", o->storage_class));
}

static void copy_sum(bool *has, uint8_t *dst, size_t n, r2_bucket_option_list_u8_t src) {
  *has = src.is_some;
  if (src.is_some) {
    memcpy(dst, src.val.ptr, src.val.len < n ? src.val.len : n);
  }
}

void bindery_r2_object_free(bindery_r2_object *obj) {
  free(obj->key);
  free(obj->etag);
  free(obj->version);
  free(obj->storage_class);
  // content_type is http_metadata.content_type.
  free((char *)obj->http_metadata.content_type);
  free((char *)obj->http_metadata.content_language);
  free((char *)obj->http_metadata.content_disposition);
  free((char *)obj->http_metadata.content_encoding);
  free((char *)obj->http_metadata.cache_control);
  for (size_t i = 0; i < obj->custom_metadata_len; i++) {
    free((char *)obj->custom_metadata[i].key);
    free((char *)obj->custom_metadata[i].value);
  }
  free(obj->custom_metadata);
  memset(obj, 0, sizeof *obj);
}

const char *bindery_r2_object_custom(const bindery_r2_object *obj, const char *key) {
  for (size_t i = 0; i < obj->custom_metadata_len; i++) {
    if (strcmp(obj->custom_metadata[i].key, key) == 0) {
      return obj->custom_metadata[i].value;
    }
  }
  return NULL;
}

// object fills out from o (when out is set) and frees o.
static void object(r2_bucket_object_t *o, bindery_r2_object *out) {
  if (out) {
    memset(out, 0, sizeof *out);
    out->key = cstr(o->key.ptr, o->key.len);
    out->etag = cstr(o->etag.ptr, o->etag.len);
    out->version = cstr(o->version.ptr, o->version.len);
    out->storage_class = cstr(o->storage_class.ptr, o->storage_class.len);
    out->size = o->size;
    out->uploaded = o->uploaded;
    r2_bucket_http_metadata_t *h = &o->http_metadata;
    out->http_metadata.content_type = out->content_type = ostr(h->content_type);
    out->http_metadata.content_language = ostr(h->content_language);
    out->http_metadata.content_disposition = ostr(h->content_disposition);
    out->http_metadata.content_encoding = ostr(h->content_encoding);
    out->http_metadata.cache_control = ostr(h->cache_control);
    out->http_metadata.cache_expiry = h->cache_expiry.is_some ? h->cache_expiry.val : 0;
    size_t n = o->custom_metadata.len;
    if (n > 0) {
      out->custom_metadata = calloc(n, sizeof *out->custom_metadata);
      if (!out->custom_metadata) {
        abort();
      }
      for (size_t i = 0; i < n; i++) {
        r2_bucket_tuple2_string_string_t *p = &o->custom_metadata.ptr[i];
        out->custom_metadata[i].key = cstr(p->f0.ptr, p->f0.len);
        out->custom_metadata[i].value = cstr(p->f1.ptr, p->f1.len);
      }
      out->custom_metadata_len = n;
    }
    r2_bucket_checksums_t *c = &o->checksums;
    bindery_r2_checksums *oc = &out->checksums;
    copy_sum(&oc->has_md5, oc->md5, sizeof oc->md5, c->md5);
    copy_sum(&oc->has_sha1, oc->sha1, sizeof oc->sha1, c->sha1);
    copy_sum(&oc->has_sha256, oc->sha256, sizeof oc->sha256, c->sha256);
    copy_sum(&oc->has_sha384, oc->sha384, sizeof oc->sha384, c->sha384);
    copy_sum(&oc->has_sha512, oc->sha512, sizeof oc->sha512, c->sha512);
    if (o->range.is_some) {
      out->has_range = true;
      out->range.offset = o->range.val.offset.val;
      out->range.length = o->range.val.length.val;
      out->range.suffix = o->range.val.suffix.val;
    }
  }
  r2_bucket_object_free(o);
}

// drop_body drops a stream body that cannot be handed over.
static void drop_body(r2_bucket_body_t *value) {
  if (value->tag == R2_BUCKET_BODY_STREAM) {
    io_streams_input_stream_drop(value->val.stream);
  }
}

static bindery_status r2_put(const char *binding, const char *key, r2_bucket_body_t value,
                             const bindery_r2_put_options *opts, bindery_r2_object *obj) {
  r2_bucket_bucket_t b;
  bindery_status st = r2_open(binding, &b);
  if (st != BINDERY_OK) {
    drop_body(&value);
    return st;
  }
  if (not_utf8("r2: key", key) || put_options_not_utf8(opts)) {
    drop_body(&value);
    return BINDERY_ERR_INVALID;
  }
  scratch sc = {0};
  r2_bucket_put_options_t o = wit_put_options(&sc, opts);
  r2_bucket_option_object_t res;
  r2_bucket_error_t err;
  bool ok = r2_bucket_bucket_put(b, bindery_string_borrow(key), value, o, &res, &err);
  scratch_free(&sc);
  if (!ok) {
    return r2_fail(&err);
  }
  if (!res.is_some) {
    return failc(BINDERY_ERR_PRECONDITION, "precondition failed");
  }
  object(&res.val, obj);
  return BINDERY_OK;
}

bindery_status bindery_r2_put(const char *binding, const char *key, const void *data, size_t len,
                              bindery_r2_object *obj) {
  return bindery_r2_put_with(binding, key, data, len, NULL, obj);
}

bindery_status bindery_r2_put_with(const char *binding, const char *key, const void *data, size_t len,
                                   const bindery_r2_put_options *opts, bindery_r2_object *obj) {
  r2_bucket_body_t body = {.tag = R2_BUCKET_BODY_BYTES};
  body.val.bytes = bindery_bytes_borrow(data, len);
  return r2_put(binding, key, body, opts, obj);
}

// request_body hands the request body's stream to the host (own<input-stream>).
static bool request_body(bindery_request *req, r2_bucket_body_t *body) {
  if (req->body.given) {
    return false;
  }
  body->tag = R2_BUCKET_BODY_STREAM;
  body->val.stream = req->body.s;
  req->body.given = true;
  return true;
}

bindery_status bindery_r2_put_request(const char *binding, const char *key, bindery_request *req,
                                      bindery_r2_object *obj) {
  return bindery_r2_put_request_with(binding, key, req, NULL, obj);
}

bindery_status bindery_r2_put_request_with(const char *binding, const char *key, bindery_request *req,
                                           const bindery_r2_put_options *opts, bindery_r2_object *obj) {
  r2_bucket_body_t body;
  if (!request_body(req, &body)) {
    return failc(BINDERY_ERR_FAILED, "the request body is used up");
  }
  return r2_put(binding, key, body, opts, obj);
}

bindery_status bindery_r2_head(const char *binding, const char *key, bindery_r2_object *obj) {
  r2_bucket_bucket_t b;
  bindery_status st = r2_open(binding, &b);
  if (st != BINDERY_OK) {
    return st;
  }
  if (not_utf8("r2: key", key)) {
    return BINDERY_ERR_INVALID;
  }
  r2_bucket_option_object_t res;
  r2_bucket_error_t err;
  if (!r2_bucket_bucket_head(b, bindery_string_borrow(key), &res, &err)) {
    return r2_fail(&err);
  }
  if (!res.is_some) {
    return BINDERY_NOT_FOUND;
  }
  object(&res.val, obj);
  return BINDERY_OK;
}

bindery_status bindery_r2_get(const char *binding, const char *key, bindery_r2_object *obj,
                              bindery_body **body) {
  return bindery_r2_get_with(binding, key, NULL, obj, body);
}

bindery_status bindery_r2_get_with(const char *binding, const char *key, const bindery_r2_get_options *opts,
                                   bindery_r2_object *obj, bindery_body **body) {
  if (body) {
    *body = NULL;
  }
  r2_bucket_bucket_t b;
  bindery_status st = r2_open(binding, &b);
  if (st != BINDERY_OK) {
    return st;
  }
  if (not_utf8("r2: key", key) || (opts && conditional_not_utf8(opts->only_if))) {
    return BINDERY_ERR_INVALID;
  }
  scratch sc = {0};
  r2_bucket_get_options_t o;
  memset(&o, 0, sizeof o);
  if (opts) {
    o.only_if = wit_conditional(&sc, opts->only_if);
    if (opts->range) {
      const bindery_r2_range *r = opts->range;
      o.range.is_some = true;
      if (r->suffix > 0) {
        o.range.val.suffix = opt_u64(r->suffix);
      } else {
        o.range.val.offset = (r2_bucket_option_u64_t){true, r->offset};
        o.range.val.length = opt_u64(r->length);
      }
    }
  }
  r2_bucket_option_object_body_t res;
  r2_bucket_error_t err;
  bool ok = r2_bucket_bucket_get(b, bindery_string_borrow(key), o, &res, &err);
  scratch_free(&sc);
  if (!ok) {
    return r2_fail(&err);
  }
  if (!res.is_some) {
    return BINDERY_NOT_FOUND;
  }
  object(&res.val.object, obj);
  if (!res.val.body.is_some) {
    return failc(BINDERY_ERR_PRECONDITION, "precondition failed");
  }
  if (body) {
    *body = calloc(1, sizeof **body);
    if (!*body) {
      abort();
    }
    (*body)->s = res.val.body.val;
  } else {
    io_streams_input_stream_drop(res.val.body.val);
  }
  return BINDERY_OK;
}

bindery_status bindery_r2_delete(const char *binding, const char *key) {
  return bindery_r2_delete_many(binding, &key, 1);
}

bindery_status bindery_r2_delete_many(const char *binding, const char *const *keys, size_t n) {
  r2_bucket_bucket_t b;
  bindery_status st = r2_open(binding, &b);
  if (st != BINDERY_OK) {
    return st;
  }
  if (strings_not_utf8("r2: key", keys, n)) {
    return BINDERY_ERR_INVALID;
  }
  scratch sc = {0};
  r2_bucket_list_string_t ks = wit_strings(&sc, keys, n);
  r2_bucket_error_t err;
  bool ok = r2_bucket_bucket_delete(b, ks, &err);
  scratch_free(&sc);
  if (!ok) {
    return r2_fail(&err);
  }
  return BINDERY_OK;
}

// ---- R2 writer --------------------------------------------------------------

struct bindery_r2_writer {
  r2_bucket_object_writer_t h;
};

bindery_status bindery_r2_writer_open(const char *binding, const char *key, const bindery_r2_put_options *opts,
                                      bindery_r2_writer **w) {
  *w = NULL;
  r2_bucket_bucket_t b;
  bindery_status st = r2_open(binding, &b);
  if (st != BINDERY_OK) {
    return st;
  }
  if (not_utf8("r2: key", key) || put_options_not_utf8(opts)) {
    return BINDERY_ERR_INVALID;
  }
  scratch sc = {0};
  r2_bucket_put_options_t o = wit_put_options(&sc, opts);
  r2_bucket_object_writer_t h;
  r2_bucket_error_t err;
  bool ok = r2_bucket_bucket_put_writer(b, bindery_string_borrow(key), o, &h, &err);
  scratch_free(&sc);
  if (!ok) {
    return r2_fail(&err);
  }
  *w = malloc(sizeof **w);
  if (!*w) {
    abort();
  }
  (*w)->h = h;
  return BINDERY_OK;
}

bindery_status bindery_r2_writer_write(bindery_r2_writer *w, const void *data, size_t len) {
  r2_bucket_error_t err;
  if (!r2_bucket_object_writer_write(w->h, bindery_bytes_borrow(data, len), &err)) {
    return r2_fail(&err);
  }
  return BINDERY_OK;
}

bindery_status bindery_r2_writer_finish(bindery_r2_writer *w, bindery_r2_object *obj) {
  r2_bucket_option_object_t res;
  r2_bucket_error_t err;
  bool ok = r2_bucket_object_writer_finish(w->h, &res, &err);
  bindery_r2_writer_abort(w);
  if (!ok) {
    return r2_fail(&err);
  }
  if (!res.is_some) {
    return failc(BINDERY_ERR_PRECONDITION, "precondition failed");
  }
  object(&res.val, obj);
  return BINDERY_OK;
}

void bindery_r2_writer_abort(bindery_r2_writer *w) {
  if (w) {
    r2_bucket_object_writer_drop(w->h);
    free(w);
  }
}

// ---- R2 list ----------------------------------------------------------------

bindery_status bindery_r2_list(const char *binding, const bindery_r2_list_options *opts, bindery_r2_objects *out) {
  memset(out, 0, sizeof *out);
  r2_bucket_bucket_t b;
  bindery_status st = r2_open(binding, &b);
  if (st != BINDERY_OK) {
    return st;
  }
  if (opts && (not_utf8("r2: list prefix", opts->prefix) || not_utf8("r2: list cursor", opts->cursor) ||
               not_utf8("r2: list delimiter", opts->delimiter) || not_utf8("r2: list start_after", opts->start_after))) {
    return BINDERY_ERR_INVALID;
  }
  r2_bucket_list_options_t o;
  memset(&o, 0, sizeof o);
  if (opts) {
    o.limit = (r2_bucket_option_u32_t){opts->limit != 0, opts->limit};
    o.prefix = opt_str(opts->prefix);
    o.cursor = opt_str(opts->cursor);
    o.delimiter = opt_str(opts->delimiter);
    o.start_after = opt_str(opts->start_after);
    o.include_http_metadata = opts->include_http_metadata;
    o.include_custom_metadata = opts->include_custom_metadata;
  }
  r2_bucket_list_result_t r;
  r2_bucket_error_t err;
  if (!r2_bucket_bucket_list_objects(b, o, &r, &err)) {
    return r2_fail(&err);
  }
  out->truncated = r.truncated;
  out->cursor = ostr(r.cursor);
  if (r.objects.len > 0) {
    out->objects = calloc(r.objects.len, sizeof *out->objects);
    if (!out->objects) {
      abort();
    }
    for (size_t i = 0; i < r.objects.len; i++) {
      object(&r.objects.ptr[i], &out->objects[i]); // frees the WIT object
    }
    out->len = r.objects.len;
  }
  free(r.objects.ptr);
  if (r.delimited_prefixes.len > 0) {
    out->delimited_prefixes = calloc(r.delimited_prefixes.len, sizeof *out->delimited_prefixes);
    if (!out->delimited_prefixes) {
      abort();
    }
    for (size_t i = 0; i < r.delimited_prefixes.len; i++) {
      bindery_string_t p = r.delimited_prefixes.ptr[i];
      out->delimited_prefixes[i] = cstr(p.ptr, p.len);
    }
    out->delimited_prefixes_len = r.delimited_prefixes.len;
  }
  r2_bucket_list_string_free(&r.delimited_prefixes);
  r2_bucket_option_string_free(&r.cursor);
  return BINDERY_OK;
}

void bindery_r2_objects_free(bindery_r2_objects *objs) {
  for (size_t i = 0; i < objs->len; i++) {
    bindery_r2_object_free(&objs->objects[i]);
  }
  free(objs->objects);
  free(objs->cursor);
  for (size_t i = 0; i < objs->delimited_prefixes_len; i++) {
    free(objs->delimited_prefixes[i]);
  }
  free(objs->delimited_prefixes);
  memset(objs, 0, sizeof *objs);
}

// ---- R2 multipart -------------------------------------------------------------

struct bindery_r2_upload {
  r2_bucket_multipart_upload_t h;
  char *key, *id;
};

void bindery_r2_part_free(bindery_r2_part *part) {
  free((char *)part->etag);
  part->etag = NULL;
}

static bindery_r2_upload *new_upload(r2_bucket_multipart_upload_t h, const char *key) {
  bindery_r2_upload *up = malloc(sizeof *up);
  if (!up) {
    abort();
  }
  up->h = h;
  up->key = cstr((const uint8_t *)key, strlen(key));
  bindery_string_t id = r2_bucket_multipart_upload_upload_id(h);
  up->id = cstr(id.ptr, id.len);
  bindery_string_free(&id);
  return up;
}

bindery_status bindery_r2_multipart_create(const char *binding, const char *key,
                                           const bindery_r2_multipart_options *opts, bindery_r2_upload **up) {
  *up = NULL;
  r2_bucket_bucket_t b;
  bindery_status st = r2_open(binding, &b);
  if (st != BINDERY_OK) {
    return st;
  }
  if (not_utf8("r2: key", key) ||
      (opts && (http_not_utf8(opts->http_metadata) || pairs_not_utf8(opts->custom_metadata, opts->custom_metadata_len) ||
                not_utf8("r2: storage class", opts->storage_class)))) {
    return BINDERY_ERR_INVALID;
  }
  scratch sc = {0};
  r2_bucket_multipart_options_t o;
  memset(&o, 0, sizeof o);
  if (opts) {
    o.http_metadata = wit_opt_http(opts->http_metadata);
    o.custom_metadata = wit_pairs(&sc, opts->custom_metadata, opts->custom_metadata_len);
    o.storage_class = opt_str(opts->storage_class);
  }
  r2_bucket_multipart_upload_t h;
  r2_bucket_error_t err;
  bool ok = r2_bucket_bucket_create_multipart_upload(b, bindery_string_borrow(key), o, &h, &err);
  scratch_free(&sc);
  if (!ok) {
    return r2_fail(&err);
  }
  *up = new_upload(h, key);
  return BINDERY_OK;
}

bindery_status bindery_r2_multipart_resume(const char *binding, const char *key, const char *upload_id,
                                           bindery_r2_upload **up) {
  *up = NULL;
  r2_bucket_bucket_t b;
  bindery_status st = r2_open(binding, &b);
  if (st != BINDERY_OK) {
    return st;
  }
  if (not_utf8("r2: key", key) || not_utf8("r2: upload id", upload_id)) {
    return BINDERY_ERR_INVALID;
  }
  r2_bucket_multipart_upload_t h =
      r2_bucket_bucket_resume_multipart_upload(b, bindery_string_borrow(key), bindery_string_borrow(upload_id));
  *up = new_upload(h, key);
  return BINDERY_OK;
}

const char *bindery_r2_upload_key(const bindery_r2_upload *up) { return up->key; }

const char *bindery_r2_upload_id(const bindery_r2_upload *up) { return up->id; }

static bindery_status upload_part(bindery_r2_upload *up, uint32_t n, r2_bucket_body_t value, bindery_r2_part *part) {
  if (n < 1 || n > 10000) {
    drop_body(&value);
    char msg[64];
    snprintf(msg, sizeof msg, "part number %u is not 1 to 10000", (unsigned)n);
    return failc(BINDERY_ERR_INVALID, msg);
  }
  r2_bucket_uploaded_part_t p;
  r2_bucket_error_t err;
  if (!r2_bucket_multipart_upload_upload_part(up->h, n, value, &p, &err)) {
    return r2_fail(&err);
  }
  if (part) {
    part->part_number = p.part_number;
    part->etag = cstr(p.etag.ptr, p.etag.len);
  }
  r2_bucket_uploaded_part_free(&p);
  return BINDERY_OK;
}

bindery_status bindery_r2_upload_part(bindery_r2_upload *up, uint32_t n, const void *data, size_t len,
                                      bindery_r2_part *part) {
  r2_bucket_body_t body = {.tag = R2_BUCKET_BODY_BYTES};
  body.val.bytes = bindery_bytes_borrow(data, len);
  return upload_part(up, n, body, part);
}

bindery_status bindery_r2_upload_part_request(bindery_r2_upload *up, uint32_t n, bindery_request *req,
                                              bindery_r2_part *part) {
  r2_bucket_body_t body;
  if (!request_body(req, &body)) {
    return failc(BINDERY_ERR_FAILED, "the request body is used up");
  }
  return upload_part(up, n, body, part);
}

struct bindery_r2_part_writer {
  r2_bucket_part_writer_t h;
};

bindery_status bindery_r2_upload_part_writer(bindery_r2_upload *up, uint32_t n, bindery_r2_part_writer **w) {
  *w = NULL;
  r2_bucket_part_writer_t h;
  r2_bucket_error_t err;
  if (!r2_bucket_multipart_upload_part_writer(up->h, n, &h, &err)) {
    return r2_fail(&err);
  }
  *w = malloc(sizeof **w);
  if (!*w) {
    abort();
  }
  (*w)->h = h;
  return BINDERY_OK;
}

bindery_status bindery_r2_part_writer_write(bindery_r2_part_writer *w, const void *data, size_t len) {
  r2_bucket_error_t err;
  if (!r2_bucket_part_writer_write(w->h, bindery_bytes_borrow(data, len), &err)) {
    return r2_fail(&err);
  }
  return BINDERY_OK;
}

bindery_status bindery_r2_part_writer_finish(bindery_r2_part_writer *w, bindery_r2_part *part) {
  r2_bucket_uploaded_part_t p;
  r2_bucket_error_t err;
  bool ok = r2_bucket_part_writer_finish(w->h, &p, &err);
  bindery_r2_part_writer_abort(w);
  if (!ok) {
    return r2_fail(&err);
  }
  if (part) {
    part->part_number = p.part_number;
    part->etag = cstr(p.etag.ptr, p.etag.len);
  }
  r2_bucket_uploaded_part_free(&p);
  return BINDERY_OK;
}

void bindery_r2_part_writer_abort(bindery_r2_part_writer *w) {
  if (w) {
    r2_bucket_part_writer_drop(w->h);
    free(w);
  }
}

bindery_status bindery_r2_upload_complete(bindery_r2_upload *up, const bindery_r2_part *parts, size_t n,
                                          bindery_r2_object *obj) {
  for (size_t i = 0; i < n; i++) {
    if (not_utf8("r2: part etag", parts[i].etag)) {
      return BINDERY_ERR_INVALID_PART;
    }
  }
  scratch sc = {0};
  r2_bucket_uploaded_part_t *ps = scratch_alloc(&sc, n, sizeof *ps);
  for (size_t i = 0; i < n; i++) {
    ps[i].part_number = parts[i].part_number;
    ps[i].etag = bindery_string_borrow(parts[i].etag);
  }
  r2_bucket_object_t o;
  r2_bucket_error_t err;
  bool ok = r2_bucket_multipart_upload_complete(up->h, (r2_bucket_list_uploaded_part_t){ps, n}, &o, &err);
  scratch_free(&sc);
  if (!ok) {
    return r2_fail(&err);
  }
  object(&o, obj);
  return BINDERY_OK;
}

bindery_status bindery_r2_upload_abort(bindery_r2_upload *up) {
  r2_bucket_error_t err;
  if (!r2_bucket_multipart_upload_abort(up->h, &err)) {
    return r2_fail(&err);
  }
  return BINDERY_OK;
}

void bindery_r2_upload_free(bindery_r2_upload *up) {
  if (up) {
    r2_bucket_multipart_upload_drop(up->h);
    free(up->key);
    free(up->id);
    free(up);
  }
}

// ---- D1 ---------------------------------------------------------------------

struct bindery_d1_database {
  d1_database_database_t h;
  char *name;
  struct bindery_d1_database *next;
};

struct bindery_d1_session {
  d1_database_session_t h;
  char *bookmark; // the last bookmark handed out, freed on the next call
};

static bindery_d1_database *d1_opened;

bindery_status bindery_d1_open(const char *binding, bindery_d1_database **db) {
  *db = NULL;
  if (!binding) {
    return failc(BINDERY_ERR_INVALID, "d1: no binding name");
  }
  for (bindery_d1_database *o = d1_opened; o; o = o->next) {
    if (strcmp(o->name, binding) == 0) {
      *db = o;
      return BINDERY_OK;
    }
  }
  if (not_utf8("d1: binding name", binding)) {
    return BINDERY_ERR_INVALID;
  }
  d1_database_database_t h;
  d1_database_error_t err;
  if (!d1_database_database_open(bindery_string_borrow(binding), &h, &err)) {
    return d1_fail(&err);
  }
  bindery_d1_database *o = malloc(sizeof *o);
  if (!o) {
    abort();
  }
  o->h = h;
  o->name = cstr((const uint8_t *)binding, strlen(binding));
  o->next = d1_opened;
  d1_opened = o;
  *db = o;
  return BINDERY_OK;
}

// d1_sql_not_utf8 refuses a missing SQL text or one that is not UTF-8.
static bool d1_sql_not_utf8(const char *sql) {
  if (!sql) {
    failc(BINDERY_ERR_INVALID, "d1: no SQL");
    return true;
  }
  return not_utf8("d1: SQL", sql);
}

// d1_params_not_utf8 refuses parameters the host could not take: text
// that is not UTF-8, a NULL pointer with a length, an unknown type.
static bool d1_params_not_utf8(const bindery_d1_value *params, size_t n) {
  if (n > 0 && !params) {
    failc(BINDERY_ERR_INVALID, "d1: NULL parameters");
    return true;
  }
  char what[64];
  for (size_t i = 0; i < n; i++) {
    const bindery_d1_value *v = &params[i];
    switch (v->type) {
    case BINDERY_D1_NULL:
    case BINDERY_D1_INTEGER:
    case BINDERY_D1_REAL:
      break;
    case BINDERY_D1_TEXT:
      snprintf(what, sizeof what, "d1: text parameter %zu", i + 1);
      if (!v->as.text.ptr && v->as.text.len > 0) {
        char msg[96];
        snprintf(msg, sizeof msg, "%s is NULL", what);
        failc(BINDERY_ERR_INVALID, msg);
        return true;
      }
      if (v->as.text.len > 0 && not_utf8_n(what, v->as.text.ptr, v->as.text.len)) {
        return true;
      }
      break;
    case BINDERY_D1_BLOB:
      if (!v->as.blob.ptr && v->as.blob.len > 0) {
        char msg[96];
        snprintf(msg, sizeof msg, "d1: blob parameter %zu is NULL", i + 1);
        failc(BINDERY_ERR_INVALID, msg);
        return true;
      }
      break;
    default: {
      char msg[96];
      snprintf(msg, sizeof msg, "d1: parameter %zu has no type %d (D1_TYPE_ERROR)", i + 1, (int)v->type);
      failc(BINDERY_ERR_INVALID, msg);
      return true;
    }
    }
  }
  return false;
}

// wit_params views params as WIT values in vs (no copy of the bytes).
static d1_database_list_value_t wit_params(d1_database_value_t *vs, const bindery_d1_value *params, size_t n) {
  for (size_t i = 0; i < n; i++) {
    const bindery_d1_value *v = &params[i];
    vs[i].tag = (uint8_t)v->type;
    switch (v->type) {
    case BINDERY_D1_INTEGER:
      vs[i].val.integer = v->as.integer;
      break;
    case BINDERY_D1_REAL:
      vs[i].val.real = v->as.real;
      break;
    case BINDERY_D1_TEXT:
      vs[i].val.text = (bindery_string_t){(uint8_t *)v->as.text.ptr, v->as.text.len};
      break;
    case BINDERY_D1_BLOB:
      vs[i].val.blob = bindery_bytes_borrow(v->as.blob.ptr, v->as.blob.len);
      break;
    default:
      break;
    }
  }
  return (d1_database_list_value_t){n > 0 ? vs : NULL, n};
}

// stmts_not_utf8 checks n statements' SQL and parameters.
static bool stmts_not_utf8(const bindery_d1_statement *stmts, size_t n) {
  if (n > 0 && !stmts) {
    failc(BINDERY_ERR_INVALID, "d1: NULL statements");
    return true;
  }
  for (size_t i = 0; i < n; i++) {
    if (d1_sql_not_utf8(stmts[i].sql) || d1_params_not_utf8(stmts[i].params, stmts[i].nparams)) {
      return true;
    }
  }
  return false;
}

// wit_stmts views n statements as WIT statements in two scratch blocks
// (the statements, and every parameter).
static d1_database_list_statement_t wit_stmts(scratch *sc, const bindery_d1_statement *stmts, size_t n) {
  size_t total = 0;
  for (size_t i = 0; i < n; i++) {
    total += stmts[i].nparams;
  }
  d1_database_statement_t *ws = scratch_alloc(sc, n, sizeof *ws);
  d1_database_value_t *vs = scratch_alloc(sc, total, sizeof *vs);
  for (size_t i = 0; i < n; i++) {
    ws[i].sql = bindery_string_borrow(stmts[i].sql);
    ws[i].params_ = wit_params(vs, stmts[i].params, stmts[i].nparams);
    if (stmts[i].nparams > 0) {
      vs += stmts[i].nparams;
    }
  }
  return (d1_database_list_statement_t){ws, n};
}

// d1_result moves the WIT result q into r (and frees what it does not keep).
static void d1_result(d1_database_query_result_t *q, bindery_d1_result *r) {
  memset(r, 0, sizeof *r);
  d1_database_meta_t m = q->meta;
  r->meta = (bindery_d1_meta){m.duration, m.rows_read, m.rows_written, m.last_row_id, m.changes, m.changed_db, m.size_after};
  size_t ncol = q->columns.len;
  if (ncol > 0) {
    r->columns = calloc(ncol, sizeof *r->columns);
    if (!r->columns) {
      abort();
    }
    for (size_t i = 0; i < ncol; i++) {
      r->columns[i] = cstr(q->columns.ptr[i].ptr, q->columns.ptr[i].len);
    }
  }
  r->ncolumns = ncol;
  size_t nrows = q->rows.len;
  if (nrows > 0 && ncol > 0) {
    r->values = calloc(nrows * ncol, sizeof *r->values);
    if (!r->values) {
      abort();
    }
  }
  r->nrows = nrows;
  for (size_t i = 0; i < nrows; i++) {
    d1_database_list_value_t *row = &q->rows.ptr[i];
    // A row has a value per column; the host never sends more, and a
    // missing one would stay NULL.
    for (size_t j = 0; j < row->len && j < ncol; j++) {
      d1_database_value_t *w = &row->ptr[j];
      bindery_d1_value *v = &r->values[i * ncol + j];
      v->type = (bindery_d1_type)w->tag;
      switch (w->tag) {
      case D1_DATABASE_VALUE_INTEGER:
        v->as.integer = w->val.integer;
        break;
      case D1_DATABASE_VALUE_REAL:
        v->as.real = w->val.real;
        break;
      case D1_DATABASE_VALUE_TEXT:
        v->as.text.ptr = cstr(w->val.text.ptr, w->val.text.len);
        v->as.text.len = w->val.text.len;
        break;
      case D1_DATABASE_VALUE_BLOB:
        // The host's malloc'd bytes move into the result.
        if (w->val.blob.len > 0) {
          v->as.blob.ptr = w->val.blob.ptr;
          v->as.blob.len = w->val.blob.len;
          w->val.blob = (bindery_list_u8_t){NULL, 0};
        }
        break;
      default:
        v->type = BINDERY_D1_NULL;
        break;
      }
    }
  }
  d1_database_query_result_free(q);
}

void bindery_d1_result_free(bindery_d1_result *r) {
  if (!r) {
    return;
  }
  for (size_t i = 0; i < r->ncolumns; i++) {
    free(r->columns[i]);
  }
  free(r->columns);
  size_t n = r->nrows * r->ncolumns;
  for (size_t i = 0; r->values && i < n; i++) {
    bindery_d1_value *v = &r->values[i];
    if (v->type == BINDERY_D1_TEXT) {
      free((char *)v->as.text.ptr);
    } else if (v->type == BINDERY_D1_BLOB) {
      free((uint8_t *)v->as.blob.ptr);
    }
  }
  free(r->values);
  memset(r, 0, sizeof *r);
}

const bindery_d1_value *bindery_d1_result_row(const bindery_d1_result *r, size_t i) {
  if (i >= r->nrows || r->ncolumns == 0) {
    return NULL;
  }
  return &r->values[i * r->ncolumns];
}

long bindery_d1_result_column(const bindery_d1_result *r, const char *name) {
  for (size_t i = 0; name && i < r->ncolumns; i++) {
    if (strcmp(r->columns[i], name) == 0) {
      return (long)i;
    }
  }
  return -1;
}

const bindery_d1_value *bindery_d1_result_get(const bindery_d1_result *r, size_t i, const char *name) {
  const bindery_d1_value *row = bindery_d1_result_row(r, i);
  long c = bindery_d1_result_column(r, name);
  return row && c >= 0 ? &row[c] : NULL;
}

// d1_query runs one statement on a database (sess NULL) or in a session.
static bindery_status d1_query(bindery_d1_database *db, bindery_d1_session *sess, const char *sql,
                               const bindery_d1_value *params, size_t nparams, bindery_d1_result *result) {
  memset(result, 0, sizeof *result);
  if (d1_sql_not_utf8(sql) || d1_params_not_utf8(params, nparams)) {
    return BINDERY_ERR_INVALID;
  }
  scratch sc = {0};
  d1_database_statement_t stmt = {bindery_string_borrow(sql),
                                  wit_params(scratch_alloc(&sc, nparams, sizeof(d1_database_value_t)), params, nparams)};
  d1_database_query_result_t q;
  d1_database_error_t err;
  bool ok = sess ? d1_database_session_query(sess->h, stmt, &q, &err) : d1_database_database_query(db->h, stmt, &q, &err);
  scratch_free(&sc);
  if (!ok) {
    return d1_fail(&err);
  }
  d1_result(&q, result);
  return BINDERY_OK;
}

// d1_batch runs a batch on a database (sess NULL) or in a session.
static bindery_status d1_batch(bindery_d1_database *db, bindery_d1_session *sess, const bindery_d1_statement *stmts,
                               size_t n, bindery_d1_result *results) {
  if (stmts_not_utf8(stmts, n)) {
    return BINDERY_ERR_INVALID;
  }
  scratch sc = {0};
  d1_database_list_statement_t ws = wit_stmts(&sc, stmts, n);
  d1_database_list_query_result_t qs;
  d1_database_error_t err;
  bool ok = sess ? d1_database_session_batch(sess->h, ws, &qs, &err) : d1_database_database_batch(db->h, ws, &qs, &err);
  scratch_free(&sc);
  if (!ok) {
    return d1_fail(&err);
  }
  if (qs.len != n) {
    char msg[96];
    snprintf(msg, sizeof msg, "d1: batch of %zu statements returned %zu results", n, qs.len);
    d1_database_list_query_result_free(&qs);
    return failc(BINDERY_ERR_FAILED, msg);
  }
  for (size_t i = 0; i < n; i++) {
    d1_result(&qs.ptr[i], &results[i]); // frees the WIT result
  }
  if (qs.len > 0) {
    free(qs.ptr);
  }
  return BINDERY_OK;
}

bindery_status bindery_d1_query(bindery_d1_database *db, const char *sql, const bindery_d1_value *params,
                                size_t nparams, bindery_d1_result *result) {
  return d1_query(db, NULL, sql, params, nparams, result);
}

bindery_status bindery_d1_batch(bindery_d1_database *db, const bindery_d1_statement *stmts, size_t n,
                                bindery_d1_result *results) {
  return d1_batch(db, NULL, stmts, n, results);
}

bindery_status bindery_d1_exec(bindery_d1_database *db, const char *sql, bindery_d1_exec_result *out) {
  if (d1_sql_not_utf8(sql)) {
    return BINDERY_ERR_INVALID;
  }
  d1_database_exec_result_t r;
  d1_database_error_t err;
  if (!d1_database_database_exec(db->h, bindery_string_borrow(sql), &r, &err)) {
    return d1_fail(&err);
  }
  if (out) {
    out->count = r.count;
    out->duration = r.duration;
  }
  return BINDERY_OK;
}

bindery_status bindery_d1_session_open(bindery_d1_database *db, const char *constraint_or_bookmark,
                                       bindery_d1_session **s) {
  *s = NULL;
  if (not_utf8("d1: session constraint or bookmark", constraint_or_bookmark)) {
    return BINDERY_ERR_INVALID;
  }
  d1_database_option_string_t c = {0};
  if (constraint_or_bookmark) {
    c.is_some = true;
    c.val = bindery_string_borrow(constraint_or_bookmark);
  }
  d1_database_session_t h;
  d1_database_error_t err;
  if (!d1_database_database_with_session(db->h, c, &h, &err)) {
    return d1_fail(&err);
  }
  *s = calloc(1, sizeof **s);
  if (!*s) {
    abort();
  }
  (*s)->h = h;
  return BINDERY_OK;
}

bindery_status bindery_d1_session_query(bindery_d1_session *s, const char *sql, const bindery_d1_value *params,
                                        size_t nparams, bindery_d1_result *result) {
  return d1_query(NULL, s, sql, params, nparams, result);
}

bindery_status bindery_d1_session_batch(bindery_d1_session *s, const bindery_d1_statement *stmts, size_t n,
                                        bindery_d1_result *results) {
  return d1_batch(NULL, s, stmts, n, results);
}

const char *bindery_d1_session_bookmark(bindery_d1_session *s) {
  free(s->bookmark);
  s->bookmark = NULL;
  d1_database_option_string_t b = d1_database_session_bookmark(s->h);
  if (b.is_some) {
    s->bookmark = cstr(b.val.ptr, b.val.len);
  }
  d1_database_option_string_free(&b);
  return s->bookmark;
}

void bindery_d1_session_free(bindery_d1_session *s) {
  if (s) {
    d1_database_session_drop(s->h);
    free(s->bookmark);
    free(s);
  }
}
