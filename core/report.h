/* report.h — terminal facts and glyphs for the triage report (the layout itself is Lua
 * policy in plugins/triage/report.lua; this is the mechanism it needs).
 *
 * Pure functions: the environment (is it a TTY, NO_COLOR, TERM) is passed in, so every
 * decision is testable. Output goes into a caller-owned rb_buf. */
#ifndef RB_REPORT_H
#define RB_REPORT_H

#include "buf.h"

#include <stddef.h>

/* 1 when a report on this stream should be coloured: a terminal, NO_COLOR unset or
 * empty (https://no-color.org), TERM not "dumb", and colour not refused by a flag. */
int rb_report_use_color(int is_tty, const char *no_color, const char *term, int refused);

/* Appends a sparkline of n values (▁▂▃▄▅▆▇█, scaled from the lowest to the highest
 * present value) to out; present[i] == 0 marks a gap, drawn as a space. More than
 * `width` values are grouped into `width` buckets, each drawn at its maximum. Sets *lo
 * and *hi to the range drawn. Returns the number of glyphs written, 0 when no value is
 * present (out unchanged), -1 when memory runs out. */
int rb_report_sparkline(const double *values, const unsigned char *present, size_t n,
                        size_t width, rb_buf *out, double *lo, double *hi);

#endif
