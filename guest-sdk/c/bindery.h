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
// R2 and D1 results are the caller's: release them with bindery_bytes_free,
// bindery_r2_object_free, bindery_r2_objects_free, bindery_r2_part_free,
// bindery_r2_upload_free, bindery_d1_result_free, bindery_d1_session_free.
// Arguments are never kept.
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
// header name, metadata or option string, SQL text, D1 text value or
// bookmark that is not valid UTF-8 (a path decoded from %FF, a header value
// copied into R2 metadata) is refused with
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
#include <string.h>

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
  // BINDERY_ERR_SQL: SQLite refused or failed a D1 statement (a syntax
  // error, a missing table, a constraint).
  BINDERY_ERR_SQL = 11,
  // BINDERY_ERR_LIMIT: a D1 limit (100 parameters, a 100 KB statement, a
  // 2 MB value or row, 100 columns, the query time, the database size).
  BINDERY_ERR_LIMIT = 12,
  // BINDERY_ERR_REFUSED: a D1 statement would reach outside the database
  // (ATTACH, VACUUM, a PRAGMA outside D1's list) or control transactions;
  // for Durable Objects, a call not allowed here (state outside an
  // object's event, SQL on a KV-backed class).
  BINDERY_ERR_REFUSED = 13,
  // BINDERY_ERR_THROWN: a Durable Object's RPC method threw; the thrown
  // value comes back encoded (bindery_durable.h).
  BINDERY_ERR_THROWN = 14,
  // BINDERY_ERR_OBJECT_FAILED: a Durable Object's event failed without an
  // answer (a trap, its deadline, an abort); its next event starts it afresh.
  BINDERY_ERR_OBJECT_FAILED = 15,
  // BINDERY_ERR_TRANSACTION: a Durable Object storage transaction used out
  // of order (committed twice, or with one begun inside it still open).
  BINDERY_ERR_TRANSACTION = 16,
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

// ---- D1 (SQL databases) --------------------------------------------------
//
// Mirrors the Workers D1 API (docs/d1.md) in C. D1's all(), run(), first()
// and raw() are one call here, bindery_d1_query, whose result has the
// column names, every row and D1's meta; first() is row 0 of it
// (bindery_d1_result_get), raw() its values. Integers are int64_t
// throughout, so values beyond 2^53 cross whole.
//
//   bindery_d1_database *db;
//   if (bindery_d1_open("DB", &db) != BINDERY_OK) { ... bindery_errmsg() ... }
//   bindery_d1_value params[] = {bindery_d1_text("ada"), bindery_d1_int(36)};
//   bindery_d1_result r;
//   bindery_status st = bindery_d1_query(db, "SELECT id FROM users WHERE name = ? AND age = ?", params, 2, &r);
//   if (st == BINDERY_OK) {
//     const bindery_d1_value *id = bindery_d1_result_get(&r, 0, "id"); // NULL: no row
//     bindery_d1_result_free(&r);
//   }

// bindery_d1_type is the type of a SQL value.
typedef enum bindery_d1_type {
  BINDERY_D1_NULL = 0,
  BINDERY_D1_INTEGER = 1, // as.integer: every 64 bits
  BINDERY_D1_REAL = 2,    // as.real
  BINDERY_D1_TEXT = 3,    // as.text: UTF-8, len bytes (NUL-terminated in results)
  BINDERY_D1_BLOB = 4,    // as.blob: len bytes
} bindery_d1_type;

// bindery_d1_value is a SQL value: a tagged union. Make parameters with
// bindery_d1_null/int/real/text/textn/blob (they point at your bytes, which
// must outlive the call); in a result, the result owns the bytes.
typedef struct bindery_d1_value {
  bindery_d1_type type;
  union {
    int64_t integer;
    double real;
    struct {
      const char *ptr;
      size_t len;
    } text;
    struct {
      const uint8_t *ptr;
      size_t len;
    } blob;
  } as;
} bindery_d1_value;

