/* ratelimit.c — the token bucket that keeps to AWS's published per-operation request
 * rates (ratelimit.h; the rates themselves are quotas.c's table).
 *
 * Uses nothing but arithmetic: the client (client_attempt.c) owns the buckets, one per
 * (credential set, region, rate entry), and turns a take's wait into
 * the attempt's earliest start, beside the adaptive limiter of retry.c (which reacts to
 * throttling; this one prevents it). Must never sleep, read a clock or allocate; must
 * never make a wait longer than the debt of the requests before it requires. */
#include "ratelimit.h"

void rb_bucket_init(rb_bucket *b, const rb_rate *rate, double now) {
  b->rate = rate->per_second > 0 ? rate->per_second : 1.0;
  b->burst = rate->burst >= 1 ? rate->burst : 1.0;
  b->tokens = b->burst;
  b->last = now;
}

double rb_bucket_take(rb_bucket *b, double now) {
  if (now > b->last) {
    b->tokens += (now - b->last) * b->rate;
    if (b->tokens > b->burst)
      b->tokens = b->burst;
    b->last = now;
  }
  b->tokens -= 1.0;
  if (b->tokens >= 0)
    return 0;
  return -b->tokens / b->rate;
}
