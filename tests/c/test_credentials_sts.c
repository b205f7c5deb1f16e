/* test_credentials_sts.c — the sources that call STS: assume role (source_profile chains,
 * credential_source, cycles, options) and web identity (environment and profile), checked
 * through what the fake STS was asked: operation, parameters, signing credentials,
 * region. */
#include "test_credentials_fakes.h"

#define ROLE "arn:aws:iam::123456789012:role/deploy"
#define ROLE2 "arn:aws:iam::210987654321:role/admin"

static const char *param(fake *f, int call, const char *key, char *out, size_t n) {
  cJSON *p = cJSON_Parse(f->sts[call].params);
  const cJSON *v = cJSON_GetObjectItemCaseSensitive(p, key);
  if (cJSON_IsString(v))
    snprintf(out, n, "%s", v->valuestring);
  else if (cJSON_IsNumber(v))
    snprintf(out, n, "%d", v->valueint);
  else
    snprintf(out, n, "(absent)");
  cJSON_Delete(p);
  return out;
}

static void assume_role_uses_source_profile_credentials(void **state) {
  fake *f = *state;
  fake_write(f, ".aws/credentials",
             "[base]\naws_access_key_id = AKIABASE000000000001\n"
             "aws_secret_access_key = base-secret\n"
             "aws_session_token = base-token\n");
  fake_write(f, ".aws/config",
             "[profile deploy]\nrole_arn = " ROLE "\nsource_profile = base\n"
             "region = eu-west-1\n");
  fake_sts_reply_creds(f, "ASIAASSUMED000000001");
  rb_credentials c = RB_CREDENTIALS_INIT;
  resolve_ok(f, "deploy", &c);
  assert_string_equal(c.access_key_id, "ASIAASSUMED000000001");
  assert_string_equal(c.secret_access_key, SECRET);
  assert_string_equal(c.session_token, TOKEN);
  assert_int_equal(c.expiration, NOW + 3600);
  assert_string_equal(c.source, "assume-role:deploy");
  rb_credentials_free(&c);

  assert_int_equal(f->nsts, 1);
  assert_string_equal(f->sts[0].op, "AssumeRole");
  assert_string_equal(f->sts[0].src_akid, "AKIABASE000000000001");
  assert_string_equal(f->sts[0].src_secret, "base-secret");
  assert_string_equal(f->sts[0].src_token, "base-token");
  assert_string_equal(f->sts[0].region, "eu-west-1");
  char v[256];
  assert_string_equal(param(f, 0, "RoleArn", v, sizeof v), ROLE);
  assert_string_equal(param(f, 0, "RoleSessionName", v, sizeof v), "runbook-1795744800");
  assert_string_equal(param(f, 0, "ExternalId", v, sizeof v), "(absent)");
  assert_string_equal(param(f, 0, "DurationSeconds", v, sizeof v), "(absent)");
}

static void assume_role_passes_options(void **state) {
  fake *f = *state;
  char *config = vector_text("config"), *creds = vector_text("credentials");
  fake_set(f, "AWS_CONFIG_FILE", fake_write(f, "vconfig", config));
  fake_set(f, "AWS_SHARED_CREDENTIALS_FILE", fake_write(f, "vcreds", creds));
  free(config);
  free(creds);
  fake_sts_reply_creds(f, "ASIAADMIN00000000001");
  rb_credentials c = RB_CREDENTIALS_INIT;
  resolve_ok(f, "prod admin", &c);
  assert_string_equal(c.access_key_id, "ASIAADMIN00000000001");
  rb_credentials_free(&c);
  char v[256];
  assert_string_equal(param(f, 0, "RoleArn", v, sizeof v), ROLE2);
  assert_string_equal(param(f, 0, "ExternalId", v, sizeof v), "runbook-ext-42");
  assert_string_equal(param(f, 0, "DurationSeconds", v, sizeof v), "1800");
  assert_string_equal(f->sts[0].src_akid,
                      "AKIADEVDEVDEVEXAMPLE");        /* source_profile dev */
  assert_string_equal(f->sts[0].region, "us-west-2"); /* the profile's region */
}

