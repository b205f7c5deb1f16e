/* client.h — signed AWS calls, many in flight, with retries, de-duplication and
 * recording.
 *
 * The client is the one place where the pure units meet: the service model and protocol
 * codecs build the request, endpoint.c says where it goes, credentials.c says who signs
 * it, sigv4.c signs it, http.c carries it, retry.c decides what to do when it fails, and
 * the recorder keeps a redacted copy. It never calls into Lua: completions are reported
 * through callbacks from rb_client_run_once, and the Lua binding turns them into resumed
 * tasks.
 *
 * Safety: every operation is read or write (from the model). A write is refused before
 * any request is built unless the open write scope approved that exact call (see
 * rb_client_scope_open); only the core's approved fix path opens one. */
#ifndef RB_CLIENT_H
#define RB_CLIENT_H

#include "error.h"

#include <cjson/cJSON.h>
#include <stddef.h>

typedef struct rb_client rb_client;

typedef struct rb_client_config {
  const char *region;       /* --region, or NULL to resolve from env and profile */
  const char *profile;      /* --profile, or NULL */
  const char *endpoint_url; /* --endpoint-url, or NULL */
  const char *record_path;  /* --record FILE: written by rb_client_save_recording */
  const char *replay_path;  /* --replay FILE: answer every call from it, no network */
  int debug;                /* trace every exchange (secrets redacted) to debug_write */
  int dry_run;              /* --dry-run: refuse every write, even an approved one */
  void (*debug_write)(void *ud, const char *text);
  void *debug_ud;
  /* Injected environment; NULL means the process environment. */
  const char *(*getenv)(void *ud, const char *name);
  void *env_ud;
  /* Told when a call is given a wait by its operation's published rate (quotas.h), once
   * per waiter with that waiter's `ud` (rb_client_call's): the seconds it will wait
   * before its attempt goes. Runs inside rb_client_run_once; may be NULL. */
  void (*paced)(void *call_ud, double seconds);
} rb_client_config;

/* Where a call goes and who signs it: a (credential set, region) pair. Every field may
 * be NULL; an all-NULL target (or a NULL pointer) is the run's default set and region.
 *  - region: the call's region, else the run's (--region, AWS_REGION, ..., a function
 *    ARN's region through rb_client_use_region).
 *  - profile: credentials of that profile of the shared files (resolved as --profile
 *    would); NULL: the run's own chain.
 *  - role_arn: assume this role (STS AssumeRole) with the credentials of `profile` (or
 *    `source_profile`, a synonym here) or, when neither is given, of the run's chain;
 *    external_id and session_name are passed to STS (session default "runbook-<epoch>").
 * Each set is resolved once and refreshed near expiry; each (set, region) pair keeps its
 * own endpoints, retry quota, adaptive rate limiter and clock-skew correction, and
 * identical reads are shared only within one pair. */
typedef struct rb_client_target {
  const char *region;
  const char *profile;
  const char *role_arn;
  const char *external_id;
  const char *session_name;
  const char *source_profile;
} rb_client_target;

/* result is owned by the callee (cJSON_Delete it) and NULL when err is set. */
typedef void (*rb_call_done_fn)(void *ud, cJSON *result, const rb_error *err);

rb_client *rb_client_new(const rb_client_config *cfg, rb_error *err);
void rb_client_free(rb_client *c);

/* Queues a call. Returns 0 when queued: `done` runs later, from rb_client_run_once,
 * exactly once. Returns -1 with err set when the call cannot be made at all (unknown
 * operation, invalid parameters, a write the open scope did not approve, no credentials,
 * no region): nothing was sent and `done` will not run. Identical read calls share one
 * request and one result. */
int rb_client_call(rb_client *c, const char *service, const char *operation,
                   const cJSON *params, rb_call_done_fn done, void *ud, rb_error *err);

/* Delivers completions, starts due attempts and drives the transport for at most
 * max_wait_ms. Returns the number of calls not yet completed. */
/* rb_client_call for a target (NULL: the default one). A target that makes no sense
 * (a malformed region or role ARN, external_id without role_arn, profile and
 * source_profile that differ) fails at once with err kind "usage". */
int rb_client_call_to(rb_client *c, const rb_client_target *to, const char *service,
                      const char *operation, const cJSON *params, rb_call_done_fn done,
                      void *ud, rb_error *err);

