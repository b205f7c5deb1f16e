/* test_credentials_remote.c — the container endpoint and EC2 instance metadata, through
 * scripted HTTP routes: URLs, headers (Authorization, the IMDSv2 token), timeouts, the
 * IMDSv1 fallback, failures, and where both sit in the chain. */
#include "test_credentials_fakes.h"

#define IMDS "http://169.254.169.254"
#define IMDS_TOKEN "AQAEAzIMDSTOKENzQ=="
#define ROLE_PATH "/latest/meta-data/iam/security-credentials/"

static void route_vector(fake *f, const char *method, const char *url,
                         const char *vector) {
  char *body = vector_text(vector);
  fake_route_add(f, method, url, 200, body);
  free(body);
}

/* ---- container ---- */

static void container_full_uri_with_auth_token(void **state) {
  fake *f = *state;
  fake_set(f, "AWS_CONTAINER_CREDENTIALS_FULL_URI",
           "http://127.0.0.1:8099/v1/credentials");
  fake_set(f, "AWS_CONTAINER_AUTHORIZATION_TOKEN", AUTH_TOKEN);
  route_vector(f, "GET", "http://127.0.0.1:8099/v1/credentials",
               "container_credentials.json");
  rb_credentials c = RB_CREDENTIALS_INIT;
  resolve_ok(f, NULL, &c);
  assert_string_equal(c.access_key_id, "ASIACONTAINEREXAMPLE");
  assert_string_equal(c.secret_access_key, SECRET);
  assert_string_equal(c.session_token, TOKEN);
  assert_int_equal(c.expiration, NOW + 3600);
  assert_string_equal(c.source, "container");
  rb_credentials_free(&c);
  assert_int_equal(f->nreqs, 1);
  assert_string_equal(rb_headers_get(&f->reqs[0].headers, "Authorization"), AUTH_TOKEN);
  assert_string_equal(rb_headers_get(&f->reqs[0].headers, "Accept"), "application/json");
  assert_true(f->reqs[0].timeout_ms > 0 && f->reqs[0].timeout_ms <= 5000);
}

static void container_token_file_wins_over_token(void **state) {
  fake *f = *state;
  fake_set(f, "AWS_CONTAINER_CREDENTIALS_FULL_URI", "http://localhost:8099/creds");
  fake_set(f, "AWS_CONTAINER_AUTHORIZATION_TOKEN", "stale");
  fake_set(f, "AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE",
           fake_write(f, "eks-pod-identity-token", AUTH_TOKEN "\n"));
  route_vector(f, "GET", "http://localhost:8099/creds", "container_credentials.json");
  rb_credentials c = RB_CREDENTIALS_INIT;
  resolve_ok(f, NULL, &c);
  rb_credentials_free(&c);
  assert_string_equal(rb_headers_get(&f->reqs[0].headers, "Authorization"), AUTH_TOKEN);
}

static void container_relative_uri_uses_the_ecs_address(void **state) {
  fake *f = *state;
  fake_set(f, "AWS_CONTAINER_CREDENTIALS_RELATIVE_URI", "/v2/credentials/3c1f-4a5e");
  route_vector(f, "GET", "http://169.254.170.2/v2/credentials/3c1f-4a5e",
               "container_credentials.json");
  rb_credentials c = RB_CREDENTIALS_INIT;
  resolve_ok(f, NULL, &c);
  assert_string_equal(c.access_key_id, "ASIACONTAINEREXAMPLE");
  rb_credentials_free(&c);
  assert_null(rb_headers_get(&f->reqs[0].headers, "Authorization"));
}

static void container_relative_uri_base_can_be_replaced(void **state) {
  fake *f = *state;
  fake_set(f, "AWS_CONTAINER_CREDENTIALS_RELATIVE_URI", "/v2/credentials/3c1f-4a5e");
  fake_set(f, "AWS_CONTAINER_CREDENTIALS_FULL_URI", "http://127.0.0.1:1/ignored");
  fake_set(f, "RUNBOOK_CONTAINER_ENDPOINT", "http://127.0.0.1:8123/");
  route_vector(f, "GET", "http://127.0.0.1:8123/v2/credentials/3c1f-4a5e",
               "container_credentials.json");
  rb_credentials c = RB_CREDENTIALS_INIT;
  resolve_ok(f, NULL, &c);
  rb_credentials_free(&c);
  assert_string_equal(f->reqs[0].url, "http://127.0.0.1:8123/v2/credentials/3c1f-4a5e");
}