static void assume_role_session_name_and_region_override(void **state) {
  fake *f = *state;
  fake_write(f, ".aws/config",
             "[profile deploy]\nrole_arn = " ROLE "\nsource_profile = base\n"
             "role_session_name = alice\nregion = eu-west-1\n"
             "[profile base]\naws_access_key_id = AKIABASE\n"
             "aws_secret_access_key = base-secret\n");
  fake_set(f, "AWS_REGION", "ap-south-1");
  fake_sts_reply_creds(f, "ASIAASSUMED000000001");
  rb_credentials c = RB_CREDENTIALS_INIT;
  resolve_ok(f, "deploy", &c);
  rb_credentials_free(&c);
  char v[64];
  assert_string_equal(param(f, 0, "RoleSessionName", v, sizeof v), "alice");
  assert_string_equal(f->sts[0].region, "ap-south-1");

  rb_cred_env env = fake_env(f);
  env.region = "ca-central-1"; /* the run's resolved region wins */
  rb_error err;
  assert_int_equal(rb_credentials_resolve(&env, "deploy", &c, &err), 0);
  rb_credentials_free(&c);
  assert_string_equal(f->sts[1].region, "ca-central-1");
}

static void assume_role_chains_through_roles(void **state) {
  fake *f = *state;
  fake_write(f, ".aws/config",
             "[profile admin]\nrole_arn = " ROLE2 "\nsource_profile = deploy\n"
             "[profile deploy]\nrole_arn = " ROLE "\nsource_profile = base\n"
             "[profile base]\naws_access_key_id = AKIABASE\n"
             "aws_secret_access_key = base-secret\n");
  fake_sts_reply_creds(f, "ASIAFIRSTHOP00000001");
  fake_sts_reply_creds(f, "ASIASECONDHOP0000001");
  rb_credentials c = RB_CREDENTIALS_INIT;
  resolve_ok(f, "admin", &c);
  assert_string_equal(c.access_key_id, "ASIASECONDHOP0000001");
  assert_string_equal(c.source, "assume-role:admin");
  rb_credentials_free(&c);
  assert_int_equal(f->nsts, 2);
  char v[256];
  assert_string_equal(param(f, 0, "RoleArn", v, sizeof v), ROLE);
  assert_string_equal(f->sts[0].src_akid, "AKIABASE");
  assert_string_equal(param(f, 1, "RoleArn", v, sizeof v), ROLE2);
  assert_string_equal(f->sts[1].src_akid, "ASIAFIRSTHOP00000001");
  assert_string_equal(f->sts[1].src_token, TOKEN);
}

static void assume_role_cycle_is_detected(void **state) {
  fake *f = *state;
  fake_write(f, ".aws/config",
             "[profile a]\nrole_arn = " ROLE "\nsource_profile = b\n"
             "[profile b]\nrole_arn = " ROLE2 "\nsource_profile = c\n"
             "[profile c]\nrole_arn = " ROLE "\nsource_profile = a\n");
  rb_error err;
  expect_failure(f, "a", "InvalidConfig", &err);
  assert_string_equal(err.message, "source_profile loop: 'a' -> 'b' -> 'c' -> 'a'");
  assert_int_equal(f->nsts, 0);
}

static void assume_role_self_reference_without_keys_is_a_loop(void **state) {
  fake *f = *state;
  fake_write(f, ".aws/config", "[profile a]\nrole_arn = " ROLE "\nsource_profile = a\n");
  rb_error err;
  expect_failure(f, "a", "InvalidConfig", &err);
  assert_non_null(strstr(err.message, "loop"));
}

static void assume_role_self_reference_uses_own_keys(void **state) {
  fake *f = *state;
  fake_write(f, ".aws/credentials",
             "[a]\naws_access_key_id = AKIASELF\n"
             "aws_secret_access_key = self-secret\n");
  fake_write(f, ".aws/config", "[profile a]\nrole_arn = " ROLE "\nsource_profile = a\n");
  fake_sts_reply_creds(f, "ASIAASSUMED000000001");
  rb_credentials c = RB_CREDENTIALS_INIT;
  resolve_ok(f, "a", &c);
  assert_string_equal(c.access_key_id, "ASIAASSUMED000000001");
  rb_credentials_free(&c);
  assert_string_equal(f->sts[0].src_akid, "AKIASELF");
}

