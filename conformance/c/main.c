// The conformance Worker in C: the contract every language implements (see
// conformance/harness_test.go), written with guest-sdk/c, the /r2x routes
// of conformance/r2ext_test.go, the /d1 routes of conformance/d1_test.go and,
// in durable.c, the Durable Objects section (conformance/durable_test.go),
// and the Queues and cron triggers section (conformance/queues_test.go).
//
//   guest-sdk/c/build.sh -o c.wasm conformance/c/main.c conformance/c/durable.c

#include <ctype.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bindery.h"

#define BINDING_KV "STORE"
#define BINDING_R2 "FILES"
#define BINDING_D1 "DB"

// durable_route serves /do/... (durable.c) and says whether it did.
bool durable_route(bindery_request *req, bindery_response *res);

static bool is(bindery_request *req, const char *method, const char *path) {
  return strcmp(bindery_request_method(req), method) == 0 && strcmp(bindery_request_path(req), path) == 0;
}

// suffix returns the rest of the path after prefix, or NULL.
static const char *suffix(bindery_request *req, const char *prefix) {
  const char *p = bindery_request_path(req);
  size_t n = strlen(prefix);
  return strncmp(p, prefix, n) == 0 ? p + n : NULL;
}

// error answers status with the message of the last failed call.
static void error(bindery_response *res, int status) {
  bindery_response_text(res, status, bindery_errmsg());
}

static void kv(bindery_request *req, bindery_response *res, const char *key) {
  const char *m = bindery_request_method(req);
  if (strcmp(m, "PUT") == 0) {
    bindery_bytes body;
    if (bindery_request_read_all(req, &body) != BINDERY_OK) {
      error(res, 500);
      return;
    }
    bindery_status st = bindery_kv_put(BINDING_KV, key, body.data, body.len);
    bindery_bytes_free(&body);
    if (st != BINDERY_OK) {
      error(res, 400);
      return;
    }
    bindery_response_status(res, 204);
  } else if (strcmp(m, "GET") == 0) {
    bindery_bytes v;
    switch (bindery_kv_get(BINDING_KV, key, &v)) {
    case BINDERY_OK:
      bindery_response_write(res, v.data, v.len);
      bindery_bytes_free(&v);
      break;
    case BINDERY_NOT_FOUND:
      bindery_response_text(res, 404, "not found");
      break;
    default:
      error(res, 500);
    }
  } else if (strcmp(m, "DELETE") == 0) {
    if (bindery_kv_delete(BINDING_KV, key) != BINDERY_OK) {
      error(res, 500);
      return;
    }
    bindery_response_status(res, 204);
  } else {
    bindery_response_text(res, 405, "method not allowed");
  }
}

// json_string writes s as a JSON string.
static void json_string(bindery_response *res, const char *s) {
  bindery_response_write(res, "\"", 1);
  for (; *s; s++) {
    char esc[8];
    if (*s == '"' || *s == '\\') {
      snprintf(esc, sizeof esc, "\\%c", *s);
    } else if ((unsigned char)*s < 0x20) {
      snprintf(esc, sizeof esc, "\\u%04x", *s);
    } else {
      bindery_response_write(res, s, 1);
      continue;
    }
    bindery_response_write(res, esc, strlen(esc));
  }
  bindery_response_write(res, "\"", 1);
}

static void vars(bindery_response *res) {
  const char *greeting = bindery_var("GREETING");
  bindery_response_header(res, "content-type", "application/json");
  bindery_response_write(res, "{\"greeting\":", 12);
  json_string(res, greeting ? greeting : "");
  const char *tail = bindery_secret("API_TOKEN") ? ",\"secret_set\":true}" : ",\"secret_set\":false}";
  bindery_response_write(res, tail, strlen(tail));
}

static void kv_too_long(bindery_response *res) {
  char key[514];
  memset(key, 'k', 513);
  key[513] = 0;
  if (bindery_kv_put(BINDING_KV, key, "x", 1) == BINDERY_OK) {
    bindery_response_text(res, 500, "a 513-byte key was accepted");
    return;
  }
  error(res, 400);
}

// echo streams the body back through the Worker's memory (read, write).
static void echo(bindery_request *req, bindery_response *res) {
  static char buf[64 * 1024];
  bindery_response_header(res, "content-type", "application/octet-stream");
  long n;
  while ((n = bindery_request_read(req, buf, sizeof buf)) > 0) {
    if (bindery_response_write(res, buf, (size_t)n) != BINDERY_OK) {
      return;
    }
  }
}

static void r2(bindery_request *req, bindery_response *res, const char *key) {
  const char *m = bindery_request_method(req);
  if (strcmp(m, "PUT") == 0) {
    bindery_r2_object obj;
    if (bindery_r2_put_request(BINDING_R2, key, req, &obj) != BINDERY_OK) {
      error(res, 400);
      return;
    }
    char json[256];
    snprintf(json, sizeof json, "{\"etag\":\"%s\",\"size\":%llu}", obj.etag, (unsigned long long)obj.size);
    bindery_r2_object_free(&obj);
    bindery_response_json(res, 201, json);
  } else if (strcmp(m, "GET") == 0) {
    bindery_body *body;
    switch (bindery_r2_get(BINDING_R2, key, NULL, &body)) {
    case BINDERY_OK:
      bindery_response_header(res, "content-type", "application/octet-stream");
      bindery_response_splice(res, body); // inside the host
      bindery_body_close(body);
      break;
    case BINDERY_NOT_FOUND:
      bindery_response_text(res, 404, "not found");
      break;
    default:
      error(res, 500);
    }
  } else {
    bindery_response_text(res, 405, "method not allowed");
  }
}

// ---- /r2x: the rest of R2 (conformance/r2ext_test.go) -------------------------

// r2_error answers the last failed R2 call with its HTTP status.
static void r2_error(bindery_response *res, bindery_status st) {
  int status = 500;
  switch (st) {
  case BINDERY_NOT_FOUND:
  case BINDERY_ERR_NO_SUCH_UPLOAD:
    status = 404;
    break;
  case BINDERY_ERR_INVALID:
  case BINDERY_ERR_INVALID_PART:
    status = 400;
    break;
  case BINDERY_ERR_TOO_LARGE:
    status = 413;
    break;
  case BINDERY_ERR_PRECONDITION:
    status = 412;
    break;
  case BINDERY_ERR_INVALID_RANGE:
    status = 416;
    break;
  default:
    break;
  }
  char msg[1024];
  snprintf(msg, sizeof msg, "%s: %s", bindery_status_name(st), bindery_errmsg());
  bindery_response_text(res, status, msg);
}

// hex16 parses 32 hex digits into sum.
static bool hex16(const char *s, uint8_t sum[16]) {
  if (strlen(s) != 32) {
    return false;
  }
  for (int i = 0; i < 16; i++) {
    unsigned v;
    if (sscanf(s + 2 * i, "%2x", &v) != 1) {
      return false;
    }
    sum[i] = (uint8_t)v;
  }
  return true;
}

// r2x_put stores the request body with metadata, an optional md5 and onlyIf.
static void r2x_put(bindery_request *req, bindery_response *res, const char *key) {
  bindery_r2_http_metadata http = {
      .content_type = bindery_request_header(req, "content-type"),
      .cache_control = "max-age=60",
  };
  bindery_r2_pair meta[] = {{"a", "1"}, {"b", "two"}};
  bindery_r2_put_options opts = {.http_metadata = &http, .custom_metadata = meta, .custom_metadata_len = 2};
  const char *md5 = bindery_request_header(req, "x-md5");
  if (md5) {
    if (!hex16(md5, opts.checksums.md5)) {
      bindery_response_text(res, 400, "bad x-md5");
      return;
    }
    opts.checksums.has_md5 = true;
  }
  const char *etag = bindery_request_header(req, "x-if-match");
  bindery_r2_conditional cond = {.etag_matches = &etag, .etag_matches_len = 1};
  if (etag) {
    opts.only_if = &cond;
  }
  bindery_r2_object obj;
  bindery_status st = bindery_r2_put_request_with(BINDING_R2, key, req, &opts, &obj);
  if (st != BINDERY_OK) {
    r2_error(res, st);
    return;
  }
  bindery_response_text(res, 201, obj.etag);
  bindery_r2_object_free(&obj);
}

// r2x_writer stores the request body through a writer, 1000 bytes at a time.
static void r2x_writer(bindery_request *req, bindery_response *res, const char *key) {
  bindery_r2_http_metadata http = {.content_type = "text/x-writer"};
  bindery_r2_put_options opts = {.http_metadata = &http};
  bindery_r2_writer *w;
  bindery_status st = bindery_r2_writer_open(BINDING_R2, key, &opts, &w);
  if (st != BINDERY_OK) {
    r2_error(res, st);
    return;
  }
  char buf[1000];
  long n;
  while ((n = bindery_request_read(req, buf, sizeof buf)) > 0) {
    if ((st = bindery_r2_writer_write(w, buf, (size_t)n)) != BINDERY_OK) {
      bindery_r2_writer_abort(w);
      r2_error(res, st);
      return;
    }
  }
  bindery_r2_object obj;
  if ((st = bindery_r2_writer_finish(w, &obj)) != BINDERY_OK) {
    r2_error(res, st);
    return;
  }
  bindery_response_text(res, 201, obj.etag);
  bindery_r2_object_free(&obj);
}

