/* test_credentials.c — the chain's order, the environment source, the shared files
 * (sections, overrides, long values), rb_config_get, expiry, timestamps and the
 * NoCredentials line. Offline: a fake environment and a mkdtemp HOME. */
#include "test_credentials_fakes.h"

static void set_env_keys(fake *f) {
  fake_set(f, "AWS_ACCESS_KEY_ID", AKID);
  fake_set(f, "AWS_SECRET_ACCESS_KEY", SECRET);
}

static void write_default_files(fake *f) {
  fake_write(f, ".aws/credentials",
             "[default]\naws_access_key_id = AKIAFILEDEFAULT00001\n"
             "aws_secret_access_key = " SECRET "\n"
             "[dev]\naws_access_key_id = AKIAFILEDEV000000001\n"
             "aws_secret_access_key = " SECRET "\n");
}

/* ---- environment ---- */

static void env_keys_are_used_first(void **state) {
  fake *f = *state;
  set_env_keys(f);
  fake_set(f, "AWS_SESSION_TOKEN", TOKEN);
  write_default_files(f);
  rb_credentials c = RB_CREDENTIALS_INIT;
  resolve_ok(f, NULL, &c);
  assert_string_equal(c.access_key_id, AKID);
  assert_string_equal(c.secret_access_key, SECRET);
  assert_string_equal(c.session_token, TOKEN);
  assert_int_equal(c.expiration, 0);
  assert_string_equal(c.source, "environment");
  rb_credentials_free(&c);
}

static void env_security_token_is_read_when_session_token_unset(void **state) {
  fake *f = *state;
  set_env_keys(f);
  fake_set(f, "AWS_SECURITY_TOKEN", TOKEN);
  rb_credentials c = RB_CREDENTIALS_INIT;
  resolve_ok(f, NULL, &c);
  assert_string_equal(c.session_token, TOKEN);
  rb_credentials_free(&c);
}

static void env_session_token_wins_over_security_token(void **state) {
  fake *f = *state;
  set_env_keys(f);
  fake_set(f, "AWS_SECURITY_TOKEN", "stale-token");
  fake_set(f, "AWS_SESSION_TOKEN", TOKEN);
  rb_credentials c = RB_CREDENTIALS_INIT;
  resolve_ok(f, NULL, &c);
  assert_string_equal(c.session_token, TOKEN);
  rb_credentials_free(&c);
}

static void env_without_token_has_null_token(void **state) {
  fake *f = *state;
  set_env_keys(f);
  fake_set(f, "AWS_SESSION_TOKEN", "");
  rb_credentials c = RB_CREDENTIALS_INIT;
  resolve_ok(f, NULL, &c);
  assert_null(c.session_token);
  rb_credentials_free(&c);
}

static void env_key_without_secret_is_partial(void **state) {
  fake *f = *state;
  fake_set(f, "AWS_ACCESS_KEY_ID", AKID);
  write_default_files(f);
  rb_error err;
  expect_failure(f, NULL, "PartialCredentials", &err);
  assert_non_null(strstr(err.message, "AWS_SECRET_ACCESS_KEY"));
}

static void env_secret_alone_is_ignored(void **state) {
  fake *f = *state;
  fake_set(f, "AWS_SECRET_ACCESS_KEY", SECRET);
  write_default_files(f);
  rb_credentials c = RB_CREDENTIALS_INIT;
  resolve_ok(f, NULL, &c);
  assert_string_equal(c.access_key_id, "AKIAFILEDEFAULT00001");
  rb_credentials_free(&c);
}

static void env_expiration_is_read(void **state) {
  fake *f = *state;
  set_env_keys(f);
  fake_set(f, "AWS_CREDENTIAL_EXPIRATION", IN_ONE_HOUR);
  rb_credentials c = RB_CREDENTIALS_INIT;
  resolve_ok(f, NULL, &c);
  assert_int_equal(c.expiration, NOW + 3600);
  rb_credentials_free(&c);
}

static void env_expired_credentials_are_an_error(void **state) {
  fake *f = *state;
  set_env_keys(f);
  fake_set(f, "AWS_CREDENTIAL_EXPIRATION", AN_HOUR_AGO);
  write_default_files(f);
  rb_error err;
  expect_failure(f, NULL, "ExpiredCredentials", &err);
  assert_non_null(strstr(err.message, AN_HOUR_AGO));
}

