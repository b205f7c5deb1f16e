/* credentials_profile.c — credentials named by a profile of the shared files: assume role
 * (source_profile chains, credential_source), web identity, static keys and
 * credential_process, in botocore's order (see credentials.h).
 *
 * Uses the profile entries of shared_config.c and the injected STS call. Messages
 * name profiles, keys, files and role ARNs only: never a value that may be a secret
 * (keys, tokens, the web identity token), and the token is wiped after the call. */
#include "credentials_int.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#define MAX_CHAIN 16
#define MAX_TOKEN_FILE (64 * 1024)

typedef struct chain {
  const char *names[MAX_CHAIN]; /* profiles visited through source_profile */
  int n;
} chain;

static int profile_providers(rb_cred_ctx *ctx, const char *name, int allow_env,
                             rb_credentials *out, rb_error *err);
static int assume_role(rb_cred_ctx *ctx, const char *name, chain *ch, rb_credentials *out,
                       rb_error *err);

static const char *get(const rb_cred_ctx *ctx, const char *profile, const char *key) {
  return rb_credfiles_get(&ctx->files, RB_CRED_ANY, profile, key);
}

static int has_static(const rb_cred_ctx *ctx, const char *p) {
  return get(ctx, p, "aws_access_key_id") || get(ctx, p, "aws_secret_access_key");
}

static int has_role(const rb_cred_ctx *ctx, const char *p) {
  return get(ctx, p, "role_arn") && !get(ctx, p, "web_identity_token_file");
}

static int from_static(const rb_cred_ctx *ctx, int which, const char *p,
                       rb_credentials *out, rb_error *err) {
  const rb_cred_files *f = &ctx->files;
  const char *akid = rb_credfiles_get(f, which, p, "aws_access_key_id");
  if (!akid)
    return 0;
  const char *secret = rb_credfiles_get(f, which, p, "aws_secret_access_key");
  if (!*akid || !secret || !*secret) /* an empty value is no key, as in the environment */
    return rb_error_set(err, "PartialCredentials", "profile '%s' in %s has %s", p,
                        f->display[which],
                        *akid ? "aws_access_key_id but no aws_secret_access_key"
                              : "an empty aws_access_key_id");
  const char *token = rb_credfiles_get(f, which, p, "aws_session_token");
  if (!token)
    token = rb_credfiles_get(f, which, p, "aws_security_token");
  char source[sizeof out->source];
  snprintf(source, sizeof source, "profile:%s", p);
  return rb_cred_set(out, akid, secret, token, 0, source, err) == 0 ? 1 : -1;
}

/* ---- STS ---- */

static const cJSON *sts_credentials(const cJSON *res, const char *op) {
  const cJSON *c = cJSON_GetObjectItemCaseSensitive(res, "Credentials");
  if (c)
    return c;
  char wrapper[64];
  snprintf(wrapper, sizeof wrapper, "%sResult", op);
  return cJSON_GetObjectItemCaseSensitive(cJSON_GetObjectItemCaseSensitive(res, wrapper),
                                          "Credentials");
}

/* Calls STS `op` and fills `out`; `who` names the profile (or the environment). */
static int sts_call(const rb_cred_ctx *ctx, const char *op, const cJSON *params,
                    const rb_credentials *src, const char *role_arn, const char *who,
                    const char *source, rb_credentials *out, rb_error *err) {
  if (!ctx->env->sts)
    return rb_error_set(err, "InvalidConfig",
                        "cannot assume role '%s' for %s: no STS client available",
                        role_arn, who);
  cJSON *res = NULL;
  rb_error_clear(err);
  if (ctx->env->sts(ctx->env->ud, op, params, src, ctx->sts_region, &res, err) != 0) {
    rb_cred_json_free(res);
    return rb_cred_error_wrap(err, "StsError", "cannot assume role '%s' for %s", role_arn,
                              who);
  }
  char what[384];
  snprintf(what, sizeof what, "STS %s for role '%s' (%s)", op, role_arn, who);
  int rc = rb_cred_from_json(sts_credentials(res, op), "SessionToken", what, "StsError",
                             source, out, err);
  rb_cred_json_free(res);
  return rc == 0 ? 1 : -1;
}

static int add_string(cJSON *obj, const char *key, const char *value) {
  return value ? cJSON_AddStringToObject(obj, key, value) != NULL : 1;
}

