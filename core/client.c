/* client.c — the client's lifecycle, call queue and sharing of identical reads (see
 * client.h for the contract, client_internal.h for the split).
 *
 * Uses the model (read/write classification), the protocol codecs and the client_*.c
 * files below it (auth, attempt, deliver, env); none of them calls back into this one. It
 * must never call a completion callback from inside rb_client_call, and never let a write
 * through that the open write scope (client_scope.c) did not approve. */
#include "client_internal.h"
#include "model.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/time.h>
#include <unistd.h>

static int client_configure_retries(rb_client *c, rb_error *err) {
  const char *mode = client_getenv(c, "AWS_RETRY_MODE");
  const char *attempts = client_getenv(c, "AWS_MAX_ATTEMPTS");
  rb_buf pmode = RB_BUF_INIT, pattempts = RB_BUF_INIT;
  rb_cred_env env;
  client_cred_env(c, NULL, &env);
  int rc = 0;
  if (!mode && (rc = rb_config_get(&env, c->profile, "retry_mode", &pmode, err)) == 1)
    mode = pmode.data;
  if (rc >= 0 && !attempts &&
      (rc = rb_config_get(&env, c->profile, "max_attempts", &pattempts, err)) == 1)
    attempts = pattempts.data;
  rc = rc < 0 ? -1 : rb_retry_config_parse(mode, attempts, &c->retry_cfg, err);
  c->retry_mode_explicit = mode && *mode;
  rb_buf_free(&pmode);
  rb_buf_free(&pattempts);
  if (rc != 0)
    client_error_kind(err, "setup");
  return rc;
}

/* The network, or the recording named by --replay (which also brings the run's time). */
static int client_open_transport(rb_client *c, const char *replay_path, rb_error *err) {
  if (replay_path) {
    if (!(c->transport = rb_replay_open(replay_path, err)))
      return -1;
    c->offline = c->transport->offline;
    c->run_time = c->transport->run_time;
    return 0;
  }
  rb_http_options ho = {0, 0, client_getenv(c, "AWS_CA_BUNDLE")};
  rb_http *h = rb_http_new(&ho, err);
  if (!h || !(c->transport = rb_http_transport_new(h, err)))
    return -1;
  c->http = h;
  return 0;
}

rb_client *rb_client_new(const rb_client_config *cfg, rb_error *err) {
  rb_client *c = calloc(1, sizeof *c);
  if (!c) {
    rb_error_set(err, "OutOfMemory", "cannot create the AWS client: out of memory");
    return NULL;
  }
  c->cfg = *cfg;
  c->profile = rb_strdup(cfg->profile);
  c->endpoint_url = rb_strdup(cfg->endpoint_url);
  c->record_path = rb_strdup(cfg->record_path);
  c->cfg.profile = c->profile;
  c->cfg.endpoint_url = c->endpoint_url;
  c->cfg.record_path = c->record_path;
  c->cfg.region = NULL;
  c->region = rb_strdup(cfg->region);
  c->region_explicit = cfg->region != NULL;
  c->deliveries_tail = &c->deliveries;
  c->run_time = (long long)client_wall_now();
  c->rng =
      ((unsigned long long)client_wall_now() * 1000003ULL) ^ (unsigned long long)getpid();
  c->rng |= 1;
  if (client_open_transport(c, cfg->replay_path, err) != 0)
    goto fail;
  if (client_configure_retries(c, err) != 0)
    goto fail;
  if (c->record_path && !(c->recording = cJSON_CreateArray()))
    goto fail;
  return c;
fail:
  rb_client_free(c);
  return NULL;
}

static void call_free(call *k) {
  free(k->service);
  free(k->operation);
  free(k->params);
  free(k->key);
  rb_proto_request_free(&k->req);
  cJSON_Delete(k->result);
  while (k->waiters) {
    waiter *w = k->waiters;
    k->waiters = w->next;
    free(w);
  }
  free(k);
}