static void explicit_profile_skips_env_keys(void **state) {
  fake *f = *state;
  set_env_keys(f);
  write_default_files(f);
  rb_credentials c = RB_CREDENTIALS_INIT;
  resolve_ok(f, "dev", &c);
  assert_string_equal(c.access_key_id, "AKIAFILEDEV000000001");
  assert_string_equal(c.source, "profile:dev");
  rb_credentials_free(&c);
}

static void aws_profile_env_does_not_skip_env_keys(void **state) {
  fake *f = *state;
  set_env_keys(f);
  fake_set(f, "AWS_PROFILE", "dev");
  write_default_files(f);
  rb_credentials c = RB_CREDENTIALS_INIT;
  resolve_ok(f, NULL, &c);
  assert_string_equal(c.access_key_id, AKID);
  rb_credentials_free(&c);
}

/* ---- profile selection and the files ---- */

static void aws_profile_selects_the_profile(void **state) {
  fake *f = *state;
  fake_set(f, "AWS_PROFILE", "dev");
  fake_set(f, "AWS_DEFAULT_PROFILE", "default");
  write_default_files(f);
  rb_credentials c = RB_CREDENTIALS_INIT;
  resolve_ok(f, NULL, &c);
  assert_string_equal(c.access_key_id, "AKIAFILEDEV000000001");
  rb_credentials_free(&c);
}

static void aws_default_profile_is_the_fallback(void **state) {
  fake *f = *state;
  fake_set(f, "AWS_DEFAULT_PROFILE", "dev");
  write_default_files(f);
  rb_credentials c = RB_CREDENTIALS_INIT;
  resolve_ok(f, NULL, &c);
  assert_string_equal(c.access_key_id, "AKIAFILEDEV000000001");
  rb_credentials_free(&c);
  rb_cred_env env = fake_env(f);
  assert_string_equal(rb_credentials_profile_name(&env, NULL), "dev");
  assert_string_equal(rb_credentials_profile_name(&env, "x"), "x");
  assert_string_equal(rb_credentials_profile_name(&env, ""), "dev");
}

static void config_file_uses_profile_prefix_sections(void **state) {
  fake *f = *state;
  fake_write(f, ".aws/config",
             "[dev]\naws_access_key_id = AKIAWRONGSECTION0001\n"
             "aws_secret_access_key = " SECRET "\n"
             "[profile dev]\naws_access_key_id = AKIACONFIGDEV0000001\n"
             "aws_secret_access_key = " SECRET "\n");
  rb_credentials c = RB_CREDENTIALS_INIT;
  resolve_ok(f, "dev", &c);
  assert_string_equal(c.access_key_id, "AKIACONFIGDEV0000001");
  assert_string_equal(c.source, "profile:dev");
  rb_credentials_free(&c);
}

static void config_file_section_without_prefix_is_not_a_profile(void **state) {
  fake *f = *state;
  fake_write(f, ".aws/config",
             "[dev]\naws_access_key_id = AKIAWRONGSECTION0001\n"
             "aws_secret_access_key = " SECRET "\n");
  rb_error err;
  expect_failure(f, "dev", "ProfileNotFound", &err);
  assert_non_null(strstr(err.message, "'dev'"));
}

static void credentials_file_profile_prefix_is_part_of_the_name(void **state) {
  fake *f = *state;
  fake_write(f, ".aws/credentials",
             "[profile dev]\naws_access_key_id = AKIAPROFILEDEV000001\n"
             "aws_secret_access_key = " SECRET "\n");
  rb_credentials c = RB_CREDENTIALS_INIT;
  resolve_ok(f, "profile dev", &c);
  assert_string_equal(c.access_key_id, "AKIAPROFILEDEV000001");
  rb_credentials_free(&c);
  rb_error err;
  expect_failure(f, "dev", "ProfileNotFound", &err);
}

