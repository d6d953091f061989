// durable.c: Durable Objects for C Workers (bindery_durable.h) over the
// generated bindings of world worker-with-objects (generated-durable/).
// build.sh compiles it only into a Worker that uses Durable Objects.

#include "bindery_durable.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "bindery_internal.h"
#include "generated-durable/durable_client.h"
#include "generated-durable/durable_object.h"
#include "generated-durable/durable_state.h"
#include "generated-durable/durable_types.h"

// ROWS is how many SQL rows a cursor asks the host for at once.
#define ROWS 64

// ---- helpers ----------------------------------------------------------------

static void *xmalloc(size_t n) {
  void *p = malloc(n ? n : 1);
  if (!p) {
    abort();
  }
  return p;
}

static void *xcalloc(size_t n, size_t size) {
  void *p = calloc(n ? n : 1, size ? size : 1);
  if (!p) {
    abort();
  }
  return p;
}

// sdup copies len bytes at s into a NUL-terminated malloc'd string.
static char *sdup(const uint8_t *s, size_t len) {
  char *r = xmalloc(len + 1);
  if (len > 0) {
    memcpy(r, s, len);
  }
  r[len] = 0;
  return r;
}

static char *wdup(bindery_string_t s) { return sdup(s.ptr, s.len); }

static bindery_status failc(bindery_status st, const char *msg) {
  return bindery__fail(st, (const uint8_t *)msg, strlen(msg));
}

// bad refuses a string that could not cross to the host.
static bool bad(const char *what, const char *s) { return bindery__not_utf8_n(what, s, strlen(s)); }

// bytes_of hands a WIT list over as a bindery_bytes (NULL when empty: an
// empty list's pointer need not come from malloc).
static bindery_bytes bytes_of(bindery_list_u8_t l) {
  if (l.len == 0) {
    return (bindery_bytes){NULL, 0};
  }
  return (bindery_bytes){l.ptr, l.len};
}

// do_fail records the host's error and returns its status; it frees e.
static bindery_status do_fail(durable_types_error_t *e) {
  bindery_status st = BINDERY_ERR_FAILED;
  bindery_string_t msg = e->val.internal; // every case but thrown is a string
  switch (e->tag) {
  case DURABLE_TYPES_ERROR_NO_SUCH_NAMESPACE:
    st = BINDERY_ERR_NO_SUCH_BINDING;
    break;
  case DURABLE_TYPES_ERROR_INVALID_ID:
  case DURABLE_TYPES_ERROR_INVALID_ARGUMENT:
    st = BINDERY_ERR_INVALID;
    break;
  case DURABLE_TYPES_ERROR_LIMIT:
    st = BINDERY_ERR_LIMIT;
    break;
  case DURABLE_TYPES_ERROR_SQL:
    st = BINDERY_ERR_SQL;
    break;
  case DURABLE_TYPES_ERROR_REFUSED:
    st = BINDERY_ERR_REFUSED;
    break;
  case DURABLE_TYPES_ERROR_TRANSACTION:
    st = BINDERY_ERR_TRANSACTION;
    break;
  case DURABLE_TYPES_ERROR_THROWN:
    st = BINDERY_ERR_THROWN;
    msg = e->val.thrown.message;
    break;
  case DURABLE_TYPES_ERROR_OBJECT_FAILED:
    st = BINDERY_ERR_OBJECT_FAILED;
    break;
  case DURABLE_TYPES_ERROR_CLOSED:
    st = BINDERY_ERR_CLOSED;
    break;
  }
  bindery__fail(st, msg.ptr, msg.len);
  durable_types_error_free(e);
  return st;
}

// encode_error encodes an Error named name with message (NULL on failure).
static bool encode_error(const char *name, const char *message, bindery_bytes *out) {
  bindery_sv_writer *w = xmalloc(sizeof *w);
  bindery_sv_writer_init(w);
  bindery_sv_write_error(w, name, message, NULL, false);
  bool ok = bindery_sv_writer_finish(w, out) == BINDERY_OK;
  free(w);
  return ok;
}

// strings borrows n C strings as a WIT list (free the array with free()).
static durable_state_list_string_t strings(const char *const *v, size_t n) {
  durable_state_list_string_t l = {xcalloc(n, sizeof(bindery_string_t)), n};
  for (size_t i = 0; i < n; i++) {
    l.ptr[i] = bindery_string_borrow(v[i]);
  }
  return l;
}

static bool strings_bad(const char *what, const char *const *v, size_t n) {
  for (size_t i = 0; i < n; i++) {
    if (bad(what, v[i])) {
      return true;
    }
  }
  return false;
}

static durable_state_option_string_t opt(const char *s) {
  durable_state_option_string_t o = {0};
  if (s) {
    o.is_some = true;
    o.val = bindery_string_borrow(s);
  }
  return o;
}

// ---- namespaces, ids and stubs ------------------------------------------------

struct bindery_do_ns {
  char *name;
  durable_client_namespace_t h;
  bindery_do_ns *next;
};

// namespaces are the bindings opened so far: one handle per binding for
// the instance's life.
static bindery_do_ns *namespaces;

bindery_status bindery_do_namespace(const char *binding, bindery_do_ns **ns) {
  for (bindery_do_ns *n = namespaces; n; n = n->next) {
    if (strcmp(n->name, binding) == 0) {
      *ns = n;
      return BINDERY_OK;
    }
  }
  if (bad("durable: binding", binding)) {
    return BINDERY_ERR_INVALID;
  }
  durable_client_namespace_t h;
  durable_types_error_t err;
  if (!durable_client_namespace_open(bindery_string_borrow(binding), &h, &err)) {
    return do_fail(&err);
  }
  bindery_do_ns *n = xcalloc(1, sizeof *n);
  n->name = sdup((const uint8_t *)binding, strlen(binding));
  n->h = h;
  n->next = namespaces;
  namespaces = n;
  *ns = n;
  return BINDERY_OK;
}

// id_out copies an id the host returned into id and frees it.
static bindery_status id_out(bindery_string_t s, char id[BINDERY_DO_ID_LEN + 1]) {
  size_t n = s.len > BINDERY_DO_ID_LEN ? BINDERY_DO_ID_LEN : s.len;
  memcpy(id, s.ptr, n);
  id[n] = 0;
  bindery_string_free(&s);
  return BINDERY_OK;
}