int rb_client_run_once(rb_client *c, long max_wait_ms);
int rb_client_pending(const rb_client *c);

/* The run's reference time in whole epoch seconds: fixed when the client is made (time
 * windows such as "the last hour" are computed from it), recorded with --record and
 * restored by --replay, so a replayed diagnosis asks for exactly the same windows. */
double rb_client_now(const rb_client *c);
const char *rb_client_region(rb_client *c, rb_error *err);
/* Sends the run's calls to `region` (a function ARN names its region). Refused when
 * --region named another region, or once a call went to another region. */
int rb_client_use_region(rb_client *c, const char *region, rb_error *err);

/* Write scope (client_scope.c). A write is let through only while a scope is open, only
 * when it is one of the scope's approved calls, and only once per approval: its service,
 * operation and parameters must equal the approved ones (compared as the SHA-256 of the
 * canonical JSON, json_canon.c, so key order does not matter but every value does).
 * A call AWS answers with a 4xx error changed nothing and gives its approval back (the
 * fix path may retry it); any other outcome spends it.
 * Binding rule for RevisionId: an approved call whose top-level params.RevisionId is the
 * string RB_ANY_REVISION matches a call that sends any non-empty string RevisionId there
 * (the value the caller read just before sending) and is otherwise identical; a call
 * that sends no RevisionId, or the marker itself, does not match it; a literal approved
 * RevisionId matches only itself. Every other write, and every write under --dry-run
 * (cfg.dry_run), is refused with WriteRefused (kind "safety") before a request is built.
 *
 * rb_client_scope_open checks every call (a known write operation, params an object or
 * NULL) and returns the scope id (> 0), or -1 with err set (ScopeOpen when a scope is
 * already open: one at a time). rb_client_scope_close closes it (0), or returns -1 when
 * `scope_id` is not the open scope. The target (`to`: credential set and region, NULL
 * for the run's default) is part of the hash: the same call sent to another region or
 * with other credentials does not match. */
#define RB_ANY_REVISION "runbook:any-revision"
typedef struct rb_write_call {
  const char *service;
  const char *operation;
  const cJSON *params;        /* NULL: no parameters */
  const rb_client_target *to; /* NULL: the run's default credential set and region */
} rb_write_call;
int rb_client_scope_open(rb_client *c, const rb_write_call *calls, size_t n,
                         rb_error *err);
int rb_client_scope_close(rb_client *c, int scope_id);
int rb_client_scope_current(const rb_client *c); /* the open scope's id, or 0 */

/* From now on no call shares the result of a read that has finished: the next identical
 * read is sent again. The fix path uses it so that what it re-reads before and after a
 * write is the resource as it is now, never what the triage read. Reads still in flight
 * stay shared. */
void rb_client_forget_reads(rb_client *c);

/* Writes the recording (when --record was given) atomically; 0 on success. */
int rb_client_save_recording(rb_client *c, rb_error *err);

/* Calls fn with the secret key and the session token of every credential set resolved so
 * far, for the output path's redaction (sandbox.c); never for anything that prints or
 * stores them. */
void rb_client_each_secret(const rb_client *c, void (*fn)(void *ud, const char *secret),
                           void *ud);

/* Counters for tests and benchmarks. */
typedef struct rb_client_stats {
  int calls;    /* rb_client_call successes */
  int shared;   /* calls answered by an identical earlier or in-flight read */
  int attempts; /* HTTP requests made (or replayed) */
  int retries;
  int throttles; /* throttling errors AWS answered that were retried */
  int paced;     /* attempts that waited for their operation's published rate */
  double waited; /* seconds those attempts were given to wait, in total */
} rb_client_stats;
rb_client_stats rb_client_get_stats(const rb_client *c);

/* The retry mode in force ("legacy", "standard", "adaptive"); *explicit_out (may be
 * NULL) is 1 when AWS_RETRY_MODE or the profile's retry_mode chose it. */
const char *rb_client_retry_mode(const rb_client *c, int *explicit_out);
/* Switches the retry mode ("standard" or "adaptive") of every target, made or to come,
 * unless the environment or the profile chose one (returns 1 and changes nothing then).
 * Returns 0 when switched, -1 with err for an unknown mode. A switch to adaptive mode
 * starts each target's adaptive limiter afresh. */
int rb_client_set_retry_mode(rb_client *c, const char *mode, rb_error *err);

#endif
