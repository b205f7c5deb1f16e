/* test_awstime.c — awstime.c: ISO 8601 (strict and lenient), the three HTTP-date forms,
 * epoch seconds, formatting, and dates that do not exist. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <stdio.h>
#include <string.h>

#include "awstime.h"

/* 2026-11-27T03:00:00Z */
#define T0 1795748400LL

static double iso(const char *s, int strict) {
  double t = -1;
  if (rb_time_parse_iso8601(s, strict, &t) != 0)
    fail_msg("'%s' was refused (strict=%d)", s, strict);
  return t;
}

static void iso_refused(const char *s, int strict) {
  double t;
  if (rb_time_parse_iso8601(s, strict, &t) != -1)
    fail_msg("'%s' was accepted (strict=%d) as %.3f", s, strict, t);
}

static void days_from_civil_matches_known_dates(void **state) {
  (void)state;
  assert_int_equal(rb_time_days_from_civil(1970, 1, 1), 0);
  assert_int_equal(rb_time_days_from_civil(2000, 3, 1), 11017);
  assert_int_equal(rb_time_days_from_civil(1969, 12, 31), -1);
  assert_int_equal(rb_time_days_from_civil(2026, 11, 27) * 86400 + 3 * 3600, T0);
  assert_int_equal(rb_time_days_in_month(2024, 2), 29);
  assert_int_equal(rb_time_days_in_month(1900, 2), 28);
  assert_int_equal(rb_time_days_in_month(2000, 2), 29);
  assert_int_equal(rb_time_days_in_month(2026, 4), 30);
}

static void strict_iso_takes_what_credential_documents_hold(void **state) {
  (void)state;
  assert_true(iso("2026-11-27T03:00:00Z", 1) == T0);
  assert_true(iso("2026-11-27t03:00:00z", 1) == T0);
  assert_true(iso("2026-11-27 03:00:00Z", 1) == T0);
  assert_true(iso("2026-11-27T03:00:00.5Z", 1) == T0 + 0.5);
  assert_true(iso("2026-11-27T05:30:00+02:30", 1) == T0);
  assert_true(iso("2026-11-26T22:00:00-05:00", 1) == T0);
  assert_true(iso("1970-01-01T00:00:00Z", 1) == 0);
}

static void strict_iso_refuses_what_the_sdks_refuse(void **state) {
  (void)state;
  const char *bad[] = {"",
                       "2026-11-27",
                       "2026-11-27T03:00Z",
                       "2026-11-27T03:00:00",
                       "2026-11-27T03:00:00+0230",
                       "2026-11-27T03:00:00+02",
                       "2026-11-27T03:00:00.Z",
                       "2026-11-27T03:00:00Zjunk",
                       "26-11-27T03:00:00Z",
                       "2026-13-01T00:00:00Z",
                       "2026-02-30T00:00:00Z",
                       "2025-02-29T00:00:00Z",
                       "2026-11-27T24:00:00Z",
                       "2026-11-27T03:60:00Z",
                       "2026-11-27T03:00:00+24:00"};
  for (size_t i = 0; i < sizeof bad / sizeof *bad; i++)
    iso_refused(bad[i], 1);
  double t;
  assert_int_equal(rb_time_parse_iso8601(NULL, 1, &t), -1);
}

static void lenient_iso_takes_what_botocore_takes(void **state) {
  (void)state;
  assert_true(iso("2026-11-27", 0) == T0 - 3 * 3600);
  assert_true(iso("2026-11-27T03:00", 0) == T0);
  assert_true(iso("2026-11-27T03:00:00", 0) == T0);
  assert_true(iso("2026-11-27T05:30:00+0230", 0) == T0);
  assert_true(iso("2026-11-27T05:00:00+02", 0) == T0);
  assert_true(iso("2026-11-27T03:00:00.123456Z", 0) == T0 + 0.123456);
  iso_refused("2026-02-30", 0);
  iso_refused("2026-11-27T03", 0);
  iso_refused("2026-11-27T03:00:00+2", 0);
  iso_refused("yesterday", 0);
}

