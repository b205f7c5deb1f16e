/* test_retry.c — retry.c: classification, backoff, quota, max attempts, the adaptive rate
 * limiter (against numbers from botocore itself) and clock-skew correction. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <stdio.h>
#include <string.h>

#include "retry.h"

#define assert_same_double(actual, expected)                                             \
  do {                                                                                   \
    double a_ = (actual), e_ = (expected);                                               \
    if (!(a_ == e_))                                                                     \
      fail_msg("%s = %.17g, expected %.17g", #actual, a_, e_);                           \
  } while (0)

static rb_error make_err(const char *code, int status) {
  rb_error e;
  rb_error_clear(&e);
  snprintf(e.code, sizeof e.code, "%s", code);
  e.status = status;
  return e;
}

static rb_retry_state state_for(rb_retry_mode mode, int max_attempts) {
  rb_retry_config cfg = {mode, max_attempts};
  rb_retry_state s;
  rb_retry_state_init(&s, &cfg);
  return s;
}

/* ---- configuration ---- */

static void config_defaults_to_standard_with_three_attempts(void **state) {
  (void)state;
  rb_retry_config cfg = {RB_RETRY_LEGACY, 0};
  assert_int_equal(rb_retry_config_parse(NULL, NULL, &cfg, NULL), 0);
  assert_int_equal(cfg.mode, RB_RETRY_STANDARD);
  assert_int_equal(cfg.max_attempts, 3);
  assert_int_equal(rb_retry_config_parse("", "", &cfg, NULL), 0);
  assert_int_equal(cfg.mode, RB_RETRY_STANDARD);
  assert_int_equal(cfg.max_attempts, 3);
}

static void config_legacy_defaults_to_five_attempts(void **state) {
  (void)state;
  rb_retry_config cfg;
  assert_int_equal(rb_retry_config_parse("legacy", NULL, &cfg, NULL), 0);
  assert_int_equal(cfg.mode, RB_RETRY_LEGACY);
  assert_int_equal(cfg.max_attempts, 5);
  assert_int_equal(rb_retry_config_parse("legacy", "2", &cfg, NULL), 0);
  assert_int_equal(cfg.max_attempts, 2);
}

static void config_reads_adaptive_and_max_attempts(void **state) {
  (void)state;
  rb_retry_config cfg;
  assert_int_equal(rb_retry_config_parse("adaptive", "10", &cfg, NULL), 0);
  assert_int_equal(cfg.mode, RB_RETRY_ADAPTIVE);
  assert_int_equal(cfg.max_attempts, 10);
  assert_int_equal(rb_retry_config_parse("standard", "1", &cfg, NULL), 0);
  assert_int_equal(cfg.max_attempts, 1);
}

static void config_rejects_bad_values_with_exact_messages(void **state) {
  (void)state;
  rb_retry_config cfg = {RB_RETRY_ADAPTIVE, 7};
  rb_error err;
  const char *bad[] = {"x", "0", "-1", "3x", " 3", "1.5", "9999999999"};
  for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
    assert_int_equal(rb_retry_config_parse("standard", bad[i], &cfg, &err), -1);
    assert_string_equal(err.code, "InvalidConfiguration");
    char want[128];
    snprintf(want, sizeof want, "AWS_MAX_ATTEMPTS must be a positive integer, got '%s'",
             bad[i]);
    assert_string_equal(err.message, want);
  }
  assert_int_equal(rb_retry_config_parse("Standard", NULL, &cfg, &err), -1);
  assert_string_equal(
      err.message,
      "AWS_RETRY_MODE must be one of legacy, standard, adaptive, got 'Standard'");
  /* a failed parse leaves the output alone */
  assert_int_equal(cfg.mode, RB_RETRY_ADAPTIVE);
  assert_int_equal(cfg.max_attempts, 7);
}

/* ---- classification ---- */

