// A native test driver for the C SDK's structured values
// (guest-sdk/c/structured.c), run by conformance/c_structured_test.go
// with the host's C compiler. One command a line on stdin, one answer a
// line on stdout:
//
//   D <hex>     decode: "ok <tokens>" or "err <offset> <message>"
//   E <tokens>  encode: "ok <hex>" or "err <message>"
//   I <hex>     bindery_sv_item_int64 of the value: "ok <n>" or "no"
//
// Tokens spell a value in pre-order, separated by spaces: u n t f
// num:<16 hex digits of the double's bits> date:<likewise> big:+<hex> or
// big:-<hex> (CBOR's form: -1 - magnitude) str:<hex> bytes:<hex>
// typed:<tag>:<hex> arr:<n> obj:<n> (each entry a str: key and a value)
// map:<n> set:<n> err:<name hex>:<message hex>:<stack hex or ->:<c or ->
// (the cause follows when c). Encoding also takes i64:<decimal> and
// u64:<decimal> (bindery_sv_write_int64/uint64). Decoding drops a Map's or
// Set's repeated keys as JavaScript does, with bindery_sv_same.

#define _POSIX_C_SOURCE 200809L // getline

#include "bindery.h"

#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct buf {
  char *s;
  size_t len, cap;
} buf;

static void add(buf *b, const char *s, size_t n) {
  if (b->cap - b->len < n + 1) {
    size_t cap = b->cap ? b->cap : 64;
    while (cap - b->len < n + 1) cap *= 2;
    b->s = realloc(b->s, cap);
    if (b->s == NULL) abort();
    b->cap = cap;
  }
  memcpy(b->s + b->len, s, n);
  b->len += n;
  b->s[b->len] = 0;
}

static void adds(buf *b, const char *s) { add(b, s, strlen(s)); }

static void addhex(buf *b, const uint8_t *p, size_t n) {
  char h[3];
  for (size_t i = 0; i < n; i++) {
    snprintf(h, sizeof h, "%02x", p[i]);
    add(b, h, 2);
  }
}

static void addf(buf *b, const char *format, ...) __attribute__((format(printf, 2, 3)));
static void addf(buf *b, const char *format, ...) {
  char tmp[128];
  va_list ap;
  va_start(ap, format);
  vsnprintf(tmp, sizeof tmp, format, ap);
  va_end(ap);
  adds(b, tmp);
}

static uint64_t bits(double d) {
  uint64_t u;
  memcpy(&u, &d, 8);
  return u;
}

static void dump(bindery_sv_reader *r, buf *out);

// dump_item appends the tokens of it (and of everything inside it).
static void dump_item(bindery_sv_reader *r, const bindery_sv_item *it, buf *out) {
  switch (it->kind) {
  case BINDERY_SV_END: adds(out, "END"); break;
  case BINDERY_SV_UNDEFINED: adds(out, "u"); break;
  case BINDERY_SV_NULL: adds(out, "n"); break;
  case BINDERY_SV_BOOL: adds(out, it->boolean ? "t" : "f"); break;
  case BINDERY_SV_NUMBER: addf(out, "num:%016" PRIx64, bits(it->number)); break;
  case BINDERY_SV_DATE: addf(out, "date:%016" PRIx64, bits(it->number)); break;
  case BINDERY_SV_BIGINT:
    adds(out, it->negative ? "big:-" : "big:+");
    addhex(out, it->data, it->len);
    break;
  case BINDERY_SV_STRING:
    adds(out, "str:");
    addhex(out, it->data, it->len);
    break;
  case BINDERY_SV_BYTES:
    adds(out, "bytes:");
    addhex(out, it->data, it->len);
    break;
  case BINDERY_SV_TYPED:
    addf(out, "typed:%d:", (int)it->typed);
    addhex(out, it->data, it->len);
    break;
  case BINDERY_SV_ARRAY:
  case BINDERY_SV_OBJECT: {
    size_t n = it->kind == BINDERY_SV_ARRAY ? it->count : 2 * it->count;
    addf(out, it->kind == BINDERY_SV_ARRAY ? "arr:%zu" : "obj:%zu", it->count);
    for (size_t i = 0; i < n; i++) {
      adds(out, " ");
      dump(r, out);
    }
    break;
  }
  case BINDERY_SV_MAP:
  case BINDERY_SV_SET: {
    // Entries as JavaScript keeps them: a repeated key keeps its first
    // place and (in a Map) takes the later value.
    bool map = it->kind == BINDERY_SV_MAP;
    bindery_sv_item *keys = calloc(it->count + 1, sizeof *keys);
    buf *kd = calloc(it->count + 1, sizeof *kd), *vd = calloc(it->count + 1, sizeof *vd);
    size_t m = 0;
    for (size_t i = 0; i < it->count; i++) {
      bindery_sv_item k;
      buf kb = {0}, vb = {0};
      bindery_sv_next(r, &k);
      dump_item(r, &k, &kb);
      if (map) dump(r, &vb);
      size_t j = 0;
      while (j < m && !bindery_sv_same(&keys[j], &k)) j++;
      if (j < m) {
        free(kb.s);
        if (map) {
          free(vd[j].s);
          vd[j] = vb;
        }
        continue;
      }
      keys[m] = k;
      kd[m] = kb;
      vd[m] = vb;
      m++;
    }
    addf(out, map ? "map:%zu" : "set:%zu", m);
    for (size_t j = 0; j < m; j++) {
      adds(out, " ");
      adds(out, kd[j].s);
      if (map) {
        adds(out, " ");
        adds(out, vd[j].s);
      }
      free(kd[j].s);
      free(vd[j].s);
    }
    free(keys);
    free(kd);
    free(vd);
    break;
  }
  case BINDERY_SV_ERROR:
    adds(out, "err:");
    addhex(out, (const uint8_t *)it->name, it->name_len);
    adds(out, ":");
    addhex(out, (const uint8_t *)it->message, it->message_len);
    adds(out, ":");
    if (it->stack) {
      addhex(out, (const uint8_t *)it->stack, it->stack_len);
    } else {
      adds(out, "-");
    }
    adds(out, it->has_cause ? ":c" : ":-");
    if (it->has_cause) {
      adds(out, " ");
      dump(r, out);
    }
    break;
  }
}

