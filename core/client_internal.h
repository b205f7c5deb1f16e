/* client_internal.h — the client's private state, shared by client*.c only.
 *
 * client.c        lifecycle, queueing, sharing identical reads
 * client_deliver.c finishing a call and delivering its result to every waiter
 * client_env.c     the environment, the wall clock, randomness
 * client_attempt.c one HTTP attempt: sign, send, parse, retry or finish
 * client_auth.c    credential sets, (set, region) targets, the run's region, endpoints,
 *                  credentials (and the blocking STS call they need)
 * client_sign.c    the URL and SigV4 headers of a request (calls and STS alike)
 * client_record.c  --record and the --debug trace (observers), with secrets redacted
 *
 * Attempts are answered by a transport (transport.h): http.c over the network, or
 * replay.c from a recording. */
#ifndef RB_CLIENT_INTERNAL_H
#define RB_CLIENT_INTERNAL_H

#include "client.h"
#include "credentials.h"
#include "endpoint.h"
#include "http.h"
#include "json_canon.h"
#include "protocol.h"
#include "quotas.h"
#include "ratelimit.h"
#include "retry.h"
#include "transport.h"

#include <stdio.h>

typedef struct waiter {
  rb_call_done_fn done;
  void *ud;
  struct waiter *next;
} waiter;

typedef enum { CALL_WAITING, CALL_IN_FLIGHT, CALL_DONE } call_state;

/* One credential set: the run's own chain, a profile, or an assumed role. Its secrets
 * are wiped when freed and redacted from every trace and recording. */
typedef struct cred_set {
  char *id;       /* public name, recorded: "default", "profile:dev", "role:<arn>",
                     "role:<arn>@profile:dev"; never a secret */
  char *match;    /* what makes two sets the same: id, external id, session name */
  char *profile;  /* explicit profile of the credentials (or a role's source); NULL:
                     the run's own (--profile, AWS_PROFILE, ...) */
  char *role_arn; /* a role set only, with the two below */
  char *external_id;
  char *session_name;
  struct cred_set *source; /* a role's source set */
  rb_credentials creds;
  int have_creds;
  struct cred_set *next;
} cred_set;

typedef struct endpoint_entry {
  char *service;
  char *signing_name;
  rb_endpoint endpoint;
  struct endpoint_entry *next;
} endpoint_entry;

/* The token bucket of one operation with a published rate, on one target. */
typedef struct op_limit {
  const rb_rate *rate; /* rb_ratelimit_known's entry: the key */
  rb_bucket bucket;
  struct op_limit *next;
} op_limit;

/* One (credential set, region) pair: what calls to it share. */
typedef struct target {
  struct rb_client *client;
  cred_set *set;
  char *region;
  endpoint_entry *endpoints;
  long long clock_skew; /* server time minus local time, learnt from Date headers */
  rb_retry_state retry; /* retry quota and adaptive rate limiter */
  op_limit *limits; /* published per-operation rates (ratelimit.h), made on first use */
  struct target *next;
} target;

typedef struct call {
  struct call *next;
  /* the calls not yet done, which the loop scans (client.active): a fleet's thousands of
   * finished calls stay in `next` for sharing but cost the loop nothing */
  struct call *act_prev, *act_next;
  int in_active;
  struct rb_client *client;
  target *to;
  char *service;
  char *operation;
  char *params; /* canonical JSON of the parameters */
  char *key;    /* target, service, operation, params: sharing lookups */
  int write;
  int forgotten; /* a finished read no later call may share (rb_client_forget_reads) */
  size_t cost;   /* a kept result's estimated bytes (client_keep_result) */
  unsigned long long used; /* when it was last finished or shared: the eviction order */
  int pending;  /* deliveries still queued for it: its result must stay until then */
  int approval; /* a write: the index of the approval it spent, else -1 */
  int approval_scope; /* the scope that approval belongs to */
  rb_proto_request req;
  int attempt;       /* attempts started so far */
  int quota_cost;    /* retry quota taken by the latest retry */
  int send_token;    /* the adaptive rate limiter already granted the next attempt */
  double not_before; /* earliest start of the next attempt */
  double paced_wait; /* seconds its attempts were given by published rates, in total */
  call_state state;
  cJSON *result; /* final result (kept for sharing), NULL on error */
  rb_error err;
  waiter *waiters; /* still to be told */
} call;

typedef struct delivery {
  call *call;
  waiter *waiter;
  struct delivery *next;
} delivery;