// describe writes "size=N etag=E ct=CT cc=CC meta=k:v,..." for obj.
static void describe(bindery_response *res, const bindery_r2_object *obj) {
  char line[512];
  const bindery_r2_http_metadata *h = &obj->http_metadata;
  snprintf(line, sizeof line, "size=%llu etag=%s ct=%s cc=%s meta=", (unsigned long long)obj->size, obj->etag,
           h->content_type ? h->content_type : "-", h->cache_control ? h->cache_control : "-");
  bindery_response_write(res, line, strlen(line));
  for (size_t i = 0; i < obj->custom_metadata_len; i++) {
    snprintf(line, sizeof line, "%s%s:%s", i ? "," : "", obj->custom_metadata[i].key, obj->custom_metadata[i].value);
    bindery_response_write(res, line, strlen(line));
  }
}

static void r2x_head(bindery_response *res, const char *key) {
  bindery_r2_object obj;
  bindery_status st = bindery_r2_head(BINDING_R2, key, &obj);
  if (st != BINDERY_OK) {
    r2_error(res, st);
    return;
  }
  describe(res, &obj);
  bindery_r2_object_free(&obj);
}

static void r2x_get(bindery_request *req, bindery_response *res, const char *key) {
  bindery_r2_get_options opts = {0};
  const char *etag = bindery_request_header(req, "x-if-none-match");
  bindery_r2_conditional cond = {.etag_does_not_match = &etag, .etag_does_not_match_len = 1};
  if (etag) {
    opts.only_if = &cond;
  }
  bindery_r2_range range = {0};
  const char *r = bindery_request_header(req, "x-range");
  const char *sfx = bindery_request_header(req, "x-suffix");
  if (r) {
    unsigned long long off, len;
    if (sscanf(r, "%llu,%llu", &off, &len) != 2) {
      bindery_response_text(res, 400, "bad x-range");
      return;
    }
    range.offset = off;
    range.length = len;
    opts.range = &range;
  } else if (sfx) {
    range.suffix = strtoull(sfx, NULL, 10);
    opts.range = &range;
  }
  bindery_r2_object obj;
  bindery_body *body;
  bindery_status st = bindery_r2_get_with(BINDING_R2, key, &opts, &obj, &body);
  if (st == BINDERY_ERR_PRECONDITION) {
    bindery_response_status(res, 304);
    bindery_response_header(res, "x-etag", obj.etag);
    bindery_r2_object_free(&obj);
    return;
  }
  if (st != BINDERY_OK) {
    r2_error(res, st);
    return;
  }
  if (obj.http_metadata.content_type) {
    bindery_response_header(res, "content-type", obj.http_metadata.content_type);
  }
  if (obj.has_range) {
    char v[64];
    snprintf(v, sizeof v, "%llu,%llu", (unsigned long long)obj.range.offset, (unsigned long long)obj.range.length);
    bindery_response_header(res, "x-range", v);
  }
  bindery_r2_object_free(&obj);
  bindery_response_splice(res, body); // inside the host
  bindery_body_close(body);
}

static void r2x_list(bindery_request *req, bindery_response *res) {
  const char *limit = bindery_request_header(req, "x-limit");
  const char *include = bindery_request_header(req, "x-include");
  bindery_r2_list_options opts = {
      .limit = limit ? (uint32_t)strtoul(limit, NULL, 10) : 0,
      .prefix = bindery_request_header(req, "x-prefix"),
      .cursor = bindery_request_header(req, "x-cursor"),
      .delimiter = bindery_request_header(req, "x-delimiter"),
      .start_after = bindery_request_header(req, "x-start-after"),
      .include_http_metadata = include != NULL,
      .include_custom_metadata = include != NULL,
  };
  bindery_r2_objects page;
  bindery_status st = bindery_r2_list(BINDING_R2, &opts, &page);
  if (st != BINDERY_OK) {
    r2_error(res, st);
    return;
  }
  char line[1200];
  for (size_t i = 0; i < page.len; i++) {
    bindery_r2_object *o = &page.objects[i];
    snprintf(line, sizeof line, "o %s %llu ct=%s meta=%zu\n", o->key, (unsigned long long)o->size,
             o->http_metadata.content_type ? o->http_metadata.content_type : "-", o->custom_metadata_len);
    bindery_response_write(res, line, strlen(line));
  }
  for (size_t i = 0; i < page.delimited_prefixes_len; i++) {
    snprintf(line, sizeof line, "p %s\n", page.delimited_prefixes[i]);
    bindery_response_write(res, line, strlen(line));
  }
  snprintf(line, sizeof line, "truncated=%s cursor=%s\n", page.truncated ? "true" : "false",
           page.cursor ? page.cursor : "-");
  bindery_response_write(res, line, strlen(line));
  bindery_r2_objects_free(&page);
}

// read_text reads the request body as a NUL-terminated string (the caller frees it).
static char *read_text(bindery_request *req) {
  bindery_bytes b;
  if (bindery_request_read_all(req, &b) != BINDERY_OK) {
    return NULL;
  }
  char *s = malloc(b.len + 1);
  if (b.len) {
    memcpy(s, b.data, b.len);
  }
  s[b.len] = 0;
  bindery_bytes_free(&b);
  return s;
}

static void r2x_delete(bindery_request *req, bindery_response *res) {
  char *text = read_text(req);
  const char *keys[1000];
  size_t n = 0;
  for (char *k = strtok(text, "\n"); k && n < 1000; k = strtok(NULL, "\n")) {
    keys[n++] = k;
  }
  bindery_status st = bindery_r2_delete_many(BINDING_R2, keys, n);
  free(text);
  if (st != BINDERY_OK) {
    r2_error(res, st);
    return;
  }
  bindery_response_status(res, 204);
}

static void r2x_create(bindery_response *res, const char *key) {
  bindery_r2_http_metadata http = {.content_type = "application/x-mpu"};
  bindery_r2_pair meta[] = {{"mp", "yes"}};
  bindery_r2_multipart_options opts = {.http_metadata = &http, .custom_metadata = meta, .custom_metadata_len = 1};
  bindery_r2_upload *up;
  bindery_status st = bindery_r2_multipart_create(BINDING_R2, key, &opts, &up);
  if (st != BINDERY_OK) {
    r2_error(res, st);
    return;
  }
  bindery_response_text(res, 200, bindery_r2_upload_id(up));
  bindery_r2_upload_free(up);
}

// resume resumes the upload named by the x-upload-id header.
static bindery_r2_upload *resume(bindery_request *req, bindery_response *res, const char *key) {
  const char *id = bindery_request_header(req, "x-upload-id");
  bindery_r2_upload *up;
  if (!id) {
    bindery_response_text(res, 400, "no x-upload-id");
    return NULL;
  }
  bindery_status st = bindery_r2_multipart_resume(BINDING_R2, key, id, &up);
  if (st != BINDERY_OK) {
    r2_error(res, st);
    return NULL;
  }
  return up;
}

static void r2x_part(bindery_request *req, bindery_response *res, const char *key) {
  bindery_r2_upload *up = resume(req, res, key);
  if (!up) {
    return;
  }
  const char *n = bindery_request_header(req, "x-part");
  uint32_t number = n ? (uint32_t)strtoul(n, NULL, 10) : 0;
  bindery_r2_part part;
  bindery_status st;
  if (bindery_request_header(req, "x-writer")) {
    // Piece by piece through a part writer.
    bindery_r2_part_writer *w;
    st = bindery_r2_upload_part_writer(up, number, &w);
    if (st == BINDERY_OK) {
      static char buf[64 * 1024];
      long got;
      while (st == BINDERY_OK && (got = bindery_request_read(req, buf, sizeof buf)) > 0) {
        st = bindery_r2_part_writer_write(w, buf, (size_t)got);
      }
      if (st == BINDERY_OK) {
        st = bindery_r2_part_writer_finish(w, &part);
      } else {
        bindery_r2_part_writer_abort(w);
      }
    }
  } else if (bindery_request_header(req, "x-bytes")) {
    bindery_bytes b;
    st = bindery_request_read_all(req, &b);
    if (st == BINDERY_OK) {
      st = bindery_r2_upload_part(up, number, b.data, b.len, &part);
      bindery_bytes_free(&b);
    }
  } else {
    st = bindery_r2_upload_part_request(up, number, req, &part); // streamed in the host
  }
  bindery_r2_upload_free(up);
  if (st != BINDERY_OK) {
    r2_error(res, st);
    return;
  }
  char line[128];
  snprintf(line, sizeof line, "%u %s", (unsigned)part.part_number, part.etag);
  bindery_r2_part_free(&part);
  bindery_response_text(res, 200, line);
}

