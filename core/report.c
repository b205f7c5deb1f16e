/* report.c — the pure pieces of report rendering: when to colour, and sparklines.
 *
 * Uses buf.c only. Never reads the environment or the clock itself (callers pass what
 * they saw), never writes to a stream. */
#include "report.h"

#include <string.h>

static const char *const bars[8] = {"\u2581", "\u2582", "\u2583", "\u2584",
                                    "\u2585", "\u2586", "\u2587", "\u2588"};

int rb_report_use_color(int is_tty, const char *no_color, const char *term, int refused) {
  if (refused || !is_tty)
    return 0;
  if (no_color && no_color[0])
    return 0;
  if (term && strcmp(term, "dumb") == 0)
    return 0;
  return 1;
}

/* The maximum present value of values[from, to); *found says whether there was one. */
static double bucket_max(const double *values, const unsigned char *present, size_t from,
                         size_t to, int *found) {
  double best = 0;
  *found = 0;
  for (size_t i = from; i < to; i++) {
    if (!present[i])
      continue;
    if (!*found || values[i] > best)
      best = values[i];
    *found = 1;
  }
  return best;
}

static int glyph(rb_buf *out, int found, double v, double lo, double hi) {
  if (!found)
    return rb_buf_putc(out, ' ');
  int level = 0;
  if (hi > lo)
    level = (int)((v - lo) / (hi - lo) * 7.0 + 0.5);
  else if (hi > 0)
    level = 3; /* a flat non-zero line sits mid-height; a flat zero on the floor */
  if (level < 0)
    level = 0;
  if (level > 7)
    level = 7;
  return rb_buf_puts(out, bars[level]);
}

int rb_report_sparkline(const double *values, const unsigned char *present, size_t n,
                        size_t width, rb_buf *out, double *lo, double *hi) {
  size_t buckets = n < width || width == 0 ? n : width;
  int any = 0, found;
  *lo = *hi = 0;
  for (size_t b = 0; b < buckets; b++) {
    double v =
        bucket_max(values, present, b * n / buckets, (b + 1) * n / buckets, &found);
    if (!found)
      continue;
    if (!any || v < *lo)
      *lo = v;
    if (!any || v > *hi)
      *hi = v;
    any = 1;
  }
  if (!any)
    return 0;
  size_t start = out->len;
  for (size_t b = 0; b < buckets; b++) {
    double v =
        bucket_max(values, present, b * n / buckets, (b + 1) * n / buckets, &found);
    if (glyph(out, found, v, *lo, *hi) != 0) {
      out->len = start;
      if (out->data)
        out->data[start] = '\0';
      return -1;
    }
  }
  return (int)buckets;
}