static void container_full_uri_must_be_https_or_loopback(void **state) {
  fake *f = *state;
  const char *refused[] = {"http://10.0.0.5/creds", "http://example.com/creds",
                           "ftp://127.0.0.1/creds", "http://128.0.0.1/creds",
                           "http://localhost.example.com/creds"};
  for (size_t i = 0; i < sizeof refused / sizeof refused[0]; i++) {
    fake_set(f, "AWS_CONTAINER_CREDENTIALS_FULL_URI", refused[i]);
    rb_error err;
    expect_failure(f, NULL, "ContainerCredentialsError", &err);
    assert_non_null(strstr(err.message, refused[i]));
  }
  assert_int_equal(f->nreqs, 0);
  const char *allowed[] = {"https://creds.internal.example.com/v1",
                           "http://127.0.0.2:80/c", "http://[::1]:8080/c",
                           "http://169.254.170.23/v1/credentials",
                           "http://[fd00:ec2::23]/v1/credentials"};
  for (size_t i = 0; i < sizeof allowed / sizeof allowed[0]; i++) {
    fake_set(f, "AWS_CONTAINER_CREDENTIALS_FULL_URI", allowed[i]);
    route_vector(f, "GET", allowed[i], "container_credentials.json");
    rb_credentials c = RB_CREDENTIALS_INIT;
    resolve_ok(f, NULL, &c);
    rb_credentials_free(&c);
  }
}

static void container_http_error_is_an_error(void **state) {
  fake *f = *state;
  fake_set(f, "AWS_CONTAINER_CREDENTIALS_FULL_URI", "http://127.0.0.1:8099/creds");
  fake_set(f, "AWS_CONTAINER_AUTHORIZATION_TOKEN", AUTH_TOKEN);
  fake_route_add(f, "GET", "http://127.0.0.1:8099/creds", 401,
                 "{\"code\":\"Unauthorized\",\"message\":\"bad token " AUTH_TOKEN "\"}");
  rb_error err;
  expect_failure(f, NULL, "ContainerCredentialsError", &err);
  assert_string_equal(err.message, "cannot get credentials from the container endpoint "
                                   "'http://127.0.0.1:8099/creds': http 401");
}

static void container_unreachable_is_an_error_not_a_fallthrough(void **state) {
  fake *f = *state;
  fake_set(f, "AWS_CONTAINER_CREDENTIALS_FULL_URI", "http://127.0.0.1:8099/creds");
  fake_route_fail(f, "GET", "http://127.0.0.1:8099/creds");
  rb_error err;
  expect_failure(f, NULL, "Timeout", &err);
  assert_non_null(strstr(err.message, "container endpoint"));
  assert_int_equal(f->nreqs, 1); /* instance metadata was not tried */
}

static void container_bad_body_is_an_error(void **state) {
  fake *f = *state;
  fake_set(f, "AWS_CONTAINER_CREDENTIALS_FULL_URI", "http://127.0.0.1:8099/creds");
  fake_route_add(f, "GET", "http://127.0.0.1:8099/creds", 200,
                 "{\"AccessKeyId\":\"ASIA\",\"SecretAccessKey\":\"" SECRET "\"");
  rb_error err;
  expect_failure(f, NULL, "ContainerCredentialsError", &err);
}

static void container_token_with_line_break_is_refused(void **state) {
  fake *f = *state;
  fake_set(f, "AWS_CONTAINER_CREDENTIALS_FULL_URI", "http://127.0.0.1:8099/creds");
  fake_set(f, "AWS_CONTAINER_AUTHORIZATION_TOKEN", AUTH_TOKEN "\r\nX-Injected: 1");
  rb_error err;
  expect_failure(f, NULL, "ContainerCredentialsError", &err);
  assert_int_equal(f->nreqs, 0);
}

static void profile_keys_win_over_container(void **state) {
  fake *f = *state;
  fake_set(f, "AWS_CONTAINER_CREDENTIALS_FULL_URI", "http://127.0.0.1:8099/creds");
  fake_write(f, ".aws/credentials",
             "[default]\naws_access_key_id = AKIAFILE\n"
             "aws_secret_access_key = " SECRET "\n");
  rb_credentials c = RB_CREDENTIALS_INIT;
  resolve_ok(f, NULL, &c);
  assert_string_equal(c.access_key_id, "AKIAFILE");
  rb_credentials_free(&c);
  assert_int_equal(f->nreqs, 0);
}

