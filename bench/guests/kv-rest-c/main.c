// kv-rest-c serves bench/run-http.sh's routes from a C Worker, so the HTTP
// harness can put the C SDK next to the Go one (examples/hello and
// examples/kv-rest):
//
//   GET /hello       "hello"
//   GET /kv/<key>    the value, or 404
//   PUT /kv/<key>    store the request body
//
//   ../../../guest-sdk/c/build.sh -o kv-rest-c.wasm main.c

#include <string.h>

#include "bindery.h"

static void handle(bindery_request *req, bindery_response *res) {
  const char *path = bindery_request_path(req);
  const char *method = bindery_request_method(req);
  if (strcmp(path, "/hello") == 0) {
    bindery_response_text(res, 200, "hello");
    return;
  }
  if (strncmp(path, "/kv/", 4) != 0 || path[4] == '\0') {
    bindery_response_text(res, 404, "not found\n");
    return;
  }
  const char *key = path + 4;
  if (strcmp(method, "GET") == 0) {
    bindery_bytes v;
    bindery_status st = bindery_kv_get("STORE", key, &v);
    if (st == BINDERY_NOT_FOUND) {
      bindery_response_text(res, 404, "not found\n");
      return;
    }
    if (st != BINDERY_OK) {
      bindery_response_text(res, 500, bindery_errmsg());
      return;
    }
    bindery_response_header(res, "content-type", "application/octet-stream");
    bindery_response_write(res, v.data, v.len);
    bindery_bytes_free(&v);
    return;
  }
  if (strcmp(method, "PUT") == 0) {
    bindery_bytes body;
    if (bindery_request_read_all(req, &body) != BINDERY_OK) {
      bindery_response_text(res, 400, bindery_errmsg());
      return;
    }
    bindery_status st = bindery_kv_put("STORE", key, body.data, body.len);
    bindery_bytes_free(&body);
    if (st != BINDERY_OK) {
      bindery_response_text(res, st == BINDERY_ERR_INVALID || st == BINDERY_ERR_TOO_LARGE ? 400 : 500,
                            bindery_errmsg());
      return;
    }
    bindery_response_status(res, 204);
    return;
  }
  bindery_response_text(res, 405, "method not allowed\n");
}

BINDERY_HANDLER(handle)