static void r2x_complete(bindery_request *req, bindery_response *res, const char *key) {
  bindery_r2_upload *up = resume(req, res, key);
  if (!up) {
    return;
  }
  char *text = read_text(req);
  bindery_r2_part parts[64];
  size_t n = 0;
  for (char *line = strtok(text, "\n"); line && n < 64; line = strtok(NULL, "\n")) {
    char *sp = strchr(line, ' ');
    if (!sp) {
      continue;
    }
    *sp = 0;
    parts[n].part_number = (uint32_t)strtoul(line, NULL, 10);
    parts[n].etag = sp + 1;
    n++;
  }
  bindery_r2_object obj;
  bindery_status st = bindery_r2_upload_complete(up, parts, n, &obj);
  free(text);
  bindery_r2_upload_free(up);
  if (st != BINDERY_OK) {
    r2_error(res, st);
    return;
  }
  char line[256];
  snprintf(line, sizeof line, "%s %llu", obj.etag, (unsigned long long)obj.size);
  bindery_r2_object_free(&obj);
  bindery_response_text(res, 200, line);
}

static void r2x_abort(bindery_request *req, bindery_response *res, const char *key) {
  bindery_r2_upload *up = resume(req, res, key);
  if (!up) {
    return;
  }
  bindery_status st = bindery_r2_upload_abort(up);
  bindery_r2_upload_free(up);
  if (st != BINDERY_OK) {
    r2_error(res, st);
    return;
  }
  bindery_response_status(res, 204);
}

// r2x routes /r2x/...; it returns false for a path it does not know.
static bool r2x(bindery_request *req, bindery_response *res) {
  const char *key;
  const char *m = bindery_request_method(req);
  if ((key = suffix(req, "/r2x/obj/")) && strcmp(m, "PUT") == 0) {
    r2x_put(req, res, key);
  } else if ((key = suffix(req, "/r2x/writer/")) && strcmp(m, "PUT") == 0) {
    r2x_writer(req, res, key);
  } else if ((key = suffix(req, "/r2x/head/")) && strcmp(m, "GET") == 0) {
    r2x_head(res, key);
  } else if ((key = suffix(req, "/r2x/get/")) && strcmp(m, "GET") == 0) {
    r2x_get(req, res, key);
  } else if (is(req, "GET", "/r2x/list")) {
    r2x_list(req, res);
  } else if (is(req, "POST", "/r2x/delete")) {
    r2x_delete(req, res);
  } else if ((key = suffix(req, "/r2x/mpu/")) && strcmp(m, "POST") == 0) {
    r2x_create(res, key);
  } else if ((key = suffix(req, "/r2x/mpu/")) && strcmp(m, "PUT") == 0) {
    r2x_part(req, res, key);
  } else if ((key = suffix(req, "/r2x/mpu/")) && strcmp(m, "DELETE") == 0) {
    r2x_abort(req, res, key);
  } else if ((key = suffix(req, "/r2x/mpu-complete/")) && strcmp(m, "POST") == 0) {
    r2x_complete(req, res, key);
  } else {
    return false;
  }
  return true;
}

// ---- /d1: D1 (conformance/d1_test.go) -----------------------------------------

// put writes the NUL-terminated s.
static void put(bindery_response *res, const char *s) { bindery_response_write(res, s, strlen(s)); }

// json_value writes v as the D1 section renders it: an integer as its
// decimal text, a real as a number, text as a string, a blob as hex.
static void json_value(bindery_response *res, const bindery_d1_value *v) {
  char buf[64];
  switch (v ? v->type : BINDERY_D1_NULL) {
  case BINDERY_D1_INTEGER:
    snprintf(buf, sizeof buf, "\"%lld\"", (long long)v->as.integer);
    put(res, buf);
    break;
  case BINDERY_D1_REAL:
    snprintf(buf, sizeof buf, "%.17g", v->as.real);
    put(res, buf);
    break;
  case BINDERY_D1_TEXT:
    json_string(res, v->as.text.ptr);
    break;
  case BINDERY_D1_BLOB:
    put(res, "\"");
    for (size_t i = 0; i < v->as.blob.len; i++) {
      snprintf(buf, sizeof buf, "%02x", v->as.blob.ptr[i]);
      put(res, buf);
    }
    put(res, "\"");
    break;
  default:
    put(res, "null");
  }
}

// json_row writes row i of r as an object of column: value (D1's first()).
static void json_row(bindery_response *res, const bindery_d1_result *r, size_t i) {
  const bindery_d1_value *row = bindery_d1_result_row(r, i);
  if (!row) {
    put(res, "null");
    return;
  }
  put(res, "{");
  for (size_t j = 0; j < r->ncolumns; j++) {
    put(res, j ? "," : "");
    json_string(res, r->columns[j]);
    put(res, ":");
    json_value(res, &row[j]);
  }
  put(res, "}");
}

// d1_failed answers a D1 call that should not have failed.
static void d1_failed(bindery_response *res, const char *what, bindery_status st) {
  char msg[1200];
  snprintf(msg, sizeof msg, "%s: %s: %s", what, bindery_status_name(st), bindery_errmsg());
  bindery_response_text(res, 500, msg);
}

// d1_count answers count(*) of t as c.
static bindery_status d1_count(bindery_d1_database *db, bindery_response *res) {
  bindery_d1_result r;
  bindery_status st = bindery_d1_query(db, "SELECT count(*) AS c FROM t", NULL, 0, &r);
  if (st != BINDERY_OK) {
    return st;
  }
  json_value(res, bindery_d1_result_get(&r, 0, "c"));
  bindery_d1_result_free(&r);
  return BINDERY_OK;
}

static void d1_insert(bindery_d1_database *db, bindery_response *res) {
  static const uint8_t blob[] = {0x00, 0x01, 0xff};
  bindery_d1_value params[] = {
      bindery_d1_text("h\xc3\xa9llo"),
      bindery_d1_int(9007199254740993LL),
      bindery_d1_real(1.5),
      bindery_d1_blob(blob, sizeof blob),
  };
  bindery_d1_result r;
  bindery_status st = bindery_d1_query(db, "INSERT INTO t (name, n, r, b) VALUES (?1, ?2, ?3, ?4)", params, 4, &r);
  if (st != BINDERY_OK) {
    d1_failed(res, "insert", st);
    return;
  }
  char json[256];
  snprintf(json, sizeof json, "{\"success\":true,\"changes\":%llu,\"last_row_id\":%lld,\"rows_written\":%llu,\"changed_db\":%s}",
           (unsigned long long)r.meta.changes, (long long)r.meta.last_row_id, (unsigned long long)r.meta.rows_written,
           r.meta.changed_db ? "true" : "false");
  bindery_d1_result_free(&r);
  bindery_response_json(res, 200, json);
}

static void d1_first(bindery_d1_database *db, bindery_response *res) {
  bindery_d1_result name, none;
  bindery_status st = bindery_d1_query(db, "SELECT name FROM t WHERE id = 1", NULL, 0, &name);
  if (st != BINDERY_OK) {
    d1_failed(res, "first", st);
    return;
  }
  st = bindery_d1_query(db, "SELECT * FROM t WHERE id = 999", NULL, 0, &none);
  if (st != BINDERY_OK) {
    bindery_d1_result_free(&name);
    d1_failed(res, "first none", st);
    return;
  }
  bindery_response_header(res, "content-type", "application/json");
  put(res, "{\"name\":");
  json_value(res, bindery_d1_result_get(&name, 0, "name"));
  put(res, ",\"none\":");
  json_row(res, &none, 0);
  put(res, "}");
  bindery_d1_result_free(&name);
  bindery_d1_result_free(&none);
}

static void d1_raw(bindery_d1_database *db, bindery_response *res) {
  bindery_d1_result r;
  bindery_status st = bindery_d1_query(db, "SELECT id, name FROM t ORDER BY id", NULL, 0, &r);
  if (st != BINDERY_OK) {
    d1_failed(res, "raw", st);
    return;
  }
  // raw({columnNames: true}): the names, then each row's values.
  bindery_response_header(res, "content-type", "application/json");
  put(res, "[[");
  for (size_t j = 0; j < r.ncolumns; j++) {
    put(res, j ? "," : "");
    json_string(res, r.columns[j]);
  }
  put(res, "]");
  for (size_t i = 0; i < r.nrows; i++) {
    const bindery_d1_value *row = bindery_d1_result_row(&r, i);
    put(res, ",[");
    for (size_t j = 0; j < r.ncolumns; j++) {
      put(res, j ? "," : "");
      json_value(res, &row[j]);
    }
    put(res, "]");
  }
  put(res, "]");
  bindery_d1_result_free(&r);
}

static void d1_batch_ok(bindery_d1_database *db, bindery_response *res) {
  bindery_d1_value a = bindery_d1_text("a"), b = bindery_d1_text("b");
  bindery_d1_statement stmts[] = {
      {"INSERT INTO t (name) VALUES (?)", &a, 1},
      {"INSERT INTO t (name) VALUES (?)", &b, 1},
      {"SELECT count(*) AS c FROM t", NULL, 0},
  };
  bindery_d1_result rs[3];
  bindery_status st = bindery_d1_batch(db, stmts, 3, rs);
  if (st != BINDERY_OK) {
    d1_failed(res, "batch", st);
    return;
  }
  bindery_response_header(res, "content-type", "application/json");
  put(res, "{\"results\":3,\"count\":");
  json_value(res, bindery_d1_result_get(&rs[2], 0, "c"));
  put(res, "}");
  for (int i = 0; i < 3; i++) {
    bindery_d1_result_free(&rs[i]);
  }
}

