// structured.c: the structured-value encoding (bindery.h, "Structured
// values"; the format is docs/durable-objects.md's). It needs nothing from
// the host, so it also builds natively for its unit test
// (conformance/c-structured, run by conformance/c_structured_test.go).

#include "bindery.h"

#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MAX_SAFE 9007199254740991.0 // 2^53 - 1

static const char *const error_names[] = {"Error",       "EvalError", "RangeError", "ReferenceError",
                                          "SyntaxError", "TypeError", "URIError"};

// error_name returns the static name among the seven that s[0..len) is,
// or "Error".
static const char *error_name(const char *s, size_t len) {
  for (size_t i = 0; i < sizeof error_names / sizeof error_names[0]; i++) {
    if (strlen(error_names[i]) == len && memcmp(error_names[i], s, len) == 0) {
      return error_names[i];
    }
  }
  return "Error";
}

// typed_size returns the element size of the typed array whose tag is tag,
// or 0 when tag is no typed array's.
static size_t typed_size(uint64_t tag) {
  switch (tag) {
  case 64: case 68: case 72: return 1;
  case 69: case 77: case 84: return 2;
  case 70: case 78: case 85: return 4;
  case 71: case 79: case 86: return 8;
  default: return 0;
  }
}

// utf8_bad returns the offset of the first byte of s[0..len) that is not
// part of valid UTF-8 (overlong forms, surrogates and code points beyond
// U+10FFFF are not), or len.
static size_t utf8_bad(const uint8_t *s, size_t len) {
  size_t i = 0;
  while (i < len) {
    uint8_t c = s[i];
    size_t n;
    uint8_t lo = 0x80, hi = 0xbf;
    if (c < 0x80) {
      i++;
      continue;
    } else if (c >= 0xc2 && c <= 0xdf) {
      n = 1;
    } else if (c >= 0xe0 && c <= 0xef) {
      n = 2;
      if (c == 0xe0) lo = 0xa0;
      if (c == 0xed) hi = 0x9f;
    } else if (c >= 0xf0 && c <= 0xf4) {
      n = 3;
      if (c == 0xf0) lo = 0x90;
      if (c == 0xf4) hi = 0x8f;
    } else {
      return i;
    }
    if (len - i <= n) {
      return i;
    }
    if (s[i + 1] < lo || s[i + 1] > hi) {
      return i;
    }
    for (size_t k = 2; k <= n; k++) {
      if ((s[i + k] & 0xc0) != 0x80) {
        return i;
      }
    }
    i += n + 1;
  }
  return len;
}

static double f16_to_double(uint16_t h) {
  double sign = (h & 0x8000) ? -1.0 : 1.0;
  int exp = (h >> 10) & 0x1f;
  double mant = h & 0x3ff;
  if (exp == 0) return sign * ldexp(mant, -24);
  if (exp == 31) return mant == 0 ? sign * INFINITY : NAN;
  return sign * ldexp(1024.0 + mant, exp - 25);
}

static double canonical(double d) { return isnan(d) ? NAN : d; }

// ---- writer ----------------------------------------------------------------

static bindery_status wfail(bindery_sv_writer *w, const char *format, ...) __attribute__((format(printf, 2, 3)));

static bindery_status wfail(bindery_sv_writer *w, const char *format, ...) {
  if (w->status == BINDERY_OK) {
    va_list ap;
    va_start(ap, format);
    vsnprintf(w->err, sizeof w->err, format, ap);
    va_end(ap);
    w->status = BINDERY_ERR_INVALID;
  }
  return w->status;
}

static bool put(bindery_sv_writer *w, const void *p, size_t n) {
  if (w->cap - w->len < n) {
    size_t cap = w->cap ? w->cap : 64;
    while (cap - w->len < n) {
      cap *= 2;
    }
    uint8_t *d = realloc(w->data, cap);
    if (d == NULL) {
      wfail(w, "out of memory for %zu bytes", cap);
      return false;
    }
    w->data = d;
    w->cap = cap;
  }
  memcpy(w->data + w->len, p, n);
  w->len += n;
  return true;
}

static void head(bindery_sv_writer *w, uint8_t major, uint64_t arg) {
  uint8_t b[9];
  size_t n;
  uint8_t m = (uint8_t)(major << 5);
  if (arg < 24) {
    b[0] = m | (uint8_t)arg;
    n = 1;
  } else if (arg <= 0xff) {
    b[0] = m | 24;
    b[1] = (uint8_t)arg;
    n = 2;
  } else if (arg <= 0xffff) {
    b[0] = m | 25;
    n = 3;
  } else if (arg <= 0xffffffffu) {
    b[0] = m | 26;
    n = 5;
  } else {
    b[0] = m | 27;
    n = 9;
  }
  for (size_t i = 1; n > 2 && i < n; i++) {
    b[i] = (uint8_t)(arg >> (8 * (n - 1 - i)));
  }
  put(w, b, n);
}