// bindery_d1_null is SQL NULL.
static inline bindery_d1_value bindery_d1_null(void) {
  bindery_d1_value v;
  memset(&v, 0, sizeof v);
  return v;
}
// bindery_d1_int is a 64-bit integer.
static inline bindery_d1_value bindery_d1_int(int64_t i) {
  bindery_d1_value v = bindery_d1_null();
  v.type = BINDERY_D1_INTEGER;
  v.as.integer = i;
  return v;
}
// bindery_d1_real is a double.
static inline bindery_d1_value bindery_d1_real(double d) {
  bindery_d1_value v = bindery_d1_null();
  v.type = BINDERY_D1_REAL;
  v.as.real = d;
  return v;
}
// bindery_d1_textn is len bytes of UTF-8 text at s (which may hold NULs).
static inline bindery_d1_value bindery_d1_textn(const char *s, size_t len) {
  bindery_d1_value v = bindery_d1_null();
  v.type = BINDERY_D1_TEXT;
  v.as.text.ptr = s;
  v.as.text.len = len;
  return v;
}
// bindery_d1_text is the NUL-terminated UTF-8 text s.
static inline bindery_d1_value bindery_d1_text(const char *s) { return bindery_d1_textn(s, strlen(s)); }
// bindery_d1_blob is len bytes at p.
static inline bindery_d1_value bindery_d1_blob(const void *p, size_t len) {
  bindery_d1_value v = bindery_d1_null();
  v.type = BINDERY_D1_BLOB;
  v.as.blob.ptr = (const uint8_t *)p;
  v.as.blob.len = len;
  return v;
}

// bindery_d1_statement is a statement and its parameters, for `?` and
// `?NNN` (D1 numbers `?` from 1; named parameters are refused).
typedef struct bindery_d1_statement {
  const char *sql;
  const bindery_d1_value *params;
  size_t nparams;
} bindery_d1_statement;

// bindery_d1_meta is D1's result meta, with D1's names.
typedef struct bindery_d1_meta {
  double duration; // milliseconds the statement ran
  uint64_t rows_read;
  uint64_t rows_written;
  int64_t last_row_id; // the rowid of the last row inserted, 0 if none
  uint64_t changes;    // rows the statement changed
  bool changed_db;     // whether the statement changed the database
  uint64_t size_after; // the database size in bytes after the statement
} bindery_d1_meta;

// bindery_d1_result is the result of one statement (D1's D1Result: a
// failed statement is a status, so success is implied). It owns its
// strings and values; free it with bindery_d1_result_free.
typedef struct bindery_d1_result {
  char **columns; // the column names in order (they may repeat, as SQLite allows)
  size_t ncolumns;
  bindery_d1_value *values; // nrows * ncolumns values, row by row (raw())
  size_t nrows;
  bindery_d1_meta meta;
} bindery_d1_result;

// bindery_d1_result_free frees r's columns and values and empties it.
void bindery_d1_result_free(bindery_d1_result *r);
// bindery_d1_result_row returns row i's ncolumns values, or NULL past the last row.
const bindery_d1_value *bindery_d1_result_row(const bindery_d1_result *r, size_t i);
// bindery_d1_result_column returns the index of the first column named
// name, or -1.
long bindery_d1_result_column(const bindery_d1_result *r, const char *name);
// bindery_d1_result_get returns the value of column name in row i (D1's
// first(name) for row 0), or NULL when there is no such row or column.
const bindery_d1_value *bindery_d1_result_get(const bindery_d1_result *r, size_t i, const char *name);

// bindery_d1_exec_result is what bindery_d1_exec did.
typedef struct bindery_d1_exec_result {
  uint32_t count;  // the statements it ran
  double duration; // their total milliseconds
} bindery_d1_exec_result;

// bindery_d1_database is an open D1 binding. Handles are cached for the
// life of the instance: never free one.
typedef struct bindery_d1_database bindery_d1_database;

// bindery_d1_open opens the D1 binding named binding (e.g. "DB").
bindery_status bindery_d1_open(const char *binding, bindery_d1_database **db);
// bindery_d1_query runs sql with nparams parameters (params may be NULL
// when 0) into *result: D1's all(), run(), first() and raw().
bindery_status bindery_d1_query(bindery_d1_database *db, const char *sql, const bindery_d1_value *params,
                                size_t nparams, bindery_d1_result *result);
// bindery_d1_batch runs n statements in one transaction (D1's batch): all
// take effect, or, on the first error, none does (the message names the
// statement). On BINDERY_OK, results[0..n) are set (free each); on an
// error, none is.
bindery_status bindery_d1_batch(bindery_d1_database *db, const bindery_d1_statement *stmts, size_t n,
                                bindery_d1_result *results);
