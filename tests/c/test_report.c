/* test_report.c — report.c: when a report is coloured, and sparkline glyphs, scaling,
 * gaps and bucketing. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <stdlib.h>
#include <string.h>

#include "report.h"

static void colour_needs_a_terminal_and_no_refusal(void **state) {
  (void)state;
  assert_int_equal(rb_report_use_color(1, NULL, "xterm", 0), 1);
  assert_int_equal(rb_report_use_color(0, NULL, "xterm", 0), 0);
  assert_int_equal(rb_report_use_color(1, "1", "xterm", 0), 0);
  assert_int_equal(rb_report_use_color(1, "", "xterm", 0), 1); /* NO_COLOR empty: unset */
  assert_int_equal(rb_report_use_color(1, NULL, "dumb", 0), 0);
  assert_int_equal(rb_report_use_color(1, NULL, NULL, 0), 1);
  assert_int_equal(rb_report_use_color(1, NULL, "xterm", 1), 0);
}

static char *spark(const double *v, const unsigned char *present, size_t n, size_t width,
                   double *lo, double *hi, int *count) {
  rb_buf out = RB_BUF_INIT;
  *count = rb_report_sparkline(v, present, n, width, &out, lo, hi);
  return out.data ? rb_buf_detach(&out) : NULL;
}

static void sparkline_scales_from_lowest_to_highest(void **state) {
  (void)state;
  double v[] = {0, 1, 2, 3, 4, 5, 6, 7};
  unsigned char p[] = {1, 1, 1, 1, 1, 1, 1, 1};
  double lo, hi;
  int n;
  char *s = spark(v, p, 8, 60, &lo, &hi, &n);
  assert_int_equal(n, 8);
  assert_string_equal(s, "▁▂▃▄▅▆▇█");
  assert_true(lo == 0 && hi == 7);
  free(s);
}

static void sparkline_draws_gaps_as_spaces(void **state) {
  (void)state;
  double v[] = {400, 420, 0, 4200, 3000};
  unsigned char p[] = {1, 1, 0, 1, 1};
  double lo, hi;
  int n;
  char *s = spark(v, p, 5, 60, &lo, &hi, &n);
  assert_string_equal(s, "▁▁ █▆");
  assert_true(lo == 400 && hi == 4200);
  free(s);
}

static void flat_lines_sit_on_the_floor_at_zero_and_mid_height_otherwise(void **state) {
  (void)state;
  double zeros[] = {0, 0, 0}, fives[] = {5, 5, 5};
  unsigned char p[] = {1, 1, 1};
  double lo, hi;
  int n;
  char *s = spark(zeros, p, 3, 60, &lo, &hi, &n);
  assert_string_equal(s, "▁▁▁");
  free(s);
  s = spark(fives, p, 3, 60, &lo, &hi, &n);
  assert_string_equal(s, "▄▄▄");
  free(s);
}

static void long_series_are_bucketed_by_their_maximum(void **state) {
  (void)state;
  double v[120];
  unsigned char p[120];
  for (int i = 0; i < 120; i++) {
    v[i] = i == 117 ? 50 : 1;
    p[i] = 1;
  }
  double lo, hi;
  int n;
  char *s = spark(v, p, 120, 40, &lo, &hi, &n);
  assert_int_equal(n, 40);
  assert_int_equal(strlen(s), 40 * 3); /* each glyph is 3 bytes of UTF-8 */
  assert_memory_equal(s + 39 * 3, "█", 3);
  assert_memory_equal(s, "▁", 3);
  assert_true(lo == 1 && hi == 50);
  free(s);
}

static void no_present_value_draws_nothing(void **state) {
  (void)state;
  double v[] = {1, 2};
  unsigned char p[] = {0, 0};
  double lo, hi;
  int n;
  char *s = spark(v, p, 2, 60, &lo, &hi, &n);
  assert_int_equal(n, 0);
  assert_null(s);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(colour_needs_a_terminal_and_no_refusal),
      cmocka_unit_test(sparkline_scales_from_lowest_to_highest),
      cmocka_unit_test(sparkline_draws_gaps_as_spaces),
      cmocka_unit_test(flat_lines_sit_on_the_floor_at_zero_and_mid_height_otherwise),
      cmocka_unit_test(long_series_are_bucketed_by_their_maximum),
      cmocka_unit_test(no_present_value_draws_nothing),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
