/* retry.c — the AWS SDKs' retry policy: classification, backoff, retry quota, the
 * adaptive rate limiter and clock-skew correction (see retry.h for the rules and their
 * sources).
 *
 * Uses libc, libm and awstime.c (HTTP dates). Time and randomness come in as arguments,
 * so every decision is reproducible in tests. It must never sleep, read a clock, allocate
 * or print: the event loop owns waiting, and err is only read (rb_retry_mark is the one
 * writer).
 *
 * The floating-point formulas are written one operation per statement where botocore's
 * results must be matched bit for bit: a compiler may otherwise fuse a*b+c into one
 * rounding (FMA contraction) and drift from Python's arithmetic. */
#include "retry.h"

#include "awstime.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---- configuration ---- */

static int parse_mode(const char *s, rb_retry_mode *mode) {
  if (!s || !*s || strcmp(s, "standard") == 0)
    *mode = RB_RETRY_STANDARD;
  else if (strcmp(s, "legacy") == 0)
    *mode = RB_RETRY_LEGACY;
  else if (strcmp(s, "adaptive") == 0)
    *mode = RB_RETRY_ADAPTIVE;
  else
    return -1;
  return 0;
}

/* A positive decimal integer that fits an int: "3x", " 3" and "-1" fail. */
static int parse_attempts(const char *s, int *out) {
  if (!s || !*s)
    return 1; /* absent: the mode's default */
  if (strspn(s, "0123456789") != strlen(s) || strlen(s) > 9)
    return -1;
  long v = strtol(s, NULL, 10);
  if (v < 1)
    return -1;
  *out = (int)v;
  return 0;
}

int rb_retry_config_parse(const char *mode, const char *max_attempts,
                          rb_retry_config *out, rb_error *err) {
  rb_retry_config cfg = {RB_RETRY_STANDARD, RB_RETRY_DEFAULT_MAX_ATTEMPTS};
  if (parse_mode(mode, &cfg.mode) != 0)
    return rb_error_set(
        err, "InvalidConfiguration",
        "AWS_RETRY_MODE must be one of legacy, standard, adaptive, got '%.64s'", mode);
  if (cfg.mode == RB_RETRY_LEGACY)
    cfg.max_attempts = RB_RETRY_LEGACY_MAX_ATTEMPTS;
  if (parse_attempts(max_attempts, &cfg.max_attempts) < 0)
    return rb_error_set(err, "InvalidConfiguration",
                        "AWS_MAX_ATTEMPTS must be a positive integer, got '%.64s'",
                        max_attempts);
  *out = cfg;
  return 0;
}

/* ---- classification ---- */

/* ThrottledRetryableChecker._THROTTLED_ERROR_CODES (standard.py). */
static const char *const throttle_codes[] = {
    "Throttling",
    "ThrottlingException",
    "ThrottledException",
    "RequestThrottledException",
    "TooManyRequestsException",
    "ProvisionedThroughputExceededException",
    "TransactionInProgressException",
    "RequestLimitExceeded",
    "BandwidthLimitExceeded",
    "LimitExceededException",
    "RequestThrottled",
    "SlowDown",
    "PriorRequestNotComplete",
    "EC2ThrottledException",
    NULL,
};

/* TransientRetryableChecker._TRANSIENT_ERROR_CODES plus the additions listed in retry.h
 * (PriorRequestNotComplete is a throttling code first, as botocore's adaptive mode has
 * it). */
static const char *const transient_codes[] = {
    "RequestTimeout",
    "RequestTimeoutException",
    "InternalError",
    "IDPCommunicationError",
    /* transport conventions */
    "ConnectionError",
    "ConnectionReset",
    "TruncatedResponse",
    "MalformedResponse",
    NULL,
};

static const char *const clock_skew_codes[] = {
    "RequestTimeTooSkewed",
    "RequestExpired",
    "RequestInTheFuture",
    "InvalidSignatureException",
    "SignatureDoesNotMatch",
    "AuthFailure",
    NULL,
};

/* _retry.json __default__: the 400 + code policies (and STS's IDPCommunicationError). */
static const char *const legacy_400_codes[] = {
    "Throttling",
    "ThrottlingException",
    "ThrottledException",
    "RequestThrottledException",
    "ProvisionedThroughputExceededException",
    "IDPCommunicationError",
    NULL,
};

static int in_list(const char *code, const char *const *list) {
  for (; *list; list++)
    if (strcmp(code, *list) == 0)
      return 1;
  return 0;
}

