// The Durable Objects section of the C conformance Worker
// (conformance/durable_test.go): the Worker's routes under /do/ and the
// class Conformance, written with bindery_durable.h.

#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "bindery.h"
#include "bindery_durable.h"

#define BINDING_DO "OBJECTS"

bool durable_route(bindery_request *req, bindery_response *res);

// ---- JSON -------------------------------------------------------------------

static void out(bindery_response *res, const char *s) { bindery_response_write(res, s, strlen(s)); }

// json_text writes len bytes of UTF-8 as a JSON string.
static void json_text(bindery_response *res, const char *s, size_t len) {
  out(res, "\"");
  for (size_t i = 0; i < len; i++) {
    char esc[8];
    unsigned char c = (unsigned char)s[i];
    if (c == '"' || c == '\\') {
      snprintf(esc, sizeof esc, "\\%c", c);
    } else if (c < 0x20) {
      snprintf(esc, sizeof esc, "\\u%04x", c);
    } else {
      bindery_response_write(res, &s[i], 1);
      continue;
    }
    out(res, esc);
  }
  out(res, "\"");
}

static void json_str(bindery_response *res, const char *s) { json_text(res, s, strlen(s)); }

static void json_number(bindery_response *res, double n) {
  char buf[32];
  snprintf(buf, sizeof buf, "%.17g", n);
  out(res, buf);
}

// json_bigint writes a bigint item as its decimal text (magnitudes of up
// to 64 bits).
static void json_bigint(bindery_response *res, const bindery_sv_item *it) {
  uint64_t m = 0;
  for (size_t i = 0; i < it->len && i < 8; i++) {
    m = m << 8 | it->data[i];
  }
  char buf[32];
  if (it->negative) {
    snprintf(buf, sizeof buf, "\"-%llu\"", (unsigned long long)m + 1);
  } else {
    snprintf(buf, sizeof buf, "\"%llu\"", (unsigned long long)m);
  }
  out(res, buf);
}

// json_value renders the next value of r as the suite's JSON: an object's
// keys in order, bytes as hex, a bigint as decimal text, undefined as null.
static void json_value(bindery_response *res, bindery_sv_reader *r) {
  bindery_sv_item it;
  switch (bindery_sv_next(r, &it)) {
  case BINDERY_SV_BOOL:
    out(res, it.boolean ? "true" : "false");
    break;
  case BINDERY_SV_NUMBER:
    json_number(res, it.number);
    break;
  case BINDERY_SV_BIGINT:
    json_bigint(res, &it);
    break;
  case BINDERY_SV_STRING:
    json_text(res, (const char *)it.data, it.len);
    break;
  case BINDERY_SV_BYTES:
  case BINDERY_SV_TYPED:
    out(res, "\"");
    for (size_t i = 0; i < it.len; i++) {
      char hex[3];
      snprintf(hex, sizeof hex, "%02x", it.data[i]);
      out(res, hex);
    }
    out(res, "\"");
    break;
  case BINDERY_SV_ARRAY:
  case BINDERY_SV_SET:
    out(res, "[");
    for (size_t i = 0; i < it.count; i++) {
      out(res, i ? "," : "");
      json_value(res, r);
    }
    out(res, "]");
    break;
  case BINDERY_SV_OBJECT:
    out(res, "{");
    for (size_t i = 0; i < it.count; i++) {
      out(res, i ? "," : "");
      json_value(res, r); // the key: a string
      out(res, ":");
      json_value(res, r);
    }
    out(res, "}");
    break;
  default: // undefined, null, and what the suite does not send
    out(res, "null");
  }
}

// json_encoded renders an encoded value.
static void json_encoded(bindery_response *res, const bindery_bytes *v) {
  bindery_sv_reader r;
  if (bindery_sv_reader_init(&r, v->data, v->len) != BINDERY_OK) {
    json_str(res, bindery_sv_reader_errmsg(&r, NULL));
    return;
  }
  json_value(res, &r);
}

// ---- values -----------------------------------------------------------------

// copy_value writes the next value of r to w.
static bindery_status copy_value(bindery_sv_reader *r, bindery_sv_writer *w) {
  bindery_sv_item it;
  bindery_status st;
  switch (bindery_sv_next(r, &it)) {
  case BINDERY_SV_UNDEFINED:
    return bindery_sv_write_undefined(w);
  case BINDERY_SV_NULL:
    return bindery_sv_write_null(w);
  case BINDERY_SV_BOOL:
    return bindery_sv_write_bool(w, it.boolean);
  case BINDERY_SV_NUMBER:
    return bindery_sv_write_number(w, it.number);
  case BINDERY_SV_BIGINT:
    return bindery_sv_write_bigint(w, it.negative, it.data, it.len);
  case BINDERY_SV_STRING:
    return bindery_sv_write_string(w, (const char *)it.data, it.len);
  case BINDERY_SV_BYTES:
    return bindery_sv_write_bytes(w, it.data, it.len);
  case BINDERY_SV_TYPED:
    return bindery_sv_write_typed(w, it.typed, it.data, it.len);
  case BINDERY_SV_DATE:
    return bindery_sv_write_date(w, it.number);
  case BINDERY_SV_ARRAY:
  case BINDERY_SV_SET:
    st = it.kind == BINDERY_SV_ARRAY ? bindery_sv_array_begin(w, it.count) : bindery_sv_set_begin(w, it.count);
    for (size_t i = 0; i < it.count && st == BINDERY_OK; i++) {
      st = copy_value(r, w);
    }
    return st;
  case BINDERY_SV_MAP:
    st = bindery_sv_map_begin(w, it.count);
    for (size_t i = 0; i < 2 * it.count && st == BINDERY_OK; i++) {
      st = copy_value(r, w);
    }
    return st;
  case BINDERY_SV_OBJECT:
    st = bindery_sv_object_begin(w, it.count);
    for (size_t i = 0; i < it.count && st == BINDERY_OK; i++) {
      bindery_sv_item key;
      bindery_sv_next(r, &key);
      st = bindery_sv_key(w, (const char *)key.data, key.len);
      if (st == BINDERY_OK) {
        st = copy_value(r, w);
      }
    }
    return st;
  case BINDERY_SV_ERROR: {
    char *name = strndup(it.name, it.name_len), *msg = strndup(it.message, it.message_len);
    char *stack = it.stack ? strndup(it.stack, it.stack_len) : NULL;
    st = bindery_sv_write_error(w, name, msg, stack, it.has_cause);
    free(name);
    free(msg);
    free(stack);
    return st == BINDERY_OK && it.has_cause ? copy_value(r, w) : st;
  }
  default: // the end: there is no value
    return BINDERY_ERR_INVALID;
  }
}

