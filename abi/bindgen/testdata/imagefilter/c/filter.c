// The image-filter plugin of abi/bindgen's end-to-end test, in C, on the
// bindings that bindery bindgen made in ./gen.

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "image_filter_world.h"

static bindery_string_t dup(const char *s) {
  bindery_string_t r = {(uint8_t *)strdup(s), strlen(s)};
  return r;
}

bool exports_image_filter_apply(bindery_list_u8_t img, image_filter_params_t params, bindery_list_u8_t *ret,
                                image_filter_error_t *err) {
  bool ok = false;
  if (params.label.is_some) {
    size_t n = params.label.val.len;
    char *msg = malloc(n + 3);
    memcpy(msg, "c: ", 3);
    memcpy(msg + 3, params.label.val.ptr, n);
    bindery_string_t s = {(uint8_t *)msg, n + 3};
    image_log_log(IMAGE_LOG_LEVEL_INFO, s);
    free(msg);
  }
  if (img.len == 0) {
    err->tag = IMAGE_FILTER_ERROR_BAD_IMAGE;
    err->val.bad_image = dup("empty image");
  } else if (img.len > 1 << 20) {
    err->tag = IMAGE_FILTER_ERROR_TOO_LARGE;
    err->val.too_large = (uint32_t)img.len;
  } else if (params.brightness == 999) {
    err->tag = IMAGE_FILTER_ERROR_UNSUPPORTED;
  } else {
    ret->ptr = malloc(img.len);
    ret->len = img.len;
    for (size_t i = 0; i < img.len; i++) {
      int32_t v = (int32_t)img.ptr[i] + params.brightness;
      v = v < 0 ? 0 : v > 255 ? 255 : v;
      ret->ptr[i] = params.invert ? (uint8_t)(255 - v) : (uint8_t)v;
    }
    if (params.mode & IMAGE_FILTER_MODE_MIRROR) {
      for (size_t i = 0, j = img.len - 1; i < j; i++, j--) {
        uint8_t t = ret->ptr[i];
        ret->ptr[i] = ret->ptr[j];
        ret->ptr[j] = t;
      }
    }
    ok = true;
  }
  bindery_list_u8_free(&img);
  image_filter_params_free(&params);
  return ok;
}

bindery_string_t exports_image_filter_version(void) {
  image_log_span_t span = image_log_span_new(bindery_string_borrow("version"));
  bindery_string_t name = image_log_span_finish(span);
  image_log_span_drop(span);
  char buf[96];
  snprintf(buf, sizeof buf, "c 1 at %llu (%.*s)", (unsigned long long)image_filter_now_ms(), (int)name.len,
           (const char *)name.ptr);
  bindery_string_free(&name);
  return dup(buf);
}

image_info_list_string_t exports_image_info_describe(void) {
  image_info_list_string_t r;
  r.len = 3;
  r.ptr = malloc(3 * sizeof(bindery_string_t));
  r.ptr[0] = dup("c");
  r.ptr[1] = dup("brightness");
  r.ptr[2] = dup("invert");
  return r;
}