bindery_status bindery_do_id_from_name(bindery_do_ns *ns, const char *name, char id[BINDERY_DO_ID_LEN + 1]) {
  if (bad("durable: name", name)) {
    return BINDERY_ERR_INVALID;
  }
  bindery_string_t s;
  durable_types_error_t err;
  if (!durable_client_namespace_id_from_name(ns->h, bindery_string_borrow(name), &s, &err)) {
    return do_fail(&err);
  }
  return id_out(s, id);
}

bindery_status bindery_do_new_unique_id(bindery_do_ns *ns, const char *jurisdiction, char id[BINDERY_DO_ID_LEN + 1]) {
  if (jurisdiction && bad("durable: jurisdiction", jurisdiction)) {
    return BINDERY_ERR_INVALID;
  }
  durable_client_option_string_t j = {0};
  if (jurisdiction) {
    j.is_some = true;
    j.val = bindery_string_borrow(jurisdiction);
  }
  bindery_string_t s;
  durable_types_error_t err;
  if (!durable_client_namespace_new_unique_id(ns->h, j, &s, &err)) {
    return do_fail(&err);
  }
  return id_out(s, id);
}

bindery_status bindery_do_id_from_string(bindery_do_ns *ns, const char *str, char id[BINDERY_DO_ID_LEN + 1]) {
  if (bad("durable: id", str)) {
    return BINDERY_ERR_INVALID;
  }
  bindery_string_t s;
  durable_types_error_t err;
  if (!durable_client_namespace_id_from_string(ns->h, bindery_string_borrow(str), &s, &err)) {
    return do_fail(&err);
  }
  return id_out(s, id);
}

struct bindery_do_stub {
  durable_client_stub_t h;
  char id[BINDERY_DO_ID_LEN + 1];
};

static bindery_do_stub *new_stub(durable_client_stub_t h) {
  bindery_do_stub *s = xcalloc(1, sizeof *s);
  s->h = h;
  id_out(durable_client_stub_id(h), s->id);
  return s;
}

bindery_status bindery_do_get(bindery_do_ns *ns, const char *id, bindery_do_stub **stub) {
  if (bad("durable: id", id)) {
    return BINDERY_ERR_INVALID;
  }
  durable_client_stub_t h;
  durable_types_error_t err;
  if (!durable_client_namespace_get(ns->h, bindery_string_borrow(id), &h, &err)) {
    return do_fail(&err);
  }
  *stub = new_stub(h);
  return BINDERY_OK;
}

bindery_status bindery_do_get_by_name(bindery_do_ns *ns, const char *name, bindery_do_stub **stub) {
  if (bad("durable: name", name)) {
    return BINDERY_ERR_INVALID;
  }
  durable_client_stub_t h;
  durable_types_error_t err;
  if (!durable_client_namespace_get_by_name(ns->h, bindery_string_borrow(name), &h, &err)) {
    return do_fail(&err);
  }
  *stub = new_stub(h);
  return BINDERY_OK;
}

const char *bindery_do_stub_id(const bindery_do_stub *stub) { return stub->id; }

void bindery_do_stub_free(bindery_do_stub *stub) {
  if (stub) {
    durable_client_stub_drop(stub->h);
    free(stub);
  }
}

// ---- stub fetch ---------------------------------------------------------------

struct bindery_do_response {
  durable_client_response_t r;
  bindery_body *body;
  char **values; // NUL-terminated header values, made on first lookup
};

static bindery_status fetch(bindery_do_stub *stub, http_types_request_t head, durable_types_body_t body,
                            bindery_do_response **resp) {
  durable_client_response_t r;
  durable_types_error_t err;
  if (!durable_client_stub_fetch(stub->h, head, body, &r, &err)) {
    return do_fail(&err);
  }
  bindery_do_response *out = xcalloc(1, sizeof *out);
  out->r = r;
  out->body = bindery__body_new(r.body);
  *resp = out;
  return BINDERY_OK;
}

bindery_status bindery_do_stub_fetch(bindery_do_stub *stub, bindery_request *req, bindery_do_response **resp) {
  durable_types_body_t body = {.tag = DURABLE_TYPES_BODY_BYTES};
  io_streams_input_stream_t s;
  if (bindery__request_take_body(req, &s)) {
    body.tag = DURABLE_TYPES_BODY_STREAM;
    body.val.stream = s;
  }
  return fetch(stub, *bindery__request_head(req), body, resp);
}

bindery_status bindery_do_stub_fetch_url(bindery_do_stub *stub, const char *url, const bindery_do_fetch_options *opts,
                                         bindery_do_response **resp) {
  bindery_do_fetch_options none = {0};
  if (!opts) {
    opts = &none;
  }
  const char *method = opts->method ? opts->method : "GET";
  if (bad("durable: fetch url", url) || bad("durable: fetch method", method)) {
    return BINDERY_ERR_INVALID;
  }
  for (size_t i = 0; i < opts->nheaders; i++) {
    if (bad("durable: header name", opts->headers[i].key)) {
      return BINDERY_ERR_INVALID;
    }
  }
  http_types_request_t head = {bindery_string_borrow(method), bindery_string_borrow(url), {NULL, 0}};
  head.headers.ptr = xcalloc(opts->nheaders, sizeof *head.headers.ptr);
  head.headers.len = opts->nheaders;
  for (size_t i = 0; i < opts->nheaders; i++) {
    // The host wants lower-case names.
    const char *k = opts->headers[i].key;
    size_t n = strlen(k);
    char *lk = sdup((const uint8_t *)k, n);
    for (size_t j = 0; j < n; j++) {
      if (lk[j] >= 'A' && lk[j] <= 'Z') {
        lk[j] += 'a' - 'A';
      }
    }
    head.headers.ptr[i].f0 = (bindery_string_t){(uint8_t *)lk, n};
    head.headers.ptr[i].f1 = bindery_bytes_borrow(opts->headers[i].value, strlen(opts->headers[i].value));
  }
  durable_types_body_t body = {.tag = DURABLE_TYPES_BODY_BYTES};
  body.val.bytes = bindery_bytes_borrow(opts->body, opts->body_len);
  bindery_status st = fetch(stub, head, body, resp);
  for (size_t i = 0; i < head.headers.len; i++) {
    free(head.headers.ptr[i].f0.ptr);
  }
  free(head.headers.ptr);
  return st;
}

int bindery_do_response_status(const bindery_do_response *resp) { return resp->r.status; }