static void dump(bindery_sv_reader *r, buf *out) {
  bindery_sv_item it;
  bindery_sv_next(r, &it);
  dump_item(r, &it, out);
}

// unhex decodes s[0..n) into a malloc'd, NUL-terminated buffer.
static uint8_t *unhex(const char *s, size_t n, size_t *len) {
  uint8_t *p = malloc(n / 2 + 1);
  for (size_t i = 0; i + 1 < n; i += 2) {
    unsigned v;
    sscanf(s + i, "%2x", &v);
    p[i / 2] = (uint8_t)v;
  }
  *len = n / 2;
  p[*len] = 0;
  return p;
}

static uint8_t *unhex_s(const char *s, size_t *len) { return unhex(s, strlen(s), len); }

static void encode(bindery_sv_writer *w, char **tok, size_t ntok, size_t *i);

static void encode_tok(bindery_sv_writer *w, char **tok, size_t ntok, size_t *i, bool key) {
  if (*i >= ntok) {
    return;
  }
  char *t = tok[(*i)++];
  size_t len;
  if (key && strncmp(t, "str:", 4) == 0) {
    uint8_t *p = unhex_s(t + 4, &len);
    bindery_sv_key(w, (const char *)p, len);
    free(p);
  } else {
    (*i)--;
    encode(w, tok, ntok, i);
  }
}

