// bindery_durable.h: Durable Objects in a C (or C++) Bindery Worker.
//
// A Worker reaches objects through a namespace binding (Cloudflare's
// env.COUNTER): ids, stubs, stub fetch and RPC calls. A Worker defines a
// class with bindery_do_define (or BINDERY_DO_CLASS): a table of callbacks
// the SDK calls with the object's own pointer and its state (Cloudflare's
// ctx: storage, SQL, the alarm, web sockets).
//
//   static void *counter_new(bindery_do_state *st, void *data) { return calloc(1, sizeof(int64_t)); }
//   static bindery_status counter_call(void *obj, bindery_do_state *st, const char *method, size_t argc,
//                                      bindery_sv_reader *args, bindery_sv_writer *result) { ... }
//   static const bindery_do_class counter = {.name = "Counter", .construct = counter_new,
//                                            .call = counter_call, .destroy = free};
//   BINDERY_DO_CLASS(counter)
//
// docs/sdk-c.md has the whole counter and the Worker that calls it.
//
// # Building
//
// guest-sdk/c/build.sh compiles the Durable Objects part of the SDK
// (durable.c and generated-durable/, the bindings of world
// worker-with-objects) only into a Worker that uses it: it links without
// it first, and when the linker misses a bindery_do_ symbol, it builds and
// links it in. `build.sh --durable` skips the first attempt.
//
// # Values
//
// Storage values, RPC arguments and results, and web socket attachments
// are bytes in the structured-value encoding: write them with a
// bindery_sv_writer and read them with a bindery_sv_reader (bindery.h), so
// that an object in any language reads what C stored or sent.
//
// # Errors
//
// Calls return a bindery_status, with bindery_errmsg() saying why: a
// binding the config lacks is BINDERY_ERR_NO_SUCH_BINDING, an invalid id
// or argument BINDERY_ERR_INVALID, a storage or SQL limit
// BINDERY_ERR_LIMIT, SQLite's refusal BINDERY_ERR_SQL, a call not allowed
// here (state outside an event, SQL on a KV-backed class)
// BINDERY_ERR_REFUSED, a transaction out of order BINDERY_ERR_TRANSACTION,
// a failed object BINDERY_ERR_OBJECT_FAILED, a closed web socket
// BINDERY_ERR_CLOSED, and an error an RPC method threw BINDERY_ERR_THROWN
// (with the thrown value).
//
// # Nesting
//
// The SDK keeps each event's state apart, so the host may run an object's
// event nested inside a host call of another (docs/durable-objects.md):
// keep what an event needs in locals or the object, not in globals that a
// nested event would change under you.

#ifndef BINDERY_DURABLE_H
#define BINDERY_DURABLE_H

#include "bindery.h"