const char *bindery_do_response_header(bindery_do_response *resp, const char *name) {
  size_t n = strlen(name);
  http_types_fields_t *h = &resp->r.headers;
  for (size_t i = 0; i < h->len; i++) {
    bindery_string_t k = h->ptr[i].f0;
    if (k.len == n && strncasecmp((const char *)k.ptr, name, n) == 0) {
      if (!resp->values) {
        resp->values = xcalloc(h->len, sizeof(char *));
      }
      if (!resp->values[i]) {
        resp->values[i] = sdup(h->ptr[i].f1.ptr, h->ptr[i].f1.len);
      }
      return resp->values[i];
    }
  }
  return NULL;
}

long bindery_do_response_read(bindery_do_response *resp, void *buf, size_t cap) {
  return bindery_body_read(resp->body, buf, cap);
}

void bindery_do_response_free(bindery_do_response *resp) {
  if (!resp) {
    return;
  }
  bindery_body_close(resp->body); // drops the body stream
  if (resp->r.upgrade.is_some) {
    durable_client_upgrade_drop(resp->r.upgrade.val);
  }
  if (resp->values) {
    for (size_t i = 0; i < resp->r.headers.len; i++) {
      free(resp->values[i]);
    }
    free(resp->values);
  }
  http_types_fields_free(&resp->r.headers);
  free(resp);
}

bindery_status bindery_do_response_send(bindery_do_response *resp, bindery_response *res) {
  bindery_status st = BINDERY_OK;
  if (resp->r.upgrade.is_some) {
    http_types_response_outparam_t out;
    if (!bindery__response_outparam(res, true, &out)) {
      st = failc(BINDERY_ERR_INVALID, "durable: a web socket needs the response of the client's upgrade request, "
                                      "before anything was written to it");
    } else {
      durable_types_error_t err;
      if (!durable_client_upgrade_forward(resp->r.upgrade.val, out, &err)) {
        st = do_fail(&err);
      }
    }
  } else {
    bindery_response_status(res, resp->r.status);
    http_types_fields_t *h = &resp->r.headers;
    for (size_t i = 0; i < h->len && st == BINDERY_OK; i++) {
      char *k = wdup(h->ptr[i].f0);
      char *v = sdup(h->ptr[i].f1.ptr, h->ptr[i].f1.len);
      st = bindery_response_header(res, k, v);
      free(k);
      free(v);
    }
    if (st == BINDERY_OK) {
      st = bindery_response_splice(res, resp->body);
    }
  }
  bindery_do_response_free(resp);
  return st;
}

// ---- stub call ----------------------------------------------------------------

bindery_status bindery_do_stub_call(bindery_do_stub *stub, const char *method, const void *args, size_t args_len,
                                    bindery_bytes *result) {
  *result = (bindery_bytes){NULL, 0};
  if (bad("durable: method", method)) {
    return BINDERY_ERR_INVALID;
  }
  static const uint8_t empty[] = {0xd9, 0xd9, 0xf7, 0x80}; // []
  if (!args || args_len == 0) {
    args = empty;
    args_len = sizeof empty;
  }
  bindery_list_u8_t ret;
  durable_types_error_t err;
  if (durable_client_stub_call(stub->h, bindery_string_borrow(method), bindery_bytes_borrow(args, args_len), &ret,
                               &err)) {
    *result = bytes_of(ret);
    return BINDERY_OK;
  }
  if (err.tag != DURABLE_TYPES_ERROR_THROWN) {
    return do_fail(&err);
  }
  durable_types_thrown_t *t = &err.val.thrown;
  if (t->value.is_some) {
    *result = bytes_of(t->value.val);
    t->value.is_some = false;
  } else {
    char *name = wdup(t->name), *message = wdup(t->message);
    encode_error(name, message, result);
    free(name);
    free(message);
  }
  return do_fail(&err);
}

// ---- classes and objects ------------------------------------------------------

// event is one event in progress on an object; events of one object nest
// (the innermost is the state's ev).
typedef struct event {
  struct event *up;
  bool thrown;
  char *name, *message; // what bindery_do_throw set
} event;

struct bindery_do_socket {
  durable_state_web_socket_t h; // the handle of the latest event that saw it
  uint64_t key;
  char **tags; // loaded on first use
  size_t ntags;
  bool has_tags;
  bindery_do_socket *next;
};

struct bindery_do_state {
  const bindery_do_class *cls;
  char *class_name, *id, *name;
  void *obj;
  event *ev;
  bindery_do_socket *sockets; // in the order the object saw them
  bindery_do_state *next;
};

// classes are the defined classes.
static const bindery_do_class **classes;
static size_t nclasses;

// objects are the objects in memory.
static bindery_do_state *objects;

void bindery_do_define(const bindery_do_class *cls) {
  const bindery_do_class **c = realloc(classes, (nclasses + 1) * sizeof *c);
  if (!c) {
    abort();
  }
  classes = c;
  classes[nclasses++] = cls;
}

static const bindery_do_class *class_named(bindery_string_t name) {
  for (size_t i = 0; i < nclasses; i++) {
    if (strlen(classes[i]->name) == name.len && memcmp(classes[i]->name, name.ptr, name.len) == 0) {
      return classes[i];
    }
  }
  return NULL;
}

durable_object_module_info_t exports_durable_object_describe(void) {
  durable_object_module_info_t info = {{xcalloc(nclasses, sizeof(bindery_string_t)), nclasses}, true};
  for (size_t i = 0; i < nclasses; i++) {
    const char *n = classes[i]->name;
    info.classes.ptr[i] = (bindery_string_t){(uint8_t *)sdup((const uint8_t *)n, strlen(n)), strlen(n)};
  }
  // The SDK keeps each event's state apart (the event frames below), so
  // events may nest.
  info.reentrant = true;
  return info;
}

// enter finds the object of info (constructing it on its first event)
// and makes ev its running event; NULL (with the message recorded) when
// the Worker has no such class.
static bindery_do_state *enter(const durable_types_object_info_t *info, event *ev) {
  for (bindery_do_state *st = objects; st; st = st->next) {
    if (strlen(st->class_name) == info->class_name.len &&
        memcmp(st->class_name, info->class_name.ptr, info->class_name.len) == 0 && strlen(st->id) == info->id.len &&
        memcmp(st->id, info->id.ptr, info->id.len) == 0) {
      ev->up = st->ev;
      st->ev = ev;
      return st;
    }
  }
  const bindery_do_class *cls = class_named(info->class_name);
  if (!cls) {
    char msg[256];
    snprintf(msg, sizeof msg, "durable: the Worker defines no class \"%.*s\" (use BINDERY_DO_CLASS)",
             (int)(info->class_name.len > 128 ? 128 : info->class_name.len), (const char *)info->class_name.ptr);
    failc(BINDERY_ERR_FAILED, msg);
    return NULL;
  }
  bindery_do_state *st = xcalloc(1, sizeof *st);
  st->cls = cls;
  st->class_name = wdup(info->class_name);
  st->id = wdup(info->id);
  st->name = info->name.is_some ? wdup(info->name.val) : NULL;
  st->ev = ev;
  // In the list before the constructor runs: its calls may nest events.
  st->next = objects;
  objects = st;
  if (cls->construct) {
    st->obj = cls->construct(st, cls->data);
  }
  return st;
}

