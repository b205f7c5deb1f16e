/* error.c — filling the core's one error shape (see error.h). Uses only libc. */
#include "error.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

void rb_error_clear(rb_error *err) {
  if (err)
    memset(err, 0, sizeof *err);
}

int rb_error_set(rb_error *err, const char *code, const char *fmt, ...) {
  if (!err)
    return -1;
  rb_error_clear(err);
  snprintf(err->code, sizeof err->code, "%s", code);
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(err->message, sizeof err->message, fmt, ap);
  va_end(ap);
  return -1;
}
