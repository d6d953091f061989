// bindery.c: the idiomatic C layer over the generated bindings in
// generated/ (which are the only code here that sees Canonical ABI types).
// See bindery.h for the API and its memory rules.

#include "bindery.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "generated/config_vars.h"
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
  case R2_BUCKET_ERROR_INVALID_RANGE:
  case R2_BUCKET_ERROR_BAD_DIGEST:
    st = BINDERY_ERR_INVALID;
    break;
  case R2_BUCKET_ERROR_METADATA_TOO_LARGE:
  case R2_BUCKET_ERROR_ENTITY_TOO_LARGE:
    st = BINDERY_ERR_TOO_LARGE;
    break;
  }
  fail(st, e->val.internal.ptr, e->val.internal.len);
  r2_bucket_error_free(e);
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
  bool sent; // the head is out; the body streams through stream
  bool failed;
  io_streams_output_stream_t stream;
};

void bindery_response_status(bindery_response *res, int status) {
  if (!res->sent) {
    res->status = status;
  }
}

bindery_status bindery_response_header(bindery_response *res, const char *name, const char *value) {
  if (res->sent) {
    return failc(BINDERY_ERR_FAILED, "response already sent");
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

// exports_http_handler_handle is the Worker's export (generated/http_handler.h).
void exports_http_handler_handle(http_types_request_t head, io_streams_input_stream_t body,
                                 http_types_response_outparam_t out) {
  bindery_request req = {.head = head, .body = {.s = body}};
  req.method = cstr(head.method.ptr, head.method.len);
  req.url = cstr(head.url.ptr, head.url.len);
  split(&req);
  bindery_response res = {.out = out, .status = 200};
  if (handler) {
    handler(&req, &res);
  } else {
    bindery_response_text(&res, 500, "no handler: use BINDERY_HANDLER(fn)\n");
  }
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
  config_vars_option_value_t got = config_vars_get(bindery_string_borrow(name));
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

void bindery_r2_object_free(bindery_r2_object *obj) {
  free(obj->key);
  free(obj->etag);
  free(obj->content_type);
  memset(obj, 0, sizeof *obj);
}

// object fills out from o (when out is set) and frees o.
static void object(r2_bucket_object_t *o, bindery_r2_object *out) {
  if (out) {
    out->key = cstr(o->key.ptr, o->key.len);
    out->etag = cstr(o->etag.ptr, o->etag.len);
    out->size = o->size;
    out->uploaded = o->uploaded;
    r2_bucket_option_string_t ct = o->http_metadata.content_type;
    out->content_type = ct.is_some ? cstr(ct.val.ptr, ct.val.len) : NULL;
  }
  r2_bucket_object_free(o);
}

static bindery_status r2_put(const char *binding, const char *key, r2_bucket_body_t value, bindery_r2_object *obj) {
  r2_bucket_bucket_t b;
  bindery_status st = r2_open(binding, &b);
  if (st != BINDERY_OK) {
    if (value.tag == R2_BUCKET_BODY_STREAM) {
      io_streams_input_stream_drop(value.val.stream);
    }
    return st;
  }
  r2_bucket_put_options_t opts;
  memset(&opts, 0, sizeof opts);
  r2_bucket_option_object_t res;
  r2_bucket_error_t err;
  if (!r2_bucket_bucket_put(b, bindery_string_borrow(key), value, opts, &res, &err)) {
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
  r2_bucket_body_t body = {.tag = R2_BUCKET_BODY_BYTES};
  body.val.bytes = bindery_bytes_borrow(data, len);
  return r2_put(binding, key, body, obj);
}

bindery_status bindery_r2_put_request(const char *binding, const char *key, bindery_request *req,
                                      bindery_r2_object *obj) {
  if (req->body.given) {
    return failc(BINDERY_ERR_FAILED, "the request body is used up");
  }
  // own<input-stream>: the handle moves to the host.
  r2_bucket_body_t body = {.tag = R2_BUCKET_BODY_STREAM};
  body.val.stream = req->body.s;
  req->body.given = true;
  return r2_put(binding, key, body, obj);
}

bindery_status bindery_r2_get(const char *binding, const char *key, bindery_r2_object *obj,
                              bindery_body **body) {
  r2_bucket_bucket_t b;
  bindery_status st = r2_open(binding, &b);
  if (st != BINDERY_OK) {
    return st;
  }
  r2_bucket_get_options_t opts;
  memset(&opts, 0, sizeof opts);
  r2_bucket_option_object_body_t res;
  r2_bucket_error_t err;
  if (!r2_bucket_bucket_get(b, bindery_string_borrow(key), opts, &res, &err)) {
    return r2_fail(&err);
  }
  if (!res.is_some) {
    return BINDERY_NOT_FOUND;
  }
  object(&res.val.object, obj);
  if (res.val.body.is_some) {
    if (body) {
      *body = calloc(1, sizeof **body);
      if (!*body) {
        abort();
      }
      (*body)->s = res.val.body.val;
    } else {
      io_streams_input_stream_drop(res.val.body.val);
    }
  } else if (body) {
    *body = NULL;
  }
  return BINDERY_OK;
}

bindery_status bindery_r2_delete(const char *binding, const char *key) {
  r2_bucket_bucket_t b;
  bindery_status st = r2_open(binding, &b);
  if (st != BINDERY_OK) {
    return st;
  }
  bindery_string_t k = bindery_string_borrow(key);
  r2_bucket_error_t err;
  if (!r2_bucket_bucket_delete(b, (r2_bucket_list_string_t){&k, 1}, &err)) {
    return r2_fail(&err);
  }
  return BINDERY_OK;
}