static const struct {
  const char *code;
  int status;
  rb_error_class want;
} classes[] = {
    {"Throttling", 400, RB_ERR_THROTTLE},
    {"ThrottlingException", 400, RB_ERR_THROTTLE},
    {"ThrottledException", 400, RB_ERR_THROTTLE},
    {"RequestThrottledException", 400, RB_ERR_THROTTLE},
    {"TooManyRequestsException", 429, RB_ERR_THROTTLE},
    {"ProvisionedThroughputExceededException", 400, RB_ERR_THROTTLE},
    {"TransactionInProgressException", 400, RB_ERR_THROTTLE},
    {"RequestLimitExceeded", 503, RB_ERR_THROTTLE},
    {"BandwidthLimitExceeded", 400, RB_ERR_THROTTLE},
    {"LimitExceededException", 400, RB_ERR_THROTTLE},
    {"RequestThrottled", 400, RB_ERR_THROTTLE},
    {"SlowDown", 503, RB_ERR_THROTTLE},
    {"PriorRequestNotComplete", 400, RB_ERR_THROTTLE},
    {"EC2ThrottledException", 503, RB_ERR_THROTTLE},
    {"", 429, RB_ERR_THROTTLE},
    {"RequestTimeout", 408, RB_ERR_TRANSIENT},
    {"RequestTimeoutException", 408, RB_ERR_TRANSIENT},
    {"InternalError", 500, RB_ERR_TRANSIENT},
    {"IDPCommunicationError", 400, RB_ERR_TRANSIENT},
    {"ServiceException", 500, RB_ERR_TRANSIENT},
    {"BadGateway", 502, RB_ERR_TRANSIENT},
    {"ServiceUnavailableException", 503, RB_ERR_TRANSIENT},
    {"", 504, RB_ERR_TRANSIENT},
    {"ConnectionError", 0, RB_ERR_TRANSIENT},
    {"ConnectionReset", 0, RB_ERR_TRANSIENT},
    {"TruncatedResponse", 200, RB_ERR_TRANSIENT},
    {"MalformedResponse", 200, RB_ERR_TRANSIENT},
    {"Timeout", 0, RB_ERR_TIMEOUT},
    {"RequestTimeTooSkewed", 403, RB_ERR_CLOCK_SKEW},
    {"RequestExpired", 400, RB_ERR_CLOCK_SKEW},
    {"RequestInTheFuture", 400, RB_ERR_CLOCK_SKEW},
    {"InvalidSignatureException", 403, RB_ERR_CLOCK_SKEW},
    {"SignatureDoesNotMatch", 403, RB_ERR_CLOCK_SKEW},
    {"AuthFailure", 401, RB_ERR_CLOCK_SKEW},
    {"ValidationException", 400, RB_ERR_NOT_RETRYABLE},
    {"AccessDeniedException", 403, RB_ERR_NOT_RETRYABLE},
    {"AccessDenied", 403, RB_ERR_NOT_RETRYABLE},
    {"ResourceNotFoundException", 404, RB_ERR_NOT_RETRYABLE},
    {"ResourceConflictException", 409, RB_ERR_NOT_RETRYABLE},
    {"InvalidParameterValueException", 400, RB_ERR_NOT_RETRYABLE},
    {"UnrecognizedClientException", 403, RB_ERR_NOT_RETRYABLE},
    {"", 501, RB_ERR_NOT_RETRYABLE},
    {"", 509, RB_ERR_NOT_RETRYABLE},
    {"TLSError", 0, RB_ERR_NOT_RETRYABLE},
    {"TransportError", 0, RB_ERR_NOT_RETRYABLE},
    {"NoCredentials", 0, RB_ERR_NOT_RETRYABLE},
};

static void classify_follows_the_sdk_code_and_status_tables(void **state) {
  (void)state;
  for (size_t i = 0; i < sizeof classes / sizeof *classes; i++) {
    rb_error e = make_err(classes[i].code, classes[i].status);
    rb_error_class got = rb_retry_classify(&e);
    if (got != classes[i].want)
      fail_msg("'%s' %d classified %d, expected %d", classes[i].code, classes[i].status,
               (int)got, (int)classes[i].want);
  }
  assert_int_equal(rb_retry_classify(NULL), RB_ERR_NOT_RETRYABLE);
}

static void mark_sets_retryable_for_throttle_transient_and_timeout_only(void **state) {
  (void)state;
  for (size_t i = 0; i < sizeof classes / sizeof *classes; i++) {
    rb_error e = make_err(classes[i].code, classes[i].status);
    e.retryable = 7;
    rb_retry_mark(&e);
    rb_error_class c = classes[i].want;
    int want = c == RB_ERR_THROTTLE || c == RB_ERR_TRANSIENT || c == RB_ERR_TIMEOUT;
    if (e.retryable != want)
      fail_msg("'%s' %d marked %d, expected %d", classes[i].code, classes[i].status,
               e.retryable, want);
  }
}

/* ---- standard mode ---- */

