/* test_credentials_process.c — credential_process: a real /bin/sh command prints the
 * JSON; success, expiry, failures (exit status, signal, bad JSON, wrong Version, missing
 * keys) and where it sits between the credentials file and the config file. Every failure
 * is checked for leaked secrets: the commands print the distinctive secret on purpose. */
#include "test_credentials_fakes.h"

/* Writes a config with `dev` running `command`, and returns nothing. */
static void config_with_process(fake *f, const char *command) {
  char text[2048];
  snprintf(text, sizeof text,
           "[profile dev]\nregion = eu-west-1\ncredential_process = %s\n", command);
  fake_write(f, ".aws/config", text);
}

/* A command that prints the vector file given (copied into the temp dir). */
static void config_printing_vector(fake *f, const char *vector) {
  char *json = vector_text(vector);
  char command[600];
  snprintf(command, sizeof command, "cat '%s'", fake_write(f, "out.json", json));
  free(json);
  config_with_process(f, command);
}

static void process_output_is_parsed(void **state) {
  fake *f = *state;
  config_printing_vector(f, "process_output.json");
  rb_cred_env env = fake_env(f);
  rb_credentials c = RB_CREDENTIALS_INIT;
  rb_error err;
  assert_int_equal(rb_credentials_resolve(&env, "dev", &c, &err), 0);
  assert_string_equal(c.access_key_id, "ASIAPROCESSEXAMPLE01");
  assert_string_equal(c.secret_access_key, SECRET);
  assert_string_equal(c.session_token, TOKEN);
  assert_int_equal(c.expiration, NOW + 3600);
  assert_string_equal(c.source, "process:dev");
  rb_credentials_free(&c);
}

static void process_without_expiration_does_not_expire(void **state) {
  fake *f = *state;
  config_with_process(f, "printf '{\"Version\": 1, \"AccessKeyId\": \"AKIAPROC\", "
                         "\"SecretAccessKey\": \"" SECRET "\"}'");
  rb_cred_env env = fake_env(f);
  rb_credentials c = RB_CREDENTIALS_INIT;
  rb_error err;
  assert_int_equal(rb_credentials_resolve(&env, "dev", &c, &err), 0);
  assert_string_equal(c.access_key_id, "AKIAPROC");
  assert_null(c.session_token);
  assert_int_equal(c.expiration, 0);
  rb_credentials_free(&c);
}

static void process_runs_through_the_shell(void **state) {
  fake *f = *state;
  /* pipes, quoting and variables: /bin/sh -c, not a naive split */
  config_with_process(f, "A=AKIASHELL; printf '{\"Version\":1,\"AccessKeyId\":\"%s\","
                         "\"SecretAccessKey\":\"x y\"}' \"$A\" | cat");
  rb_cred_env env = fake_env(f);
  rb_credentials c = RB_CREDENTIALS_INIT;
  rb_error err;
  assert_int_equal(rb_credentials_resolve(&env, "dev", &c, &err), 0);
  assert_string_equal(c.access_key_id, "AKIASHELL");
  assert_string_equal(c.secret_access_key, "x y");
  rb_credentials_free(&c);
}

static void process_exit_status_is_an_error_naming_the_profile(void **state) {
  fake *f = *state;
  config_with_process(f, "echo '" SECRET "'; echo 'token expired' >&2; exit 3");
  rb_error err;
  expect_failure(f, "dev", "CredentialProcessError", &err);
  assert_string_equal(err.message,
                      "credential_process of profile 'dev' failed with exit status 3");
}

static void process_killed_by_signal_is_an_error(void **state) {
  fake *f = *state;
  config_with_process(f, "kill -9 $$");
  rb_error err;
  expect_failure(f, "dev", "CredentialProcessError", &err);
  assert_non_null(strstr(err.message, "signal 9"));
}

static void process_bad_json_is_an_error_without_echo(void **state) {
  fake *f = *state;
  config_with_process(f, "printf '{\"Version\": 1, \"AccessKeyId\": \"AKIA\", "
                         "\"SecretAccessKey\": \"" SECRET "\"'");
  rb_error err;
  expect_failure(f, "dev", "CredentialProcessError", &err);
  assert_string_equal(err.message,
                      "credential_process of profile 'dev' did not print a JSON object");
}

static void process_empty_output_is_an_error(void **state) {
  fake *f = *state;
  config_with_process(f, "true");
  rb_error err;
  expect_failure(f, "dev", "CredentialProcessError", &err);
}