// writer makes a writer (the struct is large: not on the stack).
static bindery_sv_writer *writer(void) {
  bindery_sv_writer *w = malloc(sizeof *w);
  if (!w) {
    abort();
  }
  bindery_sv_writer_init(w);
  return w;
}

// done finishes w into *v and frees w.
static bindery_status done(bindery_sv_writer *w, bindery_bytes *v) {
  bindery_status st = bindery_sv_writer_finish(w, v);
  free(w);
  return st;
}

static bindery_bytes enc_number(double n) {
  bindery_sv_writer *w = writer();
  bindery_sv_write_number(w, n);
  bindery_bytes v;
  done(w, &v);
  return v;
}

// get_number reads the number stored under key (dflt when missing).
static bindery_status get_number(bindery_do_state *st, const char *key, double dflt, double *n) {
  bindery_bytes v;
  bindery_status s = bindery_do_storage_get(st, key, &v);
  *n = dflt;
  if (s == BINDERY_NOT_FOUND) {
    return BINDERY_OK;
  }
  if (s != BINDERY_OK) {
    return s;
  }
  bindery_sv_reader r;
  bindery_sv_item it;
  if (bindery_sv_reader_init(&r, v.data, v.len) == BINDERY_OK && bindery_sv_next(&r, &it) == BINDERY_SV_NUMBER) {
    *n = it.number;
  }
  bindery_bytes_free(&v);
  return BINDERY_OK;
}

static bindery_status put_number(bindery_do_state *st, const char *key, double n) {
  bindery_bytes v = enc_number(n);
  bindery_status s = bindery_do_storage_put(st, key, v.data, v.len);
  bindery_bytes_free(&v);
  return s;
}

// ---- the class Conformance -----------------------------------------------------

typedef struct object {
  int fetches;
} object;

static void *conf_new(bindery_do_state *st, void *data) {
  (void)st;
  (void)data;
  object *o = calloc(1, sizeof *o);
  if (!o) {
    abort();
  }
  return o;
}

static void conf_fetch(void *obj, bindery_do_state *st, bindery_request *req, bindery_response *res) {
  object *o = obj;
  const char *up = bindery_request_header(req, "upgrade");
  if (up && strcmp(up, "websocket") == 0) {
    const char *tags[] = {"conf"};
    const char *p = bindery_request_path(req);
    size_t n = strlen(p);
    bool in_memory = n >= 6 && strcmp(p + n - 6, "/wsmem") == 0; // TestCSDKDurable
    if ((in_memory ? bindery_do_accept_web_socket_in_memory(st, res, NULL)
                   : bindery_do_accept_web_socket(st, res, tags, 1, NULL)) != BINDERY_OK) {
      bindery_response_text(res, 500, bindery_errmsg());
    }
    return;
  }
  o->fetches++;
  bindery_bytes body;
  if (bindery_request_read_all(req, &body) != BINDERY_OK) {
    bindery_response_text(res, 500, bindery_errmsg());
    return;
  }
  bindery_response_header(res, "content-type", "application/json");
  out(res, "{\"name\":");
  json_str(res, bindery_do_state_name(st) ? bindery_do_state_name(st) : "");
  out(res, ",\"id\":");
  json_str(res, bindery_do_state_id(st));
  out(res, ",\"method\":");
  json_str(res, bindery_request_method(req));
  out(res, ",\"body\":");
  json_text(res, (const char *)body.data, body.len);
  char n[32];
  snprintf(n, sizeof n, ",\"fetches\":%d}", o->fetches);
  out(res, n);
  bindery_bytes_free(&body);
}

// number_arg reads the next argument as a number.
static bool number_arg(bindery_sv_reader *args, double *n) {
  bindery_sv_item it;
  if (bindery_sv_next(args, &it) != BINDERY_SV_NUMBER) {
    return false;
  }
  *n = it.number;
  return true;
}

// keys writes the keys of a list as an array.
static bindery_status keys(bindery_sv_writer *w, const bindery_do_entries *es) {
  bindery_status s = bindery_sv_array_begin(w, es->len);
  for (size_t i = 0; i < es->len && s == BINDERY_OK; i++) {
    s = bindery_sv_write_string(w, es->v[i].key, es->v[i].key_len);
  }
  return s;
}