// bindery_d1_exec runs one or more unbound statements separated by
// semicolons, in order, stopping at the first error (the ones before it
// stay done); out (may be NULL) receives the count and duration.
bindery_status bindery_d1_exec(bindery_d1_database *db, const char *sql, bindery_d1_exec_result *out);

// bindery_d1_session is a D1 session (withSession): its reads are never
// older than its bookmark. Free it with bindery_d1_session_free.
typedef struct bindery_d1_session bindery_d1_session;

// bindery_d1_session_open starts a session: constraint_or_bookmark NULL
// or "first-unconstrained" reads from any replica, "first-primary" from
// the primary, and a bookmark (from bindery_d1_session_bookmark, maybe of
// an earlier request) from a replica at least that new.
bindery_status bindery_d1_session_open(bindery_d1_database *db, const char *constraint_or_bookmark,
                                       bindery_d1_session **s);
// bindery_d1_session_query is bindery_d1_query in the session.
bindery_status bindery_d1_session_query(bindery_d1_session *s, const char *sql, const bindery_d1_value *params,
                                        size_t nparams, bindery_d1_result *result);
// bindery_d1_session_batch is bindery_d1_batch in the session.
bindery_status bindery_d1_session_batch(bindery_d1_session *s, const bindery_d1_statement *stmts, size_t n,
                                        bindery_d1_result *results);
// bindery_d1_session_bookmark returns the bookmark of the latest commit the
// session has seen (getBookmark()), or NULL before its first query. The
// string is the session's, valid until the next call on it.
const char *bindery_d1_session_bookmark(bindery_d1_session *s);
// bindery_d1_session_free ends the session.
void bindery_d1_session_free(bindery_d1_session *s);

// ---- Queues and cron triggers -----------------------------------------------
//
// Producer (Cloudflare's env.QUEUE.send and sendBatch): open the binding
// named in the config's [[queues.producers]], then send.
//
//   bindery_queue *q;
//   if (bindery_queue_open("QUEUE", &q) != BINDERY_OK) { ... bindery_errmsg() ... }
//   bindery_status st = bindery_queue_send_text(q, "hello", NULL);
//
// A send returns once the message is durable. Limits come back as statuses
// with the host's message: BINDERY_ERR_TOO_LARGE (a message over 128 KB, a
// batch over 100 messages or 256 KB), BINDERY_ERR_INVALID (a delay over
// 86400 seconds), BINDERY_ERR_NO_SUCH_BINDING, BINDERY_ERR_FAILED.
//
// Consumer (Cloudflare's queue(batch, env, ctx)) and cron triggers
// (scheduled(controller, env, ctx)): register handlers like the fetch one.
//
//   static void consume(bindery_batch *batch) {
//     for (size_t i = 0; i < bindery_batch_len(batch); i++) {
//       bindery_message *m = bindery_batch_message(batch, i);
//       size_t len;
//       const uint8_t *body = bindery_message_body(m, &len);
//       ... bindery_message_ack(m) or bindery_message_retry(m, NULL) ...
//     }
//   }
//   BINDERY_QUEUE_HANDLER(consume)
//
//   static void tick(bindery_scheduled_controller *c) {
//     ... bindery_scheduled_cron(c), bindery_scheduled_time(c) ...
//   }
//   BINDERY_SCHEDULED_HANDLER(tick)
//
// guest-sdk/c/build.sh compiles the handlers' part of the SDK (queue_handler.c
// with generated-queue-consumer/, scheduled.c with generated-scheduled/)
// only into a Worker that uses it, found by the linker as for Durable
// Objects, so that a Worker without handlers does not export them.

// bindery_queue_content_type is how a message's body is encoded
// (Cloudflare's contentType).
typedef enum bindery_queue_content_type {
  BINDERY_QUEUE_TEXT = 0,  // UTF-8 text
  BINDERY_QUEUE_BYTES = 1, // raw bytes
  BINDERY_QUEUE_JSON = 2,  // JSON text
  BINDERY_QUEUE_V8 = 3,    // a structured value (bindery_sv_writer's encoding)
} bindery_queue_content_type;