static void standard_backoff_doubles_with_full_jitter_and_caps_at_20s(void **state) {
  (void)state;
  rb_retry_state s = state_for(RB_RETRY_STANDARD, 10);
  rb_error e = make_err("ThrottlingException", 400);
  const double want[] = {0.5, 1, 2, 4, 8, 16, 20, 20, 20};
  for (int attempt = 1; attempt <= 9; attempt++) {
    double delay = -1;
    int cost = -1;
    assert_int_equal(rb_retry_should_retry(&s, &e, attempt, 0.5, &delay, &cost), 1);
    assert_same_double(delay, want[attempt - 1]);
    assert_int_equal(cost, 5);
  }
  double delay;
  int cost;
  assert_int_equal(rb_retry_should_retry(&s, &e, 1, 0.0, &delay, &cost), 1);
  assert_same_double(delay, 0.0);
  assert_int_equal(rb_retry_should_retry(&s, &e, 3, 0.999, &delay, &cost), 1);
  assert_same_double(delay, 3.996);
  assert_int_equal(rb_retry_should_retry(&s, &e, 6, 0.6, &delay, &cost), 1);
  assert_same_double(delay, 19.2);
  assert_int_equal(rb_retry_should_retry(&s, &e, 9, 0.05, &delay, &cost), 1);
  assert_same_double(delay, 12.8);
}

static void standard_gives_up_at_max_attempts(void **state) {
  (void)state;
  rb_retry_state s = state_for(RB_RETRY_STANDARD, 3);
  rb_error e = make_err("", 503);
  double delay = -1;
  int cost = -1;
  assert_int_equal(rb_retry_should_retry(&s, &e, 1, 0.25, &delay, &cost), 1);
  assert_int_equal(rb_retry_should_retry(&s, &e, 2, 0.25, &delay, &cost), 1);
  delay = -1;
  cost = -1;
  assert_int_equal(rb_retry_should_retry(&s, &e, 3, 0.25, &delay, &cost), 0);
  assert_same_double(delay, -1);
  assert_int_equal(cost, -1);
  assert_int_equal(s.quota, 490); /* only the two retries took capacity */

  rb_retry_state one = state_for(RB_RETRY_STANDARD, 1);
  assert_int_equal(rb_retry_should_retry(&one, &e, 1, 0.25, &delay, &cost), 0);
}

static void standard_never_retries_client_errors(void **state) {
  (void)state;
  rb_retry_state s = state_for(RB_RETRY_STANDARD, 5);
  const char *codes[] = {"ValidationException", "AccessDeniedException",
                         "ResourceNotFoundException"};
  const int statuses[] = {400, 403, 404};
  for (int i = 0; i < 3; i++) {
    rb_error e = make_err(codes[i], statuses[i]);
    double delay;
    int cost;
    assert_int_equal(rb_retry_should_retry(&s, &e, 1, 0.5, &delay, &cost), 0);
  }
  assert_int_equal(s.quota, 500);
}

static void quota_is_exhausted_by_retries_and_refilled_by_successes(void **state) {
  (void)state;
  rb_retry_state s = state_for(RB_RETRY_STANDARD, 1000);
  rb_error transient = make_err("ServiceUnavailableException", 503);
  rb_error timeout = make_err("Timeout", 0);
  double delay;
  int cost = 0;
  /* 500 capacity: 40 timeouts at 10 and 20 transient errors at 5 */
  for (int i = 0; i < 40; i++) {
    assert_int_equal(rb_retry_should_retry(&s, &timeout, 1, 0.5, &delay, &cost), 1);
    assert_int_equal(cost, 10);
  }
  for (int i = 0; i < 20; i++) {
    assert_int_equal(rb_retry_should_retry(&s, &transient, 1, 0.5, &delay, &cost), 1);
    assert_int_equal(cost, 5);
  }
  assert_int_equal(s.quota, 0);
  cost = -1;
  assert_int_equal(rb_retry_should_retry(&s, &transient, 1, 0.5, &delay, &cost), 0);
  assert_int_equal(cost, -1);

  /* a retried request that succeeds gives back its latest retry's cost */
  rb_retry_on_success(&s, 10);
  assert_int_equal(s.quota, 10);
  /* exactly enough for one timeout retry */
  assert_int_equal(rb_retry_should_retry(&s, &timeout, 1, 0.5, &delay, &cost), 1);
  assert_int_equal(s.quota, 0);
  rb_retry_on_success(&s, 0); /* not retried: +1 */
  rb_retry_on_success(&s, 0);
  rb_retry_on_success(&s, 0);
  rb_retry_on_success(&s, 0);
  assert_int_equal(s.quota, 4);
  assert_int_equal(rb_retry_should_retry(&s, &transient, 1, 0.5, &delay, &cost), 0);
  rb_retry_on_success(&s, 0);
  assert_int_equal(rb_retry_should_retry(&s, &transient, 1, 0.5, &delay, &cost), 1);
  assert_int_equal(s.quota, 0);
}