static void assume_role_config_errors_are_clear(void **state) {
  fake *f = *state;
  rb_error err;
  fake_write(f, ".aws/config",
             "[profile a]\nrole_arn = " ROLE "\nsource_profile = nope\n");
  expect_failure(f, "a", "InvalidConfig", &err);
  assert_string_equal(err.message, "source_profile 'nope' of profile 'a' does not exist");

  fake_write(f, ".aws/config", "[profile a]\nrole_arn = " ROLE "\n");
  expect_failure(f, "a", "InvalidConfig", &err);
  assert_non_null(strstr(err.message, "neither source_profile nor credential_source"));

  fake_write(f, ".aws/config",
             "[profile a]\nrole_arn = " ROLE "\nsource_profile = a\n"
             "credential_source = Environment\n");
  expect_failure(f, "a", "InvalidConfig", &err);
  assert_non_null(strstr(err.message, "both"));

  fake_write(f, ".aws/config",
             "[profile a]\nrole_arn = " ROLE "\ncredential_source = Moon\n");
  expect_failure(f, "a", "InvalidConfig", &err);
  assert_non_null(strstr(err.message, "'Moon'"));

  fake_write(f, ".aws/config",
             "[profile a]\nrole_arn = " ROLE "\nsource_profile = b\n"
             "[profile b]\nregion = us-east-1\n");
  expect_failure(f, "a", "InvalidConfig", &err);
  assert_string_equal(err.message,
                      "source_profile 'b' of profile 'a' has no credentials");

  fake_write(f, ".aws/config",
             "[profile a]\nrole_arn = " ROLE "\ncredential_source = "
             "Environment\nduration_seconds = 1h\n");
  fake_set(f, "AWS_ACCESS_KEY_ID", AKID);
  fake_set(f, "AWS_SECRET_ACCESS_KEY", SECRET);
  expect_failure(f, "a", "InvalidConfig", &err);
  assert_non_null(strstr(err.message, "duration_seconds"));
  assert_int_equal(f->nsts, 0);
}

static void assume_role_with_mfa_is_refused(void **state) {
  fake *f = *state;
  fake_write(f, ".aws/config",
             "[profile a]\nrole_arn = " ROLE "\nsource_profile = b\n"
             "mfa_serial = arn:aws:iam::123456789012:mfa/alice\n"
             "[profile b]\naws_access_key_id = AKIAB\n"
             "aws_secret_access_key = " SECRET "\n");
  rb_error err;
  expect_failure(f, "a", "UnsupportedCredentials", &err);
  assert_non_null(strstr(err.message, "mfa_serial"));
  assert_int_equal(f->nsts, 0);
}

static void credential_source_environment_signs_with_env_keys(void **state) {
  fake *f = *state;
  fake_set(f, "AWS_ACCESS_KEY_ID", AKID);
  fake_set(f, "AWS_SECRET_ACCESS_KEY", SECRET);
  fake_write(f, ".aws/config",
             "[profile a]\nrole_arn = " ROLE "\ncredential_source = Environment\n");
  fake_sts_reply_creds(f, "ASIAASSUMED000000001");
  rb_credentials c = RB_CREDENTIALS_INIT;
  resolve_ok(f, "a", &c); /* explicit profile: env keys only as the role's source */
  assert_string_equal(c.access_key_id, "ASIAASSUMED000000001");
  rb_credentials_free(&c);
  assert_string_equal(f->sts[0].src_akid, AKID);
  assert_null(f->sts[0].src_token);
}

static void credential_source_container_signs_with_container_keys(void **state) {
  fake *f = *state;
  char *body = vector_text("container_credentials.json");
  fake_set(f, "AWS_CONTAINER_CREDENTIALS_FULL_URI", "http://127.0.0.1:9911/creds");
  fake_route_add(f, "GET", "http://127.0.0.1:9911/creds", 200, body);
  free(body);
  fake_write(f, ".aws/config",
             "[profile a]\nrole_arn = " ROLE "\ncredential_source = EcsContainer\n");
  fake_sts_reply_creds(f, "ASIAASSUMED000000001");
  rb_credentials c = RB_CREDENTIALS_INIT;
  resolve_ok(f, "a", &c);
  rb_credentials_free(&c);
  assert_string_equal(f->sts[0].src_akid, "ASIACONTAINEREXAMPLE");
  assert_string_equal(f->sts[0].src_token, TOKEN);
}

