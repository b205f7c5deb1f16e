/* fuzz_http_date.c — fuzzes the timestamp parsers of awstime.c: the HTTP Date header
 * (rb_clock_skew_from_date, and the clock-skew correction built on it in retry.c), the
 * ISO 8601 times of credential documents (rb_credentials_parse_time), the lenient ISO
 * 8601 and epoch forms of protocol timestamps.
 *
 * Input: the text of one date, used as is (an embedded NUL ends it, as it would any
 * header value). Checks that a parsed HTTP date gives the same skew against two clocks
 * a known distance apart, and that an accepted ISO time reads back the same after being
 * printed as "YYYY-MM-DDTHH:MM:SSZ" (to the microsecond for the lenient form). Never
 * writes anything. */
#include "awstime.h"
#include "credentials.h"
#include "fuzz_util.h"
#include "retry.h"

#include <math.h>
#include <string.h>
#include <time.h>

static void check(int ok) {
  if (!ok)
    abort();
}

static void http_date(const char *s) {
  long long a, b;
  int rc = rb_clock_skew_from_date(s, 1795000000LL, &a);
  check(rc == rb_clock_skew_from_date(s, 1795000600LL, &b));
  if (rc == 0)
    check(a - b == 600);

  /* the correction only ever happens for a clock-skew error with a usable date */
  rb_retry_config cfg = {RB_RETRY_STANDARD, 3};
  rb_retry_state st;
  rb_retry_state_init(&st, &cfg);
  rb_error err;
  rb_error_set(&err, "RequestTimeTooSkewed", "signature expired");
  err.status = 403;
  long long offset = 0;
  int fixed = rb_retry_correct_clock(&st, &err, s, 1795000000LL, &offset);
  check(!fixed || rc == 0);
}

static void iso_time(const char *s) {
  long long t;
  if (rb_credentials_parse_time(s, &t) != 0)
    return;
  time_t tt = (time_t)t;
  struct tm tm;
  char again[64];
  if (!gmtime_r(&tt, &tm) || tm.tm_year + 1900 < 1000 || tm.tm_year + 1900 > 9999)
    return; /* years that do not print as four digits */
  strftime(again, sizeof again, "%Y-%m-%dT%H:%M:%SZ", &tm);
  long long t2;
  check(rb_credentials_parse_time(again, &t2) == 0 && t2 == t);
}

static void protocol_time(const char *s) {
  double t, again;
  char text[64];
  (void)rb_time_parse_epoch(s, &t);
  if (rb_time_parse_iso8601(s, 0, &t) != 0 || !(t >= 0 && t < 253402300800.0))
    return; /* years that do not print as four digits */
  check(rb_time_format_iso8601(t, 1, text, sizeof text) == 0);
  check(rb_time_parse_iso8601(text, 1, &again) == 0 && fabs(again - t) <= 1e-6);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  char *s = malloc(size + 1);
  if (!s)
    return 0;
  memcpy(s, data, size);
  s[size] = '\0';
  http_date(s);
  iso_time(s);
  protocol_time(s);
  free(s);
  return 0;
}