// bindery_queue_options holds an optional delay: with has_delay,
// delay_seconds before the message may be delivered (a send: at most
// 86400) or retried (a retry). NULL, or has_delay false, means the
// default: for a send the batch's delay, else the producer's
// delivery_delay; for a retry the consumer's retry_delay.
typedef struct bindery_queue_options {
  bool has_delay;
  uint32_t delay_seconds;
} bindery_queue_options;

// bindery_queue is an open queue producer binding. Handles are cached for
// the life of the instance: never free one.
typedef struct bindery_queue bindery_queue;

// bindery_queue_open opens the queue binding named binding (e.g. "QUEUE").
bindery_status bindery_queue_open(const char *binding, bindery_queue **q);
// bindery_queue_send_text sends the NUL-terminated UTF-8 text (a
// JavaScript consumer's body is a string). opts may be NULL.
bindery_status bindery_queue_send_text(bindery_queue *q, const char *text, const bindery_queue_options *opts);
// bindery_queue_send_bytes sends len bytes (a JavaScript consumer's body
// is an ArrayBuffer).
bindery_status bindery_queue_send_bytes(bindery_queue *q, const void *data, size_t len,
                                        const bindery_queue_options *opts);
// bindery_queue_send_json sends the NUL-terminated JSON text as is, with
// content type json (a JavaScript consumer's body is the parsed value).
// The text is not checked: the consumer parses it.
bindery_status bindery_queue_send_json(bindery_queue *q, const char *json, const bindery_queue_options *opts);
// bindery_queue_send_value sends a structured value, len bytes of the
// encoding bindery_sv_writer_finish made, with content type v8 (a
// JavaScript consumer's body is the value). An encoding the reader
// refuses is BINDERY_ERR_INVALID.
bindery_status bindery_queue_send_value(bindery_queue *q, const void *encoded, size_t len,
                                        const bindery_queue_options *opts);

// bindery_queue_send_request is one message of a batch.
typedef struct bindery_queue_send_request {
  bindery_queue_content_type content_type;
  // body: len bytes (text and json: UTF-8; v8: a structured-value encoding).
  const void *body;
  size_t len;
  // has_delay, delay_seconds: the message's own delay, else the batch's.
  bool has_delay;
  uint32_t delay_seconds;
} bindery_queue_send_request;

// bindery_queue_send sends one message described as a batch's is.
bindery_status bindery_queue_send(bindery_queue *q, const bindery_queue_send_request *msg);
// bindery_queue_send_batch sends n messages at once, all or none; opts'
// delay applies to each message that has none of its own.
bindery_status bindery_queue_send_batch(bindery_queue *q, const bindery_queue_send_request *msgs, size_t n,
                                        const bindery_queue_options *opts);

// bindery_batch is a batch of messages of one queue, handed to the queue
// handler; bindery_message one of its messages. Both, and everything they
// return, belong to the SDK until the handler returns.
typedef struct bindery_batch bindery_batch;
typedef struct bindery_message bindery_message;

// bindery_queue_handler handles a batch. What happens to each message when
// it returns: acked if bindery_message_ack was called on it, retried if
// bindery_message_retry was; otherwise retried when bindery_batch_retry_all
// or bindery_batch_fail was called, else acked.
typedef void (*bindery_queue_handler)(bindery_batch *batch);

// bindery_serve_queue makes fn the Worker's queue handler.
// BINDERY_QUEUE_HANDLER calls it from a constructor.
void bindery_serve_queue(bindery_queue_handler fn);

// BINDERY_QUEUE_HANDLER(fn) registers fn as the Worker's queue handler;
// write it once, at file scope.
#define BINDERY_QUEUE_HANDLER(fn)                                              \
  __attribute__((constructor)) static void bindery_register_queue_##fn(void) { \
    bindery_serve_queue(fn);                                                   \
  }

