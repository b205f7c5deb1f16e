/* buf.c — growable byte buffer (see buf.h).
 *
 * Uses only libc and OpenSSL's cleanse. Must never lose the terminating NUL, and must
 * leave the buffer untouched when an allocation fails so callers can report and clean up.
 */
#include "buf.h"

#include <openssl/crypto.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int buf_reserve(rb_buf *b, size_t extra) {
  if (b->len + extra + 1 <= b->cap)
    return 0;
  size_t cap = b->cap ? b->cap : 64;
  while (cap < b->len + extra + 1) {
    if (cap > ((size_t)-1) / 2)
      return -1;
    cap *= 2;
  }
  /* Not realloc: the old block may hold part of a secret (a session token in a canonical
   * request), so it is wiped before it goes back to the allocator. */
  char *p = malloc(cap);
  if (!p)
    return -1;
  if (b->data) {
    memcpy(p, b->data, b->len + 1);
    OPENSSL_cleanse(b->data, b->cap);
    free(b->data);
  }
  b->data = p;
  b->cap = cap;
  return 0;
}

int rb_buf_append(rb_buf *b, const void *data, size_t len) {
  if (buf_reserve(b, len) != 0)
    return -1;
  if (len)
    memcpy(b->data + b->len, data, len);
  b->len += len;
  b->data[b->len] = '\0';
  return 0;
}

int rb_buf_puts(rb_buf *b, const char *s) {
  return rb_buf_append(b, s, strlen(s));
}

int rb_buf_putc(rb_buf *b, char c) {
  return rb_buf_append(b, &c, 1);
}

int rb_buf_vprintf(rb_buf *b, const char *fmt, va_list ap) {
  va_list copy;
  va_copy(copy, ap);
  int n = vsnprintf(NULL, 0, fmt, copy);
  va_end(copy);
  if (n < 0 || buf_reserve(b, (size_t)n) != 0)
    return -1;
  vsnprintf(b->data + b->len, (size_t)n + 1, fmt, ap);
  b->len += (size_t)n;
  return 0;
}

int rb_buf_printf(rb_buf *b, const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  int rc = rb_buf_vprintf(b, fmt, ap);
  va_end(ap);
  return rc;
}

int rb_buf_put_hex(rb_buf *b, const unsigned char *data, size_t len) {
  static const char digits[] = "0123456789abcdef";
  if (buf_reserve(b, len * 2) != 0)
    return -1;
  for (size_t i = 0; i < len; i++) {
    b->data[b->len++] = digits[data[i] >> 4];
    b->data[b->len++] = digits[data[i] & 15];
  }
  b->data[b->len] = '\0';
  return 0;
}

const char *rb_buf_cstr(rb_buf *b) {
  if (!b->data && buf_reserve(b, 0) != 0)
    return NULL;
  b->data[b->len] = '\0';
  return b->data;
}

char *rb_buf_detach(rb_buf *b) {
  if (!rb_buf_cstr(b))
    return NULL;
  char *p = b->data;
  b->data = NULL;
  b->len = b->cap = 0;
  return p;
}

void rb_buf_reset(rb_buf *b) {
  b->len = 0;
  if (b->data)
    b->data[0] = '\0';
}

void rb_buf_free(rb_buf *b) {
  free(b->data);
  b->data = NULL;
  b->len = b->cap = 0;
}

void rb_buf_free_secure(rb_buf *b) {
  if (b->data)
    OPENSSL_cleanse(b->data, b->cap);
  rb_buf_free(b);
}

char *rb_strdup(const char *s) {
  return s ? rb_strndup(s, strlen(s)) : NULL;
}

char *rb_strndup(const char *s, size_t n) {
  if (!s)
    return NULL;
  char *p = malloc(n + 1);
  if (!p)
    return NULL;
  memcpy(p, s, n);
  p[n] = '\0';
  return p;
}

void rb_free_secret(char *s) {
  if (s)
    OPENSSL_cleanse(s, strlen(s));
  free(s);
}