static void http_dates_in_all_three_forms(void **state) {
  (void)state;
  long long t;
  assert_int_equal(rb_time_parse_http_date("Fri, 27 Nov 2026 03:00:00 GMT", &t), 0);
  assert_int_equal(t, T0);
  assert_int_equal(rb_time_parse_http_date("Sun, 06 Nov 1994 08:49:37 GMT", &t), 0);
  assert_int_equal(t, 784111777);
  assert_int_equal(rb_time_parse_http_date("Sunday, 06-Nov-94 08:49:37 GMT", &t), 0);
  assert_int_equal(t, 784111777);
  assert_int_equal(rb_time_parse_http_date("Sun Nov  6 08:49:37 1994", &t), 0);
  assert_int_equal(t, 784111777);
  const char *bad[] = {"",
                       "Fri, 27 Nov 2026 03:00:00",
                       "Fri, 27 Nov 2026 03:00:00 UTC",
                       "Fri, 30 Feb 2026 03:00:00 GMT",
                       "Fri, 27 Nov 2026 25:00:00 GMT",
                       "27 Nov 2026 03:00:00 GMT",
                       "Fri, 27 Nov 2026 03:00:00 GMT "};
  for (size_t i = 0; i < sizeof bad / sizeof *bad; i++)
    if (rb_time_parse_http_date(bad[i], &t) != -1)
      fail_msg("'%s' was accepted", bad[i]);
  assert_int_equal(rb_time_parse_http_date(NULL, &t), -1);
}

static void epoch_seconds_as_text(void **state) {
  (void)state;
  double t;
  assert_int_equal(rb_time_parse_epoch("1795748400", &t), 0);
  assert_true(t == T0);
  assert_int_equal(rb_time_parse_epoch("1795748400.25", &t), 0);
  assert_true(t == T0 + 0.25);
  const char *bad[] = {"", "-1", "1e9", "12.", ".5", "12 ", "0x10"};
  for (size_t i = 0; i < sizeof bad / sizeof *bad; i++)
    if (rb_time_parse_epoch(bad[i], &t) != -1)
      fail_msg("'%s' was accepted", bad[i]);
}

static void formatting_reads_back(void **state) {
  (void)state;
  char out[64];
  assert_int_equal(rb_time_format_iso8601((double)T0, 1, out, sizeof out), 0);
  assert_string_equal(out, "2026-11-27T03:00:00Z");
  assert_int_equal(rb_time_format_iso8601(T0 + 0.5, 1, out, sizeof out), 0);
  assert_string_equal(out, "2026-11-27T03:00:00.500000Z");
  assert_true(iso(out, 1) == T0 + 0.5);
  assert_int_equal(rb_time_format_iso8601(T0 + 0.5, 0, out, sizeof out), 0);
  assert_string_equal(out, "2026-11-27T03:00:00Z");
  assert_int_equal(rb_time_format_iso8601(T0 + 0.9999999, 1, out, sizeof out), 0);
  assert_string_equal(out, "2026-11-27T03:00:01Z");
  assert_int_equal(rb_time_format_http_date((double)T0, out, sizeof out), 0);
  assert_string_equal(out, "Fri, 27 Nov 2026 03:00:00 GMT");
  long long back;
  assert_int_equal(rb_time_parse_http_date(out, &back), 0);
  assert_int_equal(back, T0);
  assert_int_equal(rb_time_format_iso8601((double)T0, 1, out, 10), -1);
  assert_int_equal(rb_time_format_http_date((double)T0, out, 10), -1);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(days_from_civil_matches_known_dates),
      cmocka_unit_test(strict_iso_takes_what_credential_documents_hold),
      cmocka_unit_test(strict_iso_refuses_what_the_sdks_refuse),
      cmocka_unit_test(lenient_iso_takes_what_botocore_takes),
      cmocka_unit_test(http_dates_in_all_three_forms),
      cmocka_unit_test(epoch_seconds_as_text),
      cmocka_unit_test(formatting_reads_back),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