static int session_name(const rb_cred_ctx *ctx, const char *given, char *out, size_t n) {
  if (given)
    return snprintf(out, n, "%s", given) < (int)n;
  return snprintf(out, n, "runbook-%lld", rb_cred_now(ctx->env)) < (int)n;
}

/* duration_seconds: absent → 0; otherwise an integer 900..43200. */
static int duration(const rb_cred_ctx *ctx, const char *name, long *out, rb_error *err) {
  const char *s = get(ctx, name, "duration_seconds");
  *out = 0;
  if (!s)
    return 0;
  char *end;
  errno = 0;
  long v = strtol(s, &end, 10);
  if (errno || end == s || *end || v < 900 || v > 43200)
    return rb_error_set(
        err, "InvalidConfig",
        "duration_seconds of profile '%s' must be a number of seconds from "
        "900 to 43200",
        name);
  *out = v;
  return 0;
}

static int call_assume_role(rb_cred_ctx *ctx, const char *name, const rb_credentials *src,
                            rb_credentials *out, rb_error *err) {
  const char *arn = get(ctx, name, "role_arn");
  char session[128], who[192], source[sizeof out->source];
  long secs;
  if (duration(ctx, name, &secs, err) != 0)
    return -1;
  if (!session_name(ctx, get(ctx, name, "role_session_name"), session, sizeof session))
    return rb_error_set(err, "InvalidConfig",
                        "role_session_name of profile '%s' is too long", name);
  snprintf(who, sizeof who, "profile '%s'", name);
  snprintf(source, sizeof source, "assume-role:%s", name);
  cJSON *params = cJSON_CreateObject();
  int ok = params && add_string(params, "RoleArn", arn) &&
           add_string(params, "RoleSessionName", session) &&
           add_string(params, "ExternalId", get(ctx, name, "external_id")) &&
           (!secs || cJSON_AddNumberToObject(params, "DurationSeconds", (double)secs));
  int rc = ok ? sts_call(ctx, "AssumeRole", params, src, arn, who, source, out, err)
              : rb_error_set(err, "OutOfMemory", "out of memory");
  rb_cred_json_free(params);
  return rc;
}

/* ---- where the role's source credentials come from ---- */

static int from_credential_source(rb_cred_ctx *ctx, const char *name, const char *cs,
                                  rb_credentials *src, rb_error *err) {
  int rc;
  if (strcasecmp(cs, "Environment") == 0)
    rc = rb_cred_from_env(ctx, src, err);
  else if (strcasecmp(cs, "Ec2InstanceMetadata") == 0)
    rc = rb_cred_from_imds(ctx, src, err);
  else if (strcasecmp(cs, "EcsContainer") == 0)
    rc = rb_cred_from_container(ctx, src, err);
  else
    return rb_error_set(err, "InvalidConfig",
                        "credential_source '%s' of profile '%s' is not Environment, "
                        "Ec2InstanceMetadata or EcsContainer",
                        cs, name);
  if (rc == 0)
    return rb_error_set(
        err, "NoCredentials",
        "credential_source '%s' of profile '%s' gave no credentials%s%s%s", cs, name,
        ctx->imds_note[0] ? " (instance metadata: " : "", ctx->imds_note,
        ctx->imds_note[0] ? ")" : "");
  if (rc < 0)
    return rb_cred_error_wrap(err, "InvalidConfig",
                              "credential_source '%s' of profile '%s'", cs, name);
  return 1;
}

static int cycle_error(const chain *ch, const char *again, rb_error *err) {
  char path[512] = "";
  size_t used = 0;
  for (int i = 0; i < ch->n && used < sizeof path; i++)
    used += (size_t)snprintf(path + used, sizeof path - used, "'%s' -> ", ch->names[i]);
  return rb_error_set(err, "InvalidConfig", "source_profile loop: %s'%s'", path, again);
}