static void quota_never_grows_past_its_capacity(void **state) {
  (void)state;
  rb_retry_state s = state_for(RB_RETRY_STANDARD, 3);
  rb_retry_on_success(&s, 0);
  assert_int_equal(s.quota, 500);
  rb_error e = make_err("Throttling", 400);
  double delay;
  int cost;
  assert_int_equal(rb_retry_should_retry(&s, &e, 1, 0.5, &delay, &cost), 1);
  assert_int_equal(s.quota, 495);
  rb_retry_on_success(&s, 10);
  assert_int_equal(s.quota, 500);
}

/* ---- legacy mode ---- */

static void legacy_follows_retry_json_without_cap_or_quota(void **state) {
  (void)state;
  rb_retry_state s = state_for(RB_RETRY_LEGACY, 8);
  double delay;
  int cost = -1;
  rb_error throttled = make_err("ThrottlingException", 400);
  assert_int_equal(rb_retry_should_retry(&s, &throttled, 7, 0.5, &delay, &cost), 1);
  assert_same_double(delay, 32.0); /* no 20 s cap */
  assert_int_equal(cost, 0);
  assert_int_equal(s.quota, 500);
  assert_int_equal(rb_retry_should_retry(&s, &throttled, 8, 0.5, &delay, &cost), 0);

  const struct {
    const char *code;
    int status;
    int want;
  } cases[] = {
      {"", 429, 1},
      {"", 509, 1},
      {"", 500, 1},
      {"Throttling", 400, 1},
      {"ProvisionedThroughputExceededException", 400, 1},
      {"ConnectionReset", 0, 1},
      {"Timeout", 0, 1},
      {"RequestTimeout", 408, 0}, /* standard-mode transient code only */
      {"ThrottlingException", 403, 0},
      {"LimitExceededException", 400, 0},
      {"ValidationException", 400, 0},
  };
  for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
    rb_error e = make_err(cases[i].code, cases[i].status);
    if (rb_retry_should_retry(&s, &e, 1, 0.5, &delay, &cost) != cases[i].want)
      fail_msg("legacy '%s' %d, expected %d", cases[i].code, cases[i].status,
               cases[i].want);
  }
  rb_retry_on_success(&s, 0);
  assert_int_equal(s.quota, 500);
}

/* ---- adaptive mode ---- */

/* Expected states computed by driving botocore's own classes (botocore 1.29.27, Debian's
 * python3-botocore: retries/adaptive.py ClientRateLimiter and RateClocker, bucket.py
 * TokenBucket, throttling.py CubicCalculator) with a fake clock under /usr/bin/python3:
 *
 *   clock.t = 1000.0
 *   tb = bucket.TokenBucket(max_rate=1, clock=clock)
 *   lim = adaptive.ClientRateLimiter(
 *       rate_adjustor=throttling.CubicCalculator(starting_max_rate=0,
 * start_time=clock.t), rate_clocker=adaptive.RateClocker(clock), token_bucket=tb,
 *       throttling_detector=<returns the step's flag>, clock=clock)
 *   'u' step: clock.t = t; lim.on_receiving_response()
 *   'a' step: clock.t = t; if lim._enabled: tb.acquire(block=False), and when that raises
 *             CapacityNotAvailableError: wait = tb._sleep_amount(1); tb._current_capacity
 * -= 1 (the token is taken at once; botocore would sleep `wait` and then take it, which
 * leaves the bucket in the same state at t + wait) printed with '%.17g': return value,
 * tb.max_rate, tb.max_capacity, tb.available_capacity, lim._rate_clocker.measured_rate,
 * lim._enabled. */