static void leave(bindery_do_state *st, event *ev) {
  if (st) {
    st->ev = ev->up;
  }
}

// thrown_of is what a failed event throws: what bindery_do_throw set, else
// an Error with the last error's message. It frees ev's strings.
static durable_types_thrown_t thrown_of(event *ev, bindery_status s) {
  const char *name = ev->thrown ? ev->name : "Error";
  const char *message = ev->thrown ? ev->message : bindery_errmsg();
  if (!ev->thrown && !*message) {
    message = bindery_status_name(s);
  }
  durable_types_thrown_t t = {0};
  t.name = bindery__utf8_copy(name, strlen(name));
  t.message = bindery__utf8_copy(message, strlen(message));
  char *n = wdup(t.name), *m = wdup(t.message);
  bindery_bytes enc;
  if (encode_error(n, m, &enc)) {
    t.value.is_some = true;
    t.value.val = (bindery_list_u8_t){enc.data, enc.len};
  }
  free(n);
  free(m);
  free(ev->name);
  free(ev->message);
  ev->name = ev->message = NULL;
  return t;
}

bindery_status bindery_do_throw(bindery_do_state *state, const char *name, const char *format, ...) {
  char buf[1024];
  va_list ap;
  va_start(ap, format);
  vsnprintf(buf, sizeof buf, format, ap);
  va_end(ap);
  bindery__fail(BINDERY_ERR_THROWN, (const uint8_t *)buf, strlen(buf));
  event *ev = state ? state->ev : NULL;
  if (ev) {
    free(ev->name);
    free(ev->message);
    ev->thrown = true;
    ev->name = sdup((const uint8_t *)name, strlen(name));
    ev->message = sdup((const uint8_t *)buf, strlen(buf));
  }
  return BINDERY_ERR_THROWN;
}

bindery_status bindery_do_no_such_method(bindery_do_state *state, const char *method) {
  return bindery_do_throw(state, "TypeError", "The RPC receiver does not implement the method \"%s\".", method);
}

const char *bindery_do_state_id(const bindery_do_state *state) { return state->id; }
const char *bindery_do_state_name(const bindery_do_state *state) { return state->name; }
const char *bindery_do_state_class(const bindery_do_state *state) { return state->class_name; }

// fetch_ctx is a fetch event's object, for object_fetch.
typedef struct fetch_ctx {
  bindery_do_state *st;
} fetch_ctx;

static void object_fetch(void *ctx, bindery_request *req, bindery_response *res) {
  bindery_do_state *st = ((fetch_ctx *)ctx)->st;
  if (!st) {
    bindery_fail(res, bindery_errmsg());
  } else if (!st->cls->fetch) {
    bindery_failf(res, "durable: class %s has no fetch handler", st->class_name);
  } else {
    st->cls->fetch(st->obj, st, req, res);
  }
}

void exports_durable_object_fetch(durable_types_object_info_t object, http_types_request_t req,
                                  io_streams_input_stream_t body, http_types_response_outparam_t out) {
  event ev = {0};
  fetch_ctx ctx = {enter(&object, &ev)};
  bindery__serve_request(req, body, out, object_fetch, &ctx);
  leave(ctx.st, &ev);
  free(ev.name);
  free(ev.message);
  durable_types_object_info_free(&object);
}

// call runs an RPC method into *out.
static bindery_status call(bindery_do_state *st, bindery_list_u8_t args, const char *method, bindery_bytes *out) {
  bindery_sv_reader *r = xmalloc(sizeof *r);
  bindery_sv_writer *w = xmalloc(sizeof *w);
  bindery_status s;
  bindery_sv_item it;
  if (bindery_sv_reader_init(r, args.ptr, args.len) != BINDERY_OK) {
    s = bindery_do_throw(st, "TypeError", "%s: the arguments are not encoded: %s", method,
                         bindery_sv_reader_errmsg(r, NULL));
  } else if (bindery_sv_next(r, &it) != BINDERY_SV_ARRAY) {
    s = bindery_do_throw(st, "TypeError", "%s: the arguments are not an array", method);
  } else if (!st->cls->call) {
    s = bindery_do_no_such_method(st, method);
  } else {
    bindery_sv_writer_init(w);
    s = st->cls->call(st->obj, st, method, it.count, r, w);
    if (s == BINDERY_OK) {
      if (!w->done && w->nopen == 0 && w->status == BINDERY_OK) {
        bindery_sv_write_undefined(w);
      }
      if (bindery_sv_writer_finish(w, out) != BINDERY_OK) {
        s = bindery_do_throw(st, "DataCloneError", "%s: encoding the result: %s", method, bindery_sv_writer_errmsg(w));
      }
    } else {
      bindery_sv_writer_free(w);
    }
  }
  free(r);
  free(w);
  return s;
}

bool exports_durable_object_call(durable_types_object_info_t object, bindery_string_t method, bindery_list_u8_t args,
                                 bindery_list_u8_t *ret, durable_types_thrown_t *err) {
  event ev = {0};
  bindery_do_state *st = enter(&object, &ev);
  bindery_status s = BINDERY_ERR_FAILED;
  bindery_bytes out = {NULL, 0};
  if (st) {
    char *m = wdup(method);
    s = call(st, args, m, &out);
    free(m);
  }
  leave(st, &ev);
  bindery_string_free(&method);
  bindery_list_u8_free(&args);
  durable_types_object_info_free(&object);
  // The results go out last: an event nested in this one used the same
  // return area.
  if (s != BINDERY_OK) {
    *err = thrown_of(&ev, s);
    return false;
  }
  free(ev.name); // a throw the method did not return
  free(ev.message);
  *ret = (bindery_list_u8_t){out.data, out.len};
  return true;
}

// finish_event ends an event that returns result<_, thrown>.
static bool finish_event(bindery_do_state *st, event *ev, bindery_status s, durable_types_object_info_t *object,
                         durable_types_thrown_t *err) {
  leave(st, ev);
  durable_types_object_info_free(object);
  if (s != BINDERY_OK) {
    *err = thrown_of(ev, s);
    return false;
  }
  free(ev->name);
  free(ev->message);
  return true;
}

