/* http.c — HTTP transport over one libcurl multi handle (see http.h).
 *
 * Also the network implementation of transport.h. Uses libcurl, and interrupt.h so a
 * blocking fetch stops on Ctrl-C. It knows nothing of AWS: it sends the method, URL,
 * headers and body it is given and hands back status, headers and body. It must never
 * follow redirects, never turn off certificate checks, and never log a header
 * (Authorization passes through here). */
#include "http.h"
#include "interrupt.h"
#include "transport.h"

#include <curl/curl.h>
#include <stdlib.h>
#include <string.h>

struct rb_http {
  CURLM *multi;
  rb_http_options opts;
  char *ca_bundle;
  int in_flight;
  struct transfer
      *active; /* every transfer in flight, so rb_http_free can release them */
};

typedef struct transfer {
  struct transfer *prev, *next;
  CURL *easy;
  struct curl_slist *headers;
  rb_buf request_body;
  rb_http_response response;
  rb_http_done_fn done;
  void *ud;
  int header_failed;
  char curl_error[CURL_ERROR_SIZE];
} transfer;

static int http_global_init(void) {
  static int initialized;
  if (!initialized) {
    if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK)
      return -1;
    initialized = 1;
  }
  return 0;
}

rb_http *rb_http_new(const rb_http_options *opts, rb_error *err) {
  if (http_global_init() != 0) {
    rb_error_set(err, "TransportError", "cannot initialize libcurl");
    return NULL;
  }
  rb_http *h = calloc(1, sizeof *h);
  if (!h || !(h->multi = curl_multi_init())) {
    free(h);
    rb_error_set(err, "TransportError", "cannot create the HTTP client: out of memory");
    return NULL;
  }
  if (opts)
    h->opts = *opts;
  if (h->opts.connect_timeout_ms <= 0)
    h->opts.connect_timeout_ms = 3000;
  if (h->opts.timeout_ms <= 0)
    h->opts.timeout_ms = 60000;
  h->ca_bundle = rb_strdup(h->opts.ca_bundle);
  h->opts.ca_bundle = h->ca_bundle;
  curl_multi_setopt(h->multi, CURLMOPT_MAXCONNECTS, 64L);
  return h;
}

static void transfer_free(transfer *t) {
  if (!t)
    return;
  if (t->easy)
    curl_easy_cleanup(t->easy);
  curl_slist_free_all(t->headers);
  rb_buf_free(&t->request_body);
  rb_http_response_free(&t->response);
  free(t);
}

void rb_http_response_free(rb_http_response *r) {
  rb_headers_free(&r->headers);
  rb_buf_free_secure(&r->body); /* credential endpoints answer with secrets */
  r->status = 0;
}

static size_t on_body(char *data, size_t size, size_t n, void *ud) {
  transfer *t = ud;
  return rb_buf_append(&t->response.body, data, size * n) == 0 ? size * n : 0;
}

/* Header lines arrive one at a time, including each status line; a new status line (after
 * "100 Continue") starts the header list afresh so only the final response's remain. */
static size_t on_header(char *data, size_t size, size_t n, void *ud) {
  transfer *t = ud;
  size_t len = size * n;
  if (len >= 5 && memcmp(data, "HTTP/", 5) == 0) {
    rb_headers_free(&t->response.headers);
    return len;
  }
  const char *colon = memchr(data, ':', len);
  if (!colon)
    return len;
  size_t name_len = (size_t)(colon - data);
  const char *v = colon + 1, *end = data + len;
  while (v < end && (*v == ' ' || *v == '\t'))
    v++;
  while (end > v && (end[-1] == '\r' || end[-1] == '\n' || end[-1] == ' '))
    end--;
  char *name = rb_strndup(data, name_len), *value = rb_strndup(v, (size_t)(end - v));
  if (!name || !value || rb_headers_add(&t->response.headers, name, value) != 0)
    t->header_failed = 1;
  free(name);
  free(value);
  return len;
}

static int transfer_set_method(transfer *t, const char *method) {
  CURL *e = t->easy;
  if (strcmp(method, "HEAD") == 0)
    return curl_easy_setopt(e, CURLOPT_NOBODY, 1L) == CURLE_OK ? 0 : -1;
  if (strcmp(method, "GET") == 0 && t->request_body.len == 0)
    return curl_easy_setopt(e, CURLOPT_HTTPGET, 1L) == CURLE_OK ? 0 : -1;
  curl_easy_setopt(e, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)t->request_body.len);
  curl_easy_setopt(e, CURLOPT_COPYPOSTFIELDS,
                   t->request_body.len ? t->request_body.data : "");
  if (strcmp(method, "POST") != 0)
    curl_easy_setopt(e, CURLOPT_CUSTOMREQUEST, method);
  return 0;
}

