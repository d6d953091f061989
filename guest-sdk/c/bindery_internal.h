// bindery_internal.h: what bindery.c shares with the SDK's other parts
// (durable.c, queue.c, queue_handler.c, scheduled.c). Not part of the API:
// a Worker includes bindery.h and bindery_durable.h only.

#ifndef BINDERY_INTERNAL_H
#define BINDERY_INTERNAL_H

#include "bindery.h"
#include "generated/http_types.h"
#include "generated/io_streams.h"

// bindery__fail records msg (len bytes) as bindery_errmsg() and returns st.
bindery_status bindery__fail(bindery_status st, const uint8_t *msg, size_t len);
// bindery__not_utf8_n refuses (records the message, returns true) the len
// bytes at s, named what, when they are not valid UTF-8.
bool bindery__not_utf8_n(const char *what, const char *s, size_t len);

// bindery__utf8_copy copies len bytes at s into a malloc'd WIT string
// (free it with bindery_string_free) with each byte that is not UTF-8
// replaced by U+FFFD.
bindery_string_t bindery__utf8_copy(const char *s, size_t len);

// bindery__serve_fn handles one request, as a bindery_handler with a context.
typedef void (*bindery__serve_fn)(void *ctx, bindery_request *req, bindery_response *res);
// bindery__serve_request serves a request the host handed over (a
// Worker's, or a Durable Object's fetch event) with fn, then sends what fn
// did not and releases everything.
void bindery__serve_request(http_types_request_t head, io_streams_input_stream_t body,
                            http_types_response_outparam_t out, bindery__serve_fn fn, void *ctx);
// bindery__request_head returns the request as the host gave it.
const http_types_request_t *bindery__request_head(const bindery_request *req);
// bindery__request_take_body hands over the request body's stream (false
// when it was read to its end or handed over before).
bool bindery__request_take_body(bindery_request *req, io_streams_input_stream_t *s);
// bindery__response_outparam takes res's response-outparam to answer the
// request another way, before anything was sent: borrowed (give false:
// finish drops it) or given away (give true). Afterwards nothing goes out
// through res. It returns false once anything was sent or handed.
bool bindery__response_outparam(bindery_response *res, bool give, http_types_response_outparam_t *out);
// bindery__body_new wraps a host stream as a bindery_body (free it with
// bindery_body_close).
bindery_body *bindery__body_new(io_streams_input_stream_t s);

#endif // BINDERY_INTERNAL_H
