// bindery.h: write a Bindery Worker in C (or C++).
//
//   #include "bindery.h"
//
//   static void handle(bindery_request *req, bindery_response *res) {
//     bindery_response_text(res, 200, "hello from C\n");
//   }
//   BINDERY_HANDLER(handle)
//
// Build with guest-sdk/c/build.sh (clang --target=wasm32-wasi
// -mexec-model=reactor), see docs/sdk-c.md.
//
// # Memory
//
// Strings the SDK returns (bindery_request_path, bindery_var, ...) belong to
// the SDK: do not free them. Request strings stay valid until the handler
// returns; vars and secrets for the life of the instance. Buffers returned
// through a bindery_bytes (bindery_kv_get, bindery_request_read_all) and
// bindery_r2_object fields are the caller's: release them with
// bindery_bytes_free / bindery_r2_object_free. Arguments are never kept.
//
// # Errors
//
// Calls that can fail return a bindery_status; on anything but BINDERY_OK
// and BINDERY_NOT_FOUND, bindery_errmsg() returns the host's message (which
// names the key and the limit) until the next failing call.
//
// # Concurrency
//
// A Worker instance serves one request at a time; nothing here is
// thread-safe, and nothing needs to be.

#ifndef BINDERY_H
#define BINDERY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

// bindery_status is the outcome of a call that can fail.
typedef enum bindery_status {
  BINDERY_OK = 0,
  // BINDERY_NOT_FOUND: the key or object does not exist (not an error).
  BINDERY_NOT_FOUND = 1,
  // BINDERY_ERR_NO_SUCH_BINDING: the config grants no binding of that name.
  BINDERY_ERR_NO_SUCH_BINDING = 2,
  // BINDERY_ERR_INVALID: an invalid key or argument (empty, too long, out of range).
  BINDERY_ERR_INVALID = 3,
  // BINDERY_ERR_TOO_LARGE: a value, object or metadata is over its limit.
  BINDERY_ERR_TOO_LARGE = 4,
  // BINDERY_ERR_PRECONDITION: an R2 only-if condition failed.
  BINDERY_ERR_PRECONDITION = 5,
  // BINDERY_ERR_CLOSED: the client or the stream has gone away.
  BINDERY_ERR_CLOSED = 6,
  // BINDERY_ERR_FAILED: anything else; see bindery_errmsg().
  BINDERY_ERR_FAILED = 7,
} bindery_status;

// bindery_errmsg returns the message of the last failed call ("" if none).
const char *bindery_errmsg(void);

// bindery_bytes is a buffer the caller owns.
typedef struct bindery_bytes {
  uint8_t *data;
  size_t len;
} bindery_bytes;

// bindery_bytes_free frees b's buffer and empties it.
void bindery_bytes_free(bindery_bytes *b);

// ---- HTTP ----------------------------------------------------------------

// bindery_request is the incoming request: read it with the functions below.
typedef struct bindery_request bindery_request;
// bindery_response is where the handler writes its one response.
typedef struct bindery_response bindery_response;
// bindery_handler handles one request. Whatever it has not sent when it
// returns is sent then (status 200 by default).
typedef void (*bindery_handler)(bindery_request *req, bindery_response *res);

// bindery_serve makes fn the Worker's fetch handler. BINDERY_HANDLER calls
// it from a constructor, which the reactor's _initialize runs.
void bindery_serve(bindery_handler fn);

// BINDERY_HANDLER(fn) registers fn as the Worker's fetch handler; write it
// once, at file scope.
#define BINDERY_HANDLER(fn)                                                    \
  __attribute__((constructor)) static void bindery_register_##fn(void) {     \
    bindery_serve(fn);                                                         \
  }

// bindery_request_method returns the method, e.g. "GET".
const char *bindery_request_method(const bindery_request *req);
// bindery_request_url returns the absolute URL, e.g. "http://host/kv/a?x=1".
const char *bindery_request_url(const bindery_request *req);
// bindery_request_path returns the URL's path, still %-escaped, e.g. "/kv/a".
const char *bindery_request_path(const bindery_request *req);
// bindery_request_query returns the URL's query without '?', or "".
const char *bindery_request_query(const bindery_request *req);
// bindery_request_header returns the first value of header name (any case),
// or NULL.
const char *bindery_request_header(bindery_request *req, const char *name);
// bindery_request_read reads up to cap bytes of the body into buf and
// returns how many (blocking until at least one is there), 0 at the end of
// the body, or -1 on an error.
long bindery_request_read(bindery_request *req, void *buf, size_t cap);
// bindery_request_read_all reads the rest of the body into *out (the
// caller's; free it with bindery_bytes_free).
bindery_status bindery_request_read_all(bindery_request *req, bindery_bytes *out);