static void credential_source_with_nothing_there_is_an_error(void **state) {
  fake *f = *state;
  fake_set(f, "AWS_EC2_METADATA_DISABLED", "true");
  fake_write(f, ".aws/config",
             "[profile a]\nrole_arn = " ROLE
             "\ncredential_source = Ec2InstanceMetadata\n");
  rb_error err;
  expect_failure(f, "a", "NoCredentials", &err);
  assert_string_equal(err.message,
                      "credential_source 'Ec2InstanceMetadata' of profile 'a' "
                      "gave no credentials (instance metadata: disabled)");
}

static void sts_error_keeps_its_code_and_names_the_role(void **state) {
  fake *f = *state;
  fake_write(f, ".aws/config",
             "[profile a]\nrole_arn = " ROLE "\nsource_profile = b\n"
             "[profile b]\naws_access_key_id = AKIAB\n"
             "aws_secret_access_key = " SECRET "\n"
             "aws_session_token = " TOKEN "\n");
  f->sts_error_code = "AccessDenied";
  rb_error err;
  expect_failure(f, "a", "AccessDenied", &err);
  assert_int_equal(err.status, 403);
  assert_string_equal(err.request_id, "c6104cbe-af31-11e0-8154-cbc7ccf896c7");
  assert_non_null(
      strstr(err.message, "cannot assume role '" ROLE "' for profile 'a': User:"));
}

static void sts_reply_without_credentials_is_an_error(void **state) {
  fake *f = *state;
  fake_write(f, ".aws/config",
             "[profile a]\nrole_arn = " ROLE "\nsource_profile = b\n"
             "[profile b]\naws_access_key_id = AKIAB\n"
             "aws_secret_access_key = " SECRET "\n");
  fake_sts_reply(f, "{\"AssumedRoleUser\":{}}");
  rb_error err;
  expect_failure(f, "a", "StsError", &err);
}

static void sts_reply_in_result_wrapper_is_accepted(void **state) {
  fake *f = *state;
  fake_write(f, ".aws/config",
             "[profile a]\nrole_arn = " ROLE "\nsource_profile = b\n"
             "[profile b]\naws_access_key_id = AKIAB\n"
             "aws_secret_access_key = " SECRET "\n");
  fake_sts_reply(f,
                 "{\"AssumeRoleResult\":{\"Credentials\":{\"AccessKeyId\":\"ASIAWRAP\","
                 "\"SecretAccessKey\":\"s\",\"SessionToken\":\"t\",\"Expiration\":"
                 "1795748400}}}");
  rb_credentials c = RB_CREDENTIALS_INIT;
  resolve_ok(f, "a", &c);
  assert_string_equal(c.access_key_id, "ASIAWRAP");
  assert_int_equal(c.expiration, NOW + 3600);
  rb_credentials_free(&c);
}

static void assume_role_profile_wins_over_env_web_identity(void **state) {
  fake *f = *state;
  fake_set(f, "AWS_WEB_IDENTITY_TOKEN_FILE", fake_write(f, "token", WEB_TOKEN));
  fake_set(f, "AWS_ROLE_ARN", ROLE2);
  fake_write(f, ".aws/config",
             "[default]\nrole_arn = " ROLE "\nsource_profile = b\n"
             "[profile b]\naws_access_key_id = AKIAB\n"
             "aws_secret_access_key = " SECRET "\n");
  fake_sts_reply_creds(f, "ASIAASSUMED000000001");
  rb_credentials c = RB_CREDENTIALS_INIT;
  resolve_ok(f, NULL, &c);
  rb_credentials_free(&c);
  assert_string_equal(f->sts[0].op, "AssumeRole");
}

/* ---- web identity ---- */