static void string_item(bindery_sv_writer *w, uint8_t major, const void *p, size_t n) {
  head(w, major, n);
  put(w, p, n);
}

static void number_item(bindery_sv_writer *w, double n) {
  if (fabs(n) <= MAX_SAFE && (double)(int64_t)n == n && !(n == 0 && signbit(n))) {
    int64_t i = (int64_t)n;
    if (i >= 0) {
      head(w, 0, (uint64_t)i);
    } else {
      head(w, 1, (uint64_t)(-1 - i));
    }
    return;
  }
  uint64_t bits;
  if (isnan(n)) {
    bits = 0x7ff8000000000000ull;
  } else {
    memcpy(&bits, &n, 8);
  }
  uint8_t b[9] = {0xfb};
  for (int i = 0; i < 8; i++) {
    b[1 + i] = (uint8_t)(bits >> (56 - 8 * i));
  }
  put(w, b, 9);
}

// begin claims the next slot for an item (a key when key) that opens
// levels nesting levels; it fails when the item does not fit there.
static bool begin(bindery_sv_writer *w, bool key, size_t levels, const char *what) {
  if (w->status != BINDERY_OK) {
    return false;
  }
  if (w->done) {
    wfail(w, "%s after the whole value was written", what);
    return false;
  }
  if (w->nopen > 0) {
    size_t *remaining = &w->open[w->nopen - 1].remaining;
    bool object = w->open[w->nopen - 1].object;
    bool want_key = object && *remaining % 2 == 0;
    if (key && !want_key) {
      wfail(w, object ? "a key where the object needs a value" : "a key outside an object");
      return false;
    }
    if (!key && want_key) {
      wfail(w, "%s where the object needs a key (bindery_sv_key)", what);
      return false;
    }
    (*remaining)--;
  } else if (key) {
    wfail(w, "a key outside an object");
    return false;
  }
  if (w->depth + levels > BINDERY_SV_MAX_DEPTH) {
    wfail(w, "%s nested deeper than %d arrays, maps and tags", what, BINDERY_SV_MAX_DEPTH);
    return false;
  }
  return true;
}

// end closes every container the last item completed.
static bindery_status end(bindery_sv_writer *w) {
  while (w->nopen > 0 && w->open[w->nopen - 1].remaining == 0) {
    w->nopen--;
    w->depth -= w->open[w->nopen].levels;
  }
  if (w->nopen == 0) {
    w->done = true;
  }
  return w->status;
}

// open_container pushes a container owing remaining items.
static bindery_status open_container(bindery_sv_writer *w, size_t remaining, bool object, uint8_t levels) {
  w->open[w->nopen].remaining = remaining;
  w->open[w->nopen].object = object;
  w->open[w->nopen].levels = levels;
  w->nopen++;
  w->depth += levels;
  return end(w);
}

void bindery_sv_writer_init(bindery_sv_writer *w) {
  memset(w, 0, sizeof *w);
  static const uint8_t prefix[3] = {0xd9, 0xd9, 0xf7};
  put(w, prefix, 3);
}

bindery_status bindery_sv_writer_finish(bindery_sv_writer *w, bindery_bytes *out) {
  out->data = NULL;
  out->len = 0;
  if (w->status == BINDERY_OK && !w->done) {
    if (w->nopen > 0) {
      wfail(w, "unfinished: a container still owes %zu items", w->open[w->nopen - 1].remaining);
    } else {
      wfail(w, "no value was written");
    }
  }
  if (w->status != BINDERY_OK) {
    bindery_sv_writer_free(w);
    return w->status;
  }
  out->data = w->data;
  out->len = w->len;
  w->data = NULL;
  w->len = w->cap = 0;
  return BINDERY_OK;
}

void bindery_sv_writer_free(bindery_sv_writer *w) {
  free(w->data);
  w->data = NULL;
  w->len = w->cap = 0;
}

const char *bindery_sv_writer_errmsg(const bindery_sv_writer *w) { return w->err; }

bindery_status bindery_sv_write_undefined(bindery_sv_writer *w) {
  if (!begin(w, false, 0, "undefined")) return w->status;
  put(w, "\xf7", 1);
  return end(w);
}