// bindery_batch_queue returns the name of the queue (the config's queue,
// e.g. "jobs", not a binding name).
const char *bindery_batch_queue(const bindery_batch *b);
// bindery_batch_len returns how many messages the batch holds.
size_t bindery_batch_len(const bindery_batch *b);
// bindery_batch_message returns message i (NULL past the end).
bindery_message *bindery_batch_message(bindery_batch *b, size_t i);
// bindery_batch_ack_all acknowledges every message not retried with
// bindery_message_retry (ackAll()). After bindery_batch_retry_all it has
// no effect (a warning is logged).
void bindery_batch_ack_all(bindery_batch *b);
// bindery_batch_retry_all retries every message not acked with
// bindery_message_ack (retryAll()); opts may be NULL. After
// bindery_batch_ack_all it has no effect (a warning is logged).
void bindery_batch_retry_all(bindery_batch *b, const bindery_queue_options *opts);
// bindery_batch_fail makes the handler fail, as a thrown error: the host
// logs reason and retries every message not acked. The first reason is kept.
void bindery_batch_fail(bindery_batch *b, const char *reason);
// bindery_batch_failf is bindery_batch_fail with a printf format.
void bindery_batch_failf(bindery_batch *b, const char *format, ...) __attribute__((format(printf, 2, 3)));

// bindery_message_id returns the message's id (32 hex digits), the same
// on every attempt.
const char *bindery_message_id(const bindery_message *m);
// bindery_message_timestamp returns when the message was sent, in
// milliseconds since the Unix epoch.
int64_t bindery_message_timestamp(const bindery_message *m);
// bindery_message_attempts returns how many times the message has been
// delivered, this time included (1 on the first delivery).
uint32_t bindery_message_attempts(const bindery_message *m);
// bindery_message_content_type returns how the body is encoded.
bindery_queue_content_type bindery_message_content_type(const bindery_message *m);
// bindery_message_body returns the body's bytes and sets *len (may be
// NULL); a NUL follows them, so text and JSON read as C strings (when they
// hold no NUL). Decode a v8 body with a bindery_sv_reader.
const uint8_t *bindery_message_body(const bindery_message *m, size_t *len);
// bindery_message_ack acknowledges the message (ack()). The first of ack
// and retry wins: ack after bindery_message_retry, or after
// bindery_batch_retry_all, has no effect (a warning is logged), and after
// bindery_batch_ack_all none either.
void bindery_message_ack(bindery_message *m);
// bindery_message_retry retries the message (retry()); opts may be NULL.
// After bindery_message_ack or bindery_batch_ack_all it has no effect (a
// warning is logged); a second retry changes the delay.
void bindery_message_retry(bindery_message *m, const bindery_queue_options *opts);

// bindery_scheduled_controller is a cron trigger's event (Cloudflare's
// ScheduledController), handed to the scheduled handler; it belongs to the
// SDK until the handler returns.
typedef struct bindery_scheduled_controller bindery_scheduled_controller;
// bindery_scheduled_handler handles a cron trigger's event.
typedef void (*bindery_scheduled_handler)(bindery_scheduled_controller *c);

// bindery_serve_scheduled makes fn the Worker's scheduled handler.
// BINDERY_SCHEDULED_HANDLER calls it from a constructor.
void bindery_serve_scheduled(bindery_scheduled_handler fn);

// BINDERY_SCHEDULED_HANDLER(fn) registers fn as the Worker's scheduled
// handler; write it once, at file scope.
#define BINDERY_SCHEDULED_HANDLER(fn)                                              \
  __attribute__((constructor)) static void bindery_register_scheduled_##fn(void) { \
    bindery_serve_scheduled(fn);                                                   \
  }

// bindery_scheduled_cron returns the cron expression that fired, as
// written in the config.
const char *bindery_scheduled_cron(const bindery_scheduled_controller *c);
// bindery_scheduled_time returns when the event was scheduled, in
// milliseconds since the Unix epoch (scheduledTime).
int64_t bindery_scheduled_time(const bindery_scheduled_controller *c);
// bindery_scheduled_no_retry is Cloudflare's noRetry(): accepted, with no
// effect, as Bindery never retries a scheduled event.
void bindery_scheduled_no_retry(bindery_scheduled_controller *c);
// bindery_scheduled_fail makes the handler fail, as a thrown error: the
// host logs reason. The first reason is kept.
void bindery_scheduled_fail(bindery_scheduled_controller *c, const char *reason);
// bindery_scheduled_failf is bindery_scheduled_fail with a printf format.
void bindery_scheduled_failf(bindery_scheduled_controller *c, const char *format, ...)
    __attribute__((format(printf, 2, 3)));

