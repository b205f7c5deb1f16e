/* client_auth.c — where a call goes and who signs it: region, endpoints, credentials.
 *
 * Uses endpoint.c and credentials.c, giving the latter the process environment, the
 * clock, blocking HTTP for container/instance-metadata endpoints and a blocking STS call
 * (which signs with the source credentials it is handed, never with the client's own).
 * Results are cached for the run; credentials are refreshed when they come near expiry.
 */
#include "client_internal.h"
#include "model.h"
#include "sigv4.h"

#include <stdlib.h>
#include <string.h>

static const char *env_get(void *ud, const char *name) {
  return client_getenv(ud, name);
}

static long long env_now(void *ud) {
  (void)ud;
  return (long long)client_wall_now();
}

static int env_http(void *ud, const char *method, const char *url,
                    const rb_headers *headers, long timeout_ms, int *status, rb_buf *body,
                    rb_error *err) {
  rb_client *c = ud;
  rb_http_response resp;
  if (rb_http_fetch(c->http, method, url, headers, NULL, 0, timeout_ms, &resp, err) != 0)
    return -1;
  *status = resp.status;
  rb_buf_free(body);
  *body = resp.body;
  memset(&resp.body, 0, sizeof resp.body);
  rb_http_response_free(&resp);
  return 0;
}

static int sts_sign(rb_client *c, const endpoint_entry *ep, const rb_proto_request *req,
                    const rb_credentials *source, rb_headers *headers, rb_error *err) {
  for (size_t i = 0; i < req->headers.count; i++)
    if (rb_headers_add(headers, req->headers.items[i].name, req->headers.items[i].value))
      return rb_error_set(err, "OutOfMemory", "cannot build the STS request");
  if (rb_headers_add(headers, "Host", ep->endpoint.host) != 0)
    return rb_error_set(err, "OutOfMemory", "cannot build the STS request");
  if (!source) /* AssumeRoleWithWebIdentity is an unsigned call */
    return 0;
  rb_sigv4_request sr = {req->method, req->path.data, req->query.data,
                         headers,     req->body.data, req->body.len};
  rb_sigv4_credentials sc = {source->access_key_id, source->secret_access_key,
                             source->session_token};
  rb_sigv4_params sp = {0};
  sp.region = ep->endpoint.signing_region;
  sp.service = ep->signing_name;
  sp.time = (long long)client_wall_now() + c->clock_skew;
  sp.normalize_path = sp.double_encode = 1;
  rb_sigv4_result res = {0};
  int rc = rb_sigv4_sign(&sr, &sc, &sp, &res, err);
  for (size_t i = 0; rc == 0 && i < res.add_headers.count; i++)
    rc = rb_headers_add(headers, res.add_headers.items[i].name,
                        res.add_headers.items[i].value);
  rb_sigv4_result_free(&res);
  return rc;
}

static int env_sts(void *ud, const char *operation, const cJSON *params,
                   const rb_credentials *source, const char *region, cJSON **out,
                   rb_error *err) {
  rb_client *c = ud;
  (void)region; /* the client's region decides the STS endpoint */
  rb_proto_request req = {0};
  rb_headers headers = RB_HEADERS_INIT;
  rb_buf url = RB_BUF_INIT;
  rb_http_response resp = {0};
  int rc = -1;
  const endpoint_entry *ep = client_endpoint(c, "sts", err);
  if (!ep || rb_protocol_build("sts", operation, params, &req, err) != 0)
    goto done;
  if (sts_sign(c, ep, &req, source, &headers, err) != 0)
    goto done;
  if (rb_buf_printf(&url, "%s%s%s", ep->endpoint.url, ep->endpoint.base_path,
                    req.path.data ? req.path.data : "/") != 0)
    goto done;
  if (rb_http_fetch(c->http, req.method, url.data, &headers, req.body.data, req.body.len,
                    0, &resp, err) != 0)
    goto done;
  rc = rb_protocol_parse("sts", operation, resp.status, &resp.headers,
                         resp.body.data ? resp.body.data : "", resp.body.len, out, err);
done:
  rb_http_response_free(&resp); /* STS replies hold secrets: the buffer is wiped below */
  rb_proto_request_free(&req);
  rb_headers_free(&headers);
  rb_buf_free(&url);
  return rc;
}