bindery_status bindery_sv_write_null(bindery_sv_writer *w) {
  if (!begin(w, false, 0, "null")) return w->status;
  put(w, "\xf6", 1);
  return end(w);
}

bindery_status bindery_sv_write_bool(bindery_sv_writer *w, bool b) {
  if (!begin(w, false, 0, "a boolean")) return w->status;
  put(w, b ? "\xf5" : "\xf4", 1);
  return end(w);
}

bindery_status bindery_sv_write_number(bindery_sv_writer *w, double n) {
  if (!begin(w, false, 0, "a number")) return w->status;
  number_item(w, n);
  return end(w);
}

static void bigint_item(bindery_sv_writer *w, bool negative, const uint8_t *data, size_t len) {
  while (len > 0 && data[0] == 0) {
    data++;
    len--;
  }
  head(w, 6, negative ? 3 : 2);
  string_item(w, 2, data, len);
}

// uint_bigint writes the bigint m (negative: -1 - m) from a 64-bit magnitude.
static void uint_bigint(bindery_sv_writer *w, bool negative, uint64_t m) {
  uint8_t b[8];
  for (int i = 0; i < 8; i++) {
    b[i] = (uint8_t)(m >> (56 - 8 * i));
  }
  bigint_item(w, negative, b, 8);
}

bindery_status bindery_sv_write_int64(bindery_sv_writer *w, int64_t n) {
  bool big = n > (int64_t)MAX_SAFE || n < -(int64_t)MAX_SAFE;
  if (!begin(w, false, big ? 1 : 0, "an int64")) return w->status;
  if (!big) {
    number_item(w, (double)n);
  } else if (n >= 0) {
    uint_bigint(w, false, (uint64_t)n);
  } else {
    uint_bigint(w, true, (uint64_t)(-1 - n));
  }
  return end(w);
}

bindery_status bindery_sv_write_uint64(bindery_sv_writer *w, uint64_t n) {
  bool big = n > (uint64_t)MAX_SAFE;
  if (!begin(w, false, big ? 1 : 0, "a uint64")) return w->status;
  if (big) {
    uint_bigint(w, false, n);
  } else {
    number_item(w, (double)n);
  }
  return end(w);
}

bindery_status bindery_sv_write_bigint(bindery_sv_writer *w, bool negative, const uint8_t *data, size_t len) {
  if (!begin(w, false, 1, "a bigint")) return w->status;
  bigint_item(w, negative, data, len);
  return end(w);
}

bindery_status bindery_sv_write_string(bindery_sv_writer *w, const char *s, size_t len) {
  if (!begin(w, false, 0, "a string")) return w->status;
  size_t bad = utf8_bad((const uint8_t *)s, len);
  if (bad < len) {
    return wfail(w, "a string of %zu bytes is not UTF-8 at byte %zu", len, bad);
  }
  string_item(w, 3, s, len);
  return end(w);
}

bindery_status bindery_sv_key(bindery_sv_writer *w, const char *key, size_t len) {
  if (!begin(w, true, 0, "a key")) return w->status;
  size_t bad = utf8_bad((const uint8_t *)key, len);
  if (bad < len) {
    return wfail(w, "a key of %zu bytes is not UTF-8 at byte %zu", len, bad);
  }
  string_item(w, 3, key, len);
  return end(w);
}

bindery_status bindery_sv_write_bytes(bindery_sv_writer *w, const void *data, size_t len) {
  if (!begin(w, false, 0, "bytes")) return w->status;
  string_item(w, 2, data, len);
  return end(w);
}

bindery_status bindery_sv_write_typed(bindery_sv_writer *w, bindery_sv_typed kind, const void *data, size_t len) {
  if (!begin(w, false, 1, "a typed array")) return w->status;
  size_t size = typed_size((uint64_t)kind);
  if (size == 0) {
    return wfail(w, "typed array kind %d is not one of bindery_sv_typed", (int)kind);
  }
  if (len % size != 0) {
    return wfail(w, "a typed array (tag %d) of %zu bytes: not a multiple of %zu", (int)kind, len, size);
  }
  head(w, 6, (uint64_t)kind);
  string_item(w, 2, data, len);
  return end(w);
}

bindery_status bindery_sv_write_date(bindery_sv_writer *w, double ms) {
  if (!begin(w, false, 1, "a Date")) return w->status;
  head(w, 6, 1);
  if (isfinite(ms) && fmod(ms, 1000.0) == 0) {
    number_item(w, ms / 1000.0 + 0.0); // a whole second; -0 is the epoch
  } else {
    number_item(w, ms / 1000.0);
  }
  return end(w);
}

