/* test_endpoint.c — region precedence, partitions, global IAM, regional STS, endpoint
 * overrides and their precedence, serviceId → AWS_ENDPOINT_URL_<SERVICE>, and bad
 * override URLs. Pure: a fake environment table. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdio.h>
#include <string.h>

#include "endpoint.h"

typedef struct env_table {
  const char *pairs[16][2];
  int n;
} env_table;

static const char *table_get(void *ud, const char *name) {
  env_table *t = ud;
  for (int i = t->n - 1; i >= 0; i--)
    if (strcmp(t->pairs[i][0], name) == 0)
      return t->pairs[i][1];
  return NULL;
}

static void put(env_table *t, const char *name, const char *value) {
  assert_true(t->n < 16);
  t->pairs[t->n][0] = name;
  t->pairs[t->n][1] = value;
  t->n++;
}

static rb_endpoint_input input(env_table *t, const char *prefix, const char *service_id,
                               const char *region) {
  rb_endpoint_input in = {0};
  in.endpoint_prefix = prefix;
  in.service_id = service_id;
  in.region = region;
  in.getenv = table_get;
  in.env_ud = t;
  return in;
}

static rb_endpoint resolve(const rb_endpoint_input *in) {
  rb_endpoint ep;
  rb_error err;
  rb_error_clear(&err);
  if (rb_endpoint_resolve(in, &ep, &err) != 0)
    fail_msg("resolve failed: %s: %s", err.code, err.message);
  return ep;
}

/* ---- region ---- */

static void region_precedence_flag_env_default_profile(void **state) {
  (void)state;
  env_table t = {0};
  char r[64];
  const char *from = NULL;
  rb_error err;
  put(&t, "AWS_DEFAULT_REGION", "eu-west-1");
  assert_int_equal(
      rb_region_resolve(NULL, table_get, &t, "ap-south-1", r, sizeof r, &from, &err), 0);
  assert_string_equal(r, "eu-west-1");
  assert_string_equal(from, "AWS_DEFAULT_REGION");
  put(&t, "AWS_REGION", "us-west-2");
  assert_int_equal(
      rb_region_resolve(NULL, table_get, &t, "ap-south-1", r, sizeof r, &from, &err), 0);
  assert_string_equal(r, "us-west-2");
  assert_string_equal(from, "AWS_REGION");
  assert_int_equal(rb_region_resolve("cn-north-1", table_get, &t, "ap-south-1", r,
                                     sizeof r, &from, &err),
                   0);
  assert_string_equal(r, "cn-north-1");
  assert_string_equal(from, "--region");
  env_table empty = {0};
  assert_int_equal(
      rb_region_resolve("", table_get, &empty, "ap-south-1", r, sizeof r, &from, &err),
      0);
  assert_string_equal(r, "ap-south-1");
  assert_string_equal(from, "profile");
}

static void region_empty_env_counts_as_unset(void **state) {
  (void)state;
  env_table t = {0};
  put(&t, "AWS_REGION", "");
  put(&t, "AWS_DEFAULT_REGION", "eu-central-1");
  char r[64];
  rb_error err;
  assert_int_equal(rb_region_resolve(NULL, table_get, &t, NULL, r, sizeof r, NULL, &err),
                   0);
  assert_string_equal(r, "eu-central-1");
}

static void region_missing_is_no_region(void **state) {
  (void)state;
  env_table t = {0};
  char r[64];
  rb_error err;
  assert_int_equal(rb_region_resolve(NULL, table_get, &t, NULL, r, sizeof r, NULL, &err),
                   -1);
  assert_string_equal(err.code, "NoRegion");
  assert_string_equal(err.message, "no AWS region: pass --region or set AWS_REGION");
  assert_int_equal(rb_region_resolve(NULL, NULL, NULL, "", r, sizeof r, NULL, &err), -1);
  assert_string_equal(err.code, "NoRegion");
}

