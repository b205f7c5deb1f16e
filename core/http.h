/* http.h — the transport: many HTTP requests in flight over one libcurl multi handle.
 *
 * Connections are reused across requests (the multi handle keeps one connection cache),
 * TLS is always verified (AWS_CA_BUNDLE names an extra CA file), proxies come from the
 * usual environment variables through libcurl. Completion is reported through a callback
 * from rb_http_run_once, never from rb_http_start, so callers can start a transfer while
 * holding state they will only look at after the loop turns. */
#ifndef RB_HTTP_H
#define RB_HTTP_H

#include "buf.h"
#include "error.h"
#include "header.h"

typedef struct rb_http rb_http;

typedef struct rb_http_options {
  long connect_timeout_ms; /* 0 → 3000 */
  long timeout_ms;         /* whole transfer; 0 → 60000 */
  const char *ca_bundle;   /* NULL → system store */
} rb_http_options;

typedef struct rb_http_response {
  int status;
  rb_headers headers; /* response headers of the final response (after 100-continue) */
  rb_buf body;
} rb_http_response;

/* Called once per transfer. On transport failure `err` is set (codes ConnectionError,
 * ConnectionReset, Timeout, TruncatedResponse, TLSError) and `resp` may be partial. The
 * callback may take ownership of resp's members by moving them out (zeroing them). */
typedef void (*rb_http_done_fn)(void *ud, rb_http_response *resp, const rb_error *err);

rb_http *rb_http_new(const rb_http_options *opts, rb_error *err);
void rb_http_free(rb_http *h);

/* Starts a request; the body is copied. Returns 0, or -1 with err set (nothing started).
 */
int rb_http_start(rb_http *h, const char *method, const char *url,
                  const rb_headers *headers, const void *body, size_t body_len,
                  long timeout_ms, rb_http_done_fn done, void *ud, rb_error *err);

/* Drives transfers for at most `max_wait_ms` (returns early when anything completes) and
 * calls the callbacks of completed transfers. Returns the number still in flight. */
int rb_http_run_once(rb_http *h, long max_wait_ms);
int rb_http_in_flight(const rb_http *h);

/* Blocking convenience for credential endpoints: one request, run to completion. Other
 * transfers in flight make progress meanwhile and complete through their own callbacks.
 */
int rb_http_fetch(rb_http *h, const char *method, const char *url,
                  const rb_headers *headers, const void *body, size_t body_len,
                  long timeout_ms, rb_http_response *out, rb_error *err);

void rb_http_response_free(rb_http_response *r);

#endif