struct rb_client {
  rb_client_config cfg;
  char *region;        /* --region until resolved, then the run's default region */
  int region_explicit; /* the region came from --region */
  char *profile;
  char *endpoint_url;
  char *record_path;
  rb_transport *transport; /* answers the attempts */
  rb_http *http;           /* for credential endpoints and STS; NULL when offline */
  int offline;             /* the transport replays: no credentials, signing, pacing */
  rb_retry_config retry_cfg;
  int retry_mode_explicit; /* AWS_RETRY_MODE or the profile chose retry_cfg.mode */
  unsigned long long rng;
  int scope_id; /* the open write scope (client_scope.c), 0 when none */
  int next_scope_id;
  size_t scope_n;            /* approved calls */
  char (*scope_hash)[65];    /* their hashes */
  unsigned char *scope_used; /* each approval serves once */
  cred_set *sets;            /* every credential set used so far */
  target *targets;           /* every (set, region) pair used so far */
  call *calls;
  call *active; /* the calls not done yet (act_next), newest first */
  int nactive;
  size_t kept_bytes;       /* estimated bytes of the results kept for sharing */
  unsigned long long tick; /* a counter for call->used */
  delivery *deliveries, **deliveries_tail;
  cJSON *recording;   /* array of exchanges, when recording */
  long long run_time; /* the run's reference clock: fixed, recorded, replayed */
  rb_client_stats stats;
};

/* client_scope.c: the index of the unused approval a write matches, or -1 with err
 * set; client_scope_use spends it once the call is queued. */
int client_scope_find(rb_client *c, const target *t, const char *service,
                      const char *operation, const cJSON *params, rb_error *err);
void client_scope_use(rb_client *c, int index);
/* A write AWS answered with a 4xx changed nothing: its approval (index in scope
 * `scope_id`, if that scope is still open) may be spent again, so the fix path can retry
 * the same call (IAM propagation, an update still in progress). Any other outcome keeps
 * it spent. */
void client_scope_refund(rb_client *c, int scope_id, int index);
void client_scope_free(rb_client *c);

/* client_env.c */
const char *client_getenv(const rb_client *c, const char *name);
double client_wall_now(void);
double client_random01(rb_client *c);

/* client_deliver.c */
void client_finish(rb_client *c, call *k, cJSON *result, const rb_error *err);
/* Puts a new call on, and a finished one off, the list the loop scans. */
void client_active_add(rb_client *c, call *k);
void client_active_remove(rb_client *c, call *k);
/* Finished reads keep their results for identical later reads within this many
 * (estimated) bytes; past it, those shared least recently are forgotten first. */
#define CLIENT_KEEP_BYTES ((size_t)8 << 20)
/* Marks k's result as used now and, when over budget, forgets the least recently used. */
void client_keep_result(rb_client *c, call *k);
void client_queue_delivery(rb_client *c, call *k, waiter *w);
int client_deliver_all(rb_client *c); /* runs the callbacks; returns how many ran */

/* Sets err->kind (see error.h) and returns -1. */
static inline int client_error_kind(rb_error *err, const char *kind) {
  snprintf(err->kind, sizeof err->kind, "%s", kind);
  return -1;
}

/* client_attempt.c */
void client_start_due_attempts(rb_client *c);
double client_next_due(const rb_client *c);
void client_attempt_done(rb_client *c, call *k, int status, rb_headers *headers,
                         const char *body, size_t body_len,
                         const rb_error *transport_err);

/* client_auth.c */
void client_cred_env(rb_client *c, target *t, rb_cred_env *env); /* t may be NULL */
int client_resolve_region(rb_client *c, rb_error *err);
target *client_target(rb_client *c, const rb_client_target *to, rb_error *err);
int client_ensure_credentials(target *t, rb_error *err);
const endpoint_entry *client_endpoint(target *t, const char *service, rb_error *err);
void client_auth_free(rb_client *c);

/* client_sign.c */
int client_build_url(const endpoint_entry *ep, const rb_proto_request *req, rb_buf *url,
                     rb_buf *path);
/* Headers for one request: the protocol's, Host, User-Agent and, when creds is not NULL,
 * the SigV4 ones, signed at the wall clock plus `skew`. `out` is caller-owned. */
int client_sign(const endpoint_entry *ep, const rb_proto_request *req, const char *path,
                const rb_credentials *creds, long long skew, rb_headers *out,
                rb_error *err);

/* client_record.c */
void client_record_exchange(rb_client *c, const call *k, int status,
                            const rb_headers *resp_headers, const char *body,
                            size_t body_len, const rb_error *transport_err);
void client_trace_request(rb_client *c, const call *k, const char *method,
                          const char *url, const rb_headers *headers, const char *body,
                          size_t body_len);
void client_trace_response(rb_client *c, const call *k, int status,
                           const rb_headers *headers, const char *body, size_t body_len,
                           const rb_error *err);

#endif