static const struct {
  char op; /* 'u' update, 'a' acquire */
  double t;
  int throttled;
  double ret, fill_rate, max_capacity, capacity, measured_rate;
  int enabled;
} adaptive_steps[] = {
    {'u', 1000.1, 0, 0, 0.5, 1, 0.10000000000002274, 0, 0},
    {'u', 1000.6, 0, 0, 0.5, 1, 0.35000000000002274, 3.2000000000000002, 0},
    {'u', 1000.9, 0, 0, 0.5, 1, 0.5, 3.2000000000000002, 0},
    {'u', 1001.1, 1, 0, 2.6879999999999997, 2.6879999999999997, 0.60000000000002274,
     3.8399999999999999, 1},
    {'a', 1001.2, 0, 0.048809523809492626, 2.6879999999999997, 2.6879999999999997,
     -0.13119999999991616, 3.8399999999999999, 1},
    {'a', 1001.3, 0, 0.32083333333339309, 2.6879999999999997, 2.6879999999999997,
     -0.86240000000016059, 3.8399999999999999, 1},
    {'a', 1001.4, 0, 0.59285714285717994, 2.6879999999999997, 2.6879999999999997,
     -1.5936000000000994, 3.8399999999999999, 1},
    {'u', 1001.6, 0, 0, 3.5257158414957113, 3.5257158414957113, -1.0559999999999772,
     2.3679999999999999, 1},
    {'u', 1002.3, 0, 0, 3.8355786392193099, 3.8355786392193099, 1.41200108904678,
     2.0735999999999999, 1},
    {'a', 1002.4, 0, 0, 3.8355786392193099, 3.8355786392193099, 0.79555895296879831,
     2.0735999999999999, 1},
    {'u', 1002.6, 1, 0, 1.410304, 1.410304, 1.410304, 2.0147200000000001, 1},
    {'a', 1002.7, 0, 0, 1.410304, 1.410304, 0.410304, 2.0147200000000001, 1},
    {'u', 1003.9, 0, 0, 2.0161381918544121, 2.0161381918544121, 1.410304, 1.202944, 1},
    {'u', 1005.2, 0, 0, 1.5478442666666665, 1.5478442666666665, 1.5478442666666665,
     0.77392213333333326, 1},
    {'u', 1008, 0, 0, 0.84290218666666661, 1, 1, 0.4214510933333333, 1},
    {'a', 1008.1, 0, 0, 0.84290218666666661, 1, 0, 0.4214510933333333, 1},
};

static void check_step(size_t i, const char *what, double got, double want) {
  if (!(got == want))
    fail_msg("step %zu (t=%.1f): %s = %.17g, expected %.17g", i, adaptive_steps[i].t,
             what, got, want);
}

static void adaptive_limiter_matches_botocore_step_by_step(void **state) {
  (void)state;
  rb_rate_limiter rl;
  rb_rate_limiter_init(&rl, 1000.0);
  for (size_t i = 0; i < sizeof adaptive_steps / sizeof *adaptive_steps; i++) {
    double ret = 0;
    if (adaptive_steps[i].op == 'u')
      rb_rate_limiter_update(&rl, adaptive_steps[i].throttled, adaptive_steps[i].t);
    else
      ret = rb_rate_limiter_acquire(&rl, adaptive_steps[i].t);
    check_step(i, "returned", ret, adaptive_steps[i].ret);
    check_step(i, "fill_rate", rl.fill_rate, adaptive_steps[i].fill_rate);
    check_step(i, "max_capacity", rl.max_capacity, adaptive_steps[i].max_capacity);
    check_step(i, "capacity", rl.capacity, adaptive_steps[i].capacity);
    check_step(i, "measured_rate", rl.measured_rate, adaptive_steps[i].measured_rate);
    check_step(i, "enabled", rl.enabled, adaptive_steps[i].enabled);
  }
}

static void adaptive_limiter_sends_freely_until_the_first_throttle(void **state) {
  (void)state;
  rb_rate_limiter rl;
  rb_rate_limiter_init(&rl, 50.0);
  for (int i = 0; i < 100; i++)
    assert_same_double(rb_rate_limiter_acquire(&rl, 50.0 + i * 0.001), 0.0);
  rb_rate_limiter_update(&rl, 0, 50.2);
  assert_int_equal(rl.enabled, 0);
  assert_same_double(rb_rate_limiter_acquire(&rl, 50.3), 0.0);
}