static int transfer_set_headers(transfer *t, const rb_headers *headers) {
  rb_buf line = RB_BUF_INIT;
  int rc = 0;
  /* Turn off curl's own Expect and Accept headers: AWS needs neither, and every header
   * sent should be one the caller chose (and maybe signed). */
  const char *defaults[] = {"Expect:", "Accept:"};
  for (size_t i = 0; i < 2 && rc == 0; i++) {
    struct curl_slist *s = curl_slist_append(t->headers, defaults[i]);
    rc = s ? (t->headers = s, 0) : -1;
  }
  for (size_t i = 0; headers && i < headers->count && rc == 0; i++) {
    rb_buf_reset(&line);
    const rb_header *hd = &headers->items[i];
    /* "Name;" sends a header with an empty value; "Name:" would remove it. */
    if (hd->value[0] ? rb_buf_printf(&line, "%s: %s", hd->name, hd->value)
                     : rb_buf_printf(&line, "%s;", hd->name)) {
      rc = -1;
      break;
    }
    struct curl_slist *s = curl_slist_append(t->headers, line.data);
    rc = s ? (t->headers = s, 0) : -1;
  }
  rb_buf_free_secure(&line);
  return rc;
}

static int transfer_configure(rb_http *h, transfer *t, const char *method,
                              const char *url, long timeout_ms) {
  CURL *e = t->easy;
  curl_easy_setopt(e, CURLOPT_URL, url);
  curl_easy_setopt(e, CURLOPT_NOSIGNAL, 1L);
  curl_easy_setopt(e, CURLOPT_FOLLOWLOCATION, 0L);
  curl_easy_setopt(e, CURLOPT_SSL_VERIFYPEER, 1L);
  curl_easy_setopt(e, CURLOPT_SSL_VERIFYHOST, 2L);
  if (h->opts.ca_bundle)
    curl_easy_setopt(e, CURLOPT_CAINFO, h->opts.ca_bundle);
  curl_easy_setopt(e, CURLOPT_CONNECTTIMEOUT_MS, h->opts.connect_timeout_ms);
  curl_easy_setopt(e, CURLOPT_TIMEOUT_MS,
                   timeout_ms > 0 ? timeout_ms : h->opts.timeout_ms);
  curl_easy_setopt(e, CURLOPT_WRITEFUNCTION, on_body);
  curl_easy_setopt(e, CURLOPT_WRITEDATA, t);
  curl_easy_setopt(e, CURLOPT_HEADERFUNCTION, on_header);
  curl_easy_setopt(e, CURLOPT_HEADERDATA, t);
  curl_easy_setopt(e, CURLOPT_ERRORBUFFER, t->curl_error);
  curl_easy_setopt(e, CURLOPT_PRIVATE, t);
  curl_easy_setopt(e, CURLOPT_HTTPHEADER, t->headers);
  return transfer_set_method(t, method);
}

int rb_http_start(rb_http *h, const char *method, const char *url,
                  const rb_headers *headers, const void *body, size_t body_len,
                  long timeout_ms, rb_http_done_fn done, void *ud, rb_error *err) {
  transfer *t = calloc(1, sizeof *t);
  if (!t || !(t->easy = curl_easy_init()))
    goto fail;
  t->done = done;
  t->ud = ud;
  if (rb_buf_append(&t->request_body, body ? body : "", body ? body_len : 0) != 0 ||
      transfer_set_headers(t, headers) != 0 ||
      transfer_configure(h, t, method, url, timeout_ms) != 0)
    goto fail;
  if (curl_multi_add_handle(h->multi, t->easy) != CURLM_OK)
    goto fail;
  t->next = h->active;
  if (h->active)
    h->active->prev = t;
  h->active = t;
  h->in_flight++;
  return 0;
fail:
  transfer_free(t);
  return rb_error_set(err, "TransportError", "cannot start %s request: out of memory",
                      method);
}

static void transfer_error(transfer *t, CURLcode rc, rb_error *err) {
  const char *code = "ConnectionError";
  switch (rc) {
    case CURLE_OPERATION_TIMEDOUT:
      code = "Timeout";
      break;
    case CURLE_GOT_NOTHING:
    case CURLE_RECV_ERROR:
    case CURLE_SEND_ERROR:
      code = "ConnectionReset";
      break;
    case CURLE_PARTIAL_FILE:
      code = "TruncatedResponse";
      break;
    case CURLE_PEER_FAILED_VERIFICATION:
    case CURLE_SSL_CONNECT_ERROR:
    case CURLE_SSL_CACERT_BADFILE:
    case CURLE_SSL_CERTPROBLEM:
      code = "TLSError";
      break;
    default:
      break;
  }
  char *url = NULL;
  curl_easy_getinfo(t->easy, CURLINFO_EFFECTIVE_URL, &url);
  rb_error_set(err, code, "request to '%s' failed: %s", url ? url : "?",
               t->curl_error[0] ? t->curl_error : curl_easy_strerror(rc));
}

static void transfer_unlink(rb_http *h, transfer *t) {
  if (t->prev)
    t->prev->next = t->next;
  else
    h->active = t->next;
  if (t->next)
    t->next->prev = t->prev;
  h->in_flight--;
}