rb_error_class rb_retry_classify(const rb_error *err) {
  if (!err)
    return RB_ERR_NOT_RETRYABLE;
  const char *code = err->code;
  if (strcmp(code, "Timeout") == 0)
    return RB_ERR_TIMEOUT;
  if (in_list(code, throttle_codes))
    return RB_ERR_THROTTLE;
  if (in_list(code, clock_skew_codes))
    return RB_ERR_CLOCK_SKEW;
  if (in_list(code, transient_codes))
    return RB_ERR_TRANSIENT;
  if (err->status == 429)
    return RB_ERR_THROTTLE;
  switch (err->status) {
    case 500:
    case 502:
    case 503:
    case 504:
      return RB_ERR_TRANSIENT;
    default:
      return RB_ERR_NOT_RETRYABLE;
  }
}

void rb_retry_mark(rb_error *err) {
  if (!err)
    return;
  rb_error_class c = rb_retry_classify(err);
  err->retryable = c == RB_ERR_THROTTLE || c == RB_ERR_TRANSIENT || c == RB_ERR_TIMEOUT;
}

/* _retry.json's __default__ policies, as retryhandler.py applies them. */
static int legacy_retryable(const rb_error *err) {
  static const char *const socket_codes[] = {
      "ConnectionError",   "ConnectionReset",   "Timeout",
      "TruncatedResponse", "MalformedResponse", NULL,
  };
  if (in_list(err->code, socket_codes))
    return 1;
  switch (err->status) {
    case 429:
    case 500:
    case 502:
    case 503:
    case 504:
    case 509:
      return 1;
    case 400:
      return in_list(err->code, legacy_400_codes);
    default:
      return 0;
  }
}

/* ---- adaptive rate limiter (adaptive.py, bucket.py, throttling.py) ---- */

#define BUCKET_MIN_RATE 0.5
#define CLOCKER_SMOOTHING 0.8
#define CLOCKER_BUCKET_SCALE 2.0 /* 1 / 0.5 s */
#define CUBIC_SCALE 0.4
#define CUBIC_BETA 0.7
#define MAX_RATE_ADJUST_SCALE 2.0

static double cubic_zero_point(double w_max) {
  double scaled = w_max * (1 - CUBIC_BETA);
  scaled = scaled / CUBIC_SCALE;
  return pow(scaled, 1 / 3.0);
}

/* TokenBucket._refill */
static void bucket_refill(rb_rate_limiter *rl, double now) {
  double fill = (now - rl->last_refill) * rl->fill_rate;
  double filled = rl->capacity + fill;
  rl->capacity = fmin(rl->max_capacity, filled);
  rl->last_refill = now;
}

/* TokenBucket.max_rate setter */
static void bucket_set_rate(rb_rate_limiter *rl, double rate, double now) {
  bucket_refill(rl, now);
  rl->fill_rate = fmax(rate, BUCKET_MIN_RATE);
  rl->max_capacity = rate >= 1 ? rate : 1;
  if (rl->capacity > rl->max_capacity)
    rl->capacity = rl->max_capacity;
}

void rb_rate_limiter_init(rb_rate_limiter *rl, double now) {
  memset(rl, 0, sizeof *rl);
  rl->started = 1;
  /* TokenBucket(max_rate=1): the setter's first refill only records the time. */
  rl->last_refill = now;
  rl->fill_rate = 1;
  rl->max_capacity = 1;
  /* RateClocker: the first bucket is the whole second the client was created in. */
  rl->last_bucket = floor(now);
  /* CubicCalculator(starting_max_rate=0, start_time=now) */
  rl->w_max = 0;
  rl->k = cubic_zero_point(0);
  rl->last_fail = now;
}

static void ensure_started(rb_rate_limiter *rl, double now) {
  if (!rl->started)
    rb_rate_limiter_init(rl, now);
}

double rb_rate_limiter_acquire(rb_rate_limiter *rl, double now) {
  ensure_started(rl, now);
  if (!rl->enabled)
    return 0;
  bucket_refill(rl, now);
  double have = rl->capacity;
  rl->capacity = have - 1;
  if (have >= 1)
    return 0;
  /* TokenBucket._sleep_amount: the blocking version sleeps this long, refills to 1 and
   * takes it; taking it now leaves the same bucket at now + wait. */
  return (1 - have) / rl->fill_rate;
}

/* RateClocker.record */
static double clocker_record(rb_rate_limiter *rl, double now) {
  double bucket = floor(now * CLOCKER_BUCKET_SCALE) / CLOCKER_BUCKET_SCALE;
  rl->count += 1;
  if (bucket > rl->last_bucket) {
    double current = (double)rl->count / (bucket - rl->last_bucket);
    double recent = current * CLOCKER_SMOOTHING;
    double older = rl->measured_rate * (1 - CLOCKER_SMOOTHING);
    rl->measured_rate = recent + older;
    rl->count = 0;
    rl->last_bucket = bucket;
  }
  return rl->measured_rate;
}

/* CubicCalculator.success_received */
static double cubic_success(const rb_rate_limiter *rl, double now) {
  double dt = now - rl->last_fail;
  double grown = CUBIC_SCALE * pow(dt - rl->k, 3);
  return grown + rl->w_max;
}