// ---- Structured values ---------------------------------------------------
//
// The structured-value encoding (docs/durable-objects.md, "The
// structured-value encoding"): the bytes in which Durable Object storage
// values, RPC arguments and results, WebSocket attachments and thrown
// values cross, identical in every SDK (CBOR with a fixed set of tags,
// after the prefix d9 d9 f7). C has no value tree: a writer takes a value
// item by item in pre-order, and a reader hands it back the same way.
//
//   bindery_sv_writer w;
//   bindery_sv_writer_init(&w);
//   bindery_sv_object_begin(&w, 2);
//   bindery_sv_key(&w, "name", 4);  bindery_sv_write_string(&w, "hits", 4);
//   bindery_sv_key(&w, "value", 5); bindery_sv_write_int64(&w, 42);
//   bindery_bytes enc;
//   if (bindery_sv_writer_finish(&w, &enc) != BINDERY_OK) { ... bindery_sv_writer_errmsg(&w) ... }
//
//   bindery_sv_reader r;
//   if (bindery_sv_reader_init(&r, enc.data, enc.len) != BINDERY_OK) { ... bindery_sv_reader_errmsg(&r) ... }
//   bindery_sv_item it;
//   bindery_sv_next(&r, &it);            // BINDERY_SV_OBJECT, it.count == 2
//   for (size_t i = 0; i < it.count; i++) {
//     bindery_sv_item key, val;
//     bindery_sv_next(&r, &key);         // BINDERY_SV_STRING
//     bindery_sv_next(&r, &val);         // or bindery_sv_skip(&r) to pass over a whole value
//   }
//
// The code is in structured.c, which needs nothing from the host (build.sh
// compiles it with the SDK).

// bindery_sv_kind is the kind of one item.
typedef enum bindery_sv_kind {
  BINDERY_SV_END = 0, // bindery_sv_next: the value has been read
  BINDERY_SV_UNDEFINED,
  BINDERY_SV_NULL,
  BINDERY_SV_BOOL,      // item.boolean
  BINDERY_SV_NUMBER,    // item.number (an IEEE 754 double)
  BINDERY_SV_BIGINT,    // item.negative, item.data, item.len (see bindery_sv_item)
  BINDERY_SV_STRING,    // item.data, item.len: UTF-8, not NUL-terminated
  BINDERY_SV_BYTES,     // item.data, item.len: an ArrayBuffer
  BINDERY_SV_TYPED,     // item.typed, item.data, item.len: a typed array's bytes, little-endian
  BINDERY_SV_ARRAY,     // item.count elements follow
  BINDERY_SV_OBJECT,    // item.count entries follow, each a STRING key then its value
  BINDERY_SV_MAP,       // item.count entries follow, each a key (any kind) then its value
  BINDERY_SV_SET,       // item.count elements follow
  BINDERY_SV_DATE,      // item.number: milliseconds since the epoch (NaN: an invalid Date)
  BINDERY_SV_ERROR,     // item.name, item.message, item.stack; the cause follows when item.has_cause
} bindery_sv_kind;

// bindery_sv_typed is a typed array's kind; its value is its CBOR tag.
typedef enum bindery_sv_typed {
  BINDERY_SV_UINT8 = 64,
  BINDERY_SV_UINT8_CLAMPED = 68,
  BINDERY_SV_INT8 = 72,
  BINDERY_SV_UINT16 = 69,
  BINDERY_SV_UINT32 = 70,
  BINDERY_SV_BIGUINT64 = 71,
  BINDERY_SV_INT16 = 77,
  BINDERY_SV_INT32 = 78,
  BINDERY_SV_BIGINT64 = 79,
  BINDERY_SV_FLOAT16 = 84,
  BINDERY_SV_FLOAT32 = 85,
  BINDERY_SV_FLOAT64 = 86,
} bindery_sv_typed;

// BINDERY_SV_MAX_DEPTH is how deep arrays, maps and tags may nest (an
// Error is three levels: its tag, array and map).
#define BINDERY_SV_MAX_DEPTH 256

// bindery_sv_writer builds one encoded value. Errors are sticky: after the
// first, every call returns it and bindery_sv_writer_finish fails.
typedef struct bindery_sv_writer {
  uint8_t *data;
  size_t len, cap;
  bindery_status status;
  char err[160];
  bool done;     // one whole value has been written
  size_t depth;  // nesting levels now open
  size_t nopen;
  // The open containers: items still owed (an object's keys and values
  // count separately), whether it is an object (keys at even counts), and
  // how many nesting levels it holds.
  struct {
    size_t remaining;
    bool object;
    uint8_t levels;
  } open[BINDERY_SV_MAX_DEPTH];
} bindery_sv_writer;

