// brighten is an image-filter plugin in C: it inverts the image's bytes
// when asked, then adds the brightness (saturating), and logs what it did
// when it was granted log. Build it as a reactor with the generated
// bindings in imagefilter/:
//
//   clang --target=wasm32-wasi -O2 -mexec-model=reactor -Iimagefilter \
//     -o brighten.wasm brighten.c imagefilter/*.c

#include <stdio.h>
#include <stdlib.h>

#include "image_filter_world.h"

#define MAX_IMAGE (4 << 20)

bool exports_image_filter_apply(bindery_list_u8_t img, image_filter_params_t params,
                                bindery_list_u8_t *ret, image_filter_error_t *err) {
  if (img.len > MAX_IMAGE) {
    bindery_list_u8_free(&img);
    err->tag = IMAGE_FILTER_ERROR_TOO_LARGE;
    err->val.too_large = MAX_IMAGE;
    return false;
  }
  // The filter works in place: img is ours, and becomes the result.
  for (size_t i = 0; i < img.len; i++) {
    int32_t v = img.ptr[i];
    if (params.invert) v = 255 - v;
    v += params.brightness;
    img.ptr[i] = v < 0 ? 0 : v > 255 ? 255 : (uint8_t)v;
  }
  char msg[96];
  int n = snprintf(msg, sizeof msg, "brighten: %zu bytes, invert=%s, brightness=%d", img.len,
                   params.invert ? "true" : "false", (int)params.brightness);
  bindery_string_t s = {(uint8_t *)msg, (size_t)n};
  plugins_log_log(s);
  *ret = img;
  return true;
}