static void encode(bindery_sv_writer *w, char **tok, size_t ntok, size_t *i) {
  if (*i >= ntok) {
    return;
  }
  char *t = tok[(*i)++];
  size_t len, n;
  uint8_t *p;
  if (strcmp(t, "u") == 0) {
    bindery_sv_write_undefined(w);
  } else if (strcmp(t, "n") == 0) {
    bindery_sv_write_null(w);
  } else if (strcmp(t, "t") == 0 || strcmp(t, "f") == 0) {
    bindery_sv_write_bool(w, t[0] == 't');
  } else if (strncmp(t, "num:", 4) == 0 || strncmp(t, "date:", 5) == 0) {
    uint64_t u = strtoull(strchr(t, ':') + 1, NULL, 16);
    double d;
    memcpy(&d, &u, 8);
    if (t[0] == 'n') {
      bindery_sv_write_number(w, d);
    } else {
      bindery_sv_write_date(w, d);
    }
  } else if (strncmp(t, "i64:", 4) == 0) {
    bindery_sv_write_int64(w, strtoll(t + 4, NULL, 10));
  } else if (strncmp(t, "u64:", 4) == 0) {
    bindery_sv_write_uint64(w, strtoull(t + 4, NULL, 10));
  } else if (strncmp(t, "big:", 4) == 0) {
    p = unhex_s(t + 5, &len);
    bindery_sv_write_bigint(w, t[4] == '-', p, len);
    free(p);
  } else if (strncmp(t, "str:", 4) == 0) {
    p = unhex_s(t + 4, &len);
    bindery_sv_write_string(w, (const char *)p, len);
    free(p);
  } else if (strncmp(t, "bytes:", 6) == 0) {
    p = unhex_s(t + 6, &len);
    bindery_sv_write_bytes(w, p, len);
    free(p);
  } else if (strncmp(t, "typed:", 6) == 0) {
    char *end;
    long tag = strtol(t + 6, &end, 10);
    p = unhex_s(end + 1, &len);
    bindery_sv_write_typed(w, (bindery_sv_typed)tag, p, len);
    free(p);
  } else if (sscanf(t, "arr:%zu", &n) == 1) {
    bindery_sv_array_begin(w, n);
    for (size_t k = 0; k < n; k++) encode(w, tok, ntok, i);
  } else if (sscanf(t, "set:%zu", &n) == 1) {
    bindery_sv_set_begin(w, n);
    for (size_t k = 0; k < n; k++) encode(w, tok, ntok, i);
  } else if (sscanf(t, "map:%zu", &n) == 1) {
    bindery_sv_map_begin(w, n);
    for (size_t k = 0; k < 2 * n; k++) encode(w, tok, ntok, i);
  } else if (sscanf(t, "obj:%zu", &n) == 1) {
    bindery_sv_object_begin(w, n);
    for (size_t k = 0; k < n; k++) {
      encode_tok(w, tok, ntok, i, true);
      encode(w, tok, ntok, i);
    }
  } else if (strncmp(t, "err:", 4) == 0) {
    char *f[4] = {0};
    char *s = t + 4;
    for (int k = 0; k < 4; k++) {
      f[k] = s;
      s = strchr(s, ':');
      if (s == NULL) break;
      *s++ = 0;
    }
    uint8_t *name = unhex_s(f[0], &len), *msg = unhex_s(f[1] ? f[1] : "", &len);
    uint8_t *stack = f[2] && strcmp(f[2], "-") != 0 ? unhex_s(f[2], &len) : NULL;
    bool cause = f[3] && f[3][0] == 'c';
    bindery_sv_write_error(w, (const char *)name, (const char *)msg, (const char *)stack, cause);
    free(name);
    free(msg);
    free(stack);
    if (cause) encode(w, tok, ntok, i);
  } else {
    fprintf(stderr, "unknown token %s\n", t);
    exit(2);
  }
}

int main(void) {
  char *line = NULL;
  size_t cap = 0;
  ssize_t n;
  while ((n = getline(&line, &cap, stdin)) > 0) {
    if (line[n - 1] == '\n') line[--n] = 0;
    if (n < 1) continue;
    char cmd = line[0];
    char *arg = n > 2 ? line + 2 : line + n;
    buf out = {0};
    if (cmd == 'D' || cmd == 'I') {
      size_t len;
      uint8_t *data = unhex_s(arg, &len);
      bindery_sv_reader r;
      if (bindery_sv_reader_init(&r, data, len) != BINDERY_OK) {
        size_t off;
        const char *msg = bindery_sv_reader_errmsg(&r, &off);
        addf(&out, "err %zu ", off);
        adds(&out, msg);
      } else if (cmd == 'I') {
        bindery_sv_item it;
        int64_t v;
        bindery_sv_next(&r, &it);
        if (bindery_sv_item_int64(&it, &v)) {
          addf(&out, "ok %" PRId64, v);
        } else {
          adds(&out, "no");
        }
      } else {
        adds(&out, "ok ");
        dump(&r, &out);
        bindery_sv_item it;
        if (bindery_sv_next(&r, &it) != BINDERY_SV_END) {
          adds(&out, " | items after the value");
        }
        // bindery_sv_skip passes over the same whole value.
        bindery_sv_reader_init(&r, data, len);
        bindery_sv_skip(&r);
        if (bindery_sv_next(&r, &it) != BINDERY_SV_END || r.pos != len) {
          addf(&out, " | skip stopped at byte %zu", r.pos);
        }
      }
      free(data);
    } else if (cmd == 'E') {
      char **tok = NULL;
      size_t ntok = 0, tcap = 0;
      for (char *t = strtok(arg, " "); t; t = strtok(NULL, " ")) {
        if (ntok == tcap) {
          tcap = tcap ? 2 * tcap : 16;
          tok = realloc(tok, tcap * sizeof *tok);
        }
        tok[ntok++] = t;
      }
      bindery_sv_writer w;
      bindery_sv_writer_init(&w);
      size_t i = 0;
      while (i < ntok) encode(&w, tok, ntok, &i);
      bindery_bytes enc;
      if (bindery_sv_writer_finish(&w, &enc) != BINDERY_OK) {
        adds(&out, "err ");
        adds(&out, bindery_sv_writer_errmsg(&w));
      } else {
        adds(&out, "ok ");
        addhex(&out, enc.data, enc.len);
        free(enc.data);
      }
      free(tok);
    } else {
      adds(&out, "err unknown command");
    }
    printf("%s\n", out.s ? out.s : "");
    free(out.s);
  }
  free(line);
  return 0;
}
