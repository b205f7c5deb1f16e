/* buf.h — the one growable byte buffer of the core.
 *
 * Every unit that builds strings (canonical requests, URLs, bodies, reports) uses rb_buf
 * so that growth, NUL termination and secure wiping live in one place. The buffer always
 * keeps a terminating NUL after `len` bytes, so `data` can be used as a C string when the
 * content has no embedded NULs. The owner calls rb_buf_free (or rb_buf_free_secure for
 * secrets). */
#ifndef RB_BUF_H
#define RB_BUF_H

#include <stdarg.h>
#include <stddef.h>

typedef struct rb_buf {
  char *data; /* NULL until the first append; NUL-terminated afterwards */
  size_t len;
  size_t cap;
} rb_buf;

#define RB_BUF_INIT                                                                      \
  { NULL, 0, 0 }

/* All appenders return 0 on success, -1 when memory runs out (the buffer is unchanged).
 */
int rb_buf_append(rb_buf *b, const void *data, size_t len);
int rb_buf_puts(rb_buf *b, const char *s);
int rb_buf_putc(rb_buf *b, char c);
int rb_buf_printf(rb_buf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
int rb_buf_vprintf(rb_buf *b, const char *fmt, va_list ap)
    __attribute__((format(printf, 2, 0)));
/* Appends `len` bytes as lowercase hex. */
int rb_buf_put_hex(rb_buf *b, const unsigned char *data, size_t len);

/* Returns the content as a NUL-terminated string ("" for an empty buffer); never NULL
 * unless memory runs out. The buffer still owns it. */
const char *rb_buf_cstr(rb_buf *b);
/* Hands the content to the caller (free() it) and resets the buffer. */
char *rb_buf_detach(rb_buf *b);
void rb_buf_reset(rb_buf *b);
void rb_buf_free(rb_buf *b);
/* Wipes the bytes with OPENSSL_cleanse before freeing: for anything derived from a
 * secret. */
void rb_buf_free_secure(rb_buf *b);

/* Duplicates a string (NULL stays NULL); aborts nothing, returns NULL on OOM. */
char *rb_strdup(const char *s);
char *rb_strndup(const char *s, size_t n);
/* Frees a string after wiping it: for secret keys and session tokens. */
void rb_free_secret(char *s);

#endif