bool exports_durable_object_alarm(durable_types_object_info_t object, durable_object_alarm_info_t info,
                                  durable_types_thrown_t *err) {
  event ev = {0};
  bindery_do_state *st = enter(&object, &ev);
  bindery_status s = BINDERY_ERR_FAILED;
  if (st) {
    s = st->cls->alarm ? st->cls->alarm(st->obj, st, info.retry_count, info.is_retry)
                       : failc(BINDERY_ERR_FAILED, "durable: the class has no alarm handler");
  }
  return finish_event(st, &ev, s, &object, err);
}

// socket_of returns the object's socket for handle h: the one it has for
// the same socket (with h as its handle now), or a new one.
static bindery_do_socket *socket_of(bindery_do_state *st, durable_state_web_socket_t h) {
  uint64_t key = durable_state_web_socket_key(h);
  bindery_do_socket **p = &st->sockets;
  for (; *p; p = &(*p)->next) {
    if ((*p)->key == key) {
      if ((*p)->h != h) {
        durable_state_web_socket_drop((*p)->h);
        (*p)->h = h;
      }
      return *p;
    }
  }
  bindery_do_socket *ws = xcalloc(1, sizeof *ws);
  ws->h = h;
  ws->key = key;
  *p = ws;
  return ws;
}

static void socket_free(bindery_do_socket *ws) {
  durable_state_web_socket_drop(ws->h);
  for (size_t i = 0; i < ws->ntags; i++) {
    free(ws->tags[i]);
  }
  free(ws->tags);
  free(ws);
}

// forget drops a closed socket from the object.
static void forget(bindery_do_state *st, bindery_do_socket *ws) {
  for (bindery_do_socket **p = &st->sockets; *p; p = &(*p)->next) {
    if (*p == ws) {
      *p = ws->next;
      socket_free(ws);
      return;
    }
  }
}

bool exports_durable_object_web_socket_message(durable_types_object_info_t object, durable_state_web_socket_t h,
                                               durable_types_message_t message, durable_types_thrown_t *err) {
  event ev = {0};
  bindery_do_state *st = enter(&object, &ev);
  bindery_status s = BINDERY_ERR_FAILED;
  if (!st) {
    durable_state_web_socket_drop(h);
  } else {
    bindery_do_socket *ws = socket_of(st, h);
    bool binary = message.tag == DURABLE_TYPES_MESSAGE_BINARY;
    bindery_list_u8_t data =
        binary ? message.val.binary : (bindery_list_u8_t){message.val.text.ptr, message.val.text.len};
    s = st->cls->web_socket_message
            ? st->cls->web_socket_message(st->obj, st, ws, data.ptr, data.len, binary)
            : failc(BINDERY_ERR_FAILED, "durable: the class has no web socket message handler");
  }
  durable_types_message_free(&message);
  return finish_event(st, &ev, s, &object, err);
}

bool exports_durable_object_web_socket_close(durable_types_object_info_t object, durable_state_web_socket_t h,
                                             uint16_t code, bindery_string_t reason, bool was_clean,
                                             durable_types_thrown_t *err) {
  event ev = {0};
  bindery_do_state *st = enter(&object, &ev);
  bindery_status s = BINDERY_ERR_FAILED;
  if (!st) {
    durable_state_web_socket_drop(h);
  } else {
    bindery_do_socket *ws = socket_of(st, h);
    s = BINDERY_OK;
    if (st->cls->web_socket_close) {
      char *r = wdup(reason);
      s = st->cls->web_socket_close(st->obj, st, ws, code, r, was_clean);
      free(r);
    }
    forget(st, ws);
  }
  bindery_string_free(&reason);
  return finish_event(st, &ev, s, &object, err);
}

bool exports_durable_object_web_socket_error(durable_types_object_info_t object, durable_state_web_socket_t h,
                                             bindery_string_t reason, durable_types_thrown_t *err) {
  event ev = {0};
  bindery_do_state *st = enter(&object, &ev);
  bindery_status s = BINDERY_ERR_FAILED;
  if (!st) {
    durable_state_web_socket_drop(h);
  } else {
    bindery_do_socket *ws = socket_of(st, h);
    s = BINDERY_OK;
    if (st->cls->web_socket_error) {
      char *r = wdup(reason);
      s = st->cls->web_socket_error(st->obj, st, ws, r);
      free(r);
    }
    forget(st, ws);
  }
  bindery_string_free(&reason);
  return finish_event(st, &ev, s, &object, err);
}

void exports_durable_object_evict(durable_types_object_info_t object) {
  for (bindery_do_state **p = &objects; *p; p = &(*p)->next) {
    bindery_do_state *st = *p;
    if (strlen(st->class_name) == object.class_name.len &&
        memcmp(st->class_name, object.class_name.ptr, object.class_name.len) == 0 && strlen(st->id) == object.id.len &&
        memcmp(st->id, object.id.ptr, object.id.len) == 0) {
      *p = st->next;
      if (st->cls->destroy) {
        st->cls->destroy(st->obj);
      }
      while (st->sockets) {
        bindery_do_socket *ws = st->sockets;
        st->sockets = ws->next;
        socket_free(ws);
      }
      free(st->class_name);
      free(st->id);
      free(st->name);
      free(st);
      break;
    }
  }
  durable_types_object_info_free(&object);
}

bindery_status bindery_do_block_concurrency_while(bindery_do_state *state, bindery_status (*fn)(void *arg), void *arg) {
  (void)state;
  durable_state_concurrency_block_t b;
  durable_types_error_t err;
  if (!durable_state_block_concurrency(&b, &err)) {
    return do_fail(&err);
  }
  bindery_status s = fn(arg);
  if (s != BINDERY_OK) {
    char buf[512];
    snprintf(buf, sizeof buf, "blockConcurrencyWhile: %s",
             *bindery_errmsg() ? bindery_errmsg() : bindery_status_name(s));
    bindery_string_t reason = bindery__utf8_copy(buf, strlen(buf));
    durable_state_abort(reason);
    bindery_string_free(&reason);
  }
  durable_state_concurrency_block_drop(b);
  return s;
}

void bindery_do_abort(bindery_do_state *state, const char *reason) {
  (void)state;
  if (!reason) {
    reason = "";
  }
  bindery_string_t r = bindery__utf8_copy(reason, strlen(reason));
  durable_state_abort(r);
  bindery_string_free(&r);
}

// ---- storage ------------------------------------------------------------------