static void d1_batch_fail(bindery_d1_database *db, bindery_response *res) {
  bindery_d1_statement stmts[] = {
      {"INSERT INTO t (id, name) VALUES (10, 'x')", NULL, 0},
      {"INSERT INTO t (id, name) VALUES (1, 'dup')", NULL, 0},
  };
  bindery_d1_result rs[2];
  bindery_status st = bindery_d1_batch(db, stmts, 2, rs);
  if (st == BINDERY_OK) {
    bindery_d1_result_free(&rs[0]);
    bindery_d1_result_free(&rs[1]);
    bindery_response_text(res, 500, "a batch with a duplicate id succeeded");
    return;
  }
  bindery_response_header(res, "content-type", "application/json");
  put(res, "{\"error\":");
  json_string(res, bindery_errmsg());
  put(res, ",\"count\":");
  if ((st = d1_count(db, res)) != BINDERY_OK) {
    bindery_fail(res, bindery_errmsg());
    return;
  }
  put(res, "}");
}

static void d1_errors(bindery_d1_database *db, bindery_response *res) {
  bindery_d1_result r;
  bindery_response_header(res, "content-type", "application/json");
  // The message of each failure (an unexpected success answers "").
  bindery_status st = bindery_d1_query(db, "SELECT * FROM nope", NULL, 0, &r);
  put(res, "{\"sql\":");
  json_string(res, st == BINDERY_OK ? "" : bindery_errmsg());
  if (st == BINDERY_OK) {
    bindery_d1_result_free(&r);
  }
  st = bindery_d1_query(db, "ATTACH DATABASE 'x.db' AS x", NULL, 0, &r);
  put(res, ",\"refused\":");
  json_string(res, st == BINDERY_OK ? "" : bindery_errmsg());
  if (st == BINDERY_OK) {
    bindery_d1_result_free(&r);
  }
  char sql[16 + 2 * 101];
  bindery_d1_value params[101];
  strcpy(sql, "SELECT ?");
  params[0] = bindery_d1_int(1);
  for (int i = 1; i < 101; i++) {
    strcat(sql, ",?");
    params[i] = bindery_d1_int(i + 1);
  }
  st = bindery_d1_query(db, sql, params, 101, &r);
  put(res, ",\"params\":");
  json_string(res, st == BINDERY_OK ? "" : bindery_errmsg());
  if (st == BINDERY_OK) {
    bindery_d1_result_free(&r);
  }
  put(res, "}");
}

static void d1_session(bindery_d1_database *db, bindery_response *res) {
  bindery_d1_session *s;
  bindery_status st = bindery_d1_session_open(db, "first-primary", &s);
  if (st != BINDERY_OK) {
    d1_failed(res, "session", st);
    return;
  }
  bindery_d1_result r;
  st = bindery_d1_session_query(s, "SELECT count(*) AS c FROM t", NULL, 0, &r);
  if (st != BINDERY_OK) {
    bindery_d1_session_free(s);
    d1_failed(res, "session query", st);
    return;
  }
  bindery_response_header(res, "content-type", "application/json");
  put(res, "{\"count\":");
  json_value(res, bindery_d1_result_get(&r, 0, "c"));
  put(res, ",\"bookmark\":");
  const char *bm = bindery_d1_session_bookmark(s);
  if (bm) {
    json_string(res, bm);
  } else {
    put(res, "null");
  }
  put(res, "}");
  bindery_d1_result_free(&r);
  bindery_d1_session_free(s);
}

// d1x exercises what the D1 section does not (c_test.go's TestCSDKD1):
// every value type both ways, exec, meta, statuses and sessions, in one
// line of "what;" items.
static void d1x(bindery_response *res) {
  char buf[256];
  bindery_d1_database *db;
  bindery_status st = bindery_d1_open(BINDING_D1, &db);
  if (st != BINDERY_OK) {
    d1_failed(res, "open", st);
    return;
  }
  bindery_d1_value in[] = {
      bindery_d1_int(INT64_MIN), bindery_d1_int(INT64_MAX), bindery_d1_int(-1),
      bindery_d1_real(-0.25),    bindery_d1_text(""),       bindery_d1_textn("a\0b", 3),
      bindery_d1_blob(NULL, 0),  bindery_d1_blob("\x00\xff", 2), bindery_d1_null(),
  };
  bindery_d1_result r;
  st = bindery_d1_query(db, "SELECT ?1 AS a, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9", in, 9, &r);
  if (st != BINDERY_OK) {
    d1_failed(res, "types", st);
    return;
  }
  const bindery_d1_value *row = bindery_d1_result_row(&r, 0);
  for (size_t i = 0; i < r.ncolumns; i++) {
    const bindery_d1_value *v = &row[i];
    switch (v->type) {
    case BINDERY_D1_INTEGER:
      snprintf(buf, sizeof buf, "int %lld;", (long long)v->as.integer);
      put(res, buf);
      break;
    case BINDERY_D1_REAL:
      snprintf(buf, sizeof buf, "real %g;", v->as.real);
      put(res, buf);
      break;
    case BINDERY_D1_TEXT:
      put(res, "text \"");
      for (size_t j = 0; j < v->as.text.len; j++) {
        unsigned char ch = (unsigned char)v->as.text.ptr[j];
        snprintf(buf, sizeof buf, ch >= 0x20 && ch < 0x7f ? "%c" : "\\x%02x", ch);
        put(res, buf);
      }
      snprintf(buf, sizeof buf, "\" nul=%d;", v->as.text.ptr[v->as.text.len] == 0);
      put(res, buf);
      break;
    case BINDERY_D1_BLOB:
      put(res, "blob ");
      for (size_t j = 0; j < v->as.blob.len; j++) {
        snprintf(buf, sizeof buf, "%02x", v->as.blob.ptr[j]);
        put(res, buf);
      }
      put(res, ";");
      break;
    default:
      put(res, "null;");
    }
  }
  snprintf(buf, sizeof buf, "col %s %ld %ld;", r.columns[0], bindery_d1_result_column(&r, "a"),
           bindery_d1_result_column(&r, "nope"));
  put(res, buf);
  bindery_d1_result_free(&r);
  bindery_d1_exec_result e;
  st = bindery_d1_exec(db, "DROP TABLE IF EXISTS z; CREATE TABLE z (id INTEGER PRIMARY KEY, v TEXT); INSERT INTO z (v) VALUES ('x')", &e);
  snprintf(buf, sizeof buf, "exec %s %u;", bindery_status_name(st), (unsigned)e.count);
  put(res, buf);
  bindery_d1_value y = bindery_d1_text("y");
  if ((st = bindery_d1_query(db, "INSERT INTO z (v) VALUES (?)", &y, 1, &r)) == BINDERY_OK) {
    snprintf(buf, sizeof buf, "meta %lld %llu %llu %d;", (long long)r.meta.last_row_id, (unsigned long long)r.meta.changes,
             (unsigned long long)r.meta.rows_written, r.meta.changed_db);
    put(res, buf);
    bindery_d1_result_free(&r);
  }
  if ((st = bindery_d1_query(db, "SELECT v FROM z WHERE id = 99", NULL, 0, &r)) == BINDERY_OK) {
    snprintf(buf, sizeof buf, "none %zu %d;", r.nrows, bindery_d1_result_get(&r, 0, "v") == NULL);
    put(res, buf);
    bindery_d1_result_free(&r);
  }
  // D1's errors, as statuses.
  const char *bad[] = {"SELECT nope FROM z", "ATTACH DATABASE 'x' AS x", "SELECT :name",
                       "INSERT INTO z (id, v) VALUES (1, 'dup')"};
  for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
    st = bindery_d1_query(db, bad[i], NULL, 0, &r);
    snprintf(buf, sizeof buf, "%s;", bindery_status_name(st));
    put(res, buf);
    if (st == BINDERY_OK) {
      bindery_d1_result_free(&r);
    }
  }
  bindery_d1_value many[101];
  for (int i = 0; i < 101; i++) {
    many[i] = bindery_d1_null();
  }
  st = bindery_d1_query(db, "SELECT 1", many, 101, &r);
  snprintf(buf, sizeof buf, "%s;", bindery_status_name(st));
  put(res, buf);
  if (st == BINDERY_OK) {
    bindery_d1_result_free(&r);
  }
  bindery_d1_database *nope;
  snprintf(buf, sizeof buf, "%s;", bindery_status_name(bindery_d1_open("NOPE", &nope)));
  put(res, buf);
  // A session: no bookmark before its first query; a bookmark from one
  // session starts another; a bad one is refused.
  bindery_d1_session *s, *s2;
  if (bindery_d1_session_open(db, NULL, &s) != BINDERY_OK) {
    bindery_fail(res, bindery_errmsg());
    return;
  }
  snprintf(buf, sizeof buf, "bookmark %d;", bindery_d1_session_bookmark(s) == NULL);
  put(res, buf);
  bindery_d1_value z = bindery_d1_text("z");
  bindery_d1_statement stmts[] = {{"INSERT INTO z (v) VALUES (?)", &z, 1}, {"SELECT count(*) AS n FROM z", NULL, 0}};
  bindery_d1_result rs[2];
  if ((st = bindery_d1_session_batch(s, stmts, 2, rs)) == BINDERY_OK) {
    snprintf(buf, sizeof buf, "batch %lld;", (long long)bindery_d1_result_get(&rs[1], 0, "n")->as.integer);
    put(res, buf);
    bindery_d1_result_free(&rs[0]);
    bindery_d1_result_free(&rs[1]);
  }
  const char *bm = bindery_d1_session_bookmark(s);
  if (bm && bindery_d1_session_open(db, bm, &s2) == BINDERY_OK) {
    if (bindery_d1_session_query(s2, "SELECT count(*) AS n FROM z", NULL, 0, &r) == BINDERY_OK) {
      snprintf(buf, sizeof buf, "session %lld;", (long long)bindery_d1_result_get(&r, 0, "n")->as.integer);
      put(res, buf);
      bindery_d1_result_free(&r);
    }
    bindery_d1_session_free(s2);
  }
  bindery_d1_session_free(s);
  snprintf(buf, sizeof buf, "%s;", bindery_status_name(bindery_d1_session_open(db, "not-a-bookmark", &s2)));
  put(res, buf);
}

