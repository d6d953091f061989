// The conformance Worker in C: the contract every language implements (see
// conformance/harness_test.go), written with guest-sdk/c.
//
//   guest-sdk/c/build.sh -o c.wasm conformance/c/main.c

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bindery.h"

#define BINDING_KV "STORE"
#define BINDING_R2 "FILES"

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
  } else if (is(req, "GET", "/trap")) {
    abort(); // a wasm trap (unreachable)
  } else {
    bindery_response_text(res, 404, "not found");
  }
}

BINDERY_HANDLER(handle)