bindery_status bindery_do_storage_get_multiple(bindery_do_state *state, const char *const *keys, size_t n,
                                               bindery_bytes *values, bool *found) {
  (void)state;
  if (strings_bad("durable: key", keys, n)) {
    return BINDERY_ERR_INVALID;
  }
  durable_state_list_string_t l = strings(keys, n);
  durable_state_list_option_list_u8_t ret;
  durable_types_error_t err;
  bool ok = durable_state_get(l, &ret, &err);
  free(l.ptr);
  if (!ok) {
    return do_fail(&err);
  }
  for (size_t i = 0; i < n; i++) {
    bool has = i < ret.len && ret.ptr[i].is_some;
    found[i] = has;
    values[i] = has ? bytes_of(ret.ptr[i].val) : (bindery_bytes){NULL, 0};
  }
  for (size_t i = n; i < ret.len; i++) {
    durable_state_option_list_u8_free(&ret.ptr[i]);
  }
  free(ret.ptr);
  return BINDERY_OK;
}

bindery_status bindery_do_storage_get(bindery_do_state *state, const char *key, bindery_bytes *value) {
  bool found;
  bindery_status s = bindery_do_storage_get_multiple(state, &key, 1, value, &found);
  if (s == BINDERY_OK && !found) {
    return BINDERY_NOT_FOUND;
  }
  return s;
}

bindery_status bindery_do_storage_put_multiple(bindery_do_state *state, const bindery_do_entry *entries, size_t n) {
  (void)state;
  for (size_t i = 0; i < n; i++) {
    if (bad("durable: key", entries[i].key)) {
      return BINDERY_ERR_INVALID;
    }
  }
  durable_state_list_entry_t l = {xcalloc(n, sizeof(durable_state_entry_t)), n};
  for (size_t i = 0; i < n; i++) {
    l.ptr[i].key = bindery_string_borrow(entries[i].key);
    l.ptr[i].value = bindery_bytes_borrow(entries[i].value, entries[i].len);
  }
  durable_types_error_t err;
  bool ok = durable_state_put(l, &err);
  free(l.ptr);
  return ok ? BINDERY_OK : do_fail(&err);
}

bindery_status bindery_do_storage_put(bindery_do_state *state, const char *key, const void *value, size_t len) {
  bindery_do_entry e = {key, 0, value, len};
  return bindery_do_storage_put_multiple(state, &e, 1);
}

bindery_status bindery_do_storage_delete_multiple(bindery_do_state *state, const char *const *keys, size_t n,
                                                  uint32_t *deleted) {
  (void)state;
  if (strings_bad("durable: key", keys, n)) {
    return BINDERY_ERR_INVALID;
  }
  durable_state_list_string_t l = strings(keys, n);
  uint32_t count;
  durable_types_error_t err;
  bool ok = durable_state_delete(l, &count, &err);
  free(l.ptr);
  if (!ok) {
    return do_fail(&err);
  }
  if (deleted) {
    *deleted = count;
  }
  return BINDERY_OK;
}

bindery_status bindery_do_storage_delete(bindery_do_state *state, const char *key, bool *existed) {
  uint32_t n = 0;
  bindery_status s = bindery_do_storage_delete_multiple(state, &key, 1, &n);
  if (existed) {
    *existed = n > 0;
  }
  return s;
}

bindery_status bindery_do_storage_list(bindery_do_state *state, const bindery_do_list_options *opts,
                                       bindery_do_entries *out) {
  (void)state;
  bindery_do_list_options none = {0};
  if (!opts) {
    opts = &none;
  }
  const char *const strs[] = {opts->start, opts->start_after, opts->end, opts->prefix};
  for (size_t i = 0; i < 4; i++) {
    if (strs[i] && bad("durable: list option", strs[i])) {
      return BINDERY_ERR_INVALID;
    }
  }
  durable_state_list_options_t o = {opt(opts->start), opt(opts->start_after), opt(opts->end), opt(opts->prefix),
                                    opts->reverse, {opts->limit > 0, opts->limit}};
  durable_state_list_entry_t ret;
  durable_types_error_t err;
  if (!durable_state_list(o, &ret, &err)) {
    return do_fail(&err);
  }
  out->len = ret.len;
  out->v = xcalloc(ret.len, sizeof *out->v);
  for (size_t i = 0; i < ret.len; i++) {
    out->v[i].key = wdup(ret.ptr[i].key);
    out->v[i].key_len = ret.ptr[i].key.len;
    bindery_bytes b = bytes_of(ret.ptr[i].value);
    out->v[i].value = b.data;
    out->v[i].len = b.len;
    bindery_string_free(&ret.ptr[i].key);
  }
  free(ret.ptr);
  return BINDERY_OK;
}

void bindery_do_entries_free(bindery_do_entries *entries) {
  for (size_t i = 0; i < entries->len; i++) {
    free((char *)entries->v[i].key);
    free((uint8_t *)entries->v[i].value);
  }
  free(entries->v);
  entries->v = NULL;
  entries->len = 0;
}

bindery_status bindery_do_storage_delete_all(bindery_do_state *state) {
  (void)state;
  durable_types_error_t err;
  return durable_state_delete_all(&err) ? BINDERY_OK : do_fail(&err);
}

struct bindery_do_txn {
  durable_state_transaction_t h;
};

bindery_status bindery_do_txn_begin(bindery_do_state *state, bindery_do_txn **txn) {
  (void)state;
  durable_state_transaction_t h;
  durable_types_error_t err;
  if (!durable_state_begin_transaction(&h, &err)) {
    return do_fail(&err);
  }
  *txn = xcalloc(1, sizeof **txn);
  (*txn)->h = h;
  return BINDERY_OK;
}

bindery_status bindery_do_txn_commit(bindery_do_txn *txn) {
  durable_types_error_t err;
  bool ok = durable_state_transaction_commit(txn->h, &err);
  durable_state_transaction_drop(txn->h);
  free(txn);
  return ok ? BINDERY_OK : do_fail(&err);
}

bindery_status bindery_do_txn_rollback(bindery_do_txn *txn) {
  durable_types_error_t err;
  bool ok = durable_state_transaction_rollback(txn->h, &err);
  durable_state_transaction_drop(txn->h);
  free(txn);
  return ok ? BINDERY_OK : do_fail(&err);
}

bindery_status bindery_do_get_alarm(bindery_do_state *state, int64_t *ms) {
  (void)state;
  durable_state_option_s64_t t;
  durable_types_error_t err;
  if (!durable_state_get_alarm(&t, &err)) {
    return do_fail(&err);
  }
  if (!t.is_some) {
    return BINDERY_NOT_FOUND;
  }
  *ms = t.val;
  return BINDERY_OK;
}