void client_cred_env(rb_client *c, rb_cred_env *env) {
  memset(env, 0, sizeof *env);
  env->getenv = env_get;
  env->now = env_now;
  env->http = env_http;
  env->sts = env_sts;
  env->ud = c;
  env->region = c->region_checked ? c->region : NULL;
}

int client_resolve_region(rb_client *c, rb_error *err) {
  if (c->region)
    return 0;
  const char *r = client_getenv(c, "AWS_REGION");
  if (!r || !*r)
    r = client_getenv(c, "AWS_DEFAULT_REGION");
  rb_buf profile_region = RB_BUF_INIT;
  rb_cred_env env;
  client_cred_env(c, &env);
  if ((!r || !*r) &&
      rb_config_get(&env, c->profile, "region", &profile_region, NULL) == 1)
    r = profile_region.data;
  if ((!r || !*r) && c->replay) {
    const cJSON *rr = cJSON_GetObjectItemCaseSensitive(c->replay, "region");
    r = cJSON_IsString(rr) ? rr->valuestring : NULL;
  }
  if (r && *r)
    c->region = rb_strdup(r);
  rb_buf_free(&profile_region);
  if (!c->region)
    return rb_error_set(
        err, "NoRegion",
        "no AWS region: pass --region or set AWS_REGION (or 'region' in the "
        "profile)");
  return 0;
}

int client_ensure_credentials(rb_client *c, rb_error *err) {
  if (c->have_creds && !rb_credentials_expiring(&c->creds, (long long)client_wall_now()))
    return 0;
  rb_cred_env env;
  client_cred_env(c, &env);
  rb_credentials fresh = {0};
  if (rb_credentials_resolve(&env, c->profile, &fresh, err) != 0)
    return -1;
  rb_credentials_free(&c->creds);
  c->creds = fresh;
  c->have_creds = 1;
  return 0;
}

static int endpoint_lookup(rb_client *c, const char *service, endpoint_entry *e,
                           rb_error *err) {
  const rb_model *m = rb_model_load(service, err);
  if (!m)
    return -1;
  const rb_model_meta *info = rb_model_metadata(m);
  rb_cred_env env;
  client_cred_env(c, &env);
  rb_buf profile_url = RB_BUF_INIT;
  if (rb_config_get(&env, c->profile, "endpoint_url", &profile_url, err) < 0)
    return -1;
  rb_endpoint_input in = {0};
  in.endpoint_prefix = info->endpoint_prefix;
  in.service_id = info->service_id;
  in.region = c->region;
  in.explicit_url = c->endpoint_url;
  in.profile_url = profile_url.data;
  in.getenv = env_get;
  in.env_ud = c;
  int rc = rb_endpoint_resolve(&in, &e->endpoint, err);
  rb_buf_free(&profile_url);
  e->signing_name = rb_strdup(info->signing_name);
  return rc == 0 && e->signing_name ? 0 : -1;
}

const endpoint_entry *client_endpoint(rb_client *c, const char *service, rb_error *err) {
  for (endpoint_entry *e = c->endpoints; e; e = e->next)
    if (strcmp(e->service, service) == 0)
      return e;
  if (client_resolve_region(c, err) != 0)
    return NULL;
  endpoint_entry *e = calloc(1, sizeof *e);
  if (!e || !(e->service = rb_strdup(service)) ||
      endpoint_lookup(c, service, e, err) != 0) {
    if (e && !err->code[0])
      rb_error_set(err, "OutOfMemory", "cannot resolve the endpoint of '%s'", service);
    if (e) {
      free(e->service);
      free(e->signing_name);
    }
    free(e);
    return NULL;
  }
  e->next = c->endpoints;
  c->endpoints = e;
  return e;
}

void client_auth_free_endpoints(rb_client *c) {
  while (c->endpoints) {
    endpoint_entry *e = c->endpoints;
    c->endpoints = e->next;
    free(e->service);
    free(e->signing_name);
    free(e);
  }
}

void client_auth_free(rb_client *c) {
  client_auth_free_endpoints(c);
  rb_credentials_free(&c->creds);
}