/* ---- instance metadata ---- */

static void route_imds(fake *f, const char *base) {
  char url[256];
  snprintf(url, sizeof url, "%s/latest/api/token", base);
  fake_route_add(f, "PUT", url, 200, IMDS_TOKEN "\n");
  snprintf(url, sizeof url, "%s" ROLE_PATH, base);
  fake_route_add(f, "GET", url, 200, "ec2-runbook-role\n");
  snprintf(url, sizeof url, "%s" ROLE_PATH "ec2-runbook-role", base);
  route_vector(f, "GET", url, "imds_security_credentials.json");
}

static void imds_v2_token_flow(void **state) {
  fake *f = *state;
  route_imds(f, IMDS);
  rb_credentials c = RB_CREDENTIALS_INIT;
  resolve_ok(f, NULL, &c);
  assert_string_equal(c.access_key_id, "ASIAIMDSEXAMPLE12345");
  assert_string_equal(c.secret_access_key, SECRET);
  assert_string_equal(c.session_token, TOKEN);
  assert_int_equal(c.expiration, NOW + 3600);
  assert_string_equal(c.source, "imds:ec2-runbook-role");
  rb_credentials_free(&c);

  assert_int_equal(f->nreqs, 3);
  assert_string_equal(f->reqs[0].method, "PUT");
  assert_string_equal(f->reqs[0].url, IMDS "/latest/api/token");
  assert_string_equal(
      rb_headers_get(&f->reqs[0].headers, "X-aws-ec2-metadata-token-ttl-seconds"),
      "21600");
  assert_null(rb_headers_get(&f->reqs[0].headers, "X-aws-ec2-metadata-token"));
  for (int i = 1; i < 3; i++) {
    assert_string_equal(f->reqs[i].method, "GET");
    assert_string_equal(rb_headers_get(&f->reqs[i].headers, "X-aws-ec2-metadata-token"),
                        IMDS_TOKEN);
  }
  assert_string_equal(f->reqs[2].url, IMDS ROLE_PATH "ec2-runbook-role");
  for (int i = 0; i < 3; i++)
    assert_int_equal(f->reqs[i].timeout_ms, 1000);
}

static void imds_endpoint_can_be_replaced(void **state) {
  fake *f = *state;
  fake_set(f, "AWS_EC2_METADATA_SERVICE_ENDPOINT", "http://127.0.0.1:8124/");
  route_imds(f, "http://127.0.0.1:8124");
  rb_credentials c = RB_CREDENTIALS_INIT;
  resolve_ok(f, NULL, &c);
  assert_string_equal(c.access_key_id, "ASIAIMDSEXAMPLE12345");
  rb_credentials_free(&c);
}

static void imds_v1_fallback_when_token_refused(void **state) {
  fake *f = *state;
  int codes[] = {403, 404, 405};
  for (size_t i = 0; i < 3; i++) {
    fake_route_add(f, "PUT", IMDS "/latest/api/token", codes[i], "");
    fake_route_add(f, "GET", IMDS ROLE_PATH, 200, "legacy-role");
    route_vector(f, "GET", IMDS ROLE_PATH "legacy-role",
                 "imds_security_credentials.json");
    int first = f->nreqs;
    rb_credentials c = RB_CREDENTIALS_INIT;
    resolve_ok(f, NULL, &c);
    assert_string_equal(c.source, "imds:legacy-role");
    rb_credentials_free(&c);
    assert_null(rb_headers_get(&f->reqs[first + 1].headers, "X-aws-ec2-metadata-token"));
    fake_routes_clear(f);
  }
}

static void imds_disabled_makes_no_request(void **state) {
  fake *f = *state;
  route_imds(f, IMDS);
  fake_set(f, "AWS_EC2_METADATA_DISABLED", "TRUE");
  rb_error err;
  expect_failure(f, NULL, "NoCredentials", &err);
  assert_non_null(strstr(err.message, "instance metadata (disabled)"));
  assert_int_equal(f->nreqs, 0);
}