static bindery_status storage(bindery_do_state *st, bindery_sv_writer *result) {
  bindery_bytes v1 = enc_number(1), v3;
  bindery_sv_writer *w = writer();
  bindery_sv_write_string(w, "two", 3);
  bindery_bytes v2;
  done(w, &v2);
  w = writer();
  bindery_sv_array_begin(w, 2);
  bindery_sv_write_number(w, 1);
  bindery_sv_write_number(w, 2);
  done(w, &v3);
  bindery_do_entry es[] = {{"k1", 0, v1.data, v1.len}, {"k2", 0, v2.data, v2.len}, {"k3", 0, v3.data, v3.len}};
  bindery_status s = bindery_do_storage_put_multiple(st, es, 3);
  bindery_bytes_free(&v1);
  bindery_bytes_free(&v2);
  bindery_bytes_free(&v3);
  if (s != BINDERY_OK) {
    return s;
  }
  bool deleted, again;
  if ((s = bindery_do_storage_delete(st, "k1", &deleted)) != BINDERY_OK ||
      (s = bindery_do_storage_delete(st, "k1", &again)) != BINDERY_OK) {
    return s;
  }
  bindery_do_list_options prefix = {.prefix = "k"}, last = {.reverse = true, .limit = 1};
  bindery_do_entries all, lastv;
  if ((s = bindery_do_storage_list(st, &prefix, &all)) != BINDERY_OK) {
    return s;
  }
  if ((s = bindery_do_storage_list(st, &last, &lastv)) != BINDERY_OK) {
    bindery_do_entries_free(&all);
    return s;
  }
  bindery_bytes k2, none;
  bindery_status k2s = bindery_do_storage_get(st, "k2", &k2);
  bindery_status nones = bindery_do_storage_get(st, "nope", &none);
  bindery_sv_object_begin(result, 6);
  bindery_sv_key(result, "deleted", 7);
  bindery_sv_write_bool(result, deleted);
  bindery_sv_key(result, "deletedAgain", 12);
  bindery_sv_write_bool(result, again);
  bindery_sv_key(result, "keys", 4);
  keys(result, &all);
  bindery_sv_key(result, "last", 4);
  keys(result, &lastv);
  bindery_sv_key(result, "k2", 2);
  if (k2s == BINDERY_OK) {
    bindery_sv_reader r;
    bindery_sv_reader_init(&r, k2.data, k2.len);
    copy_value(&r, result);
    bindery_bytes_free(&k2);
  } else {
    bindery_sv_write_null(result);
  }
  bindery_sv_key(result, "missing", 7);
  s = bindery_sv_write_bool(result, nones == BINDERY_NOT_FOUND);
  bindery_do_entries_free(&all);
  bindery_do_entries_free(&lastv);
  return s;
}

static bindery_status txn(bindery_do_state *st, bindery_sv_writer *result) {
  bindery_status s;
  bindery_do_txn *t;
  double a, b;
  if ((s = put_number(st, "t", 1)) != BINDERY_OK || (s = bindery_do_txn_begin(st, &t)) != BINDERY_OK) {
    return s;
  }
  if ((s = put_number(st, "t", 2)) != BINDERY_OK) {
    bindery_do_txn_rollback(t);
    return s;
  }
  // The transaction "throws": it is rolled back.
  if ((s = bindery_do_txn_rollback(t)) != BINDERY_OK || (s = get_number(st, "t", 0, &a)) != BINDERY_OK) {
    return s;
  }
  if ((s = bindery_do_txn_begin(st, &t)) != BINDERY_OK) {
    return s;
  }
  if ((s = put_number(st, "t", 3)) != BINDERY_OK) {
    bindery_do_txn_rollback(t);
    return s;
  }
  if ((s = bindery_do_txn_commit(t)) != BINDERY_OK || (s = get_number(st, "t", 0, &b)) != BINDERY_OK) {
    return s;
  }
  bindery_sv_object_begin(result, 2);
  bindery_sv_key(result, "afterRollback", 13);
  bindery_sv_write_number(result, a);
  bindery_sv_key(result, "afterCommit", 11);
  return bindery_sv_write_number(result, b);
}

// sql_value writes a SQL value.
static bindery_status sql_value(bindery_sv_writer *w, const bindery_d1_value *v) {
  switch (v->type) {
  case BINDERY_D1_INTEGER:
    return bindery_sv_write_int64(w, v->as.integer);
  case BINDERY_D1_REAL:
    return bindery_sv_write_number(w, v->as.real);
  case BINDERY_D1_TEXT:
    return bindery_sv_write_string(w, v->as.text.ptr, v->as.text.len);
  case BINDERY_D1_BLOB:
    return bindery_sv_write_bytes(w, v->as.blob.ptr, v->as.blob.len);
  default:
    return bindery_sv_write_null(w);
  }
}