static void config_file_default_section_is_the_default_profile(void **state) {
  fake *f = *state;
  fake_write(f, ".aws/config",
             "[default]\naws_access_key_id = AKIACONFIGDEFAULT001\n"
             "aws_secret_access_key = " SECRET "\naws_session_token = " TOKEN "\n");
  rb_credentials c = RB_CREDENTIALS_INIT;
  resolve_ok(f, NULL, &c);
  assert_string_equal(c.access_key_id, "AKIACONFIGDEFAULT001");
  assert_string_equal(c.session_token, TOKEN);
  rb_credentials_free(&c);
}

static void credentials_file_wins_over_config_file(void **state) {
  fake *f = *state;
  write_default_files(f);
  fake_write(f, ".aws/config",
             "[default]\naws_access_key_id = AKIACONFIGDEFAULT001\n"
             "aws_secret_access_key = " SECRET "\n");
  rb_credentials c = RB_CREDENTIALS_INIT;
  resolve_ok(f, NULL, &c);
  assert_string_equal(c.access_key_id, "AKIAFILEDEFAULT00001");
  rb_credentials_free(&c);
}

static void file_env_vars_override_the_paths(void **state) {
  fake *f = *state;
  write_default_files(f); /* in HOME: must be ignored */
  fake_set(f, "AWS_SHARED_CREDENTIALS_FILE",
           fake_write(f, "elsewhere/creds",
                      "[default]\naws_access_key_id = AKIAOTHERFILE0000001\n"
                      "aws_secret_access_key = " SECRET "\n"));
  rb_credentials c = RB_CREDENTIALS_INIT;
  resolve_ok(f, NULL, &c);
  assert_string_equal(c.access_key_id, "AKIAOTHERFILE0000001");
  rb_credentials_free(&c);

  fake_set(f, "AWS_SHARED_CREDENTIALS_FILE", fake_path(f, "elsewhere/none"));
  fake_set(f, "AWS_CONFIG_FILE",
           fake_write(f, "elsewhere/conf",
                      "[profile dev]\naws_access_key_id = AKIAOTHERCONFIG00001\n"
                      "aws_secret_access_key = " SECRET "\n"));
  resolve_ok(f, "dev", &c);
  assert_string_equal(c.access_key_id, "AKIAOTHERCONFIG00001");
  rb_credentials_free(&c);
}

static void file_paths_expand_tilde_from_home(void **state) {
  fake *f = *state;
  fake_write(f, "custom/creds",
             "[default]\naws_access_key_id = AKIATILDEPATH0000001\n"
             "aws_secret_access_key = " SECRET "\n");
  fake_set(f, "AWS_SHARED_CREDENTIALS_FILE", "~/custom/creds");
  rb_credentials c = RB_CREDENTIALS_INIT;
  resolve_ok(f, NULL, &c);
  assert_string_equal(c.access_key_id, "AKIATILDEPATH0000001");
  rb_credentials_free(&c);
}

static void long_session_token_in_file_is_read_whole(void **state) {
  fake *f = *state;
  char *creds = vector_text("credentials");
  char *want = vector_text("long_session_token.txt");
  want[strcspn(want, "\n")] = '\0';
  assert_true(strlen(want) > 1000);
  fake_set(f, "AWS_SHARED_CREDENTIALS_FILE", fake_write(f, "creds", creds));
  rb_credentials c = RB_CREDENTIALS_INIT;
  resolve_ok(f, "dev", &c);
  assert_string_equal(c.access_key_id, "AKIADEVDEVDEVEXAMPLE");
  assert_string_equal(c.secret_access_key, SECRET);
  assert_string_equal(c.session_token, want);
  rb_credentials_free(&c);
  free(creds);
  free(want);
}

static void long_value_keeps_its_inline_comment_rule(void **state) {
  fake *f = *state;
  char line[1200];
  snprintf(line, sizeof line,
           "[default]\naws_access_key_id = AKIALONGCOMMENT00001\n"
           "aws_secret_access_key = " SECRET "\n"
           "aws_session_token = %s%0600d   ; a comment after a long value\n",
           TOKEN, 0);
  fake_write(f, ".aws/credentials", line);
  rb_credentials c = RB_CREDENTIALS_INIT;
  resolve_ok(f, NULL, &c);
  assert_int_equal(strlen(c.session_token), strlen(TOKEN) + 600);
  assert_int_equal(strncmp(c.session_token, TOKEN, strlen(TOKEN)), 0);
  rb_credentials_free(&c);
}