static void web_identity_from_env_reads_the_token_file(void **state) {
  fake *f = *state;
  fake_set(f, "AWS_WEB_IDENTITY_TOKEN_FILE", fake_write(f, "token", WEB_TOKEN "\n"));
  fake_set(f, "AWS_ROLE_ARN", ROLE);
  fake_set(f, "AWS_ROLE_SESSION_NAME", "pod-7f9c");
  fake_set(f, "AWS_REGION", "us-west-2");
  fake_sts_reply(
      f, "{\"Credentials\":{\"AccessKeyId\":\"ASIAWEBID\",\"SecretAccessKey\":\"" SECRET
         "\",\"SessionToken\":\"" TOKEN "\",\"Expiration\":\"" IN_ONE_HOUR "\"},"
         "\"SubjectFromWebIdentityToken\":\"system:serviceaccount:ns:sa\"}");
  rb_credentials c = RB_CREDENTIALS_INIT;
  resolve_ok(f, NULL, &c);
  assert_string_equal(c.access_key_id, "ASIAWEBID");
  assert_string_equal(c.source, "web-identity");
  assert_int_equal(c.expiration, NOW + 3600);
  rb_credentials_free(&c);
  assert_string_equal(f->sts[0].op, "AssumeRoleWithWebIdentity");
  assert_null(f->sts[0].src_akid); /* unsigned */
  assert_string_equal(f->sts[0].region, "us-west-2");
  char v[256];
  assert_string_equal(param(f, 0, "WebIdentityToken", v, sizeof v), WEB_TOKEN);
  assert_string_equal(param(f, 0, "RoleArn", v, sizeof v), ROLE);
  assert_string_equal(param(f, 0, "RoleSessionName", v, sizeof v), "pod-7f9c");
}

static void web_identity_env_wins_over_static_profile_keys(void **state) {
  fake *f = *state;
  fake_set(f, "AWS_WEB_IDENTITY_TOKEN_FILE", fake_write(f, "token", WEB_TOKEN));
  fake_set(f, "AWS_ROLE_ARN", ROLE);
  fake_write(f, ".aws/credentials",
             "[default]\naws_access_key_id = AKIAFILE\n"
             "aws_secret_access_key = " SECRET "\n");
  fake_sts_reply_creds(f, "ASIAWEBID");
  rb_credentials c = RB_CREDENTIALS_INIT;
  resolve_ok(f, NULL, &c);
  assert_string_equal(c.access_key_id, "ASIAWEBID");
  rb_credentials_free(&c);
  char v[64];
  assert_string_equal(param(f, 0, "RoleSessionName", v, sizeof v), "runbook-1795744800");
}

static void web_identity_env_is_skipped_for_explicit_profile(void **state) {
  fake *f = *state;
  fake_set(f, "AWS_WEB_IDENTITY_TOKEN_FILE", fake_write(f, "token", WEB_TOKEN));
  fake_set(f, "AWS_ROLE_ARN", ROLE);
  fake_write(f, ".aws/credentials",
             "[dev]\naws_access_key_id = AKIAFILEDEV\n"
             "aws_secret_access_key = " SECRET "\n");
  rb_credentials c = RB_CREDENTIALS_INIT;
  resolve_ok(f, "dev", &c);
  assert_string_equal(c.access_key_id, "AKIAFILEDEV");
  rb_credentials_free(&c);
  assert_int_equal(f->nsts, 0);
}

static void web_identity_from_profile(void **state) {
  fake *f = *state;
  char text[1024]; /* the token path is up to 511 bytes (Release's -O3 checks) */
  snprintf(text, sizeof text,
           "[profile eks]\nweb_identity_token_file = %s\nrole_arn = " ROLE
           "\nsource_profile = ignored\n",
           fake_write(f, "token", WEB_TOKEN));
  fake_write(f, ".aws/config", text);
  fake_sts_reply_creds(f, "ASIAWEBID");
  rb_credentials c = RB_CREDENTIALS_INIT;
  resolve_ok(f, "eks", &c);
  assert_string_equal(c.source, "web-identity:eks");
  rb_credentials_free(&c);
  assert_string_equal(f->sts[0].op, "AssumeRoleWithWebIdentity");
  assert_null(f->sts[0].src_akid);
}

static void web_identity_without_role_arn_is_an_error(void **state) {
  fake *f = *state;
  fake_set(f, "AWS_WEB_IDENTITY_TOKEN_FILE", fake_write(f, "token", WEB_TOKEN));
  rb_error err;
  expect_failure(f, NULL, "InvalidConfig", &err);
  assert_non_null(strstr(err.message, "AWS_ROLE_ARN"));
}