static bindery_status sql(bindery_do_state *st, bindery_sv_writer *result) {
  bindery_do_cursor *c;
  bindery_status s = bindery_do_sql_exec(st, "CREATE TABLE IF NOT EXISTS r (id INTEGER PRIMARY KEY, v TEXT)", NULL, 0, &c);
  if (s != BINDERY_OK) {
    return s;
  }
  bindery_do_cursor_free(c);
  bindery_d1_value x = bindery_d1_text("x");
  if ((s = bindery_do_sql_exec(st, "INSERT INTO r (v) VALUES (?)", &x, 1, &c)) != BINDERY_OK) {
    return s;
  }
  uint64_t written = bindery_do_cursor_rows_written(c);
  bindery_do_cursor_free(c);
  if ((s = bindery_do_sql_exec(st, "SELECT id, v FROM r ORDER BY id", NULL, 0, &c)) != BINDERY_OK) {
    return s;
  }
  // Rows are counted first: the writer wants each array's length.
  size_t cols = bindery_do_cursor_columns(c), nrows = 0, cap = 0;
  bindery_d1_value *vals = NULL;
  char **texts = NULL;
  while (bindery_do_cursor_next(c)) {
    if (nrows == cap) {
      cap = cap ? cap * 2 : 8;
      vals = realloc(vals, cap * cols * sizeof *vals);
      texts = realloc(texts, cap * cols * sizeof *texts);
      if (!vals || !texts) {
        abort();
      }
    }
    const bindery_d1_value *row = bindery_do_cursor_row(c);
    for (size_t i = 0; i < cols; i++) {
      vals[nrows * cols + i] = row[i];
      texts[nrows * cols + i] = NULL;
      if (row[i].type == BINDERY_D1_TEXT) {
        texts[nrows * cols + i] = strndup(row[i].as.text.ptr, row[i].as.text.len);
        vals[nrows * cols + i].as.text.ptr = texts[nrows * cols + i];
      }
    }
    nrows++;
  }
  bindery_do_cursor *bad;
  bindery_status serr = bindery_do_sql_exec(st, "SELECT * FROM nope", NULL, 0, &bad);
  char *errtext = strdup(serr == BINDERY_OK ? "" : bindery_errmsg());
  if (serr == BINDERY_OK) {
    bindery_do_cursor_free(bad);
  }
  bindery_sv_object_begin(result, 4);
  bindery_sv_key(result, "columns", 7);
  bindery_sv_array_begin(result, cols);
  for (size_t i = 0; i < cols; i++) {
    const char *n = bindery_do_cursor_column(c, i);
    bindery_sv_write_string(result, n, strlen(n));
  }
  bindery_sv_key(result, "rows", 4);
  bindery_sv_array_begin(result, nrows);
  for (size_t r = 0; r < nrows; r++) {
    bindery_sv_array_begin(result, cols);
    for (size_t i = 0; i < cols; i++) {
      sql_value(result, &vals[r * cols + i]);
      free(texts[r * cols + i]);
    }
  }
  bindery_sv_key(result, "written", 7);
  bindery_sv_write_uint64(result, written);
  bindery_sv_key(result, "error", 5);
  s = bindery_sv_write_string(result, errtext, strlen(errtext));
  free(errtext);
  free(vals);
  free(texts);
  bindery_do_cursor_free(c);
  return s;
}

// line appends a printf-formatted item and ";" to buf (a malloc'd string).
static void line(char **buf, const char *format, ...) __attribute__((format(printf, 2, 3)));
static void line(char **buf, const char *format, ...) {
  char item[2048];
  va_list ap;
  va_start(ap, format);
  vsnprintf(item, sizeof item, format, ap);
  va_end(ap);
  size_t n = *buf ? strlen(*buf) : 0;
  *buf = realloc(*buf, n + strlen(item) + 2);
  if (!*buf) {
    abort();
  }
  strcpy(*buf + n, item);
  strcat(*buf, ";");
}

static const char *name_of(bindery_status s) { return bindery_status_name(s); }

// list_keys renders the keys opts selects as "a,b".
static void list_keys(bindery_do_state *st, char **buf, const char *what, const bindery_do_list_options *opts) {
  bindery_do_entries es;
  bindery_status s = bindery_do_storage_list(st, opts, &es);
  if (s != BINDERY_OK) {
    line(buf, "%s %s", what, name_of(s));
    return;
  }
  char keys[128] = "";
  for (size_t i = 0; i < es.len; i++) {
    strncat(keys, i ? "," : "", sizeof keys - strlen(keys) - 1);
    strncat(keys, es.v[i].key, sizeof keys - strlen(keys) - 1);
  }
  line(buf, "%s %s", what, keys);
  bindery_do_entries_free(&es);
}

static int64_t now_ms(void);

