/* test_ratelimit.c — ratelimit.c: the token bucket that spaces requests to a published
 * rate (time passed in, exact), and the process table it is keyed by (quotas.c). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <stdio.h>

#include "quotas.h"
#include "ratelimit.h"

#define assert_same_double(actual, expected)                                             \
  do {                                                                                   \
    double a_ = (actual), e_ = (expected);                                               \
    if (!(a_ == e_))                                                                     \
      fail_msg("%s = %.17g, expected %.17g", #actual, a_, e_);                           \
  } while (0)

static void lookup_events_is_two_per_second(void **state) {
  (void)state;
  const rb_rate *r = rb_ratelimit_known("cloudtrail", "LookupEvents");
  assert_non_null(r);
  assert_same_double(r->per_second, 2.0);
}

static void operations_without_a_published_rate_are_not_paced(void **state) {
  (void)state;
  assert_null(rb_ratelimit_known("sts", "GetCallerIdentity"));
  assert_null(rb_ratelimit_known("lambda", "Invoke")); /* off: not the control plane */
  assert_null(rb_ratelimit_known("cloudtrail", "LookupEventz"));
  assert_null(rb_ratelimit_known(NULL, "LookupEvents"));
}

static void the_lambda_control_plane_shares_one_bucket(void **state) {
  (void)state;
  const rb_rate *a = rb_ratelimit_known("lambda", "GetFunctionConfiguration");
  const rb_rate *b = rb_ratelimit_known("lambda", "ListFunctions");
  assert_non_null(a);
  assert_ptr_equal(a, b);
  assert_string_equal(a->operation, "*");
  assert_same_double(a->per_second, 15.0);
  const rb_rate *get = rb_ratelimit_known("lambda", "GetFunction");
  assert_non_null(get);
  assert_ptr_not_equal(get, a);
  assert_same_double(get->per_second, 100.0);
}

static void a_burst_goes_at_once_then_requests_are_spaced_one_over_rate(void **state) {
  (void)state;
  rb_rate rate = {"x", "Y", 2.0, 2.0, NULL, 0};
  rb_bucket b;
  rb_bucket_init(&b, &rate, 100.0);
  assert_same_double(rb_bucket_take(&b, 100.0), 0.0);
  assert_same_double(rb_bucket_take(&b, 100.0), 0.0);
  assert_same_double(rb_bucket_take(&b, 100.0), 0.5);
  assert_same_double(rb_bucket_take(&b, 100.0), 1.0);
  assert_same_double(rb_bucket_take(&b, 100.0), 1.5);
}

static void waiting_pays_the_debt_back(void **state) {
  (void)state;
  rb_rate rate = {"x", "Y", 2.0, 1.0, NULL, 0};
  rb_bucket b;
  rb_bucket_init(&b, &rate, 0.0);
  assert_same_double(rb_bucket_take(&b, 0.0), 0.0);
  assert_same_double(rb_bucket_take(&b, 0.0), 0.5);  /* promised the slot at 0.5 */
  assert_same_double(rb_bucket_take(&b, 0.5), 0.5);  /* the next slot is at 1.0 */
  assert_same_double(rb_bucket_take(&b, 10.0), 0.0); /* a quiet spell refills */
}

static void a_quiet_spell_refills_no_more_than_the_burst(void **state) {
  (void)state;
  rb_rate rate = {"x", "Y", 2.0, 2.0, NULL, 0};
  rb_bucket b;
  rb_bucket_init(&b, &rate, 0.0);
  assert_same_double(rb_bucket_take(&b, 3600.0), 0.0);
  assert_same_double(rb_bucket_take(&b, 3600.0), 0.0);
  assert_same_double(rb_bucket_take(&b, 3600.0), 0.5);
}

static void a_clock_going_back_does_not_refill(void **state) {
  (void)state;
  rb_rate rate = {"x", "Y", 1.0, 1.0, NULL, 0};
  rb_bucket b;
  rb_bucket_init(&b, &rate, 50.0);
  assert_same_double(rb_bucket_take(&b, 50.0), 0.0);
  assert_same_double(rb_bucket_take(&b, 40.0), 1.0);
}

static void a_zero_rate_or_burst_is_taken_as_one(void **state) {
  (void)state;
  rb_rate rate = {"x", "Y", 0.0, 0.0, NULL, 0};
  rb_bucket b;
  rb_bucket_init(&b, &rate, 0.0);
  assert_same_double(rb_bucket_take(&b, 0.0), 0.0);
  assert_same_double(rb_bucket_take(&b, 0.0), 1.0);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(lookup_events_is_two_per_second),
      cmocka_unit_test(operations_without_a_published_rate_are_not_paced),
      cmocka_unit_test(the_lambda_control_plane_shares_one_bucket),
      cmocka_unit_test(a_burst_goes_at_once_then_requests_are_spaced_one_over_rate),
      cmocka_unit_test(waiting_pays_the_debt_back),
      cmocka_unit_test(a_quiet_spell_refills_no_more_than_the_burst),
      cmocka_unit_test(a_clock_going_back_does_not_refill),
      cmocka_unit_test(a_zero_rate_or_burst_is_taken_as_one),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