bindery_status bindery_sv_write_error(bindery_sv_writer *w, const char *name, const char *message, const char *stack,
                                      bool has_cause) {
  if (!begin(w, false, 3, "an Error")) return w->status;
  const char *fields[2] = {message ? message : "", stack};
  for (int i = 0; i < 2; i++) {
    if (fields[i] != NULL) {
      size_t n = strlen(fields[i]);
      size_t bad = utf8_bad((const uint8_t *)fields[i], n);
      if (bad < n) {
        return wfail(w, "an Error's %s is not UTF-8 at byte %zu", i == 0 ? "message" : "stack", bad);
      }
    }
  }
  const char *nm = name ? error_name(name, strlen(name)) : "Error";
  head(w, 6, 27);
  head(w, 4, 2);
  string_item(w, 3, "Error", 5);
  head(w, 5, 2 + (stack != NULL) + has_cause);
  string_item(w, 3, "name", 4);
  string_item(w, 3, nm, strlen(nm));
  string_item(w, 3, "message", 7);
  string_item(w, 3, fields[0], strlen(fields[0]));
  if (stack != NULL) {
    string_item(w, 3, "stack", 5);
    string_item(w, 3, stack, strlen(stack));
  }
  if (has_cause) {
    string_item(w, 3, "cause", 5);
    return open_container(w, 1, false, 3);
  }
  return end(w);
}

bindery_status bindery_sv_array_begin(bindery_sv_writer *w, size_t n) {
  if (!begin(w, false, 1, "an array")) return w->status;
  head(w, 4, n);
  return open_container(w, n, false, 1);
}

bindery_status bindery_sv_set_begin(bindery_sv_writer *w, size_t n) {
  if (!begin(w, false, 2, "a Set")) return w->status;
  head(w, 6, 258);
  head(w, 4, n);
  return open_container(w, n, false, 2);
}

bindery_status bindery_sv_map_begin(bindery_sv_writer *w, size_t n) {
  if (!begin(w, false, 2, "a Map")) return w->status;
  head(w, 6, 259);
  head(w, 5, n);
  return open_container(w, 2 * n, false, 2);
}

bindery_status bindery_sv_object_begin(bindery_sv_writer *w, size_t n) {
  if (!begin(w, false, 1, "an object")) return w->status;
  head(w, 5, n);
  return open_container(w, 2 * n, true, 1);
}

// ---- reader ----------------------------------------------------------------

// rhead is one item's head.
typedef struct rhead {
  size_t start;
  uint8_t major, ai;
  uint64_t arg;
} rhead;

static bool rfail(bindery_sv_reader *r, size_t offset, const char *format, ...) __attribute__((format(printf, 3, 4)));

static bool rfail(bindery_sv_reader *r, size_t offset, const char *format, ...) {
  int n = snprintf(r->err, sizeof r->err, "at byte %zu: ", offset);
  va_list ap;
  va_start(ap, format);
  vsnprintf(r->err + n, sizeof r->err - (size_t)n, format, ap);
  va_end(ap);
  r->err_offset = offset;
  return false;
}

// read_head reads the head at r->pos (checked when check, else trusted).
static bool read_head(bindery_sv_reader *r, rhead *h, bool check) {
  h->start = r->pos;
  if (r->pos >= r->len) {
    return check ? rfail(r, r->pos, "unexpected end of input") : false;
  }
  uint8_t b = r->data[r->pos++];
  h->major = b >> 5;
  h->ai = b & 0x1f;
  size_t n = 0;
  if (h->ai < 24) {
    h->arg = h->ai;
    return true;
  } else if (h->ai <= 27) {
    n = (size_t)1 << (h->ai - 24);
  } else if (h->ai <= 30) {
    return check ? rfail(r, h->start, "reserved additional information %d (initial byte 0x%02x)", h->ai, b) : false;
  } else {
    return check ? rfail(r, h->start, "indefinite length (initial byte 0x%02x)", b) : false;
  }
  if (r->len - r->pos < n) {
    return check ? rfail(r, r->pos, "unexpected end of input: the argument needs %zu bytes", n) : false;
  }
  h->arg = 0;
  for (size_t i = 0; i < n; i++) {
    h->arg = (h->arg << 8) | r->data[r->pos++];
  }
  return true;
}

// peek_major returns the major type of the item at r->pos, or 8 at the end.
static uint8_t peek_major(const bindery_sv_reader *r) { return r->pos < r->len ? r->data[r->pos] >> 5 : 8; }