// d1 routes /d1/...; it returns false for a path it does not know.
static bool d1(bindery_request *req, bindery_response *res) {
  if (!suffix(req, "/d1/")) {
    return false;
  }
  bindery_d1_database *db;
  bindery_status st = bindery_d1_open(BINDING_D1, &db);
  if (st != BINDERY_OK) {
    d1_failed(res, "open", st);
    return true;
  }
  if (is(req, "POST", "/d1/setup")) {
    bindery_d1_exec_result e;
    st = bindery_d1_exec(db,
                         "DROP TABLE IF EXISTS t; CREATE TABLE t (id INTEGER PRIMARY KEY, name TEXT NOT NULL, "
                         "n INTEGER, r REAL, b BLOB)",
                         &e);
    if (st != BINDERY_OK) {
      d1_failed(res, "setup", st);
      return true;
    }
    char json[64];
    snprintf(json, sizeof json, "{\"count\":%u}", (unsigned)e.count);
    bindery_response_json(res, 200, json);
  } else if (is(req, "POST", "/d1/insert")) {
    d1_insert(db, res);
  } else if (is(req, "GET", "/d1/row")) {
    bindery_d1_value id = bindery_d1_int(1);
    bindery_d1_result r;
    st = bindery_d1_query(db, "SELECT id, name, n, r, b, NULL AS z FROM t WHERE id = ?", &id, 1, &r);
    if (st != BINDERY_OK) {
      d1_failed(res, "row", st);
      return true;
    }
    bindery_response_header(res, "content-type", "application/json");
    json_row(res, &r, 0);
    bindery_d1_result_free(&r);
  } else if (is(req, "GET", "/d1/first")) {
    d1_first(db, res);
  } else if (is(req, "GET", "/d1/raw")) {
    d1_raw(db, res);
  } else if (is(req, "POST", "/d1/batch")) {
    d1_batch_ok(db, res);
  } else if (is(req, "POST", "/d1/batch-fail")) {
    d1_batch_fail(db, res);
  } else if (is(req, "GET", "/d1/errors")) {
    d1_errors(db, res);
  } else if (is(req, "GET", "/d1/session")) {
    d1_session(db, res);
  } else {
    bindery_response_text(res, 404, "not found");
  }
  return true;
}

// ---- failures and input the host could not take (harness_test.go, sdkerrors_test.go)

#define FAILURE "ConformanceFailure: failed on purpose"

// fail_stream starts a streamed 200 (128 KiB of 'x': past the SDK's 64 KiB
// buffer, so the head and most of the body are out), then fails.
static void fail_stream(bindery_response *res) {
  static char x[128 * 1024];
  memset(x, 'x', sizeof x);
  bindery_response_header(res, "content-type", "application/octet-stream");
  if (bindery_response_write(res, x, sizeof x) != BINDERY_OK) {
    return;
  }
  bindery_failf(res, "%s mid-stream", FAILURE);
}

static void kv_not_utf8(bindery_response *res) {
  bindery_status st = bindery_kv_put(BINDING_KV, "\xff\xfe", "x", 1);
  if (st != BINDERY_ERR_INVALID) {
    char msg[128];
    snprintf(msg, sizeof msg, "want BINDERY_ERR_INVALID, got %s", bindery_status_name(st));
    bindery_response_text(res, 500, msg);
    return;
  }
  error(res, 400);
}

// check adds to the JSON object of /sdk-errors: "" when got is want (and
// the message says UTF-8, for a string the SDK refused), else what happened.
static void check(bindery_response *res, bool *first, const char *name, bindery_status got, bindery_status want) {
  char line[512];
  const char *problem = "";
  char why[400];
  if (got != want) {
    snprintf(why, sizeof why, "got %s (%s), want %s", bindery_status_name(got), bindery_errmsg(), bindery_status_name(want));
    problem = why;
  } else if (want == BINDERY_ERR_INVALID && !strstr(bindery_errmsg(), "UTF-8")) {
    snprintf(why, sizeof why, "the message %s does not say UTF-8", bindery_errmsg());
    problem = why;
  }
  snprintf(line, sizeof line, "%s\"%s\":", *first ? "{" : ",", name);
  bindery_response_write(res, line, strlen(line));
  json_string(res, problem);
  *first = false;
}