// bindery_sv_writer_init starts a value (it writes the prefix).
void bindery_sv_writer_init(bindery_sv_writer *w);
// bindery_sv_writer_finish hands the encoding to *out (the caller's: free
// it with bindery_bytes_free) once exactly one whole value has been
// written; else it returns BINDERY_ERR_INVALID and frees the buffer.
bindery_status bindery_sv_writer_finish(bindery_sv_writer *w, bindery_bytes *out);
// bindery_sv_writer_free discards an unfinished writer's buffer.
void bindery_sv_writer_free(bindery_sv_writer *w);
// bindery_sv_writer_errmsg names what the first failed call refused ("" if none).
const char *bindery_sv_writer_errmsg(const bindery_sv_writer *w);

// Each write adds one item: in an array, Set or Map the next element, key
// or value; in an object the next value (after bindery_sv_key). They return
// BINDERY_ERR_INVALID (and set the message) for what the encoding refuses:
// a string that is not UTF-8, a typed array whose length is not a multiple
// of its element size, more items than a container announced, a value where
// an object needs a key, nesting deeper than BINDERY_SV_MAX_DEPTH.
bindery_status bindery_sv_write_undefined(bindery_sv_writer *w);
bindery_status bindery_sv_write_null(bindery_sv_writer *w);
bindery_status bindery_sv_write_bool(bindery_sv_writer *w, bool b);
// bindery_sv_write_number writes a number: an integer item when n is
// integral, not -0 and within 2^53 - 1, else a float64 (NaN canonical).
bindery_status bindery_sv_write_number(bindery_sv_writer *w, double n);
// bindery_sv_write_int64 writes n as a number when |n| <= 2^53 - 1 and as a
// bigint otherwise, so that no digit is lost; bindery_sv_write_uint64 likewise.
bindery_status bindery_sv_write_int64(bindery_sv_writer *w, int64_t n);
bindery_status bindery_sv_write_uint64(bindery_sv_writer *w, uint64_t n);
// bindery_sv_write_bigint writes a bigint in CBOR's form: the value is the
// big-endian magnitude data[0..len) when !negative, and -1 - data[0..len)
// when negative (so -1n is negative with len 0). Leading zero bytes are
// dropped.
bindery_status bindery_sv_write_bigint(bindery_sv_writer *w, bool negative, const uint8_t *data, size_t len);
// bindery_sv_write_string writes len bytes of UTF-8 (NUL is a character).
bindery_status bindery_sv_write_string(bindery_sv_writer *w, const char *s, size_t len);
// bindery_sv_write_bytes writes an ArrayBuffer.
bindery_status bindery_sv_write_bytes(bindery_sv_writer *w, const void *data, size_t len);
// bindery_sv_write_typed writes a typed array of kind over len bytes (its
// elements little-endian).
bindery_status bindery_sv_write_typed(bindery_sv_writer *w, bindery_sv_typed kind, const void *data, size_t len);
// bindery_sv_write_date writes a Date of ms milliseconds since the epoch
// (NaN: an invalid Date).
bindery_status bindery_sv_write_date(bindery_sv_writer *w, double ms);
// bindery_sv_write_error writes an Error: name is one of Error, EvalError,
// RangeError, ReferenceError, SyntaxError, TypeError, URIError (any other
// is written as "Error"), message and stack (NULL: none) NUL-terminated
// UTF-8. With has_cause, the next value written is its cause.
bindery_status bindery_sv_write_error(bindery_sv_writer *w, const char *name, const char *message, const char *stack,
                                      bool has_cause);
// bindery_sv_array_begin starts an array of n elements (the next n values);
// bindery_sv_set_begin a Set of n elements; bindery_sv_map_begin a Map of n
// entries (the next 2n values: key, value, ...); bindery_sv_object_begin a
// plain object of n entries, each a bindery_sv_key and then a value (the
// writer does not check that keys differ: write each key once).
bindery_status bindery_sv_array_begin(bindery_sv_writer *w, size_t n);
bindery_status bindery_sv_set_begin(bindery_sv_writer *w, size_t n);
bindery_status bindery_sv_map_begin(bindery_sv_writer *w, size_t n);
bindery_status bindery_sv_object_begin(bindery_sv_writer *w, size_t n);
// bindery_sv_key writes an object's next key (len bytes of UTF-8).
bindery_status bindery_sv_key(bindery_sv_writer *w, const char *key, size_t len);

