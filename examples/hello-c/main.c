// hello-c is the smallest C Worker: GET /hello answers "hello from C", and
// GET /count counts visits in KV (binding STORE).
//
//   bindery dev            (runs the [build] command in wrangler.toml)
//   ../../guest-sdk/c/build.sh -o hello-c.wasm main.c

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bindery.h"

static void handle(bindery_request *req, bindery_response *res) {
  const char *path = bindery_request_path(req);
  if (strcmp(path, "/hello") == 0) {
    const char *greeting = bindery_var("GREETING");
    char text[128];
    snprintf(text, sizeof text, "%s from C\n", greeting ? greeting : "hello");
    bindery_response_text(res, 200, text);
    return;
  }
  if (strcmp(path, "/count") == 0) {
    long n = 0;
    bindery_bytes v;
    bindery_status st = bindery_kv_get("STORE", "count", &v);
    if (st == BINDERY_OK) {
      char num[32] = {0};
      memcpy(num, v.data, v.len < sizeof num - 1 ? v.len : sizeof num - 1);
      n = strtol(num, NULL, 10);
      bindery_bytes_free(&v);
    } else if (st != BINDERY_NOT_FOUND) {
      bindery_response_text(res, 500, bindery_errmsg());
      return;
    }
    char num[32];
    snprintf(num, sizeof num, "%ld", n + 1);
    if (bindery_kv_put("STORE", "count", num, strlen(num)) != BINDERY_OK) {
      bindery_response_text(res, 500, bindery_errmsg());
      return;
    }
    bindery_response_text(res, 200, num);
    return;
  }
  bindery_response_text(res, 404, "not found\n");
}

BINDERY_HANDLER(handle)