void rb_client_free(rb_client *c) {
  if (!c)
    return;
  rb_transport_free(c->transport); /* first: abandons attempts that point at calls */
  while (c->deliveries) {
    delivery *d = c->deliveries;
    c->deliveries = d->next;
    free(d->waiter);
    free(d);
  }
  while (c->calls) {
    call *k = c->calls;
    c->calls = k->next;
    call_free(k);
  }
  client_auth_free(c);
  client_scope_free(c);
  cJSON_Delete(c->recording);
  free(c->region);
  free(c->profile);
  free(c->endpoint_url);
  free(c->record_path);
  free(c);
}

static call *find_shared(rb_client *c, const char *key) {
  for (call *k = c->calls; k; k = k->next) {
    int failed_transiently = k->state == CALL_DONE && !k->result && k->err.retryable;
    if (!k->write && !k->forgotten && !failed_transiently && strcmp(k->key, key) == 0) {
      if (k->state == CALL_DONE)
        k->used = ++c->tick; /* shared again: kept longer (client_keep_result) */
      return k;
    }
  }
  return NULL;
}

void rb_client_forget_reads(rb_client *c) {
  for (call *k = c->calls; k; k = k->next)
    if (k->state == CALL_DONE)
      k->forgotten = 1;
}

static int add_waiter(rb_client *c, call *k, rb_call_done_fn done, void *ud,
                      rb_error *err) {
  waiter *w = calloc(1, sizeof *w);
  if (!w)
    return rb_error_set(err, "OutOfMemory", "cannot queue the call: out of memory");
  w->done = done;
  w->ud = ud;
  if (k->state == CALL_DONE) {
    client_queue_delivery(c, k, w);
  } else {
    w->next = k->waiters;
    k->waiters = w;
  }
  return 0;
}

/* "<region>\n<set>\n<service> <operation> <params>": identical reads share only within
 * one (credential set, region) pair. */
static char *call_key(const call *k) {
  rb_buf b = RB_BUF_INIT;
  rb_buf_printf(&b, "%s\n%s\n%s %s %s", k->to->region, k->to->set->match, k->service,
                k->operation, k->params);
  return b.data ? rb_buf_detach(&b) : NULL;
}

static call *call_new(const char *service, const char *operation, const cJSON *params,
                      int write) {
  call *k = calloc(1, sizeof *k);
  if (!k)
    return NULL;
  k->service = rb_strdup(service);
  k->operation = rb_strdup(operation);
  k->params = rb_json_canonical(params);
  k->write = write;
  k->approval = -1;
  if (!k->service || !k->operation || !k->params) {
    call_free(k);
    return NULL;
  }
  return k;
}

/* Everything that can be known before sending is checked here, so a bad call fails at
 * once with nothing sent: the operation, its parameters, write safety, the target and
 * its region, endpoint and credentials. */
static int call_prepare(rb_client *c, call *k, const rb_client_target *to,
                        const cJSON *params, rb_error *err) {
  if (!(k->to = client_target(c, to, err))) {
    if (!err->kind[0])
      client_error_kind(err, "setup");
    return -1;
  }
  int approval =
      k->write ? client_scope_find(c, k->to, k->service, k->operation, params, err) : -1;
  if (k->write && approval < 0)
    return -1;
  if (rb_protocol_build(k->service, k->operation, params, &k->req, err) != 0)
    return client_error_kind(err, "usage");
  if (!client_endpoint(k->to, k->service, err)) {
    if (!err->kind[0])
      client_error_kind(err, "setup");
    return -1;
  }
  if (!c->offline && client_ensure_credentials(k->to, err) != 0)
    return client_error_kind(err, "setup");
  if (!(k->key = call_key(k)))
    return rb_error_set(err, "OutOfMemory", "cannot queue %s %s: out of memory",
                        k->service, k->operation);
  client_scope_use(c, approval);
  k->approval = approval;
  k->approval_scope = approval >= 0 ? c->scope_id : 0;
  return 0;
}

int rb_client_call(rb_client *c, const char *service, const char *operation,
                   const cJSON *params, rb_call_done_fn done, void *ud, rb_error *err) {
  return rb_client_call_to(c, NULL, service, operation, params, done, ud, err);
}

