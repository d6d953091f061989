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
// R2 results are the caller's: release them with bindery_bytes_free,
// bindery_r2_object_free, bindery_r2_objects_free, bindery_r2_part_free,
// bindery_r2_upload_free. Arguments are never kept.
//
// # Errors
//
// Calls that can fail return a bindery_status; on anything but BINDERY_OK
// and BINDERY_NOT_FOUND, bindery_errmsg() returns the host's message (which
// names the key and the limit) until the next failing call.
// bindery_status_name(st) names a status ("BINDERY_ERR_PRECONDITION").
//
// Strings cross to the host only as valid UTF-8 (the host would end the
// request and discard the instance on anything else): a key, binding name,
// header name, metadata or option string that is not valid UTF-8 (a path
// decoded from %FF, a header value copied into R2 metadata) is refused with
// BINDERY_ERR_INVALID before any host call, and bindery_var finds no
// variable by such a name.
//
// # Failing a request
//
// bindery_fail(res, reason) ends the request as failed: the host logs the
// reason once, the client gets a 500 without it, or, if the response had
// started streaming, a cut connection (a truncated body, never one that
// looks complete). The instance stays in service. A trap (abort(), a bad
// pointer) fails the request too, but costs the instance.
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
  // BINDERY_ERR_NO_SUCH_UPLOAD: an R2 multipart upload was completed,
  // aborted or never existed.
  BINDERY_ERR_NO_SUCH_UPLOAD = 8,
  // BINDERY_ERR_INVALID_PART: an R2 part to complete is missing, has
  // another etag, is out of order, or is too small (every part but the
  // last must be at least 5 MiB, and all of them the same size).
  BINDERY_ERR_INVALID_PART = 9,
  // BINDERY_ERR_INVALID_RANGE: an R2 range starts past the end of the object.
  BINDERY_ERR_INVALID_RANGE = 10,
} bindery_status;

// bindery_errmsg returns the message of the last failed call ("" if none).
const char *bindery_errmsg(void);
// bindery_status_name returns st's name, e.g. "BINDERY_ERR_PRECONDITION".
const char *bindery_status_name(bindery_status st);

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

// bindery_response_status sets the status (default 200) before anything is
// sent. One outside 100 to 599 is not sent: the response fails with
// BINDERY_ERR_INVALID (a 500 from the host if nothing else was sent).
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
// bindery_fail ends the request as failed (an error the handler cannot
// answer): the host logs reason once, with the request, and answers 500 —
// the client never sees reason — or, when the response has started
// streaming (more than 64 KiB written), cuts the connection, so that the
// client sees a truncated body rather than one that looks complete. The
// SDK cuts reason to 16 KiB and replaces bytes that are not UTF-8 with
// U+FFFD. NULL or "" fails without a log record (the client has gone).
// Nothing is sent after it: later writes return BINDERY_ERR_CLOSED. The
// instance stays in service; the handler should return.
void bindery_fail(bindery_response *res, const char *reason);
// bindery_failf is bindery_fail with a printf format.
void bindery_failf(bindery_response *res, const char *format, ...) __attribute__((format(printf, 2, 3)));

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
// JSON variable as its JSON text), or NULL (also for a name that is not
// valid UTF-8).
const char *bindery_var(const char *name);
// bindery_secret returns the secret name, or NULL (also for a plain variable).
const char *bindery_secret(const char *name);

// ---- R2 (object storage) -------------------------------------------------
//
// Mirrors the Workers R2 API (docs/r2.md): head, get, put, delete, list and
// multipart uploads, with httpMetadata, customMetadata, checksums, onlyIf
// and ranges. Option structs are read during the call and never kept;
// zero (or NULL) means "not set" for every field.

// bindery_r2_http_metadata is the HTTP headers stored with an object. In a
// bindery_r2_object the strings belong to the object; NULL = not set.
typedef struct bindery_r2_http_metadata {
  const char *content_type;
  const char *content_language;
  const char *content_disposition;
  const char *content_encoding;
  const char *cache_control;
  uint64_t cache_expiry; // Expires, milliseconds since the Unix epoch; 0 = not set
} bindery_r2_http_metadata;

// bindery_r2_pair is one custom metadata entry.
typedef struct bindery_r2_pair {
  const char *key;
  const char *value;
} bindery_r2_pair;

// bindery_r2_checksums are digests of an object's bytes: set has_X and X.
typedef struct bindery_r2_checksums {
  bool has_md5, has_sha1, has_sha256, has_sha384, has_sha512;
  uint8_t md5[16];
  uint8_t sha1[20];
  uint8_t sha256[32];
  uint8_t sha384[48];
  uint8_t sha512[64];
} bindery_r2_checksums;

// bindery_r2_range selects bytes: the last suffix bytes when suffix > 0,
// else length bytes from offset (to the end when length is 0).
typedef struct bindery_r2_range {
  uint64_t offset;
  uint64_t length;
  uint64_t suffix;
} bindery_r2_range;