static void long_profile_names_bom_and_crlf_are_handled(void **state) {
  fake *f = *state;
  fake_write(
      f, ".aws/config",
      "\xEF\xBB\xBF[profile AWSAdministratorAccess-123456789012-production-eu-west-1]\r\n"
      "aws_access_key_id = AKIALONGPROFILENAME1\r\n"
      "aws_secret_access_key = " SECRET "\r\n"
      "[profile AWSAdministratorAccess-123456789012-production-eu-west-2]\r\n"
      "aws_access_key_id = AKIALONGPROFILENAME2\r\n"
      "aws_secret_access_key = " SECRET "\r\n");
  rb_credentials c = RB_CREDENTIALS_INIT;
  resolve_ok(f, "AWSAdministratorAccess-123456789012-production-eu-west-1", &c);
  assert_string_equal(c.access_key_id, "AKIALONGPROFILENAME1");
  assert_string_equal(c.secret_access_key, SECRET);
  rb_credentials_free(&c);
  resolve_ok(f, "AWSAdministratorAccess-123456789012-production-eu-west-2", &c);
  assert_string_equal(c.access_key_id, "AKIALONGPROFILENAME2");
  rb_credentials_free(&c);
}

static void partial_file_keys_are_an_error(void **state) {
  fake *f = *state;
  fake_write(f, ".aws/credentials",
             "[default]\naws_access_key_id = AKIAPARTIAL000000001\n");
  rb_error err;
  expect_failure(f, NULL, "PartialCredentials", &err);
  assert_non_null(strstr(err.message, "aws_secret_access_key"));
  assert_non_null(strstr(err.message, "~/.aws/credentials"));
}

static void malformed_file_names_the_file_and_line(void **state) {
  fake *f = *state;
  fake_write(f, ".aws/config", "[default]\nregion = us-east-1\nthis line is broken\n");
  rb_error err;
  expect_failure(f, NULL, "ConfigParseError", &err);
  assert_non_null(strstr(err.message, "~/.aws/config"));
  assert_non_null(strstr(err.message, "line 3"));
}

static void malformed_file_never_echoes_its_text(void **state) {
  fake *f = *state;
  fake_write(f, ".aws/credentials", "[default]\n" SECRET "\n");
  rb_error err;
  expect_failure(f, NULL, "ConfigParseError", &err);
}

static void unknown_named_profile_is_not_found(void **state) {
  fake *f = *state;
  write_default_files(f);
  fake_set(f, "AWS_PROFILE", "typo");
  rb_error err;
  expect_failure(f, NULL, "ProfileNotFound", &err);
  assert_string_equal(err.message,
                      "profile 'typo' not found in ~/.aws/credentials or ~/.aws/config");
}

static void empty_section_counts_as_a_profile(void **state) {
  fake *f = *state;
  fake_write(f, ".aws/config", "[profile empty]\n");
  fake_set(f, "AWS_EC2_METADATA_DISABLED", "true");
  rb_error err;
  expect_failure(f, "empty", "NoCredentials", &err);
  assert_non_null(strstr(err.message, "profile 'empty'"));
}

/* ---- the vectors ---- */

static void vector_files_parse_like_botocore(void **state) {
  fake *f = *state;
  char *config = vector_text("config"), *creds = vector_text("credentials");
  fake_set(f, "AWS_CONFIG_FILE", fake_write(f, "vconfig", config));
  fake_set(f, "AWS_SHARED_CREDENTIALS_FILE", fake_write(f, "vcreds", creds));
  free(config);
  free(creds);
  rb_cred_env env = fake_env(f);
  rb_buf v = RB_BUF_INIT;
  rb_error err;
  assert_int_equal(rb_config_get(&env, NULL, "region", &v, &err), 1);
  assert_string_equal(v.data, "us-east-1");
  rb_buf_reset(&v);
  assert_int_equal(rb_config_get(&env, "dev", "RETRY_MODE", &v, &err), 1);
  assert_string_equal(v.data, "adaptive");
  rb_buf_reset(&v);
  assert_int_equal(rb_config_get(&env, "dev", "s3", &v, &err), 1);
  assert_string_equal(v.data, "\naddressing_style = path\nsignature_version = s3v4");
  rb_buf_reset(&v);
  assert_int_equal(rb_config_get(&env, "prod admin", "external_id", &v, &err), 1);
  assert_string_equal(v.data, "runbook-ext-42");
  rb_buf_reset(&v);
  assert_int_equal(rb_config_get(&env, "ci", "role_arn", &v, &err), 1);
  assert_string_equal(v.data, "arn:aws:iam::123456789012:role/ci-deploy");
  rb_buf_reset(&v);
  assert_int_equal(rb_config_get(&env, "dev", "endpoint_url", &v, &err), 0);
  assert_int_equal(rb_config_get(&env, "staging", "region", &v, &err), -1);
  assert_string_equal(err.code, "ProfileNotFound");
  assert_int_equal(rb_config_get(&env, "corp", "sso_region", &v, &err), -1);
  rb_buf_free(&v);
}