static void web_identity_unreadable_token_file_is_an_error(void **state) {
  fake *f = *state;
  fake_set(f, "AWS_WEB_IDENTITY_TOKEN_FILE", fake_path(f, "missing-token"));
  fake_set(f, "AWS_ROLE_ARN", ROLE);
  rb_error err;
  expect_failure(f, NULL, "InvalidConfig", &err);
  assert_non_null(strstr(err.message, "web identity token file"));
  assert_non_null(strstr(err.message, "missing-token"));
  assert_int_equal(f->nsts, 0);
}

static void web_identity_sts_error_never_shows_the_token(void **state) {
  fake *f = *state;
  fake_set(f, "AWS_WEB_IDENTITY_TOKEN_FILE", fake_write(f, "token", WEB_TOKEN));
  fake_set(f, "AWS_ROLE_ARN", ROLE);
  f->sts_error_code = "InvalidIdentityToken";
  rb_error err;
  expect_failure(f, NULL, "InvalidIdentityToken", &err);
  assert_non_null(strstr(err.message, "web identity (environment)"));
}

static void sso_profile_is_reported_unsupported(void **state) {
  fake *f = *state;
  fake_write(f, ".aws/config",
             "[profile corp]\nsso_session = corp\nsso_account_id = 1\n"
             "sso_role_name = Admin\n");
  rb_error err;
  expect_failure(f, "corp", "UnsupportedCredentials", &err);
  assert_non_null(strstr(err.message, "export-credentials --profile corp"));
}

/* ---- an explicit role (a call's role_arn option) ---- */

static void source_creds(rb_credentials *c, const char *akid, const char *secret,
                         const char *token) {
  c->access_key_id = strdup(akid);
  c->secret_access_key = strdup(secret);
  c->session_token = token ? strdup(token) : NULL;
  snprintf(c->source, sizeof c->source, "environment");
}

static void role_arn_shapes_are_checked(void **state) {
  (void)state;
  assert_true(rb_role_arn_valid(ROLE));
  assert_true(rb_role_arn_valid("arn:aws-cn:iam::123456789012:role/path/to/x"));
  assert_false(rb_role_arn_valid(NULL));
  assert_false(rb_role_arn_valid(""));
  assert_false(rb_role_arn_valid("deploy"));
  assert_false(rb_role_arn_valid("arn:aws:iam::123456789012:user/dev"));
  assert_false(rb_role_arn_valid("arn:aws:iam::12345678901x:role/x"));
  assert_false(rb_role_arn_valid("arn:aws:iam:::role/x"));
  assert_false(rb_role_arn_valid("arn:aws:iam::123456789012:role/"));
  assert_false(rb_role_arn_valid("arn::iam::123456789012:role/x"));
  assert_false(rb_role_arn_valid("arn:aws:sts::123456789012:role/x"));
}

static void explicit_role_is_assumed_with_the_source_credentials(void **state) {
  fake *f = *state;
  fake_sts_reply_creds(f, "ASIAEXPLICIT00000001");
  rb_cred_env env = fake_env(f);
  env.region = "eu-west-1";
  rb_credentials src = RB_CREDENTIALS_INIT, out = RB_CREDENTIALS_INIT;
  rb_error err;
  rb_error_clear(&err);
  source_creds(&src, "AKIASOURCE0000000001", "source-secret", "source-token");
  rb_assume_role role = {ROLE2, "ext-42", "audit", "profile 'base'"};
  assert_int_equal(rb_credentials_assume_role(&env, &src, &role, &out, &err), 0);
  assert_string_equal(out.access_key_id, "ASIAEXPLICIT00000001");
  assert_string_equal(out.session_token, TOKEN);
  assert_int_equal(out.expiration, NOW + 3600);
  assert_string_equal(out.source, "assume-role:" ROLE2);
  assert_int_equal(f->nsts, 1);
  assert_string_equal(f->sts[0].op, "AssumeRole");
  assert_string_equal(f->sts[0].src_akid, "AKIASOURCE0000000001");
  assert_string_equal(f->sts[0].src_token, "source-token");
  assert_string_equal(f->sts[0].region, "eu-west-1");
  char v[256];
  assert_string_equal(param(f, 0, "RoleArn", v, sizeof v), ROLE2);
  assert_string_equal(param(f, 0, "ExternalId", v, sizeof v), "ext-42");
  assert_string_equal(param(f, 0, "RoleSessionName", v, sizeof v), "audit");
  rb_credentials_free(&src);
  rb_credentials_free(&out);
}

