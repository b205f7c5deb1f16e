/* ratelimit.c — the table of AWS's published per-operation request rates and the token
 * bucket that keeps to them (ratelimit.h).
 *
 * Uses nothing but arithmetic: the client (client_attempt.c) owns the buckets, one per
 * (credential set, region, operation) with a known rate, and turns a take's wait into
 * the attempt's earliest start, beside the adaptive limiter of retry.c (which reacts to
 * throttling; this one prevents it). Must never sleep, read a clock or allocate; must
 * never make a wait longer than the debt of the requests before it requires. */
#include "ratelimit.h"

#include <string.h>

/* Published rates (per account and region). CloudTrail: "LookupEvents: 2 requests per
 * second". A later change seeds this table with every published quota. */
static const rb_rate KNOWN[] = {
    {"cloudtrail", "LookupEvents", 2.0, 2.0},
};

const rb_rate *rb_ratelimit_known(const char *service, const char *operation) {
  if (!service || !operation)
    return NULL;
  for (size_t i = 0; i < sizeof KNOWN / sizeof KNOWN[0]; i++)
    if (strcmp(KNOWN[i].service, service) == 0 &&
        strcmp(KNOWN[i].operation, operation) == 0)
      return &KNOWN[i];
  return NULL;
}

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