static void config_get_reads_the_effective_profile(void **state) {
  fake *f = *state;
  fake_write(f, ".aws/config",
             "[default]\nregion = us-east-1\n[profile dev]\nregion = eu-west-1\n");
  fake_set(f, "AWS_PROFILE", "dev");
  rb_cred_env env = fake_env(f);
  rb_buf v = RB_BUF_INIT;
  rb_error err;
  assert_int_equal(rb_config_get(&env, NULL, "region", &v, &err), 1);
  assert_string_equal(v.data, "eu-west-1");
  rb_buf_reset(&v);
  assert_int_equal(rb_config_get(&env, "default", "region", &v, &err), 1);
  assert_string_equal(v.data, "us-east-1");
  rb_buf_free(&v);
}

static void config_get_without_files_finds_nothing(void **state) {
  fake *f = *state;
  rb_cred_env env = fake_env(f);
  rb_buf v = RB_BUF_INIT;
  rb_error err;
  assert_int_equal(rb_config_get(&env, NULL, "region", &v, &err), 0);
  assert_int_equal(v.len, 0);
  rb_buf_free(&v);
}

/* ---- nothing found ---- */

static void no_credentials_lists_every_source_tried(void **state) {
  fake *f = *state;
  fake_set(f, "AWS_EC2_METADATA_DISABLED", "true");
  rb_error err;
  expect_failure(f, NULL, "NoCredentials", &err);
  assert_string_equal(
      err.message,
      "no AWS credentials found: tried environment (AWS_ACCESS_KEY_ID), profile "
      "'default' in "
      "~/.aws/credentials (missing) and ~/.aws/config (missing), web identity "
      "(AWS_WEB_IDENTITY_TOKEN_FILE), container (AWS_CONTAINER_CREDENTIALS_*), instance "
      "metadata (disabled)");
  assert_null(strchr(err.message, '\n'));
  assert_int_equal(f->nreqs, 0); /* disabled means no request at all */
}

static void no_credentials_says_why_instance_metadata_gave_nothing(void **state) {
  fake *f = *state;
  write_default_files(f);
  rb_error err;
  expect_failure(f, "empty", "ProfileNotFound", &err);
  fake_write(f, ".aws/config", "[profile empty]\nregion = us-east-1\n");
  expect_failure(f, "empty", "NoCredentials", &err);
  assert_non_null(strstr(err.message, "environment (skipped: profile given explicitly)"));
  assert_non_null(strstr(err.message, "~/.aws/credentials and ~/.aws/config,"));
  assert_non_null(strstr(err.message, "instance metadata (not reachable)"));
}

/* ---- expiry and timestamps ---- */

static void expiring_within_five_minutes(void **state) {
  (void)state;
  rb_credentials c = RB_CREDENTIALS_INIT;
  assert_int_equal(rb_credentials_expiring(&c, NOW), 0); /* never expires */
  c.expiration = NOW + 3600;
  assert_int_equal(rb_credentials_expiring(&c, NOW), 0);
  c.expiration = NOW + 301;
  assert_int_equal(rb_credentials_expiring(&c, NOW), 0);
  c.expiration = NOW + 300;
  assert_int_equal(rb_credentials_expiring(&c, NOW), 1);
  c.expiration = NOW - 10;
  assert_int_equal(rb_credentials_expiring(&c, NOW), 1);
}