// bindery_response_status sets the status (default 200) before anything is sent.
void bindery_response_status(bindery_response *res, int status);
// bindery_response_header adds a header field before anything is sent.
bindery_status bindery_response_header(bindery_response *res, const char *name, const char *value);
// bindery_response_write appends to the body. The SDK buffers the first
// 64 KiB and then streams: the head goes out with the first flush.
bindery_status bindery_response_write(bindery_response *res, const void *data, size_t len);
// bindery_response_text sets the status, Content-Type text/plain and writes text.
bindery_status bindery_response_text(bindery_response *res, int status, const char *text);
// bindery_response_json is bindery_response_text with application/json.
bindery_status bindery_response_json(bindery_response *res, int status, const char *json);

// bindery_body is a host byte stream the Worker reads: an R2 object's body.
typedef struct bindery_body bindery_body;
// bindery_body_read reads like bindery_request_read.
long bindery_body_read(bindery_body *body, void *buf, size_t cap);
// bindery_body_close releases the body; call it once, also after splicing.
void bindery_body_close(bindery_body *body);
// bindery_response_splice sends the rest of body as the response body
// inside the host: the bytes never enter the Worker's memory.
bindery_status bindery_response_splice(bindery_response *res, bindery_body *body);
// bindery_response_echo sends the rest of the request body back the same way.
bindery_status bindery_response_echo(bindery_response *res, bindery_request *req);

// ---- KV (Workers KV) -----------------------------------------------------

// bindery_kv_options are the optional parts of a put (zero = none).
typedef struct bindery_kv_options {
  uint64_t expiration;     // absolute expiry, seconds since the Unix epoch
  uint64_t expiration_ttl; // expiry in seconds from now (at least 60)
  const char *metadata;    // JSON text, or NULL
} bindery_kv_options;

// bindery_kv_get reads key from the KV binding into *value (the caller's),
// or returns BINDERY_NOT_FOUND.
bindery_status bindery_kv_get(const char *binding, const char *key, bindery_bytes *value);
// bindery_kv_put stores len bytes at value under key.
bindery_status bindery_kv_put(const char *binding, const char *key, const void *value, size_t len);
// bindery_kv_put_with is bindery_kv_put with options (opts may be NULL).
bindery_status bindery_kv_put_with(const char *binding, const char *key, const void *value, size_t len,
                                   const bindery_kv_options *opts);
// bindery_kv_delete deletes key; a missing key is not an error.
bindery_status bindery_kv_delete(const char *binding, const char *key);

// ---- vars and secrets ----------------------------------------------------

// bindery_var returns the variable or secret name ([vars], .dev.vars; a
// JSON variable as its JSON text), or NULL.
const char *bindery_var(const char *name);
// bindery_secret returns the secret name, or NULL (also for a plain variable).
const char *bindery_secret(const char *name);

// ---- R2 (object storage) -------------------------------------------------

// bindery_r2_object is an object's metadata; free it with bindery_r2_object_free.
typedef struct bindery_r2_object {
  char *key;
  char *etag; // hex md5 without quotes (multipart: md5-of-md5s "-" parts)
  uint64_t size;
  uint64_t uploaded; // milliseconds since the Unix epoch
  char *content_type; // NULL when not set
} bindery_r2_object;

// bindery_r2_object_free frees obj's strings.
void bindery_r2_object_free(bindery_r2_object *obj);

// bindery_r2_put stores len bytes under key; obj (may be NULL) receives
// the stored object's metadata.
bindery_status bindery_r2_put(const char *binding, const char *key, const void *data, size_t len,
                              bindery_r2_object *obj);
// bindery_r2_put_request stores the rest of the request body under key,
// streamed inside the host; the request body is used up.
bindery_status bindery_r2_put_request(const char *binding, const char *key, bindery_request *req,
                                      bindery_r2_object *obj);
// bindery_r2_get looks key up: BINDERY_NOT_FOUND, or BINDERY_OK with
// *obj (may be NULL) and *body (may be NULL: no body wanted) set; close the
// body with bindery_body_close.
bindery_status bindery_r2_get(const char *binding, const char *key, bindery_r2_object *obj,
                              bindery_body **body);
// bindery_r2_delete deletes key; a missing key is not an error.
bindery_status bindery_r2_delete(const char *binding, const char *key);

#ifdef __cplusplus
}
#endif

#endif // BINDERY_H