static void imds_unreachable_falls_through_to_no_credentials(void **state) {
  fake *f = *state;
  fake_route_fail(f, "PUT", IMDS "/latest/api/token");
  rb_error err;
  expect_failure(f, NULL, "NoCredentials", &err);
  assert_non_null(strstr(err.message, "instance metadata (not reachable)"));
  assert_int_equal(f->nreqs, 1);
}

static void imds_without_role_falls_through(void **state) {
  fake *f = *state;
  fake_route_add(f, "PUT", IMDS "/latest/api/token", 200, IMDS_TOKEN);
  fake_route_add(f, "GET", IMDS ROLE_PATH, 404, "<html>Not Found</html>");
  rb_error err;
  expect_failure(f, NULL, "NoCredentials", &err);
  assert_non_null(strstr(err.message, "instance metadata (no instance role)"));
}

static void imds_failure_code_is_an_error(void **state) {
  fake *f = *state;
  fake_route_add(f, "PUT", IMDS "/latest/api/token", 200, IMDS_TOKEN);
  fake_route_add(f, "GET", IMDS ROLE_PATH, 200, "ec2-runbook-role");
  fake_route_add(f, "GET", IMDS ROLE_PATH "ec2-runbook-role", 200,
                 "{\"Code\":\"AssumeRoleUnauthorizedAccess\",\"Message\":\"denied\"}");
  rb_error err;
  expect_failure(f, NULL, "InstanceMetadataError", &err);
  assert_string_equal(err.message,
                      "instance metadata for role 'ec2-runbook-role' answered "
                      "Code 'AssumeRoleUnauthorizedAccess'");
}

static void imds_malformed_role_name_is_ignored(void **state) {
  fake *f = *state;
  fake_route_add(f, "PUT", IMDS "/latest/api/token", 200, IMDS_TOKEN);
  fake_route_add(f, "GET", IMDS ROLE_PATH, 200, "../../user-data");
  rb_error err;
  expect_failure(f, NULL, "NoCredentials", &err);
  assert_int_equal(f->nreqs, 2); /* never fetched the odd path */
}

static void container_wins_over_imds(void **state) {
  fake *f = *state;
  route_imds(f, IMDS);
  fake_set(f, "AWS_CONTAINER_CREDENTIALS_RELATIVE_URI", "/v2/credentials/x");
  route_vector(f, "GET", "http://169.254.170.2/v2/credentials/x",
               "container_credentials.json");
  rb_credentials c = RB_CREDENTIALS_INIT;
  resolve_ok(f, NULL, &c);
  assert_string_equal(c.source, "container");
  rb_credentials_free(&c);
  assert_int_equal(f->nreqs, 1);
}

static void no_http_client_skips_instance_metadata(void **state) {
  fake *f = *state;
  rb_cred_env env = fake_env(f);
  env.http = NULL;
  rb_credentials c = RB_CREDENTIALS_INIT;
  rb_error err;
  assert_int_equal(rb_credentials_resolve(&env, NULL, &c, &err), -1);
  assert_string_equal(err.code, "NoCredentials");
  fake_set(f, "AWS_CONTAINER_CREDENTIALS_RELATIVE_URI", "/v2/credentials/x");
  assert_int_equal(rb_credentials_resolve(&env, NULL, &c, &err), -1);
  assert_string_equal(err.code, "ContainerCredentialsError");
}

#define T(name) cmocka_unit_test_setup_teardown(name, fake_setup, fake_teardown)

int main(void) {
  const struct CMUnitTest tests[] = {
      T(container_full_uri_with_auth_token),
      T(container_token_file_wins_over_token),
      T(container_relative_uri_uses_the_ecs_address),
      T(container_relative_uri_base_can_be_replaced),
      T(container_full_uri_must_be_https_or_loopback),
      T(container_http_error_is_an_error),
      T(container_unreachable_is_an_error_not_a_fallthrough),
      T(container_bad_body_is_an_error),
      T(container_token_with_line_break_is_refused),
      T(profile_keys_win_over_container),
      T(imds_v2_token_flow),
      T(imds_endpoint_can_be_replaced),
      T(imds_v1_fallback_when_token_refused),
      T(imds_disabled_makes_no_request),
      T(imds_unreachable_falls_through_to_no_credentials),
      T(imds_without_role_falls_through),
      T(imds_failure_code_is_an_error),
      T(imds_malformed_role_name_is_ignored),
      T(container_wins_over_imds),
      T(no_http_client_skips_instance_metadata),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
