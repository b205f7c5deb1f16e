/* client_deliver.c — finishing calls and handing their results to every waiter.
 *
 * A finished call keeps its result (for later identical reads) and queues one delivery
 * per waiter; rb_client_run_once delivers them, each with its own copy. Uses cJSON. It
 * must never run a completion callback from client_finish: only from
 * client_deliver_all, so no callback ever runs inside rb_client_call. */
#include "client_internal.h"

#include <stdlib.h>

void client_queue_delivery(rb_client *c, call *k, waiter *w) {
  delivery *d = calloc(1, sizeof *d);
  if (!d) {
    free(w); /* nothing sensible is left to do; the caller's task stays parked */
    return;
  }
  d->call = k;
  d->waiter = w;
  *c->deliveries_tail = d;
  c->deliveries_tail = &d->next;
}

void client_finish(rb_client *c, call *k, cJSON *result, const rb_error *err) {
  k->state = CALL_DONE;
  k->result = result;
  if (err)
    k->err = *err;
  else
    rb_error_clear(&k->err);
  if (err && k->write && err->status >= 400 && err->status < 500)
    client_scope_refund(c, k->approval_scope, k->approval); /* AWS changed nothing */
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
    free(d->waiter);
    free(d);
    n++;
  }
  return n;
}