#ifdef __cplusplus
extern "C" {
#endif

// BINDERY_DO_ID_LEN is the length of an object id: 64 lower-case hex digits.
#define BINDERY_DO_ID_LEN 64

// ---- namespaces, ids and stubs --------------------------------------------

// bindery_do_ns is a Durable Object namespace binding: the objects of one
// class. Namespaces are kept for the life of the instance: never free one.
typedef struct bindery_do_ns bindery_do_ns;

// bindery_do_namespace opens the namespace binding named binding (e.g.
// "COUNTER") into *ns; BINDERY_ERR_NO_SUCH_BINDING when the config has none.
bindery_status bindery_do_namespace(const char *binding, bindery_do_ns **ns);
// bindery_do_id_from_name writes into id the id of the object called name
// (idFromName): the same name always gives the same id.
bindery_status bindery_do_id_from_name(bindery_do_ns *ns, const char *name, char id[BINDERY_DO_ID_LEN + 1]);
// bindery_do_new_unique_id writes into id a new random id (newUniqueId),
// never equal to a named one; jurisdiction is NULL, "eu" or "fedramp".
bindery_status bindery_do_new_unique_id(bindery_do_ns *ns, const char *jurisdiction, char id[BINDERY_DO_ID_LEN + 1]);
// bindery_do_id_from_string checks an id given as 64 hex digits
// (idFromString) and writes it in lower case into id; BINDERY_ERR_INVALID
// for a malformed id or one of another class.
bindery_status bindery_do_id_from_string(bindery_do_ns *ns, const char *s, char id[BINDERY_DO_ID_LEN + 1]);

// bindery_do_stub is the way to one object; free it with bindery_do_stub_free.
typedef struct bindery_do_stub bindery_do_stub;

// bindery_do_get makes a stub for the object with id id (namespace.get).
// Making a stub does not make the object: its first request does.
bindery_status bindery_do_get(bindery_do_ns *ns, const char *id, bindery_do_stub **stub);
// bindery_do_get_by_name makes a stub for the object called name
// (getByName); the object sees its name (bindery_do_state_name).
bindery_status bindery_do_get_by_name(bindery_do_ns *ns, const char *name, bindery_do_stub **stub);
// bindery_do_stub_id returns the object's id (the stub's).
const char *bindery_do_stub_id(const bindery_do_stub *stub);
// bindery_do_stub_free releases the stub.
void bindery_do_stub_free(bindery_do_stub *stub);

// bindery_do_response is an object's answer to a fetch: its head, and a
// body that streams while the object writes it. Free it with
// bindery_do_response_free, or send it on with bindery_do_response_send.
typedef struct bindery_do_response bindery_do_response;

// bindery_do_stub_fetch sends the object the Worker's own request req
// (stub.fetch(request)): its method, URL and headers, and its body,
// passed on inside the host when the handler has not read it. It returns
// once the object has sent the head of its response.
bindery_status bindery_do_stub_fetch(bindery_do_stub *stub, bindery_request *req, bindery_do_response **resp);

// bindery_do_fetch_options are the parts of a request made up by the
// Worker (zero = GET, no headers, no body).
typedef struct bindery_do_fetch_options {
  const char *method;
  const bindery_r2_pair *headers; // name, value
  size_t nheaders;
  const void *body;
  size_t body_len;
} bindery_do_fetch_options;

// bindery_do_stub_fetch_url sends the object a request for url (absolute,
// e.g. "http://do/path"); opts may be NULL.
bindery_status bindery_do_stub_fetch_url(bindery_do_stub *stub, const char *url, const bindery_do_fetch_options *opts,
                                         bindery_do_response **resp);
// bindery_do_response_status returns the response's status (101 when the
// object accepted a web socket).
int bindery_do_response_status(const bindery_do_response *resp);
// bindery_do_response_header returns the first value of header name (any
// case), or NULL; the string is the response's.
const char *bindery_do_response_header(bindery_do_response *resp, const char *name);
// bindery_do_response_read reads the body like bindery_request_read.
long bindery_do_response_read(bindery_do_response *resp, void *buf, size_t cap);
// bindery_do_response_send answers the Worker's request with resp and
// frees resp: its status, headers and body (streamed inside the host), or,
// for the web socket of a 101, the upgrade that joins the Worker's client
// to the object's socket (res must then be the response of the client's
// upgrade request, before anything was written to it).
bindery_status bindery_do_response_send(bindery_do_response *resp, bindery_response *res);
// bindery_do_response_free releases resp (and its body, unread).
void bindery_do_response_free(bindery_do_response *resp);

// bindery_do_stub_call calls the object's RPC method method with args, the
// arguments as one encoded array (NULL and 0: no arguments), and hands
// the encoded result to *result (the caller's; free it with
// bindery_bytes_free). When the method threw, it returns
// BINDERY_ERR_THROWN with the thrown value (an Error, read with
// bindery_sv_next: item.name, item.message) in *result and its message in
// bindery_errmsg().
bindery_status bindery_do_stub_call(bindery_do_stub *stub, const char *method, const void *args, size_t args_len,
                                    bindery_bytes *result);

// ---- classes --------------------------------------------------------------

// bindery_do_state is an object's context (Cloudflare's ctx): its id, its
// storage, its web sockets. It lives while the object is in memory; every
// call acts on the object and only inside one of its events.
typedef struct bindery_do_state bindery_do_state;
// bindery_do_socket is a hibernatable web socket the object accepted: the
// same pointer for the same socket in every event while the object is in
// memory, valid until its close or error event returns or the object is
// evicted.
typedef struct bindery_do_socket bindery_do_socket;

// bindery_do_class is a Durable Object class: its name (the config's
// class_name) and its callbacks, each given the object's pointer (what
// construct returned) and its state. Any callback may be NULL: a missing
// fetch answers 500, a missing call throws a TypeError, a missing alarm
// or web socket message handler fails the event. A callback that returns
// anything but BINDERY_OK throws: what bindery_do_throw set, else an
// Error with bindery_errmsg().
typedef struct bindery_do_class {
  const char *name;
  // construct makes the object's pointer on its first event after a start
  // or an eviction; data is the class's. It may use the state (inside
  // bindery_do_block_concurrency_while to load what it needs first).
  void *(*construct)(bindery_do_state *state, void *data);
  // fetch answers a request sent with stub fetch.
  void (*fetch)(void *obj, bindery_do_state *state, bindery_request *req, bindery_response *res);
  // call runs the RPC method method: args is positioned on its argc
  // arguments (read each with bindery_sv_next or bindery_sv_skip), and
  // the method writes its one result to result (nothing: undefined). An
  // unknown method should return bindery_do_no_such_method(state, method).
  bindery_status (*call)(void *obj, bindery_do_state *state, const char *method, size_t argc, bindery_sv_reader *args,
                         bindery_sv_writer *result);
  // alarm runs the alarm; a failure retries it (up to 6 times).
  bindery_status (*alarm)(void *obj, bindery_do_state *state, uint32_t retry_count, bool is_retry);
  // web_socket_message handles a message on an accepted socket: len bytes
  // of text (UTF-8) or binary data.
  bindery_status (*web_socket_message)(void *obj, bindery_do_state *state, bindery_do_socket *ws, const uint8_t *data,
                                       size_t len, bool binary);
  // web_socket_close: the socket closed with code (1005: none sent, 1006:
  // connection lost) and reason.
  bindery_status (*web_socket_close)(void *obj, bindery_do_state *state, bindery_do_socket *ws, int code,
                                     const char *reason, bool was_clean);
  // web_socket_error: the socket failed (reason says how) and is closed.
  bindery_status (*web_socket_error)(void *obj, bindery_do_state *state, bindery_do_socket *ws, const char *reason);
  // destroy releases the object's pointer when the object leaves memory
  // (eviction); state calls fail there.
  void (*destroy)(void *obj);
  // data is passed to construct.
  void *data;
} bindery_do_class;

// bindery_do_define defines the class cls (kept, not copied: it must live
// for the instance, e.g. a static const). BINDERY_DO_CLASS calls it.
void bindery_do_define(const bindery_do_class *cls);

// BINDERY_DO_CLASS(cls) defines the class in the static bindery_do_class
// cls; write it once per class, at file scope.
#define BINDERY_DO_CLASS(cls)                                                  \
  __attribute__((constructor)) static void bindery_define_##cls(void) {      \
    bindery_do_define(&cls);                                                   \
  }