/* CubicCalculator.error_received */
static double cubic_error(rb_rate_limiter *rl, double rate, double now) {
  rl->w_max = rate;
  rl->k = cubic_zero_point(rate);
  rl->last_fail = now;
  return rate * CUBIC_BETA;
}

/* ClientRateLimiter.on_receiving_response */
void rb_rate_limiter_update(rb_rate_limiter *rl, int throttled, double now) {
  ensure_started(rl, now);
  double measured = clocker_record(rl, now);
  double rate;
  if (!throttled) {
    rate = cubic_success(rl, now);
  } else {
    double use = rl->enabled ? fmin(measured, rl->fill_rate) : measured;
    rate = cubic_error(rl, use, now);
    rl->enabled = 1;
  }
  bucket_set_rate(rl, fmin(rate, MAX_RATE_ADJUST_SCALE * measured), now);
}

/* ---- retry decisions ---- */

void rb_retry_state_init(rb_retry_state *s, const rb_retry_config *cfg) {
  memset(s, 0, sizeof *s);
  s->cfg = *cfg;
  if (s->cfg.max_attempts < 1)
    s->cfg.max_attempts = 1;
  s->quota = RB_RETRY_QUOTA_CAPACITY;
}

double rb_retry_before_send(rb_retry_state *s, double now) {
  if (s->cfg.mode != RB_RETRY_ADAPTIVE)
    return 0;
  return rb_rate_limiter_acquire(&s->limiter, now);
}

void rb_retry_after_response(rb_retry_state *s, const rb_error *err, double now) {
  if (s->cfg.mode != RB_RETRY_ADAPTIVE)
    return;
  int throttled = err && rb_retry_classify(err) == RB_ERR_THROTTLE;
  rb_rate_limiter_update(&s->limiter, throttled, now);
}

/* random01 * 2^(attempt-1); Python would overflow past 2^1023, so the exponent stops
 * there (random01 < 1 keeps the product finite). */
static double backoff(double random01, int attempt) {
  int exp = attempt - 1;
  if (exp < 0)
    exp = 0;
  if (exp > 1023)
    exp = 1023;
  return ldexp(random01, exp);
}

static int retryable_in_mode(const rb_retry_state *s, const rb_error *err,
                             int skew_corrected) {
  rb_error_class c = rb_retry_classify(err);
  if (c == RB_ERR_CLOCK_SKEW)
    return skew_corrected;
  if (s->cfg.mode == RB_RETRY_LEGACY)
    return legacy_retryable(err);
  return c != RB_ERR_NOT_RETRYABLE;
}

int rb_retry_should_retry(rb_retry_state *s, const rb_error *err, int attempt,
                          double random01, double *delay_s, int *quota_cost) {
  int skew_corrected = s->skew_corrected;
  s->skew_corrected = 0;
  if (!err || attempt >= s->cfg.max_attempts ||
      !retryable_in_mode(s, err, skew_corrected))
    return 0;
  if (s->cfg.mode == RB_RETRY_LEGACY) {
    *delay_s = backoff(random01, attempt);
    *quota_cost = 0;
    return 1;
  }
  int cost =
      rb_retry_classify(err) == RB_ERR_TIMEOUT ? RB_RETRY_TIMEOUT_COST : RB_RETRY_COST;
  if (cost > s->quota)
    return 0;
  s->quota -= cost;
  *quota_cost = cost;
  *delay_s = fmin(backoff(random01, attempt), RB_RETRY_MAX_BACKOFF_S);
  return 1;
}

void rb_retry_on_success(rb_retry_state *s, int quota_cost_of_this_request) {
  if (s->cfg.mode == RB_RETRY_LEGACY)
    return;
  int amount = quota_cost_of_this_request > 0 ? quota_cost_of_this_request
                                              : RB_RETRY_NO_RETRY_INCREMENT;
  int room = RB_RETRY_QUOTA_CAPACITY - s->quota;
  s->quota += amount < room ? amount : room;
}

/* ---- clock skew ---- */

int rb_clock_skew_from_date(const char *http_date, long long local_now,
                            long long *skew_seconds) {
  long long secs;
  if (rb_time_parse_http_date(http_date, &secs) != 0)
    return -1;
  *skew_seconds = secs - local_now;
  return 0;
}

int rb_retry_correct_clock(rb_retry_state *s, const rb_error *err, const char *http_date,
                           long long local_now, long long *offset_s) {
  long long skew;
  if (!err || rb_retry_classify(err) != RB_ERR_CLOCK_SKEW ||
      rb_clock_skew_from_date(http_date, local_now, &skew) != 0)
    return 0;
  long long off_by = skew - *offset_s; /* server minus the corrected local clock */
  if (llabs(off_by) < RB_CLOCK_SKEW_THRESHOLD_S)
    return 0;
  *offset_s = skew;
  s->skew_corrected = 1;
  return 1;
}
