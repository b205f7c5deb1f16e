/* client_deliver.c — finishing calls and handing their results to every waiter.
 *
 * A finished call keeps its result (for later identical reads, within CLIENT_KEEP_BYTES:
 * the least recently shared are forgotten first) and queues one delivery per waiter;
 * rb_client_run_once delivers them, each with its own copy. Uses cJSON. It must never run
 * a completion callback from client_finish: only from client_deliver_all, so no callback
 * ever runs inside rb_client_call. */
#include "client_internal.h"

#include <stdlib.h>
#include <string.h>

void client_queue_delivery(rb_client *c, call *k, waiter *w) {
  delivery *d = calloc(1, sizeof *d);
  if (!d) {
    free(w); /* nothing sensible is left to do; the caller's task stays parked */
    return;
  }
  k->pending++;
  d->call = k;
  d->waiter = w;
  *c->deliveries_tail = d;
  c->deliveries_tail = &d->next;
}

void client_active_add(rb_client *c, call *k) {
  k->act_prev = NULL;
  k->act_next = c->active;
  if (c->active)
    c->active->act_prev = k;
  c->active = k;
  k->in_active = 1;
  c->nactive++;
}

void client_active_remove(rb_client *c, call *k) {
  if (!k->in_active)
    return;
  if (k->act_prev)
    k->act_prev->act_next = k->act_next;
  else
    c->active = k->act_next;
  if (k->act_next)
    k->act_next->act_prev = k->act_prev;
  k->act_prev = k->act_next = NULL;
  k->in_active = 0;
  c->nactive--;
}

void client_finish(rb_client *c, call *k, cJSON *result, const rb_error *err) {
  client_active_remove(c, k);
  k->state = CALL_DONE;
  k->result = result;
  /* The request is sent for good: only the key (for sharing) and the result stay. A
   * fleet triage makes thousands of calls; their bodies need not live until exit. */
  rb_proto_request_free(&k->req);
  if (err)
    k->err = *err;
  else
    rb_error_clear(&k->err);
  if (err && k->write && err->status >= 400 && err->status < 500)
    client_scope_refund(c, k->approval_scope, k->approval); /* AWS changed nothing */
  if (result && !k->write)
    client_keep_result(c, k);
  while (k->waiters) {
    waiter *w = k->waiters;
    k->waiters = w->next;
    client_queue_delivery(c, k, w);
  }
}

/* An identical read in flight or done is shared, except one that ended in a retryable
 * error (throttled, 5xx, reset): asking again must send a new request, so a caller can
 * retry a read after the standard retries gave up. */
int client_deliver_all(rb_client *c) {
  int n = 0;
  while (c->deliveries) {
    delivery *d = c->deliveries;
    c->deliveries = d->next;
    if (!c->deliveries)
      c->deliveries_tail = &c->deliveries;
    call *k = d->call;
    cJSON *copy = k->result ? cJSON_Duplicate(k->result, 1) : NULL;
    rb_error oom;
    const rb_error *e = k->result ? NULL : &k->err;
    if (k->result && !copy) {
      rb_error_set(&oom, "OutOfMemory", "cannot copy the result of %s %s", k->service,
                   k->operation);
      e = &oom;
    }
    d->waiter->done(d->waiter->ud, copy, e);
    k->pending--;
    free(d->waiter);
    free(d);
    n++;
  }
  return n;
}

/* The least recently used kept result that nothing is waiting for, or NULL. */
static call *least_recent(rb_client *c) {
  call *best = NULL;
  for (call *k = c->calls; k; k = k->next)
    if (k->state == CALL_DONE && k->result && !k->write && !k->forgotten && !k->pending &&
        !k->waiters && (!best || k->used < best->used))
      best = k;
  return best;
}

void client_keep_result(rb_client *c, call *k) {
  if (!k->cost) {
    char *text = cJSON_PrintUnformatted(k->result);
    /* a parsed tree takes several times its text; a small floor for the record itself */
    k->cost = 256 + (text ? 4 * strlen(text) : 0);
    free(text);
    c->kept_bytes += k->cost;
  }
  k->used = ++c->tick;
  while (c->kept_bytes > CLIENT_KEEP_BYTES) {
    call *old = least_recent(c);
    if (!old || old == k)
      break;
    cJSON_Delete(old->result);
    old->result = NULL;
    old->forgotten = 1; /* a later identical read is sent again */
    c->kept_bytes -= old->cost;
    free(old->params); /* the request is sent and the record written: only the name stays
                        */
    old->params = NULL;
  }
}
