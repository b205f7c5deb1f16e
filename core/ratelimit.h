/* ratelimit.h — client-side request rates AWS publishes per operation, kept with token
 * buckets.
 *
 * Some AWS operations have a fixed request rate per account and region (CloudTrail's
 * LookupEvents: 2 requests per second); sending faster only earns throttling errors and
 * retries. The client keeps one bucket per (credential set, region, rate entry) that has
 * a known rate (quotas.h: rb_ratelimit_known, from core/quotas.txt) and asks it before
 * each attempt how long to wait. Operations that share a service's `*` entry share its
 * bucket, since the entry's address is the bucket's key.
 *
 * A bucket holds up to `burst` tokens and refills at `rate` per second. A take always
 * succeeds: it spends one token, possibly going into debt, and returns how long the
 * caller must wait before sending, so callers queued at once are spaced 1/rate apart in
 * the order they asked. Time is a parameter (seconds, any epoch); nothing here sleeps,
 * reads a clock or allocates. */
#ifndef RB_RATELIMIT_H
#define RB_RATELIMIT_H

/* A published per-operation rate: `service` is the model's service name ("cloudtrail"),
 * `operation` the API operation or "*" (the service's shared bucket). */
typedef struct rb_rate {
  const char *service;
  const char *operation;
  double per_second;  /* sustained requests per second; 0: not paced ("off") */
  double burst;       /* requests that may go at once after a quiet spell; >= 1 */
  const char *source; /* where the figure comes from (quotas.txt), or the override */
  int priority;       /* who set it: 0 the table, 1 RUNBOOK_RATE_LIMITS, 2 --rate-limit */
} rb_rate;

typedef struct rb_bucket {
  double tokens; /* may be negative: requests already promised a later slot */
  double rate;
  double burst;
  double last; /* when tokens was last brought up to date */
} rb_bucket;

/* A full bucket for `rate` at time `now`. */
void rb_bucket_init(rb_bucket *b, const rb_rate *rate, double now);

/* Spends one token at `now` and returns the seconds to wait before sending (0 when a
 * token was there). */
double rb_bucket_take(rb_bucket *b, double now);

#endif