// bindery_do_throw makes the running event throw an Error named name
// (Error, TypeError, RangeError, ...; any other is thrown as Error) with
// the printf-formatted message, and returns BINDERY_ERR_THROWN for the
// callback to return.
bindery_status bindery_do_throw(bindery_do_state *state, const char *name, const char *format, ...)
    __attribute__((format(printf, 3, 4)));
// bindery_do_no_such_method throws Cloudflare's TypeError for an RPC
// method the class lacks.
bindery_status bindery_do_no_such_method(bindery_do_state *state, const char *method);

// bindery_do_state_id returns the object's id (64 hex digits).
const char *bindery_do_state_id(const bindery_do_state *state);
// bindery_do_state_name returns the name the object was reached by (ctx.id.name), or NULL.
const char *bindery_do_state_name(const bindery_do_state *state);
// bindery_do_state_class returns the object's class name.
const char *bindery_do_state_class(const bindery_do_state *state);

// bindery_do_block_concurrency_while runs fn(arg) while no other event of
// the object is delivered (blockConcurrencyWhile); when fn fails, the
// object is reset (as Cloudflare does) and its status returned.
bindery_status bindery_do_block_concurrency_while(bindery_do_state *state, bindery_status (*fn)(void *arg), void *arg);
// bindery_do_abort resets the object (ctx.abort): its event ends as failed
// (the caller sees BINDERY_ERR_OBJECT_FAILED) and the next event
// constructs it afresh. The callback should return after it.
void bindery_do_abort(bindery_do_state *state, const char *reason);

// ---- storage --------------------------------------------------------------
//
// Each call is one transaction, durable when it returns; calls between
// bindery_do_txn_begin and its commit or rollback belong to that
// transaction. Keys are opaque UTF-8 strings, values encoded bytes.

