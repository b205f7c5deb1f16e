/* client_attempt.c — one attempt of a call: sign, hand it to the transport, parse, then
 * finish or schedule a retry (see client_internal.h).
 *
 * Uses client_sign.c (SigV4), the transport (transport.h), protocol.c and retry.c. An
 * offline transport (replay) needs no signature and no pacing. Signing happens per
 * attempt, so a retry carries a fresh X-Amz-Date and any clock-skew correction learnt
 * meanwhile. It must never put a secret into a trace, a recording or an error message. */
#include "client_internal.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void on_http_done(void *ud, rb_http_response *resp, const rb_error *err) {
  call *k = ud;
  client_attempt_done(k->client, k, resp->status, &resp->headers, resp->body.data,
                      resp->body.len, err);
}

static void attempt_fail_now(rb_client *c, call *k, rb_error *err) {
  if (!err->kind[0])
    client_error_kind(err, "setup");
  client_finish(c, k, NULL, err);
}

static void attempt_start(rb_client *c, call *k) {
  rb_error err;
  rb_error_clear(&err);
  k->attempt++;
  c->stats.attempts++;
  k->state = CALL_IN_FLIGHT;
  const endpoint_entry *ep = client_endpoint(k->to, k->service, &err);
  rb_buf url = RB_BUF_INIT, path = RB_BUF_INIT;
  rb_headers headers = RB_HEADERS_INIT;
  if (!ep || client_build_url(ep, &k->req, &url, &path) != 0 ||
      client_sign(ep, &k->req, path.data, c->offline ? NULL : &k->to->set->creds,
                  k->to->clock_skew, &headers, &err) != 0) {
    if (!err.code[0])
      rb_error_set(&err, "OutOfMemory", "cannot build %s %s", k->service, k->operation);
    attempt_fail_now(c, k, &err);
    goto done;
  }
  client_trace_request(c, k, k->req.method, url.data, &headers, k->req.body.data,
                       k->req.body.len);
  rb_transport_request q = {k->req.method,    url.data,        &headers,
                            k->req.body.data, k->req.body.len, 0,
                            k->service,       k->operation,    k->params,
                            k->to->region,    k->to->set->id,  k->attempt};
  if (rb_transport_start(c->transport, &q, on_http_done, k, &err) != 0)
    attempt_fail_now(c, k, &err);
done:
  rb_headers_free(&headers);
  rb_buf_free(&url);
  rb_buf_free(&path);
}

/* The wait the operation's published rate (quotas.h) asks of this attempt on its
 * (credential set, region) target: 0 for an operation without one. Operations that share
 * their service's `*` entry get the same entry, hence the same bucket. */
static double op_limit_wait(call *k, double now) {
  const rb_rate *rate = rb_ratelimit_known(k->service, k->operation);
  if (!rate)
    return 0;
  op_limit *l = k->to->limits;
  while (l && l->rate != rate)
    l = l->next;
  if (!l) {
    l = calloc(1, sizeof *l);
    if (!l)
      return 0; /* out of memory: send unpaced (AWS may throttle) rather than fail */
    l->rate = rate;
    rb_bucket_init(&l->bucket, rate, now);
    l->next = k->to->limits;
    k->to->limits = l;
  }
  return rb_bucket_take(&l->bucket, now);
}

/* Counts a published-rate wait given to `k` and tells each of its waiters. */
static void note_paced(rb_client *c, call *k, double wait) {
  c->stats.paced++;
  c->stats.waited += wait;
  k->paced_wait += wait;
  if (c->cfg.paced)
    for (waiter *w = k->waiters; w; w = w->next)
      c->cfg.paced(w->ud, wait);
}

void client_start_due_attempts(rb_client *c) {
  double now = client_wall_now();
  call *next;
  for (call *k = c->active; k; k = next) {
    next = k->act_next; /* starting k may finish it at once (and take it off the list) */
    if (k->state != CALL_WAITING || k->not_before > now)
      continue;
    /* Adaptive mode's limiter and the operation's published rate hand out the send token
     * at once and say how long to wait; after the wait the attempt goes without asking
     * again. */
    if (!k->send_token && !c->offline) {
      double wait = rb_retry_before_send(&k->to->retry, now);
      double paced = op_limit_wait(k, now);
      if (paced > 0)
        note_paced(c, k, paced);
      if (paced > wait)
        wait = paced;
      k->send_token = 1;
      if (wait > 0) {
        k->not_before = now + wait;
        continue;
      }
    }
    k->send_token = 0;
    attempt_start(c, k);
  }
}

double client_next_due(const rb_client *c) {
  double due = -1;
  for (const call *k = c->active; k; k = k->act_next)
    if (k->state == CALL_WAITING && (due < 0 || k->not_before < due))
      due = k->not_before;
  return due;
}

static void schedule_retry(rb_client *c, call *k, double delay) {
  c->stats.retries++;
  k->state = CALL_WAITING;
  k->not_before = client_wall_now() + (c->offline ? 0 : delay);
}

void client_attempt_done(rb_client *c, call *k, int status, rb_headers *headers,
                         const char *body, size_t body_len,
                         const rb_error *transport_err) {
  rb_error e;
  rb_error_clear(&e);
  cJSON *result = NULL;
  client_record_exchange(c, k, status, headers, body, body_len, transport_err);
  if (transport_err)
    e = *transport_err;
  else if (rb_protocol_parse(k->service, k->operation, status, headers, body ? body : "",
                             body_len, &result, &e) == 0) {
    client_trace_response(c, k, status, headers, body, body_len, NULL);
    rb_retry_after_response(&k->to->retry, NULL, client_wall_now());
    rb_retry_on_success(&k->to->retry, k->quota_cost);
    client_finish(c, k, result, NULL);
    return;
  }
  client_trace_response(c, k, status, headers, body, body_len, &e);
  client_error_kind(&e, transport_err || e.status == 0 ? "transport" : "aws");
  rb_retry_mark(&e);
  rb_retry_after_response(&k->to->retry, &e, client_wall_now());
  /* A clock-skew error carries the server's Date: learn the offset, and the retry below
   * signs with the corrected clock, as the SDKs do. */
  rb_retry_correct_clock(&k->to->retry, &e,
                         headers ? rb_headers_get(headers, "Date") : NULL,
                         (long long)client_wall_now(), &k->to->clock_skew);
  double delay = 0;
  int cost = 0;
  if (rb_retry_should_retry(&k->to->retry, &e, k->attempt, client_random01(c), &delay,
                            &cost)) {
    k->quota_cost = cost;
    if (rb_retry_classify(&e) == RB_ERR_THROTTLE)
      c->stats.throttles++;
    schedule_retry(c, k, delay);
    return;
  }
  if (k->attempt > 1) {
    size_t n = strlen(e.message);
    snprintf(e.message + n, sizeof e.message - n, " (gave up after %d attempts)",
             k->attempt);
  }
  client_finish(c, k, NULL, &e);
}