static void parse_time_accepts_aws_forms(void **state) {
  (void)state;
  long long t = 0;
  assert_int_equal(rb_credentials_parse_time("2026-11-27T03:00:00Z", &t), 0);
  assert_int_equal(t, NOW + 3600);
  assert_int_equal(rb_credentials_parse_time("2026-11-27T03:00:00.123Z", &t), 0);
  assert_int_equal(t, NOW + 3600);
  assert_int_equal(rb_credentials_parse_time("2026-11-27T05:30:00+02:30", &t), 0);
  assert_int_equal(t, NOW + 3600);
  assert_int_equal(rb_credentials_parse_time("2026-11-26T22:00:00-05:00", &t), 0);
  assert_int_equal(t, NOW + 3600);
  assert_int_equal(rb_credentials_parse_time("1970-01-01T00:00:00Z", &t), 0);
  assert_int_equal(t, 0);
  assert_int_equal(rb_credentials_parse_time("2024-02-29T00:00:00Z", &t), 0);
}

static void parse_time_rejects_malformed(void **state) {
  (void)state;
  long long t = 42;
  const char *bad[] = {"",
                       "2026-11-27",
                       "2026-11-27T03:00:00",
                       "2026-11-27T03:00Z",
                       "2026-13-27T03:00:00Z",
                       "2026-02-30T03:00:00Z",
                       "2026-11-27T24:00:00Z",
                       "2026-11-27T03:00:00Zjunk",
                       "2026-11-27T03:00:00.Z",
                       "26-11-27T03:00:00Z",
                       "1795748400"};
  for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
    if (rb_credentials_parse_time(bad[i], &t) != -1)
      fail_msg("accepted '%s'", bad[i]);
  assert_int_equal(t, 42);
}

static void free_wipes_and_zeroes(void **state) {
  (void)state;
  rb_credentials c = RB_CREDENTIALS_INIT;
  c.access_key_id = strdup(AKID);
  c.secret_access_key = strdup(SECRET);
  c.session_token = strdup(TOKEN);
  c.expiration = 5;
  rb_credentials_free(&c);
  assert_null(c.access_key_id);
  assert_null(c.secret_access_key);
  assert_null(c.session_token);
  assert_int_equal(c.expiration, 0);
  rb_credentials_free(&c); /* twice is harmless */
}

#define T(name) cmocka_unit_test_setup_teardown(name, fake_setup, fake_teardown)

int main(void) {
  const struct CMUnitTest tests[] = {
      T(env_keys_are_used_first),
      T(env_security_token_is_read_when_session_token_unset),
      T(env_session_token_wins_over_security_token),
      T(env_without_token_has_null_token),
      T(env_key_without_secret_is_partial),
      T(env_secret_alone_is_ignored),
      T(env_expiration_is_read),
      T(env_expired_credentials_are_an_error),
      T(explicit_profile_skips_env_keys),
      T(aws_profile_env_does_not_skip_env_keys),
      T(aws_profile_selects_the_profile),
      T(aws_default_profile_is_the_fallback),
      T(config_file_uses_profile_prefix_sections),
      T(config_file_section_without_prefix_is_not_a_profile),
      T(credentials_file_profile_prefix_is_part_of_the_name),
      T(config_file_default_section_is_the_default_profile),
      T(credentials_file_wins_over_config_file),
      T(file_env_vars_override_the_paths),
      T(file_paths_expand_tilde_from_home),
      T(long_session_token_in_file_is_read_whole),
      T(long_value_keeps_its_inline_comment_rule),
      T(long_profile_names_bom_and_crlf_are_handled),
      T(partial_file_keys_are_an_error),
      T(malformed_file_names_the_file_and_line),
      T(malformed_file_never_echoes_its_text),
      T(unknown_named_profile_is_not_found),
      T(empty_section_counts_as_a_profile),
      T(vector_files_parse_like_botocore),
      T(config_get_reads_the_effective_profile),
      T(config_get_without_files_finds_nothing),
      T(no_credentials_lists_every_source_tried),
      T(no_credentials_says_why_instance_metadata_gave_nothing),
      T(expiring_within_five_minutes),
      T(parse_time_accepts_aws_forms),
      T(parse_time_rejects_malformed),
      T(free_wipes_and_zeroes),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
