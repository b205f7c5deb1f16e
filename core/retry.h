/* retry.h — when to retry an AWS call, how long to wait, and how fast to send.
 *
 * The behaviour is botocore's
 * (botocore/retries/{standard,adaptive,bucket,throttling,quota}.py and
 * botocore/data/_retry.json), the reference the other AWS SDKs also follow:
 *
 *   legacy    _retry.json: 5 attempts by default; retries 429/500/502/503/504/509, a
 *             400 with a throttling code, connection errors; delay rand * 2^(n-1), no
 * cap, no retry quota. standard  3 attempts by default; retries throttling codes,
 * transient codes, 500/502/ 503/504, connection errors and timeouts; delay min(rand *
 * 2^(n-1), 20 s) (full jitter); a per-client retry quota of 500: a retry costs 5 (10
 * after a timeout); a success gives back what its last retry cost, or 1 if it needed
 * none. adaptive  standard plus a client-side token bucket whose rate follows CUBIC: it
 * halves (x0.7) on a throttling response and grows back on the others.
 *
 * Where this differs from botocore, on purpose:
 *   - the default mode is standard (as the AWS CLI v2 and the newer SDKs), not legacy;
 *   - a bare HTTP 429 is a throttling error in every mode (botocore legacy, the Java v2
 * and JavaScript v3 SDKs agree; only botocore's standard mode would give up on it);
 *   - InternalError is transient (Java v2 SDK), so is IDPCommunicationError (only STS
 * sends it);
 *   - a malformed 2xx body (MalformedResponse) and a truncated one (TruncatedResponse)
 * are transient: they come from proxies and broken connections, not from the service;
 *   - TLSError (certificate verification and the like) is not retried: it does not heal;
 *   - clock skew is corrected as the Java v2 / JavaScript v3 SDKs do (botocore does not):
 *     see rb_retry_correct_clock;
 *   - Retry-After / x-amz-retry-after headers are ignored, as botocore ignores them.
 *
 * Transport failures reach this unit as rb_error codes, by convention (see http.h):
 *   ConnectionError, ConnectionReset  no usable response (refused, reset, DNS, proxy)
 *   Timeout                           connect or read timeout (costs 10 from the quota)
 *   TruncatedResponse                 the body ended before Content-Length
 *   MalformedResponse                 a 2xx whose body could not be parsed
 *
 * Time and randomness are parameters: `now` is seconds (any epoch, as a double),
 * `random01` is uniform in [0, 1). Nothing here sleeps, reads a clock or allocates. */
#ifndef RB_RETRY_H
#define RB_RETRY_H

#include "error.h"

typedef enum { RB_RETRY_LEGACY, RB_RETRY_STANDARD, RB_RETRY_ADAPTIVE } rb_retry_mode;

typedef struct rb_retry_config {
  rb_retry_mode mode;
  int max_attempts; /* total attempts, the first one included; >= 1 */
} rb_retry_config;

#define RB_RETRY_DEFAULT_MAX_ATTEMPTS 3 /* standard and adaptive */
#define RB_RETRY_LEGACY_MAX_ATTEMPTS 5  /* _retry.json __default__.max_attempts */
#define RB_RETRY_MAX_BACKOFF_S 20.0
#define RB_RETRY_QUOTA_CAPACITY 500
#define RB_RETRY_COST 5
#define RB_RETRY_TIMEOUT_COST 10
#define RB_RETRY_NO_RETRY_INCREMENT 1
#define RB_CLOCK_SKEW_THRESHOLD_S 240 /* 4 minutes, as the Java v2 SDK */

/* Parses AWS_RETRY_MODE / profile retry_mode ("legacy", "standard", "adaptive"; NULL or
 * "" → standard) and AWS_MAX_ATTEMPTS / profile max_attempts (a positive decimal integer;
 * NULL or "" → 3, or 5 in legacy mode). Returns 0, or -1 with err set (code
 * "InvalidConfiguration": "AWS_MAX_ATTEMPTS must be a positive integer, got 'x'"). */
int rb_retry_config_parse(const char *mode, const char *max_attempts,
                          rb_retry_config *out, rb_error *err);

typedef enum {
  RB_ERR_NOT_RETRYABLE, /* validation, access denied, not found, other 4xx, local errors
                         */
  RB_ERR_THROTTLE,      /* a throttling code, or HTTP 429 */
  RB_ERR_TRANSIENT,     /* transient code, 500/502/503/504, connection failure */
  RB_ERR_TIMEOUT,       /* code "Timeout": transient, but costs more quota */
  RB_ERR_CLOCK_SKEW     /* retried once, only after the clock was corrected */
} rb_error_class;