// bindery_r2_conditional is R2's onlyIf, evaluated in HTTP's order
// (etag_matches, else uploaded_before; then etag_does_not_match, else
// uploaded_after). Etags are unquoted; "*" matches any object.
typedef struct bindery_r2_conditional {
  const char *const *etag_matches;
  size_t etag_matches_len;
  const char *const *etag_does_not_match;
  size_t etag_does_not_match_len;
  uint64_t uploaded_before; // milliseconds since the Unix epoch; 0 = not checked
  uint64_t uploaded_after;  // likewise
  bool seconds_granularity;
} bindery_r2_conditional;

// bindery_r2_object is an object's metadata; free it with bindery_r2_object_free.
typedef struct bindery_r2_object {
  char *key;
  char *etag; // hex md5 without quotes (multipart: md5-of-md5s "-" parts)
  uint64_t size;
  uint64_t uploaded; // milliseconds since the Unix epoch
  char *content_type; // NULL when not set (also in http_metadata)
  char *version;
  char *storage_class;
  bindery_r2_http_metadata http_metadata;
  bindery_r2_pair *custom_metadata; // sorted by key
  size_t custom_metadata_len;
  bindery_r2_checksums checksums;
  bool has_range; // a ranged get: range is the bytes the body holds
  bindery_r2_range range;
} bindery_r2_object;

// bindery_r2_object_free frees obj's strings.
void bindery_r2_object_free(bindery_r2_object *obj);
// bindery_r2_object_custom returns obj's custom metadata value for key, or NULL.
const char *bindery_r2_object_custom(const bindery_r2_object *obj, const char *key);

// bindery_r2_put_options are the optional parts of a put.
typedef struct bindery_r2_put_options {
  const bindery_r2_http_metadata *http_metadata;
  const bindery_r2_pair *custom_metadata;
  size_t custom_metadata_len;
  // checksums the bytes must have (md5 and at most one SHA): a mismatch is
  // BINDERY_ERR_INVALID ("bad digest") and stores nothing.
  bindery_r2_checksums checksums;
  // only_if failing is BINDERY_ERR_PRECONDITION and stores nothing.
  const bindery_r2_conditional *only_if;
  const char *storage_class;
} bindery_r2_put_options;

// bindery_r2_get_options are the optional parts of a get.
typedef struct bindery_r2_get_options {
  const bindery_r2_conditional *only_if;
  const bindery_r2_range *range;
} bindery_r2_get_options;

// bindery_r2_put stores len bytes under key; obj (may be NULL) receives
// the stored object's metadata.
bindery_status bindery_r2_put(const char *binding, const char *key, const void *data, size_t len,
                              bindery_r2_object *obj);
// bindery_r2_put_with is bindery_r2_put with options (opts may be NULL).
bindery_status bindery_r2_put_with(const char *binding, const char *key, const void *data, size_t len,
                                   const bindery_r2_put_options *opts, bindery_r2_object *obj);
// bindery_r2_put_request stores the rest of the request body under key,
// streamed inside the host; the request body is used up.
bindery_status bindery_r2_put_request(const char *binding, const char *key, bindery_request *req,
                                      bindery_r2_object *obj);
// bindery_r2_put_request_with is bindery_r2_put_request with options.
bindery_status bindery_r2_put_request_with(const char *binding, const char *key, bindery_request *req,
                                           const bindery_r2_put_options *opts, bindery_r2_object *obj);
// bindery_r2_head reads key's metadata into *obj, or returns BINDERY_NOT_FOUND.
bindery_status bindery_r2_head(const char *binding, const char *key, bindery_r2_object *obj);
// bindery_r2_get looks key up: BINDERY_NOT_FOUND, or BINDERY_OK with
// *obj (may be NULL) and *body (may be NULL: no body wanted) set; close the
// body with bindery_body_close.
bindery_status bindery_r2_get(const char *binding, const char *key, bindery_r2_object *obj,
                              bindery_body **body);
// bindery_r2_get_with is bindery_r2_get with options (opts may be NULL).
// When opts->only_if fails it returns BINDERY_ERR_PRECONDITION with *obj
// set (free it: its etag makes a 304) and *body NULL.
bindery_status bindery_r2_get_with(const char *binding, const char *key, const bindery_r2_get_options *opts,
                                   bindery_r2_object *obj, bindery_body **body);
// bindery_r2_delete deletes key; a missing key is not an error.
bindery_status bindery_r2_delete(const char *binding, const char *key);
// bindery_r2_delete_many deletes n keys (up to 1000) in one call.
bindery_status bindery_r2_delete_many(const char *binding, const char *const *keys, size_t n);

// bindery_r2_writer is a put whose bytes the Worker writes piece by piece.
typedef struct bindery_r2_writer bindery_r2_writer;
// bindery_r2_writer_open starts a put of key (opts may be NULL).
bindery_status bindery_r2_writer_open(const char *binding, const char *key, const bindery_r2_put_options *opts,
                                      bindery_r2_writer **w);
// bindery_r2_writer_write appends len bytes.
bindery_status bindery_r2_writer_write(bindery_r2_writer *w, const void *data, size_t len);
// bindery_r2_writer_finish stores the object, fills *obj (may be NULL) and
// frees w, whatever the outcome.
bindery_status bindery_r2_writer_finish(bindery_r2_writer *w, bindery_r2_object *obj);
// bindery_r2_writer_abort abandons the put and frees w.
void bindery_r2_writer_abort(bindery_r2_writer *w);