// bindery_sv_item is one item a reader hands back. Its pointers point into
// the reader's input (or static strings) and stay valid while the input does.
typedef struct bindery_sv_item {
  bindery_sv_kind kind;
  size_t offset;   // where the item starts in the input
  bool boolean;    // BOOL
  double number;   // NUMBER; DATE: milliseconds
  // STRING, BYTES, TYPED: the bytes. BIGINT: the big-endian magnitude in
  // CBOR's form, without leading zero bytes: the value is the magnitude
  // when !negative, and -1 - magnitude when negative.
  const uint8_t *data;
  size_t len;
  bool negative;         // BIGINT
  bindery_sv_typed typed; // TYPED
  size_t count;          // ARRAY, SET: elements; OBJECT, MAP: entries
  // ERROR: name (one of the seven; "Error" for any other), message ("" when
  // missing) and stack (NULL when none), each UTF-8 of its _len bytes,
  // not NUL-terminated (they point into the input).
  const char *name, *message, *stack;
  size_t name_len, message_len, stack_len;
  bool has_cause; // ERROR: the next value is its cause
} bindery_sv_item;

// bindery_sv_reader reads one encoded value item by item.
typedef struct bindery_sv_reader {
  const uint8_t *data;
  size_t len, pos;
  char err[160];
  size_t err_offset;
  bool started;
  size_t nopen;
  // The open containers: items still to come, where to go on once they
  // have (0: right after; an Error's cause is read out of order), and
  // whether it is a Map or a Set (whose keys and elements read -0 as 0).
  struct {
    size_t remaining;
    size_t resume;
    uint8_t keyed; // 1: a Map, 2: a Set
  } open[BINDERY_SV_MAX_DEPTH];
} bindery_sv_reader;

// bindery_sv_reader_init checks the whole encoding of len bytes at data
// (kept, not copied) and readies r to read it. It refuses what the
// encoding refuses — no prefix, trailing bytes, indefinite lengths,
// unknown tags and simple values, text that is not UTF-8, an object key
// that is not a string or comes twice, a tag over the wrong type, nesting
// deeper than BINDERY_SV_MAX_DEPTH — with BINDERY_ERR_INVALID and
// bindery_sv_reader_errmsg naming the byte offset.
bindery_status bindery_sv_reader_init(bindery_sv_reader *r, const void *data, size_t len);
// bindery_sv_reader_errmsg returns why init refused the input ("at byte N:
// ..."), and *offset (may be NULL) the offset.
const char *bindery_sv_reader_errmsg(const bindery_sv_reader *r, size_t *offset);
// bindery_sv_next reads the next item in pre-order into *item and returns
// its kind, or BINDERY_SV_END when the whole value has been read. A Map key
// or Set element -0 reads as 0 (as Map.prototype.set and Set.prototype.add
// make it). A Map's entries and a Set's elements come as written; a key or
// element repeated (only other CBOR encoders write one) is the caller's to
// drop: JavaScript keeps the first one's place and, for a Map, the later
// value (bindery_sv_same tells).
bindery_sv_kind bindery_sv_next(bindery_sv_reader *r, bindery_sv_item *item);
// bindery_sv_skip passes over the next whole value (an item and everything
// inside it) and returns its kind.
bindery_sv_kind bindery_sv_skip(bindery_sv_reader *r);
// bindery_sv_same reports whether two Map keys or Set elements are the same
// in JavaScript (SameValueZero): undefined, null, booleans, numbers (NaN is
// NaN, 0 is -0), bigints and strings by value; any other item (an object)
// is only ever itself.
bool bindery_sv_same(const bindery_sv_item *a, const bindery_sv_item *b);
// bindery_sv_item_int64 stores a NUMBER that is integral and in range, or
// a BIGINT in range, in *out and returns true; else it returns false.
bool bindery_sv_item_int64(const bindery_sv_item *item, int64_t *out);

#ifdef __cplusplus
}
#endif

#endif // BINDERY_H
