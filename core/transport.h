/* transport.h — how an attempt of a call is answered: one interface, two implementations.
 *
 *   http.c    rb_http_transport_new: over the network (libcurl multi), see http.h
 *   replay.c  rb_replay_open: from a recording (docs/recording.md), with no network
 *
 * The client starts attempts and turns the loop; neither implementation knows the
 * client. Completion is reported through the callback from run_once, never from start,
 * so the caller may start an attempt while holding state it looks at only after the loop
 * turns. Observers (--record, --debug) live in the client, not here.
 *
 * An offline transport (replay) answers from what was recorded: the client then neither
 * resolves credentials nor signs, and waits for no back-off or rate limiter. It also
 * brings the recorded reference time and region. */
#ifndef RB_TRANSPORT_H
#define RB_TRANSPORT_H

#include "http.h"

#include <stdlib.h>

/* One attempt: the HTTP request, and what the call is (for a transport that answers by
 * identity, as replay does). Everything is borrowed for the duration of start. */
typedef struct rb_transport_request {
  const char *method;
  const char *url;
  const rb_headers *headers;
  const char *body;
  size_t body_len;
  long timeout_ms; /* 0: the transport's default */
  const char *service;
  const char *operation;
  const char *params;      /* the parameters as canonical JSON (rb_json_canonical) */
  const char *region;      /* where the call goes */
  const char *credentials; /* the public id of the credential set that signs it */
  int attempt;             /* 1, 2, ... */
} rb_transport_request;

typedef struct rb_transport_ops {
  const char *name; /* "http", "replay" */
  /* 0 when started (done runs later, from run_once, exactly once), or -1 with err set
   * (nothing started, done will not run). */
  int (*start)(void *self, const rb_transport_request *req, rb_http_done_fn done,
               void *ud, rb_error *err);
  /* Delivers what completed, waiting at most max_wait_ms when nothing is ready; returns
   * how many attempts are still unanswered. */
  int (*run_once)(void *self, long max_wait_ms);
  /* Drops the attempts started with `ud`, without calling them back. */
  void (*cancel)(void *self, void *ud);
  void (*free)(void *self); /* drops every attempt still open, without callbacks */
} rb_transport_ops;

typedef struct rb_transport {
  const rb_transport_ops *ops;
  void *self;
  int offline;        /* answers from a recording: no credentials, signing or pacing */
  long long run_time; /* offline: the recorded reference time (epoch seconds) */
  const char *region; /* offline: the recorded region, owned by self; else NULL */
} rb_transport;

static inline int rb_transport_start(rb_transport *t, const rb_transport_request *req,
                                     rb_http_done_fn done, void *ud, rb_error *err) {
  return t->ops->start(t->self, req, done, ud, err);
}

static inline int rb_transport_run_once(rb_transport *t, long max_wait_ms) {
  return t->ops->run_once(t->self, max_wait_ms);
}

static inline void rb_transport_cancel(rb_transport *t, void *ud) {
  t->ops->cancel(t->self, ud);
}

/* Frees the transport and what it owns; NULL is fine. */
static inline void rb_transport_free(rb_transport *t) {
  if (t) {
    t->ops->free(t->self);
    free(t);
  }
}

/* The network transport over `h`, which it owns from then on (freed with it). NULL with
 * err set when memory runs out (h is freed then too). */
rb_transport *rb_http_transport_new(rb_http *h, rb_error *err);

/* The replay transport: loads and checks the recording at `path`. NULL with err
 * (ReplayFailed) when it cannot be read or is not a recording. */
rb_transport *rb_replay_open(const char *path, rb_error *err);

#endif