// bindery_r2_list_options are the options of a list.
typedef struct bindery_r2_list_options {
  uint32_t limit; // 1 to 1000; 0 = 1000
  const char *prefix;
  const char *cursor; // from the previous page's bindery_r2_objects
  const char *delimiter;
  const char *start_after;
  bool include_http_metadata;   // Workers' include: ["httpMetadata"]
  bool include_custom_metadata; // include: ["customMetadata"]
} bindery_r2_list_options;

// bindery_r2_objects is one page of a list; free it with bindery_r2_objects_free.
typedef struct bindery_r2_objects {
  bindery_r2_object *objects;
  size_t len;
  bool truncated; // more follow: list again with cursor
  char *cursor;   // NULL when not truncated
  char **delimited_prefixes;
  size_t delimited_prefixes_len;
} bindery_r2_objects;

// bindery_r2_list lists objects in key order into *out (opts may be NULL).
bindery_status bindery_r2_list(const char *binding, const bindery_r2_list_options *opts, bindery_r2_objects *out);
// bindery_r2_objects_free frees a list page.
void bindery_r2_objects_free(bindery_r2_objects *objs);

// bindery_r2_multipart_options apply to the object a multipart upload makes.
typedef struct bindery_r2_multipart_options {
  const bindery_r2_http_metadata *http_metadata;
  const bindery_r2_pair *custom_metadata;
  size_t custom_metadata_len;
  const char *storage_class;
} bindery_r2_multipart_options;

// bindery_r2_upload is an incomplete multipart upload; free it with
// bindery_r2_upload_free (which neither completes nor aborts it).
typedef struct bindery_r2_upload bindery_r2_upload;

// bindery_r2_part is a stored part. From bindery_r2_upload_part* its etag
// is the caller's (bindery_r2_part_free); for complete, any string will do.
typedef struct bindery_r2_part {
  uint32_t part_number;
  const char *etag;
} bindery_r2_part;

// bindery_r2_part_free frees part's etag.
void bindery_r2_part_free(bindery_r2_part *part);

// bindery_r2_multipart_create starts a multipart upload of key (opts may be NULL).
bindery_status bindery_r2_multipart_create(const char *binding, const char *key,
                                           const bindery_r2_multipart_options *opts, bindery_r2_upload **up);
// bindery_r2_multipart_resume continues an upload by its id, e.g. in a later
// request. It does not check the upload exists: its calls return
// BINDERY_ERR_NO_SUCH_UPLOAD if not.
bindery_status bindery_r2_multipart_resume(const char *binding, const char *key, const char *upload_id,
                                           bindery_r2_upload **up);
// bindery_r2_upload_key returns the upload's key (the upload's string).
const char *bindery_r2_upload_key(const bindery_r2_upload *up);
// bindery_r2_upload_id returns the upload's id (the upload's string).
const char *bindery_r2_upload_id(const bindery_r2_upload *up);
// bindery_r2_upload_part stores len bytes as part n (1 to 10000).
bindery_status bindery_r2_upload_part(bindery_r2_upload *up, uint32_t n, const void *data, size_t len,
                                      bindery_r2_part *part);
// bindery_r2_upload_part_request stores the rest of the request body as
// part n, streamed inside the host; the request body is used up.
bindery_status bindery_r2_upload_part_request(bindery_r2_upload *up, uint32_t n, bindery_request *req,
                                              bindery_r2_part *part);
// bindery_r2_part_writer is a part whose bytes the Worker writes piece by piece.
typedef struct bindery_r2_part_writer bindery_r2_part_writer;
// bindery_r2_upload_part_writer starts part n (1 to 10000).
bindery_status bindery_r2_upload_part_writer(bindery_r2_upload *up, uint32_t n, bindery_r2_part_writer **w);
// bindery_r2_part_writer_write appends len bytes to the part.
bindery_status bindery_r2_part_writer_write(bindery_r2_part_writer *w, const void *data, size_t len);
// bindery_r2_part_writer_finish stores the part, fills *part (may be NULL)
// and frees w, whatever the outcome.
bindery_status bindery_r2_part_writer_finish(bindery_r2_part_writer *w, bindery_r2_part *part);
// bindery_r2_part_writer_abort abandons the part and frees w.
void bindery_r2_part_writer_abort(bindery_r2_part_writer *w);
// bindery_r2_upload_complete joins the n parts (in ascending order of part
// number) into the object; obj (may be NULL) receives its metadata.
bindery_status bindery_r2_upload_complete(bindery_r2_upload *up, const bindery_r2_part *parts, size_t n,
                                          bindery_r2_object *obj);
// bindery_r2_upload_abort discards the upload and its parts.
bindery_status bindery_r2_upload_abort(bindery_r2_upload *up);
// bindery_r2_upload_free releases up (the upload itself stays as it is).
void bindery_r2_upload_free(bindery_r2_upload *up);

#ifdef __cplusplus
}
#endif

#endif // BINDERY_H
