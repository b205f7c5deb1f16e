/* credentials.c — the credential chain (see credentials.h): the order of the sources and
 * the NoCredentials line naming everything that was tried.
 *
 * Uses the sources in credentials_common.c (environment), credentials_profile.c,
 * credentials_remote.c, and the shared files through shared_config.c. Reads the
 * environment, clock and network only through rb_cred_env. Must never format a secret
 * key, session token or web identity token into any message. */
#include "credentials_int.h"

#include <stdio.h>
#include <string.h>

/* ---- the chain ---- */

static int no_credentials(const rb_cred_ctx *ctx, rb_error *err) {
  const rb_cred_files *f = &ctx->files;
  const char *shared =
      f->display[RB_CRED_SHARED] ? f->display[RB_CRED_SHARED] : "~/.aws/credentials";
  const char *config =
      f->display[RB_CRED_CONFIG] ? f->display[RB_CRED_CONFIG] : "~/.aws/config";
  return rb_error_set(
      err, "NoCredentials",
      "no AWS credentials found: tried environment (%s), profile '%s' in %s%s and %s%s, "
      "web identity (%s), container "
      "(AWS_CONTAINER_CREDENTIALS_*), instance metadata (%s)",
      ctx->explicit_profile ? "skipped: profile given explicitly" : "AWS_ACCESS_KEY_ID",
      ctx->profile, shared, f->found[RB_CRED_SHARED] ? "" : " (missing)", config,
      f->found[RB_CRED_CONFIG] ? "" : " (missing)",
      ctx->explicit_profile ? "web_identity_token_file" : "AWS_WEB_IDENTITY_TOKEN_FILE",
      ctx->imds_note[0] ? ctx->imds_note : "nothing");
}

static void choose_sts_region(rb_cred_ctx *ctx) {
  const char *r = ctx->env->region;
  if (!r || !*r)
    r = rb_cred_getenv(ctx->env, "AWS_REGION");
  if (!r)
    r = rb_cred_getenv(ctx->env, "AWS_DEFAULT_REGION");
  if (!r)
    r = rb_credfiles_get(&ctx->files, RB_CRED_ANY, ctx->profile, "region");
  snprintf(ctx->sts_region, sizeof ctx->sts_region, "%s", r && *r ? r : "us-east-1");
}

int rb_credentials_resolve(const rb_cred_env *env, const char *explicit_profile,
                           rb_credentials *out, rb_error *err) {
  rb_cred_ctx ctx;
  memset(&ctx, 0, sizeof ctx);
  memset(out, 0, sizeof *out);
  ctx.env = env;
  ctx.explicit_profile = explicit_profile && *explicit_profile;
  ctx.profile = rb_credentials_profile_name(env, explicit_profile);
  int rc = ctx.explicit_profile ? 0 : rb_cred_from_env(&ctx, out, err);
  if (rc == 0 && rb_credfiles_load(env, &ctx.files, err) != 0)
    rc = -1;
  if (rc == 0 && rb_credfiles_check_profile(&ctx.files, ctx.profile, err) != 0)
    rc = -1;
  if (rc == 0) {
    choose_sts_region(&ctx);
    rc = rb_cred_from_profile(&ctx, out, err);
  }
  if (rc == 0)
    rc = rb_cred_from_container(&ctx, out, err);
  if (rc == 0)
    rc = rb_cred_from_imds(&ctx, out, err);
  if (rc == 0)
    rc = no_credentials(&ctx, err);
  rb_credfiles_free(&ctx.files);
  if (rc < 0) {
    rb_credentials_free(out);
    return -1;
  }
  return 0;
}