// extras exercises what the section does not, into one line of results
// (TestCSDKDurable).
static bindery_status extras(bindery_do_state *st, bindery_sv_writer *result) {
  char *buf = NULL;
  bindery_status s;
  line(&buf, "class %s name %s", bindery_do_state_class(st), bindery_do_state_name(st));
  bindery_bytes one = enc_number(1);
  bindery_do_entry es[] = {{"a", 0, one.data, one.len}, {"b", 0, one.data, one.len}, {"c", 0, one.data, one.len}};
  line(&buf, "put %s", name_of(bindery_do_storage_put_multiple(st, es, 3)));
  bindery_bytes_free(&one);
  const char *keys[] = {"a", "zz", "c"};
  bindery_bytes vals[3];
  bool found[3];
  s = bindery_do_storage_get_multiple(st, keys, 3, vals, found);
  line(&buf, "get %s %d%d%d %zu", name_of(s), found[0], found[1], found[2], vals[1].len);
  for (size_t i = 0; i < 3 && s == BINDERY_OK; i++) {
    bindery_bytes_free(&vals[i]);
  }
  bindery_do_list_options from_b = {.start = "b"}, between = {.start_after = "a", .end = "c"}, both = {.start = "a", .start_after = "a"};
  list_keys(st, &buf, "from", &from_b);
  list_keys(st, &buf, "between", &between);
  list_keys(st, &buf, "both", &both);
  uint32_t deleted = 0;
  const char *del[] = {"a", "zz"};
  s = bindery_do_storage_delete_multiple(st, del, 2, &deleted);
  line(&buf, "delete %s %u", name_of(s), deleted);

  // A savepoint committed inside a transaction rolled back leaves nothing.
  bindery_do_txn *outer, *inner;
  bindery_bytes v;
  if ((s = bindery_do_txn_begin(st, &outer)) == BINDERY_OK) {
    put_number(st, "n", 1);
    if ((s = bindery_do_txn_begin(st, &inner)) == BINDERY_OK) {
      put_number(st, "n", 2);
      s = bindery_do_txn_commit(inner);
    }
    bindery_do_txn_rollback(outer);
  }
  bindery_status got = bindery_do_storage_get(st, "n", &v);
  line(&buf, "nested %s %s", name_of(s), name_of(got));

  bindery_do_cursor *c;
  s = bindery_do_sql_exec(st, "SELEKT 1", NULL, 0, &c);
  line(&buf, "syntax %s", name_of(s));
  if (s == BINDERY_OK) {
    bindery_do_cursor_free(c);
  }
  bindery_d1_value params[] = {bindery_d1_int(INT64_MAX), bindery_d1_int(INT64_MIN), bindery_d1_real(-0.25),
                               bindery_d1_textn("a\0b", 3), bindery_d1_blob((const uint8_t *)"\x00\xff", 2),
                               bindery_d1_null()};
  if ((s = bindery_do_sql_exec(st, "SELECT ?, ?, ?, ?, ?, ? AS last", params, 6, &c)) == BINDERY_OK) {
    bool row = bindery_do_cursor_next(c);
    const bindery_d1_value *r = bindery_do_cursor_row(c);
    line(&buf, "values %d %d %d %d %d %d %d %s", row && r[0].as.integer == INT64_MAX, row && r[1].as.integer == INT64_MIN,
         row && r[2].as.real == -0.25, row && r[3].as.text.len == 3 && memcmp(r[3].as.text.ptr, "a\0b", 4) == 0,
         row && r[4].type == BINDERY_D1_BLOB && r[4].as.blob.len == 2 && r[4].as.blob.ptr[1] == 0xff,
         row && r[5].type == BINDERY_D1_NULL, !bindery_do_cursor_next(c), bindery_do_cursor_column(c, 5));
    bindery_do_cursor_free(c);
  } else {
    line(&buf, "values %s", name_of(s));
  }
  uint64_t size = 0;
  s = bindery_do_sql_database_size(st, &size);
  line(&buf, "size %s %d", name_of(s), size > 0);

  int64_t at = now_ms() + 3600 * 1000, got_at = 0;
  bindery_do_set_alarm(st, at);
  s = bindery_do_get_alarm(st, &got_at);
  bindery_do_delete_alarm(st);
  line(&buf, "alarm %s %d %s", name_of(s), got_at == at, name_of(bindery_do_get_alarm(st, &got_at)));

  s = bindery_do_storage_delete_all(st);
  bindery_do_list_options all = {0};
  list_keys(st, &buf, "deleteAll", &all);
  line(&buf, "tooMany %s", name_of(bindery_do_set_web_socket_event_timeout(st, 700000000)));
  char *big = calloc(1, 3000);
  memset(big, 'x', 2999);
  line(&buf, "autoResponseTooLong %s", name_of(bindery_do_set_web_socket_auto_response(st, big, "polo")));
  free(big);
  line(&buf, "autoResponse %s", name_of(bindery_do_set_web_socket_auto_response(st, "marco", "polo")));
  s = bindery_sv_write_string(result, buf, strlen(buf));
  free(buf);
  return s;
}

// fail_load fails, as a constructor's load might.
static bindery_status fail_load(void *arg) {
  (void)arg;
  return BINDERY_ERR_INVALID;
}