static void explicit_role_defaults_its_session_name_and_region(void **state) {
  fake *f = *state;
  fake_sts_reply_creds(f, "ASIAEXPLICIT00000002");
  rb_cred_env env = fake_env(f);
  rb_credentials src = RB_CREDENTIALS_INIT, out = RB_CREDENTIALS_INIT;
  rb_error err;
  source_creds(&src, "AKIASOURCE0000000001", "source-secret", NULL);
  rb_assume_role role = {ROLE, NULL, NULL, NULL};
  assert_int_equal(rb_credentials_assume_role(&env, &src, &role, &out, &err), 0);
  char v[256];
  assert_string_equal(param(f, 0, "RoleSessionName", v, sizeof v), "runbook-1795744800");
  assert_string_equal(param(f, 0, "ExternalId", v, sizeof v), "(absent)");
  assert_string_equal(f->sts[0].region, "us-east-1");
  rb_credentials_free(&src);
  rb_credentials_free(&out);
}

static void explicit_role_errors_name_the_role_and_hide_secrets(void **state) {
  fake *f = *state;
  rb_cred_env env = fake_env(f);
  rb_credentials src = RB_CREDENTIALS_INIT, out = RB_CREDENTIALS_INIT;
  rb_error err;
  source_creds(&src, AKID, SECRET, TOKEN);
  rb_assume_role bad = {"arn:aws:iam::123456789012:user/dev", NULL, NULL, NULL};
  assert_int_equal(rb_credentials_assume_role(&env, &src, &bad, &out, &err), -1);
  assert_string_equal(err.code, "InvalidConfig");
  assert_non_null(strstr(err.message, "is not an IAM role ARN"));
  assert_int_equal(f->nsts, 0);

  f->sts_error_code = "AccessDenied";
  rb_assume_role role = {ROLE, NULL, NULL, "profile 'base'"};
  assert_int_equal(rb_credentials_assume_role(&env, &src, &role, &out, &err), -1);
  assert_string_equal(err.code, "AccessDenied");
  assert_int_equal(err.status, 403);
  assert_non_null(
      strstr(err.message, "cannot assume role '" ROLE "' for profile 'base'"));
  assert_null(out.access_key_id);
  assert_no_secret(&err);
  rb_credentials_free(&src);
}

#define T(name) cmocka_unit_test_setup_teardown(name, fake_setup, fake_teardown)

int main(void) {
  const struct CMUnitTest tests[] = {
      T(assume_role_uses_source_profile_credentials),
      T(assume_role_passes_options),
      T(assume_role_session_name_and_region_override),
      T(assume_role_chains_through_roles),
      T(assume_role_cycle_is_detected),
      T(assume_role_self_reference_without_keys_is_a_loop),
      T(assume_role_self_reference_uses_own_keys),
      T(assume_role_config_errors_are_clear),
      T(assume_role_with_mfa_is_refused),
      T(credential_source_environment_signs_with_env_keys),
      T(credential_source_container_signs_with_container_keys),
      T(credential_source_with_nothing_there_is_an_error),
      T(sts_error_keeps_its_code_and_names_the_role),
      T(sts_reply_without_credentials_is_an_error),
      T(sts_reply_in_result_wrapper_is_accepted),
      T(assume_role_profile_wins_over_env_web_identity),
      T(web_identity_from_env_reads_the_token_file),
      T(web_identity_env_wins_over_static_profile_keys),
      T(web_identity_env_is_skipped_for_explicit_profile),
      T(web_identity_from_profile),
      T(web_identity_without_role_arn_is_an_error),
      T(web_identity_unreadable_token_file_is_an_error),
      T(web_identity_sts_error_never_shows_the_token),
      T(sso_profile_is_reported_unsupported),
      T(role_arn_shapes_are_checked),
      T(explicit_role_is_assumed_with_the_source_credentials),
      T(explicit_role_defaults_its_session_name_and_region),
      T(explicit_role_errors_name_the_role_and_hide_secrets),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