// sdk_errors calls the SDK with strings that are not UTF-8 wherever it
// takes one; each must fail with the typed error before it reaches the
// host, which would end the request and discard the instance.
static void sdk_errors(bindery_response *res) {
  const char *bad = "\xff\xfe";
  const char *bads[] = {"fine", bad};
  bool first = true;
  bindery_r2_object obj;
  bindery_body *body;
  bindery_bytes v;
  bindery_r2_writer *w;
  bindery_r2_upload *up;
  bindery_r2_objects page;
  bindery_status st;
  // A header the SDK refuses is not added, and the response still goes out.
  check(res, &first, "response header name", bindery_response_header(res, bad, "v"), BINDERY_ERR_INVALID);
  bindery_response_header(res, "content-type", "application/json");
  check(res, &first, "kv binding", bindery_kv_get(bad, "k", &v), BINDERY_ERR_INVALID);
  check(res, &first, "kv get", bindery_kv_get(BINDING_KV, bad, &v), BINDERY_ERR_INVALID);
  check(res, &first, "kv put", bindery_kv_put(BINDING_KV, bad, "x", 1), BINDERY_ERR_INVALID);
  bindery_kv_options ko = {.metadata = bad};
  check(res, &first, "kv put metadata", bindery_kv_put_with(BINDING_KV, "k", "x", 1, &ko), BINDERY_ERR_INVALID);
  check(res, &first, "kv delete", bindery_kv_delete(BINDING_KV, bad), BINDERY_ERR_INVALID);
  check(res, &first, "var", bindery_var(bad) == NULL ? BINDERY_NOT_FOUND : BINDERY_OK, BINDERY_NOT_FOUND);
  check(res, &first, "r2 binding", bindery_r2_head(bad, "k", &obj), BINDERY_ERR_INVALID);
  check(res, &first, "r2 head", bindery_r2_head(BINDING_R2, bad, &obj), BINDERY_ERR_INVALID);
  check(res, &first, "r2 get", bindery_r2_get(BINDING_R2, bad, &obj, &body), BINDERY_ERR_INVALID);
  bindery_r2_conditional cond = {.etag_matches = bads, .etag_matches_len = 2};
  bindery_r2_get_options go = {.only_if = &cond};
  check(res, &first, "r2 get onlyIf", bindery_r2_get_with(BINDING_R2, "k", &go, &obj, &body), BINDERY_ERR_INVALID);
  check(res, &first, "r2 put", bindery_r2_put(BINDING_R2, bad, "x", 1, NULL), BINDERY_ERR_INVALID);
  bindery_r2_http_metadata http = {.cache_control = bad};
  bindery_r2_put_options po = {.http_metadata = &http};
  check(res, &first, "r2 put http metadata", bindery_r2_put_with(BINDING_R2, "k", "x", 1, &po, NULL), BINDERY_ERR_INVALID);
  bindery_r2_pair pair = {"owner", bad};
  bindery_r2_put_options po2 = {.custom_metadata = &pair, .custom_metadata_len = 1};
  check(res, &first, "r2 put custom metadata", bindery_r2_put_with(BINDING_R2, "k", "x", 1, &po2, NULL), BINDERY_ERR_INVALID);
  bindery_r2_put_options po3 = {.storage_class = bad};
  check(res, &first, "r2 put storage class", bindery_r2_put_with(BINDING_R2, "k", "x", 1, &po3, NULL), BINDERY_ERR_INVALID);
  bindery_r2_put_options po4 = {.only_if = &cond};
  check(res, &first, "r2 put onlyIf", bindery_r2_put_with(BINDING_R2, "k", "x", 1, &po4, NULL), BINDERY_ERR_INVALID);
  check(res, &first, "r2 delete", bindery_r2_delete(BINDING_R2, bad), BINDERY_ERR_INVALID);
  check(res, &first, "r2 delete many", bindery_r2_delete_many(BINDING_R2, bads, 2), BINDERY_ERR_INVALID);
  check(res, &first, "r2 writer", bindery_r2_writer_open(BINDING_R2, bad, NULL, &w), BINDERY_ERR_INVALID);
  bindery_r2_list_options lo = {.start_after = bad};
  check(res, &first, "r2 list", bindery_r2_list(BINDING_R2, &lo, &page), BINDERY_ERR_INVALID);
  check(res, &first, "r2 multipart create", bindery_r2_multipart_create(BINDING_R2, bad, NULL, &up), BINDERY_ERR_INVALID);
  bindery_r2_multipart_options mo = {.http_metadata = &http};
  check(res, &first, "r2 multipart options", bindery_r2_multipart_create(BINDING_R2, "k", &mo, &up), BINDERY_ERR_INVALID);
  check(res, &first, "r2 multipart resume", bindery_r2_multipart_resume(BINDING_R2, "k", bad, &up), BINDERY_ERR_INVALID);
  st = bindery_r2_multipart_create(BINDING_R2, "mpu-sdk-errors", NULL, &up);
  check(res, &first, "r2 multipart", st, BINDERY_OK);
  if (st == BINDERY_OK) {
    bindery_r2_part parts[] = {{1, bad}};
    check(res, &first, "r2 complete etag", bindery_r2_upload_complete(up, parts, 1, NULL), BINDERY_ERR_INVALID_PART);
    bindery_r2_upload_abort(up);
    bindery_r2_upload_free(up);
  }
  bindery_d1_database *db;
  check(res, &first, "d1 binding", bindery_d1_open(bad, &db), BINDERY_ERR_INVALID);
  st = bindery_d1_open(BINDING_D1, &db);
  check(res, &first, "d1 open", st, BINDERY_OK);
  if (st == BINDERY_OK) {
    bindery_d1_result r;
    bindery_d1_exec_result e;
    bindery_d1_session *s;
    bindery_d1_value text = bindery_d1_textn("a\xff", 2);
    check(res, &first, "d1 query sql", bindery_d1_query(db, bad, NULL, 0, &r), BINDERY_ERR_INVALID);
    check(res, &first, "d1 query text value", bindery_d1_query(db, "SELECT ?", &text, 1, &r), BINDERY_ERR_INVALID);
    bindery_d1_statement stmts[] = {{"SELECT 1", NULL, 0}, {"SELECT ?", &text, 1}};
    bindery_d1_result rs[2];
    check(res, &first, "d1 batch text value", bindery_d1_batch(db, stmts, 2, rs), BINDERY_ERR_INVALID);
    bindery_d1_statement bad_sql[] = {{"SELECT 1", NULL, 0}, {bad, NULL, 0}};
    check(res, &first, "d1 batch sql", bindery_d1_batch(db, bad_sql, 2, rs), BINDERY_ERR_INVALID);
    check(res, &first, "d1 exec", bindery_d1_exec(db, bad, &e), BINDERY_ERR_INVALID);
    check(res, &first, "d1 session bookmark", bindery_d1_session_open(db, bad, &s), BINDERY_ERR_INVALID);
    st = bindery_d1_session_open(db, NULL, &s);
    check(res, &first, "d1 session", st, BINDERY_OK);
    if (st == BINDERY_OK) {
      check(res, &first, "d1 session query sql", bindery_d1_session_query(s, bad, NULL, 0, &r), BINDERY_ERR_INVALID);
      check(res, &first, "d1 session batch text value", bindery_d1_session_batch(s, stmts, 2, rs), BINDERY_ERR_INVALID);
      bindery_d1_session_free(s);
    }
  }
  bindery_response_write(res, "}", 1);
}

// ---- Queues and cron triggers (conformance/queues_test.go) ------------------

#define BINDING_QUEUE "QUEUE"

// sb is a growing string.
typedef struct sb {
  char *s;
  size_t len, cap;
} sb;

static void sb_add(sb *b, const char *s, size_t n) {
  if (b->len + n + 1 > b->cap) {
    b->cap = (b->len + n + 1) * 2;
    b->s = realloc(b->s, b->cap);
    if (!b->s) {
      abort();
    }
  }
  memcpy(b->s + b->len, s, n);
  b->len += n;
  b->s[b->len] = 0;
}

static void sb_str(sb *b, const char *s) { sb_add(b, s, strlen(s)); }

static void sb_printf(sb *b, const char *format, ...) __attribute__((format(printf, 2, 3)));
static void sb_printf(sb *b, const char *format, ...) {
  char tmp[128];
  va_list ap;
  va_start(ap, format);
  int n = vsnprintf(tmp, sizeof tmp, format, ap);
  va_end(ap);
  sb_add(b, tmp, (size_t)n < sizeof tmp ? (size_t)n : sizeof tmp - 1);
}

// sb_json writes n bytes of UTF-8 as a JSON string.
static void sb_json(sb *b, const char *s, size_t n) {
  sb_add(b, "\"", 1);
  for (size_t i = 0; i < n; i++) {
    unsigned char c = (unsigned char)s[i];
    if (c == '"' || c == '\\') {
      char esc[2] = {'\\', (char)c};
      sb_add(b, esc, 2);
    } else if (c < 0x20) {
      sb_printf(b, "\\u%04x", c);
    } else {
      sb_add(b, s + i, 1);
    }
  }
  sb_add(b, "\"", 1);
}

static void sb_hex(sb *b, const uint8_t *p, size_t n) {
  for (size_t i = 0; i < n; i++) {
    sb_printf(b, "%02x", p[i]);
  }
}

// answer_send answers {"ok":true} or the SDK's error message.
static void answer_send(bindery_response *res, bindery_status st) {
  bindery_response_header(res, "content-type", "application/json");
  if (st == BINDERY_OK) {
    bindery_response_text(res, 200, "{\"ok\":true}");
    return;
  }
  sb b = {0};
  sb_str(&b, "{\"error\":");
  const char *msg = bindery_errmsg();
  sb_json(&b, msg, strlen(msg));
  sb_str(&b, "}");
  bindery_response_text(res, 200, b.s);
  free(b.s);
}

// unescape %-decodes n bytes at s (and '+' as a space when plus) into a
// malloc'd string.
static char *unescape(const char *s, size_t n, bool plus) {
  char *out = malloc(n + 1);
  size_t j = 0;
  for (size_t i = 0; i < n; i++) {
    if (s[i] == '%' && i + 2 < n + 1 && isxdigit((unsigned char)s[i + 1]) && isxdigit((unsigned char)s[i + 2])) {
      char hex[3] = {s[i + 1], s[i + 2], 0};
      out[j++] = (char)strtol(hex, NULL, 16);
      i += 2;
    } else if (plus && s[i] == '+') {
      out[j++] = ' ';
    } else {
      out[j++] = s[i];
    }
  }
  out[j] = 0;
  return out;
}

// query_param returns the decoded value of the query parameter name
// (malloc'd), or NULL.
static char *query_param(bindery_request *req, const char *name) {
  const char *q = bindery_request_query(req);
  size_t n = strlen(name);
  while (*q) {
    const char *end = strchr(q, '&');
    size_t len = end ? (size_t)(end - q) : strlen(q);
    if (len > n && strncmp(q, name, n) == 0 && q[n] == '=') {
      return unescape(q + n + 1, len - n - 1, true);
    }
    q += len + (end ? 1 : 0);
  }
  return NULL;
}

// A minimal JSON reader: enough for the section's bodies.

static const char *json_ws(const char *p) {
  while (*p == ' ' || *p == '\t' || *p == '\n' || *p == '\r') {
    p++;
  }
  return p;
}

// json_str reads the string at p (at its '"') into a malloc'd *out (may
// be NULL to skip it) and returns what follows, or NULL.
static const char *json_str(const char *p, char **out) {
  if (*p != '"') {
    return NULL;
  }
  sb b = {0};
  sb_add(&b, "", 0);
  for (p++; *p && *p != '"'; p++) {
    if (*p != '\\') {
      sb_add(&b, p, 1);
      continue;
    }
    p++;
    char c = *p;
    switch (c) {
    case 'n': c = '\n'; break;
    case 't': c = '\t'; break;
    case 'r': c = '\r'; break;
    case 'b': c = '\b'; break;
    case 'f': c = '\f'; break;
    case 'u': {
      char hex[5] = {0};
      for (int i = 0; i < 4 && p[1 + i]; i++) {
        hex[i] = p[1 + i];
      }
      unsigned u = (unsigned)strtoul(hex, NULL, 16);
      p += 4;
      // The section's texts are ASCII; anything else as UTF-8 of the BMP.
      char utf[3];
      if (u < 0x80) {
        utf[0] = (char)u;
        sb_add(&b, utf, 1);
      } else if (u < 0x800) {
        utf[0] = (char)(0xc0 | (u >> 6));
        utf[1] = (char)(0x80 | (u & 0x3f));
        sb_add(&b, utf, 2);
      } else {
        utf[0] = (char)(0xe0 | (u >> 12));
        utf[1] = (char)(0x80 | ((u >> 6) & 0x3f));
        utf[2] = (char)(0x80 | (u & 0x3f));
        sb_add(&b, utf, 3);
      }
      continue;
    }
    default:
      break; // '"', '\\', '/'
    }
    sb_add(&b, &c, 1);
  }
  if (*p != '"') {
    free(b.s);
    return NULL;
  }
  if (out) {
    *out = b.s;
  } else {
    free(b.s);
  }
  return p + 1;
}