// skip_raw moves r->pos past one whole item of checked input, without
// recursion: it counts the items still owed (each is at least a byte, so
// the count stays below the input's length).
static void skip_raw(bindery_sv_reader *r) {
  uint64_t owed = 1;
  while (owed > 0) {
    rhead h;
    read_head(r, &h, false);
    owed--;
    switch (h.major) {
    case 2:
    case 3: r->pos += (size_t)h.arg; break;
    case 4: owed += h.arg; break;
    case 5: owed += 2 * h.arg; break;
    case 6: owed++; break;
    default: break;
    }
  }
}

// a key of an object being checked, for finding one twice.
typedef struct seen_key {
  const uint8_t *p;
  size_t len, offset;
} seen_key;

static int cmp_key(const void *a, const void *b) {
  const seen_key *x = a, *y = b;
  if (x->len != y->len) return x->len < y->len ? -1 : 1;
  return memcmp(x->p, y->p, x->len);
}

static bool check_item(bindery_sv_reader *r, size_t depth);

// check_object checks an untagged map of n entries: text keys, none twice.
static bool check_object(bindery_sv_reader *r, uint64_t n, size_t depth) {
  seen_key *keys = NULL;
  size_t nkeys = 0, cap = 0;
  bool ok = true;
  for (uint64_t i = 0; i < n && ok; i++) {
    size_t at = r->pos;
    if (peek_major(r) != 3) {
      ok = peek_major(r) == 8 ? rfail(r, at, "unexpected end of input") : rfail(r, at, "object key is not a text string");
      break;
    }
    if (!check_item(r, depth)) {
      ok = false;
      break;
    }
    if (nkeys == cap) {
      cap = cap ? 2 * cap : 8;
      seen_key *k = realloc(keys, cap * sizeof *k);
      if (k == NULL) {
        ok = rfail(r, at, "out of memory");
        break;
      }
      keys = k;
    }
    // The key's text is the last len bytes before r->pos.
    rhead h;
    size_t end = r->pos;
    r->pos = at;
    read_head(r, &h, false);
    keys[nkeys++] = (seen_key){r->data + r->pos, (size_t)h.arg, at};
    r->pos = end;
    ok = check_item(r, depth);
  }
  if (ok && nkeys > 1) {
    qsort(keys, nkeys, sizeof *keys, cmp_key);
    for (size_t i = 1; i < nkeys; i++) {
      if (cmp_key(&keys[i - 1], &keys[i]) == 0) {
        size_t at = keys[i].offset > keys[i - 1].offset ? keys[i].offset : keys[i - 1].offset;
        ok = rfail(r, at, "object has the key \"%.*s\" twice", (int)(keys[i].len > 40 ? 40 : keys[i].len),
                   (const char *)keys[i].p);
        break;
      }
    }
  }
  free(keys);
  return ok;
}

// check_error checks tag 27's content at r->pos (already well-formed):
// ["Error", {name, message, stack: strings; cause: any; others ignored}].
static bool check_error(bindery_sv_reader *r, size_t tag_at) {
  rhead h;
  read_head(r, &h, false);
  bool ok = h.major == 4 && h.arg == 2;
  if (ok) {
    read_head(r, &h, false);
    ok = h.major == 3 && h.arg == 5 && memcmp(r->data + r->pos, "Error", 5) == 0;
    r->pos += (size_t)h.arg;
  }
  if (ok) {
    read_head(r, &h, false);
    ok = h.major == 5;
  }
  for (uint64_t i = 0; ok && i < h.arg; i++) {
    rhead k;
    read_head(r, &k, false);
    const uint8_t *key = r->data + r->pos;
    r->pos += (size_t)k.arg;
    bool text_field = (k.arg == 4 && memcmp(key, "name", 4) == 0) || (k.arg == 7 && memcmp(key, "message", 7) == 0) ||
                      (k.arg == 5 && memcmp(key, "stack", 5) == 0);
    if (text_field && peek_major(r) != 3) {
      ok = false;
    }
    skip_raw(r);
  }
  return ok ? true : rfail(r, tag_at, "tag 27 over something other than [\"Error\", {name, message, ...}]");
}