static void retry_state_drives_the_limiter_only_in_adaptive_mode(void **state) {
  (void)state;
  rb_error throttled = make_err("ThrottlingException", 400);
  rb_retry_state std = state_for(RB_RETRY_STANDARD, 3);
  rb_retry_after_response(&std, &throttled, 10.0);
  assert_int_equal(std.limiter.enabled, 0);
  assert_same_double(rb_retry_before_send(&std, 10.1), 0.0);

  /* adaptive: started lazily at the first call's time, then the same as botocore's */
  rb_retry_state ad = state_for(RB_RETRY_ADAPTIVE, 3);
  assert_same_double(rb_retry_before_send(&ad, 1000.0), 0.0);
  rb_retry_after_response(&ad, NULL, 1000.1);
  rb_retry_after_response(&ad, NULL, 1000.6);
  rb_error other = make_err("ValidationException", 400);
  rb_retry_after_response(&ad, &other, 1000.9); /* not a throttle: counts as a success */
  rb_retry_after_response(&ad, &throttled, 1001.1);
  assert_int_equal(ad.limiter.enabled, 1);
  assert_same_double(ad.limiter.fill_rate, adaptive_steps[3].fill_rate);
  assert_same_double(ad.limiter.capacity, adaptive_steps[3].capacity);
  assert_same_double(rb_retry_before_send(&ad, 1001.2), adaptive_steps[4].ret);
  /* the standard policy still decides retries in adaptive mode */
  double delay;
  int cost;
  assert_int_equal(rb_retry_should_retry(&ad, &throttled, 1, 0.5, &delay, &cost), 1);
  assert_int_equal(cost, 5);
}

/* ---- clock skew ---- */

static void date_header_forms_parse_to_unix_time(void **state) {
  (void)state;
  long long skew = 0;
  assert_int_equal(rb_clock_skew_from_date("Fri, 27 Nov 2026 02:10:00 GMT", 0, &skew), 0);
  assert_true(skew == 1795745400LL);
  assert_int_equal(rb_clock_skew_from_date("Sun, 06 Nov 1994 08:49:37 GMT", 0, &skew), 0);
  assert_true(skew == 784111777LL);
  assert_int_equal(rb_clock_skew_from_date("Sunday, 06-Nov-94 08:49:37 GMT", 0, &skew),
                   0);
  assert_true(skew == 784111777LL);
  assert_int_equal(rb_clock_skew_from_date("Sun Nov  6 08:49:37 1994", 0, &skew), 0);
  assert_true(skew == 784111777LL);
  assert_int_equal(rb_clock_skew_from_date("Thu, 29 Feb 2024 23:59:59 GMT", 0, &skew), 0);
  assert_true(skew == 1709251199LL);
  assert_int_equal(rb_clock_skew_from_date("Thu, 01 Jan 1970 00:00:00 GMT", 0, &skew), 0);
  assert_true(skew == 0);
}

static void date_skew_is_server_minus_local(void **state) {
  (void)state;
  long long skew = 0;
  assert_int_equal(
      rb_clock_skew_from_date("Fri, 27 Nov 2026 02:10:00 GMT", 1795745400LL + 900, &skew),
      0);
  assert_true(skew == -900);
  assert_int_equal(
      rb_clock_skew_from_date("Fri, 27 Nov 2026 02:10:00 GMT", 1795745400LL - 61, &skew),
      0);
  assert_true(skew == 61);
}

static void invalid_dates_are_rejected(void **state) {
  (void)state;
  const char *bad[] = {
      "",
      "Fri, 27 Nov 2026 02:10:00",
      "Fri, 27 Nov 2026 02:10:00 GMT junk",
      "Fri, 27 Foo 2026 02:10:00 GMT",
      "Fri, 30 Feb 2024 02:10:00 GMT",
      "Fri, 29 Feb 2023 02:10:00 GMT",
      "Fri, 27 Nov 2026 24:10:00 GMT",
      "Fri, 27 Nov 2026 02:60:00 GMT",
      "Fri, 7 Nov 2026 02:10:00 GMT",
      "Xyz, 27 Nov 2026 02:10:00 GMT",
      "2026-11-27T02:10:00Z",
  };
  for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
    long long skew = 12345;
    if (rb_clock_skew_from_date(bad[i], 0, &skew) != -1)
      fail_msg("accepted '%s'", bad[i]);
    assert_true(skew == 12345);
  }
  long long skew;
  assert_int_equal(rb_clock_skew_from_date(NULL, 0, &skew), -1);
}