// bindery_do_storage_get hands the value of key to *value (the caller's),
// or returns BINDERY_NOT_FOUND.
bindery_status bindery_do_storage_get(bindery_do_state *state, const char *key, bindery_bytes *value);
// bindery_do_storage_get_multiple reads up to 128 keys: values[i] is the
// value of keys[i] (the caller's), empty with found[i] false when missing.
bindery_status bindery_do_storage_get_multiple(bindery_do_state *state, const char *const *keys, size_t n,
                                               bindery_bytes *values, bool *found);
// bindery_do_storage_put stores len encoded bytes under key.
bindery_status bindery_do_storage_put(bindery_do_state *state, const char *key, const void *value, size_t len);

// bindery_do_entry is one key and its encoded value.
typedef struct bindery_do_entry {
  const char *key; // NUL-terminated (in a list: owned by the list)
  size_t key_len;  // in a list: the key's length; ignored by put
  const uint8_t *value;
  size_t len;
} bindery_do_entry;

// bindery_do_storage_put_multiple stores up to 128 entries, all or none.
bindery_status bindery_do_storage_put_multiple(bindery_do_state *state, const bindery_do_entry *entries, size_t n);
// bindery_do_storage_delete deletes key; *existed (may be NULL) says whether it did.
bindery_status bindery_do_storage_delete(bindery_do_state *state, const char *key, bool *existed);
// bindery_do_storage_delete_multiple deletes up to 128 keys, all or none;
// *deleted (may be NULL) is how many existed.
bindery_status bindery_do_storage_delete_multiple(bindery_do_state *state, const char *const *keys, size_t n,
                                                  uint32_t *deleted);

// bindery_do_list_options select what bindery_do_storage_list returns (zero: everything).
typedef struct bindery_do_list_options {
  const char *start;       // the first key (inclusive), or NULL
  const char *start_after; // the key to list after (exclusive), or NULL; not with start
  const char *end;         // the key to stop before (exclusive), or NULL
  const char *prefix;      // only keys with this prefix, or NULL
  bool reverse;            // descending order
  uint32_t limit;          // at most this many; 0 = no limit
} bindery_do_list_options;

// bindery_do_entries is a list of entries; free it with bindery_do_entries_free.
typedef struct bindery_do_entries {
  bindery_do_entry *v;
  size_t len;
} bindery_do_entries;

// bindery_do_storage_list returns the entries opts selects (may be NULL),
// in key order (descending when reversed).
bindery_status bindery_do_storage_list(bindery_do_state *state, const bindery_do_list_options *opts,
                                       bindery_do_entries *out);
// bindery_do_entries_free frees the list's keys and values.
void bindery_do_entries_free(bindery_do_entries *entries);
// bindery_do_storage_delete_all deletes every key (for a SQLite-backed
// class, every table) and the alarm.
bindery_status bindery_do_storage_delete_all(bindery_do_state *state);

// bindery_do_txn is an open transaction (a savepoint inside another).
typedef struct bindery_do_txn bindery_do_txn;
// bindery_do_txn_begin begins a transaction: every storage call until its
// commit or rollback, SQL included, is part of it.
bindery_status bindery_do_txn_begin(bindery_do_state *state, bindery_do_txn **txn);
// bindery_do_txn_commit commits txn and frees it (also on failure).
bindery_status bindery_do_txn_commit(bindery_do_txn *txn);
// bindery_do_txn_rollback undoes txn's writes and frees it (also on failure).
bindery_status bindery_do_txn_rollback(bindery_do_txn *txn);

// bindery_do_get_alarm stores the alarm's time (milliseconds since the
// epoch) in *ms, or returns BINDERY_NOT_FOUND when none is set.
bindery_status bindery_do_get_alarm(bindery_do_state *state, int64_t *ms);
// bindery_do_set_alarm sets the one alarm to ms milliseconds since the
// epoch (a time past runs it at once).
bindery_status bindery_do_set_alarm(bindery_do_state *state, int64_t ms);
// bindery_do_delete_alarm deletes the alarm, if one is set.
bindery_status bindery_do_delete_alarm(bindery_do_state *state);

// ---- SQL (SQLite-backed classes) ------------------------------------------

// bindery_do_cursor is the rows of a statement; free it with bindery_do_cursor_free.
typedef struct bindery_do_cursor bindery_do_cursor;

// bindery_do_sql_exec runs one or more statements separated by semicolons
// (sql.exec); only the last may have the nparams parameters (bindery_d1_int
// and friends; params may be NULL when 0). The cursor reads its rows.
bindery_status bindery_do_sql_exec(bindery_do_state *state, const char *query, const bindery_d1_value *params,
                                   size_t nparams, bindery_do_cursor **cur);
