/* client_auth.c — where a call goes and who signs it: credential sets, (set, region)
 * targets, the run's region, endpoints, credentials.
 *
 * Uses endpoint.c and credentials.c, giving the latter the process environment, the
 * clock, blocking HTTP for container/instance-metadata endpoints and a blocking STS call
 * (which signs with the source credentials it is handed, never with the client's own).
 * Sets and targets are made on first use and kept for the run; credentials are resolved
 * once per set and refreshed when they come near expiry. It must never put a secret into
 * a set's public id or an error message.
 */
#include "client_internal.h"
#include "model.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char *client_env_get(void *ud, const char *name) {
  return client_getenv(ud, name);
}

static const char *target_env_get(void *ud, const char *name) {
  return client_getenv(((target *)ud)->client, name);
}

static long long env_now(void *ud) {
  (void)ud;
  return (long long)client_wall_now();
}

static int env_http(void *ud, const char *method, const char *url,
                    const rb_headers *headers, long timeout_ms, int *status, rb_buf *body,
                    rb_error *err) {
  rb_client *c = ((target *)ud)->client;
  rb_http_response resp;
  if (!c->http)
    return rb_error_set(err, "Offline", "cannot reach '%s': the run replays a recording",
                        url);
  if (rb_http_fetch(c->http, method, url, headers, NULL, 0, timeout_ms, &resp, err) != 0)
    return -1;
  *status = resp.status;
  rb_buf_free(body);
  *body = resp.body;
  memset(&resp.body, 0, sizeof resp.body);
  rb_http_response_free(&resp);
  return 0;
}

static int env_sts(void *ud, const char *operation, const cJSON *params,
                   const rb_credentials *source, const char *region, cJSON **out,
                   rb_error *err) {
  target *t = ud;
  (void)region; /* the target's region decides the STS endpoint */
  rb_proto_request req = {0};
  rb_headers headers = RB_HEADERS_INIT;
  rb_buf url = RB_BUF_INIT, path = RB_BUF_INIT;
  rb_http_response resp = {0};
  int rc = -1;
  const endpoint_entry *ep = client_endpoint(t, "sts", err);
  if (!t->client->http) {
    rb_error_set(err, "Offline", "cannot call STS: the run replays a recording");
    goto done;
  }
  if (!ep || rb_protocol_build("sts", operation, params, &req, err) != 0)
    goto done;
  if (client_build_url(ep, &req, &url, &path) != 0) {
    rb_error_set(err, "OutOfMemory", "cannot build the STS request");
    goto done;
  }
  /* AssumeRoleWithWebIdentity goes unsigned (source is NULL) */
  if (client_sign(ep, &req, path.data, source, t->clock_skew, &headers, err) != 0)
    goto done;
  if (rb_http_fetch(t->client->http, req.method, url.data, &headers, req.body.data,
                    req.body.len, 0, &resp, err) != 0)
    goto done;
  rc = rb_protocol_parse("sts", operation, resp.status, &resp.headers,
                         resp.body.data ? resp.body.data : "", resp.body.len, out, err);
done:
  rb_http_response_free(&resp); /* STS replies hold secrets: the buffer is wiped below */
  rb_proto_request_free(&req);
  rb_headers_free(&headers);
  rb_buf_free(&url);
  rb_buf_free(&path);
  return rc;
}

void client_cred_env(rb_client *c, target *t, rb_cred_env *env) {
  memset(env, 0, sizeof *env);
  env->now = env_now;
  if (!t) { /* configuration reads only: the environment, no network */
    env->getenv = client_env_get;
    env->ud = c;
    return;
  }
  env->getenv = target_env_get;
  env->http = env_http;
  env->sts = env_sts;
  env->ud = t;
  env->region = t->region;
}