static void region_that_is_no_host_label_is_refused(void **state) {
  (void)state;
  const char *bad[] = {"US-EAST-1",  "us-east-1/evil", "us east 1",
                       "-us-east-1", "us-east-1.",     "evil.com#"};
  char r[64];
  rb_error err;
  for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
    assert_int_equal(rb_region_resolve(bad[i], NULL, NULL, NULL, r, sizeof r, NULL, &err),
                     -1);
    assert_string_equal(err.code, "InvalidRegion");
  }
  env_table t = {0};
  rb_endpoint_input in = input(&t, "lambda", "Lambda", "us-east-1.evil.com");
  rb_endpoint ep;
  assert_int_equal(rb_endpoint_resolve(&in, &ep, &err), -1);
  assert_string_equal(err.code, "InvalidRegion");
}

/* ---- partitions and default URLs ---- */

static void each_partition_builds_its_urls(void **state) {
  (void)state;
  struct {
    const char *region, *partition, *url;
  } cases[] = {
      {"us-east-1", "aws", "https://lambda.us-east-1.amazonaws.com"},
      {"eu-west-3", "aws", "https://lambda.eu-west-3.amazonaws.com"},
      {"cn-north-1", "aws-cn", "https://lambda.cn-north-1.amazonaws.com.cn"},
      {"cn-northwest-1", "aws-cn", "https://lambda.cn-northwest-1.amazonaws.com.cn"},
      {"us-gov-west-1", "aws-us-gov", "https://lambda.us-gov-west-1.amazonaws.com"},
      {"us-iso-east-1", "aws-iso", "https://lambda.us-iso-east-1.c2s.ic.gov"},
      {"us-isob-east-1", "aws-iso-b", "https://lambda.us-isob-east-1.sc2s.sgov.gov"},
      {"xx-future-9", "aws", "https://lambda.xx-future-9.amazonaws.com"},
  };
  env_table t = {0};
  for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
    rb_endpoint_input in = input(&t, "lambda", "Lambda", cases[i].region);
    rb_endpoint ep = resolve(&in);
    assert_string_equal(ep.url, cases[i].url);
    assert_string_equal(ep.host, cases[i].url + strlen("https://"));
    assert_string_equal(ep.base_path, "");
    assert_string_equal(ep.partition, cases[i].partition);
    assert_string_equal(ep.signing_region, cases[i].region);
    assert_string_equal(ep.source, "default");
    assert_string_equal(rb_endpoint_partition(cases[i].region, NULL), cases[i].partition);
  }
  const char *suffix = NULL;
  assert_string_equal(rb_endpoint_partition("cn-north-1", &suffix), "aws-cn");
  assert_string_equal(suffix, "amazonaws.com.cn");
}

static void service_prefixes_are_used_for_hosts(void **state) {
  (void)state;
  env_table t = {0};
  rb_endpoint_input in = input(&t, "monitoring", "CloudWatch", "eu-west-1");
  assert_string_equal(resolve(&in).url, "https://monitoring.eu-west-1.amazonaws.com");
  in = input(&t, "logs", "CloudWatch Logs", "eu-west-1");
  assert_string_equal(resolve(&in).url, "https://logs.eu-west-1.amazonaws.com");
  in = input(&t, "sts", "STS", "ap-southeast-2");
  rb_endpoint ep = resolve(&in);
  assert_string_equal(ep.url, "https://sts.ap-southeast-2.amazonaws.com"); /* regional */
  assert_string_equal(ep.signing_region, "ap-southeast-2");
  in = input(&t, "xray", "XRay", "eu-west-1"); /* regional, like lambda */
  assert_string_equal(resolve(&in).url, "https://xray.eu-west-1.amazonaws.com");
  in = input(&t, "cloudtrail", "CloudTrail", "eu-west-1");
  ep = resolve(&in);
  assert_string_equal(ep.url, "https://cloudtrail.eu-west-1.amazonaws.com");
  assert_string_equal(ep.signing_region, "eu-west-1");
}

static void iam_is_global_in_each_partition(void **state) {
  (void)state;
  struct {
    const char *region, *host, *signing;
  } cases[] = {
      {"eu-west-1", "iam.amazonaws.com", "us-east-1"},
      {"us-east-1", "iam.amazonaws.com", "us-east-1"},
      {"cn-northwest-1", "iam.cn-north-1.amazonaws.com.cn", "cn-north-1"},
      {"us-gov-east-1", "iam.us-gov.amazonaws.com", "us-gov-west-1"},
      {"us-iso-west-1", "iam.us-iso-east-1.c2s.ic.gov", "us-iso-east-1"},
  };
  env_table t = {0};
  for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
    rb_endpoint_input in = input(&t, "iam", "IAM", cases[i].region);
    rb_endpoint ep = resolve(&in);
    assert_string_equal(ep.host, cases[i].host);
    assert_true(strncmp(ep.url, "https://", 8) == 0);
    assert_string_equal(ep.url + 8, cases[i].host);
    assert_string_equal(ep.signing_region, cases[i].signing);
  }
}