bindery_status bindery_do_set_alarm(bindery_do_state *state, int64_t ms) {
  (void)state;
  durable_types_error_t err;
  return durable_state_set_alarm(ms, &err) ? BINDERY_OK : do_fail(&err);
}

bindery_status bindery_do_delete_alarm(bindery_do_state *state) {
  (void)state;
  durable_types_error_t err;
  return durable_state_delete_alarm(&err) ? BINDERY_OK : do_fail(&err);
}

// ---- SQL ----------------------------------------------------------------------

struct bindery_do_cursor {
  durable_state_cursor_t h;
  durable_state_list_string_t cols;
  char **names; // NUL-terminated column names
  durable_state_list_list_sql_value_t batch;
  size_t next; // the batch's next row
  bindery_d1_value *row;
  char **texts; // the row's NUL-terminated texts
  size_t nrow;
  bool done;
};

bindery_status bindery_do_sql_exec(bindery_do_state *state, const char *query, const bindery_d1_value *params,
                                   size_t nparams, bindery_do_cursor **cur) {
  (void)state;
  if (bad("durable: SQL", query)) {
    return BINDERY_ERR_INVALID;
  }
  durable_state_list_sql_value_t ps = {xcalloc(nparams, sizeof(durable_types_sql_value_t)), nparams};
  for (size_t i = 0; i < nparams; i++) {
    const bindery_d1_value *v = &params[i];
    durable_types_sql_value_t *p = &ps.ptr[i];
    switch (v->type) {
    case BINDERY_D1_INTEGER:
      p->tag = DURABLE_TYPES_SQL_VALUE_INTEGER;
      p->val.integer = v->as.integer;
      break;
    case BINDERY_D1_REAL:
      p->tag = DURABLE_TYPES_SQL_VALUE_REAL;
      p->val.real = v->as.real;
      break;
    case BINDERY_D1_TEXT:
      if (bindery__not_utf8_n("durable: SQL text parameter", v->as.text.ptr, v->as.text.len)) {
        free(ps.ptr);
        return BINDERY_ERR_INVALID;
      }
      p->tag = DURABLE_TYPES_SQL_VALUE_TEXT;
      p->val.text = (bindery_string_t){(uint8_t *)v->as.text.ptr, v->as.text.len};
      break;
    case BINDERY_D1_BLOB:
      p->tag = DURABLE_TYPES_SQL_VALUE_BLOB;
      p->val.blob = bindery_bytes_borrow(v->as.blob.ptr, v->as.blob.len);
      break;
    default:
      p->tag = DURABLE_TYPES_SQL_VALUE_NULL;
    }
  }
  durable_state_cursor_t h;
  durable_types_error_t err;
  bool ok = durable_state_sql_exec(bindery_string_borrow(query), ps, &h, &err);
  free(ps.ptr);
  if (!ok) {
    return do_fail(&err);
  }
  bindery_do_cursor *c = xcalloc(1, sizeof *c);
  c->h = h;
  c->cols = durable_state_cursor_column_names(h);
  c->names = xcalloc(c->cols.len, sizeof(char *));
  for (size_t i = 0; i < c->cols.len; i++) {
    c->names[i] = wdup(c->cols.ptr[i]);
  }
  *cur = c;
  return BINDERY_OK;
}

size_t bindery_do_cursor_columns(const bindery_do_cursor *cur) { return cur->cols.len; }

const char *bindery_do_cursor_column(const bindery_do_cursor *cur, size_t i) {
  return i < cur->cols.len ? cur->names[i] : NULL;
}

static void free_row(bindery_do_cursor *cur) {
  for (size_t i = 0; i < cur->nrow; i++) {
    free(cur->texts[i]);
  }
  free(cur->texts);
  free(cur->row);
  cur->texts = NULL;
  cur->row = NULL;
  cur->nrow = 0;
}

bool bindery_do_cursor_next(bindery_do_cursor *cur) {
  free_row(cur);
  if (cur->done) {
    return false;
  }
  if (cur->next >= cur->batch.len) {
    durable_state_list_list_sql_value_free(&cur->batch);
    cur->batch = durable_state_cursor_next(cur->h, ROWS);
    cur->next = 0;
    if (cur->batch.len == 0) {
      cur->done = true;
      return false;
    }
  }
  durable_state_list_sql_value_t *r = &cur->batch.ptr[cur->next++];
  cur->nrow = r->len;
  cur->row = xcalloc(r->len, sizeof *cur->row);
  cur->texts = xcalloc(r->len, sizeof(char *));
  for (size_t i = 0; i < r->len; i++) {
    durable_types_sql_value_t *v = &r->ptr[i];
    bindery_d1_value *d = &cur->row[i];
    switch (v->tag) {
    case DURABLE_TYPES_SQL_VALUE_INTEGER:
      d->type = BINDERY_D1_INTEGER;
      d->as.integer = v->val.integer;
      break;
    case DURABLE_TYPES_SQL_VALUE_REAL:
      d->type = BINDERY_D1_REAL;
      d->as.real = v->val.real;
      break;
    case DURABLE_TYPES_SQL_VALUE_TEXT:
      d->type = BINDERY_D1_TEXT;
      cur->texts[i] = wdup(v->val.text);
      d->as.text.ptr = cur->texts[i];
      d->as.text.len = v->val.text.len;
      break;
    case DURABLE_TYPES_SQL_VALUE_BLOB:
      d->type = BINDERY_D1_BLOB;
      d->as.blob.ptr = v->val.blob.ptr;
      d->as.blob.len = v->val.blob.len;
      break;
    default:
      d->type = BINDERY_D1_NULL;
    }
  }
  return true;
}

const bindery_d1_value *bindery_do_cursor_row(const bindery_do_cursor *cur) { return cur->row; }

uint64_t bindery_do_cursor_rows_read(const bindery_do_cursor *cur) { return durable_state_cursor_rows_read(cur->h); }

uint64_t bindery_do_cursor_rows_written(const bindery_do_cursor *cur) {
  return durable_state_cursor_rows_written(cur->h);
}

void bindery_do_cursor_free(bindery_do_cursor *cur) {
  if (!cur) {
    return;
  }
  free_row(cur);
  durable_state_list_list_sql_value_free(&cur->batch);
  for (size_t i = 0; i < cur->cols.len; i++) {
    free(cur->names[i]);
  }
  free(cur->names);
  durable_state_list_string_free(&cur->cols);
  durable_state_cursor_drop(cur->h);
  free(cur);
}