// json_skip passes over the value at p and returns what follows, or NULL.
static const char *json_skip(const char *p) {
  p = json_ws(p);
  if (*p == '"') {
    return json_str(p, NULL);
  }
  if (*p == '{' || *p == '[') {
    char close = *p == '{' ? '}' : ']';
    p = json_ws(p + 1);
    if (*p == close) {
      return p + 1;
    }
    for (;;) {
      if (close == '}') {
        p = json_str(json_ws(p), NULL);
        if (!p || *(p = json_ws(p)) != ':') {
          return NULL;
        }
        p++;
      }
      if (!(p = json_skip(p))) {
        return NULL;
      }
      p = json_ws(p);
      if (*p == close) {
        return p + 1;
      }
      if (*p != ',') {
        return NULL;
      }
      p++;
    }
  }
  const char *start = p;
  while (*p && strchr(",}] \t\r\n", *p) == NULL) {
    p++;
  }
  return p == start ? NULL : p;
}

// json_field returns the string field name of the object in text
// (malloc'd), or NULL.
static char *json_field(const char *text, const char *name) {
  const char *p = json_ws(text);
  if (*p != '{') {
    return NULL;
  }
  p = json_ws(p + 1);
  while (p && *p == '"') {
    char *k = NULL;
    p = json_str(p, &k);
    if (!p || *(p = json_ws(p)) != ':') {
      free(k);
      return NULL;
    }
    p = json_ws(p + 1);
    if (strcmp(k, name) == 0 && *p == '"') {
      char *v = NULL;
      free(k);
      json_str(p, &v);
      return v;
    }
    free(k);
    p = json_skip(p);
    if (!p) {
      return NULL;
    }
    p = json_ws(p);
    if (*p != ',') {
      return NULL;
    }
    p = json_ws(p + 1);
  }
  return NULL;
}

// the v8 value the section sends: {"key": K, "n": 1.5, "b": bytes 00 01 ff}.
static bindery_status send_v8(bindery_queue *q, const char *key) {
  static const uint8_t b[] = {0x00, 0x01, 0xff};
  bindery_sv_writer w;
  bindery_sv_writer_init(&w);
  bindery_sv_object_begin(&w, 3);
  bindery_sv_key(&w, "key", 3);
  bindery_sv_write_string(&w, key, strlen(key));
  bindery_sv_key(&w, "n", 1);
  bindery_sv_write_number(&w, 1.5);
  bindery_sv_key(&w, "b", 1);
  bindery_sv_write_bytes(&w, b, sizeof b);
  bindery_bytes enc;
  if (bindery_sv_writer_finish(&w, &enc) != BINDERY_OK) {
    abort();
  }
  bindery_status st = bindery_queue_send_value(q, enc.data, enc.len, NULL);
  bindery_bytes_free(&enc);
  return st;
}

static void queue_send(bindery_request *req, bindery_response *res) {
  bindery_queue *q;
  bindery_status st = bindery_queue_open(BINDING_QUEUE, &q);
  if (st != BINDERY_OK) {
    answer_send(res, st);
    return;
  }
  char *type = query_param(req, "type");
  if (type && strcmp(type, "v8") == 0) {
    char *key = query_param(req, "key");
    answer_send(res, send_v8(q, key ? key : ""));
    free(key);
    free(type);
    return;
  }
  bindery_bytes body;
  if (bindery_request_read_all(req, &body) != BINDERY_OK) {
    free(type);
    error(res, 500);
    return;
  }
  bindery_queue_send_request m = {.body = body.data, .len = body.len};
  if (!type || strcmp(type, "text") == 0) {
    m.content_type = BINDERY_QUEUE_TEXT;
  } else if (strcmp(type, "bytes") == 0) {
    m.content_type = BINDERY_QUEUE_BYTES;
  } else if (strcmp(type, "json") == 0) {
    m.content_type = BINDERY_QUEUE_JSON;
  } else {
    bindery_bytes_free(&body);
    free(type);
    bindery_response_text(res, 400, "unknown type");
    return;
  }
  st = bindery_queue_send(q, &m);
  bindery_bytes_free(&body);
  free(type);
  answer_send(res, st);
}

// queue_batch sends the body's JSON array of strings as one batch of texts.
static void queue_batch(bindery_request *req, bindery_response *res) {
  char *text = read_text(req);
  char *strs[200];
  bindery_queue_send_request msgs[200];
  size_t n = 0;
  const char *p = text ? json_ws(text) : NULL;
  if (p && *p == '[') {
    p = json_ws(p + 1);
    while (p && *p == '"' && n < 200) {
      p = json_str(p, &strs[n]);
      if (!p) {
        break;
      }
      msgs[n] = (bindery_queue_send_request){.content_type = BINDERY_QUEUE_TEXT, .body = strs[n], .len = strlen(strs[n])};
      n++;
      p = json_ws(p);
      if (*p == ',') {
        p = json_ws(p + 1);
      }
    }
  }
  free(text);
  bindery_queue *q;
  bindery_status st = bindery_queue_open(BINDING_QUEUE, &q);
  if (st == BINDERY_OK) {
    st = bindery_queue_send_batch(q, msgs, n, NULL);
  }
  for (size_t i = 0; i < n; i++) {
    free(strs[i]);
  }
  answer_send(res, st);
}

// limit_error adds "name": the error message of st (or null on success).
static void limit_error(sb *b, const char *name, bindery_status st) {
  sb_json(b, name, strlen(name));
  sb_str(b, ":");
  if (st == BINDERY_OK) {
    sb_str(b, "null");
    return;
  }
  const char *msg = bindery_errmsg();
  sb_json(b, msg, strlen(msg));
}

static void queue_limits(bindery_response *res) {
  bindery_queue *q;
  if (bindery_queue_open(BINDING_QUEUE, &q) != BINDERY_OK) {
    error(res, 500);
    return;
  }
  sb b = {0};
  sb_str(&b, "{");
  char *large = malloc(131072 + 1);
  memset(large, 'x', 131072);
  large[131072] = 0;
  limit_error(&b, "large", bindery_queue_send_text(q, large, NULL));
  free(large);
  sb_str(&b, ",");
  bindery_queue_send_request many[101];
  for (size_t i = 0; i < 101; i++) {
    many[i] = (bindery_queue_send_request){.content_type = BINDERY_QUEUE_TEXT, .body = "x", .len = 1};
  }
  limit_error(&b, "many", bindery_queue_send_batch(q, many, 101, NULL));
  sb_str(&b, ",");
  limit_error(&b, "delay",
              bindery_queue_send_text(q, "x", &(bindery_queue_options){.has_delay = true, .delay_seconds = 86401}));
  sb_str(&b, "}");
  bindery_response_header(res, "content-type", "application/json");
  bindery_response_text(res, 200, b.s);
  free(b.s);
}

// kv_json answers the KV value of prefix+name as is, or null.
static void kv_json(bindery_response *res, const char *prefix, const char *name) {
  sb key = {0};
  sb_str(&key, prefix);
  sb_str(&key, name);
  bindery_bytes v;
  bindery_response_header(res, "content-type", "application/json");
  switch (bindery_kv_get(BINDING_KV, key.s, &v)) {
  case BINDERY_OK:
    bindery_response_write(res, v.data, v.len);
    bindery_bytes_free(&v);
    break;
  case BINDERY_NOT_FOUND:
    bindery_response_text(res, 200, "null");
    break;
  default:
    error(res, 500);
  }
  free(key.s);
}

static bool queue_route(bindery_request *req, bindery_response *res) {
  const char *rest;
  if (is(req, "POST", "/queue/send")) {
    queue_send(req, res);
  } else if (is(req, "POST", "/queue/batch")) {
    queue_batch(req, res);
  } else if (is(req, "GET", "/queue/limits")) {
    queue_limits(res);
  } else if (strcmp(bindery_request_method(req), "GET") == 0 && (rest = suffix(req, "/queue/seen/"))) {
    char *key = unescape(rest, strlen(rest), false);
    kv_json(res, "seen:", key);
    free(key);
  } else if (strcmp(bindery_request_method(req), "GET") == 0 && (rest = suffix(req, "/queue/dead/"))) {
    char *key = unescape(rest, strlen(rest), false);
    kv_json(res, "dead:", key);
    free(key);
  } else if (is(req, "GET", "/cron/last")) {
    char *cron = query_param(req, "cron");
    kv_json(res, "cron:", cron ? cron : "");
    free(cron);
  } else {
    return false;
  }
  return true;
}