int client_resolve_region(rb_client *c, rb_error *err) {
  if (c->region)
    return 0;
  const char *r = client_getenv(c, "AWS_REGION");
  if (!r || !*r)
    r = client_getenv(c, "AWS_DEFAULT_REGION");
  rb_buf profile_region = RB_BUF_INIT;
  rb_cred_env env;
  client_cred_env(c, NULL, &env);
  if ((!r || !*r) &&
      rb_config_get(&env, c->profile, "region", &profile_region, NULL) == 1)
    r = profile_region.data;
  if (!r || !*r)
    r = c->transport->region; /* a replay's recorded region */
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

/* ---- credential sets ---- */

static void set_free(cred_set *s) {
  free(s->id);
  free(s->match);
  free(s->profile);
  free(s->role_arn);
  free(s->external_id);
  free(s->session_name);
  rb_credentials_free(&s->creds);
  free(s);
}

static cred_set *set_find(rb_client *c, const char *match) {
  for (cred_set *s = c->sets; s; s = s->next)
    if (strcmp(s->match, match) == 0)
      return s;
  return NULL;
}

/* The set of a profile (NULL: the run's own chain), made on first use. */
static cred_set *base_set(rb_client *c, const char *profile, rb_error *err) {
  rb_buf id = RB_BUF_INIT;
  if (profile)
    rb_buf_printf(&id, "profile:%s", profile);
  else
    rb_buf_puts(&id, "default");
  cred_set *s = id.data ? set_find(c, id.data) : NULL;
  if (s || !id.data) {
    rb_buf_free(&id);
    if (!s)
      rb_error_set(err, "OutOfMemory", "cannot make a credential set: out of memory");
    return s;
  }
  s = calloc(1, sizeof *s);
  if (!s || !(s->match = rb_strdup(id.data)) ||
      (profile && !(s->profile = rb_strdup(profile)))) {
    rb_buf_free(&id);
    if (s)
      set_free(s);
    rb_error_set(err, "OutOfMemory", "cannot make a credential set: out of memory");
    return NULL;
  }
  s->id = rb_buf_detach(&id);
  s->next = c->sets;
  c->sets = s;
  return s;
}

static int dup_field(char **dst, const char *src) {
  if (!src)
    return 0;
  return (*dst = rb_strdup(src)) ? 0 : -1;
}

static cred_set *role_set(rb_client *c, cred_set *source, const rb_client_target *to,
                          rb_error *err) {
  rb_buf id = RB_BUF_INIT, match = RB_BUF_INIT;
  rb_buf_printf(&id, "role:%s", to->role_arn);
  if (source->profile)
    rb_buf_printf(&id, "@%s", source->id);
  rb_buf_printf(&match, "%s\n%s\n%s", id.data ? id.data : "",
                to->external_id ? to->external_id : "",
                to->session_name ? to->session_name : "");
  cred_set *s = match.data ? set_find(c, match.data) : NULL;
  if (s) {
    rb_buf_free(&id);
    rb_buf_free(&match);
    return s;
  }
  s = calloc(1, sizeof *s);
  if (!s || !id.data || !match.data || dup_field(&s->profile, source->profile) ||
      dup_field(&s->role_arn, to->role_arn) ||
      dup_field(&s->external_id, to->external_id) ||
      dup_field(&s->session_name, to->session_name)) {
    rb_buf_free(&id);
    rb_buf_free(&match);
    if (s)
      set_free(s);
    rb_error_set(err, "OutOfMemory", "cannot make a credential set: out of memory");
    return NULL;
  }
  s->id = rb_buf_detach(&id);
  s->match = rb_buf_detach(&match);
  s->source = source;
  s->next = c->sets;
  c->sets = s;
  return s;
}

static int usage(rb_error *err) {
  snprintf(err->kind, sizeof err->kind, "usage");
  return -1;
}

/* The options make sense together; a profile equal to --profile is the run's own set. */
static int check_target(const rb_client *c, const rb_client_target *to,
                        const char **profile, rb_error *err) {
  *profile = to->source_profile ? to->source_profile : to->profile;
  if (to->source_profile && !to->role_arn)
    rb_error_set(err, "InvalidParameter",
                 "source_profile '%s' needs role_arn: it names the profile that "
                 "assumes the role",
                 to->source_profile);
  else if (to->source_profile && to->profile &&
           strcmp(to->profile, to->source_profile) != 0)
    rb_error_set(err, "InvalidParameter",
                 "profile '%s' and source_profile '%s' differ: give one of them",
                 to->profile, to->source_profile);
  else if (!to->role_arn && (to->external_id || to->session_name))
    rb_error_set(err, "InvalidParameter",
                 "%s is only used with role_arn: add the role to assume",
                 to->external_id ? "external_id" : "session_name");
  else if (to->role_arn && !rb_role_arn_valid(to->role_arn))
    rb_error_set(err, "InvalidParameter",
                 "role_arn '%s' is not an IAM role ARN: give "
                 "arn:aws:iam::<account>:role/<name>",
                 to->role_arn);
  else if (*profile && !**profile)
    rb_error_set(err, "InvalidParameter",
                 "the profile name is empty: name a profile of ~/.aws/config or leave "
                 "it out");
  else {
    if (*profile && c->profile && strcmp(*profile, c->profile) == 0)
      *profile = NULL;
    return 0;
  }
  return usage(err);
}

static cred_set *target_set(rb_client *c, const rb_client_target *to, rb_error *err) {
  const char *profile = NULL;
  if (to && check_target(c, to, &profile, err) != 0)
    return NULL;
  cred_set *base = base_set(c, profile, err);
  if (!base || !to || !to->role_arn)
    return base;
  return role_set(c, base, to, err);
}

/* ---- targets ---- */

target *client_target(rb_client *c, const rb_client_target *to, rb_error *err) {
  char region[64];
  if (to && to->region) {
    if (rb_region_resolve(to->region, NULL, NULL, NULL, region, sizeof region, NULL,
                          err) != 0) {
      usage(err);
      return NULL;
    }
  } else if (client_resolve_region(c, err) != 0) {
    return NULL;
  } else {
    snprintf(region, sizeof region, "%s", c->region);
  }
  cred_set *s = target_set(c, to, err);
  if (!s)
    return NULL;
  for (target *t = c->targets; t; t = t->next)
    if (t->set == s && strcmp(t->region, region) == 0)
      return t;
  target *t = calloc(1, sizeof *t);
  if (!t || !(t->region = rb_strdup(region))) {
    free(t);
    rb_error_set(err, "OutOfMemory", "cannot make a client for %s: out of memory",
                 region);
    return NULL;
  }
  t->client = c;
  t->set = s;
  rb_retry_state_init(&t->retry, &c->retry_cfg);
  t->next = c->targets;
  c->targets = t;
  return t;
}

/* ---- credentials ---- */

static int set_ensure(target *t, cred_set *s, rb_error *err) {
  rb_client *c = t->client;
  if (s->have_creds && !rb_credentials_expiring(&s->creds, (long long)client_wall_now()))
    return 0;
  rb_cred_env env;
  client_cred_env(c, t, &env);
  rb_credentials fresh = RB_CREDENTIALS_INIT;
  if (s->role_arn) {
    char who[192];
    if (s->source->profile)
      snprintf(who, sizeof who, "profile '%.150s'", s->source->profile);
    else
      snprintf(who, sizeof who, "the run's credentials");
    rb_assume_role role = {s->role_arn, s->external_id, s->session_name, who};
    if (set_ensure(t, s->source, err) != 0 ||
        rb_credentials_assume_role(&env, &s->source->creds, &role, &fresh, err) != 0)
      return -1;
  } else if (rb_credentials_resolve(&env, s->profile ? s->profile : c->profile, &fresh,
                                    err) != 0) {
    return -1;
  }
  rb_credentials_free(&s->creds);
  s->creds = fresh;
  s->have_creds = 1;
  return 0;
}

int client_ensure_credentials(target *t, rb_error *err) {
  return set_ensure(t, t->set, err);
}

/* ---- endpoints ---- */

static int endpoint_lookup(target *t, const char *service, endpoint_entry *e,
                           rb_error *err) {
  rb_client *c = t->client;
  const rb_model *m = rb_model_load(service, err);
  if (!m)
    return -1;
  const rb_model_meta *info = rb_model_metadata(m);
  rb_cred_env env;
  client_cred_env(c, NULL, &env);
  rb_buf profile_url = RB_BUF_INIT;
  const char *profile = t->set->profile ? t->set->profile : c->profile;
  /* a replay sends nothing: the recording's profiles need not exist on this machine */
  if (!c->offline && rb_config_get(&env, profile, "endpoint_url", &profile_url, err) < 0)
    return -1;
  rb_endpoint_input in = {0};
  in.endpoint_prefix = info->endpoint_prefix;
  in.service_id = info->service_id;
  in.region = t->region;
  in.explicit_url = c->endpoint_url;
  in.profile_url = profile_url.data;
  in.getenv = client_env_get;
  in.env_ud = c;
  int rc = rb_endpoint_resolve(&in, &e->endpoint, err);
  rb_buf_free(&profile_url);
  e->signing_name = rb_strdup(info->signing_name);
  return rc == 0 && e->signing_name ? 0 : -1;
}

const endpoint_entry *client_endpoint(target *t, const char *service, rb_error *err) {
  for (endpoint_entry *e = t->endpoints; e; e = e->next)
    if (strcmp(e->service, service) == 0)
      return e;
  endpoint_entry *e = calloc(1, sizeof *e);
  if (!e || !(e->service = rb_strdup(service)) ||
      endpoint_lookup(t, service, e, err) != 0) {
    if (e && !err->code[0])
      rb_error_set(err, "OutOfMemory", "cannot resolve the endpoint of '%s'", service);
    if (e) {
      free(e->service);
      free(e->signing_name);
    }
    free(e);
    return NULL;
  }
  e->next = t->endpoints;
  t->endpoints = e;
  return e;
}

void client_auth_free(rb_client *c) {
  while (c->targets) {
    target *t = c->targets;
    c->targets = t->next;
    while (t->endpoints) {
      endpoint_entry *e = t->endpoints;
      t->endpoints = e->next;
      free(e->service);
      free(e->signing_name);
      free(e);
    }
    while (t->limits) {
      op_limit *l = t->limits;
      t->limits = l->next;
      free(l);
    }
    free(t->region);
    free(t);
  }
  while (c->sets) {
    cred_set *s = c->sets;
    c->sets = s->next;
    set_free(s);
  }
}

void rb_client_each_secret(const rb_client *c, void (*fn)(void *ud, const char *secret),
                           void *ud) {
  for (const cred_set *s = c ? c->sets : NULL; s; s = s->next) {
    if (!s->have_creds)
      continue;
    if (s->creds.secret_access_key)
      fn(ud, s->creds.secret_access_key);
    if (s->creds.session_token)
      fn(ud, s->creds.session_token);
  }
}