bindery_status bindery_do_sql_database_size(bindery_do_state *state, uint64_t *size) {
  (void)state;
  durable_types_error_t err;
  return durable_state_database_size(size, &err) ? BINDERY_OK : do_fail(&err);
}

// ---- web sockets --------------------------------------------------------------

// accept accepts the fetch event's web socket: hibernatable with tags, or
// in memory.
static bindery_status accept_socket(bindery_do_state *state, bindery_response *res, bool in_memory,
                                    const char *const *tags, size_t ntags, bindery_do_socket **ws) {
  if (strings_bad("durable: tag", tags, ntags)) {
    return BINDERY_ERR_INVALID;
  }
  http_types_response_outparam_t out;
  if (!bindery__response_outparam(res, false, &out)) {
    return failc(BINDERY_ERR_INVALID, "durable: accepting a web socket needs the fetch event's response, before "
                                      "anything was written to it");
  }
  durable_state_web_socket_t h;
  durable_types_error_t err;
  bool ok;
  if (in_memory) {
    ok = durable_state_accept_web_socket_in_memory(out, &h, &err);
  } else {
    durable_state_list_string_t l = strings(tags, ntags);
    ok = durable_state_accept_web_socket(out, l, &h, &err);
    free(l.ptr);
  }
  if (!ok) {
    return do_fail(&err);
  }
  bindery_do_socket *s = socket_of(state, h);
  if (ws) {
    *ws = s;
  }
  return BINDERY_OK;
}

bindery_status bindery_do_accept_web_socket(bindery_do_state *state, bindery_response *res, const char *const *tags,
                                            size_t ntags, bindery_do_socket **ws) {
  return accept_socket(state, res, false, tags, ntags, ws);
}

bindery_status bindery_do_accept_web_socket_in_memory(bindery_do_state *state, bindery_response *res,
                                                      bindery_do_socket **ws) {
  return accept_socket(state, res, true, NULL, 0, ws);
}

bindery_status bindery_do_get_web_sockets(bindery_do_state *state, const char *tag, bindery_do_socket ***list,
                                          size_t *n) {
  if (tag && bad("durable: tag", tag)) {
    return BINDERY_ERR_INVALID;
  }
  durable_state_list_web_socket_t hs = durable_state_get_web_sockets(opt(tag));
  *list = xcalloc(hs.len, sizeof **list);
  for (size_t i = 0; i < hs.len; i++) {
    (*list)[i] = socket_of(state, hs.ptr[i]);
  }
  *n = hs.len;
  free(hs.ptr); // the handles are the sockets' now
  return BINDERY_OK;
}

bindery_status bindery_do_set_web_socket_auto_response(bindery_do_state *state, const char *request,
                                                       const char *response) {
  (void)state;
  durable_state_option_auto_response_t p = {0};
  if (request || response) {
    request = request ? request : "";
    response = response ? response : "";
    if (bad("durable: auto-response", request) || bad("durable: auto-response", response)) {
      return BINDERY_ERR_INVALID;
    }
    p.is_some = true;
    p.val.request = bindery_string_borrow(request);
    p.val.response = bindery_string_borrow(response);
  }
  durable_types_error_t err;
  return durable_state_set_web_socket_auto_response(p, &err) ? BINDERY_OK : do_fail(&err);
}

bindery_status bindery_do_set_web_socket_event_timeout(bindery_do_state *state, uint32_t ms) {
  (void)state;
  durable_state_option_u32_t t = {ms > 0, ms};
  durable_types_error_t err;
  return durable_state_set_hibernatable_web_socket_event_timeout(t, &err) ? BINDERY_OK : do_fail(&err);
}

uint64_t bindery_do_socket_key(const bindery_do_socket *ws) { return ws->key; }

bindery_status bindery_do_socket_send(bindery_do_socket *ws, const void *data, size_t len, bool binary) {
  durable_types_message_t m = {0};
  if (binary) {
    m.tag = DURABLE_TYPES_MESSAGE_BINARY;
    m.val.binary = bindery_bytes_borrow(data, len);
  } else {
    if (bindery__not_utf8_n("durable: text message", data, len)) {
      return BINDERY_ERR_INVALID;
    }
    m.tag = DURABLE_TYPES_MESSAGE_TEXT;
    m.val.text = (bindery_string_t){(uint8_t *)data, len};
  }
  durable_types_error_t err;
  return durable_state_web_socket_send(ws->h, m, &err) ? BINDERY_OK : do_fail(&err);
}

bindery_status bindery_do_socket_close(bindery_do_socket *ws, int code, const char *reason) {
  if (!reason) {
    reason = "";
  }
  if (bad("durable: close reason", reason)) {
    return BINDERY_ERR_INVALID;
  }
  if (code < 0 || code > 65535) {
    return failc(BINDERY_ERR_INVALID, "durable: close code out of range");
  }
  durable_state_option_u16_t c = {code != 0, (uint16_t)code};
  durable_types_error_t err;
  return durable_state_web_socket_close(ws->h, c, bindery_string_borrow(reason), &err) ? BINDERY_OK : do_fail(&err);
}

size_t bindery_do_socket_tags(bindery_do_socket *ws, const char **tags, size_t cap) {
  if (!ws->has_tags) {
    durable_state_list_string_t l = durable_state_web_socket_tags(ws->h);
    ws->tags = xcalloc(l.len, sizeof(char *));
    for (size_t i = 0; i < l.len; i++) {
      ws->tags[i] = wdup(l.ptr[i]);
    }
    ws->ntags = l.len;
    ws->has_tags = true;
    durable_state_list_string_free(&l);
  }
  for (size_t i = 0; i < ws->ntags && i < cap; i++) {
    tags[i] = ws->tags[i];
  }
  return ws->ntags;
}

bindery_status bindery_do_socket_serialize_attachment(bindery_do_socket *ws, const void *value, size_t len) {
  durable_types_error_t err;
  return durable_state_web_socket_serialize_attachment(ws->h, bindery_bytes_borrow(value, len), &err)
             ? BINDERY_OK
             : do_fail(&err);
}

bindery_status bindery_do_socket_deserialize_attachment(bindery_do_socket *ws, bindery_bytes *value) {
  durable_state_option_list_u8_t v = durable_state_web_socket_deserialize_attachment(ws->h);
  if (!v.is_some) {
    *value = (bindery_bytes){NULL, 0};
    return BINDERY_NOT_FOUND;
  }
  *value = bytes_of(v.val);
  return BINDERY_OK;
}