// sv_json renders the next structured value as JSON, bytes as lowercase
// hex; it also picks up the top-level object's "key" and "mode" strings
// when top is set.
static void sv_json(bindery_sv_reader *r, sb *b, bool top, char **key, char **mode) {
  bindery_sv_item it;
  switch (bindery_sv_next(r, &it)) {
  case BINDERY_SV_NULL:
  case BINDERY_SV_UNDEFINED:
  case BINDERY_SV_END:
    sb_str(b, "null");
    break;
  case BINDERY_SV_BOOL:
    sb_str(b, it.boolean ? "true" : "false");
    break;
  case BINDERY_SV_NUMBER:
  case BINDERY_SV_DATE:
    if (it.number == (double)(int64_t)it.number) {
      sb_printf(b, "%lld", (long long)it.number);
    } else {
      sb_printf(b, "%.17g", it.number);
    }
    break;
  case BINDERY_SV_STRING:
    sb_json(b, (const char *)it.data, it.len);
    break;
  case BINDERY_SV_BYTES:
  case BINDERY_SV_TYPED:
  case BINDERY_SV_BIGINT:
    sb_str(b, "\"");
    sb_hex(b, it.data, it.len);
    sb_str(b, "\"");
    break;
  case BINDERY_SV_ARRAY:
  case BINDERY_SV_SET:
    sb_str(b, "[");
    for (size_t i = 0; i < it.count; i++) {
      if (i) {
        sb_str(b, ",");
      }
      sv_json(r, b, false, NULL, NULL);
    }
    sb_str(b, "]");
    break;
  case BINDERY_SV_OBJECT:
  case BINDERY_SV_MAP:
    sb_str(b, "{");
    for (size_t i = 0; i < it.count; i++) {
      if (i) {
        sb_str(b, ",");
      }
      bindery_sv_item k;
      if (bindery_sv_next(r, &k) == BINDERY_SV_STRING) {
        sb_json(b, (const char *)k.data, k.len);
      } else {
        sb_str(b, "\"?\"");
      }
      sb_str(b, ":");
      size_t vat = b->len;
      sv_json(r, b, false, NULL, NULL);
      if (top && k.kind == BINDERY_SV_STRING && b->s[vat] == '"') {
        char **dst = k.len == 3 && memcmp(k.data, "key", 3) == 0    ? key
                     : k.len == 4 && memcmp(k.data, "mode", 4) == 0 ? mode
                                                                    : NULL;
        if (dst && !*dst) {
          json_str(b->s + vat, dst);
        }
      }
    }
    sb_str(b, "}");
    break;
  case BINDERY_SV_ERROR:
    sb_json(b, it.message, it.message_len);
    if (it.has_cause) {
      bindery_sv_skip(r);
    }
    break;
  }
}

// decoded is one message as the section reads it.
typedef struct decoded {
  char *key;  // the key
  char *mode; // the json/v8 value's "mode", or NULL
  sb body;    // R: the body rendered as JSON
} decoded;

static void decode(bindery_message *m, decoded *d) {
  memset(d, 0, sizeof *d);
  size_t len;
  const uint8_t *body = bindery_message_body(m, &len);
  switch (bindery_message_content_type(m)) {
  case BINDERY_QUEUE_TEXT:
    d->key = strdup((const char *)body);
    sb_json(&d->body, (const char *)body, len);
    break;
  case BINDERY_QUEUE_BYTES: {
    sb hex = {0};
    sb_add(&hex, "", 0);
    sb_hex(&hex, body, len);
    d->key = hex.s;
    sb_json(&d->body, hex.s, hex.len);
    break;
  }
  case BINDERY_QUEUE_JSON:
    d->key = json_field((const char *)body, "key");
    d->mode = json_field((const char *)body, "mode");
    sb_add(&d->body, (const char *)body, len);
    break;
  case BINDERY_QUEUE_V8: {
    bindery_sv_reader r;
    if (bindery_sv_reader_init(&r, body, len) != BINDERY_OK) {
      sb_str(&d->body, "null");
      break;
    }
    sv_json(&r, &d->body, true, &d->key, &d->mode);
    break;
  }
  }
  if (!d->key) {
    d->key = strdup("");
  }
}

static void consume(bindery_batch *batch) {
  const char *queue = bindery_batch_queue(batch);
  size_t n = bindery_batch_len(batch);
  bool dlq = strcmp(queue, "conf-dlq") == 0;
  char *boom = NULL;
  for (size_t i = 0; i < n; i++) {
    bindery_message *m = bindery_batch_message(batch, i);
    decoded d;
    decode(m, &d);
    sb rec = {0};
    sb_str(&rec, "{\"queue\":");
    sb_json(&rec, queue, strlen(queue));
    if (!dlq) {
      sb_str(&rec, ",\"id\":");
      sb_json(&rec, bindery_message_id(m), strlen(bindery_message_id(m)));
      sb_printf(&rec, ",\"timestamp\":%lld", (long long)bindery_message_timestamp(m));
    }
    sb_printf(&rec, ",\"attempts\":%u", (unsigned)bindery_message_attempts(m));
    if (!dlq) {
      sb_printf(&rec, ",\"batchSize\":%zu", n);
    }
    sb_str(&rec, ",\"body\":");
    sb_add(&rec, d.body.s ? d.body.s : "null", d.body.s ? d.body.len : 4);
    sb_str(&rec, "}");
    sb key = {0};
    sb_str(&key, dlq ? "dead:" : "seen:");
    sb_str(&key, d.key);
    if (bindery_kv_put(BINDING_KV, key.s, rec.s, rec.len) != BINDERY_OK) {
      bindery_batch_failf(batch, "kv put %s: %s", key.s, bindery_errmsg());
    }
    free(key.s);
    free(rec.s);
    const char *mode = dlq || !d.mode ? "" : d.mode;
    if (strcmp(mode, "ack") == 0) {
      bindery_message_ack(m);
    } else if (strcmp(mode, "retry") == 0) {
      bindery_message_retry(m, NULL);
    } else if (strcmp(mode, "ack-then-retry") == 0) {
      bindery_message_ack(m);
      bindery_message_retry(m, NULL);
    } else if (strcmp(mode, "retry-all") == 0) {
      bindery_batch_retry_all(batch, NULL);
    } else if (strcmp(mode, "ack-all-then-retry-all") == 0) {
      bindery_batch_ack_all(batch);
      bindery_batch_retry_all(batch, NULL);
    } else if (strcmp(mode, "throw") == 0 && !boom) {
      boom = strdup(d.key);
    }
    free(d.key);
    free(d.mode);
    free(d.body.s);
  }
  if (boom) {
    bindery_batch_failf(batch, "boom %s", boom);
    free(boom);
  }
}

BINDERY_QUEUE_HANDLER(consume)

static void scheduled(bindery_scheduled_controller *c) {
  const char *cron = bindery_scheduled_cron(c);
  sb rec = {0};
  sb_str(&rec, "{\"cron\":");
  sb_json(&rec, cron, strlen(cron));
  sb_printf(&rec, ",\"scheduledTime\":%lld}", (long long)bindery_scheduled_time(c));
  sb key = {0};
  sb_str(&key, "cron:");
  sb_str(&key, cron);
  if (bindery_kv_put(BINDING_KV, key.s, rec.s, rec.len) != BINDERY_OK) {
    bindery_scheduled_failf(c, "kv put %s: %s", key.s, bindery_errmsg());
  }
  free(key.s);
  free(rec.s);
  if (strcmp(cron, "59 23 31 12 *") == 0) {
    bindery_scheduled_fail(c, "cron boom");
  }
}

BINDERY_SCHEDULED_HANDLER(scheduled)

static void handle(bindery_request *req, bindery_response *res) {
  const char *key;
  if (is(req, "GET", "/hello")) {
    bindery_response_text(res, 200, "hello from c");
  } else if ((key = suffix(req, "/kv/"))) {
    kv(req, res, key);
  } else if (is(req, "GET", "/vars")) {
    vars(res);
  } else if (is(req, "PUT", "/kv-too-long")) {
    kv_too_long(res);
  } else if (is(req, "POST", "/echo")) {
    echo(req, res);
  } else if ((key = suffix(req, "/r2/"))) {
    r2(req, res, key);
  } else if (is(req, "GET", "/fail")) {
    bindery_fail(res, FAILURE);
  } else if (is(req, "GET", "/fail-stream")) {
    fail_stream(res);
  } else if (is(req, "PUT", "/kv-not-utf8")) {
    kv_not_utf8(res);
  } else if (is(req, "GET", "/sdk-errors")) {
    sdk_errors(res);
  } else if (is(req, "GET", "/d1x")) {
    d1x(res);
  } else if (is(req, "GET", "/status-wrap")) {
    // 65536 + 200: an int that a cast to u16 would turn into 200.
    bindery_response_text(res, 65736, "this status must not become 200");
  } else if (is(req, "GET", "/trap")) {
    abort(); // a wasm trap (unreachable)
  } else if (r2x(req, res) || d1(req, res) || durable_route(req, res) || queue_route(req, res)) {
    // done
  } else {
    bindery_response_text(res, 404, "not found");
  }
}

BINDERY_HANDLER(handle)