static void transfer_finish(rb_http *h, transfer *t, CURLcode rc) {
  rb_error err;
  rb_error_clear(&err);
  long status = 0;
  curl_easy_getinfo(t->easy, CURLINFO_RESPONSE_CODE, &status);
  t->response.status = (int)status;
  curl_multi_remove_handle(h->multi, t->easy);
  transfer_unlink(h, t);
  if (rc != CURLE_OK)
    transfer_error(t, rc, &err);
  else if (t->header_failed)
    rb_error_set(&err, "TransportError", "cannot store response headers: out of memory");
  if (t->done)
    t->done(t->ud, &t->response, err.code[0] ? &err : NULL);
  transfer_free(t);
}

static int collect_completed(rb_http *h) {
  int finished = 0, left = 0;
  CURLMsg *msg;
  while ((msg = curl_multi_info_read(h->multi, &left))) {
    if (msg->msg != CURLMSG_DONE)
      continue;
    transfer *t = NULL;
    CURLcode rc = msg->data.result;
    curl_easy_getinfo(msg->easy_handle, CURLINFO_PRIVATE, (char **)&t);
    transfer_finish(h, t, rc);
    finished++;
  }
  return finished;
}

int rb_http_run_once(rb_http *h, long max_wait_ms) {
  int running = 0;
  curl_multi_perform(h->multi, &running);
  if (collect_completed(h) == 0 && h->in_flight > 0 && max_wait_ms > 0) {
    curl_multi_poll(h->multi, NULL, 0, (int)max_wait_ms, NULL);
    curl_multi_perform(h->multi, &running);
    collect_completed(h);
  }
  return h->in_flight;
}

int rb_http_in_flight(const rb_http *h) {
  return h->in_flight;
}

typedef struct fetch_state {
  int done;
  rb_http_response *out;
  rb_error *err;
} fetch_state;

static void fetch_done(void *ud, rb_http_response *resp, const rb_error *err) {
  fetch_state *s = ud;
  s->done = 1;
  *s->out = *resp;
  memset(resp, 0, sizeof *resp);
  if (err && s->err)
    *s->err = *err;
}

/* Removes the transfers whose callback data is `ud`, without calling them back. */
static void abandon(rb_http *h, void *ud) {
  for (transfer *t = h->active, *next; t; t = next) {
    next = t->next;
    if (t->ud != ud)
      continue;
    curl_multi_remove_handle(h->multi, t->easy);
    transfer_unlink(h, t);
    transfer_free(t);
  }
}

int rb_http_fetch(rb_http *h, const char *method, const char *url,
                  const rb_headers *headers, const void *body, size_t body_len,
                  long timeout_ms, rb_http_response *out, rb_error *err) {
  rb_error local;
  rb_error_clear(&local);
  fetch_state s = {0, out, &local};
  memset(out, 0, sizeof *out);
  if (rb_http_start(h, method, url, headers, body, body_len, timeout_ms, fetch_done, &s,
                    err))
    return -1;
  while (!s.done) {
    if (rb_interrupted()) { /* Ctrl-C: give up the wait, drop the transfer */
      abandon(h, &s);
      return rb_error_set(err, "Interrupted", "interrupted while waiting for '%s'", url);
    }
    rb_http_run_once(h, 100);
  }
  if (local.code[0]) {
    if (err)
      *err = local;
    return -1;
  }
  return 0;
}

void rb_http_free(rb_http *h) {
  if (!h)
    return;
  /* Transfers still in flight are abandoned without their callbacks. */
  while (h->active) {
    transfer *t = h->active;
    curl_multi_remove_handle(h->multi, t->easy);
    transfer_unlink(h, t);
    transfer_free(t);
  }
  curl_multi_cleanup(h->multi);
  free(h->ca_bundle);
  free(h);
}

/* ---- the network transport (transport.h) ---- */

static int transport_start(void *self, const rb_transport_request *q,
                           rb_http_done_fn done, void *ud, rb_error *err) {
  return rb_http_start(self, q->method, q->url, q->headers, q->body, q->body_len,
                       q->timeout_ms, done, ud, err);
}

static int transport_run_once(void *self, long max_wait_ms) {
  return rb_http_run_once(self, max_wait_ms);
}

static void transport_cancel(void *self, void *ud) {
  abandon(self, ud);
}

static void transport_free(void *self) {
  rb_http_free(self);
}

static const rb_transport_ops http_ops = {"http", transport_start, transport_run_once,
                                          transport_cancel, transport_free};

rb_transport *rb_http_transport_new(rb_http *h, rb_error *err) {
  rb_transport *t = calloc(1, sizeof *t);
  if (!t) {
    rb_http_free(h);
    rb_error_set(err, "OutOfMemory", "cannot start the HTTP transport: out of memory");
    return NULL;
  }
  t->ops = &http_ops;
  t->self = h;
  return t;
}
