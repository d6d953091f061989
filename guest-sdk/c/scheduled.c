// scheduled.c: the scheduled handler (bindery_serve_scheduled,
// bindery_scheduled_*), which implements the export of
// bindery:scheduled/handler (generated-scheduled/). build.sh compiles both
// only into a Worker that uses them, so that no other Worker exports a
// scheduled handler. See bindery.h.

#include "bindery.h"
#include "bindery_internal.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "generated-scheduled/scheduled_handler.h"

struct bindery_scheduled_controller {
  char *cron;
  int64_t scheduled_time;
  char *error; // the first bindery_scheduled_fail reason, or NULL
};

static bindery_scheduled_handler handler;

void bindery_serve_scheduled(bindery_scheduled_handler fn) { handler = fn; }

const char *bindery_scheduled_cron(const bindery_scheduled_controller *c) { return c->cron; }

int64_t bindery_scheduled_time(const bindery_scheduled_controller *c) { return c->scheduled_time; }

void bindery_scheduled_no_retry(bindery_scheduled_controller *c) { (void)c; }

void bindery_scheduled_fail(bindery_scheduled_controller *c, const char *reason) {
  if (c->error) {
    return;
  }
  if (!reason) {
    reason = "the scheduled handler failed";
  }
  // The host logs the text: make it UTF-8.
  bindery_string_t s = bindery__utf8_copy(reason, strlen(reason));
  c->error = malloc(s.len + 1);
  if (!c->error) {
    abort();
  }
  memcpy(c->error, s.ptr, s.len);
  c->error[s.len] = 0;
  bindery_string_free(&s);
}

void bindery_scheduled_failf(bindery_scheduled_controller *c, const char *format, ...) {
  char msg[1024];
  va_list ap;
  va_start(ap, format);
  vsnprintf(msg, sizeof msg, format, ap);
  va_end(ap);
  bindery_scheduled_fail(c, msg);
}

bool exports_scheduled_handler_scheduled(scheduled_handler_controller_t controller, bindery_string_t *err) {
  bindery_scheduled_controller c = {.scheduled_time = controller.scheduled_time};
  c.cron = malloc(controller.cron.len + 1);
  if (!c.cron) {
    abort();
  }
  memcpy(c.cron, controller.cron.ptr, controller.cron.len);
  c.cron[controller.cron.len] = 0;
  scheduled_handler_controller_free(&controller);

  if (handler) {
    handler(&c);
  } else {
    bindery_scheduled_fail(&c, "no scheduled handler");
  }
  free(c.cron);
  if (c.error) {
    // The bindings free it after the host has read it.
    *err = (bindery_string_t){(uint8_t *)c.error, strlen(c.error)};
    return false;
  }
  return true;
}