// bindery_do_cursor_columns returns how many columns the rows have.
size_t bindery_do_cursor_columns(const bindery_do_cursor *cur);
// bindery_do_cursor_column returns column i's name.
const char *bindery_do_cursor_column(const bindery_do_cursor *cur, size_t i);
// bindery_do_cursor_next moves to the next row and returns true, or false
// after the last row.
bool bindery_do_cursor_next(bindery_do_cursor *cur);
// bindery_do_cursor_row returns the row's values, one per column, valid
// until the next bindery_do_cursor_next (text NUL-terminated).
const bindery_d1_value *bindery_do_cursor_row(const bindery_do_cursor *cur);
// bindery_do_cursor_rows_read and _rows_written count the rows the
// statements read and wrote so far.
uint64_t bindery_do_cursor_rows_read(const bindery_do_cursor *cur);
uint64_t bindery_do_cursor_rows_written(const bindery_do_cursor *cur);
// bindery_do_cursor_free releases the cursor.
void bindery_do_cursor_free(bindery_do_cursor *cur);
// bindery_do_sql_database_size stores the database's size in bytes in *size.
bindery_status bindery_do_sql_database_size(bindery_do_state *state, uint64_t *size);

// ---- web sockets ----------------------------------------------------------

// bindery_do_accept_web_socket accepts the web socket that the fetch
// event's request asks for (acceptWebSocket): the client gets 101, and
// nothing more may be written to res (also when it fails: the request
// then fails). tags (at most 10) select it in bindery_do_get_web_sockets.
bindery_status bindery_do_accept_web_socket(bindery_do_state *state, bindery_response *res, const char *const *tags,
                                            size_t ntags, bindery_do_socket **ws);
// bindery_do_accept_web_socket_in_memory accepts the web socket without
// hibernation (a WebSocketPair's accept()): the object stays in memory
// while it is open; its events arrive as a hibernatable socket's; it has
// no tags.
bindery_status bindery_do_accept_web_socket_in_memory(bindery_do_state *state, bindery_response *res,
                                                      bindery_do_socket **ws);
// bindery_do_get_web_sockets returns the object's open sockets (those
// tagged tag, unless NULL) in the order they were accepted: *list (free
// the array with free(); the sockets are the state's) and *n.
bindery_status bindery_do_get_web_sockets(bindery_do_state *state, const char *tag, bindery_do_socket ***list,
                                          size_t *n);
// bindery_do_set_web_socket_auto_response makes the host answer request
// with response on every socket without an event; NULL, NULL clears it.
bindery_status bindery_do_set_web_socket_auto_response(bindery_do_state *state, const char *request,
                                                       const char *response);
// bindery_do_set_web_socket_event_timeout bounds a web socket event in
// milliseconds (at most 7 days); 0: no bound.
bindery_status bindery_do_set_web_socket_event_timeout(bindery_do_state *state, uint32_t ms);

// bindery_do_socket_key returns a number naming the socket while it is open.
uint64_t bindery_do_socket_key(const bindery_do_socket *ws);
// bindery_do_socket_send sends len bytes as a text (UTF-8) or binary message.
bindery_status bindery_do_socket_send(bindery_do_socket *ws, const void *data, size_t len, bool binary);
// bindery_do_socket_close closes the socket with code (1000 or 3000 to
// 4999; 0 sends none) and reason (NULL: none).
bindery_status bindery_do_socket_close(bindery_do_socket *ws, int code, const char *reason);
// bindery_do_socket_tags returns how many tags the socket has and puts
// them (the socket's strings) in tags[0..min(n, cap)).
size_t bindery_do_socket_tags(bindery_do_socket *ws, const char **tags, size_t cap);
// bindery_do_socket_serialize_attachment keeps len encoded bytes (at most
// 16 KiB) with the socket across hibernation.
bindery_status bindery_do_socket_serialize_attachment(bindery_do_socket *ws, const void *value, size_t len);
// bindery_do_socket_deserialize_attachment hands what was kept to *value
// (the caller's), or returns BINDERY_NOT_FOUND.
bindery_status bindery_do_socket_deserialize_attachment(bindery_do_socket *ws, bindery_bytes *value);

#ifdef __cplusplus
}
#endif

#endif // BINDERY_DURABLE_H