static void process_wrong_version_is_an_error(void **state) {
  fake *f = *state;
  config_with_process(f, "printf '{\"Version\": 2, \"AccessKeyId\": \"AKIA\", "
                         "\"SecretAccessKey\": \"" SECRET "\"}'");
  rb_error err;
  expect_failure(f, "dev", "CredentialProcessError", &err);
  assert_non_null(strstr(err.message, "Version"));
}

static void process_missing_secret_is_an_error(void **state) {
  fake *f = *state;
  config_with_process(f, "printf '{\"Version\": 1, \"AccessKeyId\": \"AKIA\", "
                         "\"SessionToken\": \"" TOKEN "\"}'");
  rb_error err;
  expect_failure(f, "dev", "CredentialProcessError", &err);
  assert_non_null(strstr(err.message, "SecretAccessKey"));
}

static void process_expired_credentials_are_an_error(void **state) {
  fake *f = *state;
  config_with_process(f, "printf '{\"Version\": 1, \"AccessKeyId\": \"AKIA\", "
                         "\"SecretAccessKey\": \"" SECRET "\", \"SessionToken\": \"" TOKEN
                         "\", \"Expiration\": \"" AN_HOUR_AGO "\"}'");
  rb_error err;
  expect_failure(f, "dev", "ExpiredCredentials", &err);
  assert_non_null(strstr(err.message, AN_HOUR_AGO));
}

static void process_bad_expiration_is_an_error(void **state) {
  fake *f = *state;
  config_with_process(f,
                      "printf '{\"Version\": 1, \"AccessKeyId\": \"AKIA\", "
                      "\"SecretAccessKey\": \"" SECRET "\", \"Expiration\": \"soon\"}'");
  rb_error err;
  expect_failure(f, "dev", "CredentialProcessError", &err);
}

static void credentials_file_keys_win_over_process(void **state) {
  fake *f = *state;
  config_with_process(f, "exit 1");
  fake_write(f, ".aws/credentials",
             "[dev]\naws_access_key_id = AKIASHAREDFILE000001\n"
             "aws_secret_access_key = " SECRET "\n");
  rb_cred_env env = fake_env(f);
  rb_credentials c = RB_CREDENTIALS_INIT;
  rb_error err;
  assert_int_equal(rb_credentials_resolve(&env, "dev", &c, &err), 0);
  assert_string_equal(c.access_key_id, "AKIASHAREDFILE000001");
  rb_credentials_free(&c);
}

static void process_wins_over_config_file_keys(void **state) {
  fake *f = *state;
  fake_write(f, ".aws/config",
             "[profile dev]\naws_access_key_id = AKIACONFIGFILE000001\n"
             "aws_secret_access_key = " SECRET "\n"
             "credential_process = printf '{\"Version\":1,\"AccessKeyId\":\"AKIAPROC\","
             "\"SecretAccessKey\":\"s\"}'\n");
  rb_cred_env env = fake_env(f);
  rb_credentials c = RB_CREDENTIALS_INIT;
  rb_error err;
  assert_int_equal(rb_credentials_resolve(&env, "dev", &c, &err), 0);
  assert_string_equal(c.access_key_id, "AKIAPROC");
  assert_string_equal(c.source, "process:dev");
  rb_credentials_free(&c);
}

static void process_in_credentials_file_is_honoured(void **state) {
  fake *f = *state;
  fake_write(f, ".aws/credentials",
             "[default]\ncredential_process = printf '{\"Version\":1,\"AccessKeyId\":"
             "\"AKIAFROMCREDS\",\"SecretAccessKey\":\"s\"}'\n");
  rb_cred_env env = fake_env(f);
  rb_credentials c = RB_CREDENTIALS_INIT;
  rb_error err;
  assert_int_equal(rb_credentials_resolve(&env, NULL, &c, &err), 0);
  assert_string_equal(c.access_key_id, "AKIAFROMCREDS");
  rb_credentials_free(&c);
}

#define T(name) cmocka_unit_test_setup_teardown(name, fake_setup, fake_teardown)

int main(void) {
  const struct CMUnitTest tests[] = {
      T(process_output_is_parsed),
      T(process_without_expiration_does_not_expire),
      T(process_runs_through_the_shell),
      T(process_exit_status_is_an_error_naming_the_profile),
      T(process_killed_by_signal_is_an_error),
      T(process_bad_json_is_an_error_without_echo),
      T(process_empty_output_is_an_error),
      T(process_wrong_version_is_an_error),
      T(process_missing_secret_is_an_error),
      T(process_expired_credentials_are_an_error),
      T(process_bad_expiration_is_an_error),
      T(credentials_file_keys_win_over_process),
      T(process_wins_over_config_file_keys),
      T(process_in_credentials_file_is_honoured),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