static int64_t now_ms(void) {
  struct timespec ts;
  clock_gettime(CLOCK_REALTIME, &ts);
  return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static bindery_status conf_call(void *obj, bindery_do_state *st, const char *method, size_t argc,
                                bindery_sv_reader *args, bindery_sv_writer *result) {
  object *o = obj;
  bindery_status s;
  if (strcmp(method, "add") == 0) {
    double a, b;
    if (argc != 2 || !number_arg(args, &a) || !number_arg(args, &b)) {
      return bindery_do_throw(st, "TypeError", "add takes two numbers");
    }
    return bindery_sv_write_number(result, a + b);
  } else if (strcmp(method, "echo") == 0) {
    if (argc != 1) {
      return bindery_do_throw(st, "TypeError", "echo takes one argument, got %zu", argc);
    }
    return copy_value(args, result);
  } else if (strcmp(method, "incr") == 0) {
    double n;
    if ((s = get_number(st, "count", 0, &n)) != BINDERY_OK || (s = put_number(st, "count", n + 1)) != BINDERY_OK) {
      return s;
    }
    return bindery_sv_write_number(result, n + 1);
  } else if (strcmp(method, "storage") == 0) {
    return storage(st, result);
  } else if (strcmp(method, "txn") == 0) {
    return txn(st, result);
  } else if (strcmp(method, "sql") == 0) {
    return sql(st, result);
  } else if (strcmp(method, "boom") == 0) {
    bindery_sv_item it;
    if (argc != 1 || bindery_sv_next(args, &it) != BINDERY_SV_STRING) {
      return bindery_do_throw(st, "TypeError", "boom takes a string");
    }
    return bindery_do_throw(st, "TypeError", "boom: %.*s", (int)it.len, (const char *)it.data);
  } else if (strcmp(method, "setAlarm") == 0) {
    int64_t at;
    if ((s = bindery_do_set_alarm(st, now_ms() + 100)) != BINDERY_OK) {
      return s;
    }
    s = bindery_do_get_alarm(st, &at);
    if (s != BINDERY_OK && s != BINDERY_NOT_FOUND) {
      return s;
    }
    return bindery_sv_write_bool(result, s == BINDERY_OK);
  } else if (strcmp(method, "extras") == 0) {
    return extras(st, result);
  } else if (strcmp(method, "fetches") == 0) {
    return bindery_sv_write_number(result, o->fetches);
  } else if (strcmp(method, "rangeError") == 0) {
    return bindery_do_throw(st, "RangeError", "out of range: %d", 42);
  } else if (strcmp(method, "failWithStatus") == 0) {
    // A failed SDK call, returned as it is, throws an Error with its message.
    bindery_do_ns *ns;
    return bindery_do_namespace("NOPE", &ns);
  } else if (strcmp(method, "blockAndFail") == 0) {
    return bindery_do_block_concurrency_while(st, fail_load, NULL);
  } else if (strcmp(method, "alarmed") == 0) {
    bindery_bytes v;
    s = bindery_do_storage_get(st, "alarm", &v);
    if (s == BINDERY_NOT_FOUND) {
      return bindery_sv_write_null(result);
    }
    if (s != BINDERY_OK) {
      return s;
    }
    bindery_sv_reader r;
    if ((s = bindery_sv_reader_init(&r, v.data, v.len)) == BINDERY_OK) {
      s = copy_value(&r, result);
    }
    bindery_bytes_free(&v);
    return s;
  }
  return bindery_do_no_such_method(st, method);
}

static bindery_status conf_alarm(void *obj, bindery_do_state *st, uint32_t retry_count, bool is_retry) {
  (void)obj;
  (void)is_retry;
  bindery_sv_writer *w = writer();
  bindery_sv_object_begin(w, 1);
  bindery_sv_key(w, "retryCount", 10);
  bindery_sv_write_number(w, retry_count);
  bindery_bytes v;
  bindery_status s = done(w, &v);
  if (s == BINDERY_OK) {
    s = bindery_do_storage_put(st, "alarm", v.data, v.len);
    bindery_bytes_free(&v);
  }
  return s;
}

static bindery_status conf_message(void *obj, bindery_do_state *st, bindery_do_socket *ws, const uint8_t *data,
                                   size_t len, bool binary) {
  (void)obj;
  if (!binary && len == 4 && memcmp(data, "ping", 4) == 0) {
    bindery_do_socket **list;
    size_t n;
    bindery_status s = bindery_do_get_web_sockets(st, "conf", &list, &n);
    if (s != BINDERY_OK) {
      return s;
    }
    free(list);
    char pong[32];
    snprintf(pong, sizeof pong, "pong %zu", n);
    return bindery_do_socket_send(ws, pong, strlen(pong), false);
  }
  if (!binary && len == 4 && memcmp(data, "info", 4) == 0) {
    // The attachment counts the info messages on the socket.
    bindery_bytes att;
    double n = 0;
    if (bindery_do_socket_deserialize_attachment(ws, &att) == BINDERY_OK) {
      bindery_sv_reader r;
      bindery_sv_item it;
      if (bindery_sv_reader_init(&r, att.data, att.len) == BINDERY_OK && bindery_sv_next(&r, &it) == BINDERY_SV_NUMBER) {
        n = it.number;
      }
      bindery_bytes_free(&att);
    }
    att = enc_number(n + 1);
    bindery_status s = bindery_do_socket_serialize_attachment(ws, att.data, att.len);
    bindery_bytes_free(&att);
    if (s != BINDERY_OK) {
      return s;
    }
    const char *tags[4];
    size_t ntags = bindery_do_socket_tags(ws, tags, 4);
    char reply[128];
    snprintf(reply, sizeof reply, "info %.0f tags %zu %s key %d", n + 1, ntags, ntags ? tags[0] : "",
             bindery_do_socket_key(ws) != 0);
    return bindery_do_socket_send(ws, reply, strlen(reply), false);
  }
  if (!binary && len == 5 && memcmp(data, "close", 5) == 0) {
    return bindery_do_socket_close(ws, 4000, "bye from c");
  }
  return bindery_do_socket_send(ws, data, len, binary);
}

static const bindery_do_class conformance = {
    .name = "Conformance",
    .construct = conf_new,
    .fetch = conf_fetch,
    .call = conf_call,
    .alarm = conf_alarm,
    .web_socket_message = conf_message,
    .destroy = free,
};
BINDERY_DO_CLASS(conformance)

// ---- the Worker's routes ----------------------------------------------------------

static void fail_with(bindery_response *res) { bindery_response_text(res, 500, bindery_errmsg()); }

static void ids(bindery_do_ns *ns, bindery_response *res) {
  char named[BINDERY_DO_ID_LEN + 1], again[BINDERY_DO_ID_LEN + 1], other[BINDERY_DO_ID_LEN + 1];
  char unique[BINDERY_DO_ID_LEN + 1], parsed[BINDERY_DO_ID_LEN + 1], bad[BINDERY_DO_ID_LEN + 1];
  if (bindery_do_id_from_name(ns, "a", named) != BINDERY_OK || bindery_do_id_from_name(ns, "a", again) != BINDERY_OK ||
      bindery_do_id_from_name(ns, "b", other) != BINDERY_OK || bindery_do_new_unique_id(ns, NULL, unique) != BINDERY_OK ||
      bindery_do_id_from_string(ns, named, parsed) != BINDERY_OK) {
    fail_with(res);
    return;
  }
  bindery_status st = bindery_do_id_from_string(ns, "not-an-id", bad);
  const char *invalid = st == BINDERY_OK ? "" : bindery_errmsg();
  bindery_response_header(res, "content-type", "application/json");
  out(res, "{\"named\":");
  json_str(res, named);
  out(res, strcmp(named, again) == 0 ? ",\"same\":true" : ",\"same\":false");
  out(res, strcmp(named, other) != 0 ? ",\"other\":true" : ",\"other\":false");
  out(res, ",\"unique\":");
  json_str(res, unique);
  out(res, strcmp(parsed, named) == 0 ? ",\"parsed\":true" : ",\"parsed\":false");
  out(res, ",\"invalid\":");
  json_str(res, invalid);
  out(res, "}");
}

// rpc calls method without arguments and answers its result as JSON.
static void rpc(bindery_do_stub *stub, const char *method, bindery_response *res) {
  bindery_bytes v;
  if (bindery_do_stub_call(stub, method, NULL, 0, &v) != BINDERY_OK) {
    bindery_bytes_free(&v);
    fail_with(res);
    return;
  }
  bindery_response_header(res, "content-type", "application/json");
  json_encoded(res, &v);
  bindery_bytes_free(&v);
}

// echo_args encodes the arguments of echo: [V] of the rpc route.
static bindery_status echo_args(bindery_bytes *args) {
  static const uint8_t bytes[] = {0, 1, 0xff};
  static const uint8_t big[] = {0x10, 0, 0, 0, 0, 0, 0, 0}; // 2^60
  bindery_sv_writer *w = writer();
  bindery_sv_array_begin(w, 1);
  bindery_sv_object_begin(w, 8);
  bindery_sv_key(w, "s", 1);
  bindery_sv_write_string(w, "h\xc3\xa9llo", 6);
  bindery_sv_key(w, "n", 1);
  bindery_sv_write_number(w, 1.5);
  bindery_sv_key(w, "i", 1);
  bindery_sv_write_number(w, -7);
  bindery_sv_key(w, "t", 1);
  bindery_sv_write_bool(w, true);
  bindery_sv_key(w, "z", 1);
  bindery_sv_write_null(w);
  bindery_sv_key(w, "l", 1);
  bindery_sv_array_begin(w, 3);
  bindery_sv_write_number(w, 1);
  bindery_sv_write_number(w, 2);
  bindery_sv_write_number(w, 3);
  bindery_sv_key(w, "b", 1);
  bindery_sv_write_bytes(w, bytes, sizeof bytes);
  bindery_sv_key(w, "big", 3);
  bindery_sv_write_bigint(w, false, big, sizeof big);
  return done(w, args);
}

static void rpc_route(bindery_do_stub *stub, bindery_response *res) {
  bindery_sv_writer *w = writer();
  bindery_sv_array_begin(w, 2);
  bindery_sv_write_number(w, 2);
  bindery_sv_write_number(w, 3.5);
  bindery_bytes args, sum, echo;
  done(w, &args);
  bindery_status st = bindery_do_stub_call(stub, "add", args.data, args.len, &sum);
  bindery_bytes_free(&args);
  if (st != BINDERY_OK) {
    fail_with(res);
    return;
  }
  echo_args(&args);
  st = bindery_do_stub_call(stub, "echo", args.data, args.len, &echo);
  bindery_bytes_free(&args);
  if (st != BINDERY_OK) {
    bindery_bytes_free(&sum);
    fail_with(res);
    return;
  }
  bindery_response_header(res, "content-type", "application/json");
  out(res, "{\"sum\":");
  json_encoded(res, &sum);
  out(res, ",\"echo\":");
  json_encoded(res, &echo);
  out(res, "}");
  bindery_bytes_free(&sum);
  bindery_bytes_free(&echo);
}

static void throw_route(bindery_do_stub *stub, const char *name, bindery_response *res) {
  bindery_sv_writer *w = writer();
  bindery_sv_array_begin(w, 1);
  bindery_sv_write_string(w, name, strlen(name));
  bindery_bytes args, thrown;
  done(w, &args);
  bindery_status st = bindery_do_stub_call(stub, "boom", args.data, args.len, &thrown);
  bindery_bytes_free(&args);
  bindery_sv_reader r;
  bindery_sv_item it;
  if (st != BINDERY_ERR_THROWN || bindery_sv_reader_init(&r, thrown.data, thrown.len) != BINDERY_OK ||
      bindery_sv_next(&r, &it) != BINDERY_SV_ERROR) {
    bindery_response_text(res, 500, "boom did not throw an Error");
    bindery_bytes_free(&thrown);
    return;
  }
  bindery_response_header(res, "content-type", "application/json");
  out(res, "{\"name\":");
  json_text(res, it.name, it.name_len);
  out(res, ",\"message\":");
  json_text(res, it.message, it.message_len);
  out(res, "}");
  bindery_bytes_free(&thrown);
}

// call_status calls method without arguments: its status, and for a
// thrown Error its name and message.
static void call_status(bindery_do_stub *stub, const char *method, char **buf) {
  bindery_bytes v;
  bindery_status st = bindery_do_stub_call(stub, method, NULL, 0, &v);
  bindery_sv_reader r;
  bindery_sv_item it;
  if (st == BINDERY_ERR_THROWN && bindery_sv_reader_init(&r, v.data, v.len) == BINDERY_OK &&
      bindery_sv_next(&r, &it) == BINDERY_SV_ERROR) {
    line(buf, "%s %s %.*s: %.*s", method, name_of(st), (int)it.name_len, it.name, (int)it.message_len, it.message);
  } else if (st == BINDERY_OK && bindery_sv_reader_init(&r, v.data, v.len) == BINDERY_OK &&
             bindery_sv_next(&r, &it) == BINDERY_SV_STRING) {
    line(buf, "%s %.*s", method, (int)it.len, (const char *)it.data);
  } else if (st == BINDERY_OK) {
    line(buf, "%s %s", method, name_of(st));
  } else {
    line(buf, "%s %s", method, name_of(st));
  }
  bindery_bytes_free(&v);
}

// dox answers one line of what the section does not check (TestCSDKDurable).
static void dox(bindery_do_ns *ns, bindery_response *res) {
  char *buf = NULL;
  bindery_do_ns *none;
  line(&buf, "namespace %s", name_of(bindery_do_namespace("NOPE", &none)));
  char id[BINDERY_DO_ID_LEN + 1];
  line(&buf, "idFromString %s", name_of(bindery_do_id_from_string(ns, "not-an-id", id)));
  line(&buf, "uniqueEU %s", name_of(bindery_do_new_unique_id(ns, "eu", id)));
  bindery_do_stub *stub;
  if (bindery_do_get(ns, id, &stub) == BINDERY_OK) {
    line(&buf, "get %d", strcmp(bindery_do_stub_id(stub), id) == 0);
    bindery_do_stub_free(stub);
  }
  if (bindery_do_get_by_name(ns, "dox", &stub) != BINDERY_OK) {
    fail_with(res);
    free(buf);
    return;
  }
  bindery_r2_pair headers[] = {{"X-Test", "v"}};
  bindery_do_fetch_options opts = {.method = "PUT", .headers = headers, .nheaders = 1, .body = "abc", .body_len = 3};
  bindery_do_response *resp;
  bindery_status st = bindery_do_stub_fetch_url(stub, "http://do/path?q=1", &opts, &resp);
  if (st == BINDERY_OK) {
    char body[512];
    long n = 0, k;
    while ((k = bindery_do_response_read(resp, body + n, sizeof body - 1 - (size_t)n)) > 0) {
      n += k;
    }
    body[n < 0 ? 0 : n] = 0;
    const char *ct = bindery_do_response_header(resp, "Content-Type");
    line(&buf, "fetchUrl %d %s %d %d", bindery_do_response_status(resp), ct ? ct : "-",
         strstr(body, "\"method\":\"PUT\"") != NULL, strstr(body, "\"body\":\"abc\"") != NULL);
    bindery_do_response_free(resp);
  } else {
    line(&buf, "fetchUrl %s", name_of(st));
  }
  call_status(stub, "extras", &buf);
  call_status(stub, "rangeError", &buf);
  call_status(stub, "failWithStatus", &buf);
  call_status(stub, "blockAndFail", &buf);
  bindery_bytes v;
  st = bindery_do_stub_call(stub, "fetches", NULL, 0, &v);
  bindery_sv_reader r;
  bindery_sv_item it;
  if (st == BINDERY_OK && bindery_sv_reader_init(&r, v.data, v.len) == BINDERY_OK && bindery_sv_next(&r, &it) == BINDERY_SV_NUMBER) {
    line(&buf, "fetchesAfterReset %.0f", it.number);
  } else {
    line(&buf, "fetchesAfterReset %s", name_of(st));
  }
  bindery_bytes_free(&v);
  bindery_do_stub_free(stub);
  bindery_response_text(res, 200, buf);
  free(buf);
}

bool durable_route(bindery_request *req, bindery_response *res) {
  const char *p = bindery_request_path(req);
  if (strcmp(p, "/dox") == 0) {
    bindery_do_ns *ns;
    if (bindery_do_namespace(BINDING_DO, &ns) != BINDERY_OK) {
      fail_with(res);
    } else {
      dox(ns, res);
    }
    return true;
  }
  if (strncmp(p, "/do/", 4) != 0) {
    return false;
  }
  bindery_do_ns *ns;
  if (bindery_do_namespace(BINDING_DO, &ns) != BINDERY_OK) {
    fail_with(res);
    return true;
  }
  if (strcmp(p, "/do/ids") == 0) {
    ids(ns, res);
    return true;
  }
  const char *rest = p + 4, *slash = strchr(rest, '/');
  if (!slash) {
    bindery_response_text(res, 404, "not found");
    return true;
  }
  char *name = strndup(rest, (size_t)(slash - rest));
  const char *op = slash + 1;
  bindery_do_stub *stub;
  if (bindery_do_get_by_name(ns, name, &stub) != BINDERY_OK) {
    free(name);
    fail_with(res);
    return true;
  }
  if (strcmp(op, "fetch") == 0 || strcmp(op, "ws") == 0 || strcmp(op, "wsmem") == 0) {
    bindery_do_response *resp;
    if (bindery_do_stub_fetch(stub, req, &resp) != BINDERY_OK || bindery_do_response_send(resp, res) != BINDERY_OK) {
      fail_with(res);
    }
  } else if (strcmp(op, "rpc") == 0) {
    rpc_route(stub, res);
  } else if (strcmp(op, "storage") == 0 || strcmp(op, "txn") == 0 || strcmp(op, "sql") == 0 ||
             strcmp(op, "incr") == 0 || strcmp(op, "alarmed") == 0) {
    rpc(stub, op, res);
  } else if (strcmp(op, "alarm") == 0) {
    rpc(stub, "setAlarm", res);
  } else if (strcmp(op, "throw") == 0) {
    throw_route(stub, name, res);
  } else if (strcmp(op, "missing") == 0) {
    bindery_bytes v;
    bindery_status st = bindery_do_stub_call(stub, "noSuchMethod", NULL, 0, &v);
    bindery_bytes_free(&v);
    bindery_response_header(res, "content-type", "application/json");
    out(res, "{\"error\":");
    json_str(res, st == BINDERY_OK ? "" : bindery_errmsg());
    out(res, "}");
  } else {
    bindery_response_text(res, 404, "not found");
  }
  bindery_do_stub_free(stub);
  free(name);
  return true;
}