static void skew_error_is_retried_once_after_the_clock_is_corrected(void **state) {
  (void)state;
  const char *date = "Fri, 27 Nov 2026 02:10:00 GMT";
  long long server = 1795745400LL, local = server - 600, offset = 0;
  rb_retry_state s = state_for(RB_RETRY_STANDARD, 3);
  rb_error skewed = make_err("InvalidSignatureException", 403);
  double delay;
  int cost;

  /* without a correction a skew error is final */
  assert_int_equal(rb_retry_should_retry(&s, &skewed, 1, 0.5, &delay, &cost), 0);

  assert_int_equal(rb_retry_correct_clock(&s, &skewed, date, local, &offset), 1);
  assert_true(offset == 600);
  assert_int_equal(rb_retry_should_retry(&s, &skewed, 1, 0.5, &delay, &cost), 1);
  assert_same_double(delay, 0.5);
  assert_int_equal(cost, 5);

  /* the retry is signed with the corrected clock; if it fails again, the clocks now
   * agree, nothing is corrected and the error is final */
  assert_int_equal(rb_retry_correct_clock(&s, &skewed, date, local + 1, &offset), 0);
  assert_true(offset == 600);
  assert_int_equal(rb_retry_should_retry(&s, &skewed, 2, 0.5, &delay, &cost), 0);
}

static void clock_is_corrected_only_for_skew_errors_beyond_four_minutes(void **state) {
  (void)state;
  const char *date = "Fri, 27 Nov 2026 02:10:00 GMT";
  long long server = 1795745400LL, offset = 0;
  rb_retry_state s = state_for(RB_RETRY_STANDARD, 3);
  rb_error skewed = make_err("SignatureDoesNotMatch", 403);
  rb_error denied = make_err("AccessDeniedException", 403);

  assert_int_equal(rb_retry_correct_clock(&s, &skewed, date, server - 239, &offset), 0);
  assert_int_equal(rb_retry_correct_clock(&s, &skewed, date, server + 239, &offset), 0);
  assert_int_equal(rb_retry_correct_clock(&s, &denied, date, server - 3600, &offset), 0);
  assert_int_equal(rb_retry_correct_clock(&s, &skewed, NULL, server - 3600, &offset), 0);
  assert_int_equal(rb_retry_correct_clock(&s, &skewed, "garbage", server - 3600, &offset),
                   0);
  assert_true(offset == 0);
  assert_int_equal(s.skew_corrected, 0);

  assert_int_equal(rb_retry_correct_clock(&s, &skewed, date, server + 240, &offset), 1);
  assert_true(offset == -240);

  /* the permission is for the next decision only */
  rb_error throttled = make_err("Throttling", 400);
  double delay;
  int cost;
  assert_int_equal(rb_retry_should_retry(&s, &throttled, 1, 0.5, &delay, &cost), 1);
  assert_int_equal(rb_retry_should_retry(&s, &skewed, 1, 0.5, &delay, &cost), 0);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(config_defaults_to_standard_with_three_attempts),
      cmocka_unit_test(config_legacy_defaults_to_five_attempts),
      cmocka_unit_test(config_reads_adaptive_and_max_attempts),
      cmocka_unit_test(config_rejects_bad_values_with_exact_messages),
      cmocka_unit_test(classify_follows_the_sdk_code_and_status_tables),
      cmocka_unit_test(mark_sets_retryable_for_throttle_transient_and_timeout_only),
      cmocka_unit_test(standard_backoff_doubles_with_full_jitter_and_caps_at_20s),
      cmocka_unit_test(standard_gives_up_at_max_attempts),
      cmocka_unit_test(standard_never_retries_client_errors),
      cmocka_unit_test(quota_is_exhausted_by_retries_and_refilled_by_successes),
      cmocka_unit_test(quota_never_grows_past_its_capacity),
      cmocka_unit_test(legacy_follows_retry_json_without_cap_or_quota),
      cmocka_unit_test(adaptive_limiter_matches_botocore_step_by_step),
      cmocka_unit_test(adaptive_limiter_sends_freely_until_the_first_throttle),
      cmocka_unit_test(retry_state_drives_the_limiter_only_in_adaptive_mode),
      cmocka_unit_test(date_header_forms_parse_to_unix_time),
      cmocka_unit_test(date_skew_is_server_minus_local),
      cmocka_unit_test(invalid_dates_are_rejected),
      cmocka_unit_test(skew_error_is_retried_once_after_the_clock_is_corrected),
      cmocka_unit_test(clock_is_corrected_only_for_skew_errors_beyond_four_minutes),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