static bool check_item(bindery_sv_reader *r, size_t depth) {
  rhead h;
  if (!read_head(r, &h, true)) {
    return false;
  }
  if ((h.major == 4 || h.major == 5 || h.major == 6) && depth >= BINDERY_SV_MAX_DEPTH) {
    return rfail(r, h.start, "nested deeper than %d arrays, maps and tags", BINDERY_SV_MAX_DEPTH);
  }
  switch (h.major) {
  case 0:
  case 1:
    return true;
  case 2:
  case 3:
    if (r->len - r->pos < h.arg) {
      return rfail(r, r->pos, "unexpected end of input: %llu bytes announced, %zu left", (unsigned long long)h.arg,
                   r->len - r->pos);
    }
    if (h.major == 3) {
      size_t bad = utf8_bad(r->data + r->pos, (size_t)h.arg);
      if (bad < h.arg) {
        return rfail(r, r->pos + bad, "text string is not UTF-8");
      }
    }
    r->pos += (size_t)h.arg;
    return true;
  case 4:
    for (uint64_t i = 0; i < h.arg; i++) {
      if (!check_item(r, depth + 1)) return false;
    }
    return true;
  case 5:
    return check_object(r, h.arg, depth + 1);
  case 6: {
    uint8_t inner = peek_major(r);
    uint8_t first = r->pos < r->len ? r->data[r->pos] : 0;
    const char *wrong = NULL;
    switch (h.arg) {
    case 1:
      if (!(inner == 0 || inner == 1 || first == 0xf9 || first == 0xfa || first == 0xfb)) wrong = "an integer or a float";
      break;
    case 2:
    case 3:
      if (inner != 2) wrong = "a byte string";
      break;
    case 27:
      break;
    case 258:
      if (inner != 4) wrong = "an array";
      break;
    case 259:
      if (inner != 5) wrong = "a map";
      break;
    default:
      if (typed_size(h.arg) == 0) {
        return rfail(r, h.start, "unknown tag %llu", (unsigned long long)h.arg);
      }
      if (inner != 2) wrong = "a byte string";
    }
    if (inner == 8) {
      return rfail(r, r->pos, "unexpected end of input");
    }
    if (wrong != NULL) {
      return rfail(r, h.start, "tag %llu over something other than %s", (unsigned long long)h.arg, wrong);
    }
    size_t at = r->pos;
    if (h.arg == 259) {
      // A Map's keys are of any kind (and may repeat).
      rhead m;
      if (!read_head(r, &m, true)) return false;
      if (depth + 1 >= BINDERY_SV_MAX_DEPTH) {
        return rfail(r, at, "nested deeper than %d arrays, maps and tags", BINDERY_SV_MAX_DEPTH);
      }
      for (uint64_t i = 0; i < m.arg; i++) {
        if (!check_item(r, depth + 2) || !check_item(r, depth + 2)) return false;
      }
      return true;
    }
    if (!check_item(r, depth + 1)) {
      return false;
    }
    size_t size = typed_size(h.arg);
    if (size > 1) {
      size_t end = r->pos;
      r->pos = at;
      rhead b;
      read_head(r, &b, false);
      r->pos = end;
      if (b.arg % size != 0) {
        return rfail(r, h.start, "typed array (tag %llu) of %llu bytes: not a multiple of %zu",
                     (unsigned long long)h.arg, (unsigned long long)b.arg, size);
      }
    }
    if (h.arg == 27) {
      size_t end = r->pos;
      r->pos = at;
      if (!check_error(r, h.start)) return false;
      r->pos = end;
    }
    return true;
  }
  default:
    if (h.ai >= 20 && h.ai <= 27 && h.ai != 24) {
      return true;
    }
    return rfail(r, h.start, "simple value %llu is not false, true, null or undefined", (unsigned long long)h.arg);
  }
}

bindery_status bindery_sv_reader_init(bindery_sv_reader *r, const void *data, size_t len) {
  memset(r, 0, sizeof *r);
  r->data = data;
  r->len = len;
  if (len < 3 || memcmp(data, "\xd9\xd9\xf7", 3) != 0) {
    rfail(r, 0, "not a structured value: no d9 d9 f7 prefix");
    r->nopen = 0;
    r->started = true;
    return BINDERY_ERR_INVALID;
  }
  r->pos = 3;
  if (!check_item(r, 0)) {
    r->started = true; // nothing to read
    return BINDERY_ERR_INVALID;
  }
  if (r->pos != len) {
    rfail(r, r->pos, "%zu trailing bytes after the value", len - r->pos);
    r->started = true;
    return BINDERY_ERR_INVALID;
  }
  r->pos = 3;
  return BINDERY_OK;
}

const char *bindery_sv_reader_errmsg(const bindery_sv_reader *r, size_t *offset) {
  if (offset != NULL) {
    *offset = r->err_offset;
  }
  return r->err;
}

// strip drops a magnitude's leading zero bytes.
static void strip(bindery_sv_item *it) {
  while (it->len > 0 && it->data[0] == 0) {
    it->data++;
    it->len--;
  }
}