static int from_source_profile(rb_cred_ctx *ctx, const char *parent, const char *sp,
                               chain *ch, rb_credentials *src, rb_error *err) {
  if (!rb_credfiles_has_profile(&ctx->files, sp))
    return rb_error_set(err, "InvalidConfig",
                        "source_profile '%s' of profile '%s' does not exist", sp, parent);
  for (int i = 0; i < ch->n; i++)
    /* a profile may name itself to use its own static keys; anything else is a loop */
    if (strcmp(ch->names[i], sp) == 0 &&
        (strcmp(sp, parent) != 0 || !has_static(ctx, sp)))
      return cycle_error(ch, sp, err);
  if (ch->n == MAX_CHAIN)
    return rb_error_set(err, "InvalidConfig",
                        "role chain from profile '%s' is longer than %d profiles",
                        ch->names[0], MAX_CHAIN);
  ch->names[ch->n++] = sp;
  if (has_static(ctx, sp) || !has_role(ctx, sp)) {
    int rc = profile_providers(ctx, sp, 0, src, err);
    if (rc == 0)
      return rb_error_set(err, "InvalidConfig",
                          "source_profile '%s' of profile '%s' has no credentials", sp,
                          parent);
    return rc;
  }
  return assume_role(ctx, sp, ch, src, err);
}

static int assume_role(rb_cred_ctx *ctx, const char *name, chain *ch, rb_credentials *out,
                       rb_error *err) {
  const char *sp = get(ctx, name, "source_profile");
  const char *cs = get(ctx, name, "credential_source");
  if (sp && cs)
    return rb_error_set(err, "InvalidConfig",
                        "profile '%s' has both source_profile and credential_source",
                        name);
  if (!sp && !cs)
    return rb_error_set(err, "InvalidConfig",
                        "profile '%s' has role_arn but neither source_profile nor "
                        "credential_source",
                        name);
  if (get(ctx, name, "mfa_serial"))
    return rb_error_set(
        err, "UnsupportedCredentials",
        "profile '%s' needs an MFA code (mfa_serial), which runbook cannot "
        "prompt for: run it with credentials that already passed MFA",
        name);
  rb_credentials src = RB_CREDENTIALS_INIT;
  int rc = cs ? from_credential_source(ctx, name, cs, &src, err)
              : from_source_profile(ctx, name, sp, ch, &src, err);
  if (rc == 1)
    rc = call_assume_role(ctx, name, &src, out, err);
  rb_credentials_free(&src);
  return rc;
}

/* ---- web identity ---- */

static const char *pick(const rb_cred_ctx *ctx, const char *name, int allow_env,
                        const char *var, const char *key) {
  const char *v = allow_env ? rb_cred_getenv(ctx->env, var) : NULL;
  return v ? v : get(ctx, name, key);
}

static int read_token(const char *file, rb_buf *tok, rb_error *err) {
  if (rb_cred_read_file(file, "web identity token file", MAX_TOKEN_FILE, tok, err) != 0)
    return -1;
  while (tok->len && strchr(" \t\r\n", tok->data[tok->len - 1]))
    tok->data[--tok->len] = '\0';
  if (tok->len == 0)
    return rb_error_set(err, "InvalidConfig", "web identity token file '%s' is empty",
                        file);
  return 0;
}

static int web_identity(rb_cred_ctx *ctx, const char *name, int allow_env,
                        rb_credentials *out, rb_error *err) {
  const char *file = pick(ctx, name, allow_env, "AWS_WEB_IDENTITY_TOKEN_FILE",
                          "web_identity_token_file");
  if (!file)
    return 0;
  int from_env = allow_env && rb_cred_getenv(ctx->env, "AWS_WEB_IDENTITY_TOKEN_FILE");
  char who[192], source[sizeof out->source], session[128];
  if (from_env) {
    snprintf(who, sizeof who, "web identity (environment)");
    snprintf(source, sizeof source, "web-identity");
  } else {
    snprintf(who, sizeof who, "profile '%s'", name);
    snprintf(source, sizeof source, "web-identity:%s", name);
  }
  const char *arn = pick(ctx, name, allow_env, "AWS_ROLE_ARN", "role_arn");
  if (!arn)
    return rb_error_set(
        err, "InvalidConfig",
        "%s has a web identity token file but no role ARN (AWS_ROLE_ARN or "
        "role_arn)",
        who);
  if (!session_name(
          ctx, pick(ctx, name, allow_env, "AWS_ROLE_SESSION_NAME", "role_session_name"),
          session, sizeof session))
    return rb_error_set(err, "InvalidConfig", "role session name of %s is too long", who);
  rb_buf tok = RB_BUF_INIT;
  if (read_token(file, &tok, err) != 0) {
    rb_buf_free_secure(&tok);
    return -1;
  }
  cJSON *params = cJSON_CreateObject();
  int ok = params && add_string(params, "RoleArn", arn) &&
           add_string(params, "RoleSessionName", session) &&
           add_string(params, "WebIdentityToken", tok.data);
  rb_buf_free_secure(&tok);
  int rc = ok ? sts_call(ctx, "AssumeRoleWithWebIdentity", params, NULL, arn, who, source,
                         out, err)
              : rb_error_set(err, "OutOfMemory", "out of memory");
  rb_cred_json_free(params);
  return rc;
}

