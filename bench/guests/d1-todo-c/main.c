// d1-todo-c serves two routes of examples/d1-todo from a C Worker, so the
// host benchmarks (BenchmarkD1 in host/bench_test.go) can put the C SDK
// next to the Go one on the same database:
//
//   GET  /todos/<id>              {"id":N,"title":"...","done":false}, or 404
//   POST /todos {"title":"..."}   201 and the new todo
//
// It is a benchmark guest: it reads a title without JSON escapes and
// writes it back as it is.
//
//   ../../../guest-sdk/c/build.sh -o d1-todo-c.wasm main.c

#define _GNU_SOURCE // memmem
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bindery.h"

static bindery_d1_database *db;

// fail answers 500 with the SDK's message.
static void fail(bindery_response *res) { bindery_response_text(res, 500, bindery_errmsg()); }

// todo writes row 0 of r (id, title, done) as the todo's JSON.
static void todo(bindery_response *res, int status, const bindery_d1_result *r) {
  const bindery_d1_value *row = bindery_d1_result_row(r, 0);
  char buf[512];
  int n = snprintf(buf, sizeof buf, "{\"id\":%" PRId64 ",\"title\":\"%.*s\",\"done\":%s}", row[0].as.integer,
                   (int)row[1].as.text.len, row[1].as.text.ptr, row[2].as.integer ? "true" : "false");
  bindery_response_status(res, status);
  bindery_response_header(res, "content-type", "application/json");
  bindery_response_write(res, buf, (size_t)n);
}

static void handle(bindery_request *req, bindery_response *res) {
  const char *path = bindery_request_path(req);
  const char *method = bindery_request_method(req);
  if (db == NULL && bindery_d1_open("DB", &db) != BINDERY_OK) {
    fail(res);
    return;
  }
  bindery_d1_result r;
  if (strcmp(method, "GET") == 0 && strncmp(path, "/todos/", 7) == 0) {
    bindery_d1_value id = bindery_d1_int(strtoll(path + 7, NULL, 10));
    if (bindery_d1_query(db, "SELECT id, title, done FROM todos WHERE id = ?", &id, 1, &r) != BINDERY_OK) {
      fail(res);
      return;
    }
    if (r.nrows == 0) {
      bindery_response_text(res, 404, "not found\n");
    } else {
      todo(res, 200, &r);
    }
    bindery_d1_result_free(&r);
    return;
  }
  if (strcmp(method, "POST") == 0 && strcmp(path, "/todos") == 0) {
    bindery_bytes body;
    if (bindery_request_read_all(req, &body) != BINDERY_OK) {
      bindery_response_text(res, 400, bindery_errmsg());
      return;
    }
    const char *key = "\"title\":\"", *data = (const char *)body.data;
    const char *start = memmem(data, body.len, key, strlen(key));
    const char *end = start ? memchr(start + strlen(key), '"', body.len - (size_t)(start + strlen(key) - data)) : NULL;
    if (end == NULL) {
      bindery_bytes_free(&body);
      bindery_response_text(res, 400, "want {\"title\":\"...\"}\n");
      return;
    }
    start += strlen(key);
    bindery_d1_value title = bindery_d1_textn(start, (size_t)(end - start));
    bindery_status st =
        bindery_d1_query(db, "INSERT INTO todos (title) VALUES (?) RETURNING id, title, done", &title, 1, &r);
    bindery_bytes_free(&body);
    if (st != BINDERY_OK) {
      fail(res);
      return;
    }
    todo(res, 201, &r);
    bindery_d1_result_free(&r);
    return;
  }
  bindery_response_text(res, 404, "not found\n");
}

BINDERY_HANDLER(handle)