// push opens a container of n items (resume: where to go on after them, 0
// for right after).
static void push(bindery_sv_reader *r, size_t n, size_t resume, uint8_t keyed) {
  r->open[r->nopen].remaining = n;
  r->open[r->nopen].resume = resume;
  r->open[r->nopen].keyed = keyed;
  r->nopen++;
}

// read_error fills an ERROR item from tag 27's content at r->pos (checked).
static void read_error(bindery_sv_reader *r, bindery_sv_item *it) {
  rhead h;
  read_head(r, &h, false); // [
  read_head(r, &h, false); // "Error"
  r->pos += 5;
  read_head(r, &h, false); // {
  it->name = "Error";
  it->name_len = 5;
  it->message = "";
  size_t cause = 0;
  for (uint64_t i = 0; i < h.arg; i++) {
    rhead k, v;
    read_head(r, &k, false);
    const char *key = (const char *)r->data + r->pos;
    r->pos += (size_t)k.arg;
    if (k.arg == 5 && memcmp(key, "cause", 5) == 0) {
      cause = r->pos;
    } else if (peek_major(r) == 3) {
      size_t at = r->pos;
      read_head(r, &v, false);
      const char *s = (const char *)r->data + r->pos;
      if (k.arg == 4 && memcmp(key, "name", 4) == 0) {
        it->name = error_name(s, (size_t)v.arg);
        it->name_len = strlen(it->name);
      } else if (k.arg == 7 && memcmp(key, "message", 7) == 0) {
        it->message = s;
        it->message_len = (size_t)v.arg;
      } else if (k.arg == 5 && memcmp(key, "stack", 5) == 0) {
        it->stack = s;
        it->stack_len = (size_t)v.arg;
      }
      r->pos = at;
    }
    skip_raw(r);
  }
  if (cause != 0) {
    it->has_cause = true;
    push(r, 1, r->pos, 0);
    r->pos = cause;
  }
}