/* ---- overrides ---- */

static void env_var_names_follow_service_ids(void **state) {
  (void)state;
  struct {
    const char *id, *var;
  } cases[] = {
      {"Lambda", "AWS_ENDPOINT_URL_LAMBDA"},
      {"CloudWatch Logs", "AWS_ENDPOINT_URL_CLOUDWATCH_LOGS"},
      {"CloudWatch", "AWS_ENDPOINT_URL_CLOUDWATCH"},
      {"API Gateway", "AWS_ENDPOINT_URL_API_GATEWAY"},
      {"ApiGatewayV2", "AWS_ENDPOINT_URL_APIGATEWAYV2"},
      {"IAM", "AWS_ENDPOINT_URL_IAM"},
      {"STS", "AWS_ENDPOINT_URL_STS"},
      {"EC2", "AWS_ENDPOINT_URL_EC2"},
  };
  char name[64];
  for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
    assert_int_equal(rb_endpoint_env_name(cases[i].id, name, sizeof name), 0);
    assert_string_equal(name, cases[i].var);
  }
  assert_int_equal(rb_endpoint_env_name("CloudWatch Logs", name, 20), -1);
}

static void override_precedence(void **state) {
  (void)state;
  env_table t = {0};
  rb_endpoint_input in = input(&t, "logs", "CloudWatch Logs", "eu-west-1");
  in.profile_url = "http://127.0.0.1:7001";
  rb_endpoint ep = resolve(&in);
  assert_string_equal(ep.url, "http://127.0.0.1:7001");
  assert_string_equal(ep.source, "profile endpoint_url");

  put(&t, "AWS_ENDPOINT_URL", "http://127.0.0.1:7002");
  ep = resolve(&in);
  assert_string_equal(ep.url, "http://127.0.0.1:7002");
  assert_string_equal(ep.source, "AWS_ENDPOINT_URL");

  put(&t, "AWS_ENDPOINT_URL_LAMBDA", "http://127.0.0.1:7999"); /* another service's */
  put(&t, "AWS_ENDPOINT_URL_CLOUDWATCH_LOGS", "http://127.0.0.1:7003");
  ep = resolve(&in);
  assert_string_equal(ep.url, "http://127.0.0.1:7003");
  assert_string_equal(ep.source, "AWS_ENDPOINT_URL_CLOUDWATCH_LOGS");

  in.explicit_url = "http://127.0.0.1:7004";
  ep = resolve(&in);
  assert_string_equal(ep.url, "http://127.0.0.1:7004");
  assert_string_equal(ep.source, "--endpoint-url");
  assert_string_equal(ep.signing_region, "eu-west-1");
  assert_string_equal(ep.partition, "aws");
}

static void ignore_configured_endpoints_keeps_only_the_flag(void **state) {
  (void)state;
  env_table t = {0};
  put(&t, "AWS_ENDPOINT_URL", "http://127.0.0.1:7002");
  put(&t, "AWS_ENDPOINT_URL_LAMBDA", "http://127.0.0.1:7003");
  put(&t, "AWS_IGNORE_CONFIGURED_ENDPOINT_URLS", "true");
  rb_endpoint_input in = input(&t, "lambda", "Lambda", "us-east-1");
  in.profile_url = "http://127.0.0.1:7001";
  rb_endpoint ep = resolve(&in);
  assert_string_equal(ep.url, "https://lambda.us-east-1.amazonaws.com");
  assert_string_equal(ep.source, "default");
  in.explicit_url = "http://127.0.0.1:7004";
  assert_string_equal(resolve(&in).url, "http://127.0.0.1:7004");
  put(&t, "AWS_IGNORE_CONFIGURED_ENDPOINT_URLS", "false");
  in.explicit_url = NULL;
  assert_string_equal(resolve(&in).url, "http://127.0.0.1:7003");
}

