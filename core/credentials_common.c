/* credentials_common.c — what the credential sources share: the environment and clock
 * through rb_cred_env, copying credentials, credentials from a JSON document, timestamps,
 * error wrapping, freeing; and the environment source, used by the chain and by
 * credential_source = Environment alike.
 *
 * Uses cJSON, OpenSSL (to wipe) and awstime.c. Must never format a secret key, session
 * token or web identity token into any message, and wipes every copy it frees. */
#include "credentials_int.h"

#include "awstime.h"

#include <math.h>
#include <openssl/crypto.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define EXPIRY_WINDOW 300

/* ---- shared helpers ---- */

const char *rb_cred_getenv(const rb_cred_env *env, const char *name) {
  if (!env || !env->getenv)
    return NULL;
  const char *v = env->getenv(env->ud, name);
  return v && *v ? v : NULL;
}

long long rb_cred_now(const rb_cred_env *env) {
  return env && env->now ? env->now(env->ud) : (long long)time(NULL);
}

int rb_cred_set(rb_credentials *out, const char *akid, const char *secret,
                const char *token, long long expiration, const char *source,
                rb_error *err) {
  rb_credentials_free(out);
  out->access_key_id = rb_strdup(akid);
  out->secret_access_key = rb_strdup(secret);
  out->session_token = token && *token ? rb_strdup(token) : NULL;
  if (!out->access_key_id || !out->secret_access_key ||
      (token && *token && !out->session_token)) {
    rb_credentials_free(out);
    return rb_error_set(err, "OutOfMemory", "out of memory copying credentials");
  }
  out->expiration = expiration;
  snprintf(out->source, sizeof out->source, "%s", source);
  return 0;
}

static const char *json_string(const cJSON *obj, const char *key) {
  const cJSON *v = cJSON_GetObjectItemCaseSensitive(obj, key);
  return cJSON_IsString(v) && v->valuestring[0] ? v->valuestring : NULL;
}

int rb_cred_from_json(const cJSON *obj, const char *token_key, const char *what,
                      const char *code, const char *source, rb_credentials *out,
                      rb_error *err) {
  if (!cJSON_IsObject(obj))
    return rb_error_set(err, code, "%s returned no credentials object", what);
  const char *akid = json_string(obj, "AccessKeyId");
  const char *secret = json_string(obj, "SecretAccessKey");
  if (!akid || !secret)
    return rb_error_set(err, code, "%s returned no %s", what,
                        akid ? "SecretAccessKey" : "AccessKeyId");
  long long exp = 0;
  const cJSON *e = cJSON_GetObjectItemCaseSensitive(obj, "Expiration");
  if (cJSON_IsNumber(e))
    exp = (long long)e->valuedouble;
  else if (cJSON_IsString(e) && rb_credentials_parse_time(e->valuestring, &exp) != 0)
    return rb_error_set(err, code,
                        "%s returned an Expiration that is not an ISO 8601 time", what);
  return rb_cred_set(out, akid, secret, token_key ? json_string(obj, token_key) : NULL,
                     exp, source, err);
}

static void json_wipe(cJSON *item) {
  for (; item; item = item->next) {
    if (item->valuestring)
      OPENSSL_cleanse(item->valuestring, strlen(item->valuestring));
    json_wipe(item->child);
  }
}

void rb_cred_json_free(cJSON *json) {
  json_wipe(json);
  cJSON_Delete(json);
}

int rb_cred_error_wrap(rb_error *err, const char *code, const char *fmt, ...) {
  if (!err)
    return -1;
  char prefix[512], old[sizeof err->message];
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(prefix, sizeof prefix, fmt, ap);
  va_end(ap);
  memcpy(old, err->message, sizeof old);
  old[sizeof old - 1] = '\0';
  if (!err->code[0])
    snprintf(err->code, sizeof err->code, "%s", code);
  if (old[0])
    snprintf(err->message, sizeof err->message, "%.400s: %.600s", prefix, old);
  else
    snprintf(err->message, sizeof err->message, "%s", prefix);
  return -1;
}

void rb_cred_format_time(long long t, char out[32]) {
  if (rb_time_format_iso8601((double)t, 0, out, 32) != 0)
    snprintf(out, 32, "%lld", t);
}

/* ---- timestamps ---- */

int rb_credentials_parse_time(const char *s, long long *out) {
  double t;
  if (rb_time_parse_iso8601(s, 1, &t) != 0)
    return -1;
  *out = (long long)floor(t); /* fractions of a second do not matter for expiry */
  return 0;
}

/* ---- the environment source ---- */

int rb_cred_from_env(const rb_cred_ctx *ctx, rb_credentials *out, rb_error *err) {
  const rb_cred_env *env = ctx->env;
  const char *akid = rb_cred_getenv(env, "AWS_ACCESS_KEY_ID");
  if (!akid)
    return 0;
  const char *secret = rb_cred_getenv(env, "AWS_SECRET_ACCESS_KEY");
  if (!secret)
    return rb_error_set(err, "PartialCredentials",
                        "AWS_ACCESS_KEY_ID is set but AWS_SECRET_ACCESS_KEY is not");
  /* AWS_SESSION_TOKEN first (every SDK reads it); AWS_SECURITY_TOKEN for old tooling */
  const char *token = rb_cred_getenv(env, "AWS_SESSION_TOKEN");
  if (!token)
    token = rb_cred_getenv(env, "AWS_SECURITY_TOKEN");
  long long exp = 0;
  const char *exps = rb_cred_getenv(env, "AWS_CREDENTIAL_EXPIRATION");
  if (exps && rb_credentials_parse_time(exps, &exp) != 0)
    return rb_error_set(err, "InvalidConfig",
                        "AWS_CREDENTIAL_EXPIRATION '%s' is not an ISO 8601 time", exps);
  if (exp && exp <= rb_cred_now(env))
    return rb_error_set(
        err, "ExpiredCredentials",
        "credentials in AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY expired at %s "
        "(AWS_CREDENTIAL_EXPIRATION)",
        exps);
  return rb_cred_set(out, akid, secret, token, exp, "environment", err) == 0 ? 1 : -1;
}

int rb_credentials_expiring(const rb_credentials *c, long long now) {
  return c->expiration != 0 && c->expiration - now <= EXPIRY_WINDOW;
}

void rb_credentials_free(rb_credentials *c) {
  if (!c)
    return;
  rb_free_secret(c->access_key_id);
  rb_free_secret(c->secret_access_key);
  rb_free_secret(c->session_token);
  memset(c, 0, sizeof *c);
}

const char *rb_credentials_profile_name(const rb_cred_env *env,
                                        const char *explicit_profile) {
  if (explicit_profile && *explicit_profile)
    return explicit_profile;
  const char *p = rb_cred_getenv(env, "AWS_PROFILE");
  if (!p)
    p = rb_cred_getenv(env, "AWS_DEFAULT_PROFILE");
  return p ? p : "default";
}
