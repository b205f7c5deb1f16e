/* client_env.c — what the client reads from the world: the environment (or the one
 * injected by rb_client_config), the wall clock, and randomness for retry jitter.
 *
 * Uses libc only. Nothing else in the client calls getenv, gettimeofday or a random
 * source directly, so these are the seams tests replace. It must never be used by the
 * pure units (sigv4.c, retry.c, credentials*.c), which get time and environment as
 * arguments. */
#include "client_internal.h"

#include <stdlib.h>
#include <sys/time.h>

const char *client_getenv(const rb_client *c, const char *name) {
  if (c->cfg.getenv)
    return c->cfg.getenv(c->cfg.env_ud, name);
  return getenv(name);
}

double client_wall_now(void) {
  struct timeval tv;
  gettimeofday(&tv, NULL);
  return (double)tv.tv_sec + (double)tv.tv_usec / 1e6;
}

/* xorshift64*: jitter only needs to be spread out, not unpredictable. */
double client_random01(rb_client *c) {
  c->rng ^= c->rng >> 12;
  c->rng ^= c->rng << 25;
  c->rng ^= c->rng >> 27;
  return (double)((c->rng * 2685821657736338717ULL) >> 11) / 9007199254740992.0;
}