/* ---- the profile ---- */

/* botocore's profile providers: web identity, SSO, credentials file, credential_process,
 * config file. `allow_env` lets the AWS_WEB_IDENTITY_* variables in. */
static int profile_providers(rb_cred_ctx *ctx, const char *name, int allow_env,
                             rb_credentials *out, rb_error *err) {
  int rc = web_identity(ctx, name, allow_env, out, err);
  if (rc != 0)
    return rc;
  if (get(ctx, name, "sso_start_url") || get(ctx, name, "sso_session"))
    return rb_error_set(
        err, "UnsupportedCredentials",
        "profile '%s' uses IAM Identity Center (sso_*), which runbook cannot "
        "read: use a profile with credential_process = aws configure "
        "export-credentials --profile %s --format process",
        name, name);
  rc = from_static(ctx, RB_CRED_SHARED, name, out, err);
  if (rc != 0)
    return rc;
  const char *command = get(ctx, name, "credential_process");
  if (command)
    return rb_cred_from_process(ctx, name, command, out, err);
  return from_static(ctx, RB_CRED_CONFIG, name, out, err);
}

int rb_cred_from_profile(rb_cred_ctx *ctx, rb_credentials *out, rb_error *err) {
  if (has_role(ctx, ctx->profile)) {
    chain ch = {{ctx->profile}, 1};
    return assume_role(ctx, ctx->profile, &ch, out, err);
  }
  return profile_providers(ctx, ctx->profile, !ctx->explicit_profile, out, err);
}

/* ---- an explicit role (a call's role_arn option) ---- */

int rb_role_arn_valid(const char *arn) {
  if (!arn || strncmp(arn, "arn:", 4) != 0)
    return 0;
  const char *p = strchr(arn + 4, ':'); /* after the partition */
  if (!p || p == arn + 4 || strncmp(p, ":iam::", 6) != 0)
    return 0;
  const char *acct = p + 6, *colon = strchr(acct, ':');
  if (!colon || colon == acct || strncmp(colon, ":role/", 6) != 0)
    return 0;
  for (const char *d = acct; d < colon; d++)
    if (*d < '0' || *d > '9')
      return 0;
  return colon[6] != '\0';
}

int rb_credentials_assume_role(const rb_cred_env *env, const rb_credentials *source,
                               const rb_assume_role *role, rb_credentials *out,
                               rb_error *err) {
  memset(out, 0, sizeof *out);
  const char *who = role->who ? role->who : "the default credentials";
  if (!rb_role_arn_valid(role->role_arn))
    return rb_error_set(err, "InvalidConfig",
                        "role_arn '%s' is not an IAM role ARN: give "
                        "arn:aws:iam::<account>:role/<name>",
                        role->role_arn ? role->role_arn : "");
  rb_cred_ctx ctx;
  memset(&ctx, 0, sizeof ctx);
  ctx.env = env;
  snprintf(ctx.sts_region, sizeof ctx.sts_region, "%s",
           env->region && *env->region ? env->region : "us-east-1");
  char session[128], source_name[sizeof out->source];
  if (!session_name(&ctx, role->session_name, session, sizeof session))
    return rb_error_set(err, "InvalidConfig", "session_name for role '%s' is too long",
                        role->role_arn);
  snprintf(source_name, sizeof source_name, "assume-role:%.100s", role->role_arn);
  cJSON *params = cJSON_CreateObject();
  int ok = params && add_string(params, "RoleArn", role->role_arn) &&
           add_string(params, "RoleSessionName", session) &&
           add_string(params, "ExternalId", role->external_id);
  int rc = ok ? sts_call(&ctx, "AssumeRole", params, source, role->role_arn, who,
                         source_name, out, err)
              : rb_error_set(err, "OutOfMemory", "out of memory");
  rb_cred_json_free(params);
  if (rc != 1)
    rb_credentials_free(out);
  return rc == 1 ? 0 : -1;
}