bindery_sv_kind bindery_sv_next(bindery_sv_reader *r, bindery_sv_item *it) {
  memset(it, 0, sizeof *it);
  if (r->started && r->nopen == 0) {
    return it->kind = BINDERY_SV_END;
  }
  r->started = true;
  it->offset = r->pos;
  rhead h;
  if (!read_head(r, &h, false)) {
    r->nopen = 0;
    return it->kind = BINDERY_SV_END;
  }
  // A Map key (at an even count owed) or a Set element.
  bool keyed = false;
  if (r->nopen > 0) {
    uint8_t k = r->open[r->nopen - 1].keyed;
    keyed = k == 2 || (k == 1 && r->open[r->nopen - 1].remaining % 2 == 0);
    r->open[r->nopen - 1].remaining--;
  }
  switch (h.major) {
  case 0:
  case 1:
    if (h.arg <= (uint64_t)MAX_SAFE && !(h.major == 1 && h.arg == (uint64_t)MAX_SAFE)) {
      it->kind = BINDERY_SV_NUMBER;
      it->number = h.major == 0 ? (double)h.arg : -1.0 - (double)h.arg;
    } else {
      // Beyond 2^53 - 1: the argument's 8 bytes are the bigint's magnitude.
      it->kind = BINDERY_SV_BIGINT;
      it->negative = h.major == 1;
      it->data = r->data + r->pos - 8;
      it->len = 8;
      strip(it);
    }
    break;
  case 2:
  case 3:
    it->kind = h.major == 2 ? BINDERY_SV_BYTES : BINDERY_SV_STRING;
    it->data = r->data + r->pos;
    it->len = (size_t)h.arg;
    r->pos += it->len;
    break;
  case 4:
    it->kind = BINDERY_SV_ARRAY;
    it->count = (size_t)h.arg;
    push(r, it->count, 0, 0);
    break;
  case 5:
    it->kind = BINDERY_SV_OBJECT;
    it->count = (size_t)h.arg;
    push(r, 2 * it->count, 0, 0);
    break;
  case 6: {
    rhead in;
    if (h.arg == 27) {
      it->kind = BINDERY_SV_ERROR;
      read_error(r, it);
      break;
    }
    read_head(r, &in, false);
    switch (h.arg) {
    case 1: {
      double secs;
      if (in.major == 0) {
        secs = (double)in.arg;
      } else if (in.major == 1) {
        // -1 - arg, rounded once: exact below 2^64, and -2^64 for the last.
        secs = in.arg == UINT64_MAX ? -18446744073709551616.0 : -(double)(in.arg + 1);
      } else if (in.ai == 25) {
        secs = f16_to_double((uint16_t)in.arg);
      } else if (in.ai == 26) {
        uint32_t b = (uint32_t)in.arg;
        float f;
        memcpy(&f, &b, 4);
        secs = f;
      } else {
        memcpy(&secs, &in.arg, 8);
      }
      it->kind = BINDERY_SV_DATE;
      it->number = canonical(round(secs * 1000.0) + 0.0); // halves away from zero; -0 is the epoch
      break;
    }
    case 2:
    case 3:
      it->kind = BINDERY_SV_BIGINT;
      it->negative = h.arg == 3;
      it->data = r->data + r->pos;
      it->len = (size_t)in.arg;
      r->pos += it->len;
      strip(it);
      break;
    case 258:
      it->kind = BINDERY_SV_SET;
      it->count = (size_t)in.arg;
      push(r, it->count, 0, 2);
      break;
    case 259:
      it->kind = BINDERY_SV_MAP;
      it->count = (size_t)in.arg;
      push(r, 2 * it->count, 0, 1);
      break;
    default:
      it->kind = BINDERY_SV_TYPED;
      it->typed = (bindery_sv_typed)h.arg;
      it->data = r->data + r->pos;
      it->len = (size_t)in.arg;
      r->pos += it->len;
    }
    break;
  }
  default:
    switch (h.ai) {
    case 20:
    case 21:
      it->kind = BINDERY_SV_BOOL;
      it->boolean = h.ai == 21;
      break;
    case 22:
      it->kind = BINDERY_SV_NULL;
      break;
    case 23:
      it->kind = BINDERY_SV_UNDEFINED;
      break;
    case 25:
      it->kind = BINDERY_SV_NUMBER;
      it->number = canonical(f16_to_double((uint16_t)h.arg));
      break;
    case 26: {
      uint32_t b = (uint32_t)h.arg;
      float f;
      memcpy(&f, &b, 4);
      it->kind = BINDERY_SV_NUMBER;
      it->number = canonical(f);
      break;
    }
    default:
      it->kind = BINDERY_SV_NUMBER;
      memcpy(&it->number, &h.arg, 8);
      it->number = canonical(it->number);
    }
  }
  if (keyed && it->kind == BINDERY_SV_NUMBER && it->number == 0) {
    it->number = 0; // -0 is 0 (Map.prototype.set, Set.prototype.add)
  }
  // Close what this item completed.
  while (r->nopen > 0 && r->open[r->nopen - 1].remaining == 0) {
    r->nopen--;
    if (r->open[r->nopen].resume != 0) {
      r->pos = r->open[r->nopen].resume;
    }
  }
  return it->kind;
}

bindery_sv_kind bindery_sv_skip(bindery_sv_reader *r) {
  size_t before = r->nopen;
  bindery_sv_item it;
  bindery_sv_kind kind = bindery_sv_next(r, &it);
  while (r->nopen > before) {
    bindery_sv_next(r, &it);
  }
  return kind;
}

bool bindery_sv_same(const bindery_sv_item *a, const bindery_sv_item *b) {
  if (a->kind != b->kind) {
    return false;
  }
  switch (a->kind) {
  case BINDERY_SV_UNDEFINED:
  case BINDERY_SV_NULL:
    return true;
  case BINDERY_SV_BOOL:
    return a->boolean == b->boolean;
  case BINDERY_SV_NUMBER:
    return a->number == b->number || (isnan(a->number) && isnan(b->number));
  case BINDERY_SV_BIGINT:
    return a->negative == b->negative && a->len == b->len && memcmp(a->data, b->data, a->len) == 0;
  case BINDERY_SV_STRING:
    return a->len == b->len && memcmp(a->data, b->data, a->len) == 0;
  default:
    return false;
  }
}

bool bindery_sv_item_int64(const bindery_sv_item *it, int64_t *out) {
  if (it->kind == BINDERY_SV_NUMBER) {
    double n = it->number;
    if (fabs(n) <= MAX_SAFE && (double)(int64_t)n == n) {
      *out = (int64_t)n;
      return true;
    }
    return false;
  }
  if (it->kind != BINDERY_SV_BIGINT || it->len > 8) {
    return false;
  }
  uint64_t m = 0;
  for (size_t i = 0; i < it->len; i++) {
    m = (m << 8) | it->data[i];
  }
  if (m > (uint64_t)INT64_MAX) {
    return false;
  }
  *out = it->negative ? -1 - (int64_t)m : (int64_t)m;
  return true;
}