int rb_client_call_to(rb_client *c, const rb_client_target *to, const char *service,
                      const char *operation, const cJSON *params, rb_call_done_fn done,
                      void *ud, rb_error *err) {
  int write = rb_model_is_write(service, operation, err);
  if (write < 0)
    return client_error_kind(err, "usage");
  call *k = call_new(service, operation, params, write);
  if (!k)
    return rb_error_set(err, "OutOfMemory", "cannot queue %s %s: out of memory", service,
                        operation);
  if (call_prepare(c, k, to, params, err) != 0) {
    call_free(k);
    return -1;
  }
  call *shared = write ? NULL : find_shared(c, k->key);
  if (shared) {
    call_free(k);
    if (add_waiter(c, shared, done, ud, err) != 0)
      return -1;
    c->stats.calls++;
    c->stats.shared++;
    return 0;
  }
  if (add_waiter(c, k, done, ud, err) != 0) {
    call_free(k);
    return -1;
  }
  k->client = c;
  k->next = c->calls;
  c->calls = k;
  client_active_add(c, k);
  c->stats.calls++;
  return 0;
}

int rb_client_pending(const rb_client *c) {
  int n = c->nactive;
  for (const delivery *d = c->deliveries; d; d = d->next)
    n++;
  return n;
}

int rb_client_run_once(rb_client *c, long max_wait_ms) {
  if (client_deliver_all(c) > 0)
    max_wait_ms = 0;
  client_start_due_attempts(c);
  double due = client_next_due(c);
  if (due >= 0) {
    long until_due = (long)ceil((due - client_wall_now()) * 1000.0);
    if (until_due < max_wait_ms)
      max_wait_ms = until_due < 0 ? 0 : until_due;
  }
  if (c->deliveries)
    max_wait_ms = 0;
  rb_transport_run_once(c->transport, max_wait_ms);
  client_deliver_all(c);
  return rb_client_pending(c);
}

double rb_client_now(const rb_client *c) {
  return (double)c->run_time;
}

const char *rb_client_region(rb_client *c, rb_error *err) {
  return client_resolve_region(c, err) == 0 ? c->region : NULL;
}

int rb_client_use_region(rb_client *c, const char *region, rb_error *err) {
  rb_error ignored; /* no region configured is fine: the ARN's region is used then */
  if (client_resolve_region(c, &ignored) == 0 && strcmp(c->region, region) == 0)
    return 0;
  if (c->region_explicit)
    return rb_error_set(err, "RegionConflict",
                        "the function is in %s but --region says %s", region, c->region);
  if (c->calls)
    return rb_error_set(err, "RegionConflict",
                        "cannot move to %s: calls were already made in %s", region,
                        c->region);
  char *copy = rb_strdup(region);
  if (!copy)
    return rb_error_set(err, "OutOfMemory", "cannot store the region");
  free(c->region);
  c->region = copy;
  c->region_explicit = 1; /* validated like a --region value from here on */
  return client_resolve_region(c, err);
}

rb_client_stats rb_client_get_stats(const rb_client *c) {
  return c->stats;
}

static const char *const MODE_NAMES[] = {"legacy", "standard", "adaptive"};

const char *rb_client_retry_mode(const rb_client *c, int *explicit_out) {
  if (explicit_out)
    *explicit_out = c->retry_mode_explicit;
  return MODE_NAMES[c->retry_cfg.mode];
}

int rb_client_set_retry_mode(rb_client *c, const char *mode, rb_error *err) {
  rb_retry_mode m;
  if (strcmp(mode, "standard") == 0)
    m = RB_RETRY_STANDARD;
  else if (strcmp(mode, "adaptive") == 0)
    m = RB_RETRY_ADAPTIVE;
  else
    return rb_error_set(err, "InvalidParameter",
                        "retry mode must be standard or adaptive, got '%.64s'", mode);
  if (c->retry_mode_explicit)
    return 1; /* the operator's AWS_RETRY_MODE or profile setting stands */
  c->retry_cfg.mode = m;
  for (target *t = c->targets; t; t = t->next)
    t->retry.cfg.mode = m;
  return 0;
}