/* Classifies by err->code first, then err->status. */
rb_error_class rb_retry_classify(const rb_error *err);

/* Sets err->retryable: 1 for THROTTLE, TRANSIENT and TIMEOUT; 0 otherwise (a clock-skew
 * error that reaches the caller was not, or can no longer be, fixed by a correction). */
void rb_retry_mark(rb_error *err);

/* The adaptive mode's client-side rate limiter: botocore's ClientRateLimiter with its
 * TokenBucket (min rate 0.5/s), RateClocker (0.5 s buckets, smoothing 0.8) and
 * CubicCalculator (C = 0.4, beta = 0.7). Plain data; the caller owns it. */
typedef struct rb_rate_limiter {
  int started; /* 0 until init (done lazily with the first `now` seen) */
  int enabled; /* becomes 1 at the first throttling response */
  /* token bucket */
  double fill_rate, max_capacity, capacity, last_refill;
  /* measured send rate */
  double measured_rate, last_bucket;
  long count;
  /* CUBIC */
  double w_max, k, last_fail;
} rb_rate_limiter;

/* Starts the limiter at `now` (botocore does this when the client is created). */
void rb_rate_limiter_init(rb_rate_limiter *rl, double now);
/* Takes a send token. Returns 0 to send now, or how many seconds the caller must wait
 * before sending; the token is already taken then (the bucket goes into debt), so callers
 * queued behind it wait longer. Always 0 until the first throttling response. */
double rb_rate_limiter_acquire(rb_rate_limiter *rl, double now);
/* Feeds the outcome of every attempt (throttled = 1 for a throttling error) and adjusts
 * the send rate. */
void rb_rate_limiter_update(rb_rate_limiter *rl, int throttled, double now);

/* Per-client retry state: the retry quota and the adaptive rate limiter. Plain data. */
typedef struct rb_retry_state {
  rb_retry_config cfg;
  int quota;          /* available retry capacity, 0..RB_RETRY_QUOTA_CAPACITY */
  int skew_corrected; /* set by rb_retry_correct_clock, used by the next should_retry */
  rb_rate_limiter limiter;
} rb_retry_state;

void rb_retry_state_init(rb_retry_state *s, const rb_retry_config *cfg);

/* Before every attempt (the first one too): seconds to wait before sending; 0 except in
 * adaptive mode while the rate limiter is engaged (the send token is then taken). */
double rb_retry_before_send(rb_retry_state *s, double now);
/* After every attempt: `err` is NULL on success. Feeds the adaptive rate limiter (a
 * throttling error slows it down; anything else counts as a response, like a success). */
void rb_retry_after_response(rb_retry_state *s, const rb_error *err, double now);

/* `attempt` is the 1-based attempt that just failed with `err`. Returns 1 to retry, with
 * *delay_s the backoff and *quota_cost the capacity this retry took (0 in legacy mode;
 * keep the latest for rb_retry_on_success). Returns 0 to give up (max attempts reached,
 * not retryable, or the retry quota is exhausted); *delay_s and *quota_cost are then
 * untouched and so is err: the caller words the final error. */
int rb_retry_should_retry(rb_retry_state *s, const rb_error *err, int attempt,
                          double random01, double *delay_s, int *quota_cost);

/* After a call finally succeeded (2xx): gives back `quota_cost_of_this_request` (what
 * its latest retry cost), or 1 when it was not retried (pass 0); never past capacity. */
void rb_retry_on_success(rb_retry_state *s, int quota_cost_of_this_request);

/* Parses an HTTP Date header (RFC 7231 IMF-fixdate "Fri, 27 Nov 2026 02:10:00 GMT", and
 * the obsolete RFC 850 and asctime forms every recipient must accept) and sets
 * *skew_seconds to server time minus `local_now` (Unix seconds). Returns 0, or -1 if the
 * date is invalid. */
int rb_clock_skew_from_date(const char *http_date, long long local_now,
                            long long *skew_seconds);

/* Call with every error response, before rb_retry_should_retry. When err is a clock-skew
 * error (RequestTimeTooSkewed, RequestExpired, RequestInTheFuture,
 * InvalidSignatureException, SignatureDoesNotMatch, AuthFailure) and the server's Date
 * differs from the corrected local clock (local_now + *offset_s) by at least
 * RB_CLOCK_SKEW_THRESHOLD_S, sets *offset_s to server minus local time (the signer adds
 * it to its clock), lets the next rb_retry_should_retry on `s` retry that error, and
 * returns 1. Otherwise returns 0 and changes nothing. http_date may be NULL. */
int rb_retry_correct_clock(rb_retry_state *s, const rb_error *err, const char *http_date,
                           long long local_now, long long *offset_s);

#endif
