/* client_sign.c — the one way a request is addressed and signed, for calls
 * (client_attempt.c) and for the STS calls credentials need (client_auth.c).
 *
 * Uses sigv4.c. The URL and the signed path both carry the endpoint's base path, so
 * what is signed is exactly what is sent. Signing time is the wall clock plus the
 * target's learnt clock skew. It must never put a secret anywhere but the headers it
 * returns (which the trace and the recording redact or leave out). */
#include "client_internal.h"
#include "sigv4.h"

int client_build_url(const endpoint_entry *ep, const rb_proto_request *req, rb_buf *url,
                     rb_buf *path) {
  if (rb_buf_puts(path, ep->endpoint.base_path) != 0 ||
      rb_buf_puts(path, req->path.data ? req->path.data : "/") != 0)
    return -1;
  if (rb_buf_printf(url, "%s%s", ep->endpoint.url, path->data) != 0)
    return -1;
  if (req->query.len && rb_buf_printf(url, "?%s", req->query.data) != 0)
    return -1;
  return 0;
}

static int add_all(rb_headers *to, const rb_headers *from) {
  for (size_t i = 0; i < from->count; i++)
    if (rb_headers_add(to, from->items[i].name, from->items[i].value) != 0)
      return -1;
  return 0;
}

int client_sign(const endpoint_entry *ep, const rb_proto_request *req, const char *path,
                const rb_credentials *creds, long long skew, rb_headers *out,
                rb_error *err) {
  if (add_all(out, &req->headers) != 0 ||
      rb_headers_add(out, "Host", ep->endpoint.host) != 0)
    return rb_error_set(err, "OutOfMemory", "cannot build request headers");
  int rc = 0;
  if (creds) {
    rb_sigv4_request sr = {req->method, path,           req->query.data,
                           out,         req->body.data, req->body.len};
    rb_sigv4_credentials sc = {creds->access_key_id, creds->secret_access_key,
                               creds->session_token};
    rb_sigv4_params sp = {0};
    sp.region = ep->endpoint.signing_region;
    sp.service = ep->signing_name;
    sp.time = (long long)client_wall_now() + skew;
    sp.normalize_path = 1;
    sp.double_encode = 1;
    rb_sigv4_result res = {0};
    rc = rb_sigv4_sign(&sr, &sc, &sp, &res, err);
    if (rc == 0 && add_all(out, &res.add_headers) != 0)
      rc = rb_error_set(err, "OutOfMemory", "cannot build request headers");
    rb_sigv4_result_free(&res);
  }
  if (rc == 0 && rb_headers_add(out, "User-Agent", "runbook/" RB_VERSION) != 0)
    rc = rb_error_set(err, "OutOfMemory", "cannot build request headers");
  return rc;
}