static void override_keeps_the_iam_signing_region(void **state) {
  (void)state;
  env_table t = {0};
  put(&t, "AWS_ENDPOINT_URL_IAM", "http://127.0.0.1:7005/");
  rb_endpoint_input in = input(&t, "iam", "IAM", "eu-west-1");
  rb_endpoint ep = resolve(&in);
  assert_string_equal(ep.url, "http://127.0.0.1:7005");
  assert_string_equal(ep.host, "127.0.0.1:7005");
  assert_string_equal(ep.signing_region, "us-east-1");
  in.region = "cn-north-1";
  assert_string_equal(resolve(&in).signing_region, "cn-north-1");
}

static void override_url_is_split_into_parts(void **state) {
  (void)state;
  struct {
    const char *given, *url, *base_path, *host;
  } cases[] = {
      {"http://127.0.0.1:4566", "http://127.0.0.1:4566", "", "127.0.0.1:4566"},
      {"HTTPS://Example.com:443/", "https://Example.com:443", "", "Example.com"},
      {"http://localhost:80", "http://localhost:80", "", "localhost"},
      {"https://localhost:80", "https://localhost:80", "", "localhost:80"},
      {"https://api.internal/aws/stage//", "https://api.internal", "/aws/stage",
       "api.internal"},
      {"http://[::1]:9000/x", "http://[::1]:9000", "/x", "[::1]:9000"},
      {"http://[::1]", "http://[::1]", "", "[::1]"},
  };
  env_table t = {0};
  for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
    rb_endpoint_input in = input(&t, "lambda", "Lambda", "us-east-1");
    in.explicit_url = cases[i].given;
    rb_endpoint ep = resolve(&in);
    assert_string_equal(ep.url, cases[i].url);
    assert_string_equal(ep.base_path, cases[i].base_path);
    assert_string_equal(ep.host, cases[i].host);
  }
}

static void bad_override_url_is_a_clear_error(void **state) {
  (void)state;
  const char *bad[] = {"127.0.0.1:4566",     "ftp://127.0.0.1",     "http://",
                       "http:///path",       "http://host:0",       "http://host:65536",
                       "http://host:12ab",   "http://user:pw@host", "http://host/?x=1",
                       "http://host#frag",   "http://[::1",         "http://ho st",
                       "http://[::1]junk:80"};
  env_table t = {0};
  for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
    rb_endpoint_input in = input(&t, "lambda", "Lambda", "us-east-1");
    in.explicit_url = bad[i];
    rb_endpoint ep;
    rb_error err;
    if (rb_endpoint_resolve(&in, &ep, &err) != -1)
      fail_msg("accepted '%s'", bad[i]);
    assert_string_equal(err.code, "InvalidEndpoint");
    assert_non_null(strstr(err.message, "--endpoint-url"));
  }
  put(&t, "AWS_ENDPOINT_URL_LAMBDA", "localhost:4566");
  rb_endpoint_input in = input(&t, "lambda", "Lambda", "us-east-1");
  rb_endpoint ep;
  rb_error err;
  assert_int_equal(rb_endpoint_resolve(&in, &ep, &err), -1);
  assert_string_equal(err.message,
                      "invalid endpoint url 'localhost:4566' from "
                      "AWS_ENDPOINT_URL_LAMBDA: it must start with http:// or "
                      "https://");
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(region_precedence_flag_env_default_profile),
      cmocka_unit_test(region_empty_env_counts_as_unset),
      cmocka_unit_test(region_missing_is_no_region),
      cmocka_unit_test(region_that_is_no_host_label_is_refused),
      cmocka_unit_test(each_partition_builds_its_urls),
      cmocka_unit_test(service_prefixes_are_used_for_hosts),
      cmocka_unit_test(iam_is_global_in_each_partition),
      cmocka_unit_test(env_var_names_follow_service_ids),
      cmocka_unit_test(override_precedence),
      cmocka_unit_test(ignore_configured_endpoints_keeps_only_the_flag),
      cmocka_unit_test(override_keeps_the_iam_signing_region),
      cmocka_unit_test(override_url_is_split_into_parts),
      cmocka_unit_test(bad_override_url_is_a_clear_error),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
